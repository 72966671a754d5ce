//! Stage (a): the facts of one post that do not depend on any rule, computed once per post.
//!
//! Folded tokens with their field and position, folded field texts for the substring automaton,
//! exact keys (entities, users, ids, language, flags, geo cells, profile strings), user counts,
//! locations and the sample bucket. Every segment of a rule set then looks these up in its own
//! tables (stage b); nothing here is repeated per segment. Only what the rule set can read
//! ([`Reads`], the union over its segments) is computed: a set of `from:` rules never folds or
//! tokenizes a text, a set without bio tests never decodes the bio.

use std::ops::Range;

use smallvec::SmallVec;

use crate::compile::atoms::hash_key;
use crate::compile::geo_cells;
use crate::compile::ir::{Field, KeyKind, Reads};
use crate::post::{MediaKind, Post, Role};

/// One tokenized field instance of the post (the root's text, a URL, the bio…).
#[derive(Clone, Debug)]
pub(crate) struct FieldFact {
    pub(crate) field: Field,
    /// The folded text of the whole field, in `Facts::arena`.
    pub(crate) text: Range<u32>,
    /// Its tokens, in `Facts::tokens`.
    pub(crate) tokens: Range<u32>,
}

/// One token: its folded text in `Facts::arena`, with the hash of its token key.
#[derive(Clone, Debug)]
pub(crate) struct TokenFact {
    pub(crate) text: Range<u32>,
    pub(crate) hash: u64,
    pub(crate) spaceless: bool,
}

/// One exact key of the post: its kind, and its value in `Facts::key_arena`, hashed once.
#[derive(Clone, Debug)]
pub(crate) struct KeyFact {
    pub(crate) kind: KeyKind,
    pub(crate) value: Range<u32>,
    pub(crate) hash: u64,
}

/// The rule-independent facts of one post. Reused from post to post: clearing keeps the
/// allocations, so steady-state matching allocates nothing here.
#[derive(Clone, Debug, Default)]
pub(crate) struct Facts {
    pub(crate) arena: String,
    pub(crate) fields: Vec<FieldFact>,
    pub(crate) tokens: Vec<TokenFact>,
    pub(crate) key_arena: Vec<u8>,
    pub(crate) keys: Vec<KeyFact>,
    /// statuses, followers, friends, listed (see `CountField`).
    pub(crate) counts: [Option<u64>; 4],
    pub(crate) sample_bucket: u8,
    /// The root post's exact point (lon, lat); never set on a retweet.
    pub(crate) point: Option<(f64, f64)>,
    /// The root post's place box; never set on a retweet.
    pub(crate) place_box: Option<[f64; 4]>,
    /// The author's profile-geo points.
    pub(crate) profile_points: SmallVec<[(f64, f64); 2]>,
    /// When set (by `explain` only), the original text of every field instance, in order.
    pub(crate) sources: Option<Vec<String>>,
    /// What the current post's facts are computed for: the adders skip every field and key
    /// kind outside it.
    pub(crate) reads: Reads,
}

impl Facts {
    pub(crate) fn clear(&mut self) {
        self.arena.clear();
        self.fields.clear();
        self.tokens.clear();
        self.key_arena.clear();
        self.keys.clear();
        self.counts = [None; 4];
        self.sample_bucket = 0;
        self.point = None;
        self.place_box = None;
        self.profile_points.clear();
        if let Some(sources) = &mut self.sources {
            sources.clear();
        }
    }

    /// The folded text of a token.
    #[inline]
    pub(crate) fn token_text(&self, t: &TokenFact) -> &str {
        &self.arena[t.text.start as usize..t.text.end as usize]
    }

    /// The folded text of a field instance.
    #[inline]
    pub(crate) fn field_text(&self, f: &FieldFact) -> &str {
        &self.arena[f.text.start as usize..f.text.end as usize]
    }

    /// The tokens of a field instance.
    #[inline]
    pub(crate) fn field_tokens(&self, f: &FieldFact) -> &[TokenFact] {
        &self.tokens[f.tokens.start as usize..f.tokens.end as usize]
    }

    /// The value bytes of a key.
    #[inline]
    pub(crate) fn key_value(&self, k: &KeyFact) -> &[u8] {
        &self.key_arena[k.value.start as usize..k.value.end as usize]
    }

    /// Adds key `kind` + `value`, folded when `fold` is set.
    #[inline]
    pub(crate) fn add_key(&mut self, kind: KeyKind, value: &str, fold: bool) {
        if self.reads.key(kind) {
            self.push_key_text(kind, value, fold);
        }
    }

    fn push_key_text(&mut self, kind: KeyKind, value: &str, fold: bool) {
        let start = self.key_arena.len();
        if fold {
            // Fold through the text arena's tail, then move the bytes over: no allocation.
            let mark = self.arena.len();
            crate::tokenize::fold_into(value, &mut self.arena);
            self.key_arena
                .extend_from_slice(&self.arena.as_bytes()[mark..]);
            self.arena.truncate(mark);
        } else {
            self.key_arena.extend_from_slice(value.as_bytes());
        }
        self.push_key(kind, start);
    }

    /// Adds key `kind` + raw bytes.
    #[inline]
    pub(crate) fn add_key_bytes(&mut self, kind: KeyKind, value: &[u8]) {
        if self.reads.key(kind) {
            self.push_key_bytes(kind, value);
        }
    }

    fn push_key_bytes(&mut self, kind: KeyKind, value: &[u8]) {
        let start = self.key_arena.len();
        self.key_arena.extend_from_slice(value);
        self.push_key(kind, start);
    }

    /// Adds key `kind` + the decimal digits of `n`.
    #[inline]
    pub(crate) fn add_key_u64(&mut self, kind: KeyKind, n: u64) {
        if !self.reads.key(kind) {
            return;
        }
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut n = n;
        loop {
            i -= 1;
            // A decimal digit always fits in a byte.
            #[allow(clippy::cast_possible_truncation)]
            {
                digits[i] = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push_key_bytes(kind, &digits[i..]);
    }

    fn push_key(&mut self, kind: KeyKind, start: usize) {
        let hash = hash_key(kind as u8, &self.key_arena[start..]);
        let end = self.key_arena.len();
        self.keys.push(KeyFact {
            kind,
            value: to_u32(start)..to_u32(end),
            hash,
        });
    }

    /// Folds one field instance and tokenizes it as written ([`crate::tokenize::fold_tokens`]).
    #[inline]
    pub(crate) fn add_field(&mut self, field: Field, text: &str) {
        if !text.is_empty() && self.reads.field(field) {
            self.push_field(field, text);
        }
    }

    fn push_field(&mut self, field: Field, text: &str) {
        if let Some(sources) = &mut self.sources {
            sources.push(text.to_string());
        }
        let start = self.arena.len();
        let tok_start = self.tokens.len();
        let Facts { arena, tokens, .. } = self;
        crate::tokenize::fold_tokens(text, arena, |folded, tok| {
            tokens.push(TokenFact {
                text: to_u32(tok.start)..to_u32(tok.end),
                hash: hash_key(KeyKind::Token as u8, &folded.as_bytes()[tok.span()]),
                spaceless: tok.kind == crate::tokenize::TokenKind::Spaceless,
            });
        });
        let end = self.arena.len();
        self.fields.push(FieldFact {
            field,
            text: to_u32(start)..to_u32(end),
            tokens: to_u32(tok_start)..to_u32(self.tokens.len()),
        });
    }
}

/// Offsets into per-post arenas: a post is at most the ingest limit (1 MB by default, far
/// below 4 GiB), so they fit; saturate rather than panic on anything larger.
#[inline]
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The parts of a post that text and entity operators see (matching-semantics S1): the root, the
/// retweeted original and the quoted post — not the post a quoted post quotes.
pub(crate) fn sees_text(role: Role) -> bool {
    matches!(role, Role::Root | Role::Retweeted | Role::Quoted)
}

impl Facts {
    /// Computes the facts of `post` that `reads` asks for, replacing the previous post's.
    /// Facts that cost nothing next to the view (counts, points, the sample bucket, the flags'
    /// truth) are always taken; folded texts, tokens and keys only when read.
    pub(crate) fn extract(&mut self, post: &Post<'_>, reads: Reads) {
        self.clear();
        self.reads = reads;
        let retweet = post.is_retweet();
        let (mut links, mut mentions, mut hashtags, mut symbols) = (false, false, false, false);
        let (mut media, mut images, mut videos) = (false, false, false);
        let (mut reply, mut quote) = (false, post.quoted().is_some());
        for part in post.parts().filter(|p| sees_text(p.role())) {
            self.add_field(Field::Text, part.text());
            for url in part.urls() {
                links = true;
                let strings = [url.url, url.expanded_url, url.display_url, url.unwound_url];
                for (i, s) in strings.iter().enumerate() {
                    // The same string twice (an unwound URL equal to the expanded one) adds
                    // nothing a test could see.
                    if !strings[..i].contains(s) {
                        self.add_field(Field::Url, s.unwrap_or(""));
                    }
                }
                self.add_field(Field::UrlTitle, url.unwound_title.unwrap_or(""));
                self.add_field(Field::UrlDescription, url.unwound_description.unwrap_or(""));
            }
            for tag in part.hashtags() {
                hashtags = true;
                self.add_key(KeyKind::Hashtag, tag, true);
            }
            for tag in part.cashtags() {
                symbols = true;
                self.add_key(KeyKind::Cashtag, tag, true);
            }
            for m in part.mentions() {
                mentions = true;
                if let Some(name) = m.screen_name {
                    self.add_key(KeyKind::MentionName, name, true);
                }
                if let Some(id) = m.id {
                    self.add_key_u64(KeyKind::MentionId, id);
                }
            }
            for m in part.media() {
                links = true;
                media = true;
                images |= m.kind == MediaKind::Photo;
                videos |= matches!(m.kind, MediaKind::Video | MediaKind::AnimatedGif);
            }
            reply |= part.in_reply_to_status_id().is_some();
            quote |= part.role() != Role::Quoted && part.is_quote_status();
        }

        let root = post.root();
        let user = post.user();
        self.add_field(Field::Bio, user.description().unwrap_or(""));
        self.add_field(Field::BioName, user.name().unwrap_or(""));
        self.add_field(Field::BioLocation, user.location().unwrap_or(""));
        if let Some(source) = post.source() {
            self.add_field(Field::Source, source.name.unwrap_or(""));
            self.add_field(Field::Source, source.url.unwrap_or(""));
        }
        if let Some(name) = user.screen_name() {
            self.add_key(KeyKind::FromName, name, true);
        }
        if let Some(id) = user.id() {
            self.add_key_u64(KeyKind::FromId, id);
        }
        if let Some(name) = root.in_reply_to_screen_name() {
            self.add_key(KeyKind::ToName, name, true);
        }
        if let Some(id) = root.in_reply_to_user_id() {
            self.add_key_u64(KeyKind::ToId, id);
        }
        if let Some(id) = root.in_reply_to_status_id() {
            self.add_key_u64(KeyKind::InReplyToStatus, id);
        }
        if let Some(id) = post.retweeted_status_id() {
            self.add_key_u64(KeyKind::RetweetOfStatus, id);
        }
        // The original's author is known only when the post carries the original.
        if let Some(rt) = post.retweeted() {
            let author = rt.author();
            if let Some(name) = author.screen_name() {
                self.add_key(KeyKind::RetweetsOfName, name, true);
            }
            if let Some(id) = author.id() {
                self.add_key_u64(KeyKind::RetweetsOfId, id);
            }
        }
        let lang = post.lang();
        if let Some(lang) = lang {
            self.add_key(KeyKind::Lang, lang, true);
        }
        self.counts = [
            user.statuses_count(),
            user.followers_count(),
            user.friends_count(),
            user.listed_count(),
        ];
        self.sample_bucket = post.sample_bucket();

        // Geo operators never match a retweet (matching-semantics S9).
        let mut geo = false;
        if !retweet {
            if let Some(p) = post.coordinates() {
                geo = true;
                self.point = Some((p.lon, p.lat));
                if let Some(cell) = geo_cells::cell(p.lon, p.lat) {
                    self.add_key_bytes(KeyKind::GeoCell, &cell);
                }
            }
            if let Some(place) = post.place() {
                geo = true;
                if let Some(id) = place.id {
                    self.add_key(KeyKind::PlaceId, id, true);
                }
                if let Some(cc) = place.country_code {
                    self.add_key(KeyKind::PlaceCountry, cc, true);
                }
                self.add_field(Field::Place, place.name.unwrap_or(""));
                self.add_field(Field::Place, place.full_name.unwrap_or(""));
                if let Some(b) = place.bounding_box {
                    self.place_box = Some([b.west, b.south, b.east, b.north]);
                    if let Some(cell) = geo_cells::cell(b.west, b.south) {
                        self.add_key_bytes(KeyKind::GeoCell, &cell);
                    }
                }
            }
        }
        let mut profile_geo = false;
        for g in user.profile_geo() {
            profile_geo = true;
            if let Some(cc) = g.country_code {
                self.add_key(KeyKind::ProfileCountry, cc, true);
            }
            if let Some(s) = g.region {
                self.add_key(KeyKind::ProfileRegion, s, true);
            }
            if let Some(s) = g.locality {
                self.add_key(KeyKind::ProfileLocality, s, true);
            }
            if let Some(s) = g.sub_region {
                self.add_key(KeyKind::ProfileSubregion, s, true);
            }
            if let Some(p) = g.point {
                self.profile_points.push((p.lon, p.lat));
                if let Some(cell) = geo_cells::cell(p.lon, p.lat) {
                    self.add_key_bytes(KeyKind::ProfileGeoCell, &cell);
                }
            }
        }

        let flags: [(bool, &str); 15] = [
            (links, "has:links"),
            (mentions, "has:mentions"),
            (hashtags, "has:hashtags"),
            (symbols, "has:symbols"),
            (media, "has:media"),
            (images, "has:images"),
            (videos, "has:videos"),
            (geo, "has:geo"),
            (profile_geo, "has:profile_geo"),
            (
                lang.is_some_and(|l| !l.is_empty() && l != "und"),
                "has:lang",
            ),
            (retweet, "is:retweet"),
            (reply, "is:reply"),
            (quote, "is:quote"),
            (user.verified(), "is:verified"),
            (post.is_nullcast(), "is:nullcast"),
        ];
        for (on, name) in flags {
            if on {
                self.add_key_bytes(KeyKind::Flag, name.as_bytes());
            }
        }
    }
}
