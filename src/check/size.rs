//! E0119: a rule too large to evaluate in reasonable time and memory: too many conditions,
//! variables, or arguments in one atom. Join planning grows with the square of a rule's
//! conditions, and variables are numbered in 16 bits; bounds with a clear message beat a run
//! that takes minutes, or a variable number that wraps and silently matches nothing.

use super::{expr_vars, visit_body, Context};
use crate::ast::*;
use crate::diag::Diagnostic;
use std::collections::BTreeSet;

/// Most conditions in one rule (all alternatives together).
pub const MAX_CONDITIONS: usize = 256;
/// Most distinct variables in one rule.
pub const MAX_VARIABLES: usize = 256;
/// Most arguments of one atom in a rule.
pub const MAX_ARGUMENTS: usize = 64;

pub fn rule_size(cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in cx.program.rules() {
        let mut conditions = 0;
        let mut vars: BTreeSet<&str> = BTreeSet::new();
        let mut wide: Option<&Atom> = None;
        let mut atoms: Vec<&Atom> = r.heads.iter().map(|h| &h.atom).collect();
        let mut exprs: Vec<&Expr> = Vec::new();
        visit_body(&r.body, &mut |l| {
            conditions += 1;
            match l {
                Literal::Positive(a) | Literal::Negative(a) => atoms.push(a),
                Literal::Compare(c) => {
                    exprs.push(&c.lhs);
                    exprs.push(&c.rhs);
                }
                Literal::Member(m) => exprs.push(&m.expr),
            }
        });
        let mut found = Vec::new();
        for a in &atoms {
            if a.args.len() > MAX_ARGUMENTS && wide.is_none() {
                wide = Some(a);
            }
            a.args.iter().for_each(|e| expr_vars(e, &mut found));
        }
        exprs.iter().for_each(|e| expr_vars(e, &mut found));
        vars.extend(found.iter().map(|(v, _)| *v).filter(|v| *v != "_"));
        let too_many = |what: &str, n: usize, max: usize| {
            Diagnostic::error(
                "E0119",
                format!("rule `{}` has {n} {what}, more than {max}", r.name.node),
                r.name.span,
            )
            .with_label("too large")
            .with_help(
                "split it into several rules, each concluding a part that the next one reads",
            )
        };
        if conditions > MAX_CONDITIONS {
            out.push(too_many("conditions", conditions, MAX_CONDITIONS));
        }
        if vars.len() > MAX_VARIABLES {
            out.push(too_many("variables", vars.len(), MAX_VARIABLES));
        }
        if let Some(a) = wide {
            out.push(
                Diagnostic::error(
                    "E0119",
                    format!(
                        "`{}` has {} arguments, more than {MAX_ARGUMENTS}",
                        a.pred.node,
                        a.args.len()
                    ),
                    a.span,
                )
                .with_label("too many arguments")
                .with_help("split the relation into several with fewer arguments each"),
            );
        }
    }
    out
}
