//! Fact shapes: a predicate and the types of its arguments. A store keeps each fact's
//! arguments as 8 bytes of bits each and the number of its shape; the types are kept once a
//! shape, and a predicate rarely has more than one.

use super::{FactId, PredId};
use crate::engine::value::{Args, Val};
use crate::keyed::KeyedMap;

/// The most shapes a store keeps when it forgets its facts (see [`Shapes::keep`]).
pub(super) const KEEP_SHAPES: usize = 1024;

#[derive(Debug, Clone, Copy)]
struct Shape {
    pred: PredId,
    /// Where its types start in [`Shapes::tags`].
    tags: u32,
    arity: u32,
    /// The fact that made it (a store forgetting that fact forgets the shape).
    first: FactId,
}

/// The shapes of a store's facts, numbered in the order its facts first had them.
#[derive(Debug, Clone, Default)]
pub(super) struct Shapes {
    list: Vec<Shape>,
    tags: Vec<u8>,
    /// Each shape's number by its key: the predicate's 4 bytes, then the types. Keyed
    /// (`crate::keyed`): a facts file chooses its types.
    by_key: KeyedMap<Box<[u8]>, u32>,
    /// A key being looked up (kept to reuse its buffer).
    key: Vec<u8>,
}

impl Shapes {
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.list.len()
    }

    #[inline]
    pub(super) fn pred(&self, s: u32) -> PredId {
        self.list[s as usize].pred
    }

    /// Shape `s`'s arguments whose bits are `bits` (as many as the shape has).
    #[inline]
    pub(super) fn args<'s>(&'s self, s: u32, bits: &'s [u64]) -> Args<'s> {
        let shape = self.list[s as usize];
        let t = shape.tags as usize;
        Args::new(&self.tags[t..t + shape.arity as usize], bits)
    }

    #[inline]
    pub(super) fn arity(&self, s: u32) -> usize {
        self.list[s as usize].arity as usize
    }

    /// Whether shape `s` is that of `pred(args)`.
    #[inline]
    fn fits(&self, s: u32, pred: PredId, args: &[Val]) -> bool {
        let Some(shape) = self.list.get(s as usize) else {
            return false;
        };
        let t = shape.tags as usize;
        shape.pred == pred
            && shape.arity as usize == args.len()
            && self.tags[t..t + args.len()]
                .iter()
                .zip(args)
                .all(|(&tag, v)| tag == v.hash_parts().0)
    }

    /// The number of the shape of `pred(args)`, made for fact `f` if new. `last` is the
    /// number the predicate's facts had last (tried first: most predicates have one shape).
    #[inline]
    pub(super) fn of(&mut self, pred: PredId, args: &[Val], f: FactId, last: &mut u32) -> u32 {
        if self.fits(*last, pred, args) {
            return *last;
        }
        let s = self.find_or_add(pred, args, f);
        *last = s;
        s
    }

    fn find_or_add(&mut self, pred: PredId, args: &[Val], f: FactId) -> u32 {
        self.key.clear();
        self.key.extend_from_slice(&pred.to_le_bytes());
        self.key.extend(args.iter().map(|v| v.hash_parts().0));
        if let Some(&s) = self.by_key.get(&self.key[..]) {
            return s;
        }
        let s = self.list.len() as u32;
        self.list.push(Shape {
            pred,
            tags: self.tags.len() as u32,
            arity: args.len() as u32,
            first: f,
        });
        self.tags.extend_from_slice(&self.key[4..]);
        self.by_key.insert(self.key[..].into(), s);
        s
    }

    /// Keep every shape when a store forgets all its facts, as ones no later truncation
    /// forgets, unless there are more than [`KEEP_SHAPES`]: a batch's next fact set has the
    /// same shapes, and making each again cost a hash-map insert and removal a set.
    pub(super) fn keep(&mut self) {
        if self.list.len() > KEEP_SHAPES {
            self.truncate(0);
        } else {
            for s in &mut self.list {
                s.first = 0;
            }
        }
    }

    /// Forget the shapes first had by fact `end` or later (a store forgetting those facts:
    /// the facts it keeps had theirs earlier).
    pub(super) fn truncate(&mut self, end: FactId) {
        while let Some(shape) = self.list.last().copied().filter(|s| s.first >= end) {
            self.list.pop();
            let t = shape.tags as usize;
            self.key.clear();
            self.key.extend_from_slice(&shape.pred.to_le_bytes());
            self.key.extend_from_slice(&self.tags[t..]);
            self.by_key.remove(&self.key[..]);
            self.tags.truncate(t);
        }
    }
}
