//! Differential test: the engine against a small, obviously correct reference evaluator
//! (naive stratified iteration, derivations enumerated over the final model, heights by
//! relaxation, certainties by the documented rules). proptest generates programs with
//! recursion, several strata of negation, comparisons, arithmetic and certainty factors, and
//! shrinks any failure to a minimal program.

use crate::common;
use because::ast::Const;
use because::engine::eval::Limits;
use because::engine::KnowledgeBase;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const VARS: [&str; 3] = ["X", "Y", "Z"];

#[derive(Debug, Clone)]
enum Term {
    Var(usize),
    Const(i64),
}

#[derive(Debug, Clone)]
struct Atom {
    pred: usize,
    args: Vec<Term>,
}

#[derive(Debug, Clone)]
struct Cmp {
    left: usize,
    op: usize,
    right: usize,
    add: i64,
    mul: bool,
}

#[derive(Debug, Clone)]
struct Rule {
    head: usize,
    /// Head arguments: indices into the variables bound by the body (or constants).
    head_args: Vec<Term>,
    body: Vec<Atom>,
    neg: Option<Atom>,
    cmp: Option<Cmp>,
    cf: Option<f64>,
}

/// Predicates 0 and 1 are base (`e0/1`, `e1/2`); 2.. are derived (`p2`, `p3`, ...), each with
/// an arity and a level (used to generate the rules only). Positive conditions read levels
/// at or below the rule's own, negations strictly below: every program is stratifiable.
#[derive(Debug, Clone)]
struct Prog {
    arity: Vec<usize>,
    facts: Vec<(usize, Vec<i64>, f64)>,
    rules: Vec<Rule>,
    /// `threshold N` when set (else the default, 0.2).
    threshold: Option<f64>,
}

impl Prog {
    fn theta(&self) -> f64 {
        self.threshold.unwrap_or(0.2)
    }
}

const OPS: [&str; 6] = ["=", "!=", "<", "<=", ">", ">="];

fn name(p: usize) -> String {
    if p < 2 {
        format!("e{p}")
    } else {
        format!("p{p}")
    }
}

fn term_text(t: &Term) -> String {
    match t {
        Term::Var(v) => VARS[*v].to_string(),
        Term::Const(c) => c.to_string(),
    }
}

fn atom_text(a: &Atom) -> String {
    let args: Vec<String> = a.args.iter().map(term_text).collect();
    format!("{}({})", name(a.pred), args.join(", "))
}

impl Prog {
    fn text(&self) -> String {
        let mut s = String::new();
        for p in 2..self.arity.len() {
            let params: Vec<&str> = (0..self.arity[p]).map(|i| ["A", "B"][i]).collect();
            s += &format!(
                "output {}({}) \"{}\"\n",
                name(p),
                params.join(", "),
                name(p)
            );
        }
        if let Some(t) = self.threshold {
            s += &format!("threshold {t:?}\n");
        }
        // Every base predicate has a fact, so none is undefined.
        s += "fact e0(0)\nfact e1(0, 0)\n";
        for (p, args, cf) in &self.facts {
            let a: Vec<String> = args.iter().map(|v| v.to_string()).collect();
            s += &format!(
                "fact {}({}) with certainty {cf:?}\n",
                name(*p),
                a.join(", ")
            );
        }
        for (i, r) in self.rules.iter().enumerate() {
            let mut conds: Vec<String> = r.body.iter().map(atom_text).collect();
            if let Some(n) = &r.neg {
                conds.push(format!("not {}", atom_text(n)));
            }
            if let Some(c) = &r.cmp {
                let rhs = if c.mul {
                    format!("{} * {}", VARS[c.right], c.add)
                } else {
                    format!("{} + {}", VARS[c.right], c.add)
                };
                conds.push(format!("{} {} {rhs}", VARS[c.left], OPS[c.op]));
            }
            let head: Vec<String> = r.head_args.iter().map(term_text).collect();
            let cf =
                r.cf.map_or(String::new(), |c| format!(" with certainty {c:?}"));
            s += &format!(
                "rule r{i} when {} then {}({}){cf}\n",
                conds.join(" and "),
                name(r.head),
                head.join(", ")
            );
        }
        s
    }
}

fn bound_vars(body: &[Atom]) -> Vec<usize> {
    let mut v: Vec<usize> = body
        .iter()
        .flat_map(|a| a.args.iter())
        .filter_map(|t| match t {
            Term::Var(v) => Some(*v),
            _ => None,
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

fn term() -> impl Strategy<Value = Term> {
    prop_oneof![3 => (0..3usize).prop_map(Term::Var), 1 => (0..3i64).prop_map(Term::Const)]
}

fn prog() -> impl Strategy<Value = Prog> {
    let preds = (
        prop::collection::vec(1..=2usize, 1..=4),
        prop::collection::vec(0..3usize, 1..=4),
    );
    preds
        .prop_flat_map(|(ar, lv)| {
            let n = 2 + ar.len().min(lv.len());
            let mut arity = vec![1, 2];
            arity.extend(ar.iter().take(n - 2));
            let mut level = vec![0, 0];
            let mut lv2: Vec<usize> = lv.iter().take(n - 2).copied().collect();
            lv2.sort();
            level.extend(lv2);
            let facts = prop::collection::vec(
                (
                    0..2usize,
                    prop::collection::vec(0..4i64, 2),
                    prop_oneof![Just(1.0), Just(0.8), Just(0.5), Just(-0.3)],
                ),
                0..10,
            );
            let (a2, l2) = (arity.clone(), level.clone());
            let rule = (
                2..n,
                prop::collection::vec((0..n, prop::collection::vec(term(), 2)), 1..=3),
                prop::option::of((0..n, prop::collection::vec(term(), 2))),
                prop::option::of((0..3usize, 0..6usize, 0..3usize, -1..3i64, any::<bool>())),
                prop::option::of(prop_oneof![
                    Just(0.3),
                    Just(0.7),
                    Just(-0.4),
                    Just(1.0),
                    Just(-1.0)
                ]),
                prop::collection::vec(0..3usize, 2),
            )
                .prop_map(move |(head, body, neg, cmp, cf, hsel)| {
                    // Evidence against a conclusion must not rest on the conclusion's own
                    // cycle (E0115): a rule with a negative factor reads lower levels only.
                    let negative = cf.is_some_and(|c| c < 0.0);
                    let body: Vec<Atom> = body
                        .into_iter()
                        .map(|(p, args)| {
                            // Positive conditions may read the rule's own level or below.
                            let p = if l2[p] < l2[head] || (l2[p] == l2[head] && !negative) {
                                p
                            } else {
                                p % 2
                            };
                            Atom {
                                pred: p,
                                args: args.into_iter().take(a2[p]).collect(),
                            }
                        })
                        .collect();
                    let bv = bound_vars(&body);
                    let pick = |i: usize| {
                        if bv.is_empty() {
                            Term::Const(i as i64)
                        } else {
                            Term::Var(bv[i % bv.len()])
                        }
                    };
                    let head_args = (0..a2[head]).map(|i| pick(hsel[i])).collect();
                    let neg = neg.map(|(p, args)| {
                        // Negation reads strictly lower levels (or base predicates).
                        let p = if p < 2 || l2[p] < l2[head] { p } else { p % 2 };
                        let args: Vec<Term> = args
                            .into_iter()
                            .take(a2[p])
                            .map(|t| match t {
                                Term::Var(v) if !bv.contains(&v) => Term::Const(v as i64),
                                t => t,
                            })
                            .collect();
                        Atom { pred: p, args }
                    });
                    let cmp = cmp.and_then(|(l, op, r, add, mul)| {
                        (!bv.is_empty()).then(|| Cmp {
                            left: bv[l % bv.len()],
                            op,
                            right: bv[r % bv.len()],
                            add,
                            mul,
                        })
                    });
                    Rule {
                        head,
                        head_args,
                        body,
                        neg,
                        cmp,
                        cf,
                    }
                });
            (
                Just(arity),
                Just(level),
                facts,
                prop::collection::vec(rule, 1..=6),
                prop_oneof![3 => Just(None), 1 => Just(Some(0.0)), 1 => Just(Some(0.5))],
            )
        })
        .prop_map(|(arity, _level, facts, rules, threshold)| {
            let mut seen = BTreeSet::new();
            let facts = facts
                .into_iter()
                .map(|(p, args, cf)| (p, args.into_iter().take(arity[p]).collect::<Vec<_>>(), cf))
                .filter(|(p, a, _)| {
                    seen.insert((*p, a.clone()))
                        && !(*p == 0 && a == &vec![0])
                        && !(*p == 1 && a == &vec![0, 0])
                })
                .collect();
            Prog {
                arity,
                facts,
                rules,
                threshold,
            }
        })
}

type Fact = (usize, Vec<i64>);

/// The reference, written for clarity, not speed (docs/semantics.md):
/// - components of the predicate dependency graph in order, each settled before any rule
///   that reads it runs (a component comes after every component that reaches it);
/// - in a component, naive iteration to the fixpoint, where a premise of an earlier
///   component (or a stated fact) must hold (certainty above the threshold), a premise of
///   the component must not be banned, and a negated fact must be absent or not hold;
/// - every derivation enumerated over the component's final facts; minimal heights by
///   relaxation; certainties with each rule counted once (its strongest derivation);
/// - the lowest of the component's facts at the threshold or below are banned and the
///   component is evaluated again, until no new fact is banned.
///
/// It once went level by level, a level holding several components. Then a weak fact of
/// an earlier component (settled first, so it simply does not hold) was banned beside a
/// fact of a later one that was weak only through it, which kept the later fact from
/// serving although it ended at certainty 1 (a regression case in
/// `tests/proptest-regressions/differential.txt`).
struct Reference {
    model: BTreeSet<Fact>,
    asserted: BTreeMap<Fact, f64>,
    derivations: Vec<(usize, Vec<Fact>, Fact)>,
    certainty: BTreeMap<Fact, f64>,
}

/// Every way rule `r` fires: premises from `usable`, negations against `present`.
fn solve(
    r: &Rule,
    usable: &dyn Fn(&Fact) -> bool,
    facts: &BTreeSet<Fact>,
    present: &dyn Fn(&Fact) -> bool,
) -> Vec<(Vec<Fact>, Fact)> {
    let mut out = Vec::new();
    #[allow(clippy::too_many_arguments)]
    fn go(
        r: &Rule,
        i: usize,
        env: &mut [Option<i64>; 3],
        prem: &mut Vec<Fact>,
        usable: &dyn Fn(&Fact) -> bool,
        facts: &BTreeSet<Fact>,
        present: &dyn Fn(&Fact) -> bool,
        out: &mut Vec<(Vec<Fact>, Fact)>,
    ) {
        if i == r.body.len() {
            let val = |t: &Term| match t {
                Term::Var(v) => env[*v].expect("bound"),
                Term::Const(c) => *c,
            };
            if let Some(n) = &r.neg {
                if present(&(n.pred, n.args.iter().map(val).collect())) {
                    return;
                }
            }
            if let Some(c) = &r.cmp {
                let (a, b) = (env[c.left].expect("bound"), env[c.right].expect("bound"));
                let rhs = if c.mul { b * c.add } else { b + c.add };
                let ok = match c.op {
                    0 => a == rhs,
                    1 => a != rhs,
                    2 => a < rhs,
                    3 => a <= rhs,
                    4 => a > rhs,
                    _ => a >= rhs,
                };
                if !ok {
                    return;
                }
            }
            out.push((
                prem.clone(),
                (r.head, r.head_args.iter().map(val).collect()),
            ));
            return;
        }
        let a = &r.body[i];
        for f in facts.iter().filter(|f| f.0 == a.pred && usable(f)) {
            let saved = *env;
            let ok = a.args.iter().zip(&f.1).all(|(t, &v)| match t {
                Term::Const(c) => *c == v,
                Term::Var(x) => match env[*x] {
                    Some(b) => b == v,
                    None => {
                        env[*x] = Some(v);
                        true
                    }
                },
            });
            if ok {
                prem.push(f.clone());
                go(r, i + 1, env, prem, usable, facts, present, out);
                prem.pop();
            }
            *env = saved;
        }
    }
    go(
        r,
        0,
        &mut [None; 3],
        &mut Vec::new(),
        usable,
        facts,
        present,
        &mut out,
    );
    out
}

/// MYCIN's combination, written out: supporting evidence, opposing evidence, then both.
fn combine(values: &[f64]) -> f64 {
    let pos = values
        .iter()
        .filter(|v| **v >= 0.0)
        .fold(None, |acc: Option<f64>, &b| {
            Some(acc.map_or(b, |a| a + b * (1.0 - a)))
        });
    let neg = values
        .iter()
        .filter(|v| **v < 0.0)
        .fold(None, |acc: Option<f64>, &b| {
            Some(acc.map_or(b, |a| a + b * (1.0 + a)))
        });
    match (pos, neg) {
        (Some(a), Some(b)) => {
            let d = 1.0 - a.abs().min(b.abs());
            if d == 0.0 {
                0.0
            } else {
                (a + b) / d
            }
        }
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => 0.0,
    }
}

impl Reference {
    fn run(p: &Prog) -> Reference {
        let theta = p.theta();
        let mut asserted = BTreeMap::new();
        asserted.insert((0, vec![0]), 1.0);
        asserted.insert((1, vec![0, 0]), 1.0);
        for (pr, a, cf) in &p.facts {
            asserted.insert((*pr, a.clone()), *cf);
        }
        // Components of the predicate dependency graph, from reachability (Floyd-Warshall).
        let n = p.arity.len();
        let mut reach = vec![vec![false; n]; n];
        for r in &p.rules {
            for a in r.body.iter().chain(r.neg.iter()) {
                reach[a.pred][r.head] = true;
            }
        }
        for k in 0..n {
            for i in 0..n {
                for j in 0..n {
                    if reach[i][k] && reach[k][j] {
                        reach[i][j] = true;
                    }
                }
            }
        }
        let together = |a: usize, b: usize| a == b || (reach[a][b] && reach[b][a]);
        let same = |a: &Fact, b: &Fact| together(a.0, b.0);
        // One representative a component (its least predicate), ordered by how many
        // predicates of other components reach it: a component reached from another is
        // reached from everything that reaches that one, and from it, so it comes later.
        let mut components: Vec<(usize, usize)> = (0..n)
            .filter(|&i| (0..i).all(|j| !together(i, j)))
            .map(|i| {
                let above = (0..n).filter(|&k| reach[k][i] && !together(k, i)).count();
                (above, i)
            })
            .collect();
        components.sort_unstable();
        let mut model: BTreeSet<Fact> = asserted.keys().cloned().collect();
        let mut certainty: BTreeMap<Fact, f64> = asserted.clone();
        let mut derivations = Vec::new();
        for (_, component) in components {
            let rules: Vec<(usize, &Rule)> = p
                .rules
                .iter()
                .enumerate()
                .filter(|(_, r)| together(r.head, component))
                .collect();
            if rules.is_empty() {
                continue;
            }
            let mut banned: BTreeSet<Fact> = BTreeSet::new();
            loop {
                // Facts of earlier components are final: they serve when they hold.
                let lower = model.clone();
                let lower_cf = certainty.clone();
                let holds = |f: &Fact| lower_cf.get(f).is_some_and(|c| *c > theta);
                let mut mine: BTreeSet<Fact> = BTreeSet::new();
                let usable = |f: &Fact, mine: &BTreeSet<Fact>| {
                    if mine.contains(f) {
                        !banned.contains(f)
                    } else {
                        holds(f)
                    }
                };
                let present = |f: &Fact| holds(f);
                loop {
                    let mut all = lower.clone();
                    all.extend(mine.iter().cloned());
                    let mut new = Vec::new();
                    for (_, r) in &rules {
                        for (_, h) in solve(r, &|f| usable(f, &mine), &all, &present) {
                            if !lower.contains(&h) && !mine.contains(&h) {
                                new.push(h);
                            }
                        }
                    }
                    if new.is_empty() {
                        break;
                    }
                    mine.extend(new);
                }
                let mut all = lower.clone();
                all.extend(mine.iter().cloned());
                let mut ds: Vec<(usize, Vec<Fact>, Fact)> = Vec::new();
                for (i, r) in &rules {
                    for (prem, h) in solve(r, &|f| usable(f, &mine), &all, &present) {
                        ds.push((*i, prem, h));
                    }
                }
                // Minimal heights within components, by relaxation.
                let mut h: BTreeMap<Fact, u64> = BTreeMap::new();
                let height = |h: &BTreeMap<Fact, u64>, f: &Fact| {
                    if asserted.contains_key(f) || !mine.contains(f) {
                        0
                    } else {
                        h.get(f).copied().unwrap_or(u64::MAX)
                    }
                };
                loop {
                    let mut changed = false;
                    for (_, prem, head) in &ds {
                        let inner: Vec<u64> = prem
                            .iter()
                            .filter(|q| same(q, head))
                            .map(|q| height(&h, q))
                            .collect();
                        if inner.iter().all(|x| *x != u64::MAX) {
                            let cand = 1 + inner.iter().copied().max().unwrap_or(0);
                            if cand < height(&h, head) {
                                h.insert(head.clone(), cand);
                                changed = true;
                            }
                        }
                    }
                    if !changed {
                        break;
                    }
                }
                let counted = |head: &Fact, prem: &[Fact]| {
                    !asserted.contains_key(head)
                        && prem
                            .iter()
                            .all(|q| !same(q, head) || height(&h, q) < height(&h, head))
                };
                // Certainties over the (acyclic) counted derivations, in passes.
                let mut cf: BTreeMap<Fact, f64> = lower_cf.clone();
                while mine.iter().any(|f| !cf.contains_key(f)) {
                    for f in &mine {
                        if cf.contains_key(f) {
                            continue;
                        }
                        let evidence: Vec<&(usize, Vec<Fact>, Fact)> = ds
                            .iter()
                            .filter(|(_, prem, head)| head == f && counted(head, prem))
                            .collect();
                        if !evidence
                            .iter()
                            .all(|(_, prem, _)| prem.iter().all(|q| cf.contains_key(q)))
                        {
                            continue;
                        }
                        // Each rule once: its strongest derivation.
                        let mut per_rule: BTreeMap<usize, f64> = BTreeMap::new();
                        for (r, prem, _) in evidence {
                            let weakest = prem.iter().map(|q| cf[q]).fold(1.0f64, f64::min);
                            let v = p.rules[*r].cf.unwrap_or(1.0) * weakest.max(0.0);
                            let e = per_rule.entry(*r).or_insert(v);
                            if v.abs() > e.abs() {
                                *e = v;
                            }
                        }
                        let values: Vec<f64> = per_rule.into_values().collect();
                        cf.insert(f.clone(), combine(&values));
                    }
                }
                // Only the lowest weak facts are banned (docs/semantics.md).
                let weak: Vec<Fact> = mine
                    .iter()
                    .filter(|f| cf[*f] <= theta && !banned.contains(*f))
                    .cloned()
                    .collect();
                let lowest = weak.iter().map(|f| height(&h, f)).min();
                let weak: Vec<Fact> = weak
                    .into_iter()
                    .filter(|f| Some(height(&h, f)) == lowest)
                    .collect();
                if weak.is_empty() {
                    model.extend(mine);
                    certainty = cf;
                    derivations.extend(ds);
                    break;
                }
                banned.extend(weak);
            }
        }
        Reference {
            model,
            asserted,
            derivations,
            certainty,
        }
    }
}

/// An answer: `pred(args)` with `certainty`.
fn input_fact(pred: &str, args: Vec<i64>, certainty: f64) -> because::engine::InputFact {
    because::engine::InputFact {
        pred: pred.into(),
        args: args.into_iter().map(Const::Int).collect(),
        certainty,
        origin: Default::default(),
    }
}

/// The values of the program's stated `e0` facts.
fn stated_e0(p: &Prog) -> Vec<i64> {
    p.facts
        .iter()
        .filter(|(pred, ..)| *pred == 0)
        .map(|(_, args, _)| args[0])
        .collect()
}

/// The program with `e0` a question: rules reading it are open, the others closed (see
/// `engine::closed`). Batch runs through one scratch (copying the closed components, then
/// keeping them from run to run) give, input after input, the graph a fresh run gives, id
/// for id: inputs that leave the closed components alone, and `e1` facts, which they may
/// read (then everything is evaluated, and the next run starts over).
fn batch_with_questions(p: &Prog, text: &str) -> Result<(), TestCaseError> {
    let text = format!("{text}question e0 \"E0?\" many integer\n");
    let compile = || KnowledgeBase::from_sources(&[("gen.rules", text.as_str())]).ok();
    let (Some(kb), Some(plain)) = (compile(), compile()) else {
        return Ok(());
    };
    let fact = |pred: &str, args: Vec<i64>| input_fact(pred, args, 1.0);
    let stated = stated_e0(p);
    let mut inputs = vec![
        vec![],
        stated
            .iter()
            .take(1)
            .map(|&v| fact("e0", vec![v]))
            .collect(),
        vec![fact("e0", vec![7]), fact("e0", vec![0])],
        vec![fact("e1", vec![0, 1])],
        stated.iter().map(|&v| fact("e0", vec![v + 1])).collect(),
    ];
    inputs.push(inputs[2].clone());
    let mut scratch = because::engine::Scratch::default();
    for round in 0..2 {
        for (i, input) in inputs.iter().enumerate() {
            let want = plain
                .run(input, Limits::default())
                .map(|g| common::graph_text(&g))
                .map_err(|e| format!("{e:?}"));
            let got = kb.run_with(&mut scratch, input, Limits::default());
            let got = match got {
                Ok(g) => {
                    let t = common::graph_text(&g);
                    scratch.recycle(g);
                    Ok(t)
                }
                Err(e) => Err(format!("{e:?}")),
            };
            prop_assert_eq!(
                got,
                want,
                "batch run {} of round {} differs from a run for:\n{}",
                i,
                round,
                text
            );
        }
    }
    Ok(())
}

/// The program with `e0` a question and no stated `e0` facts, run for many fact sets at
/// once (`ask::sets`): each set's batch line is the line its own run gives, where the
/// program can be run so (`SetProgram::of`: not with a recursive component reading `e0`).
fn sets_agree(p: &Prog, text: &str) -> Result<(), TestCaseError> {
    use because::ask::sets::{SetInput, SetProgram};
    use because::wire::BatchInput;
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("fact e0("))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + "question e0 \"E0?\" many integer\n";
    let Ok(kb) = KnowledgeBase::from_sources(&[("gen.rules", text.as_str())]) else {
        return Ok(());
    };
    let Some(sets) = SetProgram::of(&kb) else {
        return Ok(());
    };
    let fact = |v: i64, certainty: f64| input_fact("e0", vec![v], certainty);
    let stated = stated_e0(p);
    let inputs = [
        vec![],
        vec![fact(0, 1.0)],
        stated.iter().map(|&v| fact(v, 0.7)).collect(),
        vec![fact(7, 1.0), fact(0, 0.5), fact(1, -0.4)],
        stated.iter().map(|&v| fact(v + 1, 1.0)).collect(),
        vec![fact(2, 0.3), fact(1, 1.0)],
    ];
    let mut one = because::engine::Scratch::default();
    let want: Vec<String> = inputs
        .iter()
        .enumerate()
        .map(|(i, facts)| {
            because::ask::batch_run(
                &kb,
                &mut one,
                BatchInput::Line(i + 1),
                facts,
                Limits::default(),
            )
            .0
        })
        .collect();
    let mut many = because::engine::Scratch::default();
    for round in 0..2 {
        let input: Vec<SetInput<'_>> = inputs
            .iter()
            .enumerate()
            .map(|(i, facts)| SetInput {
                input: BatchInput::Line(i + 1),
                facts,
            })
            .collect();
        let Some(got) = sets.lines(&mut many, &input, Limits::default()) else {
            continue;
        };
        prop_assert_eq!(
            &got,
            &want,
            "many fact sets at once (round {}) differ from their own runs for:\n{}",
            round,
            text
        );
    }
    Ok(())
}

fn check(p: &Prog) -> Result<(), TestCaseError> {
    let text = p.text();
    let kb = match KnowledgeBase::from_sources(&[("gen.rules", &text)]) {
        Ok(kb) => kb,
        Err(e) => {
            let d = because::diag::render(
                &e.report.diagnostics,
                &e.program.sources,
                because::diag::ErrorFormat::Plain,
                false,
            );
            return Err(TestCaseError::fail(format!(
                "generated program rejected:\n{text}\n{d}"
            )));
        }
    };
    let mut g = kb
        .run(&[], Limits::default())
        .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
    // Batch runs copy what no input can change (here, every component: the program asks
    // nothing) from one evaluation of it: the same graph, id for id, the first time through
    // a scratch and the next.
    let mut scratch = because::engine::Scratch::default();
    for round in 0..2 {
        let b = kb
            .run_with(&mut scratch, &[], Limits::default())
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert_eq!(
            common::graph_text(&b),
            common::graph_text(&g),
            "a batch run (round {}) differs from a run for:\n{}",
            round,
            text
        );
        scratch.recycle(b);
    }
    batch_with_questions(p, &text)?;
    sets_agree(p, &text)?;
    let reference = Reference::run(p);
    let expected = reference.certainty.clone();
    let _ = (&reference.model, &reference.asserted);
    let mut got: BTreeMap<Fact, f64> = BTreeMap::new();
    for pr in 0..p.arity.len() {
        for f in g.facts_of(&name(pr), p.arity[pr]) {
            let args: Vec<i64> = g
                .values(f)
                .into_iter()
                .map(|v| match v {
                    Const::Int(i) => i,
                    other => panic!("unexpected value {other:?}"),
                })
                .collect();
            got.insert((pr, args), g.certainty(f));
        }
    }
    let gk: BTreeSet<&Fact> = got.keys().collect();
    let ek: BTreeSet<&Fact> = expected.keys().collect();
    prop_assert_eq!(gk, ek, "facts differ for program:\n{}", text);
    for (f, e) in &expected {
        let v = got[f];
        prop_assert!(
            (v - e).abs() < 1e-9,
            "certainty of {:?}: engine {} reference {}\nprogram:\n{}",
            f,
            v,
            e,
            text
        );
    }
    // Derivation counts agree too: every distinct derivation is recorded exactly once.
    prop_assert_eq!(
        g.derivation_count(),
        reference.derivations.len(),
        "derivation count differs for:\n{}",
        text
    );
    why_not_agrees(p, &mut g, &expected, &text)
}

/// why-not's search (its own join over the final facts, through the engine's indexes)
/// agrees with the engine: a derived fact has a rule whose conditions all hold, and for a
/// fact of a derived predicate that was not derived, every rule that could conclude it has
/// a condition that fails.
fn why_not_agrees(
    p: &Prog,
    g: &mut because::engine::graph::FactGraph<'_>,
    model: &BTreeMap<Fact, f64>,
    text: &str,
) -> Result<(), TestCaseError> {
    use because::explain::why_not::{self, Target};
    let derived_preds: BTreeSet<usize> = p.rules.iter().map(|r| r.head).collect();
    let mut targets: Vec<(Fact, bool)> = Vec::new();
    for &pr in &derived_preds {
        let tuples: Vec<Vec<i64>> = if p.arity[pr] == 1 {
            (0..4).map(|a| vec![a]).collect()
        } else {
            (0..4)
                .flat_map(|a| (0..4).map(move |b| vec![a, b]))
                .collect()
        };
        for t in tuples {
            let f = (pr, t);
            let holds = model.contains_key(&f);
            targets.push((f, holds));
        }
    }
    for ((pr, args), holds) in targets {
        let shown: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let fact = format!("{}({})", name(pr), shown.join(", "));
        let t = Target::parse(g, &fact).map_err(|_| TestCaseError::fail("target parses"))?;
        let w = why_not::explain(g, &t, 0);
        prop_assert_eq!(!w.holds.is_empty(), holds, "{} for:\n{}", fact, text);
        let complete = w
            .rules
            .iter()
            .any(|a| a.first_failure.is_none() && !a.search_truncated);
        prop_assert_eq!(
            complete,
            holds,
            "why-not of {} finds a complete match: {}, the engine derived it: {}\n{}",
            fact,
            complete,
            holds,
            text
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]
    #[test]
    fn engine_matches_reference(p in prog()) {
        check(&p)?;
    }
}
