//! `powertrack validate [FILE] [--format json|text]`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use powertrack::api::{Body, Limits, ValidationResponse, now_rfc3339, validate};

/// Arguments of `powertrack validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The Rules API body to validate; standard input when absent or `-`.
    file: Option<PathBuf>,
    /// `json`: PowerTrack's validation response; `text`: each invalid rule with carets under
    /// the problems.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// The most rules a body may hold.
    #[arg(long, default_value_t = 250_000)]
    max_rules: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Json,
    Text,
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let (name, bytes) = match read_input(args.file.as_ref()) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("powertrack validate: {e}");
            return ExitCode::from(2);
        }
    };
    let limits = Limits {
        max_bytes: None,
        max_rules: args.max_rules,
    };
    let rules = match Body::parse(&bytes, &limits) {
        Ok(Body::Rules(rules)) => rules,
        Ok(Body::RuleIds(_)) => {
            eprintln!(
                "powertrack validate: {name}: a {{\"rule_ids\":[…]}} body names stored rules; \
                 validation needs their text, {{\"rules\":[{{\"value\":…}}]}}"
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!(
                "powertrack validate: {name}: {}\n  {}",
                e.powertrack_message(),
                e.detail()
            );
            return ExitCode::from(2);
        }
    };
    let response = validate(&rules);
    let out = match args.format {
        Format::Json => response.to_json(&now_rfc3339()) + "\n",
        Format::Text => text(&response),
    };
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::from(2);
    }
    if response.not_valid() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn read_input(file: Option<&PathBuf>) -> std::io::Result<(String, Vec<u8>)> {
    match file {
        Some(path) if path.as_os_str() != "-" => {
            let bytes = std::fs::read(path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            Ok((path.display().to_string(), bytes))
        }
        _ => {
            let mut bytes = Vec::new();
            std::io::stdin().read_to_end(&mut bytes)?;
            Ok(("<stdin>".to_string(), bytes))
        }
    }
}

fn text(response: &ValidationResponse) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for (i, d) in response.detail.iter().enumerate() {
        let tag = d
            .rule
            .tag
            .as_deref()
            .map(|t| format!(" [tag {t:?}]"))
            .unwrap_or_default();
        match &d.result {
            Ok(_) => {
                let _ = writeln!(out, "rule {}{tag}: valid", i + 1);
            }
            Err(powertrack::api::DetailError::Rule(e)) => {
                let _ = writeln!(out, "rule {}{tag}: invalid\n{e}\n", i + 1);
            }
            Err(e) => {
                let _ = write!(
                    out,
                    "rule {}{tag}: invalid\n{}\n",
                    i + 1,
                    e.powertrack_message()
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "{} valid, {} not valid",
        response.valid(),
        response.not_valid()
    );
    out
}
