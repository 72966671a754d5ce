//! Gnip Activity Streams posts: `actor`, `object`, `body`, `long_object`, `twitter_entities`,
//! `gnip`, `verb: share` for retweets and `twitter_quoted_status` for quotes.

use super::entities::{after_last, bounding_box, lon_lat, pair, sref, v11_entities, valid};
use super::error::IngestErrorKind;
use super::scratch::{PartData, PlaceData, ProfileGeoData, Scratch, Span, StrRef, UserData, mark};
use super::tape::{
    Nodes, bool_at, entries, get, is_object, items, objects, parse_u64, str_at, u64_at,
};
use super::values::{Point, Role};

#[derive(Default)]
struct Nested {
    retweeted: Option<usize>,
    quoted: Option<usize>,
    /// `gnip.urls`, applied once every part is read.
    unwound: Option<usize>,
}

/// Extracts the activity at tape node 0.
pub(crate) fn extract(nodes: Nodes<'_, '_>, sc: &mut Scratch) -> Result<(), IngestErrorKind> {
    let (root, nested) = activity(nodes, 0, Role::Root, sc, true)?;
    sc.parts.push(root);
    let mut unwound = [nested.unwound, None, None, None];
    let mut quoted = nested.quoted;
    if let Some(rt) = nested.retweeted
        && let Ok((part, inner)) = activity(nodes, rt, Role::Retweeted, sc, false)
    {
        sc.root.retweeted_status_id = Some(part.id);
        sc.parts.push(part);
        unwound[1] = inner.unwound;
        quoted = quoted.or(inner.quoted);
    }
    if let Some(q) = quoted
        && let Ok((part, inner)) = activity(nodes, q, Role::Quoted, sc, false)
    {
        sc.parts.push(part);
        unwound[2] = inner.unwound;
        if let Some(qq) = inner.quoted
            && let Ok((part, inner)) = activity(nodes, qq, Role::QuotedQuoted, sc, false)
        {
            sc.parts.push(part);
            unwound[3] = inner.unwound;
        }
    }
    for list in unwound.into_iter().flatten() {
        apply_unwound(nodes, list, sc);
    }
    Ok(())
}

/// The numeric id after the last `:` of an AS id (`tag:search.twitter.com,2005:N`,
/// `id:twitter.com:N`).
fn as_id(nodes: Nodes<'_, '_>, v: usize) -> Option<u64> {
    parse_u64(after_last(nodes, v, b':')?)
}

fn activity(
    nodes: Nodes<'_, '_>,
    obj: usize,
    role: Role,
    sc: &mut Scratch,
    root: bool,
) -> Result<(PartData, Nested), IngestErrorKind> {
    if !is_object(nodes, obj) {
        return Err(IngestErrorKind::MissingId);
    }
    let mut part = PartData::new(role);
    let mut nested = Nested::default();
    let (mut id, mut body, mut long_object, mut ents, mut ext_ents) =
        (None, None, None, None, None);
    let (mut actor, mut gnip, mut share, mut object) = (None, None, false, None);
    let r = &mut sc.root;
    for (k, v) in entries(nodes, obj) {
        match k {
            "id" => id = as_id(nodes, v),
            "body" => body = Some(v),
            "long_object" => long_object = Some(v),
            "twitter_entities" => ents = Some(v),
            "twitter_extended_entities" => ext_ents = Some(v),
            "actor" => actor = Some(v),
            "gnip" => gnip = Some(v),
            "verb" => share = str_at(nodes, v) == Some("share"),
            "object" => object = Some(v),
            "twitter_quoted_status" => {
                nested.quoted = is_object(nodes, v).then_some(v);
                part.is_quote_status = nested.quoted.is_some();
            }
            "inReplyTo" => {
                if let Some(link) = get(nodes, v, "link") {
                    reply_link(nodes, link, &mut part);
                }
            }
            "twitter_lang" if root => r.lang = sref(nodes, v),
            "generator" if root => {
                for (k, v) in entries(nodes, v) {
                    match k {
                        "displayName" => r.source_name = sref(nodes, v),
                        "link" => r.source_url = sref(nodes, v),
                        _ => {}
                    }
                }
            }
            "location" if root => r.place = place(nodes, v),
            "geo" if root => {
                // AS `geo` is `[lat, lon]`.
                r.coordinates = get(nodes, v, "coordinates")
                    .and_then(|c| pair(nodes, c))
                    .and_then(|(lat, lon)| valid(Point { lon, lat }));
            }
            _ => {}
        }
    }
    if share {
        nested.retweeted = object.filter(|&o| is_object(nodes, o));
    }
    part.id = id.ok_or(IngestErrorKind::MissingId)?;

    let (mut long_body, mut long_ents, mut long_ext) = (None, None, None);
    if let Some(l) = long_object {
        for (k, v) in entries(nodes, l) {
            match k {
                "body" => long_body = Some(v),
                "twitter_entities" => long_ents = Some(v),
                "twitter_extended_entities" => long_ext = Some(v),
                _ => {}
            }
        }
    }
    match [long_body, body]
        .into_iter()
        .flatten()
        .find(|&b| str_at(nodes, b).is_some())
    {
        Some(b) => part.text = StrRef::whole(b),
        None if root => return Err(IngestErrorKind::MissingText),
        None => {}
    }
    let entities = long_ents.or(ents);
    let media_from = long_ext.or(ext_ents).or(entities);
    v11_entities(nodes, entities, media_from, sc, &mut part);

    let (mut geo_start, mut geo_end) = (mark(&sc.profile_geo), mark(&sc.profile_geo));
    let mut unwound = None;
    if let Some(g) = gnip {
        for (k, v) in entries(nodes, g) {
            match k {
                "matching_rules" if root => sc.root.matching_rules = true,
                "profileLocations" => {
                    geo_start = mark(&sc.profile_geo);
                    for loc in objects(nodes, v) {
                        sc.profile_geo.push(profile_location(nodes, loc));
                    }
                    geo_end = mark(&sc.profile_geo);
                }
                "urls" => unwound = Some(v),
                _ => {}
            }
        }
    }
    nested.unwound = unwound;

    match actor.filter(|&a| is_object(nodes, a)) {
        Some(a) => {
            part.author = actor_user(nodes, a);
            part.author.profile_geo = Span {
                start: geo_start,
                end: geo_end,
            };
        }
        None if root => return Err(IngestErrorKind::MissingUser),
        None => {}
    }
    Ok((part, nested))
}

/// `http://twitter.com/NAME/statuses/N` → reply screen name and status id.
fn reply_link(nodes: Nodes<'_, '_>, link: usize, part: &mut PartData) {
    let Some(s) = str_at(nodes, link) else {
        return;
    };
    part.in_reply_to_status_id = after_last(nodes, link, b'/').and_then(parse_u64);
    if let Some(st) = s.find("/statuses/").or_else(|| s.find("/status/")) {
        let head = &s[..st];
        let start = head.rfind('/').map_or(0, |p| p + 1);
        if start < st {
            part.in_reply_to_screen_name = StrRef::sub(link, start, st);
        }
    }
}

/// `gnip.urls`: the URL-unwinding enrichment, matched to the URL entities (of every part read so
/// far: a retweet's unwound URLs are those of the retweeted original) by their `t.co` link.
fn apply_unwound(nodes: Nodes<'_, '_>, list: usize, sc: &mut Scratch) {
    for g in items(nodes, list) {
        let (mut url, mut expanded, mut title, mut description) =
            (None, StrRef::NONE, StrRef::NONE, StrRef::NONE);
        for (k, v) in entries(nodes, g) {
            match k {
                "url" => url = str_at(nodes, v),
                "expanded_url" => expanded = sref(nodes, v),
                "expanded_url_title" => title = sref(nodes, v),
                "expanded_url_description" => description = sref(nodes, v),
                _ => {}
            }
        }
        let Some(url) = url else { continue };
        for u in &mut sc.urls {
            if u.url.get(nodes) == Some(url) && !u.unwound_url.is_some() {
                u.unwound_url = expanded;
                u.unwound_title = title;
                u.unwound_description = description;
            }
        }
    }
}

/// An AS `actor`.
fn actor_user(nodes: Nodes<'_, '_>, a: usize) -> UserData {
    let mut d = UserData::default();
    for (k, v) in entries(nodes, a) {
        match k {
            "id" => d.id = as_id(nodes, v),
            "preferredUsername" => d.screen_name = sref(nodes, v),
            "displayName" => d.name = sref(nodes, v),
            "summary" => d.description = sref(nodes, v),
            "location" => {
                if let Some(n) = get(nodes, v, "displayName") {
                    d.location = sref(nodes, n);
                }
            }
            "verified" => d.verified = bool_at(nodes, v).unwrap_or(false),
            "statusesCount" => d.statuses_count = u64_at(nodes, v),
            "followersCount" => d.followers_count = u64_at(nodes, v),
            "friendsCount" => d.friends_count = u64_at(nodes, v),
            "listedCount" => d.listed_count = u64_at(nodes, v),
            _ => {}
        }
    }
    d
}

/// One `gnip.profileLocations` entry.
fn profile_location(nodes: Nodes<'_, '_>, loc: usize) -> ProfileGeoData {
    let mut g = ProfileGeoData::default();
    for (k, v) in entries(nodes, loc) {
        match k {
            "displayName" => g.full_name = sref(nodes, v),
            "address" => {
                for (k, v) in entries(nodes, v) {
                    match k {
                        "countryCode" => g.country_code = sref(nodes, v),
                        "region" => g.region = sref(nodes, v),
                        "locality" => g.locality = sref(nodes, v),
                        "subRegion" => g.sub_region = sref(nodes, v),
                        _ => {}
                    }
                }
            }
            "geo" => g.point = get(nodes, v, "coordinates").and_then(|c| lon_lat(nodes, c)),
            _ => {}
        }
    }
    g
}

/// An AS `location` (the place): the id is in its `link` (`…/geo/id/ID.json`), the country code
/// in `twitter_country_code` (AS `country_code` is the country's name).
fn place(nodes: Nodes<'_, '_>, v: usize) -> Option<PlaceData> {
    if !is_object(nodes, v) {
        return None;
    }
    let mut p = PlaceData::default();
    for (k, v) in entries(nodes, v) {
        match k {
            "link" => {
                if let Some(s) = str_at(nodes, v)
                    && let Some(at) = s.rfind("/id/")
                {
                    let start = at + 4;
                    let end = s[start..].find('.').map_or(s.len(), |e| start + e);
                    p.id = StrRef::sub(v, start, end);
                }
            }
            "name" => p.name = sref(nodes, v),
            "displayName" => p.full_name = sref(nodes, v),
            "twitter_country_code" => p.country_code = sref(nodes, v),
            "geo" => {
                p.bounding_box = get(nodes, v, "coordinates").and_then(|c| bounding_box(nodes, c));
            }
            _ => {}
        }
    }
    Some(p)
}
