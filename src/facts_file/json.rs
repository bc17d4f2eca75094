//! JSON facts files, read with `jsonc-parser` (strict JSON options) for its byte ranges.

use super::{deep_error, too_deep, Entry, RawKind, RawValue};
use crate::diag::Diagnostic;
use crate::span::{FileId, SourceFile};
use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::{CollectOptions, ParseOptions};

pub fn read(file: FileId, src: &SourceFile, diags: &mut Vec<Diagnostic>) -> Vec<Entry> {
    if let Some(at) = too_deep(&src.text) {
        diags.push(deep_error(file, src, at));
        return Vec::new();
    }
    let opts = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
    };
    let parsed = match jsonc_parser::parse_to_ast(&src.text, &CollectOptions::default(), &opts) {
        Ok(p) => p,
        Err(e) => {
            let r = e.range();
            let msg = e.kind().to_string();
            let msg = msg.trim_end_matches('.');
            let mut msg = msg[..1].to_lowercase() + &msg[1..];
            let word: String = src
                .text
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
                ObjectPropName::String(s) => (s.value.to_string(), s.range),
                ObjectPropName::Word(w) => (w.value.to_string(), w.range),
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
