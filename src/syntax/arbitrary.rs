//! `arbitrary::Arbitrary` for the AST (feature `arbitrary`): generates trees in the parser's
//! canonical shape (see [`crate::syntax::ast`]) with valid arguments, so that printing and
//! re-parsing must give the same tree. Spans are left empty.

use arbitrary::{Arbitrary, Result, Unstructured};

use super::ast::{
    And, BoundingBox, Clause, ClauseKind, CountArg, DistanceUnit, Expr, Group, HasArg, IdArg, Not,
    Or, Phrase, PointRadius, Proximity, TextArg, UserArg, UserRef, Word,
};
use super::lexer::reserved;
use super::operator::{HasValue, IsValue, Lang, Spelling};
use super::span::Span;

const MAX_GEN_DEPTH: u32 = 5;
const START: &[char] = &[
    'a', 'b', 'c', 'n', 's', 'x', 'z', 'A', 'O', 'R', 'Z', '0', '1', '9', 'é', 'ñ', 'ß', 'ж', '中',
    '🍕',
];
const REST: &[char] = &[
    'a', 'e', 'o', 'N', 'D', '0', '7', '.', '\'', '-', '_', 'é', '/', '!', '#',
];

fn word(u: &mut Unstructured<'_>, start: &[char], rest: &[char], max: usize) -> Result<String> {
    let mut s = String::new();
    s.push(*u.choose(start)?);
    for _ in 0..u.int_in_range(0..=max)? {
        s.push(*u.choose(rest)?);
    }
    Ok(s)
}

fn keyword(u: &mut Unstructured<'_>) -> Result<String> {
    let mut w = word(u, START, REST, 8)?;
    if reserved(&w).is_some() || w == "OR" || super::lexer::is_emoji(&w) {
        w.push('x');
    }
    Ok(w)
}

fn phrase(u: &mut Unstructured<'_>) -> Result<Phrase> {
    let mut text = String::new();
    for _ in 0..u.int_in_range(1..=12)? {
        let c = if u.ratio(1, 4)? {
            u.arbitrary::<char>()?
        } else {
            *u.choose(&['a', 'b', ' ', '"', '\\', '🍕', ':', '(', ')', '-', 'O', 'R'])?
        };
        text.push(c);
    }
    if text.trim().is_empty() {
        text.push('a');
    }
    Ok(Phrase::new(text))
}

fn spelling(u: &mut Unstructured<'_>, has_alias: bool) -> Result<Spelling> {
    Ok(if has_alias && u.arbitrary()? {
        Spelling::Alias
    } else {
        Spelling::Canonical
    })
}

fn text_arg(u: &mut Unstructured<'_>, has_alias: bool) -> Result<TextArg> {
    let mut a = if u.arbitrary()? {
        TextArg::quoted(phrase(u)?.text)
    } else {
        TextArg::bare(keyword(u)?)
    };
    a.spelling = spelling(u, has_alias)?;
    Ok(a)
}

fn user(u: &mut Unstructured<'_>) -> Result<UserRef> {
    Ok(if u.arbitrary()? {
        UserRef::Id(u.arbitrary()?)
    } else {
        let alpha: Vec<char> = ('a'..='z').chain(['_', 'X', 'Q']).collect();
        let alnum: Vec<char> = ('a'..='f').chain('0'..='9').chain(['_', 'J']).collect();
        UserRef::Name(word(u, &alpha, &alnum, 14)?)
    })
}

fn count(u: &mut Unstructured<'_>, has_alias: bool) -> Result<CountArg> {
    let spelling = spelling(u, has_alias)?;
    let a: u64 = u.arbitrary()?;
    Ok(if u.arbitrary()? {
        let b: u64 = u.arbitrary()?;
        CountArg {
            spelling,
            min: a.min(b),
            max: Some(a.max(b)),
        }
    } else {
        CountArg {
            spelling,
            min: a,
            max: None,
        }
    })
}

/// A float in `lo..=hi`.
fn float(u: &mut Unstructured<'_>, lo: f64, hi: f64) -> Result<f64> {
    let n: u32 = u.arbitrary()?;
    Ok(lo + (hi - lo) * (f64::from(n) / f64::from(u32::MAX)))
}

fn point(u: &mut Unstructured<'_>) -> Result<PointRadius> {
    let km = u.arbitrary()?;
    Ok(PointRadius {
        lon: float(u, -180.0, 180.0)?,
        lat: float(u, -90.0, 90.0)?,
        radius: float(u, 0.001, if km { 40.0 } else { 24.9 })?,
        unit: if km {
            DistanceUnit::Kilometers
        } else {
            DistanceUnit::Miles
        },
    })
}

fn bbox(u: &mut Unstructured<'_>, has_alias: bool) -> Result<BoundingBox> {
    let spelling = spelling(u, has_alias)?;
    let west = float(u, -180.0, 180.0)?;
    let south = float(u, -89.0, 89.0)?;
    let mut east = west + float(u, 0.0, 0.2)?;
    if east > 180.0 {
        east -= 360.0;
    }
    Ok(BoundingBox {
        spelling,
        west,
        south,
        east,
        north: south + float(u, 0.0, 0.2)?,
    })
}

fn clause_kind(u: &mut Unstructured<'_>) -> Result<ClauseKind> {
    use ClauseKind as K;
    Ok(match u.int_in_range(0..=37)? {
        0 => K::Keyword(Word::new(keyword(u)?)),
        1 => K::Emoji(Word::new(*u.choose(&[
            "🍕",
            "🤖",
            "👍🏽",
            "👨\u{200d}👩\u{200d}👧",
            "🇬🇧",
        ])?)),
        2 => K::Phrase(phrase(u)?),
        3 => K::Proximity(Proximity {
            phrase: phrase(u)?,
            distance: u.int_in_range(1..=6)?,
        }),
        4 => K::Hashtag(Word::new(
            word(u, START, &['a', '1', '_', 'ñ', 'Z'], 10)?.replace('🍕', "p"),
        )),
        5 => K::Mention(user(u)?),
        6 => K::Cashtag(Word::new(
            word(u, &['A', 'T', 'b'], &['A', '0', '_', 'Z'], 5)?
                + if u.arbitrary()? { ".A" } else { "" },
        )),
        7 => K::Contains(text_arg(u, false)?),
        8 => K::From(UserArg {
            spelling: Spelling::Canonical,
            user: user(u)?,
        }),
        9 => K::To(UserArg {
            spelling: Spelling::Canonical,
            user: user(u)?,
        }),
        10 => K::RetweetsOf(UserArg {
            spelling: spelling(u, true)?,
            user: user(u)?,
        }),
        11 => K::RetweetsOfStatusId(IdArg {
            spelling: spelling(u, true)?,
            id: u.arbitrary()?,
        }),
        12 => K::InReplyToStatusId(IdArg {
            spelling: spelling(u, true)?,
            id: u.arbitrary()?,
        }),
        13 => K::Url(text_arg(u, false)?),
        14 => K::UrlTitle(text_arg(u, true)?),
        15 => K::UrlDescription(text_arg(u, true)?),
        16 => K::UrlContains(text_arg(u, false)?),
        17 => K::Bio(text_arg(u, true)?),
        18 => K::BioName(text_arg(u, false)?),
        19 => K::BioLocation(text_arg(u, true)?),
        20 => K::StatusesCount(count(u, true)?),
        21 => K::FollowersCount(count(u, false)?),
        22 => K::FriendsCount(count(u, true)?),
        23 => K::ListedCount(count(u, true)?),
        24 => K::Lang(Lang::nth(u.arbitrary()?)),
        25 => {
            let value = *u.choose(HasValue::ALL)?;
            K::Has(HasArg {
                spelling: spelling(u, value.alias().is_some())?,
                value,
            })
        }
        26 => K::Is(*u.choose(IsValue::ALL)?),
        27 => K::Sample(u.int_in_range(1..=100)?),
        28 => K::Source(text_arg(u, false)?),
        29 => K::Place(text_arg(u, false)?),
        30 => K::PlaceCountry(text_arg(u, false)?),
        31 => K::PointRadius(point(u)?),
        32 => K::BoundingBox(bbox(u, true)?),
        33 => K::ProfileCountry(text_arg(u, false)?),
        34 => K::ProfileRegion(text_arg(u, false)?),
        35 => K::ProfileLocality(text_arg(u, false)?),
        36 => K::ProfileSubregion(text_arg(u, false)?),
        _ => {
            if u.arbitrary()? {
                K::ProfilePointRadius(point(u)?)
            } else {
                K::ProfileBoundingBox(bbox(u, false)?)
            }
        }
    })
}

fn leaf(u: &mut Unstructured<'_>) -> Result<Expr> {
    Ok(Expr::Clause(Clause {
        span: Span::default(),
        kind: clause_kind(u)?,
    }))
}

fn group(e: Expr) -> Expr {
    Expr::Group(Group {
        span: Span::default(),
        expr: Box::new(e),
    })
}

fn expr(u: &mut Unstructured<'_>, depth: u32) -> Result<Expr> {
    if depth >= MAX_GEN_DEPTH || u.is_empty() {
        return leaf(u);
    }
    Ok(match u.int_in_range(0..=5)? {
        0 | 1 => leaf(u)?,
        2 => {
            let mut items = Vec::new();
            for _ in 0..u.int_in_range(2..=4)? {
                let e = match expr(u, depth + 1)? {
                    e @ (Expr::Or(_) | Expr::And(_)) => group(e),
                    e => e,
                };
                let e = if !matches!(e, Expr::Not(_)) && u.ratio(1, 3)? {
                    Expr::Not(Not {
                        span: Span::default(),
                        expr: Box::new(e),
                    })
                } else {
                    e
                };
                items.push(e);
            }
            Expr::And(And {
                span: Span::default(),
                items,
            })
        }
        3 => {
            let mut branches = Vec::new();
            for _ in 0..u.int_in_range(2..=4)? {
                branches.push(match expr(u, depth + 1)? {
                    e @ Expr::Or(_) => group(e),
                    e => e,
                });
            }
            Expr::Or(Or {
                span: Span::default(),
                branches,
            })
        }
        4 => group(expr(u, depth + 1)?),
        _ => match expr(u, depth + 1)? {
            e @ (Expr::Or(_) | Expr::And(_)) => Expr::Not(Not {
                span: Span::default(),
                expr: Box::new(group(e)),
            }),
            e @ Expr::Not(_) => e,
            e => Expr::Not(Not {
                span: Span::default(),
                expr: Box::new(e),
            }),
        },
    })
}

impl<'a> Arbitrary<'a> for Expr {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        expr(u, 0)
    }
}

impl<'a> Arbitrary<'a> for ClauseKind {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        clause_kind(u)
    }
}
