//! End to end (bytes in → rule ids out) on one core, at 10k, 100k and 250k generated rules,
//! over the real corpus: the compiled rule set, side by side in the same run with the raw
//! simd-json tape parse of the same lines (the ceiling: no engine can be faster than parsing)
//! and the reference evaluator (the plain baseline, on a slice of the posts: it is very slow;
//! not run at 250k rules, where one post takes about a second). Memory per rule, build time,
//! match density and candidates per post are written into the record's workload note;
//! rule-set build time is measured by `benches/build.rs`, multi-core scaling by
//! `benches/scaling.rs`, the external baseline (mokaccino) by `benches/baselines/`.
//!
//!     python3 benches/record.py matching -- cargo bench --bench matching

mod common;

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use powertrack::matcher::{Matches, Scratch};
use powertrack::post::{Line, Parser};
use powertrack::reference::RuleBook;
use powertrack::syntax::Rule;
use powertrack_gen::firehose::FirehoseGenerator;

use common::{Workload, quick_mode, record_workload};

/// Posts of the synthetic firehose (v1.1 native, seed 1, no stream noise): 5,000, or 50 in
/// `--test` mode.
fn firehose() -> (Vec<Vec<u8>>, String) {
    let count = if quick_mode() { 50 } else { 5_000 };
    let mut g = FirehoseGenerator::new(1);
    let lines = (0..count).map(|_| g.next_line().line().to_vec()).collect();
    (
        lines,
        format!("synthetic firehose: gen firehose --count {count} --seed 1"),
    )
}

fn end_to_end(c: &mut Criterion) {
    let sizes: &[usize] = if quick_mode() {
        &[1_000]
    } else {
        &[10_000, 100_000, 250_000]
    };
    let inputs = [("end_to_end", common::corpus()), ("firehose", firehose())];
    for &n in sizes {
        let rules = common::generated(n);
        for (prefix, (lines, source)) in &inputs {
            run_size(c, prefix, lines, source, n, &rules);
        }
    }
}

fn run_size(
    c: &mut Criterion,
    prefix: &str,
    lines: &[Vec<u8>],
    source: &str,
    n: usize,
    rules: &[(u64, Option<String>, Rule)],
) {
    let bytes: usize = lines.iter().map(Vec::len).sum();
    {
        let t0 = Instant::now();
        let set = common::build(rules);
        let build_s = t0.elapsed().as_secs_f64();

        // One pass for the workload's figures.
        let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
        let (mut posts, mut matched, mut candidates) = (0usize, 0usize, 0usize);
        for line in lines {
            if let Ok(None) = set.match_line(line, &mut scratch, &mut matches) {
                posts += 1;
                matched += matches.len();
                candidates += matches.candidates();
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let (mpp, cpp) = (
            matched as f64 / posts as f64,
            candidates as f64 / posts as f64,
        );
        let stats = set.stats();
        let group_name = format!("{prefix}_{n}");
        record_workload(
            &group_name,
            &Workload {
                rules: n,
                posts,
                bytes,
                matches_per_post: Some(mpp),
                note: format!(
                    "corpus={source}; rules=powertrack_gen::rules seed 1; build_s={build_s:.3}; \
                     bytes_per_rule={}; candidates_per_post={cpp:.2}; atoms={}; always_evaluated={}",
                    set.memory_usage() / n,
                    stats.atoms,
                    stats.always_evaluated
                ),
            },
        );
        eprintln!(
            "{n} rules: build {build_s:.3} s, {} bytes/rule, {mpp:.3} matches/post, {cpp:.2} candidates/post",
            set.memory_usage() / n
        );

        let mut group = c.benchmark_group(&group_name);
        group.throughput(Throughput::ElementsAndBytes {
            elements: lines.len() as u64,
            bytes: bytes as u64,
        });
        group.sample_size(10);
        group.bench_function("compiled", |b| {
            let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
            b.iter(|| {
                let mut acc = 0usize;
                for line in lines {
                    if set.match_line(line, &mut scratch, &mut matches).is_ok() {
                        acc += matches.len();
                    }
                }
                black_box(acc)
            });
        });
        group.bench_function("simd_json_tape", |b| {
            let mut tape = common::TapeParse::new();
            b.iter(|| black_box(tape.parse_all(lines)));
        });
        group.finish();

        // The reference evaluator on a slice of the posts (its own throughput).
        if n > 100_000 {
            return;
        }
        let slice_len = match (quick_mode(), n) {
            (true, _) => 5,
            (false, n) if n > 10_000 => 5,
            _ => 20,
        };
        let slice = &lines[..lines.len().min(slice_len)];
        let slice_bytes: usize = slice.iter().map(Vec::len).sum();
        let book = RuleBook::new(rules.iter().map(|(id, _, r)| (*id, r.clone())));
        let mut group = c.benchmark_group(format!("{prefix}_reference_{n}"));
        group.throughput(Throughput::ElementsAndBytes {
            elements: slice.len() as u64,
            bytes: slice_bytes as u64,
        });
        group.sample_size(10);
        group.bench_function("reference", |b| {
            let mut parser = Parser::new();
            b.iter(|| {
                let mut acc = 0usize;
                for line in slice {
                    if let Ok(Line::Post(post)) = parser.parse(line) {
                        acc += book.matching_ids(&post).len();
                    }
                }
                black_box(acc)
            });
        });
        group.finish();
    }
}

criterion_group!(benches, end_to_end);
criterion_main!(benches);
