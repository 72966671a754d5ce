//! The operator table: every PowerTrack 2.0 operator name and alias (rule-language §6.2), the
//! `has:` and `is:` values (rule-language §6.3), and the `lang:` codes (rule-language §6.4).

use core::fmt;

/// Whether an operator (or `has:` value) was written with its canonical name or its alias.
///
/// The AST resolves aliases (`tweets_count:` is [`Operator::StatusesCount`]) but remembers the
/// spelling so that the printer writes the rule back as it was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Spelling {
    /// The canonical name, e.g. `statuses_count:`.
    #[default]
    Canonical,
    /// The alias, e.g. `tweets_count:`.
    Alias,
}

/// What kind of argument an operator takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgKind {
    /// A keyword or a quoted string (`contains:info`, `source:"X for iPhone"`).
    Text,
    /// A user name or numeric user id (`from:jack`, `from:2244994945`).
    User,
    /// A numeric post id.
    Id,
    /// A count `N` (at least N) or an inclusive range `N..M`.
    Count,
    /// A `lang:` code.
    Lang,
    /// A `has:` value.
    Has,
    /// An `is:` value.
    Is,
    /// A percentage 1–100.
    Sample,
    /// `[lon lat radius(mi|km)]`.
    PointRadius,
    /// `[west south east north]`.
    BoundingBox,
}

macro_rules! operators {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal $(| $alias:literal)? => $arg:ident ),* $(,)?) => {
        /// A PowerTrack operator (`name:argument`), with aliases resolved.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Operator {
            $( $(#[$doc])* $variant, )*
        }

        impl Operator {
            /// Every operator, in the order of rule-language §6.2.
            pub const ALL: &'static [Operator] = &[$(Operator::$variant),*];

            /// The canonical name, without the colon (`statuses_count`).
            pub const fn name(self) -> &'static str {
                match self { $(Operator::$variant => $name,)* }
            }

            /// The alias, if the operator has one (`tweets_count`).
            pub const fn alias(self) -> Option<&'static str> {
                match self { $(Operator::$variant => operators!(@alias $($alias)?),)* }
            }

            /// The kind of argument the operator takes.
            pub const fn arg_kind(self) -> ArgKind {
                match self { $(Operator::$variant => ArgKind::$arg,)* }
            }

            /// Looks an operator name (without the colon) up; names are case-sensitive.
            ///
            /// ```
            /// use powertrack::syntax::{Operator, Spelling};
            /// assert_eq!(Operator::from_name("tweets_count"), Some((Operator::StatusesCount, Spelling::Alias)));
            /// assert_eq!(Operator::from_name("Profile_Region"), None);
            /// ```
            pub fn from_name(name: &str) -> Option<(Operator, Spelling)> {
                match name {
                    $( $name => Some((Operator::$variant, Spelling::Canonical)), )*
                    $( $( $alias => Some((Operator::$variant, Spelling::Alias)), )? )*
                    _ => None,
                }
            }
        }
    };
    (@alias $alias:literal) => { Some($alias) };
    (@alias) => { None };
}

operators! {
    /// `contains:` substring of the body.
    Contains = "contains" => Text,
    /// `from:` the author.
    From = "from" => User,
    /// `to:` the user replied to.
    To = "to" => User,
    /// `retweets_of:` (`retweets_of_user:`) retweets of a user.
    RetweetsOf = "retweets_of" | "retweets_of_user" => User,
    /// `retweets_of_status_id:` (`retweets_of_tweet_id:`) retweets of one post.
    RetweetsOfStatusId = "retweets_of_status_id" | "retweets_of_tweet_id" => Id,
    /// `in_reply_to_status_id:` (`in_reply_to_tweet_id:`) replies to one post.
    InReplyToStatusId = "in_reply_to_status_id" | "in_reply_to_tweet_id" => Id,
    /// `url:` tokens of expanded URLs.
    Url = "url" => Text,
    /// `url_title:` (`within_url_title:`) tokens of the unwound URL title.
    UrlTitle = "url_title" | "within_url_title" => Text,
    /// `url_description:` (`within_url_description:`) tokens of the unwound URL description.
    UrlDescription = "url_description" | "within_url_description" => Text,
    /// `url_contains:` substring of expanded URLs.
    UrlContains = "url_contains" => Text,
    /// `bio:` (`user_bio:`) tokens of the author's description.
    Bio = "bio" | "user_bio" => Text,
    /// `bio_name:` tokens of the author's display name.
    BioName = "bio_name" => Text,
    /// `bio_location:` (`user_bio_location:`) tokens of the author's profile location.
    BioLocation = "bio_location" | "user_bio_location" => Text,
    /// `statuses_count:` (`tweets_count:`).
    StatusesCount = "statuses_count" | "tweets_count" => Count,
    /// `followers_count:`.
    FollowersCount = "followers_count" => Count,
    /// `friends_count:` (`following_count:`).
    FriendsCount = "friends_count" | "following_count" => Count,
    /// `listed_count:` (`user_in_lists_count:`).
    ListedCount = "listed_count" | "user_in_lists_count" => Count,
    /// `lang:` the post's classified language.
    Lang = "lang" => Lang,
    /// `has:` presence of an entity or enrichment.
    Has = "has" => Has,
    /// `is:` a flag of the post.
    Is = "is" => Is,
    /// `sample:` a deterministic percentage sample.
    Sample = "sample" => Sample,
    /// `source:` the posting application.
    Source = "source" => Text,
    /// `place:` the tagged place (name or id).
    Place = "place" => Text,
    /// `place_country:` the tagged place's country code.
    PlaceCountry = "place_country" => Text,
    /// `point_radius:` exact location or place within a circle.
    PointRadius = "point_radius" => PointRadius,
    /// `bounding_box:` (`geo_bounding_box:`) exact location or place within a box.
    BoundingBox = "bounding_box" | "geo_bounding_box" => BoundingBox,
    /// `profile_country:` the author's profile-geo country code.
    ProfileCountry = "profile_country" => Text,
    /// `profile_region:` the author's profile-geo region (exact string).
    ProfileRegion = "profile_region" => Text,
    /// `profile_locality:` the author's profile-geo locality (exact string).
    ProfileLocality = "profile_locality" => Text,
    /// `profile_subregion:` the author's profile-geo subregion (exact string).
    ProfileSubregion = "profile_subregion" => Text,
    /// `profile_point_radius:` the author's profile-geo point within a circle.
    ProfilePointRadius = "profile_point_radius" => PointRadius,
    /// `profile_bounding_box:` the author's profile-geo point within a box.
    ProfileBoundingBox = "profile_bounding_box" => BoundingBox,
}

impl Operator {
    /// The name as spelled: the canonical name or the alias.
    pub fn spelled(self, spelling: Spelling) -> &'static str {
        match spelling {
            Spelling::Canonical => self.name(),
            Spelling::Alias => self.alias().unwrap_or(self.name()),
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.name())
    }
}

macro_rules! value_enum {
    ($(#[$tdoc:meta])* $ty:ident { $( $(#[$doc:meta])* $variant:ident = $name:literal $(| $alias:literal)? ),* $(,)? }) => {
        $(#[$tdoc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $ty {
            $( $(#[$doc])* $variant, )*
        }

        impl $ty {
            /// Every value.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];

            /// The canonical name.
            pub const fn name(self) -> &'static str {
                match self { $($ty::$variant => $name,)* }
            }

            /// The alias, if any.
            pub const fn alias(self) -> Option<&'static str> {
                match self { $($ty::$variant => operators!(@alias $($alias)?),)* }
            }

            /// Looks a value up by name or alias (case-sensitive).
            pub fn from_name(name: &str) -> Option<($ty, Spelling)> {
                match name {
                    $( $name => Some(($ty::$variant, Spelling::Canonical)), )*
                    $( $( $alias => Some(($ty::$variant, Spelling::Alias)), )? )*
                    _ => None,
                }
            }

            /// The name as spelled.
            pub fn spelled(self, spelling: Spelling) -> &'static str {
                match spelling {
                    Spelling::Canonical => self.name(),
                    Spelling::Alias => self.alias().unwrap_or(self.name()),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

value_enum! {
    /// The values of `has:`.
    HasValue {
        /// `has:lang`: the post's `lang` is not `und` (matching-semantics S29).
        Lang = "lang",
        /// `has:links`.
        Links = "links",
        /// `has:mentions`.
        Mentions = "mentions",
        /// `has:hashtags`.
        Hashtags = "hashtags",
        /// `has:symbols` (cashtags).
        Symbols = "symbols",
        /// `has:media` (`has:media_link`).
        Media = "media" | "media_link",
        /// `has:images`.
        Images = "images",
        /// `has:videos` (`has:video_link`).
        Videos = "videos" | "video_link",
        /// `has:geo`.
        Geo = "geo",
        /// `has:profile_geo` (`has:derived_user_geo`).
        ProfileGeo = "profile_geo" | "derived_user_geo",
    }
}

value_enum! {
    /// The values of `is:`.
    IsValue {
        /// `is:retweet`.
        Retweet = "retweet",
        /// `is:reply`.
        Reply = "reply",
        /// `is:quote`.
        Quote = "quote",
        /// `is:verified`.
        Verified = "verified",
        /// `is:nullcast`: only valid negated, `-is:nullcast`.
        Nullcast = "nullcast",
    }
}

/// The `lang:` codes PowerTrack classifies, then `zh` (the older list) and `und` (unclassified),
/// in the order of rule-language §6.4.
pub const LANG_CODES: &[&str] = &[
    "am", "ar", "hy", "eu", "bn", "bs", "bg", "my", "hr", "ca", "cs", "da", "nl", "en", "et", "fi",
    "fr", "ka", "de", "el", "gu", "ht", "iw", "hi", "hi-Latn", "hu", "is", "in", "it", "ja", "kn",
    "km", "ko", "lo", "lv", "lt", "ml", "dv", "mr", "ne", "no", "or", "pa", "ps", "fa", "pl", "pt",
    "ro", "ru", "sr", "zh-CN", "sd", "si", "sk", "sl", "ckb", "es", "sv", "tl", "ta", "te", "th",
    "bo", "zh-TW", "tr", "uk", "ur", "ug", "vi", "cy", "zh", "und",
];

/// A validated `lang:` code (one of [`LANG_CODES`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lang(u8);

impl Lang {
    /// `und`: the language X could not classify.
    #[allow(clippy::cast_possible_truncation)] // 72 codes
    pub const UND: Lang = Lang((LANG_CODES.len() - 1) as u8);

    /// Looks a code up, ASCII case-insensitively (`EN` and `zh-cn` are accepted and printed in
    /// their canonical case, `en` and `zh-CN`).
    ///
    /// ```
    /// use powertrack::syntax::Lang;
    /// assert_eq!(Lang::from_code("zh-cn").map(Lang::code), Some("zh-CN"));
    /// assert_eq!(Lang::from_code("eng"), None);
    /// ```
    pub fn from_code(code: &str) -> Option<Lang> {
        LANG_CODES
            .iter()
            .position(|c| c.eq_ignore_ascii_case(code))
            .and_then(|i| u8::try_from(i).ok())
            .map(Lang)
    }

    /// The canonical code, e.g. `en`, `zh-CN`, `und`.
    pub fn code(self) -> &'static str {
        LANG_CODES[usize::from(self.0)]
    }

    /// The `index`-th code of [`LANG_CODES`] (wrapping), for generators.
    pub fn nth(index: usize) -> Lang {
        Lang(u8::try_from(index % LANG_CODES.len()).unwrap_or(0))
    }
}

impl fmt::Debug for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lang({})", self.code())
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Stop words: a rule needs at least one positive clause that is not one of these
/// (rule-language §8 item 2: Gnip's list, plus `not` from the 2.0 list). Compared ASCII
/// case-insensitively.
pub const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "at", "but", "by", "com", "from", "http", "https", "if", "in", "is", "it",
    "its", "me", "my", "not", "or", "rt", "the", "this", "to", "too", "via", "we", "www", "you",
];

/// True when `word` is a stop word (ASCII case-insensitive).
pub fn is_stop_word(word: &str) -> bool {
    word.len() <= 5 && STOP_WORDS.iter().any(|s| s.eq_ignore_ascii_case(word))
}
