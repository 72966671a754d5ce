//! The matcher: a compiled [`RuleSet`] and the per-thread [`Scratch`] that matches posts
//! against it.
//!
//! The shape is regex-automata's `Regex` + `Cache`: a [`RuleSet`] is immutable and
//! `Send + Sync`, built once by a [`RuleSetBuilder`] and shared by every thread; each thread
//! owns a [`Scratch`] (`Send`, not `Sync`) holding the reusable buffers, and writes results
//! into a caller-owned [`Matches`]. Steady-state matching allocates nothing.
//!
//! Matching runs in three stages, so that the per-post work is done once however many segments
//! the rule set has: (a) the post's rule-independent facts, computed once per post; (b) for each
//! segment of the rule set, a lookup of those facts in the segment's atom index (or once, in a
//! lexicon shared by a live store's partitions) and substring search, then verification of the
//! candidate rules' plans; (c) a filter dropping deleted (tombstoned) rules. A rule set built
//! here has one segment; the live store keeps several.
//!
//! # Example
//!
//! ```
//! use powertrack::matcher::{Matches, RuleSetBuilder, Scratch};
//!
//! let mut builder = RuleSetBuilder::new();
//! builder.add_value(1, Some("snow"), "snow -rain")?;
//! builder.add_value(2, None, "#weather OR from:noaa")?;
//! let rules = builder.build()?;
//!
//! let mut scratch = Scratch::new();
//! let mut matches = Matches::new();
//! let line = br#"{"id_str":"9","text":"Snow today #Weather","user":{"id_str":"3","screen_name":"x"},"entities":{"hashtags":[{"text":"Weather"}]}}"#;
//! rules.match_line(line, &mut scratch, &mut matches)?;
//! assert_eq!(matches.ids().collect::<Vec<_>>(), [1, 2]);
//! let tags: Vec<_> = matches.rules(&rules).map(|m| m.tag).collect();
//! assert_eq!(tags, [Some("snow"), None]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod explain;
mod facts;
mod run;

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::compile::atoms::FastHasher;
use crate::compile::ir::Reads;
use crate::compile::lexicon::Lexicon;
use crate::compile::lower::lower;
use crate::compile::segment::{RuleInput, Segment};
use crate::output::MatchedRule;
use crate::post::{IngestError, Line, Parser, Post, SkipKind};
use crate::syntax::Rule;

pub use explain::{ClauseReport, Evidence, Explanation, explain};
use facts::Facts;
use run::{Resolved, SegmentScratch, match_segment, resolve};

/// An error building a rule set: which rule (its index in the input and its id), and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError {
    index: usize,
    id: u64,
    kind: BuildErrorKind,
}

/// The kind of a [`BuildError`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildErrorKind {
    /// Two rules have the same id.
    DuplicateId,
    /// The rule's value is not a valid rule; the message is PowerTrack's.
    Invalid(String),
}

impl BuildError {
    /// The index of the offending rule in the order rules were added.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The id of the offending rule.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// What is wrong.
    pub fn kind(&self) -> &BuildErrorKind {
        &self.kind
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            BuildErrorKind::DuplicateId => {
                write!(
                    f,
                    "rule {} (id {}): the id is used by an earlier rule",
                    self.index, self.id
                )
            }
            BuildErrorKind::Invalid(msg) => {
                write!(
                    f,
                    "rule {} (id {}): {}",
                    self.index,
                    self.id,
                    msg.trim_end()
                )
            }
        }
    }
}

impl std::error::Error for BuildError {}

/// Collects `(id, tag, rule)` triples, then compiles them into a [`RuleSet`].
#[derive(Debug, Default)]
pub struct RuleSetBuilder {
    rules: Vec<(u64, Option<Box<str>>, Rule)>,
    error: Option<BuildError>,
}

impl RuleSetBuilder {
    /// An empty builder.
    pub fn new() -> RuleSetBuilder {
        RuleSetBuilder::default()
    }

    /// Adds a parsed rule. Rules keep the order they are added in: `matching_rules` lists
    /// them in that order.
    pub fn add(&mut self, id: u64, tag: Option<&str>, rule: Rule) -> &mut RuleSetBuilder {
        self.rules.push((id, tag.map(Into::into), rule));
        self
    }

    /// Parses and validates `value`, then adds it.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] with PowerTrack's message when `value` is not a valid rule.
    pub fn add_value(
        &mut self,
        id: u64,
        tag: Option<&str>,
        value: &str,
    ) -> Result<&mut RuleSetBuilder, BuildError> {
        match Rule::parse(value) {
            Ok(rule) => Ok(self.add(id, tag, rule)),
            Err(e) => Err(BuildError {
                index: self.rules.len(),
                id,
                kind: BuildErrorKind::Invalid(e.powertrack_message()),
            }),
        }
    }

    /// The number of rules added.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether no rule was added.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Compiles the rules into one segment.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] naming the rule when two rules share an id.
    pub fn build(&self) -> Result<RuleSet, BuildError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let mut seen: HashSet<u64, std::hash::BuildHasherDefault<FastHasher>> =
            HashSet::with_capacity_and_hasher(
                self.rules.len(),
                std::hash::BuildHasherDefault::default(),
            );
        for (index, (id, _, _)) in self.rules.iter().enumerate() {
            if !seen.insert(*id) {
                return Err(BuildError {
                    index,
                    id: *id,
                    kind: BuildErrorKind::DuplicateId,
                });
            }
        }
        let inputs = self
            .rules
            .iter()
            .map(|(id, tag, rule)| RuleInput {
                id: *id,
                tag: tag.clone(),
                expr: lower(rule.expr()),
            })
            .collect();
        Ok(RuleSet::from_segments(
            vec![LiveSegment::new(Arc::new(Segment::build(inputs)))],
            0,
        ))
    }
}

/// A compiled segment of a rule set with its deleted rules.
#[derive(Clone, Debug)]
pub(crate) struct LiveSegment {
    pub(crate) segment: Arc<Segment>,
    /// Rule indices of the segment that are deleted (a bitset; shorter means not deleted).
    pub(crate) tombstones: Arc<[u64]>,
    /// The rule-set position of each rule of the segment, when the set's order is not simply
    /// segment by segment (a live store's segments interleave in creation order). Empty: the
    /// segment order.
    pub(crate) order: Arc<[u64]>,
    /// Deleted rules (the ones in `tombstones`).
    pub(crate) dead: usize,
}

impl LiveSegment {
    /// A segment with no deleted rules, in segment order.
    pub(crate) fn new(segment: Arc<Segment>) -> LiveSegment {
        LiveSegment {
            segment,
            tombstones: Arc::from(Vec::new()),
            order: Arc::from(Vec::new()),
            dead: 0,
        }
    }

    #[inline]
    fn is_deleted(&self, rule: u32) -> bool {
        let (word, bit) = ((rule / 64) as usize, rule % 64);
        self.tombstones.get(word).is_some_and(|w| w >> bit & 1 == 1)
    }
}

/// Build statistics of a [`RuleSet`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuleSetStats {
    /// Live rules.
    pub rules: usize,
    /// Segments.
    pub segments: usize,
    /// Interned atoms (tokens, entity and scalar keys, substrings, count ranges, geo cells).
    pub atoms: usize,
    /// Patterns of the substring searches.
    pub substring_patterns: usize,
    /// Bytes of the substring searches.
    pub automaton_bytes: usize,
    /// Distinct leaf tests.
    pub distinct_tests: usize,
    /// Rules evaluated for every post (no positive indexable atom).
    pub always_evaluated: usize,
    /// Entries of the atom → rule index.
    pub postings: usize,
    /// Entries of the lexicon through which the leading segments (a live store's base
    /// partitions) look a post's tokens and keys up once for all of them; 0 without one.
    pub lexicon_entries: usize,
    /// Segments matched through the lexicon.
    pub lexicon_segments: usize,
}

/// A compiled, immutable set of rules. `Send + Sync`: share it between threads (in an `Arc`),
/// with one [`Scratch`] per thread.
#[derive(Clone, Debug)]
pub struct RuleSet {
    segments: Vec<LiveSegment>,
    live_rules: usize,
    /// A process-unique identity, so [`Matches::rules`] can check it is given the right set.
    identity: u64,
    /// The live store's change counter when this set was published (0 for a built set).
    generation: u64,
    /// Whether matches are sorted by [`LiveSegment::order`].
    ordered: bool,
    /// What any of its rules can read of a post (the union over its segments): the facts
    /// stage computes nothing else. Part of the set, so a swap that brings the first rule
    /// reading a field brings the extraction of that field with it.
    reads: Reads,
    /// One table for the tokens and keys of its leading segments (a live store's base
    /// partitions), looked up once per post instead of once per segment.
    lexicon: Option<Arc<Lexicon>>,
    /// Test-only fault injection: a rule id whose matches are dropped.
    drop_candidate: Option<u64>,
    /// Scratch space for [`RuleSet::matching_ids`], shared by clones.
    pool: Arc<Mutex<Vec<(Scratch, Matches)>>>,
}

static NEXT_IDENTITY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl RuleSet {
    /// A rule set of the given segments. Matches are listed segment by segment unless the
    /// segments carry an [`order`](LiveSegment::order), which then decides.
    pub(crate) fn from_segments(segments: Vec<LiveSegment>, generation: u64) -> RuleSet {
        let live_rules = segments
            .iter()
            .map(|s| s.segment.rules.len() - s.dead)
            .sum();
        let ordered = segments.iter().any(|s| !s.order.is_empty());
        let reads = segments
            .iter()
            .fold(Reads::default(), |r, s| r.union(s.segment.reads));
        let identity = NEXT_IDENTITY.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        RuleSet {
            segments,
            live_rules,
            identity,
            generation,
            ordered,
            reads,
            lexicon: None,
            drop_candidate: None,
            pool: Arc::default(),
        }
    }

    /// The same set, its leading segments matched through `lexicon` (ignored unless it was
    /// built from exactly those segments).
    #[must_use]
    pub(crate) fn with_lexicon(mut self, lexicon: Option<Arc<Lexicon>>) -> RuleSet {
        self.lexicon = lexicon.filter(|l| l.covers(self.segments.iter().map(|s| &s.segment)));
        self
    }

    /// The generation of the rule set: the number of changes a [live
    /// store](crate::live::LiveRules) had committed when it published this set (0 for a set
    /// built by a [`RuleSetBuilder`]). Every [`Matches`] carries the generation it was matched
    /// against.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The number of segments (one for a built set; a live store's base partitions and deltas).
    pub fn segments(&self) -> usize {
        self.segments.len()
    }

    /// The number of (live) rules.
    pub fn len(&self) -> usize {
        self.live_rules
    }

    /// Whether the set has no rules.
    pub fn is_empty(&self) -> bool {
        self.live_rules == 0
    }

    /// Heap bytes held by the compiled rules (index, automata, plans, tags).
    pub fn memory_usage(&self) -> usize {
        self.segments
            .iter()
            .map(|s| s.segment.memory_usage() + (s.tombstones.len() + s.order.len()) * 8)
            .sum::<usize>()
            + self.lexicon.as_ref().map_or(0, |l| l.memory_usage())
    }

    /// Build statistics.
    pub fn stats(&self) -> RuleSetStats {
        let mut st = RuleSetStats {
            rules: self.live_rules,
            segments: self.segments.len(),
            ..Default::default()
        };
        for s in &self.segments {
            let g = &s.segment.stats;
            st.atoms += g.atoms;
            st.substring_patterns += g.substring_patterns;
            st.automaton_bytes += g.automaton_bytes;
            st.distinct_tests += g.distinct_preds;
            st.always_evaluated += g.always_evaluated;
            st.postings += g.postings;
        }
        if let Some(l) = &self.lexicon {
            st.lexicon_entries = l.len();
            st.lexicon_segments = l.columns();
        }
        st
    }

    /// Matches one post, replacing the contents of `matches` with the rules that match it,
    /// in rule-set order.
    pub fn match_post(&self, post: &Post<'_>, scratch: &mut Scratch, matches: &mut Matches) {
        scratch.facts.extract(post, self.reads);
        self.match_facts(scratch, matches);
    }

    /// The ids of the rules matching one line, in rule-set order (empty for a line that is not
    /// a post): the convenient form, which takes its scratch space from a pool inside the rule
    /// set. Loops over a stream should own a [`Scratch`] per thread and use
    /// [`match_line`](RuleSet::match_line) instead.
    ///
    /// # Errors
    ///
    /// An [`IngestError`] for a malformed line.
    ///
    /// # Example
    ///
    /// ```
    /// use powertrack::matcher::RuleSetBuilder;
    ///
    /// let mut builder = RuleSetBuilder::new();
    /// builder.add_value(7, None, "snow")?;
    /// let rules = builder.build()?;
    /// let line = br#"{"id_str":"1","text":"snow!","user":{"id_str":"2","screen_name":"a"}}"#;
    /// assert_eq!(rules.matching_ids(line)?, [7]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn matching_ids(&self, line: &[u8]) -> Result<Vec<u64>, IngestError> {
        let taken = self.pool.lock().ok().and_then(|mut pool| pool.pop());
        let (mut scratch, mut matches) = taken.unwrap_or_default();
        let result = self
            .match_line(line, &mut scratch, &mut matches)
            .map(|_| matches.ids().collect());
        if let Ok(mut pool) = self.pool.lock() {
            pool.push((scratch, matches));
        }
        result
    }

    /// Parses one line of a stream and matches it when it is a post.
    ///
    /// Returns `Ok(None)` for a post (its matches, possibly none, are in `matches`) and
    /// `Ok(Some(kind))` for a line that is not a post (`matches` is then empty).
    ///
    /// # Errors
    ///
    /// An [`IngestError`] for a malformed line; `matches` is then empty.
    pub fn match_line(
        &self,
        line: &[u8],
        scratch: &mut Scratch,
        matches: &mut Matches,
    ) -> Result<Option<SkipKind>, IngestError> {
        matches.clear();
        let Scratch { parser, facts, .. } = scratch;
        match parser.parse(line)? {
            Line::Post(post) => {
                facts.extract(&post, self.reads);
                matches.layout = layout_of(&post);
                matches.in_place = post.has_matching_rules();
            }
            Line::Skipped(kind) => return Ok(Some(kind)),
        }
        self.match_facts(scratch, matches);
        Ok(None)
    }

    fn match_facts(&self, scratch: &mut Scratch, matches: &mut Matches) {
        matches.rules.clear();
        matches.ids.clear();
        matches.candidates = 0;
        matches.order.clear();
        if scratch.segments.len() < self.segments.len() {
            scratch
                .segments
                .resize_with(self.segments.len(), SegmentScratch::default);
        }
        let lexicon = self.lexicon.as_deref();
        if let Some(lex) = lexicon {
            resolve(lex, &scratch.facts, &mut scratch.resolved);
        }
        for (si, live) in self.segments.iter().enumerate() {
            let state = &mut scratch.segments[si];
            let lex = lexicon
                .filter(|l| si < l.columns())
                .map(|l| (l, si, &scratch.resolved));
            match_segment(&live.segment, &scratch.facts, lex, state);
            matches.candidates += state.evaluated;
            for &rule in &state.matched {
                let id = live.segment.rules[rule as usize].id;
                if !live.is_deleted(rule) && self.drop_candidate != Some(id) {
                    let si = u32::try_from(si).expect("fewer than 2^32 segments");
                    matches.rules.push((si, rule));
                    matches.ids.push(id);
                    if self.ordered {
                        matches.order.push(live.order[rule as usize]);
                    }
                }
            }
        }
        if self.ordered && matches.order.windows(2).any(|w| w[0] > w[1]) {
            matches.sort_by_order();
        }
        matches.set = Some(self.identity);
        matches.generation = self.generation;
    }

    /// The ids of the candidate rules evaluated for the last post matched with `scratch`
    /// (live rules only, in rule-set order). For tests and index statistics.
    #[doc(hidden)]
    pub fn last_candidates<'s>(&'s self, scratch: &'s Scratch) -> impl Iterator<Item = u64> + 's {
        self.segments
            .iter()
            .zip(&scratch.segments)
            .flat_map(|(live, state)| {
                state
                    .candidates
                    .iter()
                    .filter(|&&r| !live.is_deleted(r))
                    .map(|&r| live.segment.rules[r as usize].id)
            })
    }

    /// Test-only fault injection: this rule set silently drops rule `id` from every result,
    /// as a buggy prefilter would. Differential tests use it to prove they can fail.
    #[doc(hidden)]
    #[must_use]
    pub fn with_dropped_candidate_for_tests(mut self, id: u64) -> RuleSet {
        self.drop_candidate = Some(id);
        self
    }

    /// The id and tag of rule `rule` of segment `segment`.
    fn rule(&self, segment: u32, rule: u32) -> MatchedRule<'_> {
        let entry = &self.segments[segment as usize].segment.rules[rule as usize];
        MatchedRule {
            id: entry.id,
            tag: entry.tag.as_deref(),
        }
    }
}

fn layout_of(post: &Post<'_>) -> crate::output::Layout {
    use crate::output::Layout;
    use crate::post::Format;
    match post.format() {
        Format::Native => Layout::Native,
        Format::ActivityStreams => Layout::ActivityStreams,
        Format::V2 => Layout::V2,
    }
}

/// Per-thread matching state: the line parser, the post's facts, and each segment's
/// candidate and hit sets. Create one per thread and reuse it for every post.
#[derive(Debug, Default)]
pub struct Scratch {
    parser: Parser,
    facts: Facts,
    segments: Vec<SegmentScratch>,
    /// The post's tokens and keys in the set's lexicon, if it has one.
    resolved: Resolved,
    /// A scratch belongs to one thread at a time: `Send`, not `Sync`.
    _not_sync: std::marker::PhantomData<std::cell::Cell<()>>,
}

impl Scratch {
    /// Fresh state, with the default maximum line length of [`Parser::new`].
    pub fn new() -> Scratch {
        Scratch::default()
    }

    /// Fresh state whose parser refuses lines longer than `max` bytes.
    pub fn with_max_line_len(max: usize) -> Scratch {
        Scratch {
            parser: Parser::with_max_line_len(max),
            ..Scratch::default()
        }
    }
}

/// The rules that matched one post, owned by the caller and reused from post to post.
#[derive(Clone, Debug, Default)]
pub struct Matches {
    /// (segment, rule index) of each match, in rule-set order.
    rules: Vec<(u32, u32)>,
    /// Their ids.
    ids: Vec<u64>,
    candidates: usize,
    layout: crate::output::Layout,
    /// Whether the post has a `matching_rules` where its layout puts one.
    in_place: bool,
    set: Option<u64>,
    generation: u64,
    /// Rule-set positions of the matches, for sets whose segments interleave.
    order: Vec<u64>,
}

impl Matches {
    /// An empty result.
    pub fn new() -> Matches {
        Matches::default()
    }

    fn clear(&mut self) {
        self.rules.clear();
        self.ids.clear();
        self.candidates = 0;
        self.set = None;
        self.order.clear();
    }

    /// Sorts the matches by their rule-set position (a few entries: insertion sort).
    fn sort_by_order(&mut self) {
        for i in 1..self.order.len() {
            let mut j = i;
            while j > 0 && self.order[j - 1] > self.order[j] {
                self.order.swap(j - 1, j);
                self.rules.swap(j - 1, j);
                self.ids.swap(j - 1, j);
                j -= 1;
            }
        }
    }

    /// The [generation](RuleSet::generation) of the rule set that produced these matches.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The number of matching rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether no rule matched.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Candidate rules whose plans were evaluated for the post (a measure of index quality).
    pub fn candidates(&self) -> usize {
        self.candidates
    }

    /// The `matching_rules` layout of the post's format (set by [`RuleSet::match_line`]).
    pub fn layout(&self) -> crate::output::Layout {
        self.layout
    }

    /// Whether the post already has a `matching_rules` where its layout puts one (set by
    /// [`RuleSet::match_line`]): output must then replace it
    /// ([`splice_matching_rules`](crate::output::splice_matching_rules)); otherwise
    /// [`append_matching_rules`](crate::output::append_matching_rules) writes the same bytes
    /// without scanning the line again.
    pub fn has_matching_rules(&self) -> bool {
        self.in_place
    }

    /// Appends `line` (the line these matches came from) to `out` with its `matching_rules`
    /// listing these matches, the cheapest way the post allows: a copy and the list when it
    /// has no `matching_rules` in place, a structural splice when it has. `rules` must be the
    /// rule set that matched.
    ///
    /// # Errors
    ///
    /// A [`SpliceError`](crate::output::SpliceError) when `line` cannot take the list
    /// (nothing is appended); never for a line [`RuleSet::match_line`] accepted as a post.
    ///
    /// # Panics
    ///
    /// When `rules` is not the rule set that produced these matches.
    ///
    /// # Example
    ///
    /// ```
    /// use powertrack::matcher::{Matches, RuleSetBuilder, Scratch};
    ///
    /// let mut builder = RuleSetBuilder::new();
    /// builder.add_value(7, Some("weather"), "snow")?;
    /// let rules = builder.build()?;
    /// let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
    /// let line = br#"{"id_str":"1","text":"snow!","user":{"id_str":"2","screen_name":"a"}}"#;
    /// rules.match_line(line, &mut scratch, &mut matches)?;
    /// let mut out = Vec::new();
    /// matches.write_line(line, &rules, &mut out)?;
    /// assert!(out.ends_with(br#""matching_rules":[{"tag":"weather","id":7,"id_str":"7"}]}"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_line(
        &self,
        line: &[u8],
        rules: &RuleSet,
        out: &mut Vec<u8>,
    ) -> Result<(), crate::output::SpliceError> {
        if self.in_place {
            crate::output::splice_matching_rules(line, self.layout, self.rules(rules), out)
        } else {
            crate::output::append_matching_rules(line, self.layout, self.rules(rules), out)
        }
    }

    /// The matching rules' ids, in rule-set order.
    pub fn ids(&self) -> impl ExactSizeIterator<Item = u64> + '_ {
        self.ids.iter().copied()
    }

    /// The matching rules' ids and tags, in rule-set order. `rules` must be the rule set
    /// these matches came from (or a clone of it).
    ///
    /// # Panics
    ///
    /// When `rules` is not the rule set that produced these matches.
    pub fn rules<'r>(
        &'r self,
        rules: &'r RuleSet,
    ) -> impl ExactSizeIterator<Item = MatchedRule<'r>> + 'r {
        assert!(
            self.set.is_none_or(|s| s == rules.identity),
            "Matches::rules called with a rule set other than the one that matched"
        );
        self.rules.iter().map(move |&(s, r)| rules.rule(s, r))
    }
}

#[cfg(test)]
mod tests;
