//! The fast and reference tokenizers agree on arbitrary strings, and folding agrees with the
//! plain table search.
#![no_main]

use libfuzzer_sys::fuzz_target;
use powertrack::tokenize::{Token, fold, fold_char, for_each_token, reference, tokens};

fuzz_target!(|data: &[u8]| {
    // Valid UTF-8 as is; anything else through lossy decoding (U+FFFD is a symbol).
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    let fast: Vec<Token> = tokens(text).collect();
    let slow = reference::tokenize(text);
    assert_eq!(fast, slow, "fast and reference tokenizers disagree on {text:?}");
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
