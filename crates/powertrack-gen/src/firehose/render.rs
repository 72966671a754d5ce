//! The three renderings of a generated post: v1.1 native, Activity Streams and API v2, written
//! straight into a byte buffer (no serializer, no per-post allocation beyond the buffers).

// Casts: code-point offsets, arena offsets and ranks are bounded (texts are < 1 KB, ranks
// < 2^20, table indices < their table's length); dates, boxes and coordinates read best with
// their conventional one-letter names.
#![allow(clippy::cast_possible_truncation, clippy::many_single_char_names)]

use super::model::{Ent, EntKind, Layout, Model, Tw, UserData, push_num};

pub(crate) fn num(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        #[allow(clippy::cast_possible_truncation)]
        {
            buf[i] = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// A JSON string literal.
pub(crate) fn js(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    js_inner(out, s);
    out.push(b'"');
}

/// The inside of a JSON string literal: `s` escaped.
fn js_inner(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    if !b.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\') {
        out.extend_from_slice(b);
        return;
    }
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1F => b"",
            _ => continue,
        };
        out.extend_from_slice(&b[start..i]);
        if esc.is_empty() {
            out.extend_from_slice(format!("\\u{c:04x}").as_bytes());
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
}

fn f6(out: &mut Vec<u8>, x: f64) {
    use std::io::Write;
    let _ = write!(out, "{x:.6}");
}

fn raw(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// (year, month 1–12, day) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (y + i64::from(m <= 2), m as u32, d as u32)
}

fn two(out: &mut Vec<u8>, n: u64) {
    #[allow(clippy::cast_possible_truncation)]
    out.extend_from_slice(&[b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8]);
}

/// `Wed Mar 01 00:00:00 +0000 2023`.
fn twitter_date(out: &mut Vec<u8>, ms: u64) {
    let s = ms / 1000;
    let days = s / 86_400;
    let (y, m, d) = civil(i64::try_from(days).unwrap_or(0));
    raw(out, DAYS[(days % 7) as usize]);
    out.push(b' ');
    raw(out, MONTHS[(m - 1) as usize]);
    out.push(b' ');
    two(out, u64::from(d));
    out.push(b' ');
    let t = s % 86_400;
    two(out, t / 3600);
    out.push(b':');
    two(out, t / 60 % 60);
    out.push(b':');
    two(out, t % 60);
    raw(out, " +0000 ");
    num(out, u64::try_from(y).unwrap_or(2023));
}

/// `2023-03-01T00:00:00.000Z`.
fn iso_date(out: &mut Vec<u8>, ms: u64) {
    let s = ms / 1000;
    let (y, m, d) = civil(i64::try_from(s / 86_400).unwrap_or(0));
    num(out, u64::try_from(y).unwrap_or(2023));
    out.push(b'-');
    two(out, u64::from(m));
    out.push(b'-');
    two(out, u64::from(d));
    out.push(b'T');
    let t = s % 86_400;
    two(out, t / 3600);
    out.push(b':');
    two(out, t / 60 % 60);
    out.push(b':');
    two(out, t % 60);
    out.push(b'.');
    num(out, ms % 1000 / 100);
    two(out, ms % 100);
    out.push(b'Z');
}

// ---------------------------------------------------------------------------------------------
// Users

fn user_data(m: &mut Model, tw: &Tw, u: &mut UserData) {
    let v = m.vocab;
    u.screen.clear();
    u.name.clear();
    u.location.clear();
    u.description.clear();
    match &tw.user_ovr {
        Some((n, id)) => {
            u.screen.push_str(n);
            u.id = *id;
        }
        None => u.id = m.user_name(tw.user, &mut u.screen),
    }
    let mut r = m.user_rng(tw.user);
    // Display name: one or two name words, or the screen name.
    match r.below(3) {
        0 => u.name.push_str(&u.screen),
        _ => {
            for k in 0..r.range(1, 2) {
                if k > 0 {
                    u.name.push(' ');
                }
                Model::push_cap(&mut u.name, v.name_words[r.zipf(v.name_words.len())]);
            }
        }
    }
    u.geo = None;
    if r.chance(0.7) {
        if r.chance(0.2) && !v.profile_geo.is_empty() {
            let g = r.index(v.profile_geo.len());
            let pg = &v.profile_geo[g];
            u.location.push_str(pg.locality);
            if !pg.region.is_empty() {
                u.location.push_str(", ");
                u.location.push_str(pg.region);
            }
            u.geo = Some(g);
        } else {
            for k in 0..r.range(1, 3) {
                if k > 0 {
                    u.location.push(' ');
                }
                Model::push_cap(
                    &mut u.location,
                    v.location_words[r.zipf(v.location_words.len())],
                );
            }
        }
    }
    if r.chance(0.84) {
        let n = r.range(3, 22);
        for k in 0..n {
            if k > 0 {
                u.description.push(if r.chance(0.08) { '|' } else { ' ' });
                if u.description.ends_with('|') {
                    u.description.push(' ');
                }
            }
            u.description
                .push_str(v.bio_words[r.zipf(v.bio_words.len())]);
        }
    }
    u.url = r.chance(0.59);
    u.counts = [
        r.log_uniform(1, 2_000_000),
        r.log_uniform(1, 50_000_000),
        r.log_uniform(1, 10_000),
        r.log_uniform(1, 100_000) - 1,
        r.log_uniform(1, 500_000) - 1,
    ];
    u.verified = r.chance(0.01);
    u.created_ms = 1_170_000_000_000 + r.below(1_600_000_000_000 - 1_170_000_000_000);
    u.colour = r.next_u64();
    if let Some((d, n, l)) = &tw.bio_ovr {
        if !d.is_empty() {
            u.description.push(' ');
            u.description.push_str(d);
        }
        if !n.is_empty() {
            u.name.push(' ');
            u.name.push_str(n);
        }
        if !l.is_empty() {
            u.location.push(' ');
            u.location.push_str(l);
        }
    }
    if let Some(g) = tw.geo_ovr {
        u.geo = Some(g);
    }
    if let Some((c, ver)) = tw.counts_ovr {
        u.counts[..4].copy_from_slice(&c);
        u.verified = ver;
    }
}

/// `s` in ASCII lower case (screen names are ASCII).
fn lower(out: &mut Vec<u8>, s: &str) {
    out.extend(s.bytes().map(|b| b.to_ascii_lowercase()));
}

fn hex6(out: &mut Vec<u8>, x: u64) {
    const H: &[u8] = b"0123456789ABCDEF";
    for k in 0..6 {
        out.push(H[((x >> (k * 4)) & 15) as usize]);
    }
}

fn user_native(out: &mut Vec<u8>, m: &mut Model, tw: &Tw) {
    let mut u = std::mem::take(&mut m.user_buf);
    user_data(m, tw, &mut u);
    raw(out, r#"{"id":"#);
    num(out, u.id);
    raw(out, r#","id_str":""#);
    num(out, u.id);
    raw(out, r#"","name":"#);
    js(out, &u.name);
    raw(out, r#","screen_name":"#);
    js(out, &u.screen);
    raw(out, r#","location":"#);
    if u.location.is_empty() {
        raw(out, "null");
    } else {
        js(out, &u.location);
    }
    raw(out, r#","url":"#);
    if u.url {
        raw(out, "\"https://");
        lower(out, &u.screen);
        raw(out, ".com\"");
    } else {
        raw(out, "null");
    }
    raw(out, r#","description":"#);
    if u.description.is_empty() {
        raw(out, "null");
    } else {
        js(out, &u.description);
    }
    raw(
        out,
        r#","translator_type":"none","protected":false,"verified":"#,
    );
    raw(out, if u.verified { "true" } else { "false" });
    raw(out, r#","followers_count":"#);
    num(out, u.counts[1]);
    raw(out, r#","friends_count":"#);
    num(out, u.counts[2]);
    raw(out, r#","listed_count":"#);
    num(out, u.counts[3]);
    raw(out, r#","favourites_count":"#);
    num(out, u.counts[4]);
    raw(out, r#","statuses_count":"#);
    num(out, u.counts[0]);
    raw(out, r#","created_at":""#);
    twitter_date(out, u.created_ms);
    raw(
        out,
        r#"","utc_offset":null,"time_zone":null,"geo_enabled":true,"lang":null,"contributors_enabled":false,"is_translator":false,"profile_background_color":""#,
    );
    hex6(out, u.colour);
    raw(
        out,
        r#"","profile_background_image_url":"http://abs.twimg.com/images/themes/theme1/bg.png","profile_background_image_url_https":"https://abs.twimg.com/images/themes/theme1/bg.png","profile_background_tile":false,"profile_link_color":""#,
    );
    hex6(out, u.colour >> 24);
    raw(
        out,
        r#"","profile_sidebar_border_color":"C0DEED","profile_sidebar_fill_color":"DDEEF6","profile_text_color":"333333","profile_use_background_image":true,"profile_image_url":"http://pbs.twimg.com/profile_images/"#,
    );
    num(out, u.colour >> 4);
    raw(
        out,
        r#"/avatar_normal.jpg","profile_image_url_https":"https://pbs.twimg.com/profile_images/"#,
    );
    num(out, u.colour >> 4);
    raw(
        out,
        r#"/avatar_normal.jpg","profile_banner_url":"https://pbs.twimg.com/profile_banners/"#,
    );
    num(out, u.id);
    out.push(b'/');
    num(out, u.created_ms / 1000 + 86_400);
    raw(
        out,
        r#"","default_profile":false,"default_profile_image":false,"following":null,"follow_request_sent":null,"notifications":null"#,
    );
    if u.url {
        raw(out, r#","entities":{"url":{"urls":[{"url":"https://t.co/"#);
        hex6(out, u.colour >> 8);
        hex6(out, u.colour >> 32);
        raw(out, r#"","expanded_url":"https://"#);
        lower(out, &u.screen);
        raw(out, r#".com","display_url":""#);
        lower(out, &u.screen);
        raw(
            out,
            r#".com","indices":[0,25]}]},"description":{"urls":[]}},"withheld_in_countries":[]"#,
        );
    }
    if let Some(g) = u.geo {
        let pg = &m.vocab.profile_geo[g];
        raw(out, r#","derived":{"locations":[{"country":"#);
        js(out, country_name(pg.country_code));
        raw(out, r#","country_code":"#);
        js(out, pg.country_code);
        if !pg.locality.is_empty() {
            raw(out, r#","locality":"#);
            js(out, pg.locality);
        }
        if !pg.region.is_empty() {
            raw(out, r#","region":"#);
            js(out, pg.region);
        }
        if !pg.subregion.is_empty() {
            raw(out, r#","sub_region":"#);
            js(out, pg.subregion);
        }
        raw(out, r#","full_name":"#);
        js(out, &full_geo_name(pg));
        raw(out, r#","geo":{"coordinates":["#);
        f6(out, pg.lon);
        out.push(b',');
        f6(out, pg.lat);
        raw(out, r#"],"type":"point"}}]}"#);
    }
    out.push(b'}');
    m.user_buf = u;
}

fn full_geo_name(pg: &crate::vocab::ProfileGeo) -> String {
    let mut s = String::from(pg.locality);
    for part in [pg.region, country_name(pg.country_code)] {
        if !part.is_empty() {
            if !s.is_empty() {
                s.push_str(", ");
            }
            s.push_str(part);
        }
    }
    s
}

fn country_name(cc: &str) -> &'static str {
    match cc {
        "US" => "United States",
        "GB" => "United Kingdom",
        "CA" => "Canada",
        "BR" => "Brazil",
        "AR" => "Argentina",
        "CL" => "Chile",
        "MX" => "Mexico",
        "ES" => "Spain",
        "FR" => "France",
        "DE" => "Germany",
        "JP" => "Japan",
        "IN" => "India",
        "TH" => "Thailand",
        "ID" => "Indonesia",
        "AU" => "Australia",
        _ => "",
    }
}

// ---------------------------------------------------------------------------------------------
// Entities

fn indices(out: &mut Vec<u8>, e: &Ent) {
    raw(out, r#""indices":["#);
    num(out, u64::from(e.start));
    out.push(b',');
    num(out, u64::from(e.end));
    out.push(b']');
}

/// `expanded` without the scheme and `www.`, cut at 26 characters with `…`.
fn display_url(out: &mut Vec<u8>, expanded: &str) {
    let s = expanded
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_start_matches("www.");
    out.push(b'"');
    match s.char_indices().nth(26) {
        Some((b, _)) => {
            js_inner(out, &s[..b]);
            raw(out, "…");
        }
        None => js_inner(out, s),
    }
    out.push(b'"');
}

fn media_obj(out: &mut Vec<u8>, tw: &Tw, e: &Ent, v11: bool) {
    raw(out, r#"{"id":"#);
    num(out, e.id);
    raw(out, r#","id_str":""#);
    num(out, e.id);
    raw(out, "\",");
    indices(out, e);
    raw(out, r#","media_url":"http://pbs.twimg.com/media/"#);
    raw(out, &tw.s(e.a)[13..]);
    raw(
        out,
        r#".jpg","media_url_https":"https://pbs.twimg.com/media/"#,
    );
    raw(out, &tw.s(e.a)[13..]);
    raw(out, r#".jpg","url":"#);
    js(out, tw.s(e.a));
    raw(out, r#","display_url":"pic.twitter.com/"#);
    raw(out, &tw.s(e.a)[13..]);
    raw(out, r#"","expanded_url":"#);
    js(out, tw.s(e.b));
    raw(
        out,
        r#","type":"photo","sizes":{"thumb":{"w":150,"h":150,"resize":"crop"},"medium":{"w":1200,"h":900,"resize":"fit"},"small":{"w":680,"h":510,"resize":"fit"},"large":{"w":2048,"h":1536,"resize":"fit"}}"#,
    );
    if !v11 {
        raw(out, r#","source_status_id":null"#);
    }
    out.push(b'}');
}

/// The v1.1 `entities` object of `tw` (entities `0..n`, plus the status link of a truncated
/// compat text at `link_at`).
fn entities_v11(out: &mut Vec<u8>, m: &Model, tw: &Tw, n: usize, link_at: Option<u32>) {
    let ents = &tw.ents[..n];
    raw(out, r#"{"hashtags":["#);
    sep_list(out, ents, EntKind::Hashtag, |out, e| {
        raw(out, r#"{"text":"#);
        js(out, tw.s(e.a));
        out.push(b',');
        indices(out, e);
        out.push(b'}');
    });
    raw(out, r#"],"urls":["#);
    let mut first = sep_list(out, ents, EntKind::Url, |out, e| {
        raw(out, r#"{"url":"#);
        js(out, tw.s(e.a));
        raw(out, r#","expanded_url":"#);
        js(out, tw.s(e.b));
        raw(out, r#","display_url":"#);
        display_url(out, tw.s(e.b));
        out.push(b',');
        indices(out, e);
        out.push(b'}');
    });
    if let Some(at) = link_at {
        if !first {
            out.push(b',');
        }
        first = false;
        raw(out, r#"{"url":"https://t.co/"#);
        raw(out, tw.s(tw.link));
        raw(
            out,
            r#"","expanded_url":"https://twitter.com/i/web/status/"#,
        );
        num(out, tw.id);
        raw(
            out,
            r#"","display_url":"twitter.com/i/web/status/1…","indices":["#,
        );
        num(out, u64::from(at));
        out.push(b',');
        num(out, u64::from(at + 23));
        raw(out, "]}");
    }
    let _ = first;
    raw(out, r#"],"user_mentions":["#);
    sep_list(out, ents, EntKind::Mention, |out, e| {
        raw(out, r#"{"screen_name":"#);
        js(out, tw.s(e.a));
        raw(out, r#","name":"#);
        js(out, tw.s(e.a));
        raw(out, r#","id":"#);
        num(out, e.id);
        raw(out, r#","id_str":""#);
        num(out, e.id);
        raw(out, "\",");
        indices(out, e);
        out.push(b'}');
    });
    raw(out, r#"],"symbols":["#);
    sep_list(out, ents, EntKind::Cashtag, |out, e| {
        raw(out, r#"{"text":"#);
        js(out, tw.s(e.a));
        out.push(b',');
        indices(out, e);
        out.push(b'}');
    });
    out.push(b']');
    if ents.iter().any(|e| e.kind == EntKind::Media) {
        raw(out, r#","media":["#);
        sep_list(out, ents, EntKind::Media, |out, e| {
            media_obj(out, tw, e, true);
        });
        out.push(b']');
    }
    out.push(b'}');
    let _ = m;
}

fn sep_list(
    out: &mut Vec<u8>,
    ents: &[Ent],
    kind: EntKind,
    mut f: impl FnMut(&mut Vec<u8>, &Ent),
) -> bool {
    let mut first = true;
    for e in ents.iter().filter(|e| e.kind == kind) {
        if !first {
            out.push(b',');
        }
        first = false;
        f(out, e);
    }
    first
}

fn extended_entities(out: &mut Vec<u8>, tw: &Tw, key: &str) {
    if tw.ents.iter().any(|e| e.kind == EntKind::Media) {
        out.push(b',');
        raw(out, key);
        raw(out, r#":{"media":["#);
        sep_list(out, &tw.ents, EntKind::Media, |out, e| {
            media_obj(out, tw, e, true);
        });
        raw(out, "]}");
    }
}

fn source_html(out: &mut Vec<u8>, m: &Model, tw: &Tw) {
    let name = m.vocab.sources[tw.source];
    raw(out, r#""<a href=\""#);
    js_inner(out, source_link(name));
    raw(out, r#"\" rel=\"nofollow\">"#);
    js_inner(out, name);
    raw(out, r#"</a>""#);
}

fn source_link(name: &str) -> &'static str {
    match name {
        "Twitter for iPhone" => "http://twitter.com/download/iphone",
        "Twitter for Android" => "http://twitter.com/download/android",
        "Twitter Web App" => "https://mobile.twitter.com",
        "Twitter Web Client" => "http://twitter.com",
        "Instagram" => "http://instagram.com",
        _ => "https://help.twitter.com/en/using-twitter/how-to-tweet#source-labels",
    }
}

fn place_native(out: &mut Vec<u8>, m: &Model, p: usize) {
    let pl = &m.vocab.places[p];
    let (w, s, e, n) = bbox(pl);
    raw(out, r#"{"id":"#);
    js(out, pl.id);
    raw(out, r#","url":"https://api.twitter.com/1.1/geo/id/"#);
    raw(out, pl.id);
    raw(out, r#".json","place_type":"city","name":"#);
    js(out, pl.name);
    raw(out, r#","full_name":"#);
    js(out, pl.full_name);
    raw(out, r#","country_code":"#);
    js(out, pl.country_code);
    raw(out, r#","country":"#);
    js(out, country_name(pl.country_code));
    raw(
        out,
        r#","bounding_box":{"type":"Polygon","coordinates":[[["#,
    );
    for (i, (x, y)) in [(w, s), (w, n), (e, n), (e, s)].into_iter().enumerate() {
        if i > 0 {
            raw(out, "],[");
        }
        f6(out, x);
        out.push(b',');
        f6(out, y);
    }
    raw(out, r#"]]]},"attributes":{}}"#);
}

/// A place's box: its centre ± 0.08° (the corpus keeps only the centre).
pub(crate) fn bbox(pl: &crate::vocab::Place) -> (f64, f64, f64, f64) {
    (
        (pl.lon - 0.08).max(-180.0),
        (pl.lat - 0.08).max(-90.0),
        (pl.lon + 0.08).min(180.0),
        (pl.lat + 0.08).min(90.0),
    )
}

fn opt_id(out: &mut Vec<u8>, key: &str, id: Option<u64>) {
    raw(out, ",\"");
    raw(out, key);
    raw(out, "\":");
    match id {
        Some(i) => num(out, i),
        None => raw(out, "null"),
    }
    raw(out, ",\"");
    raw(out, key);
    raw(out, "_str\":");
    match id {
        Some(i) => {
            out.push(b'"');
            num(out, i);
            out.push(b'"');
        }
        None => raw(out, "null"),
    }
}

// ---------------------------------------------------------------------------------------------
// v1.1 native

pub(crate) fn native(out: &mut Vec<u8>, m: &mut Model, tw: &Tw, inner: Option<&Tw>, top: bool) {
    if tw.layout == Layout::Classic {
        raw(out, r#"{"metadata":{"iso_language_code":"#);
        js(out, tw.lang);
        raw(out, r#","result_type":"recent"},"created_at":""#);
    } else {
        raw(out, r#"{"created_at":""#);
    }
    twitter_date(out, tw.ms);
    raw(out, r#"","id":"#);
    num(out, tw.id);
    raw(out, r#","id_str":""#);
    num(out, tw.id);
    let extended = tw.layout == Layout::Extended;
    raw(
        out,
        if extended {
            "\",\"full_text\":"
        } else {
            "\",\"text\":"
        },
    );
    let mut link_at = None;
    match tw.trunc {
        Some((_, cut, _)) if !extended => {
            let mut s = String::with_capacity(tw.short_text().len() + 30);
            s.push_str(tw.short_text());
            s.push_str("… https://t.co/");
            s.push_str(tw.s(tw.link));
            js(out, &s);
            link_at = Some(cut + 2);
        }
        _ => js(out, &tw.text),
    }
    if extended || (tw.trunc.is_none() && tw.reply.is_some()) {
        raw(out, r#","display_text_range":["#);
        num(out, u64::from(tw.display.0));
        out.push(b',');
        num(out, u64::from(tw.display.1));
        out.push(b']');
    }
    if extended {
        raw(out, r#","entities":"#);
        entities_v11(out, m, tw, tw.ents.len(), None);
        extended_entities(out, tw, r#""extended_entities""#);
    }
    raw(out, r#","source":"#);
    source_html(out, m, tw);
    raw(out, r#","truncated":"#);
    raw(
        out,
        if tw.trunc.is_some() && !extended {
            "true"
        } else {
            "false"
        },
    );
    let reply = tw.reply;
    opt_id(out, "in_reply_to_status_id", reply.map(|r| r.status));
    let (rid, rname) = match reply {
        Some(r) => {
            let mut s = String::new();
            let id = m.user_name(r.user, &mut s);
            (Some(id), Some(s))
        }
        None => (None, None),
    };
    // A planted reply target's name is its first mention.
    let (rid, rname) = match (reply, tw.ents.first()) {
        (Some(_), Some(e)) if e.kind == EntKind::Mention && e.start == 0 => {
            (Some(e.id), Some(tw.s(e.a).to_owned()))
        }
        _ => (rid, rname),
    };
    opt_id(out, "in_reply_to_user_id", rid);
    raw(out, r#","in_reply_to_screen_name":"#);
    match &rname {
        Some(n) => js(out, n),
        None => raw(out, "null"),
    }
    raw(out, r#","user":"#);
    user_native(out, m, tw);
    match tw.coords {
        Some((lon, lat)) => {
            raw(out, r#","geo":{"type":"Point","coordinates":["#);
            f6(out, lat);
            out.push(b',');
            f6(out, lon);
            raw(out, r#"]},"coordinates":{"type":"Point","coordinates":["#);
            f6(out, lon);
            out.push(b',');
            f6(out, lat);
            raw(out, "]}");
        }
        None => raw(out, r#","geo":null,"coordinates":null"#),
    }
    raw(out, r#","place":"#);
    match tw.place {
        Some(p) => place_native(out, m, p),
        None => raw(out, "null"),
    }
    raw(out, r#","contributors":null"#);
    if let Some(q) = inner.filter(|_| tw.is_quote) {
        raw(out, r#","quoted_status_id":"#);
        num(out, q.id);
        raw(out, r#","quoted_status_id_str":""#);
        num(out, q.id);
        raw(out, r#"","quoted_status":"#);
        native(out, m, q, None, false);
    }
    if let Some(o) = inner.filter(|_| tw.is_rt) {
        raw(out, r#","retweeted_status":"#);
        native(out, m, o, None, false);
    }
    raw(out, r#","is_quote_status":"#);
    raw(
        out,
        if tw.is_quote || inner.is_some_and(|o| tw.is_rt && o.is_quote) {
            "true"
        } else {
            "false"
        },
    );
    if let (Some((_, _, kept)), false) = (tw.trunc, extended) {
        raw(out, r#","extended_tweet":{"full_text":"#);
        js(out, &tw.text);
        raw(out, r#","display_text_range":["#);
        num(out, u64::from(tw.display.0));
        out.push(b',');
        num(out, u64::from(tw.display.1));
        raw(out, r#"],"entities":"#);
        entities_v11(out, m, tw, tw.ents.len(), None);
        extended_entities(out, tw, r#""extended_entities""#);
        out.push(b'}');
        let _ = kept;
    }
    raw(out, r#","quote_count":"#);
    num(out, u64::from(tw.counts[0]));
    raw(out, r#","reply_count":"#);
    num(out, u64::from(tw.counts[1]));
    raw(out, r#","retweet_count":"#);
    num(out, u64::from(tw.counts[2]));
    raw(out, r#","favorite_count":"#);
    num(out, u64::from(tw.counts[3]));
    if !extended {
        raw(out, r#","entities":"#);
        match tw.trunc {
            Some((_, _, kept)) => entities_v11(out, m, tw, kept, link_at),
            None => entities_v11(out, m, tw, tw.ents.len(), None),
        }
        if tw.trunc.is_none() {
            extended_entities(out, tw, r#""extended_entities""#);
        }
    }
    raw(out, r#","favorited":false,"retweeted":false"#);
    if tw
        .ents
        .iter()
        .any(|e| matches!(e.kind, EntKind::Url | EntKind::Media))
    {
        raw(out, r#","possibly_sensitive":"#);
        raw(out, if tw.sensitive { "true" } else { "false" });
    }
    if top && tw.layout == Layout::Compat {
        raw(out, r#","filter_level":"low""#);
    }
    raw(out, r#","lang":"#);
    js(out, tw.lang);
    if top && tw.layout == Layout::Compat {
        raw(out, r#","timestamp_ms":""#);
        num(out, tw.ms);
        out.push(b'"');
    }
    out.push(b'}');
}

// ---------------------------------------------------------------------------------------------
// Activity Streams

fn actor(out: &mut Vec<u8>, m: &mut Model, tw: &Tw) {
    let mut u = std::mem::take(&mut m.user_buf);
    user_data(m, tw, &mut u);
    raw(out, r#"{"objectType":"person","id":"id:twitter.com:"#);
    num(out, u.id);
    raw(out, r#"","link":"http://www.twitter.com/"#);
    raw(out, &u.screen);
    raw(out, r#"","displayName":"#);
    js(out, &u.name);
    raw(out, r#","postedTime":""#);
    iso_date(out, u.created_ms);
    raw(out, r#"","image":"https://pbs.twimg.com/profile_images/"#);
    num(out, u.colour >> 4);
    raw(out, r#"/avatar_normal.jpg","summary":"#);
    if u.description.is_empty() {
        raw(out, "null");
    } else {
        js(out, &u.description);
    }
    raw(out, r#","links":[{"href":"#);
    if u.url {
        raw(out, "\"https://");
        lower(out, &u.screen);
        raw(out, ".com\"");
    } else {
        raw(out, "null");
    }
    raw(out, r#","rel":"me"}],"friendsCount":"#);
    num(out, u.counts[2]);
    raw(out, r#","followersCount":"#);
    num(out, u.counts[1]);
    raw(out, r#","listedCount":"#);
    num(out, u.counts[3]);
    raw(out, r#","statusesCount":"#);
    num(out, u.counts[0]);
    raw(out, r#","favoritesCount":"#);
    num(out, u.counts[4]);
    raw(out, r#","twitterTimeZone":null,"verified":"#);
    raw(out, if u.verified { "true" } else { "false" });
    raw(out, r#","utcOffset":null,"preferredUsername":"#);
    js(out, &u.screen);
    raw(out, r#","languages":["#);
    js(out, tw.lang);
    out.push(b']');
    if !u.location.is_empty() {
        raw(out, r#","location":{"objectType":"place","displayName":"#);
        js(out, &u.location);
        out.push(b'}');
    }
    out.push(b'}');
    m.user_buf = u;
}

fn profile_locations(out: &mut Vec<u8>, m: &mut Model, tw: &Tw) {
    let mut u = std::mem::take(&mut m.user_buf);
    user_data(m, tw, &mut u);
    if let Some(g) = u.geo {
        let pg = &m.vocab.profile_geo[g];
        raw(
            out,
            r#","profileLocations":[{"objectType":"place","displayName":"#,
        );
        js(out, &full_geo_name(pg));
        raw(out, r#","address":{"country":"#);
        js(out, country_name(pg.country_code));
        raw(out, r#","countryCode":"#);
        js(out, pg.country_code);
        if !pg.locality.is_empty() {
            raw(out, r#","locality":"#);
            js(out, pg.locality);
        }
        if !pg.region.is_empty() {
            raw(out, r#","region":"#);
            js(out, pg.region);
        }
        if !pg.subregion.is_empty() {
            raw(out, r#","subRegion":"#);
            js(out, pg.subregion);
        }
        raw(out, r#"},"geo":{"type":"point","coordinates":["#);
        f6(out, pg.lon);
        out.push(b',');
        f6(out, pg.lat);
        raw(out, "]}}]");
    }
    m.user_buf = u;
}

fn screen_of(m: &mut Model, tw: &Tw) -> String {
    if let Some((n, _)) = &tw.user_ovr {
        n.clone()
    } else {
        let mut s = String::new();
        m.user_name(tw.user, &mut s);
        s
    }
}

pub(crate) fn activity(out: &mut Vec<u8>, m: &mut Model, tw: &Tw, inner: Option<&Tw>) {
    activity_obj(out, m, tw, inner, true);
}

fn activity_obj(out: &mut Vec<u8>, m: &mut Model, tw: &Tw, inner: Option<&Tw>, top: bool) {
    let screen = screen_of(m, tw);
    raw(out, r#"{"id":"tag:search.twitter.com,2005:"#);
    num(out, tw.id);
    raw(out, r#"","objectType":"activity","verb":"#);
    raw(out, if tw.is_rt { "\"share\"" } else { "\"post\"" });
    raw(out, r#","postedTime":""#);
    iso_date(out, tw.ms);
    raw(out, r#"","generator":{"displayName":"#);
    let name = m.vocab.sources[tw.source];
    js(out, name);
    raw(out, r#","link":"#);
    js(out, source_link(name));
    raw(
        out,
        r#"},"provider":{"objectType":"service","displayName":"Twitter","link":"http://www.twitter.com"},"link":"http://twitter.com/"#,
    );
    raw(out, &screen);
    raw(out, "/statuses/");
    num(out, tw.id);
    raw(out, r#"","body":"#);
    let long = tw.trunc.is_some() || (tw.cps > 140 && !tw.is_rt);
    if let Some((_, cut, _)) = tw.trunc {
        let mut s = String::with_capacity(tw.short_text().len() + 30);
        s.push_str(tw.short_text());
        s.push_str("… https://t.co/");
        s.push_str(tw.s(tw.link));
        js(out, &s);
        let _ = cut;
    } else {
        js(out, &tw.text);
    }
    if long {
        raw(out, r#","long_object":{"body":"#);
        js(out, &tw.text);
        raw(out, r#","display_text_range":["#);
        num(out, u64::from(tw.display.0));
        out.push(b',');
        num(out, u64::from(tw.display.1));
        raw(out, r#"],"twitter_entities":"#);
        entities_v11(out, m, tw, tw.ents.len(), None);
        extended_entities(out, tw, r#""twitter_extended_entities""#);
        out.push(b'}');
    }
    raw(out, r#","actor":"#);
    actor(out, m, tw);
    raw(out, r#","object":"#);
    if let Some(o) = inner.filter(|_| tw.is_rt) {
        activity_obj(out, m, o, None, false);
    } else {
        raw(
            out,
            r#"{"objectType":"note","id":"object:search.twitter.com,2005:"#,
        );
        num(out, tw.id);
        raw(out, r#"","summary":"#);
        js(out, &tw.text);
        raw(out, r#","link":"http://twitter.com/"#);
        raw(out, &screen);
        raw(out, "/statuses/");
        num(out, tw.id);
        raw(out, r#"","postedTime":""#);
        iso_date(out, tw.ms);
        raw(out, "\"}");
    }

    if let Some(r) = tw.reply {
        let name = match tw.ents.first() {
            Some(e) if e.kind == EntKind::Mention && e.start == 0 => tw.s(e.a).to_owned(),
            _ => {
                let mut s = String::new();
                m.user_name(r.user, &mut s);
                s
            }
        };
        raw(out, r#","inReplyTo":{"link":"http://twitter.com/"#);
        raw(out, &name);
        raw(out, "/statuses/");
        num(out, r.status);
        raw(out, "\"}");
    }
    raw(out, r#","favoritesCount":"#);
    num(out, u64::from(tw.counts[3]));
    raw(out, r#","twitter_entities":"#);
    match tw.trunc {
        Some((_, cut, kept)) => entities_v11(out, m, tw, kept, Some(cut + 2)),
        None => entities_v11(out, m, tw, tw.ents.len(), None),
    }
    if tw.trunc.is_none() {
        extended_entities(out, tw, r#""twitter_extended_entities""#);
    }
    if top {
        raw(out, r#","twitter_filter_level":"low""#);
    }
    raw(out, r#","twitter_lang":"#);
    js(out, tw.lang);
    raw(out, r#","retweetCount":"#);
    num(out, u64::from(tw.counts[2]));
    if let Some(p) = tw.place {
        let pl = &m.vocab.places[p];
        let (w, s, e, n) = bbox(pl);
        raw(out, r#","location":{"objectType":"place","displayName":"#);
        js(out, pl.full_name);
        raw(out, r#","name":"#);
        js(out, pl.name);
        raw(out, r#","country_code":"#);
        js(out, country_name(pl.country_code));
        raw(out, r#","twitter_country_code":"#);
        js(out, pl.country_code);
        raw(
            out,
            r#","twitter_place_type":"city","link":"https://api.twitter.com/1.1/geo/id/"#,
        );
        raw(out, pl.id);
        raw(out, r#".json","geo":{"type":"Polygon","coordinates":[[["#);
        for (i, (x, y)) in [(w, s), (w, n), (e, n), (e, s)].into_iter().enumerate() {
            if i > 0 {
                raw(out, "],[");
            }
            f6(out, x);
            out.push(b',');
            f6(out, y);
        }
        raw(out, "]]]}}");
    }
    if let Some((lon, lat)) = tw.coords {
        raw(out, r#","geo":{"type":"Point","coordinates":["#);
        f6(out, lat);
        out.push(b',');
        f6(out, lon);
        raw(out, "]}");
    }
    if let Some(q) = inner.filter(|_| tw.is_quote) {
        raw(out, r#","twitter_quoted_status":"#);
        activity_obj(out, m, q, None, false);
    }
    raw(out, r#","gnip":{"klout_score":"#);
    num(out, tw.user % 60 + 10);
    profile_locations(out, m, tw);
    raw(out, "}}");
}

// ---------------------------------------------------------------------------------------------
// API v2

fn entities_v2(out: &mut Vec<u8>, tw: &Tw) {
    raw(out, r#""entities":{"#);
    let mut any = false;
    for (kind, key) in [
        (EntKind::Hashtag, "hashtags"),
        (EntKind::Cashtag, "cashtags"),
        (EntKind::Mention, "mentions"),
        (EntKind::Url, "urls"),
    ] {
        let has_media = kind == EntKind::Url && tw.ents.iter().any(|e| e.kind == EntKind::Media);
        if !tw.ents.iter().any(|e| e.kind == kind) && !has_media {
            continue;
        }
        if any {
            out.push(b',');
        }
        any = true;
        out.push(b'"');
        raw(out, key);
        raw(out, "\":[");
        let mut first = true;
        for e in tw
            .ents
            .iter()
            .filter(|e| e.kind == kind || (kind == EntKind::Url && e.kind == EntKind::Media))
        {
            if !first {
                out.push(b',');
            }
            first = false;
            raw(out, r#"{"start":"#);
            num(out, u64::from(e.start));
            raw(out, r#","end":"#);
            num(out, u64::from(e.end));
            match e.kind {
                EntKind::Hashtag | EntKind::Cashtag => {
                    raw(out, r#","tag":"#);
                    js(out, tw.s(e.a));
                }
                EntKind::Mention => {
                    raw(out, r#","username":"#);
                    js(out, tw.s(e.a));
                    raw(out, r#","id":""#);
                    num(out, e.id);
                    out.push(b'"');
                }
                EntKind::Url => {
                    raw(out, r#","url":"#);
                    js(out, tw.s(e.a));
                    raw(out, r#","expanded_url":"#);
                    js(out, tw.s(e.b));
                    raw(out, r#","display_url":"#);
                    display_url(out, tw.s(e.b));
                }
                EntKind::Media => {
                    raw(out, r#","url":"#);
                    js(out, tw.s(e.a));
                    raw(out, r#","expanded_url":"#);
                    js(out, tw.s(e.b));
                    raw(out, r#","display_url":"pic.twitter.com/"#);
                    raw(out, &tw.s(e.a)[13..]);
                    raw(out, r#"","media_key":"3_"#);
                    num(out, e.id);
                    out.push(b'"');
                }
            }
            out.push(b'}');
        }
        out.push(b']');
    }
    out.push(b'}');
}

fn tweet_v2(out: &mut Vec<u8>, m: &mut Model, tw: &Tw, inner: Option<&Tw>, uid: u64) {
    raw(out, r#"{"id":""#);
    num(out, tw.id);
    raw(out, r#"","text":"#);
    js(out, &tw.text);
    raw(out, r#","author_id":""#);
    num(out, uid);
    raw(out, r#"","created_at":""#);
    iso_date(out, tw.ms);
    raw(out, r#"","conversation_id":""#);
    num(out, tw.reply.map_or(tw.id, |r| r.status));
    raw(out, "\",");
    entities_v2(out, tw);
    let media: Vec<&Ent> = tw
        .ents
        .iter()
        .filter(|e| e.kind == EntKind::Media)
        .collect();
    if !media.is_empty() {
        raw(out, r#","attachments":{"media_keys":["#);
        for (i, e) in media.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            raw(out, "\"3_");
            num(out, e.id);
            out.push(b'"');
        }
        raw(out, "]}");
    }
    let mut refs: Vec<(&str, u64)> = Vec::new();
    if let Some(o) = inner {
        refs.push((if tw.is_rt { "retweeted" } else { "quoted" }, o.id));
    }
    if let Some(r) = tw.reply {
        refs.push(("replied_to", r.status));
        let rid = match tw.ents.first() {
            Some(e) if e.kind == EntKind::Mention && e.start == 0 => e.id,
            _ => {
                let mut s = String::new();
                m.user_name(r.user, &mut s)
            }
        };
        raw(out, r#","in_reply_to_user_id":""#);
        num(out, rid);
        out.push(b'"');
    }
    if !refs.is_empty() {
        raw(out, r#","referenced_tweets":["#);
        for (i, (t, id)) in refs.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            raw(out, r#"{"type":""#);
            raw(out, t);
            raw(out, r#"","id":""#);
            num(out, *id);
            raw(out, "\"}");
        }
        out.push(b']');
    }
    if tw.place.is_some() || tw.coords.is_some() {
        raw(out, r#","geo":{"#);
        if let Some((lon, lat)) = tw.coords {
            raw(out, r#""coordinates":{"type":"Point","coordinates":["#);
            f6(out, lon);
            out.push(b',');
            f6(out, lat);
            raw(out, "]}");
            if tw.place.is_some() {
                out.push(b',');
            }
        }
        if let Some(p) = tw.place {
            raw(out, r#""place_id":"#);
            js(out, m.vocab.places[p].id);
        }
        out.push(b'}');
    }
    raw(out, r#","public_metrics":{"retweet_count":"#);
    num(out, u64::from(tw.counts[2]));
    raw(out, r#","reply_count":"#);
    num(out, u64::from(tw.counts[1]));
    raw(out, r#","like_count":"#);
    num(out, u64::from(tw.counts[3]));
    raw(out, r#","quote_count":"#);
    num(out, u64::from(tw.counts[0]));
    raw(out, r#"},"lang":"#);
    js(out, tw.lang);
    raw(out, r#","source":"#);
    js(out, m.vocab.sources[tw.source]);
    raw(
        out,
        r#","reply_settings":"everyone","possibly_sensitive":false}"#,
    );
}

fn user_v2(out: &mut Vec<u8>, m: &mut Model, tw: &Tw) -> u64 {
    let mut u = std::mem::take(&mut m.user_buf);
    user_data(m, tw, &mut u);
    raw(out, r#"{"id":""#);
    num(out, u.id);
    raw(out, r#"","name":"#);
    js(out, &u.name);
    raw(out, r#","username":"#);
    js(out, &u.screen);
    raw(out, r#","created_at":""#);
    iso_date(out, u.created_ms);
    raw(out, r#"","description":"#);
    js(out, &u.description);
    if !u.location.is_empty() {
        raw(out, r#","location":"#);
        js(out, &u.location);
    }
    raw(out, r#","url":"#);
    if u.url {
        raw(out, "\"https://");
        lower(out, &u.screen);
        raw(out, ".com\"");
    } else {
        raw(out, "\"\"");
    }
    raw(out, r#","verified":"#);
    raw(out, if u.verified { "true" } else { "false" });
    raw(
        out,
        r#","protected":false,"profile_image_url":"https://pbs.twimg.com/profile_images/"#,
    );
    num(out, u.colour >> 4);
    raw(
        out,
        r#"/avatar_normal.jpg","public_metrics":{"followers_count":"#,
    );
    num(out, u.counts[1]);
    raw(out, r#","following_count":"#);
    num(out, u.counts[2]);
    raw(out, r#","tweet_count":"#);
    num(out, u.counts[0]);
    raw(out, r#","listed_count":"#);
    num(out, u.counts[3]);
    raw(out, "}}");
    let id = u.id;
    m.user_buf = u;
    id
}

pub(crate) fn v2(out: &mut Vec<u8>, m: &mut Model, tw: &Tw, inner: Option<&Tw>) {
    // Users first into a side buffer (their ids go into the tweets).
    let mut users = std::mem::take(&mut m.v2_buf);
    users.clear();
    let uid = user_v2(&mut users, m, tw);
    let oid = inner.map(|o| {
        users.push(b',');
        user_v2(&mut users, m, o)
    });
    raw(out, r#"{"data":"#);
    tweet_v2(out, m, tw, inner, uid);
    raw(out, r#","includes":{"users":["#);
    out.extend_from_slice(&users);
    out.push(b']');
    if let (Some(o), Some(oid)) = (inner, oid) {
        raw(out, r#","tweets":["#);
        tweet_v2(out, m, o, None, oid);
        out.push(b']');
    }
    if let Some(p) = tw.place {
        let pl = &m.vocab.places[p];
        let (w, s, e, n) = bbox(pl);
        raw(out, r#","places":[{"id":"#);
        js(out, pl.id);
        raw(out, r#","full_name":"#);
        js(out, pl.full_name);
        raw(out, r#","name":"#);
        js(out, pl.name);
        raw(out, r#","country":"#);
        js(out, country_name(pl.country_code));
        raw(out, r#","country_code":"#);
        js(out, pl.country_code);
        raw(
            out,
            r#","place_type":"city","geo":{"type":"Feature","bbox":["#,
        );
        for (i, x) in [w, s, e, n].into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            f6(out, x);
        }
        raw(out, r#"],"properties":{}}}]"#);
    }
    let media: Vec<&Ent> = tw
        .ents
        .iter()
        .filter(|e| e.kind == EntKind::Media)
        .collect();
    if !media.is_empty() {
        raw(out, r#","media":["#);
        for (i, e) in media.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            raw(out, r#"{"media_key":"3_"#);
            num(out, e.id);
            raw(
                out,
                r#"","type":"photo","url":"https://pbs.twimg.com/media/"#,
            );
            raw(out, &tw.s(e.a)[13..]);
            raw(out, r#".jpg"}"#);
        }
        out.push(b']');
    }
    raw(out, "}}");
    m.v2_buf = users;
    let _ = push_num;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let mut out = Vec::new();
        twitter_date(&mut out, 1_677_628_800_000);
        assert_eq!(out, b"Wed Mar 01 00:00:00 +0000 2023");
        out.clear();
        iso_date(&mut out, 1_511_133_238_123);
        assert_eq!(out, b"2017-11-19T23:13:58.123Z");
        out.clear();
        twitter_date(&mut out, 951_782_400_000); // a leap day
        assert_eq!(out, b"Tue Feb 29 00:00:00 +0000 2000");
    }

    #[test]
    fn json_strings_and_numbers() {
        let mut out = Vec::new();
        js(&mut out, "a\"b\\c\nd\u{1}é🍕");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a\\\"b\\\\c\\nd\\u0001é🍕\""
        );
        let mut out = Vec::new();
        for n in [0, 7, 10, 1_234_567_890_123_456_789, u64::MAX] {
            out.clear();
            num(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }

    #[test]
    fn display_urls_are_cut_at_26() {
        let mut out = Vec::new();
        display_url(&mut out, "https://www.example.com/a/very/long/path/indeed");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"example.com/a/very/long/pa…\""
        );
    }
}
