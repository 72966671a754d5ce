//! The per-post extraction, stored as tape references in reusable vectors.
//!
//! Nothing here borrows the input: strings are [`StrRef`]s (a tape node and a byte range inside
//! its string), lists are [`Span`]s into shared vectors. The vectors keep their capacity from one
//! post to the next, so steady-state ingest allocates nothing.

use simd_json::Tape;

use super::tape::{NONE, Nodes, str_at};
use super::values::{BoundingBox, MediaKind, Point, Role};

/// A string of the tape: node `node`, bytes `start..end` of it (`end == NONE`: to its end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StrRef {
    pub(crate) node: u32,
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Default for StrRef {
    fn default() -> Self {
        Self::NONE
    }
}

impl StrRef {
    pub(crate) const NONE: Self = Self {
        node: NONE,
        start: 0,
        end: NONE,
    };

    /// The whole string at node `i`.
    #[inline]
    pub(crate) fn whole(i: usize) -> Self {
        Self {
            node: super::tape::idx(i),
            start: 0,
            end: NONE,
        }
    }

    /// Bytes `start..end` of the string at node `i`.
    #[inline]
    pub(crate) fn sub(i: usize, start: usize, end: usize) -> Self {
        Self {
            node: super::tape::idx(i),
            start: super::tape::idx(start),
            end: super::tape::idx(end),
        }
    }

    #[inline]
    pub(crate) fn is_some(self) -> bool {
        self.node != NONE
    }

    /// The string, if present (and a valid UTF-8 boundary range, which extraction guarantees).
    #[inline]
    pub(crate) fn get<'p>(self, nodes: Nodes<'_, 'p>) -> Option<&'p str> {
        if self.node == NONE {
            return None;
        }
        let s = str_at(nodes, self.node as usize)?;
        if self.end == NONE {
            s.get(self.start as usize..)
        } else {
            s.get(self.start as usize..self.end as usize)
        }
    }
}

/// A range of one of the scratch vectors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    #[inline]
    pub(crate) fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Length of `v` as a `u32` span bound.
#[inline]
pub(crate) fn mark<T>(v: &[T]) -> u32 {
    u32::try_from(v.len()).unwrap_or(u32::MAX)
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct UrlData {
    pub(crate) url: StrRef,
    pub(crate) expanded_url: StrRef,
    pub(crate) display_url: StrRef,
    pub(crate) unwound_url: StrRef,
    pub(crate) unwound_title: StrRef,
    pub(crate) unwound_description: StrRef,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MentionData {
    pub(crate) screen_name: StrRef,
    pub(crate) id: Option<u64>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct MediaData {
    pub(crate) kind: MediaKind,
    pub(crate) url: StrRef,
    pub(crate) expanded_url: StrRef,
    pub(crate) display_url: StrRef,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ProfileGeoData {
    pub(crate) country_code: StrRef,
    pub(crate) region: StrRef,
    pub(crate) locality: StrRef,
    pub(crate) sub_region: StrRef,
    pub(crate) full_name: StrRef,
    pub(crate) point: Option<Point>,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct UserData {
    pub(crate) id: Option<u64>,
    pub(crate) screen_name: StrRef,
    pub(crate) name: StrRef,
    pub(crate) description: StrRef,
    pub(crate) location: StrRef,
    pub(crate) verified: bool,
    pub(crate) statuses_count: Option<u64>,
    pub(crate) followers_count: Option<u64>,
    pub(crate) friends_count: Option<u64>,
    pub(crate) listed_count: Option<u64>,
    pub(crate) profile_geo: Span,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct PartData {
    pub(crate) role: Role,
    pub(crate) id: u64,
    pub(crate) text: StrRef,
    pub(crate) hashtags: Span,
    pub(crate) cashtags: Span,
    pub(crate) mentions: Span,
    pub(crate) urls: Span,
    pub(crate) media: Span,
    pub(crate) is_quote_status: bool,
    pub(crate) in_reply_to_status_id: Option<u64>,
    pub(crate) in_reply_to_user_id: Option<u64>,
    pub(crate) in_reply_to_screen_name: StrRef,
    pub(crate) author: UserData,
}

impl PartData {
    pub(crate) fn new(role: Role) -> Self {
        Self {
            role,
            id: 0,
            text: StrRef::NONE,
            hashtags: Span::default(),
            cashtags: Span::default(),
            mentions: Span::default(),
            urls: Span::default(),
            media: Span::default(),
            is_quote_status: false,
            in_reply_to_status_id: None,
            in_reply_to_user_id: None,
            in_reply_to_screen_name: StrRef::NONE,
            author: UserData::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PlaceData {
    pub(crate) id: StrRef,
    pub(crate) name: StrRef,
    pub(crate) full_name: StrRef,
    pub(crate) country_code: StrRef,
    pub(crate) bounding_box: Option<BoundingBox>,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RootData {
    /// The id of the retweeted original, when the post is a retweet (whether or not it carries
    /// the original).
    pub(crate) retweeted_status_id: Option<u64>,
    pub(crate) lang: StrRef,
    pub(crate) source_name: StrRef,
    pub(crate) source_url: StrRef,
    pub(crate) place: Option<PlaceData>,
    pub(crate) coordinates: Option<Point>,
    pub(crate) nullcast: bool,
    pub(crate) matching_rules: bool,
}

/// Everything extracted from one post.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pub(crate) parts: Vec<PartData>,
    /// Hashtag and cashtag texts.
    pub(crate) tags: Vec<StrRef>,
    pub(crate) mentions: Vec<MentionData>,
    pub(crate) urls: Vec<UrlData>,
    pub(crate) media: Vec<MediaData>,
    pub(crate) profile_geo: Vec<ProfileGeoData>,
    pub(crate) root: RootData,
}

impl Scratch {
    pub(crate) fn clear(&mut self) {
        self.parts.clear();
        self.tags.clear();
        self.mentions.clear();
        self.urls.clear();
        self.media.clear();
        self.profile_geo.clear();
        self.root = RootData::default();
    }
}

/// The parts of the [`Parser`](super::Parser) a [`Post`](super::Post) borrows, and gives back when dropped.
#[derive(Debug, Default)]
pub(crate) struct Home {
    /// The tape allocation, between posts.
    pub(crate) tape: Option<Tape<'static>>,
    pub(crate) scratch: Scratch,
}
