//! The substring search of a segment: every occurrence of any of its `contains:`-style
//! patterns in a text, in one pass.
//!
//! A general multi-pattern automaton walks a state graph byte by byte, a dependent load per
//! byte into a structure as large as the pattern set. Most texts contain few of the patterns,
//! so this search does something cheaper per byte: each pattern of four bytes or more is
//! *anchored* on one of its 4-byte windows, chosen to be shared by as few other patterns as
//! possible; the text's 4-byte windows are tested against a bit filter of the anchors (one
//! multiply and one bit test per byte, the filter small enough to stay in cache), and only a
//! window that passes is looked up and its patterns compared in full at the offset of their
//! anchor. Every occurrence of a pattern contains its anchor at that offset, so none is
//! missed. Patterns of three bytes (a single CJK character) are their own 3-byte window, found
//! the same way; the few of one or two bytes go to a small multi-pattern automaton.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::atoms::{FastMap, KeyFilter};

/// Bytes of an anchor window.
const WINDOW: usize = 4;

/// All occurrences of a fixed set of byte patterns.
#[derive(Clone, Debug)]
pub(crate) struct SubstringSearch {
    /// The patterns of one or two bytes, and their indices.
    short: Option<(AhoCorasick, Vec<u32>)>,
    /// The patterns of three bytes, each its own (3-byte) window.
    three: Windows,
    /// The longer patterns, on their anchor windows.
    long: Windows,
    /// Pattern `i` is `bytes[ends[i - 1]..ends[i]]`.
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

/// Patterns by one window each.
#[derive(Clone, Debug)]
struct Windows {
    /// The hashed windows (`spread`).
    filter: KeyFilter,
    /// Window → its patterns: `anchored[start..start + len]`.
    map: FastMap<u32, (u32, u32)>,
    /// (pattern index, offset of the window in it), grouped by window.
    anchored: Vec<(u32, u32)>,
}

/// The `width` bytes at `at` (three or four), as a number.
#[inline]
fn window_at(text: &[u8], at: usize, width: usize) -> u32 {
    let three = u32::from_le_bytes([text[at], text[at + 1], text[at + 2], 0]);
    if width == 3 {
        three
    } else {
        three | u32::from(text[at + 3]) << 24
    }
}

/// A window as a [`KeyFilter`] hash: a multiplication spreads it into the top bits the filter
/// reads.
#[inline]
fn spread(window: u32) -> u64 {
    u64::from(window).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

fn index(i: usize) -> u32 {
    u32::try_from(i).expect("fewer than 2^32 patterns")
}

impl Windows {
    /// From (window, pattern, offset) triples.
    fn new(mut anchors: Vec<(u32, u32, u32)>) -> Windows {
        anchors.sort_unstable();
        let filter = KeyFilter::new(anchors.len(), anchors.iter().map(|&(w, _, _)| spread(w)));
        let mut map: FastMap<u32, (u32, u32)> = FastMap::default();
        for (k, &(window, _, _)) in anchors.iter().enumerate() {
            map.entry(window).or_insert((index(k), 0)).1 += 1;
        }
        Windows {
            filter,
            map,
            anchored: anchors.iter().map(|&(_, p, o)| (p, o)).collect(),
        }
    }

    /// Whether any pattern is anchored on a window of this width.
    fn is_empty(&self) -> bool {
        self.anchored.is_empty()
    }

    /// Whether a pattern may be anchored on `window` (never false when one is): one bit test,
    /// the whole cost of most windows.
    #[inline]
    fn may_hold(&self, window: u32) -> bool {
        self.filter.may_contain(spread(window))
    }

    /// The (pattern, offset) pairs anchored on `window`.
    #[inline(never)]
    fn on(&self, window: u32) -> &[(u32, u32)] {
        match self.map.get(&window) {
            Some(&(start, len)) => &self.anchored[start as usize..(start + len) as usize],
            None => &[],
        }
    }

    fn memory_usage(&self) -> usize {
        self.filter.memory_usage()
            + self.map.capacity() * (std::mem::size_of::<(u32, (u32, u32))>() + 1)
            + self.anchored.capacity() * 8
    }
}

impl SubstringSearch {
    /// The search for `patterns` (pattern `i` is reported as `i`). Empty patterns never match.
    pub(crate) fn new<'p>(patterns: impl IntoIterator<Item = &'p [u8]>) -> SubstringSearch {
        let patterns: Vec<&[u8]> = patterns.into_iter().collect();
        // How many patterns share each window, to anchor each on its least shared one.
        let mut shared: FastMap<u32, u32> = FastMap::default();
        for p in &patterns {
            let mut seen: Vec<u32> = (0..p.len().saturating_sub(WINDOW - 1))
                .map(|at| window_at(p, at, WINDOW))
                .collect();
            seen.sort_unstable();
            seen.dedup();
            for w in seen {
                *shared.entry(w).or_default() += 1;
            }
        }
        let mut short = (Vec::new(), Vec::new());
        let mut three = Vec::new();
        let mut long = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            match p.len() {
                0 => {}
                1 | 2 => {
                    short.0.push(*p);
                    short.1.push(index(i));
                }
                3 => three.push((window_at(p, 0, 3), index(i), 0)),
                n => {
                    let (offset, window) = (0..=n - WINDOW)
                        .map(|at| (at, window_at(p, at, WINDOW)))
                        .min_by_key(|&(at, w)| (shared[&w], at))
                        .expect("a pattern of a window or more has a window");
                    long.push((window, index(i), index(offset)));
                }
            }
        }
        let mut bytes = Vec::new();
        let mut ends = Vec::with_capacity(patterns.len());
        for p in &patterns {
            bytes.extend_from_slice(p);
            ends.push(u32::try_from(bytes.len()).expect("patterns under 4 GiB in all"));
        }
        let short = (!short.0.is_empty()).then(|| {
            let automaton = AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .build(&short.0)
                .expect("short patterns within the automaton's limits");
            (automaton, short.1)
        });
        SubstringSearch {
            short,
            three: Windows::new(three),
            long: Windows::new(long),
            bytes,
            ends,
        }
    }

    fn pattern(&self, i: u32) -> &[u8] {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    /// Calls `found` with the index of the pattern of every occurrence in `text` (a pattern
    /// that occurs several times may be reported several times).
    #[inline]
    pub(crate) fn find(&self, text: &[u8], mut found: impl FnMut(u32)) {
        if let Some((automaton, ids)) = &self.short {
            for m in automaton.find_overlapping_iter(text) {
                found(ids[m.pattern().as_usize()]);
            }
        }
        let (three, long) = (!self.three.is_empty(), !self.long.is_empty());
        if !(three || long) || text.len() < 3 {
            return;
        }
        // One pass over the text's windows: each position's four bytes, and its first three.
        let bytes = text.as_ptr();
        for at in 0..text.len().saturating_sub(WINDOW - 1) {
            // SAFETY: `at + WINDOW <= text.len()`, so the four bytes read lie inside `text`.
            #[allow(unsafe_code)]
            let window = u32::from_le(unsafe { bytes.add(at).cast::<u32>().read_unaligned() });
            if three && self.three.may_hold(window & 0x00ff_ffff) {
                // A three-byte pattern is its window.
                for &(pattern, _) in self.three.on(window & 0x00ff_ffff) {
                    found(pattern);
                }
            }
            if long && self.long.may_hold(window) {
                for &(pattern, offset) in self.long.on(window) {
                    let p = self.pattern(pattern);
                    if let Some(begin) = at.checked_sub(offset as usize)
                        && text.get(begin..begin + p.len()) == Some(p)
                    {
                        found(pattern);
                    }
                }
            }
        }
        // The last three bytes are a window of three only.
        if three {
            let window = window_at(text, text.len() - 3, 3);
            if self.three.may_hold(window) {
                for &(pattern, _) in self.three.on(window) {
                    found(pattern);
                }
            }
        }
    }

    /// Heap bytes held.
    pub(crate) fn memory_usage(&self) -> usize {
        self.short
            .as_ref()
            .map_or(0, |(a, ids)| a.memory_usage() + ids.capacity() * 4)
            + self.three.memory_usage()
            + self.long.memory_usage()
            + self.bytes.capacity()
            + self.ends.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every (pattern, end) occurrence, as a general automaton finds them.
    fn by_automaton(patterns: &[Vec<u8>], text: &[u8]) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        let nonempty: Vec<(usize, &Vec<u8>)> = patterns
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.is_empty())
            .collect();
        if nonempty.is_empty() {
            return out;
        }
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(nonempty.iter().map(|(_, p)| p))
            .unwrap();
        for m in ac.find_overlapping_iter(text) {
            out.push(index(nonempty[m.pattern().as_usize()].0));
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn by_search(patterns: &[Vec<u8>], text: &[u8]) -> Vec<u32> {
        let search = SubstringSearch::new(patterns.iter().map(Vec::as_slice));
        let mut out = Vec::new();
        search.find(text, |p| out.push(p));
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn finds_short_long_overlapping_and_repeated_patterns() {
        let patterns: Vec<Vec<u8>> = ["snow", "now", "snowfall", "all", "wfal", "雪", "", "fall"]
            .iter()
            .map(|p| p.as_bytes().to_vec())
            .collect();
        let text = "a snowfall, 雪, and snow again".as_bytes();
        assert_eq!(by_search(&patterns, text), vec![0, 1, 2, 3, 4, 5, 7]);
        assert_eq!(by_search(&patterns, text), by_automaton(&patterns, text));
        assert!(by_search(&patterns, b"").is_empty());
        assert!(by_search(&patterns, b"sno").is_empty());
        assert_eq!(by_search(&patterns, b"snow"), vec![0, 1]);
        let mut all = Vec::new();
        SubstringSearch::new(patterns.iter().map(Vec::as_slice))
            .find(b"snow snow", |p| all.push(p));
        assert_eq!(
            all.iter().filter(|&&p| p == 0).count(),
            2,
            "each occurrence"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The same patterns found as by a general automaton, over a small alphabet (so that
        /// patterns share windows and overlap) with multi-byte characters.
        #[test]
        fn finds_what_an_automaton_finds(
            patterns in prop::collection::vec("[ab雪c]{0,7}|雪|[abc]{3}", 0..40),
            text in "[ab雪c ]{0,80}",
        ) {
            let patterns: Vec<Vec<u8>> = patterns.into_iter().map(String::into_bytes).collect();
            prop_assert_eq!(
                by_search(&patterns, text.as_bytes()),
                by_automaton(&patterns, text.as_bytes())
            );
        }
    }
}
