//! The atom table: every exact-match atom of a segment, interned to a dense id.
//!
//! A key is a one-byte namespace (`KeyKind`) and a byte string (the folded value), hashed once
//! per post by the caller so that a post's keys can be looked up in several segments without
//! rehashing, and without copying a token out of the text it lies in.
//! Open addressing with linear probing over a power-of-two table of `(hash, id)` slots; the key
//! bytes live in one arena, so the table is a handful of allocations whatever its size.

/// The 64-bit hash of key `kind` + `bytes` (FxHash-style words, then a final avalanche).
///
/// Deterministic: the same key hashes the same in every run and on every platform.
#[inline]
pub(crate) fn hash_key(kind: u8, bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h: u64 = (bytes.len() as u64) << 8 | u64::from(kind);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(buf)).wrapping_mul(K);
    }
    // Murmur3's finaliser: every input bit affects the low bits used for slots.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

const EMPTY: u32 = u32::MAX;

/// The high 32 bits of a hash (the low bits pick slots).
#[inline]
fn high_bits(hash: u64) -> u32 {
    let [.., a, b, c, d] = hash.to_le_bytes();
    u32::from_le_bytes([a, b, c, d])
}

/// An interning table from key bytes to dense atom ids `0..len()`.
#[derive(Clone, Debug, Default)]
pub(crate) struct AtomTable {
    /// `(high 32 bits of the hash, id)` slots, 8 bytes each; `id == EMPTY` marks a free slot.
    /// The low bits of the hash pick the slot, the high bits filter before the key compare.
    slots: Vec<(u32, u32)>,
    /// Key `i` is `arena[ends[i - 1]..ends[i]]`.
    arena: Vec<u8>,
    ends: Vec<u32>,
}

impl AtomTable {
    /// The number of interned keys.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The bytes of key `id`: its kind byte, then its value.
    pub(crate) fn key(&self, id: u32) -> &[u8] {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.arena[start..self.ends[i] as usize]
    }

    /// The id of key `kind` + `value` (whose [`hash_key`] is `hash`), if interned.
    #[inline]
    pub(crate) fn get(&self, hash: u64, kind: u8, value: &[u8]) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        // Truncation is intended: the low bits pick the slot.
        #[allow(clippy::cast_possible_truncation)]
        let mut i = hash as usize & mask;
        let high = high_bits(hash);
        loop {
            let (h, id) = self.slots[i];
            if id == EMPTY {
                return None;
            }
            if h == high {
                let key = self.key(id);
                if key[0] == kind && &key[1..] == value {
                    return Some(id);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Interns key `kind` + `value`, returning its id (the existing one if already present).
    pub(crate) fn intern(&mut self, kind: u8, value: &[u8]) -> u32 {
        let hash = hash_key(kind, value);
        if let Some(id) = self.get(hash, kind, value) {
            return id;
        }
        // Keep the load factor at most 1/2.
        if (self.ends.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let id = u32::try_from(self.ends.len()).expect("fewer than 2^32 atoms");
        self.arena.push(kind);
        self.arena.extend_from_slice(value);
        self.ends
            .push(u32::try_from(self.arena.len()).expect("atom keys under 4 GiB in all"));
        self.insert_slot(hash, id);
        id
    }

    fn insert_slot(&mut self, hash: u64, id: u32) {
        let mask = self.slots.len() - 1;
        #[allow(clippy::cast_possible_truncation)]
        let mut i = hash as usize & mask;
        while self.slots[i].1 != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = (high_bits(hash), id);
    }

    fn grow(&mut self) {
        let cap = (self.slots.len() * 2).max(16);
        self.slots = vec![(0, EMPTY); cap];
        // Slots keep only part of each hash: rehash every key from the arena.
        for id in 0..u32::try_from(self.ends.len()).expect("fewer than 2^32 atoms") {
            let key = self.key(id);
            let hash = hash_key(key[0], &key[1..]);
            self.insert_slot(hash, id);
        }
    }

    /// Heap bytes held.
    pub(crate) fn memory_usage(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<(u32, u32)>()
            + self.arena.capacity()
            + self.ends.capacity() * 4
    }
}

/// A one-bit-per-hash filter over a set of key hashes (bits indexed by the top bits of the
/// hash): no false negatives, about 6 % false positives at the 16 bits per key it is sized
/// with. Most of a post's tokens and keys are no atom, and this small, cache-resident bitset
/// rejects them before an atom table is touched.
#[derive(Clone, Debug)]
pub(crate) struct KeyFilter {
    bits: Vec<u64>,
    /// The shift that takes a hash to its bit index.
    shift: u32,
}

impl KeyFilter {
    /// A filter of `len` keys with these hashes: 16 bits per key, at least 4 Ki bits.
    pub(crate) fn new(len: usize, hashes: impl IntoIterator<Item = u64>) -> KeyFilter {
        let size = (len * 16).next_power_of_two().max(1 << 12);
        let mut filter = KeyFilter {
            bits: vec![0u64; size / 64],
            shift: 64 - size.trailing_zeros(),
        };
        for hash in hashes {
            let bit = filter.bit(hash);
            filter.bits[bit / 64] |= 1 << (bit % 64);
        }
        filter
    }

    #[inline]
    fn bit(&self, hash: u64) -> usize {
        // At most 2^32 bits (16 per key, keys fewer than 2^28), so the top bits fit a usize.
        #[allow(clippy::cast_possible_truncation)]
        let bit = (hash >> self.shift) as usize;
        bit
    }

    /// Whether the key whose hash is `hash` may be in the set (never false for one that is).
    #[inline]
    pub(crate) fn may_contain(&self, hash: u64) -> bool {
        let bit = self.bit(hash);
        debug_assert!(bit / 64 < self.bits.len());
        // SAFETY: `new` makes `bits` hold `1 << (64 - shift)` bits (a power of two of at
        // least 64) and `bit` keeps the top `64 - shift` bits of the hash, so
        // `bit / 64 < bits.len()`. Tested once per post token and per text byte.
        #[allow(unsafe_code)]
        let word = unsafe { *self.bits.get_unchecked(bit / 64) };
        word >> (bit % 64) & 1 == 1
    }

    /// Heap bytes held.
    pub(crate) fn memory_usage(&self) -> usize {
        self.bits.capacity() * 8
    }
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)]
mod tests {
    use super::*;

    #[test]
    fn interns_and_finds() {
        let mut t = AtomTable::default();
        assert_eq!(t.get(hash_key(0, b"x"), 0, b"x"), None);
        let words: Vec<String> = (0..1000).map(|i| format!("w{i}")).collect();
        for (i, w) in words.iter().enumerate() {
            assert_eq!(t.intern(0, w.as_bytes()) as usize, i);
        }
        assert_eq!(t.intern(0, b"w5"), 5);
        assert_eq!(t.intern(1, b"w5"), 1000);
        assert_eq!(t.len(), 1001);
        for (i, w) in words.iter().enumerate() {
            assert_eq!(
                t.get(hash_key(0, w.as_bytes()), 0, w.as_bytes()),
                Some(i as u32)
            );
            assert_eq!(&t.key(i as u32)[1..], w.as_bytes());
        }
        assert_eq!(t.get(hash_key(1, b"w5"), 1, b"w5"), Some(1000));
        assert_eq!(t.get(hash_key(0, b"w1000"), 0, b"w1000"), None);
        assert_eq!(t.intern(2, b""), 1001);
        assert_eq!(t.key(1001), b"\x02");
    }

    #[test]
    fn key_filter_has_no_false_negatives_and_few_false_positives() {
        let keys: Vec<u64> = (0..10_000u32)
            .map(|i| hash_key(0, &i.to_le_bytes()))
            .collect();
        let filter = KeyFilter::new(keys.len(), keys.iter().copied());
        assert!(keys.iter().all(|&h| filter.may_contain(h)));
        let others = (10_000..110_000u32)
            .filter(|i| filter.may_contain(hash_key(0, &i.to_le_bytes())))
            .count();
        // 16 bits per key (rounded up to a power of two): about 4-6 % false positives.
        assert!(others < 8_000, "{others} false positives in 100,000");
        let empty = KeyFilter::new(0, []);
        assert!(!empty.may_contain(hash_key(0, b"x")));
    }

    #[test]
    fn hash_separates_lengths_and_tails() {
        assert_ne!(hash_key(0, b""), hash_key(0, b"\0"));
        assert_ne!(hash_key(0, b"abcdefgh"), hash_key(0, b"abcdefgh\0"));
        assert_ne!(hash_key(1, b"snow"), hash_key(2, b"snow"));
    }
}

/// A fast, deterministic hasher for the compiler's build-time maps (keys are rule-derived
/// strings, not attacker-chosen in a way that matters at build time; `SipHash`'s cost showed in
/// build profiles).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.0 = hash_key(0, bytes) ^ self.0.rotate_left(29);
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(n)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` with [`FastHasher`].
pub(crate) type FastMap<K, V> =
    std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;
