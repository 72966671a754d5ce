//! The live store under concurrency: matcher threads and a writer (adds, deletes, re-adds of
//! the same values) and the background compactor, all at once. Every post's result must equal
//! the reference evaluation against the rule set of the generation it reports, and every post
//! must be matched exactly once.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use powertrack::api::RuleEntry;
use powertrack::live::{Config, LiveRules};
use powertrack::matcher::{Matches, Scratch};
use powertrack::post::{Line, Parser};
use powertrack::reference::RuleBook;
use powertrack::syntax::Rule;

/// The bundled sample firehose (always present): its posts.
fn posts() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/firehose.ndjson"
    ))
    .expect("examples/firehose.ndjson is bundled");
    let mut parser = Parser::new();
    text.lines()
        .filter(|l| matches!(parser.parse(l.as_bytes()), Ok(Line::Post(_))))
        .map(String::from)
        .collect()
}

/// Rule values from the posts' own frequent words, so that rules match often: words, pairs,
/// exclusions, alternatives, phrases.
fn pool(posts: &[String]) -> Vec<String> {
    let mut parser = Parser::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for line in posts {
        if let Ok(Line::Post(post)) = parser.parse(line.as_bytes()) {
            for part in post.parts() {
                for w in part.text().split_whitespace() {
                    let w = w.to_lowercase();
                    if w.len() >= 4 && w.chars().all(char::is_alphabetic) {
                        *counts.entry(w).or_default() += 1;
                    }
                }
            }
        }
    }
    let mut words: Vec<(usize, String)> = counts.into_iter().map(|(w, c)| (c, w)).collect();
    words.sort_unstable_by(|a, b| b.cmp(a));
    let words: Vec<String> = words.into_iter().take(24).map(|(_, w)| w).collect();
    let mut values: Vec<String> = words.clone();
    for i in 0..words.len() - 1 {
        let (a, b) = (&words[i], &words[i + 1]);
        values.push(format!("{a} {b}"));
        values.push(format!("{a} -{b}"));
        values.push(format!("{a} OR {b}"));
        values.push(format!("\"{a} {b}\"~5"));
    }
    values.push("lang:en".into());
    values.push("has:links -is:retweet".into());
    values.push("is:retweet".into());
    values
}

/// The rules (id, value) of each generation the writer committed.
type History = Mutex<BTreeMap<u64, Vec<(u64, String)>>>;

/// What a matcher saw: post index, generation, matching ids.
type Seen = Mutex<Vec<(usize, u64, Vec<u64>)>>;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % n as u64).unwrap_or(0)
    }
}

#[test]
fn matchers_and_a_writer_agree_with_the_reference_at_every_generation() {
    let posts = posts();
    let values = pool(&posts);
    agree_under_churn(posts, &values, 20);
}

/// Both rule generator profiles (dense and accounts, with more of their rules live so that they
/// match the real posts), through the live store with changes in flight: the writer adds and
/// deletes generated rules of both while three threads match.
#[test]
fn generated_rule_sets_of_both_profiles_agree_under_churn() {
    use powertrack_gen::rules::{Config as GenConfig, Profile, RuleSetGenerator};
    let mut posts = posts();
    // The real corpus, when present: a slice of it beside the bundled sample.
    if let Some(path) = crate::common::corpus_file(
        "generated_rule_sets_of_both_profiles_agree_under_churn",
        "combined/all_v11_native.ndjson",
    ) {
        let text = std::fs::read_to_string(path).expect("readable corpus");
        posts.extend(text.lines().step_by(6).map(String::from));
    }
    let mut values = Vec::new();
    for profile in Profile::ALL {
        let config = GenConfig {
            live: 0.3,
            ..profile.config()
        };
        values.extend(
            RuleSetGenerator::new(9)
                .with_config(config)
                .count(150)
                .map(|r| r.value),
        );
    }
    let through_lexicon = agree_under_churn(posts, &values, 3);
    // Keywords spread over the partitions, which then share a lexicon.
    assert!(through_lexicon > 0, "no post was matched through a lexicon");
}

/// Three matcher threads match `rounds` passes over `posts` while a writer adds and deletes
/// `values` (by value and by id) and the compactor runs; every post is matched once, and each
/// result equals the reference over the rules of the generation it reports.
#[allow(clippy::too_many_lines)]
/// Returns the number of posts matched through a lexicon shared by several partitions.
fn agree_under_churn(posts: Vec<String>, values: &[String], rounds: usize) -> usize {
    let posts = Arc::new(posts);
    let live = LiveRules::with_config(
        Config::default()
            .partitions(3)
            .rules_per_partition(8)
            .max_segments(6)
            .fold_at(8, 64),
    );
    // Start from half the pool.
    let initial: Vec<RuleEntry> = values
        .iter()
        .step_by(2)
        .map(|v| RuleEntry::new(v.clone(), None))
        .collect();
    live.add(&initial).unwrap();
    let history: Arc<History> = Arc::default();
    let record = |live: &LiveRules, history: &History| {
        let l = live.list();
        let rules = l
            .rules
            .into_iter()
            .map(|r| (r.id.unwrap(), r.value))
            .collect();
        history.lock().unwrap().insert(l.generation, rules);
    };
    history.lock().unwrap().insert(0, Vec::new());
    record(&live, &history);

    let total = posts.len() * rounds;
    let next = Arc::new(AtomicUsize::new(0));
    let results: Arc<Seen> = Arc::default();
    // Posts matched through the partitions' shared lexicon.
    let through_lexicon = Arc::new(AtomicUsize::new(0));
    let matchers: Vec<_> = (0..3)
        .map(|_| {
            let (live, posts, next, results, through_lexicon) = (
                live.clone(),
                posts.clone(),
                next.clone(),
                results.clone(),
                through_lexicon.clone(),
            );
            std::thread::spawn(move || {
                let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= total {
                        break;
                    }
                    let rules = live.load();
                    rules
                        .match_line(
                            posts[i % posts.len()].as_bytes(),
                            &mut scratch,
                            &mut matches,
                        )
                        .unwrap();
                    assert_eq!(matches.generation(), rules.generation());
                    if rules.stats().lexicon_segments > 1 {
                        through_lexicon.fetch_add(1, Ordering::Relaxed);
                    }
                    mine.push((i, matches.generation(), matches.ids().collect()));
                    if i % 16 == 0 {
                        std::thread::yield_now();
                    }
                }
                results.lock().unwrap().extend(mine);
            })
        })
        .collect();

    // The writer: adds, deletes by value and by id, and re-adds of the same values, until the
    // matchers are done.
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut ops = 0;
    while next.load(Ordering::SeqCst) < total || ops < 50 {
        ops += 1;
        let v = &values[rng.below(values.len())];
        match rng.below(4) {
            0 | 1 => {
                let r = live.add(&[RuleEntry::new(v.clone(), Some("t"))]).unwrap();
                // Once add returns, a post matched afterwards sees the change.
                assert!(live.load().generation() >= r.generation);
            }
            2 => {
                live.delete_values(&[v.as_str()]);
            }
            _ => {
                let listing = live.list();
                if !listing.rules.is_empty() {
                    let id = listing.rules[rng.below(listing.rules.len())].id.unwrap();
                    live.delete_ids(&[id]);
                }
            }
        }
        record(&live, &history);
        if ops > 5_000 {
            break;
        }
    }
    for m in matchers {
        m.join().unwrap();
    }
    live.compact();
    assert_eq!(live.stats().deltas, 0);
    // Compacted, the set is its base partitions alone; several share one lexicon.
    let compacted = live.load().stats();
    assert_eq!(
        compacted.lexicon_segments,
        if compacted.segments > 1 {
            compacted.segments
        } else {
            0
        },
        "the partitions share a lexicon"
    );

    // Every post exactly once.
    let mut results = Arc::try_unwrap(results).unwrap().into_inner().unwrap();
    results.sort_unstable_by_key(|r| r.0);
    assert_eq!(results.len(), total);
    assert!(results.iter().enumerate().all(|(i, r)| r.0 == i));

    // Each result equals the reference over its generation's rules.
    let history = history.lock().unwrap();
    let mut books: HashMap<u64, RuleBook> = HashMap::new();
    let mut parser = Parser::new();
    let mut generations = std::collections::BTreeSet::new();
    for (i, generation, ids) in &results {
        generations.insert(*generation);
        let rules = history
            .get(generation)
            .unwrap_or_else(|| panic!("generation {generation} was never published"));
        let book = books.entry(*generation).or_insert_with(|| {
            RuleBook::new(rules.iter().map(|(id, v)| (*id, Rule::parse(v).unwrap())))
        });
        let Ok(Line::Post(post)) = parser.parse(posts[i % posts.len()].as_bytes()) else {
            unreachable!()
        };
        assert_eq!(
            ids,
            &book.matching_ids(&post),
            "post {i} at generation {generation}"
        );
    }
    let through_lexicon = through_lexicon.load(Ordering::Relaxed);
    eprintln!(
        "{} posts over {} generations ({ops} writer operations), {} compaction steps, \
         {through_lexicon} posts through a lexicon",
        results.len(),
        generations.len(),
        live.stats().compactions
    );

    assert!(
        generations.len() > 1,
        "the writer ran while the matchers did"
    );
    let matched = results.iter().filter(|r| !r.2.is_empty()).count();
    assert!(
        matched * 20 > total,
        "only {matched} of {total} posts matched: a weak test"
    );
    through_lexicon
}

/// What the matcher reads of a post is part of the published rule set: in a store of `from:`
/// rules no text is read, and the first rule that reads a field (a `bio:` rule, a keyword, a
/// `url:`) is matched from the next post on, in the same scratch space.
#[test]
fn the_first_rule_reading_a_field_matches_from_the_next_post_on() {
    let live = LiveRules::new();
    let from: Vec<RuleEntry> = (0..50)
        .map(|i| RuleEntry::new(format!("from:user{i}"), None))
        .collect();
    live.add(&from).unwrap();
    let line = br#"{"id_str":"9","text":"fresh snow today https://t.co/x","entities":{"urls":[{"url":"https://t.co/x","expanded_url":"https://example.com/winter"}]},"user":{"id_str":"3","screen_name":"user7","description":"Meteorologist","location":"Oslo, Norway"}}"#;
    let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
    let mut ids_now = |live: &LiveRules| {
        live.load()
            .match_line(line, &mut scratch, &mut matches)
            .unwrap();
        matches.ids().collect::<Vec<u64>>()
    };
    let user7 = live.list().rules[7].id.unwrap();
    assert_eq!(ids_now(&live), [user7]);
    for value in [
        "bio:meteorologist",
        "snow",
        "url:winter",
        "bio_location:oslo",
    ] {
        let added = live.add(&[RuleEntry::new(value, None)]).unwrap();
        let id = added.detail[0].rule.id.unwrap();
        let got = ids_now(&live);
        assert!(got.contains(&id), "{value} after it was added: {got:?}");
    }
    assert_eq!(ids_now(&live).len(), 5);
}
