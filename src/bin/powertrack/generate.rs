//! `powertrack gen …`: seeded synthetic test data.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use powertrack::generate::rules::{RuleSetGenerator, write_rules_body};

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
}

#[derive(Debug, Args)]
struct RulesArgs {
    /// Number of rules.
    #[arg(long, value_name = "N")]
    count: usize,
    /// Seed of the generator.
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
    /// Write to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs `powertrack gen`.
pub(crate) fn run(args: GenArgs) -> ExitCode {
    match args.what {
        GenWhat::Rules(a) => rules(&a),
    }
}

fn rules(a: &RulesArgs) -> ExitCode {
    let generated = RuleSetGenerator::new(a.seed)
        .count(a.count)
        .map(powertrack::generate::rules::GeneratedRule::into_parts);
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
