//! The lexical layer of the rule language: character classes, whitespace and bare-word scanning,
//! reserved words. The parser (scannerless, over bytes) calls these; nothing here allocates.

/// ASCII bytes that end a bare word: whitespace, parentheses, the double quote, the colon.
const fn ascii_delimiters() -> [bool; 128] {
    let mut t = [false; 128];
    let d = b" \t\n\r\x0b\x0c()\":";
    let mut i = 0;
    while i < d.len() {
        t[d[i] as usize] = true;
        i += 1;
    }
    t
}
static DELIM: [bool; 128] = ascii_delimiters();

/// True when ASCII byte `b` ends a bare word.
pub(crate) fn is_ascii_delimiter(b: u8) -> bool {
    b < 128 && DELIM[b as usize]
}

/// True for the characters that may not start a keyword or bare value (Gnip's punctuation set,
/// rule-language §3.1): `! % & \ ' ( ) * + - . / ; < = > ? , : # @ " [ ] _`, ASCII whitespace,
/// and the ranges U+007B–U+00BF, U+02B0–U+037F, U+2000–U+2BFF, U+FF00–U+FF03, U+FF05–U+FF0F.
pub(crate) fn is_punct_start(c: char) -> bool {
    matches!(
        c,
        '!' | '%'
            | '&'
            | '\\'
            | '\''
            | '('
            | ')'
            | '*'
            | '+'
            | '-'
            | '.'
            | '/'
            | ';'
            | '<'
            | '='
            | '>'
            | '?'
            | ','
            | ':'
            | '#'
            | '@'
            | '"'
            | '['
            | ']'
            | '_'
            | '\t'
            | '\r'
            | '\n'
            | '\u{7B}'..='\u{BF}'
            | '\u{2B0}'..='\u{37F}'
            | '\u{2000}'..='\u{2BFF}'
            | '\u{FF00}'..='\u{FF03}'
            | '\u{FF05}'..='\u{FF0F}'
    )
}

/// True for characters that make up emoji sequences: pictographs, skin-tone modifiers and
/// regional indicators (U+1F000–U+1FAFF), ZWJ, variation selectors, keycaps and tag characters.
pub(crate) fn is_emoji_component(c: char) -> bool {
    matches!(
        c,
        '\u{1F000}'..='\u{1FAFF}'
            | '\u{200D}'
            | '\u{FE0E}'
            | '\u{FE0F}'
            | '\u{20E3}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// True when `word` is an emoji sequence: it starts with a pictograph and has only emoji
/// components.
pub(crate) fn is_emoji(word: &str) -> bool {
    let mut chars = word.chars();
    matches!(chars.next(), Some('\u{1F000}'..='\u{1FAFF}')) && chars.all(is_emoji_component)
}

/// True for a character allowed in a hashtag after `#`.
pub(crate) fn is_hashtag_char(c: char) -> bool {
    c == '_'
        || c.is_alphanumeric()
        || (!c.is_ascii() && !c.is_control() && !c.is_whitespace() && !is_punct_start(c))
}

/// True when `s` is a valid screen name (ASCII letters, digits, `_`).
pub(crate) fn is_user_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// True when `s` is a valid cashtag symbol after `$`: an ASCII letter, then letters, digits,
/// `_` or `.`, not ending with `.` (`BRK.A`).
pub(crate) fn is_cashtag(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        && b[b.len() - 1] != b'.'
}

/// True when `s` looks like an operator name (`[A-Za-z_][A-Za-z0-9_]*`).
pub(crate) fn is_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// The words that are reserved when unquoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reserved {
    And,
    LowerOr,
    Not,
}

/// Classifies a bare word as a reserved word (`AND`/`and` in any case, lower-case `or`, `NOT` in
/// any case), if it is one.
pub(crate) fn reserved(word: &str) -> Option<Reserved> {
    match word.len() {
        2 if word == "or" => Some(Reserved::LowerOr),
        3 if word.eq_ignore_ascii_case("and") => Some(Reserved::And),
        3 if word.eq_ignore_ascii_case("not") => Some(Reserved::Not),
        _ => None,
    }
}

/// Length in bytes of the (Unicode) whitespace character at byte `at` of `src`, or 0.
pub(crate) fn ws_len(src: &str, at: usize) -> usize {
    match src.as_bytes().get(at) {
        Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) => 1,
        Some(&b) if b >= 0x80 => match src.get(at..).and_then(|s| s.chars().next()) {
            Some(c) if c.is_whitespace() => c.len_utf8(),
            _ => 0,
        },
        _ => 0,
    }
}

/// End of the bare word starting at byte `at`: the first whitespace, `(`, `)`, `"`, `:` or the
/// end of `src`.
pub(crate) fn word_end(src: &str, mut at: usize) -> usize {
    let b = src.as_bytes();
    while let Some(&c) = b.get(at) {
        if c < 0x80 {
            if is_ascii_delimiter(c) {
                break;
            }
            at += 1;
        } else {
            if ws_len(src, at) > 0 {
                break;
            }
            at += utf8_len(c);
        }
    }
    at
}

/// The length of the UTF-8 sequence starting with `lead`.
pub(crate) fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}
