//! Background frequencies: how often an atom is expected to hit a post of the firehose.
//!
//! The compiler indexes each conjunction of a rule under its rarest required atom, so that a
//! rule like `lang:en snow` is a candidate only for posts that say "snow", not for every English
//! post. Exact figures do not matter for correctness (every choice of trigger is sound); they
//! only decide how many candidates are evaluated. Token frequencies come from the corpus
//! vocabulary bundled with the rule generator; flags and languages from the corpus shares that
//! the generators in `src/generate/` model.

use std::sync::OnceLock;

use super::atoms::FastMap;

use super::ir::{CountField, Field, Fields, KeyKind};

/// The frequency of anything not otherwise known: rare.
pub(crate) const RARE: f64 = 1e-5;

/// Posts in the corpus the vocabulary was counted on (`src/generate/vocab/README.md`).
const CORPUS_POSTS: f64 = 4117.0;

/// Token shares from the bundled corpus vocabulary: post words (all languages, spaceless runs
/// as 2- and 3-grams), URL words and domain labels, profile words and emoji; plus the stop words,
/// which the vocabulary leaves out.
fn table() -> &'static FastMap<String, f64> {
    static TABLE: OnceLock<FastMap<String, f64>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t: FastMap<String, f64> = FastMap::default();
        let mut add = |word: &str, count: &str| {
            let count: f64 = count.trim().parse().unwrap_or(0.0);
            let word = crate::tokenize::fold(word.trim()).into_owned();
            *t.entry(word).or_default() += count / CORPUS_POSTS;
        };
        let vocab = |text: &'static str| text.lines().map(|l| l.split('\t').collect::<Vec<_>>());
        for cols in vocab(include_str!("freq/words.tsv")) {
            if let [_, word, count] = cols[..] {
                add(word, count);
            }
        }
        for file in [
            include_str!("freq/url_words.tsv"),
            include_str!("freq/bio_words.tsv"),
            include_str!("freq/name_words.tsv"),
            include_str!("freq/location_words.tsv"),
            include_str!("freq/emoji.tsv"),
        ] {
            for cols in vocab(file) {
                if let [word, count] = cols[..] {
                    add(word, count);
                }
            }
        }
        for cols in vocab(include_str!("freq/domains.tsv")) {
            if let [domain, count] = cols[..] {
                for label in domain.split('.') {
                    add(label, count);
                }
            }
        }
        for &(word, share) in STOP_AND_URL_WORDS {
            let e = t.entry(word.to_string()).or_default();
            *e = e.max(share);
        }
        for share in t.values_mut() {
            *share = share.clamp(RARE, 1.0);
        }
        t
    })
}

/// Words the vocabulary leaves out (stop words, URL scaffolding), by rough share of posts.
const STOP_AND_URL_WORDS: &[(&str, f64)] = &[
    ("the", 0.45),
    ("to", 0.35),
    ("a", 0.33),
    ("i", 0.3),
    ("and", 0.3),
    ("of", 0.28),
    ("you", 0.25),
    ("in", 0.25),
    ("is", 0.22),
    ("for", 0.2),
    ("it", 0.2),
    ("on", 0.18),
    ("my", 0.16),
    ("this", 0.15),
    ("that", 0.15),
    ("me", 0.13),
    ("with", 0.13),
    ("be", 0.12),
    ("are", 0.12),
    ("so", 0.1),
    ("at", 0.1),
    ("your", 0.1),
    ("rt", 0.25),
    ("https", 0.6),
    ("http", 0.2),
    ("t", 0.6),
    ("co", 0.6),
    ("com", 0.4),
    ("www", 0.1),
    ("twitter", 0.3),
    ("status", 0.25),
    ("photo", 0.15),
    ("video", 0.05),
    ("pic", 0.15),
    ("by", 0.06),
    ("from", 0.06),
    ("an", 0.05),
    ("if", 0.05),
    ("but", 0.07),
    ("not", 0.07),
    ("we", 0.08),
    ("via", 0.03),
    ("its", 0.03),
    ("too", 0.03),
    ("amp", 0.05),
];

/// The expected share of posts containing a token (`folded` text) in some field of `fields`.
pub(crate) fn token(fields: Fields, folded: &str) -> f64 {
    // Source names and place names are few and shared by many posts.
    if fields == Fields::of(Field::Source) {
        return 0.3;
    }
    if fields == Fields::of(Field::Place) {
        return 0.01;
    }
    if let Some(&share) = table().get(folded) {
        return share;
    }
    if folded.chars().count() == 1 {
        // Single characters (punctuation, digits, letters, emoji) are common.
        return 0.05;
    }
    RARE
}

/// The expected share of posts containing `folded` as a substring of some text field.
pub(crate) fn substring(folded: &str) -> f64 {
    let ascii = folded.is_ascii();
    match (folded.chars().count(), ascii) {
        (0, _) => 1.0,
        (1, _) => 0.3,
        (2, true) => 0.05,
        (2, false) => 0.005,
        (3, true) => 0.01,
        (_, true) => table().get(folded).copied().unwrap_or(0.0).max(1e-3),
        (_, false) => table().get(folded).copied().unwrap_or(RARE).max(RARE),
    }
}

/// The expected share of posts carrying key `value` of `kind`.
pub(crate) fn key(kind: KeyKind, value: &[u8]) -> f64 {
    match kind {
        KeyKind::Lang => match value {
            b"en" => 0.35,
            b"ja" => 0.15,
            b"es" => 0.1,
            b"ar" => 0.07,
            b"pt" | b"und" => 0.06,
            b"ko" | b"th" | b"in" | b"tr" | b"fr" => 0.03,
            _ => 0.005,
        },
        KeyKind::Flag => match value {
            b"is:retweet" => 0.5,
            b"has:lang" => 0.94,
            b"has:mentions" => 0.55,
            b"has:links" => 0.4,
            b"has:profile_geo" => 0.3,
            b"has:media" => 0.25,
            b"has:hashtags" => 0.24,
            b"has:images" | b"is:reply" => 0.2,
            b"has:geo" => 0.07,
            b"is:quote" => 0.06,
            b"has:videos" => 0.03,
            b"is:verified" => 0.02,
            b"has:symbols" => 0.01,
            _ => 0.001,
        },
        KeyKind::PlaceCountry | KeyKind::ProfileCountry => 0.01,
        KeyKind::GeoCell | KeyKind::ProfileGeoCell => 1e-4,
        _ => RARE,
    }
}

/// The expected share of posts whose author's `field` count lies in `min..=max`.
pub(crate) fn count(_field: CountField, min: u64, max: u64) -> f64 {
    // Counts are heavy-tailed: the share above N falls roughly as 1/log10(N).
    let above = |n: u64| -> f64 {
        if n == 0 {
            1.0
        } else {
            #[allow(clippy::cast_precision_loss)]
            let digits = (n as f64).log10() + 1.0;
            (1.0 / digits).min(1.0)
        }
    };
    (above(min)
        - if max == u64::MAX {
            0.0
        } else {
            above(max.saturating_add(1))
        })
    .max(1e-3)
}
