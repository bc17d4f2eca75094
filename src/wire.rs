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
    /// The name people read for each symbol the program names (`name SYM "text"`): allowed
    /// values, and the values its conclusions may take.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub names: std::collections::BTreeMap<String, String>,
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
