//! The PowerTrack tokenizer and case folding.
//!
//! Keyword, phrase and proximity operators match *tokens* of a post's text. This module turns
//! one string (one field: the post body, or one URL string) into tokens, following
//! rule-language §5 and matching-semantics S11–S18:
//!
//! * Unicode separators (`Z*`), control characters (`Cc`) and format characters (`Cf`) other
//!   than the joiners U+200C/U+200D split tokens and are not tokens themselves. A run of them
//!   of any length is one separator: `"call  gnip"` gives two adjacent tokens.
//! * Every punctuation (`P*`) and symbol (`S*`) code point is a boundary and its own
//!   one-character [`TokenKind::Punct`] token (phrases match them): `coca-cola` is `coca`, `-`,
//!   `cola`; `gnip's` is `gnip`, `'`, `s`; `3.14` is `3`, `.`, `14`; `_` is punctuation.
//! * Emoji are one [`TokenKind::Emoji`] token each, sequences included: a pictograph
//!   (`Extended_Pictographic`) or a skin-tone modifier followed by any number of combining marks
//!   (variation selectors U+FE0E/U+FE0F among them), skin-tone modifiers and tag characters
//!   (U+E0020–U+E007F), joined by U+200D ZERO WIDTH JOINER to further emoji (`👩‍👩‍👧`); a
//!   flag (a pair of regional indicators, `🇯🇵`; a lone one is a token too); a keycap (`#`, `*`
//!   or a digit, an optional U+FE0F, then U+20E3: `1️⃣`). A ZWJ after an emoji that is not
//!   followed by another emoji stays in the emoji token.
//! * Letters (`L*`), numbers (`N*`), private-use and unassigned code points are word
//!   characters; combining marks (`M*`) and the joiners extend the word before them (accents
//!   are word characters: `Diacrítica` is one token, with or without a precomposed `í`). A mark
//!   with no word before it starts a word.
//! * A change of script between word characters is a boundary (`iPhoneケース` is `iPhone`,
//!   `ケース`). Characters of the Common, Inherited or Unknown scripts (digits, `ー`, combining
//!   marks) belong to the token they are written in, whatever its script: `COACHELLA2015` and
//!   `第1回` are one token each.
//! * Scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) form
//!   [`TokenKind::Spaceless`] runs, inside which the matcher looks for keywords of those scripts
//!   anywhere (`一` matches inside `第一印象`). Han, Hiragana and Katakana count as one script
//!   for boundaries, since Japanese words mix them (`食べる`).
//! * This is not UAX #29 word segmentation, there is no normalisation and no stemming. Case
//!   is compared by Unicode *simple* case folding ([`fold`]; `ß` stays `ß`), with no accent
//!   folding.
//!
//! A [`Token`] carries its byte span in the input, its [`TokenKind`] and its position (the
//! index of the token in the string; punctuation tokens count, whitespace does not). The
//! tokenizer sees one string: which field of which post a token belongs to is the caller's
//! business, and a phrase must never be matched across two calls (two fields or two posts).
//!
//! Two implementations exist: [`tokens`] / [`for_each_token`] (the fast one, a packed class
//! table with an ASCII fast path, no allocation) and [`reference::tokenize`] (one code point
//! at a time from the general category and script tables, obviously correct, slow). The tests
//! and the `tokenizer` fuzz target check that they agree. The Unicode tables are generated from
//! the Unicode Character Database by `scripts/gen-unicode-tables.py`; their version is
//! [`UNICODE_VERSION`].
//!
//! # Example
//!
//! ```
//! use powertrack::tokenize::{TokenKind, tokens};
//!
//! let text = "I like coca-cola! 🍕 #Coachella2015 第一印象";
//! let mut folded = String::new();
//! let got: Vec<(String, TokenKind, usize)> = tokens(text)
//!     .map(|t| (t.folded(text, &mut folded).to_owned(), t.kind, t.position))
//!     .collect();
//! assert_eq!(
//!     got,
//!     [
//!         ("i".into(), TokenKind::Word, 0),
//!         ("like".into(), TokenKind::Word, 1),
//!         ("coca".into(), TokenKind::Word, 2),
//!         ("-".into(), TokenKind::Punct, 3),
//!         ("cola".into(), TokenKind::Word, 4),
//!         ("!".into(), TokenKind::Punct, 5),
//!         ("🍕".into(), TokenKind::Emoji, 6),
//!         ("#".into(), TokenKind::Punct, 7),
//!         ("coachella2015".into(), TokenKind::Word, 8),
//!         ("第一印象".into(), TokenKind::Spaceless, 9),
//!     ]
//! );
//! ```

mod fast;
mod fold;
pub mod reference;
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, dead_code)]
mod tables;

use std::ops::Range;

pub use fast::{Tokens, for_each_token, tokens};
pub use fold::{fold, fold_char, fold_into, fold_tokens};

/// The version of the Unicode Character Database the tables were generated from.
pub const UNICODE_VERSION: &str = tables::UNICODE_VERSION;

/// What a token is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Word characters (letters, digits, marks) of a space-delimited script, or of no script.
    Word,
    /// A run of word characters of a script written without spaces (Han, Hiragana, Katakana,
    /// Thai, Lao, Khmer, Myanmar), possibly with Common and Inherited characters (digits, `ー`,
    /// marks) inside: keywords of those scripts match anywhere inside it.
    Spaceless,
    /// One punctuation or symbol code point. Phrases match it; keywords do not.
    Punct,
    /// One emoji, sequences included (ZWJ sequences, skin tones, flags, keycaps, tags).
    Emoji,
}

/// One token of a string: its byte span, kind and position.
///
/// The span indexes the string given to the tokenizer; [`Token::text`] and [`Token::folded`]
/// take that string back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Token {
    /// Byte offset of the token's first byte.
    pub start: usize,
    /// Byte offset just past the token's last byte.
    pub end: usize,
    /// The index of this token among the string's tokens (0, 1, 2, …): phrases need
    /// consecutive positions, proximity counts the difference.
    pub position: usize,
    /// What the token is made of.
    pub kind: TokenKind,
}

impl Token {
    /// The token's byte span.
    #[inline]
    pub fn span(&self) -> Range<usize> {
        self.start..self.end
    }

    /// The token's text in `text`, the string it was produced from.
    ///
    /// # Panics
    ///
    /// When `text` is not the string the token came from and the span does not fit it.
    #[inline]
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start..self.end]
    }

    /// The token's case-folded text, without allocating: a slice of `text` when folding
    /// changes nothing (most tokens), else `buf`, cleared and filled with the folding. A caller
    /// reusing one buffer folds every token without allocating (once the buffer has grown to
    /// the longest token). ASCII is checked and folded byte by byte.
    ///
    /// # Panics
    ///
    /// When `text` is not the string the token came from and the span does not fit it.
    #[inline]
    pub fn folded<'a>(&self, text: &'a str, buf: &'a mut String) -> &'a str {
        let s = self.text(text);
        match fold::first_change(s) {
            None => s,
            Some(i) => {
                buf.clear();
                buf.push_str(&s[..i]);
                fold_into(&s[i..], buf);
                buf
            }
        }
    }

    /// True for the kinds a keyword can match: [`TokenKind::Word`], [`TokenKind::Spaceless`]
    /// and [`TokenKind::Emoji`].
    #[inline]
    pub fn is_keyword(&self) -> bool {
        self.kind != TokenKind::Punct
    }
}
