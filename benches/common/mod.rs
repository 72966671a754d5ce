//! Helpers shared by the criterion benches.
#![allow(unreachable_pub)]
#![allow(dead_code)]

use std::path::PathBuf;

use powertrack::matcher::{RuleSet, RuleSetBuilder};
use powertrack::syntax::Rule;
use powertrack_gen::rules::RuleSetGenerator;

/// What a bench group measures, written beside criterion's output so that
/// `benches/record.py` can put it in the record (see `benches/record/README.md`).
#[derive(Debug, Default)]
pub struct Workload {
    /// Rules in the rule set (0 when the bench involves no rules).
    pub rules: usize,
    /// Posts (or rules, for rule benches: then `rules` is 0) per iteration.
    pub posts: usize,
    /// Input bytes per iteration.
    pub bytes: usize,
    /// Mean matching rules per post, when the bench matches.
    pub matches_per_post: Option<f64>,
    /// Anything else a reader needs to know (the corpus, the rule generator and seed).
    pub note: String,
}

/// Records the workload of criterion group `group`.
pub fn record_workload(group: &str, w: &Workload) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/criterion/workloads");
    let _ = std::fs::create_dir_all(&dir);
    let mpp = w
        .matches_per_post
        .map_or("null".to_string(), |m| format!("{m:.4}"));
    let json = format!(
        "{{\"rules\":{},\"posts\":{},\"bytes\":{},\"matches_per_post\":{},\"note\":{:?}}}",
        w.rules, w.posts, w.bytes, mpp, w.note
    );
    let _ = std::fs::write(dir.join(format!("{group}.json")), json);
}

/// The shared data directory (`../shared` or `$POWERTRACK_SHARED`), if present.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("POWERTRACK_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    };
    dir.join("data/tweets").is_dir().then_some(dir)
}

/// True when criterion runs in `--test` mode (`cargo bench -- --test`): benches then shrink
/// their workloads so CI only checks that they run.
pub fn quick_mode() -> bool {
    std::env::args().any(|a| a == "--test")
}

/// The raw simd-json tape parse of lines, the ceiling every ingest and matching bench is
/// compared with: a copy into a reusable padded buffer and a tape fill, nothing else.
pub struct TapeParse {
    input: Vec<u8>,
    buffers: simd_json::Buffers,
    spare: Option<simd_json::Tape<'static>>,
}

impl TapeParse {
    pub fn new() -> TapeParse {
        TapeParse {
            input: Vec::new(),
            buffers: simd_json::Buffers::new(16 * 1024),
            spare: Some(simd_json::Tape(Vec::new())),
        }
    }

    /// Parses every line; returns the total tape length (so the work is not optimised away).
    pub fn parse_all(&mut self, lines: &[Vec<u8>]) -> usize {
        let mut acc = 0usize;
        for line in lines {
            self.input.clear();
            self.input.extend_from_slice(line);
            self.input
                .resize(line.len() + simd_json::INPUT_PADDING, b' ');
            let mut tape = self
                .spare
                .take()
                .unwrap_or_else(|| simd_json::Tape(Vec::new()))
                .reset();
            if simd_json::fill_tape_padded(
                &mut self.input,
                line.len(),
                &mut self.buffers,
                &mut tape,
            )
            .is_ok()
            {
                acc += tape.0.len();
            }
            self.spare = Some(tape.reset());
        }
        acc
    }
}

/// The process's resident set size in bytes (Linux `/proc/self/status`), if known.
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The real corpus's lines, or the bundled sample firehose when the corpus is absent.
pub fn corpus() -> (Vec<Vec<u8>>, String) {
    let from = |path: std::path::PathBuf, name: &str| -> Option<(Vec<Vec<u8>>, String)> {
        let bytes = std::fs::read(path).ok()?;
        let mut lines: Vec<Vec<u8>> = bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect();
        if quick_mode() {
            lines.truncate(50);
        }
        Some((lines, name.to_string()))
    };
    shared_dir()
        .and_then(|d| {
            from(
                d.join("data/tweets/combined/all_v11_native.ndjson"),
                "combined/all_v11_native.ndjson",
            )
        })
        .or_else(|| {
            let p =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/firehose.ndjson");
            from(p, "examples/firehose.ndjson")
        })
        .expect("a corpus: ../shared or examples/firehose.ndjson")
}

pub fn generated(n: usize) -> Vec<(u64, Option<String>, Rule)> {
    RuleSetGenerator::new(1)
        .count(n)
        .map(|g| {
            let (id, tag, value) = g.into_parts();
            let rule = Rule::parse(&value).expect("generated rules are valid");
            (id, tag, rule)
        })
        .collect()
}

pub fn build(rules: &[(u64, Option<String>, Rule)]) -> RuleSet {
    let mut b = RuleSetBuilder::new();
    for (id, tag, rule) in rules {
        b.add(*id, tag.as_deref(), rule.clone());
    }
    b.build().expect("unique ids")
}
