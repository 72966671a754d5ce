//! Live rules: what a change costs and what changes cost matching.
//!
//! For 10k, 100k and 250k generated rules (1k in `--test` mode):
//! - the latency of `add` and `delete` of one rule until it is visible to matchers (the call
//!   returns after publishing), p50 / p99 / max over many changes, compaction running;
//! - a full compaction (one delta of 1 % new rules folded into every partition): its time, and
//!   the peak heap over the steady state (aim: ≤ 1 + 1/K), counted by a counting allocator;
//! - matching throughput on one core with 0, 100 and 1,000 changes/s, against the same store
//!   compacted and unchanging, and against the store held at its maximum number of segments
//!   (K partitions + every delta slot used) without changes.
//!
//! Not criterion: latencies need percentiles and the churn runs need a second thread. The
//! figures are printed and written as rows of `target/criterion/extra/live.csv`, which
//! `benches/record.py` adds to the record.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss
)]

#[path = "common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use powertrack::api::RuleEntry;
use powertrack::live::{Config, LiveRules};
use powertrack::matcher::{Matches, Scratch};
use powertrack_gen::rules::RuleSetGenerator;

use common::quick_mode;

fn corpus() -> (Vec<Vec<u8>>, &'static str) {
    let read = |p: std::path::PathBuf| std::fs::read(p).ok();
    let (bytes, name) = common::shared_dir()
        .and_then(|d| read(d.join("data/tweets/combined/all_v11_native.ndjson")))
        .map(|b| (b, "combined/all_v11_native.ndjson"))
        .or_else(|| {
            read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/firehose.ndjson"))
                .map(|b| (b, "examples/firehose.ndjson"))
        })
        .expect("a corpus: ../shared or examples/firehose.ndjson");
    let mut lines: Vec<Vec<u8>> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    if quick_mode() {
        lines.truncate(50);
    }
    (lines, name)
}

/// `n` generated rules (without ids: the store assigns them), and `spare` more for changes.
fn rules(n: usize, spare: usize) -> (Vec<RuleEntry>, Vec<RuleEntry>) {
    let mut all: Vec<RuleEntry> = RuleSetGenerator::new(1)
        .count(n + spare)
        .map(|g| {
            let (_, tag, value) = g.into_parts();
            RuleEntry::new(value, tag.as_deref())
        })
        .collect();
    let extra = all.split_off(n);
    (all, extra)
}

/// Counts heap bytes: in use now, and the most in use since the last reset.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the counters are atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = IN_USE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's pointer, layout and size.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now = IN_USE.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                    + (new_size - layout.size());
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                IN_USE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn heap_in_use() -> usize {
    IN_USE.load(Ordering::Relaxed)
}

/// Restarts the peak at the bytes in use now.
fn reset_peak() {
    PEAK.store(heap_in_use(), Ordering::Relaxed);
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

struct Report {
    rows: Vec<String>,
}

impl Report {
    fn row(&mut self, group: &str, bench: &str, rules: usize, value_ns: f64, extra: &str) {
        println!(
            "{group}/{bench} rules={rules}: {:.1} µs  {extra}",
            value_ns / 1e3
        );
        self.rows
            .push(format!("{group},{bench},{rules},{value_ns:.0},\"{extra}\""));
    }
}

/// Adds each of `spare` and deletes an old rule after it, `pace` seconds apart (0: at once),
/// and reports the latencies of adds and deletes.
fn latency(
    report: &mut Report,
    live: &LiveRules,
    n: usize,
    spare: &[RuleEntry],
    pace: f64,
    name: &str,
) {
    let (mut adds, mut deletes) = (Vec::new(), Vec::new());
    let old: Vec<u64> = live
        .list()
        .rules
        .iter()
        .step_by(7)
        .filter_map(|r| r.id)
        .take(spare.len())
        .collect();
    let period = Duration::from_secs_f64(pace / 2.0);
    let mut next = Instant::now();
    for (entry, old) in spare.iter().zip(old) {
        let t = Instant::now();
        let r = live.add(std::slice::from_ref(entry)).expect("add");
        let visible = live.load().generation() >= r.generation;
        adds.push(t.elapsed());
        assert!(visible);
        next += period;
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        let t = Instant::now();
        let d = live.delete_ids(&[old]);
        deletes.push(t.elapsed());
        assert_eq!(d.deleted, 1);
        next += period;
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    for (what, mut v) in [("add", adds), ("delete", deletes)] {
        v.sort_unstable();
        let (p50, p99, max) = (percentile(&v, 0.5), percentile(&v, 0.99), v[v.len() - 1]);
        report.row(
            "live-latency",
            &format!("{what}-{name}"),
            n,
            p50.as_secs_f64() * 1e9,
            &format!(
                "p50={:.1}us p99={:.1}us max={:.1}us changes={}",
                p50.as_secs_f64() * 1e6,
                p99.as_secs_f64() * 1e6,
                max.as_secs_f64() * 1e6,
                v.len()
            ),
        );
    }
}

/// Matches `posts` round and round for `secs` on this thread, loading the snapshot per post;
/// posts per second, and the mean number of segments seen.
fn match_for(live: &LiveRules, posts: &[Vec<u8>], secs: f64) -> (f64, f64) {
    let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
    let start = Instant::now();
    let (mut n, mut segments) = (0u64, 0u64);
    while start.elapsed().as_secs_f64() < secs {
        for line in posts {
            let rules = live.load();
            segments += rules.segments() as u64;
            let _ = rules.match_line(line, &mut scratch, &mut matches);
            n += 1;
        }
    }
    #[allow(clippy::cast_precision_loss)]
    (
        n as f64 / start.elapsed().as_secs_f64(),
        segments as f64 / n.max(1) as f64,
    )
}

/// Adds and deletes rules at `rate` changes/s until `stop`; the number of changes made.
fn churn(live: &LiveRules, spare: Vec<RuleEntry>, rate: f64, stop: &AtomicBool) -> u64 {
    let period = Duration::from_secs_f64(1.0 / rate);
    let mut added: Vec<u64> = Vec::new();
    let mut next = Instant::now();
    let mut changes = 0u64;
    let mut spare = spare.into_iter().cycle();
    while !stop.load(Ordering::Relaxed) {
        if changes.is_multiple_of(2) || added.is_empty() {
            let entry = spare.next().expect("spare rules");
            // A re-add of a value deleted earlier is fine; a value still present is a no-op.
            if let Ok(r) = live.add(std::slice::from_ref(&entry))
                && let Some(id) = r.detail[0].rule.id
                && r.detail[0].created
            {
                added.push(id);
            }
        } else {
            let id = added.swap_remove(0);
            live.delete_ids(&[id]);
        }
        changes += 1;
        next += period;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else if now - next > Duration::from_millis(100) {
            next = now; // fell behind: do not burst to catch up
        }
    }
    changes
}

fn main() {
    let quick = quick_mode();
    // POWERTRACK_LIVE_SIZES=10000,250000 picks sizes.
    let chosen: Vec<usize> = std::env::var("POWERTRACK_LIVE_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_default();
    let sizes: &[usize] = if quick {
        &[1_000]
    } else if !chosen.is_empty() {
        &chosen
    } else {
        &[10_000, 100_000, 250_000]
    };
    let (posts, corpus_name) = corpus();
    let changes = if quick { 20 } else { 1_000 };
    let secs = if quick { 0.05 } else { 4.0 };
    let mut report = Report { rows: Vec::new() };
    for &n in sizes {
        let spare_n = n / 100 + changes * 2;
        let (initial, spare) = rules(n, spare_n);
        let live = LiveRules::with_config(Config::default().rule_limit(n * 2));
        let base_heap = heap_in_use();
        let t = Instant::now();
        live.add(&initial).expect("within the rule limit");
        let build = t.elapsed();
        let stats = live.stats();
        report.row(
            "live-build",
            "initial-load",
            n,
            build.as_secs_f64() * 1e9,
            &format!(
                "segments={} memory={}B records={}B bytes_per_rule={} heap_per_rule={}",
                stats.segments,
                stats.memory,
                stats.records_memory,
                (stats.memory + stats.records_memory) / n,
                heap_in_use().saturating_sub(base_heap) / n
            ),
        );

        // Latency of single-rule changes, the compactor running: new rules added, old ones
        // deleted, so deltas grow, partitions collect tombstones and compactions run. Paced
        // at 200 changes/s (PowerTrack's Rules API allows 60 requests a minute), then in a
        // burst, one change right after the other.
        latency(
            &mut report,
            &live,
            n,
            &spare[..changes],
            0.005,
            "paced-200-per-s",
        );
        latency(
            &mut report,
            &live,
            n,
            &spare[changes..2 * changes],
            0.0,
            "burst",
        );
        // A full compaction of 1 % new rules into every partition: its time, and the peak of
        // the heap over the steady state of the store (both net of what was allocated before
        // the store existed).
        let fresh: Vec<RuleEntry> = spare
            .iter()
            .skip(2 * changes)
            .take(n / 100)
            .cloned()
            .collect();
        let before_store = heap_in_use();
        let quiet = LiveRules::with_config(Config::default().background(false).rule_limit(n * 2));
        quiet.add(&initial).expect("add");
        quiet.compact();
        quiet.add(&fresh).expect("add");
        let steady = heap_in_use() - before_store;
        reset_peak();
        let t = Instant::now();
        quiet.compact();
        let took = t.elapsed();
        let peak = PEAK.load(Ordering::Relaxed) - before_store;
        let segments_bytes = quiet.stats().memory;
        let lock = quiet.stats().longest_compaction_lock;
        report.row(
            "live-compaction",
            "fold-1pct",
            n,
            took.as_secs_f64() * 1e9,
            &format!(
                "heap_steady={steady}B heap_peak={peak}B peak_over_steady={:.3} segments_bytes={segments_bytes} folded={} longest_lock_hold={:.1}us",
                peak as f64 / steady.max(1) as f64,
                fresh.len(),
                lock.as_secs_f64() * 1e6
            ),
        );
        drop(quiet);

        // Throughput: compacted and unchanging; at the maximum number of segments without
        // changes; under 100 and 1,000 changes/s with the compactor running.
        live.compact();
        let (base, seg_base) = match_for(&live, &posts, secs);
        report.row(
            "live-throughput",
            "no-changes-compacted",
            n,
            1e9 / base,
            &format!("posts_per_s={base:.0} segments={seg_base:.2} corpus={corpus_name}"),
        );
        // The same rules built as one segment by a RuleSetBuilder, no store: the baseline.
        let one = {
            let mut b = powertrack::matcher::RuleSetBuilder::new();
            for r in live.list().rules {
                b.add_value(r.id.unwrap_or_default(), r.tag.as_deref(), &r.value)
                    .expect("valid");
            }
            b.build().expect("unique ids")
        };
        let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
        let t = Instant::now();
        let mut done = 0u64;
        while t.elapsed().as_secs_f64() < secs {
            for line in &posts {
                let _ = one.match_line(line, &mut scratch, &mut matches);
                done += 1;
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let single = done as f64 / t.elapsed().as_secs_f64();
        report.row(
            "live-throughput",
            "one-built-segment",
            n,
            1e9 / single,
            &format!(
                "posts_per_s={single:.0} store_vs_one_segment={:.3}",
                base / single
            ),
        );
        drop(one);
        let max_segments =
            LiveRules::with_config(Config::default().background(false).rule_limit(n * 2));
        max_segments.add(&initial).expect("add");
        for entry in spare.iter().take(4) {
            max_segments.add(std::slice::from_ref(entry)).expect("add");
        }
        let (full, seg_full) = match_for(&max_segments, &posts, secs);
        report.row(
            "live-throughput",
            "no-changes-max-segments",
            n,
            1e9 / full,
            &format!(
                "posts_per_s={full:.0} segments={seg_full:.2} kept={:.3}",
                full / base
            ),
        );
        drop(max_segments);
        for rate in [100.0, 1_000.0] {
            let stop = Arc::new(AtomicBool::new(false));
            let writer = {
                let (live, spare, stop) = (live.clone(), spare.clone(), stop.clone());
                std::thread::spawn(move || churn(&live, spare, rate, &stop))
            };
            let t = Instant::now();
            let (pps, segs) = match_for(&live, &posts, secs);
            stop.store(true, Ordering::Relaxed);
            let made = writer.join().expect("writer");
            #[allow(clippy::cast_precision_loss)]
            let achieved = made as f64 / t.elapsed().as_secs_f64();
            report.row(
                "live-throughput",
                &format!("churn-{rate:.0}-per-s"),
                n,
                1e9 / pps,
                &format!(
                    "posts_per_s={pps:.0} segments={segs:.2} kept={:.3} changes_per_s={achieved:.0}",
                    pps / base
                ),
            );
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion/extra");
    let _ = std::fs::create_dir_all(&dir);
    let mut csv = String::from("group,bench,workload_rules,median_ns,extra\n");
    for r in &report.rows {
        csv.push_str(r);
        csv.push('\n');
    }
    let _ = std::fs::write(dir.join("live.csv"), csv);
}
