//! The certainty algebra, shared by the run (which settles certainties component by
//! component, `strength`) and the fact graph (which explains them): MYCIN's combination of
//! certainty factors, for two values or a whole list of evidence independently of its order
//! (with each step recorded for explanations), one rule counted once, and minimal
//! derivation heights (a derivation counts only when its same-component premises are
//! strictly lower; docs/semantics.md).

use super::facts::FactId;
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

/// A fact's certainty from its evidence: each assertion as it is; each rule once, by its
/// strongest derivation (`derived` holds (rule, value) pairs, reordered in place: other
/// bindings or `or` alternatives of one rule are one piece of evidence, not several); then
/// MYCIN's combination. The run and the fact graph both compute certainties with it.
pub fn combine_evidence(
    asserted: &[f64],
    derived: &mut [(u32, f64)],
    values: &mut Vec<f64>,
) -> f64 {
    values.clear();
    values.extend_from_slice(asserted);
    strongest_per_rule(derived, |_, v| values.push(v));
    combine_values(values)
}

/// For each rule among `derived` ((rule, value) pairs, sorted in place), its strongest value
/// (largest in size; a rule's values share its factor's sign), in rule order.
pub fn strongest_per_rule(derived: &mut [(u32, f64)], mut each: impl FnMut(u32, f64)) {
    derived.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| b.1.abs().partial_cmp(&a.1.abs()).unwrap_or(Ordering::Equal))
    });
    let mut last = None;
    for &(r, v) in derived.iter() {
        if last != Some(r) {
            each(r, v);
            last = Some(r);
        }
    }
}

/// Minimal derivation heights within components (the height Soufflé records for minimal
/// proofs, restricted to the component), by a Knuth-style generalisation of Dijkstra's
/// algorithm with a bucket queue: a fact's height is final when it is the smallest left; a
/// derivation offers `1 + max(same-component premise heights)` to its conclusion once those
/// premises are final (which, heights being settled in increasing order, is one more than
/// the height being settled). Linear in the size of the graph.
///
/// Facts are `0..n`; `roots` (the asserted ones) have height 0; derivation `d` concludes
/// `head(d)` and `same(d, out)` pushes its premises of the conclusion's component. Used over
/// the whole fact graph, and by a run over one component (with its facts numbered locally).
pub(crate) fn min_heights(
    n: usize,
    roots: impl Iterator<Item = FactId>,
    derivations: usize,
    head: impl Fn(usize) -> FactId,
    mut same: impl FnMut(usize, &mut Vec<FactId>),
) -> Vec<u32> {
    let mut owner = Vec::new();
    let mut keys = Vec::new();
    let mut pending = vec![0u32; derivations];
    let mut scratch = Vec::new();
    for (d, waiting) in pending.iter_mut().enumerate() {
        scratch.clear();
        same(d, &mut scratch);
        for &p in &scratch {
            keys.push(p);
            owner.push(d as u32);
            *waiting += 1;
        }
    }
    // Which derivations wait on each fact.
    let (uses_off, uses) = csr(n, keys.into_iter());
    let mut height = vec![u32::MAX; n];
    // Heights become final in increasing order, so the premise that completes a derivation
    // is its highest one, whose height is the one being settled: a derivation always offers
    // the next height. Two buckets suffice (a breadth-first search by levels): the facts of
    // height `h`, and those offered `h + 1`.
    let mut current: Vec<FactId> = roots.collect();
    let mut next: Vec<FactId> = pending
        .iter()
        .enumerate()
        .filter(|&(_, &p)| p == 0)
        .map(|(d, _)| head(d))
        .collect();
    let mut h = 0u32;
    while !current.is_empty() || !next.is_empty() {
        for f in current.drain(..) {
            if height[f as usize] != u32::MAX {
                continue;
            }
            height[f as usize] = h;
            let (a, b) = (
                uses_off[f as usize] as usize,
                uses_off[f as usize + 1] as usize,
            );
            for &slot in &uses[a..b] {
                let d = owner[slot as usize] as usize;
                pending[d] -= 1;
                if pending[d] == 0 {
                    let head = head(d);
                    if height[head as usize] == u32::MAX {
                        next.push(head);
                    }
                }
            }
        }
        std::mem::swap(&mut current, &mut next);
        h += 1;
    }
    height
}

/// Compressed rows: for keys `0..n`, the positions in `keys` of each key's items, as
/// `(offsets, items)` with key `k`'s items at `items[offsets[k]..offsets[k + 1]]`.
pub(crate) fn csr(n: usize, keys: impl Iterator<Item = FactId> + Clone) -> (Vec<u32>, Vec<u32>) {
    let mut offsets = vec![0u32; n + 1];
    for k in keys.clone() {
        offsets[k as usize + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut items = vec![0u32; offsets[n] as usize];
    for (i, k) in keys.enumerate() {
        items[fill[k as usize] as usize] = i as u32;
        fill[k as usize] += 1;
    }
    (offsets, items)
}

#[cfg(test)]
mod tests {
    use super::combine_values;

    proptest::proptest! {
        /// One piece of evidence combines to itself, bit for bit (`Strength::assert_input`
        /// takes a fact asserted once at its certainty without combining).
        #[test]
        fn one_value_combines_to_itself(v in -1.0f64..=1.0) {
            for v in [v, 0.0, -0.0, 1.0, -1.0] {
                proptest::prop_assert_eq!(combine_values(&mut [v]).to_bits(), v.to_bits());
            }
        }
    }
}
