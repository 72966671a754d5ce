//! The workloads of the per-post cost aims, end to end on one core over the real corpus: bytes
//! in → tagged bytes out (every matched post written with its `matching_rules`, as `powertrack
//! match` does), each group beside a plain simd-json tape parse of the same lines measured in
//! the same run (the ceiling of any matcher that parses each post; the ratio to it is the
//! figure the aims are stated in):
//!
//! - `no_text_1k`: 1,000 `from:`/`@` rules on the corpus's own authors and mentions (no rule
//!   reads any text);
//! - `dense_10k`, `dense_100k`: the default (dense) generated profile, one built rule set;
//! - `dense_250k_live`, `accounts_250k_live`: 250,000 rules of each profile held in the live
//!   store, compacted, the way a deployment holds them (each post loads the snapshot).
//!
//! In `--test` mode every set has 1,000 rules and 50 posts. Build time and memory per rule are
//! `benches/build.rs`'s; the thread scaling is `benches/scaling.rs`'s.
//!
//!     python3 benches/record.py workloads -- cargo bench --bench workloads

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use powertrack::api::RuleEntry;
use powertrack::live::{Config as LiveConfig, LiveRules};
use powertrack::matcher::{Matches, RuleSet, RuleSetBuilder, Scratch};
use powertrack::post::{Line, Parser};
use powertrack_gen::rules::{Profile, RuleSetGenerator};

use common::{Workload, quick_mode, record_workload};

/// A workload: its name, rule count, how its rules are made and held, and what they are.
type Spec<'a> = (
    &'static str,
    usize,
    Box<dyn Fn(usize) -> Rules + 'a>,
    &'static str,
);

/// Where a workload's rules are held.
enum Rules {
    Built(RuleSet),
    Live(LiveRules),
}

impl Rules {
    /// Runs `f` on the rules as they stand (a live store's current snapshot, loaded per call as
    /// a matcher loads it per post).
    fn with<R>(&self, f: impl FnOnce(&RuleSet) -> R) -> R {
        match self {
            Rules::Built(set) => f(set),
            Rules::Live(store) => f(&store.load()),
        }
    }
}

/// 1,000 rules, `from:NAME` and `@NAME` alternately, NAME drawn (seed 1) from the corpus's
/// authors and mentioned users.
fn no_text_rules(lines: &[Vec<u8>], n: usize) -> Vec<String> {
    let mut parser = Parser::new();
    let mut names = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for line in lines {
        if let Ok(Line::Post(post)) = parser.parse(line) {
            for part in post.parts() {
                let author = part.author().screen_name().map(str::to_owned);
                let mentions = part
                    .mentions()
                    .filter_map(|m| m.screen_name.map(str::to_owned));
                for name in author.into_iter().chain(mentions) {
                    if seen.insert(name.to_lowercase()) {
                        names.push(name);
                    }
                }
            }
        }
    }
    let mut x: u64 = 1;
    (0..n)
        .map(|i| {
            // splitmix64 steps: a deterministic draw with repeats, as real lists have.
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            let name = &names[usize::try_from(z % names.len() as u64).unwrap_or(0)];
            if i % 2 == 0 {
                format!("from:{name}")
            } else {
                format!("@{name}")
            }
        })
        .collect()
}

fn generated(profile: Profile, n: usize) -> Vec<String> {
    RuleSetGenerator::new(1)
        .with_config(profile.config())
        .count(n)
        .map(|r| r.value)
        .collect()
}

fn built(values: &[String]) -> Rules {
    let mut b = RuleSetBuilder::new();
    for (i, v) in values.iter().enumerate() {
        b.add_value(i as u64 + 1, None, v).expect("valid rules");
    }
    Rules::Built(b.build().expect("unique ids"))
}

fn live(values: &[String]) -> Rules {
    let store = LiveRules::with_config(LiveConfig::default().rule_limit(values.len() * 2));
    let entries: Vec<RuleEntry> = values.iter().map(|v| RuleEntry::new(v, None)).collect();
    store.add(&entries).expect("within the limit");
    store.compact();
    Rules::Live(store)
}

/// Matches every line and writes each matched one out; the bytes written (kept alive).
fn match_and_write(
    rules: &Rules,
    lines: &[Vec<u8>],
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> usize {
    let mut matches = Matches::new();
    let mut written = 0;
    for line in lines {
        out.clear();
        rules.with(|set| {
            if let Ok(None) = set.match_line(line, scratch, &mut matches)
                && !matches.is_empty()
                && matches.write_line(line, set, out).is_ok()
            {
                written += out.len();
            }
        });
    }
    written
}

fn workloads(c: &mut Criterion) {
    let (lines, source) = common::corpus();
    let bytes: usize = lines.iter().map(Vec::len).sum();
    let quick = quick_mode();
    let size = |n: usize| if quick { 1_000 } else { n };
    let sets: Vec<Spec<'_>> = vec![
        (
            "no_text_1k",
            1_000,
            Box::new(|n| built(&no_text_rules(&lines, n))),
            "from:/@ of corpus names, seed 1",
        ),
        (
            "dense_10k",
            size(10_000),
            Box::new(|n| built(&generated(Profile::Dense, n))),
            "gen rules --profile dense --seed 1",
        ),
        (
            "dense_100k",
            size(100_000),
            Box::new(|n| built(&generated(Profile::Dense, n))),
            "gen rules --profile dense --seed 1",
        ),
        (
            "dense_250k_live",
            size(250_000),
            Box::new(|n| live(&generated(Profile::Dense, n))),
            "gen rules --profile dense --seed 1, live store compacted",
        ),
        (
            "accounts_250k_live",
            size(250_000),
            Box::new(|n| live(&generated(Profile::Accounts, n))),
            "gen rules --profile accounts --seed 1, live store compacted",
        ),
    ];
    for (name, n, make, what) in sets {
        let rules = make(n);
        // One pass for the workload's figures.
        let (mut scratch, mut matches, mut out) = (Scratch::new(), Matches::new(), Vec::new());
        let (mut posts, mut matched, mut written) = (0usize, 0usize, 0usize);
        for line in &lines {
            if let Ok(None) = rules.with(|set| set.match_line(line, &mut scratch, &mut matches)) {
                posts += 1;
                matched += matches.len();
                written += usize::from(!matches.is_empty());
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let mpp = matched as f64 / posts.max(1) as f64;
        record_workload(
            name,
            &Workload {
                rules: n,
                posts,
                bytes,
                matches_per_post: Some(mpp),
                note: format!("corpus={source}; rules={what}; posts_written={written}"),
            },
        );
        eprintln!("{name}: {n} rules, {mpp:.3} matches/post, {written} of {posts} posts written");

        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::ElementsAndBytes {
            elements: lines.len() as u64,
            bytes: bytes as u64,
        });
        group.sample_size(10);
        group.bench_function("powertrack", |b| {
            b.iter(|| black_box(match_and_write(&rules, &lines, &mut scratch, &mut out)));
        });
        group.bench_function("simd_json_tape", |b| {
            let mut tape = common::TapeParse::new();
            b.iter(|| black_box(tape.parse_all(&lines)));
        });
        group.finish();
    }
}

criterion_group!(benches, workloads);
criterion_main!(benches);
