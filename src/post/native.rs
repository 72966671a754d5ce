//! v1.1 native posts (classic, compatibility with `extended_tweet`, extended with `full_text`,
//! and native enriched).

use super::entities::{bounding_box, lon_lat, native_profile_geo, sref, v11_entities, valid};
use super::error::IngestErrorKind;
use super::scratch::{PartData, PlaceData, RootData, Scratch, Span, StrRef, UserData, mark};
use super::tape::{Nodes, bool_at, entries, get, is_object, objects, str_at, u64_at};
use super::values::{Point, Role};

/// Nested posts a status object refers to.
#[derive(Default)]
struct Nested {
    retweeted: Option<usize>,
    quoted: Option<usize>,
}

/// Extracts the post at tape node 0.
pub(crate) fn extract(nodes: Nodes<'_, '_>, sc: &mut Scratch) -> Result<(), IngestErrorKind> {
    let (root, nested) = status(nodes, 0, Role::Root, sc, true)?;
    sc.parts.push(root);
    let mut quoted = nested.quoted;
    if let Some(rt) = nested.retweeted
        && let Ok((part, inner)) = status(nodes, rt, Role::Retweeted, sc, false)
    {
        sc.root.retweeted_status_id = Some(part.id);
        sc.parts.push(part);
        // A retweet of a quote: the root usually repeats the quoted post; when it does not,
        // the one inside the retweeted original is the quoted post.
        quoted = quoted.or(inner.quoted);
    }
    if let Some(q) = quoted
        && let Ok((part, inner)) = status(nodes, q, Role::Quoted, sc, false)
    {
        sc.parts.push(part);
        if let Some(qq) = inner.quoted
            && let Ok((part, _)) = status(nodes, qq, Role::QuotedQuoted, sc, false)
        {
            sc.parts.push(part);
        }
    }
    Ok(())
}

/// Reads one status object. `root` also reads the root-only facts and requires id, text and
/// user; a nested status needs only its id.
fn status(
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
    let (mut id_str, mut id_num) = (None, None);
    let (mut text, mut full_text, mut extended) = (None, None, None);
    let (mut ents, mut ext_ents, mut user) = (None, None, None);
    let (mut reply_str, mut reply_num, mut reply_user_str, mut reply_user_num) =
        (None, None, None, None);
    let mut r = RootData::default();
    let (mut coordinates, mut geo) = (None, None);
    for (k, v) in entries(nodes, obj) {
        match k {
            "id_str" => id_str = u64_at(nodes, v),
            "id" => id_num = u64_at(nodes, v),
            "text" => text = Some(v),
            "full_text" => full_text = Some(v),
            "extended_tweet" => extended = Some(v),
            "entities" => ents = Some(v),
            "extended_entities" => ext_ents = Some(v),
            "user" => user = Some(v),
            "is_quote_status" => part.is_quote_status = bool_at(nodes, v).unwrap_or(false),
            "in_reply_to_status_id_str" => reply_str = u64_at(nodes, v),
            "in_reply_to_status_id" => reply_num = u64_at(nodes, v),
            "in_reply_to_user_id_str" => reply_user_str = u64_at(nodes, v),
            "in_reply_to_user_id" => reply_user_num = u64_at(nodes, v),
            "in_reply_to_screen_name" => part.in_reply_to_screen_name = sref(nodes, v),
            "retweeted_status" => nested.retweeted = is_object(nodes, v).then_some(v),
            "quoted_status" => nested.quoted = is_object(nodes, v).then_some(v),
            "lang" if root => r.lang = sref(nodes, v),
            "source" if root => source(nodes, v, &mut r),
            "place" if root => r.place = place(nodes, v),
            "coordinates" if root => coordinates = Some(v),
            "geo" if root => geo = Some(v),
            "scopes" if root => {
                r.nullcast =
                    get(nodes, v, "followers").and_then(|f| bool_at(nodes, f)) == Some(false);
            }
            "matching_rules" if root => r.matching_rules = true,
            _ => {}
        }
    }
    part.id = id_str.or(id_num).ok_or(IngestErrorKind::MissingId)?;
    part.in_reply_to_status_id = reply_str.or(reply_num);
    part.in_reply_to_user_id = reply_user_str.or(reply_user_num);

    // Text and entities: `extended_tweet` (compatibility mode) holds the complete set.
    let (mut ext_text, mut ext_entities, mut ext_ext_entities) = (None, None, None);
    if let Some(e) = extended {
        for (k, v) in entries(nodes, e) {
            match k {
                "full_text" => ext_text = Some(v),
                "entities" => ext_entities = Some(v),
                "extended_entities" => ext_ext_entities = Some(v),
                _ => {}
            }
        }
    }
    let text_node = [ext_text, full_text, text]
        .into_iter()
        .flatten()
        .find(|&t| str_at(nodes, t).is_some());
    match text_node {
        Some(t) => part.text = StrRef::whole(t),
        None if root => return Err(IngestErrorKind::MissingText),
        None => {}
    }
    let entities = ext_entities.or(ents);
    // matching-semantics S27: `extended_entities` when present (it alone says video / animated_gif).
    let media_from = ext_ext_entities.or(ext_ents).or(entities);
    v11_entities(nodes, entities, media_from, sc, &mut part);

    match user.filter(|&u| is_object(nodes, u)) {
        Some(u) => part.author = native_user(nodes, u, sc),
        None if root => return Err(IngestErrorKind::MissingUser),
        None => {}
    }

    if root {
        r.coordinates = coordinates
            .and_then(|c| get(nodes, c, "coordinates"))
            .and_then(|c| lon_lat(nodes, c))
            .or_else(|| {
                // The deprecated `geo` is `[lat, lon]`.
                let g = get(nodes, geo?, "coordinates")?;
                let (lat, lon) = super::entities::pair(nodes, g)?;
                valid(Point { lon, lat })
            });
        sc.root = r;
    }
    Ok((part, nested))
}

/// Reads a v1.1 user object.
pub(crate) fn native_user(nodes: Nodes<'_, '_>, u: usize, sc: &mut Scratch) -> UserData {
    let mut d = UserData::default();
    let mut num = None;
    let start = mark(&sc.profile_geo);
    for (k, v) in entries(nodes, u) {
        match k {
            "id_str" => d.id = u64_at(nodes, v),
            "id" => num = u64_at(nodes, v),
            "screen_name" => d.screen_name = sref(nodes, v),
            "name" => d.name = sref(nodes, v),
            "description" => d.description = sref(nodes, v),
            "location" => d.location = sref(nodes, v),
            "verified" => d.verified = bool_at(nodes, v).unwrap_or(false),
            "statuses_count" => d.statuses_count = u64_at(nodes, v),
            "followers_count" => d.followers_count = u64_at(nodes, v),
            "friends_count" => d.friends_count = u64_at(nodes, v),
            "listed_count" => d.listed_count = u64_at(nodes, v),
            "derived" => {
                if let Some(locs) = get(nodes, v, "locations") {
                    for loc in objects(nodes, locs) {
                        sc.profile_geo.push(native_profile_geo(nodes, loc));
                    }
                }
            }
            _ => {}
        }
    }
    d.id = d.id.or(num);
    d.profile_geo = Span {
        start,
        end: mark(&sc.profile_geo),
    };
    d
}

/// `<a href="URL" rel="nofollow">NAME</a>` → name and URL; any other string is the name.
fn source(nodes: Nodes<'_, '_>, v: usize, r: &mut RootData) {
    let Some(s) = str_at(nodes, v) else {
        return;
    };
    if !s.starts_with("<a") {
        if !s.is_empty() {
            r.source_name = StrRef::whole(v);
        }
        return;
    }
    if let Some(h) = s.find("href=\"") {
        let start = h + 6;
        if let Some(len) = s[start..].find('"') {
            r.source_url = StrRef::sub(v, start, start + len);
        }
    }
    if let Some(gt) = s.find('>') {
        let start = gt + 1;
        if let Some(len) = s[start..].find("</a>") {
            r.source_name = StrRef::sub(v, start, start + len);
        }
    }
}

/// Reads a v1.1 `place`.
fn place(nodes: Nodes<'_, '_>, v: usize) -> Option<PlaceData> {
    if !is_object(nodes, v) {
        return None;
    }
    let mut p = PlaceData::default();
    for (k, v) in entries(nodes, v) {
        match k {
            "id" => p.id = sref(nodes, v),
            "name" => p.name = sref(nodes, v),
            "full_name" => p.full_name = sref(nodes, v),
            "country_code" => p.country_code = sref(nodes, v),
            "bounding_box" => {
                p.bounding_box = get(nodes, v, "coordinates").and_then(|c| bounding_box(nodes, c));
            }
            _ => {}
        }
    }
    Some(p)
}
