//! `powertrack match --rules RULES [INPUT …]`: the firehose filter.
//!
//! Reads NDJSON posts (v1.1 native, Activity Streams and v2, mixed, `\r\n` accepted) from the
//! inputs or standard input, and writes every post that matches at least one rule, once, in
//! input order, with `matching_rules` spliced into its original bytes. Lines are processed in
//! bounded batches, each split across the worker threads; the output of a batch is written in
//! input order and flushed before the next batch is read, so memory stays bounded on an endless
//! stream and the output is byte-identical for any number of threads.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use powertrack::live::{Config, LiveRules};
use powertrack::matcher::{Matches, RuleSet, RuleSetBuilder, Scratch, explain};
use powertrack::post::{IngestError, Line, Parser};
use powertrack::syntax::Rule;
use rayon::prelude::*;

use crate::lines::{self, Chunk, ChunkLine, Msg};
use crate::rule_stats::RuleStats;
use crate::rules_file;
use crate::watch;

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
    /// Apply edits of the rules file while the stream flows: removed values are deleted,
    /// new ones added, a changed tag is a delete and an add, each edit as one atomic change
    /// reported on stderr. An edit that leaves the file invalid is reported and the rules
    /// in force stay.
    #[arg(long)]
    watch: bool,
    /// How often `--watch` looks at the rules file, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 250, requires = "watch")]
    watch_interval: u64,
    /// Write how often each rule matched to FILE at the end (and on Ctrl-C): one JSON line
    /// per rule, `id`, `tag`, `value`, `matches`, `share` of the posts, the most matches first;
    /// rules that never matched are listed too.
    #[arg(long, value_name = "FILE")]
    rule_stats: Option<PathBuf>,
    /// Add to each written post, under `powertrack_explain`, why it matched each of its rules,
    /// clause by clause (as `powertrack explain --format json` says it); without this flag the
    /// output is PowerTrack's own shape.
    #[arg(long)]
    explain: bool,
}

/// Lines per batch: large enough to keep every thread busy, small enough to bound memory
/// (at most `BATCH_LINES` × the maximum line length).
const BATCH_LINES: usize = 4096;

pub(crate) fn run(args: &Args) -> ExitCode {
    let mut file = match rules_file::load(&args.rules, args.max_rules) {
        Ok(f) => f,
        Err(msg) => {
            eprintln!("powertrack match: {msg}");
            return ExitCode::from(2);
        }
    };
    for w in &file.warnings {
        eprintln!("powertrack match: {w}");
    }
    let stats = match &args.rule_stats {
        Some(path) => {
            let entries: Vec<_> = file.rules.iter().map(|r| r.entry.clone()).collect();
            let stats = Arc::new(Mutex::new(RuleStats::new(path.clone(), &entries)));
            if let Err(e) = on_interrupt(stats.clone(), args) {
                eprintln!("powertrack match: cannot catch Ctrl-C for --rule-stats: {e}");
                return ExitCode::from(2);
            }
            Some(stats)
        }
        None => None,
    };
    let explainer = args
        .explain
        .then(|| Arc::new(Explainer::new(&file, args.rules.clone(), args.max_rules)));
    let rules = if args.watch {
        let live = LiveRules::with_config(Config::default().rule_limit(args.max_rules));
        let entries: Vec<_> = file.rules.iter().map(|r| r.entry.clone()).collect();
        match live.add(&entries) {
            Ok(r) if !r.is_invalid() => {}
            Ok(r) => {
                let why = r
                    .detail
                    .iter()
                    .find_map(|d| d.message.clone())
                    .unwrap_or_default();
                eprintln!(
                    "powertrack match: {}: {}",
                    args.rules.display(),
                    why.trim_end()
                );
                return ExitCode::from(2);
            }
            Err(e) => {
                eprintln!(
                    "powertrack match: {}: {}",
                    args.rules.display(),
                    e.powertrack_message()
                );
                return ExitCode::from(2);
            }
        }
        watch::spawn(
            args.rules.clone(),
            std::mem::take(&mut file.bytes),
            live.clone(),
            args.max_rules,
            Duration::from_millis(args.watch_interval.max(10)),
        );
        Rules::Live(live)
    } else {
        let mut builder = RuleSetBuilder::new();
        for r in file.rules {
            builder.add(
                r.entry.id.unwrap_or_default(),
                r.entry.tag.as_deref(),
                r.rule,
            );
        }
        match builder.build() {
            Ok(set) => Rules::Fixed(Arc::new(set)),
            Err(e) => {
                eprintln!("powertrack match: {}: {e}", args.rules.display());
                return ExitCode::from(2);
            }
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
    let mut names: Vec<String> = Vec::new();
    let mut readers: Vec<Box<dyn Read + Send>> = Vec::new();
    if args.inputs.is_empty() {
        names.push("<stdin>".into());
        readers.push(Box::new(io::stdin()));
    }
    for path in &args.inputs {
        if path.as_os_str() == "-" {
            names.push("<stdin>".into());
            readers.push(Box::new(io::stdin()));
            continue;
        }
        match File::open(path) {
            Ok(f) => {
                names.push(path.display().to_string());
                readers.push(Box::new(f));
            }
            Err(e) => {
                eprintln!("powertrack match: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    let incoming = lines::spawn(readers, args.max_line_len);
    let mut run = Run::new(rules, pool, args.max_line_len, names);
    run.stats = stats;
    run.explainer = explainer;
    run.stream(&incoming);
    if args.watch
        && let Some(stats) = &run.stats
    {
        know_file_rules(stats, &args.rules, args.max_rules);
    }
    run.finish()
}

/// With `--watch`, the rules file's rules as they are now join those counted (so that a rule
/// added during the run and never matched is listed too).
fn know_file_rules(stats: &Mutex<RuleStats>, rules: &std::path::Path, max_rules: usize) {
    if let Ok(file) = rules_file::load(rules, max_rules) {
        let entries: Vec<_> = file.rules.iter().map(|r| r.entry.clone()).collect();
        lock(stats).know(&entries);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// On Ctrl-C: the rule counts of what was written so far go to their file, then the process
/// ends (130, as a shell reports an interrupted command).
fn on_interrupt(stats: Arc<Mutex<RuleStats>>, args: &Args) -> Result<(), ctrlc::Error> {
    let (watch, rules, max_rules) = (args.watch, args.rules.clone(), args.max_rules);
    ctrlc::set_handler(move || {
        if watch {
            know_file_rules(&stats, &rules, max_rules);
        }
        let stats = lock(&stats);
        match stats.write() {
            Ok(()) => eprintln!(
                "powertrack match: interrupted; rule counts so far written to {}",
                stats.path().display()
            ),
            Err(e) => eprintln!(
                "powertrack match: interrupted; the rule counts could not be written to {}: {e}",
                stats.path().display()
            ),
        }
        std::process::exit(130);
    })
}

/// The rules matched against: fixed for the run, or live (`--watch`).
enum Rules {
    Fixed(Arc<RuleSet>),
    Live(LiveRules),
}

impl Rules {
    /// The rule set for the next batch.
    fn current(&self) -> Arc<RuleSet> {
        match self {
            Rules::Fixed(set) => set.clone(),
            Rules::Live(live) => live.snapshot(),
        }
    }
}

/// What one chunk of a batch produced.
#[derive(Default)]
struct ChunkResult {
    out: Vec<u8>,
    errors: Vec<String>,
    /// The rule ids of each post written, with `--rule-stats`.
    hits: Vec<u64>,
    posts: u64,
    matched: u64,
    skipped: u64,
    malformed: u64,
}

/// One worker's matching state, kept from batch to batch: a scratch sized for a large rule set
/// holds megabytes of per-segment state, which a fresh one would allocate and zero again.
type WorkerState = (Scratch, Matches, Parser);

struct Run {
    rules: Rules,
    pool: rayon::ThreadPool,
    /// Each pool thread's state, by `rayon::current_thread_index` (each thread locks only its
    /// own slot, so the locks are never contended).
    states: Vec<Mutex<Option<WorkerState>>>,
    max_line_len: usize,
    names: Vec<String>,
    stdout: io::StdoutLock<'static>,
    started: Instant,
    lines: u64,
    bytes: u64,
    posts: u64,
    matched: u64,
    skipped: u64,
    malformed: u64,
    /// Inputs that could not be read to their end.
    unreadable: u64,
    /// The rules to explain matches with (`--explain`).
    explainer: Option<Arc<Explainer>>,
    /// Per-rule counts (`--rule-stats`), shared with the Ctrl-C handler.
    stats: Option<Arc<Mutex<RuleStats>>>,
    /// When the progress line last named the busiest rules, and what it said.
    busiest_at: Instant,
    progress_busiest: String,
    progress: Option<indicatif::ProgressBar>,
}

impl Run {
    fn new(rules: Rules, pool: rayon::ThreadPool, max_line_len: usize, names: Vec<String>) -> Run {
        let progress = io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar
        });
        let states = (0..pool.current_num_threads())
            .map(|_| Mutex::new(None))
            .collect();
        Run {
            rules,
            pool,
            states,
            max_line_len,
            names,
            stdout: io::stdout().lock(),
            started: Instant::now(),
            lines: 0,
            bytes: 0,
            posts: 0,
            matched: 0,
            skipped: 0,
            malformed: 0,
            unreadable: 0,
            explainer: None,
            stats: None,
            busiest_at: Instant::now(),
            progress_busiest: String::new(),
            progress,
        }
    }

    /// Matches everything the reader sends, a batch at a time: whatever has arrived, up to
    /// `BATCH_LINES` lines. Stops early when stdout is closed. An input that cannot be read to
    /// its end is reported, with the line it reached, after its lines before that are matched;
    /// the next input follows.
    fn stream(&mut self, incoming: &Receiver<Msg>) {
        let mut batch: Vec<Chunk> = Vec::new();
        while let Ok(first) = incoming.recv() {
            let mut failed = None;
            let mut lines = 0;
            let mut next = Some(first);
            while let Some(msg) = next.take() {
                match msg {
                    Msg::Chunk(c) => {
                        lines += c.lines.len();
                        batch.push(c);
                    }
                    Msg::Error(input, number, e) => {
                        failed = Some((input, number, e));
                        break;
                    }
                }
                if lines < BATCH_LINES {
                    next = incoming.try_recv().ok();
                }
            }
            let closed = !batch.is_empty() && self.batch(&batch);
            batch.clear();
            if let Some((input, number, e)) = failed {
                self.unreadable += 1;
                let name = &self.names[input];
                let line = number + 1;
                eprintln!(
                    "{name}:{line}: the input cannot be read from here on ({e}); its {number} lines before were matched"
                );
            }
            if closed {
                return;
            }
        }
    }

    /// Matches one batch and writes its results; true when stdout was closed.
    fn batch(&mut self, batch: &[Chunk]) -> bool {
        let rules = self.rules.current();
        let rules = &*rules;
        let max = self.max_line_len;
        let names = &self.names;
        let settings = Settings {
            max_line_len: max,
            count_rules: self.stats.is_some(),
            explain: self.explainer.as_deref(),
        };
        let threads = self.pool.current_num_threads();
        let total: usize = batch.iter().map(|c| c.lines.len()).sum();
        let step = total.div_ceil(threads * 4).max(16);
        let work: Vec<(&Chunk, &[ChunkLine])> = batch
            .iter()
            .flat_map(|c| c.lines.chunks(step).map(move |l| (c, l)))
            .collect();
        self.bytes += batch.iter().map(|c| c.bytes).sum::<u64>();
        let states = &self.states;
        let results: Vec<ChunkResult> = self.pool.install(|| {
            work.par_iter()
                .map(|(chunk, lines)| {
                    let slot = rayon::current_thread_index().unwrap_or(0) % states.len();
                    let mut state = lock(&states[slot]);
                    let state = state.get_or_insert_with(|| {
                        (
                            Scratch::with_max_line_len(max),
                            Matches::new(),
                            Parser::new(),
                        )
                    });
                    process(
                        rules,
                        &names[chunk.input],
                        settings,
                        &chunk.buf,
                        lines,
                        state,
                    )
                })
                .collect()
        });
        let mut closed = false;
        let mut stats = self.stats.as_ref().map(|s| lock(s));
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
            if let Some(stats) = stats.as_mut() {
                // Counted as written: nothing of a batch cut off by a closed output.
                stats.add(r.posts, if closed { &[] } else { &r.hits });
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
            // The busiest rules, once a second: finding them costs a pass over the counts.
            let busiest = match &stats {
                Some(s) if self.busiest_at.elapsed() >= Duration::from_secs(1) => {
                    self.busiest_at = Instant::now();
                    s.busiest(3)
                }
                _ => String::new(),
            };
            if self.progress_busiest.is_empty() || !busiest.is_empty() {
                self.progress_busiest = busiest;
            }
            bar.set_message(format!(
                "lines={} posts={} matched={} malformed={}{}",
                self.lines, self.posts, self.matched, self.malformed, self.progress_busiest
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
        let generation = match &self.rules {
            Rules::Live(live) => format!(" generation={}", live.load().generation()),
            Rules::Fixed(_) => String::new(),
        };
        eprintln!(
            "summary: lines={} posts={} matched={} skipped={} malformed={} posts_per_s={:.0} mb_per_s={:.1}{generation}",
            self.lines, self.posts, self.matched, self.skipped, self.malformed, pps, mbps
        );
        if let Some(stats) = &self.stats {
            let stats = lock(stats);
            if let Err(e) = stats.write() {
                eprintln!(
                    "powertrack match: the rule counts could not be written to {}: {e}",
                    stats.path().display()
                );
                return ExitCode::from(2);
            }
        }
        if self.unreadable > 0 {
            eprintln!(
                "powertrack match: {} input(s) could not be read to their end (above)",
                self.unreadable
            );
            return ExitCode::from(2);
        }
        ExitCode::SUCCESS
    }
}

/// How [`process`] treats lines.
#[derive(Clone, Copy)]
struct Settings<'a> {
    max_line_len: usize,
    /// Keep the rule ids of each post written (`--rule-stats`).
    count_rules: bool,
    /// Add each match's explanation (`--explain`).
    explain: Option<&'a Explainer>,
}

/// One rule's explanation under `powertrack_explain` (`null`s for a rule no longer known).
#[derive(serde::Serialize)]
struct Explained<'a> {
    id: u64,
    matched: Option<bool>,
    clauses: Option<Vec<crate::explain::JsonClause<'a>>>,
}

/// The parsed rules by id, for `--explain`. With `--watch` the file is read again when a
/// match names a rule not known yet (an edit added it), at most once a second.
pub(crate) struct Explainer {
    rules: std::sync::RwLock<std::collections::HashMap<u64, Rule>>,
    path: PathBuf,
    max_rules: usize,
    reloaded: Mutex<Option<Instant>>,
}

impl Explainer {
    fn new(file: &rules_file::RulesFile, path: PathBuf, max_rules: usize) -> Explainer {
        let rules = file
            .rules
            .iter()
            .filter_map(|r| Some((r.entry.id?, r.rule.clone())))
            .collect();
        Explainer {
            rules: std::sync::RwLock::new(rules),
            path,
            max_rules,
            reloaded: Mutex::new(None),
        }
    }

    fn rule(&self, id: u64) -> Option<Rule> {
        let known = |e: &Explainer| {
            e.rules
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&id)
                .cloned()
        };
        if let Some(rule) = known(self) {
            return Some(rule);
        }
        {
            let mut at = self
                .reloaded
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if at.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
                return None;
            }
            *at = Some(Instant::now());
            if let Ok(file) = rules_file::load(&self.path, self.max_rules) {
                let mut rules = self
                    .rules
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for r in file.rules {
                    if let Some(id) = r.entry.id {
                        rules.insert(id, r.rule);
                    }
                }
            }
        }
        known(self)
    }

    /// Appends `,"powertrack_explain":[…]` inside the object just written at `out[start..]`.
    fn append(
        &self,
        line: &[u8],
        ids: impl Iterator<Item = u64>,
        parser: &mut Parser,
        out: &mut Vec<u8>,
        start: usize,
    ) {
        let Ok(Line::Post(post)) = parser.parse(line) else {
            return; // it matched, so it parses; nothing to add if not
        };
        let explained: Vec<(u64, Option<powertrack::matcher::Explanation>)> = ids
            .map(|id| (id, self.rule(id).map(|rule| explain(&rule, &post))))
            .collect();
        let list: Vec<Explained<'_>> = explained
            .iter()
            .map(|(id, why)| Explained {
                id: *id,
                matched: why.as_ref().map(|w| w.matched),
                clauses: why.as_ref().map(crate::explain::json_clauses),
            })
            .collect();
        let Some(close) = out[start..].iter().rposition(|&b| b == b'}') else {
            return;
        };
        let at = start + close;
        let mut key = b",\"powertrack_explain\":".to_vec();
        if serde_json::to_writer(&mut key, &list).is_ok() {
            out.splice(at..at, key);
        }
    }
}

fn process(
    rules: &RuleSet,
    name: &str,
    settings: Settings<'_>,
    buf: &[u8],
    chunk: &[ChunkLine],
    (scratch, matches, parser): &mut WorkerState,
) -> ChunkResult {
    let Settings {
        max_line_len,
        count_rules,
        explain,
    } = settings;
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
                let start = r.out.len();
                match matches.write_line(bytes, rules, &mut r.out) {
                    Ok(()) => {
                        if let Some(explainer) = explain {
                            explainer.append(bytes, matches.ids(), parser, &mut r.out, start);
                        }
                        r.out.push(b'\n');
                        r.matched += 1;
                        if count_rules {
                            r.hits.extend(matches.ids());
                        }
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
