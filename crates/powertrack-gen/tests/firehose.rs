//! The synthetic firehose (`powertrack_gen::firehose`): determinism, ingest in every format,
//! entity indices, the corpus statistics, planted matches and the `gen firehose`/`gen stats`
//! commands.

use powertrack::post::{self, Line, Parser};
use powertrack::reference;
use powertrack::syntax::Rule;
use powertrack_gen::firehose::stats::{Check, Stats, check, report};
use powertrack_gen::firehose::{Config, FirehoseGenerator, Format, LineKind};
use powertrack_gen::rules::{GeneratedRule, RuleSetGenerator};
use serde_json::Value;

const FORMATS: [Format; 3] = [Format::Native, Format::ActivityStreams, Format::V2];

fn stream(seed: u64, format: Format, noise: bool, n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    FirehoseGenerator::new(seed)
        .format(format)
        .noise(noise)
        .write_to(&mut out, n)
        .unwrap();
    out
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .strip_suffix(b"\n")
        .unwrap_or(bytes)
        .split(|&b| b == b'\n')
}

#[test]
fn one_seed_gives_byte_identical_output() {
    for f in FORMATS {
        let a = stream(11, f, true, 800);
        assert_eq!(a, stream(11, f, true, 800), "{f:?}");
        assert_ne!(
            a,
            stream(12, f, true, 800),
            "another seed, another stream ({f:?})"
        );
    }
}

/// Id, text (the original's for a retweet), kind and language of a post.
type View = (u64, String, post::Kind, Option<String>);

#[test]
fn formats_render_the_same_posts() {
    // The content drawn does not depend on the format: same ids, texts and kinds.
    let views: Vec<Vec<View>> = FORMATS
        .iter()
        .map(|&f| {
            let out = stream(5, f, false, 300);
            let mut p = Parser::new();
            lines(&out)
                .map(|l| {
                    let Ok(Line::Post(post)) = p.parse(l) else {
                        panic!("not a post")
                    };
                    let text = post
                        .retweeted()
                        .map_or_else(|| post.root().text().to_owned(), |r| r.text().to_owned());
                    (post.id(), text, post.kind(), post.lang().map(str::to_owned))
                })
                .collect()
        })
        .collect();
    assert_eq!(views[0], views[1]);
    assert_eq!(views[0], views[2]);
}

#[test]
fn every_line_ingests_in_the_format_asked() {
    for (f, want) in FORMATS.into_iter().zip([
        post::Format::Native,
        post::Format::ActivityStreams,
        post::Format::V2,
    ]) {
        let out = stream(3, f, true, 3000);
        let mut p = Parser::new();
        let (mut posts, mut skipped) = (0, 0);
        let mut ids = std::collections::HashSet::new();
        let mut last = 0;
        for l in lines(&out) {
            match p.parse(l) {
                Ok(Line::Post(post)) => {
                    assert_eq!(post.format(), want);
                    assert!(post.id() > last, "ids increase");
                    last = post.id();
                    assert!(ids.insert(post.id()));
                    assert!(post.user().screen_name().is_some_and(|s| !s.is_empty()));
                    assert!(!post.root().text().is_empty());
                    posts += 1;
                }
                Ok(Line::Skipped(_)) => skipped += 1,
                Err(e) => panic!("{f:?}: {e}: {}", String::from_utf8_lossy(l)),
            }
        }
        assert_eq!(posts, 3000);
        assert!(skipped > 0 && skipped < 60, "noise is a little: {skipped}");
    }
}

#[test]
fn kinds_languages_and_scripts_are_all_there() {
    let out = stream(9, Format::Native, false, 3000);
    let mut p = Parser::new();
    let mut kinds = std::collections::HashMap::new();
    let (mut cjk, mut thai, mut arabic, mut cyrillic, mut zwj) = (0, 0, 0, 0, 0);
    for l in lines(&out) {
        let Ok(Line::Post(post)) = p.parse(l) else {
            panic!()
        };
        *kinds.entry(post.kind()).or_insert(0) += 1;
        let t = post.root().text();
        cjk += usize::from(t.chars().any(|c| ('\u{3040}'..='\u{9FFF}').contains(&c)));
        thai += usize::from(t.chars().any(|c| ('\u{0E00}'..='\u{0E7F}').contains(&c)));
        arabic += usize::from(t.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)));
        cyrillic += usize::from(t.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)));
        zwj += usize::from(t.contains('\u{200d}'));
    }
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    for (name, n) in [
        ("cjk", cjk),
        ("thai", thai),
        ("arabic", arabic),
        ("cyrillic", cyrillic),
        ("zwj", zwj),
    ] {
        assert!(n >= 10, "{name}: {n}");
    }
}

/// `text[start..end]` in code points.
fn slice(text: &str, start: u64, end: u64) -> String {
    text.chars()
        .skip(usize::try_from(start).unwrap())
        .take(usize::try_from(end - start).unwrap())
        .collect()
}

fn idx(e: &Value) -> (u64, u64) {
    let i = &e["indices"];
    (i[0].as_u64().unwrap(), i[1].as_u64().unwrap())
}

/// Checks v1.1 `entities` against `text`; returns the number of entities checked.
fn check_v11(text: &str, ents: &Value) -> usize {
    let mut n = 0;
    for (key, prefix, field) in [
        ("hashtags", "#", "text"),
        ("symbols", "$", "text"),
        ("user_mentions", "@", "screen_name"),
        ("urls", "", "url"),
        ("media", "", "url"),
    ] {
        for e in ents[key].as_array().into_iter().flatten() {
            let (a, b) = idx(e);
            let want = format!("{prefix}{}", e[field].as_str().unwrap());
            assert_eq!(slice(text, a, b), want, "{key} in {text:?}");
            n += 1;
        }
    }
    n
}

fn check_native(t: &Value) -> usize {
    let text = t
        .get("full_text")
        .or_else(|| t.get("text"))
        .and_then(Value::as_str)
        .unwrap();
    let mut n = check_v11(text, &t["entities"]);
    if let Some(m) = t.get("extended_entities") {
        n += check_v11(text, m);
    }
    if let Some(x) = t.get("extended_tweet") {
        let full = x["full_text"].as_str().unwrap();
        n += check_v11(full, &x["entities"]);
        let r = &x["display_text_range"];
        assert!(r[1].as_u64().unwrap() <= full.chars().count() as u64);
    }
    for k in ["retweeted_status", "quoted_status"] {
        if let Some(inner) = t.get(k) {
            n += check_native(inner);
        }
    }
    n
}

fn check_activity(a: &Value) -> usize {
    let mut n = check_v11(a["body"].as_str().unwrap(), &a["twitter_entities"]);
    if let Some(l) = a.get("long_object") {
        n += check_v11(l["body"].as_str().unwrap(), &l["twitter_entities"]);
    }
    if a["verb"] == "share" {
        n += check_activity(&a["object"]);
    }
    if let Some(q) = a.get("twitter_quoted_status") {
        n += check_activity(q);
    }
    n
}

fn check_v2_tweet(t: &Value) -> usize {
    let text = t["text"].as_str().unwrap();
    let mut n = 0;
    for (key, prefix, field) in [
        ("hashtags", "#", "tag"),
        ("cashtags", "$", "tag"),
        ("mentions", "@", "username"),
        ("urls", "", "url"),
    ] {
        for e in t["entities"][key].as_array().into_iter().flatten() {
            let (a, b) = (e["start"].as_u64().unwrap(), e["end"].as_u64().unwrap());
            let want = format!("{prefix}{}", e[field].as_str().unwrap());
            assert_eq!(slice(text, a, b), want, "{key} in {text:?}");
            n += 1;
        }
    }
    n
}

#[test]
fn entity_indices_slice_their_text_in_every_format() {
    for f in FORMATS {
        let out = stream(21, f, false, 1500);
        let mut n = 0;
        for l in lines(&out) {
            let v: Value = serde_json::from_slice(l).unwrap();
            n += match f {
                Format::Native => check_native(&v),
                Format::ActivityStreams => check_activity(&v),
                Format::V2 => {
                    check_v2_tweet(&v["data"])
                        + v["includes"]["tweets"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(check_v2_tweet)
                            .sum::<usize>()
                }
            };
        }
        assert!(n > 3000, "{f:?}: only {n} entities checked");
    }
}

#[test]
fn a_5k_stream_is_within_the_stated_tolerances() {
    let out = stream(2024, Format::Native, true, 5000);
    let mut s = Stats::new();
    for l in lines(&out) {
        s.add_line(l);
    }
    let f = s.figures();
    assert_eq!(f.posts, 5000);
    let checks = check(&f);
    assert!(checks.len() >= 25);
    assert!(checks.iter().all(Check::ok), "{}", report(&f));
}

#[test]
fn stats_reject_a_stream_unlike_the_corpus() {
    // Originals only: the kind mix, sizes and mention shares fall out of tolerance.
    let cfg = Config {
        kinds: powertrack_gen::firehose::KindMix {
            original: 1,
            retweet: 0,
            reply: 0,
            quote: 0,
        },
        ..Config::default()
    };
    let mut out = Vec::new();
    FirehoseGenerator::with_config(1, cfg)
        .write_to(&mut out, 2000)
        .unwrap();
    let mut s = Stats::new();
    for l in lines(&out) {
        s.add_line(l);
    }
    let bad: Vec<String> = check(&s.figures())
        .into_iter()
        .filter(|c| !c.ok())
        .map(|c| c.name)
        .collect();
    assert!(bad.contains(&"kind retweet".to_owned()), "{bad:?}");
    assert!(bad.contains(&"with mention".to_owned()), "{bad:?}");
}

#[test]
fn extreme_configurations_still_give_valid_streams() {
    let configs = [
        Config {
            start_ms: 0,
            posts_per_second: 1,
            burst_every_secs: 0,
            burst_secs: 0,
            burst_peak: 1.0,
            noise_rate: 1.0,
            ..Config::default()
        },
        Config {
            posts_per_second: u32::MAX,
            languages: vec![],
            kinds: powertrack_gen::firehose::KindMix {
                original: 0,
                retweet: 0,
                reply: 0,
                quote: 0,
            },
            noise_rate: -1.0,
            ..Config::default()
        },
        Config {
            languages: vec![("xx", 1), ("ja", 0), ("th", 3)],
            start_ms: u64::MAX / 4,
            plant_rate: 2.0,
            ..Config::default()
        },
    ];
    for cfg in configs {
        for f in FORMATS {
            let mut out = Vec::new();
            FirehoseGenerator::with_config(3, cfg.clone())
                .format(f)
                .noise(true)
                .write_to(&mut out, 200)
                .unwrap();
            let mut p = Parser::new();
            let posts = lines(&out)
                .filter(|l| matches!(p.parse(l), Ok(Line::Post(_))))
                .count();
            assert_eq!(posts, 200, "{f:?} {cfg:?}");
            for l in lines(&out) {
                assert!(p.parse(l).is_ok(), "{}", String::from_utf8_lossy(l));
            }
        }
    }
}

#[test]
fn planted_matches_are_confirmed_by_the_reference_evaluator() {
    let rules: Vec<(u64, String)> = RuleSetGenerator::new(4)
        .count(400)
        .map(GeneratedRule::into_parts)
        .map(|(id, _, v)| (id, v))
        .collect();
    let parsed: std::collections::HashMap<u64, Rule> = rules
        .iter()
        .map(|(id, v)| (*id, Rule::parse(v).unwrap()))
        .collect();
    for f in FORMATS {
        let cfg = Config {
            plant_rate: 0.25,
            ..Config::default()
        };
        let mut g = FirehoseGenerator::with_config(8, cfg)
            .format(f)
            .plant(rules.iter().map(|(i, v)| (*i, v.as_str())))
            .unwrap();
        let mut p = Parser::new();
        let (mut planted, mut distinct) = (0, std::collections::HashSet::new());
        for _ in 0..1200 {
            let e = g.next_line();
            let LineKind::Post(id) = e.kind() else {
                continue;
            };
            if e.planted().is_empty() {
                continue;
            }
            let ids = e.planted().to_vec();
            let Ok(Line::Post(post)) = p.parse(e.line()) else {
                panic!()
            };
            assert_eq!(post.id(), id);
            for r in ids {
                assert!(reference::matches(&parsed[&r], &post), "rule {r} in {f:?}");
                planted += 1;
                distinct.insert(r);
            }
        }
        // About 300 attempts: most rules can be planted.
        assert!(planted > 200, "{f:?}: {planted} planted");
        assert!(distinct.len() > 150, "{f:?}: {} rules", distinct.len());
    }
}

#[test]
fn planting_rejects_a_bad_rule() {
    let err = FirehoseGenerator::new(1)
        .plant([(5u64, "(unbalanced")])
        .unwrap_err();
    assert!(
        err.to_string().starts_with("rule 5 does not parse"),
        "{err}"
    );
    let empty: [(u64, &str); 0] = [];
    assert_eq!(
        FirehoseGenerator::new(1)
            .plant(empty)
            .unwrap_err()
            .to_string(),
        "no rules to plant"
    );
}
