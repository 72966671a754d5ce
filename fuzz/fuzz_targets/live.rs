//! `live`: any sequence of Rules API operations on a live store (adds of valid, invalid and
//! duplicate rules with and without ids and tags, deletes by value and by id, atomic
//! delete-and-add, compaction steps and full compactions, on small stores with 1–3 partitions
//! and 3–6 segments) must leave a store that keeps its invariants and matches every post
//! exactly like a rule set built from scratch from its listing; nothing may panic.
//!
//! Input: arbitrary bytes driving `arbitrary::Unstructured`: the store's shape, then up to
//! 64 operations. Rule values come from a pool of valid rules over the posts' words (so
//! matches happen) or are arbitrary strings (mostly invalid: the add must then change nothing).
#![no_main]

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use powertrack::api::RuleEntry;
use powertrack::live::{Config, LiveRules};
use powertrack::matcher::{Matches, RuleSetBuilder, Scratch};

const POSTS: &[&str] = &[
    r#"{"id_str":"1","text":"Snow day today!","lang":"en","user":{"id_str":"2","screen_name":"alice","followers_count":50}}"#,
    r#"{"id_str":"2","text":"rain and snow #weather","lang":"en","user":{"id_str":"3","screen_name":"bob"},"entities":{"hashtags":[{"text":"weather"}]}}"#,
    r#"{"id_str":"3","text":"day of snow, not a snow day","lang":"fr","user":{"id_str":"4","screen_name":"carol","followers_count":5000}}"#,
    r#"{"id_str":"4","text":"weather report: sun","user":{"id_str":"5","screen_name":"dan"}}"#,
    r#"{"id_str":"6","text":"sun and rain and wind","lang":"en","user":{"id_str":"7","screen_name":"alice"}}"#,
];

const VALUES: &[&str] = &[
    "snow",
    "snow -rain",
    "\"snow day\"",
    "#weather OR #snow",
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
    "sun",
    "wind OR report",
    "rain",
    "Snow",
    "from:eve -sun",
    "fish AND bird",
    "",
];

#[derive(Debug)]
enum Op {
    Add(Vec<RuleEntry>),
    DeleteValues(Vec<String>),
    DeleteIds(Vec<u64>),
    Apply(Vec<u64>, Vec<RuleEntry>),
    Step,
    Compact,
}

/// A rule value: from the pool, or arbitrary text.
fn value(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(if u.ratio(7, 8)? {
        (*u.choose(VALUES)?).to_string()
    } else {
        String::arbitrary(u)?
    })
}

fn entry(u: &mut Unstructured<'_>) -> Result<RuleEntry> {
    let mut e = RuleEntry::new(value(u)?, None);
    if u.ratio(1, 3)? {
        e.tag = Some((*u.choose(&["a", "b", "tag"])?).to_string());
    }
    if u.ratio(1, 6)? {
        e.id = Some(u.int_in_range(0..=20)?);
    }
    Ok(e)
}

/// An id: of a rule listed now, or a small arbitrary one.
fn id(u: &mut Unstructured<'_>, ids: &[u64]) -> Result<u64> {
    if !ids.is_empty() && u.ratio(3, 4)? {
        Ok(*u.choose(ids)?)
    } else {
        u.int_in_range(0..=20)
    }
}

fn op(u: &mut Unstructured<'_>, ids: &[u64]) -> Result<Op> {
    Ok(match u.int_in_range(0..=9)? {
        0..=3 => Op::Add(
            (0..u.int_in_range(1..=3)?)
                .map(|_| entry(u))
                .collect::<Result<_>>()?,
        ),
        4 => Op::DeleteValues(
            (0..u.int_in_range(1..=2)?)
                .map(|_| value(u))
                .collect::<Result<_>>()?,
        ),
        5 => Op::DeleteIds(
            (0..u.int_in_range(1..=2)?)
                .map(|_| id(u, ids))
                .collect::<Result<_>>()?,
        ),
        6 => Op::Apply(
            (0..u.int_in_range(0..=2)?)
                .map(|_| id(u, ids))
                .collect::<Result<_>>()?,
            (0..u.int_in_range(0..=2)?)
                .map(|_| entry(u))
                .collect::<Result<_>>()?,
        ),
        7 | 8 => Op::Step,
        _ => Op::Compact,
    })
}

fn check(live: &LiveRules, scratch: &mut Scratch) {
    live.assert_consistent();
    let listing = live.list();
    let mut b = RuleSetBuilder::new();
    for r in &listing.rules {
        b.add_value(r.id.unwrap(), r.tag.as_deref(), &r.value)
            .expect("listed rules are valid");
    }
    let rebuilt = b.build().expect("listed ids are unique");
    let snapshot = live.snapshot();
    assert_eq!(snapshot.generation(), listing.generation);
    let (mut a, mut b) = (Matches::new(), Matches::new());
    let mut fresh = Scratch::new();
    for line in POSTS {
        snapshot
            .match_line(line.as_bytes(), scratch, &mut a)
            .unwrap();
        rebuilt
            .match_line(line.as_bytes(), &mut fresh, &mut b)
            .unwrap();
        assert_eq!(
            a.ids().collect::<Vec<_>>(),
            b.ids().collect::<Vec<_>>(),
            "{line}"
        );
        assert_eq!(a.generation(), listing.generation);
    }
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let partitions = u.int_in_range(1..=3)?;
    let max_segments = partitions + u.int_in_range(2..=3)?;
    let live = LiveRules::with_config(
        Config::default()
            .background(false)
            .partitions(partitions)
            .rules_per_partition(1)
            .max_segments(max_segments)
            .rule_limit(u.int_in_range(4..=30)?)
            .fold_at(u.int_in_range(1..=6)?, 64),
    );
    // One scratch reused across snapshots, as a matching thread does.
    let mut scratch = Scratch::new();
    for _ in 0..64 {
        if u.is_empty() {
            break;
        }
        let ids: Vec<u64> = live.list().rules.iter().filter_map(|r| r.id).collect();
        let before = live.load().generation();
        let changed = match op(&mut u, &ids)? {
            Op::Add(entries) => match live.add(&entries) {
                Ok(r) => {
                    assert_eq!(r.detail.len(), entries.len());
                    if r.is_invalid() {
                        assert_eq!(r.created(), 0);
                    }
                    r.created() > 0
                }
                Err(e) => {
                    assert_eq!(e.status(), 422);
                    false
                }
            },
            Op::DeleteValues(values) => {
                let values: Vec<&str> = values.iter().map(String::as_str).collect();
                live.delete_values(&values).deleted > 0
            }
            Op::DeleteIds(ids) => live.delete_ids(&ids).deleted > 0,
            Op::Apply(ids, entries) => match live.apply(&ids, &entries) {
                Ok((d, a)) => {
                    if a.is_invalid() {
                        assert_eq!(d.deleted, 0);
                    }
                    d.deleted > 0 || a.created() > 0
                }
                Err(_) => false,
            },
            Op::Step => {
                live.compact_step();
                false
            }
            Op::Compact => {
                live.compact();
                assert_eq!(live.stats().deltas, 0);
                false
            }
        };
        assert_eq!(live.load().generation(), before + u64::from(changed));
        assert!(live.load().segments() <= max_segments);
        check(&live, &mut scratch);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
