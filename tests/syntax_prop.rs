//! Property tests: the parser never panics, and printing round-trips generated trees.

use powertrack::syntax::{
    And, BoundingBox, Clause, ClauseKind, CountArg, DistanceUnit, Expr, Group, HasArg, HasValue,
    IdArg, IsValue, Lang, Not, Or, Phrase, PointRadius, Proximity, Rule, Span, Spelling, TextArg,
    UserArg, UserRef, Word, parse,
};
use proptest::prelude::*;

fn not_reserved(w: &str) -> bool {
    !(w == "OR" || w == "or" || w.eq_ignore_ascii_case("and") || w.eq_ignore_ascii_case("not"))
}

fn keyword() -> impl Strategy<Value = String> + Clone {
    "[a-zA-Z0-9é][a-zA-Z0-9éñ._'-]{0,8}".prop_filter("reserved", |w| not_reserved(w))
}

fn phrase() -> impl Strategy<Value = Phrase> + Clone {
    "[a-z \"\\\\🍕]{1,12}"
        .prop_filter("blank", |t| !t.trim().is_empty())
        .prop_map(Phrase::new)
}

fn spelling() -> impl Strategy<Value = Spelling> + Clone {
    prop_oneof![Just(Spelling::Canonical), Just(Spelling::Alias)]
}

fn text_arg() -> impl Strategy<Value = TextArg> + Clone {
    (
        spelling(),
        prop_oneof![
            keyword().prop_map(TextArg::bare),
            phrase().prop_map(|p| TextArg::quoted(p.text))
        ],
    )
        .prop_map(|(s, mut a)| {
            a.spelling = s;
            a
        })
}

fn user() -> impl Strategy<Value = UserRef> + Clone {
    prop_oneof![
        "[a-zA-Z_][a-zA-Z0-9_]{0,10}".prop_map(UserRef::Name),
        any::<u64>().prop_map(UserRef::Id)
    ]
}

fn clause_kind() -> impl Strategy<Value = ClauseKind> + Clone {
    use ClauseKind as K;
    let count = (spelling(), any::<u64>(), proptest::option::of(any::<u64>())).prop_map(
        |(spelling, a, b)| match b {
            Some(b) => CountArg {
                spelling,
                min: a.min(b),
                max: Some(a.max(b)),
            },
            None => CountArg {
                spelling,
                min: a,
                max: None,
            },
        },
    );
    let point = (
        -180.0f64..=180.0,
        -90.0f64..=90.0,
        0.001f64..24.9,
        any::<bool>(),
    )
        .prop_map(|(lon, lat, r, km)| PointRadius {
            lon,
            lat,
            radius: r,
            unit: if km {
                DistanceUnit::Kilometers
            } else {
                DistanceUnit::Miles
            },
        });
    let bbox = (
        spelling(),
        -179.0f64..179.0,
        -89.0f64..89.0,
        0.0f64..0.2,
        0.0f64..0.2,
    )
        .prop_map(|(spelling, west, south, dw, dh)| BoundingBox {
            spelling,
            west,
            south,
            east: west + dw,
            north: south + dh,
        });
    prop_oneof![
        keyword().prop_map(|w| K::Keyword(Word::new(w))),
        prop::sample::select(vec!["🍕", "🤖", "👍🏽", "👨\u{200d}👩\u{200d}👧"])
            .prop_map(|e| K::Emoji(Word::new(e))),
        phrase().prop_map(K::Phrase),
        (phrase(), 1u8..=6)
            .prop_map(|(phrase, distance)| K::Proximity(Proximity { phrase, distance })),
        "[a-zA-Z0-9_ñ]{1,10}".prop_map(|t| K::Hashtag(Word::new(t))),
        user().prop_map(K::Mention),
        "[A-Z][A-Z0-9]{0,4}(\\.[A-Z])?".prop_map(|t| K::Cashtag(Word::new(t))),
        text_arg().prop_map(|a| K::Contains(TextArg {
            spelling: Spelling::Canonical,
            ..a
        })),
        text_arg().prop_map(|a| K::Url(TextArg {
            spelling: Spelling::Canonical,
            ..a
        })),
        text_arg().prop_map(K::UrlTitle),
        text_arg().prop_map(K::UrlDescription),
        text_arg().prop_map(|a| K::UrlContains(TextArg {
            spelling: Spelling::Canonical,
            ..a
        })),
        text_arg().prop_map(K::Bio),
        text_arg().prop_map(|a| K::BioName(TextArg {
            spelling: Spelling::Canonical,
            ..a
        })),
        text_arg().prop_map(K::BioLocation),
        text_arg().prop_map(|a| K::Source(TextArg {
            spelling: Spelling::Canonical,
            ..a
        })),
        text_arg().prop_map(|a| K::Place(TextArg {
            spelling: Spelling::Canonical,
            ..a
        })),
        text_arg().prop_map(|a| K::ProfileRegion(TextArg {
            spelling: Spelling::Canonical,
            ..a
        })),
        (user(), spelling()).prop_map(|(user, _)| K::From(UserArg {
            spelling: Spelling::Canonical,
            user
        })),
        (user(), spelling()).prop_map(|(user, spelling)| K::RetweetsOf(UserArg { spelling, user })),
        (any::<u64>(), spelling())
            .prop_map(|(id, spelling)| K::RetweetsOfStatusId(IdArg { spelling, id })),
        (any::<u64>(), spelling())
            .prop_map(|(id, spelling)| K::InReplyToStatusId(IdArg { spelling, id })),
        count.clone().prop_map(K::StatusesCount),
        count.clone().prop_map(|c| K::FollowersCount(CountArg {
            spelling: Spelling::Canonical,
            ..c
        })),
        count.clone().prop_map(K::FriendsCount),
        count.prop_map(K::ListedCount),
        any::<usize>().prop_map(|i| K::Lang(Lang::nth(i))),
        (prop::sample::select(HasValue::ALL.to_vec()), spelling()).prop_map(|(value, s)| {
            let spelling = if value.alias().is_some() {
                s
            } else {
                Spelling::Canonical
            };
            K::Has(HasArg { spelling, value })
        }),
        prop::sample::select(IsValue::ALL.to_vec()).prop_map(K::Is),
        (1u8..=100).prop_map(K::Sample),
        point.clone().prop_map(K::PointRadius),
        point.prop_map(K::ProfilePointRadius),
        bbox.clone().prop_map(K::BoundingBox),
        bbox.prop_map(|b| K::ProfileBoundingBox(BoundingBox {
            spelling: Spelling::Canonical,
            ..b
        })),
    ]
}

const S: Span = Span::new(0, 0);

fn group(e: Expr) -> Expr {
    Expr::Group(Group {
        span: S,
        expr: Box::new(e),
    })
}

/// An AND item: a `Not`, `Group` or `Clause`.
fn and_item(e: Expr, negate: bool) -> Expr {
    let e = match e {
        Expr::Or(_) | Expr::And(_) => group(e),
        other => other,
    };
    if negate && !matches!(e, Expr::Not(_)) {
        Expr::Not(Not {
            span: S,
            expr: Box::new(e),
        })
    } else {
        e
    }
}

fn expr() -> impl Strategy<Value = Expr> + Clone {
    let leaf = clause_kind().prop_map(|kind| Expr::Clause(Clause { span: S, kind }));
    leaf.prop_recursive(4, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec((inner.clone(), any::<bool>()), 2..4).prop_map(|items| {
                Expr::And(And {
                    span: S,
                    items: items.into_iter().map(|(e, n)| and_item(e, n)).collect(),
                })
            }),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|bs| {
                let branches = bs
                    .into_iter()
                    .map(|e| {
                        if matches!(e, Expr::Or(_)) {
                            group(e)
                        } else {
                            e
                        }
                    })
                    .collect();
                Expr::Or(Or { span: S, branches })
            }),
            inner.clone().prop_map(group),
            inner.prop_map(|e| and_item(e, true)),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics(s in any::<String>()) {
        let _ = Rule::parse(&s).map_err(|e| (e.to_string(), e.powertrack_message()));
    }

    #[test]
    fn parse_never_panics_on_rule_like_text(s in "[a-zA-Z0-9 ()\"#@$:~\\-\\[\\]._🍕⚽\\\\]{0,80}|(OR |AND |-|\\(|\\)|\"|sample:|lang:|point_radius:\\[|has:| |x|🍕){0,30}") {
        if let Ok(rule) = Rule::parse(&s) {
            let printed = rule.to_string();
            prop_assert_eq!(parse(&printed).unwrap(), rule.expr().clone());
        }
    }

    #[test]
    fn print_parse_round_trips(e in expr()) {
        let printed = e.to_string();
        prop_assume!(powertrack::syntax::utf16_len(&printed) <= 2048);
        let parsed = parse(&printed).map_err(|err| TestCaseError::fail(format!("{err}\n{e:?}")))?;
        prop_assert_eq!(parsed, e, "printed: {}", printed);
    }
}
