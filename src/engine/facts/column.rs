//! A column of one number per fact that costs nothing while its numbers follow a line (every
//! fact of a store with one shape, or of one arity, has the same shape and an argument
//! start a step further than the last), a byte a fact while they stay under 256, and four
//! bytes a fact after. W2's 4.5 million paths: 36 MB for their shapes and starts, now none.

#[derive(Debug, Clone)]
pub(super) enum Column {
    /// `len` numbers `first`, `first + step`, `first + 2 * step`... (`step` is set from the
    /// second number on). `room`: how many numbers were reserved, for the vector the line
    /// becomes if a number leaves it.
    Line {
        first: u32,
        step: Option<u32>,
        len: usize,
        room: usize,
    },
    Bytes(Vec<u8>),
    Words(Vec<u32>),
}

impl Default for Column {
    fn default() -> Self {
        Column::Line {
            first: 0,
            step: None,
            len: 0,
            room: 0,
        }
    }
}

impl Column {
    #[inline]
    pub(super) fn len(&self) -> usize {
        match self {
            Column::Line { len, .. } => *len,
            Column::Bytes(v) => v.len(),
            Column::Words(v) => v.len(),
        }
    }

    #[inline]
    pub(super) fn get(&self, i: usize) -> u32 {
        match self {
            Column::Line {
                first, step, len, ..
            } => {
                debug_assert!(i < *len);
                first + step.unwrap_or(0) * i as u32
            }
            Column::Bytes(v) => u32::from(v[i]),
            Column::Words(v) => v[i],
        }
    }

    /// Room for `more` numbers, if they are kept one by one.
    pub(super) fn reserve_exact(&mut self, more: usize) {
        match self {
            Column::Line { len, room, .. } => *room = (*room).max(*len + more),
            Column::Bytes(v) => v.reserve_exact(more),
            Column::Words(v) => v.reserve_exact(more),
        }
    }

    /// Append `x`: inline for a column kept one by one, the usual case past a store's first
    /// facts (a call a column, twice a new fact: inline, W7 2% fewer instructions a set).
    #[inline(always)]
    pub(super) fn push(&mut self, x: u32) {
        match self {
            Column::Words(v) => v.push(x),
            Column::Bytes(v) if x < 256 => v.push(x as u8),
            _ => self.push_slow(x),
        }
    }

    #[inline(never)]
    fn push_slow(&mut self, x: u32) {
        match self {
            Column::Line {
                first, step, len, ..
            } => {
                match (*len, *step) {
                    (0, _) => *first = x,
                    (1, _) if x >= *first => *step = Some(x - *first),
                    (n, Some(s)) if u64::from(*first) + u64::from(s) * n as u64 == u64::from(x) => {
                    }
                    _ => return self.spill(x),
                }
                *len += 1;
            }
            Column::Bytes(v) => match u8::try_from(x) {
                Ok(b) => v.push(b),
                Err(_) => {
                    let mut words: Vec<u32> = Vec::with_capacity(v.capacity().max(v.len() + 1));
                    words.extend(v.iter().map(|&b| u32::from(b)));
                    words.push(x);
                    *self = Column::Words(words);
                }
            },
            Column::Words(v) => v.push(x),
        }
    }

    /// `x` does not follow the line: keep the numbers one by one, then `x`.
    #[cold]
    fn spill(&mut self, x: u32) {
        let (n, room) = match self {
            Column::Line { len, room, .. } => (*len, *room),
            _ => unreachable!("only a line spills"),
        };
        // As many as were reserved, else room to double.
        let capacity = if room > n { room } else { 2 * n + 1 };
        let numbers = (0..n).map(|i| self.get(i));
        let small = numbers.clone().chain([x]).all(|y| y < 256);
        *self = if small {
            let mut v = Vec::with_capacity(capacity);
            v.extend(numbers.map(|y| y as u8));
            Column::Bytes(v)
        } else {
            let mut v = Vec::with_capacity(capacity);
            v.extend(numbers);
            Column::Words(v)
        };
        self.push(x);
    }

    /// Take the last number off; it is returned.
    pub(super) fn pop(&mut self) -> Option<u32> {
        let last = self.len().checked_sub(1)?;
        let x = self.get(last);
        match self {
            Column::Line { step, len, .. } => {
                *len -= 1;
                if *len <= 1 {
                    *step = None;
                }
            }
            Column::Bytes(v) => {
                v.pop();
            }
            Column::Words(v) => {
                v.pop();
            }
        }
        Some(x)
    }

    /// Empty, and following a line again.
    pub(super) fn clear(&mut self) {
        *self = Column::default();
    }

    /// Keep the first `n` numbers.
    pub(super) fn truncate(&mut self, n: usize) {
        match self {
            Column::Line { step, len, .. } => {
                *len = (*len).min(n);
                if *len <= 1 {
                    *step = None;
                }
            }
            Column::Bytes(v) => v.truncate(n),
            Column::Words(v) => v.truncate(n),
        }
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A column gives back what was pushed whatever its form, through each change of form
    /// and back down by pops.
    #[test]
    fn a_column_gives_back_what_was_pushed() {
        let cases: [&[u32]; 6] = [
            &[3, 3, 3, 3],
            &[0, 2, 4, 6, 8],
            &[0, 2, 4, 7, 9],
            &[5, 1, 200, 255, 256, 3],
            &[7, 6],
            &[0, 1_000_000, 2_000_000, 1],
        ];
        for numbers in cases {
            let mut c = Column::default();
            for (i, &x) in numbers.iter().enumerate() {
                c.push(x);
                assert_eq!(c.iter().collect::<Vec<_>>(), numbers[..=i], "{numbers:?}");
            }
            for i in (0..numbers.len()).rev() {
                assert_eq!(c.pop(), Some(numbers[i]));
                assert_eq!(c.iter().collect::<Vec<_>>(), numbers[..i], "{numbers:?}");
            }
            assert_eq!(c.pop(), None);
        }
        // The forms: a line costs nothing, small numbers a byte each.
        let form = |numbers: &[u32]| {
            let mut c = Column::default();
            numbers.iter().for_each(|&x| c.push(x));
            match c {
                Column::Line { .. } => "line",
                Column::Bytes(_) => "bytes",
                Column::Words(_) => "words",
            }
        };
        assert_eq!(form(&[0, 2, 4, 6]), "line");
        assert_eq!(form(&[9, 9, 9]), "line");
        assert_eq!(form(&[0, 1, 3]), "bytes");
        assert_eq!(form(&[0, 1, 300]), "words");
        // A line popped to one number takes a new step.
        let mut c = Column::default();
        [4, 6, 8].iter().for_each(|&x| c.push(x));
        c.pop();
        c.pop();
        c.push(5);
        c.push(6);
        assert_eq!(c.iter().collect::<Vec<_>>(), [4, 5, 6]);
        assert!(matches!(c, Column::Line { .. }));
        // Emptied by pops, a line starts again from its next number.
        for _ in 0..3 {
            c.pop();
        }
        c.push(9);
        c.push(9);
        assert_eq!(c.iter().collect::<Vec<_>>(), [9, 9]);
        // A reserved line that leaves the line gets the room reserved.
        let mut c = Column::default();
        c.reserve_exact(1000);
        [0, 2, 5].iter().for_each(|&x| c.push(x));
        match c {
            Column::Bytes(v) => assert!(v == [0, 2, 5] && v.capacity() >= 1000, "{v:?}"),
            other => panic!("{other:?}"),
        }
    }
}
