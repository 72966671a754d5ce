//! Every post of the two large corpus files against a slow reference reading of the same JSON
//! with `serde_json::Value`, written independently of the fast extraction, field by field.

use serde_json::Value;

use powertrack::post::{Format, MediaKind, Parser, Post, Role};

use crate::common::corpus_file;

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

fn id(v: &Value) -> Option<u64> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_u64())
}

/// The kind of a media `type` value: unknown when it is not a string.
fn media_kind(t: &Value) -> MediaKind {
    match t.as_str() {
        Some("photo") => MediaKind::Photo,
        Some("video") => MediaKind::Video,
        Some("animated_gif") => MediaKind::AnimatedGif,
        Some(_) => MediaKind::Other,
        None => MediaKind::Unknown,
    }
}

fn strings<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    list.as_array()
        .map(|a| a.iter().filter_map(|x| x[key].as_str()).collect())
        .unwrap_or_default()
}

/// The reference reading of one v1.1 status object against `part`.
fn check_native_status(t: &Value, part: &powertrack::post::Part<'_, '_>) {
    let ctx = format!("{:?} {}", part.role(), t["id_str"]);
    assert_eq!(
        Some(part.id()),
        id(&t["id_str"]).or_else(|| id(&t["id"])),
        "{ctx}"
    );
    let ext = &t["extended_tweet"];
    let text = s(&ext["full_text"])
        .or_else(|| s(&t["full_text"]))
        .or_else(|| s(&t["text"]));
    assert_eq!(part.text(), text.unwrap_or(""), "{ctx}");
    let ents = if ext["entities"].is_object() {
        &ext["entities"]
    } else {
        &t["entities"]
    };
    assert_eq!(
        part.hashtags().collect::<Vec<_>>(),
        strings(&ents["hashtags"], "text"),
        "{ctx}"
    );
    assert_eq!(
        part.cashtags().collect::<Vec<_>>(),
        strings(&ents["symbols"], "text"),
        "{ctx}"
    );
    let mentions: Vec<(Option<&str>, Option<u64>)> = ents["user_mentions"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    (
                        s(&m["screen_name"]),
                        id(&m["id_str"]).or_else(|| id(&m["id"])),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        part.mentions()
            .map(|m| (m.screen_name, m.id))
            .collect::<Vec<_>>(),
        mentions,
        "{ctx}"
    );
    let urls: Vec<[Option<&str>; 6]> = ents["urls"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|u| {
                    [
                        s(&u["url"]),
                        s(&u["expanded_url"]),
                        s(&u["display_url"]),
                        s(&u["unwound"]["url"]),
                        s(&u["unwound"]["title"]),
                        s(&u["unwound"]["description"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    let got: Vec<[Option<&str>; 6]> = part
        .urls()
        .map(|u| {
            [
                u.url,
                u.expanded_url,
                u.display_url,
                u.unwound_url,
                u.unwound_title,
                u.unwound_description,
            ]
        })
        .collect();
    assert_eq!(got, urls, "{ctx}");
    let media_from = [&ext["extended_entities"], &t["extended_entities"], ents]
        .into_iter()
        .find(|e| e.is_object())
        .unwrap_or(&Value::Null);
    let media: Vec<MediaKind> = media_from["media"]
        .as_array()
        .map(|a| a.iter().map(|m| media_kind(&m["type"])).collect())
        .unwrap_or_default();
    assert_eq!(
        part.media().map(|m| m.kind).collect::<Vec<_>>(),
        media,
        "{ctx}"
    );
    assert_eq!(
        part.is_quote_status(),
        t["is_quote_status"] == Value::Bool(true),
        "{ctx}"
    );
    assert_eq!(
        part.in_reply_to_status_id(),
        id(&t["in_reply_to_status_id_str"]).or_else(|| id(&t["in_reply_to_status_id"])),
        "{ctx}"
    );
    assert_eq!(
        part.in_reply_to_user_id(),
        id(&t["in_reply_to_user_id_str"]).or_else(|| id(&t["in_reply_to_user_id"])),
        "{ctx}"
    );
    assert_eq!(
        part.in_reply_to_screen_name(),
        s(&t["in_reply_to_screen_name"]),
        "{ctx}"
    );
    let u = &t["user"];
    let a = part.author();
    assert_eq!(a.id(), id(&u["id_str"]).or_else(|| id(&u["id"])), "{ctx}");
    assert_eq!(a.screen_name(), s(&u["screen_name"]), "{ctx}");
    assert_eq!(a.name(), s(&u["name"]), "{ctx}");
    assert_eq!(a.description(), s(&u["description"]), "{ctx}");
    assert_eq!(a.location(), s(&u["location"]), "{ctx}");
    assert_eq!(a.verified(), u["verified"] == Value::Bool(true), "{ctx}");
    assert_eq!(a.statuses_count(), u["statuses_count"].as_u64(), "{ctx}");
    assert_eq!(a.followers_count(), u["followers_count"].as_u64(), "{ctx}");
    assert_eq!(a.friends_count(), u["friends_count"].as_u64(), "{ctx}");
    assert_eq!(a.listed_count(), u["listed_count"].as_u64(), "{ctx}");
}

fn check_native(post: &Post<'_>, t: &Value) -> usize {
    assert_eq!(post.format(), Format::Native);
    check_native_status(t, &post.root());
    let ctx = &t["id_str"];
    assert_eq!(post.lang(), s(&t["lang"]), "{ctx}");
    let place = &t["place"];
    assert_eq!(post.place().is_some(), place.is_object(), "{ctx}");
    if let Some(p) = post.place() {
        assert_eq!(p.id, s(&place["id"]), "{ctx}");
        assert_eq!(p.name, s(&place["name"]), "{ctx}");
        assert_eq!(p.full_name, s(&place["full_name"]), "{ctx}");
        assert_eq!(p.country_code, s(&place["country_code"]), "{ctx}");
        let ring = &place["bounding_box"]["coordinates"][0];
        if let (Some(b), Some(points)) = (p.bounding_box, ring.as_array()) {
            for pt in points {
                let (lon, lat) = (pt[0].as_f64().unwrap(), pt[1].as_f64().unwrap());
                assert!(
                    b.west <= lon && lon <= b.east && b.south <= lat && lat <= b.north,
                    "{ctx}"
                );
            }
        } else {
            assert!(p.bounding_box.is_none() && !ring.is_array(), "{ctx}");
        }
    }
    let c = &t["coordinates"]["coordinates"];
    assert_eq!(
        post.coordinates().map(|p| (p.lon, p.lat)),
        c.as_array()
            .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())),
        "{ctx}"
    );
    assert_eq!(
        post.has_matching_rules(),
        t.get("matching_rules").is_some(),
        "{ctx}"
    );
    assert_eq!(
        post.is_nullcast(),
        t["scopes"]["followers"] == Value::Bool(false),
        "{ctx}"
    );
    let rt = &t["retweeted_status"];
    assert_eq!(post.retweeted().is_some(), rt.is_object(), "{ctx}");
    assert_eq!(
        post.retweeted_status_id(),
        id(&rt["id_str"]).or_else(|| id(&rt["id"])),
        "{ctx}"
    );
    if let Some(part) = post.retweeted() {
        check_native_status(rt, &part);
    }
    let quoted = if t["quoted_status"].is_object() {
        &t["quoted_status"]
    } else {
        &rt["quoted_status"]
    };
    assert_eq!(post.quoted().is_some(), quoted.is_object(), "{ctx}");
    if let Some(part) = post.quoted() {
        check_native_status(quoted, &part);
    }
    assert!(post.part(Role::QuotedQuoted).is_none() || quoted["quoted_status"].is_object());
    post.parts().len()
}

#[test]
fn native_corpus_against_serde_json() {
    let name = "native_corpus_against_serde_json";
    let Some(path) = corpus_file(name, "combined/all_v11_native.ndjson") else {
        return;
    };
    let bytes = std::fs::read(path).unwrap();
    let mut parser = Parser::new();
    let (mut posts, mut parts) = (0, 0);
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let t: Value = serde_json::from_slice(line).unwrap();
        parts += crate::post::with_post(&mut parser, line, |post| check_native(post, &t));
        posts += 1;
    }
    assert_eq!(posts, 3008);
    // 25.2 % retweets and 5.9 % quotes carry a second part.
    assert!(parts > 3008 + 900, "{parts}");
}

fn check_v2_tweet(t: &Value, inc: &Value, part: &powertrack::post::Part<'_, '_>) {
    let ctx = format!("{:?} {}", part.role(), t["id"]);
    assert_eq!(Some(part.id()), id(&t["id"]), "{ctx}");
    let text = s(&t["note_tweet"]["text"]).or_else(|| s(&t["text"]));
    assert_eq!(part.text(), text.unwrap_or(""), "{ctx}");
    let ents = if t["note_tweet"]["entities"].is_object() {
        &t["note_tweet"]["entities"]
    } else {
        &t["entities"]
    };
    assert_eq!(
        part.hashtags().collect::<Vec<_>>(),
        strings(&ents["hashtags"], "tag"),
        "{ctx}"
    );
    assert_eq!(
        part.cashtags().collect::<Vec<_>>(),
        strings(&ents["cashtags"], "tag"),
        "{ctx}"
    );
    assert_eq!(
        part.mentions()
            .map(|m| m.screen_name.unwrap_or(""))
            .collect::<Vec<_>>(),
        strings(&ents["mentions"], "username"),
        "{ctx}"
    );
    // URL entities with a `media_key` are links to X's media: media, not URLs.
    let url_entities = ents["urls"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let urls: Vec<Option<&str>> = url_entities
        .iter()
        .filter(|u| !u["media_key"].is_string())
        .map(|u| s(&u["expanded_url"]))
        .collect();
    assert_eq!(
        part.urls().map(|u| u.expanded_url).collect::<Vec<_>>(),
        urls,
        "{ctx}"
    );
    // The media: the keys of `attachments`, then those only URL entities name, each once.
    let mut keys: Vec<&str> = t["attachments"]["media_keys"]
        .as_array()
        .map(|keys| keys.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let attached = keys.len();
    for k in url_entities.iter().filter_map(|u| u["media_key"].as_str()) {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    assert!(keys.len() >= attached);
    let media: Vec<(MediaKind, Option<&str>)> = keys
        .iter()
        .map(|&k| {
            let kind = inc["media"]
                .as_array()
                .and_then(|m| m.iter().find(|m| m["media_key"] == k))
                .map_or(MediaKind::Unknown, |m| media_kind(&m["type"]));
            let link = url_entities
                .iter()
                .find(|u| u["media_key"] == k)
                .and_then(|u| s(&u["url"]));
            (kind, link)
        })
        .collect();
    assert_eq!(
        part.media().map(|m| (m.kind, m.url)).collect::<Vec<_>>(),
        media,
        "{ctx}"
    );
    assert_eq!(part.author().id(), id(&t["author_id"]), "{ctx}");
    let user = inc["users"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["id"] == t["author_id"]));
    assert_eq!(
        part.author().screen_name(),
        user.and_then(|u| s(&u["username"])),
        "{ctx}"
    );
    assert_eq!(
        part.author().followers_count(),
        user.and_then(|u| u["public_metrics"]["followers_count"].as_u64()),
        "{ctx}"
    );
}

#[test]
fn v2_corpus_against_serde_json() {
    let name = "v2_corpus_against_serde_json";
    let Some(path) = corpus_file(name, "twarc-csv-v2/twarc-csv_v2_stream_like.ndjson") else {
        return;
    };
    let bytes = std::fs::read(path).unwrap();
    let mut parser = Parser::new();
    let (mut posts, mut nested, mut unexpanded) = (0, 0, 0);
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let v: Value = serde_json::from_slice(line).unwrap();
        let (d, inc) = (&v["data"], &v["includes"]);
        let referenced = |kind: &str| -> Option<&Value> {
            let rid = d["referenced_tweets"]
                .as_array()?
                .iter()
                .find(|r| r["type"] == kind)?["id"]
                .clone();
            inc["tweets"].as_array()?.iter().find(|t| t["id"] == rid)
        };
        crate::post::with_post(&mut parser, line, |post| {
            assert_eq!(post.format(), Format::V2);
            check_v2_tweet(d, inc, &post.root());
            assert_eq!(post.lang(), s(&d["lang"]));
            assert_eq!(post.has_matching_rules(), v.get("matching_rules").is_some());
            let rt = referenced("retweeted");
            assert_eq!(post.retweeted().is_some(), rt.is_some(), "{}", d["id"]);
            // A retweet by `data` alone, whether or not `includes.tweets` expands the original.
            let rt_id = d["referenced_tweets"].as_array().and_then(|refs| {
                refs.iter()
                    .find(|r| r["type"] == "retweeted")
                    .and_then(|r| id(&r["id"]))
            });
            assert_eq!(post.retweeted_status_id(), rt_id, "{}", d["id"]);
            assert_eq!(post.is_retweet(), rt_id.is_some(), "{}", d["id"]);
            unexpanded += usize::from(rt_id.is_some() && rt.is_none());
            if let (Some(t), Some(part)) = (rt, post.retweeted()) {
                check_v2_tweet(t, inc, &part);
                nested += 1;
            }
            if let Some(q) = referenced("quoted") {
                check_v2_tweet(q, inc, &post.quoted().unwrap());
                nested += 1;
            }
            let place_id = s(&d["geo"]["place_id"]);
            assert_eq!(post.place().and_then(|p| p.id), place_id);
        });
        posts += 1;
    }
    assert_eq!(posts, 1109);
    assert!(nested > 100, "{nested}");
    assert_eq!(unexpanded, 38);
}
