//! "Read only what the rules read" cannot skip a needed field: for each field family, two posts
//! that differ in that field alone, and a rule reading it, matched by rule sets that read that
//! field and nothing else, and by sets that read it among many others. The compiled set must
//! match the one post and not the other (bytes in, as a stream is matched), and the reference
//! evaluator must agree.

use powertrack::matcher::{Matches, RuleSet, Scratch};
use powertrack::post::{Line, Parser};
use powertrack::reference::RuleBook;
use powertrack::syntax::Rule;
use serde_json::{Value, json};

use crate::differential::rule_set;

/// A v1.1 post with every field family present but matching none of the cases below.
fn base() -> Value {
    json!({
        "created_at": "Mon Dec 07 10:00:00 +0000 2026",
        "id": 1_866_000_000_000_000_000_u64,
        "id_str": "1866000000000000000",
        "text": "plain words about nothing",
        "source": "<a href=\"https://example.com\" rel=\"nofollow\">Plain Client</a>",
        "in_reply_to_status_id_str": null,
        "in_reply_to_screen_name": null,
        "user": {
            "id": 12, "id_str": "12", "screen_name": "plainuser", "name": "Plain User",
            "description": "nothing much", "location": "Nowhere", "verified": false,
            "followers_count": 50, "friends_count": 50, "statuses_count": 50, "listed_count": 5,
            "derived": {"locations": [{"country_code": "FR", "locality": "Lyon",
                                       "region": "Auvergne-Rhone-Alpes"}]}
        },
        "geo": null,
        "coordinates": null,
        "place": {
            "full_name": "Lyon, France", "name": "Lyon", "country_code": "FR",
            "bounding_box": {"type": "Polygon", "coordinates": [[[4.77, 45.70], [4.90, 45.70],
                                                                 [4.90, 45.81], [4.77, 45.81]]]}
        },
        "entities": {
            "hashtags": [{"text": "plain", "indices": [0, 6]}],
            "symbols": [{"text": "PLN", "indices": [0, 4]}],
            "user_mentions": [{"screen_name": "someone", "id_str": "7", "id": 7,
                               "indices": [0, 8]}],
            "urls": [{"url": "https://t.co/abc", "expanded_url": "https://plain.example/page",
                      "display_url": "plain.example/page", "indices": [0, 16],
                      "unwound": {"url": "https://plain.example/page", "title": "Plain page",
                                  "description": "A plain page"}}]
        },
        "lang": "fr"
    })
}

/// One field family: a rule reading it, and the JSON pointer and values that make the field
/// match the rule or not (everything else is the base post).
struct Case {
    family: &'static str,
    rule: &'static str,
    pointer: &'static str,
    yes: Value,
    no: Value,
}

#[allow(clippy::too_many_lines)]
fn cases() -> Vec<Case> {
    let case = |family, rule, pointer, yes, no| Case {
        family,
        rule,
        pointer,
        yes,
        no,
    };
    let url = |expanded: &str, title: &str, description: &str| {
        json!([{"url": "https://t.co/abc", "expanded_url": expanded, "display_url": "x",
                "indices": [0, 16],
                "unwound": {"url": expanded, "title": title, "description": description}}])
    };
    vec![
        case(
            "keyword",
            "zebra",
            "/text",
            json!("a zebra here"),
            json!("a horse here"),
        ),
        case(
            "phrase",
            "\"blue zebra\"",
            "/text",
            json!("a blue zebra"),
            json!("a zebra blue"),
        ),
        case(
            "proximity",
            "\"blue zebra\"~3",
            "/text",
            json!("blue big zebra"),
            json!("blue one two three four zebra"),
        ),
        case("emoji", "🦓", "/text", json!("look 🦓"), json!("look 🐴")),
        case(
            "contains",
            "contains:ebrafi",
            "/text",
            json!("zebrafish"),
            json!("zebra fish"),
        ),
        case(
            "hashtag",
            "#zebra",
            "/entities/hashtags",
            json!([{"text": "Zebra", "indices": [0, 6]}]),
            json!([{"text": "horse", "indices": [0, 6]}]),
        ),
        case(
            "cashtag",
            "$ZBR",
            "/entities/symbols",
            json!([{"text": "ZBR", "indices": [0, 4]}]),
            json!([{"text": "HRS", "indices": [0, 4]}]),
        ),
        case(
            "mention",
            "@zebra",
            "/entities/user_mentions",
            json!([{"screen_name": "Zebra", "id_str": "9", "id": 9, "indices": [0, 6]}]),
            json!([{"screen_name": "horse", "id_str": "9", "id": 9, "indices": [0, 6]}]),
        ),
        case(
            "has:mentions",
            "has:mentions",
            "/entities/user_mentions",
            json!([{"screen_name": "x", "id_str": "9", "id": 9, "indices": [0, 2]}]),
            json!([]),
        ),
        case(
            "has:hashtags",
            "has:hashtags",
            "/entities/hashtags",
            json!([{"text": "x", "indices": [0, 2]}]),
            json!([]),
        ),
        case(
            "from",
            "from:zebra",
            "/user/screen_name",
            json!("Zebra"),
            json!("horse"),
        ),
        case(
            "from id",
            "from:4242",
            "/user/id_str",
            json!("4242"),
            json!("4243"),
        ),
        case(
            "to",
            "to:zebra",
            "/in_reply_to_screen_name",
            json!("zebra"),
            json!("horse"),
        ),
        case(
            "is:reply",
            "is:reply",
            "/in_reply_to_status_id_str",
            json!("1"),
            Value::Null,
        ),
        case(
            "in_reply_to_status_id",
            "in_reply_to_status_id:777",
            "/in_reply_to_status_id_str",
            json!("777"),
            json!("778"),
        ),
        case("lang", "lang:de", "/lang", json!("de"), json!("en")),
        case(
            "bio",
            "bio:zebra",
            "/user/description",
            json!("I love zebras and zebra"),
            json!("I love horses"),
        ),
        case(
            "bio_name",
            "bio_name:zebra",
            "/user/name",
            json!("Zebra Fan"),
            json!("Horse Fan"),
        ),
        case(
            "bio_location",
            "bio_location:savanna",
            "/user/location",
            json!("The Savanna"),
            json!("The City"),
        ),
        case(
            "is:verified",
            "is:verified",
            "/user/verified",
            json!(true),
            json!(false),
        ),
        case(
            "followers_count",
            "followers_count:100..200",
            "/user/followers_count",
            json!(150),
            json!(50),
        ),
        case(
            "statuses_count",
            "statuses_count:1000",
            "/user/statuses_count",
            json!(5000),
            json!(10),
        ),
        case(
            "friends_count",
            "friends_count:1000",
            "/user/friends_count",
            json!(5000),
            json!(10),
        ),
        case(
            "listed_count",
            "listed_count:1000",
            "/user/listed_count",
            json!(5000),
            json!(10),
        ),
        case(
            "source",
            "lang:fr source:\"Zebra App\"",
            "/source",
            json!("<a href=\"https://z.example\" rel=\"nofollow\">Zebra App</a>"),
            json!("<a href=\"https://h.example\" rel=\"nofollow\">Horse App</a>"),
        ),
        case(
            "url",
            "url:zebra.example",
            "/entities/urls",
            url("https://zebra.example/a", "t", "d"),
            url("https://horse.example/a", "t", "d"),
        ),
        case(
            "url_contains",
            "url_contains:zebra",
            "/entities/urls",
            url("https://zebra.example/a", "t", "d"),
            url("https://horse.example/a", "t", "d"),
        ),
        case(
            "url_title",
            "url_title:zebra",
            "/entities/urls",
            url("https://x.example/a", "All about zebra", "d"),
            url("https://x.example/a", "All about horse", "d"),
        ),
        case(
            "url_description",
            "url_description:zebra",
            "/entities/urls",
            url("https://x.example/a", "t", "A zebra page"),
            url("https://x.example/a", "t", "A horse page"),
        ),
        case(
            "has:links",
            "has:links",
            "/entities/urls",
            url("https://x.example/a", "t", "d"),
            json!([]),
        ),
        case(
            "has:media",
            "has:media",
            "/entities/media",
            json!([{"type": "photo", "id_str": "5", "media_url_https": "https://p.example/a.jpg",
                     "url": "https://t.co/m", "expanded_url": "https://x.example/photo/1",
                     "display_url": "pic", "indices": [0, 1]}]),
            Value::Null,
        ),
        case(
            "place",
            "place:berlin",
            "/place/full_name",
            json!("Berlin, Germany"),
            json!("Lyon, France"),
        ),
        case(
            "place_country",
            "place_country:DE",
            "/place/country_code",
            json!("DE"),
            json!("FR"),
        ),
        case(
            "bounding_box",
            "bounding_box:[13.3 52.45 13.5 52.6]",
            "/coordinates",
            json!({"type": "Point", "coordinates": [13.41, 52.52]}),
            json!({"type": "Point", "coordinates": [13.41, 52.70]}),
        ),
        case(
            "point_radius",
            "point_radius:[13.40 52.52 5km]",
            "/coordinates",
            json!({"type": "Point", "coordinates": [13.41, 52.52]}),
            json!({"type": "Point", "coordinates": [4.85, 45.75]}),
        ),
        case(
            "has:geo",
            "has:geo",
            "/place",
            base()["place"].clone(),
            Value::Null,
        ),
        case(
            "profile_country",
            "profile_country:DE",
            "/user/derived",
            json!({"locations": [{"country_code": "DE", "locality": "Berlin", "region": "Berlin"}]}),
            json!({"locations": [{"country_code": "FR", "locality": "Lyon", "region": "ARA"}]}),
        ),
        case(
            "profile_locality",
            "profile_locality:berlin",
            "/user/derived",
            json!({"locations": [{"country_code": "DE", "locality": "Berlin", "region": "Berlin"}]}),
            json!({"locations": [{"country_code": "DE", "locality": "Hamburg", "region": "Hamburg"}]}),
        ),
    ]
}

/// The base post with the case's field set to `value` (a `null` value removes the member).
fn variant(case: &Case, value: &Value) -> Vec<u8> {
    let mut post = base();
    let (parent, key) = case.pointer.rsplit_once('/').expect("a pointer");
    let object = post
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("{}: no object at {parent:?}", case.family));
    if value.is_null() {
        object.remove(key);
    } else {
        object.insert(key.to_owned(), value.clone());
    }
    serde_json::to_vec(&post).expect("serializable")
}

/// The ids `set` matches on `line`, matched from bytes.
fn compiled(set: &RuleSet, line: &[u8]) -> Vec<u64> {
    let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
    set.match_line(line, &mut scratch, &mut matches)
        .expect("a valid post");
    matches.ids().collect()
}

fn reference(book: &RuleBook, line: &[u8]) -> Vec<u64> {
    match Parser::new().parse(line).expect("a valid post") {
        Line::Post(post) => book.matching_ids(&post),
        other @ Line::Skipped(_) => panic!("not a post: {other:?}"),
    }
}

#[test]
fn a_rule_set_reading_a_field_matches_on_that_field_alone() {
    let cases = cases();
    let all: Vec<(u64, Rule)> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let rule = Rule::parse(c.rule).unwrap_or_else(|e| panic!("{}: {e}", c.rule));
            (i as u64 + 1, rule)
        })
        .collect();
    let everything = rule_set(&all);
    let book_all = RuleBook::new(all.iter().cloned());
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let id = i as u64 + 1;
        let alone = [(id, all[i].1.clone())];
        let set = rule_set(&alone);
        let book = RuleBook::new(alone.iter().cloned());
        let (yes, no) = (variant(case, &case.yes), variant(case, &case.no));
        let checks = [
            ("alone, yes", compiled(&set, &yes), vec![id]),
            ("alone, no", compiled(&set, &no), vec![]),
            ("reference alone, yes", reference(&book, &yes), vec![id]),
            ("reference alone, no", reference(&book, &no), vec![]),
        ];
        for (what, got, want) in checks {
            if got != want {
                failures.push(format!(
                    "{} ({}): {what}: got {got:?}",
                    case.family, case.rule
                ));
            }
        }
        // Among every other family: the case's rule follows its field, and the whole set agrees
        // with the reference on both posts.
        for (what, line) in [("yes", &yes), ("no", &no)] {
            let got = compiled(&everything, line);
            let want = reference(&book_all, line);
            if got != want || got.contains(&id) != (what == "yes") {
                failures.push(format!(
                    "{} ({}): among all, {what}: got {got:?}, reference {want:?}",
                    case.family, case.rule
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
