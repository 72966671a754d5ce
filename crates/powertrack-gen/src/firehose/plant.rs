//! Planted matches: a post drawn so that it satisfies a chosen rule, checked with the
//! reference evaluator before it is reported.
//!
//! A rule is satisfied by walking its tree: every item of a conjunction, one branch of an OR
//! (tried in a random order), negations left alone (the evaluator rejects the rare post that
//! happens to contain a negated term). Each positive clause becomes part of a [`Plan`]: words
//! and phrases in the text, entities, the author, the post kind, the language, geo. Clauses the
//! generator cannot produce (`url_title:`, `url_description:`, places and profile geo absent
//! from the vocabulary's tables) make that branch fail.

use std::fmt;

use super::model::Tw;
use super::{FirehoseGenerator, PKind};
use crate::rng::Rng;
use powertrack::post::{Line, Parser};
use powertrack::reference;
use powertrack::syntax::{ClauseKind, Expr, HasValue, IsValue, Rule, UserRef};

/// Why a rule set cannot be planted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlantError {
    /// The rule with this id does not parse; the message is the parser's.
    Rule {
        /// The rule id.
        id: u64,
        /// The parse error.
        message: String,
    },
    /// No rule was given.
    Empty,
}

impl fmt::Display for PlantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlantError::Rule { id, message } => write!(f, "rule {id} does not parse: {message}"),
            PlantError::Empty => f.write_str("no rules to plant"),
        }
    }
}

impl std::error::Error for PlantError {}

/// What a planted post must contain.
#[derive(Debug, Default, Clone)]
pub(crate) struct Plan {
    pub(crate) kind: Option<PKind>,
    pub(crate) lang: Option<String>,
    pub(crate) user: Option<u64>,
    pub(crate) user_ovr: Option<(String, u64)>,
    pub(crate) rt_status: Option<u64>,
    pub(crate) rt_user: Option<u64>,
    pub(crate) rt_user_ovr: Option<(String, u64)>,
    pub(crate) reply_status: Option<u64>,
    pub(crate) reply_user: Option<u64>,
    pub(crate) reply_ovr: Option<(String, u64)>,
    pub(crate) place: Option<usize>,
    pub(crate) coords: Option<(f64, f64)>,
    pub(crate) words: Vec<String>,
    pub(crate) hashtags: Vec<String>,
    pub(crate) cashtags: Vec<String>,
    pub(crate) mentions: Vec<(String, u64)>,
    pub(crate) url: Option<String>,
    pub(crate) media: bool,
    pub(crate) no_media: bool,
    pub(crate) bio: (String, String, String),
    pub(crate) profile_geo: Option<usize>,
    pub(crate) counts: Option<([u64; 4], bool)>,
    pub(crate) source: Option<usize>,
}

/// The rules to plant and the round-robin cursor.
pub(crate) struct Planter {
    rules: Vec<(u64, Rule)>,
    next: usize,
    parser: Parser,
}

impl Planter {
    pub(crate) fn new<I, S>(rules: I) -> Result<Planter, PlantError>
    where
        I: IntoIterator<Item = (u64, S)>,
        S: AsRef<str>,
    {
        let mut out = Vec::new();
        for (id, v) in rules {
            let rule = Rule::parse(v.as_ref()).map_err(|e| PlantError::Rule {
                id,
                message: e.to_string(),
            })?;
            out.push((id, rule));
        }
        if out.is_empty() {
            return Err(PlantError::Empty);
        }
        Ok(Planter {
            rules: out,
            next: 0,
            parser: Parser::new(),
        })
    }

    /// Draws and renders a post into `g.out` that matches the next plantable rule; `None` when
    /// a few rules in a row could not be planted (the caller then draws a plain post).
    pub(crate) fn plant(&mut self, g: &mut FirehoseGenerator) -> Option<u64> {
        for _ in 0..8 {
            let i = self.next % self.rules.len();
            self.next += 1;
            let (rid, rule) = (self.rules[i].0, &self.rules[i].1);
            let Some(plan) = build(rule.expr(), &mut g.rng, g.model.vocab) else {
                continue;
            };
            for _ in 0..3 {
                let id = g.draw_post(&plan);
                apply(&plan, &mut g.root, &mut g.inner);
                g.render();
                let ok = matches!(
                    self.parser.parse(&g.out),
                    Ok(Line::Post(post)) if reference::matches(rule, &post)
                );
                if ok {
                    g.planted.push(rid);
                    return Some(id);
                }
            }
        }
        None
    }
}

/// The author, profile and counts overrides, applied after the content is drawn.
fn apply(plan: &Plan, root: &mut Tw, inner: &mut Tw) {
    if let Some(u) = &plan.user_ovr {
        root.user_ovr = Some(u.clone());
    }
    let (d, n, l) = &plan.bio;
    if !(d.is_empty() && n.is_empty() && l.is_empty()) {
        root.bio_ovr = Some(plan.bio.clone());
    }
    root.geo_ovr = plan.profile_geo;
    root.counts_ovr = plan.counts;
    if let Some(s) = plan.source {
        root.source = s;
    }
    let _ = inner;
}

/// A plan satisfying `e`, or `None` when some required clause cannot be produced.
fn build(e: &Expr, rng: &mut Rng, v: &crate::vocab::Vocab) -> Option<Plan> {
    let mut plan = Plan::default();
    if add(e, rng, v, &mut plan) {
        Some(plan)
    } else {
        None
    }
}

fn add(e: &Expr, rng: &mut Rng, v: &crate::vocab::Vocab, plan: &mut Plan) -> bool {
    match e {
        Expr::Or(o) => {
            let n = o.branches.len();
            let start = rng.index(n);
            for k in 0..n {
                let mut p = plan.clone();
                if add(&o.branches[(start + k) % n], rng, v, &mut p) {
                    *plan = p;
                    return true;
                }
            }
            false
        }
        Expr::And(a) => a.items.iter().all(|i| add(i, rng, v, plan)),
        Expr::Not(_) => true,
        Expr::Group(g) => add(&g.expr, rng, v, plan),
        Expr::Clause(c) => clause(&c.kind, rng, v, plan),
    }
}

fn user_ref(u: &UserRef, rng: &mut Rng) -> (String, u64) {
    match u {
        UserRef::Name(n) => (n.clone(), rng.range(1_000_000, 4_000_000_000)),
        UserRef::Id(id) => (format!("user{}", id % 1_000_000), *id),
    }
}

fn set_kind(plan: &mut Plan, k: PKind) -> bool {
    match plan.kind {
        Some(x) if x != k => false,
        _ => {
            plan.kind = Some(k);
            true
        }
    }
}

// The operators that cannot be planted are named (the list is the documentation); the wildcard
// arms cover operators the engine may add later (its syntax enums are non-exhaustive).
#[allow(clippy::too_many_lines, clippy::match_same_arms)]
fn clause(k: &ClauseKind, rng: &mut Rng, v: &crate::vocab::Vocab, plan: &mut Plan) -> bool {
    use ClauseKind as K;
    match k {
        K::Keyword(w) | K::Emoji(w) => plan.words.push(w.text.clone()),
        K::Phrase(p) => plan.words.push(p.text.clone()),
        K::Proximity(p) => plan.words.push(p.terms().collect::<Vec<_>>().join(" ")),
        K::Contains(t) => plan.words.push(t.text.clone()),
        K::Hashtag(w) => plan.hashtags.push(w.text.clone()),
        K::Cashtag(w) => plan.cashtags.push(w.text.clone()),
        K::Mention(u) => plan.mentions.push(user_ref(u, rng)),
        K::From(u) => {
            if plan.user_ovr.is_some() {
                return false;
            }
            plan.user_ovr = Some(user_ref(&u.user, rng));
        }
        K::To(u) => {
            if !set_kind(plan, PKind::Reply) {
                return false;
            }
            plan.reply_ovr = Some(user_ref(&u.user, rng));
        }
        K::RetweetsOf(u) => {
            if !set_kind(plan, PKind::Retweet) {
                return false;
            }
            plan.rt_user_ovr = Some(user_ref(&u.user, rng));
        }
        K::RetweetsOfStatusId(id) => {
            if !set_kind(plan, PKind::Retweet) {
                return false;
            }
            plan.rt_status = Some(id.id);
        }
        K::InReplyToStatusId(id) => {
            if !set_kind(plan, PKind::Reply) {
                return false;
            }
            plan.reply_status = Some(id.id);
        }
        K::Url(t) | K::UrlContains(t) => {
            let s = t
                .text
                .trim_start_matches("https://")
                .trim_start_matches("http://");
            let url = if s.contains('.') && !s.contains(' ') {
                format!("https://{s}")
            } else {
                format!("https://example.com/{}", s.replace(' ', "-"))
            };
            plan.url = Some(url);
        }
        K::Bio(t) => push_words(&mut plan.bio.0, &t.text),
        K::BioName(t) => push_words(&mut plan.bio.1, &t.text),
        K::BioLocation(t) => push_words(&mut plan.bio.2, &t.text),
        K::StatusesCount(c) | K::FollowersCount(c) | K::FriendsCount(c) | K::ListedCount(c) => {
            let i = match k {
                K::StatusesCount(_) => 0,
                K::FollowersCount(_) => 1,
                K::FriendsCount(_) => 2,
                _ => 3,
            };
            let mut counts = plan.counts.unwrap_or(([100, 100, 100, 1], false));
            counts.0[i] = c.min;
            plan.counts = Some(counts);
        }
        K::Lang(l) => {
            if plan.lang.as_deref().is_some_and(|x| x != l.code()) {
                return false;
            }
            plan.lang = Some(l.code().to_owned());
        }
        K::Has(h) => match h.value {
            HasValue::Links => {
                if plan.url.is_none() {
                    plan.url = Some("https://example.com/planted".to_owned());
                }
            }
            HasValue::Media | HasValue::Images => plan.media = true,
            HasValue::Videos => return false,
            HasValue::Hashtags => {
                if plan.hashtags.is_empty() {
                    plan.hashtags.push("Planted".to_owned());
                }
            }
            HasValue::Mentions => {
                if plan.mentions.is_empty() {
                    plan.mentions.push(("planted_user".to_owned(), 12_345_678));
                }
            }
            HasValue::Symbols => {
                if plan.cashtags.is_empty() {
                    plan.cashtags.push("TSLA".to_owned());
                }
            }
            HasValue::Geo => {
                if plan.coords.is_none() && plan.place.is_none() {
                    plan.place = Some(0).filter(|_| !v.places.is_empty());
                    let p = v.places.first();
                    plan.coords = p.map(|p| (p.lon, p.lat));
                }
            }
            HasValue::ProfileGeo => {
                if plan.profile_geo.is_none() && !v.profile_geo.is_empty() {
                    plan.profile_geo = Some(0);
                }
            }
            HasValue::Lang => {
                if plan.lang.as_deref() == Some("und") {
                    return false;
                }
                if plan.lang.is_none() {
                    plan.lang = Some("en".to_owned());
                }
            }
            _ => return false,
        },
        K::Is(i) => match i {
            IsValue::Retweet => return set_kind(plan, PKind::Retweet),
            IsValue::Reply => return set_kind(plan, PKind::Reply),
            IsValue::Quote => return set_kind(plan, PKind::Quote),
            IsValue::Verified => {
                let mut counts = plan.counts.unwrap_or(([100, 100, 100, 1], false));
                counts.1 = true;
                plan.counts = Some(counts);
            }
            IsValue::Nullcast => return false,
            _ => return false,
        },
        K::Sample(_) => {}
        K::Source(t) => {
            let Some(i) = v
                .sources
                .iter()
                .position(|s| s.eq_ignore_ascii_case(&t.text))
            else {
                return false;
            };
            plan.source = Some(i);
        }
        K::Place(t) => {
            let want = t.text.to_lowercase();
            let Some(i) = v.places.iter().position(|p| {
                p.name.to_lowercase() == want || p.full_name.to_lowercase().contains(&want)
            }) else {
                return false;
            };
            plan.place = Some(i);
        }
        K::PlaceCountry(t) => {
            let Some(i) = v
                .places
                .iter()
                .position(|p| p.country_code.eq_ignore_ascii_case(&t.text))
            else {
                return false;
            };
            plan.place = Some(i);
        }
        K::PointRadius(p) => plan.coords = Some((p.lon, p.lat)),
        K::BoundingBox(b) => {
            if b.east < b.west {
                return false;
            }
            plan.coords = Some((
                f64::midpoint(b.west, b.east),
                f64::midpoint(b.south, b.north),
            ));
        }
        K::ProfileCountry(t)
        | K::ProfileRegion(t)
        | K::ProfileLocality(t)
        | K::ProfileSubregion(t) => {
            let want = t.text.to_lowercase();
            let Some(i) = v.profile_geo.iter().position(|g| {
                let field = match k {
                    K::ProfileCountry(_) => g.country_code,
                    K::ProfileRegion(_) => g.region,
                    K::ProfileLocality(_) => g.locality,
                    _ => g.subregion,
                };
                field.to_lowercase() == want
            }) else {
                return false;
            };
            plan.profile_geo = Some(i);
        }
        K::ProfilePointRadius(_) | K::ProfileBoundingBox(_) => {
            // The profile-geo table has fixed points: plant only when one lies inside.
            return false;
        }
        K::UrlTitle(_) | K::UrlDescription(_) => return false,
        _ => return false,
    }
    true
}

fn push_words(out: &mut String, s: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(s);
}
