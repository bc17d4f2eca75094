//! Facts files in the rule language's own syntax: `fact language(python)` lines, optionally
//! `with certainty 0.8`. Parsed by the rule-language parser itself.

use super::{Entry, RawKind, RawValue};
use crate::ast::{Const, ExprKind, Item};
use crate::diag::Diagnostic;
use crate::syntax::span::{FileId, SourceFile};

pub fn read(file: FileId, src: &SourceFile, diags: &mut Vec<Diagnostic>) -> Vec<Entry> {
    let (module, syntax) = crate::syntax::parse_module(file, src);
    if !syntax.is_empty() {
        diags.extend(syntax);
        return Vec::new();
    }
    let mut out = Vec::new();
    for item in module.items {
        let Item::Fact(f) = item else {
            diags.push(
                Diagnostic::error("E0312", "a facts file holds only facts", item.span())
                    .with_label("not a fact")
                    .with_help(
                        "write answers as `fact question(value)`; rules belong in rule files",
                    ),
            );
            continue;
        };
        let [arg] = f.atom.args.as_slice() else {
            diags.push(
                Diagnostic::error(
                    "E0304",
                    format!(
                        "an answer takes one value, `{}` has {}",
                        f.atom.pred.node,
                        f.atom.args.len()
                    ),
                    f.atom.span,
                )
                .with_label("one value expected")
                .with_help(format!(
                    "write `fact {}(value)`, one fact per value",
                    f.atom.pred.node
                )),
            );
            continue;
        };
        let kind = match &arg.node {
            ExprKind::Const(Const::Sym(s)) => RawKind::Sym(s.clone()),
            ExprKind::Const(Const::Str(s)) => RawKind::Str(s.clone()),
            ExprKind::Const(Const::Int(i)) => RawKind::Int(*i),
            ExprKind::Const(Const::Dec(d)) => RawKind::Dec(*d),
            ExprKind::Const(Const::Bool(b)) => RawKind::Bool(*b),
            _ => {
                diags.push(
                    Diagnostic::error("E0304", "an answer must be a plain value", arg.span)
                        .with_label("not a plain value")
                        .with_help("variables and arithmetic have no place in a facts file"),
                );
                continue;
            }
        };
        let mut value = RawValue {
            kind,
            span: arg.span,
        };
        if let Some(c) = &f.certainty {
            value = RawValue {
                kind: RawKind::Certain(Box::new(value), c.node, c.span),
                span: arg.span,
            };
        }
        out.push(Entry {
            key: f.atom.pred.node.clone(),
            key_span: f.atom.pred.span,
            value,
        });
    }
    out
}
