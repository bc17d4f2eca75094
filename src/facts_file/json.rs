//! JSON facts files, read with `jsonc-parser` (strict JSON options) for its byte ranges.
//!
//! Most facts files and batch lines are an object of plain answers (strings, numbers,
//! booleans, lists of them): those are read by a scanner of that one shape, many times
//! faster, which notes each value's place as it goes. Anything else (invalid JSON, an answer
//! with a certainty, a key with escapes, a number out of range) is read again by the full
//! reader, which says what is wrong and where.

use super::{deep_error, too_deep, Entry, RawKind, RawValue};
use crate::diag::Diagnostic;
use crate::span::{FileId, SourceFile};
use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::{CollectOptions, ParseOptions};

pub fn read(file: FileId, src: &SourceFile, diags: &mut Vec<Diagnostic>) -> Vec<Entry> {
    #[cfg(test)]
    let plain = !READ_FULL.with(std::cell::Cell::get);
    #[cfg(not(test))]
    let plain = true;
    // The plain reader takes nothing nested deeper than an object of lists of values (it
    // refuses a list in a list), so the depth is checked only before the full reader.
    if let Some(entries) = plain.then(|| read_plain(file, src)).flatten() {
        return entries;
    }
    if let Some(at) = too_deep(src.text()) {
        diags.push(deep_error(file, src, at));
        return Vec::new();
    }
    let opts = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
    };
    let parsed = match jsonc_parser::parse_to_ast(src.text(), &CollectOptions::default(), &opts) {
        Ok(p) => p,
        Err(e) => {
            let r = e.range();
            let msg = e.kind().to_string();
            let msg = msg.trim_end_matches('.');
            let mut msg = msg[..1].to_lowercase() + &msg[1..];
            let word: String = src
                .text()
                .get(r.start..)
                .unwrap_or("")
                .chars()
                .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
                .collect();
            let word = word.as_str();
            let help = if ["NaN", "Infinity", "-Infinity", "nan", "inf"].contains(&word) {
                msg = format!("`{word}` is not a number JSON allows");
                "give a finite number such as 0.5".to_string()
            } else {
                "check the JSON syntax near this place (quotes around keys and strings, commas between items, no trailing comma)".to_string()
            };
            diags.push(
                Diagnostic::error(
                    "E0301",
                    format!("invalid JSON: {msg}"),
                    src.span(file, r.start, r.end.max(r.start + 1)),
                )
                .with_label("here")
                .with_help(help),
            );
            return Vec::new();
        }
    };
    let Some(Value::Object(obj)) = parsed.value else {
        let span = parsed.value.as_ref().map_or(src.span(file, 0, 0), |v| {
            let r = range(v);
            src.span(file, r.0, r.1)
        });
        diags.push(
            Diagnostic::error("E0312", "a facts file must be a JSON object", span)
                .with_label("not an object")
                .with_help("write {\"question\": value, ...}"),
        );
        return Vec::new();
    };
    obj.properties
        .into_iter()
        .map(|p| {
            let (key, kr) = match p.name {
                ObjectPropName::String(s) => (s.value.as_ref().into(), s.range),
                ObjectPropName::Word(w) => (w.value.into(), w.range),
            };
            Entry {
                key,
                key_span: src.span(file, kr.start, kr.end),
                value: value(file, src, p.value, diags),
            }
        })
        .collect()
}

fn range(v: &Value) -> (usize, usize) {
    let r = match v {
        Value::StringLit(x) => x.range,
        Value::NumberLit(x) => x.range,
        Value::BooleanLit(x) => x.range,
        Value::Object(x) => x.range,
        Value::Array(x) => x.range,
        Value::NullKeyword(x) => x.range,
    };
    (r.start, r.end)
}

fn value(file: FileId, src: &SourceFile, v: Value, diags: &mut Vec<Diagnostic>) -> RawValue {
    let (s, e) = range(&v);
    let span = src.span(file, s, e);
    let kind = match v {
        Value::StringLit(x) => RawKind::Str(x.value.to_string()),
        Value::BooleanLit(x) => RawKind::Bool(x.value),
        Value::NullKeyword(_) => RawKind::Null,
        Value::NumberLit(x) => number(x.value, span, diags),
        Value::Array(a) => RawKind::List(
            a.elements
                .into_iter()
                .map(|e| value(file, src, e, diags))
                .collect(),
        ),
        Value::Object(o) => {
            let mut val = None;
            let mut cf = None;
            for p in o.properties {
                let name = match &p.name {
                    ObjectPropName::String(s) => s.value.to_string(),
                    ObjectPropName::Word(w) => w.value.to_string(),
                };
                let key_range = match &p.name {
                    ObjectPropName::String(s) => s.range,
                    ObjectPropName::Word(w) => w.range,
                };
                let twice = match name.as_str() {
                    "value" => val.is_some(),
                    "certainty" => cf.is_some(),
                    _ => false,
                };
                if twice {
                    // serde-style "last one wins" would drop an answer without a word.
                    diags.push(
                        Diagnostic::error(
                            "E0306",
                            format!("`{name}` is given twice in one answer"),
                            src.span(file, key_range.start, key_range.end),
                        )
                        .with_label("second")
                        .with_help("an answer has one `value` (and at most one `certainty`); give several values as a list of answers"),
                    );
                    continue;
                }
                match name.as_str() {
                    "value" => val = Some(value(file, src, p.value, diags)),
                    "certainty" => {
                        let (cs, ce) = range(&p.value);
                        let cspan = src.span(file, cs, ce);
                        match value(file, src, p.value, diags).kind {
                            RawKind::Int(i) => cf = Some((i as f64, cspan)),
                            RawKind::Dec(d) => cf = Some((d, cspan)),
                            _ => diags.push(
                                Diagnostic::error("E0308", "a certainty must be a number", cspan)
                                    .with_label("not a number")
                                    .with_help("write a number from -1.0 to 1.0"),
                            ),
                        }
                    }
                    other => {
                        let r = match &p.name {
                            ObjectPropName::String(s) => s.range,
                            ObjectPropName::Word(w) => w.range,
                        };
                        diags.push(
                            Diagnostic::error("E0312", format!("unexpected key `{other}` in an answer"), src.span(file, r.start, r.end))
                                .with_label("not `value` or `certainty`")
                                .with_help("an answer with a certainty reads {\"value\": \"python\", \"certainty\": 0.8}"),
                        );
                    }
                }
            }
            match (val, cf) {
                (Some(v), Some((c, cs))) => RawKind::Certain(Box::new(v), c, cs),
                (Some(v), None) => v.kind,
                (None, _) => {
                    diags.push(
                        Diagnostic::error("E0312", "an answer object needs a `value`", span)
                            .with_label("no `value` key")
                            .with_help("write {\"value\": \"python\", \"certainty\": 0.8}"),
                    );
                    RawKind::Invalid
                }
            }
        }
    };
    RawValue { kind, span }
}

fn number(text: &str, span: crate::span::Span, diags: &mut Vec<Diagnostic>) -> RawKind {
    let is_int = !text.contains(['.', 'e', 'E']);
    if is_int {
        match text.parse::<i64>() {
            Ok(i) => return RawKind::Int(i),
            Err(_) => {
                diags.push(Diagnostic::integer_too_large("E0311", text, span));
                return RawKind::Invalid;
            }
        }
    }
    match text.parse::<f64>() {
        Ok(d) if d.is_finite() => RawKind::Dec(d),
        _ => {
            diags.push(
                Diagnostic::error("E0310", format!("number `{text}` is out of range"), span)
                    .with_label("not a finite number")
                    .with_help("give a finite decimal"),
            );
            RawKind::Invalid
        }
    }
}

/// The entries of an object of plain answers, read by a scanner of the flat shape
/// (an object of strings, numbers, booleans, `null`s and lists of them); `None` for
/// anything the full reader must look at (see the module's documentation). Gives what the
/// full reader gives for the same text (`tests::plain_reading_agrees_with_the_full_reader`
/// and the property tests beside it).
///
/// Batch lines are read here, one per fact set: a general JSON reader built a tree of raw
/// slices and read each list twice, a quarter of a W7 set's instructions before its run.
fn read_plain(file: FileId, src: &SourceFile) -> Option<Vec<Entry>> {
    let mut s = Scan::new(src.text());
    // (Room for the usual answers: the vector grew three times a fact set.)
    let mut entries = Vec::with_capacity(16);
    s.ws();
    s.eat(b'{')?;
    s.ws();
    if s.peek() == Some(b'}') {
        s.at += 1;
    } else {
        loop {
            let (ks, ke) = (s.at, s.string()?);
            // A key with escapes is the full reader's (its text is not the slice's).
            let key = src
                .text()
                .get(ks + 1..ke - 1)
                .filter(|k| !k.contains('\\'))?;
            s.ws();
            s.eat(b':')?;
            s.ws();
            let value = s.value(file, src, false)?;
            entries.push(Entry {
                key: key.into(),
                key_span: src.span(file, ks, ke),
                value,
            });
            if s.comma_or(b'}')? {
                break;
            }
        }
    }
    s.ws();
    s.at_end().then_some(entries)
}

/// A cursor over JSON text for [`read_plain`] (and `ask::direct`'s batch lines).
pub(crate) struct Scan<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Scan {
            b: text.as_bytes(),
            at: 0,
        }
    }
    /// Whether the whole text is read.
    pub(crate) fn at_end(&self) -> bool {
        self.at == self.b.len()
    }
    pub(crate) fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }
    pub(crate) fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }
    pub(crate) fn eat(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }
    pub(crate) fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }
    /// After an item of a list or a member of an object (whitespace around skipped): a comma
    /// (false: another follows) or `close` (true: the end); `None` for anything else.
    pub(crate) fn comma_or(&mut self, close: u8) -> Option<bool> {
        self.ws();
        match self.next()? {
            b',' => {
                self.ws();
                Some(false)
            }
            c if c == close => Some(true),
            _ => None,
        }
    }
    /// A string literal starting here: where it ends (after its closing quote). Its escapes
    /// are only stepped over (the caller decodes them); a control character is refused, as
    /// JSON does.
    fn string(&mut self) -> Option<usize> {
        self.eat(b'"')?;
        loop {
            match self.next()? {
                b'"' => return Some(self.at),
                b'\\' => {
                    self.next()?;
                }
                c if c < 0x20 => return None,
                _ => {}
            }
        }
    }
    /// A number's text as JSON writes it: `-`, an integer without leading zeros, then an
    /// optional fraction and exponent.
    fn number(&mut self) -> Option<()> {
        let digits = |s: &mut Self| {
            let from = s.at;
            while s.peek().is_some_and(|c| c.is_ascii_digit()) {
                s.at += 1;
            }
            (s.at > from).then_some(())
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        if self.peek() == Some(b'0') {
            self.at += 1;
        } else {
            digits(self)?;
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            digits(self)?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            digits(self)?;
        }
        Some(())
    }
    /// A string without escapes, of printable ASCII: its bytes (`ask::direct` reads batch
    /// lines of such strings; anything else there is this module's to read).
    pub(crate) fn plain_string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let rest = &self.b[self.at..];
        // One plain loop to the first byte that is not plain text (a fifth of a line's
        // instructions went to a byte-by-byte state machine).
        let len = rest
            .iter()
            .position(|&c| !(b' '..=b'~').contains(&c) || c == b'"' || c == b'\\')?;
        if rest[len] != b'"' {
            return None;
        }
        self.at += len + 1;
        Some(&rest[..len])
    }
    /// An integer as JSON writes one, with neither fraction nor exponent, that fits (for
    /// `ask::direct`).
    pub(crate) fn integer(&mut self) -> Option<i64> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let from = self.at;
        let mut n: i64 = 0;
        while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            self.at += 1;
            let d = i64::from(d - b'0');
            n = n.checked_mul(10)?;
            n = if negative {
                n.checked_sub(d)?
            } else {
                n.checked_add(d)?
            };
        }
        let digits = self.at - from;
        // No digits, a leading zero, or a fraction or exponent after them: the reader's.
        if digits == 0
            || (digits > 1 && self.b[from] == b'0')
            || matches!(self.peek(), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        Some(n)
    }
    pub(crate) fn word(&mut self, w: &[u8]) -> Option<()> {
        let end = self.at + w.len();
        (self.b.get(self.at..end)? == w).then(|| self.at = end)
    }
    fn value(&mut self, file: FileId, src: &SourceFile, in_list: bool) -> Option<RawValue> {
        let start = self.at;
        let kind = match self.peek()? {
            b'"' => {
                let end = self.string()?;
                let t = &src.text()[start..end];
                if !t.contains('\\') {
                    RawKind::Str(t[1..t.len() - 1].to_string())
                } else if has_escaped_surrogate(t) {
                    // jsonc-parser refuses escaped surrogate pairs (`\ud83d\ude00`): so must
                    // this reader, or a file's fate would hang on its other answers.
                    return None;
                } else {
                    RawKind::Str(serde_json::from_str(t).ok()?)
                }
            }
            b't' => {
                self.word(b"true")?;
                RawKind::Bool(true)
            }
            b'f' => {
                self.word(b"false")?;
                RawKind::Bool(false)
            }
            b'n' => {
                self.word(b"null")?;
                RawKind::Null
            }
            // A list of values; a list in a list is never an answer, and the full reader
            // says so.
            b'[' if !in_list => {
                self.at += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.at += 1;
                } else {
                    loop {
                        items.push(self.value(file, src, true)?);
                        if self.comma_or(b']')? {
                            break;
                        }
                    }
                }
                RawKind::List(items)
            }
            b'-' | b'0'..=b'9' => {
                self.number()?;
                let mut diags = Vec::new();
                let n = number(
                    &src.text()[start..self.at],
                    src.span(file, start, self.at),
                    &mut diags,
                );
                if !diags.is_empty() {
                    return None;
                }
                n
            }
            _ => return None,
        };
        Some(RawValue {
            kind,
            span: src.span(file, start, self.at),
        })
    }
}

/// Whether a JSON string literal escapes a UTF-16 surrogate (`\uD800` to `\uDFFF`).
fn has_escaped_surrogate(literal: &str) -> bool {
    let b = literal.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'\\' {
            if b[i + 1] == b'u'
                && b.get(i + 2).is_some_and(|c| c.eq_ignore_ascii_case(&b'd'))
                && b.get(i + 3)
                    .is_some_and(|c| matches!(c, b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F'))
            {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::SourceMap;
    use proptest::prelude::*;

    /// Both readers on `text`: the plain one's entries (when it takes the text) and the full
    /// one's, with its diagnostics.
    fn both(text: &str) -> (Option<String>, String, usize) {
        let mut sources = SourceMap::default();
        let file = sources.add("t.json", text);
        let src = sources.get(file);
        let plain = read_plain(file, src).map(|e| format!("{e:?}"));
        let mut diags = Vec::new();
        let full = full_read(file, src, &mut diags);
        (plain, format!("{full:?}"), diags.len())
    }

    /// The full reader alone.
    fn full_read(file: FileId, src: &SourceFile, diags: &mut Vec<Diagnostic>) -> Vec<Entry> {
        READ_FULL.with(|f| f.set(true));
        let e = read(file, src, diags);
        READ_FULL.with(|f| f.set(false));
        e
    }

    #[test]
    fn plain_reading_agrees_with_the_full_reader() {
        let cases = [
            r#"{"language": ["python", "java"], "project_size": "small", "traffic": 3}"#,
            r#"  { "a" : [ 1 , -2.5e3 , true , false , null ] , "a": "é\u00e9\n" }  "#,
            "{\n\t\"k\": []\r\n}",
            r#"{}"#,
            r#"{"n": 0, "m": -0, "big": 1e300}"#,
            r#"{"a": "\u00e9 \\ud83d not an escape \ucafe"}"#,
        ];
        for text in cases {
            let (plain, full, n) = both(text);
            assert_eq!(n, 0, "{text}");
            assert_eq!(plain.as_deref(), Some(full.as_str()), "{text}");
        }
        // What the plain reader leaves to the full one.
        for text in [
            r#"{"a": {"value": "x", "certainty": 0.5}}"#,
            r#"{"a\u0062": 1}"#,
            r#"{"a": 99999999999999999999}"#,
            r#"{"a": 1e999}"#,
            // A list in a list: never an answer, and the full reader checks the depth.
            r#"{"a": [1, ["x"]]}"#,
            r#"{"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"#,
            r#"{"a": 1,}"#,
            r#"["a"]"#,
            r#"{"a": 1} x"#,
            r#"{"a": 01}"#,
            r#"{"a": "\ud83d\ude00"}"#,
            r#"["x", {"a": "\uDBFF\uDFFF"}]"#,
        ] {
            assert_eq!(both(text).0, None, "{text}");
        }
    }

    proptest! {
        /// On text made of JSON's pieces, valid or not: whatever the plain reader takes, the
        /// full reader takes without a word and reads the same.
        #[test]
        fn plain_reading_never_takes_what_the_full_reader_refuses(
            parts in prop::collection::vec(prop::sample::select(vec![
                "{", "}", "[", "]", ",", ":", " ", "\n", "\"a\"", "\"b\\n\"", "\"\\u00e9\"",
                "1", "-0", "2.5", "1e5", "01", "true", "false", "null", "\"x", "\u{1}",
                "{\"value\": 1}", "9999999999999999999999", "-", "1.", ".5", "1e", "tru",
                "nul", "\"\\x\"", "\"\\u12\"", "\"é\"", "\t", "\u{b}",
            ]), 0..24)
        ) {
            let text = format!("{{\"q\": {}", parts.concat());
            let (plain, full, n) = both(&text);
            if let Some(plain) = plain {
                prop_assert_eq!(n, 0, "{}", text);
                prop_assert_eq!(plain, full, "{}", text);
            }
        }

        /// Objects of plain answers, spaced any way: the plain reader takes every one, and
        /// reads what the full reader reads.
        #[test]
        fn plain_reading_takes_plain_answers(
            members in prop::collection::vec((
                prop::sample::select(vec!["a", "language", "é", "two words", "a"]),
                prop::sample::select(vec![
                    "\"python\"", "[]", "[\"x\", \"y\"]", "3", "-2.25", "1E-3", "true",
                    "false", "null", "[1, 2.5, null]", "\"tab\\there \\\"quoted\\\"\"",
                ]),
            ), 0..6),
            space in prop::sample::select(vec!["", " ", "\n", "\t ", "\r\n  "]),
        ) {
            let body: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{space}\"{k}\"{space}:{space}{v}{space}"))
                .collect();
            let text = format!("{space}{{{}}}{space}", body.join(","));
            let (plain, full, n) = both(&text);
            prop_assert_eq!(n, 0, "{}", text);
            prop_assert_eq!(plain, Some(full), "{}", text);
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Tests: read with the full reader only.
    static READ_FULL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}
