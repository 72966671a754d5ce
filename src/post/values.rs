//! The small value types a post view is made of: its format, kind, part roles, media kinds and
//! coordinates. A leaf module: the extractors' scratch space and the view both use these, and
//! neither depends on the other through them.

/// The wire format a post arrived in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// v1.1 native (classic, compatibility with `extended_tweet`, extended with `full_text`),
    /// including native enriched.
    Native,
    /// Gnip Activity Streams (`actor`, `object`, `body`, `gnip`).
    ActivityStreams,
    /// API v2 (`data` + `includes`).
    V2,
}

/// What kind of post the root is. A retweet is a retweet even when its original quotes
/// something; a quote (`is_quote_status: true`, as `is:quote` reads it) is a quote even when it
/// also replies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A post that is none of the others.
    Original,
    /// A native retweet (`retweeted_status`, AS `verb: share`, v2 `referenced_tweets`
    /// `retweeted`, whether or not `includes.tweets` expands it): see
    /// [`Post::is_retweet`](super::Post::is_retweet).
    Retweet,
    /// A quote post (`is_quote_status: true`; AS and v2: a quoted post is referenced).
    Quote,
    /// A reply (`in_reply_to_status_id` present).
    Reply,
}

/// Where a [`Part`](super::Part) sits in the post.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The post as delivered.
    Root,
    /// The original of a retweet.
    Retweeted,
    /// The quoted post: of the root, or, for a retweet of a quote, of the retweeted original.
    Quoted,
    /// The post the quoted post quotes (quote of a quote, one level).
    QuotedQuoted,
}

/// A media type (matching-semantics S27: from `extended_entities` when present, else `entities`;
/// v2: the `type` of the media key's entry in `includes.media`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// `photo`.
    Photo,
    /// `video`.
    Video,
    /// `animated_gif`.
    AnimatedGif,
    /// Any other type string.
    Other,
    /// No type is given: a v2 media key that `includes.media` does not expand (or expands
    /// without a `type`), or a media entity without a `type` string. The post carries X media
    /// all the same (`has:media` matches), but neither `has:images` nor `has:videos` does.
    Unknown,
}

impl MediaKind {
    pub(crate) fn from_type(t: &str) -> Self {
        match t {
            "photo" => Self::Photo,
            "video" => Self::Video,
            "animated_gif" => Self::AnimatedGif,
            _ => Self::Other,
        }
    }
}

/// A point in decimal degrees.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Point {
    /// Longitude, -180 to 180.
    pub lon: f64,
    /// Latitude, -90 to 90.
    pub lat: f64,
}

/// A box in decimal degrees: the smallest one holding a place's polygon.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct BoundingBox {
    /// Western longitude.
    pub west: f64,
    /// Southern latitude.
    pub south: f64,
    /// Eastern longitude.
    pub east: f64,
    /// Northern latitude.
    pub north: f64,
}
