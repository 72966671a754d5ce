//! The firehose log's figures: append throughput with each fsync policy, bytes on disk per post
//! (the compression ratio), replay throughput unpaced (reading, and reading with matching), and
//! the time to open a full log (201 MB, and about 2 GB). Posts are the real corpus's v1.1 posts (`../shared`, cycled)
//! when present, else the synthetic firehose. Writes `benches/record/<date>-serve-log.json`.
//!
//! ```text
//! cargo run --release -p powertrack-serve --example logbench
//! ```

// Figures for a report: counts far below 2^52.
#![allow(clippy::cast_precision_loss)]

#[path = "support/record.rs"]
mod record;

use std::path::Path;
use std::time::Instant;

use powertrack::matcher::{Matches, RuleSetBuilder, Scratch};
use powertrack_gen::firehose::{FirehoseGenerator, LineKind};
use powertrack_gen::rules::RuleSetGenerator;
use powertrack_serve::log::{Cursor, EmbeddedLog, Fsync, LogConfig, PostLog};

const BATCH: usize = 100;

fn posts() -> (Vec<Vec<u8>>, &'static str) {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/tweets/combined/all_v11_native.ndjson");
    if let Ok(text) = std::fs::read(&corpus) {
        let lines: Vec<Vec<u8>> = text
            .split(|&b| b == b'\n')
            .filter(|l| l.len() > 2)
            .map(<[u8]>::to_vec)
            .collect();
        if !lines.is_empty() {
            return (
                lines,
                "the real corpus's v1.1 posts (combined/all_v11_native.ndjson), cycled",
            );
        }
    }
    let mut g = FirehoseGenerator::new(1);
    let mut out = Vec::new();
    while out.len() < 5_000 {
        let e = g.next_line();
        if matches!(e.kind(), LineKind::Post(_)) {
            out.push(e.line().to_vec());
        }
    }
    (out, "the synthetic firehose (seed 1), cycled")
}

/// Appends `n` posts in batches of 100 from `producers` threads at once (ingest serves many
/// clients); returns (seconds until all durable, disk bytes).
fn append(
    dir: &Path,
    fsync: Fsync,
    lines: &[Vec<u8>],
    n: usize,
    producers: usize,
) -> anyhow::Result<(f64, u64)> {
    let log = EmbeddedLog::open(
        dir,
        LogConfig {
            fsync,
            ..LogConfig::default()
        },
    )?
    .start()?;
    let refs: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
    let mut durable = log.durable();
    let now = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis(),
    )?;
    let started = Instant::now();
    let last = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..producers)
            .map(|p| {
                let (log, refs) = (&log, &refs);
                scope.spawn(move || -> anyhow::Result<u64> {
                    let (mut sent, mut last) = (p * BATCH, 0);
                    while sent < n {
                        let batch: Vec<&[u8]> =
                            (sent..sent + BATCH).map(|i| refs[i % refs.len()]).collect();
                        last = last.max(log.append(now, &batch)?.end - 1);
                        sent += BATCH * producers;
                    }
                    Ok(last)
                })
            })
            .collect();
        workers.into_iter().try_fold(0, |m, w| {
            let last = w
                .join()
                .map_err(|_| anyhow::anyhow!("a producer panicked"))??;
            anyhow::Ok(m.max(last))
        })
    })?;
    while durable.borrow_and_update().of(last) != Some(true) {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    let secs = started.elapsed().as_secs_f64();
    Ok((secs, log.stats().disk_bytes))
}

fn main() -> anyhow::Result<()> {
    let (lines, source) = posts();
    let mean = lines.iter().map(Vec::len).sum::<usize>() as f64 / lines.len() as f64;
    let dir = tempfile::tempdir()?;
    let n_batch = 300_000;
    let (batch_secs, disk) = append(&dir.path().join("batch"), Fsync::Batch, &lines, n_batch, 1)?;
    let (two_producers_secs, _) =
        append(&dir.path().join("batch2"), Fsync::Batch, &lines, n_batch, 2)?;
    let n_always = 30_000;
    let (always_secs, _) = append(
        &dir.path().join("always"),
        Fsync::Always,
        &lines,
        n_always,
        1,
    )?;
    let raw_bytes = mean * n_batch as f64;
    // Opening reads the newest journal, not the tables, so its time should not grow with the
    // log: measured on a log of about 2 GB on disk (3 million posts), five times, the median.
    let big_dir = dir.path().join("big");
    let (_, big_disk) = append(&big_dir, Fsync::Batch, &lines, 3_000_000, 2)?;
    let mut opens: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            EmbeddedLog::open(&big_dir, LogConfig::default()).map(|_| t.elapsed().as_secs_f64())
        })
        .collect::<Result<_, _>>()?;
    opens.sort_by(f64::total_cmp);
    let big_open = opens[2];
    std::fs::remove_dir_all(&big_dir)?;

    // Open the batch-mode log again (its journal not yet flushed: the worst case), then read
    // it all back, and again matching each post against 1,000 generated rules.
    let opening = Instant::now();
    let log = EmbeddedLog::open(&dir.path().join("batch"), LogConfig::default())?;
    let open_secs = opening.elapsed().as_secs_f64();
    let reading = Instant::now();
    let mut cursor = Some(Cursor::at(0));
    let mut read = 0usize;
    while let Some(at) = cursor {
        let (page, next) = log.read(at, u64::MAX, u64::MAX, 256)?;
        read += page.len();
        cursor = next;
    }
    let read_secs = reading.elapsed().as_secs_f64();
    let mut b = RuleSetBuilder::new();
    for g in RuleSetGenerator::new(1).count(1_000) {
        let (id, tag, value) = g.into_parts();
        b.add_value(id, tag.as_deref(), &value)?;
    }
    let rules = b.build()?;
    let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
    let matching = Instant::now();
    let mut cursor = Some(Cursor::at(0));
    let (mut replayed, mut hits) = (0usize, 0usize);
    while let Some(at) = cursor {
        let (page, next) = log.read(at, u64::MAX, u64::MAX, 256)?;
        for p in &page {
            if rules
                .match_line(&p.line, &mut scratch, &mut matches)
                .is_ok()
                && !matches.is_empty()
            {
                hits += 1;
            }
        }
        replayed += page.len();
        cursor = next;
    }
    let match_secs = matching.elapsed().as_secs_f64();
    anyhow::ensure!(
        read == n_batch && replayed == n_batch,
        "read back {read} of {n_batch}"
    );

    let report = serde_json::json!({
        "command": "cargo run --release -p powertrack-serve --example logbench",
        "posts": source,
        "mean_post_bytes": mean.round(),
        "append_batch_posts_per_s": (n_batch as f64 / batch_secs).round(),
        "append_batch_mb_per_s": (raw_bytes / batch_secs / 1e6 * 10.0).round() / 10.0,
        "append_batch_2_producers_posts_per_s": (n_batch as f64 / two_producers_secs).round(),
        "append_always_posts_per_s": (n_always as f64 / always_secs).round(),
        "append_always_batches_per_s": (n_always as f64 / BATCH as f64 / always_secs).round(),
        "disk_bytes_per_post": (disk as f64 / n_batch as f64).round(),
        "compression_ratio": (raw_bytes / disk as f64 * 100.0).round() / 100.0,
        "log_mb": disk / 1_000_000,
        "open_seconds": open_secs,
        "big_log_mb": big_disk / 1_000_000,
        "big_log_open_seconds_median_of_5": big_open,
        // Linear in size from the larger log: an upper bound, since opening does not read tables.
        "open_seconds_per_10_gb_extrapolated": big_open * 10e9 / big_disk as f64,
        "replay_read_posts_per_s": (n_batch as f64 / read_secs).round(),
        "replay_read_and_match_1000_rules_posts_per_s": (n_batch as f64 / match_secs).round(),
        "replay_matched": hits,
    });
    if let Some(path) = record::write(Path::new("benches/record"), "serve-log", report)? {
        eprintln!("logbench: recorded in {}", path.display());
    }
    Ok(())
}
