#![allow(clippy::cast_possible_truncation)]

use super::*;

use std::ops::Range;

use crate::compile::segment::Segment;
use crate::post::{Line, Parser};

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

#[test]
fn rule_set_is_send_and_sync_scratch_is_send() {
    assert_send_sync::<RuleSet>();
    assert_send::<Scratch>();
    assert_send::<Matches>();
}

const RULES: &[&str] = &[
    "snow",
    "snow -rain",
    "\"snow day\"",
    "#snow OR #weather",
    "from:alice",
    "contains:now",
    "(snow OR rain) lang:en",
    "\"snow day\"~3",
    "has:hashtags -is:retweet",
    "followers_count:10..1000",
    "snow sample:50",
    "-snow weather",
    "lang:en",
    "day",
];

const POSTS: &[&str] = &[
    r#"{"id_str":"1","text":"Snow day today!","lang":"en","user":{"id_str":"2","screen_name":"alice","followers_count":50}}"#,
    r#"{"id_str":"2","text":"rain and snow #weather","lang":"en","user":{"id_str":"3","screen_name":"bob"},"entities":{"hashtags":[{"text":"weather"}]}}"#,
    r#"{"id_str":"3","text":"day of snow, not a snow day","lang":"fr","user":{"id_str":"4","screen_name":"carol","followers_count":5000}}"#,
    r#"{"id_str":"4","text":"weather report","user":{"id_str":"5","screen_name":"dan"}}"#,
    r#"{"id_str":"5","text":"nothing","user":{"id_str":"6","screen_name":"eve"}}"#,
];

fn inputs() -> Vec<RuleInput> {
    RULES
        .iter()
        .enumerate()
        .map(|(i, r)| RuleInput {
            id: 100 + i as u64,
            tag: None,
            expr: lower(Rule::parse(r).unwrap().expr()),
        })
        .collect()
}

fn ids(set: &RuleSet, line: &str, scratch: &mut Scratch) -> Vec<u64> {
    let mut m = Matches::new();
    set.match_line(line.as_bytes(), scratch, &mut m).unwrap();
    m.ids().collect()
}

/// A small deterministic generator (xorshift), so the test needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn segments_with_tombstones_match_like_one_segment_of_the_survivors() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..200 {
        let all = inputs();
        let k = 1 + rng.below(8) as usize;
        // Split the rules, in order, into k contiguous segments; delete some at random.
        let mut cuts: Vec<usize> = (0..k - 1)
            .map(|_| rng.below(all.len() as u64 + 1) as usize)
            .collect();
        cuts.push(0);
        cuts.push(all.len());
        cuts.sort_unstable();
        let mut segments = Vec::new();
        let mut survivors = Vec::new();
        for w in cuts.windows(2) {
            let part: Vec<RuleInput> = all[w[0]..w[1]].to_vec();
            let mut tombstones = vec![0u64; part.len().div_ceil(64)];
            for (i, r) in part.iter().enumerate() {
                if rng.below(4) == 0 {
                    tombstones[i / 64] |= 1 << (i % 64);
                } else {
                    survivors.push(r.clone());
                }
            }
            let dead = tombstones.iter().map(|w| w.count_ones() as usize).sum();
            segments.push(LiveSegment {
                tombstones: tombstones.into(),
                dead,
                ..LiveSegment::new(Arc::new(Segment::build(part)))
            });
        }
        // The leading `shared` segments through one lexicon: the same atoms, candidates and
        // matches as each segment's own table.
        let shared = rng.below(k as u64 + 1) as usize;
        let lexicon = Lexicon::build(
            &segments[..shared]
                .iter()
                .map(|s| s.segment.clone())
                .collect::<Vec<_>>(),
        );
        let through =
            RuleSet::from_segments(segments.clone(), 0).with_lexicon(Some(Arc::new(lexicon)));
        assert_eq!(through.stats().lexicon_segments, shared);
        let split = RuleSet::from_segments(segments, 0);
        let whole = RuleSet::from_segments(
            vec![LiveSegment::new(Arc::new(Segment::build(
                survivors.clone(),
            )))],
            0,
        );
        assert_eq!(split.len(), survivors.len());
        let mut s1 = Scratch::new();
        let mut s2 = Scratch::new();
        let mut s3 = Scratch::new();
        for line in POSTS {
            let split_ids = ids(&split, line, &mut s1);
            assert_eq!(split_ids, ids(&whole, line, &mut s2), "{line}");
            assert_eq!(split_ids, ids(&through, line, &mut s3), "{line}");
            assert_eq!(
                split.last_candidates(&s1).collect::<Vec<_>>(),
                through.last_candidates(&s3).collect::<Vec<_>>(),
                "{line}"
            );
        }
    }
}

#[test]
fn interleaved_segments_list_matches_in_rule_set_order() {
    // Rules dealt round-robin into three segments, each carrying its rules' positions: the
    // matches come out in position order, exactly as from one segment in that order.
    let all = inputs();
    let mut parts: Vec<(Vec<RuleInput>, Vec<u64>)> = vec![Default::default(); 3];
    for (i, r) in all.iter().enumerate() {
        parts[i % 3].0.push(r.clone());
        parts[i % 3].1.push(i as u64);
    }
    let dealt = RuleSet::from_segments(
        parts
            .into_iter()
            .map(|(rules, order)| LiveSegment {
                order: order.into(),
                ..LiveSegment::new(Arc::new(Segment::build(rules)))
            })
            .collect(),
        7,
    );
    let whole = RuleSet::from_segments(vec![LiveSegment::new(Arc::new(Segment::build(all)))], 0);
    let (mut s1, mut s2) = (Scratch::new(), Scratch::new());
    let mut m = Matches::new();
    for line in POSTS {
        assert_eq!(ids(&dealt, line, &mut s1), ids(&whole, line, &mut s2));
        dealt.match_line(line.as_bytes(), &mut s1, &mut m).unwrap();
        assert_eq!(m.generation(), 7);
        let from_rules: Vec<u64> = m.rules(&dealt).map(|r| r.id).collect();
        assert_eq!(from_rules, m.ids().collect::<Vec<_>>());
    }
}

#[test]
fn facts_are_computed_once_whatever_the_number_of_segments() {
    // The facts live in the scratch, not in a segment: matching the same post against a
    // one-segment and an eight-segment set leaves identical facts.
    let all = inputs();
    let one = RuleSet::from_segments(
        vec![LiveSegment::new(Arc::new(Segment::build(all.clone())))],
        0,
    );
    let eight = RuleSet::from_segments(
        all.chunks(2)
            .map(|c| LiveSegment::new(Arc::new(Segment::build(c.to_vec()))))
            .collect(),
        0,
    );
    let mut s1 = Scratch::new();
    let mut s8 = Scratch::new();
    for line in POSTS {
        let a = ids(&one, line, &mut s1);
        let b = ids(&eight, line, &mut s8);
        assert_eq!(a, b);
        assert_eq!(format!("{:?}", s1.facts), format!("{:?}", s8.facts));
        assert_eq!(s8.segments.len(), 7);
    }
}

#[test]
fn expected_matches_on_a_small_set() {
    let mut b = RuleSetBuilder::new();
    for (i, r) in RULES.iter().enumerate() {
        b.add_value(100 + i as u64, None, r).unwrap();
    }
    let set = b.build().unwrap();
    let mut s = Scratch::new();
    // Post 1: "Snow day today!", en, alice, 50 followers.
    let got = ids(&set, POSTS[0], &mut s);
    for want in [100, 101, 102, 104, 105, 106, 107, 109, 112, 113] {
        assert!(got.contains(&want), "{want} missing from {got:?}");
    }
    assert!(!got.contains(&103) && !got.contains(&108) && !got.contains(&111));
    // Post 5 matches nothing.
    assert_eq!(ids(&set, POSTS[4], &mut s), Vec::<u64>::new());
}

#[test]
fn duplicate_ids_and_invalid_rules_name_the_rule() {
    let mut b = RuleSetBuilder::new();
    b.add_value(7, None, "a1").unwrap();
    b.add_value(8, None, "b1").unwrap();
    b.add_value(7, None, "c1").unwrap();
    let e = b.build().unwrap_err();
    assert_eq!(
        (e.index(), e.id(), e.kind()),
        (2, 7, &BuildErrorKind::DuplicateId)
    );
    assert_eq!(
        e.to_string(),
        "rule 2 (id 7): the id is used by an earlier rule"
    );
    let e = b.add_value(9, None, "fish AND bird").unwrap_err();
    assert_eq!(e.index(), 3);
    assert_eq!(
        e.to_string(),
        "rule 3 (id 9): Ambiguous use of and as a keyword. Use a space to logically join two \
         clauses, or \"and\" to find occurrences of and in text (at position 6)"
    );
}

/// A clause report in short: clause, held, negated, evidence spans.
type Row<'a> = (&'a str, bool, bool, Vec<Option<Range<usize>>>);

fn explain_line(rule: &str, line: &str) -> Explanation {
    let mut parser = Parser::new();
    let Ok(Line::Post(post)) = parser.parse(line.as_bytes()) else {
        panic!("{line}")
    };
    explain(&Rule::parse(rule).unwrap(), &post)
}

#[test]
fn explanations_locate_hits_in_the_original_text() {
    // U+2126 OHM SIGN (3 bytes) folds to ω (2 bytes): spans are mapped back by character.
    let line = r#"{"id_str":"1","text":"x\u2126y Snow day, snow DAY #Ski","user":{"id_str":"2","screen_name":"a"},"entities":{"hashtags":[{"text":"Ski"}]}}"#;
    let why = explain_line(r#"contains:ω "snow day" #ski -rain"#, line);
    assert!(why.matched);
    let by_clause: Vec<Row<'_>> = why
        .clauses
        .iter()
        .map(|c| {
            (
                c.clause.as_str(),
                c.held,
                c.negated,
                c.evidence.iter().map(|e| e.span.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(
        by_clause,
        [
            ("contains:ω", true, false, vec![Some(1..4)]),
            ("\"snow day\"", true, false, vec![Some(6..14), Some(16..24)]),
            ("#ski", true, false, vec![None]),
            ("rain", false, true, vec![]),
        ]
    );
    assert_eq!(why.clauses[2].evidence[0].field, "hashtag");
    assert_eq!(why.clauses[1].evidence[0].field, "text");
    let no = explain_line("snow rain", line);
    assert!(!no.matched);
    assert!(no.clauses[0].held && !no.clauses[1].held);
}
