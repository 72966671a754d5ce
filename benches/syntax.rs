//! Parsing and validating rules: a deterministic synthetic rule set (100,000 rules in full mode)
//! built from the example rules of grammar/examples.txt and a corpus-like vocabulary. Reports
//! rules/s and MB/s of rule text; the aim is ≥ 50 MB/s on one core.
//!
//! The build machine is shared (2 cores, often a load of 8), so besides criterion's wall-clock
//! figure (`parse_validate`) the bench reports `parse_validate_on_cpu`: the same work timed by the
//! process's on-CPU time from `/proc/self/schedstat` (nanoseconds; falls back to wall time where
//! that file is absent), which is what one uncontended core would take.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use powertrack::syntax::Rule;

mod common;

/// Valid example rules of PowerTrack's documentation (the `example N` entries of
/// `grammar/examples.txt`), used verbatim for a tenth of the set.
const SPEC_RULES: &[&str] = &[
    "(social OR data) (academic OR research) -personality -information -university",
    "\"social media research\"~3",
    "(social OR data) (academic OR research OR \"social media research\") point_radius:[-105.27346517 40.01924738 10.0mi] lang:en -personality -information -university",
    "(🍕 OR 💜 OR 🐢) -🤖",
    "(\"social media\" OR \"developer.x.com\" OR \"wildfire911\" OR \"coca-cola\") -\"planet earth\"",
    "(contains:social OR contains:\"wikipedia.com\") -contains:\"buy now\"",
    "(from:2244994945 OR from:api OR from:twittereng) -from:jack",
    "($TWTR OR $TSLA OR $BRK.A) -$F",
    "#happybirthday source:\"X for iPhone\"",
    "bounding_box:[-105.301758 39.964069 -105.178505 40.09455]",
    "(#snow OR snowday OR \"snow day\" OR from:noaa) lang:en",
    "-lang:und (snow OR neige OR neve OR nieve OR snö OR снег)",
    "#nowplaying (happy OR exciting OR excited OR favorite OR fav OR amazing OR lovely OR incredible) (place_country:US OR place_country:MX OR place_country:CA) -horrible -worst -sucks -bad -disappointing",
    "(gnip OR from:688583 OR @gnip OR datasift) (\"powertrack -operators\" OR (-\"streaming code\"~4 foo OR bar)) -contains:help has:links url_contains:github",
];

/// Words as they occur in posts of the corpus: several languages and scripts.
const WORDS: &[&str] = &[
    "snow",
    "rain",
    "weather",
    "storm",
    "news",
    "music",
    "love",
    "game",
    "football",
    "election",
    "vote",
    "market",
    "crypto",
    "bitcoin",
    "coffee",
    "pizza",
    "travel",
    "photo",
    "video",
    "live",
    "breaking",
    "update",
    "today",
    "tonight",
    "happy",
    "birthday",
    "nieve",
    "lluvia",
    "fútbol",
    "música",
    "amor",
    "noticias",
    "neige",
    "pluie",
    "musique",
    "schnee",
    "regen",
    "nachrichten",
    "снег",
    "новости",
    "東京",
    "地震",
    "ニュース",
    "サッカー",
    "뉴스",
    "날씨",
    "बारिश",
    "خبر",
    "coca-cola",
    "covid19",
    "2024",
    "iphone",
    "android",
    "wildfire",
    "earthquake",
    "flood",
];

const USERS: &[&str] = &[
    "XDevelopers",
    "noaa",
    "jack",
    "api",
    "NWSHouston",
    "2244994945",
    "OnTheSnow",
];
const LANGS: &[&str] = &[
    "en", "es", "fr", "de", "ja", "ko", "ru", "pt", "ar", "und", "zh-CN",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

fn clause(r: &mut Rng) -> String {
    let w = r.pick(WORDS);
    match r.below(16) {
        0..=5 => w.to_string(),
        6 => format!("\"{w} {}\"", r.pick(WORDS)),
        7 => format!("\"{w} {}\"~{}", r.pick(WORDS), 1 + r.below(6)),
        8 => format!("#{}", w.replace('-', "")),
        9 => format!("@{}", r.pick(USERS)),
        10 => format!("from:{}", r.pick(USERS)),
        11 => format!("contains:{}", w.replace('-', "")),
        12 => format!("url_contains:\"{w}.com\""),
        13 => format!(
            "followers_count:{}..{}",
            r.below(1000),
            1000 + r.below(100_000)
        ),
        14 => format!("bio:\"{w}\""),
        _ => format!(
            "place_country:{}",
            ["US", "GB", "FR", "JP", "BR"][r.below(5)]
        ),
    }
}

fn synthetic_rule(r: &mut Rng) -> String {
    if r.below(10) == 0 {
        return r.pick(SPEC_RULES).to_string();
    }
    let mut parts = Vec::new();
    for _ in 0..=r.below(3) {
        let n = 1 + r.below(5);
        if n == 1 {
            parts.push(clause(r));
        } else {
            let ors: Vec<String> = (0..n).map(|_| clause(r)).collect();
            parts.push(format!("({})", ors.join(" OR ")));
        }
    }
    for _ in 0..r.below(3) {
        parts.push(format!("-{}", r.pick(WORDS)));
    }
    match r.below(6) {
        0 => parts.push(format!("lang:{}", r.pick(LANGS))),
        1 => {
            parts.push(["has:links", "has:media", "-is:retweet", "is:verified"][r.below(4)].into());
        }
        2 => parts.push(format!(
            "point_radius:[-{}.{:04} {}.{:04} {}km]",
            r.below(180),
            r.below(10_000),
            r.below(90),
            r.below(10_000),
            1 + r.below(30)
        )),
        _ => {}
    }
    parts.join(" ")
}

fn rule_set(n: usize) -> Vec<String> {
    let mut r = Rng(0x5EED_2026_0000_0001);
    (0..n).map(|_| synthetic_rule(&mut r)).collect()
}

/// Nanoseconds this process has run on a CPU (Linux schedstat), if available.
fn on_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn parse_all(rules: &[String]) -> usize {
    let mut ok = 0usize;
    for r in rules {
        ok += usize::from(Rule::parse(black_box(r)).is_ok());
    }
    ok
}

fn bench(c: &mut Criterion) {
    let n = if common::quick_mode() { 1_000 } else { 100_000 };
    let rules = rule_set(n);
    let bytes: usize = rules.iter().map(String::len).sum();
    // Every generated rule is valid: the bench measures the accepting path.
    assert!(
        rules.iter().all(|r| Rule::parse(r).is_ok()),
        "{:?}",
        rules.iter().find(|r| Rule::parse(r).is_err())
    );
    common::record_workload(
        "syntax",
        &common::Workload {
            rules: 0,
            posts: n,
            bytes,
            matches_per_post: None,
            note: format!(
                "{n} synthetic rules (benches/syntax.rs rule_set, xorshift seed 0x5EED202600000001; 10% grammar/examples.txt examples), {bytes} bytes; posts = rules parsed"
            ),
        },
    );
    let mut g = c.benchmark_group("syntax");
    g.throughput(Throughput::ElementsAndBytes {
        elements: n as u64,
        bytes: bytes as u64,
    });
    g.sample_size(10);
    g.bench_function("parse_validate", |b| b.iter(|| parse_all(&rules)));
    g.bench_function("parse_validate_on_cpu", |b| {
        b.iter_custom(|iters| {
            let (wall, cpu) = (Instant::now(), on_cpu_ns());
            for _ in 0..iters {
                black_box(parse_all(&rules));
            }
            match (cpu, on_cpu_ns()) {
                (Some(start), Some(end)) if end > start => Duration::from_nanos(end - start),
                _ => wall.elapsed(),
            }
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
