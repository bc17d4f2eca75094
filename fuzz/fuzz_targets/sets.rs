//! Differential: many fact sets in one run of the rewritten program (`ask::sets`, the
//! batch's fast path) against each set's own run. Generated programs (structured input)
//! with two questions read by rules, negated, compared and joined; a dozen fact sets of
//! answers with certainties. Where the program is rewritten and the run of all gives
//! lines, each must be byte for byte its set's own line.
#![no_main]
use arbitrary::Arbitrary;
use because::ask::sets::{SetInput, SetProgram};
use because::ast::Const;
use because::engine::eval::Limits;
use because::engine::{InputFact, KnowledgeBase, Scratch};
use because::wire::BatchInput;
use libfuzzer_sys::fuzz_target;

#[path = "generated.rs"]
mod generated;
use generated::{term, Rule, ARITH, OPS};

#[derive(Arbitrary, Debug)]
struct Input {
    facts: Vec<(u8, u8, u8, u8)>,
    rules: Vec<Rule>,
    threshold: Option<u8>,
    /// Fact sets: each answer is (question, value, certainty).
    sets: Vec<Vec<(bool, u8, u8)>>,
}

/// A condition on p0..p5 (two arguments) or on a question q0, q1 (one).
fn atom(p: u8, a: u8, b: u8) -> String {
    match p % 8 {
        6 => format!("q0({})", term(a)),
        7 => format!("q1({})", term(a)),
        p => format!("p{p}({}, {})", term(a), term(b)),
    }
}

fn text(i: &Input) -> String {
    let mut s = String::from(
        "question q0 \"Q0?\" many integer\n\
         question q1 \"Q1?\" many integer\n\
         output p4(A, B) \"p4\"\n\
         output p5(A, B) \"p5\"\n\
         output p2(A, B) \"p2\"\n",
    );
    for p in 0..4 {
        s += &format!("fact p{p}(0, 0)\n");
    }
    // Stated facts of p0..p3 (read by no rule's conclusion) and, now and then, of p4 (which
    // rules conclude from answers: the program is then not rewritten).
    for &(p, a, b, c) in i.facts.iter().take(20) {
        let p = if p % 16 == 15 { 4 } else { p % 4 };
        s += &format!(
            "fact p{p}({}, {}) with certainty {:.2}\n",
            a % 5,
            b % 5,
            (c as f64 / 255.0) * 2.0 - 1.0
        );
    }
    if let Some(t) = i.threshold {
        s += &format!("threshold {:.2}\n", f64::from(t % 100) / 100.0);
    }
    for (n, r) in i.rules.iter().take(8).enumerate() {
        let mut conds: Vec<String> = r.body.iter().take(3).map(|&(p, a, b)| atom(p, a, b)).collect();
        if conds.is_empty() {
            conds.push("p0(X, Y)".into());
        }
        if let Some((p, a)) = r.neg {
            conds.push(format!("not {}", atom(p, a, 255)).replace(", 3)", ", _)"));
        }
        if let Some((a, op, b, k)) = r.cmp {
            conds.push(format!(
                "{} {} {} {} {}",
                term(a),
                OPS[op as usize % 6],
                term(b),
                ARITH[(k as u8 % 4) as usize],
                k
            ));
        }
        let mut body = conds.join(" and ");
        if let Some((p, a, b)) = r.or_alt {
            body = format!("({body}) or {}", atom(p, a, b));
        }
        let h = if r.head_expr {
            format!("{} + 1", term(r.head_args.0))
        } else {
            term(r.head_args.0)
        };
        let cf = r
            .cf
            .map_or(String::new(), |c| format!(" with certainty {:.2}", c as f64 / 128.0));
        // Heads p4 and p5, and now and then p2 (which also has stated facts).
        let head = [4, 5, 4, 5, 4, 5, 4, 2][r.head as usize % 8];
        s += &format!(
            "rule r{n} when {body} then p{head}({h}, {}){cf}\n",
            term(r.head_args.1)
        );
    }
    s
}

fuzz_target!(|input: Input| {
    let src = text(&input);
    let Ok(kb) = KnowledgeBase::from_sources(&[("gen.rules", &src)]) else { return };
    let Some(sets) = SetProgram::of(&kb) else { return };
    let facts: Vec<Vec<InputFact>> = input
        .sets
        .iter()
        .take(12)
        .map(|answers| {
            let mut v: Vec<InputFact> = Vec::new();
            for &(q, value, c) in answers.iter().take(4) {
                let f = InputFact {
                    pred: if q { "q1" } else { "q0" }.into(),
                    args: vec![Const::Int(i64::from(value % 5))],
                    certainty: (f64::from(c) / 255.0) * 2.0 - 1.0,
                    origin: Default::default(),
                };
                // A facts file gives each answer once.
                if !v.iter().any(|g| g.pred == f.pred && g.args == f.args) {
                    v.push(f);
                }
            }
            v
        })
        .collect();
    let limits = Limits { max_facts: 20_000, ..Limits::default() };
    let mut one = Scratch::default();
    let alone: Vec<String> = facts
        .iter()
        .enumerate()
        .map(|(i, f)| because::ask::batch_run(&kb, &mut one, BatchInput::Line(i + 1), f, limits).0)
        .collect();
    let input: Vec<SetInput<'_>> = facts
        .iter()
        .enumerate()
        .map(|(i, f)| SetInput { input: BatchInput::Line(i + 1), facts: f })
        .collect();
    let mut many = Scratch::default();
    for _ in 0..2 {
        if let Some(lines) = sets.lines(&mut many, &input, limits) {
            assert_eq!(lines, alone, "many sets at once differ from their own runs for:\n{src}");
        }
    }
});
