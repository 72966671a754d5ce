//! The flag and reference operators of every corpus post, from a plain reading of its JSON.
//!
//! `is:retweet`, `is:quote`, `is:reply`, `has:links`, `has:media`, `has:mentions`,
//! `has:hashtags`, `retweets_of_status_id:` and `in_reply_to_status_id:` are worked out below
//! from `serde_json::Value`s, written apart from the post parser, the compiler and the
//! reference evaluator, and must agree with the rules the compiled rule set
//! (`RuleSet::match_line`) and the reference evaluator match, on every API v2, v1.1 native and
//! Activity Streams post of the corpus: one rule per flag operator, and one per distinct status
//! id for the two id operators.
//!
//! What the operators see, as the rule language defines it: the flags and entity operators
//! look at the post, the retweeted original and the quoted post; `has:links` counts media links
//! too; the two id operators read the post itself. A post's kind (retweet, quote, reply) and
//! the ids it refers to are its own: a v2 retweet is a retweet whether or not
//! `includes.tweets` expands the original, and a v2 URL entity with a `media_key` is a link to
//! X's own media whether or not `attachments` lists it.

use std::collections::{BTreeMap, BTreeSet};

use powertrack::matcher::{Matches, RuleSetBuilder, Scratch};
use powertrack::post::{Line, Parser};
use powertrack::reference;
use powertrack::syntax::Rule;
use serde_json::Value;

use crate::common::corpus_file;

/// The operators without an argument, in rule-id order.
const FLAGS: [&str; 7] = [
    "is:retweet",
    "is:quote",
    "is:reply",
    "has:links",
    "has:media",
    "has:mentions",
    "has:hashtags",
];

/// What a plain reading of one post says.
#[derive(Debug, Default, PartialEq, Eq)]
struct Plain {
    retweet: bool,
    quote: bool,
    reply: bool,
    links: bool,
    media: bool,
    mentions: bool,
    hashtags: bool,
    retweet_of: Option<u64>,
    in_reply_to: Option<u64>,
}

impl Plain {
    /// The rule values this reading says match.
    fn rules(&self) -> BTreeSet<String> {
        let flags = [
            self.retweet,
            self.quote,
            self.reply,
            self.links,
            self.media,
            self.mentions,
            self.hashtags,
        ];
        let mut out: BTreeSet<String> = FLAGS
            .iter()
            .zip(flags)
            .filter(|(_, on)| *on)
            .map(|(name, _)| (*name).to_string())
            .collect();
        out.extend(
            self.retweet_of
                .map(|id| format!("retweets_of_status_id:{id}")),
        );
        out.extend(
            self.in_reply_to
                .map(|id| format!("in_reply_to_status_id:{id}")),
        );
        out
    }
}

/// An id given as a decimal string or an exact integer.
fn id(v: &Value) -> Option<u64> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_u64())
}

fn non_empty(v: &Value) -> bool {
    v.as_array().is_some_and(|a| !a.is_empty())
}

fn object(v: &Value) -> Option<&Value> {
    v.is_object().then_some(v)
}

/// The entity operators over some parts: each part is (text entities, media entities).
fn entity_flags(p: &mut Plain, parts: &[(&Value, bool)], mentions_key: &str) {
    for (ents, media) in parts {
        p.links |= non_empty(&ents["urls"]) || *media;
        p.media |= *media;
        p.mentions |= non_empty(&ents[mentions_key]);
        p.hashtags |= non_empty(&ents["hashtags"]);
    }
}

// ---- v1.1 native ----

/// A status's entities: those of `extended_tweet` (compatibility mode) when present.
fn native_entities(t: &Value) -> &Value {
    object(&t["extended_tweet"]["entities"]).unwrap_or(&t["entities"])
}

/// Whether a status carries media: `extended_entities` when present, else `entities`.
fn native_media(t: &Value) -> bool {
    let from = [
        &t["extended_tweet"]["extended_entities"],
        &t["extended_entities"],
        native_entities(t),
    ]
    .into_iter()
    .find(|e| e.is_object());
    from.is_some_and(|e| non_empty(&e["media"]))
}

fn native_reply(t: &Value) -> Option<u64> {
    id(&t["in_reply_to_status_id_str"]).or_else(|| id(&t["in_reply_to_status_id"]))
}

fn native(t: &Value) -> Plain {
    let rt = object(&t["retweeted_status"]);
    let quoted =
        object(&t["quoted_status"]).or_else(|| rt.and_then(|r| object(&r["quoted_status"])));
    let seen: Vec<&Value> = [Some(t), rt, quoted].into_iter().flatten().collect();
    let mut p = Plain {
        retweet: rt.is_some(),
        retweet_of: rt.and_then(|r| id(&r["id_str"]).or_else(|| id(&r["id"]))),
        quote: quoted.is_some()
            || t["is_quote_status"] == Value::Bool(true)
            || rt.is_some_and(|r| r["is_quote_status"] == Value::Bool(true)),
        reply: seen.iter().any(|s| native_reply(s).is_some()),
        in_reply_to: native_reply(t),
        ..Plain::default()
    };
    let parts: Vec<(&Value, bool)> = seen
        .iter()
        .map(|s| (native_entities(s), native_media(s)))
        .collect();
    entity_flags(&mut p, &parts, "user_mentions");
    p
}

// ---- Activity Streams ----

/// The number after the last `c` of a string (`tag:search.twitter.com,2005:N`,
/// `http://twitter.com/user/statuses/N`).
fn after_last(v: &Value, c: char) -> Option<u64> {
    v.as_str()?.rsplit(c).next()?.parse().ok()
}

fn activity_entities(a: &Value) -> &Value {
    object(&a["long_object"]["twitter_entities"]).unwrap_or(&a["twitter_entities"])
}

fn activity_media(a: &Value) -> bool {
    let from = [
        &a["long_object"]["twitter_extended_entities"],
        &a["twitter_extended_entities"],
        activity_entities(a),
    ]
    .into_iter()
    .find(|e| e.is_object());
    from.is_some_and(|e| non_empty(&e["media"]))
}

fn activity_reply(a: &Value) -> Option<u64> {
    after_last(&a["inReplyTo"]["link"], '/')
}

fn activity(a: &Value) -> Plain {
    let rt = (a["verb"] == "share")
        .then(|| object(&a["object"]))
        .flatten();
    let quoted = object(&a["twitter_quoted_status"])
        .or_else(|| rt.and_then(|r| object(&r["twitter_quoted_status"])));
    let seen: Vec<&Value> = [Some(a), rt, quoted].into_iter().flatten().collect();
    let mut p = Plain {
        retweet: rt.is_some(),
        retweet_of: rt.and_then(|r| after_last(&r["id"], ':')),
        quote: quoted.is_some(),
        reply: seen.iter().any(|s| activity_reply(s).is_some()),
        in_reply_to: activity_reply(a),
        ..Plain::default()
    };
    let parts: Vec<(&Value, bool)> = seen
        .iter()
        .map(|s| (activity_entities(s), activity_media(s)))
        .collect();
    entity_flags(&mut p, &parts, "user_mentions");
    p
}

// ---- API v2 ----

/// The id of `t`'s first `referenced_tweets` entry of type `kind`.
fn referenced(t: &Value, kind: &str) -> Option<u64> {
    t["referenced_tweets"]
        .as_array()?
        .iter()
        .find(|r| r["type"] == kind)
        .and_then(|r| id(&r["id"]))
}

/// The tweet `tid` of `includes.tweets`, when X expanded it.
fn expanded(inc: &Value, tid: Option<u64>) -> Option<&Value> {
    let tid = tid?;
    inc["tweets"]
        .as_array()?
        .iter()
        .find(|t| id(&t["id"]) == Some(tid))
}

/// A v2 tweet's entities: those of `note_tweet` for a long post.
fn v2_entities(t: &Value) -> &Value {
    object(&t["note_tweet"]["entities"]).unwrap_or(&t["entities"])
}

/// Whether a v2 tweet carries X media: a key in `attachments.media_keys`, or a URL entity with
/// a `media_key` (a link to X's own media).
fn v2_media(t: &Value) -> bool {
    let attached = t["attachments"]["media_keys"]
        .as_array()
        .is_some_and(|keys| keys.iter().any(Value::is_string));
    let linked = v2_entities(t)["urls"]
        .as_array()
        .is_some_and(|urls| urls.iter().any(|u| u["media_key"].is_string()));
    attached || linked
}

fn v2(v: &Value) -> Plain {
    let (d, inc) = (&v["data"], &v["includes"]);
    let retweet_of = referenced(d, "retweeted");
    let rt = expanded(inc, retweet_of);
    let quoted = expanded(
        inc,
        referenced(d, "quoted").or_else(|| rt.and_then(|r| referenced(r, "quoted"))),
    );
    let seen: Vec<&Value> = [Some(d), rt, quoted].into_iter().flatten().collect();
    let mut p = Plain {
        retweet: retweet_of.is_some(),
        retweet_of,
        quote: referenced(d, "quoted").is_some()
            || rt.is_some_and(|r| referenced(r, "quoted").is_some()),
        reply: seen.iter().any(|s| referenced(s, "replied_to").is_some()),
        in_reply_to: referenced(d, "replied_to"),
        ..Plain::default()
    };
    let parts: Vec<(&Value, bool)> = seen.iter().map(|s| (v2_entities(s), v2_media(s))).collect();
    entity_flags(&mut p, &parts, "mentions");
    p
}

// ---- the test ----

/// The posts of the corpus files of one format, as (line, plain reading), or `None` when the
/// corpus is absent.
fn read(test: &str, files: &[&str], plain: fn(&Value) -> Plain) -> Option<Vec<(Vec<u8>, Plain)>> {
    let mut out = Vec::new();
    for rel in files {
        let bytes = std::fs::read(corpus_file(test, rel)?).unwrap();
        for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let v: Value = serde_json::from_slice(line).unwrap();
            out.push((line.to_vec(), plain(&v)));
        }
    }
    Some(out)
}

/// Runs the flag rules and one rule per id seen over `posts` through the compiled rule set and
/// the reference evaluator; both must match exactly what the plain reading says.
fn agree(posts: &[(Vec<u8>, Plain)]) {
    let mut values: Vec<String> = FLAGS.iter().map(|f| (*f).to_string()).collect();
    let ids: BTreeSet<String> = posts
        .iter()
        .flat_map(|(_, p)| p.rules())
        .filter(|r| r.contains("_status_id:"))
        .collect();
    values.extend(ids);
    let mut builder = RuleSetBuilder::new();
    let mut rules = Vec::new();
    for (id, value) in (1..).zip(&values) {
        builder.add_value(id, None, value).unwrap();
        rules.push((id, Rule::parse(value).unwrap()));
    }
    let set = builder.build().unwrap();
    let book = reference::RuleBook::new(rules);
    let by_id: BTreeMap<u64, &str> = (1..).zip(values.iter().map(String::as_str)).collect();
    let names = |ids: &mut dyn Iterator<Item = u64>| -> BTreeSet<String> {
        ids.map(|i| by_id[&i].to_string()).collect()
    };

    let (mut scratch, mut matches, mut parser) = (Scratch::new(), Matches::new(), Parser::new());
    let mut disagreements = Vec::new();
    for (line, plain) in posts {
        let want = plain.rules();
        assert_eq!(
            set.match_line(line, &mut scratch, &mut matches).ok(),
            Some(None),
            "not a post"
        );
        let compiled = names(&mut matches.ids());
        let Ok(Line::Post(post)) = parser.parse(line) else {
            panic!("not a post");
        };
        let oracle = names(&mut book.matching_ids(&post).into_iter());
        if compiled != want || oracle != want {
            disagreements.push(format!(
                "post {}: plain {want:?}, compiled {compiled:?}, reference {oracle:?}",
                post.id()
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} posts disagree:\n{}",
        disagreements.len(),
        posts.len(),
        disagreements[..disagreements.len().min(20)].join("\n")
    );
}

fn count(posts: &[(Vec<u8>, Plain)], f: impl Fn(&Plain) -> bool) -> usize {
    posts.iter().filter(|(_, p)| f(p)).count()
}

#[test]
fn v2_flags_agree_with_a_plain_reading() {
    let Some(posts) = read(
        "v2_flags_agree_with_a_plain_reading",
        &["twarc-csv-v2/twarc-csv_v2_stream_like.ndjson"],
        v2,
    ) else {
        return;
    };
    assert_eq!(posts.len(), 1109);
    // Both cases of matching-semantics S38 occur: 38 of the 633 retweets lack their original
    // in `includes.tweets`, and 17 posts link X media that `attachments` does not list.
    assert_eq!(count(&posts, |p| p.retweet), 633);
    let unexpanded = posts
        .iter()
        .filter(|(line, p)| {
            let v: Value = serde_json::from_slice(line).unwrap();
            p.retweet && expanded(&v["includes"], p.retweet_of).is_none()
        })
        .count();
    assert_eq!(unexpanded, 38);
    let unattached = posts
        .iter()
        .filter(|(line, _)| {
            let v: Value = serde_json::from_slice(line).unwrap();
            let d = &v["data"];
            v2_media(d) && !non_empty(&d["attachments"]["media_keys"])
        })
        .count();
    assert_eq!(unattached, 17);
    agree(&posts);
}

#[test]
fn native_flags_agree_with_a_plain_reading() {
    let Some(posts) = read(
        "native_flags_agree_with_a_plain_reading",
        &[
            "combined/all_v11_native.ndjson",
            "twitterdev-tweet_parser/original_format_examples.json",
        ],
        native,
    ) else {
        return;
    };
    assert_eq!(posts.len(), 3008 + 25);
    assert!(count(&posts, |p| p.retweet) > 700);
    assert!(count(&posts, |p| p.media) > 700);
    agree(&posts);
}

#[test]
fn activity_streams_flags_agree_with_a_plain_reading() {
    let Some(posts) = read(
        "activity_streams_flags_agree_with_a_plain_reading",
        &["twitterdev-tweet_parser/activity_streams_examples.json"],
        activity,
    ) else {
        return;
    };
    assert_eq!(posts.len(), 25);
    for flag in [
        |p: &Plain| p.retweet,
        |p: &Plain| p.quote,
        |p: &Plain| p.reply,
        |p: &Plain| p.media,
    ] {
        assert!(count(&posts, flag) > 0);
    }
    agree(&posts);
}
