//! Where some bytes are in a block of 64, as the bits of a `u64`: the passes over whole
//! files (line starts, the scanner's stops) test 16 bytes an instruction with SSE2, which
//! every x86-64 processor has, instead of one byte at a time. Elsewhere the same masks come
//! from a loop; the tests compare both on every byte value.
//!
//! `memchr`'s iterator is made for rare bytes: over W3's 78 MB of facts, whose lines end
//! every 24 bytes, finding the line starts with it took 60 ms, and with these masks 20 ms.

/// The bytes a mask covers.
pub const BLOCK: usize = 64;

/// One block's bytes: a whole block of the text, or its last bytes padded with zeros (a zero
/// is no byte any caller looks for, and no identifier character).
#[derive(Clone, Copy)]
pub struct Block([u8; BLOCK]);

impl Block {
    /// The block of `bytes` starting at `base` (`base < bytes.len()`).
    #[inline]
    pub fn at(bytes: &[u8], base: usize) -> Block {
        match bytes.get(base..base + BLOCK) {
            Some(whole) => Block(whole.try_into().expect("a block's length")),
            None => {
                let mut padded = [0u8; BLOCK];
                let rest = &bytes[base..];
                padded[..rest.len()].copy_from_slice(rest);
                Block(padded)
            }
        }
    }

    /// Bit `j` set where byte `j` is one of `set`.
    #[inline(always)]
    pub fn any_of(&self, set: &[u8]) -> u64 {
        imp::any_of(&self.0, set)
    }

    /// Bit `j` set where byte `j` is an identifier character (`[A-Za-z0-9_]`).
    #[inline(always)]
    pub fn ident(&self) -> u64 {
        imp::ident(&self.0)
    }
}

/// Whether `b` is an identifier character, as [`Block::ident`] has it: one load from a
/// table (the test of three ranges and `_` cost the fast path 13 instructions a letter).
#[inline]
pub fn is_ident(b: u8) -> bool {
    IDENT[b as usize]
}

const IDENT: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    t
};

/// The positions of every `\n` in `bytes`, each plus one, after a first 0: where each line
/// starts. Counted first, so the vector is allocated once at its size.
pub fn line_starts(bytes: &[u8]) -> Vec<u32> {
    let mut starts = Vec::with_capacity(memchr::memchr_iter(b'\n', bytes).count() + 1);
    starts.push(0);
    let mut base = 0;
    while base < bytes.len() {
        let mut m = Block::at(bytes, base).any_of(b"\n");
        while m != 0 {
            starts.push((base + m.trailing_zeros() as usize + 1) as u32);
            m &= m - 1;
        }
        base += BLOCK;
    }
    starts
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use safe_arch::{
        bitand_m128i, bitor_m128i, cmp_eq_mask_i8_m128i, cmp_gt_mask_i8_m128i,
        cmp_lt_mask_i8_m128i, load_unaligned_m128i, m128i, move_mask_i8_m128i, set_splat_i8_m128i,
    };

    #[inline(always)]
    fn quarters(block: &[u8; 64], f: impl Fn(m128i) -> m128i) -> u64 {
        let mut m = 0u64;
        for k in 0..4 {
            let v = load_unaligned_m128i(block[k * 16..k * 16 + 16].try_into().expect("16"));
            m |= u64::from(move_mask_i8_m128i(f(v)) as u16) << (k * 16);
        }
        m
    }

    #[inline(always)]
    pub fn any_of(block: &[u8; 64], set: &[u8]) -> u64 {
        quarters(block, |v| {
            let mut hit = cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(set[0] as i8));
            for &b in &set[1..] {
                hit = bitor_m128i(hit, cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(b as i8)));
            }
            hit
        })
    }

    /// `lo <= v <= hi` for ASCII bounds (bytes from 0x80 are negative as `i8`: outside).
    #[inline(always)]
    fn within(v: m128i, lo: u8, hi: u8) -> m128i {
        bitand_m128i(
            cmp_gt_mask_i8_m128i(v, set_splat_i8_m128i(lo as i8 - 1)),
            cmp_lt_mask_i8_m128i(v, set_splat_i8_m128i(hi as i8 + 1)),
        )
    }

    #[inline(always)]
    pub fn ident(block: &[u8; 64]) -> u64 {
        quarters(block, |v| {
            let digit_or_upper = bitor_m128i(within(v, b'0', b'9'), within(v, b'A', b'Z'));
            let lower_or_under = bitor_m128i(
                within(v, b'a', b'z'),
                cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(b'_' as i8)),
            );
            bitor_m128i(digit_or_upper, lower_or_under)
        })
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod imp {
    pub use super::scalar::{any_of, ident};
}

/// The masks a byte at a time (the reference the SSE2 masks are tested against).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
mod scalar {
    fn mask(block: &[u8; 64], f: impl Fn(u8) -> bool) -> u64 {
        block
            .iter()
            .enumerate()
            .fold(0, |m, (j, &b)| m | (u64::from(f(b)) << j))
    }

    pub fn any_of(block: &[u8; 64], set: &[u8]) -> u64 {
        mask(block, |b| set.contains(&b))
    }

    pub fn ident(block: &[u8; 64]) -> u64 {
        mask(block, |b| b.is_ascii_alphanumeric() || b == b'_')
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every byte value, at every position of a block, in both masks.
    #[test]
    fn the_masks_agree_with_a_byte_at_a_time_on_every_byte() {
        for first in (0..=255u8).step_by(64) {
            let bytes: Vec<u8> = (0..64).map(|j| first.wrapping_add(j)).collect();
            for shift in 0..64 {
                let mut rotated = bytes.clone();
                rotated.rotate_left(shift);
                let block = Block::at(&rotated, 0);
                assert_eq!(block.ident(), scalar::ident(&block.0), "{rotated:?}");
                for set in [&b"\n"[..], b"rfqonta\"#()[]", b"\x00\xff", b"\x7f\x80"] {
                    assert_eq!(block.any_of(set), scalar::any_of(&block.0, set));
                }
            }
        }
    }

    proptest! {
        /// Line starts as the obvious loop finds them, whatever the text's length.
        #[test]
        fn line_starts_are_each_newline_plus_one(text in prop::collection::vec(
            prop::sample::select(vec![b'\n', b'a', b' ', 0xC3, 0]), 0..300)) {
            let want: Vec<u32> = std::iter::once(0)
                .chain(text.iter().enumerate().filter(|(_, &b)| b == b'\n').map(|(i, _)| i as u32 + 1))
                .collect();
            prop_assert_eq!(line_starts(&text), want);
        }
    }
}
