//! Lowering: a rule's syntax tree to the compiler's expression over leaf tests.
//!
//! This is where each operator meets the parts of a post it sees (matching-semantics S1–S10 and
//! S19–S36; the "sees" column of `grammar/operators.md`): keywords read post text and URLs,
//! `bio:` the author's description, `#` the hashtag entities, and so on. Text arguments are
//! folded and tokenized with the same tokenizer as posts, so a rule term and a post token
//! compare as folded token texts.

use crate::syntax::{ClauseKind, Expr as Ast, HasValue, IsValue, TextArg, UserRef};
use crate::tokenize::{self, TokenKind};

use super::ir::{Area, CountField, Expr, Field, Fields, GeoTarget, KeyKind, Pred, Term};

/// Keywords, phrases and proximity read post text and URL strings (matching-semantics S19).
const TEXT_AND_URLS: Fields = Fields::of(Field::Text).with(Field::Url);

/// Lowers a rule's expression.
pub(crate) fn lower(ast: &Ast) -> Expr {
    match ast {
        Ast::Or(or) => Expr::Or(or.branches.iter().map(lower).collect()),
        Ast::And(and) => Expr::And(and.items.iter().map(lower).collect()),
        Ast::Not(not) => Expr::Not(Box::new(lower(&not.expr))),
        Ast::Group(group) => lower(&group.expr),
        Ast::Clause(clause) => lower_clause(&clause.kind),
    }
}

fn key(kind: KeyKind, value: &str) -> Expr {
    Expr::Pred(Pred::Key {
        kind,
        value: tokenize::fold(value).as_bytes().into(),
    })
}

fn id_key(kind: KeyKind, id: u64) -> Expr {
    Expr::Pred(Pred::Key {
        kind,
        value: id.to_string().into_bytes().into(),
    })
}

fn user(name: KeyKind, id: KeyKind, user: &UserRef) -> Expr {
    match user {
        UserRef::Name(n) => key(name, n),
        UserRef::Id(i) => id_key(id, *i),
    }
}

fn flag(name: &str) -> Expr {
    Expr::Pred(Pred::Key {
        kind: KeyKind::Flag,
        value: name.as_bytes().into(),
    })
}

/// A keyword or phrase over `fields`: its folded tokens in sequence.
fn text(fields: Fields, text: &str) -> Expr {
    let mut terms = folded_terms(text, |_| true);
    Expr::Pred(match terms.len() {
        0 => Pred::Never,
        // matching-semantics S17: a spaceless-script term matches inside a run, which only a sequence
        // test checks; the automaton finds its candidates.
        1 if !terms[0].spaceless => Pred::Token {
            fields,
            text: terms.pop().expect("one").text,
        },
        _ => Pred::Sequence {
            fields,
            terms,
            proximity: None,
        },
    })
}

/// `"a b c"~n`: the word terms of the phrase (punctuation does not count as a term).
fn proximity(phrase: &str, n: u8) -> Expr {
    let terms = folded_terms(phrase, |kind| kind != TokenKind::Punct);
    if terms.len() < 2 {
        return text(TEXT_AND_URLS, phrase);
    }
    Expr::Pred(Pred::Sequence {
        fields: TEXT_AND_URLS,
        terms,
        proximity: Some(n),
    })
}

/// The folded tokens of `text` as written (as the post side sees them, `Facts::add_field`)
/// whose kind `keep` accepts.
fn folded_terms(text: &str, keep: impl Fn(TokenKind) -> bool) -> Vec<Term> {
    let mut folded = String::new();
    let mut terms = Vec::new();
    tokenize::fold_tokens(text, &mut folded, |folded, t| {
        if keep(t.kind) {
            terms.push(Term {
                text: t.text(folded).into(),
                spaceless: t.kind == TokenKind::Spaceless,
            });
        }
    });
    terms
}

fn substring(fields: Fields, arg: &TextArg) -> Expr {
    let folded = tokenize::fold(&arg.text);
    if folded.is_empty() {
        return Expr::Pred(Pred::Never);
    }
    Expr::Pred(Pred::Substring {
        fields,
        text: folded.as_ref().into(),
    })
}

fn count(field: CountField, min: u64, max: Option<u64>) -> Expr {
    Expr::Pred(Pred::Count {
        field,
        min,
        max: max.unwrap_or(u64::MAX),
    })
}

fn has(value: HasValue) -> &'static str {
    match value {
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
    }
}

fn is(value: IsValue) -> &'static str {
    match value {
        IsValue::Retweet => "is:retweet",
        IsValue::Reply => "is:reply",
        IsValue::Quote => "is:quote",
        IsValue::Verified => "is:verified",
        IsValue::Nullcast => "is:nullcast",
    }
}

fn lower_clause(kind: &ClauseKind) -> Expr {
    use ClauseKind as K;
    let geo = |target, area| Expr::Pred(Pred::Geo { target, area });
    match kind {
        K::Keyword(w) | K::Emoji(w) => text(TEXT_AND_URLS, &w.text),
        K::Phrase(p) => text(TEXT_AND_URLS, &p.text),
        K::Proximity(p) => proximity(&p.phrase.text, p.distance),
        K::Hashtag(w) => key(KeyKind::Hashtag, &w.text),
        K::Mention(u) => user(KeyKind::MentionName, KeyKind::MentionId, u),
        K::Cashtag(w) => key(KeyKind::Cashtag, &w.text),
        K::Contains(a) => substring(Fields::of(Field::Text), a),
        K::From(a) => user(KeyKind::FromName, KeyKind::FromId, &a.user),
        K::To(a) => user(KeyKind::ToName, KeyKind::ToId, &a.user),
        K::RetweetsOf(a) => user(KeyKind::RetweetsOfName, KeyKind::RetweetsOfId, &a.user),
        K::RetweetsOfStatusId(a) => id_key(KeyKind::RetweetOfStatus, a.id),
        K::InReplyToStatusId(a) => id_key(KeyKind::InReplyToStatus, a.id),
        K::Url(a) => text(Fields::of(Field::Url), &a.text),
        K::UrlTitle(a) => text(Fields::of(Field::UrlTitle), &a.text),
        K::UrlDescription(a) => text(Fields::of(Field::UrlDescription), &a.text),
        K::UrlContains(a) => substring(Fields::of(Field::Url), a),
        K::Bio(a) => text(Fields::of(Field::Bio), &a.text),
        K::BioName(a) => text(Fields::of(Field::BioName), &a.text),
        K::BioLocation(a) => text(Fields::of(Field::BioLocation), &a.text),
        K::StatusesCount(a) => count(CountField::Statuses, a.min, a.max),
        K::FollowersCount(a) => count(CountField::Followers, a.min, a.max),
        K::FriendsCount(a) => count(CountField::Friends, a.min, a.max),
        K::ListedCount(a) => count(CountField::Listed, a.min, a.max),
        K::Lang(l) => key(KeyKind::Lang, l.code()),
        K::Has(h) => flag(has(h.value)),
        K::Is(v) => flag(is(*v)),
        K::Sample(n) => Expr::Pred(Pred::Sample { percent: *n }),
        K::Source(a) => text(Fields::of(Field::Source), &a.text),
        K::Place(a) => Expr::Or(vec![
            key(KeyKind::PlaceId, &a.text),
            text(Fields::of(Field::Place), &a.text),
        ]),
        K::PlaceCountry(a) => key(KeyKind::PlaceCountry, &a.text),
        K::PointRadius(p) => geo(
            GeoTarget::Post,
            Area::Circle {
                lon: p.lon,
                lat: p.lat,
                km: p.radius_km(),
            },
        ),
        K::BoundingBox(b) => geo(
            GeoTarget::Post,
            Area::Box([b.west, b.south, b.east, b.north]),
        ),
        K::ProfileCountry(a) => key(KeyKind::ProfileCountry, &a.text),
        K::ProfileRegion(a) => key(KeyKind::ProfileRegion, &a.text),
        K::ProfileLocality(a) => key(KeyKind::ProfileLocality, &a.text),
        K::ProfileSubregion(a) => key(KeyKind::ProfileSubregion, &a.text),
        K::ProfilePointRadius(p) => geo(
            GeoTarget::Profile,
            Area::Circle {
                lon: p.lon,
                lat: p.lat,
                km: p.radius_km(),
            },
        ),
        K::ProfileBoundingBox(b) => geo(
            GeoTarget::Profile,
            Area::Box([b.west, b.south, b.east, b.north]),
        ),
    }
}
