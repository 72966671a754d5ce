//! Background frequencies: how often an atom is expected to hit a post of the firehose.
//!
//! The compiler indexes each conjunction of a rule under its rarest required atom, so that a
//! rule like `lang:en snow` is a candidate only for posts that say "snow", not for every English
//! post. Exact figures do not matter for correctness (every choice of trigger is sound); they
//! only decide how many candidates are evaluated. Token frequencies come from the corpus
//! vocabulary bundled with the rule generator; flags and languages from the corpus shares in
//! `test-data-and-generators.md` §4.

use super::ir::{CountField, KeyKind};

/// The frequency of anything not otherwise known: rare.
pub(crate) const RARE: f64 = 1e-5;

/// The expected share of posts containing a token (`folded` text).
pub(crate) fn token(folded: &str) -> f64 {
    // The commonest English words, by rough share of posts containing them. Tokens outside this
    // list are rare enough for any rule set of realistic shape.
    const COMMON: &[(&str, f64)] = &[
        ("the", 0.45), ("to", 0.35), ("a", 0.33), ("i", 0.3), ("and", 0.3), ("of", 0.28),
        ("you", 0.25), ("in", 0.25), ("is", 0.22), ("for", 0.2), ("it", 0.2), ("on", 0.18),
        ("my", 0.16), ("this", 0.15), ("that", 0.15), ("me", 0.13), ("with", 0.13),
        ("be", 0.12), ("are", 0.12), ("so", 0.1), ("at", 0.1), ("your", 0.1), ("rt", 0.1),
        ("https", 0.4), ("http", 0.1), ("t", 0.4), ("co", 0.4), ("com", 0.2), ("www", 0.05),
        ("de", 0.08), ("la", 0.05), ("que", 0.06), ("el", 0.05), ("en", 0.05), ("no", 0.06),
        ("not", 0.07), ("have", 0.08), ("just", 0.07), ("all", 0.07), ("we", 0.08),
        ("can", 0.06), ("but", 0.07), ("if", 0.05), ("by", 0.06), ("from", 0.06),
        ("they", 0.05), ("was", 0.06), ("what", 0.05), ("like", 0.06), ("do", 0.06),
        ("new", 0.04), ("one", 0.04), ("love", 0.04), ("get", 0.04), ("now", 0.04),
    ];
    if folded.chars().count() == 1 {
        // Single characters (punctuation, digits, letters, emoji) are common.
        return 0.05;
    }
    COMMON.iter().find(|(w, _)| *w == folded).map_or(RARE, |&(_, f)| f)
}

/// The expected share of posts containing `folded` as a substring of some text field.
pub(crate) fn substring(folded: &str) -> f64 {
    match folded.chars().count() {
        0 => 1.0,
        1 => 0.3,
        2 => 0.05,
        3 => 0.005,
        _ => token(folded).max(1e-3),
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
            b"pt" => 0.06,
            b"und" => 0.06,
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
            b"has:images" => 0.2,
            b"is:reply" => 0.2,
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
    (above(min) - if max == u64::MAX { 0.0 } else { above(max.saturating_add(1)) }).max(1e-3)
}
