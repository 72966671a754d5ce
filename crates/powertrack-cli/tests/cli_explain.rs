//! `powertrack explain`: its text for documented examples, pinned; its JSON agreeing with
//! `match` on every (post, rule) pair of a generated 1,000-rule set; how it picks rules.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_powertrack");

fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_explain")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn powertrack(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

const POST: &str = r#"{"id_str":"1001","text":"Let it SNOW, let it snow! #ski","lang":"en","user":{"id_str":"2","screen_name":"alpine"},"entities":{"hashtags":[{"text":"ski","indices":[26,30]}],"user_mentions":[],"urls":[]}}"#;

const RULES: &str = r#"{"rules":[
  {"value":"snow -rain lang:en","tag":"weather","id":7},
  {"value":"(#ski OR \"snow day\") -is:retweet","id":8},
  {"value":"rain OR from:bob","id":9}
]}"#;

#[test]
fn the_documented_examples_read_as_pinned() {
    let dir = scratch_dir("pinned");
    let posts = dir.join("posts.ndjson");
    std::fs::write(&posts, format!("{POST}\n")).unwrap();
    let rules = dir.join("rules.json");
    std::fs::write(&rules, RULES).unwrap();
    let out = stdout(&powertrack(&[
        "explain",
        "--rules",
        rules.to_str().unwrap(),
        posts.to_str().unwrap(),
    ]));
    let p = posts.display();
    assert_eq!(
        out,
        format!(
            "{p}:1 post 1001 · rule 7 [weather] `snow -rain lang:en`: matches\n\
             \x20 holds                  snow     text \"Let it SNOW, let it snow! #ski\" at 7..11 \"SNOW\", 20..24 \"snow\"\n\
             \x20 absent, as required    -rain\n\
             \x20 holds                  lang:en  lang \"en\"\n\
             {p}:1 post 1001 · rule 8 `(#ski OR \"snow day\") -is:retweet`: matches\n\
             \x20 holds                  #ski         hashtag \"ski\"\n\
             \x20 not found              \"snow day\"\n\
             \x20 absent, as required    -is:retweet\n\
             {p}:1 post 1001 · rule 9 `rain OR from:bob`: does not match\n\
             \x20 not found              rain\n\
             \x20 not found              from:bob\n"
        )
    );
    // One rule, by id, as JSON.
    let json = stdout(&powertrack(&[
        "explain",
        "--rules",
        rules.to_str().unwrap(),
        "--id",
        "9",
        "--format",
        "json",
        posts.to_str().unwrap(),
    ]));
    assert_eq!(
        json,
        format!(
            "{{\"input\":\"{p}\",\"line\":1,\"post_id\":\"1001\",\"rule\":{{\"id\":9,\"tag\":null,\"value\":\"rain OR from:bob\"}},\"matched\":false,\"clauses\":[\
             {{\"clause\":\"rain\",\"span\":[0,4],\"negated\":false,\"held\":false,\"evidence\":[]}},\
             {{\"clause\":\"from:bob\",\"span\":[8,16],\"negated\":false,\"held\":false,\"evidence\":[]}}]}}\n"
        )
    );
}

#[test]
fn rules_are_picked_by_id_or_value_and_bad_picks_exit_2() {
    let dir = scratch_dir("picks");
    let posts = dir.join("posts.ndjson");
    std::fs::write(&posts, format!("{POST}\n")).unwrap();
    let rules = dir.join("rules.json");
    std::fs::write(&rules, RULES).unwrap();
    let (r, p) = (rules.to_str().unwrap(), posts.to_str().unwrap());
    // A value of the file keeps its id and tag; any other value is explained on its own.
    let known = stdout(&powertrack(&[
        "explain",
        "--rules",
        r,
        "--value",
        "snow -rain lang:en",
        p,
    ]));
    assert!(known.contains("rule 7 [weather]"), "{known}");
    let adhoc = stdout(&powertrack(&["explain", "--value", "from:alpine #ski", p]));
    assert!(
        adhoc.starts_with(&format!(
            "{p}:1 post 1001 · rule (not in the file) `from:alpine #ski`: matches\n"
        )),
        "{adhoc}"
    );
    let out = powertrack(&["explain", "--rules", r, "--id", "12", p]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "powertrack explain: no rule has the id 12 in the rules file\n"
    );
    let out = powertrack(&["explain", "--value", "snow (", p]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("powertrack explain: --value: "));
}

/// The matched pairs of `explain --format json` equal the `matching_rules` of `match`, for a
/// generated 1,000-rule set over 20 posts of the real corpus (the bundled sample without it):
/// 15 matched by some rule (as many as the sample has), 5 by none.
#[test]
fn explain_agrees_with_match_on_every_pair() {
    let dir = scratch_dir("agrees");
    let source = crate::common::corpus_file(
        "explain_agrees_with_match_on_every_pair (corpus part; the bundled sample is used)",
        "combined/all_v11_native.ndjson",
    )
    .unwrap_or_else(|| crate::common::root().join("examples/firehose.ndjson"));
    let rules = dir.join("rules.json");
    let generated = stdout(&powertrack(&[
        "gen", "rules", "--count", "1000", "--seed", "11",
    ]));
    std::fs::write(&rules, generated).unwrap();
    // 15 posts the rules match and 5 they do not, spread over the file.
    let matched_ids: BTreeSet<String> = stdout(&powertrack(&[
        "match",
        "--rules",
        rules.to_str().unwrap(),
        source.to_str().unwrap(),
    ]))
    .lines()
    .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id_str"].to_string())
    .collect();
    let text = std::fs::read_to_string(&source).unwrap();
    let posts_of = |hit: bool| -> Vec<&str> {
        let all: Vec<&str> = text
            .lines()
            .filter(|l| {
                serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| {
                    v.get("id_str").is_some()
                        && matched_ids.contains(&v["id_str"].to_string()) == hit
                })
            })
            .collect();
        let step = (all.len() / 15).max(1);
        all.into_iter().step_by(step).collect()
    };
    let mut picked: Vec<&str> = posts_of(true).into_iter().take(15).collect();
    let hits = picked.len();
    picked.extend(posts_of(false).into_iter().take(5));
    assert!(
        hits >= 5 && picked.len() >= hits + 5,
        "{hits} posts matched"
    );
    let posts = dir.join("posts.ndjson");
    std::fs::write(&posts, picked.join("\n") + "\n").unwrap();
    let (r, p) = (rules.to_str().unwrap(), posts.to_str().unwrap());

    let mut by_match = BTreeSet::new();
    for line in stdout(&powertrack(&["match", "--rules", r, p])).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let post = v["id_str"].as_str().unwrap().to_string();
        for m in v["matching_rules"].as_array().unwrap() {
            by_match.insert((post.clone(), m["id"].as_u64().unwrap()));
        }
    }
    let mut by_explain = BTreeSet::new();
    let mut pairs = 0;
    for line in stdout(&powertrack(&[
        "explain", "--rules", r, "--format", "json", p,
    ]))
    .lines()
    {
        pairs += 1;
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["matched"] == true {
            by_explain.insert((
                v["post_id"].as_str().unwrap().to_string(),
                v["rule"]["id"].as_u64().unwrap(),
            ));
        }
    }
    assert_eq!(pairs, picked.len() * 1000, "every pair explained");
    assert!(by_match.len() >= hits, "the rules match the chosen posts");
    assert_eq!(by_explain, by_match);
}

/// `match --explain`: each written post carries `powertrack_explain`, one matched explanation
/// per rule of its `matching_rules`; without the key the line is byte for byte what `match`
/// writes without the flag.
#[test]
fn match_explain_adds_a_key_and_changes_nothing_else() {
    let root = crate::common::root();
    let rules = root.join("examples/rules.json");
    let sample = root.join("examples/firehose.ndjson");
    let (r, p) = (rules.to_str().unwrap(), sample.to_str().unwrap());
    let plain = stdout(&powertrack(&["match", "--rules", r, p]));
    let explained = stdout(&powertrack(&["match", "--rules", r, "--explain", p]));
    let (plain, explained): (Vec<&str>, Vec<&str>) =
        (plain.lines().collect(), explained.lines().collect());
    assert!(plain.len() > 10, "the sample rules match the sample");
    assert_eq!(plain.len(), explained.len());
    for (want, got) in plain.iter().zip(&explained) {
        let at = got
            .rfind(",\"powertrack_explain\":")
            .expect("the key is there");
        assert_eq!(format!("{}}}", &got[..at]), *want);
        let v: serde_json::Value = serde_json::from_str(got).unwrap();
        // Native and v2 posts carry the list at the root, Activity Streams under `gnip`; v2
        // ids are strings.
        let list = v
            .get("matching_rules")
            .or_else(|| v.get("gnip").and_then(|g| g.get("matching_rules")))
            .and_then(serde_json::Value::as_array)
            .unwrap();
        let ids: Vec<u64> = list
            .iter()
            .map(|m| match &m["id"] {
                serde_json::Value::String(s) => s.parse().unwrap(),
                n => n.as_u64().unwrap(),
            })
            .collect();
        let list = v["powertrack_explain"].as_array().unwrap();
        let explained_ids: Vec<u64> = list.iter().map(|e| e["id"].as_u64().unwrap()).collect();
        assert_eq!(explained_ids, ids);
        for e in list {
            assert_eq!(e["matched"], true, "{e}");
            assert!(!e["clauses"].as_array().unwrap().is_empty());
        }
    }
}
