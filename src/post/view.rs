//! The format-neutral, borrowed view of one post.
//!
//! A [`Post`] is made of [`Part`]s: the root post, and the posts it carries (the retweeted
//! original, the quoted post, the post that quoted post quotes). Each part has its own text,
//! entities, author and reply ids; root-level facts (language, source, place, coordinates,
//! nullcast) belong to the post as delivered. Which parts an operator looks at is the matcher's
//! business (matching-semantics S1); the view only exposes them.

use simd_json::Tape;

use super::sample;
use super::scratch::{Home, MediaData, PartData, ProfileGeoData, Scratch, StrRef, UserData};
use super::tape::Nodes;
use super::values::{BoundingBox, Format, Kind, MediaKind, Point, Role};

/// A URL entity. `unwound_*` come from the URL-unwinding enrichment (native `unwound`, Activity
/// Streams `gnip.urls`, v2 `unwound_url`/`title`/`description`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Url<'p> {
    /// The `t.co` link as written in the text.
    pub url: Option<&'p str>,
    /// The expanded URL.
    pub expanded_url: Option<&'p str>,
    /// The shortened URL shown to readers.
    pub display_url: Option<&'p str>,
    /// The final URL after unwinding redirects.
    pub unwound_url: Option<&'p str>,
    /// The unwound page's title.
    pub unwound_title: Option<&'p str>,
    /// The unwound page's description.
    pub unwound_description: Option<&'p str>,
}

/// A user mention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Mention<'p> {
    /// The screen name, without `@`.
    pub screen_name: Option<&'p str>,
    /// The user id.
    pub id: Option<u64>,
}

/// A media item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Media<'p> {
    /// Photo, video or animated GIF.
    pub kind: MediaKind,
    /// The `t.co` link of the media.
    pub url: Option<&'p str>,
    /// The expanded URL of the media.
    pub expanded_url: Option<&'p str>,
    /// The display URL of the media.
    pub display_url: Option<&'p str>,
}

/// A profile location of the Profile Geo enrichment (native `user.derived.locations`, Activity
/// Streams `gnip.profileLocations`).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct ProfileGeo<'p> {
    /// ISO 3166-1 alpha-2 country code.
    pub country_code: Option<&'p str>,
    /// Region (state, province).
    pub region: Option<&'p str>,
    /// Locality (city).
    pub locality: Option<&'p str>,
    /// Sub-region (county).
    pub sub_region: Option<&'p str>,
    /// Full name of the location.
    pub full_name: Option<&'p str>,
    /// The location's point.
    pub point: Option<Point>,
}

/// The place a post is tagged with.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Place<'p> {
    /// X's place id (`fd70c22040963ac7`).
    pub id: Option<&'p str>,
    /// Short name (`Boulder`).
    pub name: Option<&'p str>,
    /// Full name (`Boulder, CO`).
    pub full_name: Option<&'p str>,
    /// ISO 3166-1 alpha-2 country code.
    pub country_code: Option<&'p str>,
    /// The smallest box holding the place's polygon.
    pub bounding_box: Option<BoundingBox>,
}

/// The client a post was written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Source<'p> {
    /// The application name (the text of native `source`'s `<a>` tag, or the whole `source`
    /// when it is not a link; AS `generator.displayName`).
    pub name: Option<&'p str>,
    /// The application URL (the `href`; AS `generator.link`).
    pub url: Option<&'p str>,
}

/// One parsed post: a borrowed view of a line, valid until the [`Parser`](super::Parser) parses
/// the next one.
pub struct Post<'p> {
    pub(crate) tape: Tape<'p>,
    pub(crate) home: &'p mut Home,
    pub(crate) format: Format,
}

impl std::fmt::Debug for Post<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Post")
            .field("format", &self.format)
            .field("id", &self.id())
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}

impl Drop for Post<'_> {
    fn drop(&mut self) {
        // Hand the tape's allocation back to the parser for the next line.
        let tape = std::mem::replace(&mut self.tape, Tape(Vec::new()));
        self.home.tape = Some(tape.reset());
    }
}

impl<'p> Post<'p> {
    #[inline]
    fn nodes(&self) -> Nodes<'_, 'p> {
        &self.tape.0
    }

    #[inline]
    fn scratch(&self) -> &Scratch {
        &self.home.scratch
    }

    #[inline]
    fn part_at(&self, i: usize) -> Part<'_, 'p> {
        Part {
            nodes: self.nodes(),
            scratch: self.scratch(),
            data: &self.scratch().parts[i],
        }
    }

    #[inline]
    fn str(&self, r: StrRef) -> Option<&'p str> {
        r.get(self.nodes())
    }

    /// The format the post arrived in.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Retweet, quote, reply or original.
    pub fn kind(&self) -> Kind {
        let root = &self.scratch().parts[0];
        if self.is_retweet() {
            Kind::Retweet
        } else if root.is_quote_status {
            Kind::Quote
        } else if root.in_reply_to_status_id.is_some() {
            Kind::Reply
        } else {
            Kind::Original
        }
    }

    /// The post id (`id_str`, AS `id` after its last `:`, v2 `data.id`).
    pub fn id(&self) -> u64 {
        self.scratch().parts[0].id
    }

    /// The root post.
    pub fn root(&self) -> Part<'_, 'p> {
        self.part_at(0)
    }

    /// The post's author (the retweeter, for a retweet).
    pub fn user(&self) -> User<'_, 'p> {
        self.root().author()
    }

    /// Whether the post is a retweet: it names the original it retweets (native
    /// `retweeted_status`, AS `verb: share` with its `object`, v2 a `referenced_tweets` entry of
    /// type `retweeted`). The post says so itself: a v2 retweet is one even when
    /// `includes.tweets` does not expand the original, and then [`Post::retweeted`] is `None`.
    pub fn is_retweet(&self) -> bool {
        self.retweeted_status_id().is_some()
    }

    /// The id of the retweeted original, for a retweet (whether or not the post carries the
    /// original).
    pub fn retweeted_status_id(&self) -> Option<u64> {
        self.scratch().root.retweeted_status_id
    }

    /// The retweeted original, for a retweet that carries it: always in v1.1 and Activity
    /// Streams; in v2 only when `includes.tweets` expands it. Operators that read the
    /// original's content (its text, entities, author) find nothing when it is absent.
    pub fn retweeted(&self) -> Option<Part<'_, 'p>> {
        self.part(Role::Retweeted)
    }

    /// The quoted post: the root's, or for a retweet of a quote, the retweeted original's.
    pub fn quoted(&self) -> Option<Part<'_, 'p>> {
        self.part(Role::Quoted)
    }

    /// The part with `role`, if the post has it.
    pub fn part(&self, role: Role) -> Option<Part<'_, 'p>> {
        let i = self.scratch().parts.iter().position(|p| p.role == role)?;
        Some(self.part_at(i))
    }

    /// Every part: the root first, then the retweeted original, the quoted post and the quoted
    /// post's quoted post, those present.
    pub fn parts(&self) -> impl ExactSizeIterator<Item = Part<'_, 'p>> + '_ {
        (0..self.scratch().parts.len()).map(|i| self.part_at(i))
    }

    /// The language code (`lang`, AS `twitter_lang`, v2 `data.lang`).
    pub fn lang(&self) -> Option<&'p str> {
        self.str(self.scratch().root.lang)
    }

    /// The client the post was written with.
    pub fn source(&self) -> Option<Source<'p>> {
        let r = &self.scratch().root;
        let s = Source {
            name: self.str(r.source_name),
            url: self.str(r.source_url),
        };
        (s.name.is_some() || s.url.is_some()).then_some(s)
    }

    /// The place the post is tagged with (never present on native retweets, whose root has none).
    pub fn place(&self) -> Option<Place<'p>> {
        let p = self.scratch().root.place?;
        Some(Place {
            id: self.str(p.id),
            name: self.str(p.name),
            full_name: self.str(p.full_name),
            country_code: self.str(p.country_code),
            bounding_box: p.bounding_box,
        })
    }

    /// The exact location (`coordinates`, AS `geo` with its lat/lon order swapped back, v2
    /// `geo.coordinates`).
    pub fn coordinates(&self) -> Option<Point> {
        self.scratch().root.coordinates
    }

    /// True when the post is nullcast (`scopes.followers == false`).
    pub fn is_nullcast(&self) -> bool {
        self.scratch().root.nullcast
    }

    /// True when the line already has a `matching_rules` where output would write one (native
    /// root, AS `gnip`, v2 root).
    pub fn has_matching_rules(&self) -> bool {
        self.scratch().root.matching_rules
    }

    /// The sample bucket of matching-semantics S37, `0..100`: FNV-1a 64 of the decimal id,
    /// modulo 100.
    pub fn sample_bucket(&self) -> u8 {
        sample::bucket(self.id())
    }
}

/// One post inside a [`Post`]: the root, the retweeted original, a quoted post.
#[derive(Clone, Copy)]
pub struct Part<'v, 'p> {
    nodes: Nodes<'v, 'p>,
    scratch: &'v Scratch,
    data: &'v PartData,
}

impl std::fmt::Debug for Part<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Part")
            .field("role", &self.role())
            .field("id", &self.id())
            .field("text", &self.text())
            .finish_non_exhaustive()
    }
}

impl<'v, 'p> Part<'v, 'p> {
    #[inline]
    fn str(&self, r: StrRef) -> Option<&'p str> {
        r.get(self.nodes)
    }

    /// Where this part sits in the post.
    pub fn role(&self) -> Role {
        self.data.role
    }

    /// The post id.
    pub fn id(&self) -> u64 {
        self.data.id
    }

    /// The full text: `extended_tweet.full_text`, `full_text` or `text` (AS `long_object.body`
    /// or `body`; v2 `note_tweet.text` or `text`). Empty when a nested post has none.
    pub fn text(&self) -> &'p str {
        self.str(self.data.text).unwrap_or("")
    }

    /// Hashtag texts, without `#` (from the entities that go with [`Part::text`]).
    pub fn hashtags(&self) -> impl ExactSizeIterator<Item = &'p str> + 'v {
        let nodes = self.nodes;
        self.scratch.tags[self.data.hashtags.range()]
            .iter()
            .map(move |r| r.get(nodes).unwrap_or(""))
    }

    /// Cashtag texts, without `$` (`symbols`; v2 `cashtags`).
    pub fn cashtags(&self) -> impl ExactSizeIterator<Item = &'p str> + 'v {
        let nodes = self.nodes;
        self.scratch.tags[self.data.cashtags.range()]
            .iter()
            .map(move |r| r.get(nodes).unwrap_or(""))
    }

    /// User mentions.
    pub fn mentions(&self) -> impl ExactSizeIterator<Item = Mention<'p>> + 'v {
        let nodes = self.nodes;
        self.scratch.mentions[self.data.mentions.range()]
            .iter()
            .map(move |m| Mention {
                screen_name: m.screen_name.get(nodes),
                id: m.id,
            })
    }

    /// URL entities (not media links: those are in [`Part::media`]; in v2, the URL entities
    /// with a `media_key`).
    pub fn urls(&self) -> impl ExactSizeIterator<Item = Url<'p>> + 'v {
        let nodes = self.nodes;
        self.scratch.urls[self.data.urls.range()]
            .iter()
            .map(move |u| Url {
                url: u.url.get(nodes),
                expanded_url: u.expanded_url.get(nodes),
                display_url: u.display_url.get(nodes),
                unwound_url: u.unwound_url.get(nodes),
                unwound_title: u.unwound_title.get(nodes),
                unwound_description: u.unwound_description.get(nodes),
            })
    }

    /// Media items (matching-semantics S27: `extended_entities` when present, else `entities`).
    /// In v2: one per key of `attachments.media_keys`, then one per `media_key` of a URL entity
    /// that `attachments` does not list (X's own media all the same), in order; each key's kind
    /// comes from `includes.media`, [`MediaKind::Unknown`] when it is not there, and its links
    /// from the URL entity with that key, if any.
    pub fn media(&self) -> impl ExactSizeIterator<Item = Media<'p>> + 'v {
        let nodes = self.nodes;
        self.scratch.media[self.data.media.range()]
            .iter()
            .map(move |m: &MediaData| Media {
                kind: m.kind,
                url: m.url.get(nodes),
                expanded_url: m.expanded_url.get(nodes),
                display_url: m.display_url.get(nodes),
            })
    }

    /// `is_quote_status` (AS and v2: a quoted post is referenced; a quoted or retweeted AS
    /// activity does not carry its own quoted post, so there it is `false`).
    pub fn is_quote_status(&self) -> bool {
        self.data.is_quote_status
    }

    /// The post this one replies to.
    pub fn in_reply_to_status_id(&self) -> Option<u64> {
        self.data.in_reply_to_status_id
    }

    /// The user this post replies to (absent in Activity Streams, which gives only the screen
    /// name).
    pub fn in_reply_to_user_id(&self) -> Option<u64> {
        self.data.in_reply_to_user_id
    }

    /// The screen name of the user this post replies to.
    pub fn in_reply_to_screen_name(&self) -> Option<&'p str> {
        self.str(self.data.in_reply_to_screen_name)
    }

    /// The author.
    pub fn author(&self) -> User<'v, 'p> {
        User {
            nodes: self.nodes,
            scratch: self.scratch,
            data: &self.data.author,
        }
    }
}

/// A user (the author of a part).
#[derive(Clone, Copy)]
pub struct User<'v, 'p> {
    nodes: Nodes<'v, 'p>,
    scratch: &'v Scratch,
    data: &'v UserData,
}

impl std::fmt::Debug for User<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id())
            .field("screen_name", &self.screen_name())
            .finish_non_exhaustive()
    }
}

impl<'v, 'p> User<'v, 'p> {
    #[inline]
    fn str(&self, r: StrRef) -> Option<&'p str> {
        r.get(self.nodes)
    }

    /// The user id (`id_str`, AS `actor.id` after its last `:`, v2 `author_id`).
    pub fn id(&self) -> Option<u64> {
        self.data.id
    }

    /// The screen name (AS `preferredUsername`, v2 `username`).
    pub fn screen_name(&self) -> Option<&'p str> {
        self.str(self.data.screen_name)
    }

    /// The display name (AS `displayName`).
    pub fn name(&self) -> Option<&'p str> {
        self.str(self.data.name)
    }

    /// The bio (AS `summary`).
    pub fn description(&self) -> Option<&'p str> {
        self.str(self.data.description)
    }

    /// The free-form profile location (AS `location.displayName`).
    pub fn location(&self) -> Option<&'p str> {
        self.str(self.data.location)
    }

    /// `verified`.
    pub fn verified(&self) -> bool {
        self.data.verified
    }

    /// `statuses_count` (AS `statusesCount`, v2 `public_metrics.tweet_count`).
    pub fn statuses_count(&self) -> Option<u64> {
        self.data.statuses_count
    }

    /// `followers_count`.
    pub fn followers_count(&self) -> Option<u64> {
        self.data.followers_count
    }

    /// `friends_count` (v2 `following_count`).
    pub fn friends_count(&self) -> Option<u64> {
        self.data.friends_count
    }

    /// `listed_count`.
    pub fn listed_count(&self) -> Option<u64> {
        self.data.listed_count
    }

    /// Profile Geo locations (`derived.locations`, AS `gnip.profileLocations`).
    pub fn profile_geo(&self) -> impl ExactSizeIterator<Item = ProfileGeo<'p>> + 'v {
        let nodes = self.nodes;
        self.scratch.profile_geo[self.data.profile_geo.range()]
            .iter()
            .map(move |g: &ProfileGeoData| ProfileGeo {
                country_code: g.country_code.get(nodes),
                region: g.region.get(nodes),
                locality: g.locality.get(nodes),
                sub_region: g.sub_region.get(nodes),
                full_name: g.full_name.get(nodes),
                point: g.point,
            })
    }
}
