//! The fast tokenizer: a packed two-level class table, an ASCII fast path, no allocation.
//!
//! It implements the rules documented on the module ([`super`]) over UTF-8 bytes; the
//! reference tokenizer implements them again one `char` at a time from the general category
//! and script tables. Keep the two in step.

// Byte-scanning code reads best with the usual short names (b byte, c code point, e end,
// n length, p packed class).
#![allow(clippy::many_single_char_names)]

use std::iter::FusedIterator;

use super::tables::{CLASS_BLOCK_SHIFT, CLASS_BLOCKS, CLASS_INDEX, PACKED_LATIN};
use super::{Token, TokenKind};

// Classes (low 3 bits of a packed entry; the generator writes the same numbers).
const SEP: u16 = 0;
const PUNCT: u16 = 1;
const WORD: u16 = 2;
const MARK: u16 = 3;
const JOINER: u16 = 4;
const PICT: u16 = 5;
const RI: u16 = 6;
const CLASS_MASK: u16 = 7;
/// Flag: extends an emoji element (combining marks, skin-tone modifiers, tag characters).
const EXT: u16 = 8;
/// Script ids 1..=5 are the spaceless families.
const LAST_SPACELESS: u16 = 5;

/// The packed class entry of code point `c` (any `u32`; beyond U+10FFFF reads as unassigned).
#[inline]
pub(crate) fn packed(c: u32) -> u16 {
    let block = CLASS_INDEX
        .get((c >> CLASS_BLOCK_SHIFT) as usize)
        .copied()
        .unwrap_or(0);
    CLASS_BLOCKS[usize::from(block)][(c & ((1 << CLASS_BLOCK_SHIFT) - 1)) as usize]
}

// ASCII byte classes of the fast path.
const A_SEP: u8 = 0;
const A_PUNCT: u8 = 1;
const A_LETTER: u8 = 2;
const A_DIGIT: u8 = 3;
/// `#` and `*`: punctuation, or the base of a keycap emoji.
const A_KEYCAP: u8 = 4;
/// Bytes 0x80..=0xFF: not ASCII.
const A_HIGH: u8 = 5;

static ASCII_CLASS: [u8; 256] = {
    let mut t = [A_HIGH; 256];
    let mut b = 0;
    while b < 128 {
        #[allow(clippy::cast_possible_truncation)] // b < 128
        let c = b as u8;
        t[b] = if c.is_ascii_alphabetic() {
            A_LETTER
        } else if c.is_ascii_digit() {
            A_DIGIT
        } else if c == b'#' || c == b'*' {
            A_KEYCAP
        } else if c.is_ascii_punctuation() {
            A_PUNCT
        } else {
            // Space and the controls (tab, line feed, …, DEL): Zs and Cc.
            A_SEP
        };
        b += 1;
    }
    t
};

/// True for ASCII letters and digits.
static ASCII_ALNUM: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        #[allow(clippy::cast_possible_truncation)] // b < 256
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric();
        b += 1;
    }
    t
};

const ZWJ: &[u8] = "\u{200D}".as_bytes();
const KEYCAP: &[u8] = "\u{20E3}".as_bytes();
const VS16_KEYCAP: &[u8] = "\u{FE0F}\u{20E3}".as_bytes();

/// Decodes the UTF-8 character at `i` (a char boundary of a `str`, not at its end).
#[inline]
fn decode(bytes: &[u8], i: usize) -> (u32, usize) {
    let b0 = u32::from(bytes[i]);
    if b0 < 0x80 {
        (b0, 1)
    } else if b0 < 0xE0 {
        (((b0 & 0x1F) << 6) | (u32::from(bytes[i + 1]) & 0x3F), 2)
    } else if b0 < 0xF0 {
        (
            ((b0 & 0x0F) << 12)
                | ((u32::from(bytes[i + 1]) & 0x3F) << 6)
                | (u32::from(bytes[i + 2]) & 0x3F),
            3,
        )
    } else {
        (
            ((b0 & 0x07) << 18)
                | ((u32::from(bytes[i + 1]) & 0x3F) << 12)
                | ((u32::from(bytes[i + 2]) & 0x3F) << 6)
                | (u32::from(bytes[i + 3]) & 0x3F),
            4,
        )
    }
}

/// After a keycap base ending at `i`: the end of `U+FE0F? U+20E3`, if it is there.
#[inline]
fn keycap_end(bytes: &[u8], i: usize) -> Option<usize> {
    let rest = bytes.get(i..)?;
    if rest.starts_with(KEYCAP) {
        Some(i + KEYCAP.len())
    } else if rest.starts_with(VS16_KEYCAP) {
        Some(i + VS16_KEYCAP.len())
    } else {
        None
    }
}

/// The end of the emoji element (keycap, flag or pictograph) starting at `i`, if one does.
#[inline]
fn emoji_element(bytes: &[u8], i: usize) -> Option<usize> {
    let b = *bytes.get(i)?;
    if b < 0x80 {
        return match ASCII_CLASS[usize::from(b)] {
            A_DIGIT | A_KEYCAP => keycap_end(bytes, i + 1),
            _ => None,
        };
    }
    let (c, len) = decode(bytes, i);
    match packed(c) & CLASS_MASK {
        PICT => Some(i + len),
        RI => Some(regional_pair_end(bytes, i + len)),
        _ => None,
    }
}

/// After a regional indicator ending at `i`: the end of the flag (a second indicator) or `i`.
#[inline]
fn regional_pair_end(bytes: &[u8], i: usize) -> usize {
    if i < bytes.len() && bytes[i] >= 0x80 {
        let (c, len) = decode(bytes, i);
        if packed(c) & CLASS_MASK == RI {
            return i + len;
        }
    }
    i
}

/// From the end `e` of an emoji element: the end of the whole emoji token (extenders, then
/// ZWJ and a further element, repeatedly; a trailing ZWJ stays in the token).
#[inline]
fn emoji_end(bytes: &[u8], mut e: usize) -> usize {
    loop {
        while e < bytes.len() && bytes[e] >= 0x80 {
            let (c, len) = decode(bytes, e);
            if packed(c) & EXT == 0 {
                break;
            }
            e += len;
        }
        if bytes[e..].starts_with(ZWJ) {
            e += ZWJ.len();
            if let Some(next) = emoji_element(bytes, e) {
                e = next;
                continue;
            }
        }
        return e;
    }
}

/// From the end `e` of a word's first character, of script `script` (0: none yet): the end of
/// the word and its final script.
#[inline(never)]
fn word_end(bytes: &[u8], mut e: usize, mut script: u16) -> (usize, u16) {
    let n = bytes.len();
    while e < n {
        let b = bytes[e];
        if b < 0x80 {
            if !ASCII_ALNUM[usize::from(b)] {
                break;
            }
            // The ASCII fast path: a run of letters and digits.
            let run = e;
            e = ascii_alnum_end(bytes, e + 1);
            if script != PACKED_LATIN
                && let Some(k) = bytes[run..e].iter().position(u8::is_ascii_alphabetic)
            {
                if script == 0 {
                    script = PACKED_LATIN;
                } else {
                    // Another script's word followed by Latin letters: the letters start the
                    // next token (digits before them stay here).
                    return (run + k, script);
                }
            }
            // A digit followed by U+FE0F? U+20E3 is a keycap: it starts the next token.
            if e < n
                && bytes[e] >= 0x80
                && bytes[e - 1].is_ascii_digit()
                && keycap_end(bytes, e).is_some()
            {
                return (e - 1, script);
            }
            continue;
        }
        let (c, len) = decode(bytes, e);
        let p = packed(c);
        match p & CLASS_MASK {
            WORD | MARK | JOINER => {
                let s = p >> 8;
                if s != 0 {
                    if script != 0 && s != script {
                        break;
                    }
                    script = s;
                }
                e += len;
            }
            _ => break,
        }
    }
    (e, script)
}

/// The end of the run of ASCII letters and digits starting at `i`.
#[allow(clippy::inline_always)] // measured: see next_token
#[inline(always)]
fn ascii_alnum_end(bytes: &[u8], i: usize) -> usize {
    bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| !ASCII_ALNUM[usize::from(b)]))
        .map_or(bytes.len(), |k| i + k)
}

/// The next token at or after byte `pos`: its span and kind. The ASCII cases are handled here
/// (inlined into the caller's loop); everything else goes to [`next_token_slow`].
///
/// Always inlined: with it and [`ascii_alnum_end`] inlined into the caller's loop, callgrind
/// counts 12 instead of 27 instructions per byte of ASCII corpus text.
#[allow(clippy::inline_always)]
#[inline(always)]
fn next_token(bytes: &[u8], mut pos: usize) -> Option<(usize, usize, TokenKind)> {
    let n = bytes.len();
    while pos < n {
        let b = bytes[pos];
        match ASCII_CLASS[usize::from(b)] {
            A_SEP => pos += 1,
            A_LETTER => {
                // The ASCII fast path: a word of ASCII letters and digits that ends at ASCII
                // (or at the end) is complete; only a non-ASCII byte after it needs the
                // general rules (accents, marks, script change, keycap).
                let e = ascii_alnum_end(bytes, pos + 1);
                if e == n || bytes[e] < 0x80 {
                    return Some((pos, e, TokenKind::Word));
                }
                // (word_end scans the ASCII run again: it checks for a keycap after it.)
                let (end, script) = word_end(bytes, pos + 1, PACKED_LATIN);
                return Some((pos, end, word_kind(script)));
            }
            A_DIGIT => {
                // The same for a word starting with a digit (a keycap needs a non-ASCII byte
                // after the digit, so the slow path sees every keycap).
                let e = ascii_alnum_end(bytes, pos + 1);
                if e == n || bytes[e] < 0x80 {
                    return Some((pos, e, TokenKind::Word));
                }
                return next_token_slow(bytes, pos);
            }
            A_PUNCT => return Some((pos, pos + 1, TokenKind::Punct)),
            _ => return next_token_slow(bytes, pos),
        }
    }
    None
}

/// The token starting at `pos`, which holds a digit, `#`, `*` or a non-ASCII character that
/// is not a separator (or a separator run beginning with one, skipped first).
#[inline(never)]
fn next_token_slow(bytes: &[u8], mut pos: usize) -> Option<(usize, usize, TokenKind)> {
    let n = bytes.len();
    while pos < n {
        let b = bytes[pos];
        match ASCII_CLASS[usize::from(b)] {
            A_SEP => pos += 1,
            A_LETTER => {
                let (end, script) = word_end(bytes, pos + 1, PACKED_LATIN);
                return Some((pos, end, word_kind(script)));
            }
            A_PUNCT => return Some((pos, pos + 1, TokenKind::Punct)),
            A_DIGIT | A_KEYCAP => {
                if let Some(e) = keycap_end(bytes, pos + 1) {
                    return Some((pos, emoji_end(bytes, e), TokenKind::Emoji));
                }
                if b == b'#' || b == b'*' {
                    return Some((pos, pos + 1, TokenKind::Punct));
                }
                let (end, script) = word_end(bytes, pos + 1, 0);
                return Some((pos, end, word_kind(script)));
            }
            _ => {
                let (c, len) = decode(bytes, pos);
                let p = packed(c);
                match p & CLASS_MASK {
                    SEP | JOINER => pos += len,
                    PUNCT => return Some((pos, pos + len, TokenKind::Punct)),
                    WORD | MARK => {
                        let (end, script) = word_end(bytes, pos + len, p >> 8);
                        return Some((pos, end, word_kind(script)));
                    }
                    PICT => return Some((pos, emoji_end(bytes, pos + len), TokenKind::Emoji)),
                    _ => {
                        let e = regional_pair_end(bytes, pos + len);
                        return Some((pos, emoji_end(bytes, e), TokenKind::Emoji));
                    }
                }
            }
        }
    }
    None
}

#[inline]
fn word_kind(script: u16) -> TokenKind {
    if script != 0 && script <= LAST_SPACELESS {
        TokenKind::Spaceless
    } else {
        TokenKind::Word
    }
}

/// The tokens of `text`, in order (the fast tokenizer; see the [module docs](super)).
///
/// ```
/// use powertrack::tokenize::tokens;
///
/// let text = "Check out gnip's documentation.";
/// let words: Vec<&str> = tokens(text).map(|t| t.text(text)).collect();
/// assert_eq!(words, ["Check", "out", "gnip", "'", "s", "documentation", "."]);
/// ```
pub fn tokens(text: &str) -> Tokens<'_> {
    Tokens {
        bytes: text.as_bytes(),
        pos: 0,
        position: 0,
    }
}

/// Calls `f` with each token of `text`, in order: the same tokens as [`tokens`], as a
/// callback.
///
/// ```
/// use powertrack::tokenize::{TokenKind, for_each_token};
///
/// let mut emoji = 0;
/// for_each_token("👩‍👩‍👧 👍🏽 🇯🇵 1️⃣ ⚽️", |t| {
///     assert_eq!(t.kind, TokenKind::Emoji);
///     emoji += 1;
/// });
/// assert_eq!(emoji, 5);
/// ```
#[inline]
pub fn for_each_token(text: &str, mut f: impl FnMut(Token)) {
    let bytes = text.as_bytes();
    let mut pos = 0;
    let mut position = 0;
    while let Some((start, end, kind)) = next_token(bytes, pos) {
        f(Token {
            start,
            end,
            position,
            kind,
        });
        position += 1;
        pos = end;
    }
}

/// The iterator of [`tokens`].
#[derive(Clone, Debug)]
pub struct Tokens<'a> {
    bytes: &'a [u8],
    pos: usize,
    position: usize,
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    #[inline]
    fn next(&mut self) -> Option<Token> {
        let (start, end, kind) = next_token(self.bytes, self.pos)?;
        self.pos = end;
        let position = self.position;
        self.position += 1;
        Some(Token {
            start,
            end,
            position,
            kind,
        })
    }
}

impl FusedIterator for Tokens<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_classes_match_the_unicode_table() {
        for b in 0u8..128 {
            let p = packed(u32::from(b)) & CLASS_MASK;
            let expected = match ASCII_CLASS[usize::from(b)] {
                A_SEP => SEP,
                A_PUNCT | A_KEYCAP => PUNCT,
                A_LETTER | A_DIGIT => WORD,
                _ => unreachable!(),
            };
            assert_eq!(p, expected, "byte {b:#x}");
            if b.is_ascii_alphabetic() {
                assert_eq!(packed(u32::from(b)) >> 8, PACKED_LATIN);
            }
            if b.is_ascii_digit() {
                assert_eq!(packed(u32::from(b)) >> 8, 0, "digits are Common");
            }
        }
    }
}
