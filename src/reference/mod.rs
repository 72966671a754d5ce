//! The reference evaluator: the oracle every fast path is checked against.
//!
//! It reads a rule's syntax tree and a [`Post`] view directly, one clause at a time, with plain
//! loops and the slow [reference tokenizer](crate::tokenize::reference). It shares nothing with
//! the compiler and the matcher but the tokenizer's folding and the view, so a bug in the fast
//! path cannot hide in both. It is slow by design; clarity is its only goal.
//!
//! What each operator sees follows `decisions.md` 7 and 12–22 (the "sees" column of
//! `grammar/operators.md`): text and entity operators read the root post, the retweeted
//! original and the quoted post; user operators the root author; geo operators the root post,
//! never a retweet. The rule is evaluated once over that union (decision 22).
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

use crate::geo;
use crate::post::{MediaKind, Part, Post, Role};
use crate::syntax::{ClauseKind, Expr, HasValue, IsValue, Rule, UserRef};
use crate::tokenize::{TokenKind, fold, reference::tokenize};

/// Whether `rule` matches `post`.
pub fn matches(rule: &Rule, post: &Post<'_>) -> bool {
    eval(rule.expr(), post)
}

/// The ids of the rules of `rules` that match `post`, in the order given.
pub fn matching_ids<'r>(
    rules: impl IntoIterator<Item = (u64, &'r Rule)>,
    post: &Post<'_>,
) -> Vec<u64> {
    rules.into_iter().filter(|(_, r)| matches(r, post)).map(|(id, _)| id).collect()
}

fn eval(expr: &Expr, post: &Post<'_>) -> bool {
    match expr {
        Expr::Or(or) => or.branches.iter().any(|e| eval(e, post)),
        Expr::And(and) => and.items.iter().all(|e| eval(e, post)),
        Expr::Not(not) => !eval(&not.expr, post),
        Expr::Group(group) => eval(&group.expr, post),
        Expr::Clause(clause) => clause_matches(&clause.kind, post),
    }
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
        .map(|t| Tok { text: fold(&text[t.start..t.end]).into_owned(), kind: t.kind })
        .collect()
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
            out.extend([u.url, u.expanded_url, u.display_url, u.unwound_url].into_iter().flatten());
        }
    }
    out
}

fn is_retweet(post: &Post<'_>) -> bool {
    post.retweeted().is_some()
}

/// Whether the phrase `rule_text` occurs in one of `fields` (decisions 10–11): its tokens as
/// a contiguous run of tokens, where a spaceless-script token of the phrase may be part of the
/// text's spaceless run at the phrase's ends (or anywhere, when it is the whole phrase).
fn phrase(fields: &[&str], rule_text: &str) -> bool {
    let terms = toks(rule_text);
    if terms.is_empty() {
        return false;
    }
    fields.iter().any(|f| {
        let text = toks(f);
        let k = terms.len();
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
    })
}

/// Proximity `"…"~n` (decision 11): the word terms in order with the last at most `n`
/// positions after the first, or in reverse order with the last at most `n - 2` before it.
fn proximity(fields: &[&str], rule_text: &str, n: u8) -> bool {
    let terms: Vec<Tok> = toks(rule_text).into_iter().filter(|t| t.kind != TokenKind::Punct).collect();
    if terms.len() < 2 {
        return phrase(fields, rule_text);
    }
    let n = usize::from(n);
    let term_at = |text: &[Tok], term: &Tok, pos: usize| {
        let tok = &text[pos];
        if term.kind == TokenKind::Spaceless && tok.kind == TokenKind::Spaceless {
            tok.text.contains(&term.text)
        } else {
            tok.text == term.text
        }
    };
    // Positions of the terms after the first, strictly increasing within `lo..=hi`.
    fn ascend(text: &[Tok], terms: &[Tok], after: usize, hi: usize, at: &dyn Fn(&[Tok], &Tok, usize) -> bool) -> bool {
        match terms.split_first() {
            None => true,
            Some((t, rest)) => (after + 1..=hi.min(text.len().saturating_sub(1)))
                .any(|p| at(text, t, p) && ascend(text, rest, p, hi, at)),
        }
    }
    // Positions strictly decreasing down to `lo`.
    fn descend(text: &[Tok], terms: &[Tok], before: usize, lo: usize, at: &dyn Fn(&[Tok], &Tok, usize) -> bool) -> bool {
        match terms.split_first() {
            None => true,
            Some((t, rest)) => (lo..before).any(|p| at(text, t, p) && descend(text, rest, p, lo, at)),
        }
    }
    fields.iter().any(|f| {
        let text = toks(f);
        (0..text.len()).any(|p1| {
            term_at(&text, &terms[0], p1)
                && (ascend(&text, &terms[1..], p1, p1 + n, &term_at)
                    || (n >= 2 && descend(&text, &terms[1..], p1, p1.saturating_sub(n - 2), &term_at)))
        })
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
    post.coordinates().is_some_and(|p| geo::in_circle((p.lon, p.lat), (lon, lat), km))
        || post.place().and_then(|p| p.bounding_box).is_some_and(|b| {
            geo::box_in_circle([b.west, b.south, b.east, b.north], (lon, lat), km)
        })
}

fn in_area_box(post: &Post<'_>, area: [f64; 4]) -> bool {
    if is_retweet(post) {
        return false;
    }
    post.coordinates().is_some_and(|p| geo::in_box((p.lon, p.lat), area))
        || post
            .place()
            .and_then(|p| p.bounding_box)
            .is_some_and(|b| geo::box_in_box([b.west, b.south, b.east, b.north], area))
}

fn has(post: &Post<'_>, value: HasValue) -> bool {
    let parts = seen_parts(post);
    let any_media = |f: &dyn Fn(MediaKind) -> bool| parts.iter().any(|p| p.media().any(|m| f(m.kind)));
    match value {
        HasValue::Lang => post.lang().is_some_and(|l| !l.is_empty() && l != "und"),
        HasValue::Links => parts.iter().any(|p| p.urls().len() > 0 || p.media().len() > 0),
        HasValue::Mentions => parts.iter().any(|p| p.mentions().len() > 0),
        HasValue::Hashtags => parts.iter().any(|p| p.hashtags().len() > 0),
        HasValue::Symbols => parts.iter().any(|p| p.cashtags().len() > 0),
        HasValue::Media => any_media(&|_| true),
        HasValue::Images => any_media(&|k| k == MediaKind::Photo),
        HasValue::Videos => any_media(&|k| matches!(k, MediaKind::Video | MediaKind::AnimatedGif)),
        HasValue::Geo => !is_retweet(post) && (post.coordinates().is_some() || post.place().is_some()),
        HasValue::ProfileGeo => post.user().profile_geo().len() > 0,
    }
}

fn is(post: &Post<'_>, value: IsValue) -> bool {
    match value {
        IsValue::Retweet => is_retweet(post),
        IsValue::Reply => seen_parts(post).iter().any(|p| p.in_reply_to_status_id().is_some()),
        IsValue::Quote => {
            post.quoted().is_some()
                || post.root().is_quote_status()
                || post.retweeted().is_some_and(|r| r.is_quote_status())
        }
        IsValue::Verified => post.user().verified(),
        IsValue::Nullcast => post.is_nullcast(),
    }
}

fn clause_matches(kind: &ClauseKind, post: &Post<'_>) -> bool {
    use ClauseKind as K;
    let parts = seen_parts(post);
    let user = post.user();
    // Keyword fields: post texts and URL strings (decision 7).
    let body = || {
        let mut f: Vec<&str> = parts.iter().map(Part::text).collect();
        f.extend(url_strings(post));
        f
    };
    let unwound = |title: bool| -> Vec<&str> {
        parts
            .iter()
            .flat_map(|p| p.urls())
            .filter_map(|u| if title { u.unwound_title } else { u.unwound_description })
            .collect()
    };
    let place_fields = || -> Vec<&str> {
        match post.place() {
            Some(p) if !is_retweet(post) => [p.name, p.full_name].into_iter().flatten().collect(),
            _ => Vec::new(),
        }
    };
    let profile = |pick: &dyn Fn(crate::post::ProfileGeo<'_>) -> Option<&str>, want: &str| {
        user.profile_geo().any(|g| pick(g).is_some_and(|v| eq(v, want)))
    };
    match kind {
        K::Keyword(w) | K::Emoji(w) => phrase(&body(), &w.text),
        K::Phrase(p) => phrase(&body(), &p.text),
        K::Proximity(p) => proximity(&body(), &p.phrase.text, p.distance),
        K::Hashtag(w) => parts.iter().any(|p| p.hashtags().any(|h| eq(h, &w.text))),
        K::Cashtag(w) => parts.iter().any(|p| p.cashtags().any(|h| eq(h, &w.text))),
        K::Mention(u) => parts.iter().any(|p| p.mentions().any(|m| user_is(m.screen_name, m.id, u))),
        K::Contains(a) => {
            let needle = fold(&a.text);
            !needle.is_empty() && parts.iter().any(|p| fold(p.text()).contains(needle.as_ref()))
        }
        K::From(a) => user_is(user.screen_name(), user.id(), &a.user),
        K::To(a) => {
            let root = post.root();
            user_is(root.in_reply_to_screen_name(), root.in_reply_to_user_id(), &a.user)
        }
        K::RetweetsOf(a) => post.retweeted().is_some_and(|rt| {
            let author = rt.author();
            user_is(author.screen_name(), author.id(), &a.user)
        }),
        K::RetweetsOfStatusId(a) => post.retweeted().is_some_and(|rt| rt.id() == a.id),
        K::InReplyToStatusId(a) => post.root().in_reply_to_status_id() == Some(a.id),
        K::Url(a) => phrase(&url_strings(post), &a.text),
        K::UrlTitle(a) => phrase(&unwound(true), &a.text),
        K::UrlDescription(a) => phrase(&unwound(false), &a.text),
        K::UrlContains(a) => {
            let needle = fold(&a.text);
            !needle.is_empty() && url_strings(post).iter().any(|u| fold(u).contains(needle.as_ref()))
        }
        K::Bio(a) => phrase(&user.description().into_iter().collect::<Vec<_>>(), &a.text),
        K::BioName(a) => phrase(&user.name().into_iter().collect::<Vec<_>>(), &a.text),
        K::BioLocation(a) => phrase(&user.location().into_iter().collect::<Vec<_>>(), &a.text),
        K::StatusesCount(a) => user.statuses_count().is_some_and(|c| a.contains(c)),
        K::FollowersCount(a) => user.followers_count().is_some_and(|c| a.contains(c)),
        K::FriendsCount(a) => user.friends_count().is_some_and(|c| a.contains(c)),
        K::ListedCount(a) => user.listed_count().is_some_and(|c| a.contains(c)),
        K::Lang(l) => post.lang().is_some_and(|v| eq(v, l.code())),
        K::Has(h) => has(post, h.value),
        K::Is(v) => is(post, *v),
        K::Sample(n) => post.sample_bucket() < *n,
        K::Source(a) => {
            let fields: Vec<&str> =
                post.source().map(|s| [s.name, s.url].into_iter().flatten().collect()).unwrap_or_default();
            phrase(&fields, &a.text)
        }
        K::Place(a) => {
            !is_retweet(post)
                && (post.place().and_then(|p| p.id).is_some_and(|id| eq(id, &a.text))
                    || phrase(&place_fields(), &a.text))
        }
        K::PlaceCountry(a) => {
            !is_retweet(post) && post.place().and_then(|p| p.country_code).is_some_and(|c| eq(c, &a.text))
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
