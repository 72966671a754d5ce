//! A counting-allocator test: matching a post allocates nothing in steady state.
//!
//! Its own test binary, because it installs a `#[global_allocator]`. Allocations are counted
//! only on the thread that turns counting on, so the harness's other threads don't disturb
//! the count.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use powertrack::api::RuleEntry;
use powertrack::live::{Config, LiveRules};
use powertrack::matcher::{Matches, RuleSet, RuleSetBuilder, Scratch};
use powertrack_gen::rules::RuleSetGenerator;

/// The system allocator, counting the allocations (and reallocations) made while the current
/// thread has counting on.
struct Counting;

thread_local! {
    /// Whether this thread counts its allocations.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    /// This thread's count (per thread: tests run in parallel).
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; counting
// touches only const-initialised thread-locals (which never allocate).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn count_allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(Cell::get) - before
}

fn lines_of(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The real corpus (v1.1 native, v2 and Activity Streams), or the bundled sample without it.
fn corpus() -> Vec<Vec<u8>> {
    let test = "alloc::steady_state_matching_allocates_nothing";
    let files = [
        "combined/all_v11_native.ndjson",
        "twarc-csv-v2/twarc-csv_v2_stream_like.ndjson",
        "twitterdev-tweet_parser/activity_streams_examples.json",
    ];
    let mut lines = Vec::new();
    for rel in files {
        if let Some(path) = common::corpus_file(test, rel) {
            lines.extend(lines_of(&std::fs::read(path).expect("read corpus file")));
        }
    }
    if lines.is_empty() {
        let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/firehose.ndjson");
        lines = lines_of(&std::fs::read(sample).expect("read the bundled sample"));
    }
    lines
}

fn generated_rules(n: usize) -> RuleSet {
    let mut b = RuleSetBuilder::new();
    for rule in RuleSetGenerator::new(1).count(n) {
        let (id, tag, value) = rule.into_parts();
        b.add_value(id, tag.as_deref(), &value)
            .expect("generated rules are valid");
    }
    b.build().expect("generated rules compile")
}

/// One pass of `match_line` over `lines`, each matched post written out with its
/// `matching_rules` into `out` (cleared per post, as a writer's buffer is); returns (posts,
/// matches).
fn pass(
    set: &RuleSet,
    lines: &[Vec<u8>],
    scratch: &mut Scratch,
    m: &mut Matches,
    out: &mut Vec<u8>,
) -> (u64, u64) {
    let (mut posts, mut matched) = (0, 0);
    for line in lines {
        if let Ok(None) = set.match_line(line, scratch, m) {
            posts += 1;
            matched += m.len() as u64;
            if !m.is_empty() {
                out.clear();
                m.write_line(line, set, out)
                    .expect("a post takes its matching_rules");
            }
        }
    }
    (posts, matched)
}

#[test]
fn steady_state_matching_allocates_nothing() {
    let lines = corpus();
    let set = generated_rules(1000);
    let mut scratch = Scratch::new();
    let mut matches = Matches::new();
    let mut out = Vec::new();
    // Warm-up: the scratch, the matches and the output buffer grow to the largest post.
    let (posts, matched) = pass(&set, &lines, &mut scratch, &mut matches, &mut out);
    assert!(posts > 100, "only {posts} posts in the corpus");
    assert!(
        matched > 0,
        "the generated rules match nothing: the test would be vacuous"
    );
    eprintln!(
        "warm-up: {} lines, {posts} posts, {matched} matches",
        lines.len()
    );
    // Steady state: the same posts again allocate nothing at all.
    let mut second = (0, 0);
    let allocations = count_allocations(|| {
        second = pass(&set, &lines, &mut scratch, &mut matches, &mut out);
    });
    assert_eq!(
        second,
        (posts, matched),
        "the second pass must match the same"
    );
    assert_eq!(
        allocations, 0,
        "{allocations} allocations while matching {posts} posts in steady state"
    );
}

/// The same through a live store's snapshot: three base partitions sharing a lexicon.
#[test]
fn steady_state_matching_through_partitions_allocates_nothing() {
    let lines = corpus();
    let live = LiveRules::with_config(
        Config::default()
            .partitions(3)
            .rules_per_partition(300)
            .background(false),
    );
    let rules: Vec<RuleEntry> = RuleSetGenerator::new(1)
        .count(1000)
        .map(|r| RuleEntry::new(r.value, r.tag.as_deref()))
        .collect();
    live.add(&rules).expect("generated rules are valid");
    let set = live.snapshot();
    assert_eq!(
        set.stats().lexicon_segments,
        3,
        "the partitions share a lexicon"
    );
    let (mut scratch, mut matches, mut out) = (Scratch::new(), Matches::new(), Vec::new());
    let (posts, matched) = pass(&set, &lines, &mut scratch, &mut matches, &mut out);
    assert!(matched > 0, "the test would be vacuous");
    let mut second = (0, 0);
    let allocations = count_allocations(|| {
        second = pass(&set, &lines, &mut scratch, &mut matches, &mut out);
    });
    assert_eq!(second, (posts, matched));
    assert_eq!(
        allocations, 0,
        "{allocations} allocations while matching {posts} posts in steady state"
    );
}

#[test]
fn the_counter_counts() {
    // Proves the allocator hook is live, so a zero above means something.
    let n = count_allocations(|| {
        let v: Vec<u8> = Vec::with_capacity(std::hint::black_box(64));
        std::hint::black_box(v);
    });
    assert_eq!(n, 1);
}

/// Growth is amortised: a scratch warmed on the small bundled sample meets the whole corpus
/// (larger posts, other formats) and only grows its buffers a few times, never per post; after
/// that, posts it has not seen allocate nothing either.
#[test]
fn buffers_grow_rarely_and_then_not_at_all() {
    let corpus = corpus();
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/firehose.ndjson");
    let sample = lines_of(&std::fs::read(sample).expect("read the bundled sample"));
    let set = generated_rules(1000);
    let mut scratch = Scratch::new();
    let mut matches = Matches::new();
    let mut out = Vec::new();
    pass(&set, &sample, &mut scratch, &mut matches, &mut out);
    let growth = count_allocations(|| {
        pass(&set, &corpus, &mut scratch, &mut matches, &mut out);
    });
    assert!(
        growth <= corpus.len() / 100 + 1,
        "{growth} allocations over {} lines after warming up on the sample",
        corpus.len()
    );
    // The same posts in reverse order: the state is as large as it needs to be, whatever the
    // order of the posts.
    let reversed: Vec<Vec<u8>> = corpus.iter().rev().cloned().collect();
    let allocations = count_allocations(|| {
        pass(&set, &reversed, &mut scratch, &mut matches, &mut out);
    });
    assert_eq!(allocations, 0, "allocations with a warm scratch");
}
