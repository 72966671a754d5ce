//! Synthetic firehose generation throughput (posts/s, MB/s) in the three formats, in steady
//! state (one generator, warm caches), and, in the same run on one core, generation against the
//! compiled matcher consuming the same posts at 10k generated rules (1k in `--test` mode): the
//! generator must outrun the matcher.
//!
//!     python3 benches/record.py firehose -- cargo bench --bench firehose

mod common;

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use powertrack::matcher::{Matches, RuleSet, RuleSetBuilder, Scratch};
use powertrack::syntax::Rule;
use powertrack_gen::firehose::{FirehoseGenerator, Format};
use powertrack_gen::rules::RuleSetGenerator;

use common::{Workload, quick_mode, record_workload};

const SEED: u64 = 1;

fn posts() -> u64 {
    if quick_mode() { 50 } else { 5_000 }
}

fn generate(format: Format, n: u64, out: &mut Vec<u8>) {
    out.clear();
    FirehoseGenerator::new(SEED)
        .format(format)
        .write_to(out, n)
        .expect("writing to a Vec");
}

fn generate_more(stream: &mut FirehoseGenerator, n: u64, out: &mut Vec<u8>) {
    out.clear();
    stream.write_to(out, n).expect("writing to a Vec");
}

fn generation(c: &mut Criterion) {
    let n = posts();
    let mut group = c.benchmark_group("firehose_generate");
    for format in [Format::Native, Format::ActivityStreams, Format::V2] {
        let mut out = Vec::new();
        generate(format, n, &mut out);
        let bytes = out.len();
        record_workload(
            &format!("firehose_generate_{}", format.name()),
            &Workload {
                rules: 0,
                posts: usize::try_from(n).unwrap_or(usize::MAX),
                bytes,
                matches_per_post: None,
                note: format!(
                    "powertrack_gen::firehose seed {SEED}, format {}",
                    format.name()
                ),
            },
        );
        group.throughput(Throughput::ElementsAndBytes {
            elements: n,
            bytes: bytes as u64,
        });
        group.sample_size(10);
        // Steady state: one generator (its caches warm), `n` new posts per iteration (their
        // size is the first `n` posts' within a percent or so).
        let mut stream = FirehoseGenerator::new(SEED).format(format);
        let mut out = Vec::with_capacity(bytes + 4096);
        generate_more(&mut stream, n, &mut out);
        group.bench_function(format.name(), |b| {
            b.iter(|| {
                generate_more(&mut stream, n, &mut out);
                black_box(out.len())
            });
        });
    }
    group.finish();
}

fn rule_set(n: usize) -> RuleSet {
    let mut b = RuleSetBuilder::new();
    for g in RuleSetGenerator::new(1).count(n) {
        let (id, tag, value) = g.into_parts();
        b.add(
            id,
            tag.as_deref(),
            Rule::parse(&value).expect("generated rules are valid"),
        );
    }
    b.build().expect("unique ids")
}

fn match_all(set: &RuleSet, lines: &[&[u8]], scratch: &mut Scratch, m: &mut Matches) -> usize {
    let mut acc = 0;
    for line in lines {
        if let Ok(None) = set.match_line(line, scratch, m) {
            acc += m.len();
        }
    }
    acc
}

fn against_match(c: &mut Criterion) {
    let n = posts();
    let rules = if quick_mode() { 1_000 } else { 10_000 };
    let set = rule_set(rules);
    let mut out = Vec::new();
    generate(Format::Native, n, &mut out);
    let lines: Vec<&[u8]> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let bytes = out.len();

    // The ratio, measured directly in this run (best of 3 of each, one core).
    let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
    let matched = match_all(&set, &lines, &mut scratch, &mut matches);
    let mut buf = Vec::with_capacity(bytes + 4096);
    let mut stream = FirehoseGenerator::new(SEED);
    generate_more(&mut stream, n, &mut buf);
    let (mut gen_s, mut match_s) = (f64::MAX, f64::MAX);
    for _ in 0..3 {
        let t = Instant::now();
        generate_more(&mut stream, n, &mut buf);
        gen_s = gen_s.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        black_box(match_all(&set, &lines, &mut scratch, &mut matches));
        match_s = match_s.min(t.elapsed().as_secs_f64());
    }
    #[allow(clippy::cast_precision_loss)]
    let (gen_pps, match_pps, mpp) = (
        n as f64 / gen_s,
        n as f64 / match_s,
        matched as f64 / n as f64,
    );
    eprintln!(
        "firehose vs match at {rules} rules: generate {gen_pps:.0} posts/s, match {match_pps:.0} posts/s, ratio {:.2}",
        gen_pps / match_pps
    );
    let group_name = format!("firehose_vs_match_{rules}");
    record_workload(
        &group_name,
        &Workload {
            rules,
            posts: lines.len(),
            bytes,
            matches_per_post: Some(mpp),
            note: format!(
                "powertrack_gen::firehose seed {SEED} native vs RuleSet::match_line over the same posts, \
                 rules=powertrack_gen::rules seed 1; one core; direct timing: generate {gen_pps:.0} posts/s, \
                 match {match_pps:.0} posts/s, generate/match = {:.2}",
                gen_pps / match_pps
            ),
        },
    );
    let mut group = c.benchmark_group(&group_name);
    group.throughput(Throughput::ElementsAndBytes {
        elements: n,
        bytes: bytes as u64,
    });
    group.sample_size(10);
    group.bench_function("generate", |b| {
        b.iter(|| {
            generate_more(&mut stream, n, &mut buf);
            black_box(buf.len())
        });
    });
    group.bench_function("match", |b| {
        b.iter(|| black_box(match_all(&set, &lines, &mut scratch, &mut matches)));
    });
    group.finish();
}

criterion_group!(benches, generation, against_match);
criterion_main!(benches);
