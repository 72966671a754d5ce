//! The compiler's intermediate form of a rule: a boolean expression over leaf tests that the
//! matcher knows how to index and verify.
//!
//! Lowering (`lower.rs`) turns the syntax tree into this form, resolving every operator to the
//! parts of a post it sees (matching-semantics S1–S10 and S19–S36, `grammar/operators.md`): from
//! here on the compiler never looks at operator names.

/// A text field class: which tokenized text of a post a test reads.
///
/// A post has several instances of a class (the root's text, the retweeted original's, the
/// quoted post's); a sequence test matches within one instance, never across two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum Field {
    /// Post text (root, retweeted original, quoted post).
    Text = 0,
    /// URL strings of those parts: `url`, `expanded_url`, `display_url`, `unwound.url`.
    Url = 1,
    /// `unwound.title` of their URLs.
    UrlTitle = 2,
    /// `unwound.description` of their URLs.
    UrlDescription = 3,
    /// The root author's profile description.
    Bio = 4,
    /// The root author's display name.
    BioName = 5,
    /// The root author's free-form profile location.
    BioLocation = 6,
    /// The root post's source application: its name and URL.
    Source = 7,
    /// The root post's place: its name and full name (never on retweets).
    Place = 8,
}

/// A set of [`Field`]s, as a bit mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub(crate) struct Fields(pub(crate) u16);

impl Fields {
    pub(crate) const fn of(field: Field) -> Fields {
        Fields(1 << field as u8)
    }

    pub(crate) const fn with(self, field: Field) -> Fields {
        Fields(self.0 | 1 << field as u8)
    }

    pub(crate) const fn contains(self, field: Field) -> bool {
        self.0 & (1 << field as u8) != 0
    }
}

/// The namespace of an exact-match key: the first byte of its atom key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum KeyKind {
    /// A folded token of a text field (matched with a [`Fields`] mask).
    Token = 0,
    /// A folded hashtag entity (without `#`).
    Hashtag,
    /// A folded user-mention screen name.
    MentionName,
    /// A user-mention user id (decimal).
    MentionId,
    /// A folded cashtag entity (without `$`).
    Cashtag,
    /// The root author's folded screen name.
    FromName,
    /// The root author's id.
    FromId,
    /// The folded screen name the root post replies to.
    ToName,
    /// The user id the root post replies to.
    ToId,
    /// The folded screen name of the retweeted original's author.
    RetweetsOfName,
    /// The user id of the retweeted original's author.
    RetweetsOfId,
    /// The retweeted original's post id.
    RetweetOfStatus,
    /// The post id the root post replies to.
    InReplyToStatus,
    /// The root post's folded `lang`.
    Lang,
    /// A true `has:`/`is:` flag of the post (its name, e.g. `has:links`).
    Flag,
    /// The root post's place id (folded).
    PlaceId,
    /// The root post's place country code (folded).
    PlaceCountry,
    /// A profile-geo country code of the root author (folded).
    ProfileCountry,
    /// A profile-geo region, whole and folded.
    ProfileRegion,
    /// A profile-geo locality, whole and folded.
    ProfileLocality,
    /// A profile-geo sub-region, whole and folded.
    ProfileSubregion,
    /// A geo grid cell that the post's own location touches (see `geo_cells`).
    GeoCell,
    /// A geo grid cell of the author's profile-geo point.
    ProfileGeoCell,
    /// Not a post key: a substring pattern, found by the automaton.
    Substring,
    /// Not a post key: a numeric range of a user count.
    Count,
    /// Two token atoms adjacent in one field (their ids, little-endian): phrases of common
    /// words are indexed under their rarest pair.
    Pair,
}

impl KeyKind {
    /// Whether atoms of kind byte `kind` are found by looking a post's token or key up by its
    /// bytes (substring, count and pair atoms are found otherwise).
    #[inline]
    pub(crate) fn is_looked_up(kind: u8) -> bool {
        kind != KeyKind::Substring as u8
            && kind != KeyKind::Count as u8
            && kind != KeyKind::Pair as u8
    }
}

/// What a rule set can consult of a post: the text fields it tokenizes or scans and the key
/// kinds it looks up. The facts stage computes only these (the reference evaluator, the
/// oracle, always reads everything).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub(crate) struct Reads {
    /// Text fields any token, phrase, proximity or substring test reads.
    pub(crate) fields: Fields,
    /// Key kinds any atom has, as bits `1 << kind`.
    pub(crate) keys: u32,
}

impl Reads {
    /// Everything: what explanations and the oracle see.
    pub(crate) const ALL: Reads = Reads {
        fields: Fields(u16::MAX),
        keys: u32::MAX,
    };

    /// Whether field `field` is read.
    #[inline]
    pub(crate) const fn field(self, field: Field) -> bool {
        self.fields.contains(field)
    }

    /// Whether keys of kind `kind` are looked up.
    #[inline]
    pub(crate) const fn key(self, kind: KeyKind) -> bool {
        self.keys & (1 << kind as u8) != 0
    }

    /// What either reads.
    #[must_use]
    pub(crate) const fn union(self, other: Reads) -> Reads {
        Reads {
            fields: Fields(self.fields.0 | other.fields.0),
            keys: self.keys | other.keys,
        }
    }
}

/// Which user count a [`Pred::Count`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum CountField {
    Statuses = 0,
    Followers = 1,
    Friends = 2,
    Listed = 3,
}

/// Whose location a [`Pred::Geo`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum GeoTarget {
    /// The root post's exact coordinates, or its place's bounding box wholly inside (never a
    /// retweet).
    Post,
    /// The root author's profile-geo points.
    Profile,
}

/// An area of a geo test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Area {
    /// Centre (lon, lat) and radius in km.
    Circle { lon: f64, lat: f64, km: f64 },
    /// `[west, south, east, north]`.
    Box([f64; 4]),
}

/// One term of a sequence test: a folded token of the rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Term {
    /// The folded token text.
    pub(crate) text: Box<str>,
    /// A token of a spaceless script (matching-semantics S17): it may match inside a longer run.
    pub(crate) spaceless: bool,
}

/// A leaf test.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Pred {
    /// One whole (non-spaceless) token in some instance of `fields`.
    Token { fields: Fields, text: Box<str> },
    /// A folded substring of the folded text of some instance of `fields`.
    Substring { fields: Fields, text: Box<str> },
    /// Tokens in sequence (a phrase), or within `proximity` (matching-semantics S15, S16), in one
    /// instance of `fields`: at least two terms, or one spaceless term (found inside a spaceless
    /// run).
    Sequence {
        fields: Fields,
        terms: Vec<Term>,
        proximity: Option<u8>,
    },
    /// An exact key of the post.
    Key { kind: KeyKind, value: Box<[u8]> },
    /// A user count in `min..=max`.
    Count {
        field: CountField,
        min: u64,
        max: u64,
    },
    /// A location inside an area.
    Geo { target: GeoTarget, area: Area },
    /// The post's sample bucket is below `percent` (matching-semantics S37).
    Sample { percent: u8 },
    /// Never true (e.g. a `bio:` term that tokenizes to nothing).
    Never,
}

/// A rule as a boolean expression over [`Pred`]s.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Pred(Pred),
}

impl Expr {
    /// Whether a test of the expression needs the substring automaton (`contains:`,
    /// `url_contains:`, a spaceless-script term): a segment with such a rule makes every post
    /// pay a pass over the fields it reads.
    pub(crate) fn reads_substrings(&self) -> bool {
        match self {
            Expr::And(all) | Expr::Or(all) => all.iter().any(Expr::reads_substrings),
            Expr::Not(e) => e.reads_substrings(),
            Expr::Pred(Pred::Substring { .. }) => true,
            Expr::Pred(Pred::Sequence { terms, .. }) => terms.iter().any(|t| t.spaceless),
            Expr::Pred(_) => false,
        }
    }
}
