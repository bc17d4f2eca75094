//! Static checks over a parsed program. Each check is a small function returning diagnostics;
//! `check_program` runs them all and sorts the result by position.

mod declarations;
pub mod levels;
mod predicates;
mod reads;
mod safety;
mod size;
mod strata;
pub mod values;

use crate::ast::*;
use crate::deps::DepGraph;
use crate::diag::{Bounded, Diagnostic};
use crate::program::{FlatRule, Program};
use crate::span::Span;
use std::collections::BTreeMap;

/// Where a predicate occurs, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Use {
    Question,
    Output,
    Fact,
    Head,
    Body,
    Negated,
}

#[derive(Debug, Clone)]
pub struct Occurrence {
    pub arity: usize,
    pub span: Span,
    pub kind: Use,
}

/// Everything the checks share: the flat rules and every occurrence of every predicate.
pub struct Context<'a> {
    pub program: &'a Program,
    pub rules: Vec<FlatRule<'a>>,
    pub preds: BTreeMap<&'a str, Vec<Occurrence>>,
    pub questions: BTreeMap<&'a str, &'a Question>,
    /// The predicate dependency graph of the flat rules: built here, once, and kept by the
    /// knowledge base for everyone else.
    pub deps: DepGraph,
    /// The predicates that can hold facts (see `predicates::live_predicates`), computed once
    /// for the checks that need them.
    live: std::cell::OnceCell<crate::keyed::KeyedSet<&'a str>>,
    /// The predicates something defines (see [`Context::is_defined`]), found when first
    /// asked for.
    defined: std::cell::OnceCell<crate::keyed::KeyedSet<&'a str>>,
}

impl<'a> Context<'a> {
    pub fn new(program: &'a Program, rules: Vec<FlatRule<'a>>) -> Self {
        let mut preds: BTreeMap<&str, Vec<Occurrence>> = BTreeMap::new();
        fn add<'a>(preds: &mut BTreeMap<&'a str, Vec<Occurrence>>, a: &'a Atom, kind: Use) {
            preds.entry(&a.pred.node).or_default().push(Occurrence {
                arity: a.args.len(),
                span: a.pred.span,
                kind,
            })
        }
        let mut questions = BTreeMap::new();
        // Stated facts may number hundreds of thousands, and only the arity check needs them
        // one by one (to report each fact whose arity differs). So each predicate keeps its
        // first fact, and all its facts only when some use of it has another arity.
        let fact_use = |f: &FactRef| Occurrence {
            arity: f.arity(),
            span: f.pred_span(),
            kind: Use::Fact,
        };
        let mut mixed_facts = std::collections::BTreeSet::new();
        // In a chunk, a run of facts of one predicate and arity adds nothing after its first
        // (the later ones come later in the file): one lookup a run, not a fact.
        let runs = program.fact_chunks().flat_map(|chunk| {
            let mut last = None;
            chunk.iter().filter(move |f| {
                let key = Some((f.pred_id(), f.arity()));
                std::mem::replace(&mut last, key) != key
            })
        });
        for f in runs {
            let occs = preds.entry(f.pred()).or_default();
            match occs.first_mut() {
                None => occs.push(fact_use(&f)),
                Some(first) => {
                    if first.arity != f.arity() {
                        mixed_facts.insert(f.pred());
                    }
                    if f.pred_span() < first.span {
                        *first = fact_use(&f);
                    }
                }
            }
        }
        for item in program.items() {
            match item {
                Item::Rule(r) => {
                    // The body first: it comes before the heads in the source, so each
                    // predicate's occurrences arrive in file order and need no sorting.
                    visit_body(&r.body, &mut |l| match l {
                        Literal::Positive(a) => add(&mut preds, a, Use::Body),
                        Literal::Negative(a) => add(&mut preds, a, Use::Negated),
                        _ => {}
                    });
                    for h in &r.heads {
                        add(&mut preds, &h.atom, Use::Head);
                    }
                }
                Item::Question(q) => {
                    questions.entry(q.name.node.as_str()).or_insert(&**q);
                    preds.entry(&q.name.node).or_default().push(Occurrence {
                        arity: 1,
                        span: q.name.span,
                        kind: Use::Question,
                    });
                }
                Item::Output(o) => preds.entry(&o.name.node).or_default().push(Occurrence {
                    arity: o.params.len(),
                    span: o.name.span,
                    kind: Use::Output,
                }),
                Item::Name(_) | Item::Threshold(_) | Item::Advice(_) => {}
            }
        }
        let all_facts: std::collections::BTreeSet<&str> = preds
            .iter()
            .filter(|(name, occs)| {
                occs.first().is_some_and(|first| {
                    first.kind == Use::Fact
                        && (mixed_facts.contains(*name)
                            || occs.iter().any(|o| o.arity != first.arity))
                })
            })
            .map(|(name, _)| *name)
            .collect();
        if !all_facts.is_empty() {
            for name in &all_facts {
                preds
                    .get_mut(name)
                    .expect("a predicate with facts")
                    .remove(0);
            }
            for f in program.facts().filter(|f| all_facts.contains(f.pred())) {
                preds
                    .get_mut(f.pred())
                    .expect("gathered")
                    .push(fact_use(&f));
            }
        }
        // In file order, as written (facts were gathered apart from the other items).
        for occ in preds.values_mut() {
            if !occ.is_sorted_by_key(|o| o.span) {
                occ.sort_by_key(|o| o.span);
            }
        }
        let deps = DepGraph::build(&rules, std::iter::empty());
        Context {
            program,
            deps,
            rules,
            preds,
            questions,
            live: std::cell::OnceCell::new(),
            defined: std::cell::OnceCell::new(),
        }
    }

    /// Whether anything can produce facts of `pred`: a question, a stated fact or a rule.
    pub fn is_defined(&self, pred: &str) -> bool {
        // Found once for all predicates: a predicate's uses can number hundreds of
        // thousands, and some checks ask about it once a use (W0202 took minutes on 500,000
        // rules reading one undefined predicate).
        self.defined
            .get_or_init(|| {
                let defines = |o: &Occurrence| {
                    matches!(o.kind, Use::Question | Use::Fact | Use::Head | Use::Output)
                };
                self.preds
                    .iter()
                    .filter(|(_, occ)| occ.iter().any(defines))
                    .map(|(&p, _)| p)
                    .chain(self.program.supplied.iter().map(String::as_str))
                    .collect()
            })
            .contains(pred)
    }
}

pub fn visit_body<'a>(b: &'a Body, f: &mut impl FnMut(&'a Literal)) {
    match b {
        Body::Literal(l) => f(l),
        Body::And(v) | Body::Or(v) => v.iter().for_each(|b| visit_body(b, f)),
    }
}

/// Every variable in an expression, in order.
pub fn expr_vars<'a>(e: &'a Expr, out: &mut Vec<(&'a str, Span)>) {
    match &e.node {
        ExprKind::Var(v) => out.push((v, e.span)),
        ExprKind::Binary(_, a, b) => {
            expr_vars(a, out);
            expr_vars(b, out);
        }
        ExprKind::Const(_) => {}
    }
}

/// The result of checking: every problem, errors and warnings, sorted by position, and the
/// predicate dependency graph the checks built.
#[derive(Debug, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    pub deps: DepGraph,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
    pub fn has_warnings(&self) -> bool {
        self.diagnostics.iter().any(|d| !d.is_error())
    }
}

/// Run every check. `parse_diags` are the syntax diagnostics from loading.
///
/// Each check's diagnostics are leveled (see `levels`) as they come and collected in a
/// [`Bounded`]: at most [`crate::diag::MAX_KEPT`] are kept (the first errors by place, then
/// warnings), the others counted in one summary (E0007).
pub fn check_program(program: &Program, parse_diags: Vec<Diagnostic>) -> Report {
    check_program_focused(program, parse_diags, &[])
}

/// [`check_program`], keeping the diagnostics of the files `focus` before others when more
/// are found than are kept (the language server's open files).
pub fn check_program_focused(
    program: &Program,
    parse_diags: Vec<Diagnostic>,
    focus: &[crate::span::FileId],
) -> Report {
    let (rules, flat_diags) = program.flat_rules();
    // A predicate may be defined by an item lost to a syntax error: "undefined" would be a
    // second, misleading error. It comes back, if true, once the syntax is fixed.
    // The same for what follows from the rules as a whole (a rule that never fires, an
    // output never concluded, a question never used).
    // (Syntax errors past the bound count too: a parser that left some out found thousands.)
    let syntax_broken = parse_diags.iter().chain(&flat_diags).any(|d| {
        matches!(d.code, "E0001" | "E0003") || d.omitted.as_ref().is_some_and(|o| o.errors > 0)
    });
    let mut project = levels::ProjectLevels::new();
    let mut config_diags = Vec::new();
    for &f in &program.configs {
        config_diags.extend(levels::read_project(
            f,
            program.sources.get(f),
            &mut project,
        ));
    }
    let (levels, unknown_lints) = levels::Levels::new(program, &project);
    let mut kept = Bounded::default().focused(focus);
    // Whether any check found an error, before levels (a denied warning does not hold back
    // the unread-fact check below).
    let mut errors = false;
    let add = |mut batch: Vec<Diagnostic>, kept: &mut Bounded, errors: &mut bool| {
        if syntax_broken {
            batch.retain(|d| !matches!(d.code, "E0101" | "W0202" | "W0203" | "W0204"));
        }
        *errors |= batch
            .iter()
            .any(|d| d.is_error() || d.omitted.as_ref().is_some_and(|o| o.errors > 0));
        levels.apply(&mut batch);
        kept.add(batch);
    };
    add(flat_diags, &mut kept, &mut errors);
    add(parse_diags, &mut kept, &mut errors);
    let cx = Context::new(program, rules);
    let checks: &[fn(&Context) -> Vec<Diagnostic>] = &[
        predicates::undefined,
        predicates::arity,
        predicates::never_fires,
        predicates::output_never_concluded,
        predicates::question_never_used,
        size::rule_size,
        safety::unsafe_variables,
        safety::singletons,
        safety::interpolation,
        safety::ground_facts,
        strata::negation_cycles,
        strata::negative_evidence_cycles,
        declarations::names,
        declarations::advice,
        declarations::ranges,
        declarations::output_sentences,
        values::duplicate_rules,
        values::duplicate_declarations,
        values::question_values,
        values::allowed_values,
        values::certainty_range,
        values::subsumed_rules,
    ];
    for check in checks {
        add(check(&cx), &mut kept, &mut errors);
    }
    // Whether a stated fact is read depends on every rule: while a rule has an error (and
    // may be lost to it), the warning would mislead. It comes once the errors are fixed.
    if !errors {
        add(reads::stated_facts_never_read(&cx), &mut kept, &mut errors);
    }
    // What the configuration files and the directives themselves say is not held back by
    // a syntax error.
    for mut batch in [config_diags, unknown_lints] {
        levels.apply(&mut batch);
        kept.add(batch);
    }
    Report {
        diagnostics: kept.finish(),
        deps: cx.deps,
    }
}

/// "a symbol", "an integer".
pub fn article(word: &str) -> String {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {word}")
    } else {
        format!("a {word}")
    }
}
