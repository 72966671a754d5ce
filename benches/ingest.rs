//! Ingest throughput over the real corpus (`combined/all_v11_native.ndjson`, 3,008 posts):
//! `post::Parser` (copy + simd-json tape + classification + the full view), side by side with
//! the raw simd-json tape parse of the same lines (the ceiling) and a `serde_json::Value` parse
//! (the common baseline), in one run.
//!
//! Run and record: `python3 benches/record.py ingest -- cargo bench --bench ingest`.

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use powertrack::post::{Line, Parser};

/// The corpus lines, or a small built-in sample when the shared corpus is absent.
fn corpus() -> (Vec<Vec<u8>>, String) {
    if let Some(dir) = common::shared_dir() {
        let path = dir.join("data/tweets/combined/all_v11_native.ndjson");
        if let Ok(bytes) = std::fs::read(&path) {
            let mut lines: Vec<Vec<u8>> = bytes
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec)
                .collect();
            if common::quick_mode() {
                lines.truncate(50);
            }
            return (lines, "combined/all_v11_native.ndjson".to_string());
        }
    }
    let line = br#"{"id_str":"20","text":"just setting up my twttr","user":{"id_str":"12","screen_name":"jack"},"entities":{"hashtags":[],"urls":[],"user_mentions":[]},"lang":"en"}"#;
    (
        vec![line.to_vec(); 100],
        "built-in sample (shared corpus absent)".to_string(),
    )
}

fn ingest(c: &mut Criterion) {
    let (lines, source) = corpus();
    let bytes: usize = lines.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::ElementsAndBytes {
        elements: lines.len() as u64,
        bytes: bytes as u64,
    });
    common::record_workload(
        "ingest",
        &common::Workload {
            posts: lines.len(),
            bytes,
            note: format!("{source}; one line per post, parser reused across lines"),
            ..common::Workload::default()
        },
    );
    if common::quick_mode() {
        group.sample_size(10);
    }

    group.bench_function("post_view", |b| {
        let mut parser = Parser::new();
        b.iter(|| {
            let mut acc = 0u64;
            for line in &lines {
                if let Ok(Line::Post(post)) = parser.parse(line) {
                    // Touch what a matcher reads of every post.
                    acc = acc.wrapping_add(post.id());
                    for part in post.parts() {
                        acc = acc.wrapping_add(part.text().len() as u64);
                        acc = acc.wrapping_add(part.urls().len() as u64);
                    }
                    acc = acc.wrapping_add(u64::from(post.sample_bucket()));
                }
            }
            black_box(acc)
        });
    });

    group.bench_function("simd_json_tape", |b| {
        let mut tape = common::TapeParse::new();
        b.iter(|| black_box(tape.parse_all(&lines)));
    });

    group.bench_function("serde_json_value", |b| {
        b.iter(|| {
            let mut acc = 0usize;
            for line in &lines {
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) {
                    acc += v.as_object().map_or(0, serde_json::Map::len);
                }
            }
            black_box(acc)
        });
    });
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
