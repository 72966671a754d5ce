//! The reference evaluator: the oracle every fast path is checked against.
//!
//! It reads a rule's syntax tree and a [`Post`] view directly, one clause at a time, with plain
//! loops and the slow [reference tokenizer](crate::tokenize::reference). It shares nothing with
//! the compiler and the matcher but the tokenizer's folding and the view, so a bug in the fast
//! path cannot hide in both. It is slow by design; clarity is its only goal.
//!
//! What each operator sees follows matching-semantics S1–S10 and S19–S37 (the "sees" column of
//! `grammar/operators.md`): text and entity operators read the root post, the retweeted
//! original and the quoted post; user operators the root author; geo operators the root post,
//! never a retweet. The rule is evaluated once over that union (matching-semantics S4).
//!
//! # Example
//!
//! ```
//! use powertrack::post::{Line, Parser};
//! use powertrack::reference;
//! use powertrack::syntax::Rule;
//!
//! let line = br#"{"id_str":"1","text":"Snow day!","user":{"id_str":"2","screen_name":"a"},"lang":"en"}"#;
//! let mut parser = Parser::new();
//! let Line::Post(post) = parser.parse(line)? else { unreachable!() };
//! assert!(reference::matches(&Rule::parse("snow lang:en")?, &post));
//! assert!(!reference::matches(&Rule::parse(r#""day snow""#)?, &post));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::geo;
use crate::post::{MediaKind, Part, Post, Role};
use crate::syntax::{ClauseKind, Expr, HasValue, IsValue, Rule, UserRef};
use crate::tokenize::{TokenKind, fold, reference::tokenize};

/// Whether `rule` matches `post`.
pub fn matches(rule: &Rule, post: &Post<'_>) -> bool {
    let terms = RefCell::default();
    Cx {
        post,
        fields: RefCell::default(),
        terms: &terms,
    }
    .eval(rule.expr())
}

/// A list of rules with ids, evaluated together: the tokens of their text arguments are
/// computed once (a memo keyed by the text, so it can never be stale), and those of a post's
/// fields once per post. Only the cost changes; the evaluation is the same as [`matches`](fn@matches).
#[derive(Debug, Default)]
pub struct RuleBook {
    rules: Vec<(u64, Rule)>,
    terms: TermMemo,
}

impl RuleBook {
    /// A book of `rules`, in order.
    pub fn new(rules: impl IntoIterator<Item = (u64, Rule)>) -> RuleBook {
        RuleBook {
            rules: rules.into_iter().collect(),
            terms: RefCell::default(),
        }
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[(u64, Rule)] {
        &self.rules
    }

    /// The ids of the rules that match `post`, in order.
    pub fn matching_ids(&self, post: &Post<'_>) -> Vec<u64> {
        let cx = Cx {
            post,
            fields: RefCell::default(),
            terms: &self.terms,
        };
        self.rules
            .iter()
            .filter(|(_, r)| cx.eval(r.expr()))
            .map(|(id, _)| *id)
            .collect()
    }
}

/// The ids of the rules of `rules` that match `post`, in the order given.
pub fn matching_ids<'r>(
    rules: impl IntoIterator<Item = (u64, &'r Rule)>,
    post: &Post<'_>,
) -> Vec<u64> {
    rules
        .into_iter()
        .filter(|(_, r)| matches(r, post))
        .map(|(id, _)| id)
        .collect()
}

/// Tokenized texts by content.
type TermMemo = RefCell<HashMap<String, Rc<[Tok]>>>;

/// Tokenized post fields by address and length.
type FieldMemo = RefCell<HashMap<(usize, usize), Rc<[Tok]>>>;

/// One post under evaluation, with memos of tokenized texts.
struct Cx<'a, 'p> {
    post: &'a Post<'p>,
    /// Keyed by the field's address and length: the post's strings outlive the evaluation,
    /// so one key is one string.
    fields: FieldMemo,
    terms: &'a TermMemo,
}

/// A folded token.
#[derive(Debug)]
struct Tok {
    text: String,
    kind: TokenKind,
}

/// Tokenizes `text` with the reference tokenizer, then folds each token.
fn toks(text: &str) -> Vec<Tok> {
    tokenize(text)
        .into_iter()
        .map(|t| Tok {
            text: fold(&text[t.start..t.end]).into_owned(),
            kind: t.kind,
        })
        .collect()
}

impl<'p> Cx<'_, 'p> {
    fn eval(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Or(or) => or.branches.iter().any(|e| self.eval(e)),
            Expr::And(and) => and.items.iter().all(|e| self.eval(e)),
            Expr::Not(not) => !self.eval(&not.expr),
            Expr::Group(group) => self.eval(&group.expr),
            Expr::Clause(clause) => clause_matches(self, &clause.kind),
        }
    }

    /// The tokens of a field of the post (memoised per post).
    fn field(&self, text: &'p str) -> Rc<[Tok]> {
        let mut memo = self.fields.borrow_mut();
        let key = (text.as_ptr() as usize, text.len());
        memo.entry(key).or_insert_with(|| toks(text).into()).clone()
    }

    /// The tokens of a rule's text argument (memoised by text).
    fn term(&self, text: &str) -> Rc<[Tok]> {
        if let Some(t) = self.terms.borrow().get(text) {
            return t.clone();
        }
        let t: Rc<[Tok]> = toks(text).into();
        self.terms.borrow_mut().insert(text.to_string(), t.clone());
        t
    }

    fn phrase(&self, fields: &[&'p str], rule_text: &str) -> bool {
        let terms = self.term(rule_text);
        fields.iter().any(|f| phrase_in(&self.field(f), &terms))
    }

    fn proximity(&self, fields: &[&'p str], rule_text: &str, n: u8) -> bool {
        let all = self.term(rule_text);
        let terms: Vec<&Tok> = all.iter().filter(|t| t.kind != TokenKind::Punct).collect();
        if terms.len() < 2 {
            return self.phrase(fields, rule_text);
        }
        fields
            .iter()
            .any(|f| near_in(&self.field(f), &terms, usize::from(n)))
    }
}

fn eq(a: &str, b: &str) -> bool {
    fold(a) == fold(b)
}

/// The parts text and entity operators see.
fn seen_parts<'v, 'p>(post: &'v Post<'p>) -> Vec<Part<'v, 'p>> {
    post.parts()
        .filter(|p| matches!(p.role(), Role::Root | Role::Retweeted | Role::Quoted))
        .collect()
}

/// The URL strings of the seen parts: `url`, `expanded_url`, `display_url`, `unwound.url`.
fn url_strings<'p>(post: &Post<'p>) -> Vec<&'p str> {
    let mut out = Vec::new();
    for part in seen_parts(post) {
        for u in part.urls() {
            out.extend(
                [u.url, u.expanded_url, u.display_url, u.unwound_url]
                    .into_iter()
                    .flatten(),
            );
        }
    }
    out
}

/// Whether the post is a retweet, by its own word: a v2 retweet whose original is not expanded
/// in `includes.tweets` is one too.
fn is_retweet(post: &Post<'_>) -> bool {
    post.is_retweet()
}

/// Whether the phrase `terms` occurs in `text` (matching-semantics S15, S17): as a contiguous run
/// of tokens, where a spaceless-script token of the phrase may be part of the text's spaceless
/// run at the phrase's ends (or anywhere, when it is the whole phrase).
fn phrase_in(text: &[Tok], terms: &[Tok]) -> bool {
    let k = terms.len();
    if k == 0 {
        return false;
    }
    (0..text.len()).any(|i| {
        i + k <= text.len()
            && (0..k).all(|j| {
                let (term, tok) = (&terms[j], &text[i + j]);
                let both_spaceless =
                    term.kind == TokenKind::Spaceless && tok.kind == TokenKind::Spaceless;
                if !both_spaceless {
                    tok.text == term.text
                } else if k == 1 {
                    tok.text.contains(&term.text)
                } else if j == 0 {
                    tok.text.ends_with(&term.text)
                } else if j == k - 1 {
                    tok.text.starts_with(&term.text)
                } else {
                    tok.text == term.text
                }
            })
    })
}

/// Whether proximity term `term` is token `text[pos]`: equal, or inside it when both are of
/// spaceless scripts.
fn near_term(text: &[Tok], term: &Tok, pos: usize) -> bool {
    let tok = &text[pos];
    if term.kind == TokenKind::Spaceless && tok.kind == TokenKind::Spaceless {
        tok.text.contains(&term.text)
    } else {
        tok.text == term.text
    }
}

/// Whether `terms` occur at strictly increasing positions in `after + 1..=hi`.
fn ascend(text: &[Tok], terms: &[&Tok], after: usize, hi: usize) -> bool {
    match terms.split_first() {
        None => true,
        Some((t, rest)) => (after + 1..=hi.min(text.len().saturating_sub(1)))
            .any(|p| near_term(text, t, p) && ascend(text, rest, p, hi)),
    }
}

/// Whether `terms` occur at strictly decreasing positions in `lo..before`.
fn descend(text: &[Tok], terms: &[&Tok], before: usize, lo: usize) -> bool {
    match terms.split_first() {
        None => true,
        Some((t, rest)) => {
            (lo..before).any(|p| near_term(text, t, p) && descend(text, rest, p, lo))
        }
    }
}

/// Proximity `"…"~n` (matching-semantics S16): the word terms in order with the last at most `n`
/// positions after the first, or in reverse order with the last at most `n - 2` before it.
fn near_in(text: &[Tok], terms: &[&Tok], n: usize) -> bool {
    (0..text.len()).any(|p1| {
        near_term(text, terms[0], p1)
            && (ascend(text, &terms[1..], p1, p1 + n)
                || (n >= 2 && descend(text, &terms[1..], p1, p1.saturating_sub(n - 2))))
    })
}

fn user_is(name: Option<&str>, id: Option<u64>, want: &UserRef) -> bool {
    match want {
        UserRef::Name(n) => name.is_some_and(|s| eq(s, n)),
        UserRef::Id(i) => id == Some(*i),
    }
}

fn in_area_circle(post: &Post<'_>, lon: f64, lat: f64, km: f64) -> bool {
    if is_retweet(post) {
        return false;
    }
    post.coordinates()
        .is_some_and(|p| geo::in_circle((p.lon, p.lat), (lon, lat), km))
        || post
            .place()
            .and_then(|p| p.bounding_box)
            .is_some_and(|b| geo::box_in_circle([b.west, b.south, b.east, b.north], (lon, lat), km))
}

fn in_area_box(post: &Post<'_>, area: [f64; 4]) -> bool {
    if is_retweet(post) {
        return false;
    }
    post.coordinates()
        .is_some_and(|p| geo::in_box((p.lon, p.lat), area))
        || post
            .place()
            .and_then(|p| p.bounding_box)
            .is_some_and(|b| geo::box_in_box([b.west, b.south, b.east, b.north], area))
}

fn has(post: &Post<'_>, value: HasValue) -> bool {
    let parts = seen_parts(post);
    let any_media =
        |f: &dyn Fn(MediaKind) -> bool| parts.iter().any(|p| p.media().any(|m| f(m.kind)));
    match value {
        HasValue::Lang => post.lang().is_some_and(|l| !l.is_empty() && l != "und"),
        HasValue::Links => parts
            .iter()
            .any(|p| p.urls().len() > 0 || p.media().len() > 0),
        HasValue::Mentions => parts.iter().any(|p| p.mentions().len() > 0),
        HasValue::Hashtags => parts.iter().any(|p| p.hashtags().len() > 0),
        HasValue::Symbols => parts.iter().any(|p| p.cashtags().len() > 0),
        HasValue::Media => any_media(&|_| true),
        HasValue::Images => any_media(&|k| k == MediaKind::Photo),
        HasValue::Videos => any_media(&|k| matches!(k, MediaKind::Video | MediaKind::AnimatedGif)),
        HasValue::Geo => {
            !is_retweet(post) && (post.coordinates().is_some() || post.place().is_some())
        }
        HasValue::ProfileGeo => post.user().profile_geo().len() > 0,
    }
}

fn is(post: &Post<'_>, value: IsValue) -> bool {
    match value {
        IsValue::Retweet => is_retweet(post),
        IsValue::Reply => seen_parts(post)
            .iter()
            .any(|p| p.in_reply_to_status_id().is_some()),
        IsValue::Quote => {
            post.quoted().is_some()
                || post.root().is_quote_status()
                || post.retweeted().is_some_and(|r| r.is_quote_status())
        }
        IsValue::Verified => post.user().verified(),
        IsValue::Nullcast => post.is_nullcast(),
    }
}

fn clause_matches<'p>(cx: &Cx<'_, 'p>, kind: &ClauseKind) -> bool {
    use ClauseKind as K;
    let post = cx.post;
    let parts = seen_parts(post);
    let user = post.user();
    // Keyword fields: post texts and URL strings (matching-semantics S19).
    let body = || {
        let mut f: Vec<&'p str> = parts.iter().map(Part::text).collect();
        f.extend(url_strings(post));
        f
    };
    let unwound = |title: bool| -> Vec<&'p str> {
        parts
            .iter()
            .flat_map(Part::urls)
            .filter_map(|u| {
                if title {
                    u.unwound_title
                } else {
                    u.unwound_description
                }
            })
            .collect()
    };
    let place_fields = || -> Vec<&'p str> {
        match post.place() {
            Some(p) if !is_retweet(post) => [p.name, p.full_name].into_iter().flatten().collect(),
            _ => Vec::new(),
        }
    };
    let profile = |pick: &dyn Fn(crate::post::ProfileGeo<'_>) -> Option<&str>, want: &str| {
        user.profile_geo()
            .any(|g| pick(g).is_some_and(|v| eq(v, want)))
    };
    match kind {
        K::Keyword(w) | K::Emoji(w) => cx.phrase(&body(), &w.text),
        K::Phrase(p) => cx.phrase(&body(), &p.text),
        K::Proximity(p) => cx.proximity(&body(), &p.phrase.text, p.distance),
        K::Hashtag(w) => parts.iter().any(|p| p.hashtags().any(|h| eq(h, &w.text))),
        K::Cashtag(w) => parts.iter().any(|p| p.cashtags().any(|h| eq(h, &w.text))),
        K::Mention(u) => parts
            .iter()
            .any(|p| p.mentions().any(|m| user_is(m.screen_name, m.id, u))),
        K::Contains(a) => {
            let needle = fold(&a.text);
            !needle.is_empty()
                && parts
                    .iter()
                    .any(|p| fold(p.text()).contains(needle.as_ref()))
        }
        K::From(a) => user_is(user.screen_name(), user.id(), &a.user),
        K::To(a) => {
            let root = post.root();
            user_is(
                root.in_reply_to_screen_name(),
                root.in_reply_to_user_id(),
                &a.user,
            )
        }
        // The original's author is known only when the post carries the original.
        K::RetweetsOf(a) => post.retweeted().is_some_and(|rt| {
            let author = rt.author();
            user_is(author.screen_name(), author.id(), &a.user)
        }),
        K::RetweetsOfStatusId(a) => post.retweeted_status_id() == Some(a.id),
        K::InReplyToStatusId(a) => post.root().in_reply_to_status_id() == Some(a.id),
        K::Url(a) => cx.phrase(&url_strings(post), &a.text),
        K::UrlTitle(a) => cx.phrase(&unwound(true), &a.text),
        K::UrlDescription(a) => cx.phrase(&unwound(false), &a.text),
        K::UrlContains(a) => {
            let needle = fold(&a.text);
            !needle.is_empty()
                && url_strings(post)
                    .iter()
                    .any(|u| fold(u).contains(needle.as_ref()))
        }
        K::Bio(a) => cx.phrase(&user.description().into_iter().collect::<Vec<_>>(), &a.text),
        K::BioName(a) => cx.phrase(&user.name().into_iter().collect::<Vec<_>>(), &a.text),
        K::BioLocation(a) => cx.phrase(&user.location().into_iter().collect::<Vec<_>>(), &a.text),
        K::StatusesCount(a) => user.statuses_count().is_some_and(|c| a.contains(c)),
        K::FollowersCount(a) => user.followers_count().is_some_and(|c| a.contains(c)),
        K::FriendsCount(a) => user.friends_count().is_some_and(|c| a.contains(c)),
        K::ListedCount(a) => user.listed_count().is_some_and(|c| a.contains(c)),
        K::Lang(l) => post.lang().is_some_and(|v| eq(v, l.code())),
        K::Has(h) => has(post, h.value),
        K::Is(v) => is(post, *v),
        K::Sample(n) => post.sample_bucket() < *n,
        K::Source(a) => {
            let fields: Vec<&str> = post
                .source()
                .map(|s| [s.name, s.url].into_iter().flatten().collect())
                .unwrap_or_default();
            cx.phrase(&fields, &a.text)
        }
        K::Place(a) => {
            !is_retweet(post)
                && (post
                    .place()
                    .and_then(|p| p.id)
                    .is_some_and(|id| eq(id, &a.text))
                    || cx.phrase(&place_fields(), &a.text))
        }
        K::PlaceCountry(a) => {
            !is_retweet(post)
                && post
                    .place()
                    .and_then(|p| p.country_code)
                    .is_some_and(|c| eq(c, &a.text))
        }
        K::PointRadius(p) => in_area_circle(post, p.lon, p.lat, p.radius_km()),
        K::BoundingBox(b) => in_area_box(post, [b.west, b.south, b.east, b.north]),
        K::ProfileCountry(a) => profile(&|g| g.country_code, &a.text),
        K::ProfileRegion(a) => profile(&|g| g.region, &a.text),
        K::ProfileLocality(a) => profile(&|g| g.locality, &a.text),
        K::ProfileSubregion(a) => profile(&|g| g.sub_region, &a.text),
        K::ProfilePointRadius(p) => user
            .profile_geo()
            .filter_map(|g| g.point)
            .any(|pt| geo::in_circle((pt.lon, pt.lat), (p.lon, p.lat), p.radius_km())),
        K::ProfileBoundingBox(b) => user
            .profile_geo()
            .filter_map(|g| g.point)
            .any(|pt| geo::in_box((pt.lon, pt.lat), [b.west, b.south, b.east, b.north])),
    }
}
