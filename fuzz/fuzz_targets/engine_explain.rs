//! Generated programs (structured input): compile, run under limits, then explain every
//! fact (how, why-not, certainty) in text, JSON and DOT.
#![no_main]
use arbitrary::Arbitrary;
use because::engine::eval::Limits;
use because::engine::KnowledgeBase;
use because::explain::how::{self, HowOptions};
use because::explain::render;
use because::explain::why_not::{self, Target};
use libfuzzer_sys::fuzz_target;

#[path = "generated.rs"]
mod generated;
use generated::{term, Rule, ARITH, OPS};

#[derive(Arbitrary, Debug)]
struct Input {
    facts: Vec<(u8, u8, u8, u8)>,
    rules: Vec<Rule>,
    /// Facts with extreme integers (i64::MIN, i64::MAX, -1, 0), to meet arithmetic.
    extreme: Vec<(u8, u8)>,
    /// A rule with a long chain of operators (past the limit of 256: E0008).
    chain: Option<(u16, u8)>,
    /// A rule with many conditions and variables (past 256: E0119).
    wide: Option<u16>,
    threshold: Option<u8>,
}

const EXTREME: [i64; 5] = [i64::MIN, i64::MAX, -1, 0, i64::MIN + 1];

fn text(i: &Input) -> String {
    let mut s = String::new();
    for p in 0..4 {
        s += &format!("fact p{p}(0, 0)\n");
    }
    for &(p, a, b, c) in i.facts.iter().take(30) {
        s += &format!("fact p{}({}, {}) with certainty {:.2}\n", p % 4, a % 5, b % 5, (c as f64 / 255.0) * 2.0 - 1.0);
    }
    if let Some(t) = i.threshold {
        s += &format!("threshold {:.2}\n", f64::from(t % 100) / 100.0);
    }
    for &(p, v) in i.extreme.iter().take(6) {
        s += &format!("fact p{}({}, {})\n", p % 4, EXTREME[v as usize % 5], EXTREME[(v / 5) as usize % 5]);
    }
    if let Some((n, op)) = i.chain {
        let n = (n % 320) as usize;
        let op = ARITH[op as usize % 4];
        let chain: String = (0..n).map(|_| format!(" {op} X")).collect();
        s += &format!("rule chain when p0(X, Y) and Y < X{chain} then p4(X, Y)\n");
    }
    if let Some(w) = i.wide {
        let w = (w % 300) as usize + 1;
        let conds: Vec<String> = (0..w).map(|k| format!("p{}(V{k}, _)", k % 4)).collect();
        s += &format!("rule wide when {} then p5(V0, V0)\n", conds.join(" and "));
    }
    for (n, r) in i.rules.iter().take(8).enumerate() {
        let mut conds: Vec<String> = r.body.iter().take(3).map(|&(p, a, b)| format!("p{}({}, {})", p % 6, term(a), term(b))).collect();
        if conds.is_empty() {
            conds.push("p0(X, Y)".into());
        }
        if let Some((p, a)) = r.neg {
            conds.push(format!("not p{}({}, _)", p % 6, term(a)));
        }
        if let Some((a, op, b, k)) = r.cmp {
            conds.push(format!("{} {} {} {} {}", term(a), OPS[op as usize % 6], term(b), ARITH[(k as u8 % 4) as usize], k));
        }
        let mut body = conds.join(" and ");
        if let Some((p, a, b)) = r.or_alt {
            body = format!("({body}) or p{}({}, {})", p % 6, term(a), term(b));
        }
        let h = if r.head_expr {
            format!("{} + 1", term(r.head_args.0))
        } else {
            term(r.head_args.0)
        };
        let cf = r.cf.map_or(String::new(), |c| format!(" with certainty {:.2}", c as f64 / 128.0));
        s += &format!("rule r{n} because \"{{X}} and {{Y}}\" when {body} then p{}({h}, {}){cf}\n", 4 + r.head % 2, term(r.head_args.1));
    }
    s
}

fuzz_target!(|input: Input| {
    let src = text(&input);
    let Ok(kb) = KnowledgeBase::from_sources(&[("gen.rules", &src)]) else { return };
    let limits = Limits { max_facts: 20_000, ..Limits::default() };
    let Ok(mut g) = kb.run(&[], limits) else { return };
    let n = g.fact_count() as u32;
    for f in 0..n.min(40) {
        let h = how::explain(&g, f, HowOptions { all: f % 2 == 0, depth: (f % 3 == 0).then_some(2) });
        let _ = render::text::how(&h, Default::default());
        let _ = render::json(&h);
        let _ = render::dot::how_graph(&[&h]);
    }
    for p in 0..6 {
        let fact = format!("p{p}(1, _)");
        if let Ok(t) = Target::parse(&mut g, &fact) {
            let w = why_not::explain(&g, &t, 2);
            let _ = render::text::why_not(&w, Default::default());
            let _ = render::json(&w);
        }
    }
    let q = because::explain::query::query(&g, Some(HowOptions { all: true, depth: None }), None);
    let _ = render::text::query(&q, Default::default());
});
