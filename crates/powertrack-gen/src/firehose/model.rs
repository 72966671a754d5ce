//! The content model: languages, the shared Zipf vocabulary, users, texts with entities, places.
//! Everything here is format-neutral; `render` turns a [`Tw`] into JSON.

// Casts: code-point offsets, arena offsets and ranks are bounded (texts are < 1 KB, ranks
// < 2^20, table indices < their table's length); dates, boxes and coordinates read best with
// their conventional one-letter names.
#![allow(clippy::cast_possible_truncation, clippy::many_single_char_names)]

use super::super::rng::{Rng, splitmix64};
use super::super::rules::pseudo_word;
use super::super::vocab::Vocab;

/// One language of the post mix: its code, its script's shape and its real words.
pub(crate) struct LangModel {
    pub(crate) code: &'static str,
    /// Written without spaces (n-grams are concatenated).
    pub(crate) spaceless: bool,
    /// The real words of the corpus in this language, most frequent first (empty when none).
    pub(crate) words: &'static [&'static str],
    /// Function words ranked above the corpus words (the corpus lists leave Gnip's stop words
    /// out, but posts are full of them).
    pub(crate) stops: &'static [&'static str],
    /// Punctuation that may follow a word.
    pub(crate) punct: &'static [&'static str],
}

const EN_STOPS: &[&str] = &[
    "the", "to", "a", "and", "in", "is", "you", "it", "my", "this", "at", "me", "we", "not", "but",
    "from", "by", "an", "if", "or", "its", "too", "via",
];
const LATIN_PUNCT: &[&str] = &[",", ".", "!", "?", ":", "...", "!!"];
const ES_PUNCT: &[&str] = &[",", ".", "!", "?", "...", "¡", "¿"];
const CJK_PUNCT: &[&str] = &["、", "。", "！", "？", "…", "w"];
const AR_PUNCT: &[&str] = &["،", ".", "؟", "!"];
const TH_PUNCT: &[&str] = &[" ", "!", "..."];

/// ZWJ sequences and variation-selector emoji mixed into the corpus's emoji list.
pub(crate) const ZWJ_EMOJI: &[&str] = &[
    "👮\u{200d}♀\u{fe0f}",
    "👨\u{200d}👩\u{200d}👧\u{200d}👦",
    "🏳\u{fe0f}\u{200d}🌈",
    "👩\u{200d}💻",
    "🧑\u{200d}🤝\u{200d}🧑",
    "❤\u{fe0f}\u{200d}🔥",
    "🤷\u{1f3fd}\u{200d}♂\u{fe0f}",
    "👁\u{fe0f}\u{200d}🗨\u{fe0f}",
    "🐻\u{200d}❄\u{fe0f}",
    "❤\u{fe0f}",
    "☀\u{fe0f}",
    "✌\u{fe0f}",
];

/// The default language mix, per cent: an estimate of the firehose's, where eight languages,
/// led by English, Japanese, Spanish, Arabic and Portuguese, make up about 80 % of the posts
/// (the search- and timeline-biased corpus is 74 % English).
pub(crate) const DEFAULT_LANGS: &[(&str, u32)] = &[
    ("en", 35),
    ("ja", 15),
    ("es", 10),
    ("ar", 7),
    ("pt", 6),
    ("und", 6),
    ("ko", 4),
    ("th", 3),
    ("in", 3),
    ("tr", 2),
    ("fr", 2),
    ("ru", 2),
    ("de", 1),
    ("zh", 1),
    ("hi", 1),
    ("it", 1),
    ("tl", 1),
];

/// Vocabulary size per language: 2^20 ≈ 10^6 types.
pub(crate) const VOCAB_TYPES: u64 = 1 << 20;
/// Ranks below this are drawn from an exact Zipf(1) table; above, octave by octave. It is also
/// the size of every language's head: stop words, the corpus's words, then filler.
const HEAD: usize = 4096;

/// The pseudo-word index of the tail's first word (rank `HEAD`). The rule generator draws its
/// dormant terms Zipf-wise over pseudo-words `0..2^22`: its 65,536 most popular ones (brand-like
/// terms that a sample never mentions) never occur in posts, and the rest occur at the Zipf rate
/// of their rank, so a rule set of 10^4 generated rules matches about one rule per post.
pub(crate) const TAIL_BASE: u64 = 1 << 16;

/// Pseudo-word indices of the filler words of a language's head (above the rule range 2^22).
const FILLER_BASE: u64 = 1 << 23;

fn lang_model(code: &'static str, v: &'static Vocab) -> LangModel {
    let words: &'static [&'static str] = v
        .langs
        .iter()
        .find(|l| l.lang == code)
        .map_or(&[], |l| l.words.as_slice());
    let spaceless = matches!(code, "ja" | "zh" | "th");
    LangModel {
        code,
        spaceless,
        words,
        stops: if code == "en" { EN_STOPS } else { &[] },
        punct: match code {
            "ja" | "zh" => CJK_PUNCT,
            "ar" => AR_PUNCT,
            "th" => TH_PUNCT,
            "es" => ES_PUNCT,
            _ => LATIN_PUNCT,
        },
    }
}

/// Zipf(1) over `VOCAB_TYPES` ranks: an exact cumulative table for the head, flat octaves in
/// the tail (each octave of Zipf(1) carries the same mass, ln 2). Integer and IEEE arithmetic
/// only, so one seed gives the same ranks everywhere.
pub(crate) struct ZipfTable {
    cum: Vec<u64>,
    tail_octaves: u64,
}

impl ZipfTable {
    pub(crate) fn new() -> ZipfTable {
        let mut h = 0.0f64;
        let mut sums = Vec::with_capacity(HEAD);
        for r in 0..HEAD {
            #[allow(clippy::cast_precision_loss)] // r < 4096
            let w = 1.0 / (r as f64 + 1.0);
            h += w;
            sums.push(h);
        }
        let tail_octaves = u64::from((VOCAB_TYPES / HEAD as u64).trailing_zeros());
        #[allow(clippy::cast_precision_loss)]
        let total = h + std::f64::consts::LN_2 * tail_octaves as f64;
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )] // 2^53 is exact; the products are in [0, 2^53]
        let cum = sums
            .iter()
            .map(|s| (s / total * (1u64 << 53) as f64) as u64)
            .collect();
        ZipfTable { cum, tail_octaves }
    }

    pub(crate) fn rank(&self, rng: &mut Rng) -> u64 {
        let u = rng.next_u64() >> 11;
        if u < self.cum[HEAD - 1] {
            return self.cum.partition_point(|&c| c <= u) as u64;
        }
        let j = rng.below(self.tail_octaves);
        let lo = (HEAD as u64) << j;
        lo + rng.below(lo)
    }
}

/// A direct-mapped cache of pseudo-words (computing one costs a few allocations and a set
/// lookup; the Zipf head of the tail recurs).
pub(crate) struct PseudoCache {
    slots: Vec<(u64, String)>,
}

impl PseudoCache {
    const BITS: u32 = 18;

    pub(crate) fn new() -> PseudoCache {
        PseudoCache {
            slots: (0..1usize << Self::BITS)
                .map(|_| (u64::MAX, String::new()))
                .collect(),
        }
    }

    /// The `i`-th pseudo-word of language `lang` (index `li` in the language table).
    pub(crate) fn get(&mut self, v: &Vocab, lang: &str, li: usize, i: u64) -> &str {
        let key = (li as u64) << 40 | i;
        let mut st = key;
        #[allow(clippy::cast_possible_truncation)]
        let slot = (splitmix64(&mut st) >> (64 - Self::BITS)) as usize;
        let s = &mut self.slots[slot];
        if s.0 != key {
            s.0 = key;
            s.1 = pseudo_word(lang, i, v);
        }
        &s.1
    }
}

/// The kind of an entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntKind {
    Hashtag,
    Cashtag,
    Mention,
    Url,
    Media,
}

/// One entity of a text: code-point indices, and its strings in the arena.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ent {
    pub(crate) kind: EntKind,
    pub(crate) start: u32,
    pub(crate) end: u32,
    /// Hashtag/cashtag text, screen name, or t.co URL.
    pub(crate) a: (u32, u32),
    /// Expanded URL (urls, media).
    pub(crate) b: (u32, u32),
    /// User id (mentions) or media id.
    pub(crate) id: u64,
}

/// How a long text is carried in v1.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Layout {
    /// Streaming compatibility mode: `text` ≤ 140 and `extended_tweet` when longer.
    #[default]
    Compat,
    /// REST extended mode: `full_text`.
    Extended,
    /// A 2014 search result: `metadata` first, `text` only (texts ≤ 140).
    Classic,
}

/// A reply target.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reply {
    pub(crate) status: u64,
    pub(crate) user: u64,
}

/// One generated tweet (a root post or an embedded original), format-neutral. `Default` is
/// empty and allocates nothing (for `mem::take`).
#[derive(Debug, Default)]
pub(crate) struct Tw {
    pub(crate) id: u64,
    pub(crate) ms: u64,
    pub(crate) user: u64,
    pub(crate) lang: &'static str,
    pub(crate) text: String,
    pub(crate) cps: u32,
    pub(crate) ents: Vec<Ent>,
    pub(crate) arena: String,
    pub(crate) display: (u32, u32),
    pub(crate) reply: Option<Reply>,
    pub(crate) source: usize,
    pub(crate) place: Option<usize>,
    pub(crate) coords: Option<(f64, f64)>,
    pub(crate) layout: Layout,
    /// For a compat post over 140 code points: the byte length and code points of the kept
    /// prefix of `text`, the number of entities kept, and the t.co slug of the status link.
    pub(crate) trunc: Option<(usize, u32, usize)>,
    pub(crate) link: (u32, u32),
    pub(crate) counts: [u32; 4],
    pub(crate) sensitive: bool,
    /// `true` for the root of a retweet (its text is `RT @x: …`).
    pub(crate) is_rt: bool,
    /// `true` for the root of a quote.
    pub(crate) is_quote: bool,
    /// A planted author: screen name and id instead of the user key's.
    pub(crate) user_ovr: Option<(String, u64)>,
    /// Planted profile fields: description, name, location words.
    pub(crate) bio_ovr: Option<(String, String, String)>,
    /// A planted profile-geo index.
    pub(crate) geo_ovr: Option<usize>,
    /// Planted user counts (statuses, followers, friends, listed) and verified flag.
    pub(crate) counts_ovr: Option<([u64; 4], bool)>,
}

impl Tw {
    pub(crate) fn new() -> Tw {
        Tw {
            id: 0,
            ms: 0,
            user: 0,
            lang: "en",
            text: String::with_capacity(512),
            cps: 0,
            ents: Vec::with_capacity(16),
            arena: String::with_capacity(512),
            display: (0, 0),
            reply: None,
            source: 0,
            place: None,
            coords: None,
            layout: Layout::Compat,
            trunc: None,
            link: (0, 0),
            counts: [0; 4],
            sensitive: false,
            is_rt: false,
            is_quote: false,
            user_ovr: None,
            bio_ovr: None,
            geo_ovr: None,
            counts_ovr: None,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.cps = 0;
        self.ents.clear();
        self.arena.clear();
        self.reply = None;
        self.place = None;
        self.coords = None;
        self.trunc = None;
        self.is_rt = false;
        self.is_quote = false;
        self.user_ovr = None;
        self.bio_ovr = None;
        self.geo_ovr = None;
        self.counts_ovr = None;
        self.display = (0, 0);
    }

    pub(crate) fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.cps += cp_count(s);
    }

    /// Stores `s` in the arena.
    pub(crate) fn store(&mut self, s: &str) -> (u32, u32) {
        let a = self.arena.len() as u32;
        self.arena.push_str(s);
        (a, self.arena.len() as u32)
    }

    pub(crate) fn s(&self, r: (u32, u32)) -> &str {
        &self.arena[r.0 as usize..r.1 as usize]
    }

    /// A space unless the text is empty or ends with white space: an entity starts a word.
    pub(crate) fn boundary(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with([' ', '\n']) {
            self.push(" ");
        }
    }

    /// Appends `shown` (the entity as it appears in the text) as an entity, after a word
    /// boundary.
    pub(crate) fn ent(
        &mut self,
        kind: EntKind,
        shown: &str,
        a: (u32, u32),
        b: (u32, u32),
        id: u64,
    ) {
        self.boundary();
        let start = self.cps;
        self.push(shown);
        self.ents.push(Ent {
            kind,
            start,
            end: self.cps,
            a,
            b,
            id,
        });
    }

    /// The text as the top level of a compat post carries it.
    pub(crate) fn short_text(&self) -> &str {
        match self.trunc {
            Some((bytes, ..)) => &self.text[..bytes],
            None => &self.text,
        }
    }
}

#[allow(clippy::cast_possible_truncation)]
pub(crate) fn cp_count(s: &str) -> u32 {
    if s.is_ascii() {
        s.len() as u32
    } else {
        s.bytes().filter(|&b| (b & 0xC0) != 0x80).count() as u32
    }
}

/// Byte offset of code point `cp` in `s`.
pub(crate) fn cp_byte(s: &str, cp: u32) -> usize {
    s.char_indices()
        .nth(cp as usize)
        .map_or(s.len(), |(b, _)| b)
}

const SLUG: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The derived profile of a user key (filled by the renderer, kept here so its buffers are
/// reused from one post to the next).
#[derive(Default)]
pub(crate) struct UserData {
    pub(crate) id: u64,
    pub(crate) screen: String,
    pub(crate) name: String,
    pub(crate) location: String,
    pub(crate) description: String,
    pub(crate) url: bool,
    pub(crate) counts: [u64; 5], // statuses, followers, friends, listed, favourites
    pub(crate) created_ms: u64,
    pub(crate) verified: bool,
    pub(crate) geo: Option<usize>,
    pub(crate) colour: u64,
}

/// The content model shared by every post of a stream.
pub(crate) struct Model {
    pub(crate) vocab: &'static Vocab,
    pub(crate) langs: Vec<LangModel>,
    pub(crate) lang_weights: Vec<u32>,
    pub(crate) zipf: ZipfTable,
    pub(crate) cache: PseudoCache,
    pub(crate) seed: u64,
    scratch: String,
    pub(crate) user_buf: UserData,
    pub(crate) v2_buf: Vec<u8>,
}

impl Model {
    pub(crate) fn new(seed: u64, languages: &[(&'static str, u32)]) -> Model {
        let vocab = Vocab::get();
        let mut langs: Vec<LangModel> = languages.iter().map(|l| lang_model(l.0, vocab)).collect();
        let mut lang_weights: Vec<u32> = languages.iter().map(|l| l.1).collect();
        if langs.is_empty() || lang_weights.iter().all(|&w| w == 0) {
            langs = vec![lang_model("en", vocab)];
            lang_weights = vec![1];
        }
        Model {
            vocab,
            langs,
            lang_weights,
            zipf: ZipfTable::new(),
            cache: PseudoCache::new(),
            seed,
            scratch: String::new(),
            user_buf: UserData::default(),
            v2_buf: Vec::new(),
        }
    }

    pub(crate) fn lang_index(&self, code: &str) -> Option<usize> {
        self.langs.iter().position(|l| l.code == code)
    }

    /// Appends `w` with its first letter upper-cased.
    pub(crate) fn push_cap(out: &mut String, w: &str) {
        let mut c = w.chars();
        if let Some(f) = c.next() {
            out.extend(f.to_uppercase());
            out.push_str(c.as_str());
        }
    }

    /// Appends the word of rank `r` in language `li` to `tw.text`.
    pub(crate) fn push_rank(&mut self, tw: &mut Tw, li: usize, r: u64, cap: bool) {
        let lm = &self.langs[li];
        let stops = lm.stops.len() as u64;
        let words = lm.words.len() as u64;
        let code = if lm.code == "und" { "en" } else { lm.code };
        let w: &str = if r < stops {
            lm.stops[r as usize]
        } else if r - stops < words {
            lm.words[(r - stops) as usize]
        } else if r < HEAD as u64 {
            // The language's head beyond the corpus's few words: pseudo-words outside the
            // rule generator's range (never rule terms, like unseen stop and function words).
            self.cache.get(self.vocab, code, li, FILLER_BASE + r)
        } else {
            self.cache
                .get(self.vocab, code, li, TAIL_BASE + (r - HEAD as u64))
        };
        if cap && w.is_ascii() && w.as_bytes()[0].is_ascii_lowercase() {
            self.scratch.clear();
            self.scratch.push_str(w);
            self.scratch[..1].make_ascii_uppercase();
            tw.push(&self.scratch);
        } else {
            tw.push(w);
        }
    }

    /// A t.co-style slug of 10 characters.
    pub(crate) fn slug(rng: &mut Rng, out: &mut String) {
        for _ in 0..10 {
            out.push(char::from(SLUG[rng.index(SLUG.len())]));
        }
    }

    /// The user key's derived generator (users are stable across posts).
    pub(crate) fn user_rng(&self, user: u64) -> Rng {
        Rng::new(self.seed ^ user.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xA5A5_0F0F_5A5A_F0F0)
    }

    /// A user key: real corpus users now and then, else one of 2^24 synthetic users, 15 % of the
    /// time one of the 2^14 heavy posters.
    pub(crate) fn pick_user(&self, rng: &mut Rng, real_share: f64) -> u64 {
        let real = self.vocab.users.len() as u64;
        if rng.chance(real_share) {
            rng.zipf(self.vocab.users.len()) as u64
        } else if rng.chance(0.15) {
            real + rng.below(1 << 14)
        } else {
            real + rng.below(1 << 24)
        }
    }

    /// Screen name and id of a user key.
    pub(crate) fn user_name(&mut self, user: u64, out: &mut String) -> u64 {
        let real = self.vocab.users.len() as u64;
        if user < real {
            let (n, id) = self.vocab.users[user as usize];
            out.push_str(n);
            return id.parse().unwrap_or(user + 1);
        }
        let mut r = self.user_rng(user);
        // Handles are built like the rule generator's (pseudo-word base and a variant), from the
        // same tail as the post words, so `from:`/`@` rules meet them at realistic rates.
        // 2^17 bases × 4 variants × suffixes: names repeat now and then (a `from:` rule meets a
        // few users), and their bases stay in the pseudo-word cache.
        let i = TAIL_BASE + r.below(1 << 17);
        let base = self.cache.get(self.vocab, "en", 63, i);
        let start = out.len();
        match r.below(4) {
            0 => {
                out.push_str(base);
                out.push('_');
                push_num(out, r.range(1, 99));
            }
            1 => {
                Model::push_cap(out, base);
                push_num(out, r.range(1, 999));
            }
            2 => {
                out.push_str("The");
                Model::push_cap(out, base);
            }
            _ => Model::push_cap(out, base),
        }
        // Screen names are at most 15 characters (ASCII here).
        out.truncate((start + 15).min(out.len()));
        // Ids: old accounts have short ids, new ones snowflakes.
        if r.chance(0.5) {
            r.range(1_000_000, 4_000_000_000)
        } else {
            r.range(700_000_000_000_000_000, 1_650_000_000_000_000_000)
        }
    }
}

pub(crate) fn push_num(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("0"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_ranks_follow_one_over_r() {
        let z = ZipfTable::new();
        let mut rng = Rng::new(5);
        let mut head = [0u32; 4];
        let mut tail = 0u32;
        for _ in 0..200_000 {
            let r = z.rank(&mut rng);
            assert!(r < VOCAB_TYPES);
            if r < 4 {
                head[r as usize] += 1;
            }
            if r >= HEAD as u64 {
                tail += 1;
            }
        }
        // Zipf(1): rank 1 is twice as frequent as rank 2, three times rank 3.
        let ratio = f64::from(head[0]) / f64::from(head[1]);
        assert!((1.8..2.2).contains(&ratio), "{ratio}");
        let ratio = f64::from(head[0]) / f64::from(head[2]);
        assert!((2.7..3.3).contains(&ratio), "{ratio}");
        // The tail (ranks 4096..2^20) carries ln(256) / (H_4096 + ln 256) ≈ 38 % of the mass.
        let share = f64::from(tail) / 200_000.0;
        assert!((0.35..0.41).contains(&share), "{share}");
    }

    #[test]
    fn cached_pseudo_words_are_the_rule_generators() {
        let v = Vocab::get();
        let mut c = PseudoCache::new();
        for i in [0u64, 1, 77, 1 << 20, TAIL_BASE + 5] {
            assert_eq!(c.get(v, "en", 0, i), pseudo_word("en", i, v));
            assert_eq!(c.get(v, "ja", 1, i), pseudo_word("ja", i, v));
        }
    }

    #[test]
    fn code_points() {
        assert_eq!(cp_count("abc"), 3);
        assert_eq!(cp_count("é🍕👮\u{200d}♀\u{fe0f}"), 6);
        assert_eq!(cp_byte("é🍕x", 2), 6);
        assert_eq!(cp_byte("ab", 5), 2);
    }
}
