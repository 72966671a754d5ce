//! Data-driven match / no-match cases (`tests/data/matching.json`), each checked against the
//! compiled rule set and the reference evaluator.

use powertrack::matcher::{Matches, RuleSet, RuleSetBuilder, Scratch};
use powertrack::post::{Line, Parser};
use powertrack::reference;
use powertrack::syntax::Rule;
use serde_json::Value;

struct Case {
    family: String,
    rule: String,
    matching: Vec<String>,
    not_matching: Vec<String>,
}

fn post_line(v: &Value) -> String {
    match v {
        Value::String(text) => serde_json::json!({
            "id_str": "1000",
            "text": text,
            "user": {"id_str": "2", "screen_name": "someone"}
        })
        .to_string(),
        other => other.to_string(),
    }
}

fn cases() -> Vec<Case> {
    let text = include_str!("data/matching.json");
    let doc: Value = serde_json::from_str(text).expect("tests/data/matching.json is JSON");
    doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| Case {
            family: c["family"].as_str().unwrap().to_string(),
            rule: c["rule"].as_str().unwrap().to_string(),
            matching: c["match"]
                .as_array()
                .unwrap()
                .iter()
                .map(post_line)
                .collect(),
            not_matching: c["no_match"]
                .as_array()
                .unwrap()
                .iter()
                .map(post_line)
                .collect(),
        })
        .collect()
}

fn compiled_matches(set: &RuleSet, line: &str) -> Vec<u64> {
    let mut scratch = Scratch::new();
    let mut matches = Matches::new();
    let skipped = set
        .match_line(line.as_bytes(), &mut scratch, &mut matches)
        .expect(line);
    assert_eq!(skipped, None, "{line} is a post");
    matches.ids().collect()
}

fn reference_matches(rule: &Rule, line: &str) -> bool {
    let mut parser = Parser::new();
    match parser.parse(line.as_bytes()).expect(line) {
        Line::Post(post) => reference::matches(rule, &post),
        Line::Skipped(k) => panic!("{line} skipped as {k:?}"),
    }
}

#[test]
fn every_case_matches_as_documented_in_both_engines() {
    let mut failures = Vec::new();
    for case in cases() {
        let rule = Rule::parse(&case.rule).unwrap_or_else(|e| panic!("{}: {e}", case.rule));
        let mut b = RuleSetBuilder::new();
        b.add(1, None, rule.clone());
        let set = b.build().unwrap();
        for (want, posts) in [(true, &case.matching), (false, &case.not_matching)] {
            for line in posts {
                let fast = compiled_matches(&set, line) == [1];
                let slow = reference_matches(&rule, line);
                if fast != want || slow != want {
                    failures.push(format!(
                        "[{}] {} on {line}: expected {want}, compiled {fast}, reference {slow}",
                        case.family, case.rule
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn all_cases_in_one_rule_set_agree_with_the_reference() {
    let cases = cases();
    let mut b = RuleSetBuilder::new();
    let mut rules = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let rule = Rule::parse(&case.rule).unwrap();
        b.add(i as u64 + 1, Some(&case.family), rule.clone());
        rules.push((i as u64 + 1, rule));
    }
    let set = b.build().unwrap();
    let mut parser = Parser::new();
    for case in &cases {
        for line in case.matching.iter().chain(&case.not_matching) {
            let want = match parser.parse(line.as_bytes()).unwrap() {
                Line::Post(post) => {
                    reference::matching_ids(rules.iter().map(|(id, r)| (*id, r)), &post)
                }
                Line::Skipped(_) => unreachable!(),
            };
            assert_eq!(compiled_matches(&set, line), want, "{line}");
        }
    }
}
