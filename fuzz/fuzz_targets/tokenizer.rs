//! `tokenizer`: the fast and reference tokenizers agree on arbitrary strings, and folding agrees
//! with the plain table search.
//!
//! The first byte chooses the text: raw (even byte: the rest as lossy UTF-8, so any string is
//! reachable) or mixed (odd byte: `Unstructured` strings together pieces of many scripts, emoji
//! sequences, case-folding specials, entity-like pieces and separators, so runs of every kind
//! meet at every kind of boundary).
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use powertrack::tokenize::{Token, fold, fold_char, for_each_token, reference, tokens};

const PIECES: &[&[&str]] = &[
    // ASCII words, digits and punctuation of every tokenizer class.
    &[
        "snow", "Snow", "SNOW", "a", "I", "x1", "1x", "2026", "3.14", "1,000", "v2.0", "_",
        "__init__",
    ],
    &[
        "'", "’", "-", "–", "—", ".", ",", "!", "?", "…", "&", "&amp;", "/", "\\", "(", ")", "\"",
        "“", "”", "*", ":", ";", "~", "`", "^",
    ],
    &[
        "#", "@", "$", "#snow", "@jack", "$TSLA", "#café", "#中文", "@_x_", "$1.50", "##", "@@",
        "#1",
    ],
    &[
        "http://t.co/abc",
        "https://example.com/a?b=c#d",
        "www.x.org",
        "a@b.co",
        "x.com/y",
    ],
    // Latin with diacritics, precomposed and combining.
    &[
        "café",
        "cafe\u{301}",
        "naïve",
        "Ångström",
        "œuvre",
        "ØRE",
        "Łódź",
        "ñ",
        "n\u{303}",
        "\u{301}",
    ],
    // Case-folding specials: multi-char folds, titlecase, Turkish I, final sigma, ligatures.
    &[
        "ß", "ẞ", "SS", "İ", "ı", "I\u{307}", "ǅ", "ǆ", "Σ", "σ", "ς", "ΐ", "ﬁ", "ﬀ", "ﬃ", "K",
        "Å", "µ", "ſ", "ᾈ", "ᲀ", "Ꭰ", "ꭰ", "𐐀", "𞤀",
    ],
    // Other scripts.
    &[
        "Москва",
        "Ελλάδα",
        "עברית",
        "العربية",
        "ـــ",
        "हिन्दी",
        "ไทย",
        "ລາວ",
        "ქართული",
        "Հայ",
        "አማርኛ",
        "ᠮᠣᠩ",
        "ᚠᚢᚦ",
    ],
    // CJK, kana, Hangul: tokenised per character or per run.
    &[
        "中文",
        "日本語",
        "ひらがな",
        "カタカナ",
        "ｶﾀｶﾅ",
        "ー",
        "한국어",
        "한",
        "〇",
        "々",
        "𠀀",
        "、",
        "。",
        "「",
        "」",
    ],
    // Emoji: plain, with modifiers, ZWJ sequences, flags, keycaps, variation selectors, tags.
    &[
        "🍕",
        "👍",
        "👍🏽",
        "🏽",
        "👨‍👩‍👧",
        "👩🏾‍🚀",
        "‍",
        "🇫🇷",
        "🇫",
        "🇺🇸🇬🇧",
        "1️⃣",
        "#️⃣",
        "❤️",
        "❤",
        "\u{fe0f}",
        "\u{fe0e}",
        "☺︎",
        "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
        "🏳️‍🌈",
        "©",
        "™",
        "↔️",
        "🀄",
        "🅰️",
    ],
    // Separators and invisible characters.
    &[
        " ", "  ", "\t", "\n", "\r", "\u{a0}", "\u{2028}", "\u{3000}", "\u{200b}", "\u{200c}",
        "\u{200d}", "\u{feff}", "\u{ad}", "\u{0}", "\u{fffd}",
    ],
];

fn mixed(u: &mut Unstructured<'_>) -> Result<String> {
    let mut s = String::new();
    for _ in 0..u.int_in_range(1..=32)? {
        match u.int_in_range(0..=11u8)? {
            0 => s.push(u.arbitrary()?),
            1 => s.push_str(u.arbitrary::<&str>()?),
            2 => {
                // A character near an interesting code point (block edges, surrogates' neighbours).
                let base = *u.choose(&[
                    0x7f_u32, 0xff, 0x2ff, 0x36f, 0x3ff, 0x52f, 0x1e00, 0x1fff, 0x2000, 0x2bff,
                    0x3000, 0x4dff, 0x9fff, 0xac00, 0xd7a3, 0xd7ff, 0xe000, 0xfe0f, 0xff00, 0xffff,
                    0x1f000, 0x1f3fb, 0x1f9ff, 0x1fbff, 0x20000, 0xe0000, 0x10ffff,
                ])?;
                let off = u.int_in_range(0..=32u32)?;
                if let Some(c) = char::from_u32(base.saturating_sub(16) + off) {
                    s.push(c);
                }
            }
            _ => {
                let class = *u.choose(PIECES)?;
                s.push_str(u.choose(class)?);
            }
        }
    }
    Ok(s)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let owned;
    let text: &str = if mode & 1 == 0 {
        // Valid UTF-8 as is; anything else through lossy decoding (U+FFFD is a symbol).
        owned = String::from_utf8_lossy(rest).into_owned();
        &owned
    } else {
        match mixed(&mut Unstructured::new(rest)) {
            Ok(s) => {
                owned = s;
                &owned
            }
            Err(_) => return,
        }
    };
    let fast: Vec<Token> = tokens(text).collect();
    let slow = reference::tokenize(text);
    assert_eq!(
        fast, slow,
        "fast and reference tokenizers disagree on {text:?}"
    );
    let mut via_callback = Vec::with_capacity(fast.len());
    for_each_token(text, |t| via_callback.push(t));
    assert_eq!(fast, via_callback);
    let mut buf = String::new();
    for (i, t) in fast.iter().enumerate() {
        assert_eq!(t.position, i);
        assert!(t.start < t.end && text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
        assert_eq!(t.folded(text, &mut buf), fold(t.text(text)).as_ref());
    }
    for c in text.chars() {
        assert_eq!(fold_char(c), reference::fold_char(c));
    }
});
