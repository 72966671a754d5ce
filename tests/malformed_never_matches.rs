//! A line that is not valid JSON never produces a match, whichever fields the rule set reads:
//! the committed fuzz seeds of `ingest`, `match_vs_reference` and `output` (real posts of every
//! format and their mutations), each line broken in many ways (cut short, a structural byte
//! dropped or doubled, a stray byte inserted), matched by sets that read nothing (`sample:100`
//! matches every post), only the author, only text, and everything. `serde_json` is the judge of
//! validity; a broken line must be reported as malformed and leave the matches empty.

use std::path::Path;

use powertrack::matcher::{Matches, RuleSet, RuleSetBuilder, Scratch};
use powertrack::syntax::Rule;
use powertrack_gen::rules::RuleSetGenerator;

/// Every line of every committed seed of the three targets.
fn seed_lines() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let mut lines = Vec::new();
    for target in ["ingest", "match_vs_reference", "output"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(target))
            .unwrap_or_else(|e| panic!("fuzz/seeds/{target}: {e}"))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).expect("readable seed");
            lines.extend(
                bytes
                    .split(|&b| b == b'\n')
                    .filter(|l| l.len() > 2)
                    .map(<[u8]>::to_vec),
            );
        }
    }
    lines
}

/// Broken copies of `line`: cut at 24 places, and at 24 structural bytes (`{}[]:,"`) the byte
/// dropped, doubled, or replaced by a stray one.
fn broken(line: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let n = line.len();
    for k in 1..=24 {
        out.push(line[..n * k / 25].to_vec());
    }
    let structural: Vec<usize> = (0..n).filter(|&i| b"{}[]:,\"".contains(&line[i])).collect();
    let step = (structural.len() / 24).max(1);
    for (j, &i) in structural.iter().step_by(step).enumerate() {
        let mut v = line.to_vec();
        match j % 3 {
            0 => {
                v.remove(i);
            }
            1 => v.insert(i, line[i]),
            _ => v[i] = b"}]:,x"[j % 5],
        }
        out.push(v);
    }
    out
}

fn set_of(values: &[String]) -> RuleSet {
    let mut b = RuleSetBuilder::new();
    for (i, v) in values.iter().enumerate() {
        b.add(i as u64 + 1, None, Rule::parse(v).expect("a valid rule"));
    }
    b.build().expect("valid rules")
}

#[test]
fn a_line_that_is_not_json_never_matches() {
    let lines = seed_lines();
    assert!(lines.len() >= 100, "{} seed lines", lines.len());
    let generated: Vec<String> = RuleSetGenerator::new(2)
        .count(500)
        .map(|r| r.value)
        .collect();
    // Each set but the last matches every valid post: a broken line that matched would show.
    let one = |v: &str| set_of(&[v.to_owned()]);
    let sets = [
        ("reads nothing", one("sample:100")),
        ("reads the author", one("sample:100 -from:zzqx")),
        ("reads text", one("sample:100 -zzqx")),
        ("reads the bio", one("sample:100 -bio:zzqx")),
        ("reads URLs", one("sample:100 -url_contains:zzqx")),
        ("reads everything", set_of(&generated)),
    ];
    let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
    let (mut checked, mut failures) = (0usize, Vec::new());
    for line in &lines {
        for bad in broken(line) {
            let blank = bad.iter().all(u8::is_ascii_whitespace); // a keep-alive line
            if blank || serde_json::from_slice::<serde::de::IgnoredAny>(&bad).is_ok() {
                continue; // still valid JSON (a cut at a value's end, a doubled space…)
            }
            checked += 1;
            for (name, set) in &sets {
                let result = set.match_line(&bad, &mut scratch, &mut matches);
                if result.is_ok() || !matches.is_empty() {
                    failures.push(format!(
                        "{name}: {result:?}, {} matches: {}",
                        matches.len(),
                        String::from_utf8_lossy(&bad[..bad.len().min(300)])
                    ));
                }
            }
        }
    }
    eprintln!("{checked} broken lines of {} seed lines", lines.len());
    assert!(checked > 3_000, "only {checked} broken lines");
    assert!(
        failures.is_empty(),
        "{} of {checked}: {failures:#?}",
        failures.len()
    );
}
