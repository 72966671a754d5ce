//! The end-to-end extraction for mokaccino: a v1.1 native line parsed with `serde_json` into a
//! `serde_json::Value`, then the document of [`crate::doc_from_post`] built from it, field for
//! field, as a mokaccino user would write it.

use mokaccino::prelude::Document;
use serde_json::Value;

use crate::{DocBuilder, Flags, Schema, url_strings};

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// An id given as a string or a number.
fn u64_of(v: &Value, key: &str) -> Option<u64> {
    match v.get(key)? {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

fn id_of(v: &Value, str_key: &str, num_key: &str) -> Option<u64> {
    u64_of(v, str_key).or_else(|| u64_of(v, num_key))
}

fn array<'a>(v: Option<&'a Value>, key: &str) -> &'a [Value] {
    v.and_then(|v| v.get(key))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A status object usable as a part: an object with an id.
fn status(v: Option<&Value>) -> Option<&Value> {
    v.filter(|s| s.is_object() && id_of(s, "id_str", "id").is_some())
}

fn valid(lon: f64, lat: f64) -> bool {
    (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
}

fn pair(v: Option<&Value>) -> Option<(f64, f64)> {
    let a = v?.as_array()?;
    match a.as_slice() {
        [x, y] => Some((x.as_f64()?, y.as_f64()?)),
        _ => None,
    }
}

/// The document of one line, or `None` when it is not a v1.1 post (a delete or limit message,
/// malformed JSON, another format). Text fields carry the n-grams of `schema`.
pub fn doc_from_json(line: &[u8], schema: &Schema) -> Option<Document> {
    let root: Value = serde_json::from_slice(line).ok()?;
    let root = status(Some(&root))?;
    root.get("user").filter(|u| u.is_object())?;
    let mut b = DocBuilder::new(schema);
    let retweeted = status(root.get("retweeted_status"));
    let quoted = status(root.get("quoted_status"))
        .or_else(|| retweeted.and_then(|rt| status(rt.get("quoted_status"))));
    let mut fl = Flags {
        retweet: retweeted.is_some(),
        quote: quoted.is_some(),
        ..Flags::default()
    };
    let parts = [(Some(root), false), (retweeted, false), (quoted, true)];
    for (part, is_quoted) in parts {
        let Some(part) = part else { continue };
        let ext = part.get("extended_tweet");
        let text = [
            ext.and_then(|e| str_of(e, "full_text")),
            str_of(part, "full_text"),
            str_of(part, "text"),
        ]
        .into_iter()
        .flatten()
        .next();
        b.text(&["tok"], text.unwrap_or(""));
        let entities = ext
            .and_then(|e| e.get("entities"))
            .or_else(|| part.get("entities"));
        let media_from = ext
            .and_then(|e| e.get("extended_entities"))
            .or_else(|| part.get("extended_entities"))
            .or(entities);
        for url in array(entities, "urls") {
            fl.links = true;
            let unwound = url.get("unwound");
            let strings = [
                str_of(url, "url"),
                str_of(url, "expanded_url"),
                str_of(url, "display_url"),
                unwound.and_then(|u| str_of(u, "url")),
            ];
            for s in url_strings(strings) {
                b.text(&["tok", "url"], s);
            }
            b.text(
                &["url_title"],
                unwound.and_then(|u| str_of(u, "title")).unwrap_or(""),
            );
            b.text(
                &["url_desc"],
                unwound.and_then(|u| str_of(u, "description")).unwrap_or(""),
            );
        }
        for tag in array(entities, "hashtags") {
            fl.hashtags = true;
            if let Some(t) = str_of(tag, "text") {
                b.key("hashtag", t);
            }
        }
        for tag in array(entities, "symbols") {
            fl.symbols = true;
            if let Some(t) = str_of(tag, "text") {
                b.key("cashtag", t);
            }
        }
        for m in array(entities, "user_mentions") {
            fl.mentions = true;
            if let Some(name) = str_of(m, "screen_name") {
                b.key("mention", name);
            }
            if let Some(id) = id_of(m, "id_str", "id") {
                b.number("mention_id", id);
            }
        }
        for m in array(media_from, "media") {
            fl.links = true;
            fl.media = true;
            match str_of(m, "type") {
                Some("photo") => fl.images = true,
                Some("video" | "animated_gif") => fl.videos = true,
                _ => {}
            }
        }
        fl.reply |= id_of(part, "in_reply_to_status_id_str", "in_reply_to_status_id").is_some();
        fl.quote |= !is_quoted
            && part
                .get("is_quote_status")
                .and_then(Value::as_bool)
                .unwrap_or(false);
    }

    let user = &root["user"];
    b.text(&["bio"], str_of(user, "description").unwrap_or(""));
    b.text(&["bio_name"], str_of(user, "name").unwrap_or(""));
    b.text(&["bio_loc"], str_of(user, "location").unwrap_or(""));
    if let Some(s) = str_of(root, "source") {
        source(&mut b, s);
    }
    if let Some(name) = str_of(user, "screen_name") {
        b.key("from", name);
    }
    if let Some(id) = id_of(user, "id_str", "id") {
        b.number("from_id", id);
    }
    if let Some(name) = str_of(root, "in_reply_to_screen_name") {
        b.key("to", name);
    }
    if let Some(id) = id_of(root, "in_reply_to_user_id_str", "in_reply_to_user_id") {
        b.number("to_id", id);
    }
    if let Some(id) = id_of(root, "in_reply_to_status_id_str", "in_reply_to_status_id") {
        b.number("reply_status", id);
    }
    if let Some(rt) = retweeted {
        if let Some(id) = id_of(rt, "id_str", "id") {
            b.number("rt_status", id);
        }
        if let Some(author) = rt.get("user").filter(|u| u.is_object()) {
            if let Some(name) = str_of(author, "screen_name") {
                b.key("rt_of", name);
            }
            if let Some(id) = id_of(author, "id_str", "id") {
                b.number("rt_of_id", id);
            }
        }
    }
    if let Some(lang) = str_of(root, "lang") {
        b.key("lang", lang);
        fl.lang = !lang.is_empty() && lang != "und";
    }
    for (field, key) in [
        ("statuses", "statuses_count"),
        ("followers", "followers_count"),
        ("friends", "friends_count"),
        ("listed", "listed_count"),
    ] {
        if let Some(n) = u64_of(user, key) {
            b.number(field, n);
        }
    }
    if !fl.retweet {
        let point = pair(root.get("coordinates").and_then(|c| c.get("coordinates")))
            .filter(|&(lon, lat)| valid(lon, lat))
            .or_else(|| {
                let (lat, lon) = pair(root.get("geo").and_then(|g| g.get("coordinates")))?;
                valid(lon, lat).then_some((lon, lat))
            });
        fl.geo |= point.is_some();
        if let Some(place) = root.get("place").filter(|p| p.is_object()) {
            fl.geo = true;
            if let Some(id) = str_of(place, "id") {
                b.key("place_id", id);
            }
            if let Some(cc) = str_of(place, "country_code") {
                b.key("place_country", cc);
            }
            b.text(&["place"], str_of(place, "name").unwrap_or(""));
            b.text(&["place"], str_of(place, "full_name").unwrap_or(""));
        }
    }
    let locations = user
        .get("derived")
        .and_then(|d| d.get("locations"))
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for g in locations.iter().filter(|g| g.is_object()) {
        fl.profile_geo = true;
        for (field, key) in [
            ("profile_country", "country_code"),
            ("profile_region", "region"),
            ("profile_locality", "locality"),
            ("profile_subregion", "sub_region"),
        ] {
            if let Some(v) = str_of(g, key) {
                b.key(field, v);
            }
        }
    }
    fl.verified = user
        .get("verified")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    fl.nullcast = root
        .get("scopes")
        .and_then(|s| s.get("followers"))
        .and_then(Value::as_bool)
        == Some(false);
    fl.add_to(&mut b);
    Some(b.finish())
}

/// `<a href="URL" rel="nofollow">NAME</a>`: the name and the URL; any other string is the name.
fn source(b: &mut DocBuilder<'_>, s: &str) {
    if !s.starts_with("<a") {
        b.text(&["source"], s);
        return;
    }
    let mut name = "";
    let mut url = "";
    if let Some(h) = s.find("href=\"") {
        let start = h + 6;
        if let Some(len) = s[start..].find('"') {
            url = &s[start..start + len];
        }
    }
    if let Some(gt) = s.find('>') {
        let start = gt + 1;
        if let Some(len) = s[start..].find("</a>") {
            name = &s[start..start + len];
        }
    }
    b.text(&["source"], name);
    b.text(&["source"], url);
}
