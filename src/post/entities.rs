//! Entity arrays in the v1.1 shape (native `entities`, Activity Streams `twitter_entities`) and
//! the small geo and string helpers every format shares.

use simd_json::Node;

use super::scratch::{
    MediaData, MentionData, PartData, ProfileGeoData, Scratch, Span, StrRef, UrlData, mark,
};
use super::tape::{Nodes, entries, f64_at, items, objects, str_at, u64_at, width};
use super::values::{BoundingBox, MediaKind, Point};

/// A string node, or `StrRef::NONE` when the node is not a string.
#[inline]
pub(crate) fn sref(nodes: Nodes<'_, '_>, i: usize) -> StrRef {
    if str_at(nodes, i).is_some() {
        StrRef::whole(i)
    } else {
        StrRef::NONE
    }
}

/// Reads v1.1 `entities` (`hashtags`, `symbols`, `user_mentions`, `urls`) into `part`, and the
/// media of `media_from` (an `extended_entities` or `entities` object).
pub(crate) fn v11_entities(
    nodes: Nodes<'_, '_>,
    ents: Option<usize>,
    media_from: Option<usize>,
    sc: &mut Scratch,
    part: &mut PartData,
) {
    let (mut hashtags, mut symbols, mut mentions, mut urls) = (None, None, None, None);
    if let Some(e) = ents {
        for (k, v) in entries(nodes, e) {
            match k {
                "hashtags" => hashtags = Some(v),
                "symbols" => symbols = Some(v),
                "user_mentions" => mentions = Some(v),
                "urls" => urls = Some(v),
                _ => {}
            }
        }
    }
    part.hashtags = tag_list(nodes, hashtags, "text", sc);
    part.cashtags = tag_list(nodes, symbols, "text", sc);

    let start = mark(&sc.mentions);
    if let Some(list) = mentions {
        for m in objects(nodes, list) {
            let mut d = MentionData::default();
            let mut num = None;
            for (k, v) in entries(nodes, m) {
                match k {
                    "screen_name" => d.screen_name = sref(nodes, v),
                    "id_str" => d.id = u64_at(nodes, v),
                    "id" => num = u64_at(nodes, v),
                    _ => {}
                }
            }
            d.id = d.id.or(num);
            sc.mentions.push(d);
        }
    }
    part.mentions = Span {
        start,
        end: mark(&sc.mentions),
    };

    let start = mark(&sc.urls);
    if let Some(list) = urls {
        for u in objects(nodes, list) {
            let mut d = UrlData::default();
            for (k, v) in entries(nodes, u) {
                match k {
                    "url" => d.url = sref(nodes, v),
                    "expanded_url" => d.expanded_url = sref(nodes, v),
                    "display_url" => d.display_url = sref(nodes, v),
                    "unwound" => {
                        for (k, v) in entries(nodes, v) {
                            match k {
                                "url" => d.unwound_url = sref(nodes, v),
                                "title" => d.unwound_title = sref(nodes, v),
                                "description" => d.unwound_description = sref(nodes, v),
                                _ => {}
                            }
                        }
                    }
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

    let start = mark(&sc.media);
    if let Some(list) = media_from.and_then(|m| super::tape::get(nodes, m, "media")) {
        for m in objects(nodes, list) {
            let mut d = MediaData {
                kind: MediaKind::Unknown,
                url: StrRef::NONE,
                expanded_url: StrRef::NONE,
                display_url: StrRef::NONE,
            };
            for (k, v) in entries(nodes, m) {
                match k {
                    "type" => {
                        if let Some(t) = str_at(nodes, v) {
                            d.kind = MediaKind::from_type(t);
                        }
                    }
                    "url" => d.url = sref(nodes, v),
                    "expanded_url" => d.expanded_url = sref(nodes, v),
                    "display_url" => d.display_url = sref(nodes, v),
                    _ => {}
                }
            }
            sc.media.push(d);
        }
    }
    part.media = Span {
        start,
        end: mark(&sc.media),
    };
}

/// The `field` strings of the objects of the array `list` (hashtags, cashtags).
pub(crate) fn tag_list(
    nodes: Nodes<'_, '_>,
    list: Option<usize>,
    field: &str,
    sc: &mut Scratch,
) -> Span {
    let start = mark(&sc.tags);
    if let Some(list) = list {
        for t in items(nodes, list) {
            if let Some(v) = super::tape::get(nodes, t, field) {
                let r = sref(nodes, v);
                if r.is_some() {
                    sc.tags.push(r);
                }
            }
        }
    }
    Span {
        start,
        end: mark(&sc.tags),
    }
}

/// A `[a, b]` pair of numbers at `i`.
#[inline]
pub(crate) fn pair(nodes: Nodes<'_, '_>, i: usize) -> Option<(f64, f64)> {
    match nodes.get(i) {
        Some(Node::Array { len: 2, count: 2 }) => {
            Some((f64_at(nodes, i + 1)?, f64_at(nodes, i + 2)?))
        }
        _ => None,
    }
}

/// A `GeoJSON` `[lon, lat]` point at `i`, validated to the globe.
#[inline]
pub(crate) fn lon_lat(nodes: Nodes<'_, '_>, i: usize) -> Option<Point> {
    let (lon, lat) = pair(nodes, i)?;
    valid(Point { lon, lat })
}

/// A point inside the globe's range, else `None`.
pub(crate) fn valid(p: Point) -> Option<Point> {
    ((-180.0..=180.0).contains(&p.lon) && (-90.0..=90.0).contains(&p.lat)).then_some(p)
}

/// The smallest box holding every `[lon, lat]` pair nested anywhere in the value at `i` (a
/// `GeoJSON` polygon's rings).
pub(crate) fn bounding_box(nodes: Nodes<'_, '_>, i: usize) -> Option<BoundingBox> {
    let end = (i + width(nodes, i)).min(nodes.len());
    let mut bbox: Option<BoundingBox> = None;
    let mut at = i;
    while at < end {
        if let Some((lon, lat)) = pair(nodes, at) {
            let b = bbox.get_or_insert(BoundingBox {
                west: lon,
                south: lat,
                east: lon,
                north: lat,
            });
            b.west = b.west.min(lon);
            b.east = b.east.max(lon);
            b.south = b.south.min(lat);
            b.north = b.north.max(lat);
            at += 3;
        } else {
            at += 1;
        }
    }
    bbox
}

/// The part of the string at `i` after the last `sep` (`tag:search.twitter.com,2005:N` → `N`).
pub(crate) fn after_last<'p>(nodes: Nodes<'_, 'p>, i: usize, sep: u8) -> Option<&'p str> {
    let s = str_at(nodes, i)?;
    let at = s.bytes().rposition(|b| b == sep).map_or(0, |p| p + 1);
    s.get(at..)
}

/// Reads one Profile Geo location in native `derived.locations` shape.
pub(crate) fn native_profile_geo(nodes: Nodes<'_, '_>, loc: usize) -> ProfileGeoData {
    let mut g = ProfileGeoData::default();
    for (k, v) in entries(nodes, loc) {
        match k {
            "country_code" => g.country_code = sref(nodes, v),
            "region" => g.region = sref(nodes, v),
            "locality" => g.locality = sref(nodes, v),
            "sub_region" => g.sub_region = sref(nodes, v),
            "full_name" => g.full_name = sref(nodes, v),
            "geo" => {
                g.point = super::tape::get(nodes, v, "coordinates").and_then(|c| lon_lat(nodes, c));
            }
            _ => {}
        }
    }
    g
}
