//! Explanations, read from the fact graph: how a fact was reached ([`how`]), why a fact was
//! not reached ([`why_not`]) and how its certainty was combined ([`certainty`]). Each builds
//! a plain model (serialisable: the JSON format is the model itself); [`render`] turns
//! models into text or DOT.

pub mod certainty;
pub mod contrast;
pub mod how;
pub mod query;
pub mod render;
pub mod what_if;
pub mod why_not;

use crate::engine::compile::{CExpr, CLit, CRule, Term};
use crate::engine::facts::FactId;
use crate::engine::graph::FactGraph;
use crate::engine::value::{Args, Interner, Val};
use crate::engine::Origin;
use serde::Serialize;

/// Version of the JSON explanation format (`docs/explanation-schema.json`).
pub const SCHEMA_VERSION: &str = "2";

/// A place in a file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Location {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub byte_start: u32,
    pub byte_end: u32,
}

impl Location {
    pub fn from_origin(o: &Origin) -> Location {
        Location {
            file: o.file.to_string(),
            line: o.line,
            column: o.col,
            byte_start: o.start,
            byte_end: o.end,
        }
    }
    pub fn from_span(g: &FactGraph, s: crate::span::Span) -> Location {
        let (line, column) = g.kb.sources.line_col(s);
        Location {
            file: g.kb.sources.name(s.file).to_string(),
            line,
            column,
            byte_start: s.start,
            byte_end: s.end,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A rule as explanations show it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleRef {
    pub name: String,
    pub location: Location,
    /// Which `or` alternative, when the rule has several (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternative: Option<usize>,
    pub sources: Vec<String>,
    /// The rule's certainty factor.
    pub certainty_factor: f64,
}

pub fn rule_ref(g: &FactGraph, r: &CRule) -> RuleRef {
    RuleRef {
        name: r.meta.name.clone(),
        location: Location::from_span(g, r.meta.name_span),
        alternative: (r.meta.alternatives > 1).then_some(r.meta.alternative + 1),
        sources: r.meta.sources.to_vec(),
        certainty_factor: r.cf,
    }
}

/// A value for display: symbols bare, strings quoted.
pub fn show(i: &Interner, v: Val) -> String {
    i.show(v).to_string()
}

/// A value inside prose: strings without their quotes.
pub fn show_plain(i: &Interner, v: Val) -> String {
    match v {
        Val::Str(s) => i.name(s).to_string(),
        _ => show(i, v),
    }
}

/// A value as people read it: its display name (`name x "..."`) if it has one, else as
/// [`show_plain`] writes it.
pub fn display(g: &FactGraph, v: Val) -> String {
    match v {
        Val::Sym(s) => {
            let id = g.interner.name(s);
            g.kb.display_name(id).unwrap_or(id).to_string()
        }
        _ => show_plain(&g.interner, v),
    }
}

/// A conclusion of an output as a phrase people read: the output's sentence (`as "..."`)
/// with display names, else the display names joined.
pub fn sentence(g: &FactGraph, output: &crate::ast::Output, args: Args<'_>) -> String {
    let names: Vec<String> = args.iter().map(|v| display(g, v)).collect();
    match &output.display {
        Some(t) => {
            let params: Vec<String> = output.params.iter().map(|p| p.node.clone()).collect();
            interpolate(&t.node, &params, &|i| names.get(i).cloned())
        }
        None => names.join(", "),
    }
}

/// Fill `{X}` placeholders with bound values; `\{` is a literal brace.
pub fn interpolate(
    text: &str,
    names: &[String],
    value: &dyn Fn(usize) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['{', '\\']) {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        if let Some(stripped) = after.strip_prefix("\\{") {
            out.push('{');
            rest = stripped;
            continue;
        }
        if let Some(stripped) = after.strip_prefix('\\') {
            out.push('\\');
            rest = stripped;
            continue;
        }
        match after[1..].find('}') {
            Some(j) => {
                let name = &after[1..1 + j];
                match names.iter().position(|n| n == name).and_then(value) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&after[..j + 2]),
                }
                rest = &after[j + 2..];
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// An atom written with values where the bindings give them, variable names elsewhere.
pub fn atom_text(
    g: &FactGraph,
    pred: u32,
    args: &[Term],
    names: &[String],
    vals: &dyn Fn(u16) -> Option<Val>,
) -> String {
    let name = g.name_of(pred);
    if args.is_empty() {
        return name.to_string();
    }
    let a: Vec<String> = args
        .iter()
        .map(|t| match *t {
            Term::Const(c) => show(&g.interner, c),
            Term::Var(v) => {
                vals(v).map_or_else(|| names[v as usize].clone(), |x| show(&g.interner, x))
            }
            Term::Any => "_".into(),
        })
        .collect();
    format!("{name}({})", a.join(", "))
}

/// An expression written with its variables' names.
pub fn expr_text(g: &FactGraph, e: &CExpr, names: &[String]) -> String {
    match e {
        CExpr::Term(Term::Const(c)) => show(&g.interner, *c),
        CExpr::Term(Term::Var(v)) => names[*v as usize].clone(),
        CExpr::Term(Term::Any) => "_".into(),
        CExpr::Bin(op, a, b) => {
            let wrap = |x: &CExpr| match x {
                CExpr::Bin(..) => format!("({})", expr_text(g, x, names)),
                _ => expr_text(g, x, names),
            };
            format!("{} {} {}", wrap(a), op.symbol(), wrap(b))
        }
    }
}

/// Is this expression just a variable or constant (so its value needs no separate mention)?
pub fn is_plain(e: &CExpr) -> bool {
    matches!(e, CExpr::Term(_))
}

/// Text of a test condition (comparison or membership) in the rule language.
pub fn test_text(g: &FactGraph, l: &CLit, names: &[String]) -> String {
    match l {
        CLit::Cmp(a, op, b) => format!(
            "{} {} {}",
            expr_text(g, a, names),
            op.symbol(),
            expr_text(g, b, names)
        ),
        CLit::In(e, neg, vals) => {
            let list: Vec<String> = vals.iter().map(|v| show(&g.interner, *v)).collect();
            format!(
                "{} {}in [{}]",
                expr_text(g, e, names),
                if *neg { "not " } else { "" },
                list.join(", ")
            )
        }
        _ => String::new(),
    }
}

/// Round a certainty for display and for JSON (so output does not vary in the last bits).
pub fn round_cf(x: f64) -> f64 {
    let r = (x * 1e6).round() / 1e6;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// A certainty to two decimals, as every text shows it. Rounded first as [`round_cf`]
/// rounds (so 0.62499999 from one computation and 0.625 from another both read 0.63).
pub fn fmt_cf(x: f64) -> String {
    let r = (round_cf(x) * 100.0).round() / 100.0;
    let r = if r == 0.0 { 0.0 } else { r };
    format!("{r:.2}")
}

/// A fact or pattern in plain words: `written in: flask, python`, an output by its label;
/// variables without a value read "any".
pub fn pattern_words(
    g: &FactGraph,
    pred: u32,
    args: &[Term],
    vals: &dyn Fn(u16) -> Option<Val>,
) -> String {
    let name = g.name_of(pred);
    let shown: Vec<String> = args
        .iter()
        .map(|t| match *t {
            Term::Const(c) => display(g, c),
            Term::Var(v) => vals(v).map_or_else(|| "any".to_string(), |x| display(g, x)),
            Term::Any => "any".to_string(),
        })
        .collect();
    words_for(g, name, &shown)
}

#[derive(Debug, Clone, Serialize)]
pub struct Binding {
    pub var: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorView {
    pub rule: RuleRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    pub message: String,
    pub bindings: Vec<Binding>,
}

/// Rule errors (for the rules `want` selects), sorted.
pub fn errors_for(g: &FactGraph, want: impl Fn(u32) -> bool) -> Vec<ErrorView> {
    let mut out: Vec<ErrorView> = g
        .errors
        .iter()
        .filter(|e| want(e.rule))
        .map(|e| {
            let r = &g.kb.rules[e.rule as usize];
            ErrorView {
                rule: rule_ref(g, r),
                condition: e.literal.map(|i| g.kb.text(r.meta.literals[i])),
                message: e.message.clone(),
                bindings: r
                    .meta
                    .var_names
                    .iter()
                    .zip(&e.bindings)
                    .filter_map(|(n, v)| {
                        v.map(|v| Binding {
                            var: n.clone(),
                            value: show(&g.interner, v),
                        })
                    })
                    .collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.rule.name, &a.condition, &a.message).cmp(&(&b.rule.name, &b.condition, &b.message))
    });
    out.dedup_by(|a, b| {
        a.rule.name == b.rule.name && a.condition == b.condition && a.message == b.message
    });
    out
}

/// A fact in plain words: a question's answer as `name: value`, an output with its label.
pub fn words(g: &FactGraph, f: FactId) -> String {
    let args: Vec<String> = g.store.args(f).iter().map(|v| display(g, v)).collect();
    words_for(g, g.pred_name(f), &args)
}

/// Plain words for a predicate applied to displayed arguments.
pub fn words_for(g: &FactGraph, name: &str, args: &[String]) -> String {
    if let Some(o) =
        g.kb.outputs()
            .find(|o| o.name.node == name && o.params.len() == args.len())
    {
        return match &o.display {
            Some(t) => {
                let params: Vec<String> = o.params.iter().map(|p| p.node.clone()).collect();
                format!(
                    "{}: {}",
                    o.label.node,
                    interpolate(&t.node, &params, &|i| args.get(i).cloned())
                )
            }
            None => format!("{}: {}", o.label.node, args.join(", ")),
        };
    }
    let pretty =
        g.kb.display_name(name)
            .map_or_else(|| name.replace('_', " "), str::to_string);
    if args.is_empty() {
        pretty
    } else {
        format!("{pretty}: {}", args.join(", "))
    }
}

/// The wire name of why a derivation is not combined.
pub fn not_counted_code(n: crate::engine::graph::NotCounted) -> &'static str {
    use crate::engine::graph::NotCounted;
    match n {
        NotCounted::Cycle => "cycle",
        NotCounted::SameRule => "same_rule",
        NotCounted::Asserted => "asserted",
    }
}

/// Why a derivation is not combined, in words (after "not combined: ").
pub fn not_counted_words(code: &str) -> &'static str {
    match code {
        "cycle" => "it rests on a fact derived no earlier than this one",
        "same_rule" => "the same rule counts once, by its strongest derivation",
        "asserted" => "the fact is given, and its assertions decide",
        _ => "",
    }
}
