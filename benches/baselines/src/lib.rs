//! External baselines for powertrack's benches: the [`mokaccino`] percolator (crates.io) given
//! the subset of a generated PowerTrack rule set it can express.
//!
//! mokaccino matches *documents* — multimaps of `(field, value)` strings — against boolean
//! queries over term equality, prefixes, integer comparisons and geo cells. It has no
//! tokenizer, no phrases and no substrings. So:
//!
//! * [`translate`] turns a PowerTrack rule into a mokaccino [`Query`] over the fields below, or
//!   says why it cannot ([`Skip`]). A rule is kept whole or dropped whole: no rule is
//!   approximated.
//! * [`doc_from_post`] builds the document of a post from powertrack's parsed [`Post`] view
//!   (the "pre-extracted" input mokaccino is designed for), and [`doc_from_json`] builds the
//!   same document from the raw line with `serde_json` (the end-to-end path). Both fold and
//!   tokenize text with powertrack's own tokenizer, so terms compare exactly as in powertrack.
//!
//! # Fields
//!
//! | field | values | PowerTrack operators translated to it |
//! |---|---|---|
//! | `tok` | folded 1-, 2- and 3-token n-grams (tokens joined by a space) of each text and URL string of the root, retweeted and quoted posts | keywords, emoji, phrases of ≤ 3 tokens |
//! | `url`, `url_title`, `url_desc`, `bio`, `bio_name`, `bio_loc`, `source`, `place` | the same n-grams of those strings | `url:`, `url_title:`, `url_description:`, `bio:`, `bio_name:`, `bio_location:`, `source:`, `place:` (text, ≤ 3 tokens) |
//! | `hashtag`, `cashtag`, `mention`, `mention_id` | folded entity texts, ids | `#`, `$`, `@` |
//! | `from`, `from_id`, `to`, `to_id`, `rt_of`, `rt_of_id` | folded screen names, ids | `from:`, `to:`, `retweets_of:` |
//! | `rt_status`, `reply_status` | post ids | `retweets_of_status_id:`, `in_reply_to_status_id:` |
//! | `lang`, `place_id`, `place_country`, `profile_country`, `profile_region`, `profile_locality`, `profile_subregion` | folded values | `lang:`, `place:` (id), `place_country:`, `profile_*:` |
//! | `flag` | `has:links`, `is:retweet`, … | `has:`, `is:` |
//! | `statuses`, `followers`, `friends`, `listed` | the author's counts | `*_count:` (as `i64_ge` and `i64_le`) |
//!
//! Not expressible, so rules using them are dropped: `contains:` and `url_contains:`
//! (substrings), proximity `"a b"~N`, keywords and phrases of a spaceless script (CJK, Thai:
//! PowerTrack matches them *inside* a run of text, a substring test), phrases longer than 3
//! tokens, `sample:`, and the geo operators (`point_radius:`, `bounding_box:` and their
//! `profile_` forms: mokaccino's `latlng_within` is a circle around one point, PowerTrack's
//! also tests the place's box). Rules whose CNF — mokaccino compiles every query to
//! conjunctive normal form — would exceed [`MAX_CNF_CLAUSES`] clauses are dropped too.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use mokaccino::prelude::{CNFQueryable, Document, Query};
use powertrack::post::{MediaKind, Post, Role};
use powertrack::syntax::{ClauseKind, Expr, HasValue, IsValue, Rule, UserRef};
use powertrack::tokenize::{self, TokenKind};

/// The longest phrase (in tokens, punctuation included) translated: documents carry every
/// n-gram up to this length.
pub const MAX_NGRAM: usize = 3;

/// Rules whose conjunctive normal form has more clauses than this are not translated.
pub const MAX_CNF_CLAUSES: u64 = 256;

/// Why a rule is not translated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Skip {
    /// `contains:` or `url_contains:`.
    Substring,
    /// `"a b"~N`.
    Proximity,
    /// A keyword or phrase with a spaceless-script token (CJK, Thai…).
    Spaceless,
    /// A phrase of more than [`MAX_NGRAM`] tokens.
    LongPhrase,
    /// `sample:`.
    Sample,
    /// `point_radius:`, `bounding_box:` and their `profile_` forms.
    Geo,
    /// A count bound beyond `i64`.
    CountRange,
    /// The CNF would exceed [`MAX_CNF_CLAUSES`] clauses.
    CnfTooLarge,
    /// An operator this translation does not know.
    Other,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Skip::Substring => "substring (contains:, url_contains:)",
            Skip::Proximity => "proximity \"a b\"~N",
            Skip::Spaceless => "spaceless-script term (CJK, Thai)",
            Skip::LongPhrase => "phrase of more than 3 tokens",
            Skip::Sample => "sample:",
            Skip::Geo => "geo (point_radius:, bounding_box:, profile_ forms)",
            Skip::CountRange => "count beyond i64",
            Skip::CnfTooLarge => "CNF over 256 clauses",
            Skip::Other => "other operator",
        })
    }
}

/// A rule in negation normal form over mokaccino literals.
#[derive(Clone, Debug)]
enum Node {
    Lit { negated: bool, leaf: Leaf },
    And(Vec<Node>),
    Or(Vec<Node>),
}

#[derive(Clone, Debug)]
enum Leaf {
    Term(&'static str, String),
    Ge(&'static str, i64),
    Le(&'static str, i64),
}

impl Node {
    fn term(field: &'static str, value: impl Into<String>) -> Node {
        Node::Lit {
            negated: false,
            leaf: Leaf::Term(field, value.into()),
        }
    }

    fn negate(self) -> Node {
        match self {
            Node::Lit { negated, leaf } => Node::Lit {
                negated: !negated,
                leaf,
            },
            Node::And(items) => Node::Or(items.into_iter().map(Node::negate).collect()),
            Node::Or(items) => Node::And(items.into_iter().map(Node::negate).collect()),
        }
    }

    /// Clauses of the conjunctive normal form (saturating).
    fn cnf_clauses(&self) -> u64 {
        match self {
            Node::Lit { .. } => 1,
            Node::And(items) => items
                .iter()
                .fold(0u64, |acc, n| acc.saturating_add(n.cnf_clauses())),
            Node::Or(items) => items
                .iter()
                .fold(1u64, |acc, n| acc.saturating_mul(n.cnf_clauses())),
        }
    }

    fn to_query(&self) -> Query {
        match self {
            Node::Lit { negated, leaf } => {
                let q = match leaf {
                    Leaf::Term(f, v) => (*f).has_value(v.as_str()),
                    Leaf::Ge(f, n) => (*f).i64_ge(*n),
                    Leaf::Le(f, n) => (*f).i64_le(*n),
                };
                if *negated { !q } else { q }
            }
            Node::And(items) => Query::from_and(items.iter().map(Node::to_query).collect()),
            Node::Or(items) => Query::from_or(items.iter().map(Node::to_query).collect()),
        }
    }
}

/// Translates a rule into a mokaccino query with the same meaning over the documents of
/// [`doc_from_post`], or says why it cannot.
///
/// # Errors
///
/// The first [`Skip`] reason met.
pub fn translate(rule: &Rule) -> Result<Query, Skip> {
    translate_node(rule).map(|n| n.to_query())
}

fn translate_node(rule: &Rule) -> Result<Node, Skip> {
    let node = expr(rule.expr())?;
    if node.cnf_clauses() > MAX_CNF_CLAUSES {
        return Err(Skip::CnfTooLarge);
    }
    Ok(node)
}

/// The fields compared as integers.
const COUNT_FIELDS: [&str; 4] = ["statuses", "followers", "friends", "listed"];

/// The text fields whose values are n-grams.
pub const TEXT_FIELDS: [&str; 9] = [
    "tok",
    "url",
    "url_title",
    "url_desc",
    "bio",
    "bio_name",
    "bio_loc",
    "source",
    "place",
];

/// Which values documents must carry: per text field, the longest phrase (in tokens) some
/// query tests, 0 when no query reads the field; and, for *pruned* documents, only the values
/// some query tests. A document built to a rule set's schema matches exactly as one with every
/// n-gram and value, and is smaller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    max_ngram: [usize; TEXT_FIELDS.len()],
    /// Per field, the values the queries test.
    vocab: HashMap<&'static str, HashSet<String>>,
    /// Whether documents keep only those values (count fields, compared as integers, are
    /// never pruned).
    prune: bool,
}

impl Schema {
    /// Every n-gram of every text field, up to [`MAX_NGRAM`] tokens.
    pub fn full() -> Schema {
        Schema {
            max_ngram: [MAX_NGRAM; TEXT_FIELDS.len()],
            vocab: HashMap::new(),
            prune: false,
        }
    }

    /// No text field.
    pub fn empty() -> Schema {
        Schema {
            max_ngram: [0; TEXT_FIELDS.len()],
            vocab: HashMap::new(),
            prune: false,
        }
    }

    /// The longest n-gram field `field` needs (0: none; [`MAX_NGRAM`] for unknown fields).
    pub fn max_ngram(&self, field: &str) -> usize {
        TEXT_FIELDS
            .iter()
            .position(|f| *f == field)
            .map_or(MAX_NGRAM, |i| self.max_ngram[i])
    }

    /// This schema, with documents pruned to the values the queries test.
    #[must_use]
    pub fn pruned(&self) -> Schema {
        Schema {
            max_ngram: self.max_ngram,
            vocab: self.vocab.clone(),
            prune: true,
        }
    }

    /// Whether a document keeps `value` of `field`.
    fn keeps(&self, field: &str, value: &str) -> bool {
        !self.prune || self.vocab.get(field).is_some_and(|set| set.contains(value))
    }

    fn note(&mut self, node: &Node) {
        match node {
            Node::Lit {
                leaf: Leaf::Term(field, value),
                ..
            } => {
                self.vocab.entry(field).or_default().insert(value.clone());
                if let Some(i) = TEXT_FIELDS.iter().position(|f| f == field) {
                    let n = if value.is_empty() {
                        0
                    } else {
                        value.split(' ').count()
                    };
                    self.max_ngram[i] = self.max_ngram[i].max(n);
                }
            }
            Node::Lit { .. } => {}
            Node::And(items) | Node::Or(items) => items.iter().for_each(|n| self.note(n)),
        }
    }
}

impl Default for Schema {
    fn default() -> Schema {
        Schema::full()
    }
}

fn expr(e: &Expr) -> Result<Node, Skip> {
    Ok(match e {
        Expr::Or(or) => Node::Or(or.branches.iter().map(expr).collect::<Result<_, _>>()?),
        Expr::And(and) => Node::And(and.items.iter().map(expr).collect::<Result<_, _>>()?),
        Expr::Not(not) => expr(&not.expr)?.negate(),
        Expr::Group(g) => expr(&g.expr)?,
        Expr::Clause(c) => clause(&c.kind)?,
    })
}

fn fold(s: &str) -> String {
    tokenize::fold(s).into_owned()
}

/// A keyword or phrase over the n-grams of `field`.
fn text(field: &'static str, text: &str) -> Result<Node, Skip> {
    let folded = tokenize::fold(text);
    let mut terms: Vec<&str> = Vec::new();
    let mut spaceless = false;
    tokenize::for_each_token(&folded, |t| {
        spaceless |= t.kind == TokenKind::Spaceless;
        terms.push(t.text(&folded));
    });
    if spaceless {
        return Err(Skip::Spaceless);
    }
    if terms.len() > MAX_NGRAM {
        return Err(Skip::LongPhrase);
    }
    // An empty term never matches (powertrack lowers it to a test that is always false):
    // a value no document holds.
    Ok(Node::term(field, terms.join(" ")))
}

fn user(name: &'static str, id: &'static str, u: &UserRef) -> Node {
    match u {
        UserRef::Name(n) => Node::term(name, fold(n)),
        UserRef::Id(i) => Node::term(id, i.to_string()),
    }
}

fn count(field: &'static str, min: u64, max: Option<u64>) -> Result<Node, Skip> {
    let min = i64::try_from(min).map_err(|_| Skip::CountRange)?;
    let ge = Node::Lit {
        negated: false,
        leaf: Leaf::Ge(field, min),
    };
    Ok(match max {
        None => ge,
        Some(max) => {
            let max = i64::try_from(max).map_err(|_| Skip::CountRange)?;
            Node::And(vec![
                ge,
                Node::Lit {
                    negated: false,
                    leaf: Leaf::Le(field, max),
                },
            ])
        }
    })
}

fn has_flag(v: HasValue) -> Option<&'static str> {
    Some(match v {
        HasValue::Lang => "has:lang",
        HasValue::Links => "has:links",
        HasValue::Mentions => "has:mentions",
        HasValue::Hashtags => "has:hashtags",
        HasValue::Symbols => "has:symbols",
        HasValue::Media => "has:media",
        HasValue::Images => "has:images",
        HasValue::Videos => "has:videos",
        HasValue::Geo => "has:geo",
        HasValue::ProfileGeo => "has:profile_geo",
        _ => return None,
    })
}

fn is_flag(v: IsValue) -> Option<&'static str> {
    Some(match v {
        IsValue::Retweet => "is:retweet",
        IsValue::Reply => "is:reply",
        IsValue::Quote => "is:quote",
        IsValue::Verified => "is:verified",
        IsValue::Nullcast => "is:nullcast",
        _ => return None,
    })
}

fn clause(kind: &ClauseKind) -> Result<Node, Skip> {
    use ClauseKind as K;
    Ok(match kind {
        K::Keyword(w) | K::Emoji(w) => text("tok", &w.text)?,
        K::Phrase(p) => text("tok", &p.text)?,
        K::Hashtag(w) => Node::term("hashtag", fold(&w.text)),
        K::Cashtag(w) => Node::term("cashtag", fold(&w.text)),
        K::Mention(u) => user("mention", "mention_id", u),
        K::From(a) => user("from", "from_id", &a.user),
        K::To(a) => user("to", "to_id", &a.user),
        K::RetweetsOf(a) => user("rt_of", "rt_of_id", &a.user),
        K::RetweetsOfStatusId(a) => Node::term("rt_status", a.id.to_string()),
        K::InReplyToStatusId(a) => Node::term("reply_status", a.id.to_string()),
        K::Url(a) => text("url", &a.text)?,
        K::UrlTitle(a) => text("url_title", &a.text)?,
        K::UrlDescription(a) => text("url_desc", &a.text)?,
        K::Bio(a) => text("bio", &a.text)?,
        K::BioName(a) => text("bio_name", &a.text)?,
        K::BioLocation(a) => text("bio_loc", &a.text)?,
        K::Source(a) => text("source", &a.text)?,
        K::Place(a) => Node::Or(vec![
            Node::term("place_id", fold(&a.text)),
            text("place", &a.text)?,
        ]),
        K::StatusesCount(a) => count("statuses", a.min, a.max)?,
        K::FollowersCount(a) => count("followers", a.min, a.max)?,
        K::FriendsCount(a) => count("friends", a.min, a.max)?,
        K::ListedCount(a) => count("listed", a.min, a.max)?,
        K::Lang(l) => Node::term("lang", fold(l.code())),
        K::Has(h) => Node::term("flag", has_flag(h.value).ok_or(Skip::Other)?),
        K::Is(v) => Node::term("flag", is_flag(*v).ok_or(Skip::Other)?),
        K::PlaceCountry(a) => Node::term("place_country", fold(&a.text)),
        K::ProfileCountry(a) => Node::term("profile_country", fold(&a.text)),
        K::ProfileRegion(a) => Node::term("profile_region", fold(&a.text)),
        K::ProfileLocality(a) => Node::term("profile_locality", fold(&a.text)),
        K::ProfileSubregion(a) => Node::term("profile_subregion", fold(&a.text)),
        K::Contains(_) | K::UrlContains(_) => return Err(Skip::Substring),
        K::Proximity(_) => return Err(Skip::Proximity),
        K::Sample(_) => return Err(Skip::Sample),
        K::PointRadius(_)
        | K::BoundingBox(_)
        | K::ProfilePointRadius(_)
        | K::ProfileBoundingBox(_) => return Err(Skip::Geo),
        _ => return Err(Skip::Other),
    })
}

/// The translation of a whole rule set: the kept rules' queries with their ids, and how many
/// rules were dropped for each reason.
#[derive(Debug, Default)]
pub struct Translated {
    /// `(id, query)` of every translated rule, in input order.
    pub kept: Vec<(u64, Query)>,
    /// The n-grams the kept queries read.
    pub schema: Schema,
    /// Dropped rules per reason.
    pub skipped: BTreeMap<Skip, usize>,
}

impl Translated {
    /// Translates every rule.
    pub fn new<'a>(rules: impl IntoIterator<Item = (u64, &'a Rule)>) -> Translated {
        let mut t = Translated {
            kept: Vec::new(),
            schema: Schema::empty(),
            skipped: BTreeMap::new(),
        };
        for (id, rule) in rules {
            match translate_node(rule) {
                Ok(node) => {
                    t.schema.note(&node);
                    t.kept.push((id, node.to_query()));
                }
                Err(why) => *t.skipped.entry(why).or_default() += 1,
            }
        }
        t
    }

    /// A one-line summary: kept of total, and the reasons.
    pub fn summary(&self) -> String {
        let total = self.kept.len() + self.skipped.values().sum::<usize>();
        let reasons: Vec<String> = self
            .skipped
            .iter()
            .map(|(why, n)| format!("{n} {why}"))
            .collect();
        format!(
            "{} of {total} rules translated; dropped: {}",
            self.kept.len(),
            if reasons.is_empty() {
                "none".to_string()
            } else {
                reasons.join(", ")
            }
        )
    }

    /// A mokaccino percolator of the kept rules, keyed by rule id: indexed once, then
    /// re-indexed by `optimized()` with the clause-matcher count its statistics recommend (as
    /// mokaccino's documentation advises once a few hundred queries are indexed).
    pub fn percolator(&self) -> mokaccino::prelude::PercolatorUid<u64> {
        let mut p = mokaccino::prelude::PercolatorUid::<u64>::default();
        for (id, q) in &self.kept {
            p.index_query_uid(q.clone(), *id)
                .expect("fewer than 2^32 queries and clauses");
        }
        p.optimized()
    }
}

/// Builds a document: text fields become n-grams, keys are added folded or as they are.
#[derive(Debug)]
pub struct DocBuilder<'s> {
    schema: &'s Schema,
    doc: Document,
    folded: String,
    tokens: Vec<(usize, usize)>,
    gram: String,
}

impl<'s> DocBuilder<'s> {
    /// An empty builder of documents to `schema`.
    pub fn new(schema: &'s Schema) -> DocBuilder<'s> {
        DocBuilder {
            schema,
            doc: Document::new(),
            folded: String::new(),
            tokens: Vec::new(),
            gram: String::new(),
        }
    }

    /// Adds the n-grams of `text` to every field of `fields`.
    pub fn text(&mut self, fields: &[&'static str], text: &str) {
        let longest = fields
            .iter()
            .map(|f| self.schema.max_ngram(f))
            .max()
            .unwrap_or(0);
        if text.is_empty() || longest == 0 {
            return;
        }
        self.folded.clear();
        tokenize::fold_into(text, &mut self.folded);
        self.tokens.clear();
        let tokens = &mut self.tokens;
        tokenize::for_each_token(&self.folded, |t| tokens.push((t.start, t.end)));
        for n in 1..=longest {
            for w in self.tokens.windows(n) {
                self.gram.clear();
                for (i, &(s, e)) in w.iter().enumerate() {
                    if i > 0 {
                        self.gram.push(' ');
                    }
                    self.gram.push_str(&self.folded[s..e]);
                }
                for f in fields {
                    if n <= self.schema.max_ngram(f) && self.schema.keeps(f, &self.gram) {
                        self.doc.with_value_mut(*f, self.gram.as_str());
                    }
                }
            }
        }
    }

    /// Adds a key, folded.
    pub fn key(&mut self, field: &'static str, value: &str) {
        let folded = tokenize::fold(value);
        if self.schema.keeps(field, &folded) {
            self.doc.with_value_mut(field, folded.as_ref());
        }
    }

    /// Adds a number (counts are always kept: queries compare them as integers).
    pub fn number(&mut self, field: &'static str, n: u64) {
        let n = n.to_string();
        if COUNT_FIELDS.contains(&field) || self.schema.keeps(field, &n) {
            self.doc.with_value_mut(field, n);
        }
    }

    /// The document.
    pub fn finish(self) -> Document {
        self.doc
    }
}

/// The flags of a post (`has:` and `is:`), computed as powertrack computes them.
#[derive(Debug, Default)]
struct Flags {
    links: bool,
    mentions: bool,
    hashtags: bool,
    symbols: bool,
    media: bool,
    images: bool,
    videos: bool,
    geo: bool,
    profile_geo: bool,
    lang: bool,
    retweet: bool,
    reply: bool,
    quote: bool,
    verified: bool,
    nullcast: bool,
}

impl Flags {
    fn add_to(&self, b: &mut DocBuilder<'_>) {
        let all = [
            (self.links, "has:links"),
            (self.mentions, "has:mentions"),
            (self.hashtags, "has:hashtags"),
            (self.symbols, "has:symbols"),
            (self.media, "has:media"),
            (self.images, "has:images"),
            (self.videos, "has:videos"),
            (self.geo, "has:geo"),
            (self.profile_geo, "has:profile_geo"),
            (self.lang, "has:lang"),
            (self.retweet, "is:retweet"),
            (self.reply, "is:reply"),
            (self.quote, "is:quote"),
            (self.verified, "is:verified"),
            (self.nullcast, "is:nullcast"),
        ];
        for (on, name) in all {
            if on && b.schema.keeps("flag", name) {
                b.doc.with_value_mut("flag", name);
            }
        }
    }
}

/// The URL strings of one URL entity that text operators see: the distinct ones of `url`,
/// `expanded_url`, `display_url` and the unwound URL.
fn url_strings(strings: [Option<&str>; 4]) -> impl Iterator<Item = &str> {
    (0..4).filter_map(move |i| {
        (!strings[..i].contains(&strings[i])).then_some(strings[i].unwrap_or(""))
    })
}

/// The document of a parsed post: what a mokaccino user would extract from powertrack's view
/// (the fields of the module docs, as powertrack's matcher sees them), with the n-grams of
/// `schema`.
pub fn doc_from_post(post: &Post<'_>, schema: &Schema) -> Document {
    let mut b = DocBuilder::new(schema);
    let mut fl = Flags {
        retweet: post.is_retweet(),
        quote: post.quoted().is_some(),
        ..Flags::default()
    };
    for part in post
        .parts()
        .filter(|p| matches!(p.role(), Role::Root | Role::Retweeted | Role::Quoted))
    {
        b.text(&["tok"], part.text());
        for url in part.urls() {
            fl.links = true;
            for s in url_strings([url.url, url.expanded_url, url.display_url, url.unwound_url]) {
                b.text(&["tok", "url"], s);
            }
            b.text(&["url_title"], url.unwound_title.unwrap_or(""));
            b.text(&["url_desc"], url.unwound_description.unwrap_or(""));
        }
        for tag in part.hashtags() {
            fl.hashtags = true;
            b.key("hashtag", tag);
        }
        for tag in part.cashtags() {
            fl.symbols = true;
            b.key("cashtag", tag);
        }
        for m in part.mentions() {
            fl.mentions = true;
            if let Some(name) = m.screen_name {
                b.key("mention", name);
            }
            if let Some(id) = m.id {
                b.number("mention_id", id);
            }
        }
        for m in part.media() {
            fl.links = true;
            fl.media = true;
            fl.images |= m.kind == MediaKind::Photo;
            fl.videos |= matches!(m.kind, MediaKind::Video | MediaKind::AnimatedGif);
        }
        fl.reply |= part.in_reply_to_status_id().is_some();
        fl.quote |= part.role() != Role::Quoted && part.is_quote_status();
    }
    let root = post.root();
    let user = post.user();
    b.text(&["bio"], user.description().unwrap_or(""));
    b.text(&["bio_name"], user.name().unwrap_or(""));
    b.text(&["bio_loc"], user.location().unwrap_or(""));
    if let Some(source) = post.source() {
        b.text(&["source"], source.name.unwrap_or(""));
        b.text(&["source"], source.url.unwrap_or(""));
    }
    if let Some(name) = user.screen_name() {
        b.key("from", name);
    }
    if let Some(id) = user.id() {
        b.number("from_id", id);
    }
    if let Some(name) = root.in_reply_to_screen_name() {
        b.key("to", name);
    }
    if let Some(id) = root.in_reply_to_user_id() {
        b.number("to_id", id);
    }
    if let Some(id) = root.in_reply_to_status_id() {
        b.number("reply_status", id);
    }
    if let Some(id) = post.retweeted_status_id() {
        b.number("rt_status", id);
    }
    if let Some(rt) = post.retweeted() {
        let author = rt.author();
        if let Some(name) = author.screen_name() {
            b.key("rt_of", name);
        }
        if let Some(id) = author.id() {
            b.number("rt_of_id", id);
        }
    }
    if let Some(lang) = post.lang() {
        b.key("lang", lang);
        fl.lang = !lang.is_empty() && lang != "und";
    }
    let counts = [
        ("statuses", user.statuses_count()),
        ("followers", user.followers_count()),
        ("friends", user.friends_count()),
        ("listed", user.listed_count()),
    ];
    for (field, n) in counts {
        if let Some(n) = n {
            b.number(field, n);
        }
    }
    if !fl.retweet {
        fl.geo |= post.coordinates().is_some();
        if let Some(place) = post.place() {
            fl.geo = true;
            if let Some(id) = place.id {
                b.key("place_id", id);
            }
            if let Some(cc) = place.country_code {
                b.key("place_country", cc);
            }
            b.text(&["place"], place.name.unwrap_or(""));
            b.text(&["place"], place.full_name.unwrap_or(""));
        }
    }
    for g in user.profile_geo() {
        fl.profile_geo = true;
        let keys = [
            ("profile_country", g.country_code),
            ("profile_region", g.region),
            ("profile_locality", g.locality),
            ("profile_subregion", g.sub_region),
        ];
        for (field, v) in keys {
            if let Some(v) = v {
                b.key(field, v);
            }
        }
    }
    fl.verified = user.verified();
    fl.nullcast = post.is_nullcast();
    fl.add_to(&mut b);
    b.finish()
}

mod json;
pub use json::doc_from_json;

/// The corpus lines, one `Vec<u8>` per non-empty line.
pub fn lines_of(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// The real corpus (`combined/all_v11_native.ndjson` under `../../../shared/data/tweets` or
/// `$POWERTRACK_SHARED/data/tweets`), or `None` with the reason printed.
pub fn corpus() -> Option<Vec<Vec<u8>>> {
    let shared = match std::env::var_os("POWERTRACK_SHARED") {
        Some(d) => std::path::PathBuf::from(d),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    let path = shared.join("data/tweets/combined/all_v11_native.ndjson");
    match std::fs::read(&path) {
        Ok(bytes) => Some(lines_of(&bytes)),
        Err(e) => {
            eprintln!(
                "skipping: the real corpus is not at {} ({e}); set POWERTRACK_SHARED",
                path.display()
            );
            None
        }
    }
}
