//! Tokenizer throughput over the real corpus: the fast tokenizer (iterator and callback), the
//! fast tokenizer with case folding of every token, and the reference tokenizer, in one run.
//!
//! The texts are what the matcher tokenizes: every `text`, `full_text`, `url`, `expanded_url`
//! and `display_url` string of every post of `combined/all_v11_native.ndjson` and
//! `twarc-csv-v2/twarc-csv_v2_stream_like.ndjson` (bodies of the post and of the posts it
//! embeds, v2 `note_tweet.text`, URL strings). A second group measures the ASCII-only texts.

mod common;

use std::hint::black_box;
use std::io::BufRead;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use powertrack::tokenize::{fold_into, for_each_token, reference, tokens};

/// The texts of one post, gathered from the keys the matcher reads.
fn texts_of(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Array(a) => a.iter().for_each(|v| texts_of(v, out)),
        serde_json::Value::Object(o) => {
            for (k, v) in o {
                match (k.as_str(), v) {
                    (
                        "text" | "full_text" | "url" | "expanded_url" | "display_url",
                        serde_json::Value::String(s),
                    ) => {
                        out.push(s.clone());
                    }
                    _ => texts_of(v, out),
                }
            }
        }
        _ => {}
    }
}

/// Per post, its texts.
fn corpus() -> Vec<Vec<String>> {
    let Some(dir) = common::shared_dir() else {
        eprintln!("tokenize bench: ../shared is absent; using a small built-in text set");
        return vec![vec![
            "I like coca-cola! 🍕 #Coachella2015 第一印象 Рубен, привет! https://t.co/abc".into(),
        ]];
    };
    let mut posts = Vec::new();
    for rel in [
        "combined/all_v11_native.ndjson",
        "twarc-csv-v2/twarc-csv_v2_stream_like.ndjson",
    ] {
        let file = std::fs::File::open(dir.join("data/tweets").join(rel)).expect("corpus file");
        for line in std::io::BufReader::new(file).lines() {
            let line = line.expect("corpus line");
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(&line).expect("corpus JSON");
            let mut texts = Vec::new();
            texts_of(&v, &mut texts);
            posts.push(texts);
        }
    }
    posts
}

fn bench_group(c: &mut Criterion, name: &str, posts: &[Vec<String>], note: &str) {
    let bytes: usize = posts.iter().flatten().map(String::len).sum();
    common::record_workload(
        name,
        &common::Workload {
            posts: posts.len(),
            bytes,
            note: note.into(),
            ..common::Workload::default()
        },
    );
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::ElementsAndBytes {
        elements: posts.len() as u64,
        bytes: bytes as u64,
    });
    g.bench_function("fast_iter", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for t in posts.iter().flatten() {
                for tok in tokens(t) {
                    n += tok.end;
                }
            }
            black_box(n)
        });
    });
    g.bench_function("fast_for_each", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for t in posts.iter().flatten() {
                for_each_token(t, |tok| n += tok.end);
            }
            black_box(n)
        });
    });
    g.bench_function("fast_fold_each_token", |b| {
        let mut buf = String::new();
        b.iter(|| {
            let mut n = 0usize;
            for t in posts.iter().flatten() {
                for_each_token(t, |tok| n += tok.folded(t, &mut buf).len());
            }
            black_box(n)
        });
    });
    g.bench_function("fold_into", |b| {
        let mut buf = String::new();
        b.iter(|| {
            let mut n = 0usize;
            for t in posts.iter().flatten() {
                buf.clear();
                fold_into(t, &mut buf);
                n += buf.len();
            }
            black_box(n)
        });
    });
    g.bench_function("reference", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for t in posts.iter().flatten() {
                n += reference::tokenize(t).len();
            }
            black_box(n)
        });
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let mut posts = corpus();
    if common::quick_mode() {
        posts.truncate(50);
    }
    bench_group(
        c,
        "tokenize_corpus",
        &posts,
        "all text/full_text/url/expanded_url/display_url strings of the 3,008 v1.1 + 1,109 v2 corpus posts",
    );
    let ascii: Vec<Vec<String>> = posts
        .iter()
        .map(|p| {
            p.iter()
                .filter(|t| t.is_ascii())
                .cloned()
                .collect::<Vec<_>>()
        })
        .filter(|p| !p.is_empty())
        .collect();
    bench_group(
        c,
        "tokenize_ascii",
        &ascii,
        "the ASCII-only strings of tokenize_corpus (posts = posts with at least one)",
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
