//! Arbitrary AST → print → parse → the same AST (equality ignores spans).
#![no_main]

use libfuzzer_sys::fuzz_target;
use powertrack::syntax::{Expr, MAX_RULE_LEN, parse, utf16_len};

fuzz_target!(|expr: Expr| {
    let printed = expr.to_string();
    if utf16_len(&printed) > MAX_RULE_LEN {
        return;
    }
    let parsed = match parse(&printed) {
        Ok(p) => p,
        // Nesting beyond the limit is refused by design.
        Err(e) if matches!(e.kind(), powertrack::syntax::ErrorKind::TooDeep) => return,
        Err(e) => panic!("{e}\n{expr:?}"),
    };
    assert_eq!(parsed, expr, "printed: {printed}");
    assert_eq!(parsed.to_string(), printed);
});
