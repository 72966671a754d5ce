//! The reference tokenizer: one code point at a time, by general category and script.
//!
//! It shares nothing with the fast tokenizer but the [`Token`] type and the generated range
//! tables of the Unicode Character Database (general category, script, emoji properties),
//! which it searches directly. It is slow and allocates; it exists so that tests and the
//! `tokenizer` fuzz target can check the fast tokenizer against it. The rules are those of the
//! [module docs](super).

use super::tables::{
    EMOJI_MODIFIER, EXTENDED_PICTOGRAPHIC, GC_RANGES, Gc, REGIONAL_INDICATOR, SCRIPT_NAMES,
    SCRIPT_RANGES,
};
use super::{Token, TokenKind};

/// The class of a code point for tokenizing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Separators, controls, format characters other than the joiners: split, no token.
    Separator,
    /// Punctuation and symbols that are not emoji: a one-character token.
    Punct,
    /// Letters, numbers, private use, unassigned: word characters.
    Word,
    /// Combining marks: extend the word before them, or start one.
    Mark,
    /// U+200C ZERO WIDTH NON-JOINER and U+200D ZERO WIDTH JOINER: extend the word before them,
    /// or are ignored.
    Joiner,
    /// `Extended_Pictographic` or `Emoji_Modifier`: starts an emoji.
    Pictograph,
    /// A regional indicator: starts a flag.
    Regional,
}

/// Orders a range `(first, last)` against code point `c`, for binary searches.
fn against(first: u32, last: u32, c: u32) -> std::cmp::Ordering {
    if last < c {
        std::cmp::Ordering::Less
    } else if first > c {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}

fn in_ranges(ranges: &[(u32, u32)], c: char) -> bool {
    ranges
        .binary_search_by(|&(first, last)| against(first, last, c as u32))
        .is_ok()
}

fn range_value<T: Copy>(ranges: &[(u32, u32, T)], c: char) -> Option<T> {
    ranges
        .binary_search_by(|&(first, last, _)| against(first, last, c as u32))
        .ok()
        .map(|i| ranges[i].2)
}

/// The general category of `c` (`Cn` when unlisted).
fn general_category(c: char) -> Gc {
    range_value(&GC_RANGES, c).unwrap_or(Gc::Cn)
}

/// The script name of `c` (`Unknown` when unlisted).
fn script(c: char) -> &'static str {
    range_value(&SCRIPT_RANGES, c).map_or("Unknown", |id| SCRIPT_NAMES[usize::from(id)])
}

/// The script that decides token boundaries: `None` for Common, Inherited and Unknown (such
/// characters join whatever token they are in), and one family for Han, Hiragana and Katakana.
fn boundary_script(c: char) -> Option<&'static str> {
    match script(c) {
        "Common" | "Inherited" | "Unknown" => None,
        "Hiragana" | "Katakana" => Some("Han"),
        s => Some(s),
    }
}

/// True for the scripts written without spaces.
fn is_spaceless(script: &str) -> bool {
    matches!(script, "Han" | "Thai" | "Lao" | "Khmer" | "Myanmar")
}

fn class(c: char) -> Class {
    if in_ranges(&REGIONAL_INDICATOR, c) {
        return Class::Regional;
    }
    if in_ranges(&EXTENDED_PICTOGRAPHIC, c) || in_ranges(&EMOJI_MODIFIER, c) {
        return Class::Pictograph;
    }
    match general_category(c) {
        Gc::Cf if c == '\u{200C}' || c == '\u{200D}' => Class::Joiner,
        Gc::Zs | Gc::Zl | Gc::Zp | Gc::Cc | Gc::Cs | Gc::Cf => Class::Separator,
        Gc::Pc
        | Gc::Pd
        | Gc::Ps
        | Gc::Pe
        | Gc::Pi
        | Gc::Pf
        | Gc::Po
        | Gc::Sm
        | Gc::Sc
        | Gc::Sk
        | Gc::So => Class::Punct,
        Gc::Mn | Gc::Mc | Gc::Me => Class::Mark,
        Gc::Lu | Gc::Ll | Gc::Lt | Gc::Lm | Gc::Lo | Gc::Nd | Gc::Nl | Gc::No | Gc::Co | Gc::Cn => {
            Class::Word
        }
    }
}

/// True for what may follow an emoji element inside the emoji: combining marks (variation
/// selectors, the keycap mark), skin-tone modifiers and tag characters.
fn is_emoji_extender(c: char) -> bool {
    matches!(general_category(c), Gc::Mn | Gc::Mc | Gc::Me)
        || in_ranges(&EMOJI_MODIFIER, c)
        || ('\u{E0020}'..='\u{E007F}').contains(&c)
}

fn is_keycap_base(c: char) -> bool {
    c.is_ascii_digit() || c == '#' || c == '*'
}

/// The end (index into `chars`) of the emoji element starting at `i`, if one does: a keycap
/// (`[0-9#*] U+FE0F? U+20E3`), a flag (two regional indicators; one alone also counts) or a
/// pictograph.
fn emoji_element(chars: &[char], i: usize) -> Option<usize> {
    let c = *chars.get(i)?;
    if is_keycap_base(c) {
        return match (chars.get(i + 1), chars.get(i + 2)) {
            (Some('\u{20E3}'), _) => Some(i + 2),
            (Some('\u{FE0F}'), Some('\u{20E3}')) => Some(i + 3),
            _ => None,
        };
    }
    match class(c) {
        Class::Regional => {
            if chars
                .get(i + 1)
                .is_some_and(|&d| class(d) == Class::Regional)
            {
                Some(i + 2)
            } else {
                Some(i + 1)
            }
        }
        Class::Pictograph => Some(i + 1),
        _ => None,
    }
}

/// The tokens of `text` (the reference tokenizer).
///
/// ```
/// use powertrack::tokenize::{reference, tokens};
///
/// let text = "NEW.PICS.FROM.COACHELLA2015! 🇯🇵";
/// assert_eq!(reference::tokenize(text), tokens(text).collect::<Vec<_>>());
/// ```
pub fn tokenize(text: &str) -> Vec<Token> {
    let indexed: Vec<(usize, char)> = text.char_indices().collect();
    let chars: Vec<char> = indexed.iter().map(|&(_, c)| c).collect();
    let offset = |i: usize| indexed.get(i).map_or(text.len(), |&(o, _)| o);
    let mut out = Vec::new();
    let mut push = |start: usize, end: usize, kind: TokenKind| {
        let position = out.len();
        out.push(Token {
            start: offset(start),
            end: offset(end),
            position,
            kind,
        });
    };

    let mut i = 0;
    while i < chars.len() {
        if let Some(mut e) = emoji_element(&chars, i) {
            loop {
                while e < chars.len() && is_emoji_extender(chars[e]) {
                    e += 1;
                }
                if chars.get(e) == Some(&'\u{200D}') {
                    e += 1;
                    if let Some(next) = emoji_element(&chars, e) {
                        e = next;
                        continue;
                    }
                }
                break;
            }
            push(i, e, TokenKind::Emoji);
            i = e;
            continue;
        }
        match class(chars[i]) {
            Class::Separator | Class::Joiner => i += 1,
            Class::Punct => {
                push(i, i + 1, TokenKind::Punct);
                i += 1;
            }
            Class::Word | Class::Mark => {
                let mut word_script = boundary_script(chars[i]);
                let mut e = i + 1;
                while e < chars.len() {
                    let c = chars[e];
                    if !matches!(class(c), Class::Word | Class::Mark | Class::Joiner)
                        || emoji_element(&chars, e).is_some()
                    {
                        break;
                    }
                    if let Some(s) = boundary_script(c) {
                        if word_script.is_some_and(|w| w != s) {
                            break;
                        }
                        word_script = Some(s);
                    }
                    e += 1;
                }
                let kind = if word_script.is_some_and(is_spaceless) {
                    TokenKind::Spaceless
                } else {
                    TokenKind::Word
                };
                push(i, e, kind);
                i = e;
            }
            Class::Pictograph | Class::Regional => {
                unreachable!("emoji_element starts an emoji at every pictograph and indicator")
            }
        }
    }
    out
}

/// The simple case folding of `c` by a plain search of the folding table (no fast path), for
/// checking [`super::fold_char`].
pub fn fold_char(c: char) -> char {
    super::fold::fold_lookup(c)
}
