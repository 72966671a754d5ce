//! `powertrack explain`: why a post matched a rule, or why not, clause by clause, with the
//! atoms found and the fields they were found in. The explanation runs the matcher's own
//! compiled path ([`powertrack::matcher::explain`]), so it says what `match` does.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use powertrack::matcher::{Explanation, explain};
use powertrack::post::{Line, Parser};
use powertrack::syntax::Rule;
use serde::Serialize;

use crate::rules_file;

/// Arguments of `powertrack explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The rules (a Rules API body, as for `match`); optional with `--value`.
    #[arg(long, value_name = "RULES", required_unless_present = "value")]
    rules: Option<PathBuf>,
    /// Only the rule with this id (its id in the rules file, given or derived).
    #[arg(long, value_name = "N", conflicts_with = "value", requires = "rules")]
    id: Option<u64>,
    /// Only this rule: a value of the rules file (then with its id and tag), or any rule.
    #[arg(long, value_name = "RULE")]
    value: Option<String>,
    /// `text` (for reading) or `json` (one line per post and rule).
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// NDJSON files of posts (plain, gzip or zstd); standard input when none is given, or
    /// for `-`.
    #[arg(value_name = "POSTS")]
    inputs: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// A rule to explain.
struct Explained {
    id: Option<u64>,
    tag: Option<String>,
    value: String,
    rule: Rule,
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let rules = match chosen_rules(args) {
        Ok(r) => r,
        Err(msg) => {
            eprintln!("powertrack explain: {msg}");
            return ExitCode::from(2);
        }
    };
    let mut inputs: Vec<(String, Box<dyn Read + Send>)> = Vec::new();
    if args.inputs.is_empty() {
        inputs.push(("<stdin>".into(), Box::new(io::stdin())));
    }
    for path in &args.inputs {
        if path.as_os_str() == "-" {
            inputs.push(("<stdin>".into(), Box::new(io::stdin())));
            continue;
        }
        match File::open(path) {
            Ok(f) => inputs.push((path.display().to_string(), Box::new(f))),
            Err(e) => {
                eprintln!("powertrack explain: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut parser = Parser::new();
    let mut failed = false;
    for (name, reader) in inputs {
        let mut input = match powertrack_serve::capture::decoded(reader) {
            Ok((text, _)) => BufReader::with_capacity(1 << 16, text),
            Err(e) => {
                eprintln!("{name}:1: the input cannot be read: {e}");
                failed = true;
                continue;
            }
        };
        let mut buf = Vec::new();
        let mut number = 0u64;
        loop {
            buf.clear();
            match input.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) => number += 1,
                Err(e) => {
                    let _ = out.flush();
                    eprintln!(
                        "{name}:{}: the input cannot be read from here on ({e})",
                        number + 1
                    );
                    failed = true;
                    break;
                }
            }
            let line = trim(&buf);
            if line.is_empty() {
                continue;
            }
            let post = match parser.parse(line) {
                Ok(Line::Post(post)) => post,
                Ok(Line::Skipped(_)) => continue,
                Err(e) => {
                    // What came before goes out first, so that a terminal or a merged log reads
                    // in input order (errors are rare: the flush costs nothing).
                    let _ = out.flush();
                    eprintln!("{name}:{number}: {e}");
                    continue;
                }
            };
            for r in &rules {
                let why = explain(&r.rule, &post);
                let written = match args.format {
                    Format::Text => {
                        out.write_all(text(&name, number, post.id(), r, &why).as_bytes())
                    }
                    Format::Json => json(&mut out, &name, number, post.id(), r, &why),
                };
                if let Err(e) = written {
                    if e.kind() == io::ErrorKind::BrokenPipe {
                        return ExitCode::SUCCESS;
                    }
                    eprintln!("powertrack explain: writing the output: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    }
    if out.flush().is_err() {
        return ExitCode::SUCCESS; // stdout closed: nobody reads any more
    }
    if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// The rules to explain: the file's (or the one `--id` names), or `--value` (with its file id
/// and tag when the file holds it).
fn chosen_rules(args: &Args) -> Result<Vec<Explained>, String> {
    let file = match &args.rules {
        Some(path) => Some(rules_file::load(path, usize::MAX)?),
        None => None,
    };
    let from_file = |r: &rules_file::FileRule| Explained {
        id: r.entry.id,
        tag: r.entry.tag.clone(),
        value: r.entry.value.clone(),
        rule: r.rule.clone(),
    };
    if let Some(value) = &args.value {
        if let Some(r) = file
            .iter()
            .flat_map(|f| &f.rules)
            .find(|r| &r.entry.value == value)
        {
            return Ok(vec![from_file(r)]);
        }
        let rule = Rule::parse(value).map_err(|e| format!("--value: {e}"))?;
        return Ok(vec![Explained {
            id: None,
            tag: None,
            value: value.clone(),
            rule,
        }]);
    }
    let file = file.ok_or("--rules or --value is needed")?;
    match args.id {
        Some(id) => file
            .rules
            .iter()
            .find(|r| r.entry.id == Some(id))
            .map(|r| vec![from_file(r)])
            .ok_or_else(|| format!("no rule has the id {id} in the rules file")),
        None => Ok(file.rules.iter().map(from_file).collect()),
    }
}

fn trim(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The explanation for reading:
///
/// ```text
/// posts.ndjson:1 post 1001 · rule 7 [weather] `snow -rain lang:en`: matches
///   holds                  snow     text "Let it SNOW, let it snow" at 7..11 "SNOW", 20..24 "snow"
///   absent, as required    -rain
///   holds                  lang:en  lang "en"
/// ```
fn text(name: &str, number: u64, post: u64, r: &Explained, why: &Explanation) -> String {
    let mut s = String::new();
    let id =
        r.id.map_or_else(|| "(not in the file)".to_string(), |id| id.to_string());
    let tag = r
        .tag
        .as_deref()
        .map(|t| format!(" [{t}]"))
        .unwrap_or_default();
    let verdict = if why.matched {
        "matches"
    } else {
        "does not match"
    };
    let _ = writeln!(
        s,
        "{name}:{number} post {post} · rule {id}{tag} `{}`: {verdict}",
        r.value
    );
    let width = why
        .clauses
        .iter()
        .map(|c| c.clause.len() + usize::from(c.negated))
        .max()
        .unwrap_or(0);
    for c in &why.clauses {
        let clause = if c.negated {
            format!("-{}", c.clause)
        } else {
            c.clause.clone()
        };
        let status = match (c.negated, c.held) {
            (false, true) => "holds",
            (false, false) => "not found",
            (true, false) => "absent, as required",
            (true, true) => "present, but excluded",
        };
        let _ = write!(s, "  {status:<22} {clause:<width$}");
        // Hits in the same field text are listed together after it.
        let mut last: Option<(&str, &str)> = None;
        for e in &c.evidence {
            if last == Some((e.field, e.text.as_str())) {
                s.push(',');
            } else {
                let sep = if last.is_none() { "  " } else { "; " };
                let _ = write!(s, "{sep}{} {:?}", e.field, e.text);
                if e.span.is_some() {
                    s.push_str(" at");
                }
                last = Some((e.field, e.text.as_str()));
            }
            if let Some(span) = &e.span {
                let hit = e.text.get(span.clone()).unwrap_or_default();
                let _ = write!(s, " {}..{} {hit:?}", span.start, span.end);
            }
        }
        let end = s.trim_end_matches(' ').len();
        s.truncate(end);
        s.push('\n');
    }
    s
}

#[derive(Serialize)]
struct JsonLine<'a> {
    input: &'a str,
    line: u64,
    post_id: String,
    rule: JsonRule<'a>,
    matched: bool,
    clauses: Vec<JsonClause<'a>>,
}

#[derive(Serialize)]
struct JsonRule<'a> {
    id: Option<u64>,
    tag: Option<&'a str>,
    value: &'a str,
}

/// A clause's report, as JSON (shared with `match --explain`).
#[derive(Serialize)]
pub(crate) struct JsonClause<'a> {
    clause: &'a str,
    /// Byte span in the rule's value.
    span: [usize; 2],
    negated: bool,
    held: bool,
    evidence: Vec<JsonEvidence<'a>>,
}

#[derive(Serialize)]
pub(crate) struct JsonEvidence<'a> {
    field: &'a str,
    text: &'a str,
    span: Option<[usize; 2]>,
}

/// Each clause of `why`, as JSON.
pub(crate) fn json_clauses(why: &Explanation) -> Vec<JsonClause<'_>> {
    why.clauses
        .iter()
        .map(|c| JsonClause {
            clause: &c.clause,
            span: [c.span.start, c.span.end],
            negated: c.negated,
            held: c.held,
            evidence: c
                .evidence
                .iter()
                .map(|e| JsonEvidence {
                    field: e.field,
                    text: &e.text,
                    span: e.span.as_ref().map(|s| [s.start, s.end]),
                })
                .collect(),
        })
        .collect()
}

/// One JSON line per post and rule.
fn json(
    out: &mut impl Write,
    name: &str,
    number: u64,
    post: u64,
    r: &Explained,
    why: &Explanation,
) -> io::Result<()> {
    let line = JsonLine {
        input: name,
        line: number,
        post_id: post.to_string(),
        rule: JsonRule {
            id: r.id,
            tag: r.tag.as_deref(),
            value: &r.value,
        },
        matched: why.matched,
        clauses: json_clauses(why),
    };
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}
