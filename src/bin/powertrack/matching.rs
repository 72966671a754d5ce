//! `powertrack match --rules RULES [INPUT …]`: the firehose filter.
//!
//! Reads NDJSON posts (v1.1 native, Activity Streams and v2, mixed, `\r\n` accepted) from the
//! inputs or standard input, and writes every post that matches at least one rule, once, in
//! input order, with `matching_rules` spliced into its original bytes. Lines are processed in
//! bounded batches, each split across the worker threads; the output of a batch is written in
//! input order and flushed before the next batch is read, so memory stays bounded on an endless
//! stream and the output is byte-identical for any number of threads.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use powertrack::api::{Body, Limits};
use powertrack::matcher::{Matches, RuleSet, RuleSetBuilder, Scratch};
use powertrack::output::splice_matching_rules;
use powertrack::post::{IngestError, fnv1a64};
use powertrack::syntax::Rule;
use rayon::prelude::*;

/// Arguments of `powertrack match`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The rules: a Rules API body, `{"rules":[{"value":…,"tag":…,"id":…}]}`. Ids are optional
    /// unsigned 64-bit integers; a rule without one gets an id derived from its value.
    #[arg(long, value_name = "RULES")]
    rules: PathBuf,
    /// NDJSON files of posts; standard input when none is given, or for `-`.
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Lines longer than this many bytes are malformed (and never buffered whole).
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    max_line_len: usize,
    /// The most rules the rules file may hold.
    #[arg(long, value_name = "N", default_value_t = 250_000)]
    max_rules: usize,
}

/// Lines per batch: large enough to keep every thread busy, small enough to bound memory
/// (at most `BATCH_LINES` × the maximum line length).
const BATCH_LINES: usize = 4096;

pub(crate) fn run(args: &Args) -> ExitCode {
    let rules = match load_rules(&args.rules, args.max_rules) {
        Ok(r) => r,
        Err(msg) => {
            eprintln!("powertrack match: {msg}");
            return ExitCode::from(2);
        }
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("powertrack match: cannot start {threads} threads: {e}");
            return ExitCode::from(2);
        }
    };
    let mut inputs: Vec<(String, Box<dyn BufRead>)> = Vec::new();
    if args.inputs.is_empty() {
        inputs.push(("<stdin>".into(), Box::new(io::stdin().lock())));
    }
    for path in &args.inputs {
        if path.as_os_str() == "-" {
            inputs.push(("<stdin>".into(), Box::new(io::stdin().lock())));
            continue;
        }
        match File::open(path) {
            Ok(f) => inputs.push((
                path.display().to_string(),
                Box::new(BufReader::with_capacity(1 << 16, f)),
            )),
            Err(e) => {
                eprintln!("powertrack match: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    let mut run = Run::new(rules, pool, args.max_line_len);
    for (name, reader) in inputs {
        match run.input(&name, reader) {
            Ok(Flow::Continue) => {}
            Ok(Flow::StdoutClosed) => return run.finish(),
            Err(e) => {
                run.progress_done();
                eprintln!("powertrack match: {name}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    run.finish()
}

/// Loads and compiles the rules file.
fn load_rules(path: &Path, max_rules: usize) -> Result<RuleSet, String> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("{name}: {e}"))?;
    let entries = match Body::parse(
        &bytes,
        &Limits {
            max_bytes: None,
            max_rules,
        },
    ) {
        Ok(Body::Rules(r)) => r,
        Ok(Body::RuleIds(_)) => {
            return Err(format!(
                "{name}: a {{\"rule_ids\":[…]}} body has no rule values; the rules file must be {{\"rules\":[{{\"value\":…}}]}}"
            ));
        }
        Err(e) => {
            return Err(format!(
                "{name}: {} ({})",
                e.powertrack_message(),
                e.detail()
            ));
        }
    };
    // Given ids must be unique; values too (the first rule with a value wins, as PowerTrack
    // keeps the stored rule).
    let mut given: HashMap<u64, usize> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        if let Some(id) = e.id
            && let Some(first) = given.insert(id, i)
        {
            return Err(format!(
                "{name}: rules {} and {} have the same id {id}",
                first + 1,
                i + 1
            ));
        }
    }
    let mut used: HashSet<u64> = given.keys().copied().collect();
    let mut values: HashMap<&str, (usize, u64)> = HashMap::new();
    let mut builder = RuleSetBuilder::new();
    for (i, e) in entries.iter().enumerate() {
        if let Some(&(first, first_id)) = values.get(e.value.as_str()) {
            eprintln!(
                "powertrack match: {name}: rule {}: A rule with this value already exists (rule {}, id {first_id}); skipped",
                i + 1,
                first + 1
            );
            continue;
        }
        let rule = Rule::parse(&e.value).map_err(|err| {
            format!(
                "{name}: rule {} ({:?}): {}",
                i + 1,
                e.value,
                err.powertrack_message().trim_end()
            )
        })?;
        let id = if let Some(id) = e.id {
            id
        } else {
            // Deterministic for the file: derived from the value, stepped past any id in use.
            let mut id = fnv1a64(e.value.as_bytes()) >> 1;
            while !used.insert(id) {
                id = (id.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 1) >> 1;
            }
            id
        };
        values.insert(e.value.as_str(), (i, id));
        builder.add(id, e.tag.as_deref(), rule);
    }
    builder.build().map_err(|e| format!("{name}: {e}"))
}

enum Flow {
    Continue,
    StdoutClosed,
}

/// One line of a batch: its bytes in the batch buffer, or that it was too long.
struct BatchLine {
    range: std::ops::Range<usize>,
    number: u64,
    too_long: Option<usize>,
}

/// What one chunk of a batch produced.
#[derive(Default)]
struct ChunkResult {
    out: Vec<u8>,
    errors: Vec<String>,
    posts: u64,
    matched: u64,
    skipped: u64,
    malformed: u64,
}

struct Run {
    rules: RuleSet,
    pool: rayon::ThreadPool,
    max_line_len: usize,
    stdout: io::StdoutLock<'static>,
    started: Instant,
    lines: u64,
    bytes: u64,
    posts: u64,
    matched: u64,
    skipped: u64,
    malformed: u64,
    progress: Option<indicatif::ProgressBar>,
}

impl Run {
    fn new(rules: RuleSet, pool: rayon::ThreadPool, max_line_len: usize) -> Run {
        let progress = io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar
        });
        Run {
            rules,
            pool,
            max_line_len,
            stdout: io::stdout().lock(),
            started: Instant::now(),
            lines: 0,
            bytes: 0,
            posts: 0,
            matched: 0,
            skipped: 0,
            malformed: 0,
            progress,
        }
    }

    fn input(&mut self, name: &str, mut reader: Box<dyn BufRead>) -> io::Result<Flow> {
        let mut buf = Vec::new();
        let mut lines: Vec<BatchLine> = Vec::with_capacity(BATCH_LINES);
        let mut number = 0u64;
        loop {
            buf.clear();
            lines.clear();
            let mut eof = false;
            while lines.len() < BATCH_LINES {
                let start = buf.len();
                let too_long = match read_line_capped(&mut reader, &mut buf, self.max_line_len)? {
                    LineRead::Eof => {
                        eof = true;
                        break;
                    }
                    LineRead::Line => None,
                    LineRead::TooLong(n) => Some(n),
                };
                number += 1;
                self.bytes += (buf.len() - start + too_long.unwrap_or(0)) as u64;
                lines.push(BatchLine {
                    range: start..buf.len(),
                    number,
                    too_long,
                });
            }
            if !lines.is_empty() && self.batch(name, &buf, &lines) {
                return Ok(Flow::StdoutClosed);
            }
            if eof {
                return Ok(Flow::Continue);
            }
        }
    }

    /// Matches one batch and writes its results; true when stdout was closed.
    fn batch(&mut self, name: &str, buf: &[u8], lines: &[BatchLine]) -> bool {
        let rules = &self.rules;
        let max = self.max_line_len;
        let threads = self.pool.current_num_threads();
        let chunk = lines.len().div_ceil(threads * 4).max(16);
        let results: Vec<ChunkResult> = self.pool.install(|| {
            lines
                .par_chunks(chunk)
                .map_init(
                    || (Scratch::with_max_line_len(max), Matches::new()),
                    |(scratch, matches), chunk| {
                        process(rules, name, max, buf, chunk, scratch, matches)
                    },
                )
                .collect()
        });
        let mut closed = false;
        for r in &results {
            self.lines += r.posts + r.skipped + r.malformed;
            self.posts += r.posts;
            self.matched += r.matched;
            self.skipped += r.skipped;
            self.malformed += r.malformed;
            if !closed && let Err(e) = self.stdout.write_all(&r.out) {
                if e.kind() == io::ErrorKind::BrokenPipe {
                    closed = true;
                } else {
                    eprintln!("powertrack match: writing the output: {e}");
                    closed = true;
                }
            }
            if !r.errors.is_empty() {
                let mut err = io::stderr().lock();
                for e in &r.errors {
                    let _ = writeln!(err, "{e}");
                }
            }
        }
        if !closed && self.stdout.flush().is_err() {
            closed = true;
        }
        if let Some(bar) = &self.progress {
            bar.set_message(format!(
                "lines={} posts={} matched={} malformed={}",
                self.lines, self.posts, self.matched, self.malformed
            ));
            bar.tick();
        }
        closed
    }

    fn progress_done(&mut self) {
        if let Some(bar) = self.progress.take() {
            bar.finish_and_clear();
        }
    }

    fn finish(mut self) -> ExitCode {
        self.progress_done();
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        #[allow(clippy::cast_precision_loss)]
        let (pps, mbps) = (self.posts as f64 / secs, self.bytes as f64 / secs / 1e6);
        eprintln!(
            "summary: lines={} posts={} matched={} skipped={} malformed={} posts_per_s={:.0} mb_per_s={:.1}",
            self.lines, self.posts, self.matched, self.skipped, self.malformed, pps, mbps
        );
        ExitCode::SUCCESS
    }
}

fn process(
    rules: &RuleSet,
    name: &str,
    max_line_len: usize,
    buf: &[u8],
    chunk: &[BatchLine],
    scratch: &mut Scratch,
    matches: &mut Matches,
) -> ChunkResult {
    let mut r = ChunkResult::default();
    for line in chunk {
        if let Some(len) = line.too_long {
            r.malformed += 1;
            let e = IngestError::line_too_long(len, max_line_len);
            r.errors.push(format!("{name}:{}: {e}", line.number));
            continue;
        }
        let bytes = trim_line_end(&buf[line.range.clone()]);
        match rules.match_line(bytes, scratch, matches) {
            Ok(Some(_)) => r.skipped += 1,
            Ok(None) => {
                r.posts += 1;
                if matches.is_empty() {
                    continue;
                }
                match splice_matching_rules(
                    bytes,
                    matches.layout(),
                    matches.rules(rules),
                    &mut r.out,
                ) {
                    Ok(()) => {
                        r.out.push(b'\n');
                        r.matched += 1;
                    }
                    Err(e) => {
                        r.malformed += 1;
                        r.posts -= 1;
                        r.errors.push(format!("{name}:{}: {e}", line.number));
                    }
                }
            }
            Err(e) => {
                r.malformed += 1;
                r.errors.push(format!("{name}:{}: {e}", line.number));
            }
        }
    }
    r
}

/// Strips a trailing `\r` (streams end lines with `\r\n`).
fn trim_line_end(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// What [`read_line_capped`] read.
#[derive(Debug, PartialEq, Eq)]
enum LineRead {
    /// The end of the input.
    Eof,
    /// A line, appended to the buffer.
    Line,
    /// A line of this many bytes, over the maximum: nothing of it was kept.
    TooLong(usize),
}

/// Appends the next line (without its `\n`) to `buf`. A line longer than `max` bytes is read
/// and dropped chunk by chunk, never buffered whole.
fn read_line_capped(r: &mut dyn BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<LineRead> {
    let start = buf.len();
    let (mut total, mut over, mut any) = (0usize, false, false);
    loop {
        let avail = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            if !any {
                return Ok(LineRead::Eof);
            }
            break;
        }
        any = true;
        let newline = memchr::memchr(b'\n', avail);
        let chunk = &avail[..newline.unwrap_or(avail.len())];
        total += chunk.len();
        if !over {
            if total > max {
                over = true;
                buf.truncate(start);
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        let consumed = newline.map_or(avail.len(), |i| i + 1);
        r.consume(consumed);
        if newline.is_some() {
            break;
        }
    }
    Ok(if over {
        LineRead::TooLong(total)
    } else {
        LineRead::Line
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_lines() {
        let data = b"ab\r\nlonger line\n\nlast";
        let mut r = io::BufReader::with_capacity(3, &data[..]);
        let mut buf = Vec::new();
        let mut got = Vec::new();
        loop {
            match read_line_capped(&mut r, &mut buf, 5).unwrap() {
                LineRead::Eof => break,
                read => got.push((String::from_utf8(buf.clone()).unwrap(), read)),
            }
            buf.clear();
        }
        assert_eq!(
            got,
            [
                ("ab\r".into(), LineRead::Line),
                (String::new(), LineRead::TooLong(11)),
                (String::new(), LineRead::Line),
                ("last".into(), LineRead::Line)
            ]
        );
    }
}
