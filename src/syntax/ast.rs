//! The abstract syntax tree of a rule.
//!
//! Every node carries the byte [`Span`] of the text it was parsed from. Equality (`==`) ignores
//! spans: two trees are equal when they mean the same rule written the same way, so that
//! `parse(print(ast)) == ast` holds for every tree the parser can produce (see [`crate::syntax::print`]).
//!
//! Shape invariants (the parser only builds such trees; the printer relies on them):
//! * [`Or`] has at least two branches, none of them an [`Expr::Or`];
//! * [`And`] has at least two items, each a [`Expr::Not`], [`Expr::Group`] or [`Expr::Clause`];
//! * [`Not`] wraps a [`Expr::Group`] or an [`Expr::Clause`];
//! * [`Group`] wraps any expression.

use super::operator::{HasValue, IsValue, Lang, Operator, Spelling};
use super::span::Span;

/// An expression: the body of a rule or of a parenthesised group.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `a OR b OR …` (binds looser than AND).
    Or(Or),
    /// `a b …`: whitespace is AND.
    And(And),
    /// `-a`, `-( … )`.
    Not(Not),
    /// `( … )`, kept so that printing reproduces the grouping.
    Group(Group),
    /// A single clause: a keyword, phrase, entity or operator.
    Clause(Clause),
}

impl Expr {
    /// The byte span of the expression.
    pub fn span(&self) -> Span {
        match self {
            Expr::Or(x) => x.span,
            Expr::And(x) => x.span,
            Expr::Not(x) => x.span,
            Expr::Group(x) => x.span,
            Expr::Clause(x) => x.span,
        }
    }

    /// The clause, when the expression is one.
    pub fn as_clause(&self) -> Option<&Clause> {
        match self {
            Expr::Clause(c) => Some(c),
            _ => None,
        }
    }

    /// The direct children: branches, items, or the operand of a `Not`/`Group`.
    pub fn children(&self) -> &[Expr] {
        match self {
            Expr::Or(x) => &x.branches,
            Expr::And(x) => &x.items,
            Expr::Not(x) => core::slice::from_ref(&*x.expr),
            Expr::Group(x) => core::slice::from_ref(&*x.expr),
            Expr::Clause(_) => &[],
        }
    }

    /// Calls `f` on every expression of the tree in pre-order, with the number of `Not`s above
    /// it (so `negations % 2 == 1` means the expression is negated). Iterative: deep trees cannot
    /// overflow the stack.
    ///
    /// ```
    /// use powertrack::syntax::{Expr, Rule};
    /// let rule = Rule::parse("snow -(rain OR sleet)")?;
    /// let mut negated = Vec::new();
    /// rule.expr().walk(|e, negations| {
    ///     if let Expr::Clause(c) = e {
    ///         if negations % 2 == 1 {
    ///             negated.push(&rule.source()[c.span.range()]);
    ///         }
    ///     }
    /// });
    /// assert_eq!(negated, ["rain", "sleet"]);
    /// # Ok::<(), powertrack::syntax::Error>(())
    /// ```
    pub fn walk<'a>(&'a self, mut f: impl FnMut(&'a Expr, usize)) {
        let mut stack = vec![(self, 0usize)];
        while let Some((e, n)) = stack.pop() {
            f(e, n);
            let n = n + usize::from(matches!(e, Expr::Not(_)));
            stack.extend(e.children().iter().rev().map(|c| (c, n)));
        }
    }

    /// Every clause of the tree, in order, with whether it is negated (an odd number of `Not`s
    /// above it).
    pub fn clauses(&self) -> Vec<(&Clause, bool)> {
        let mut out = Vec::new();
        self.walk(|e, n| {
            if let Expr::Clause(c) = e {
                out.push((c, n % 2 == 1));
            }
        });
        out
    }
}

/// `a OR b OR …`.
#[derive(Clone, Debug)]
pub struct Or {
    /// The span from the first branch to the last.
    pub span: Span,
    /// Two or more branches, none of them an `Or`.
    pub branches: Vec<Expr>,
}

/// Implicit AND: clauses separated by whitespace.
#[derive(Clone, Debug)]
pub struct And {
    /// The span from the first item to the last.
    pub span: Span,
    /// Two or more items, each a `Not`, `Group` or `Clause`.
    pub items: Vec<Expr>,
}

/// Negation `-x`.
#[derive(Clone, Debug)]
pub struct Not {
    /// The span including the `-`.
    pub span: Span,
    /// The negated group or clause.
    pub expr: Box<Expr>,
}

/// A parenthesised group `( … )`.
#[derive(Clone, Debug)]
pub struct Group {
    /// The span including both parentheses.
    pub span: Span,
    /// The expression inside.
    pub expr: Box<Expr>,
}

/// One clause.
#[derive(Clone, Debug)]
pub struct Clause {
    /// The span of the clause's text.
    pub span: Span,
    /// What the clause is.
    pub kind: ClauseKind,
}

macro_rules! eq_ignoring_span {
    ($($ty:ident { $($field:ident),* }),*) => {
        $(impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                true $(&& self.$field == other.$field)*
            }
        })*
    };
}
eq_ignoring_span!(
    Or { branches },
    And { items },
    Not { expr },
    Group { expr },
    Clause { kind }
);

/// The kinds of clause.
///
/// Bare terms (keywords, emoji, phrases, proximity, entities) come first, then one variant per
/// operator of rule-language §6.2 ([`Operator`]), its alias resolved and its spelling kept in
/// the argument.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ClauseKind {
    /// A bare keyword, e.g. `social`, `coca-cola`.
    Keyword(Word),
    /// A bare emoji (sequence), e.g. `🍕`.
    Emoji(Word),
    /// `"exact phrase"`.
    Phrase(Phrase),
    /// `"kw1 kw2 …"~N`.
    Proximity(Proximity),
    /// `#hashtag` (the text without `#`).
    Hashtag(Word),
    /// `@mention`: a user name or numeric user id.
    Mention(UserRef),
    /// `$cashtag` (the text without `$`).
    Cashtag(Word),
    /// `contains:`.
    Contains(TextArg),
    /// `from:`.
    From(UserArg),
    /// `to:`.
    To(UserArg),
    /// `retweets_of:` / `retweets_of_user:`.
    RetweetsOf(UserArg),
    /// `retweets_of_status_id:` / `retweets_of_tweet_id:`.
    RetweetsOfStatusId(IdArg),
    /// `in_reply_to_status_id:` / `in_reply_to_tweet_id:`.
    InReplyToStatusId(IdArg),
    /// `url:`.
    Url(TextArg),
    /// `url_title:` / `within_url_title:`.
    UrlTitle(TextArg),
    /// `url_description:` / `within_url_description:`.
    UrlDescription(TextArg),
    /// `url_contains:`.
    UrlContains(TextArg),
    /// `bio:` / `user_bio:`.
    Bio(TextArg),
    /// `bio_name:`.
    BioName(TextArg),
    /// `bio_location:` / `user_bio_location:`.
    BioLocation(TextArg),
    /// `statuses_count:` / `tweets_count:`.
    StatusesCount(CountArg),
    /// `followers_count:`.
    FollowersCount(CountArg),
    /// `friends_count:` / `following_count:`.
    FriendsCount(CountArg),
    /// `listed_count:` / `user_in_lists_count:`.
    ListedCount(CountArg),
    /// `lang:`.
    Lang(Lang),
    /// `has:`.
    Has(HasArg),
    /// `is:`.
    Is(IsValue),
    /// `sample:` (1–100).
    Sample(u8),
    /// `source:`.
    Source(TextArg),
    /// `place:`.
    Place(TextArg),
    /// `place_country:`.
    PlaceCountry(TextArg),
    /// `point_radius:[lon lat radius]`.
    PointRadius(PointRadius),
    /// `bounding_box:` / `geo_bounding_box:`.
    BoundingBox(BoundingBox),
    /// `profile_country:`.
    ProfileCountry(TextArg),
    /// `profile_region:`.
    ProfileRegion(TextArg),
    /// `profile_locality:`.
    ProfileLocality(TextArg),
    /// `profile_subregion:`.
    ProfileSubregion(TextArg),
    /// `profile_point_radius:[lon lat radius]`.
    ProfilePointRadius(PointRadius),
    /// `profile_bounding_box:[w s e n]`.
    ProfileBoundingBox(BoundingBox),
}

impl ClauseKind {
    /// The operator of an operator clause, `None` for bare terms and entities.
    pub fn operator(&self) -> Option<Operator> {
        use ClauseKind as K;
        Some(match self {
            K::Keyword(_)
            | K::Emoji(_)
            | K::Phrase(_)
            | K::Proximity(_)
            | K::Hashtag(_)
            | K::Mention(_)
            | K::Cashtag(_) => return None,
            K::Contains(_) => Operator::Contains,
            K::From(_) => Operator::From,
            K::To(_) => Operator::To,
            K::RetweetsOf(_) => Operator::RetweetsOf,
            K::RetweetsOfStatusId(_) => Operator::RetweetsOfStatusId,
            K::InReplyToStatusId(_) => Operator::InReplyToStatusId,
            K::Url(_) => Operator::Url,
            K::UrlTitle(_) => Operator::UrlTitle,
            K::UrlDescription(_) => Operator::UrlDescription,
            K::UrlContains(_) => Operator::UrlContains,
            K::Bio(_) => Operator::Bio,
            K::BioName(_) => Operator::BioName,
            K::BioLocation(_) => Operator::BioLocation,
            K::StatusesCount(_) => Operator::StatusesCount,
            K::FollowersCount(_) => Operator::FollowersCount,
            K::FriendsCount(_) => Operator::FriendsCount,
            K::ListedCount(_) => Operator::ListedCount,
            K::Lang(_) => Operator::Lang,
            K::Has(_) => Operator::Has,
            K::Is(_) => Operator::Is,
            K::Sample(_) => Operator::Sample,
            K::Source(_) => Operator::Source,
            K::Place(_) => Operator::Place,
            K::PlaceCountry(_) => Operator::PlaceCountry,
            K::PointRadius(_) => Operator::PointRadius,
            K::BoundingBox(_) => Operator::BoundingBox,
            K::ProfileCountry(_) => Operator::ProfileCountry,
            K::ProfileRegion(_) => Operator::ProfileRegion,
            K::ProfileLocality(_) => Operator::ProfileLocality,
            K::ProfileSubregion(_) => Operator::ProfileSubregion,
            K::ProfilePointRadius(_) => Operator::ProfilePointRadius,
            K::ProfileBoundingBox(_) => Operator::ProfileBoundingBox,
        })
    }

    /// The text argument of a text-valued operator (`contains:`, `url:`, `bio:`, `place:`,
    /// `profile_region:`…), or `None` for other clauses.
    pub fn text_arg(&self) -> Option<&TextArg> {
        use ClauseKind as K;
        match self {
            K::Contains(a)
            | K::Url(a)
            | K::UrlTitle(a)
            | K::UrlDescription(a)
            | K::UrlContains(a)
            | K::Bio(a)
            | K::BioName(a)
            | K::BioLocation(a)
            | K::Source(a)
            | K::Place(a)
            | K::PlaceCountry(a)
            | K::ProfileCountry(a)
            | K::ProfileRegion(a)
            | K::ProfileLocality(a)
            | K::ProfileSubregion(a) => Some(a),
            _ => None,
        }
    }

    /// How the operator's name was spelled (canonical for bare terms and alias-less operators).
    pub fn spelling(&self) -> Spelling {
        use ClauseKind as K;
        if let Some(a) = self.text_arg() {
            return a.spelling;
        }
        match self {
            K::From(a) | K::To(a) | K::RetweetsOf(a) => a.spelling,
            K::RetweetsOfStatusId(a) | K::InReplyToStatusId(a) => a.spelling,
            K::StatusesCount(a) | K::FollowersCount(a) | K::FriendsCount(a) | K::ListedCount(a) => {
                a.spelling
            }
            K::BoundingBox(a) | K::ProfileBoundingBox(a) => a.spelling,
            _ => Spelling::Canonical,
        }
    }
}

/// The text of a keyword, emoji, hashtag or cashtag, as written (without `#`/`$`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Word {
    /// The text.
    pub text: String,
}

impl Word {
    /// A word with this text.
    pub fn new(text: impl Into<String>) -> Word {
        Word { text: text.into() }
    }
}

/// `"exact phrase"`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Phrase {
    /// The phrase with escapes resolved: `Toys "R" Us`.
    pub text: String,
    /// The text between the quotes as written: `Toys \"R\" Us`.
    pub raw: String,
}

impl Phrase {
    /// A phrase with this text, escaped canonically (`"` as `\"`, `\` as `\\`).
    pub fn new(text: impl Into<String>) -> Phrase {
        let text = text.into();
        let raw = escape(&text);
        Phrase { text, raw }
    }
}

/// Escapes `text` for writing between double quotes: `\` becomes `\\` and `"` becomes `\"`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `"kw1 kw2 …"~N`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Proximity {
    /// The quoted terms.
    pub phrase: Phrase,
    /// N, 1–6: the terms lie within N tokens of each other (in order), or N−2 in reverse order.
    pub distance: u8,
}

impl Proximity {
    /// The terms (the phrase split on whitespace).
    pub fn terms(&self) -> impl Iterator<Item = &str> {
        self.phrase.text.split_whitespace()
    }
}

/// A user, by screen name or by numeric id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UserRef {
    /// A screen name without `@` (letters, digits, `_`).
    Name(String),
    /// A numeric user id.
    Id(u64),
}

/// The argument of a text operator (`contains:`, `bio:`, `place:`, …): a bare value or a quoted
/// string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TextArg {
    /// How the operator name was spelled.
    pub spelling: Spelling,
    /// The value, with escapes resolved when quoted.
    pub text: String,
    /// `Some(raw)` when the value was quoted: the text between the quotes as written.
    pub quoted: Option<String>,
}

impl TextArg {
    /// A bare (unquoted) value; it must be a valid bare value for printing to re-parse.
    pub fn bare(text: impl Into<String>) -> TextArg {
        TextArg {
            spelling: Spelling::Canonical,
            text: text.into(),
            quoted: None,
        }
    }

    /// A quoted value, escaped canonically.
    pub fn quoted(text: impl Into<String>) -> TextArg {
        let text = text.into();
        let raw = escape(&text);
        TextArg {
            spelling: Spelling::Canonical,
            text,
            quoted: Some(raw),
        }
    }
}

/// The argument of `from:`, `to:`, `retweets_of:`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserArg {
    /// How the operator name was spelled.
    pub spelling: Spelling,
    /// The user.
    pub user: UserRef,
}

/// The argument of `retweets_of_status_id:` and `in_reply_to_status_id:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IdArg {
    /// How the operator name was spelled.
    pub spelling: Spelling,
    /// The post id.
    pub id: u64,
}

/// The argument of the `*_count:` operators: `N` (at least N) or `N..M` (inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CountArg {
    /// How the operator name was spelled.
    pub spelling: Spelling,
    /// The lower bound (inclusive).
    pub min: u64,
    /// The upper bound (inclusive) when written as a range `N..M`; `None` for `N`.
    pub max: Option<u64>,
}

impl CountArg {
    /// The inclusive range of counts that match.
    pub fn range(&self) -> core::ops::RangeInclusive<u64> {
        self.min..=self.max.unwrap_or(u64::MAX)
    }

    /// True when `count` satisfies the argument.
    pub fn contains(&self, count: u64) -> bool {
        self.range().contains(&count)
    }
}

/// The argument of `has:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HasArg {
    /// How the value was spelled (`has:media_link` is an alias of `has:media`).
    pub spelling: Spelling,
    /// The value.
    pub value: HasValue,
}

/// A distance unit of `point_radius:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DistanceUnit {
    /// Statute miles, `mi`.
    Miles,
    /// Kilometres, `km`.
    Kilometers,
}

impl DistanceUnit {
    /// The suffix as written in rules.
    pub const fn suffix(self) -> &'static str {
        match self {
            DistanceUnit::Miles => "mi",
            DistanceUnit::Kilometers => "km",
        }
    }

    /// Kilometres per unit.
    pub const fn km(self) -> f64 {
        match self {
            DistanceUnit::Miles => KM_PER_MILE,
            DistanceUnit::Kilometers => 1.0,
        }
    }
}

/// Kilometres in a statute mile.
pub const KM_PER_MILE: f64 = 1.609_344;

/// `[lon lat radius]` of `point_radius:` and `profile_point_radius:`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PointRadius {
    /// Longitude of the centre, −180…180 degrees.
    pub lon: f64,
    /// Latitude of the centre, −90…90 degrees.
    pub lat: f64,
    /// Radius in `unit`, greater than 0 and less than 25 miles.
    pub radius: f64,
    /// The unit of `radius`.
    pub unit: DistanceUnit,
}

impl PointRadius {
    /// The radius in kilometres.
    pub fn radius_km(&self) -> f64 {
        self.radius * self.unit.km()
    }
}

/// `[west south east north]` of `bounding_box:` and `profile_bounding_box:`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoundingBox {
    /// How the operator name was spelled (`geo_bounding_box:` is an alias).
    pub spelling: Spelling,
    /// West longitude.
    pub west: f64,
    /// South latitude (≤ `north`).
    pub south: f64,
    /// East longitude (less than `west` when the box crosses the antimeridian).
    pub east: f64,
    /// North latitude.
    pub north: f64,
}
