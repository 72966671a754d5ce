//! Multi-core scaling of end-to-end matching (bytes in → rule ids out) with rayon, over the
//! real corpus at 10k and 100k generated rules (1,000 rules and 50 posts under `--test`): the
//! path of `powertrack match` — the lines split into chunks across a pool of T threads, one
//! `Scratch` and `Matches` per thread (`map_init`) — for T = 1, 2, … up to the cores available.
//! Each configuration's posts/s is the whole pool's; divide by T for posts/s per core.
//!
//!     python3 benches/record.py scaling -- cargo bench --bench scaling

mod common;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use powertrack::matcher::{Matches, RuleSet, RuleSetBuilder, Scratch};
use powertrack_gen::rules::RuleSetGenerator;
use rayon::prelude::*;

use common::{Workload, quick_mode, record_workload};

fn build(n: usize) -> RuleSet {
    let mut b = RuleSetBuilder::new();
    for g in RuleSetGenerator::new(1).count(n) {
        let (id, tag, value) = g.into_parts();
        b.add_value(id, tag.as_deref(), &value)
            .expect("generated rules are valid");
    }
    b.build().expect("unique ids")
}

/// Matches every line on the pool, chunked as `powertrack match` splits a batch; returns the
/// number of matches.
fn match_all(pool: &rayon::ThreadPool, rules: &RuleSet, lines: &[Vec<u8>]) -> usize {
    let chunk = lines.len().div_ceil(pool.current_num_threads() * 4).max(16);
    pool.install(|| {
        lines
            .par_chunks(chunk)
            .map_init(
                || (Scratch::new(), Matches::new()),
                |(scratch, matches), chunk| {
                    let mut acc = 0usize;
                    for line in chunk {
                        if rules.match_line(line, scratch, matches).is_ok() {
                            acc += matches.len();
                        }
                    }
                    acc
                },
            )
            .sum()
    })
}

fn scaling(c: &mut Criterion) {
    let (lines, source) = common::corpus();
    let bytes: usize = lines.iter().map(Vec::len).sum();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut threads: Vec<usize> = (0..usize::BITS)
        .map(|i| 1usize << i)
        .take_while(|&t| t < cores)
        .collect();
    threads.push(cores);
    threads.dedup();
    let sizes: &[usize] = if quick_mode() {
        &[1_000]
    } else {
        &[10_000, 100_000]
    };
    for &n in sizes {
        let rules = build(n);
        let group_name = format!("scaling_{n}");
        let pool1 = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a pool");
        let matched = match_all(&pool1, &rules, &lines);
        #[allow(clippy::cast_precision_loss)]
        let mpp = matched as f64 / lines.len() as f64;
        record_workload(
            &group_name,
            &Workload {
                rules: n,
                posts: lines.len(),
                bytes,
                matches_per_post: Some(mpp),
                note: format!(
                    "corpus={source}; rules=powertrack_gen::rules seed 1; rayon pools of {threads:?} threads \
                     (bench id = threads) on {cores} cores, par_chunks + map_init Scratch as in \
                     `powertrack match`; elements/s is the whole pool's"
                ),
            },
        );
        let mut group = c.benchmark_group(&group_name);
        group.throughput(Throughput::ElementsAndBytes {
            elements: lines.len() as u64,
            bytes: bytes as u64,
        });
        group.sample_size(10);
        for &t in &threads {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .expect("a pool");
            group.bench_with_input(BenchmarkId::new("threads", t), &t, |b, _| {
                b.iter(|| black_box(match_all(&pool, &rules, &lines)));
            });
        }
        group.finish();
    }
}

criterion_group!(benches, scaling);
criterion_main!(benches);
