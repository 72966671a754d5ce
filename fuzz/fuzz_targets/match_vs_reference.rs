//! `match_vs_reference`: small rule sets × posts; the compiled rule set must match exactly the
//! rules the reference evaluator matches, and nothing may panic.
//!
//! Input: `LINE` `\n` `REST`. `LINE` is used as a post line as is (seeded with real tweets, so
//! libFuzzer mutates real posts). `REST` drives, through `arbitrary::Unstructured`, a
//! structure-aware post (v1.1 native, Activity Streams or v2; text, hashtags, mentions,
//! cashtags, URLs, media, user with profile geo, lang, source, place, coordinates, reply,
//! retweet and quote nesting; in v2, references `includes` sometimes leaves unexpanded:
//! retweeted originals, quoted posts, media, users, and media only as links or only as
//! attachments) and 1–16 rules: arbitrary `Expr`s printed to text, and rules
//! built from the material of the posts (their words, entities, users, places, points…) so
//! that matches happen. Rules `Rule::parse` refuses are skipped. For each post, the ids from
//! `RuleSet::match_line` and `RuleSet::match_post` (one `Scratch` reused across the posts)
//! must equal `RuleBook::matching_ids`.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use powertrack::matcher::{Matches, RuleSet, RuleSetBuilder, Scratch};
use powertrack::post::{Line, Parser, Post};
use powertrack::reference::RuleBook;
use powertrack::syntax::{Expr, Rule};
use powertrack::tokenize::{TokenKind, tokens};
use serde_json::{Value, json};

const VOCAB: &[&str] = &[
    "snow",
    "Snow",
    "SNOW",
    "rain",
    "café",
    "Café",
    "cafe",
    "CAFÉ",
    "straße",
    "STRASSE",
    "ß",
    "привет",
    "ПРИВЕТ",
    "日本語",
    "第一印象",
    "中文",
    "ケース",
    "🍕",
    "🤖",
    "👍🏽",
    "👨\u{200d}👩\u{200d}👧",
    "🇬🇧",
    "coca-cola",
    "$TWTR",
    "#snow",
    "@jack",
    "https://t.co/x",
    "don't",
    "O'Neil",
    "İstanbul",
    "ǅemal",
    "ﬁre",
    "x",
    "a",
    "OR",
    "gnip",
    "e\u{301}",
    "\u{3000}",
    "call",
    "me",
    "maybe",
    "42",
    "3.14",
    "a_b",
    "#",
    "@",
    "$",
    "-",
    "\"",
    "\\",
    "(",
    ")",
    "~",
    ":",
];
const SEPS: &[&str] = &[
    " ", " ", " ", "  ", ", ", "-", "\n", "", ".", "'", "\u{3000}", "!", "/",
];
const LANGS: &[&str] = &[
    "en", "es", "ja", "und", "fr", "zh", "EN", "pt-BR", "in", "iw",
];
const COUNTRIES: &[&str] = &["US", "GB", "JP", "gb", "FR", "BR"];
const NAMES: &[&str] = &[
    "jack",
    "Jack",
    "XDevelopers",
    "noaa",
    "api",
    "a_b_c",
    "someone",
    "x",
];

/// A short text made of vocabulary, arbitrary strings and the line's own words.
fn text(u: &mut Unstructured<'_>, extra: &[String], max: u32) -> Result<String> {
    let mut s = String::new();
    for _ in 0..u.int_in_range(0..=max)? {
        match u.int_in_range(0..=5)? {
            0 => s.push_str(
                &u.arbitrary::<String>()?
                    .chars()
                    .take(12)
                    .collect::<String>(),
            ),
            1 if !extra.is_empty() => s.push_str(u.choose(extra)?),
            _ => s.push_str(u.choose(VOCAB)?),
        }
        s.push_str(u.choose(SEPS)?);
    }
    Ok(s)
}

fn word(u: &mut Unstructured<'_>, extra: &[String]) -> Result<String> {
    Ok(match u.int_in_range(0..=3)? {
        0 => u.arbitrary::<String>()?.chars().take(10).collect(),
        1 if !extra.is_empty() => u.choose(extra)?.clone(),
        _ => (*u.choose(VOCAB)?).to_string(),
    })
}

fn name(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(if u.ratio(1, 5)? {
        u.arbitrary::<String>()?.chars().take(15).collect()
    } else {
        (*u.choose(NAMES)?).to_string()
    })
}

fn small_id(u: &mut Unstructured<'_>) -> Result<u64> {
    Ok(if u.ratio(1, 4)? {
        u.arbitrary()?
    } else {
        u.int_in_range(1..=40)?
    })
}

fn coord(u: &mut Unstructured<'_>, lim: f64) -> Result<f64> {
    Ok(match u.int_in_range(0..=4)? {
        0 => f64::from(u.int_in_range(-3i32..=3)?) * lim / 3.0,
        1 => (f64::from(u.arbitrary::<i16>()?) / 1000.0).clamp(-lim, lim),
        _ => {
            (f64::from(u.int_in_range(-100i32..=100)?) / 100.0)
                + if lim > 90.0 { -105.0 } else { 40.0 }
        }
    })
}

/// (country code, region, locality, sub region, point)
type ProfileGeoSpec = (String, String, String, String, Option<(f64, f64)>);
/// (id, name, full name, country code, bbox)
type PlaceSpec = (String, String, String, String, Option<[f64; 4]>);

#[derive(Debug, Default, Clone)]
struct UserSpec {
    id: u64,
    screen_name: String,
    name: String,
    description: String,
    location: String,
    verified: bool,
    counts: [Option<u64>; 4],
    profile: Vec<ProfileGeoSpec>,
}

#[derive(Debug, Default, Clone)]
struct UrlSpec {
    url: String,
    expanded: String,
    display: String,
    unwound: Option<(String, String, String)>,
}

#[derive(Debug, Default, Clone)]
struct PartSpec {
    id: u64,
    text: String,
    hashtags: Vec<String>,
    cashtags: Vec<String>,
    mentions: Vec<(String, u64)>,
    urls: Vec<UrlSpec>,
    media: Vec<&'static str>,
    user: UserSpec,
    reply: Option<(u64, u64, String)>,
    retweeted: Option<Box<PartSpec>>,
    quoted: Option<Box<PartSpec>>,
}

#[derive(Debug, Default)]
struct PostSpec {
    root: PartSpec,
    lang: Option<String>,
    source: Option<(String, String)>,
    place: Option<PlaceSpec>,
    coordinates: Option<(f64, f64)>,
    nullcast: bool,
    matching_rules: bool,
}

fn user(u: &mut Unstructured<'_>, extra: &[String]) -> Result<UserSpec> {
    let mut s = UserSpec {
        id: small_id(u)?,
        screen_name: name(u)?,
        name: text(u, extra, 2)?,
        description: text(u, extra, 4)?,
        location: text(u, extra, 2)?,
        verified: u.arbitrary()?,
        ..UserSpec::default()
    };
    for c in &mut s.counts {
        *c = if u.arbitrary()? {
            Some(if u.arbitrary()? {
                u.arbitrary()?
            } else {
                u.int_in_range(0..=2000)?
            })
        } else {
            None
        };
    }
    for _ in 0..u.int_in_range(0..=2)? {
        let point = if u.arbitrary()? {
            Some((coord(u, 180.0)?, coord(u, 90.0)?))
        } else {
            None
        };
        s.profile.push((
            (*u.choose(COUNTRIES)?).to_string(),
            word(u, extra)?,
            word(u, extra)?,
            word(u, extra)?,
            point,
        ));
    }
    Ok(s)
}

fn part(u: &mut Unstructured<'_>, extra: &[String], depth: u32) -> Result<PartSpec> {
    let mut p = PartSpec {
        id: small_id(u)?,
        text: text(u, extra, 10)?,
        user: user(u, extra)?,
        ..PartSpec::default()
    };
    for _ in 0..u.int_in_range(0..=3)? {
        let h = word(u, extra)?.trim_start_matches('#').to_string();
        if u.arbitrary()? {
            p.text.push_str(&format!(" #{h}"));
        }
        p.hashtags.push(h);
    }
    for _ in 0..u.int_in_range(0..=2)? {
        p.cashtags
            .push((*u.choose(&["TWTR", "BRK.A", "F", "goog"])?).to_string());
    }
    for _ in 0..u.int_in_range(0..=2)? {
        p.mentions.push((name(u)?, small_id(u)?));
    }
    for _ in 0..u.int_in_range(0..=2)? {
        let host = *u.choose(&["example.com", "en.wikipedia.org", "t.co", "EXAMPLE.com"])?;
        let path = word(u, extra)?;
        let unwound = if u.arbitrary()? {
            Some((
                format!("https://{host}/u/{path}"),
                text(u, extra, 3)?,
                text(u, extra, 3)?,
            ))
        } else {
            None
        };
        p.urls.push(UrlSpec {
            url: format!("https://t.co/{}", u.int_in_range(0..=99u32)?),
            expanded: format!("https://{host}/{path}"),
            display: format!("{host}/{path}"),
            unwound,
        });
    }
    for _ in 0..u.int_in_range(0..=2)? {
        p.media
            .push(*u.choose(&["photo", "video", "animated_gif", "other"])?);
    }
    if u.ratio(1, 4)? {
        p.reply = Some((small_id(u)?, small_id(u)?, name(u)?));
    }
    if depth < 2 {
        if u.ratio(1, 4)? {
            p.retweeted = Some(Box::new(part(u, extra, 2)?));
            if let Some(rt) = &p.retweeted {
                p.text = format!("RT @{}: {}", rt.user.screen_name, rt.text);
            }
        }
        if u.ratio(1, 3)? {
            p.quoted = Some(Box::new(part(u, extra, depth + 1)?));
        }
    }
    Ok(p)
}

fn post_spec(u: &mut Unstructured<'_>, extra: &[String]) -> Result<PostSpec> {
    Ok(PostSpec {
        root: part(u, extra, 0)?,
        lang: if u.arbitrary()? {
            Some((*u.choose(LANGS)?).to_string())
        } else {
            None
        },
        source: if u.arbitrary()? {
            Some((
                text(u, extra, 2)?,
                format!("http://{}.com", word(u, extra)?),
            ))
        } else {
            None
        },
        place: if u.arbitrary()? {
            let bbox = if u.arbitrary()? {
                let (w, s) = (coord(u, 180.0)?, coord(u, 90.0)?);
                Some([w, s, (w + 0.5).min(180.0), (s + 0.5).min(90.0)])
            } else {
                None
            };
            Some((
                format!("{:x}", u.arbitrary::<u32>()?),
                word(u, extra)?,
                text(u, extra, 3)?,
                (*u.choose(COUNTRIES)?).to_string(),
                bbox,
            ))
        } else {
            None
        },
        coordinates: if u.arbitrary()? {
            Some((coord(u, 180.0)?, coord(u, 90.0)?))
        } else {
            None
        },
        nullcast: u.ratio(1, 8)?,
        matching_rules: u.ratio(1, 8)?,
    })
}

fn polygon(b: [f64; 4]) -> Value {
    json!([[[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]]]])
}

// ---- v1.1 native ----

fn native_user(s: &UserSpec) -> Value {
    let mut v = json!({"id_str": s.id.to_string(), "id": s.id, "screen_name": s.screen_name,
        "name": s.name, "description": s.description, "location": s.location, "verified": s.verified});
    for (k, c) in [
        "statuses_count",
        "followers_count",
        "friends_count",
        "listed_count",
    ]
    .iter()
    .zip(s.counts)
    {
        if let Some(c) = c {
            v[*k] = json!(c);
        }
    }
    if !s.profile.is_empty() {
        let locs: Vec<Value> = s
            .profile
            .iter()
            .map(|(cc, r, l, sr, p)| {
                let mut g = json!({"country_code": cc, "region": r, "locality": l, "sub_region": sr,
                    "full_name": format!("{l}, {r}")});
                if let Some((lon, lat)) = p {
                    g["geo"] = json!({"type": "point", "coordinates": [lon, lat]});
                }
                g
            })
            .collect();
        v["derived"] = json!({ "locations": locs });
    }
    v
}

fn native_part(p: &PartSpec, flip: bool) -> Value {
    let media: Vec<Value> = p
        .media
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"type": t, "url": format!("https://t.co/m{i}"),
            "expanded_url": format!("https://twitter.com/x/status/1/photo/{i}"), "display_url": "pic.twitter.com/m"}))
        .collect();
    let urls: Vec<Value> = p
        .urls
        .iter()
        .map(|x| {
            let mut v = json!({"url": x.url, "expanded_url": x.expanded, "display_url": x.display});
            if let Some((url, title, desc)) = &x.unwound {
                v["unwound"] = json!({"url": url, "title": title, "description": desc});
            }
            v
        })
        .collect();
    let entities = json!({
        "hashtags": p.hashtags.iter().map(|h| json!({"text": h})).collect::<Vec<_>>(),
        "symbols": p.cashtags.iter().map(|h| json!({"text": h})).collect::<Vec<_>>(),
        "user_mentions": p.mentions.iter().map(|(n, id)| json!({"screen_name": n, "id_str": id.to_string()})).collect::<Vec<_>>(),
        "urls": urls,
        "media": media,
    });
    let mut v = json!({"id_str": p.id.to_string(), "user": native_user(&p.user),
        "is_quote_status": p.quoted.is_some()});
    if flip {
        // A long post: the full text and entities in `extended_tweet`.
        v["text"] = json!(p.text.chars().take(5).collect::<String>());
        v["extended_tweet"] = json!({"full_text": p.text, "entities": entities,
            "extended_entities": {"media": media}});
    } else {
        v["text"] = json!(p.text);
        v["entities"] = entities;
        v["extended_entities"] = json!({ "media": media });
    }
    if let Some((sid, uid, name)) = &p.reply {
        v["in_reply_to_status_id_str"] = json!(sid.to_string());
        v["in_reply_to_user_id_str"] = json!(uid.to_string());
        v["in_reply_to_screen_name"] = json!(name);
    }
    if let Some(rt) = &p.retweeted {
        v["retweeted_status"] = native_part(rt, flip);
    }
    if let Some(q) = &p.quoted {
        v["quoted_status"] = native_part(q, !flip);
    }
    v
}

fn native(s: &PostSpec, flip: bool) -> Value {
    let mut v = native_part(&s.root, flip);
    if let Some(l) = &s.lang {
        v["lang"] = json!(l);
    }
    if let Some((name, url)) = &s.source {
        v["source"] = json!(format!("<a href=\"{url}\" rel=\"nofollow\">{name}</a>"));
    }
    if let Some((id, name, full, cc, bbox)) = &s.place {
        let mut p = json!({"id": id, "name": name, "full_name": full, "country_code": cc});
        if let Some(b) = bbox {
            p["bounding_box"] = json!({"type": "Polygon", "coordinates": polygon(*b)});
        }
        v["place"] = p;
    }
    if let Some((lon, lat)) = s.coordinates {
        if flip {
            v["geo"] = json!({"type": "Point", "coordinates": [lat, lon]});
        } else {
            v["coordinates"] = json!({"type": "Point", "coordinates": [lon, lat]});
        }
    }
    if s.nullcast {
        v["scopes"] = json!({"followers": false});
    }
    if s.matching_rules {
        v["matching_rules"] = json!([{"tag": null, "id": 1, "id_str": "1"}]);
    }
    v
}

// ---- Activity Streams ----

fn as_entities(p: &PartSpec) -> (Value, Value) {
    let media: Vec<Value> = p
        .media
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"type": t, "url": format!("https://t.co/m{i}"), "display_url": "pic.twitter.com/m"}))
        .collect();
    let ents = json!({
        "hashtags": p.hashtags.iter().map(|h| json!({"text": h})).collect::<Vec<_>>(),
        "symbols": p.cashtags.iter().map(|h| json!({"text": h})).collect::<Vec<_>>(),
        "user_mentions": p.mentions.iter().map(|(n, id)| json!({"screen_name": n, "id_str": id.to_string()})).collect::<Vec<_>>(),
        "urls": p.urls.iter().map(|x| json!({"url": x.url, "expanded_url": x.expanded, "display_url": x.display})).collect::<Vec<_>>(),
        "media": media,
    });
    (ents, json!({ "media": media }))
}

fn as_actor(s: &UserSpec) -> Value {
    let mut v = json!({"objectType": "person", "id": format!("id:twitter.com:{}", s.id),
        "preferredUsername": s.screen_name, "displayName": s.name, "summary": s.description,
        "location": {"objectType": "place", "displayName": s.location}, "verified": s.verified});
    for (k, c) in [
        "statusesCount",
        "followersCount",
        "friendsCount",
        "listedCount",
    ]
    .iter()
    .zip(s.counts)
    {
        if let Some(c) = c {
            v[*k] = json!(c);
        }
    }
    v
}

fn as_profile(s: &UserSpec) -> Vec<Value> {
    s.profile
        .iter()
        .map(|(cc, r, l, sr, p)| {
            let mut g = json!({"objectType": "place", "displayName": format!("{l}, {r}"),
                "address": {"countryCode": cc, "region": r, "locality": l, "subRegion": sr}});
            if let Some((lon, lat)) = p {
                g["geo"] = json!({"type": "point", "coordinates": [lon, lat]});
            }
            g
        })
        .collect()
}

fn as_part(p: &PartSpec, flip: bool) -> Value {
    let (ents, ext) = as_entities(p);
    let mut v = json!({"id": format!("tag:search.twitter.com,2005:{}", p.id), "objectType": "activity",
        "verb": if p.retweeted.is_some() { "share" } else { "post" },
        "actor": as_actor(&p.user)});
    if flip {
        v["body"] = json!(p.text.chars().take(5).collect::<String>());
        v["long_object"] =
            json!({"body": p.text, "twitter_entities": ents, "twitter_extended_entities": ext});
    } else {
        v["body"] = json!(p.text);
        v["twitter_entities"] = ents;
        v["twitter_extended_entities"] = ext;
    }
    let mut gnip = json!({});
    if !p.user.profile.is_empty() {
        gnip["profileLocations"] = json!(as_profile(&p.user));
    }
    let unwound: Vec<Value> = p
        .urls
        .iter()
        .filter_map(|x| {
            let (url, title, desc) = x.unwound.as_ref()?;
            Some(
                json!({"url": x.url, "expanded_url": url, "expanded_url_title": title,
                "expanded_url_description": desc}),
            )
        })
        .collect();
    if !unwound.is_empty() {
        gnip["urls"] = json!(unwound);
    }
    v["gnip"] = gnip;
    if let Some((sid, _, name)) = &p.reply {
        v["inReplyTo"] = json!({"link": format!("http://twitter.com/{name}/statuses/{sid}")});
    }
    match &p.retweeted {
        Some(rt) => v["object"] = as_part(rt, flip),
        None => {
            v["object"] = json!({"objectType": "note", "id": format!("object:search.twitter.com,2005:{}", p.id), "summary": p.text});
        }
    }
    if let Some(q) = &p.quoted {
        v["twitter_quoted_status"] = as_part(q, !flip);
    }
    v
}

fn activity(s: &PostSpec, flip: bool) -> Value {
    let mut v = as_part(&s.root, flip);
    if let Some(l) = &s.lang {
        v["twitter_lang"] = json!(l);
    }
    if let Some((name, url)) = &s.source {
        v["generator"] = json!({"displayName": name, "link": url});
    }
    if let Some((id, name, full, cc, bbox)) = &s.place {
        let mut p = json!({"objectType": "place", "link": format!("https://api.twitter.com/1.1/geo/id/{id}.json"),
            "name": name, "displayName": full, "twitter_country_code": cc});
        if let Some(b) = bbox {
            p["geo"] = json!({"type": "Polygon", "coordinates": polygon(*b)});
        }
        v["location"] = p;
    }
    if let Some((lon, lat)) = s.coordinates {
        v["geo"] = json!({"type": "Point", "coordinates": [lat, lon]});
    }
    if s.matching_rules {
        v["gnip"]["matching_rules"] = json!([{"tag": "t", "id": 1, "id_str": "1"}]);
    }
    v
}

// ---- v2 ----

struct V2Includes {
    users: Vec<Value>,
    tweets: Vec<Value>,
    media: Vec<Value>,
    /// What `includes` leaves unexpanded, and how media are referred to (`GAP_*` bits).
    gaps: u8,
}

/// The retweeted original is referenced but not in `includes.tweets`.
const GAP_RETWEETED: u8 = 1;
/// Quoted posts are referenced but not in `includes.tweets`.
const GAP_QUOTED: u8 = 2;
/// `includes.media` is empty: every media kind is unknown.
const GAP_MEDIA: u8 = 4;
/// Media are only links (URL entities with a `media_key`), never in `attachments`.
const GAP_ATTACHMENTS: u8 = 8;
/// Media are only in `attachments`, with no URL entity.
const GAP_MEDIA_LINKS: u8 = 16;
/// `includes.users` holds only the root's author.
const GAP_USERS: u8 = 32;

fn v2_user(s: &UserSpec) -> Value {
    let mut metrics = json!({});
    for (k, c) in [
        "tweet_count",
        "followers_count",
        "following_count",
        "listed_count",
    ]
    .iter()
    .zip(s.counts)
    {
        if let Some(c) = c {
            metrics[*k] = json!(c);
        }
    }
    json!({"id": s.id.to_string(), "username": s.screen_name, "name": s.name,
        "description": s.description, "location": s.location, "verified": s.verified,
        "public_metrics": metrics})
}

fn v2_tweet(p: &PartSpec, inc: &mut V2Includes, flip: bool) -> Value {
    let mut urls: Vec<Value> = p
        .urls
        .iter()
        .map(|x| {
            let mut v = json!({"url": x.url, "expanded_url": x.expanded, "display_url": x.display});
            if let Some((url, title, desc)) = &x.unwound {
                v["unwound_url"] = json!(url);
                v["title"] = json!(title);
                v["description"] = json!(desc);
            }
            v
        })
        .collect();
    let mut keys = Vec::new();
    for (i, t) in p.media.iter().enumerate() {
        let key = format!("3_{}_{i}", p.id);
        if inc.gaps & GAP_MEDIA == 0 {
            inc.media.push(json!({"media_key": key, "type": t}));
        }
        // Both gaps at once would leave no media: keep the links then.
        if inc.gaps & GAP_MEDIA_LINKS == 0 || inc.gaps & GAP_ATTACHMENTS != 0 {
            urls.push(json!({"url": format!("https://t.co/m{i}"), "expanded_url": "https://twitter.com/x/status/1/photo/1",
                "display_url": "pic.twitter.com/m", "media_key": key}));
        }
        if inc.gaps & GAP_ATTACHMENTS == 0 {
            keys.push(key);
        }
    }
    let ents = json!({
        "hashtags": p.hashtags.iter().map(|h| json!({"tag": h})).collect::<Vec<_>>(),
        "cashtags": p.cashtags.iter().map(|h| json!({"tag": h})).collect::<Vec<_>>(),
        "mentions": p.mentions.iter().map(|(n, id)| json!({"username": n, "id": id.to_string()})).collect::<Vec<_>>(),
        "urls": urls,
    });
    let mut v = json!({"id": p.id.to_string(), "author_id": p.user.id.to_string()});
    if flip {
        v["text"] = json!(p.text.chars().take(5).collect::<String>());
        v["note_tweet"] = json!({"text": p.text, "entities": ents});
    } else {
        v["text"] = json!(p.text);
        v["entities"] = ents;
    }
    if !keys.is_empty() {
        v["attachments"] = json!({ "media_keys": keys });
    }
    // The root's author comes first: the root is written before the posts it refers to.
    if inc.users.is_empty() || inc.gaps & GAP_USERS == 0 {
        inc.users.push(v2_user(&p.user));
    }
    let mut refs = Vec::new();
    if let Some((sid, uid, name)) = &p.reply {
        refs.push(json!({"type": "replied_to", "id": sid.to_string()}));
        v["in_reply_to_user_id"] = json!(uid.to_string());
        if inc.gaps & GAP_USERS == 0 {
            inc.users
                .push(json!({"id": uid.to_string(), "username": name}));
        }
    }
    if let Some(rt) = &p.retweeted {
        refs.push(json!({"type": "retweeted", "id": rt.id.to_string()}));
        let t = v2_tweet(rt, inc, flip);
        if inc.gaps & GAP_RETWEETED == 0 {
            inc.tweets.push(t);
        }
    }
    if let Some(q) = &p.quoted {
        refs.push(json!({"type": "quoted", "id": q.id.to_string()}));
        let t = v2_tweet(q, inc, !flip);
        if inc.gaps & GAP_QUOTED == 0 {
            inc.tweets.push(t);
        }
    }
    if !refs.is_empty() {
        v["referenced_tweets"] = json!(refs);
    }
    v
}

fn v2(s: &PostSpec, flip: bool, gaps: u8) -> Value {
    let mut inc = V2Includes {
        users: Vec::new(),
        tweets: Vec::new(),
        media: Vec::new(),
        gaps,
    };
    let mut data = v2_tweet(&s.root, &mut inc, flip);
    if let Some(l) = &s.lang {
        data["lang"] = json!(l);
    }
    if let Some((name, _)) = &s.source {
        data["source"] = json!(name);
    }
    let mut places = Vec::new();
    let mut geo = json!({});
    if let Some((id, name, full, cc, bbox)) = &s.place {
        geo["place_id"] = json!(id);
        let mut p = json!({"id": id, "name": name, "full_name": full, "country_code": cc});
        if let Some(b) = bbox {
            p["geo"] = json!({"type": "Feature", "bbox": b, "properties": {}});
        }
        places.push(p);
    }
    if let Some((lon, lat)) = s.coordinates {
        geo["coordinates"] = json!({"type": "Point", "coordinates": [lon, lat]});
    }
    if s.place.is_some() || s.coordinates.is_some() {
        data["geo"] = geo;
    }
    let mut v = json!({"data": data, "includes": {"users": inc.users, "tweets": inc.tweets,
        "places": places, "media": inc.media}});
    if s.matching_rules {
        v["matching_rules"] = json!([{"id": "1", "tag": null}]);
    }
    v
}

// ---- rules ----

/// Rule material harvested from a parsed post.
#[derive(Default)]
struct Pool {
    words: Vec<String>,
    phrases: Vec<String>,
    hashtags: Vec<String>,
    cashtags: Vec<String>,
    users: Vec<String>,
    ids: Vec<u64>,
    status_ids: Vec<u64>,
    urls: Vec<String>,
    bio: Vec<String>,
    langs: Vec<String>,
    places: Vec<String>,
    countries: Vec<String>,
    points: Vec<(f64, f64)>,
    sources: Vec<String>,
    profile: Vec<String>,
    counts: Vec<u64>,
}

fn words_of(text: &str, out: &mut Vec<String>, phrases: &mut Vec<String>) {
    let toks: Vec<_> = tokens(text).take(64).collect();
    for (i, t) in toks.iter().enumerate() {
        if t.kind != TokenKind::Punct {
            out.push(t.text(text).to_string());
        }
        if i + 1 < toks.len() && i % 3 == 0 {
            phrases.push(text[t.start..toks[(i + 2).min(toks.len() - 1)].end].to_string());
        }
    }
}

impl Pool {
    fn harvest(&mut self, post: &Post<'_>) {
        for part in post.parts() {
            words_of(part.text(), &mut self.words, &mut self.phrases);
            self.hashtags.extend(part.hashtags().map(str::to_string));
            self.cashtags.extend(part.cashtags().map(str::to_string));
            for m in part.mentions() {
                self.users.extend(m.screen_name.map(str::to_string));
                self.ids.extend(m.id);
            }
            for u in part.urls() {
                for s in [u.url, u.expanded_url, u.display_url, u.unwound_url]
                    .into_iter()
                    .flatten()
                {
                    self.urls.push(s.to_string());
                }
                for s in [u.unwound_title, u.unwound_description]
                    .into_iter()
                    .flatten()
                {
                    words_of(s, &mut self.bio, &mut self.phrases);
                }
            }
            self.status_ids.push(part.id());
            self.status_ids.extend(part.in_reply_to_status_id());
            self.users
                .extend(part.in_reply_to_screen_name().map(str::to_string));
            let user = part.author();
            self.users.extend(user.screen_name().map(str::to_string));
            self.ids.extend(user.id());
            for s in [user.description(), user.name(), user.location()]
                .into_iter()
                .flatten()
            {
                words_of(s, &mut self.bio, &mut self.phrases);
            }
            for c in [
                user.statuses_count(),
                user.followers_count(),
                user.friends_count(),
                user.listed_count(),
            ]
            .into_iter()
            .flatten()
            {
                self.counts.push(c);
            }
            for g in user.profile_geo() {
                for s in [g.country_code, g.region, g.locality, g.sub_region]
                    .into_iter()
                    .flatten()
                {
                    self.profile.push(s.to_string());
                }
                self.points.extend(g.point.map(|p| (p.lon, p.lat)));
            }
        }
        // The retweeted original's id, also when `includes` does not expand it.
        self.status_ids.extend(post.retweeted_status_id());
        self.langs.extend(post.lang().map(str::to_string));
        if let Some(s) = post.source() {
            self.sources.extend(s.name.map(str::to_string));
            self.sources.extend(s.url.map(str::to_string));
        }
        if let Some(p) = post.place() {
            for s in [p.name, p.full_name, p.id].into_iter().flatten() {
                self.places.push(s.to_string());
            }
            self.countries.extend(p.country_code.map(str::to_string));
            if let Some(b) = p.bounding_box {
                self.points.push((b.west, b.south));
                self.points
                    .push(((b.west + b.east) / 2.0, (b.south + b.north) / 2.0));
            }
        }
        if let Some(c) = post.coordinates() {
            self.points.push((c.lon, c.lat));
        }
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn pick<'a, T>(u: &mut Unstructured<'_>, items: &'a [T]) -> Result<Option<&'a T>> {
    Ok(if items.is_empty() {
        None
    } else {
        Some(u.choose(items)?)
    })
}

/// A piece of `s` (whole, a char range, or case-changed).
fn piece(u: &mut Unstructured<'_>, s: &str) -> Result<String> {
    let chars: Vec<char> = s.chars().collect();
    Ok(match u.int_in_range(0..=3)? {
        0 if !chars.is_empty() => {
            let a = u.int_in_range(0..=chars.len() - 1)?;
            let b = u.int_in_range(a + 1..=chars.len())?;
            chars[a..b].iter().collect()
        }
        1 => s.to_uppercase(),
        _ => s.to_string(),
    })
}

fn bare_or_quoted(s: &str) -> String {
    if !s.is_empty() && s.chars().all(char::is_alphanumeric) {
        s.to_string()
    } else {
        quote(s)
    }
}

/// One clause from the pool (or an arbitrary expression).
fn clause(u: &mut Unstructured<'_>, pool: &Pool) -> Result<String> {
    let c = match u.int_in_range(0..=31)? {
        0..=5 => pick(u, &pool.words)?
            .map(|w| piece(u, w))
            .transpose()?
            .map(|w| bare_or_quoted(&w)),
        6 => pick(u, &pool.phrases)?.map(|p| quote(p)),
        7 => {
            let (a, b) = (
                pick(u, &pool.words)?.cloned(),
                pick(u, &pool.words)?.cloned(),
            );
            let n = u.int_in_range(1..=6)?;
            a.zip(b)
                .map(|(a, b)| format!("{}~{n}", quote(&format!("{a} {b}"))))
        }
        8 => pick(u, &pool.hashtags)?
            .map(|h| piece(u, h))
            .transpose()?
            .map(|h| format!("#{}", h.replace(' ', ""))),
        9 => pick(u, &pool.cashtags)?.map(|h| format!("${h}")),
        10 => pick(u, &pool.users)?.map(|h| format!("@{h}")),
        11 | 12 => {
            let op = *u.choose(&["from:", "to:", "retweets_of:", "@"])?;
            if u.arbitrary()? {
                pick(u, &pool.users)?.map(|n| format!("{op}{n}"))
            } else {
                pick(u, &pool.ids)?.map(|n| format!("{op}{n}"))
            }
        }
        13 => pick(u, &pool.words)?
            .map(|w| piece(u, w))
            .transpose()?
            .map(|w| format!("contains:{}", quote(&w))),
        14 | 15 => {
            let op = *u.choose(&["url:", "url_contains:", "url_title:", "url_description:"])?;
            let src = if op.starts_with("url_t") || op.starts_with("url_d") {
                &pool.bio
            } else {
                &pool.urls
            };
            pick(u, src)?
                .map(|w| piece(u, w))
                .transpose()?
                .map(|w| format!("{op}{}", quote(&w)))
        }
        16 => {
            let op = *u.choose(&["bio:", "bio_name:", "bio_location:"])?;
            pick(u, &pool.bio)?.map(|w| format!("{op}{}", bare_or_quoted(w)))
        }
        17 => {
            let op = *u.choose(&[
                "statuses_count:",
                "followers_count:",
                "friends_count:",
                "listed_count:",
            ])?;
            pick(u, &pool.counts)?.copied().map(|c| {
                let lo = c.saturating_sub(u.int_in_range(0..=2).unwrap_or(0));
                if u.arbitrary().unwrap_or(false) {
                    format!("{op}{lo}..{}", c.saturating_add(1))
                } else {
                    format!("{op}{lo}")
                }
            })
        }
        18 => Some(match pick(u, &pool.langs)? {
            Some(l) if u.arbitrary()? => format!("lang:{}", l.to_lowercase()),
            _ => format!("lang:{}", u.choose(LANGS)?),
        }),
        19 => Some(
            (*u.choose(&[
                "has:links",
                "has:mentions",
                "has:hashtags",
                "has:media",
                "has:images",
                "has:videos",
                "has:geo",
                "has:symbols",
                "has:profile_geo",
                "has:lang",
                "is:retweet",
                "is:reply",
                "is:quote",
                "is:verified",
                "is:nullcast",
            ])?)
            .to_string(),
        ),
        20 => Some(format!("sample:{}", u.int_in_range(1..=100)?)),
        21 => pick(u, &pool.sources)?.map(|s| format!("source:{}", quote(s))),
        22 => {
            let op = *u.choose(&["place:", "place_country:"])?;
            let src = if op == "place:" {
                &pool.places
            } else {
                &pool.countries
            };
            pick(u, src)?.map(|s| format!("{op}{}", quote(s)))
        }
        23 | 24 => pick(u, &pool.points)?
            .copied()
            .map(|(lon, lat)| -> Result<String> {
                let op = *u.choose(&[
                    "point_radius:",
                    "bounding_box:",
                    "profile_point_radius:",
                    "profile_bounding_box:",
                ])?;
                let (dx, dy) = (
                    f64::from(u.int_in_range(-20i32..=20)?) / 100.0,
                    f64::from(u.int_in_range(-20i32..=20)?) / 100.0,
                );
                Ok(if op.contains("radius") {
                    format!(
                        "{op}[{:.5} {:.5} {}{}]",
                        lon + dx,
                        lat + dy,
                        u.int_in_range(1..=24)?,
                        u.choose(&["mi", "km"])?
                    )
                } else {
                    let (w, s) = (lon - dx.abs() - 0.01, lat - dy.abs() - 0.01);
                    format!("{op}[{w:.5} {s:.5} {:.5} {:.5}]", w + 0.2, s + 0.2)
                })
            })
            .transpose()?,
        25 => {
            let op = *u.choose(&[
                "profile_country:",
                "profile_region:",
                "profile_locality:",
                "profile_subregion:",
            ])?;
            pick(u, &pool.profile)?.map(|s| format!("{op}{}", quote(s)))
        }
        26 => {
            let op = *u.choose(&["retweets_of_status_id:", "in_reply_to_status_id:"])?;
            pick(u, &pool.status_ids)?.map(|n| format!("{op}{n}"))
        }
        27 => Some(bare_or_quoted(u.choose(VOCAB)?)),
        _ => Some(format!("({})", u.arbitrary::<Expr>()?)),
    };
    Ok(c.unwrap_or_else(|| "snow".to_string()))
}

/// A rule: a conjunction of 1–3 clauses (some negated), an OR of groups, or a negated group.
fn rule(u: &mut Unstructured<'_>, pool: &Pool) -> Result<String> {
    let conj = |u: &mut Unstructured<'_>| -> Result<String> {
        let mut items = vec![clause(u, pool)?];
        for _ in 0..u.int_in_range(0..=2)? {
            let c = clause(u, pool)?;
            items.push(if u.ratio(1, 3)? { format!("-{c}") } else { c });
        }
        Ok(items.join(" "))
    };
    Ok(match u.int_in_range(0..=4)? {
        0 => format!("({}) OR ({})", conj(u)?, conj(u)?),
        1 => format!(
            "{} -({} OR {})",
            clause(u, pool)?,
            clause(u, pool)?,
            clause(u, pool)?
        ),
        2 => format!("{} OR {}", conj(u)?, clause(u, pool)?),
        3 => format!("{}", u.arbitrary::<Expr>()?),
        _ => conj(u)?,
    })
}

/// The rules: from `u`, or, when it is spent (a bare real-post seed), a fixed spread over the
/// pool so a seed still yields matching rules.
fn rules(u: &mut Unstructured<'_>, pool: &Pool) -> Vec<(u64, Option<String>, Rule)> {
    let mut out = Vec::new();
    let mut texts = Vec::new();
    if u.is_empty() {
        for (i, w) in pool
            .words
            .iter()
            .step_by(pool.words.len() / 8 + 1)
            .enumerate()
        {
            texts.push(bare_or_quoted(w));
            if let Some(p) = pool.phrases.get(i * 3) {
                texts.push(quote(p));
            }
        }
        texts.extend(pool.hashtags.iter().take(2).map(|h| format!("#{h}")));
        texts.extend(
            pool.users
                .iter()
                .take(2)
                .map(|h| format!("from:{h} OR @{h}")),
        );
        texts.truncate(16);
    } else {
        let n = u.int_in_range(1..=16).unwrap_or(1);
        for _ in 0..n {
            match rule(u, pool) {
                Ok(t) => texts.push(t),
                Err(_) => break,
            }
        }
    }
    for text in texts {
        if let Ok(r) = Rule::parse(&text) {
            let id = if u.ratio(1, 4).unwrap_or(false) {
                u.arbitrary().unwrap_or(0)
            } else {
                out.len() as u64 + 1
            };
            if out.iter().all(|(i, _, _)| *i != id) {
                let tag = u.ratio(1, 2).unwrap_or(false).then(|| text.clone());
                out.push((id, tag, r));
            }
        }
    }
    out
}

fn check(
    set: &RuleSet,
    book: &RuleBook,
    line: &[u8],
    scratch: &mut Scratch,
    matches: &mut Matches,
) {
    let mut parser = Parser::new();
    let parsed = parser.parse(line);
    let got = set.match_line(line, scratch, matches);
    match parsed {
        Ok(Line::Post(post)) => {
            assert_eq!(
                got.as_ref().ok(),
                Some(&None),
                "match_line disagrees with the parser"
            );
            let want = book.matching_ids(&post);
            let ids: Vec<u64> = matches.ids().collect();
            assert_eq!(
                ids,
                want,
                "compiled (left) != reference (right)\nrules: {:#?}\nline: {}",
                book.rules()
                    .iter()
                    .map(|(i, r)| format!("{i}: {r}"))
                    .collect::<Vec<_>>(),
                String::from_utf8_lossy(line)
            );
            assert_eq!(matches.rules(set).map(|m| m.id).collect::<Vec<_>>(), want);
            set.match_post(&post, scratch, matches);
            assert_eq!(matches.ids().collect::<Vec<_>>(), want, "match_post");
        }
        Ok(Line::Skipped(kind)) => assert_eq!(got.ok(), Some(Some(kind))),
        Err(e) => {
            let g = got.expect_err("match_line accepted a line the parser refused");
            assert_eq!(g.offset(), e.offset());
            assert!(matches.is_empty());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (line, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let mut u = Unstructured::new(rest);

    // The line's own words feed the built post's texts.
    let lossy = String::from_utf8_lossy(line);
    let extra: Vec<String> = lossy
        .split_whitespace()
        .take(32)
        .map(str::to_string)
        .collect();

    let mut lines = vec![line.to_vec()];
    if !u.is_empty()
        && let Ok(spec) = post_spec(&mut u, &extra)
    {
        let flip = u.arbitrary().unwrap_or(false);
        let v = match u.int_in_range(0..=2u8).unwrap_or(0) {
            0 => native(&spec, flip),
            1 => activity(&spec, flip),
            _ => {
                // Each gap a quarter of the time.
                let gaps = u.arbitrary::<u8>().unwrap_or(0) & u.arbitrary::<u8>().unwrap_or(0);
                v2(&spec, flip, gaps)
            }
        };
        let built = serde_json::to_vec(&v).expect("serialises");
        let mut p = Parser::new();
        assert!(
            matches!(p.parse(&built), Ok(Line::Post(_))),
            "a built post must parse: {}",
            String::from_utf8_lossy(&built)
        );
        lines.push(built);
    }

    let mut pool = Pool::default();
    let mut parser = Parser::new();
    for l in &lines {
        if let Ok(Line::Post(post)) = parser.parse(l) {
            pool.harvest(&post);
        }
    }
    let rules = rules(&mut u, &pool);
    if rules.is_empty() {
        return;
    }
    let mut b = RuleSetBuilder::new();
    for (id, tag, r) in &rules {
        b.add(*id, tag.as_deref(), r.clone());
    }
    let set = b.build().expect("distinct ids, valid rules");
    let book = RuleBook::new(rules.into_iter().map(|(id, _, r)| (id, r)));

    let mut scratch = Scratch::new();
    let mut matches = Matches::new();
    // Each line twice, the scratch reused: state from one post must not leak into the next.
    for l in lines.iter().chain(lines.iter().rev()) {
        check(&set, &book, l, &mut scratch, &mut matches);
    }
});
