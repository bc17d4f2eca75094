//! Answers typed by a person (in `consult`, or `query --what-if QUESTION=VALUES`), read
//! into values of the question's type, with a message naming what is wrong.

use crate::ast::{Const, Question, ValueType};
use crate::engine::KnowledgeBase;

/// Parse a typed answer into values of the question's type, or say what is wrong. Values
/// are separated by commas; for symbols, by blanks too, and a value may be typed by the
/// name people read (`ASP.NET Core`, `C#`), in any case.
pub fn parse_answer(kb: &KnowledgeBase, q: &Question, text: &str) -> Result<Vec<Const>, String> {
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(format!(
            "a control character (U+{:04X}) is not part of an answer",
            u32::from(c)
        ));
    }
    let mut parts: Vec<String> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if q.ty != ValueType::Symbol {
            parts.push(part.to_string());
        } else if let Some(v) = symbol_named(kb, q, part) {
            parts.push(v);
        } else {
            parts.extend(
                part.split_whitespace()
                    .map(|w| symbol_named(kb, q, w).unwrap_or_else(|| w.to_lowercase())),
            );
        }
    }
    if parts.is_empty() {
        return Err("no value given".into());
    }
    if !q.many && parts.len() > 1 {
        return Err(format!(
            "`{}` takes one answer, and {} were given ({})",
            q.name.node,
            parts.len(),
            parts.join(", ")
        ));
    }
    let mut out = Vec::new();
    for p in parts {
        let p = p.as_str();
        let c = match q.ty {
            ValueType::Symbol => Const::Sym(p.to_string()),
            ValueType::String => Const::Str(p.to_string()),
            ValueType::Integer => Const::Int(
                p.parse()
                    .map_err(|_| format!("`{p}` is not a whole number"))?,
            ),
            ValueType::Decimal => match p.parse::<f64>() {
                Ok(d) if d.is_finite() => Const::Dec(d),
                _ => return Err(format!("`{p}` is not a number")),
            },
            ValueType::Boolean => match p.to_lowercase().as_str() {
                "y" | "yes" | "true" => Const::Bool(true),
                "n" | "no" | "false" => Const::Bool(false),
                _ => return Err(format!("`{p}`: answer yes or no")),
            },
        };
        if q.ty == ValueType::Symbol
            && !q.allowed.is_empty()
            && !q.allowed.iter().any(|a| a.node == c)
        {
            let allowed = choices(q);
            let hint = crate::diag::suggest(p, allowed.iter().map(String::as_str))
                .map_or(String::new(), |s| format!(" (did you mean `{s}`?)"));
            return Err(format!(
                "`{p}` is not one of the answers{hint}; type {}{}",
                if q.many { "one or more of " } else { "one of " },
                allowed.join(", ")
            ) + if q.many {
                ", separated by commas or spaces"
            } else {
                ""
            });
        }
        if let Some(d) = crate::check::values::value_problem(q, &c, q.name.span) {
            return Err(d.help.unwrap_or(d.message));
        }
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// The allowed value of symbol question `q` typed as `text`: the value itself or its
/// display name, in any case.
fn symbol_named(kb: &KnowledgeBase, q: &Question, text: &str) -> Option<String> {
    q.allowed.iter().find_map(|a| match &a.node {
        Const::Sym(s)
            if s.eq_ignore_ascii_case(text)
                || kb
                    .display_name(s)
                    .is_some_and(|n| n.to_lowercase() == text.to_lowercase()) =>
        {
            Some(s.clone())
        }
        _ => None,
    })
}

/// A question's allowed values, as typed (the prompts are written around them; display
/// names are for sentences, and are accepted too).
pub fn choices(q: &Question) -> Vec<String> {
    q.allowed.iter().map(|v| v.node.to_string()).collect()
}
