//! Facts files in the rule language's own syntax: `fact language(python)` lines, optionally
//! `with certainty 0.8`. Parsed by the rule-language parser itself.

use super::{Entry, RawKind, RawValue};
use crate::ast::ConstRef;
use crate::diag::Diagnostic;
use crate::span::{FileId, SourceFile};

pub fn read(file: FileId, src: &SourceFile, diags: &mut Vec<Diagnostic>) -> Vec<Entry> {
    let (module, syntax) = crate::syntax::parse_module(file, src);
    if !syntax.is_empty() {
        diags.extend(syntax);
        return Vec::new();
    }
    for item in module.items.iter() {
        diags.push(
            Diagnostic::error("E0312", "a facts file holds only facts", item.span())
                .with_label("not a fact")
                .with_help("write answers as `fact question(value)`; rules belong in rule files"),
        );
    }
    let mut out = Vec::new();
    for f in module.facts.iter() {
        let mut values = f.values();
        let (Some((value, span)), None) = (values.next(), values.next()) else {
            // The atom: from the predicate to its closing parenthesis.
            let from = f.pred_span().end as usize;
            let end = src.text()[from..].find(')').map_or(from, |i| from + i + 1);
            diags.push(
                Diagnostic::error(
                    "E0304",
                    format!(
                        "an answer takes one value, `{}` has {}",
                        f.pred(),
                        f.arity()
                    ),
                    src.span(file, f.pred_span().start as usize, end),
                )
                .with_label("one value expected")
                .with_help(format!(
                    "write `fact {}(value)`, one fact per value",
                    f.pred()
                )),
            );
            continue;
        };
        let kind = match value {
            Some(ConstRef::Sym(s)) => RawKind::Sym(s.to_string()),
            Some(ConstRef::Str(s)) => RawKind::Str(s.to_string()),
            Some(ConstRef::Int(i)) => RawKind::Int(i),
            Some(ConstRef::Dec(d)) => RawKind::Dec(d),
            Some(ConstRef::Bool(b)) => RawKind::Bool(b),
            None => {
                diags.push(
                    Diagnostic::error("E0304", "an answer must be a plain value", span)
                        .with_label("not a plain value")
                        .with_help("variables and arithmetic have no place in a facts file"),
                );
                continue;
            }
        };
        let mut value = RawValue { kind, span };
        if let Some(c) = f.certainty() {
            value = RawValue {
                kind: RawKind::Certain(Box::new(value), c.node, c.span),
                span,
            };
        }
        out.push(Entry {
            key: f.pred().into(),
            key_span: f.pred_span(),
            value,
        });
    }
    out
}
