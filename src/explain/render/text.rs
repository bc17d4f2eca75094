//! Explanations as text for people. The rule language shows only with `verbose`.

use crate::explain::certainty::CertaintyExplanation;
use crate::explain::contrast::{capitalised, Contrast};
use crate::explain::how::{Condition, How};
use crate::explain::query::{QueryResult, Reason};
use crate::explain::what_if::{QueryDiff, Standing, WhatIf};
use crate::explain::why_not::{Status, WhyNot};
use crate::explain::ErrorView;
use crate::explain::{fmt_cf, Location};
use std::fmt::Write;

/// Indentation stops growing past this depth, so very deep trees stay readable.
const MAX_INDENT: usize = 24;

/// Reasons listed per conclusion without `--verbose`.
const MAX_REASONS: usize = 4;

#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub verbose: bool,
    pub color: bool,
    /// How this reader asks for every derivation, where some are not shown (the CLI's
    /// `use --all`; each front end words its own).
    pub show_all: &'static str,
}

impl Style {
    /// The command line's style (and that of what shows its output: golden files, tests).
    pub fn command_line(verbose: bool, color: bool) -> Style {
        Style {
            verbose,
            color,
            show_all: "use --all",
        }
    }

    fn bold(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn dim(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[2m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn pad(depth: usize) -> String {
    "  ".repeat(depth.min(MAX_INDENT))
}

fn loc(l: &Location) -> String {
    format!("{}:{}", l.file, l.line)
}

/// `file:line` of a rule, with its `or` alternative when it has several.
fn rule_place(r: &crate::explain::RuleRef) -> String {
    match r.alternative {
        Some(a) => format!("{}, alternative {a}", loc(&r.location)),
        None => loc(&r.location),
    }
}

fn given_text(l: &Location, key: &Option<String>) -> String {
    match key {
        Some(k) => format!("given in {}:{}:{} (`{k}`)", l.file, l.line, l.column),
        None => format!("stated in {}:{}", l.file, l.line),
    }
}

pub fn query(q: &QueryResult, st: Style) -> String {
    let mut out = String::new();
    let mut any = false;
    for o in &q.outputs {
        if o.concluded.is_empty() && o.ruled_out.is_empty() && o.below_threshold.is_empty() {
            continue;
        }
        any = true;
        let _ = writeln!(out, "{}", st.bold(&o.label));
        for c in &o.concluded {
            let tie = match (c.tied_with.is_empty(), c.tied_not_listed) {
                (true, _) => String::new(),
                (false, 0) => format!("  (tied with {})", c.tied_with.join(", ")),
                (false, n) => format!("  (tied with {} and {n} more)", c.tied_with.join(", ")),
            };
            let _ = writeln!(
                out,
                "  {}. {}  {}{tie}",
                c.rank.unwrap_or(0),
                st.bold(&c.text),
                st.dim(&format!("certainty {}", fmt_cf(c.certainty)))
            );
            let shown = if st.verbose {
                c.reasons.len()
            } else {
                c.reasons.len().min(MAX_REASONS)
            };
            for r in &c.reasons[..shown] {
                let against = if r.certainty < 0.0 { "against: " } else { "" };
                let _ = write!(out, "     - {against}{}", r.text);
                if st.verbose {
                    let _ = write!(
                        out,
                        "  [{} {}, {:+.2}{}]",
                        r.rule.name,
                        loc(&r.rule.location),
                        r.certainty,
                        sources(&r.rule.sources)
                    );
                }
                out.push('\n');
            }
            if shown < c.reasons.len() {
                let more = c.reasons.len() - shown;
                let _ = writeln!(
                    out,
                    "     ({more} more reason{}; --verbose shows all)",
                    if more == 1 { "" } else { "s" }
                );
            }
            if let Some(h) = &c.explanation {
                for line in how(h, st).lines() {
                    if line.is_empty() {
                        out.push('\n');
                    } else {
                        let _ = writeln!(out, "     {line}");
                    }
                }
            }
        }
        if !o.below_threshold.is_empty() {
            let list: Vec<String> = o
                .below_threshold
                .iter()
                .map(|c| format!("{} ({})", c.text, fmt_cf(c.certainty)))
                .collect();
            let _ = writeln!(
                out,
                "  too weak to count (certainty {} or less): {}",
                fmt_cf(q.threshold),
                list.join(", ")
            );
        }
        // Ruled-out conclusions grouped by their strongest reason against, in order.
        for grp in &o.ruled_out_groups {
            let _ = writeln!(
                out,
                "  ruled out ({}): {}",
                fmt_cf(grp.certainty),
                grp.reason
            );
        }
        out.push('\n');
    }
    if !any && q.answers_given == 0 && q.questions > 0 {
        out.push_str("No answers were given, so there is nothing to conclude yet.\n");
        out.push_str(
            "Answer some questions in a facts file (`because questions` lists them, with the values \
             each takes), or run `because consult` to be asked only the ones that matter.\n",
        );
    } else if !any {
        out.push_str("No conclusions: the facts given match no rule that concludes an output.\n");
        out.push_str("Run `because why-not 'OUTPUT(VALUE)'` to see what is missing.\n");
    }
    errors(&mut out, &q.errors);
    out
}

/// ` — K2, D1` after a rule's place in verbose lines: the advice its reason rests on.
fn sources(ids: &[String]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        format!(" — {}", ids.join(", "))
    }
}

fn errors(out: &mut String, errs: &[ErrorView]) {
    if errs.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "Rule errors (these rule instances could not be evaluated):"
    );
    for e in errs {
        let binds: Vec<String> = e
            .bindings
            .iter()
            .map(|b| format!("{} = {}", b.var, b.value))
            .collect();
        let _ = writeln!(
            out,
            "  rule `{}` at {}: {}{}{}",
            e.rule.name,
            loc(&e.rule.location),
            e.message,
            e.condition
                .as_ref()
                .map_or(String::new(), |c| format!(" in `{c}`")),
            if binds.is_empty() {
                String::new()
            } else {
                format!(" (with {})", binds.join(", "))
            }
        );
    }
}

enum Task {
    Node(usize, usize),
    Line(String),
}

pub fn how(h: &How, st: Style) -> String {
    let mut out = String::new();
    let root = &h.nodes[0];
    let _ = writeln!(
        out,
        "{} — certainty {}\n",
        st.bold(if st.verbose { &root.fact } else { &root.words }),
        fmt_cf(root.certainty)
    );
    let mut printed = vec![false; h.nodes.len() + 1];
    let mut stack = vec![Task::Node(1, 0)];
    while let Some(t) = stack.pop() {
        let (id, depth) = match t {
            Task::Line(l) => {
                out.push_str(&l);
                out.push('\n');
                continue;
            }
            Task::Node(id, depth) => (id, depth),
        };
        let n = &h.nodes[id - 1];
        let name = if st.verbose { &n.fact } else { &n.words };
        let p = pad(depth);
        if printed[id] {
            let _ = writeln!(out, "{p}[{id}] {name} (see [{id}] above)");
            continue;
        }
        printed[id] = true;
        let mut tasks = Vec::new();
        let given: Vec<String> = n
            .given
            .iter()
            .map(|g| given_text(&g.location, &g.key))
            .collect();
        let mut head = format!("{p}[{id}] {name}");
        if !given.is_empty() {
            head.push_str(&format!(" — {}", given.join("; ")));
        }
        if n.certainty != 1.0 || n.given.is_empty() {
            head.push_str(&format!(" — certainty {}", fmt_cf(n.certainty)));
        }
        tasks.push(Task::Line(head));
        if n.cut {
            tasks.push(Task::Line(format!(
                "{p}    … see [{id}]: not expanded beyond --depth; run `because explain '{}'` for its own tree",
                n.fact
            )));
        }
        for d in &n.derivations {
            let adds = match d.not_counted {
                None => format!("contributing {}", fmt_cf(d.certainty)),
                Some(why) => format!(
                    "{} not combined: {}",
                    fmt_cf(d.certainty),
                    crate::explain::not_counted_words(why)
                ),
            };
            tasks.push(Task::Line(format!(
                "{p}    by rule `{}` ({}), {adds}",
                d.rule.name,
                rule_place(&d.rule),
            )));
            if let Some(r) = &d.reason {
                tasks.push(Task::Line(format!("{p}      {r}")));
            }
            if st.verbose && !d.bindings.is_empty() {
                let b: Vec<String> = d
                    .bindings
                    .iter()
                    .map(|b| format!("{} = {}", b.var, b.value))
                    .collect();
                tasks.push(Task::Line(format!("{p}      with {}", b.join(", "))));
            }
            for c in &d.conditions {
                match c {
                    Condition::Fact { node, .. } => tasks.push(Task::Node(*node, depth + 3)),
                    Condition::Compare {
                        text,
                        left,
                        left_value,
                        op,
                        right,
                        right_value,
                    } => {
                        let side = |e: &str, v: &str| {
                            if e == v {
                                v.to_string()
                            } else {
                                format!("{e} = {v}")
                            }
                        };
                        let body = if st.verbose {
                            format!(
                                "{} {op} {}   ({text})",
                                side(left, left_value),
                                side(right, right_value)
                            )
                        } else {
                            format!("{left_value} {op} {right_value}")
                        };
                        tasks.push(Task::Line(format!("{}✓ {body}", pad(depth + 3))));
                    }
                    Condition::Member {
                        text,
                        value,
                        negated,
                        values,
                    } => {
                        let body = format!(
                            "{value} is {}one of {}",
                            if *negated { "not " } else { "" },
                            values.join(", ")
                        );
                        let body = if st.verbose {
                            format!("{body}   ({text})")
                        } else {
                            body
                        };
                        tasks.push(Task::Line(format!("{}✓ {body}", pad(depth + 3))));
                    }
                    Condition::Absent { fact, words, .. } => {
                        let what = if st.verbose {
                            format!("`{fact}`")
                        } else {
                            words.clone()
                        };
                        tasks.push(Task::Line(format!(
                            "{}✓ no {what} was given or derived",
                            pad(depth + 3)
                        )));
                    }
                }
            }
        }
        if n.unrecorded_derivations > 0 {
            tasks.push(Task::Line(format!(
                "{p}    ({} more derivation{} not recorded: at most {} are kept per fact)",
                n.unrecorded_derivations,
                if n.unrecorded_derivations == 1 {
                    ""
                } else {
                    "s"
                },
                crate::engine::eval::MAX_DERIVATIONS_PER_FACT
            )));
        }
        if n.other_derivations > 0 {
            tasks.push(Task::Line(format!(
                "{p}    ({} other derivation{} not shown; {})",
                n.other_derivations,
                if n.other_derivations == 1 { "" } else { "s" },
                st.show_all
            )));
        }
        stack.extend(tasks.into_iter().rev());
    }
    out.push('\n');
    certainty(&mut out, &h.certainty, st);
    errors(&mut out, &h.errors);
    out
}

pub fn certainty(out: &mut String, c: &CertaintyExplanation, st: Style) {
    let _ = writeln!(
        out,
        "{} {}: {}",
        st.bold("Certainty of"),
        c.fact,
        fmt_cf(c.certainty)
    );
    for e in &c.evidence {
        let sign = if e.certainty < 0.0 { "-" } else { "+" };
        let what = match (&e.rule, &e.location) {
            (Some(r), _) => format!("rule `{}` ({})", r.name, loc(&r.location)),
            (None, Some(l)) => format!("given in {}", loc(l)),
            _ => String::new(),
        };
        let mut line = format!("  {sign} {}  {what}", fmt_cf(e.certainty.abs()));
        if let (Some(w), Some(r)) = (e.weakest_premise, &e.rule) {
            if w != 1.0 {
                line.push_str(&format!(
                    " (factor {} × weakest condition {})",
                    fmt_cf(r.certainty_factor),
                    fmt_cf(w)
                ));
            }
        }
        if let Some(why) = e.not_counted {
            line.push_str(&format!(
                " (not combined: {})",
                crate::explain::not_counted_words(why)
            ));
        }
        let _ = writeln!(out, "{line}");
    }
    if c.not_listed > 0 {
        let _ = writeln!(
            out,
            "  ({} more piece{} of evidence, not combined, not listed)",
            c.not_listed,
            if c.not_listed == 1 { "" } else { "s" }
        );
    }
    if !c.steps.is_empty() {
        let _ = writeln!(out, "  combined, supporting evidence first:");
        for s in &c.steps {
            let _ = writeln!(out, "    {}", s.formula);
        }
    }
}

/// The changes to the answers that would reach a goal, as a section.
fn what_if(out: &mut String, w: &WhatIf, st: Style) {
    let _ = writeln!(
        out,
        "\n{}",
        st.bold(&format!("What would change it ({})", w.text))
    );
    for line in crate::explain::what_if::describe(w) {
        let _ = writeln!(out, "  {line}");
    }
}

pub fn why_not(w: &WhyNot, st: Style) -> String {
    let mut out = String::new();
    why_not_into(&mut out, w, st, 0);
    if let Some(wi) = &w.what_if {
        what_if(&mut out, wi, st);
    }
    errors(&mut out, &w.errors);
    out
}

fn why_not_into(out: &mut String, w: &WhyNot, st: Style, depth: usize) {
    let p = pad(depth);
    if depth == 0 {
        let _ = writeln!(out, "{} {}?\n", st.bold("Why not"), w.target);
    }
    if !w.holds.is_empty() {
        for h in &w.holds {
            let _ = match h.status {
                "holds" => writeln!(out, "{p}It holds: {} (certainty {}).", h.fact, fmt_cf(h.certainty)),
                "too_weak" => writeln!(
                    out,
                    "{p}It was concluded: {}, but with certainty {}, too weak to count (a condition holds only above the threshold).",
                    h.fact,
                    fmt_cf(h.certainty)
                ),
                _ => writeln!(
                    out,
                    "{p}It is ruled out: {} has certainty {}: the evidence against it outweighs the evidence for.",
                    h.fact,
                    fmt_cf(h.certainty)
                ),
            };
        }
        if let (Some(c), 0) = (&w.contrast, depth) {
            let _ = writeln!(out, "{} comes first instead.\n", capitalised(&c.over.name));
            // The contrast, seen from the one that comes first.
            out.push_str(&contrast(&c.flipped(), st));
            return;
        }
        let _ = writeln!(
            out,
            "{p}Run `because explain '{}'` to see the evidence.",
            w.holds[0].fact
        );
        if depth == 0 {
            return;
        }
    }
    for u in &w.unknown_values {
        let _ = write!(
            out,
            "{p}`{}` appears nowhere in the rules (no fact, rule, question or output mentions it), so nothing can conclude {}.",
            u.value, w.target
        );
        if let Some(s) = &u.did_you_mean {
            let _ = write!(out, " Did you mean `{s}`?");
        }
        out.push('\n');
    }
    if !w.unknown_values.is_empty() {
        return;
    }
    if let Some(q) = &w.question {
        if q.answers.is_empty() {
            let _ = writeln!(
                out,
                "{p}`{}` is a question (\"{}\") and it was not answered.",
                q.name, q.prompt
            );
        } else {
            let _ = writeln!(
                out,
                "{p}`{}` is a question (\"{}\"); the answers given are: {}.",
                q.name,
                q.prompt,
                q.answers.join(", ")
            );
        }
    }
    if w.no_rule {
        let pred = w.target.split('(').next().unwrap_or(&w.target);
        let arity = if w.target.contains('(') {
            w.target.matches(',').count() + 1
        } else {
            0
        };
        if !w.as_value.is_empty() {
            let ask: Vec<String> = w.as_value.iter().map(|a| format!("`{a}`")).collect();
            let _ = writeln!(
                out,
                "{p}`{pred}` is a value, not a conclusion. To ask about it, name what it would be: {}.",
                ask.join(" or ")
            );
            return;
        }
        let _ = write!(out, "{p}No rule concludes `{pred}/{arity}`.");
        if let Some(s) = &w.did_you_mean {
            let _ = write!(out, " Did you mean `{s}`?");
        }
        out.push('\n');
        return;
    }
    for a in &w.rules {
        let _ = writeln!(
            out,
            "{p}Rule `{}` ({}) could conclude {}:",
            a.rule.name,
            rule_place(&a.rule),
            a.conclusion
        );
        if let Some(r) = &a.reason {
            let _ = writeln!(out, "{p}  {}", st.dim(r));
        }
        if st.verbose && !a.bindings.is_empty() {
            let b: Vec<String> = a
                .bindings
                .iter()
                .map(|b| format!("{} = {}", b.var, b.value))
                .collect();
            let _ = writeln!(out, "{p}  best partial match: {}", b.join(", "));
        }
        for c in &a.conditions {
            let mark = match c.status {
                Status::Held => "✓",
                Status::Failed => "✗",
                Status::NotReached => "·",
            };
            let _ = write!(out, "{p}  {mark} ");
            if st.verbose || c.detail.is_empty() {
                let _ = write!(out, "{}", c.text);
                if !c.detail.is_empty() {
                    let _ = write!(out, " — {}", c.detail);
                }
            } else {
                let _ = write!(out, "{}", c.detail);
            }
            out.push('\n');
            if let Some(sub) = &c.because {
                let _ = writeln!(out, "{p}      why not {}:", sub.target);
                why_not_into(out, sub, st, depth + 4);
            }
        }
        if a.search_truncated {
            let _ = writeln!(
                out,
                "{p}  (search for a match stopped early: the relations are large)"
            );
        }
        if a.first_failure.is_none() {
            let _ = writeln!(out, "{p}  every condition holds, but the conclusion's arithmetic gives a different fact");
        }
    }
}

/// Why one conclusion rather than another: the summary in words, then the reasons grouped
/// (shared, only for one side, against one side), then how each certainty combined.
pub fn contrast(c: &Contrast, st: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}\n",
        st.bold(&format!("Why {} rather than {}?", c.fact.name, c.over.name))
    );
    for s in &c.summary {
        let _ = writeln!(out, "{s}");
    }
    let reason = |out: &mut String, r: &Reason| {
        let sign = if r.certainty < 0.0 { "-" } else { "+" };
        let mut line = format!("  {sign}{}  {}", fmt_cf(r.certainty.abs()), r.text);
        if st.verbose {
            line.push_str(&st.dim(&format!(
                "  (rule `{}`, {}{})",
                r.rule.name,
                rule_place(&r.rule),
                sources(&r.rule.sources)
            )));
        }
        let _ = writeln!(out, "{line}");
    };
    if !c.both.is_empty() {
        let _ = writeln!(out, "\n{}", st.bold("For both"));
        for s in &c.both {
            let (a, b) = (fmt_cf(s.fact.certainty), fmt_cf(s.over.certainty));
            let strength = if a == b {
                format!("{a} each")
            } else {
                format!("{a} for {}, {b} for {}", c.fact.name, c.over.name)
            };
            let mut line = format!("  {}  ({strength})", s.fact.text);
            if s.over.text != s.fact.text {
                line = format!(
                    "  {}  ({strength}; likewise for {})",
                    s.fact.text, c.over.name
                );
            }
            if st.verbose {
                line.push_str(&st.dim(&format!(
                    "  (rule `{}`, {}{})",
                    s.fact.rule.name,
                    rule_place(&s.fact.rule),
                    sources(&s.fact.rule.sources)
                )));
            }
            let _ = writeln!(out, "{line}");
        }
    }
    for (title, name, list) in [
        ("Only for", &c.fact.name, &c.only_fact),
        ("Only for", &c.over.name, &c.only_over),
        ("Against", &c.fact.name, &c.against_fact),
        ("Against", &c.over.name, &c.against_over),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{}", st.bold(&format!("{title} {name}")));
        for r in list {
            reason(&mut out, r);
        }
    }
    for s in [&c.fact, &c.over] {
        match &s.combination {
            Some(comb) => {
                out.push('\n');
                certainty(&mut out, comb, st);
            }
            None => {
                let _ = writeln!(
                    out,
                    "\nNo rule concluded {}: run `because why-not '{}'` to see what is missing.",
                    s.fact, s.fact
                );
            }
        }
    }
    if let Some(wi) = &c.what_if {
        what_if(&mut out, wi, st);
    }
    out
}

/// `query --what-if`: each output's conclusions whose standing changed.
pub fn what_if_query(d: &QueryDiff, st: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", st.bold(&format!("What if {}?", d.text)));
    let standing = |s: &Standing| match s.status {
        "concluded" => format!(
            "{}{}",
            fmt_cf(s.certainty),
            s.rank.map_or(String::new(), |r| format!(
                " (rank {r}{})",
                if s.tied { ", tied" } else { "" }
            ))
        ),
        "too_weak" => format!("{} (too weak to count)", fmt_cf(s.certainty)),
        "ruled_out" => format!("{} (ruled out)", fmt_cf(s.certainty)),
        _ => "not concluded".to_string(),
    };
    for o in &d.outputs {
        if o.rows.is_empty() {
            let _ = writeln!(out, "{}: no change", st.bold(&o.label));
            continue;
        }
        let _ = writeln!(out, "{}", st.bold(&o.label));
        for r in &o.rows {
            let _ = writeln!(
                out,
                "  {}: {} -> {}",
                r.text,
                standing(&r.before),
                standing(&r.after)
            );
        }
    }
    out
}
