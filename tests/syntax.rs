//! The rule language: data-driven examples (grammar/examples.txt), the Rules API's six-rule
//! validation example, every operator, nesting and length limits, error rendering.

use std::path::PathBuf;

#[path = "syntax_api.rs"]
mod api;
#[path = "syntax_prop.rs"]
mod prop;

use powertrack::api::{Body, Limits, validate};
use powertrack::syntax::{
    ClauseKind, DistanceUnit, Error, ErrorKind, Expr, HasValue, IsValue, LANG_CODES, MAX_DEPTH,
    Operator, Rule, Spelling, UserRef, parse, position,
};

fn manifest(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[derive(Debug)]
struct Case {
    line: usize,
    rule: String,
    expect: Result<Option<String>, String>,
}

fn examples() -> Vec<Case> {
    let text = std::fs::read_to_string(manifest("grammar/examples.txt")).unwrap();
    let mut cases: Vec<Case> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(rule) = line.strip_prefix("rule: ").or(line.strip_prefix("rule:")) {
            cases.push(Case {
                line: i + 1,
                rule: rule.to_string(),
                expect: Ok(None),
            });
        } else if line == "valid" {
        } else if let Some(p) = line.strip_prefix("prints: ") {
            cases.last_mut().unwrap().expect = Ok(Some(p.to_string()));
        } else if let Some(e) = line.strip_prefix("error: ") {
            let msg: String = serde_json::from_str(e).unwrap();
            cases.last_mut().unwrap().expect = Err(msg);
        } else {
            assert!(
                line.is_empty() || line.starts_with('#'),
                "line {}: {line}",
                i + 1
            );
        }
    }
    cases
}

#[test]
fn grammar_examples() {
    let cases = examples();
    assert!(cases.len() > 150, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        match (Rule::parse(&case.rule), &case.expect) {
            (Ok(rule), Ok(prints)) => {
                let printed = rule.to_string();
                let want = prints.as_deref().unwrap_or(&case.rule);
                if printed != want {
                    failures.push(format!(
                        "line {}: printed {printed:?}, want {want:?}",
                        case.line
                    ));
                }
                let again = Rule::parse(&printed).unwrap();
                assert_eq!(again.expr(), rule.expr(), "line {}", case.line);
            }
            (Err(err), Err(msg)) => {
                if &err.powertrack_message() != msg {
                    failures.push(format!(
                        "line {}: message {:?}, want {msg:?}",
                        case.line,
                        err.powertrack_message()
                    ));
                }
                check_error_invariants(&case.rule, &err);
            }
            (Ok(_), Err(msg)) => failures.push(format!("line {}: valid, want {msg:?}", case.line)),
            (Err(err), Ok(_)) => failures.push(format!(
                "line {}: {:?}, want valid",
                case.line,
                err.powertrack_message()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn check_error_invariants(src: &str, err: &Error) {
    assert_eq!(err.rule(), src);
    for d in err.diagnostics() {
        let s = d.span();
        assert!(s.start <= s.end && s.end <= src.len());
        assert!(src.is_char_boundary(s.start) && src.is_char_boundary(s.end));
        assert!(
            d.position() == position(src, s.start) || d.position() == 1,
            "{d:?}"
        );
    }
}

/// The six-rule validation example of PowerTrack's Rules API documentation (its five invalid
/// rules and their messages are also in grammar/examples.txt): the library's response equals
/// the documented one byte for byte, apart from `sent`.
#[test]
fn spec4_validation_example_library() {
    let body = std::fs::read(manifest("tests/data/spec4_validation_request.json")).unwrap();
    let want =
        std::fs::read_to_string(manifest("tests/data/spec4_validation_response.json")).unwrap();
    let Body::Rules(rules) = Body::parse(&body, &Limits::api()).unwrap() else {
        panic!()
    };
    let got = validate(&rules).to_json("2017-03-16T02:33:01.827Z");
    assert_eq!(got, want.trim_end());
}

/// The README's main job: the bundled example rules are all valid and cover every operator.
#[test]
fn bundled_example_rules_are_valid_and_cover_every_operator() {
    let body = std::fs::read(manifest("examples/rules.json")).unwrap();
    let Body::Rules(rules) = Body::parse(&body, &Limits::api()).unwrap() else {
        panic!()
    };
    let response = validate(&rules);
    for d in &response.detail {
        assert!(d.is_valid(), "{:?}: {:?}", d.rule.value, d.result);
        assert!(d.rule.tag.is_some(), "{:?} has no tag", d.rule.value);
    }
    let mut seen = std::collections::HashSet::new();
    let mut kinds = std::collections::HashSet::new();
    for d in &response.detail {
        for (c, _) in d.result.as_ref().unwrap().expr().clauses() {
            if let Some(op) = c.kind.operator() {
                seen.insert(op);
            }
            kinds.insert(std::mem::discriminant(&c.kind));
        }
    }
    for op in Operator::ALL {
        assert!(seen.contains(op), "examples/rules.json lacks {op}");
    }
    for kind in [
        ClauseKind::Keyword(powertrack::syntax::Word::new("x")),
        ClauseKind::Emoji(powertrack::syntax::Word::new("x")),
        ClauseKind::Phrase(powertrack::syntax::Phrase::new("x")),
        ClauseKind::Hashtag(powertrack::syntax::Word::new("x")),
        ClauseKind::Mention(UserRef::Id(1)),
        ClauseKind::Cashtag(powertrack::syntax::Word::new("x")),
    ] {
        assert!(kinds.contains(&std::mem::discriminant(&kind)), "{kind:?}");
    }
}

fn only_clause(rule: &str) -> ClauseKind {
    let expr = parse(rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
    match expr {
        Expr::Clause(c) => c.kind,
        other => panic!("{rule}: {other:?}"),
    }
}

/// Every operator name and alias of rule-language §6.2 parses to its canonical operator with the
/// spelling remembered, prints as written, and re-parses.
#[test]
fn every_operator_and_alias() {
    for &op in Operator::ALL {
        for (name, spelling) in [
            (Some(op.name()), Spelling::Canonical),
            (op.alias(), Spelling::Alias),
        ] {
            let Some(name) = name else { continue };
            let arg = match op.arg_kind() {
                powertrack::syntax::ArgKind::Text => "\"snow day\"",
                powertrack::syntax::ArgKind::User => "jack",
                powertrack::syntax::ArgKind::Id => "1293593516040269825",
                powertrack::syntax::ArgKind::Count => "10..20",
                powertrack::syntax::ArgKind::Lang => "en",
                powertrack::syntax::ArgKind::Has => "links",
                powertrack::syntax::ArgKind::Is => "retweet",
                powertrack::syntax::ArgKind::Sample => "10",
                powertrack::syntax::ArgKind::PointRadius => "[2.355128 48.861118 16km]",
                powertrack::syntax::ArgKind::BoundingBox => "[-105.3 39.96 -105.17 40.09]",
            };
            let rule = format!("{name}:{arg}");
            let kind = only_clause(&rule);
            assert_eq!(kind.operator(), Some(op), "{rule}");
            if !matches!(
                op,
                Operator::Has | Operator::Is | Operator::Lang | Operator::Sample
            ) && op.arg_kind() != powertrack::syntax::ArgKind::PointRadius
            {
                assert_eq!(kind.spelling(), spelling, "{rule}");
            }
            assert_eq!(kind.to_string(), rule);
            assert_eq!(Operator::from_name(name), Some((op, spelling)));
        }
    }
    for &v in HasValue::ALL {
        for name in [Some(v.name()), v.alias()].into_iter().flatten() {
            let rule = format!("has:{name}");
            let ClauseKind::Has(h) = only_clause(&rule) else {
                panic!("{rule}")
            };
            assert_eq!(h.value, v);
            assert_eq!(ClauseKind::Has(h).to_string(), rule);
        }
    }
    for &v in IsValue::ALL {
        let rule = format!("is:{}", v.name());
        assert_eq!(only_clause(&rule), ClauseKind::Is(v));
    }
    for code in LANG_CODES {
        let rule = format!("lang:{code}");
        assert_eq!(only_clause(&rule).to_string(), rule);
    }
}

#[test]
#[allow(clippy::many_single_char_names)]
fn typed_arguments() {
    let ClauseKind::PointRadius(p) = only_clause("point_radius:[-105.27346517 40.01924738 10.0mi]")
    else {
        panic!()
    };
    assert_eq!(
        (p.lon, p.lat, p.radius, p.unit),
        (-105.273_465_17, 40.019_247_38, 10.0, DistanceUnit::Miles)
    );
    assert!((p.radius_km() - 16.093_44).abs() < 1e-9);
    let ClauseKind::StatusesCount(c) = only_clause("tweets_count:1000..10000") else {
        panic!()
    };
    assert_eq!((c.spelling, c.range()), (Spelling::Alias, 1000..=10000));
    let ClauseKind::FollowersCount(c) = only_clause("followers_count:10") else {
        panic!()
    };
    assert_eq!(c.range(), 10..=u64::MAX);
    let ClauseKind::From(u) = only_clause("from:2244994945") else {
        panic!()
    };
    assert_eq!(u.user, UserRef::Id(2_244_994_945));
    let ClauseKind::From(u) = only_clause("from:XDevelopers") else {
        panic!()
    };
    assert_eq!(u.user, UserRef::Name("XDevelopers".into()));
    let ClauseKind::Mention(u) = only_clause("@0123") else {
        panic!()
    };
    assert_eq!(
        u,
        UserRef::Name("0123".into()),
        "a leading zero keeps the spelling"
    );
    let ClauseKind::Phrase(p) = only_clause(r#""Toys \"R\" Us""#) else {
        panic!()
    };
    assert_eq!(
        (p.text.as_str(), p.raw.as_str()),
        (r#"Toys "R" Us"#, r#"Toys \"R\" Us"#)
    );
    let ClauseKind::Proximity(p) = only_clause(r#""social media research"~3"#) else {
        panic!()
    };
    assert_eq!(
        p.terms().collect::<Vec<_>>(),
        ["social", "media", "research"]
    );
    assert_eq!(p.distance, 3);
    let ClauseKind::Source(s) = only_clause(r#"source:"X for iPhone""#) else {
        panic!()
    };
    assert_eq!(
        (s.text.as_str(), s.quoted.as_deref()),
        ("X for iPhone", Some("X for iPhone"))
    );
    let ClauseKind::Cashtag(w) = only_clause("$BRK.A") else {
        panic!()
    };
    assert_eq!(w.text, "BRK.A");
    let ClauseKind::BoundingBox(b) =
        only_clause("geo_bounding_box:[-105.301758 39.964069 -105.178505 40.09455]")
    else {
        panic!()
    };
    assert_eq!(
        (b.spelling, b.west, b.north),
        (Spelling::Alias, -105.301_758, 40.094_55)
    );
    assert!(matches!(only_clause("🍕"), ClauseKind::Emoji(_)));
    assert!(matches!(only_clause("coca-cola"), ClauseKind::Keyword(_)));
    // A retweets_of_status_id beyond 2^53 stays exact.
    let ClauseKind::RetweetsOfStatusId(id) =
        only_clause("retweets_of_status_id:18446744073709551615")
    else {
        panic!()
    };
    assert_eq!(id.id, u64::MAX);
    assert!(parse("retweets_of_status_id:18446744073709551616").is_err());
}

#[test]
fn precedence_and_spans() {
    let rule = Rule::parse("apple OR iphone ipad").unwrap();
    let Expr::Or(or) = rule.expr() else { panic!() };
    assert_eq!(or.branches.len(), 2);
    let Expr::And(and) = &or.branches[1] else {
        panic!()
    };
    assert_eq!(&rule.source()[and.span.range()], "iphone ipad");
    let rule = Rule::parse("  ipad iphone OR (android -tablet) ").unwrap();
    let Expr::Or(or) = rule.expr() else { panic!() };
    assert_eq!(
        &rule.source()[or.span.range()],
        "ipad iphone OR (android -tablet)"
    );
    assert_eq!(
        &rule.source()[or.branches[1].span().range()],
        "(android -tablet)"
    );
    let Expr::Group(g) = &or.branches[1] else {
        panic!()
    };
    let Expr::And(and) = &*g.expr else { panic!() };
    assert_eq!(&rule.source()[and.items[1].span().range()], "-tablet");
    assert_eq!(rule.to_string(), "ipad iphone OR (android -tablet)");
}

/// Equality ignores spans: the same rule written with other whitespace is equal.
#[test]
fn equality_ignores_spans() {
    assert_eq!(parse("a  OR\tb").unwrap(), parse("a OR b").unwrap());
    assert_ne!(parse("(a OR b)").unwrap(), parse("a OR b").unwrap());
    assert_ne!(
        parse("tweets_count:1").unwrap(),
        parse("statuses_count:1").unwrap()
    );
}

fn deep_rule(depth: usize) -> String {
    format!("{}snow{}", "(".repeat(depth), ")".repeat(depth))
}

/// As deep as the nesting limit allows parses, prints, validates and drops; one deeper is an
/// error, never a stack overflow: run on a 256 KB stack (the test build is a debug build).
#[test]
fn deep_nesting_on_a_small_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let ok = deep_rule(MAX_DEPTH);
            let rule = Rule::parse(&ok).unwrap();
            assert_eq!(rule.to_string(), ok);
            drop(rule);
            let err = Rule::parse(&deep_rule(MAX_DEPTH + 1)).unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::TooDeep);
            assert_eq!(err.diagnostics()[0].position(), MAX_DEPTH + 1);
            // The deepest rule 2,048 characters allow: refused by the nesting limit.
            let err = Rule::parse(&deep_rule(1021)).unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::TooDeep);
            let err = Rule::parse(&"(".repeat(2048)).unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::TooDeep);
            let negs = "-(a ".repeat(500);
            assert_eq!(Rule::parse(&negs).unwrap_err().kind(), &ErrorKind::TooDeep);
            let mixed = format!("a {}", "(b OR -(c ".repeat(200));
            assert_eq!(Rule::parse(&mixed).unwrap_err().kind(), &ErrorKind::TooDeep);
        })
        .unwrap();
    handle.join().unwrap();
}

/// 100,000 `(` are refused by the length limit before any parsing.
#[test]
fn length_limit_counts_utf16_units() {
    let err = Rule::parse(&"(".repeat(100_000)).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::TooLong(100_000));
    assert_eq!(
        err.powertrack_message(),
        "Rules must be at most 2048 characters long; this rule has 100000 (at position 2049)\n"
    );
    // 2,048 units: accepted. 1,024 pizzas are 2,048 units (4,096 bytes).
    let pizzas = "🍕 ".repeat(681) + "🍕x";
    assert_eq!(powertrack::syntax::utf16_len(&pizzas), 2046);
    assert!(pizzas.len() > 2048);
    assert!(Rule::parse(&pizzas).is_ok());
    let at_limit = format!("{} snow", "a".repeat(2043));
    assert!(Rule::parse(&at_limit).is_ok());
    let over = format!("{} snow", "a".repeat(2044));
    assert_eq!(
        Rule::parse(&over).unwrap_err().kind(),
        &ErrorKind::TooLong(2049)
    );
    let emoji_over = "🍕".repeat(1025);
    assert_eq!(
        Rule::parse(&emoji_over).unwrap_err().kind(),
        &ErrorKind::TooLong(2050)
    );
}

#[test]
fn several_errors_are_all_reported_in_order() {
    let err = Rule::parse("a AND b or c NOT d").unwrap_err();
    let kinds: Vec<_> = err
        .diagnostics()
        .iter()
        .map(|d| (d.kind().clone(), d.position()))
        .collect();
    assert_eq!(
        kinds,
        [
            (ErrorKind::AmbiguousAnd, 3),
            (ErrorKind::AmbiguousOr, 9),
            (ErrorKind::AmbiguousNot, 14)
        ]
    );
    let err = Rule::parse("the -is:nullcast OR -sample:5").unwrap_err();
    assert!(err.diagnostics().len() >= 2, "{err}");
}

#[test]
fn caret_diagram() {
    let err = Rule::parse("snow 🍕 from:contains:heart").unwrap_err();
    assert_eq!(
        err.to_string(),
        "rule parse error:\n    snow 🍕 from:contains:heart\n                        ^\nerror: Cannot parse rule at ':' (position 22)"
    );
    let err = Rule::parse("-follow").unwrap_err();
    assert_eq!(
        err.to_string(),
        "rule parse error:\n    -follow\n    ^^^^^^^\nerror: Rules must contain a non-negation term (at position 1)\n\n    -follow\n    ^^^^^^^\nerror: Rules must contain at least one positive, non-stopword clause (at position 1)"
    );
}

#[test]
fn walk_visits_every_node_with_negation_depth() {
    let expr = parse("a -(b OR -c) (d OR e)").unwrap();
    let mut seen = Vec::new();
    expr.walk(|e, n| {
        if let Expr::Clause(c) = e {
            seen.push((c.kind.to_string(), n));
        }
    });
    let want: Vec<(String, usize)> = [("a", 0), ("b", 1), ("c", 2), ("d", 0), ("e", 0)]
        .map(|(s, n)| (s.to_string(), n))
        .into();
    assert_eq!(seen, want);
    let negated: Vec<_> = expr
        .clauses()
        .into_iter()
        .map(|(c, neg)| (c.kind.to_string(), neg))
        .collect();
    assert_eq!(negated[2], ("c".to_string(), false));
}

/// Proptest finding (`print_parse_round_trips`, minimised to `(0 from:_) a OR …`): `from:_`
/// was refused with "no viable alternative at input '_'" because user values were checked like
/// keywords, which may not start with `_`; screen names may.
#[test]
fn user_names_may_start_with_underscore() {
    for rule in ["from:_", "from:_jack", "to:__", "retweets_of:_1", "@_jack"] {
        let expr = parse(rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
        assert_eq!(expr.to_string(), rule);
    }
    assert!(parse("from:jack.dorsey").is_err());
}

/// Found while sizing the nesting limit: at 64 levels, parsing overflowed a 256 KB stack in a
/// debug build (each level costs five parser frames); the limit is 32 and the check runs before
/// the frames are pushed.
#[test]
fn nesting_limit_is_reported_at_the_first_excess_parenthesis() {
    let rule = format!("{}x", "(a ".repeat(MAX_DEPTH + 5));
    let err = parse(&rule).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::TooDeep);
    assert_eq!(err.diagnostics()[0].span().start, 3 * MAX_DEPTH);
    assert_eq!(
        err.powertrack_message(),
        format!(
            "Rules must not nest groups more than 32 deep (at position {})\n",
            3 * MAX_DEPTH + 1
        )
    );
}
