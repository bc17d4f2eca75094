//! A predicate's facts, by id in increasing order. Facts of one predicate mostly arrive one
//! after another (a file states a predicate's facts together; a rule's conclusions are stored
//! together), so a run of consecutive ids is kept as its first id and its length, and only a
//! predicate whose facts interleave with others' keeps a list. W2's 4.5 million paths: 18 MB
//! of ids, now none on the heap.

use super::FactId;

/// The ids of one predicate's facts.
#[derive(Debug, Clone)]
pub enum Ids {
    /// `first..first + len`.
    Run {
        first: FactId,
        len: u32,
    },
    List(Vec<FactId>),
}

impl Default for Ids {
    fn default() -> Self {
        Ids::Run { first: 0, len: 0 }
    }
}

impl Ids {
    pub fn len(&self) -> usize {
        match self {
            Ids::Run { len, .. } => *len as usize,
            Ids::List(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The ids, to read.
    #[inline]
    pub fn view(&self) -> IdList<'_> {
        match self {
            Ids::Run { first, len } => IdList::Run(*first, first + len),
            Ids::List(v) => IdList::List(v),
        }
    }
    /// Add `f`, larger than every id here.
    #[inline]
    pub(super) fn push(&mut self, f: FactId) {
        debug_assert!(
            self.view().iter().next_back().is_none_or(|last| last < f),
            "ids are added in increasing order"
        );
        match self {
            Ids::Run { first, len } if *len == 0 => (*first, *len) = (f, 1),
            Ids::Run { first, len } if f == *first + *len => *len += 1,
            Ids::Run { first, len } => {
                let mut v = Vec::with_capacity(2 * *len as usize + 1);
                v.extend(*first..*first + *len);
                v.push(f);
                *self = Ids::List(v);
            }
            Ids::List(v) => v.push(f),
        }
    }
    /// Take the largest id off.
    pub(super) fn pop(&mut self) -> Option<FactId> {
        match self {
            Ids::Run { len: 0, .. } => None,
            Ids::Run { first, len } => {
                *len -= 1;
                Some(*first + *len)
            }
            Ids::List(v) => v.pop(),
        }
    }
    /// Empty, and a run again.
    pub(super) fn clear(&mut self) {
        *self = Ids::default();
    }
}

/// Ids in increasing order, borrowed: a range, or a list (a predicate's, or an index
/// bucket's).
#[derive(Debug, Clone, Copy)]
pub enum IdList<'a> {
    /// `lo..hi`.
    Run(FactId, FactId),
    List(&'a [FactId]),
}

impl<'a> IdList<'a> {
    pub const EMPTY: IdList<'static> = IdList::Run(0, 0);

    #[inline]
    pub fn len(self) -> usize {
        match self {
            IdList::Run(lo, hi) => (hi - lo) as usize,
            IdList::List(v) => v.len(),
        }
    }
    #[inline]
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
    /// The ids in `lo..hi`.
    #[inline]
    pub fn within(self, lo: FactId, hi: FactId) -> IdList<'a> {
        match self {
            IdList::Run(a, b) => {
                let (a, b) = (a.max(lo), b.min(hi));
                IdList::Run(a, b.max(a))
            }
            IdList::List(v) => IdList::List(super::id_range(v, lo, hi)),
        }
    }
    #[inline]
    pub fn iter(self) -> IdIter<'a> {
        match self {
            IdList::Run(lo, hi) => IdIter::Run(lo..hi),
            IdList::List(v) => IdIter::List(v.iter()),
        }
    }
}

impl<'a> IntoIterator for IdList<'a> {
    type Item = FactId;
    type IntoIter = IdIter<'a>;
    #[inline]
    fn into_iter(self) -> IdIter<'a> {
        self.iter()
    }
}

impl<'a> From<&'a [FactId]> for IdList<'a> {
    fn from(v: &'a [FactId]) -> Self {
        IdList::List(v)
    }
}

/// The ids of an [`IdList`], in order.
#[derive(Clone, Debug)]
pub enum IdIter<'a> {
    Run(std::ops::Range<FactId>),
    List(std::slice::Iter<'a, FactId>),
}

impl Iterator for IdIter<'_> {
    type Item = FactId;
    #[inline]
    fn next(&mut self) -> Option<FactId> {
        match self {
            IdIter::Run(r) => r.next(),
            IdIter::List(v) => v.next().copied(),
        }
    }
    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            IdIter::Run(r) => r.size_hint(),
            IdIter::List(v) => v.size_hint(),
        }
    }
}

impl DoubleEndedIterator for IdIter<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<FactId> {
        match self {
            IdIter::Run(r) => r.next_back(),
            IdIter::List(v) => v.next_back().copied(),
        }
    }
}

impl ExactSizeIterator for IdIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids give back what was pushed, as a run while they follow one another and as a list
    /// after, through pops, clearing and `within`.
    #[test]
    fn ids_give_back_what_was_pushed() {
        for pushed in [
            vec![],
            vec![5],
            vec![5, 6, 7],
            vec![5, 6, 9, 10],
            vec![3, 9],
        ] {
            let mut ids = Ids::default();
            for &f in &pushed {
                ids.push(f);
            }
            assert_eq!(ids.view().iter().collect::<Vec<_>>(), pushed);
            assert_eq!(ids.len(), pushed.len());
            for lo in 0..12 {
                for hi in 0..12 {
                    let want: Vec<FactId> = pushed
                        .iter()
                        .copied()
                        .filter(|&f| lo <= f && f < hi)
                        .collect();
                    let got: Vec<FactId> = ids.view().within(lo, hi).iter().collect();
                    assert_eq!(got, want, "{pushed:?} within {lo}..{hi}");
                    assert_eq!(ids.view().within(lo, hi).len(), want.len());
                }
            }
            let mut popped = Vec::new();
            while let Some(f) = ids.pop() {
                popped.push(f);
            }
            popped.reverse();
            assert_eq!(popped, pushed);
        }
        let mut ids = Ids::default();
        ids.push(4);
        ids.push(5);
        assert!(matches!(ids, Ids::Run { first: 4, len: 2 }));
        ids.push(7);
        assert!(matches!(ids, Ids::List(_)));
        ids.clear();
        ids.push(9);
        ids.push(10);
        assert!(matches!(ids, Ids::Run { first: 9, len: 2 }));
        // Popped to empty, a run starts again from the next id.
        ids.pop();
        ids.pop();
        ids.push(2);
        assert_eq!(ids.view().iter().collect::<Vec<_>>(), [2]);
        // A run popped in part takes the same ids again (a component taken back and run
        // again); a list popped to empty takes any.
        ids.push(3);
        ids.push(4);
        ids.pop();
        ids.push(4);
        ids.push(5);
        assert!(matches!(ids, Ids::Run { first: 2, len: 4 }));
        ids.push(8);
        while ids.pop().is_some() {}
        ids.push(1);
        ids.push(3);
        assert_eq!(ids.view().iter().collect::<Vec<_>>(), [1, 3]);
    }
}
