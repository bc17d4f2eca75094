//! A small read-only view of a compiled program, for everyone outside the engine (the
//! command line, a server, a language server, bindings, tests): rules with their name,
//! reason, sources, conclusion and conditions; predicates with what declares them and which
//! rules conclude and read them. Named fields only; compiled rules, join plans and fact
//! stores stay private to the engine, which can change their layout freely.

use super::compile::{CLit, CRule, Term};
use super::facts::PredId;
use super::KnowledgeBase;
use crate::ast::{Const, Output, Question};
use crate::span::Span;

/// One compiled rule: one `or` alternative of a rule, for one of its conclusions.
#[derive(Debug, Clone)]
pub struct RuleView<'kb> {
    /// The rule's number in the knowledge base (stable for the knowledge base's life).
    pub id: usize,
    pub name: &'kb str,
    /// The `because` text, placeholders unfilled.
    pub reason: Option<&'kb str>,
    /// The rule's variables, in order of first appearance (placeholders name them).
    pub variables: &'kb [String],
    /// The advice IDs the rule cites.
    pub sources: &'kb [String],
    /// The factor the conclusion is given with (1 when the rule gives none).
    pub certainty_factor: f64,
    /// Which `or` alternative (0 when the rule has none) and how many the rule has.
    pub alternative: usize,
    pub alternatives: usize,
    /// The whole rule, and its name.
    pub span: Span,
    pub name_span: Span,
    pub conclusion: AtomView<'kb>,
    /// The conditions of this alternative, in the order written.
    pub conditions: Vec<ConditionView<'kb>>,
}

/// A predicate applied to arguments, as written in a rule.
#[derive(Debug, Clone)]
pub struct AtomView<'kb> {
    pub predicate: &'kb str,
    pub args: Vec<ArgView<'kb>>,
    pub span: Span,
}

/// One argument of an atom: a value, a variable, `_`, or (in a conclusion) arithmetic.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgView<'kb> {
    Value(Const),
    Var(&'kb str),
    Any,
    Computed,
}

#[derive(Debug, Clone)]
pub enum ConditionView<'kb> {
    /// `p(X)`: holds when a matching fact holds.
    Holds(AtomView<'kb>),
    /// `not p(X)`: holds when no matching fact holds.
    Absent(AtomView<'kb>),
    /// A comparison or a membership test (`X < 3`, `X in [a, b]`).
    Test { span: Span },
}

impl ConditionView<'_> {
    pub fn span(&self) -> Span {
        match self {
            ConditionView::Holds(a) | ConditionView::Absent(a) => a.span,
            ConditionView::Test { span } => *span,
        }
    }
    /// The atom of a positive or negated condition.
    pub fn atom(&self) -> Option<&AtomView<'_>> {
        match self {
            ConditionView::Holds(a) | ConditionView::Absent(a) => Some(a),
            ConditionView::Test { .. } => None,
        }
    }
}

/// A predicate of the program: what declares it, how many facts the rule files state, and
/// which rules conclude and read it.
#[derive(Debug, Clone)]
pub struct PredicateView<'kb> {
    pub name: &'kb str,
    pub arity: usize,
    pub question: Option<&'kb Question>,
    pub output: Option<&'kb Output>,
    /// Facts of it stated in the rule files.
    pub stated: usize,
    /// Ids of the rules that conclude it, and of those whose conditions read it (under `not`
    /// too), in id order.
    pub concluded_by: Vec<usize>,
    pub read_by: Vec<usize>,
}

impl KnowledgeBase {
    /// How many compiled rules there are (ids `0..rule_count()`).
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Compiled rule `id`.
    pub fn rule(&self, id: usize) -> RuleView<'_> {
        let r = &self.rules[id];
        let m = &r.meta;
        RuleView {
            id,
            name: &m.name,
            reason: m.because.as_deref(),
            variables: &m.var_names,
            sources: &m.sources,
            certainty_factor: r.cf,
            alternative: m.alternative,
            alternatives: m.alternatives,
            span: m.span,
            name_span: m.name_span,
            conclusion: AtomView {
                predicate: self.pred_name(r.head.pred),
                args: r
                    .head
                    .args
                    .iter()
                    .map(|e| match e {
                        super::compile::CExpr::Term(t) => self.arg_view(r, *t),
                        super::compile::CExpr::Bin(..) => ArgView::Computed,
                    })
                    .collect(),
                span: m.head_span,
            },
            conditions: r
                .body
                .iter()
                .zip(m.literals.iter())
                .map(|(l, &span)| match l {
                    CLit::Pos(a) => ConditionView::Holds(self.atom_view(r, a.pred, &a.args, span)),
                    CLit::Neg(a) => ConditionView::Absent(self.atom_view(r, a.pred, &a.args, span)),
                    CLit::Cmp(..) | CLit::In(..) => ConditionView::Test { span },
                })
                .collect(),
        }
    }

    /// Every compiled rule, in id order.
    pub fn rules(&self) -> impl Iterator<Item = RuleView<'_>> {
        (0..self.rules.len()).map(|id| self.rule(id))
    }

    fn atom_view<'a>(
        &'a self,
        r: &'a CRule,
        pred: PredId,
        args: &[Term],
        span: Span,
    ) -> AtomView<'a> {
        AtomView {
            predicate: self.pred_name(pred),
            args: args.iter().map(|&t| self.arg_view(r, t)).collect(),
            span,
        }
    }

    fn arg_view<'a>(&'a self, r: &'a CRule, t: Term) -> ArgView<'a> {
        match t {
            Term::Const(v) => ArgView::Value(self.interner.to_const(v)),
            Term::Var(v) => ArgView::Var(&r.meta.var_names[v as usize]),
            Term::Any => ArgView::Any,
        }
    }

    /// Every predicate the program knows (declared, stated, concluded or read), by name and
    /// arity.
    pub fn predicates(&self) -> Vec<PredicateView<'_>> {
        let mut out: Vec<PredicateView<'_>> = (0..self.base.preds.len() as PredId)
            .map(|p| {
                let info = &self.base.preds[p as usize];
                let name = self.pred_name(p);
                PredicateView {
                    name,
                    arity: info.arity,
                    question: self.question(name).filter(|_| info.arity == 1),
                    output: self
                        .outputs
                        .iter()
                        .find(|o| o.name.node == name && o.params.len() == info.arity),
                    stated: info.ids.len(),
                    concluded_by: Vec::new(),
                    read_by: Vec::new(),
                }
            })
            .collect();
        for (id, r) in self.rules.iter().enumerate() {
            out[r.head.pred as usize].concluded_by.push(id);
            for l in r.body.iter() {
                if let CLit::Pos(a) | CLit::Neg(a) = l {
                    let readers = &mut out[a.pred as usize].read_by;
                    if readers.last() != Some(&id) {
                        readers.push(id);
                    }
                }
            }
        }
        out.sort_by(|a, b| (a.name, a.arity).cmp(&(b.name, b.arity)));
        out
    }

    /// The predicate of this name and arity, if the program knows it.
    pub fn predicate(&self, name: &str, arity: usize) -> Option<PredicateView<'_>> {
        self.predicates()
            .into_iter()
            .find(|p| p.name == name && p.arity == arity)
    }
}

/// A question's bound as a JSON number.
fn number(c: &crate::ast::Const) -> Option<crate::wire::Value> {
    match *c {
        crate::ast::Const::Int(i) => Some(crate::wire::Value::Int(i)),
        crate::ast::Const::Dec(d) => Some(crate::wire::Value::Dec(d)),
        _ => None,
    }
}

impl KnowledgeBase {
    /// The questions as `because questions --format json` lists them.
    pub fn question_list(&self) -> crate::wire::Questions {
        crate::wire::Questions {
            questions: self
                .questions()
                .map(|q| crate::wire::Question {
                    name: q.name.node.clone(),
                    prompt: q.prompt.node.clone(),
                    ty: q.ty.name(),
                    many: q.many,
                    allowed: q
                        .allowed
                        .iter()
                        .map(|v| match &v.node {
                            crate::ast::Const::Sym(s) | crate::ast::Const::Str(s) => s.clone(),
                            c => c.to_string(),
                        })
                        .collect(),
                    min: q.min.as_ref().and_then(|c| number(&c.node)),
                    max: q.max.as_ref().and_then(|c| number(&c.node)),
                })
                .collect(),
            outputs: self
                .outputs()
                .map(|o| crate::wire::OutputDecl {
                    name: o.name.node.clone(),
                    label: o.label.node.clone(),
                    params: o.params.iter().map(|p| p.node.clone()).collect(),
                })
                .collect(),
            names: self
                .names
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb(text: &str) -> KnowledgeBase {
        KnowledgeBase::from_sources(&[("t.rules", text)])
            .map_err(|e| e.to_string())
            .expect("compiles")
    }

    /// The view names every part of a rule: alternatives, conclusion, conditions with their
    /// polarity, arguments as values and variables.
    #[test]
    fn rules_are_seen_with_named_parts() {
        let kb = kb("question q \"?\" many of a, b\n\
             output out(X) \"Out\"\n\
             fact s(a, 1)\n\
             rule r because \"{X}\" source K1 when (q(X) or s(X, _)) and not q(b) and X != c \
             then out(X) with certainty 0.5\n");
        assert_eq!(kb.rule_count(), 2);
        let r = kb.rule(1);
        assert_eq!((r.name, r.alternative, r.alternatives), ("r", 1, 2));
        assert_eq!(r.reason, Some("{X}"));
        assert_eq!(r.sources, ["K1".to_string()]);
        assert_eq!(r.certainty_factor, 0.5);
        assert_eq!(r.conclusion.predicate, "out");
        assert_eq!(r.conclusion.args, [ArgView::Var("X")]);
        assert_eq!(r.conditions.len(), 3);
        let ConditionView::Holds(a) = &r.conditions[0] else {
            panic!("a positive condition first")
        };
        assert_eq!(a.predicate, "s");
        assert_eq!(a.args, [ArgView::Var("X"), ArgView::Any]);
        let ConditionView::Absent(n) = &r.conditions[1] else {
            panic!("then a negated one")
        };
        assert_eq!(n.args, [ArgView::Value(Const::Sym("b".into()))]);
        assert!(matches!(r.conditions[2], ConditionView::Test { .. }));
    }

    /// Predicates say what declares them and who concludes and reads them.
    #[test]
    fn predicates_know_their_writers_and_readers() {
        let kb = kb("question q \"?\" many of a, b\n\
             output out(X) \"Out\"\n\
             fact s(a)\nfact s(b)\n\
             rule r1 when q(X) then mid(X)\n\
             rule r2 when mid(X) and not s(X) then out(X)\n\
             rule r3 when s(X) then out(X)\n");
        let mid = kb.predicate("mid", 1).expect("mid");
        assert_eq!(mid.concluded_by, [0]);
        assert_eq!(mid.read_by, [1]);
        let s = kb.predicate("s", 1).expect("s");
        assert_eq!(s.stated, 2);
        assert_eq!(s.read_by, [1, 2]);
        assert!(s.concluded_by.is_empty());
        let q = kb.predicate("q", 1).expect("q");
        assert!(q.question.is_some() && q.output.is_none());
        let out = kb.predicate("out", 1).expect("out");
        assert!(out.output.is_some());
        assert_eq!(out.concluded_by, [1, 2]);
        assert!(kb.predicate("nothing", 1).is_none());
    }
}
