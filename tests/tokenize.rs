//! The tokenizer (rule-language §5; matching-semantics S11–S18): PowerTrack's documented match /
//! no-match examples at the token level, separators and punctuation, case folding, scripts,
//! emoji, and agreement of the fast and reference tokenizers on the corpus and on generated
//! strings.

use std::io::BufRead;

use powertrack::tokenize::{
    Token, TokenKind, fold, fold_char, fold_into, fold_tokens, for_each_token, reference, tokens,
};
use proptest::prelude::*;

use crate::common;

use TokenKind::{Emoji, Punct, Spaceless, Word};

/// The fast tokens of `text`, checked against the reference tokenizer and `for_each_token`,
/// with consecutive positions.
fn checked(text: &str) -> Vec<Token> {
    let fast: Vec<Token> = tokens(text).collect();
    let reference = reference::tokenize(text);
    assert_eq!(fast, reference, "fast and reference disagree on {text:?}");
    let mut via_callback = Vec::new();
    for_each_token(text, |t| via_callback.push(t));
    assert_eq!(fast, via_callback, "for_each_token differs on {text:?}");
    for (i, t) in fast.iter().enumerate() {
        assert_eq!(t.position, i);
        assert!(t.start < t.end);
        assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
    }
    fast
}

/// Token texts and kinds.
fn toks(text: &str) -> Vec<(&str, TokenKind)> {
    checked(text)
        .iter()
        .map(|t| (t.text(text), t.kind))
        .collect()
}

/// Folded token texts of the keyword-matchable tokens.
fn keywords(text: &str) -> Vec<String> {
    let mut buf = String::new();
    checked(text)
        .iter()
        .filter(|t| t.is_keyword())
        .map(|t| t.folded(text, &mut buf).to_owned())
        .collect()
}

/// Token texts.
fn texts(text: &str) -> Vec<&str> {
    toks(text).into_iter().map(|(s, _)| s).collect()
}

/// Does `needle` (a phrase) occur in `text` as a contiguous token sequence, case-folded?
fn phrase_matches(needle: &str, text: &str) -> bool {
    let n: Vec<String> = checked(needle)
        .iter()
        .map(|t| fold(t.text(needle)).into_owned())
        .collect();
    let h: Vec<String> = checked(text)
        .iter()
        .map(|t| fold(t.text(text)).into_owned())
        .collect();
    !n.is_empty() && h.windows(n.len()).any(|w| w == n.as_slice())
}

// --- documented examples (matching-semantics S11–S18), at the token level -----------------------

#[test]
fn spec_gnip() {
    for text in [
        "I need to call gnip",
        "Check out gnip's documentation.",
        "I love the @gnip blog.",
        "Check out Gnip.",
    ] {
        assert!(keywords(text).contains(&"gnip".into()), "{text}");
    }
    assert_eq!(
        texts("Check out gnip's"),
        ["Check", "out", "gnip", "'", "s"]
    );
    assert_eq!(keywords("#gniprocks"), ["gniprocks"]);
    assert_eq!(toks("#gniprocks"), [("#", Punct), ("gniprocks", Word)]);
}

#[test]
fn spec_cola() {
    assert!(keywords("Ice cold cola on a hot day").contains(&"cola".into()));
    assert_eq!(
        toks("I like coca-cola!"),
        [
            ("I", Word),
            ("like", Word),
            ("coca", Word),
            ("-", Punct),
            ("cola", Word),
            ("!", Punct)
        ]
    );
    assert!(!keywords("I like cocacola!").contains(&"cola".into()));
    // The phrase "coca-cola" keeps its punctuation token.
    assert!(phrase_matches("coca-cola", "Testing! Coca coke coca-cola"));
    assert!(!phrase_matches("coca-cola", "coca cola"));
    assert!(phrase_matches("coca cola", "Coca cola"));
}

#[test]
fn spec_snow_no_stemming() {
    assert!(keywords("please let it snow!").contains(&"snow".into()));
    assert_eq!(
        texts("https://en.wikipedia.org/wiki/Snow"),
        [
            "https",
            ":",
            "/",
            "/",
            "en",
            ".",
            "wikipedia",
            ".",
            "org",
            "/",
            "wiki",
            "/",
            "Snow"
        ]
    );
    assert!(keywords("https://en.wikipedia.org/wiki/Snow").contains(&"snow".into()));
    let k = keywords("it is finally snowing!");
    assert!(!k.contains(&"snow".into()));
    assert!(k.contains(&"snowing".into()));
}

#[test]
fn spec_coachella() {
    assert_eq!(
        toks("Hanging out at #coachella")[3..],
        [("#", Punct), ("coachella", Word)]
    );
    assert_eq!(
        texts("NEW.PICS.FROM.COACHELLA2015!"),
        ["NEW", ".", "PICS", ".", "FROM", ".", "COACHELLA2015", "!"]
    );
    assert!(!keywords("NEW.PICS.FROM.COACHELLA2015!").contains(&"coachella".into()));
    assert_eq!(toks("COACHELLA2015"), [("COACHELLA2015", Word)]);
}

#[test]
fn spec_call_gnip_phrase() {
    assert!(phrase_matches("call gnip", "I need to call gnip, again"));
    assert!(phrase_matches("call gnip", "I need to call gnip again"));
    assert!(phrase_matches("call gnip", "call gnip"));
    assert!(!phrase_matches("call gnip", "I called gnip"));
    assert!(!phrase_matches("call gnip", "call-gnip"));
    assert!(!phrase_matches("call gnip", "call_gnip"));
    // matching-semantics S15: a whitespace run of any length is one separator.
    let t = checked("call  \t\n gnip");
    assert_eq!((t[0].position, t[1].position), (0, 1));
    assert!(phrase_matches("call gnip", "call  gnip"));
    assert_eq!(texts("call_gnip"), ["call", "_", "gnip"]);
    assert_eq!(toks("_")[0].1, Punct);
}

#[test]
fn spec_pizza_emoji() {
    assert_eq!(
        toks("I like 🍕"),
        [("I", Word), ("like", Word), ("🍕", Emoji)]
    );
    assert_eq!(texts("I like🍕!"), ["I", "like", "🍕", "!"]);
}

#[test]
fn spec_cyrillic_folding() {
    assert_eq!(
        toks("Рубен, привет!"),
        [
            ("Рубен", Word),
            (",", Punct),
            ("привет", Word),
            ("!", Punct)
        ]
    );
    assert_eq!(keywords("Рубен, ПРИВЕТ!"), ["рубен", "привет"]);
    assert_eq!(fold("Привет"), "привет");
}

// --- matching-semantics S11: separators, punctuation, symbols, digits, underscore ---------------

#[test]
fn separators_split_and_are_not_tokens() {
    // Zs (NBSP, em space, ideographic space), Zl, Zp, tab/CR/LF and other controls.
    let text = "a\u{A0}b\u{2003}c\u{3000}d\u{2028}e\u{2029}f\tg\r\nh\u{85}i\u{1}j\u{7F}k";
    assert_eq!(
        texts(text),
        ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]
    );
    assert!(checked("").is_empty());
    assert!(checked(" \t\u{3000}\n").is_empty());
    // Format characters other than the joiners separate: zero width space, LRM, BOM, soft hyphen.
    assert_eq!(
        texts("a\u{200B}b\u{200E}c\u{FEFF}d\u{AD}e"),
        ["a", "b", "c", "d", "e"]
    );
}

#[test]
fn punctuation_and_symbols_are_single_tokens() {
    assert_eq!(
        toks("3.14 $5+€2 ¿«x»? …"),
        [
            ("3", Word),
            (".", Punct),
            ("14", Word),
            ("$", Punct),
            ("5", Word),
            ("+", Punct),
            ("€", Punct),
            ("2", Word),
            ("¿", Punct),
            ("«", Punct),
            ("x", Word),
            ("»", Punct),
            ("?", Punct),
            ("…", Punct),
        ]
    );
    // Runs of punctuation are one token per code point.
    assert_eq!(texts("!!!--"), ["!", "!", "!", "-", "-"]);
    // Modifier symbols (Sk) and math symbols (Sm) too; `^` and `~`.
    assert_eq!(texts("a^b~c`d"), ["a", "^", "b", "~", "c", "`", "d"]);
    // `#` and `*` are punctuation unless they start a keycap.
    assert_eq!(toks("#*"), [("#", Punct), ("*", Punct)]);
}

#[test]
fn digits_are_word_characters() {
    assert_eq!(toks("2015"), [("2015", Word)]);
    assert_eq!(texts("a1b2 ٣٤ ½x"), ["a1b2", "٣٤", "½x"]);
    assert_eq!(texts("@user_123"), ["@", "user", "_", "123"]);
}

#[test]
fn accents_and_marks_stay_in_the_word() {
    assert_eq!(toks("Diacrítica"), [("Diacrítica", Word)]);
    // Decomposed: i + U+0301 COMBINING ACUTE ACCENT.
    assert_eq!(toks("Diacri\u{301}tica"), [("Diacri\u{301}tica", Word)]);
    // A mark with no word before it starts a word.
    assert_eq!(toks("\u{301}a"), [("\u{301}a", Word)]);
    assert_eq!(texts("-\u{301}"), ["-", "\u{301}"]);
    // No accent folding.
    assert_ne!(fold("Diacrítica"), fold("Diacritica"));
    // Joiners inside a word (Persian ZWNJ) stay; alone they are ignored.
    assert_eq!(texts("می\u{200C}خواهم"), ["می\u{200C}خواهم"]);
    assert!(checked("\u{200C} \u{200D}").is_empty());
}

// --- matching-semantics S14: case folding -------------------------------------------------------

#[test]
fn simple_case_folding() {
    assert_eq!(fold("SNOW"), "snow");
    assert_eq!(fold("ß"), "ß");
    assert_eq!(fold("ẞ"), "ß");
    assert_eq!(fold("STRASSE"), "strasse");
    assert_ne!(fold("Straße"), fold("STRASSE"));
    assert_eq!(fold("ΣΊΣΥΦΟΣ ς"), "σίσυφοσ σ");
    assert_eq!(fold_char('\u{212A}'), 'k'); // KELVIN SIGN folds to ASCII
    assert_eq!(fold_char('İ'), 'İ'); // only full (F) and Turkic (T) foldings exist
    assert_eq!(fold_char('Ꭰ'), 'Ꭰ'); // Cherokee folds to upper case
    assert_eq!(fold_char('ꭰ'), 'Ꭰ');
    assert_eq!(fold("ＡＢＣ"), "ａｂｃ"); // full-width stays full-width (no NFKC)
    assert_eq!(fold("Ǆ ǅ"), "ǆ ǆ");
    assert!(matches!(
        fold("already folded"),
        std::borrow::Cow::Borrowed(_)
    ));
    let mut out = String::from("kept:");
    fold_into("ÀB ć", &mut out);
    assert_eq!(out, "kept:àb ć");
    // Token::folded reuses and clears its buffer.
    let text = "ÉCOLE école";
    let t = checked(text);
    let mut buf = String::from("junk");
    assert_eq!(t[0].folded(text, &mut buf), "école");
    assert_eq!(t[1].folded(text, &mut buf), "école");
}

#[test]
fn fold_char_agrees_with_the_table_on_every_code_point() {
    for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
        assert_eq!(fold_char(c), reference::fold_char(c), "U+{:04X}", c as u32);
    }
}

// --- matching-semantics S17: spaceless scripts and script changes -------------------------------

#[test]
fn cjk_runs_are_spaceless() {
    assert_eq!(toks("第一印象"), [("第一印象", Spaceless)]);
    // Han, Hiragana and Katakana form one run; ー (Common) and 々 belong to it.
    assert_eq!(
        toks("日本語のテキストを食べる。スーパー々"),
        [
            ("日本語のテキストを食べる", Spaceless),
            ("。", Punct),
            ("スーパー々", Spaceless)
        ]
    );
    // Digits inside a run belong to it.
    assert_eq!(toks("第1回"), [("第1回", Spaceless)]);
    assert_eq!(toks("2015年"), [("2015年", Spaceless)]);
    // Voiced sound marks (Inherited, combining) stay in the run.
    assert_eq!(toks("か\u{3099}"), [("か\u{3099}", Spaceless)]);
    // Full-width punctuation splits.
    assert_eq!(texts("一、二！"), ["一", "、", "二", "！"]);
    // Korean is space-delimited: Word.
    assert_eq!(toks("안녕 하세요"), [("안녕", Word), ("하세요", Word)]);
}

#[test]
fn script_changes_split_tokens() {
    assert_eq!(
        toks("iPhoneケース"),
        [("iPhone", Word), ("ケース", Spaceless)]
    );
    assert_eq!(
        toks("ケースiPhone"),
        [("ケース", Spaceless), ("iPhone", Word)]
    );
    assert_eq!(texts("abcабв"), ["abc", "абв"]);
    assert_eq!(texts("абвabc"), ["абв", "abc"]);
    // Common characters join the token they are in, whatever its script.
    assert_eq!(texts("abc123абв"), ["abc123", "абв"]);
    assert_eq!(texts("абв123abc"), ["абв123", "abc"]);
    assert_eq!(texts("123абв"), ["123абв"]);
    assert_eq!(texts("ไทยabc"), ["ไทย", "abc"]);
    // Thai and Han are different spaceless families.
    assert_eq!(toks("ไทย中文"), [("ไทย", Spaceless), ("中文", Spaceless)]);
}

#[test]
fn thai_lao_khmer_myanmar_are_spaceless() {
    // Thai vowel and tone marks (script Thai, Mn) stay in the run.
    assert_eq!(
        toks("สวัสดีครับ ผมชื่อ"),
        [("สวัสดีครับ", Spaceless), ("ผมชื่อ", Spaceless)]
    );
    assert_eq!(toks("ສະບາຍດີ"), [("ສະບາຍດີ", Spaceless)]);
    assert_eq!(toks("សួស្តី"), [("សួស្តី", Spaceless)]);
    assert_eq!(toks("မင်္ဂလာပါ"), [("မင်္ဂလာပါ", Spaceless)]);
    // Arabic, Hebrew, Devanagari, Greek are space-delimited.
    for w in ["مرحبا", "שלום", "नमस्ते", "Ελλάδα"] {
        assert_eq!(toks(w), [(w, Word)]);
    }
}

// --- emoji ------------------------------------------------------------------------------------

#[test]
fn emoji_sequences_are_one_token() {
    for e in [
        "🍕",
        "👩\u{200D}👩\u{200D}👧", // family, ZWJ sequence
        "👍🏽",                     // skin tone
        "🇯🇵",                     // flag
        "1\u{FE0F}\u{20E3}",      // keycap with VS16
        "#\u{20E3}",              // keycap without VS16
        "*\u{FE0F}\u{20E3}",      // asterisk keycap
        "⚽\u{FE0F}",             // VS16
        "☺\u{FE0E}",              // VS15 (text presentation)
        "🏳\u{FE0F}\u{200D}🌈",    // rainbow flag
        "👨🏽\u{200D}🤝\u{200D}👨🏻", // ZWJ with skin tones
        "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}", // tag sequence (Scotland)
        "🏽",                     // a modifier alone
        "❤\u{FE0F}\u{200D}🔥",
        "©\u{FE0F}",
        "🇦", // a lone regional indicator
    ] {
        assert_eq!(toks(e), [(e, Emoji)], "{e:?}");
        assert_eq!(keywords(e), [e], "keyword-matchable: {e:?}");
    }
}

#[test]
fn emoji_boundaries() {
    assert_eq!(
        toks("I❤️NY🇯🇵🇺🇸🇫"),
        [
            ("I", Word),
            ("❤\u{FE0F}", Emoji),
            ("NY", Word),
            ("🇯🇵", Emoji),
            ("🇺🇸", Emoji),
            ("🇫", Emoji)
        ]
    );
    assert_eq!(texts("😀😀"), ["😀", "😀"]);
    // Keycap digits split from the word before them; a plain digit does not.
    assert_eq!(
        toks("a12\u{FE0F}\u{20E3}b"),
        [("a1", Word), ("2\u{FE0F}\u{20E3}", Emoji), ("b", Word)]
    );
    assert_eq!(toks("1\u{FE0F}"), [("1\u{FE0F}", Word)]);
    // A ZWJ after an emoji not followed by one stays in the emoji; ZWJ + letter.
    assert_eq!(toks("😀\u{200D}a"), [("😀\u{200D}", Emoji), ("a", Word)]);
    // ZWJ inside a word, then an emoji.
    assert_eq!(toks("a\u{200D}😀"), [("a\u{200D}", Word), ("😀", Emoji)]);
    // A keycap joined by ZWJ.
    assert_eq!(texts("😀\u{200D}1\u{20E3}"), ["😀\u{200D}1\u{20E3}"]);
    // ‼ and ™ are Extended_Pictographic: emoji tokens.
    assert_eq!(toks("‼™"), [("‼", Emoji), ("™", Emoji)]);
}

// --- positions and spans ------------------------------------------------------------------------

#[test]
fn positions_count_punctuation_not_whitespace() {
    let text = "  I need to call gnip, again ";
    let t = checked(text);
    let got: Vec<(&str, usize, std::ops::Range<usize>)> = t
        .iter()
        .map(|t| (t.text(text), t.position, t.span()))
        .collect();
    assert_eq!(
        got,
        [
            ("I", 0, 2..3),
            ("need", 1, 4..8),
            ("to", 2, 9..11),
            ("call", 3, 12..16),
            ("gnip", 4, 17..21),
            (",", 5, 21..22),
            ("again", 6, 23..28),
        ]
    );
}

// --- fast and reference agree ------------------------------------------------------------------

/// Every string value in a JSON document.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(o) => o.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

#[test]
fn fast_and_reference_agree_on_the_corpus() {
    for rel in [
        "combined/all_v11_native.ndjson",
        "twarc-csv-v2/twarc-csv_v2_stream_like.ndjson",
    ] {
        let Some(path) = common::corpus_file("fast_and_reference_agree_on_the_corpus", rel) else {
            continue;
        };
        let file = std::fs::File::open(&path).unwrap();
        let (mut lines, mut fields, mut toks) = (0, 0, 0);
        for line in std::io::BufReader::new(file).lines() {
            let line = line.unwrap();
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            let mut texts = Vec::new();
            strings(&v, &mut texts);
            for t in &texts {
                toks += checked(t).len();
            }
            fields += texts.len();
            lines += 1;
        }
        eprintln!("{rel}: {lines} posts, {fields} string fields, {toks} tokens agree");
        assert!(lines > 1000 && toks > 100_000);
    }
}

/// Characters that exercise every rule: separators, punctuation, keycap parts, marks, joiners,
/// variation selectors, modifiers, indicators, tags, several scripts, emoji.
const ALPHABET: &[char] = &[
    ' ',
    '\t',
    '\n',
    '\u{A0}',
    '\u{3000}',
    '\u{200B}',
    '\u{FEFF}',
    'a',
    'Z',
    'é',
    'ß',
    'ẞ',
    'Σ',
    'ς',
    '0',
    '7',
    '#',
    '*',
    '_',
    '-',
    '.',
    '\'',
    '!',
    '$',
    '^',
    '\u{301}',
    '\u{3099}',
    '\u{E33}',
    '\u{200C}',
    '\u{200D}',
    '\u{FE0E}',
    '\u{FE0F}',
    '\u{20E3}',
    '\u{1F3FB}',
    '\u{1F3FD}',
    '\u{1F1EF}',
    '\u{1F1F5}',
    '\u{E0067}',
    '\u{E007F}',
    '🏴',
    '👩',
    '👧',
    '❤',
    '⚽',
    '©',
    '‼',
    '™',
    'ℹ',
    '😀',
    'д',
    'Я',
    'ا',
    '一',
    '第',
    'の',
    'ケ',
    'ー',
    '々',
    'ก',
    'ไ',
    'ລ',
    'ក',
    'မ',
    '한',
    '٣',
    '½',
    '\u{E000}',
    '\u{378}',
    '\u{10FFFF}',
    '\u{1FAF8}',
    '\u{1}',
    '。',
    '€',
    '\u{2028}',
    'ǅ',
    '\u{212A}',
    // Fold into another script or class: MICRO SIGN (Common) to Greek mu, YPOGEGRAMMENI (a
    // mark) to the letter iota.
    'µ',
    '\u{345}',
    'Μ',
];

fn alphabet_string() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET), 0..48)
        .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn agree_on_alphabet_strings(s in alphabet_string()) {
        checked(&s);
    }

    #[test]
    fn agree_on_ascii_strings(s in "[ -~\t\n]{0,64}") {
        checked(&s);
    }

    #[test]
    fn agree_on_any_strings(s in any::<String>()) {
        checked(&s);
    }

    #[test]
    fn separators_are_the_only_untokenized_characters(s in alphabet_string()) {
        let t = checked(&s);
        let mut covered = vec![false; s.len()];
        for t in &t {
            covered[t.span()].iter_mut().for_each(|c| *c = true);
        }
        for (i, c) in s.char_indices() {
            if !covered[i] {
                // Separators, controls, format characters and orphan joiners only.
                prop_assert!(
                    c.is_whitespace() || c.is_control() || matches!(c, '\u{200B}' | '\u{FEFF}' | '\u{200C}' | '\u{200D}' | '\u{E0067}' | '\u{E007F}'),
                    "{c:?} dropped from {s:?}"
                );
            }
        }
    }

    #[test]
    fn folding_is_idempotent_and_token_wise(s in alphabet_string()) {
        let once = fold(&s).into_owned();
        prop_assert_eq!(fold(&once).into_owned(), once.clone());
        let mut buf = String::new();
        let mut joined = String::new();
        for c in s.chars() {
            joined.push(fold_char(c));
        }
        prop_assert_eq!(&joined, &once);
        for t in checked(&s) {
            let expected = fold(t.text(&s));
            prop_assert_eq!(t.folded(&s, &mut buf), expected.as_ref());
        }
    }

    /// `fold_tokens` folds the whole text and gives the tokens of the text as written, folded:
    /// the reference tokens, each folded.
    #[test]
    fn fold_tokens_are_the_folded_reference_tokens(s in alphabet_string()) {
        let mut out = String::from("prefix ");
        let mut got = Vec::new();
        fold_tokens(&s, &mut out, |out, t| got.push((t.text(out).to_string(), t.position, t.kind)));
        let whole = fold(&s);
        prop_assert_eq!(&out["prefix ".len()..], whole.as_ref());
        let want: Vec<_> = reference::tokenize(&s)
            .into_iter()
            .map(|t| (fold(t.text(&s)).into_owned(), t.position, t.kind))
            .collect();
        prop_assert_eq!(got, want);
    }
}

// --- the generated tables -----------------------------------------------------------------------

/// `src/tokenize/tables.rs` is exactly what `scripts/gen-unicode-tables.py` makes of the UCD
/// installed here (skips when python3 or `/usr/share/unicode` is absent).
#[test]
fn tables_are_generated_from_the_ucd() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ucd = std::path::Path::new("/usr/share/unicode");
    if !ucd.join("UnicodeData.txt").is_file() || !ucd.join("emoji/emoji-data.txt").is_file() {
        eprintln!(
            "skipping tables_are_generated_from_the_ucd: no UCD at {}",
            ucd.display()
        );
        return;
    }
    let Ok(out) = std::process::Command::new("python3")
        .arg(root.join("scripts/gen-unicode-tables.py"))
        .arg(ucd)
        .output()
    else {
        eprintln!("skipping tables_are_generated_from_the_ucd: python3 is not available");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = std::fs::read_to_string(root.join("src/tokenize/tables.rs")).unwrap();
    assert!(
        committed == String::from_utf8_lossy(&out.stdout),
        "src/tokenize/tables.rs is stale: rerun scripts/gen-unicode-tables.py"
    );
    assert_eq!(powertrack::tokenize::UNICODE_VERSION, "15.0.0");
}
