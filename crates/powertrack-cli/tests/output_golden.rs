//! Golden outputs, one per format (`tests/data/output/`): the posts of `FORMAT.ndjson` that
//! match `rules.json`, with `matching_rules` spliced in, must equal `FORMAT.expected.ndjson`
//! byte for byte, through the library and through `powertrack match`. The expected files are
//! written by hand. Each input has a post that already carries `matching_rules` in its
//! format's place (replaced in place, never duplicated) and a post that matches nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use powertrack::api::{Body, Limits};
use powertrack::matcher::{Matches, RuleSet, RuleSetBuilder, Scratch};
use powertrack::output::{Layout, splice_matching_rules};

fn data(name: &str) -> PathBuf {
    crate::common::root().join("tests/data/output").join(name)
}

fn rules() -> RuleSet {
    let bytes = std::fs::read(data("rules.json")).unwrap();
    let Body::Rules(entries) = Body::parse(&bytes, &Limits::cli()).unwrap() else {
        panic!("rules.json is a rules body");
    };
    let mut b = RuleSetBuilder::new();
    for e in entries {
        b.add_value(e.id.unwrap(), e.tag.as_deref(), &e.value)
            .unwrap();
    }
    b.build().unwrap()
}

/// Matches every line of `input` through the library and writes the output as the CLI does.
fn library_output(input: &[u8], layout: Layout) -> Vec<u8> {
    let set = rules();
    let mut scratch = Scratch::new();
    let mut matches = Matches::new();
    let mut out = Vec::new();
    for line in input.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let skipped = set.match_line(line, &mut scratch, &mut matches).unwrap();
        assert_eq!(skipped, None, "every fixture line is a post");
        assert_eq!(matches.layout(), layout);
        if !matches.is_empty() {
            splice_matching_rules(line, matches.layout(), matches.rules(&set), &mut out).unwrap();
            out.push(b'\n');
        }
    }
    out
}

fn check(format: &str, layout: Layout) {
    let input = std::fs::read(data(&format!("{format}.ndjson"))).unwrap();
    let expected = std::fs::read(data(&format!("{format}.expected.ndjson"))).unwrap();
    let got = library_output(&input, layout);
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&expected),
        "library output for {format}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_powertrack"))
        .args(["match", "--threads", "2", "--rules"])
        .arg(data("rules.json"))
        .arg(data(&format!("{format}.ndjson")))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&expected),
        "powertrack match output for {format}"
    );
    // Every expected line is JSON with exactly one `matching_rules` (a duplicate key would
    // still parse with serde_json, so count the key's occurrences too).
    for line in expected.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        serde_json::from_slice::<serde_json::Value>(line).unwrap();
        let text = std::str::from_utf8(line).unwrap();
        assert_eq!(text.matches("\"matching_rules\"").count(), 1, "{text}");
    }
}

#[test]
fn native_golden_output() {
    check("native", Layout::Native);
}

#[test]
fn activity_streams_golden_output() {
    check("activity_streams", Layout::ActivityStreams);
}

#[test]
fn v2_golden_output() {
    check("v2", Layout::V2);
}

/// The three formats mixed in one input, with `\r\n` line ends: each line is detected on its
/// own, and the output is the three golden files in turn.
#[test]
fn mixed_formats_in_one_input() {
    let (mut input, mut expected) = (Vec::new(), Vec::new());
    for format in ["v2", "native", "activity_streams"] {
        let lines = std::fs::read(data(&format!("{format}.ndjson"))).unwrap();
        for line in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            input.extend_from_slice(line);
            input.extend_from_slice(b"\r\n");
        }
        expected.extend(std::fs::read(data(&format!("{format}.expected.ndjson"))).unwrap());
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("output_golden");
    std::fs::create_dir_all(&dir).unwrap();
    let mixed = dir.join("mixed.ndjson");
    std::fs::write(&mixed, &input).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_powertrack"))
        .args(["match", "--rules"])
        .arg(data("rules.json"))
        .arg(&mixed)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&expected)
    );
    assert!(
        stderr.contains("summary: lines=10 posts=10 matched=8 skipped=0 malformed=0 "),
        "{stderr}"
    );
}
