//! The lexicon: one atom table over the looked-up atoms (tokens, exact keys, token pairs) of
//! several segments — a live store's base partitions — so that a post's tokens and keys are
//! looked up once per post, not once per partition.
//!
//! Entry `e` stands for one key; its atom in covered segment `c` (its *column*) is
//! `atom(e, c)`, [`NO_ATOM`] when that segment has no such atom. Pair keys are the pair of
//! the two tokens' entries, so a pair found in the lexicon is the pair each segment would have
//! found with its own atom ids. The lexicon holds its segments weakly, and a rule set uses it
//! only for the segments it was built from (`covers`): a partition rebuilt since then is
//! matched with its own table until the next lexicon.

use std::sync::{Arc, Weak};

use super::atoms::{AtomTable, KeyFilter, hash_key};
use super::ir::KeyKind;
use super::segment::{Segment, pair_value};

/// No atom: the key is not one of this column's segment.
pub(crate) const NO_ATOM: u32 = u32::MAX;

/// A shared dictionary of the looked-up atoms of several segments.
#[derive(Debug)]
pub(crate) struct Lexicon {
    table: AtomTable,
    filter: KeyFilter,
    has_pairs: bool,
    columns: usize,
    /// `local[e * columns + c]`: entry `e`'s atom in segment `c`.
    local: Vec<u32>,
    /// The segments, by column. Weak: the lexicon must not keep a replaced partition's memory
    /// alive; holding the allocation also keeps its address from being reused, so pointer
    /// equality in `covers` cannot mistake a new segment for an old one.
    segments: Vec<Weak<Segment>>,
}

impl Lexicon {
    /// The lexicon of `segments` (columns in this order).
    pub(crate) fn build(segments: &[Arc<Segment>]) -> Lexicon {
        let columns = segments.len();
        let mut table = AtomTable::default();
        let mut local: Vec<u32> = Vec::new();
        let set = |local: &mut Vec<u32>, entry: u32, column: usize, atom: u32| {
            let row = entry as usize * columns;
            if local.len() <= row {
                local.resize(row + columns, NO_ATOM);
            }
            local[row + column] = atom;
        };
        // Looked-up keys first, remembering each segment atom's entry for the pairs.
        let mut entries: Vec<Vec<u32>> = Vec::with_capacity(columns);
        let mut has_pairs = false;
        for (c, seg) in segments.iter().enumerate() {
            let mut of_atom = vec![NO_ATOM; seg.atoms.len()];
            for (a, slot) in of_atom.iter_mut().enumerate() {
                let atom = u32::try_from(a).expect("fewer than 2^32 atoms");
                let key = seg.atoms.key(atom);
                if KeyKind::is_looked_up(key[0]) {
                    let e = table.intern(key[0], &key[1..]);
                    set(&mut local, e, c, atom);
                    *slot = e;
                }
            }
            has_pairs |= seg.has_pairs;
            entries.push(of_atom);
        }
        let looked_up = table.len();
        let filter = KeyFilter::new(
            looked_up,
            (0..looked_up).map(|e| {
                let key = table.key(u32::try_from(e).unwrap_or(u32::MAX));
                hash_key(key[0], &key[1..])
            }),
        );
        for (c, seg) in segments.iter().enumerate() {
            if !seg.has_pairs {
                continue;
            }
            for a in 0..seg.atoms.len() {
                let atom = u32::try_from(a).expect("fewer than 2^32 atoms");
                let key = seg.atoms.key(atom);
                if key[0] != KeyKind::Pair as u8 {
                    continue;
                }
                let id = |at: usize| {
                    let bytes = [key[at], key[at + 1], key[at + 2], key[at + 3]];
                    entries[c][u32::from_le_bytes(bytes) as usize]
                };
                let e = table.intern(KeyKind::Pair as u8, &pair_value(id(1), id(5)));
                set(&mut local, e, c, atom);
            }
        }
        local.resize(table.len() * columns, NO_ATOM);
        local.shrink_to_fit();
        Lexicon {
            table,
            filter,
            has_pairs,
            columns,
            local,
            segments: segments.iter().map(Arc::downgrade).collect(),
        }
    }

    /// The number of entries.
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// The number of segments it covers.
    pub(crate) fn columns(&self) -> usize {
        self.columns
    }

    /// Whether it was built from exactly the first [`columns`](Lexicon::columns) of
    /// `segments`, in order.
    pub(crate) fn covers<'s>(&self, segments: impl IntoIterator<Item = &'s Arc<Segment>>) -> bool {
        let mut segments = segments.into_iter();
        self.segments.iter().all(|mine| {
            segments
                .next()
                .is_some_and(|s| std::ptr::eq(mine.as_ptr(), Arc::as_ptr(s)))
        })
    }

    /// Whether a token or key whose key hash is `hash` may be an entry (no false negatives).
    #[inline]
    pub(crate) fn may_be_key(&self, hash: u64) -> bool {
        self.filter.may_contain(hash)
    }

    /// The entry of key `kind` + `value` (whose [`hash_key`] is `hash`).
    #[inline]
    pub(crate) fn get(&self, hash: u64, kind: u8, value: &[u8]) -> Option<u32> {
        self.table.get(hash, kind, value)
    }

    /// Whether any covered segment indexes token pairs.
    pub(crate) fn has_pairs(&self) -> bool {
        self.has_pairs
    }

    /// Entry `entry`'s atom in column `column`, or [`NO_ATOM`].
    #[inline]
    pub(crate) fn atom(&self, entry: u32, column: usize) -> u32 {
        self.local[entry as usize * self.columns + column]
    }

    /// Heap bytes held.
    pub(crate) fn memory_usage(&self) -> usize {
        self.table.memory_usage()
            + self.filter.memory_usage()
            + self.local.capacity() * 4
            + self.segments.capacity() * std::mem::size_of::<Weak<Segment>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::lower::lower;
    use crate::compile::segment::RuleInput;
    use crate::syntax::Rule;

    fn segment(rules: &[&str]) -> Arc<Segment> {
        Arc::new(Segment::build(
            rules
                .iter()
                .enumerate()
                .map(|(i, r)| RuleInput {
                    id: i as u64,
                    tag: None,
                    expr: lower(Rule::parse(r).expect("valid").expr()),
                })
                .collect(),
        ))
    }

    fn entry_of(lex: &Lexicon, kind: KeyKind, value: &[u8]) -> Option<u32> {
        lex.get(hash_key(kind as u8, value), kind as u8, value)
    }

    #[test]
    fn maps_each_key_to_its_atom_in_every_segment() {
        let a = segment(&["snow day", "from:alice", "contains:ice"]);
        let b = segment(&["snow OR rain", "lang:fr"]);
        let lex = Lexicon::build(&[a.clone(), b.clone()]);
        assert_eq!(lex.columns(), 2);
        for (kind, value) in [(KeyKind::Token, &b"snow"[..]), (KeyKind::Token, b"rain")] {
            let e = entry_of(&lex, kind, value).expect("an entry");
            assert!(lex.may_be_key(hash_key(kind as u8, value)));
            for (c, seg) in [&a, &b].into_iter().enumerate() {
                let own = seg
                    .atoms
                    .get(hash_key(kind as u8, value), kind as u8, value);
                assert_eq!(own.unwrap_or(NO_ATOM), lex.atom(e, c), "{value:?} in {c}");
            }
        }
        // Substring atoms are found by the automaton, never looked up.
        assert_eq!(entry_of(&lex, KeyKind::Substring, b"ice"), None);
        assert_eq!(entry_of(&lex, KeyKind::Token, b"hail"), None);
    }

    #[test]
    fn pairs_are_keyed_by_entries_and_map_to_each_segments_pair() {
        // Phrases of common words are indexed under a pair of token atoms.
        let a = segment(&["\"the of\"", "x"]);
        let b = segment(&["y", "z", "\"the of\""]);
        assert!(
            a.has_pairs && b.has_pairs,
            "the phrase is indexed by a pair"
        );
        let lex = Lexicon::build(&[a.clone(), b.clone()]);
        assert!(lex.has_pairs());
        let the = entry_of(&lex, KeyKind::Token, b"the").expect("the");
        let of = entry_of(&lex, KeyKind::Token, b"of").expect("of");
        let pair = entry_of(&lex, KeyKind::Pair, &pair_value(the, of)).expect("a pair entry");
        for (c, seg) in [&a, &b].into_iter().enumerate() {
            let local = |w: &[u8]| seg.atoms.get(hash_key(0, w), 0, w).expect("token atom");
            let value = pair_value(local(b"the"), local(b"of"));
            let own = seg.atoms.get(
                hash_key(KeyKind::Pair as u8, &value),
                KeyKind::Pair as u8,
                &value,
            );
            assert_eq!(own, Some(lex.atom(pair, c)));
        }
    }

    #[test]
    fn covers_only_the_segments_it_was_built_from() {
        let a = segment(&["snow"]);
        let b = segment(&["rain"]);
        let lex = Lexicon::build(&[a.clone(), b.clone()]);
        assert!(lex.covers([&a, &b]));
        assert!(lex.covers([&a, &b, &segment(&["delta"])]), "deltas follow");
        assert!(!lex.covers([&b, &a]));
        assert!(!lex.covers([&a]));
        let rebuilt = segment(&["rain"]);
        assert!(!lex.covers([&a, &rebuilt]));
        drop(b);
        assert!(!lex.covers([&a, &rebuilt]));
    }
}
