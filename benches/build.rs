//! Rule-set build time and memory at 10k / 100k / 250k generated rules (`powertrack_gen::rules`,
//! seed 1; 1,000 under `--test`): `RuleSetBuilder::build` on parsed rules, one core. The
//! record's workload note carries the memory per rule all-in: `RuleSet::memory_usage` (heap of
//! the compiled set) and the process's resident-set growth across the first build (what a
//! deployment sees, allocator slack included).
//!
//!     python3 benches/record.py build -- cargo bench --bench build

mod common;

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use common::{Workload, quick_mode, record_workload};

fn build_bench(c: &mut Criterion) {
    let sizes: &[usize] = if quick_mode() {
        &[1_000]
    } else {
        &[10_000, 100_000, 250_000]
    };
    for &n in sizes {
        let rules = common::generated(n);
        let value_bytes: usize = rules.iter().map(|(_, _, r)| r.source().len()).sum();
        let rss0 = common::rss_bytes();
        let t0 = Instant::now();
        let set = common::build(&rules);
        let first_s = t0.elapsed().as_secs_f64();
        let rss1 = common::rss_bytes();
        let rss_per_rule = match (rss0, rss1) {
            (Some(a), Some(b)) => format!("{}", b.saturating_sub(a) / n as u64),
            _ => "unknown".to_string(),
        };
        let stats = set.stats();
        let group_name = format!("build_{n}");
        record_workload(
            &group_name,
            &Workload {
                rules: n,
                posts: n,
                bytes: value_bytes,
                matches_per_post: None,
                note: format!(
                    "rules=powertrack_gen::rules seed 1, parsed beforehand; first build {first_s:.3} s; \
                     bytes_per_rule={} (RuleSet::memory_usage); rss_bytes_per_rule={rss_per_rule} \
                     (resident-set growth over the first build); atoms={}; substring_patterns={}; \
                     automaton_bytes={}; always_evaluated={}",
                    set.memory_usage() / n,
                    stats.atoms,
                    stats.substring_patterns,
                    stats.automaton_bytes,
                    stats.always_evaluated
                ),
            },
        );
        eprintln!(
            "{n} rules: first build {first_s:.3} s, {} bytes/rule (memory_usage), {rss_per_rule} bytes/rule (RSS growth)",
            set.memory_usage() / n
        );
        drop(set);

        let mut group = c.benchmark_group(&group_name);
        // Elements are rules; bytes are the rules' values.
        group.throughput(Throughput::ElementsAndBytes {
            elements: n as u64,
            bytes: value_bytes as u64,
        });
        group.sample_size(10);
        group.bench_function("compile", |b| {
            b.iter(|| black_box(common::build(&rules)).len());
        });
        group.finish();
    }
}

criterion_group!(benches, build_bench);
criterion_main!(benches);
