//! powertrack against the mokaccino percolator, on one core, over the real corpus
//! (`combined/all_v11_native.ndjson`, 3,008 posts), at 10k / 100k / 250k generated rules
//! (`powertrack_gen::rules`, seed 1), mokaccino given the subset of each rule set it can express
//! (see the crate docs). Per size, one criterion group `mokaccino_<n>`:
//!
//! * `mokaccino/pre_extracted`: `percolate` over documents built beforehand (as mokaccino is
//!   meant to be used: its figure excludes JSON parsing and tokenizing);
//! * `powertrack_subset/pre_parsed` and `powertrack_full/pre_parsed`: `RuleSet::match_post`
//!   over posts parsed beforehand (the JSON parse excluded; powertrack's per-post folding,
//!   tokenizing and hashing of every text field *included*, since the matcher owns them), with
//!   the translated subset and with the whole rule set;
//! * `mokaccino/end_to_end`: bytes in → ids out: `serde_json::from_slice` to a `Value`, the
//!   document built from it, `percolate`;
//! * `powertrack_subset/end_to_end`, `powertrack_full/end_to_end`: `RuleSet::match_line`.
//!
//! Before measuring, the bench checks agreement on the translated subset (mokaccino's ids
//! equal powertrack's on every post) and that the `serde_json` documents equal the
//! pre-extracted ones, and writes both into the record's workload note.
//!
//! From the crate root:
//!
//!     python3 benches/record.py mokaccino -- cargo bench --manifest-path benches/baselines/Cargo.toml
//!
//! Sizes: `BASELINE_SIZES=10000,100000` (default `10000,100000,250000`; 1,000 rules and 50 posts
//! under `--test`).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use mokaccino::prelude::Document;
use powertrack_gen::rules::RuleSetGenerator;
use powertrack::matcher::{Matches, RuleSet, RuleSetBuilder, Scratch};
use powertrack::post::{Line, Parser};
use powertrack::syntax::Rule;
use powertrack_baselines::{Translated, doc_from_json, doc_from_post};

/// The mokaccino version pinned in Cargo.toml.
const MOKACCINO_VERSION: &str = "0.9.1";

fn quick_mode() -> bool {
    std::env::args().any(|a| a == "--test")
}

/// Where criterion writes: the main crate's `target/criterion`, so `benches/record.py` finds
/// the figures.
fn criterion_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/criterion")
}

fn record_workload(group: &str, rules: usize, posts: usize, bytes: usize, mpp: f64, note: &str) {
    let dir = criterion_dir().join("workloads");
    let _ = std::fs::create_dir_all(&dir);
    let json = format!(
        "{{\"rules\":{rules},\"posts\":{posts},\"bytes\":{bytes},\"matches_per_post\":{mpp:.4},\"note\":{note:?}}}"
    );
    let _ = std::fs::write(dir.join(format!("{group}.json")), json);
}

fn sizes() -> Vec<usize> {
    if quick_mode() {
        return vec![1_000];
    }
    std::env::var("BASELINE_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 250_000])
}

fn build(rules: &[(u64, Rule)]) -> RuleSet {
    let mut b = RuleSetBuilder::new();
    for (id, rule) in rules {
        b.add(*id, None, rule.clone());
    }
    b.build().expect("unique ids")
}

fn sorted(mut v: Vec<u64>) -> Vec<u64> {
    v.sort_unstable();
    v
}

/// The field-value pairs of a document, sorted (documents compare as multisets).
fn pairs(d: &Document) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = d
        .field_values()
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

fn main() {
    let Some(mut lines) = powertrack_baselines::corpus() else {
        eprintln!("mokaccino bench: nothing measured (the real corpus is absent)");
        return;
    };
    if quick_mode() {
        lines.truncate(50);
    }
    let bytes: usize = lines.iter().map(Vec::len).sum();
    let mut c = Criterion::default()
        .output_directory(&criterion_dir())
        .configure_from_args();

    // Posts parsed once, each by its own parser so that all views live at once.
    let mut parsers: Vec<Parser> = lines.iter().map(|_| Parser::new()).collect();
    let posts: Vec<_> = parsers
        .iter_mut()
        .zip(&lines)
        .filter_map(|(p, l)| match p.parse(l) {
            Ok(Line::Post(post)) => Some(post),
            _ => None,
        })
        .collect();
    eprintln!("{} posts, {bytes} bytes", posts.len());

    for n in sizes() {
        let t0 = Instant::now();
        let rules: Vec<(u64, Rule)> = RuleSetGenerator::new(1)
            .count(n)
            .map(|g| {
                let (id, _, value) = g.into_parts();
                (id, Rule::parse(&value).expect("generated rules are valid"))
            })
            .collect();
        let gen_s = t0.elapsed().as_secs_f64();
        let translated = Translated::new(rules.iter().map(|(id, r)| (*id, r)));
        let t0 = Instant::now();
        let perc = translated.percolator();
        let moka_build_s = t0.elapsed().as_secs_f64();
        // Documents to the rule set's schema: only the n-grams its queries read.
        let schema = &translated.schema;
        let docs: Vec<Document> = posts.iter().map(|p| doc_from_post(p, schema)).collect();
        let same_docs = docs
            .iter()
            .zip(&lines)
            .filter(|(a, l)| doc_from_json(l, schema).is_some_and(|b| pairs(a) == pairs(&b)))
            .count();
        let fvs = docs.iter().map(Document::fv_count).sum::<usize>() as f64 / docs.len() as f64;
        // Pruned documents: only the values some query tests (mokaccino's best case: the
        // extraction then does part of the matching).
        let pruned = schema.pruned();
        let pruned_docs: Vec<Document> = posts.iter().map(|p| doc_from_post(p, &pruned)).collect();
        let pruned_fvs =
            pruned_docs.iter().map(Document::fv_count).sum::<usize>() as f64 / docs.len() as f64;
        let kept_ids: std::collections::HashSet<u64> =
            translated.kept.iter().map(|(id, _)| *id).collect();
        let subset_rules: Vec<(u64, Rule)> = rules
            .iter()
            .filter(|(id, _)| kept_ids.contains(id))
            .cloned()
            .collect();
        let t0 = Instant::now();
        let subset = build(&subset_rules);
        let ours_build_subset_s = t0.elapsed().as_secs_f64();
        let t0 = Instant::now();
        let full = build(&rules);
        let ours_build_full_s = t0.elapsed().as_secs_f64();

        // Agreement on the translated subset, post by post.
        let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
        let (mut agree, mut ours_total, mut theirs_total, mut full_total) = (0, 0, 0, 0);
        let mut pruned_agree = 0;
        let mut diff_rules: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
        for ((post, doc), pdoc) in posts.iter().zip(&docs).zip(&pruned_docs) {
            subset.match_post(post, &mut scratch, &mut matches);
            let ours = sorted(matches.ids().collect());
            let theirs = sorted(perc.percolate(doc).collect());
            pruned_agree += usize::from(sorted(perc.percolate(pdoc).collect()) == ours);
            full.match_post(post, &mut scratch, &mut matches);
            full_total += matches.len();
            ours_total += ours.len();
            theirs_total += theirs.len();
            if ours == theirs {
                agree += 1;
            } else {
                for id in ours.iter().filter(|id| theirs.binary_search(id).is_err()) {
                    diff_rules.entry(*id).or_default().0 += 1;
                }
                for id in theirs.iter().filter(|id| ours.binary_search(id).is_err()) {
                    diff_rules.entry(*id).or_default().1 += 1;
                }
            }
        }
        // End to end, mokaccino's ids from the serde_json documents.
        let (mut e2e_agree, mut e2e_pruned_agree) = (0, 0);
        for (line, post) in lines.iter().zip(&posts) {
            subset.match_post(post, &mut scratch, &mut matches);
            let ours = sorted(matches.ids().collect());
            let theirs_pruned = sorted(
                doc_from_json(line, &pruned)
                    .map(|d| perc.percolate(&d).collect())
                    .unwrap_or_default(),
            );
            e2e_pruned_agree += usize::from(ours == theirs_pruned);
            let theirs = sorted(
                doc_from_json(line, schema)
                    .map(|d| perc.percolate(&d).collect())
                    .unwrap_or_default(),
            );
            e2e_agree += usize::from(ours == theirs);
        }
        for (id, (only_ours, only_theirs)) in diff_rules.iter().take(10) {
            let value = rules
                .iter()
                .find(|(i, _)| i == id)
                .map(|(_, r)| r.source().to_string())
                .unwrap_or_default();
            eprintln!(
                "  disagreement: rule {id} matched {only_ours}× by powertrack only, {only_theirs}× by mokaccino only: {value:.200}"
            );
        }
        let pn = posts.len();
        let note = format!(
            "corpus=combined/all_v11_native.ndjson; rules=powertrack_gen::rules seed 1 ({gen_s:.1} s to generate and parse); {}; \
             mokaccino {} build {moka_build_s:.2} s; powertrack build subset {ours_build_subset_s:.2} s, full {ours_build_full_s:.2} s; \
             agreement on the subset: {agree} of {pn} posts identical ({ours_total} powertrack vs {theirs_total} mokaccino matches, {} rules differ); \
             end to end (serde_json documents): {e2e_agree} of {pn} identical; serde_json documents equal to pre-extracted: {same_docs} of {pn}; \
             documents: {fvs:.1} field values per post; pruned documents: {pruned_fvs:.1} field values per post, \
             {pruned_agree} of {pn} identical pre-extracted, {e2e_pruned_agree} of {pn} end to end; \
             full set {:.3} matches/post",
            translated.summary(),
            MOKACCINO_VERSION,
            diff_rules.len(),
            full_total as f64 / pn as f64,
        );
        eprintln!("{n} rules: {note}");
        let group_name = format!("mokaccino_{n}");
        record_workload(
            &group_name,
            n,
            pn,
            bytes,
            theirs_total as f64 / pn as f64,
            &note,
        );

        let mut group = c.benchmark_group(&group_name);
        group.throughput(Throughput::ElementsAndBytes {
            elements: lines.len() as u64,
            bytes: bytes as u64,
        });
        group.sample_size(10);
        group.sampling_mode(SamplingMode::Flat);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(if quick_mode() { 1 } else { 5 }));

        for (name, docs) in [("mokaccino", &docs), ("mokaccino_pruned", &pruned_docs)] {
            group.bench_function(format!("{name}/pre_extracted"), |b| {
                b.iter(|| {
                    let mut acc = 0usize;
                    for d in docs {
                        acc += perc.percolate(d).count();
                    }
                    black_box(acc)
                });
            });
        }
        for (name, set) in [("powertrack_subset", &subset), ("powertrack_full", &full)] {
            group.bench_function(format!("{name}/pre_parsed"), |b| {
                let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
                b.iter(|| {
                    let mut acc = 0usize;
                    for post in &posts {
                        set.match_post(post, &mut scratch, &mut matches);
                        acc += matches.len();
                    }
                    black_box(acc)
                });
            });
        }
        for (name, schema) in [("mokaccino", schema), ("mokaccino_pruned", &pruned)] {
            group.bench_function(format!("{name}/end_to_end"), |b| {
                b.iter(|| {
                    let mut acc = 0usize;
                    for line in &lines {
                        if let Some(d) = doc_from_json(line, schema) {
                            acc += perc.percolate(&d).count();
                        }
                    }
                    black_box(acc)
                });
            });
        }
        for (name, set) in [("powertrack_subset", &subset), ("powertrack_full", &full)] {
            group.bench_function(format!("{name}/end_to_end"), |b| {
                let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
                b.iter(|| {
                    let mut acc = 0usize;
                    for line in &lines {
                        if set.match_line(line, &mut scratch, &mut matches).is_ok() {
                            acc += matches.len();
                        }
                    }
                    black_box(acc)
                });
            });
        }
        group.finish();
    }
    c.final_summary();
}
