//! `ingest`: no bytes make the post parser panic, and every accessor of every view it returns
//! works. The first byte chooses the input:
//! - raw (`0x00..=0x7f`): the rest as is. Seeded with real tweets (see fuzz/README.md),
//!   libFuzzer's mutations are JSON mutations of real posts;
//! - skeleton (`0x80..=0xff`): `Unstructured` fills a JSON skeleton of one of the three formats
//!   (v1.1 native, Activity Streams, v2 with `includes`; retweets, quotes, long posts, entities,
//!   users, places, geo, compliance messages) with arbitrary field values: the right type with
//!   arbitrary content most of the time, any JSON value otherwise, keys dropped or repeated,
//!   strings with escapes (`\uXXXX`, surrogate pairs, lone surrogates), numbers at the edges
//!   of u64/i64/f64, arbitrary whitespace; some lines are cut short.
//!
//! Either way the input is split into lines that one reused parser reads in turn, so buffer
//! reuse across posts of every shape is exercised too.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use powertrack::post::{Line, Parser, Post};

fn touch(post: &Post<'_>) -> u64 {
    // Wrapping sums: ids are arbitrary u64s.
    let mut n = std::num::Wrapping(post.id()) + std::num::Wrapping(u64::from(post.sample_bucket()));
    let mut add = |x: usize| n += std::num::Wrapping(x as u64);
    add(post.lang().map_or(0, str::len));
    add(post.source().map_or(0, |s| {
        s.name.map_or(0, str::len) + s.url.map_or(0, str::len)
    }));
    if let Some(p) = post.place() {
        add(p.id.map_or(0, str::len) + p.full_name.map_or(0, str::len));
        add(usize::from(p.bounding_box.is_some()));
    }
    add(usize::from(post.coordinates().is_some()) + usize::from(post.is_nullcast()));
    add(usize::from(post.has_matching_rules()));
    // A retweet by its own word, whether or not it carries the original.
    assert_eq!(post.is_retweet(), post.retweeted_status_id().is_some());
    assert!(post.retweeted().is_none() || post.is_retweet());
    assert_eq!(
        post.kind() == powertrack::post::Kind::Retweet,
        post.is_retweet()
    );
    add(post.retweeted_status_id().map_or(0, |id| id as usize));
    let _ = format!("{post:?}");
    for part in post.parts() {
        add(part.text().len());
        add(part.id() as usize);
        add(part.hashtags().map(str::len).sum::<usize>());
        add(part.cashtags().map(str::len).sum::<usize>());
        add(part
            .mentions()
            .map(|m| m.screen_name.map_or(0, str::len))
            .sum::<usize>());
        for u in part.urls() {
            add(u.url.map_or(0, str::len) + u.expanded_url.map_or(0, str::len));
            add(u.unwound_title.map_or(0, str::len));
        }
        for m in part.media() {
            add(m.kind as usize + m.url.map_or(0, str::len));
        }
        add(part.in_reply_to_screen_name().map_or(0, str::len));
        let user = part.author();
        add(user.screen_name().map_or(0, str::len) + user.description().map_or(0, str::len));
        add(user
            .profile_geo()
            .map(|g| g.region.map_or(0, str::len))
            .sum::<usize>());
        let _ = format!("{part:?} {user:?}");
    }
    n.0
}

/// A JSON value to write; `Raw` is written as is (numbers, literals, broken pieces).
enum J {
    Raw(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

const KEYS: &[&str] = &[
    "id",
    "id_str",
    "text",
    "full_text",
    "extended_tweet",
    "user",
    "entities",
    "extended_entities",
    "retweeted_status",
    "quoted_status",
    "data",
    "includes",
    "referenced_tweets",
    "note_tweet",
    "actor",
    "verb",
    "object",
    "long_object",
    "twitter_quoted_status",
    "gnip",
    "matching_rules",
    "place",
    "place_id",
    "places",
    "geo",
    "coordinates",
    "bbox",
    "lang",
    "source",
    "delete",
    "limit",
    "hashtags",
    "symbols",
    "cashtags",
    "user_mentions",
    "mentions",
    "urls",
    "media",
    "screen_name",
    "username",
    "description",
    "location",
    "derived",
    "locations",
    "type",
    "unwound",
    "expanded_url",
    "unwound_url",
    "title",
    "tag",
    "body",
    "twitter_entities",
];
const WORDS: &[&str] = &[
    "snow",
    "Snow day",
    "#snow",
    "@jack",
    "$TSLA",
    "café",
    "中文",
    "🍕👍🏽",
    "https://t.co/x",
    "\u{2028}",
    "a\"b",
    "back\\slash",
    "en",
    "und",
    "photo",
    "video",
    "animated_gif",
    "Point",
    "Polygon",
    "retweeted",
    "quoted",
    "replied_to",
    "post",
    "share",
    "US",
    "Twitter for iPhone",
    "<a href=\"http://x\" rel=\"nofollow\">X</a>",
    "tag:search.twitter.com,2005:1",
    "id:twitter.com:2",
    "",
];
const NUMS: &[&str] = &[
    "0",
    "1",
    "-1",
    "9007199254740993",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "1e308",
    "1e309",
    "-0.0",
    "0.5",
    "1E+2",
    "00",
    "1.",
    "-",
    "2.5e-324",
];

fn string(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => u.arbitrary::<&str>()?.to_string(),
        1 => u.arbitrary::<u64>()?.to_string(),
        _ => (*u.choose(WORDS)?).to_string(),
    })
}

fn num(u: &mut Unstructured<'_>) -> Result<J> {
    Ok(J::Raw(match u.int_in_range(0..=3u8)? {
        0 => u.arbitrary::<u64>()?.to_string(),
        1 => u.arbitrary::<i64>()?.to_string(),
        2 => format!("{:?}", u.arbitrary::<f64>()?)
            .replace("inf", "1e999")
            .replace("NaN", "0"),
        _ => (*u.choose(NUMS)?).to_string(),
    }))
}

/// Any JSON value, shallow.
fn any(u: &mut Unstructured<'_>, depth: u32) -> Result<J> {
    Ok(match u.int_in_range(0..=7u8)? {
        0 => J::Raw((*u.choose(&["null", "true", "false", "nul", "[]", "{}", "\"", "[{"])?).into()),
        1 | 2 => num(u)?,
        3 if depth < 3 => J::Arr(
            (0..u.int_in_range(0..=3)?)
                .map(|_| any(u, depth + 1))
                .collect::<Result<_>>()?,
        ),
        4 if depth < 3 => J::Obj(
            (0..u.int_in_range(0..=3)?)
                .map(|_| Ok(((*u.choose(KEYS)?).to_string(), any(u, depth + 1)?)))
                .collect::<Result<_>>()?,
        ),
        _ => J::Str(string(u)?),
    })
}

/// Field shapes of the skeletons.
#[derive(Clone, Copy)]
enum F {
    S,
    N,
    B,
    Id,
    O(&'static [(&'static str, F)]),
    A(&'static F),
    Sub,
}

fn val(u: &mut Unstructured<'_>, f: F, depth: u32) -> Result<J> {
    if u.ratio(1, 12)? {
        return any(u, depth);
    }
    Ok(match f {
        F::S => J::Str(string(u)?),
        F::N => num(u)?,
        F::B => J::Raw((*u.choose(&["true", "false", "null"])?).into()),
        F::Id => J::Str(match u.int_in_range(0..=3u8)? {
            0 => u.arbitrary::<u64>()?.to_string(),
            1 => string(u)?,
            _ => u.int_in_range(0..=1_000_000u64)?.to_string(),
        }),
        F::O(fields) => obj(u, fields, depth)?,
        F::A(item) => {
            let n = u.int_in_range(0..=3)?;
            J::Arr(
                (0..n)
                    .map(|_| val(u, *item, depth + 1))
                    .collect::<Result<_>>()?,
            )
        }
        F::Sub => {
            if depth >= 3 {
                J::Raw("null".into())
            } else {
                let fmt = *u.choose(&[NATIVE, AS, V2_DATA])?;
                obj(u, fmt, depth + 1)?
            }
        }
    })
}

fn obj(u: &mut Unstructured<'_>, fields: &[(&'static str, F)], depth: u32) -> Result<J> {
    let mut members = Vec::new();
    for &(k, f) in fields {
        match u.int_in_range(0..=15u8)? {
            0 | 1 => {} // dropped
            2 => {
                members.push((k.to_string(), val(u, f, depth)?));
                members.push((k.to_string(), val(u, f, depth)?));
            }
            3 => members.push(((*u.choose(KEYS)?).to_string(), any(u, depth)?)),
            _ => members.push((k.to_string(), val(u, f, depth)?)),
        }
    }
    if members.len() > 1 && u.ratio(1, 8)? {
        let i = u.choose_index(members.len())?;
        let last = members.len() - 1;
        members.swap(i, last);
    }
    Ok(J::Obj(members))
}

const INDICES: F = F::A(&F::N);
const HASHTAG: F = F::O(&[("text", F::S), ("indices", INDICES)]);
const MENTION: F = F::O(&[
    ("screen_name", F::S),
    ("id_str", F::Id),
    ("name", F::S),
    ("indices", INDICES),
]);
const UNWOUND: F = F::O(&[("url", F::S), ("title", F::S), ("description", F::S)]);
const URL: F = F::O(&[
    ("url", F::S),
    ("expanded_url", F::S),
    ("display_url", F::S),
    ("unwound", UNWOUND),
    ("expanded_url_title", F::S),
    ("expanded_url_description", F::S),
]);
const MEDIA: F = F::O(&[
    ("type", F::S),
    ("media_url", F::S),
    ("id_str", F::Id),
    ("media_key", F::S),
]);
const ENTITIES: F = F::O(&[
    ("hashtags", F::A(&HASHTAG)),
    ("symbols", F::A(&HASHTAG)),
    ("user_mentions", F::A(&MENTION)),
    ("urls", F::A(&URL)),
    ("media", F::A(&MEDIA)),
]);
const COORDS: F = F::O(&[("type", F::S), ("coordinates", F::A(&F::N))]);
const BOX: F = F::O(&[("type", F::S), ("coordinates", F::A(&F::A(&F::A(&F::N))))]);
const PROFILE_GEO: F = F::O(&[
    ("country", F::S),
    ("country_code", F::S),
    ("countryCode", F::S),
    ("region", F::S),
    ("locality", F::S),
    ("sub_region", F::S),
    ("subRegion", F::S),
    ("full_name", F::S),
    ("geo", COORDS),
    (
        "address",
        F::O(&[
            ("country", F::S),
            ("countryCode", F::S),
            ("region", F::S),
            ("locality", F::S),
            ("subRegion", F::S),
        ]),
    ),
]);
const USER: F = F::O(&[
    ("id", F::N),
    ("id_str", F::Id),
    ("screen_name", F::S),
    ("name", F::S),
    ("description", F::S),
    ("location", F::S),
    ("followers_count", F::N),
    ("friends_count", F::N),
    ("statuses_count", F::N),
    ("listed_count", F::N),
    ("verified", F::B),
    ("lang", F::S),
    ("derived", F::O(&[("locations", F::A(&PROFILE_GEO))])),
]);
const PLACE: F = F::O(&[
    ("id", F::S),
    ("full_name", F::S),
    ("name", F::S),
    ("country", F::S),
    ("country_code", F::S),
    ("place_type", F::S),
    ("bounding_box", BOX),
]);
const RULES: F = F::A(&F::O(&[("tag", F::S), ("id", F::N), ("id_str", F::Id)]));
const NATIVE: &[(&str, F)] = &[
    ("created_at", F::S),
    ("id", F::N),
    ("id_str", F::Id),
    ("text", F::S),
    ("full_text", F::S),
    ("truncated", F::B),
    ("source", F::S),
    ("lang", F::S),
    (
        "extended_tweet",
        F::O(&[
            ("full_text", F::S),
            ("entities", ENTITIES),
            ("extended_entities", ENTITIES),
        ]),
    ),
    ("user", USER),
    ("entities", ENTITIES),
    ("extended_entities", ENTITIES),
    ("in_reply_to_status_id", F::N),
    ("in_reply_to_status_id_str", F::Id),
    ("in_reply_to_user_id_str", F::Id),
    ("in_reply_to_screen_name", F::S),
    ("place", PLACE),
    ("coordinates", COORDS),
    ("geo", COORDS),
    ("is_quote_status", F::B),
    ("retweeted_status", F::Sub),
    ("quoted_status", F::Sub),
    ("matching_rules", RULES),
];
const AS_ACTOR: F = F::O(&[
    ("id", F::S),
    ("preferredUsername", F::S),
    ("displayName", F::S),
    ("summary", F::S),
    ("location", F::O(&[("displayName", F::S)])),
    ("followersCount", F::N),
    ("friendsCount", F::N),
    ("statusesCount", F::N),
    ("listedCount", F::N),
    ("verified", F::B),
]);
const AS: &[(&str, F)] = &[
    ("id", F::S),
    ("objectType", F::S),
    ("verb", F::S),
    ("body", F::S),
    ("actor", AS_ACTOR),
    ("object", F::Sub),
    (
        "long_object",
        F::O(&[
            ("body", F::S),
            ("twitter_entities", ENTITIES),
            ("twitter_extended_entities", ENTITIES),
        ]),
    ),
    ("twitter_entities", ENTITIES),
    ("twitter_extended_entities", ENTITIES),
    ("twitter_lang", F::S),
    ("generator", F::O(&[("displayName", F::S), ("link", F::S)])),
    (
        "location",
        F::O(&[
            ("displayName", F::S),
            ("name", F::S),
            ("country_code", F::S),
            ("twitter_country_code", F::S),
            ("link", F::S),
            ("geo", BOX),
        ]),
    ),
    ("geo", COORDS),
    ("inReplyTo", F::O(&[("link", F::S)])),
    ("twitter_quoted_status", F::Sub),
    (
        "gnip",
        F::O(&[
            ("matching_rules", RULES),
            ("urls", F::A(&URL)),
            ("profileLocations", F::A(&PROFILE_GEO)),
            ("language", F::O(&[("value", F::S)])),
        ]),
    ),
];
const V2_ENTITIES: F = F::O(&[
    (
        "hashtags",
        F::A(&F::O(&[("tag", F::S), ("start", F::N), ("end", F::N)])),
    ),
    (
        "cashtags",
        F::A(&F::O(&[("tag", F::S), ("start", F::N), ("end", F::N)])),
    ),
    (
        "mentions",
        F::A(&F::O(&[("username", F::S), ("id", F::Id), ("start", F::N)])),
    ),
    (
        "urls",
        F::A(&F::O(&[
            ("url", F::S),
            ("expanded_url", F::S),
            ("unwound_url", F::S),
            ("title", F::S),
            ("description", F::S),
            ("media_key", F::S),
        ])),
    ),
]);
const V2_DATA: &[(&str, F)] = &[
    ("id", F::Id),
    ("text", F::S),
    ("author_id", F::Id),
    ("lang", F::S),
    ("source", F::S),
    ("entities", V2_ENTITIES),
    (
        "note_tweet",
        F::O(&[("text", F::S), ("entities", V2_ENTITIES)]),
    ),
    (
        "referenced_tweets",
        F::A(&F::O(&[("type", F::S), ("id", F::Id)])),
    ),
    ("attachments", F::O(&[("media_keys", F::A(&F::S))])),
    ("geo", F::O(&[("place_id", F::S), ("coordinates", COORDS)])),
    ("in_reply_to_user_id", F::Id),
];
const V2_USER: F = F::O(&[
    ("id", F::Id),
    ("username", F::S),
    ("name", F::S),
    ("description", F::S),
    ("location", F::S),
    (
        "public_metrics",
        F::O(&[
            ("followers_count", F::N),
            ("following_count", F::N),
            ("tweet_count", F::N),
            ("listed_count", F::N),
        ]),
    ),
]);
const V2: &[(&str, F)] = &[
    ("data", F::O(V2_DATA)),
    (
        "includes",
        F::O(&[
            ("users", F::A(&V2_USER)),
            ("tweets", F::A(&F::O(V2_DATA))),
            (
                "places",
                F::A(&F::O(&[
                    ("id", F::S),
                    ("full_name", F::S),
                    ("country", F::S),
                    ("country_code", F::S),
                    ("geo", F::O(&[("bbox", F::A(&F::N))])),
                ])),
            ),
            ("media", F::A(&F::O(&[("media_key", F::S), ("type", F::S)]))),
        ]),
    ),
    (
        "matching_rules",
        F::A(&F::O(&[("id", F::Id), ("tag", F::S)])),
    ),
];
const COMPLIANCE: &[(&str, F)] = &[
    (
        "delete",
        F::O(&[("status", F::O(&[("id_str", F::Id), ("user_id_str", F::Id)]))]),
    ),
    ("limit", F::O(&[("track", F::N)])),
    ("scrub_geo", F::O(&[("user_id_str", F::Id)])),
    ("status_withheld", F::O(&[("id", F::N)])),
    ("info", F::O(&[("message", F::S)])),
    ("error", F::O(&[("message", F::S)])),
    ("errors", F::A(&F::O(&[("title", F::S)]))),
];

fn ws(u: &mut Unstructured<'_>, out: &mut Vec<u8>) -> Result<()> {
    if u.ratio(1, 10)? {
        out.extend_from_slice(u.choose(&[
            &b" "[..],
            b"\t",
            b"  ",
            b"\r",
            b"\n",
            b"\x0c",
            b"\xc2\xa0",
        ])?);
    }
    Ok(())
}

fn write_str(u: &mut Unstructured<'_>, s: &str, out: &mut Vec<u8>) -> Result<()> {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
            }
            c if u.ratio(1, 16)? => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.extend_from_slice(format!("\\u{unit:04X}").as_bytes());
                }
            }
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
        if u.ratio(1, 64)? {
            out.extend_from_slice(u.choose(&[
                &b"\\/"[..],
                b"\\ud83d",
                b"\\ude00",
                b"\\ud83d\\ude00",
                b"\\u0000",
                b"\\x",
                b"\\",
                b"\\u12",
            ])?);
        }
    }
    out.push(b'"');
    Ok(())
}

fn write(u: &mut Unstructured<'_>, j: &J, out: &mut Vec<u8>) -> Result<()> {
    ws(u, out)?;
    match j {
        J::Raw(s) => out.extend_from_slice(s.as_bytes()),
        J::Str(s) => write_str(u, s, out)?,
        J::Arr(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(u, item, out)?;
            }
            out.push(b']');
        }
        J::Obj(members) => {
            out.push(b'{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                ws(u, out)?;
                write_str(u, k, out)?;
                ws(u, out)?;
                out.push(b':');
                write(u, v, out)?;
            }
            out.push(b'}');
        }
    }
    ws(u, out)
}

/// One to four lines of skeleton posts.
fn skeleton(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..u.int_in_range(1..=4)? {
        if i > 0 {
            out.push(b'\n');
        }
        let fields = *u.choose(&[NATIVE, NATIVE, AS, V2, COMPLIANCE])?;
        let post = obj(u, fields, 0)?;
        let start = out.len();
        write(u, &post, &mut out)?;
        if u.ratio(1, 16)? {
            let cut = u.int_in_range(start..=out.len())?;
            out.truncate(cut);
        }
    }
    Ok(out)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let built;
    let data = if mode < 0x80 {
        rest
    } else {
        match skeleton(&mut Unstructured::new(rest)) {
            Ok(b) => {
                built = b;
                &built[..]
            }
            Err(_) => return,
        }
    };
    const MAX: usize = 64 * 1024;
    let mut parser = Parser::with_max_line_len(MAX);
    // The whole input as one line, then line by line.
    if let Ok(Line::Post(post)) = parser.parse(data) {
        std::hint::black_box(touch(&post));
    }
    for line in data.split(|&b| b == b'\n') {
        match parser.parse(line) {
            Ok(Line::Post(post)) => {
                std::hint::black_box(touch(&post));
            }
            Ok(Line::Skipped(kind)) => {
                std::hint::black_box(kind);
            }
            Err(e) => {
                assert!(e.offset() <= line.len().max(MAX));
                std::hint::black_box(e.to_string());
            }
        }
    }
});
