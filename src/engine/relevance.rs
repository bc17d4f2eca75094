//! Which questions still matter: the analysis behind a consultation (`because consult`, and
//! any other front end that asks questions one at a time).
//!
//! A rule is *live* while it can still contribute to an output: its conclusion leads to an
//! output (the dependency graph, read backwards), no answer given so far contradicts one of
//! its question conditions, and it fires in an optimistic model (the answers so far plus
//! every allowed value of every open question). A question is worth asking while a live rule
//! reads it; the one that most live rules read comes first.

use super::compile::{CLit, Term};
use super::eval::Limits;
use super::{InputFact, KnowledgeBase, Origin};
use crate::ast::{Const, Question, ValueType};
use std::collections::{BTreeMap, BTreeSet};

/// A question condition in a compiled rule: which question, which value (if constant),
/// negated or not.
#[derive(Debug, Clone)]
struct QuestionUse {
    question: String,
    value: Option<Const>,
    negated: bool,
}

/// The answers given so far, with what a consultation needs to go on: which questions were
/// skipped, in what order everything was answered, and which rules can still fire.
pub struct Consultation<'kb> {
    kb: &'kb KnowledgeBase,
    /// Per rule: its question conditions.
    uses: Vec<Vec<QuestionUse>>,
    /// Per rule: whether its conclusion can lead to an output.
    leads_to_output: Vec<bool>,
    /// Per rule: whether it can still fire, whatever the open questions' answers (refreshed
    /// after each answer).
    possible: Vec<bool>,
    answers: BTreeMap<String, Vec<(Const, f64)>>,
    skipped: BTreeSet<String>,
    history: Vec<String>,
}

impl<'kb> Consultation<'kb> {
    /// A consultation with no answers yet.
    pub fn new(kb: &'kb KnowledgeBase) -> Self {
        let questions: BTreeSet<&str> = kb.questions().map(|q| q.name.node.as_str()).collect();
        let uses = kb
            .rules
            .iter()
            .map(|r| {
                r.body
                    .iter()
                    .filter_map(|l| {
                        let (a, negated) = match l {
                            CLit::Pos(a) => (a, false),
                            CLit::Neg(a) => (a, true),
                            _ => return None,
                        };
                        let name = kb.pred_name(a.pred);
                        questions.contains(name).then(|| QuestionUse {
                            question: name.to_string(),
                            value: match a.args.first() {
                                Some(Term::Const(c)) => Some(kb.interner.to_const(*c)),
                                _ => None,
                            },
                            negated,
                        })
                    })
                    .collect()
            })
            .collect();
        let reach: BTreeSet<&str> = kb
            .deps
            .reaching(kb.outputs().map(|o| o.name.node.as_str()))
            .into_iter()
            .collect();
        let leads_to_output = kb
            .rules
            .iter()
            .map(|r| reach.contains(kb.pred_name(r.head.pred)))
            .collect();
        let mut c = Consultation {
            kb,
            uses,
            leads_to_output,
            possible: vec![true; kb.rules.len()],
            answers: BTreeMap::new(),
            skipped: BTreeSet::new(),
            history: Vec::new(),
        };
        c.refresh();
        c
    }

    /// Start from answers already given (a facts file). They are not part of the history:
    /// `back` does not undo them.
    pub fn preset(&mut self, facts: Vec<InputFact>) {
        for f in facts {
            if let Some(c) = f.args.into_iter().next() {
                self.answers
                    .entry(f.pred)
                    .or_default()
                    .push((c, f.certainty));
            }
        }
        self.refresh();
    }

    /// Answer question `q` with `values` (each certain).
    pub fn answer(&mut self, q: &str, values: Vec<Const>) {
        self.answers.insert(
            q.to_string(),
            values.into_iter().map(|v| (v, 1.0)).collect(),
        );
        self.history.push(q.to_string());
        self.refresh();
    }

    /// Leave question `q` unanswered ("I do not know").
    pub fn skip(&mut self, q: &str) {
        self.skipped.insert(q.to_string());
        self.history.push(q.to_string());
        self.refresh();
    }

    /// Undo the last answer or skip; returns the question it concerned.
    pub fn back(&mut self) -> Option<String> {
        let prev = self.history.pop()?;
        self.answers.remove(&prev);
        self.skipped.remove(&prev);
        self.refresh();
        Some(prev)
    }

    /// The knowledge base asked about.
    pub fn knowledge_base(&self) -> &'kb KnowledgeBase {
        self.kb
    }

    /// The answers so far, by question.
    pub fn answers(&self) -> &BTreeMap<String, Vec<(Const, f64)>> {
        &self.answers
    }

    /// The answers as input facts for a run.
    pub fn facts(&self) -> Vec<InputFact> {
        let mut out = Vec::new();
        for (k, vs) in &self.answers {
            for (c, cf) in vs {
                out.push(InputFact {
                    pred: k.clone(),
                    args: vec![c.clone()],
                    certainty: *cf,
                    origin: Origin {
                        file: "<consultation>".into(),
                        key: Some(k.as_str().into()),
                        ..Origin::default()
                    },
                });
            }
        }
        out
    }

    /// Recompute which rules could still fire, from an optimistic model: the answers so far,
    /// plus every allowed value of every open question. Rules with negations or with
    /// questions whose values cannot be listed are kept (the model cannot rule them out).
    fn refresh(&mut self) {
        let mut facts = self.facts();
        for q in self.kb.questions() {
            let n = &q.name.node;
            if self.answers.contains_key(n) || self.skipped.contains(n) {
                continue;
            }
            let values: Vec<Const> = match q.ty {
                ValueType::Boolean => vec![Const::Bool(true), Const::Bool(false)],
                _ => q.allowed.iter().map(|v| v.node.clone()).collect(),
            };
            for v in values {
                facts.push(InputFact {
                    pred: n.clone(),
                    args: vec![v],
                    certainty: 1.0,
                    origin: Origin::default(),
                });
            }
        }
        let Ok(g) = self.kb.run(&facts, Limits::default()) else {
            return;
        };
        let mut fired = vec![false; self.kb.rules.len()];
        for r in g.fired_rules() {
            fired[r] = true;
        }
        let open_ended: BTreeSet<&str> = self
            .kb
            .questions()
            .filter(|q| q.ty != ValueType::Boolean && q.allowed.is_empty())
            .map(|q| q.name.node.as_str())
            .collect();
        self.possible = (0..self.kb.rules.len())
            .map(|r| {
                fired[r]
                    || self.kb.rules[r]
                        .body
                        .iter()
                        .any(|l| matches!(l, CLit::Neg(_)))
                    || self.uses[r]
                        .iter()
                        .any(|u| open_ended.contains(u.question.as_str()))
            })
            .collect();
    }

    /// Whether rule `r` can still contribute to an output.
    pub fn live(&self, r: usize) -> bool {
        self.possible[r]
            && self.leads_to_output[r]
            && self.uses[r].iter().all(|u| {
                if self.skipped.contains(&u.question) {
                    return u.negated;
                }
                let Some(ans) = self.answers.get(&u.question) else {
                    return true;
                };
                let has = |c: &Const| ans.iter().any(|(a, _)| a == c);
                match (&u.value, u.negated) {
                    (Some(c), false) => has(c),
                    (Some(c), true) => !has(c),
                    (None, false) => !ans.is_empty(),
                    (None, true) => ans.is_empty(),
                }
            })
    }

    /// The live rules that read question `q`, in id order.
    pub fn rules_needing(&self, q: &str) -> Vec<usize> {
        (0..self.kb.rules.len())
            .filter(|&r| self.live(r) && self.uses[r].iter().any(|u| u.question == q))
            .collect()
    }

    /// What an answer to question `q` can change: per output (in declaration order), the
    /// live rules concluding it whose conditions depend on `q`, directly or through the
    /// facts other live rules conclude from it.
    pub fn matters_to(&self, q: &str) -> Vec<(&'kb str, Vec<usize>)> {
        let kb = self.kb;
        let mut depends: BTreeSet<&str> = BTreeSet::from([q]);
        let mut rules = vec![false; kb.rules.len()];
        loop {
            let mut grew = false;
            for (r, rule) in kb.rules.iter().enumerate() {
                if rules[r] || !self.live(r) {
                    continue;
                }
                let reads = rule.body.iter().any(|l| match l {
                    CLit::Pos(a) | CLit::Neg(a) => depends.contains(kb.pred_name(a.pred)),
                    _ => false,
                });
                if reads {
                    rules[r] = true;
                    depends.insert(kb.pred_name(rule.head.pred));
                    grew = true;
                }
            }
            if !grew {
                break;
            }
        }
        kb.outputs()
            .filter_map(|o| {
                let name = o.name.node.as_str();
                let mine: Vec<usize> = (0..kb.rules.len())
                    .filter(|&r| rules[r] && kb.pred_name(kb.rules[r].head.pred) == name)
                    .collect();
                (!mine.is_empty()).then_some((name, mine))
            })
            .collect()
    }

    /// The next question worth asking: of the open ones, the one the most live rules (by
    /// name) read; declaration order breaks ties. `None` when no answer can change an output.
    pub fn next(&self) -> Option<&'kb Question> {
        let mut best: Option<(&Question, usize)> = None;
        for q in self.kb.questions() {
            let n = &q.name.node;
            if self.answers.contains_key(n) || self.skipped.contains(n) {
                continue;
            }
            let names: BTreeSet<&str> = self
                .rules_needing(n)
                .iter()
                .map(|&r| self.kb.rules[r].meta.name.as_str())
                .collect();
            let score = names.len();
            if score > 0 && best.is_none_or(|(_, s)| score > s) {
                best = Some((q, score));
            }
        }
        best.map(|(q, _)| q)
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

    const RULES: &str = "question lang \"Language?\" one of python, ruby\n\
        question db \"Database?\" one of sql, nosql\n\
        question size \"Size?\" one of small, large\n\
        question colour \"Colour?\" one of red, blue\n\
        output pick(F) \"Pick\"\n\
        rule django when lang(python) and db(sql) then pick(django)\n\
        rule flask when lang(python) and db(nosql) then pick(flask)\n\
        rule rails when lang(ruby) then pick(rails)\n\
        rule small when lang(python) and size(small) then pick(flask)\n\
        rule unused when colour(red) then shade(red)\n";

    /// The question most rules read comes first; one that leads to no output is never asked.
    #[test]
    fn asks_what_most_rules_need_and_never_what_leads_nowhere() {
        let kb = kb(RULES);
        let mut c = Consultation::new(&kb);
        assert_eq!(c.next().map(|q| q.name.node.as_str()), Some("lang"));
        c.answer("lang", vec![Const::Sym("python".into())]);
        // db is read by two live rules, size by one; rails is dead now.
        assert_eq!(c.next().map(|q| q.name.node.as_str()), Some("db"));
        assert!(!c.live(2), "rails cannot fire for a python team");
        c.answer("db", vec![Const::Sym("sql".into())]);
        assert_eq!(c.next().map(|q| q.name.node.as_str()), Some("size"));
        c.skip("size");
        // `colour` only concludes `shade`, which is no output.
        assert_eq!(c.next(), None);
    }

    /// An answer matters to an output through the rules that read it, and through the rules
    /// that read what those conclude; never through a dead rule.
    #[test]
    fn an_answer_matters_to_outputs_through_chains_of_live_rules() {
        let kb = kb("question size \"Size?\" one of small, large\n\
             question lang \"Language?\" one of python, ruby\n\
             output pick(F) \"Pick\"\n\
             output style(S) \"Style\"\n\
             rule big when size(large) then big\n\
             rule spring when big and lang(python) then pick(spring)\n\
             rule split when big then style(services)\n\
             rule rails when lang(ruby) then pick(rails)\n");
        let mut c = Consultation::new(&kb);
        let names = |c: &Consultation, q: &str| -> Vec<(String, Vec<String>)> {
            c.matters_to(q)
                .into_iter()
                .map(|(o, rs)| {
                    let mut n: Vec<String> =
                        rs.iter().map(|&r| kb.rule(r).name.to_string()).collect();
                    n.dedup();
                    (o.to_string(), n)
                })
                .collect()
        };
        assert_eq!(
            names(&c, "size"),
            vec![
                ("pick".to_string(), vec!["spring".to_string()]),
                ("style".to_string(), vec!["split".to_string()]),
            ]
        );
        c.answer("lang", vec![Const::Sym("ruby".into())]);
        assert_eq!(
            names(&c, "size"),
            vec![("style".to_string(), vec!["split".to_string()])],
            "spring cannot fire for a ruby team"
        );
    }

    /// `back` undoes the last answer or skip, and the question is open again.
    #[test]
    fn back_reopens_the_last_question() {
        let kb = kb(RULES);
        let mut c = Consultation::new(&kb);
        c.answer("lang", vec![Const::Sym("ruby".into())]);
        // Only rails is live for a ruby team, and it needs nothing more.
        assert_eq!(c.next(), None);
        assert_eq!(c.back().as_deref(), Some("lang"));
        assert!(c.answers().is_empty());
        assert_eq!(c.next().map(|q| q.name.node.as_str()), Some("lang"));
        assert_eq!(c.back(), None);
    }

    /// A rule that no answers could make fire (it needs a fact no file states) is not live,
    /// so its questions are not asked for its sake.
    #[test]
    fn a_rule_that_cannot_fire_is_not_live() {
        let kb = kb("question a \"A?\" one of x, y\n\
             output out(V) \"Out\"\n\
             fact known(w)\n\
             rule never when a(x) and known(z) then out(one)\n");
        let c = Consultation::new(&kb);
        assert!(!c.live(0));
        assert_eq!(c.next(), None);
    }

    /// Answers given up front count, and become input facts with their certainty.
    #[test]
    fn preset_answers_count_and_keep_their_certainty() {
        let kb = kb(RULES);
        let mut c = Consultation::new(&kb);
        c.preset(vec![InputFact {
            pred: "lang".into(),
            args: vec![Const::Sym("python".into())],
            certainty: 0.7,
            origin: Origin::default(),
        }]);
        assert_eq!(c.next().map(|q| q.name.node.as_str()), Some("db"));
        let facts = c.facts();
        assert_eq!(facts.len(), 1);
        assert_eq!(facts[0].certainty, 0.7);
        assert_eq!(facts[0].origin.key.as_deref(), Some("lang"));
    }
}
