//! TOML facts files, read with `toml_edit`, which keeps the span of every key and value.

use super::{Entry, RawKind, RawValue};
use crate::diag::Diagnostic;
use crate::span::{FileId, SourceFile, Span};
use toml_edit::{ImDocument, Item, Value};

pub fn read(file: FileId, src: &SourceFile, diags: &mut Vec<Diagnostic>) -> Vec<Entry> {
    if let Some(at) = super::too_deep(src.text()) {
        diags.push(super::deep_error(file, src, at));
        return Vec::new();
    }
    let doc = match ImDocument::parse(src.text().to_string()) {
        Ok(d) => d,
        Err(e) => {
            let r = e.span().unwrap_or(0..0);
            let msg = e.message().trim_end_matches('\n').trim_end_matches('.');
            let msg = msg.lines().next().unwrap_or("syntax error").to_string();
            diags.push(
                Diagnostic::error("E0301", format!("invalid TOML: {msg}"), src.span(file, r.start, r.end.max(r.start + 1)))
                    .with_label("here")
                    .with_help("check the TOML syntax near this place (key = value, strings in quotes, lists in [ ])"),
            );
            return Vec::new();
        }
    };
    let span_of = |r: Option<std::ops::Range<usize>>| {
        let r = r.unwrap_or(0..0);
        src.span(file, r.start, r.end)
    };
    let mut out = Vec::new();
    for (key, item) in doc.as_table().iter() {
        let key_span = span_of(doc.as_table().key(key).and_then(|k| k.span()));
        let value = match item {
            Item::Value(v) => value(v, &span_of, diags),
            Item::Table(t) => table_answer(
                t.iter().map(|(k, i)| (k, i.as_value())),
                span_of(t.span()),
                &span_of,
                diags,
            ),
            _ => {
                diags.push(
                    Diagnostic::error("E0312", format!("`{key}` is not an answer"), key_span)
                        .with_label("arrays of tables are not answers")
                        .with_help("write key = value or key = [values]"),
                );
                continue;
            }
        };
        out.push(Entry {
            key: key.into(),
            key_span,
            value,
        });
    }
    out
}

fn value(
    v: &Value,
    span_of: &dyn Fn(Option<std::ops::Range<usize>>) -> Span,
    diags: &mut Vec<Diagnostic>,
) -> RawValue {
    let span = span_of(v.span());
    let kind = match v {
        Value::String(s) => RawKind::Str(s.value().clone()),
        Value::Integer(i) => RawKind::Int(*i.value()),
        Value::Float(f) => {
            let d = *f.value();
            if d.is_finite() {
                RawKind::Dec(d)
            } else {
                diags.push(
                    Diagnostic::error("E0310", format!("`{d}` is not a finite number"), span)
                        .with_label("not finite")
                        .with_help("give a finite decimal such as 0.5"),
                );
                RawKind::Invalid
            }
        }
        Value::Boolean(b) => RawKind::Bool(*b.value()),
        Value::Datetime(_) => {
            diags.push(
                Diagnostic::error("E0304", "dates are not answers", span)
                    .with_label("a date")
                    .with_help("answers are symbols, strings, numbers or booleans"),
            );
            RawKind::Invalid
        }
        Value::Array(a) => RawKind::List(a.iter().map(|e| value(e, span_of, diags)).collect()),
        Value::InlineTable(t) => {
            return table_answer(t.iter().map(|(k, v)| (k, Some(v))), span, span_of, diags)
        }
    };
    RawValue { kind, span }
}

/// `{ value = "python", certainty = 0.8 }`, inline or as a `[table]`.
fn table_answer<'a>(
    entries: impl Iterator<Item = (&'a str, Option<&'a Value>)>,
    span: Span,
    span_of: &dyn Fn(Option<std::ops::Range<usize>>) -> Span,
    diags: &mut Vec<Diagnostic>,
) -> RawValue {
    let mut val = None;
    let mut cf = None;
    for (k, v) in entries {
        let Some(v) = v else { continue };
        match k {
            "value" => val = Some(value(v, span_of, diags)),
            "certainty" => {
                let cspan = span_of(v.span());
                match v {
                    Value::Float(f) => cf = Some((*f.value(), cspan)),
                    Value::Integer(i) => cf = Some((*i.value() as f64, cspan)),
                    _ => diags.push(
                        Diagnostic::error("E0308", "a certainty must be a number", cspan)
                            .with_label("not a number")
                            .with_help("write a number from -1.0 to 1.0"),
                    ),
                }
            }
            other => diags.push(
                Diagnostic::error(
                    "E0312",
                    format!("unexpected key `{other}` in an answer"),
                    span_of(v.span()),
                )
                .with_label("not `value` or `certainty`")
                .with_help(
                    "an answer with a certainty reads { value = \"python\", certainty = 0.8 }",
                ),
            ),
        }
    }
    let kind = match (val, cf) {
        (Some(v), Some((c, cs))) => RawKind::Certain(Box::new(v), c, cs),
        (Some(v), None) => v.kind,
        (None, _) => {
            diags.push(
                Diagnostic::error("E0312", "an answer table needs a `value`", span)
                    .with_label("no `value` key")
                    .with_help("write { value = \"python\", certainty = 0.8 }"),
            );
            RawKind::Invalid
        }
    };
    RawValue { kind, span }
}
