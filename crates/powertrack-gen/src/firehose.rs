//! Seeded synthetic firehose: an unbounded, deterministic NDJSON stream of realistic posts.
//!
//! The real corpus (3,008 v1.1 posts, 12.6 MB) is too small for GB-scale runs and, replayed in
//! a loop, stays in the CPU caches. This generator writes posts whose field layout, size, entity
//! density, kind and language mix and term statistics resemble the firehose's, held to stated
//! targets by [`stats`]:
//!
//! * **Skeletons.** Posts are written in the field layouts of real tweets (three bundled
//!   shapes: the streaming *compat* shape with `extended_tweet` above 140 code points, the REST
//!   *extended* shape with `full_text`, and the 2014 search shape with `metadata`), with the
//!   full `user` object, `entities`/`extended_entities`, `place` and coordinates; only the
//!   content varies. Sizes therefore resemble the real corpus (see [`stats`]).
//! * **Kinds.** Retweets embed a generated original (`RT @x: ` + its text cut at 140 code
//!   points, the full text only in `retweeted_status`), quotes embed `quoted_status`, replies
//!   open with their mentions. The default mix estimates the firehose, where retweets outnumber
//!   original posts (the search- and timeline-biased corpus has only 25 % retweets): 50 %
//!   retweets, 20 % replies, 5 % quotes, 25 % originals.
//! * **Text.** A per-language Zipf(1) vocabulary of 2^20 ≈ 10^6 types: the language's real words
//!   from the corpus (`src/compile/freq/words.tsv`, the list the [rule generator](super::rules)
//!   draws from) after a few stop words, filler words up to rank 4,096 for languages the corpus has
//!   few words of, then the long tail: the rule generator's pseudo-words from index 2^16 on, at
//!   rank 4,096 + (index − 2^16). Rules and posts thus share one vocabulary model: the rule
//!   generator's 65,536 most popular dormant terms never occur in posts, its other ones at the Zipf
//!   rate of their rank (10^4 generated rules match about 3.5 per post, 92 % of the rules fewer
//!   than 0.01 % of the posts). Screen names are built as the rule generator builds handles.
//!   Seventeen languages (en, ja, es, ar, pt, und, ko, th, in, tr, fr, ru, de, zh, hi, it, tl);
//!   Japanese, Chinese and Thai are written without spaces. Emoji come from the corpus and a list
//!   of ZWJ and variation-selector sequences.
//! * **Entities.** Hashtags, mentions, cashtags, URLs (`t.co` with `expanded_url`) and media,
//!   with `indices` in code points (as v1.1 and v2 count them: the corpus's hashtags slice
//!   their texts by code point, not by UTF-16 unit) that always slice the text.
//! * **Bursts.** Every ten minutes of stream time one trending hashtag rises to
//!   [`Config::burst_peak`] of the posts and falls back within a minute.
//! * **Noise.** With [`FirehoseGenerator::noise`], `delete` and `limit` messages and
//!   keep-alive blank lines are mixed in at [`Config::noise_rate`].
//! * **Planted matches.** [`FirehoseGenerator::plant`] takes a rule set and makes a share of
//!   the posts match chosen rules; each is checked with the [reference
//!   evaluator](powertrack::reference) before it is written, and [`Emitted::planted`] names the
//!   rules (the ground truth a sidecar records).
//!
//! Ids are snowflakes of a stream clock (about 6,000 posts per second), unique and increasing.
//! The same posts can be rendered as v1.1 native ([`Format::Native`], the default), Activity
//! Streams or API v2: the content drawn for a seed does not depend on the format. Output is a
//! pure function of the seed and the configuration, written into reused buffers.
//!
//! # Example
//!
//! ```
//! use powertrack_gen::firehose::{FirehoseGenerator, Format};
//! use powertrack::post::{Line, Parser};
//!
//! let mut out = Vec::new();
//! FirehoseGenerator::new(7).write_to(&mut out, 100)?;
//! let mut again = Vec::new();
//! FirehoseGenerator::new(7).write_to(&mut again, 100)?;
//! assert_eq!(out, again); // one seed, one stream
//!
//! let mut parser = Parser::new();
//! for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
//!     let Line::Post(post) = parser.parse(line)? else { unreachable!() };
//!     assert_eq!(post.format(), powertrack::post::Format::Native);
//! }
//!
//! // The same posts in API v2.
//! let mut v2 = FirehoseGenerator::new(7).format(Format::V2);
//! let first = v2.next_line();
//! assert!(first.line().starts_with(br#"{"data":"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Casts: code-point offsets, arena offsets and ranks are bounded (texts are < 1 KB, ranks
// < 2^20, table indices < their table's length); dates, boxes and coordinates read best with
// their conventional one-letter names.
#![allow(clippy::cast_possible_truncation, clippy::many_single_char_names)]

mod model;
mod plant;
mod render;
pub mod stats;

use std::io::{self, Write};

use super::rng::Rng;
use model::{EntKind, Layout, Model, Reply, Tw, ZWJ_EMOJI, cp_byte, cp_count, push_num};
pub use plant::PlantError;

/// The output format of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// Twitter API v1.1 native (compat streaming shape by default).
    #[default]
    Native,
    /// Gnip Activity Streams.
    ActivityStreams,
    /// Twitter API v2 (`{"data":…,"includes":…}` per post).
    V2,
}

impl Format {
    /// The name used on the command line: `native`, `as`, `v2`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::ActivityStreams => "as",
            Format::V2 => "v2",
        }
    }

    /// The format of a command-line name (`native`/`v11`, `as`/`activity-streams`, `v2`).
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "native" | "v11" | "v1.1" => Some(Format::Native),
            "as" | "activity-streams" | "activitystreams" => Some(Format::ActivityStreams),
            "v2" => Some(Format::V2),
            _ => None,
        }
    }
}

/// Relative weights of the post kinds (any scale).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindMix {
    /// Original posts. Default 25.
    pub original: u32,
    /// Retweets. Default 50.
    pub retweet: u32,
    /// Replies. Default 20.
    pub reply: u32,
    /// Quotes. Default 5.
    pub quote: u32,
}

impl Default for KindMix {
    fn default() -> Self {
        KindMix {
            original: 25,
            retweet: 50,
            reply: 20,
            quote: 5,
        }
    }
}

/// The knobs of the generator; the defaults are the firehose estimates of the [module
/// docs](self), and [`stats::check`] holds a stream to them.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Shares of the post kinds.
    pub kinds: KindMix,
    /// Post languages and their weights (codes from the rule language's `lang:` list). Default:
    /// en 35, ja 15, es 10, ar 7, pt 6, und 6, ko 4, th 3, in 3, tr 2, fr 2, ru 2, and 1 each for
    /// de, zh, hi, it, tl.
    pub languages: Vec<(&'static str, u32)>,
    /// Mean posts per second of stream time (ids and timestamps follow it). Default 6,000.
    pub posts_per_second: u32,
    /// Stream noise lines per post when noise is on. Default 0.005.
    pub noise_rate: f64,
    /// Peak share of the posts carrying the trending hashtag of a burst. Default 0.05.
    pub burst_peak: f64,
    /// Seconds of stream time between the starts of two bursts. Default 600.
    pub burst_every_secs: u32,
    /// Seconds a burst lasts (its rate rises linearly to the peak and falls back). Default 60.
    pub burst_secs: u32,
    /// Share of posts made to match a planted rule, when rules are planted. Default 0.01.
    pub plant_rate: f64,
    /// Stream start, Unix milliseconds. Default 2023-03-01T00:00:00Z.
    pub start_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            kinds: KindMix::default(),
            languages: model::DEFAULT_LANGS.to_vec(),
            posts_per_second: 6_000,
            noise_rate: 0.005,
            burst_peak: 0.05,
            burst_every_secs: 600,
            burst_secs: 60,
            plant_rate: 0.01,
            start_ms: 1_677_628_800_000,
        }
    }
}

/// What one emitted line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// A post with this id.
    Post(u64),
    /// A stream message (`delete`, `limit`) or a keep-alive blank line.
    Noise,
}

/// One line of the stream, borrowed from the generator's buffer until the next call.
#[derive(Debug)]
pub struct Emitted<'g> {
    line: &'g [u8],
    kind: LineKind,
    planted: &'g [u64],
}

impl<'g> Emitted<'g> {
    /// The line's bytes, without the newline.
    pub fn line(&self) -> &'g [u8] {
        self.line
    }

    /// Whether it is a post or noise.
    pub fn kind(&self) -> LineKind {
        self.kind
    }

    /// The ids of the rules planted in this post (checked with the reference evaluator), in
    /// increasing order; empty when none was.
    pub fn planted(&self) -> &'g [u64] {
        self.planted
    }
}

/// The Twitter snowflake epoch (ms).
const TWEPOCH: u64 = 1_288_834_974_657;

const HOUR_MS: u64 = 3_600_000;

/// A seeded generator of a synthetic firehose; see the [module docs](self).
pub struct FirehoseGenerator {
    rng: Rng,
    cfg: Config,
    format: Format,
    noise: bool,
    model: Model,
    /// Stream clock, microseconds since `start_ms`.
    clock_us: u64,
    last_id: u64,
    root: Tw,
    inner: Tw,
    out: Vec<u8>,
    pending_post: bool,
    planter: Option<plant::Planter>,
    planted: Vec<u64>,
    name_buf: String,
    word_buf: Tw,
    /// Ids of recent posts, for `delete` messages.
    recent: [u64; 64],
    posts: u64,
}

impl std::fmt::Debug for FirehoseGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirehoseGenerator")
            .field("format", &self.format)
            .field("noise", &self.noise)
            .field("posts", &self.posts)
            .finish_non_exhaustive()
    }
}

/// Post kinds as drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PKind {
    Original,
    Retweet,
    Reply,
    Quote,
}

impl FirehoseGenerator {
    /// A generator with the default [`Config`], v1.1 native output and no noise.
    pub fn new(seed: u64) -> FirehoseGenerator {
        FirehoseGenerator::with_config(seed, Config::default())
    }

    /// A generator with the given configuration.
    pub fn with_config(seed: u64, cfg: Config) -> FirehoseGenerator {
        let model = Model::new(seed, &cfg.languages);
        FirehoseGenerator {
            rng: Rng::new(seed ^ 0xF1AE_405E_0000_0001),
            cfg,
            format: Format::Native,
            noise: false,
            model,
            clock_us: 0,
            last_id: 0,
            root: Tw::new(),
            inner: Tw::new(),
            out: Vec::with_capacity(16 * 1024),
            pending_post: false,
            planter: None,
            planted: Vec::new(),
            name_buf: String::new(),
            word_buf: Tw::new(),
            recent: [0; 64],
            posts: 0,
        }
    }

    /// Sets the output format (the posts drawn do not change).
    #[must_use]
    pub fn format(mut self, format: Format) -> FirehoseGenerator {
        self.format = format;
        self
    }

    /// Mixes stream noise (`delete`/`limit` messages, keep-alive blank lines) into the output.
    #[must_use]
    pub fn noise(mut self, on: bool) -> FirehoseGenerator {
        self.noise = on;
        self
    }

    /// Plants matches for `rules` (`(id, value)` pairs): about [`Config::plant_rate`] of the
    /// posts are made to match one chosen rule, picked round-robin among the rules the
    /// generator can satisfy. A planted match is only reported when the [reference
    /// evaluator](powertrack::reference) confirms it.
    ///
    /// # Errors
    ///
    /// [`PlantError`] when a value does not parse or when no rule can be planted.
    pub fn plant<I, S>(mut self, rules: I) -> Result<FirehoseGenerator, PlantError>
    where
        I: IntoIterator<Item = (u64, S)>,
        S: AsRef<str>,
    {
        self.planter = Some(plant::Planter::new(rules)?);
        Ok(self)
    }

    /// The number of posts generated so far.
    pub fn posts(&self) -> u64 {
        self.posts
    }

    /// The next line of the stream (a post, or noise when noise is on).
    pub fn next_line(&mut self) -> Emitted<'_> {
        self.out.clear();
        self.planted.clear();
        if self.noise && !self.pending_post && self.rng.chance(self.cfg.noise_rate) {
            self.pending_post = true;
            self.write_noise();
            return Emitted {
                line: &self.out,
                kind: LineKind::Noise,
                planted: &[],
            };
        }
        self.pending_post = false;
        let id = self.next_post();
        Emitted {
            line: &self.out,
            kind: LineKind::Post(id),
            planted: &self.planted,
        }
    }

    /// Writes `count` posts (plus any noise lines) as NDJSON, one line each.
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn write_to<W: Write + ?Sized>(&mut self, out: &mut W, count: u64) -> io::Result<()> {
        let mut n = 0;
        while n < count {
            let e = self.next_line();
            if let LineKind::Post(_) = e.kind {
                n += 1;
            }
            out.write_all(e.line)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    // --- the stream ---------------------------------------------------------------------------

    fn now_ms(&self) -> u64 {
        self.cfg.start_ms + self.clock_us / 1000
    }

    fn write_noise(&mut self) {
        let r = self.rng.below(10);
        let ms = self.now_ms();
        let out = &mut self.out;
        if r < 2 {
            // A keep-alive: an empty line.
            return;
        }
        if r < 8 {
            let id = self.recent[self.rng.index(self.recent.len())].max(TWEPOCH);
            let uid = self.rng.range(1_000_000, 4_000_000_000);
            out.extend_from_slice(br#"{"delete":{"status":{"id":"#);
            render::num(out, id);
            out.extend_from_slice(br#","id_str":""#);
            render::num(out, id);
            out.extend_from_slice(br#"","user_id":"#);
            render::num(out, uid);
            out.extend_from_slice(br#","user_id_str":""#);
            render::num(out, uid);
            out.extend_from_slice(br#""},"timestamp_ms":""#);
            render::num(out, ms);
            out.extend_from_slice(br#""}}"#);
        } else {
            let track = self.rng.range(1, 5000) + self.posts / 100;
            out.extend_from_slice(br#"{"limit":{"track":"#);
            render::num(out, track);
            out.extend_from_slice(br#","timestamp_ms":""#);
            render::num(out, ms);
            out.extend_from_slice(br#""}}"#);
        }
    }

    /// A unique, increasing snowflake id for the current clock.
    fn next_id(&mut self) -> u64 {
        let ms = self.now_ms().max(TWEPOCH);
        let id = ((ms - TWEPOCH) << 22) | self.rng.below(1 << 22);
        let id = id.max(self.last_id.saturating_add(1));
        self.last_id = id;
        id
    }

    /// An id and time of an older post (the original of a retweet, a quoted or replied post).
    fn older(&mut self) -> (u64, u64) {
        let back = self.rng.log_uniform(2_000, 30 * 24 * HOUR_MS);
        let ms = self.now_ms().saturating_sub(back).max(TWEPOCH + 1);
        (((ms - TWEPOCH) << 22) | self.rng.below(1 << 22), ms)
    }

    fn kind(&mut self) -> PKind {
        let k = &self.cfg.kinds;
        let w = [k.original, k.retweet, k.reply, k.quote];
        if w.iter().all(|&x| x == 0) {
            return PKind::Original;
        }
        [PKind::Original, PKind::Retweet, PKind::Reply, PKind::Quote][self.rng.weighted(&w)]
    }

    /// Generates one post into `self.out`; returns its id.
    fn next_post(&mut self) -> u64 {
        let gap = 2_000_000 / u64::from(self.cfg.posts_per_second.max(1));
        self.clock_us += self.rng.below(gap.max(1) + 1);
        self.posts += 1;
        let plant_now = self.planter.is_some() && self.rng.chance(self.cfg.plant_rate);
        if plant_now {
            let mut planter = self.planter.take();
            if let Some(p) = planter.as_mut()
                && let Some(id) = p.plant(self)
            {
                self.planter = planter;
                self.push_recent(id);
                return id;
            }
            self.planter = planter;
            self.out.clear();
        }
        let id = self.draw_post(&plant::Plan::default());
        self.render();
        self.push_recent(id);
        id
    }

    fn push_recent(&mut self, id: u64) {
        let slot = (self.posts % self.recent.len() as u64) as usize;
        self.recent[slot] = id;
    }

    fn render(&mut self) {
        self.out.clear();
        let r = &self.root;
        let inner = if self.root_has_inner() {
            Some(&self.inner)
        } else {
            None
        };
        match self.format {
            Format::Native => render::native(&mut self.out, &mut self.model, r, inner, true),
            Format::ActivityStreams => render::activity(&mut self.out, &mut self.model, r, inner),
            Format::V2 => render::v2(&mut self.out, &mut self.model, r, inner),
        }
    }

    fn root_has_inner(&self) -> bool {
        self.root.is_rt || self.root.is_quote
    }

    /// Draws the content of one post into `root` (and `inner`), following `plan`.
    pub(crate) fn draw_post(&mut self, plan: &plant::Plan) -> u64 {
        let kind = plan.kind.unwrap_or_else(|| self.kind());
        let li = match plan.lang.as_deref().and_then(|l| self.model.lang_index(l)) {
            Some(li) => li,
            None => self.rng.weighted(&self.model.lang_weights),
        };
        let layout = match self.rng.below(100) {
            0..=79 => Layout::Compat,
            80..=94 => Layout::Extended,
            _ => Layout::Classic,
        };
        let id = self.next_id();
        let ms = self.now_ms();
        let mut root = std::mem::take(&mut self.root);
        let mut inner = std::mem::take(&mut self.inner);
        root.clear();
        inner.clear();
        root.id = id;
        root.ms = ms;
        root.layout = layout;
        root.user = plan
            .user
            .unwrap_or_else(|| self.model.pick_user(&mut self.rng, 0.03));
        root.source = self.rng.zipf(self.model.vocab.sources.len());
        self.counts(&mut root);
        match kind {
            PKind::Retweet => {
                let (oid, oms) = plan
                    .rt_status
                    .map_or_else(|| self.older(), |s| (s, ms.saturating_sub(1)));
                inner.id = oid;
                inner.ms = oms;
                inner.layout = layout;
                inner.user = plan
                    .rt_user
                    .unwrap_or_else(|| self.model.pick_user(&mut self.rng, 0.1));
                inner.user_ovr.clone_from(&plan.rt_user_ovr);
                inner.source = self.rng.zipf(self.model.vocab.sources.len());
                self.counts(&mut inner);
                inner.counts[2] = inner.counts[2].max(1);
                self.text(&mut inner, li, false, plan);
                self.geo(&mut inner, plan);
                self.retweet_text(&mut root, &inner);
                root.lang = inner.lang;
                root.is_rt = true;
            }
            PKind::Quote => {
                let (oid, oms) = self.older();
                inner.id = oid;
                inner.ms = oms;
                inner.layout = layout;
                inner.user = self.model.pick_user(&mut self.rng, 0.1);
                inner.source = self.rng.zipf(self.model.vocab.sources.len());
                self.counts(&mut inner);
                let qli = if self.rng.chance(0.8) {
                    li
                } else {
                    self.rng.weighted(&self.model.lang_weights)
                };
                self.text(&mut inner, qli, false, &plant::Plan::default());
                self.text(&mut root, li, false, plan);
                self.geo(&mut root, plan);
                root.is_quote = true;
            }
            PKind::Reply => {
                let (sid, _) = plan.reply_status.map_or_else(|| self.older(), |s| (s, 0));
                let user = plan
                    .reply_user
                    .unwrap_or_else(|| self.model.pick_user(&mut self.rng, 0.05));
                root.reply = Some(Reply { status: sid, user });
                self.text(&mut root, li, true, plan);
                self.geo(&mut root, plan);
            }
            PKind::Original => {
                self.text(&mut root, li, false, plan);
                self.geo(&mut root, plan);
            }
        }
        self.root = root;
        self.inner = inner;
        id
    }

    fn counts(&mut self, tw: &mut Tw) {
        let r = &mut self.rng;
        tw.counts = [
            if r.chance(0.7) {
                0
            } else {
                r.log_uniform(1, 500) as u32
            },
            if r.chance(0.6) {
                0
            } else {
                r.log_uniform(1, 2000) as u32
            },
            if r.chance(0.5) {
                0
            } else {
                r.log_uniform(1, 50_000) as u32
            },
            if r.chance(0.4) {
                0
            } else {
                r.log_uniform(1, 100_000) as u32
            },
        ];
        tw.sensitive = false;
    }

    fn geo(&mut self, tw: &mut Tw, plan: &plant::Plan) {
        let places = &self.model.vocab.places;
        if let Some(p) = plan.place {
            tw.place = Some(p);
        }
        if let Some(c) = plan.coords {
            tw.coords = Some(c);
        }
        if plan.place.is_some() || plan.coords.is_some() || places.is_empty() {
            return;
        }
        let r = self.rng.below(1000);
        if r < 110 {
            let p = self.rng.zipf(places.len());
            tw.place = Some(p);
            if r < 32 {
                let pl = &places[p];
                let dx = (self.rng.unit() - 0.5) * 0.1;
                let dy = (self.rng.unit() - 0.5) * 0.1;
                tw.coords = Some((
                    round6((pl.lon + dx).clamp(-180.0, 180.0)),
                    round6((pl.lat + dy).clamp(-90.0, 90.0)),
                ));
            }
        }
    }

    /// The trending hashtag of the burst under way, if the clock is in one, and its rate.
    fn burst(&self) -> Option<(u64, f64)> {
        let every = u64::from(self.cfg.burst_every_secs.max(1)) * 1_000_000;
        let len = u64::from(self.cfg.burst_secs.max(1)) * 1_000_000;
        let n = self.clock_us / every;
        let t = self.clock_us % every;
        if t >= len {
            return None;
        }
        #[allow(clippy::cast_precision_loss)]
        let x = t as f64 / len as f64;
        let rate = self.cfg.burst_peak * (1.0 - (2.0 * x - 1.0).abs());
        Some((n, rate))
    }

    fn hashtag(&mut self, tw: &mut Tw, li: usize, forced: Option<&str>) {
        let mut buf = std::mem::take(&mut self.name_buf);
        buf.clear();
        let tags = &self.model.vocab.hashtags;
        if let Some(t) = forced {
            buf.push_str(t);
        } else if self.rng.chance(0.5) && !tags.is_empty() {
            buf.push_str(tags[self.rng.zipf(tags.len())]);
        } else {
            // A hashtag of the language's vocabulary (torso or tail words).
            let mut w = std::mem::take(&mut self.word_buf);
            w.clear();
            let r = self.model.zipf.rank(&mut self.rng) + 50;
            self.model.push_rank(&mut w, li, r, self.rng.chance(0.5));
            buf.push_str(&w.text);
            self.word_buf = w;
        }
        // Hashtags are letters, digits and `_` (and marks): keep only those.
        buf.retain(|c| c.is_alphanumeric() || c == '_');
        if buf.is_empty() || buf.chars().all(|c| c.is_ascii_digit()) {
            buf.insert(0, 'x');
        }
        let a = tw.store(&buf);
        tw.boundary();
        tw.text.push('#');
        tw.text.push_str(&buf);
        let start = tw.cps;
        tw.cps += 1 + cp_count(&buf);
        tw.ents.push(model::Ent {
            kind: EntKind::Hashtag,
            start,
            end: tw.cps,
            a,
            b: (0, 0),
            id: 0,
        });
        self.name_buf = buf;
    }

    fn mention(&mut self, tw: &mut Tw, user: u64) {
        let mut buf = std::mem::take(&mut self.name_buf);
        buf.clear();
        let id = self.model.user_name(user, &mut buf);
        let a = tw.store(&buf);
        buf.insert(0, '@');
        tw.ent(EntKind::Mention, &buf, a, (0, 0), id);
        self.name_buf = buf;
    }

    fn mention_named(tw: &mut Tw, name: &str, id: u64) {
        let a = tw.store(name);
        let mut shown = String::with_capacity(name.len() + 1);
        shown.push('@');
        shown.push_str(name);
        tw.ent(EntKind::Mention, &shown, a, (0, 0), id);
    }

    fn url(&mut self, tw: &mut Tw, media: bool, expanded: Option<&str>) {
        let mut buf = std::mem::take(&mut self.name_buf);
        buf.clear();
        buf.push_str("https://t.co/");
        Model::slug(&mut self.rng, &mut buf);
        let a = tw.store(&buf);
        let shown = buf.clone();
        buf.clear();
        let mut id = 0;
        if media {
            id = tw.id.wrapping_sub(self.rng.range(1, 1 << 22));
            buf.push_str("https://twitter.com/");
            self.model.user_name(tw.user, &mut buf);
            buf.push_str("/status/");
            push_num(&mut buf, tw.id);
            buf.push_str("/photo/1");
        } else if let Some(e) = expanded {
            buf.push_str(e);
        } else {
            let v = self.model.vocab;
            let d = v.domains[self.rng.zipf(v.domains.len())];
            buf.push_str("https://");
            buf.push_str(d);
            if d == "twitter.com" {
                buf.push('/');
                let u = self.model.pick_user(&mut self.rng, 0.2);
                self.model.user_name(u, &mut buf);
                buf.push_str("/status/");
                push_num(&mut buf, self.older().0);
            } else {
                for _ in 0..self.rng.range(1, 3) {
                    buf.push('/');
                    buf.push_str(v.url_words[self.rng.zipf(v.url_words.len())]);
                }
                if self.rng.chance(0.4) {
                    buf.push('/');
                    push_num(&mut buf, self.rng.range(1000, 99_999_999));
                }
            }
        }
        let b = tw.store(&buf);
        tw.ent(
            if media { EntKind::Media } else { EntKind::Url },
            &shown,
            a,
            b,
            id,
        );
        self.name_buf = buf;
    }

    /// An emoji: the most used ones on Twitter first, then the corpus's (whose ranking is
    /// skewed by a 🍕 search), with ZWJ and variation-selector sequences mixed in.
    fn emoji(&mut self, tw: &mut Tw) {
        let e = &self.model.vocab.emoji;
        let r = self.rng.zipf(TOP_EMOJI.len() + e.len());
        if self.rng.chance(0.15) {
            tw.push(ZWJ_EMOJI[self.rng.zipf(ZWJ_EMOJI.len())]);
        } else if r < TOP_EMOJI.len() {
            tw.push(TOP_EMOJI[r]);
        } else {
            tw.push(e[r - TOP_EMOJI.len()]);
        }
    }

    /// Writes the text of `tw` in language `li` (with reply mentions when `reply` is set) and
    /// its entities.
    fn text(&mut self, tw: &mut Tw, li: usize, reply: bool, plan: &plant::Plan) {
        tw.lang = self.model.langs[li].code;
        let spaceless = self.model.langs[li].spaceless;
        let und = tw.lang == "und";
        // Reply prefix.
        if reply && let Some(r) = tw.reply {
            match &plan.reply_ovr {
                Some((name, id)) => Self::mention_named(tw, name, *id),
                None => self.mention(tw, r.user),
            }
            tw.push(" ");
            if self.rng.chance(0.25) {
                let u = self.model.pick_user(&mut self.rng, 0.05);
                self.mention(tw, u);
                tw.push(" ");
            }
        }
        tw.display.0 = tw.cps;
        // Length in words.
        let n = match self.rng.below(100) {
            0..=44 => self.rng.range(4, 20),
            45..=74 => self.rng.range(14, 36),
            _ => self.rng.range(30, 70),
        };
        let n = if und { n.min(4) } else { n };
        // Hashtag and mention positions.
        let mut tags: [u64; 8] = [u64::MAX; 8];
        let mut ntags = 0;
        if self.rng.chance(0.29) {
            let k = 1 + self.rng.below(3) + u64::from(self.rng.chance(0.25)) * self.rng.below(6);
            for _ in 0..k.min(8) {
                tags[ntags] = if self.rng.chance(0.5) {
                    n
                } else {
                    self.rng.below(n + 1)
                };
                ntags += 1;
            }
        }
        let trending = self
            .burst()
            .and_then(|(b, rate)| self.rng.chance(rate).then_some(b));
        let mention_at = if !reply && self.rng.chance(0.2) {
            self.rng.below(n)
        } else {
            u64::MAX
        };
        let cashtag_at = if self.rng.chance(0.012) {
            self.rng.below(n)
        } else {
            u64::MAX
        };
        let plant_at = if plan.words.is_empty() && plan.hashtags.is_empty() {
            u64::MAX
        } else {
            self.rng.below(n.min(6) + 1)
        };
        let mut first = true;
        let mut i = 0u64;
        while i <= n {
            if i == plant_at {
                for w in &plan.words {
                    self.sep(tw, li, &mut first);
                    tw.push(w);
                }
                for h in &plan.hashtags {
                    self.sep(tw, li, &mut first);
                    self.hashtag(tw, li, Some(h));
                }
                for c in &plan.cashtags {
                    self.sep(tw, li, &mut first);
                    let a = tw.store(c);
                    let shown = format!("${c}");
                    tw.ent(EntKind::Cashtag, &shown, a, (0, 0), 0);
                }
                for (name, id) in &plan.mentions {
                    self.sep(tw, li, &mut first);
                    Self::mention_named(tw, name, *id);
                }
            }
            for &t in &tags[..ntags] {
                if t == i {
                    self.sep(tw, li, &mut first);
                    self.hashtag(tw, li, None);
                }
            }
            if i == n {
                break;
            }
            if i == mention_at {
                self.sep(tw, li, &mut first);
                let u = self.model.pick_user(&mut self.rng, 0.2);
                self.mention(tw, u);
            }
            if i == cashtag_at {
                self.sep(tw, li, &mut first);
                let t = &self.model.vocab.cashtags;
                let sym = if t.is_empty() || self.rng.chance(0.7) {
                    CASHTAGS[self.rng.zipf(CASHTAGS.len())]
                } else {
                    t[self.rng.index(t.len())]
                };
                let a = tw.store(sym);
                let shown = format!("${sym}");
                tw.ent(EntKind::Cashtag, &shown, a, (0, 0), 0);
            }
            self.sep(tw, li, &mut first);
            let r = self.rng.below(1000);
            if r < 40 || (und && r < 500) {
                self.emoji(tw);
            } else if r < 52 {
                let mut b = String::new();
                push_num(&mut b, self.rng.log_uniform(1, 2024));
                tw.push(&b);
            } else {
                let rank = self.model.zipf.rank(&mut self.rng);
                let cap = !spaceless && i == 0 && self.rng.chance(0.6);
                self.model.push_rank(tw, li, rank, cap);
                if !spaceless && self.rng.chance(0.07) {
                    let p = self.model.langs[li].punct;
                    tw.push(p[self.rng.index(p.len())]);
                }
            }
            if tw.cps > 240 {
                // Leave room for the trailing entities (280 at most).
                for t in &mut tags {
                    if *t != u64::MAX && *t > i {
                        *t = n;
                    }
                }
                i = n;
                continue;
            }
            i += 1;
        }
        if let Some(b) = trending {
            self.sep(tw, li, &mut first);
            let tag = trending_tag(self.model.seed, b);
            self.hashtag(tw, li, Some(&tag));
        }
        if let Some(e) = &plan.url {
            self.sep(tw, li, &mut first);
            self.url(tw, false, Some(e));
        } else if self.rng.chance(0.42) {
            self.sep(tw, li, &mut first);
            self.url(tw, false, None);
        }
        tw.display.1 = tw.cps;
        if plan.media || (!plan.no_media && self.rng.chance(0.33)) {
            self.sep(tw, li, &mut first);
            self.url(tw, true, None);
        }
        self.finish(tw);
    }

    /// A separator before the next token: a space in spaced scripts, mostly nothing in
    /// spaceless ones.
    fn sep(&mut self, tw: &mut Tw, li: usize, first: &mut bool) {
        if *first {
            *first = false;
            if tw.cps == 0 || tw.text.ends_with(' ') {
                return;
            }
        }
        if self.model.langs[li].spaceless {
            let r = self.rng.below(100);
            if r < 12 || tw.text.ends_with(|c: char| c.is_ascii_alphanumeric()) {
                tw.push(" ");
            } else if r < 20 {
                let p = self.model.langs[li].punct;
                tw.push(p[self.rng.index(p.len())]);
            }
            // Entities need a boundary before them: the caller's `#`/`@` follows a letter only
            // in spaced text, so a space is added below when the next token is an entity.
        } else if self.rng.chance(0.02) {
            tw.push("\n");
        } else {
            tw.push(" ");
        }
    }

    /// Computes the compat truncation of a long text.
    fn finish(&mut self, tw: &mut Tw) {
        if tw.layout == Layout::Classic && tw.cps > 140 {
            tw.layout = Layout::Compat;
        }
        if tw.layout != Layout::Compat || tw.cps <= 140 {
            return;
        }
        // The longest prefix of at most 115 code points that ends before a space and cuts no
        // entity.
        let mut cut = 115u32.min(tw.cps);
        loop {
            let inside = tw.ents.iter().any(|e| e.start < cut && cut < e.end);
            if !inside || cut == 0 {
                break;
            }
            cut -= 1;
        }
        let bytes = cp_byte(&tw.text, cut);
        let kept = tw.ents.iter().filter(|e| e.end <= cut).count();
        let mut slug = String::with_capacity(10);
        Model::slug(&mut self.rng, &mut slug);
        tw.link = tw.store(&slug);
        tw.trunc = Some((bytes, cut, kept));
    }

    /// The root text of a retweet of `orig`: `RT @name: ` and the original's text, cut at 140
    /// code points.
    fn retweet_text(&mut self, root: &mut Tw, orig: &Tw) {
        root.push("RT ");
        match &orig.user_ovr {
            Some((name, id)) => Self::mention_named(root, name, *id),
            None => self.mention(root, orig.user),
        }
        root.push(": ");
        let shift = root.cps;
        let room = 140u32.saturating_sub(shift).max(1);
        let limit;
        if orig.cps <= room {
            root.push(&orig.text);
            limit = root.cps;
        } else {
            let keep = room - 1;
            let b = cp_byte(&orig.text, keep);
            root.push(&orig.text[..b]);
            limit = root.cps;
            root.push("…");
        }
        for e in &orig.ents {
            if e.end + shift <= limit && e.kind != EntKind::Media {
                let a = root.store(orig.s(e.a));
                let b = root.store(orig.s(e.b));
                root.ents.push(model::Ent {
                    kind: e.kind,
                    start: e.start + shift,
                    end: e.end + shift,
                    a,
                    b,
                    id: e.id,
                });
            }
        }
        root.display = (0, root.cps);
        root.layout = orig.layout;
        if root.layout == Layout::Classic {
            root.layout = Layout::Compat;
        }
    }
}

/// The most used emoji on Twitter (emojitracker-style ranking), before the corpus's list.
const TOP_EMOJI: &[&str] = &[
    "😂",
    "❤\u{fe0f}",
    "🤣",
    "😭",
    "🙏",
    "😍",
    "🥺",
    "🔥",
    "😊",
    "✨",
    "👍",
    "🥰",
    "💕",
    "😘",
    "👇",
    "🤔",
    "💜",
    "😅",
    "👀",
    "🎉",
];

/// Tickers beyond the corpus's few cashtags.
const CASHTAGS: &[&str] = &[
    "TSLA", "AAPL", "BTC", "ETH", "AMZN", "NVDA", "MSFT", "GME", "DOGE", "META", "SPY", "AMC",
];

/// The trending hashtag of burst `b`: one of the rule generator's 64 most popular pseudo-words
/// (which posts otherwise never use), so a burst makes many generated rules match at once.
fn trending_tag(seed: u64, b: u64) -> String {
    let mut st = seed ^ b.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    let x = super::rng::splitmix64(&mut st);
    let v = super::vocab::Vocab::get();
    super::rules::capitalize(&super::rules::pseudo_word("en", x % 64, v))
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
