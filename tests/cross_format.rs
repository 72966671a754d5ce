//! The same real tweets in native v1.1 and Activity Streams form match the same rules, whatever
//! the rule set reads: `twitterdev-tweet_parser` holds 25 tweets in both renderings and
//! `twitterdev-tweet-updates` holds 22 more. Rules are derived from the tweets' own content
//! (words, phrases, entities, authors, places, counts, URLs), matched from bytes as a stream is,
//! as one set and as sets of one field family each, so that reading only what a set reads
//! cannot make one format's extraction drift from the other's.

use std::collections::BTreeMap;
use std::path::Path;

use powertrack::matcher::{Matches, RuleSet, Scratch};
use powertrack::post::{Line, Parser};
use powertrack::syntax::Rule;

use crate::common::shared_dir;
use crate::differential::{Pool, build, families, rule_set};

/// Every JSON document of a file (NDJSON or one pretty-printed document, or two back to back),
/// each re-serialized on one line.
fn documents(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::Deserializer::from_slice(&bytes)
        .into_iter::<serde_json::Value>()
        .map_while(Result::ok)
        .map(|v| serde_json::to_vec(&v).expect("serializable"))
        .collect()
}

/// The post id of a line, if it is a post.
fn id_of(parser: &mut Parser, line: &[u8]) -> Option<u64> {
    match parser.parse(line) {
        Ok(Line::Post(post)) => Some(post.id()),
        _ => None,
    }
}

/// (native line, Activity Streams line) for every tweet held in both forms.
fn pairs(shared: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let tweets = shared.join("data/tweets");
    let mut native = Vec::new();
    let mut activity = Vec::new();
    let parser_dir = tweets.join("twitterdev-tweet_parser");
    native.extend(documents(&parser_dir.join("original_format_examples.json")));
    activity.extend(documents(
        &parser_dir.join("activity_streams_examples.json"),
    ));
    let updates = tweets.join("twitterdev-tweet-updates");
    for (dir, out) in [
        ("original", &mut native),
        ("activity_streams", &mut activity),
    ] {
        for mode in ["classic_no_hidden", "lt140_hidden", "gt140_hidden_extended"] {
            let mut files: Vec<_> = std::fs::read_dir(updates.join(dir).join(mode))
                .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
                .unwrap_or_default();
            files.sort();
            for f in files {
                out.extend(documents(&f));
            }
        }
    }
    let mut parser = Parser::new();
    let mut by_id: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for line in native {
        if let Some(id) = id_of(&mut parser, &line) {
            by_id.entry(id).or_insert(line);
        }
    }
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for line in activity {
        if let Some(id) = id_of(&mut parser, &line)
            && seen.insert(id)
            && let Some(n) = by_id.get(&id)
        {
            out.push((n.clone(), same_retweet_body(n, &line)));
        }
    }
    out
}

/// The Activity Streams line with a retweet's `body` set to the native `text`. The two
/// renderings cut the `RT @user: …` copy of the retweeted text at different places (`…dolor
/// si…` and `…dolor sit a…`): a difference of the data, not of extraction; what the retweet
/// says is the retweeted part's full text, which both carry whole.
fn same_retweet_body(native: &[u8], activity: &[u8]) -> Vec<u8> {
    let n: serde_json::Value = serde_json::from_slice(native).expect("valid JSON");
    let mut a: serde_json::Value = serde_json::from_slice(activity).expect("valid JSON");
    if n.get("retweeted_status").is_some()
        && let (Some(text), Some(body)) = (n.get("text"), a.get_mut("body"))
    {
        *body = text.clone();
    }
    serde_json::to_vec(&a).expect("serializable")
}

#[test]
fn native_and_activity_streams_renderings_match_the_same_rules() {
    let test = "native_and_activity_streams_renderings_match_the_same_rules";
    let Some(shared) = shared_dir(test) else {
        return;
    };
    let pairs = pairs(&shared);
    assert!(pairs.len() >= 40, "{} tweets in both forms", pairs.len());

    // Rules from the content of both renderings.
    let mut pool = Pool::default();
    let mut parser = Parser::new();
    for (n, a) in &pairs {
        for line in [n, a] {
            if let Ok(Line::Post(post)) = parser.parse(line) {
                pool.harvest(&post);
            }
        }
    }
    let (_, rules) = build(&pool, 3_000, 5);
    let mut groups: BTreeMap<String, Vec<(u64, Rule)>> = BTreeMap::new();
    groups.insert("all".to_owned(), rules.clone());
    for (id, rule) in &rules {
        if let [family] = families(rule).as_slice() {
            groups
                .entry(family.clone())
                .or_default()
                .push((*id, rule.clone()));
        }
    }

    let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
    let mut ids = |set: &RuleSet, line: &[u8]| -> Vec<u64> {
        set.match_line(line, &mut scratch, &mut matches)
            .expect("a valid post");
        matches.ids().collect()
    };
    let mut drift = Vec::new();
    let mut matched: BTreeMap<&str, usize> = BTreeMap::new();
    for (family, group) in &groups {
        let set = rule_set(group);
        for (n, a) in &pairs {
            let (from_native, from_activity) = (ids(&set, n), ids(&set, a));
            *matched.entry(family).or_default() += from_native.len();
            if from_native != from_activity {
                let name = |i: &u64| {
                    rules
                        .iter()
                        .find(|r| r.0 == *i)
                        .map_or_else(String::new, |r| r.1.to_string())
                };
                let only = |x: &[u64], y: &[u64]| -> Vec<String> {
                    x.iter().filter(|i| !y.contains(i)).map(name).collect()
                };
                drift.push(format!(
                    "{family}, tweet {:?}: native only {:?}, activity streams only {:?}",
                    id_of(&mut parser, n),
                    only(&from_native, &from_activity),
                    only(&from_activity, &from_native)
                ));
            }
        }
    }
    assert!(drift.is_empty(), "{drift:#?}");
    eprintln!("matches per family over the native renderings: {matched:?}");
    assert!(matched["all"] > 200, "{matched:?}");
    for family in [
        "keyword", "phrase", "hashtag", "mention", "from", "lang", "url",
    ] {
        assert!(
            matched.get(family).copied().unwrap_or(0) > 0,
            "{family}: {matched:?}"
        );
    }
}
