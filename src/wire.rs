//! Wire formats: the JSON and NDJSON shapes that leave the program, other than the
//! explanation models (`explain::{query, how, why_not}`, documented by
//! `docs/explanation-schema.json`). One module, so a client (the batch's readers, a server's,
//! an editor's) finds every shape in one place, and every error has one shape: [`Diagnostic`].
//!
//! This module depends on nothing else in the crate; the producers convert into these types.

use serde::Serialize;

/// A diagnostic, as `--error-format json` prints it (one per line) and as every JSON error
/// carries it (batch lines, and later the server's error bodies). Positions are 1-based
/// lines and columns (columns count characters) and 0-based byte offsets, absent for a
/// problem with no place.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Diagnostic {
    /// `error` or `warning`.
    pub severity: &'static str,
    pub code: &'static str,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub end_line: Option<u32>,
    pub end_column: Option<u32>,
    pub byte_start: Option<u32>,
    pub byte_end: Option<u32>,
    pub label: String,
    pub help: Option<String>,
}

/// `because questions --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct Questions {
    pub questions: Vec<Question>,
    /// The outputs, in the order they are declared: what a run concludes and shows.
    pub outputs: Vec<OutputDecl>,
    /// The name people read for each symbol the program names (`name SYM "text"`): allowed
    /// values, and the values its conclusions may take.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub names: std::collections::BTreeMap<String, String>,
}

/// An output as declared (`output recommend(Framework) "Recommended framework"`).
#[derive(Debug, Clone, Serialize)]
pub struct OutputDecl {
    pub name: String,
    /// What people read as the heading of its conclusions.
    pub label: String,
    /// Its parameters' names.
    pub params: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Question {
    pub name: String,
    pub prompt: String,
    /// `symbol`, `string`, `integer`, `decimal` or `boolean`.
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// Whether several values may be given.
    pub many: bool,
    /// The values allowed (empty: any value of the type), as text.
    pub allowed: Vec<String>,
    /// The smallest and largest numbers allowed (`from N`, `to N`), for numeric questions
    /// that set them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Value>,
}

/// `because query --show PRED/N --format json`: a predicate's facts, by content.
#[derive(Debug, Clone, Serialize)]
pub struct ShownFacts {
    pub predicate: String,
    pub count: usize,
    pub facts: Vec<Vec<Value>>,
}

/// A value in a fact, as JSON: symbols and strings as strings, numbers, booleans.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Value {
    Text(String),
    Int(i64),
    /// Finite (rule arithmetic never yields infinities or NaN).
    Dec(f64),
    Bool(bool),
}

/// A [`Value`] whose text is borrowed (from the run that concluded it): written the same.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
#[serde(untagged)]
pub enum ValueRef<'a> {
    Text(&'a str),
    Int(i64),
    Dec(f64),
    Bool(bool),
}

/// One line of the batch (`query --format ndjson`): the results of one fact set, or why it
/// has none.
#[derive(Debug, Clone, Serialize)]
pub struct BatchLine<'a> {
    /// The line number (NDJSON input) or the file name.
    pub input: BatchInput<'a>,
    /// Each output's conclusions above the certainty threshold, strongest first, in the
    /// order the outputs are declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Outputs<'a>>,
    /// How many rule instances could not be evaluated, when some could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_errors: Option<usize>,
    /// Why the fact set has no results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Vec<Diagnostic>>,
}

impl BatchLine<'_> {
    /// The line as JSON: the bytes `serde_json::to_string` gives (the tests compare the two),
    /// written directly for a line with results, where serde took 7% of each W7 fact
    /// set's instructions for a few hundred bytes. Numbers are written by the crates
    /// serde_json writes them with (`itoa`, `zmij`); a string with anything to escape, and a
    /// line with an error (rare), by serde_json itself.
    pub fn to_json(&self) -> String {
        if self.error.is_some() {
            return serde_json::to_string(self).unwrap_or_default();
        }
        let mut out = LineWriter::new(self.input);
        if let Some(outputs) = &self.outputs {
            out.begin_outputs();
            for (name, rows) in &outputs.0 {
                out.output(name);
                for row in rows {
                    out.row(row.values.iter().copied(), row.certainty, row.rank);
                }
            }
        }
        out.finish(self.rule_errors)
    }
}

/// A batch line with results, written piece by piece as [`BatchLine::to_json`] writes it
/// (the batch of many sets writes its lines straight from the run: `ask::sets`).
pub(crate) struct LineWriter {
    out: Vec<u8>,
    /// Whether the outputs' object is open; outputs written so far, and rows of the last.
    begun: bool,
    outputs: usize,
    rows: usize,
}

impl LineWriter {
    pub(crate) fn new(input: BatchInput<'_>) -> LineWriter {
        let mut out = Vec::with_capacity(1024);
        out.extend_from_slice(b"{\"input\":");
        match input {
            BatchInput::Line(n) => int(&mut out, n),
            BatchInput::File(name) => text(&mut out, name),
        }
        LineWriter {
            out,
            begun: false,
            outputs: 0,
            rows: 0,
        }
    }

    /// Open the outputs' object (a line with results has one, empty if there are none).
    pub(crate) fn begin_outputs(&mut self) {
        self.out.extend_from_slice(b",\"outputs\":{");
        self.begun = true;
    }

    /// Start the rows of output `name` (the next in declaration order).
    pub(crate) fn output(&mut self, name: &str) {
        let out = &mut self.out;
        if self.outputs > 0 {
            out.extend_from_slice(b"],");
        }
        text(out, name);
        out.extend_from_slice(b":[");
        self.outputs += 1;
        self.rows = 0;
    }

    /// One conclusion of the current output.
    pub(crate) fn row<'v>(
        &mut self,
        values: impl Iterator<Item = ValueRef<'v>>,
        certainty: f64,
        rank: usize,
    ) {
        let out = &mut self.out;
        if self.rows > 0 {
            out.push(b',');
        }
        self.rows += 1;
        out.extend_from_slice(b"{\"values\":[");
        for (k, v) in values.enumerate() {
            if k > 0 {
                out.push(b',');
            }
            match v {
                ValueRef::Text(t) => text(out, t),
                ValueRef::Int(n) => int(out, n),
                ValueRef::Dec(d) => dec(out, d),
                ValueRef::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
            }
        }
        out.extend_from_slice(b"],\"certainty\":");
        dec(out, certainty);
        out.extend_from_slice(b",\"rank\":");
        int(out, rank);
        out.push(b'}');
    }

    /// The line, with the count of rule instances that could not be evaluated if any.
    pub(crate) fn finish(mut self, rule_errors: Option<usize>) -> String {
        let out = &mut self.out;
        if self.outputs > 0 {
            out.push(b']');
        }
        if self.begun {
            out.push(b'}');
        }
        if let Some(n) = rule_errors {
            out.extend_from_slice(b",\"rule_errors\":");
            int(out, n);
        }
        out.push(b'}');
        // Only text from `&str`s, serde_json's escapes and ASCII went in.
        String::from_utf8(self.out).unwrap_or_default()
    }
}

/// A string as JSON: quoted as it is when nothing in it needs an escape, else by serde_json.
fn text(out: &mut Vec<u8>, t: &str) {
    if t.bytes().any(|b| ESCAPED[usize::from(b)]) {
        // Writing to a vector cannot fail.
        let _ = serde_json::to_writer(&mut *out, t);
    } else {
        out.push(b'"');
        out.extend_from_slice(t.as_bytes());
        out.push(b'"');
    }
}

/// The bytes a JSON string escapes: controls, the quote and the backslash (one table
/// lookup a byte: every symbol of every batch line is checked).
const ESCAPED: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

fn int(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// A number as serde_json writes an `f64`: `null` if not finite.
fn dec(out: &mut Vec<u8>, d: f64) {
    if d.is_finite() {
        out.extend_from_slice(zmij::Buffer::new().format_finite(d).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(untagged)]
pub enum BatchInput<'a> {
    Line(usize),
    File(&'a str),
}

/// Outputs by name, in declaration order.
#[derive(Debug, Clone)]
pub struct Outputs<'a>(pub Vec<(&'a str, Vec<Concluded<'a>>)>);

impl Serialize for Outputs<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (name, rows) in &self.0 {
            m.serialize_entry(name, rows)?;
        }
        m.end()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Concluded<'a> {
    pub values: Vec<ValueRef<'a>>,
    pub certainty: f64,
    /// 1 for the strongest; certainties equal to two decimals share a rank (a tie).
    pub rank: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = ValueRef<'static>> {
        prop_oneof![
            prop::sample::select(vec![
                "express",
                "",
                "quote \" and \\ back",
                "tab\tnew\nline\u{1}",
                "é ∑ 🙂",
                "</script>",
            ])
            .prop_map(ValueRef::Text),
            any::<i64>().prop_map(ValueRef::Int),
            prop_oneof![
                (-1e6f64..1e6).boxed(),
                Just(f64::NAN).boxed(),
                Just(1.0).boxed(),
                Just(-0.0).boxed(),
                Just(1e300).boxed(),
                Just(5e-324).boxed(),
            ]
            .prop_map(ValueRef::Dec),
            any::<bool>().prop_map(ValueRef::Bool),
        ]
    }

    fn concluded() -> impl Strategy<Value = Concluded<'static>> {
        (
            prop::collection::vec(value(), 0..3),
            0.0f64..=1.0,
            1usize..50,
        )
            .prop_map(|(values, certainty, rank)| Concluded {
                values,
                certainty,
                rank,
            })
    }

    fn line() -> impl Strategy<Value = BatchLine<'static>> {
        let input = prop_oneof![
            any::<usize>().prop_map(BatchInput::Line),
            prop::sample::select(vec!["a.json", "odd \"name\".json"]).prop_map(BatchInput::File),
        ];
        let outputs = prop::option::of(
            prop::collection::vec(
                (
                    prop::sample::select(vec!["recommend", "note", "\u{7f}odd"]),
                    prop::collection::vec(concluded(), 0..4),
                ),
                0..4,
            )
            .prop_map(Outputs),
        );
        let error = prop::option::of(Just(vec![Diagnostic {
            severity: "error",
            code: "E0302",
            message: "unknown question `x`".into(),
            file: None,
            line: Some(1),
            column: None,
            end_line: None,
            end_column: None,
            byte_start: Some(3),
            byte_end: None,
            label: "here".into(),
            help: None,
        }]));
        (input, outputs, prop::option::of(0usize..1000), error).prop_map(
            |(input, outputs, rule_errors, error)| BatchLine {
                input,
                outputs,
                rule_errors,
                error,
            },
        )
    }

    proptest! {
        /// The batch line written field by field is serde_json's line, byte for byte.
        #[test]
        fn a_batch_line_is_written_as_serde_json_writes_it(line in line()) {
            prop_assert_eq!(line.to_json(), serde_json::to_string(&line).unwrap());
        }
    }
}
