//! Values kept by key where most keys hold one value: an index key of a large relation (one
//! project's size), a constant that one rule of a chain tests. A key's single value sits in
//! its [`Slot`]; only a key with several has a list, in a [`Spill`]. Building such a table
//! costs an allocation per key with several values, not per key.

/// Where one key's values are.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Slot<T> {
    /// The key's one value.
    One(T),
    /// Its values' list in the [`Spill`], in the order they were added.
    Many(u32),
}

/// The lists of the keys that hold several values, and the lists emptied for reuse.
#[derive(Debug, Clone)]
pub(crate) struct Spill<T> {
    lists: Vec<Vec<T>>,
    free: Vec<u32>,
}

impl<T> Default for Spill<T> {
    fn default() -> Self {
        Spill {
            lists: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T: Copy + PartialEq + std::fmt::Debug> Spill<T> {
    /// The values of the key whose slot is `slot`, in the order they were added.
    pub(crate) fn get<'a>(&'a self, slot: &'a Slot<T>) -> &'a [T] {
        match slot {
            Slot::One(x) => std::slice::from_ref(x),
            Slot::Many(l) => &self.lists[*l as usize],
        }
    }

    /// Add `x` to the key whose slot is `slot`.
    pub(crate) fn push(&mut self, slot: &mut Slot<T>, x: T) {
        match *slot {
            Slot::One(first) => {
                let l = self.free.pop().unwrap_or_else(|| {
                    self.lists.push(Vec::new());
                    (self.lists.len() - 1) as u32
                });
                self.lists[l as usize].extend([first, x]);
                *slot = Slot::Many(l);
            }
            Slot::Many(l) => self.lists[l as usize].push(x),
        }
    }

    /// Take back `last`, the value last added to the key whose slot is `slot`. Returns
    /// whether the key still has values (if not, the caller drops the key); a key left with
    /// one holds it in its slot again, and its list is kept for the next key that needs one.
    pub(crate) fn pop(&mut self, slot: &mut Slot<T>, last: T) -> bool {
        match *slot {
            Slot::One(x) => {
                debug_assert_eq!(x, last);
                false
            }
            Slot::Many(l) => {
                let list = &mut self.lists[l as usize];
                let popped = list.pop();
                debug_assert_eq!(popped, Some(last));
                if let [only] = list[..] {
                    list.clear();
                    self.free.push(l);
                    *slot = Slot::One(only);
                }
                true
            }
        }
    }

    /// Empty every list, keeping them for reuse.
    pub(crate) fn clear(&mut self) {
        self.free.clear();
        for (l, list) in self.lists.iter_mut().enumerate() {
            list.clear();
            self.free.push(l as u32);
        }
    }

    /// How many emptied lists wait for reuse.
    #[cfg(test)]
    pub(crate) fn free_lists(&self) -> usize {
        self.free.len()
    }
}
