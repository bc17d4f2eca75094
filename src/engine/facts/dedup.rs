//! The table that finds a fact by its predicate and arguments: open addressing with linear
//! probing over one array of 8-byte entries (a fact's id and the upper half of its hash).
//!
//! A large run inserts millions of facts at random places of this table (W2 at N = 3,000:
//! 4.5 million paths, a table of 64 MB). hashbrown keeps its control bytes and its entries
//! in two arrays, so an insertion missed the cache twice; here the entry that decides is
//! in the line the probe reads, and the neighbours linear probing reads next are mostly in
//! that line too. The load stays under 13/16 (3/4 cost W3 33 MB: its 3.2 million stated
//! facts took 8 million slots instead of 4), so probes stay short.

use super::FactId;

/// An empty slot (no fact has id `u32::MAX`: limits stop runs far below it).
const EMPTY: u64 = u64::MAX;

#[derive(Debug, Clone, Default)]
pub(super) struct Dedup {
    /// `half << 32 | fact`, or [`EMPTY`]; a power of two of them (or none).
    slots: Vec<u64>,
    len: usize,
    /// The slots of the table before the last [`Dedup::forget_from`] (reused by the next).
    spare: Vec<u64>,
}

/// Where an entry whose hash has the upper half `half` starts probing, in a table of
/// `1 << bits` slots (the top bits of a multiplicative hash).
#[inline]
fn home(half: u32, bits: u32) -> usize {
    (u64::from(half).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
}

#[inline]
fn entry(half: u32, f: FactId) -> u64 {
    debug_assert_ne!(f, u32::MAX);
    (u64::from(half) << 32) | u64::from(f)
}

#[inline]
fn half_of(e: u64) -> u32 {
    (e >> 32) as u32
}

#[inline]
fn fact_of(e: u64) -> FactId {
    e as u32
}

impl Dedup {
    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }

    /// How far the entry farthest from its probe's start lies from it, in slots.
    #[cfg(test)]
    pub(super) fn farthest_from_home(&self) -> usize {
        let (mask, bits) = (self.slots.len().wrapping_sub(1), self.bits());
        (0..self.slots.len())
            .filter(|&i| self.slots[i] != EMPTY)
            .map(|i| i.wrapping_sub(home(half_of(self.slots[i]), bits)) & mask)
            .max()
            .unwrap_or(0)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn bits(&self) -> u32 {
        self.slots.len().trailing_zeros()
    }

    /// Where the probe for `half` starts: the slot's index among [`Dedup::slot_count`].
    pub(super) fn home_of(&self, half: u32) -> usize {
        if self.slots.is_empty() {
            0
        } else {
            home(half, self.bits())
        }
    }

    /// The number of slots.
    pub(super) fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Read the slot where the probe for `half` starts, so that it is in the cache when a
    /// lookup or insertion comes a few facts later (the reads of several facts' slots
    /// overlap; one after the other, each waits for memory).
    #[inline]
    pub(super) fn warm(&self, half: u32) {
        if !self.slots.is_empty() {
            let slot = &self.slots[home(half, self.bits())];
            // A prefetch, not a load: a load's miss would hold up retirement, and the
            // insertions it was to overlap would wait behind it.
            #[cfg(target_arch = "x86_64")]
            safe_arch::prefetch_t0(slot);
            #[cfg(not(target_arch = "x86_64"))]
            let _ = slot;
        }
    }

    /// The fact whose hash has the upper half `half` and for which `same` holds.
    #[inline]
    pub(super) fn find(&self, half: u32, mut same: impl FnMut(FactId) -> bool) -> Option<FactId> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = home(half, self.bits());
        loop {
            let e = self.slots[i];
            if e == EMPTY {
                return None;
            }
            if half_of(e) == half && same(fact_of(e)) {
                return Some(fact_of(e));
            }
            i = (i + 1) & mask;
        }
    }

    /// The fact whose hash has the upper half `half` and for which `same` holds, or else
    /// `Err` after entering `new` under `half`.
    #[inline]
    pub(super) fn find_or_insert(
        &mut self,
        half: u32,
        new: FactId,
        mut same: impl FnMut(FactId) -> bool,
    ) -> Result<FactId, ()> {
        self.reserve(1);
        let mask = self.slots.len() - 1;
        let mut i = home(half, self.bits());
        loop {
            let e = self.slots[i];
            if e == EMPTY {
                self.slots[i] = entry(half, new);
                self.len += 1;
                return Err(());
            }
            if half_of(e) == half && same(fact_of(e)) {
                return Ok(fact_of(e));
            }
            i = (i + 1) & mask;
        }
    }

    /// Take out the entry of fact `f`, whose hash has the upper half `half`, if present.
    pub(super) fn remove(&mut self, half: u32, f: FactId) {
        if self.slots.is_empty() {
            return;
        }
        let mask = self.slots.len() - 1;
        let bits = self.bits();
        let target = entry(half, f);
        let mut i = home(half, bits);
        loop {
            match self.slots[i] {
                EMPTY => return,
                e if e == target => break,
                _ => i = (i + 1) & mask,
            }
        }
        // Backward shift: move each later entry of the run into the hole if its probe
        // passes the hole, so that every entry stays reachable from its home.
        let mut hole = i;
        let mut j = (i + 1) & mask;
        while self.slots[j] != EMPTY {
            let k = home(half_of(self.slots[j]), bits);
            // The entry at j may move to the hole unless its home lies in (hole, j].
            let stays = if hole <= j {
                hole < k && k <= j
            } else {
                hole < k || k <= j
            };
            if !stays {
                self.slots[hole] = self.slots[j];
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.slots[hole] = EMPTY;
        self.len -= 1;
    }

    /// Room for `additional` more entries without growing.
    #[inline]
    pub(super) fn reserve(&mut self, additional: usize) {
        // At most 13/16 full.
        if (self.len + additional) * 16 > self.slots.len() * 13 {
            self.grow(self.len + additional);
        }
    }

    /// Grow to room for `need` entries (the rare part of [`Dedup::reserve`], apart so that
    /// every insertion's check stays inline).
    #[cold]
    #[inline(never)]
    fn grow(&mut self, need: usize) {
        let slots = (need * 16 / 13 + 1).next_power_of_two().max(8);
        let old = std::mem::replace(
            &mut self.slots,
            crate::memhint::random_access_vec(EMPTY, slots),
        );
        let (mask, bits) = (slots - 1, slots.trailing_zeros());
        for e in old.into_iter().filter(|&e| e != EMPTY) {
            let mut i = home(half_of(e), bits);
            while self.slots[i] != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = e;
        }
    }

    /// Take out the entries of facts `end` and later (a store going back to its first
    /// facts) in one pass over the slots: the others are entered again in a table of the
    /// same size. Costs the table's size, not the facts': for a small table that loses many.
    pub(super) fn forget_from(&mut self, end: FactId) {
        let n = self.slots.len();
        if self.len == 0 || n == 0 {
            return;
        }
        let mut old = std::mem::take(&mut self.spare);
        old.clear();
        old.resize(n, EMPTY);
        std::mem::swap(&mut self.slots, &mut old);
        let (mask, bits) = (n - 1, n.trailing_zeros());
        self.len = 0;
        for &e in &old {
            if e == EMPTY || fact_of(e) >= end {
                continue;
            }
            let mut i = home(half_of(e), bits);
            while self.slots[i] != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = e;
            self.len += 1;
        }
        self.spare = old;
    }

    /// Forget every entry, keeping the slots.
    pub(super) fn clear(&mut self) {
        if self.len > 0 {
            self.slots.fill(EMPTY);
            self.len = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Entries inserted, removed in any order, and looked up (with halves that collide
        /// often) agree with a plain list of the same entries, through growth.
        #[test]
        fn the_table_agrees_with_a_list(
            ops in prop::collection::vec((0u32..40, any::<bool>()), 1..400),
        ) {
            let mut t = Dedup::default();
            let mut model: Vec<(u32, FactId)> = Vec::new();
            let mut next: FactId = 0;
            for (key, insert) in ops {
                // Keys share halves four by four: probes must compare facts, not halves.
                let half = key / 4 * 0x1000_0001;
                let found = model.iter().find(|&&(k, _)| k == key).map(|&(_, f)| f);
                if insert {
                    let got = t.find_or_insert(half, next, |f| model.iter().any(|&(k, g)| g == f && k == key));
                    match found {
                        Some(f) => prop_assert_eq!(got, Ok(f)),
                        None => {
                            prop_assert_eq!(got, Err(()));
                            model.push((key, next));
                            next += 1;
                        }
                    }
                } else if let Some(f) = found {
                    t.remove(half, f);
                    model.retain(|&(k, _)| k != key);
                }
                prop_assert_eq!(t.len(), model.len());
                for k in 0..40 {
                    let want = model.iter().find(|&&(m, _)| m == k).map(|&(_, f)| f);
                    let got = t.find(k / 4 * 0x1000_0001, |f| model.iter().any(|&(m, g)| g == f && m == k));
                    prop_assert_eq!(got, want, "key {}", k);
                }
            }
        }
    }
}
