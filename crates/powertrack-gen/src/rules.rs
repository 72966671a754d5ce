//! Seeded generator of realistic PowerTrack rule sets.
//!
//! No statistics of the rules PowerTrack customers write are public, so the defaults are
//! estimates, chosen so that a generated set stresses a matcher the way a large real one does.
//!
//! * **Shapes** ([`ShapeMix`]): a single term (`nike`, `"air max"`) 25 %; an OR-list of 3–50
//!   variants (`(nike OR #nike OR @nike OR "just do it")`) 30 %; a topic OR-group `AND`ed with
//!   qualifiers (`(…) lang:en -is:retweet has:links`) 25 %; a keyword with a negation list
//!   (`apple -pie -fruit -juice`) 8 %; a list of 20–200 users or post ids (`from:`, `to:`,
//!   `retweets_of:`, `@`) up to the length limit 5 %; geo rules (`bounding_box:` and
//!   `point_radius:` lists, `place:`, `place_country:`, profile geo) 4 %; profile and URL rules
//!   (`bio*:`, `url*:`, `contains:`) 3 %. Lengths are heavy-tailed: a median of some tens of
//!   characters, the longest lists near the 2,048 limit.
//! * **Terms** ([`ItemMix`]): mostly bare keywords, then phrases, hashtags, mentions, `AND`ed
//!   pairs, emoji, proximity, cashtags and `contains:`; qualifiers (`lang:`, `is:`, `has:`,
//!   counts, `source:`, `sample:`, negations and negated groups) follow [`Qualifiers`]. Every
//!   operator family of the rule language appears.
//! * **Vocabulary.** Terms are drawn Zipf-wise from a vocabulary derived from the real corpus
//!   (`vocab/` and the engine's `src/compile/freq/`; see `vocab/README.md`), so popular terms
//!   recur in thousands of rules and give the skewed posting lists that are the hard case for
//!   a term index. A rule has a language, which its terms and any `lang:` follow. Live rules
//!   use the most frequent words of a language only inside phrases, as real customers avoid
//!   stop-word-like keywords.
//! * **Reach.** Most rules are *dormant*: their required terms are pseudo-words, unseen
//!   handles, ids and places that never occur in real posts, the way most of a large customer
//!   rule set tracks brands that a given sample never mentions. A small share of *live* rules
//!   uses terms seen in the corpus, and a few *broad* rules use its most frequent words,
//!   hashtags, users and languages.
//! * **Calibration.** With the defaults, 10,000 rules run over the real corpus give 0.5–3
//!   matching rules per post on average, leave at least 90 % of the rules matching no post, and
//!   include a few broad rules that match at least 1 % of the posts (checked by
//!   `tests/differential.rs`).
//!
//! * **Profiles** ([`Profile`]): the figures above are the default, `dense` profile, which at
//!   250,000 rules gives ~84 matching rules per post (a stress test of verification). The
//!   `accounts` profile ([`Config::accounts`]) models large brand-monitoring sets instead:
//!   about three rules in four watch one account, brand or rare term ([`Shape::Account`]),
//!   broad rules are very rare, and 250,000 rules give 0.5–3 matching rules per real post.
//!
//! Generation is a pure function of the seed and the [`Config`]: one seed gives byte-identical
//! output on every run, and a smaller rule set is a prefix of a larger one with the same seed.
//! Every value is unique, at most 2,048 UTF-16 code units long, and valid under the rule
//! language's checks (rule-language §8, §9): no stop-word-only rule, no OR branch made only of
//! negations, `sample:` only in a top-level conjunction whose ORs are grouped, `source:` and
//! `-is:nullcast` only beside a positive clause, radii and boxes under 25 miles.
//!
//! # Example
//!
//! ```
//! use powertrack_gen::rules::{RuleSetGenerator, write_rules_body};
//!
//! let rules: Vec<_> = RuleSetGenerator::new(42).count(100).collect();
//! assert_eq!(rules.len(), 100);
//! // The same seed gives the same rules.
//! let again: Vec<_> = RuleSetGenerator::new(42).count(100).collect();
//! assert_eq!(rules, again);
//!
//! let mut body = Vec::new();
//! write_rules_body(&mut body, rules.into_iter().map(|r| r.into_parts()))?;
//! assert!(body.starts_with(br#"{"rules":["#));
//! # Ok::<(), std::io::Error>(())
//! ```

use std::collections::HashSet;
use std::fmt;
use std::io::{self, Write};

use super::rng::{Rng, splitmix64};
use super::vocab::Vocab;

/// Relative weights of the rule shapes (any scale; the defaults are per mille, the estimates
/// listed in the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeMix {
    /// One keyword, phrase, proximity phrase, hashtag, cashtag or emoji. Default 250.
    pub single: u32,
    /// An OR-list of 3–50 variants of a topic. Default 300.
    pub or_list: u32,
    /// A topic OR-group `AND`ed with qualifiers (`lang:`, `-is:retweet`, `has:`, counts,
    /// negations, `source:`, `sample:`…). Default 250.
    pub topic: u32,
    /// A keyword or phrase with a list of negated terms. Default 80.
    pub negation: u32,
    /// A list of 20–200 `from:`/`to:`/`retweets_of:`/`@` users (or status ids). Default 50.
    pub users: u32,
    /// Geo rules: `bounding_box:`/`point_radius:` lists, `place:`, `place_country:`, profile
    /// geo. Default 40.
    pub geo: u32,
    /// Profile and URL rules: `bio*:`, `url*:`, `contains:`. Default 30.
    pub profile_url: u32,
    /// One monitored account or brand: `from:X`, `@X`, `(from:X OR @X)`, the brand's hashtag
    /// or a rare term, often with `-is:retweet` or `lang:`. Default 0 (the
    /// [`accounts`](Config::accounts) profile makes it most of the set).
    pub account: u32,
}

impl Default for ShapeMix {
    fn default() -> Self {
        ShapeMix {
            single: 250,
            or_list: 300,
            topic: 250,
            negation: 80,
            users: 50,
            geo: 40,
            profile_url: 30,
            account: 0,
        }
    }
}

/// Relative weights of the term kinds inside OR-lists, topic groups and single-term rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemMix {
    /// Bare keyword. Default 45.
    pub keyword: u32,
    /// Quoted phrase. Default 14.
    pub phrase: u32,
    /// Proximity phrase `"a b"~N`. Default 2.
    pub proximity: u32,
    /// `#hashtag`. Default 9.
    pub hashtag: u32,
    /// `@mention`. Default 4.
    pub mention: u32,
    /// `$cashtag`. Default 1.
    pub cashtag: u32,
    /// Emoji. Default 3.
    pub emoji: u32,
    /// `contains:` substring. Default 1.
    pub contains: u32,
    /// Two `AND`ed keywords in a group, `(air max)`. Default 4.
    pub pair: u32,
}

impl Default for ItemMix {
    fn default() -> Self {
        ItemMix {
            keyword: 45,
            phrase: 14,
            proximity: 2,
            hashtag: 9,
            mention: 4,
            cashtag: 1,
            emoji: 3,
            contains: 1,
            pair: 4,
        }
    }
}

/// Probabilities of the qualifiers `AND`ed to a topic rule (and, less often, to other shapes).
#[derive(Debug, Clone, PartialEq)]
pub struct Qualifiers {
    /// `lang:xx` (the rule's language). Default 0.55.
    pub lang: f64,
    /// `-is:retweet` (or, rarely, another `is:` flag). Default 0.35.
    pub is_flag: f64,
    /// `has:xx` or `-has:xx`. Default 0.2.
    pub has: f64,
    /// `-is:nullcast`. Default 0.04.
    pub nullcast: f64,
    /// A count operator (`followers_count:1000`, `statuses_count:10..100`…). Default 0.06.
    pub count: f64,
    /// `source:"Twitter for iPhone"`. Default 0.03.
    pub source: f64,
    /// `sample:N`. Default 0.03.
    pub sample: f64,
    /// 1–6 negated terms. Default 0.3.
    pub negations: f64,
    /// A second `AND`ed OR-group. Default 0.2.
    pub second_group: f64,
    /// A negated group `-(a OR b)`. Default 0.06.
    pub negated_group: f64,
}

impl Default for Qualifiers {
    fn default() -> Self {
        Qualifiers {
            lang: 0.55,
            is_flag: 0.35,
            has: 0.2,
            nullcast: 0.04,
            count: 0.06,
            source: 0.03,
            sample: 0.03,
            negations: 0.3,
            second_group: 0.2,
            negated_group: 0.06,
        }
    }
}

/// The knobs of the generator. The defaults are the estimates of the [module docs](self); the
/// calibration (mean 0.5–3 matching rules per post at 10k rules, ≥ 90 % dormant, a few rules
/// matching ≥ 1 % of posts) tunes mainly [`live`](Config::live) and [`broad`](Config::broad).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Shares of the rule shapes.
    pub shapes: ShapeMix,
    /// Shares of the term kinds in lists and single-term rules.
    pub items: ItemMix,
    /// Qualifier probabilities.
    pub qualifiers: Qualifiers,
    /// Share of *live* rules, whose terms are drawn from the real corpus (each term is real with
    /// probability [`live_real_term`](Config::live_real_term)); the other rules are dormant.
    /// Default 0.02.
    pub live: f64,
    /// In a live rule, the probability that a term is a real one rather than a pseudo-word.
    /// Default 0.3.
    pub live_real_term: f64,
    /// Share of *broad* rules built from the corpus's most frequent words, hashtags, emoji,
    /// users and languages (each matches roughly 1–10 % of real posts). Default 0.0003.
    pub broad: f64,
    /// Share of rules carrying a tag. Default 0.85.
    pub tagged: f64,
    /// Rule languages and their weights: a rule's terms, pseudo-words and `lang:` follow it.
    /// Default: en 35, ja 15, es 10, ar 7, pt 6, und 6, ko 4, th 3, in 3, tr 2, fr 2, and 7 for
    /// de, it, hi, zh, ru, ca, nl, tl.
    pub languages: Vec<(&'static str, u32)>,
    /// The most frequent real words of a language that are used only inside phrases, never as
    /// bare keywords of live rules (real customers avoid stop-word-like rules). Default 400.
    pub head_words: usize,
    /// Size of the pseudo-word vocabulary (drawn Zipf-wise, so its top words recur in many
    /// rules, like popular brands). Default 2^22.
    pub pseudo_words: u64,
    /// Maximum rule length in UTF-16 code units. Default (and PowerTrack's limit) 2,048.
    pub max_chars: usize,
    /// The first rule id; ids increase with gaps and stay above 2^53 so they exercise 64-bit
    /// handling. Default 1,400,000,000,000,000,000.
    pub first_id: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            shapes: ShapeMix::default(),
            items: ItemMix::default(),
            qualifiers: Qualifiers::default(),
            live: 0.02,
            live_real_term: 0.3,
            broad: 0.0003,
            tagged: 0.85,
            languages: vec![
                ("en", 35),
                ("ja", 15),
                ("es", 10),
                ("ar", 7),
                ("pt", 6),
                ("und", 6),
                ("ko", 4),
                ("th", 3),
                ("in", 3),
                ("tr", 2),
                ("fr", 2),
                ("de", 1),
                ("it", 1),
                ("hi", 1),
                ("zh", 1),
                ("ru", 1),
                ("ca", 1),
                ("nl", 1),
            ],
            head_words: 400,
            pseudo_words: 1 << 22,
            max_chars: 2048,
            first_id: 1_400_000_000_000_000_000,
        }
    }
}

impl Config {
    /// The `accounts` profile: a large rule set as brand-monitoring customers keep one. Most
    /// rules watch one account, brand or rare term (`from:nike`, `(from:nike OR @nike)
    /// -is:retweet`, `#airmax lang:en`, a product name); a small share are topic lists, user
    /// lists, geo and profile rules; broad rules are very rare. Calibrated so that 250,000 rules
    /// give about 0.5–3 matching rules per real post (1.9 on the corpus for seeds 1 and 2; the
    /// default profile, meant to stress verification, gives ~84 at that size). The matches come
    /// mostly from the few live user and topic lists, so they grow faster than the set: at
    /// 25,000 rules the mean is 0.02–0.4 (`tests/differential.rs` checks it).
    ///
    /// ```
    /// use powertrack_gen::rules::{Config, RuleSetGenerator, Shape};
    ///
    /// let rules: Vec<_> = RuleSetGenerator::new(1).with_config(Config::accounts()).count(200).collect();
    /// let accounts = rules.iter().filter(|r| r.shape == Shape::Account).count();
    /// assert!(accounts > 100, "{accounts} of 200");
    /// ```
    pub fn accounts() -> Config {
        Config {
            shapes: ShapeMix {
                single: 120,
                or_list: 40,
                topic: 40,
                negation: 20,
                users: 20,
                geo: 15,
                profile_url: 15,
                account: 730,
            },
            qualifiers: Qualifiers {
                second_group: 0.1,
                negations: 0.2,
                ..Qualifiers::default()
            },
            live: 0.0006,
            live_real_term: 0.5,
            broad: 0.000_004,
            ..Config::default()
        }
    }
}

/// A named configuration of the generator, as `powertrack gen rules --profile` and
/// `powertrack bench --profile` take it.
///
/// ```
/// use powertrack_gen::rules::{Config, Profile};
///
/// assert_eq!(Profile::from_name("accounts"), Some(Profile::Accounts));
/// assert_eq!(Profile::Dense.config(), Config::default());
/// assert_eq!(Profile::default(), Profile::Dense);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// [`Config::default`]: topic lists, qualifiers and negations over a Zipf vocabulary,
    /// 0.5–3 matching rules per real post at 10,000 rules and ~84 at 250,000 (a stress test of
    /// verification).
    #[default]
    Dense,
    /// [`Config::accounts`]: mostly single accounts, brands and rare terms; 0.5–3 matching
    /// rules per real post at 250,000 rules.
    Accounts,
}

impl Profile {
    /// Every profile, the default first.
    pub const ALL: [Profile; 2] = [Profile::Dense, Profile::Accounts];

    /// The profile's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Dense => "dense",
            Profile::Accounts => "accounts",
        }
    }

    /// The profile of a command-line name.
    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The generator configuration of the profile.
    pub fn config(self) -> Config {
        match self {
            Profile::Dense => Config::default(),
            Profile::Accounts => Config::accounts(),
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The shape of a generated rule (see [`ShapeMix`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Shape {
    /// One term.
    Single,
    /// An OR-list of variants.
    OrList,
    /// A topic group with qualifiers.
    Topic,
    /// A term with a negation list.
    Negation,
    /// A user (or status id) list.
    Users,
    /// A geo rule.
    Geo,
    /// A profile or URL rule.
    ProfileUrl,
    /// One monitored account or brand.
    Account,
}

impl Shape {
    /// All shapes, in [`ShapeMix`] order.
    pub const ALL: [Shape; 8] = [
        Shape::Single,
        Shape::OrList,
        Shape::Topic,
        Shape::Negation,
        Shape::Users,
        Shape::Geo,
        Shape::ProfileUrl,
        Shape::Account,
    ];

    /// A short lower-case name (`single`, `or_list`, …), also used in tags.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Single => "single",
            Shape::OrList => "or_list",
            Shape::Topic => "topic",
            Shape::Negation => "negation",
            Shape::Users => "users",
            Shape::Geo => "geo",
            Shape::ProfileUrl => "profile_url",
            Shape::Account => "account",
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a rule was built to match real posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reach {
    /// Every OR branch requires a term that never occurs in real posts.
    Dormant,
    /// Built from terms seen in the corpus (with some pseudo-words mixed in).
    Live,
    /// Built from the corpus's most frequent terms; meant to match ≥ 1 % of posts.
    Broad,
}

/// One generated rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedRule {
    /// The rule id (unique, increasing, above 2^53).
    pub id: u64,
    /// The tag, if any (at most 255 UTF-16 code units; may contain quotes, backslashes and
    /// non-ASCII text).
    pub tag: Option<String>,
    /// The rule text.
    pub value: String,
    /// The shape it was built as.
    pub shape: Shape,
    /// Whether it was built to match real posts.
    pub reach: Reach,
}

impl GeneratedRule {
    /// `(id, tag, value)`, the triple a rule-set builder and [`write_rules_body`] take.
    pub fn into_parts(self) -> (u64, Option<String>, String) {
        (self.id, self.tag, self.value)
    }
}

/// A seeded, endless source of unique, valid, realistic rules.
///
/// ```
/// use powertrack_gen::rules::{Config, RuleSetGenerator};
///
/// let mut config = Config::default();
/// config.live = 0.10; // more rules that can match real posts
/// for rule in RuleSetGenerator::new(7).with_config(config).count(3) {
///     assert!(!rule.value.is_empty());
/// }
/// ```
#[derive(Debug, Clone)]
pub struct RuleSetGenerator {
    rng: Rng,
    cfg: Config,
    seen: HashSet<String>,
    next_index: u64,
}

impl RuleSetGenerator {
    /// A generator with the default [`Config`].
    pub fn new(seed: u64) -> RuleSetGenerator {
        RuleSetGenerator {
            rng: Rng::new(seed),
            cfg: Config::default(),
            seen: HashSet::new(),
            next_index: 0,
        }
    }

    /// Replaces the configuration (call before generating).
    #[must_use]
    pub fn with_config(mut self, config: Config) -> RuleSetGenerator {
        self.cfg = config;
        self
    }

    /// The next `n` rules.
    pub fn count(self, n: usize) -> Rules {
        Rules {
            generator: self,
            remaining: n,
        }
    }

    /// Generates one more rule.
    pub fn next_rule(&mut self) -> GeneratedRule {
        let i = self.next_index;
        self.next_index += 1;
        let id = self
            .cfg
            .first_id
            .wrapping_add(i.wrapping_mul(4096))
            .wrapping_add(self.rng.below(4096));
        let vocab = Vocab::get();
        loop {
            let mut b = Builder::new(&mut self.rng, &self.cfg, vocab);
            let (shape, reach, value) = b.rule();
            if value.encode_utf16().count() > self.cfg.max_chars || self.seen.contains(&value) {
                continue;
            }
            let tag = if b.rng.chance(self.cfg.tagged) {
                Some(b.tag(shape, i))
            } else {
                None
            };
            self.seen.insert(value.clone());
            return GeneratedRule {
                id,
                tag,
                value,
                shape,
                reach,
            };
        }
    }
}

/// The iterator returned by [`RuleSetGenerator::count`].
#[derive(Debug, Clone)]
pub struct Rules {
    generator: RuleSetGenerator,
    remaining: usize,
}

impl Iterator for Rules {
    type Item = GeneratedRule;

    fn next(&mut self) -> Option<GeneratedRule> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        Some(self.generator.next_rule())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Rules {}

/// Writes a Rules API body, `{"rules":[{"value":…,"tag":…,"id":…},…]}`, one rule per line.
/// Values and tags are JSON-escaped; a missing tag is `null`; ids are JSON integers.
///
/// # Errors
///
/// Any error of `out`.
pub fn write_rules_body<W, I, T, V>(mut out: W, rules: I) -> io::Result<()>
where
    W: Write,
    I: IntoIterator<Item = (u64, Option<T>, V)>,
    T: AsRef<str>,
    V: AsRef<str>,
{
    let mut buf = Vec::with_capacity(4096);
    buf.extend_from_slice(b"{\"rules\":[");
    let mut first = true;
    for (id, tag, value) in rules {
        buf.extend_from_slice(if first { b"\n" } else { b",\n" });
        first = false;
        buf.extend_from_slice(b"{\"value\":");
        json_string(&mut buf, value.as_ref());
        buf.extend_from_slice(b",\"tag\":");
        match tag {
            Some(t) => json_string(&mut buf, t.as_ref()),
            None => buf.extend_from_slice(b"null"),
        }
        buf.extend_from_slice(b",\"id\":");
        buf.extend_from_slice(id.to_string().as_bytes());
        buf.push(b'}');
        if buf.len() >= 1 << 16 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    buf.extend_from_slice(b"\n]}\n");
    out.write_all(&buf)?;
    out.flush()
}

/// Appends `s` as a JSON string literal.
fn json_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x08 => Some(b"\\b"),
            0x0c => Some(b"\\f"),
            0..=0x1f => None,
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if let Some(e) = esc {
            out.extend_from_slice(e);
        } else {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 15)]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

// ---------------------------------------------------------------------------------------------
// Rule trees

/// A rule under construction. Groups are explicit so that printing is a plain walk.
#[derive(Debug, Clone)]
enum Node {
    Atom(String),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Group(Box<Node>),
}

impl Node {
    fn print(&self, out: &mut String) {
        match self {
            Node::Atom(s) => out.push_str(s),
            Node::And(items) => {
                for (i, n) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    n.print(out);
                }
            }
            Node::Or(items) => {
                for (i, n) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" OR ");
                    }
                    n.print(out);
                }
            }
            Node::Not(n) => {
                out.push('-');
                n.print(out);
            }
            Node::Group(n) => {
                out.push('(');
                n.print(out);
                out.push(')');
            }
        }
    }

    fn text(&self) -> String {
        let mut s = String::new();
        self.print(&mut s);
        s
    }
}

fn atom(s: String) -> Node {
    Node::Atom(s)
}

/// An AND of `items`; OR children are grouped, a single item stays as it is.
fn and(items: Vec<Node>) -> Node {
    let mut items: Vec<Node> = items
        .into_iter()
        .map(|n| match n {
            Node::Or(_) => Node::Group(Box::new(n)),
            other => other,
        })
        .collect();
    if items.len() == 1 {
        items.pop().unwrap_or(Node::And(Vec::new()))
    } else {
        Node::And(items)
    }
}

/// An OR of `items`; AND children are grouped, a single item stays as it is.
fn or(items: Vec<Node>) -> Node {
    let mut items: Vec<Node> = items
        .into_iter()
        .map(|n| match n {
            Node::And(_) => Node::Group(Box::new(n)),
            other => other,
        })
        .collect();
    if items.len() == 1 {
        items.pop().unwrap_or(Node::Or(Vec::new()))
    } else {
        Node::Or(items)
    }
}

/// `-n`, grouping anything but an atom.
fn neg(n: Node) -> Node {
    match n {
        Node::Atom(_) | Node::Group(_) => Node::Not(Box::new(n)),
        other => Node::Not(Box::new(Node::Group(Box::new(other)))),
    }
}

// ---------------------------------------------------------------------------------------------
// Fixed tables

/// The stop words of rule-language §8, reserved words included: never bare keywords.
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "at", "but", "by", "com", "from", "http", "https", "if", "in", "is", "it",
    "its", "me", "my", "or", "rt", "the", "this", "to", "too", "via", "we", "www", "you", "not",
];

const HAS_VALUES: &[&str] = &[
    "geo",
    "hashtags",
    "images",
    "lang",
    "links",
    "media",
    "mentions",
    "profile_geo",
    "symbols",
    "videos",
];

const IS_VALUES: &[&str] = &["retweet", "reply", "quote", "verified"];

const COUNT_OPS: &[&str] = &[
    "followers_count",
    "statuses_count",
    "friends_count",
    "listed_count",
];

/// ISO 3166-1 alpha-2 codes (for `place_country:` and `profile_country:`).
#[rustfmt::skip]
const COUNTRIES: &[&str] = &[
    "AD", "AE", "AF", "AG", "AL", "AM", "AO", "AR", "AT", "AU", "AZ", "BA", "BB", "BD", "BE", "BF",
    "BG", "BH", "BI", "BJ", "BN", "BO", "BR", "BS", "BT", "BW", "BY", "BZ", "CA", "CD", "CF", "CG",
    "CH", "CI", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO",
    "DZ", "EC", "EE", "EG", "ER", "ES", "ET", "FI", "FJ", "FM", "FR", "GA", "GB", "GD", "GE", "GH",
    "GM", "GN", "GQ", "GR", "GT", "GW", "GY", "HK", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IN",
    "IQ", "IR", "IS", "IT", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW",
    "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME",
    "MG", "MH", "MK", "ML", "MM", "MN", "MR", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NE",
    "NG", "NI", "NL", "NO", "NP", "NR", "NZ", "OM", "PA", "PE", "PG", "PH", "PK", "PL", "PR", "PT",
    "PW", "PY", "QA", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SI", "SK", "SL",
    "SM", "SN", "SO", "SR", "SS", "ST", "SV", "SY", "SZ", "TD", "TG", "TH", "TJ", "TL", "TM", "TN",
    "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "US", "UY", "UZ", "VA", "VC", "VE", "VN", "VU",
    "WS", "YE", "ZA", "ZM", "ZW",
];

/// Popular tickers beyond the corpus's few symbols.
#[rustfmt::skip]
const TICKERS: &[&str] = &[
    "TSLA", "AAPL", "MSFT", "GOOG", "AMZN", "META", "NFLX", "NVDA", "TWTR", "BRK.A", "BRK.B",
    "JPM", "XOM", "DIS", "NKE", "SBUX", "KO", "PEP", "INTC", "ORCL", "IBM", "GE", "F", "GM",
    "UBER", "LYFT", "SNAP", "PYPL", "SQ", "SHOP", "COIN", "ETH", "DOGE", "SOL", "GME", "AMC",
    "BABA", "TSM", "V", "MA",
];

/// Extra app names for `source:`.
const APPS: &[&str] = &[
    "Hootsuite Inc.",
    "Buffer",
    "IFTTT",
    "Sprout Social",
    "dlvr.it",
];

fn is_stop(w: &str) -> bool {
    STOP_WORDS.contains(&w.to_lowercase().as_str())
}

/// Characters kept out of bare keywords and values: those a keyword may not start with
/// (rule-language §3.1), a few more ASCII symbols, variation selectors and whitespace.
fn gnip_punct(c: char) -> bool {
    let o = u32::from(c);
    "!%&\\'()*+-./;<=>?,:#@\t\r\n\"[]_$~`^|{} ".contains(c)
        || (0x7B..=0xBF).contains(&o)
        || (0x2B0..=0x37F).contains(&o)
        || (0x2000..=0x2BFF).contains(&o)
        || (0xFF00..=0xFF03).contains(&o)
        || (0xFF05..=0xFF0F).contains(&o)
        || (0xFE00..=0xFE0F).contains(&o)
        || c.is_whitespace()
}

/// `true` if `s` can be written bare after an operator or as a keyword.
fn bare_ok(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(gnip_punct)
}

/// `"s"` with `"` escaped.
fn quoted(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        if c == '"' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

fn op_value(op: &str, v: &str) -> String {
    if bare_ok(v) {
        format!("{op}:{v}")
    } else {
        format!("{op}:{}", quoted(v))
    }
}

/// cos of an angle in degrees, |d| ≤ 90, by its Taylor series: plain IEEE arithmetic, so the
/// result does not depend on the platform's libm.
fn cos_deg(d: f64) -> f64 {
    let x = d * std::f64::consts::PI / 180.0;
    let x2 = x * x;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..12u32 {
        let k = f64::from(k);
        term *= -x2 / ((2.0 * k - 1.0) * (2.0 * k));
        sum += term;
    }
    sum
}

fn coord(v: f64) -> String {
    format!("{v:.5}")
}

// ---------------------------------------------------------------------------------------------
// The builder of one rule

struct Builder<'a> {
    rng: &'a mut Rng,
    cfg: &'a Config,
    vocab: &'static Vocab,
    lang: &'static str,
    reach: Reach,
}

impl<'a> Builder<'a> {
    fn new(rng: &'a mut Rng, cfg: &'a Config, vocab: &'static Vocab) -> Builder<'a> {
        Builder {
            rng,
            cfg,
            vocab,
            lang: "en",
            reach: Reach::Dormant,
        }
    }

    fn rule(&mut self) -> (Shape, Reach, String) {
        let weights: Vec<u32> = self.cfg.languages.iter().map(|l| l.1).collect();
        self.lang = if weights.iter().any(|&w| w > 0) {
            self.cfg.languages[self.rng.weighted(&weights)].0
        } else {
            "en"
        };
        let r = self.rng.unit();
        self.reach = if r < self.cfg.broad {
            Reach::Broad
        } else if r < self.cfg.broad + self.cfg.live {
            Reach::Live
        } else {
            Reach::Dormant
        };
        let s = &self.cfg.shapes;
        let w = [
            s.single,
            s.or_list,
            s.topic,
            s.negation,
            s.users,
            s.geo,
            s.profile_url,
            s.account,
        ];
        let shape = if w.iter().any(|&x| x > 0) {
            Shape::ALL[self.rng.weighted(&w)]
        } else {
            Shape::Single
        };
        let node = if self.reach == Reach::Broad {
            self.broad(shape)
        } else {
            match shape {
                Shape::Single => self.single(),
                Shape::OrList => self.or_list(),
                Shape::Topic => self.topic(),
                Shape::Negation => self.negation(),
                Shape::Users => self.users(),
                Shape::Geo => self.geo(),
                Shape::ProfileUrl => self.profile_url(),
                Shape::Account => self.account(),
            }
        };
        (shape, self.reach, node.text())
    }

    // --- term sources -------------------------------------------------------------------------

    /// Whether the next term should be a real one: never in dormant rules.
    fn real(&mut self) -> bool {
        match self.reach {
            Reach::Dormant => false,
            Reach::Live => self.rng.chance(self.cfg.live_real_term),
            Reach::Broad => true,
        }
    }

    /// A real keyword of the rule's language from the torso (beyond the head words).
    fn real_word(&mut self) -> String {
        let words = &self.vocab.lang(self.lang).words;
        let skip = if words.len() > self.cfg.head_words * 4 {
            self.cfg.head_words
        } else {
            words.len() / 4
        };
        // Torso words that make plausible rule terms: no bare numbers, no one- or two-letter
        // Latin fragments (`s` of "it's"), which real customers do not track.
        let w = loop {
            let w = words[skip + self.rng.zipf(words.len() - skip)];
            let latin_short = w.is_ascii() && w.len() < 3;
            if !latin_short && !w.bytes().all(|b| b.is_ascii_digit()) {
                break w;
            }
        };
        self.case_variant(w)
    }

    /// A frequent real word (for phrases and broad rules).
    fn head_word(&mut self) -> &'static str {
        let words = &self.vocab.lang(self.lang).words;
        let n = self.cfg.head_words.min(words.len()).max(1);
        words[self.rng.zipf(n)]
    }

    fn case_variant(&mut self, w: &str) -> String {
        if w.is_ascii() && w.len() >= 3 && w.bytes().any(|b| b.is_ascii_lowercase()) {
            let r = self.rng.below(100);
            if r < 15 {
                let mut c = w.chars();
                let first = c.next().map(|f| f.to_ascii_uppercase());
                return first.into_iter().chain(c).collect();
            }
            if r < 19 {
                return w.to_ascii_uppercase();
            }
        }
        w.to_owned()
    }

    /// A pseudo-word of the rule's language: never seen in the corpus.
    fn pseudo(&mut self) -> String {
        let i = self.rng.zipf(
            self.cfg
                .pseudo_words
                .max(1)
                .try_into()
                .unwrap_or(usize::MAX),
        );
        let w = pseudo_word(self.lang, i as u64, self.vocab);
        self.case_variant(&w)
    }

    /// A keyword: real or pseudo according to the rule's reach.
    fn keyword(&mut self) -> String {
        if self.real() {
            self.real_word()
        } else {
            self.pseudo()
        }
    }

    fn phrase_words(&mut self) -> String {
        let lw = self.vocab.lang(self.lang);
        if self.real() {
            if !lw.bigrams.is_empty() && self.rng.chance(0.6) {
                let b = lw.bigrams[self.rng.zipf(lw.bigrams.len())];
                return b.to_owned();
            }
            let a = self.head_word();
            let b = self.real_word();
            return if self.rng.chance(0.5) {
                format!("{a} {b}")
            } else {
                format!("{b} {a}")
            };
        }
        // Dormant: a pseudo-word with a real neighbour (the way brand phrases look).
        let p = self.pseudo();
        let r = self.head_word();
        match self.rng.below(4) {
            0 => format!("{r} {p}"),
            1 => format!("{p} {r}"),
            2 => {
                let q = self.real_word();
                format!("{p} {q}")
            }
            _ => {
                let q = self.pseudo();
                format!("{p} {q}")
            }
        }
    }

    fn phrase(&mut self) -> String {
        let words = self.phrase_words();
        if self.rng.chance(0.01) {
            // A phrase with escaped quotes, like the docs' "Toys \"R\" Us".
            let mut parts = words.splitn(2, ' ');
            let a = parts.next().unwrap_or("x");
            let b = parts.next().unwrap_or("x");
            return quoted(&format!("{a} \"{b}\""));
        }
        quoted(&words)
    }

    fn proximity(&mut self) -> String {
        let mut words = self.phrase_words();
        if self.rng.chance(0.3) {
            let w = if self.real() {
                self.real_word()
            } else {
                self.pseudo()
            };
            words.push(' ');
            words.push_str(&w);
        }
        format!("{}~{}", quoted(&words), self.rng.range(1, 6))
    }

    fn hashtag(&mut self) -> String {
        let tag = if self.real() {
            let h = &self.vocab.hashtags;
            h[self.rng.zipf(h.len())].to_owned()
        } else {
            let p = self.pseudo();
            match self.rng.below(4) {
                0 => capitalize(&p),
                1 => format!("{p}{}", self.rng.range(1, 2030)),
                2 => {
                    let q = self.pseudo();
                    format!("{}{}", capitalize(&p), capitalize(&q))
                }
                _ => p,
            }
        };
        format!("#{tag}")
    }

    /// A user handle or numeric id, real or unseen.
    fn user(&mut self, allow_id: bool) -> String {
        let as_id = allow_id && self.rng.chance(0.3);
        if self.real() {
            let u = &self.vocab.users;
            let (name, id) = u[self.rng.zipf(u.len())];
            return if as_id {
                id.to_owned()
            } else {
                name.to_owned()
            };
        }
        if as_id {
            loop {
                let digits = self.rng.range(6, 19);
                let lo = 10u64.pow(u32::try_from(digits - 1).unwrap_or(5));
                let hi = if digits == 19 {
                    1_900_000_000_000_000_000
                } else {
                    lo * 10 - 1
                };
                let id = self.rng.range(lo, hi).to_string();
                if !self.vocab.known.contains(&id) {
                    return id;
                }
            }
        }
        let i = self
            .rng
            .zipf(self.cfg.pseudo_words.try_into().unwrap_or(usize::MAX));
        let base = pseudo_word("en", i as u64, self.vocab);
        let mut name = match self.rng.below(4) {
            0 => format!("{base}_{}", self.rng.range(1, 99)),
            1 => format!("{}{}", capitalize(&base), self.rng.range(1, 999)),
            2 => format!("The{}", capitalize(&base)),
            _ => capitalize(&base),
        };
        name.truncate(15);
        name
    }

    fn cashtag(&mut self) -> String {
        let sym = if self.real() && self.rng.chance(0.5) {
            let c = &self.vocab.cashtags;
            c[self.rng.index(c.len())].to_owned()
        } else {
            loop {
                let t = TICKERS[self.rng.zipf(TICKERS.len())];
                if self.reach != Reach::Dormant || !self.vocab.known.contains(&t.to_lowercase()) {
                    break t.to_owned();
                }
            }
        };
        format!("${sym}")
    }

    fn emoji(&mut self) -> String {
        let e = if self.real() {
            let e = &self.vocab.emoji;
            e[self.rng.zipf(e.len())].to_owned()
        } else {
            // An emoji from the supplementary blocks that the corpus never uses.
            loop {
                let cp = if self.rng.chance(0.5) {
                    0x1F90C + self.rng.below(0x1F9FF - 0x1F90C + 1)
                } else {
                    0x1FA70 + self.rng.below(0x1FAF8 - 0x1FA70 + 1)
                };
                if let Some(c) = char::from_u32(u32::try_from(cp).unwrap_or(0x1F9C0)) {
                    let s = c.to_string();
                    if !self.vocab.known.contains(&s) {
                        break s;
                    }
                }
            }
        };
        if bare_ok(&e) { e } else { quoted(&e) }
    }

    fn contains(&mut self, op: &str) -> String {
        let v = if self.real() {
            let w = self.real_word().to_lowercase();
            let chars: Vec<char> = w.chars().collect();
            if chars.len() >= 7 && self.rng.chance(0.5) {
                chars[..chars.len() - 2].iter().collect()
            } else if w.is_ascii() && w.len() < 5 {
                // A short substring matches nearly everything: make it a longer one.
                let p = self.pseudo().to_lowercase();
                format!("{w}{p}")
            } else {
                w
            }
        } else {
            let p = self.pseudo().to_lowercase();
            if self.rng.chance(0.2) {
                let r = self.head_word();
                format!("{p} {r}")
            } else {
                p
            }
        };
        op_value(op, &v)
    }

    /// One OR-list item (or single-term rule) of the configured kind mix.
    fn item(&mut self, allow_pair: bool) -> Node {
        let mix = &self.cfg.items;
        let weights = [
            mix.keyword,
            mix.phrase,
            mix.proximity,
            mix.hashtag,
            mix.mention,
            mix.cashtag,
            mix.emoji,
            mix.contains,
            if allow_pair { mix.pair } else { 0 },
        ];
        let k = if weights.iter().any(|&x| x > 0) {
            self.rng.weighted(&weights)
        } else {
            0
        };
        match k {
            0 => atom(self.keyword()),
            1 => atom(self.phrase()),
            2 => atom(self.proximity()),
            3 => atom(self.hashtag()),
            4 => {
                let u = self.user(true);
                atom(format!("@{u}"))
            }
            5 => atom(self.cashtag()),
            6 => atom(self.emoji()),
            7 => atom(self.contains("contains")),
            _ => {
                // Two ANDed terms; in a dormant rule one of them is a pseudo-word, the other may
                // be real (a candidate that verification rejects).
                let a = self.keyword();
                let b = if self.rng.chance(0.6) {
                    self.real_word()
                } else {
                    self.keyword()
                };
                if self.rng.chance(0.15) {
                    // Depth 3: (a (b OR c)) inside the outer group.
                    let c = self.keyword();
                    and(vec![atom(a), or(vec![atom(b), atom(c)])])
                } else {
                    and(vec![atom(a), atom(b)])
                }
            }
        }
    }

    /// An OR of items whose printed length stays within `budget`.
    fn item_list(&mut self, lo: u64, hi: u64, budget: usize) -> Node {
        let n = self.rng.log_uniform(lo, hi);
        let mut items = Vec::new();
        let mut len = 0;
        let mut texts = HashSet::new();
        for _ in 0..n {
            let it = self.item(true);
            let t = it.text();
            if len + t.len() + 6 > budget && !items.is_empty() {
                break;
            }
            if texts.insert(t.clone()) {
                len += t.len() + 4;
                items.push(it);
            }
        }
        or(items)
    }

    fn budget(&mut self) -> usize {
        // Most lists are short; a few fill the rule up to the limit.
        let cap = self.cfg.max_chars.saturating_sub(200).max(64);
        if self.rng.chance(0.03) {
            cap
        } else {
            usize::try_from(self.rng.log_uniform(40, 1200))
                .unwrap_or(cap)
                .min(cap)
        }
    }

    // --- qualifiers ---------------------------------------------------------------------------

    fn lang_code(&mut self) -> &'static str {
        match self.lang {
            "zh" => {
                if self.rng.chance(0.5) {
                    "zh-CN"
                } else {
                    "zh-TW"
                }
            }
            "hi" if self.rng.chance(0.1) => "hi-Latn",
            l => l,
        }
    }

    fn lang_atom(&mut self) -> Node {
        if self.lang == "und" {
            return if self.rng.chance(0.5) {
                atom("lang:und".to_owned())
            } else {
                neg(atom("lang:und".to_owned()))
            };
        }
        let code = self.lang_code();
        atom(format!("lang:{code}"))
    }

    fn is_atom(&mut self) -> Node {
        let r = self.rng.below(100);
        if r < 70 {
            return neg(atom("is:retweet".to_owned()));
        }
        let v = *self.rng.pick(IS_VALUES);
        let a = atom(format!("is:{v}"));
        if self.rng.chance(0.4) { neg(a) } else { a }
    }

    fn has_atom(&mut self) -> Node {
        let v = *self.rng.pick(HAS_VALUES);
        let a = atom(format!("has:{v}"));
        if self.rng.chance(0.25) { neg(a) } else { a }
    }

    fn count_atom(&mut self) -> Node {
        let op = *self.rng.pick(COUNT_OPS);
        let lo = self.rng.log_uniform(1, 10_000_000);
        let a = if self.rng.chance(0.5) {
            atom(format!("{op}:{lo}"))
        } else {
            let hi = lo.saturating_mul(self.rng.range(2, 100));
            atom(format!("{op}:{lo}..{hi}"))
        };
        if self.rng.chance(0.15) { neg(a) } else { a }
    }

    fn source_atom(&mut self) -> Node {
        let s = if self.rng.chance(0.9) {
            let s = &self.vocab.sources;
            s[self.rng.zipf(s.len())]
        } else {
            *self.rng.pick(APPS)
        };
        let a = atom(op_value("source", s));
        if self.rng.chance(0.2) { neg(a) } else { a }
    }

    /// A negated term: negations are real words (what customers exclude is real noise).
    fn negated_term(&mut self) -> Node {
        let r = self.rng.below(100);
        let a = if r < 60 {
            self.real_word()
        } else if r < 72 {
            let saved = self.reach;
            self.reach = Reach::Broad;
            let p = self.phrase();
            self.reach = saved;
            p
        } else if r < 82 {
            let h = &self.vocab.hashtags;
            format!("#{}", h[self.rng.zipf(h.len())])
        } else if r < 90 {
            let u = &self.vocab.users;
            let (name, _) = u[self.rng.zipf(u.len())];
            if self.rng.chance(0.5) {
                format!("@{name}")
            } else {
                format!("from:{name}")
            }
        } else if r < 95 {
            let w = self.real_word().to_lowercase();
            op_value("contains", &w)
        } else {
            let d = &self.vocab.domains;
            op_value("url_contains", d[self.rng.zipf(d.len())])
        };
        neg(atom(a))
    }

    fn negated_group(&mut self) -> Node {
        let n = self.rng.range(2, 4);
        let items = (0..n).map(|_| atom(self.real_word())).collect();
        neg(or(items))
    }

    /// ANDs qualifiers to `core` (whose positive part keeps the rule valid); may add `sample:`.
    fn qualify(&mut self, core: Node, scale: f64) -> Node {
        let q = self.cfg.qualifiers.clone();
        let mut parts = vec![core];
        if self.rng.chance(q.second_group * scale) {
            let saved = self.reach;
            // The second group is a plain AND condition; in dormant rules it may be real.
            if self.reach == Reach::Dormant && self.rng.chance(0.5) {
                self.reach = Reach::Live;
            }
            let g = self.item_list(2, 8, 200);
            self.reach = saved;
            parts.push(g);
        }
        if self.rng.chance(q.lang * scale) {
            parts.push(self.lang_atom());
        }
        if self.rng.chance(q.is_flag * scale) {
            parts.push(self.is_atom());
        }
        if self.rng.chance(q.has * scale) {
            parts.push(self.has_atom());
        }
        if self.rng.chance(q.nullcast * scale) {
            parts.push(neg(atom("is:nullcast".to_owned())));
        }
        if self.rng.chance(q.count * scale) {
            parts.push(self.count_atom());
        }
        if self.rng.chance(q.source * scale) {
            parts.push(self.source_atom());
        }
        if self.rng.chance(q.negations * scale) {
            for _ in 0..self.rng.range(1, 6) {
                parts.push(self.negated_term());
            }
        }
        if self.rng.chance(q.negated_group * scale) {
            parts.push(self.negated_group());
        }
        if self.rng.chance(q.sample * scale) {
            let n = *self.rng.pick(&[1u64, 1, 5, 10, 10, 20, 25, 50, 75, 99]);
            parts.push(atom(format!("sample:{n}")));
        }
        and(parts)
    }

    // --- shapes -------------------------------------------------------------------------------

    fn single(&mut self) -> Node {
        let w = [60u32, 24, 4, 6, 2, 4];
        match self.rng.weighted(&w) {
            0 => atom(self.keyword()),
            1 => atom(self.phrase()),
            2 => atom(self.proximity()),
            3 => atom(self.hashtag()),
            4 => atom(self.cashtag()),
            _ => atom(self.emoji()),
        }
    }

    fn or_list(&mut self) -> Node {
        let budget = self.budget();
        let list = self.item_list(3, 50, budget);
        if self.rng.chance(0.5) {
            Node::Group(Box::new(list))
        } else {
            list
        }
    }

    fn topic(&mut self) -> Node {
        let budget = self.budget().min(self.cfg.max_chars.saturating_sub(700));
        let core = if self.rng.chance(0.8) {
            self.item_list(2, 20, budget)
        } else {
            self.item(false)
        };
        // Guarantee at least one qualifier (that is what makes it a topic rule).
        let with = self.qualify(core.clone(), 1.0);
        if matches!(with, Node::And(_)) {
            with
        } else {
            and(vec![core, self.lang_atom()])
        }
    }

    fn negation(&mut self) -> Node {
        let core = if self.rng.chance(0.75) {
            atom(self.keyword())
        } else if self.rng.chance(0.5) {
            atom(self.phrase())
        } else {
            atom(self.hashtag())
        };
        let mut parts = vec![core];
        let n = self.rng.log_uniform(2, 20);
        for _ in 0..n {
            parts.push(self.negated_term());
        }
        if self.rng.chance(0.1) {
            parts.push(self.negated_group());
        }
        if self.rng.chance(0.2) {
            parts.push(self.lang_atom());
        }
        and(parts)
    }

    /// One account or brand: its posts, its mentions, both, with its hashtag, or a rare term
    /// of its own; a third carry `-is:retweet`, some `lang:`.
    fn account(&mut self) -> Node {
        let (handle, from) = if self.real() {
            let u = &self.vocab.users;
            let (name, id) = u[self.rng.zipf(u.len())];
            // Some monitor by user id, as the docs advise for accounts that rename.
            let from = if self.rng.chance(0.15) { id } else { name };
            (name.to_owned(), from.to_owned())
        } else {
            let saved = self.reach;
            self.reach = Reach::Dormant;
            let handle = self.user(false);
            self.reach = saved;
            (handle.clone(), handle)
        };
        let core = match self.rng.weighted(&[30, 18, 24, 8, 10, 10]) {
            0 => atom(format!("from:{from}")),
            1 => atom(format!("@{handle}")),
            2 => or(vec![
                atom(format!("from:{from}")),
                atom(format!("@{handle}")),
            ]),
            3 => {
                let tag = self.hashtag();
                or(vec![
                    atom(format!("from:{from}")),
                    atom(format!("@{handle}")),
                    atom(tag),
                ])
            }
            4 => atom(self.hashtag()),
            _ => {
                if self.rng.chance(0.6) {
                    atom(self.keyword())
                } else {
                    atom(self.phrase())
                }
            }
        };
        let mut parts = vec![core];
        if self.rng.chance(0.33) {
            parts.push(neg(atom("is:retweet".to_owned())));
        }
        if self.rng.chance(0.15) {
            parts.push(self.lang_atom());
        }
        and(parts)
    }

    fn users(&mut self) -> Node {
        let kind = self.rng.weighted(&[40, 12, 12, 16, 10, 5, 5]);
        let budget = self.cfg.max_chars - 120;
        let (lo, hi) = if kind >= 5 { (1, 20) } else { (20, 200) };
        let n = self.rng.log_uniform(lo, hi);
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        let mut len = 0;
        for _ in 0..n {
            let a = match kind {
                0 => format!("from:{}", self.user(true)),
                1 => format!("to:{}", self.user(true)),
                2 => format!("retweets_of:{}", self.user(true)),
                3 => format!("@{}", self.user(true)),
                4 => {
                    let u = self.user(true);
                    if self.rng.chance(0.5) {
                        format!("from:{u}")
                    } else {
                        format!("@{u}")
                    }
                }
                5 => format!("retweets_of_status_id:{}", self.status_id()),
                _ => format!("in_reply_to_status_id:{}", self.status_id()),
            };
            if len + a.len() + 4 > budget {
                break;
            }
            if seen.insert(a.clone()) {
                len += a.len() + 4;
                items.push(atom(a));
            }
        }
        let list = or(items);
        if self.rng.chance(0.4) {
            let q = match self.rng.below(6) {
                0 => neg(atom("is:retweet".to_owned())),
                1 => atom("has:links".to_owned()),
                2 => self.lang_atom(),
                3 => atom("has:media".to_owned()),
                4 => neg(atom("is:reply".to_owned())),
                _ => atom(format!("sample:{}", self.rng.range(1, 100))),
            };
            and(vec![list, q])
        } else if self.rng.chance(0.5) {
            Node::Group(Box::new(list))
        } else {
            list
        }
    }

    fn status_id(&mut self) -> String {
        if self.real() {
            let s = &self.vocab.status_ids;
            s[self.rng.zipf(s.len())].to_owned()
        } else {
            self.rng
                .range(1_000_000_000_000_000_000, 1_800_000_000_000_000_000)
                .to_string()
        }
    }

    /// A centre (lon, lat): near a corpus place or profile location for real terms, anywhere
    /// (mostly ocean) for dormant ones.
    fn centre(&mut self, profile: bool) -> (f64, f64) {
        let jitter = |rng: &mut Rng| (rng.unit() - 0.5) * 0.1;
        if self.real() {
            let (lon, lat) = if profile {
                let p = &self.vocab.profile_geo;
                let g = &p[self.rng.index(p.len())];
                (g.lon, g.lat)
            } else {
                let p = &self.vocab.places;
                let g = &p[self.rng.zipf(p.len())];
                (g.lon, g.lat)
            };
            let lon = (lon + jitter(self.rng)).clamp(-179.0, 179.0);
            let lat = (lat + jitter(self.rng)).clamp(-69.0, 69.0);
            (lon, lat)
        } else {
            (
                self.rng.unit() * 356.0 - 178.0,
                self.rng.unit() * 130.0 - 60.0,
            )
        }
    }

    fn point_radius(&mut self, op: &str, profile: bool) -> String {
        let (lon, lat) = self.centre(profile);
        let r = if self.rng.chance(0.6) {
            format!("{}.{}mi", self.rng.range(0, 24), self.rng.range(0, 9))
        } else {
            format!("{}km", self.rng.range(1, 39))
        };
        let r = if r == "0.0mi" { "0.5mi".to_owned() } else { r };
        format!("{op}:[{} {} {r}]", coord(lon), coord(lat))
    }

    fn bounding_box(&mut self, op: &str, profile: bool) -> String {
        let (lon, lat) = self.centre(profile);
        // Sides in miles, under 20 (the limit is 25); the width is measured at the latitude
        // nearest the equator, where it is largest.
        let side = 1.0 + self.rng.unit() * 19.0;
        let dlat = side / 69.2;
        let (s, n) = (lat - dlat / 2.0, lat + dlat / 2.0);
        let widest = if s <= 0.0 && n >= 0.0 {
            0.0
        } else {
            s.abs().min(n.abs())
        };
        let dlon = side / (69.2 * cos_deg(widest));
        let (w, e) = (lon - dlon / 2.0, lon + dlon / 2.0);
        format!("{op}:[{} {} {} {}]", coord(w), coord(s), coord(e), coord(n))
    }

    fn place_country(&mut self, op: &str) -> String {
        let corpus: Vec<&str> = self.vocab.places.iter().map(|p| p.country_code).collect();
        let cc = if self.real() && !corpus.is_empty() {
            corpus[self.rng.zipf(corpus.len())]
        } else {
            loop {
                let c = *self.rng.pick(COUNTRIES);
                if op != "place_country" || !corpus.contains(&c) {
                    break c;
                }
            }
        };
        format!("{op}:{cc}")
    }

    fn place(&mut self) -> String {
        if self.real() {
            let p = &self.vocab.places;
            let pl = &p[self.rng.zipf(p.len())];
            let v = match self.rng.below(3) {
                0 => pl.id,
                1 => pl.full_name,
                _ => pl.name,
            };
            op_value("place", v)
        } else if self.rng.chance(0.3) {
            format!("place:{:016x}", self.rng.next_u64())
        } else {
            let p = capitalize(&self.pseudo());
            op_value("place", &p)
        }
    }

    fn profile_geo(&mut self) -> String {
        let p = &self.vocab.profile_geo;
        let g = &p[self.rng.index(p.len())];
        let (op, v) = match self.rng.below(4) {
            0 => ("profile_country", g.country_code),
            1 if !g.region.is_empty() => ("profile_region", g.region),
            2 if !g.subregion.is_empty() => ("profile_subregion", g.subregion),
            _ if !g.locality.is_empty() => ("profile_locality", g.locality),
            _ => ("profile_country", g.country_code),
        };
        if self.reach == Reach::Dormant && op != "profile_country" && self.rng.chance(0.3) {
            let p = capitalize(&self.pseudo());
            return op_value(op, &p);
        }
        op_value(op, v)
    }

    /// A keyword core for geo and profile rules.
    fn small_core(&mut self) -> Node {
        let budget = 150;
        if self.rng.chance(0.5) {
            self.item_list(2, 6, budget)
        } else {
            self.item(false)
        }
    }

    fn geo(&mut self) -> Node {
        let kind = self.rng.weighted(&[20, 20, 15, 10, 15, 10, 10]);
        let budget = self.budget();
        let list = |b: &mut Self, f: &mut dyn FnMut(&mut Self) -> String, lo, hi| {
            let n = b.rng.log_uniform(lo, hi);
            let mut items = Vec::new();
            let mut seen = HashSet::new();
            let mut len = 0;
            for _ in 0..n {
                let a = f(b);
                if len + a.len() + 4 > budget && !items.is_empty() {
                    break;
                }
                if seen.insert(a.clone()) {
                    len += a.len() + 4;
                    items.push(atom(a));
                }
            }
            or(items)
        };
        let geo = match kind {
            0 => list(self, &mut |b| b.bounding_box("bounding_box", false), 1, 30),
            1 => list(self, &mut |b| b.point_radius("point_radius", false), 1, 30),
            2 => list(self, &mut |b| b.place_country("place_country"), 1, 5),
            3 => list(self, &mut Self::place, 1, 5),
            4 => list(self, &mut Self::profile_geo, 1, 6),
            5 => {
                if self.rng.chance(0.5) {
                    list(
                        self,
                        &mut |b| b.bounding_box("profile_bounding_box", true),
                        1,
                        10,
                    )
                } else {
                    list(
                        self,
                        &mut |b| b.point_radius("profile_point_radius", true),
                        1,
                        10,
                    )
                }
            }
            _ => {
                let flag = if self.rng.chance(0.6) {
                    "has:geo"
                } else {
                    "has:profile_geo"
                };
                let core = self.small_core();
                return and(vec![core, atom(flag.to_owned())]);
            }
        };
        // Geo-only rules on real places match; in dormant rules a keyword core keeps them quiet
        // when the areas are real ones (profile-geo and unseen areas are quiet anyway).
        let with_core = self.rng.chance(0.5)
            || (self.reach == Reach::Dormant && (kind == 2 || kind == 3) && self.rng.chance(0.5));
        if with_core {
            let core = self.small_core();
            and(vec![core, geo])
        } else if self.rng.chance(0.2) {
            self.qualify(geo, 0.3)
        } else {
            geo
        }
    }

    fn profile_url_atom(&mut self, kind: usize) -> String {
        let real = self.real();
        let vocab = self.vocab;
        let pick = |b: &mut Self, list: &[&'static str]| -> String {
            if real {
                list[b.rng.zipf(list.len())].to_owned()
            } else {
                b.pseudo().to_lowercase()
            }
        };
        match kind {
            0 => {
                let v = pick(self, &vocab.bio_words);
                op_value("bio", &v)
            }
            1 => {
                let v = pick(self, &vocab.name_words);
                op_value("bio_name", &v)
            }
            2 => {
                let v = pick(self, &vocab.location_words);
                op_value("bio_location", &v)
            }
            3 => {
                let v = if real {
                    let d = &self.vocab.domains;
                    d[self.rng.zipf(d.len())].to_owned()
                } else {
                    format!(
                        "{}.{}",
                        self.pseudo().to_lowercase(),
                        self.rng.pick(&["com", "io", "net", "co"])
                    )
                };
                op_value("url", &v)
            }
            4 => {
                let v = pick(self, &vocab.url_words);
                op_value("url_title", &v)
            }
            5 => {
                let v = pick(self, &vocab.url_words);
                op_value("url_description", &v)
            }
            6 => {
                let v = if real {
                    let d = &self.vocab.domains;
                    let dom = d[self.rng.zipf(d.len())];
                    if self.rng.chance(0.3) {
                        let w = &self.vocab.url_words;
                        format!("{dom}/{}", w[self.rng.zipf(w.len())])
                    } else {
                        dom.to_owned()
                    }
                } else {
                    format!("{}.com", self.pseudo().to_lowercase())
                };
                op_value("url_contains", &v)
            }
            _ => self.contains("contains"),
        }
    }

    fn profile_url(&mut self) -> Node {
        let kind = self.rng.weighted(&[22, 8, 12, 18, 8, 6, 16, 10]);
        let n = self.rng.log_uniform(1, 10);
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        for _ in 0..n {
            let k = if self.rng.chance(0.8) {
                kind
            } else {
                self.rng.index(8)
            };
            let a = self.profile_url_atom(k);
            if seen.insert(a.clone()) {
                items.push(atom(a));
            }
        }
        let list = or(items);
        if self.rng.chance(0.35) {
            let core = self.small_core();
            and(vec![core, list])
        } else if self.rng.chance(0.25) {
            self.qualify(list, 0.4)
        } else {
            list
        }
    }

    /// A rule built from the corpus's most frequent terms (each matches ~1–10 % of posts).
    fn broad(&mut self, shape: Shape) -> Node {
        let v = self.vocab;
        match self.rng.below(6) {
            0 => {
                // The most frequent non-stop words of a language, ORed.
                self.lang = "en";
                let n = self.rng.range(3, 8);
                let items = (0..n)
                    .map(|_| {
                        let w = self.head_word();
                        atom(w.to_owned())
                    })
                    .collect::<Vec<_>>();
                dedup_or(items)
            }
            1 => {
                let l = *self.rng.pick(&["ja", "es", "und", "pt", "ar", "th"]);
                self.lang = l;
                // Positive: the language is the rule's only positive clause here.
                let mut parts = vec![atom(format!("lang:{l}"))];
                if self.rng.chance(0.5) {
                    let h = *self.rng.pick(&["links", "media", "mentions", "hashtags"]);
                    parts.push(atom(format!("has:{h}")));
                }
                and(parts)
            }
            2 => {
                let n = self.rng.range(2, 6);
                let items = (0..n)
                    .map(|_| atom(format!("#{}", v.hashtags[self.rng.zipf(20)])))
                    .collect();
                dedup_or(items)
            }
            3 => {
                let n = self.rng.range(2, 5);
                let items = (0..n)
                    .map(|_| {
                        let e = v.emoji[self.rng.zipf(10)];
                        atom(if bare_ok(e) { e.to_owned() } else { quoted(e) })
                    })
                    .collect();
                dedup_or(items)
            }
            4 => {
                let n = self.rng.range(2, 6);
                let items = (0..n)
                    .map(|_| {
                        let (name, _) = v.users[self.rng.zipf(15)];
                        atom(if self.rng.chance(0.5) {
                            format!("from:{name}")
                        } else {
                            format!("@{name}")
                        })
                    })
                    .collect();
                dedup_or(items)
            }
            _ => {
                // A broad keyword list with a common filter, still in the rule's shape family.
                self.lang = "en";
                let n = self.rng.range(4, 10);
                let items: Vec<Node> = (0..n).map(|_| atom(self.head_word().to_owned())).collect();
                let list = dedup_or(items);
                let f = if shape == Shape::Topic || self.rng.chance(0.5) {
                    neg(atom("is:retweet".to_owned()))
                } else {
                    atom("has:links".to_owned())
                };
                and(vec![list, f])
            }
        }
    }

    /// A tag in one of the styles real rule sets use (ids, client/topic paths, free text).
    fn tag(&mut self, shape: Shape, index: u64) -> String {
        let t = match self.rng.below(100) {
            0..=29 => format!("{}", 4_000_000 + self.rng.below(6_000_000)),
            30..=59 => {
                let client = self.rng.zipf(300);
                let topic = self.pseudo().to_lowercase();
                format!("client-{client:03}/{topic}")
            }
            60..=84 => format!("{}-{}-{index}", self.lang, shape.name()),
            85..=97 => {
                let w = self.keyword();
                format!("{} {w}", capitalize(&self.pseudo()))
            }
            _ => {
                // Characters that need JSON escaping, and non-ASCII text.
                let w = self.pseudo();
                format!("campaign \"{w}\" \\ {} ✓", self.lang)
            }
        };
        let mut out = String::new();
        let mut units = 0;
        for c in t.chars() {
            units += c.len_utf16();
            if units > 255 {
                break;
            }
            out.push(c);
        }
        out
    }
}

fn dedup_or(items: Vec<Node>) -> Node {
    let mut seen = HashSet::new();
    let items: Vec<Node> = items
        .into_iter()
        .filter(|n| seen.insert(n.text()))
        .collect();
    or(items)
}

pub(super) fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Pseudo-words

#[rustfmt::skip]
const ONSETS: &[&str] = &[
    "b", "br", "c", "ch", "d", "dr", "f", "fl", "g", "gr", "h", "j", "k", "kr", "l", "m", "n", "p",
    "pl", "pr", "qu", "r", "s", "sh", "sk", "st", "t", "th", "tr", "v", "w", "x", "z", "zh",
];
#[rustfmt::skip]
const VOWELS: &[&str] = &[
    "a", "e", "i", "o", "u", "ai", "ea", "ou", "y", "io", "ae", "oo",
];
#[rustfmt::skip]
const CODAS: &[&str] = &[
    "", "", "", "", "n", "r", "s", "x", "l", "m", "k", "t", "nd", "st", "v",
];

/// The `i`-th pseudo-word of `lang`'s script: deterministic, pronounceable-looking, at least
/// 5 characters (2 in other scripts), never a corpus term or a stop word.
#[allow(clippy::cast_possible_truncation, clippy::many_single_char_names)] // indices < 2^16
pub(super) fn pseudo_word(lang: &str, i: u64, vocab: &Vocab) -> String {
    let mut attempt = 0u64;
    loop {
        let mut st = i
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(attempt.wrapping_mul(0xD1B5_4A32_D192_ED03))
            ^ 0x5EED_1234_ABCD_0042;
        let mut next = || splitmix64(&mut st);
        let w = match lang {
            "ja" => {
                // Katakana U+30A2..U+30F3.
                let n = 3 + next() % 3;
                (0..n)
                    .map(|_| char::from_u32(0x30A2 + (next() % 0x51) as u32).unwrap_or('ア'))
                    .collect::<String>()
            }
            "zh" => {
                let n = 3 + next() % 2;
                (0..n)
                    .map(|_| char::from_u32(0x4E00 + (next() % 0x51A5) as u32).unwrap_or('一'))
                    .collect()
            }
            "ko" => {
                let n = 2 + next() % 2;
                (0..n)
                    .map(|_| char::from_u32(0xAC00 + (next() % 11_172) as u32).unwrap_or('가'))
                    .collect()
            }
            "th" => {
                let n = 5 + next() % 3;
                (0..n)
                    .map(|_| char::from_u32(0x0E01 + (next() % 0x2E) as u32).unwrap_or('ก'))
                    .collect()
            }
            "ar" => {
                let n = 4 + next() % 3;
                (0..n)
                    .map(|_| char::from_u32(0x0628 + (next() % 0x13) as u32).unwrap_or('ب'))
                    .collect()
            }
            "hi" => {
                let n = 3 + next() % 3;
                (0..n)
                    .map(|_| char::from_u32(0x0915 + (next() % 0x25) as u32).unwrap_or('क'))
                    .collect()
            }
            "ru" => {
                let cons = "бвгдзклмнпрстфхцчшж";
                let vow = "аеиоуыя";
                let c: Vec<char> = cons.chars().collect();
                let v: Vec<char> = vow.chars().collect();
                let n = 2 + next() % 2;
                let mut s = String::new();
                for _ in 0..n {
                    s.push(c[(next() % c.len() as u64) as usize]);
                    s.push(v[(next() % v.len() as u64) as usize]);
                }
                s.push(c[(next() % c.len() as u64) as usize]);
                s
            }
            _ => {
                let n = 2 + next() % 2;
                let mut s = String::new();
                for _ in 0..n {
                    s.push_str(ONSETS[(next() % ONSETS.len() as u64) as usize]);
                    s.push_str(VOWELS[(next() % VOWELS.len() as u64) as usize]);
                }
                s.push_str(CODAS[(next() % CODAS.len() as u64) as usize]);
                if matches!(lang, "es" | "pt" | "fr" | "ca" | "tr" | "de") && next() % 4 == 0 {
                    // A diacritic variant (accents are significant in PowerTrack).
                    let acc = ['á', 'é', 'í', 'ó', 'ú', 'ñ', 'ç', 'ã', 'ü', 'ö'];
                    let pos = s.rfind(['a', 'e', 'i', 'o', 'u']);
                    if let Some(p) = pos {
                        let a = acc[(next() % acc.len() as u64) as usize];
                        s.replace_range(p..=p, &a.to_string());
                    }
                }
                s
            }
        };
        let ok = w.chars().count() >= if w.is_ascii() { 5 } else { 2 }
            && !is_stop(&w)
            && !vocab.known.contains(&w.to_lowercase());
        if ok {
            return w;
        }
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escaping() {
        let mut out = Vec::new();
        json_string(&mut out, "a\"b\\c\nd\u{1}é🍕");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a\\\"b\\\\c\\nd\\u0001é🍕\""
        );
    }

    #[test]
    fn cos_matches_std() {
        for d in [0.0, 10.0, 45.0, 60.0, 70.0, 89.0] {
            assert!((cos_deg(d) - d.to_radians().cos()).abs() < 1e-9, "{d}");
        }
    }

    #[test]
    fn pseudo_words_avoid_the_corpus() {
        let v = Vocab::get();
        for lang in ["en", "ja", "zh", "ko", "th", "ar", "hi", "ru", "es"] {
            for i in 0..200 {
                let w = pseudo_word(lang, i, v);
                assert!(!v.known.contains(&w.to_lowercase()));
                assert!(bare_ok(&w), "{w:?}");
                assert_eq!(w, pseudo_word(lang, i, v));
            }
        }
    }

    #[test]
    fn printing_groups() {
        let n = and(vec![
            or(vec![atom("a".into()), atom("b".into())]),
            neg(or(vec![atom("c".into()), atom("d".into())])),
            atom("sample:10".into()),
        ]);
        assert_eq!(n.text(), "(a OR b) -(c OR d) sample:10");
    }
}
