//! The translation to mokaccino and the two document extractions, checked against powertrack
//! itself on the bundled sample firehose (no shared corpus needed).

use mokaccino::prelude::Document;
use powertrack_gen::rules::RuleSetGenerator;
use powertrack::matcher::{Matches, RuleSetBuilder, Scratch};
use powertrack::post::{Format, Line, Parser};
use powertrack::syntax::Rule;
use powertrack_baselines::{Schema, Skip, Translated, doc_from_json, doc_from_post, translate};

const SAMPLE: &[u8] = include_bytes!("../../../examples/firehose.ndjson");

fn sample_lines() -> Vec<Vec<u8>> {
    powertrack_baselines::lines_of(SAMPLE)
        .into_iter()
        .map(|l| l.strip_suffix(b"\r").map(<[u8]>::to_vec).unwrap_or(l))
        .filter(|l| !l.is_empty())
        .collect()
}

fn pairs(d: &Document) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = d
        .field_values()
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

fn skip_of(rule: &str) -> Result<(), Skip> {
    translate(&Rule::parse(rule).unwrap()).map(|_| ())
}

#[test]
fn skip_reasons() {
    assert_eq!(skip_of("snow"), Ok(()));
    assert_eq!(skip_of(r#""snow day" -from:noaa lang:en"#), Ok(()));
    assert_eq!(skip_of("followers_count:10..20 has:links"), Ok(()));
    assert_eq!(skip_of("contains:snow"), Err(Skip::Substring));
    assert_eq!(skip_of("url_contains:snow"), Err(Skip::Substring));
    assert_eq!(skip_of(r#""snow day"~3"#), Err(Skip::Proximity));
    assert_eq!(skip_of("snow 雪"), Err(Skip::Spaceless));
    assert_eq!(skip_of(r#""a b c d""#), Err(Skip::LongPhrase));
    assert_eq!(skip_of("snow sample:10"), Err(Skip::Sample));
    assert_eq!(
        skip_of("snow point_radius:[2.35 48.85 10km]"),
        Err(Skip::Geo)
    );
    // 2^9 clauses in CNF.
    let big = (0..9)
        .map(|i| format!("(a{i} b{i})"))
        .collect::<Vec<_>>()
        .join(" OR ");
    assert_eq!(skip_of(&big), Err(Skip::CnfTooLarge));
}

/// Every translated rule of the generated set matches exactly as in powertrack, on every post
/// of the sample, with full, schema and pruned documents.
#[test]
fn generated_rules_agree_with_powertrack_on_the_sample() {
    let lines = sample_lines();
    let rules: Vec<(u64, Rule)> = RuleSetGenerator::new(5)
        .count(3_000)
        .map(|g| {
            let (id, _, v) = g.into_parts();
            (id, Rule::parse(&v).unwrap())
        })
        .collect();
    let t = Translated::new(rules.iter().map(|(id, r)| (*id, r)));
    assert!(t.kept.len() > 1_000, "{}", t.summary());
    let kept: std::collections::HashSet<u64> = t.kept.iter().map(|(id, _)| *id).collect();
    let mut b = RuleSetBuilder::new();
    for (id, r) in rules.iter().filter(|(id, _)| kept.contains(id)) {
        b.add(*id, None, r.clone());
    }
    let set = b.build().unwrap();
    let perc = t.percolator();
    let schemas = [Schema::full(), t.schema.clone(), t.schema.pruned()];
    let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
    let (mut parser, mut posts, mut total) = (Parser::new(), 0, 0);
    for line in &lines {
        let Ok(Line::Post(post)) = parser.parse(line) else {
            continue;
        };
        posts += 1;
        set.match_post(&post, &mut scratch, &mut matches);
        let mut ours: Vec<u64> = matches.ids().collect();
        ours.sort_unstable();
        total += ours.len();
        for schema in &schemas {
            let mut theirs: Vec<u64> = perc.percolate(&doc_from_post(&post, schema)).collect();
            theirs.sort_unstable();
            assert_eq!(ours, theirs, "post {}", post.id());
        }
        if post.format() == Format::Native {
            for schema in &schemas {
                let from_json = doc_from_json(line, schema).expect("a v1.1 post");
                assert_eq!(
                    pairs(&from_json),
                    pairs(&doc_from_post(&post, schema)),
                    "post {}",
                    post.id()
                );
            }
        }
    }
    assert!(posts > 150);
    // The comparison is not vacuous: the sample matches some translated rules.
    assert!(total > 0);
}

#[test]
fn hand_written_rules() {
    let line = br#"{"id_str":"9","text":"Snow day in Coca-Cola land #Weather @NOAA","lang":"en","user":{"id_str":"3","screen_name":"Alice","followers_count":15,"description":"I like ice"},"entities":{"hashtags":[{"text":"Weather"}],"user_mentions":[{"screen_name":"NOAA","id_str":"44"}],"urls":[]}}"#;
    let mut parser = Parser::new();
    let Ok(Line::Post(post)) = parser.parse(line) else {
        panic!("a post")
    };
    let doc = doc_from_post(&post, &Schema::full());
    let cases = [
        ("snow", true),
        (r#""snow day""#, true),
        (r#""day snow""#, false),
        ("coca-cola", true),
        (r#""cola land""#, true),
        ("#weather", true),
        ("#snow", false),
        ("@noaa", true),
        ("from:alice", true),
        ("from:3", true),
        ("followers_count:10..20", true),
        ("followers_count:16", false),
        ("snow -lang:en", false),
        ("snow -(rain OR sleet)", true),
        ("bio:ice", true),
        ("bio:snow", false),
        ("has:mentions -has:links", true),
        ("is:retweet", false),
    ];
    for (rule, expected) in cases {
        let q = translate(&Rule::parse(rule).unwrap()).unwrap();
        assert_eq!(q.matches(&doc), expected, "{rule}");
        let mut b = RuleSetBuilder::new();
        b.add_value(1, None, rule).unwrap();
        let ours = !b.build().unwrap().matching_ids(line).unwrap().is_empty();
        assert_eq!(ours, expected, "powertrack on {rule}");
    }
    assert!(doc_from_json(br#"{"delete":{"status":{"id_str":"1"}}}"#, &Schema::full()).is_none());
}

/// The disagreements at 100k rules and more (a few rules with count ranges that powertrack
/// matches and mokaccino does not) come from mokaccino 0.9.1: it names the index "preheater"
/// of an integer comparison `INT_COMPARE_<fibonacci-rounded bound>__<field>` without the
/// direction, so a `>=` bound and a `<=` bound of the same field that round to the same
/// Fibonacci number share one name, and the one indexed second is never expanded. This test
/// pins that upstream behaviour; if a newer mokaccino fixes it, update `README.md`.
#[test]
fn mokaccino_integer_preheater_collision() {
    use mokaccino::prelude::{CNFQueryable, PercolatorUid};
    let doc: Document = [("friends", "700")].into();
    // 600 rounds up to 610 for `<=`; 660 rounds down to 610 for `>=`.
    let ge = "friends".i64_ge(660);
    assert!(ge.matches(&doc));

    let mut alone = PercolatorUid::<u64>::default();
    alone.index_query_uid(ge.clone(), 2).unwrap();
    assert_eq!(alone.percolate(&doc).collect::<Vec<_>>(), [2]);

    let mut both = PercolatorUid::<u64>::default();
    both.index_query_uid("friends".i64_le(600), 1).unwrap();
    both.index_query_uid(ge, 2).unwrap();
    assert_eq!(both.percolate(&doc).count(), 0, "the upstream collision");
}
