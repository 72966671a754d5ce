//! `powertrack gen …`: seeded synthetic test data.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use powertrack::api::{Body, Limits};
use powertrack_gen::firehose::{FirehoseGenerator, Format, LineKind, stats};
use powertrack_gen::rules::{Profile, RuleSetGenerator, write_rules_body};

/// Generate synthetic test data.
#[derive(Debug, Args)]
pub(crate) struct GenArgs {
    #[command(subcommand)]
    what: GenWhat,
}

#[derive(Debug, Subcommand)]
enum GenWhat {
    /// Write a realistic rule set as a Rules API body, {"rules":[{"value":…,"tag":…,"id":…}]}.
    ///
    /// Terms come from the real corpus's vocabulary; most rules are dormant, a few are broad.
    /// One seed always gives byte-identical output, and a smaller set is a prefix of a larger
    /// one with the same seed.
    Rules(RulesArgs),
    /// Stream a synthetic firehose as NDJSON: realistic posts (v1.1 native by default, or
    /// Activity Streams or v2) with the kind, language, entity and vocabulary mix of the real
    /// firehose, bursts of trending terms and, optionally, stream noise and planted matches.
    ///
    /// One seed always gives byte-identical output.
    Firehose(FirehoseArgs),
    /// Compare a stream of posts (NDJSON, any format) with the real corpus's figures: size
    /// percentiles, kind mix, tokens per post, Zipf slope, entities, geo and languages, each
    /// against its stated tolerance. Exit status 1 when a figure is out of tolerance.
    Stats(StatsArgs),
}

#[derive(Debug, Args)]
struct FirehoseArgs {
    /// Number of posts (noise lines come on top).
    #[arg(long, value_name = "N")]
    count: u64,
    /// Seed of the generator.
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
    /// Output format: native (v1.1), as (Activity Streams) or v2.
    #[arg(long, value_name = "FORMAT", default_value = "native", value_parser = parse_format)]
    format: Format,
    /// Mix in stream noise: delete and limit messages and keep-alive blank lines.
    #[arg(long)]
    noise: bool,
    /// A rules file ({"rules":[{"value":…,"id":…}]}) whose rules are planted in about 1 % of
    /// the posts; each planted match is checked with the reference evaluator.
    #[arg(long, value_name = "RULES.json", requires = "truth")]
    plant: Option<PathBuf>,
    /// Where to write the planted ground truth: one `post_id<TAB>rule_id[,rule_id…]` line per
    /// planted post.
    #[arg(long, value_name = "OUT.tsv", requires = "plant")]
    truth: Option<PathBuf>,
    /// Write to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct StatsArgs {
    /// The NDJSON stream to measure, plain, gzip or zstd (`-` or nothing: stdin).
    #[arg(value_name = "FILE")]
    input: Option<PathBuf>,
    /// Print the raw figures only (how the corpus reference figures were measured).
    #[arg(long)]
    raw: bool,
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::from_name(s).ok_or_else(|| format!("unknown format {s:?} (native, as, v2)"))
}

#[derive(Debug, Args)]
struct RulesArgs {
    /// Number of rules.
    #[arg(long, value_name = "N")]
    count: usize,
    /// Seed of the generator.
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
    /// The kind of rule set: dense (topic lists, qualifiers, negations; 0.5–3 matching rules
    /// per real post at 10,000 rules, ~84 at 250,000) or accounts (mostly single accounts,
    /// brands and rare terms; 0.5–3 per post at 250,000).
    #[arg(long, value_name = "PROFILE", default_value = "dense", value_parser = parse_profile)]
    profile: Profile,
    /// Write to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// A rule-set profile of the generator, by name.
pub(crate) fn parse_profile(s: &str) -> Result<Profile, String> {
    Profile::from_name(s).ok_or_else(|| format!("unknown profile {s:?} (dense, accounts)"))
}

/// Runs `powertrack gen`.
pub(crate) fn run(args: GenArgs) -> ExitCode {
    match args.what {
        GenWhat::Rules(a) => rules(&a),
        GenWhat::Firehose(a) => firehose(&a),
        GenWhat::Stats(a) => stats_cmd(&a),
    }
}

fn rules(a: &RulesArgs) -> ExitCode {
    let generated = RuleSetGenerator::new(a.seed)
        .with_config(a.profile.config())
        .count(a.count)
        .map(powertrack_gen::rules::GeneratedRule::into_parts);
    let result = match &a.out {
        Some(path) => match File::create(path) {
            Ok(f) => write_rules_body(BufWriter::new(f), generated),
            Err(e) => {
                eprintln!(
                    "powertrack gen rules: cannot create {}: {e}",
                    path.display()
                );
                return ExitCode::from(2);
            }
        },
        None => write_rules_body(BufWriter::new(io::stdout().lock()), generated),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A closed stdout (`| head`) ends quietly.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let target = a
                .out
                .as_ref()
                .map_or_else(|| "stdout".to_owned(), |p| p.display().to_string());
            let _ = writeln!(io::stderr(), "powertrack gen rules: writing {target}: {e}");
            ExitCode::from(1)
        }
    }
}

/// The `(id, value)` pairs of a rules file; rules without an id get the id `powertrack match`
/// gives them.
fn plant_rules(path: &std::path::Path) -> Result<Vec<(u64, String)>, String> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("{name}: {e}"))?;
    let entries = match Body::parse(
        &bytes,
        &Limits {
            max_bytes: None,
            max_rules: usize::MAX,
        },
    ) {
        Ok(Body::Rules(r)) => r,
        Ok(Body::RuleIds(_)) => return Err(format!("{name}: a rule_ids body has no rule values")),
        Err(e) => {
            return Err(format!(
                "{name}: {} ({})",
                e.powertrack_message(),
                e.detail()
            ));
        }
    };
    let mut used: std::collections::HashSet<u64> = entries.iter().filter_map(|e| e.id).collect();
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let id = if let Some(id) = e.id {
            id
        } else {
            let mut id = powertrack::post::fnv1a64(e.value.as_bytes()) >> 1;
            while !used.insert(id) {
                id = (id.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 1) >> 1;
            }
            id
        };
        out.push((id, e.value));
    }
    Ok(out)
}

fn firehose(a: &FirehoseArgs) -> ExitCode {
    let mut generator = FirehoseGenerator::new(a.seed)
        .format(a.format)
        .noise(a.noise);
    if let Some(path) = &a.plant {
        let rules = match plant_rules(path) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("powertrack gen firehose: {e}");
                return ExitCode::from(2);
            }
        };
        generator = match generator.plant(rules) {
            Ok(g) => g,
            Err(e) => {
                eprintln!("powertrack gen firehose: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        };
    }
    let create = |p: &PathBuf| {
        File::create(p).map_err(|e| {
            eprintln!(
                "powertrack gen firehose: cannot create {}: {e}",
                p.display()
            );
            ExitCode::from(2)
        })
    };
    let mut truth = match &a.truth {
        Some(p) => match create(p) {
            Ok(f) => Some(BufWriter::new(f)),
            Err(code) => return code,
        },
        None => None,
    };
    let mut out: Box<dyn Write> = match &a.out {
        Some(p) => match create(p) {
            Ok(f) => Box::new(BufWriter::with_capacity(1 << 20, f)),
            Err(code) => return code,
        },
        None => Box::new(BufWriter::with_capacity(1 << 20, io::stdout().lock())),
    };
    let result = (|| -> io::Result<()> {
        let mut n = 0;
        while n < a.count {
            let e = generator.next_line();
            out.write_all(e.line())?;
            out.write_all(b"\n")?;
            if let LineKind::Post(id) = e.kind() {
                n += 1;
                if let Some(t) = truth.as_mut()
                    && !e.planted().is_empty()
                {
                    write!(t, "{id}\t")?;
                    for (i, r) in e.planted().iter().enumerate() {
                        if i > 0 {
                            t.write_all(b",")?;
                        }
                        write!(t, "{r}")?;
                    }
                    t.write_all(b"\n")?;
                }
            }
        }
        out.flush()?;
        if let Some(t) = truth.as_mut() {
            t.flush()?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "powertrack gen firehose: writing: {e}");
            ExitCode::from(1)
        }
    }
}

fn stats_cmd(a: &StatsArgs) -> ExitCode {
    use std::io::BufRead;
    let raw: Box<dyn io::Read + Send> = match a.input.as_deref() {
        None => Box::new(io::stdin()),
        Some(p) if p.as_os_str() == "-" => Box::new(io::stdin()),
        Some(p) => match File::open(p) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("powertrack gen stats: cannot open {}: {e}", p.display());
                return ExitCode::from(2);
            }
        },
    };
    // Compressed captures (gzip, zstd) are decoded as they are read.
    let input: Box<dyn BufRead> = match powertrack_serve::capture::decoded(raw) {
        Ok((text, _)) => Box::new(io::BufReader::with_capacity(1 << 20, text)),
        Err(e) => {
            eprintln!("powertrack gen stats: reading: {e}");
            return ExitCode::from(2);
        }
    };
    let mut s = stats::Stats::new();
    let mut input = input;
    let mut line = Vec::new();
    let mut read = 0u64;
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {
                read += 1;
                let l = line.strip_suffix(b"\n").unwrap_or(&line);
                s.add_line(l);
            }
            Err(e) => {
                eprintln!(
                    "powertrack gen stats: line {}: the input cannot be read from here on: {e}",
                    read + 1
                );
                return ExitCode::from(2);
            }
        }
    }
    let f = s.figures();
    if a.raw {
        print!("{}", stats::raw(&f));
        return ExitCode::SUCCESS;
    }
    print!("{}", stats::report(&f));
    if stats::check(&f).iter().all(stats::Check::ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
