//! Unicode simple case folding (CaseFolding.txt statuses C and S) with an ASCII fast path.

use std::borrow::Cow;

use super::Token;
use super::fast::{for_each_token, packed};
use super::tables::SIMPLE_FOLD;

/// Bit of the packed class set when simple case folding changes the code point.
const FOLDS: u16 = 16;

/// The simple case folding of `c` (`'A'` → `'a'`, `'Σ'` → `'σ'`, `'ς'` → `'σ'`, `'ẞ'` → `'ß'`;
/// `'ß'` stays `'ß'`, since its full folding `ss` is not simple).
///
/// ```
/// use powertrack::tokenize::fold_char;
/// assert_eq!(fold_char('Р'), 'р');
/// assert_eq!(fold_char('ß'), 'ß');
/// ```
#[inline]
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if packed(c as u32) & FOLDS == 0 {
        return c;
    }
    fold_lookup(c)
}

/// The folding of `c` by binary search in the folding table (no fast path).
pub(crate) fn fold_lookup(c: char) -> char {
    match SIMPLE_FOLD.binary_search_by_key(&(c as u32), |&(from, _)| from) {
        Ok(i) => char::from_u32(SIMPLE_FOLD[i].1).unwrap_or(c),
        Err(_) => c,
    }
}

/// Appends the simple case folding of `s` to `out`.
///
/// ASCII runs are copied and lower-cased in place; other characters go through the table.
pub fn fold_into(s: &str, out: &mut String) {
    fold_into_same_lengths(s, out);
}

/// [`fold_into`], telling whether every character's folding has its UTF-8 length, so that byte
/// offsets into `s` are offsets into its folding (false only for the few, like U+212A KELVIN
/// SIGN → `k`, whose folding is shorter or longer).
fn fold_into_same_lengths(s: &str, out: &mut String) -> bool {
    let bytes = s.as_bytes();
    let mut same = true;
    let mut i = 0;
    while i < bytes.len() {
        // The longest ASCII run from i.
        let ascii_end = bytes[i..]
            .iter()
            .position(|&b| b >= 0x80)
            .map_or(bytes.len(), |k| i + k);
        if ascii_end > i {
            let from = out.len();
            out.push_str(&s[i..ascii_end]);
            // Only ASCII bytes were appended, so lower-casing them keeps the String valid.
            if let Some(appended) = out.get_mut(from..) {
                appended.make_ascii_lowercase();
            }
            i = ascii_end;
            continue;
        }
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        let folded = fold_char(c);
        same &= folded.len_utf8() == c.len_utf8();
        out.push(folded);
        i += c.len_utf8();
    }
    same
}

/// Bytes that stop the ASCII scan of [`first_change`]: upper-case ASCII letters and every
/// non-ASCII byte.
static FOLD_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b >= 0x80 || (b >= b'A' as usize && b <= b'Z' as usize);
        b += 1;
    }
    t
};

/// The byte offset of the first character of `s` that simple case folding changes, if any.
#[inline]
pub(crate) fn first_change(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    loop {
        i += bytes[i..].iter().position(|&b| FOLD_STOP[usize::from(b)])?;
        if bytes[i] < 0x80 {
            return Some(i);
        }
        let c = s[i..].chars().next()?;
        if fold_char(c) != c {
            return Some(i);
        }
        i += c.len_utf8();
    }
}

/// The simple case folding of `s`, borrowed when folding changes nothing (the common case for
/// rule terms already written in lower case).
///
/// ```
/// use powertrack::tokenize::fold;
/// use std::borrow::Cow;
///
/// assert_eq!(fold("Рубен"), "рубен");
/// assert!(matches!(fold("snow"), Cow::Borrowed("snow")));
/// assert_eq!(fold("STRASSE ẞ ß"), "strasse ß ß");
/// ```
pub fn fold(s: &str) -> Cow<'_, str> {
    match first_change(s) {
        None => Cow::Borrowed(s),
        Some(i) => {
            let mut out = String::with_capacity(s.len());
            out.push_str(&s[..i]);
            fold_into(&s[i..], &mut out);
            Cow::Owned(out)
        }
    }
}

/// Appends the simple case folding of `text` to `out` and calls `f` with each token of `text`
/// as written, its span moved onto `out`: `f(out, token)` with `token.text(out)` the folded
/// token.
///
/// Tokens come from the text as written, not from its folding, because folding can move a code
/// point to another script or class (U+00B5 MICRO SIGN, script Common, folds to Greek `μ`;
/// U+0345, a combining mark, to the letter `ι`), and a change of script is a token boundary.
/// The folded tokens and the folded gaps between them, appended in order, are the folding of
/// `text`.
///
/// ```
/// use powertrack::tokenize::{fold_tokens, tokens};
///
/// // Latin P + MICRO SIGN is one token as written, Latin P + Greek mu two.
/// let mut out = String::new();
/// let mut folded = Vec::new();
/// fold_tokens("Pµ PΜ", &mut out, |out, t| folded.push(t.text(out).to_string()));
/// assert_eq!(out, "pμ pμ");
/// assert_eq!(folded, ["pμ", "p", "μ"]);
/// assert_eq!(tokens("pμ pμ").count(), 4);
/// ```
pub fn fold_tokens(text: &str, out: &mut String, mut f: impl FnMut(&str, Token)) {
    let base = out.len();
    if fold_into_same_lengths(text, out) {
        // The common case: one pass folds the whole text, and the spans of its tokens as
        // written carry over to the folding unchanged.
        for_each_token(text, |t| {
            f(
                out,
                Token {
                    start: base + t.start,
                    end: base + t.end,
                    ..t
                },
            );
        });
        return;
    }
    out.truncate(base);
    let mut done = 0;
    for_each_token(text, |t| {
        fold_into(&text[done..t.start], out);
        let start = out.len();
        fold_into(t.text(text), out);
        done = t.end;
        f(
            out,
            Token {
                start,
                end: out.len(),
                ..t
            },
        );
    });
    fold_into(&text[done..], out);
}
