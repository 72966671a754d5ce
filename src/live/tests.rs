#![allow(clippy::cast_possible_truncation)]

use super::*;
use crate::matcher::{Matches, RuleSetBuilder, Scratch};

const POSTS: &[&str] = &[
    r#"{"id_str":"1","text":"Snow day today!","lang":"en","user":{"id_str":"2","screen_name":"alice","followers_count":50}}"#,
    r#"{"id_str":"2","text":"rain and snow #weather","lang":"en","user":{"id_str":"3","screen_name":"bob"},"entities":{"hashtags":[{"text":"weather"}]}}"#,
    r#"{"id_str":"3","text":"day of snow, not a snow day","lang":"fr","user":{"id_str":"4","screen_name":"carol","followers_count":5000}}"#,
    r#"{"id_str":"4","text":"weather report: sun","user":{"id_str":"5","screen_name":"dan"}}"#,
    r#"{"id_str":"5","text":"nothing at all","user":{"id_str":"6","screen_name":"eve"}}"#,
    r#"{"id_str":"6","text":"sun and rain and wind","lang":"en","user":{"id_str":"7","screen_name":"alice"}}"#,
];

/// Rule values the property test draws from: every kind of index entry (tokens, phrases,
/// substrings, entities, users, scalars, always-evaluated negations, samples).
const VALUES: &[&str] = &[
    "snow",
    "snow -rain",
    "\"snow day\"",
    "#weather OR #snow",
    "from:alice",
    "contains:now",
    "url_contains:example OR 雪",
    "(snow OR rain) lang:en",
    "\"snow day\"~3",
    "has:hashtags -is:retweet",
    "followers_count:10..1000",
    "snow sample:50",
    "-snow weather",
    "lang:en",
    "day",
    "sun",
    "wind OR report",
    "rain",
    "Snow",
    "nothing",
    "from:eve -sun",
];

fn quiet(partitions: usize, max_segments: usize) -> LiveRules {
    LiveRules::with_config(
        Config::default()
            .background(false)
            .partitions(partitions)
            .rules_per_partition(1)
            .max_segments(max_segments)
            .fold_at(3, 64),
    )
}

fn matched(set: &RuleSet, scratch: &mut Scratch, line: &str) -> Vec<u64> {
    let mut m = Matches::new();
    set.match_line(line.as_bytes(), scratch, &mut m).unwrap();
    assert_eq!(m.generation(), set.generation());
    m.ids().collect()
}

/// The store matches every post exactly like a rule set built from scratch from its listing.
fn assert_matches_like_rebuilt(live: &LiveRules) {
    live.assert_consistent();
    let listing = live.list();
    let mut b = RuleSetBuilder::new();
    for r in &listing.rules {
        b.add_value(r.id.unwrap(), r.tag.as_deref(), &r.value)
            .unwrap();
    }
    let rebuilt = b.build().unwrap();
    let snapshot = live.snapshot();
    assert_eq!(snapshot.generation(), listing.generation);
    let (mut s1, mut s2) = (Scratch::new(), Scratch::new());
    for line in POSTS {
        assert_eq!(
            matched(&snapshot, &mut s1, line),
            matched(&rebuilt, &mut s2, line),
            "{line}"
        );
    }
}

fn entries(values: &[&str]) -> Vec<RuleEntry> {
    values.iter().map(|v| RuleEntry::new(*v, None)).collect()
}

#[test]
fn add_creates_rules_with_increasing_ids_and_publishes_one_generation() {
    let live = quiet(4, 8);
    let r = live
        .add(&[
            RuleEntry::new("snow", Some("t1")),
            RuleEntry::new("rain", None),
        ])
        .unwrap();
    assert_eq!((r.status(), r.created(), r.not_created()), (201, 2, 0));
    assert_eq!(r.generation, 1);
    let (a, b) = (r.detail[0].rule.id.unwrap(), r.detail[1].rule.id.unwrap());
    assert!(a < b);
    let json = r.to_json("2016-05-24T02:46:28.402Z");
    assert_eq!(
        json,
        format!(
            r#"{{"summary":{{"created":2,"not_created":0}},"detail":[{{"rule":{{"value":"snow","tag":"t1","id":{a},"id_str":"{a}"}},"created":true}},{{"rule":{{"value":"rain","tag":null,"id":{b},"id_str":"{b}"}},"created":true}}],"sent":"2016-05-24T02:46:28.402Z"}}"#
        )
    );
    assert_eq!(live.load().generation(), 1);
    assert_eq!(live.len(), 2);
    assert_matches_like_rebuilt(&live);
}

#[test]
fn duplicates_keep_the_existing_rule_and_its_tag() {
    let live = quiet(4, 8);
    let first = live
        .add(&[RuleEntry::new("fish OR 🐟", Some("fishrule123"))])
        .unwrap();
    let id = first.detail[0].rule.id.unwrap();
    let r = live
        .add(&[
            RuleEntry::new("robot OR 🤖", Some("botrule123")),
            RuleEntry::new("fish OR 🐟", Some("new tag")),
            RuleEntry::new("robot OR 🤖", None),
        ])
        .unwrap();
    assert_eq!((r.status(), r.created(), r.not_created()), (201, 1, 2));
    let robot = r.detail[0].rule.id.unwrap();
    assert_eq!(r.detail[1].rule.id, Some(id));
    assert_eq!(r.detail[1].message.as_deref(), Some(ALREADY_EXISTS));
    // A duplicate of an earlier rule of the same batch names the id that rule got.
    assert_eq!(r.detail[2].rule.id, Some(robot));
    assert!(r.to_json("s").contains(&format!(
        r#"{{"rule":{{"value":"fish OR 🐟","tag":"new tag","id":{id},"id_str":"{id}"}},"created":false,"message":"A rule with this value already exists"}}"#
    )));
    assert_eq!(live.get(&[id]).rules[0].tag.as_deref(), Some("fishrule123"));
    // Nothing created: the generation stays.
    let again = live.add(&entries(&["fish OR 🐟"])).unwrap();
    assert_eq!((again.created(), again.generation), (0, 2));
    assert_matches_like_rebuilt(&live);
}

#[test]
fn one_invalid_rule_fails_the_whole_batch() {
    let live = quiet(4, 8);
    let r = live
        .add(&entries(&[
            "streaming gnip contains:$twtr",
            "streaming gnip contains:\"$twtr\"",
        ]))
        .unwrap();
    assert_eq!((r.status(), r.created(), r.not_created()), (422, 0, 2));
    assert!(r.is_invalid());
    assert_eq!(
        r.to_json("2016-06-01T15:41:27.451Z"),
        r#"{"summary":{"created":0,"not_created":2},"detail":[{"rule":{"value":"streaming gnip contains:$twtr","tag":null},"created":false,"message":"no viable alternative at input '$twtr' (at position 25)\n"},{"rule":{"value":"streaming gnip contains:\"$twtr\"","tag":null},"created":false}],"sent":"2016-06-01T15:41:27.451Z"}"#
    );
    assert!(live.is_empty());
    assert_eq!(live.load().generation(), 0);
    // An over-long tag is invalid too.
    let long = "x".repeat(256);
    let r = live.add(&[RuleEntry::new("snow", Some(&long))]).unwrap();
    assert_eq!(r.status(), 422);
    assert!(live.is_empty());
}

#[test]
fn supplied_ids_are_kept_and_must_be_free() {
    let live = quiet(4, 8);
    let mut a = RuleEntry::new("snow", None);
    a.id = Some(734_938_587_381_145_604);
    let r = live.add(std::slice::from_ref(&a)).unwrap();
    assert_eq!(r.detail[0].rule.id, Some(734_938_587_381_145_604));
    let mut b = RuleEntry::new("rain", None);
    b.id = Some(734_938_587_381_145_604);
    let r = live.add(&[RuleEntry::new("sun", None), b]).unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.detail[1].message.as_deref(),
        Some("Rule id 734938587381145604 is already in use")
    );
    assert_eq!(live.len(), 1);
    // The same value with its own id is a duplicate, not an id clash.
    let r = live.add(&[a]).unwrap();
    assert_eq!(
        (r.status(), r.detail[0].message.as_deref()),
        (201, Some(ALREADY_EXISTS))
    );
}

#[test]
fn the_rule_limit_refuses_the_request_and_adds_nothing() {
    let live = LiveRules::with_config(Config::default().background(false).rule_limit(3));
    live.add(&entries(&["a1", "a2"])).unwrap();
    let e = live.add(&entries(&["a3", "a4"])).unwrap_err();
    assert_eq!(
        e.powertrack_message(),
        "Request exceeds account's Rule Limit. Delete rules or contact your account manager to proceed."
    );
    assert_eq!(e.status(), 422);
    assert_eq!(live.len(), 2);
    // Duplicates do not count against the limit.
    let r = live.add(&entries(&["a1", "a2", "a3"])).unwrap();
    assert_eq!((r.created(), live.len()), (1, 3));
}

#[test]
fn deletes_by_value_and_id_report_misses() {
    let live = quiet(4, 8);
    let r = live.add(&entries(&["Pizza", "snow", "rain"])).unwrap();
    let snow = r.detail[1].rule.id.unwrap();
    // Values are case-sensitive.
    let d = live.delete_values(&["pizza", "Pizza"]);
    assert_eq!((d.deleted, d.not_deleted(), d.generation), (1, 1, 2));
    assert_eq!(
        d.to_json("s"),
        r#"{"summary":{"deleted":1,"not_deleted":1},"detail":[{"rule":{"value":"pizza","tag":null},"deleted":false,"message":"Rule does not exist"}],"sent":"s"}"#
    );
    let d = live.delete_ids(&[snow, snow, 42]);
    assert_eq!((d.deleted, d.not_deleted()), (1, 2));
    assert_eq!(
        d.detail[1].rule,
        RuleEntry {
            value: String::new(),
            tag: None,
            id: Some(42)
        }
    );
    // Nothing deleted: 200 all the same, generation unchanged.
    let d = live.delete_values(&["nope"]);
    assert_eq!((d.deleted, d.generation), (0, 3));
    assert_eq!(
        live.list()
            .rules
            .iter()
            .map(|r| r.value.as_str())
            .collect::<Vec<_>>(),
        ["rain"]
    );
    assert_matches_like_rebuilt(&live);
}

#[test]
fn list_is_in_creation_order_and_get_skips_unknown_ids() {
    let live = quiet(2, 4);
    for v in ["bee", "ant", "cat", "dog", "eel", "fox"] {
        live.add(&entries(&[v])).unwrap();
    }
    live.compact();
    let l = live.list();
    let values: Vec<&str> = l.rules.iter().map(|r| r.value.as_str()).collect();
    assert_eq!(values, ["bee", "ant", "cat", "dog", "eel", "fox"]);
    let ids: Vec<u64> = l.rules.iter().map(|r| r.id.unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let got = live.get(&[ids[2], 1, ids[0]]);
    assert_eq!(
        got.rules
            .iter()
            .map(|r| r.value.as_str())
            .collect::<Vec<_>>(),
        ["cat", "bee"]
    );
    let id = ids[0];
    assert_eq!(
        got.to_json("s"),
        format!(
            r#"{{"rules":[{{"value":"cat","tag":null,"id":{},"id_str":"{}"}},{{"value":"bee","tag":null,"id":{id},"id_str":"{id}"}}],"sent":"s"}}"#,
            ids[2], ids[2]
        )
    );
}

#[test]
fn matches_are_listed_in_creation_order_across_segments() {
    let live = quiet(4, 8);
    let r = live.add(&entries(&["snow", "day"])).unwrap();
    let first: Vec<u64> = r.detail.iter().map(|d| d.rule.id.unwrap()).collect();
    let r = live.add(&entries(&["\"snow day\"", "lang:en"])).unwrap();
    let second: Vec<u64> = r.detail.iter().map(|d| d.rule.id.unwrap()).collect();
    let mut s = Scratch::new();
    let want = [first[0], first[1], second[0], second[1]];
    assert_eq!(matched(&live.load(), &mut s, POSTS[0]), want);
    live.compact();
    assert_eq!(live.stats().deltas, 0);
    assert_eq!(matched(&live.load(), &mut s, POSTS[0]), want);
}

#[test]
fn apply_is_one_change_and_nothing_without_a_valid_add() {
    let live = quiet(4, 8);
    let r = live
        .add(&[
            RuleEntry::new("snow", Some("old")),
            RuleEntry::new("rain", None),
        ])
        .unwrap();
    let (snow, rain) = (r.detail[0].rule.id.unwrap(), r.detail[1].rule.id.unwrap());
    // An invalid rule in the add: the delete does not happen either.
    let (d, a) = live.apply(&[snow], &entries(&["fish AND bird"])).unwrap();
    assert_eq!((d.deleted, a.status(), live.len()), (0, 422, 2));
    // A changed tag: delete and add of the same value, one generation.
    let (d, a) = live
        .apply(&[snow], &[RuleEntry::new("snow", Some("new"))])
        .unwrap();
    assert_eq!(
        (d.deleted, a.created(), a.generation, d.generation),
        (1, 1, 2, 2)
    );
    assert_eq!(live.load().generation(), 2);
    let l = live.list();
    assert_eq!(
        l.rules
            .iter()
            .map(|r| (r.value.as_str(), r.tag.as_deref()))
            .collect::<Vec<_>>(),
        [("rain", None), ("snow", Some("new"))]
    );
    // A freed id may be reused by the add.
    let mut again = RuleEntry::new("sun", None);
    again.id = Some(rain);
    let (d, a) = live.apply(&[rain], &[again]).unwrap();
    assert_eq!((d.deleted, a.detail[0].rule.id), (1, Some(rain)));
    assert_matches_like_rebuilt(&live);
}

#[test]
fn validate_changes_nothing() {
    let live = quiet(4, 8);
    let v = live.validate(&entries(&["from:jack", "fish AND bird"]));
    assert_eq!((v.valid(), v.not_valid()), (1, 1));
    assert!(live.is_empty());
}

#[test]
fn handle_answers_with_statuses_and_bodies() {
    let live = quiet(4, 8);
    let (status, body) = live.handle(Request::Add, b"{\"rules\":[");
    assert_eq!(status, 400);
    assert!(
        body.starts_with(r#"{"error":{"message":"Invalid JSON. The body must be in the format"#)
    );
    let (status, _) = live.handle(Request::Add, br#"{"rule_ids":[1]}"#);
    assert_eq!(status, 400);
    let big = format!(r#"{{"rules":[{{"value":"{}"}}]}}"#, "a ".repeat(2_600_000));
    let (status, body) = live.handle(Request::Add, big.as_bytes());
    assert_eq!(status, 413);
    assert!(
        body.contains("exceeds the maximum size of 5000000 bytes"),
        "{body}"
    );
    let (status, body) = live.handle(Request::Add, br#"{"rules":[{"value":"snow"}]}"#);
    assert_eq!(status, 201, "{body}");
    let id = live.list().rules[0].id.unwrap();
    let (status, body) = live.handle(Request::List, b"");
    assert_eq!(status, 200);
    assert!(body.starts_with(&format!(
        r#"{{"rules":[{{"value":"snow","tag":null,"id":{id},"id_str":"{id}"}}],"sent":"#
    )));
    let (status, body) = live.handle(Request::Get, format!(r#"{{"rule_ids":[{id}]}}"#).as_bytes());
    assert_eq!(status, 200);
    assert!(body.contains(r#""value":"snow""#));
    let (status, body) = live.handle(Request::Validate, br#"{"rules":[{"value":"from:jack"}]}"#);
    assert_eq!(status, 200);
    assert!(body.starts_with(r#"{"summary":{"valid":1,"not_valid":0}"#));
    let (status, body) = live.handle(
        Request::Delete,
        format!(r#"{{"rule_ids":[{id}]}}"#).as_bytes(),
    );
    assert_eq!(status, 200);
    assert!(body.starts_with(r#"{"summary":{"deleted":1,"not_deleted":0},"detail":[],"sent":"#));
    assert!(live.is_empty());
}

#[test]
fn segments_stay_within_the_budget_and_compaction_purges_tombstones() {
    let live = quiet(2, 4);
    let mut ids = Vec::new();
    for (i, v) in VALUES.iter().enumerate() {
        let r = live.add(&entries(&[v])).unwrap();
        ids.push(r.detail[0].rule.id.unwrap());
        assert!(live.load().segments() <= 4, "after {i} adds");
        live.assert_consistent();
    }
    live.delete_ids(&ids[..10]);
    assert_matches_like_rebuilt(&live);
    live.compact();
    let stats = live.stats();
    assert_eq!((stats.rules, stats.deltas), (VALUES.len() - 10, 0));
    assert!(stats.segments <= 2);
    let snapshot = live.snapshot();
    assert_eq!(snapshot.len(), VALUES.len() - 10);
    assert_matches_like_rebuilt(&live);
}

#[test]
fn background_compaction_folds_deltas_and_stops_with_the_store() {
    let live = LiveRules::with_config(Config::default().fold_at(1, 64));
    for v in VALUES {
        live.add(&entries(&[v])).unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while live.stats().deltas > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(live.stats().deltas, 0, "the compactor folded every delta");
    assert_matches_like_rebuilt(&live);
    let clone = live.clone();
    drop(live);
    assert_eq!(clone.len(), VALUES.len());
    drop(clone); // joins the compactor thread
}

#[derive(Clone, Debug)]
enum Op {
    Add(Vec<(usize, Option<u8>)>),
    DeleteValues(Vec<usize>),
    DeleteIds(Vec<usize>),
    Apply(Vec<usize>, Vec<(usize, Option<u8>)>),
    Step,
    Compact,
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    let value = 0..VALUES.len();
    prop_oneof![
        4 => proptest::collection::vec((value.clone(), proptest::option::of(0u8..3)), 1..4).prop_map(Op::Add),
        2 => proptest::collection::vec(value.clone(), 1..3).prop_map(Op::DeleteValues),
        1 => proptest::collection::vec(0usize..64, 1..3).prop_map(Op::DeleteIds),
        1 => (
            proptest::collection::vec(0usize..32, 0..3),
            proptest::collection::vec((value.clone(), proptest::option::of(0u8..3)), 0..3),
        )
            .prop_map(|(d, a)| Op::Apply(d, a)),
        2 => Just(Op::Step),
        1 => Just(Op::Compact),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Any sequence of operations leaves a store that matches exactly like a rule set built
    /// from scratch from its surviving rules, with the invariants of the store intact.
    #[test]
    fn any_sequence_of_operations_matches_like_a_rebuild(
        ops in proptest::collection::vec(op(), 1..40),
        partitions in 1usize..4,
        extra in 2usize..5,
    ) {
        let live = quiet(partitions, partitions + extra);
        let mut generation = 0;
        for op in ops {
            let before = live.list();
            match op {
                Op::Add(rules) => {
                    let batch: Vec<RuleEntry> = rules
                        .iter()
                        .map(|&(v, t)| RuleEntry::new(VALUES[v], t.map(|t| ["a", "b", "c"][t as usize])))
                        .collect();
                    let r = live.add(&batch).unwrap();
                    let fresh = batch
                        .iter()
                        .enumerate()
                        .filter(|(i, e)| {
                            !before.rules.iter().any(|b| b.value == e.value)
                                && !batch[..*i].iter().any(|p| p.value == e.value)
                        })
                        .count();
                    proptest::prop_assert_eq!(r.created(), fresh);
                    generation += u64::from(fresh > 0);
                }
                Op::DeleteValues(vs) => {
                    let values: Vec<&str> = vs.iter().map(|&v| VALUES[v]).collect();
                    let r = live.delete_values(&values);
                    generation += u64::from(r.deleted > 0);
                }
                Op::DeleteIds(ix) => {
                    let ids: Vec<u64> = ix
                        .iter()
                        .map(|&i| before.rules.get(i).and_then(|r| r.id).unwrap_or(i as u64))
                        .collect();
                    let r = live.delete_ids(&ids);
                    generation += u64::from(r.deleted > 0);
                }
                Op::Apply(ix, rules) => {
                    let ids: Vec<u64> = ix
                        .iter()
                        .filter_map(|&i| before.rules.get(i).and_then(|r| r.id))
                        .collect();
                    let batch: Vec<RuleEntry> = rules
                        .iter()
                        .map(|&(v, t)| RuleEntry::new(VALUES[v], t.map(|t| ["a", "b", "c"][t as usize])))
                        .collect();
                    let (d, a) = live.apply(&ids, &batch).unwrap();
                    generation += u64::from(d.deleted > 0 || a.created() > 0);
                }
                Op::Step => {
                    live.compact_step();
                }
                Op::Compact => live.compact(),
            }
            proptest::prop_assert_eq!(live.load().generation(), generation);
            proptest::prop_assert!(live.load().segments() <= partitions + extra);
            assert_matches_like_rebuilt(&live);
        }
    }
}

#[test]
fn substring_rules_share_partition_zero_and_the_partitions_start_even() {
    use super::store::Partitioning;
    // Time-ordered ids, as the store makes them.
    let ids: Vec<u64> = (0..100_000u64)
        .map(|i| (1 << 40) + i * 4096 + i % 7)
        .collect();
    let spread = |p: Partitioning, substrings: usize| {
        let mut counts = vec![0usize; p.partitions];
        for (i, &id) in ids.iter().enumerate() {
            let k = p.of(id, i < substrings);
            if i < substrings {
                assert_eq!(k, 0, "a substring rule outside partition 0");
            }
            counts[k] += 1;
        }
        counts
    };
    let near = |counts: &[usize], want: &[usize]| {
        counts
            .iter()
            .zip(want)
            .all(|(&c, &w)| c.abs_diff(w) <= w / 25 + 50)
    };
    for (k, substrings, want) in [
        (4, 0, vec![25_000; 4]),
        (4, 10_000, vec![25_000; 4]),
        (4, 50_000, vec![50_000, 16_667, 16_667, 16_667]),
        (2, 30_000, vec![50_000, 50_000]),
        (3, 100_000, vec![100_000, 0, 0]),
    ] {
        let counts = spread(Partitioning::for_load(k, substrings, ids.len()), substrings);
        assert!(
            near(&counts, &want),
            "K={k} substrings={substrings}: {counts:?}"
        );
    }
    let counts = spread(Partitioning::even(4), 0);
    assert!(near(&counts, &[25_000; 4]), "{counts:?}");
    assert_eq!(
        spread(Partitioning::for_load(1, 40_000, ids.len()), 40_000),
        [100_000]
    );
}
