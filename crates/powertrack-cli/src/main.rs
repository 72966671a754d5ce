//! The `powertrack` command-line tool: a thin dispatcher over the library, one module per
//! subcommand.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc: the rule-set build allocates millions of small objects, and the service many
/// short-lived buffers; the system allocator spent a large share of a build.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bench;
mod explain;
mod generate;
mod lines;
mod matching;
mod rule_stats;
mod rules_file;
mod validate;
mod watch;

/// A PowerTrack-compatible firehose filter.
#[derive(Debug, Parser)]
#[command(name = "powertrack", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate the rules of a Rules API body (`{"rules":[…]}`) as PowerTrack's validation
    /// endpoint does. Exit status: 0 all valid, 1 some invalid, 2 the input is not such a body.
    Validate(validate::Args),
    /// Match posts (NDJSON: v1.1 native, Activity Streams, v2) against a rules file and write
    /// every matching post, once, with `matching_rules`; a summary goes to stderr.
    Match(matching::Args),
    /// Say why each post matches each rule (or the one chosen), or why not: clause by clause,
    /// with what was found and in which field of the post.
    Explain(explain::Args),
    /// Generate synthetic test data (rule sets, a firehose) and measure a stream.
    Gen(generate::GenArgs),
    /// Measure build time, memory and end-to-end matching throughput on generated rules, for
    /// sizing a deployment.
    Bench(bench::Args),
    /// Run the PowerTrack service: the Rules API, streaming connections, accounts and credits,
    /// over posts from a file, standard input, the synthetic firehose or `POST /ingest`.
    Serve(Box<powertrack_serve::ServeArgs>),
    /// Read a password on standard input and print its argon2id hash, for the accounts file.
    Passwd,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Match(args) => matching::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Gen(args) => generate::run(args),
        Command::Bench(args) => bench::run(&args),
        Command::Serve(args) => service(powertrack_serve::run(*args)),
        Command::Passwd => service(powertrack_serve::passwd()),
    }
}

/// Exit status 1 with the error (and its causes) on stderr.
fn service(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("powertrack: {e:#}");
            ExitCode::FAILURE
        }
    }
}
