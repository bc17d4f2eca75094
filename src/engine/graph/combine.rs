//! The certainty algebra (MYCIN's combination of certainty factors): two values, or a
//! whole list of evidence independently of its order, with each step recorded for
//! explanations.

use std::cmp::Ordering;

/// One step of combining certainties.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CombineStep {
    pub before: f64,
    pub with: f64,
    pub after: f64,
    pub formula: Formula,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formula {
    /// `a + b(1 - a)`
    BothPositive,
    /// `a + b(1 + a)`
    BothNegative,
    /// `(a + b) / (1 - min(|a|, |b|))`
    Mixed,
}

pub fn combine(a: f64, b: f64) -> (f64, Formula) {
    if a >= 0.0 && b >= 0.0 {
        (a + b * (1.0 - a), Formula::BothPositive)
    } else if a < 0.0 && b < 0.0 {
        (a + b * (1.0 + a), Formula::BothNegative)
    } else {
        let d = 1.0 - a.abs().min(b.abs());
        (if d == 0.0 { 0.0 } else { (a + b) / d }, Formula::Mixed)
    }
}

/// The combined certainty of `values` (reordered in place), without recording the steps:
/// the fact graph combines every fact's evidence with it.
pub fn combine_values(values: &mut [f64]) -> f64 {
    combine_into(values, |_| {})
}

/// Combine certainties the MYCIN way, independently of their order: supporting evidence
/// together, opposing evidence together, then the two totals once. Returns the steps.
pub fn combine_all(values: &[f64]) -> (f64, Vec<CombineStep>) {
    let mut steps = Vec::new();
    let total = combine_into(&mut values.to_vec(), |s| steps.push(s));
    (total, steps)
}

/// The combination both of the above perform: `values` is sorted (stably) into supporting
/// evidence then opposing evidence, each strongest first, and every step is reported.
fn combine_into(values: &mut [f64], mut step: impl FnMut(CombineStep)) -> f64 {
    values.sort_by(|a, b| {
        (*a < 0.0)
            .cmp(&(*b < 0.0))
            .then_with(|| b.abs().partial_cmp(&a.abs()).unwrap_or(Ordering::Equal))
    });
    let split = values.partition_point(|v| *v >= 0.0);
    let mut fold = |vals: &[f64]| -> Option<f64> {
        let (&first, rest) = vals.split_first()?;
        Some(rest.iter().fold(first, |acc, &v| {
            let (after, formula) = combine(acc, v);
            step(CombineStep {
                before: acc,
                with: v,
                after,
                formula,
            });
            after
        }))
    };
    let (pos, neg) = values.split_at(split);
    let (pos, neg) = (fold(pos), fold(neg));
    match (pos, neg) {
        (Some(p), Some(n)) => {
            let (after, formula) = combine(p, n);
            step(CombineStep {
                before: p,
                with: n,
                after,
                formula,
            });
            after
        }
        (Some(p), None) => p,
        (None, Some(n)) => n,
        (None, None) => 0.0,
    }
}
