//! Figures of a stream of posts, and their comparison with the real corpus.
//!
//! [`Stats`] reads NDJSON lines through [`post::Parser`](powertrack::post::Parser) and measures the
//! figures the firehose is calibrated on: line sizes, the kind mix, tokens per post, the Zipf
//! slope of the word frequencies, entities, geo and languages. [`CORPUS`] holds the same
//! figures measured once on the real corpus (`all_v11_native.ndjson`: 3,008 real v1.1 posts, the
//! union of the public test fixtures that `examples/README.md` lists; not distributed with the
//! crate) with this very code:
//!
//! ```text
//! powertrack gen stats all_v11_native.ndjson --raw
//! ```
//!
//! [`check`] compares a stream's figures with their targets under stated tolerances. The
//! targets are the corpus's figures except where the firehose design deliberately departs from
//! the search- and timeline-biased corpus: the kind mix and the language mix follow
//! [`Config`](super::Config)'s defaults (50 % retweets instead of 25 %; en 35 % instead of
//! 74 %), and the line sizes and the shares of posts with a hashtag, mention or URL, which
//! depend on the kind, are the corpus's reweighted to the firehose kind mix (each corpus post
//! weighted by target share / corpus share of its kind, by `firehose/measure.py`).
//!
//! | figures | target | tolerance |
//! |---|---|---|
//! | size p10, p50, p90, mean | corpus reweighted to the kind mix | ±25 % |
//! | kind shares | 25 / 50 / 20 / 5 % | ±3 points |
//! | tokens mean, p50, p90 | corpus | ±30 % |
//! | Zipf slope, ranks 1–1000 | corpus (0.946) | ±0.15 |
//! | hashtags, mentions, URLs per post | corpus | ±35 % |
//! | with hashtag, mention, URL | corpus reweighted to the kind mix | ±6 points |
//! | with media | corpus | ±8 points |
//! | with coordinates, with place | corpus | ±1.2, ±2.5 points |
//! | the six largest languages (en, ja, es, ar, pt, und) | the default mix | ±3 points |
//!
//! ```
//! use powertrack_gen::firehose::FirehoseGenerator;
//! use powertrack_gen::firehose::stats::{Stats, check};
//!
//! let mut out = Vec::new();
//! FirehoseGenerator::new(1).write_to(&mut out, 2000)?;
//! let mut stats = Stats::new();
//! for line in out.split(|&b| b == b'\n') {
//!     stats.add_line(line);
//! }
//! let figures = stats.figures();
//! assert_eq!(figures.posts, 2000);
//! assert!(check(&figures).iter().all(|c| c.ok()));
//! # Ok::<(), std::io::Error>(())
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use powertrack::post::{Kind, Line, Parser};
use powertrack::tokenize::{TokenKind, fold, tokens};

/// The figures of a stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Figures {
    /// Posts read.
    pub posts: u64,
    /// Skipped lines (stream messages, blank lines) and malformed lines.
    pub skipped: u64,
    /// Line size percentiles (bytes): p10, p50, p90, and the mean.
    pub size: [f64; 4],
    /// Shares of originals, retweets, replies and quotes.
    pub kinds: [f64; 4],
    /// Tokens (words, spaceless runs, emoji) of the root text per post: mean, p50, p90.
    pub tokens: [f64; 3],
    /// Zipf slope of the folded word frequencies over ranks 1–1000 (least squares, log-log).
    pub zipf_slope: f64,
    /// Hashtags, mentions and URLs per post (root entities).
    pub per_post: [f64; 3],
    /// Shares of posts with ≥ 1 hashtag, mention, URL, and with media.
    pub with: [f64; 4],
    /// Shares of posts with coordinates and with a place.
    pub geo: [f64; 2],
    /// The language shares, largest first (at most 12).
    pub langs: Cow<'static, [(Cow<'static, str>, f64)]>,
}

/// The real corpus's figures (`all_v11_native.ndjson`, 3,008 posts; see the module
/// documentation), measured with `powertrack gen stats all_v11_native.ndjson --raw`.
pub const CORPUS: Figures = Figures {
    posts: 3008,
    skipped: 0,
    size: [2241.0, 3504.0, 7123.0, 4189.4],
    kinds: [0.515, 0.252, 0.175, 0.059],
    tokens: [20.24, 19.0, 40.0],
    zipf_slope: 0.946,
    per_post: [0.671, 0.880, 0.414],
    with: [0.239, 0.549, 0.388, 0.347],
    geo: [0.0193, 0.0645],
    langs: Cow::Borrowed(&[
        (Cow::Borrowed("en"), 0.738),
        (Cow::Borrowed("ja"), 0.080),
        (Cow::Borrowed("und"), 0.059),
        (Cow::Borrowed("es"), 0.030),
        (Cow::Borrowed("(none)"), 0.015),
        (Cow::Borrowed("pt"), 0.010),
        (Cow::Borrowed("de"), 0.009),
        (Cow::Borrowed("ar"), 0.008),
        (Cow::Borrowed("th"), 0.007),
        (Cow::Borrowed("ca"), 0.005),
        (Cow::Borrowed("zxx"), 0.005),
        (Cow::Borrowed("fr"), 0.005),
    ]),
};

/// Accumulates the figures of a stream, line by line.
#[derive(Debug)]
pub struct Stats {
    parser: Parser,
    sizes: Vec<u32>,
    skipped: u64,
    kinds: [u64; 4],
    tokens: Vec<u32>,
    words: HashMap<String, u32>,
    ents: [u64; 3],
    with: [u64; 4],
    geo: [u64; 2],
    langs: HashMap<String, u64>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats::new()
    }
}

impl Stats {
    /// Empty figures.
    pub fn new() -> Stats {
        Stats {
            parser: Parser::new(),
            sizes: Vec::new(),
            skipped: 0,
            kinds: [0; 4],
            tokens: Vec::new(),
            words: HashMap::new(),
            ents: [0; 3],
            with: [0; 4],
            geo: [0; 2],
            langs: HashMap::new(),
        }
    }

    /// Reads one line (without its newline). Blank lines, stream messages and malformed lines
    /// count as skipped.
    pub fn add_line(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Ok(Line::Post(post)) = self.parser.parse(line) else {
            if !line.is_empty() {
                self.skipped += 1;
            }
            return;
        };
        self.sizes
            .push(u32::try_from(line.len()).unwrap_or(u32::MAX));
        self.kinds[match post.kind() {
            Kind::Original => 0,
            Kind::Retweet => 1,
            Kind::Reply => 2,
            Kind::Quote => 3,
        }] += 1;
        let root = post.root();
        let text = root.text();
        let mut n = 0u32;
        for t in tokens(text) {
            match t.kind {
                TokenKind::Word => {
                    n += 1;
                    let w = fold(t.text(text));
                    match self.words.get_mut(w.as_ref()) {
                        Some(c) => *c += 1,
                        None => {
                            self.words.insert(w.into_owned(), 1);
                        }
                    }
                }
                TokenKind::Spaceless | TokenKind::Emoji => n += 1,
                TokenKind::Punct => {}
            }
        }
        self.tokens.push(n);
        let counts = [
            root.hashtags().len(),
            root.mentions().len(),
            root.urls().len(),
        ];
        for (i, c) in counts.into_iter().enumerate() {
            self.ents[i] += c as u64;
            self.with[i] += u64::from(c > 0);
        }
        self.with[3] += u64::from(post.parts().any(|p| p.media().len() > 0));
        self.geo[0] += u64::from(post.coordinates().is_some());
        self.geo[1] += u64::from(post.place().is_some());
        let lang = post.lang().unwrap_or("(none)");
        match self.langs.get_mut(lang) {
            Some(c) => *c += 1,
            None => {
                self.langs.insert(lang.to_owned(), 1);
            }
        }
    }

    /// The figures so far.
    #[allow(clippy::cast_precision_loss)]
    pub fn figures(&self) -> Figures {
        let n = self.sizes.len() as u64;
        let nf = n.max(1) as f64;
        let mut sizes = self.sizes.clone();
        sizes.sort_unstable();
        let mut toks = self.tokens.clone();
        toks.sort_unstable();
        let mean = |v: &[u32]| v.iter().map(|&x| f64::from(x)).sum::<f64>() / nf;
        let mut langs: Vec<(Cow<'static, str>, f64)> = self
            .langs
            .iter()
            .map(|(l, &c)| (Cow::Owned(l.clone()), c as f64 / nf))
            .collect();
        langs.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        langs.truncate(12);
        Figures {
            posts: n,
            skipped: self.skipped,
            size: [
                pct(&sizes, 0.1),
                pct(&sizes, 0.5),
                pct(&sizes, 0.9),
                mean(&sizes),
            ],
            kinds: self.kinds.map(|k| k as f64 / nf),
            tokens: [mean(&toks), pct(&toks, 0.5), pct(&toks, 0.9)],
            zipf_slope: zipf_slope(&self.words),
            per_post: self.ents.map(|e| e as f64 / nf),
            with: self.with.map(|e| e as f64 / nf),
            geo: self.geo.map(|e| e as f64 / nf),
            langs: Cow::Owned(langs),
        }
    }
}

#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
fn pct(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)])
}

/// The least-squares slope of ln(frequency) over ln(rank), ranks 1–1000, negated.
#[allow(clippy::cast_precision_loss)]
fn zipf_slope(words: &HashMap<String, u32>) -> f64 {
    let mut f: Vec<u32> = words.values().copied().collect();
    f.sort_unstable_by(|a, b| b.cmp(a));
    f.truncate(1000);
    if f.len() < 3 {
        return 0.0;
    }
    let pts: Vec<(f64, f64)> = f
        .iter()
        .enumerate()
        .map(|(r, &c)| (((r + 1) as f64).ln(), f64::from(c).ln()))
        .collect();
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    -sxy / sxx
}

/// One figure compared with its target.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// What is measured.
    pub name: String,
    /// The real corpus's figure.
    pub corpus: f64,
    /// The target the stream is held to: the corpus's figure, or the firehose design's value
    /// where it departs from the corpus on purpose (kinds, languages, sizes; see the module
    /// docs).
    pub target: f64,
    /// The stream's figure.
    pub value: f64,
    /// The largest accepted `|value − target|`.
    pub tolerance: f64,
}

impl Check {
    /// Whether the figure is within tolerance of its target.
    pub fn ok(&self) -> bool {
        (self.value - self.target).abs() <= self.tolerance
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<24} {:>10.3} {:>10.3} {:>10.3} {:>9.3}  {}",
            self.name,
            self.corpus,
            self.target,
            self.value,
            self.tolerance,
            if self.ok() { "ok" } else { "OUT" }
        )
    }
}

/// The default kind mix of the generator, as shares.
const FIREHOSE_KINDS: [f64; 4] = [0.25, 0.50, 0.20, 0.05];

/// The corpus's line sizes (p10, p50, p90, mean) reweighted to the firehose kind mix
/// (`python3 crates/powertrack-gen/src/firehose/measure.py …/all_v11_native.ndjson`): a
/// retweet embeds a whole second post, and the firehose has twice the corpus's share of
/// retweets.
const FIREHOSE_SIZE: [f64; 4] = [2429.0, 5015.0, 7861.0, 5026.0];

/// The corpus's shares of posts with ≥ 1 hashtag, mention, URL, reweighted to the firehose kind
/// mix by the same script (every retweet and reply carries a mention).
const FIREHOSE_WITH: [f64; 3] = [0.258, 0.746, 0.308];

/// Compares `f` with its targets (see [`Check`]); the tolerances are stated in each check.
pub fn check(f: &Figures) -> Vec<Check> {
    let c = &CORPUS;
    let mut out = Vec::new();
    let mut push = |name: &str, corpus: f64, target: f64, value: f64, tolerance: f64| {
        out.push(Check {
            name: name.to_owned(),
            corpus,
            target,
            value,
            tolerance,
        });
    };
    for (i, name) in [
        "size p10 (bytes)",
        "size p50 (bytes)",
        "size p90 (bytes)",
        "size mean (bytes)",
    ]
    .into_iter()
    .enumerate()
    {
        let t = FIREHOSE_SIZE[i];
        push(name, c.size[i], t, f.size[i], t * 0.25);
    }
    for (i, name) in ["original", "retweet", "reply", "quote"]
        .into_iter()
        .enumerate()
    {
        push(
            &format!("kind {name}"),
            c.kinds[i],
            FIREHOSE_KINDS[i],
            f.kinds[i],
            0.03,
        );
    }
    for (i, name) in ["tokens mean", "tokens p50", "tokens p90"]
        .into_iter()
        .enumerate()
    {
        push(
            name,
            c.tokens[i],
            c.tokens[i],
            f.tokens[i],
            c.tokens[i] * 0.3,
        );
    }
    push(
        "zipf slope 1-1000",
        c.zipf_slope,
        c.zipf_slope,
        f.zipf_slope,
        0.15,
    );
    for (i, name) in ["hashtags/post", "mentions/post", "urls/post"]
        .into_iter()
        .enumerate()
    {
        push(
            name,
            c.per_post[i],
            c.per_post[i],
            f.per_post[i],
            c.per_post[i] * 0.35,
        );
    }
    for (i, name) in ["with hashtag", "with mention", "with url"]
        .into_iter()
        .enumerate()
    {
        push(name, c.with[i], FIREHOSE_WITH[i], f.with[i], 0.06);
    }
    push("with media", c.with[3], c.with[3], f.with[3], 0.08);
    push("with coordinates", c.geo[0], c.geo[0], f.geo[0], 0.012);
    push("with place", c.geo[1], c.geo[1], f.geo[1], 0.025);
    let share = |l: &Figures, code: &str| {
        l.langs
            .iter()
            .find(|(k, _)| k == code)
            .map_or(0.0, |(_, s)| *s)
    };
    for &(code, w) in &super::model::DEFAULT_LANGS[..6] {
        push(
            &format!("lang {code}"),
            share(c, code),
            f64::from(w) / 100.0,
            share(f, code),
            0.03,
        );
    }
    out
}

/// The check table as text: one line per figure, with a header.
pub fn report(f: &Figures) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} posts, {} skipped lines\n{:<24} {:>10} {:>10} {:>10} {:>9}",
        f.posts, f.skipped, "figure", "corpus", "target", "stream", "tolerance"
    );
    for c in check(f) {
        let _ = writeln!(s, "{c}");
    }
    s
}

/// The raw figures as text (what [`CORPUS`] was measured with).
pub fn raw(f: &Figures) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "posts {} skipped {}", f.posts, f.skipped);
    let _ = writeln!(s, "size p10/p50/p90/mean {:?}", f.size);
    let _ = writeln!(s, "kinds original/retweet/reply/quote {:?}", f.kinds);
    let _ = writeln!(s, "tokens mean/p50/p90 {:?}", f.tokens);
    let _ = writeln!(s, "zipf slope {:.3}", f.zipf_slope);
    let _ = writeln!(s, "per post hashtags/mentions/urls {:?}", f.per_post);
    let _ = writeln!(s, "with hashtag/mention/url/media {:?}", f.with);
    let _ = writeln!(s, "geo coordinates/place {:?}", f.geo);
    let _ = write!(s, "langs");
    for (l, share) in f.langs.iter() {
        let _ = write!(s, " {l}:{share:.3}");
    }
    s.push('\n');
    s
}
