//! API v2 posts: `{"data": {…}, "includes": {"users", "tweets", "places", "media"}}`, with
//! `referenced_tweets` for retweets, quotes and replies and `note_tweet` for long posts.
//!
//! What a post is (retweet, quote, reply) and the ids it refers to come from the tweet object
//! alone: X does not always expand a referenced post in `includes.tweets`, nor a media key in
//! `includes.media`, nor a user in `includes.users`. What needs the referenced object's content
//! (the retweeted original's text and author, a media item's type, a replied-to user's name)
//! is read from `includes` when it is there and is absent otherwise.

use super::entities::{lon_lat, sref, tag_list};
use super::error::IngestErrorKind;
use super::scratch::{
    MediaData, MentionData, PartData, PlaceData, Scratch, Span, StrRef, UrlData, UserData, mark,
};
use super::tape::{Nodes, bool_at, entries, get, is_object, items, objects, str_at, u64_at};
use super::values::{BoundingBox, MediaKind, Role};

/// The `includes` arrays.
#[derive(Default, Clone, Copy)]
struct Includes {
    users: Option<usize>,
    tweets: Option<usize>,
    places: Option<usize>,
    media: Option<usize>,
}

/// What a tweet object refers to.
#[derive(Default)]
struct Refs {
    retweeted: Option<u64>,
    quoted: Option<u64>,
}

/// Extracts the post at tape node 0 (whose `data` is an object: the classifier checked).
pub(crate) fn extract(nodes: Nodes<'_, '_>, sc: &mut Scratch) -> Result<(), IngestErrorKind> {
    let (mut data, mut inc) = (None, Includes::default());
    for (k, v) in entries(nodes, 0) {
        match k {
            "data" => data = Some(v),
            "includes" => {
                for (k, v) in entries(nodes, v) {
                    match k {
                        "users" => inc.users = Some(v),
                        "tweets" => inc.tweets = Some(v),
                        "places" => inc.places = Some(v),
                        "media" => inc.media = Some(v),
                        _ => {}
                    }
                }
            }
            "matching_rules" => sc.root.matching_rules = true,
            _ => {}
        }
    }
    let data = data.ok_or(IngestErrorKind::MissingId)?;
    let (root, refs) = tweet(nodes, data, Role::Root, inc, sc, true)?;
    sc.parts.push(root);
    // A retweet whether or not `includes.tweets` expands the original.
    sc.root.retweeted_status_id = refs.retweeted;
    let mut quoted = refs.quoted;
    if let Some(rt) = refs.retweeted.and_then(|id| find(nodes, inc.tweets, id))
        && let Ok((part, inner)) = tweet(nodes, rt, Role::Retweeted, inc, sc, false)
    {
        sc.parts.push(part);
        quoted = quoted.or(inner.quoted);
    }
    if let Some(q) = quoted.and_then(|id| find(nodes, inc.tweets, id))
        && let Ok((part, inner)) = tweet(nodes, q, Role::Quoted, inc, sc, false)
    {
        sc.parts.push(part);
        if let Some(qq) = inner.quoted.and_then(|id| find(nodes, inc.tweets, id))
            && let Ok((part, _)) = tweet(nodes, qq, Role::QuotedQuoted, inc, sc, false)
        {
            sc.parts.push(part);
        }
    }
    Ok(())
}

/// The object with `"id": id` in the array `list`.
fn find(nodes: Nodes<'_, '_>, list: Option<usize>, id: u64) -> Option<usize> {
    items(nodes, list?).find(|&o| get(nodes, o, "id").and_then(|v| u64_at(nodes, v)) == Some(id))
}

fn tweet(
    nodes: Nodes<'_, '_>,
    obj: usize,
    role: Role,
    inc: Includes,
    sc: &mut Scratch,
    root: bool,
) -> Result<(PartData, Refs), IngestErrorKind> {
    if !is_object(nodes, obj) {
        return Err(IngestErrorKind::MissingId);
    }
    let mut part = PartData::new(role);
    let mut refs = Refs::default();
    let (mut id, mut text, mut note, mut ents, mut author, mut media_keys) =
        (None, None, None, None, None, None);
    for (k, v) in entries(nodes, obj) {
        match k {
            "id" => id = u64_at(nodes, v),
            "text" => text = Some(v),
            "note_tweet" => note = Some(v),
            "entities" => ents = Some(v),
            "author_id" => author = u64_at(nodes, v),
            "attachments" => media_keys = get(nodes, v, "media_keys"),
            "in_reply_to_user_id" => part.in_reply_to_user_id = u64_at(nodes, v),
            "referenced_tweets" => {
                for r in items(nodes, v) {
                    let (mut kind, mut rid) = (None, None);
                    for (k, v) in entries(nodes, r) {
                        match k {
                            "type" => kind = str_at(nodes, v),
                            "id" => rid = u64_at(nodes, v),
                            _ => {}
                        }
                    }
                    match kind {
                        Some("retweeted") => refs.retweeted = rid,
                        Some("quoted") => refs.quoted = rid,
                        Some("replied_to") => part.in_reply_to_status_id = rid,
                        _ => {}
                    }
                }
            }
            "lang" if root => sc.root.lang = sref(nodes, v),
            "source" if root => sc.root.source_name = sref(nodes, v),
            "geo" if root => geo(nodes, v, inc, sc),
            _ => {}
        }
    }
    part.id = id.ok_or(IngestErrorKind::MissingId)?;
    part.is_quote_status = refs.quoted.is_some();

    // A long post's `note_tweet` holds the full text and its entities.
    let (mut note_text, mut note_ents) = (None, None);
    if let Some(n) = note {
        note_text = get(nodes, n, "text");
        note_ents = get(nodes, n, "entities");
    }
    match [note_text, text]
        .into_iter()
        .flatten()
        .find(|&t| str_at(nodes, t).is_some())
    {
        Some(t) => part.text = StrRef::whole(t),
        None if root => return Err(IngestErrorKind::MissingText),
        None => {}
    }
    entities(nodes, note_ents.or(ents), media_keys, inc, sc, &mut part);

    match author {
        Some(uid) => part.author = user(nodes, uid, inc, sc),
        None if root => return Err(IngestErrorKind::MissingUser),
        None => {}
    }
    if let Some(uid) = part.in_reply_to_user_id
        && let Some(u) = find(nodes, inc.users, uid)
        && let Some(n) = get(nodes, u, "username")
    {
        part.in_reply_to_screen_name = sref(nodes, n);
    }
    Ok((part, refs))
}

/// v2 `entities` (`hashtags[].tag`, `cashtags[].tag`, `mentions[].username`/`id`, `urls`), and
/// the media: the keys of `attachments.media_keys`, then those of URL entities that
/// `attachments` does not list, each resolved in `includes.media`. URL entities that carry a
/// `media_key` are media links, as in v1.1 (where they are in `entities.media`, not
/// `entities.urls`): X's own media whether or not `attachments` lists them.
fn entities(
    nodes: Nodes<'_, '_>,
    ents: Option<usize>,
    media_keys: Option<usize>,
    inc: Includes,
    sc: &mut Scratch,
    part: &mut PartData,
) {
    let (mut hashtags, mut cashtags, mut mentions, mut urls) = (None, None, None, None);
    if let Some(e) = ents {
        for (k, v) in entries(nodes, e) {
            match k {
                "hashtags" => hashtags = Some(v),
                "cashtags" => cashtags = Some(v),
                "mentions" => mentions = Some(v),
                "urls" => urls = Some(v),
                _ => {}
            }
        }
    }
    part.hashtags = tag_list(nodes, hashtags, "tag", sc);
    part.cashtags = tag_list(nodes, cashtags, "tag", sc);

    let start = mark(&sc.mentions);
    if let Some(list) = mentions {
        for m in objects(nodes, list) {
            let mut d = MentionData::default();
            for (k, v) in entries(nodes, m) {
                match k {
                    "username" => d.screen_name = sref(nodes, v),
                    "id" => d.id = u64_at(nodes, v),
                    _ => {}
                }
            }
            sc.mentions.push(d);
        }
    }
    part.mentions = Span {
        start,
        end: mark(&sc.mentions),
    };

    let start = mark(&sc.urls);
    let media_start = mark(&sc.media);
    if let Some(list) = urls {
        for u in objects(nodes, list) {
            if media_key_of(nodes, u).is_some() {
                continue;
            }
            let mut d = UrlData::default();
            for (k, v) in entries(nodes, u) {
                match k {
                    "url" => d.url = sref(nodes, v),
                    "expanded_url" => d.expanded_url = sref(nodes, v),
                    "display_url" => d.display_url = sref(nodes, v),
                    "unwound_url" => d.unwound_url = sref(nodes, v),
                    "title" => d.unwound_title = sref(nodes, v),
                    "description" => d.unwound_description = sref(nodes, v),
                    _ => {}
                }
            }
            sc.urls.push(d);
        }
    }
    part.urls = Span {
        start,
        end: mark(&sc.urls),
    };

    let listed = |key: &str| {
        media_keys.is_some_and(|keys| items(nodes, keys).any(|k| str_at(nodes, k) == Some(key)))
    };
    if let Some(keys) = media_keys {
        for key in items(nodes, keys) {
            let Some(key) = str_at(nodes, key) else {
                continue;
            };
            let link = urls.and_then(|list| {
                objects(nodes, list).find(|&u| media_key_of(nodes, u) == Some(key))
            });
            sc.media.push(media(nodes, key, link, inc));
        }
    }
    if let Some(list) = urls {
        for (i, u) in objects(nodes, list).enumerate() {
            let Some(key) = media_key_of(nodes, u) else {
                continue;
            };
            // Once per key: skip those `attachments` listed, and repeats.
            if listed(key)
                || objects(nodes, list)
                    .take(i)
                    .any(|e| media_key_of(nodes, e) == Some(key))
            {
                continue;
            }
            sc.media.push(media(nodes, key, Some(u), inc));
        }
    }
    part.media = Span {
        start: media_start,
        end: mark(&sc.media),
    };
}

/// The `media_key` string of a URL entity: set on links to X's own media.
fn media_key_of<'p>(nodes: Nodes<'_, 'p>, url: usize) -> Option<&'p str> {
    get(nodes, url, "media_key").and_then(|v| str_at(nodes, v))
}

/// The media item of `key`: its kind from `includes.media` ([`MediaKind::Unknown`] when it is
/// not there or has no type), its links from the URL entity `link` that carries the key.
fn media(nodes: Nodes<'_, '_>, key: &str, link: Option<usize>, inc: Includes) -> MediaData {
    let mut d = MediaData {
        kind: MediaKind::Unknown,
        url: StrRef::NONE,
        expanded_url: StrRef::NONE,
        display_url: StrRef::NONE,
    };
    if let Some(m) = inc.media.and_then(|list| {
        objects(nodes, list)
            .find(|&m| get(nodes, m, "media_key").and_then(|v| str_at(nodes, v)) == Some(key))
    }) && let Some(t) = get(nodes, m, "type").and_then(|t| str_at(nodes, t))
    {
        d.kind = MediaKind::from_type(t);
    }
    if let Some(u) = link {
        for (k, v) in entries(nodes, u) {
            match k {
                "url" => d.url = sref(nodes, v),
                "expanded_url" => d.expanded_url = sref(nodes, v),
                "display_url" => d.display_url = sref(nodes, v),
                _ => {}
            }
        }
    }
    d
}

/// The user `uid` from `includes.users` (only the id when it is not included).
fn user(nodes: Nodes<'_, '_>, uid: u64, inc: Includes, sc: &Scratch) -> UserData {
    let mut d = UserData {
        id: Some(uid),
        ..UserData::default()
    };
    let at = mark(&sc.profile_geo);
    d.profile_geo = Span { start: at, end: at };
    let Some(u) = find(nodes, inc.users, uid) else {
        return d;
    };
    for (k, v) in entries(nodes, u) {
        match k {
            "username" => d.screen_name = sref(nodes, v),
            "name" => d.name = sref(nodes, v),
            "description" => d.description = sref(nodes, v),
            "location" => d.location = sref(nodes, v),
            "verified" => d.verified = bool_at(nodes, v).unwrap_or(false),
            "public_metrics" => {
                for (k, v) in entries(nodes, v) {
                    match k {
                        "tweet_count" => d.statuses_count = u64_at(nodes, v),
                        "followers_count" => d.followers_count = u64_at(nodes, v),
                        "following_count" => d.friends_count = u64_at(nodes, v),
                        "listed_count" => d.listed_count = u64_at(nodes, v),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    d
}

/// `data.geo`: `coordinates.coordinates` (`[lon, lat]`) and `place_id` resolved in
/// `includes.places`.
fn geo(nodes: Nodes<'_, '_>, g: usize, inc: Includes, sc: &mut Scratch) {
    for (k, v) in entries(nodes, g) {
        match k {
            "coordinates" => {
                sc.root.coordinates = get(nodes, v, "coordinates").and_then(|c| lon_lat(nodes, c));
            }
            "place_id" => {
                let Some(pid) = str_at(nodes, v) else {
                    continue;
                };
                let mut p = PlaceData {
                    id: StrRef::whole(v),
                    ..PlaceData::default()
                };
                let found = inc.places.and_then(|list| {
                    items(nodes, list)
                        .find(|&o| get(nodes, o, "id").and_then(|i| str_at(nodes, i)) == Some(pid))
                });
                if let Some(o) = found {
                    for (k, v) in entries(nodes, o) {
                        match k {
                            "name" => p.name = sref(nodes, v),
                            "full_name" => p.full_name = sref(nodes, v),
                            "country_code" => p.country_code = sref(nodes, v),
                            "geo" => {
                                p.bounding_box = get(nodes, v, "bbox").and_then(|b| bbox(nodes, b));
                            }
                            _ => {}
                        }
                    }
                }
                sc.root.place = Some(p);
            }
            _ => {}
        }
    }
}

/// A v2 `bbox`: `[west, south, east, north]`.
fn bbox(nodes: Nodes<'_, '_>, b: usize) -> Option<BoundingBox> {
    let mut it = items(nodes, b).map(|i| super::tape::f64_at(nodes, i));
    let (west, south, east, north) = (it.next()??, it.next()??, it.next()??, it.next()??);
    Some(BoundingBox {
        west,
        south,
        east,
        north,
    })
}
