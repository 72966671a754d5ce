//! `powertrack bench [--rules N] [--profile P] [--posts N] [--threads T] [--seed S] [--live]
//! [--sample | --input FILE]`: end-to-end figures for sizing a deployment, without criterion.
//!
//! Generates N rules with the seeded rule generator, builds the rule set (or, with `--live`,
//! loads it into the live store and compacts it, as `powertrack serve` holds rules), then
//! matches posts
//! end to end (bytes in → rule ids out) on T worker threads, the way `powertrack match` does
//! (batches split across a rayon pool, one [`Scratch`] per thread), and prints the build time,
//! the memory per rule, posts/s (in all and per thread), MB/s, and candidates and matches per
//! post, beside a plain simd-json tape parse of the same lines on one thread in the same run
//! (the ceiling of any matcher that must parse each post). The last line repeats the figures
//! as `key=value` pairs for scripts.

use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use powertrack::api::RuleEntry;
use powertrack::live::{Config as LiveConfig, LiveRules};
use powertrack::matcher::{Matches, RuleSet, RuleSetBuilder, Scratch};
use powertrack::syntax::Rule;
use powertrack_gen::firehose::FirehoseGenerator;
use powertrack_gen::rules::{Profile, RuleSetGenerator};
use rayon::prelude::*;

/// Arguments of `powertrack bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Rules to generate (`powertrack gen rules`'s generator).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    rules: usize,
    /// The generator's profile: dense (many matches per post at large sizes) or accounts
    /// (mostly single accounts, brands and rare terms).
    #[arg(long, value_name = "PROFILE", default_value = "dense", value_parser = crate::generate::parse_profile)]
    profile: Profile,
    /// Posts to match.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    posts: usize,
    /// Worker threads.
    #[arg(long, value_name = "T", default_value_t = 1)]
    threads: usize,
    /// Seed of the rule generator and of the synthetic firehose.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Match the bundled sample of real posts (examples/firehose.ndjson, cycled) instead of
    /// the synthetic firehose.
    #[arg(long, conflicts_with = "input")]
    sample: bool,
    /// Match the lines of FILE (NDJSON posts, e.g. a capture of a stream; plain, gzip or zstd),
    /// cycled to --posts, instead of the synthetic firehose.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Hold the rules in the live store, as `powertrack serve` does (one add, then compacted
    /// into its partitions), instead of one built rule set.
    #[arg(long)]
    live: bool,
}

/// The bundled sample firehose (190 real posts of every format, two stream messages and a
/// keep-alive line).
const SAMPLE: &[u8] = include_bytes!("../../../examples/firehose.ndjson");

/// `count` lines to match, deterministic for `seed`: the synthetic firehose (v1.1 native,
/// with its stream noise), or the bundled sample of real posts cycled from a line chosen by
/// the seed (it holds a few lines that are not posts, as a stream does).
fn bench_posts(count: usize, seed: u64, sample: bool) -> (Vec<Vec<u8>>, &'static str) {
    if !sample {
        let mut firehose = FirehoseGenerator::new(seed).noise(true);
        let lines = (0..count)
            .map(|_| firehose.next_line().line().to_vec())
            .collect();
        return (lines, "synthetic firehose, native, with stream noise");
    }
    let start = usize::try_from(seed).unwrap_or(0);
    (
        cycled(SAMPLE, count, start),
        "examples/firehose.ndjson, cycled",
    )
}

/// `count` lines of the file at `path` (plain, gzip or zstd, as `powertrack match` reads
/// them), cycled.
fn input_posts(path: &std::path::Path, count: usize) -> io::Result<Vec<Vec<u8>>> {
    let file = std::fs::File::open(path)?;
    let (mut text, _) = powertrack_serve::capture::decoded(Box::new(file))?;
    let mut bytes = Vec::new();
    text.read_to_end(&mut bytes)?;
    let lines = cycled(&bytes, count, 0);
    if lines.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "no lines"));
    }
    Ok(lines)
}

/// `count` of the non-blank lines of `text` (ended by `\n` or `\r\n`), cycled from line
/// `start` (modulo their number); none when `text` has none.
fn cycled(text: &[u8], count: usize, start: usize) -> Vec<Vec<u8>> {
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .collect();
    if lines.is_empty() {
        return Vec::new();
    }
    lines
        .iter()
        .cycle()
        .skip(start % lines.len())
        .take(count)
        .map(|l| l.to_vec())
        .collect()
}

/// The generated rules held the way `--live` asks: one built set, or the live store's
/// snapshot after one add and a full compaction.
fn hold(
    generated: Vec<(u64, Option<String>, String, Rule)>,
    live: bool,
) -> Result<Arc<RuleSet>, String> {
    if live {
        let store =
            LiveRules::with_config(LiveConfig::default().rule_limit(generated.len().max(1)));
        let entries: Vec<RuleEntry> = generated
            .iter()
            .map(|(id, tag, value, _)| {
                let mut entry = RuleEntry::new(value.as_str(), tag.as_deref());
                entry.id = Some(*id);
                entry
            })
            .collect();
        drop(generated);
        let response = store.add(&entries).map_err(|e| e.to_string())?;
        if response.is_invalid() {
            return Err("the live store refused a generated rule".into());
        }
        store.compact();
        return Ok(store.snapshot());
    }
    let mut builder = RuleSetBuilder::new();
    for (id, tag, _, rule) in generated {
        builder.add(id, tag.as_deref(), rule);
    }
    builder.build().map(Arc::new).map_err(|e| e.to_string())
}

/// The process's resident set size in bytes (Linux `/proc/self/status`), if known.
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Lines per second of a plain simd-json tape parse of `lines` on this thread (each line copied
/// into a padded buffer first, as a matcher must), best of three passes after a warm-up.
#[allow(clippy::cast_precision_loss)]
fn tape_parse_rate(lines: &[Vec<u8>]) -> f64 {
    let mut input = Vec::new();
    let mut buffers = simd_json::Buffers::new(16 * 1024);
    let mut spare = Some(simd_json::Tape(Vec::new()));
    let mut pass = |lines: &[Vec<u8>]| {
        let mut parsed = 0usize;
        for line in lines {
            input.clear();
            input.extend_from_slice(line);
            input.resize(line.len() + simd_json::INPUT_PADDING, b' ');
            let mut tape = spare
                .take()
                .unwrap_or_else(|| simd_json::Tape(Vec::new()))
                .reset();
            if simd_json::fill_tape_padded(&mut input, line.len(), &mut buffers, &mut tape).is_ok()
            {
                parsed += usize::from(!tape.0.is_empty());
            }
            spare = Some(tape.reset());
        }
        parsed
    };
    let _ = pass(&lines[..lines.len().min(1_000)]);
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t0 = Instant::now();
        std::hint::black_box(pass(lines));
        best = best.min(t0.elapsed().as_secs_f64().max(1e-9));
    }
    lines.len() as f64 / best
}

/// Counts of one chunk of posts.
#[derive(Default)]
struct Counts {
    posts: u64,
    other: u64,
    matched_posts: u64,
    matches: u64,
    candidates: u64,
}

fn match_chunk(
    rules: &RuleSet,
    lines: &[Vec<u8>],
    scratch: &mut Scratch,
    m: &mut Matches,
) -> Counts {
    let mut c = Counts::default();
    for line in lines {
        match rules.match_line(line, scratch, m) {
            Ok(None) => {
                c.posts += 1;
                c.matches += m.len() as u64;
                c.candidates += m.candidates() as u64;
                c.matched_posts += u64::from(!m.is_empty());
            }
            Ok(Some(_)) | Err(_) => c.other += 1,
        }
    }
    c
}

/// Each pool thread's scratch space, kept from one pass to the next as `powertrack match`
/// keeps it from batch to batch (at 250k rules a fresh one zeroes megabytes).
type Scratches = Vec<Mutex<(Scratch, Matches)>>;

/// Matches every line on the pool, in chunks as `powertrack match` splits a batch.
fn match_all(
    pool: &rayon::ThreadPool,
    scratches: &Scratches,
    rules: &RuleSet,
    lines: &[Vec<u8>],
) -> Counts {
    let chunk = lines
        .len()
        .div_ceil(pool.current_num_threads() * 4)
        .clamp(16, 4096);
    let parts: Vec<Counts> = pool.install(|| {
        lines
            .par_chunks(chunk)
            .map(|chunk| {
                let thread = rayon::current_thread_index().unwrap_or(0);
                let mut guard = scratches[thread % scratches.len().max(1)]
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let (scratch, m) = &mut *guard;
                match_chunk(rules, chunk, scratch, m)
            })
            .collect()
    });
    parts.into_iter().fold(Counts::default(), |a, c| Counts {
        posts: a.posts + c.posts,
        other: a.other + c.other,
        matched_posts: a.matched_posts + c.matched_posts,
        matches: a.matches + c.matches,
        candidates: a.candidates + c.candidates,
    })
}

#[allow(clippy::cast_precision_loss)]
fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Runs `powertrack bench`.
#[allow(clippy::cast_precision_loss)]
pub(crate) fn run(args: &Args) -> ExitCode {
    if args.rules == 0 || args.posts == 0 || args.threads == 0 {
        eprintln!("powertrack bench: --rules, --posts and --threads must be at least 1");
        return ExitCode::from(2);
    }
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!(
                "powertrack bench: cannot start {} threads: {e}",
                args.threads
            );
            return ExitCode::from(2);
        }
    };

    let t0 = Instant::now();
    let mut generated = Vec::with_capacity(args.rules);
    let generator = RuleSetGenerator::new(args.seed).with_config(args.profile.config());
    for g in generator.count(args.rules) {
        let (id, tag, value) = g.into_parts();
        match Rule::parse(&value) {
            Ok(rule) => generated.push((id, tag, value, rule)),
            Err(e) => {
                eprintln!(
                    "powertrack bench: generated rule {id} is invalid: {}",
                    e.powertrack_message().trim_end()
                );
                return ExitCode::from(1);
            }
        }
    }
    let gen_s = t0.elapsed().as_secs_f64();

    let rss_before = rss_bytes();
    let t0 = Instant::now();
    let rules = match hold(generated, args.live) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("powertrack bench: {e}");
            return ExitCode::from(1);
        }
    };
    let build_s = t0.elapsed().as_secs_f64();
    let rss_after = rss_bytes();
    let n = rules.len() as u64;
    let bytes_per_rule = ratio(rules.memory_usage() as u64, n);
    let rss_per_rule = match (rss_before, rss_after) {
        (Some(a), Some(b)) => Some(ratio(b.saturating_sub(a), n)),
        _ => None,
    };

    let (lines, posts_source) = match &args.input {
        Some(path) => match input_posts(path, args.posts) {
            Ok(lines) => (lines, "the input file, cycled"),
            Err(e) => {
                eprintln!("powertrack bench: {}: {e}", path.display());
                return ExitCode::from(1);
            }
        },
        None => bench_posts(args.posts, args.seed, args.sample),
    };
    let bytes: u64 = lines.iter().map(|l| l.len() as u64).sum();
    // Warm the caches and the per-thread scratch space on a slice first.
    let warm = &lines[..lines.len().min(1_000)];
    let scratches: Scratches = (0..args.threads)
        .map(|_| Mutex::new((Scratch::new(), Matches::new())))
        .collect();
    let _ = match_all(&pool, &scratches, &rules, warm);
    let t0 = Instant::now();
    let c = match_all(&pool, &scratches, &rules, &lines);
    let match_s = t0.elapsed().as_secs_f64().max(1e-9);
    let total = c.posts + c.other;
    let posts_per_s = c.posts as f64 / match_s;
    let per_core = posts_per_s / args.threads as f64;
    let mb_per_s = bytes as f64 / match_s / 1e6;
    let cpp = ratio(c.candidates, c.posts);
    let mpp = ratio(c.matches, c.posts);
    let stats = rules.stats();
    let tape_per_s = tape_parse_rate(&lines);
    // Compared line for line: both passes see the same lines, stream messages included.
    let tape_per_s = tape_per_s * c.posts as f64 / (total as f64).max(1.0);
    let tape_ratio = per_core / tape_per_s.max(1e-9);

    let rss_text =
        rss_per_rule.map_or_else(|| "unknown".to_string(), |r| format!("{r:.0} bytes/rule"));
    let report = format!(
        "\
powertrack bench: {n} rules ({profile} profile, generator seed {seed}), {lines} lines ({posts_source}), {threads} thread(s)
rules:       generated and parsed in {gen_s:.3} s
build:       {build_s:.3} s ({held}; {atoms} atoms, {always} rules evaluated for every post)
memory:      {mem:.1} MB compiled, {bytes_per_rule:.0} bytes/rule; process RSS growth over the build {rss_text}
input:       {total} lines ({posts} posts, {other} other), {mb:.1} MB
match:       {match_s:.3} s end to end (bytes in -> rule ids out)
throughput:  {posts_per_s:.0} posts/s, {mb_per_s:.1} MB/s; {per_core:.0} posts/s per thread (per core when threads <= cores)
baseline:    {tape_per_s:.0} posts/s for a simd-json tape parse of the same lines, one thread; per thread the match runs at {tape_ratio:.2} of it
candidates:  {cpp:.2} per post
matches:     {mpp:.2} per post; {matched_pct:.1} % of posts match at least one rule
bench: rules={n} lines={total} posts={posts} threads={threads} build_s={build_s:.4} bytes_per_rule={bytes_per_rule:.0} rss_bytes_per_rule={rss_kv} posts_per_s={posts_per_s:.0} posts_per_s_per_thread={per_core:.0} mb_per_s={mb_per_s:.2} tape_posts_per_s={tape_per_s:.0} tape_ratio={tape_ratio:.3} candidates_per_post={cpp:.4} matches_per_post={mpp:.4}
",
        seed = args.seed,
        profile = args.profile,
        lines = lines.len(),
        threads = args.threads,
        held = if args.live {
            format!("live store, {} segments after compaction", rules.segments())
        } else {
            "one built set".to_string()
        },
        atoms = stats.atoms,
        always = stats.always_evaluated,
        mem = rules.memory_usage() as f64 / 1e6,
        posts = c.posts,
        other = c.other,
        mb = bytes as f64 / 1e6,
        matched_pct = 100.0 * ratio(c.matched_posts, c.posts),
        rss_kv = rss_per_rule.map_or_else(|| "unknown".to_string(), |r| format!("{r:.0}")),
    );
    if io::stdout().lock().write_all(report.as_bytes()).is_err() {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
