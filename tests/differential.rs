//! Differential tests: the compiled rule set against the reference evaluator.
//!
//! Rules are drawn from the posts themselves (their tokens, phrases, entities, users, places,
//! counts and coordinates), so that a good share of them match, then combined with `OR`,
//! groups and negation. Zero disagreements is the only pass.

#![allow(clippy::cast_possible_truncation)]

use std::collections::BTreeMap;

use powertrack::matcher::{Matches, RuleSet, RuleSetBuilder, Scratch};
use powertrack::post::{Line, Parser, Post};
use powertrack::reference;
use powertrack::syntax::{ClauseKind, Rule};
use powertrack::tokenize::{TokenKind, tokens};
use powertrack_gen::rules::{Config, Profile, RuleSetGenerator};
use proptest::prelude::*;

use crate::common::corpus_file;

/// xorshift64*: deterministic and dependency-free.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

/// Material for rules, harvested from posts.
#[derive(Default)]
pub(crate) struct Pool {
    words: Vec<String>,
    phrases: Vec<String>,
    hashtags: Vec<String>,
    mentions: Vec<String>,
    cashtags: Vec<String>,
    users: Vec<String>,
    user_ids: Vec<u64>,
    langs: Vec<String>,
    places: Vec<String>,
    countries: Vec<String>,
    points: Vec<(f64, f64)>,
    url_bits: Vec<String>,
    bio_words: Vec<String>,
    sources: Vec<String>,
    status_ids: Vec<u64>,
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Pool {
    pub(crate) fn harvest(&mut self, post: &Post<'_>) {
        for part in post.parts() {
            let text = part.text();
            let toks: Vec<_> = tokens(text).collect();
            for (i, t) in toks.iter().enumerate() {
                if t.kind != TokenKind::Punct {
                    self.words.push(t.text(text).to_string());
                }
                if i + 2 < toks.len() && i % 5 == 0 {
                    self.phrases
                        .push(text[t.start..toks[i + 2].end].to_string());
                }
            }
            self.hashtags.extend(part.hashtags().map(str::to_string));
            self.cashtags.extend(part.cashtags().map(str::to_string));
            self.mentions.extend(
                part.mentions()
                    .filter_map(|m| m.screen_name)
                    .map(str::to_string),
            );
            for u in part.urls() {
                if let Some(e) = u.expanded_url {
                    let e = e
                        .trim_start_matches("https://")
                        .trim_start_matches("http://");
                    self.url_bits.push(e.chars().take(12).collect());
                }
            }
            self.status_ids.push(part.id());
        }
        let user = post.user();
        self.users.extend(user.screen_name().map(str::to_string));
        self.user_ids.extend(user.id());
        if let Some(d) = user.description() {
            self.bio_words.extend(
                tokens(d)
                    .filter(|t| t.kind == TokenKind::Word)
                    .map(|t| t.text(d).to_string())
                    .take(3),
            );
        }
        self.langs.extend(post.lang().map(str::to_string));
        if let Some(p) = post.place() {
            self.places.extend(p.name.map(str::to_string));
            self.countries.extend(p.country_code.map(str::to_string));
        }
        if let Some(c) = post.coordinates() {
            self.points.push((c.lon, c.lat));
        }
        if let Some(s) = post.source().and_then(|s| s.name) {
            self.sources.push(s.to_string());
        }
    }

    /// One random clause (operator family, text).
    fn clause(&self, rng: &mut Rng) -> Option<String> {
        let word = |rng: &mut Rng| self.pick_word(rng);
        Some(match rng.below(24) {
            0..=5 => word(rng)?,
            6 => quote(rng.pick(&self.phrases)?),
            7 => format!(
                "{}~{}",
                quote(&format!("{} {}", word(rng)?, word(rng)?)),
                1 + rng.below(6)
            ),
            8 => format!("#{}", rng.pick(&self.hashtags)?),
            9 => format!("@{}", rng.pick(&self.mentions)?),
            10 => format!("${}", rng.pick(&self.cashtags)?),
            11 => format!(
                "from:{}",
                if rng.below(2) == 0 {
                    rng.pick(&self.users)?.clone()
                } else {
                    rng.pick(&self.user_ids)?.to_string()
                }
            ),
            12 => format!(
                "contains:{}",
                quote(&word(rng)?.chars().take(4).collect::<String>())
            ),
            13 => format!("url_contains:{}", quote(rng.pick(&self.url_bits)?)),
            14 => format!("lang:{}", rng.pick(&self.langs)?),
            15 => rng
                .pick(&[
                    "has:links",
                    "has:mentions",
                    "has:hashtags",
                    "has:media",
                    "has:images",
                    "has:videos",
                    "has:geo",
                    "has:symbols",
                    "has:profile_geo",
                    "has:lang",
                ])?
                .to_string(),
            16 => rng
                .pick(&["is:retweet", "is:reply", "is:quote", "is:verified"])?
                .to_string(),
            17 => format!(
                "followers_count:{}",
                rng.pick(&[0u64, 10, 100, 1000, 100_000])?
            ),
            18 => format!("bio:{}", quote(rng.pick(&self.bio_words)?)),
            19 => format!("place_country:{}", rng.pick(&self.countries)?),
            20 => {
                let (lon, lat) = *rng.pick(&self.points)?;
                format!("point_radius:[{lon:.4} {lat:.4} {}km]", 1 + rng.below(39))
            }
            21 => format!("source:{}", quote(rng.pick(&self.sources)?)),
            22 => format!("retweets_of_status_id:{}", rng.pick(&self.status_ids)?),
            _ => format!("url:{}", quote(rng.pick(&self.url_bits)?)),
        })
    }

    fn pick_word(&self, rng: &mut Rng) -> Option<String> {
        let w = rng.pick(&self.words)?;
        // Words with characters that need quoting are written as phrases.
        if w.chars().all(char::is_alphanumeric) {
            Some(w.clone())
        } else {
            Some(quote(w))
        }
    }

    /// A random rule: a conjunction of 1–3 clauses (some negated), or an OR of 2–3 groups.
    pub(crate) fn rule(&self, rng: &mut Rng) -> Option<String> {
        let conj = |rng: &mut Rng| -> Option<String> {
            let n = 1 + rng.below(3);
            let mut items = vec![self.clause(rng)?];
            for _ in 1..n {
                let c = self.clause(rng)?;
                items.push(if rng.below(3) == 0 {
                    format!("-{c}")
                } else {
                    c
                });
            }
            Some(items.join(" "))
        };
        let rule = match rng.below(4) {
            0 => format!("({}) OR ({})", conj(rng)?, conj(rng)?),
            1 => format!(
                "{} -({} OR {})",
                self.clause(rng)?,
                self.clause(rng)?,
                self.clause(rng)?
            ),
            2 => format!(
                "({} OR {}) sample:{}",
                self.clause(rng)?,
                self.clause(rng)?,
                1 + rng.below(100)
            ),
            _ => conj(rng)?,
        };
        Some(rule)
    }
}

/// The operator family of a clause, for coverage accounting.
fn family(kind: &ClauseKind) -> String {
    match kind.operator() {
        Some(op) => op.name().to_string(),
        None => format!("{kind:?}")
            .split('(')
            .next()
            .unwrap_or("?")
            .to_lowercase(),
    }
}

pub(crate) fn families(rule: &Rule) -> Vec<String> {
    let mut out: Vec<String> = rule
        .expr()
        .clauses()
        .into_iter()
        .map(|(c, _)| family(&c.kind))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn lines_of(rel: &str, test: &str) -> Option<Vec<Vec<u8>>> {
    let path = corpus_file(test, rel)?;
    let bytes = std::fs::read(path).ok()?;
    Some(
        bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect(),
    )
}

/// Builds ~`n` valid rules from the pool; returns (rule set, parsed rules with ids).
pub(crate) fn build(pool: &Pool, n: usize, seed: u64) -> (RuleSet, Vec<(u64, Rule)>) {
    let mut rng = Rng::new(seed);
    let mut b = RuleSetBuilder::new();
    let mut rules = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut attempts = 0;
    while rules.len() < n && attempts < n * 20 {
        attempts += 1;
        let Some(text) = pool.rule(&mut rng) else {
            continue;
        };
        if !seen.insert(text.clone()) {
            continue;
        }
        if let Ok(rule) = Rule::parse(&text) {
            let id = rules.len() as u64 + 1;
            b.add(id, None, rule.clone());
            rules.push((id, rule));
        }
    }
    (b.build().expect("valid rules"), rules)
}

struct Outcome {
    posts: usize,
    matches: usize,
    disagreements: Vec<String>,
    true_match: BTreeMap<String, usize>,
    rejected: BTreeMap<String, usize>,
}

fn differential(set: &RuleSet, rules: &[(u64, Rule)], lines: &[Vec<u8>]) -> Outcome {
    let book = reference::RuleBook::new(rules.iter().cloned());
    let mut scratch = Scratch::new();
    let mut matches = Matches::new();
    let mut parser = Parser::new();
    let mut out = Outcome {
        posts: 0,
        matches: 0,
        disagreements: Vec::new(),
        true_match: BTreeMap::new(),
        rejected: BTreeMap::new(),
    };
    for line in lines {
        let Ok(Line::Post(post)) = parser.parse(line) else {
            continue;
        };
        out.posts += 1;
        let want = book.matching_ids(&post);
        set.match_post(&post, &mut scratch, &mut matches);
        let got: Vec<u64> = matches.ids().collect();
        if got != want && out.disagreements.len() < 20 {
            let missing: Vec<String> = want
                .iter()
                .filter(|i| !got.contains(i))
                .map(|i| rules[*i as usize - 1].1.to_string())
                .collect();
            let extra: Vec<String> = got
                .iter()
                .filter(|i| !want.contains(i))
                .map(|i| rules[*i as usize - 1].1.to_string())
                .collect();
            out.disagreements.push(format!(
                "post {}: missing {missing:?} extra {extra:?}",
                post.id()
            ));
        }
        out.matches += want.len();
        for id in &want {
            for f in families(&rules[*id as usize - 1].1) {
                *out.true_match.entry(f).or_default() += 1;
            }
        }
        for id in set.last_candidates(&scratch) {
            if !want.contains(&id) {
                for f in families(&rules[id as usize - 1].1) {
                    *out.rejected.entry(f).or_default() += 1;
                }
            }
        }
    }
    out
}

fn corpus_lines(test: &str) -> Option<Vec<Vec<u8>>> {
    let mut lines = lines_of("combined/all_v11_native.ndjson", test)?;
    lines.extend(lines_of(
        "twarc-csv-v2/twarc-csv_v2_stream_like.ndjson",
        test,
    )?);
    lines.extend(lines_of(
        "twitterdev-tweet_parser/activity_streams_examples.json",
        test,
    )?);
    Some(lines)
}

fn pool_of(lines: &[Vec<u8>]) -> Pool {
    let mut parser = Parser::new();
    let mut pool = Pool::default();
    for line in lines {
        if let Ok(Line::Post(post)) = parser.parse(line) {
            pool.harvest(&post);
        }
    }
    pool
}

#[test]
fn generated_rules_agree_with_the_reference_on_the_corpus() {
    let Some(lines) = corpus_lines("generated_rules_agree_with_the_reference_on_the_corpus") else {
        return;
    };
    let pool = pool_of(&lines);
    let (set, rules) = build(&pool, 2_500, 7);
    assert!(rules.len() >= 2_000, "only {} rules", rules.len());
    let out = differential(&set, &rules, &lines);
    assert!(
        out.disagreements.is_empty(),
        "{} disagreements, first: {:#?}",
        out.disagreements.len(),
        out.disagreements
    );
    assert!(
        out.posts > 4_000 && out.matches > out.posts,
        "{} posts, {} matches",
        out.posts,
        out.matches
    );
    // Coverage: every family of the generator has a true match and a rejected candidate.
    let want = [
        "keyword",
        "phrase",
        "proximity",
        "hashtag",
        "mention",
        "cashtag",
        "from",
        "contains",
        "url_contains",
        "lang",
        "has",
        "is",
        "followers_count",
        "bio",
        "place_country",
        "point_radius",
        "source",
        "retweets_of_status_id",
        "url",
        "sample",
    ];
    for f in want {
        assert!(
            out.true_match.get(f).copied().unwrap_or(0) > 0,
            "no true match for {f}: {:?}",
            out.true_match
        );
        assert!(
            out.rejected.get(f).copied().unwrap_or(0) > 0,
            "no rejected candidate for {f}: {:?}",
            out.rejected
        );
    }
}

/// The matcher computes only what a rule set reads. The rules of one family (each family
/// one rule set, so its reads are that family's alone) must still agree with the
/// reference on the whole corpus: a field a family needs that the extraction skipped would
/// show here as a missing match, not hidden by other rules reading it.
#[test]
fn rule_sets_of_one_family_agree_with_the_reference_on_the_corpus() {
    let Some(lines) =
        corpus_lines("rule_sets_of_one_family_agree_with_the_reference_on_the_corpus")
    else {
        return;
    };
    let pool = pool_of(&lines);
    let (_, rules) = build(&pool, 2_500, 7);
    let mut groups: BTreeMap<Vec<String>, Vec<(u64, Rule)>> = BTreeMap::new();
    // Rules of one family each (the rules that combine families are checked as one set above).
    for (_, rule) in &rules {
        let families = families(rule);
        if families.len() != 1 {
            continue;
        }
        let group = groups.entry(families).or_default();
        group.push((group.len() as u64 + 1, rule.clone()));
    }
    // One rule set and reference book per group; each post parsed once for all of them.
    let sets: Vec<_> = groups
        .iter()
        .map(|(families, group)| {
            let book = reference::RuleBook::new(group.iter().cloned());
            (families, rule_set(group), book, group)
        })
        .collect();
    let (mut scratch, mut matches, mut parser) = (Scratch::new(), Matches::new(), Parser::new());
    let mut matched_families = std::collections::BTreeSet::new();
    let mut disagreements = Vec::new();
    for line in &lines {
        let Ok(Line::Post(post)) = parser.parse(line) else {
            continue;
        };
        for (families, set, book, group) in &sets {
            let want = book.matching_ids(&post);
            set.match_post(&post, &mut scratch, &mut matches);
            let got: Vec<u64> = matches.ids().collect();
            if got != want && disagreements.len() < 20 {
                let name = |i: &u64| group[*i as usize - 1].1.to_string();
                disagreements.push(format!(
                    "{families:?}, post {}: want {:?} got {:?}",
                    post.id(),
                    want.iter().map(name).collect::<Vec<_>>(),
                    got.iter().map(name).collect::<Vec<_>>()
                ));
            }
            if !want.is_empty() && families.len() == 1 {
                matched_families.insert(families[0].clone());
            }
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    // Single-family sets with true matches, so each of these fields was read alone.
    for f in [
        "keyword",
        "phrase",
        "hashtag",
        "mention",
        "from",
        "contains",
        "url_contains",
        "lang",
        "bio",
        "url",
    ] {
        assert!(matched_families.contains(f), "{f}: {matched_families:?}");
    }
}

#[test]
fn a_dropped_candidate_is_caught() {
    let Some(lines) = corpus_lines("a_dropped_candidate_is_caught") else {
        return;
    };
    let pool = pool_of(&lines);
    let (set, rules) = build(&pool, 500, 11);
    // Find a rule that matches something, then make the matcher drop it as a candidate.
    let victim = {
        let mut scratch = Scratch::new();
        let mut m = Matches::new();
        lines.iter().find_map(|l| {
            set.match_line(l, &mut scratch, &mut m).ok()?;
            m.ids().next()
        })
    }
    .expect("some rule matches");
    let faulty = set.clone().with_dropped_candidate_for_tests(victim);
    let out = differential(&faulty, &rules, &lines);
    assert!(
        !out.disagreements.is_empty(),
        "dropping rule {victim} went unnoticed"
    );
}

fn builtin_lines() -> Vec<Vec<u8>> {
    let doc: serde_json::Value = serde_json::from_str(include_str!("data/matching.json")).unwrap();
    let mut out = Vec::new();
    for case in doc["cases"].as_array().unwrap() {
        for v in case["match"]
            .as_array()
            .unwrap()
            .iter()
            .chain(case["no_match"].as_array().unwrap())
        {
            if v.is_object() {
                out.push(v.to_string().into_bytes());
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random rule sets whose terms are drawn from the posts' own tokens: compiled = reference,
    /// single- and multi-segment.
    #[test]
    fn random_rules_from_post_tokens_agree(seed in any::<u64>()) {
        let lines = builtin_lines();
        let pool = pool_of(&lines);
        let (set, rules) = build(&pool, 60, seed);
        let out = differential(&set, &rules, &lines);
        prop_assert!(out.disagreements.is_empty(), "{:#?}", out.disagreements);
    }
}

#[test]
fn multi_threaded_matching_is_identical() {
    let lines = match corpus_lines("multi_threaded_matching_is_identical") {
        Some(l) => l,
        None => builtin_lines(),
    };
    let pool = pool_of(&lines);
    let (set, _) = build(&pool, 1_000, 3);
    let run = |chunk: &[Vec<u8>]| -> Vec<Vec<u64>> {
        let mut scratch = Scratch::new();
        let mut m = Matches::new();
        chunk
            .iter()
            .map(|l| match set.match_line(l, &mut scratch, &mut m) {
                Ok(_) => m.ids().collect(),
                Err(_) => Vec::new(),
            })
            .collect()
    };
    let single = run(&lines);
    let parallel: Vec<Vec<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = lines
            .chunks(lines.len().div_ceil(4))
            .map(|c| s.spawn(move || run(c)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(single, parallel);
}

fn generated_set(n: usize) -> (RuleSet, Vec<(u64, Rule)>) {
    generated_set_of(Profile::Dense.config(), n)
}

fn generated_set_of(config: Config, n: usize) -> (RuleSet, Vec<(u64, Rule)>) {
    let mut b = RuleSetBuilder::new();
    let mut rules = Vec::new();
    let generator = RuleSetGenerator::new(1).with_config(config);
    for g in generator.count(n) {
        let (id, tag, value) = g.into_parts();
        let rule = Rule::parse(&value).expect("generated rules are valid");
        b.add(id, tag.as_deref(), rule.clone());
        rules.push((id, rule));
    }
    (b.build().expect("unique ids"), rules)
}

#[test]
fn the_rule_generator_agrees_with_the_reference_on_the_corpus() {
    let Some(lines) = corpus_lines("the_rule_generator_agrees_with_the_reference_on_the_corpus")
    else {
        return;
    };
    agree_on_the_corpus("dense", Profile::Dense.config(), 2_000, &lines);
}

#[test]
fn the_accounts_profile_agrees_with_the_reference_on_the_corpus() {
    let Some(lines) = corpus_lines("the_accounts_profile_agrees_with_the_reference_on_the_corpus")
    else {
        return;
    };
    // The profile's shapes with more of its rules live: at 4,000 rules the profile itself
    // matches a few dozen times on the corpus, too few to test much.
    let config = Config {
        live: 0.1,
        ..Profile::Accounts.config()
    };
    agree_on_the_corpus("accounts", config, 4_000, &lines);
}

fn agree_on_the_corpus(profile: &str, config: Config, n: usize, lines: &[Vec<u8>]) {
    let (set, rules) = generated_set_of(config, n);
    let book = reference::RuleBook::new(rules.iter().cloned());
    let (mut scratch, mut matches, mut parser) = (Scratch::new(), Matches::new(), Parser::new());
    let mut total = 0;
    for line in lines {
        let Ok(Line::Post(post)) = parser.parse(line) else {
            continue;
        };
        set.match_post(&post, &mut scratch, &mut matches);
        let want = book.matching_ids(&post);
        total += want.len();
        assert_eq!(
            matches.ids().collect::<Vec<_>>(),
            want,
            "{profile} profile, post {}",
            post.id()
        );
    }
    assert!(total > 100, "{profile}: only {total} matches, a weak test");
}

/// Matches `lines` from bytes: the posts, the mean matching rules per post, and how many posts
/// each rule that matched anything matched.
fn match_counts(
    set: &RuleSet,
    lines: &[Vec<u8>],
) -> (usize, f64, std::collections::HashMap<u64, usize>) {
    let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
    let mut hits: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    let (mut posts, mut total) = (0usize, 0usize);
    for line in lines {
        if let Ok(None) = set.match_line(line, &mut scratch, &mut matches) {
            posts += 1;
            total += matches.len();
            for id in matches.ids() {
                *hits.entry(id).or_default() += 1;
            }
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let mean = total as f64 / posts as f64;
    (posts, mean, hits)
}

/// The rule generator's calibration targets (`powertrack_gen::rules`): at 10k generated rules,
/// 0.5–3 matching rules per real post on average, at least 90 % of the rules dormant (matching
/// no post of the corpus), and a few broad rules matching ≥ 1 % of posts.
#[test]
fn the_rule_generator_is_calibrated_on_the_corpus() {
    let Some(lines) = lines_of(
        "combined/all_v11_native.ndjson",
        "the_rule_generator_is_calibrated_on_the_corpus",
    ) else {
        return;
    };
    let (set, rules) = generated_set(10_000);
    let (posts, mean, hits) = match_counts(&set, &lines);
    let live = hits.len();
    let broad = hits.values().filter(|&&n| n * 100 >= posts).count();
    eprintln!("calibration: {mean:.3} matches/post, {live} live rules, {broad} broad rules");
    assert!(
        (0.5..=3.0).contains(&mean),
        "{mean} matching rules per post"
    );
    assert!(
        live * 10 <= rules.len(),
        "{live} of {} rules match something",
        rules.len()
    );
    assert!(
        (1..=50).contains(&broad),
        "{broad} rules match at least 1 % of posts"
    );
}

/// The accounts profile's calibration (`powertrack_gen::rules::Config::accounts`): 0.5–3
/// matching rules per real post at 250,000 rules (measured in release, recorded in
/// benches/record/). The matches come mostly from the few live user lists and topic lists, which
/// grow with the set, so at 25,000 rules the mean is 0.02–0.4; almost every rule is dormant.
#[test]
fn the_accounts_profile_is_calibrated_on_the_corpus() {
    let Some(lines) = lines_of(
        "combined/all_v11_native.ndjson",
        "the_accounts_profile_is_calibrated_on_the_corpus",
    ) else {
        return;
    };
    let (set, rules) = generated_set_of(Profile::Accounts.config(), 25_000);
    let (_, mean, hits) = match_counts(&set, &lines);
    eprintln!(
        "accounts calibration: {mean:.3} matches/post at 25k, {} live rules",
        hits.len()
    );
    assert!(
        (0.02..=0.4).contains(&mean),
        "{mean} matching rules per post at 25k"
    );
    assert!(
        hits.len() * 100 <= rules.len(),
        "{} of {} rules match something",
        hits.len(),
        rules.len()
    );
}

/// A rule set of `(id, rule)` pairs, untagged.
pub(crate) fn rule_set(rules: &[(u64, Rule)]) -> RuleSet {
    let mut b = RuleSetBuilder::new();
    for (id, rule) in rules {
        b.add(*id, None, rule.clone());
    }
    b.build().expect("valid rules")
}
