//! API v2 posts whose references `includes` does not expand: a retweet whose original is not in
//! `includes.tweets`, and a link to X's own media (a URL entity with a `media_key`) that
//! `attachments.media_keys` does not list. Each shape is pinned with one record of the corpus and
//! minimal hand-made ones, through the view, the compiled rule set and the reference evaluator.
//!
//! The two corpus records, byte for byte, are
//! - `tests/data/post/v2_retweet_not_expanded.json`: line 1033 of the shared corpus file
//!   `twarc-csv-v2/twarc-csv_v2_stream_like.ndjson` (post 1404370558658154499, from
//!   `test-data/withheld.jsonl` of DocNow/twarc-csv @d77da935, MIT);
//! - `tests/data/post/v2_media_link_not_attached.json`: line 296 of the same file (post
//!   1574186270116515841, from `test-data/entities_test.jsonl` of the same repository).

use powertrack::matcher::{Matches, RuleSetBuilder, Scratch};
use powertrack::post::{Kind, Line, Media, MediaKind, Parser, Post};
use powertrack::reference;
use powertrack::syntax::Rule;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/post")
        .join(name);
    let mut bytes = std::fs::read(&path).unwrap();
    while bytes.last().is_some_and(u8::is_ascii_whitespace) {
        bytes.pop();
    }
    bytes
}

fn with_post<R>(line: &[u8], f: impl FnOnce(&Post<'_>) -> R) -> R {
    let mut parser = Parser::new();
    match parser.parse(line) {
        Ok(Line::Post(post)) => f(&post),
        other => panic!("not a post: {other:?}"),
    }
}

/// The rules of `rules` that match `line`, after checking that the compiled rule set and the
/// reference evaluator agree on each.
fn matched<'r>(line: &[u8], rules: &[&'r str]) -> Vec<&'r str> {
    let mut builder = RuleSetBuilder::new();
    for (id, rule) in (0..).zip(rules) {
        builder.add_value(id, None, rule).unwrap();
    }
    let set = builder.build().unwrap();
    let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
    set.match_line(line, &mut scratch, &mut matches).unwrap();
    let compiled: Vec<u64> = matches.ids().collect();
    let parsed: Vec<(u64, Rule)> = (0..)
        .zip(rules)
        .map(|(id, r)| (id, Rule::parse(r).unwrap()))
        .collect();
    let oracle = with_post(line, |post| {
        reference::matching_ids(parsed.iter().map(|(id, r)| (*id, r)), post)
    });
    assert_eq!(
        compiled, oracle,
        "compiled and reference differ on {rules:?}"
    );
    compiled
        .into_iter()
        .map(|id| rules[usize::try_from(id).unwrap()])
        .collect()
}

/// Asserts that exactly the rules of `yes` match, of `yes` and `no`.
fn assert_matches(line: &[u8], yes: &[&str], no: &[&str]) {
    let all: Vec<&str> = yes.iter().chain(no).copied().collect();
    assert_eq!(
        matched(line, &all),
        yes,
        "{}",
        String::from_utf8_lossy(line)
    );
}

// ---- retweets whose original is not expanded ----

#[test]
fn corpus_retweet_without_its_original() {
    let line = fixture("v2_retweet_not_expanded.json");
    with_post(&line, |post| {
        assert_eq!(post.kind(), Kind::Retweet);
        assert!(post.is_retweet());
        assert_eq!(post.retweeted_status_id(), Some(1_404_358_621_979_463_681));
        assert!(post.retweeted().is_none());
        assert!(post.quoted().is_none());
        assert_eq!(post.parts().len(), 1);
        assert_eq!(post.user().screen_name(), Some("CMBoggiano"));
    });
    assert_matches(
        &line,
        &[
            "is:retweet",
            "retweets_of_status_id:1404358621979463681",
            "@WEP_UK is:retweet",
            "\"structural racism\"",
            "from:CMBoggiano",
        ],
        &[
            "racism -is:retweet",
            "retweets_of_status_id:1404358621979463682",
            // The original's author is not in the post: answering needs the expansion.
            "retweets_of:WEP_UK",
            "is:quote",
            "is:reply",
            "has:links",
            "has:media",
        ],
    );
}

/// A minimal v2 post 20 by user 1: the members `data` of `data`, and `includes`.
fn v2_line(data: &str, includes: &str) -> Vec<u8> {
    format!(r#"{{"data":{{"id":"20","author_id":"1",{data}}},"includes":{{{includes}}}}}"#)
        .into_bytes()
}

/// `includes.users` with the author only.
const AUTHOR: &str = r#""users":[{"id":"1","username":"a"}]"#;

const RETWEET: &str =
    r#""text":"RT @b: snow day","referenced_tweets":[{"type":"retweeted","id":"10"}]"#;
const POINT: &str = r#""geo":{"coordinates":{"type":"Point","coordinates":[-105.27,40.01]}}"#;
const ORIGINAL: &str = r#""tweets":[{"id":"10","text":"snow day and more","author_id":"2"}]"#;
const GEO_RULES: [&str; 2] = ["has:geo", "point_radius:[-105.27 40.01 1km]"];

#[test]
fn hand_made_retweet_without_its_original() {
    let line = v2_line(&format!("{RETWEET},{POINT}"), AUTHOR);
    with_post(&line, |post| {
        assert_eq!(post.kind(), Kind::Retweet);
        assert_eq!(post.retweeted_status_id(), Some(10));
        assert!(post.retweeted().is_none());
    });
    let mut no = vec!["-is:retweet snow", "retweets_of:b", "retweets_of:2", "more"];
    // Geo operators never match a retweet, expanded or not.
    no.extend(GEO_RULES);
    assert_matches(
        &line,
        &["is:retweet", "retweets_of_status_id:10", "snow"],
        &no,
    );

    // The same retweet with its original expanded: the original's author and text are known.
    let line = v2_line(
        &format!("{RETWEET},{POINT}"),
        &format!(r#"{ORIGINAL},"users":[{{"id":"1","username":"a"}},{{"id":"2","username":"b"}}]"#),
    );
    with_post(&line, |post| {
        assert_eq!(post.kind(), Kind::Retweet);
        assert_eq!(post.retweeted().map(|p| p.id()), Some(10));
    });
    assert_matches(
        &line,
        &[
            "is:retweet",
            "retweets_of_status_id:10",
            "retweets_of:b",
            "retweets_of:2",
            "more",
        ],
        &GEO_RULES,
    );

    // Not a retweet: the geo operators see the post.
    let line = v2_line(&format!(r#""text":"snow day",{POINT}"#), AUTHOR);
    with_post(&line, |post| assert_eq!(post.kind(), Kind::Original));
    assert_matches(
        &line,
        &GEO_RULES,
        &["is:retweet", "retweets_of_status_id:10"],
    );
}

#[test]
fn hand_made_reply_to_a_user_not_included() {
    let reply = r#""text":"@c hi","in_reply_to_user_id":"3","referenced_tweets":[{"type":"replied_to","id":"9"}]"#;
    // The replied-to user is not in `includes.users`: `to:` by id matches, by name cannot.
    let line = v2_line(reply, AUTHOR);
    with_post(&line, |post| {
        assert_eq!(post.kind(), Kind::Reply);
        assert_eq!(post.root().in_reply_to_user_id(), Some(3));
        assert_eq!(post.root().in_reply_to_screen_name(), None);
    });
    assert_matches(
        &line,
        &["is:reply", "in_reply_to_status_id:9", "to:3"],
        &["to:c", "is:retweet"],
    );
    let line = v2_line(
        reply,
        r#""users":[{"id":"1","username":"a"},{"id":"3","username":"c"}]"#,
    );
    assert_matches(
        &line,
        &["is:reply", "in_reply_to_status_id:9", "to:3", "to:c"],
        &[],
    );
}

// ---- links to X media that `attachments` does not list ----

#[test]
fn corpus_media_link_without_attachments() {
    let line = fixture("v2_media_link_not_attached.json");
    with_post(&line, |post| {
        assert_eq!(post.kind(), Kind::Original);
        let root = post.root();
        // A media link, as in v1.1 (`entities.media`), not a URL entity.
        assert_eq!(root.urls().len(), 0);
        let media: Vec<Media<'_>> = root.media().collect();
        assert_eq!(
            media,
            [Media {
                // `includes.media` does not expand the key.
                kind: MediaKind::Unknown,
                url: Some("https://t.co/rIcFwso6I9"),
                expanded_url: Some(
                    "https://twitter.com/PierluigiFront/status/1574186270116515841/photo/1"
                ),
                display_url: Some("pic.twitter.com/rIcFwso6I9"),
            }]
        );
    });
    assert_matches(
        &line,
        &["has:links", "has:media", "#Salvini", "has:hashtags"],
        // The kind is unknown: neither images nor videos.
        &[
            "has:images",
            "has:videos",
            "-has:media #Salvini",
            "has:mentions",
        ],
    );
}

fn media_link(key: &str) -> String {
    format!(
        r#"{{"url":"https://t.co/{key}","expanded_url":"https://x.com/a/status/20/photo/1","display_url":"pic.x.com/{key}","media_key":"{key}"}}"#
    )
}

fn kinds(line: &[u8]) -> Vec<(MediaKind, Option<String>)> {
    with_post(line, |post| {
        post.root()
            .media()
            .map(|m| (m.kind, m.url.map(str::to_string)))
            .collect()
    })
}

/// The `t.co` link of `media_link(key)`.
fn t_co(key: &str) -> String {
    format!("https://t.co/{key}")
}

#[test]
fn hand_made_media_links() {
    let text = r#""text":"look https://t.co/k""#;
    let video = &format!(r#"{AUTHOR},"media":[{{"media_key":"7_2","type":"video"}}]"#);

    // The key is not expanded: X media of unknown kind.
    let line = v2_line(
        &format!(r#"{text},"entities":{{"urls":[{}]}}"#, media_link("3_1")),
        AUTHOR,
    );
    assert_eq!(kinds(&line), [(MediaKind::Unknown, Some(t_co("3_1")))]);
    assert_matches(
        &line,
        &["has:links", "has:media"],
        &[
            "has:images",
            "has:videos",
            "url:\"pic.x.com\"",
            "url_contains:photo",
        ],
    );

    // Expanded in `includes.media`: its kind is known.
    let line = v2_line(
        &format!(r#"{text},"entities":{{"urls":[{}]}}"#, media_link("7_2")),
        video,
    );
    assert_eq!(kinds(&line), [(MediaKind::Video, Some(t_co("7_2")))]);
    assert_matches(
        &line,
        &["has:links", "has:media", "has:videos"],
        &["has:images"],
    );

    // Listed in `attachments` too, or linked twice: one item.
    let line = v2_line(
        &format!(
            r#"{text},"attachments":{{"media_keys":["7_2"]}},"entities":{{"urls":[{},{}]}}"#,
            media_link("7_2"),
            media_link("7_2")
        ),
        video,
    );
    assert_eq!(kinds(&line), [(MediaKind::Video, Some(t_co("7_2")))]);

    // `attachments` first, then the links it does not list, in order.
    let line = v2_line(
        &format!(
            r#"{text},"attachments":{{"media_keys":["3_9"]}},"entities":{{"urls":[{},{}]}}"#,
            media_link("3_1"),
            media_link("7_2")
        ),
        video,
    );
    assert_eq!(
        kinds(&line),
        [
            (MediaKind::Unknown, None),
            (MediaKind::Unknown, Some(t_co("3_1"))),
            (MediaKind::Video, Some(t_co("7_2"))),
        ]
    );

    // A `media_key` that is not a string does not name media: a plain link.
    let line = v2_line(
        &format!(
            r#"{text},"entities":{{"urls":[{{"url":"https://t.co/k","expanded_url":"https://example.com/look","media_key":7}}]}}"#
        ),
        AUTHOR,
    );
    assert_eq!(kinds(&line), []);
    assert_matches(&line, &["has:links", "url:example"], &["has:media"]);
}
