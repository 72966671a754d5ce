//! Arbitrary bytes never make the parser panic; every error's span lies in the input on
//! character boundaries and agrees with its PowerTrack position; a valid rule prints to text
//! that re-parses to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use powertrack::syntax::{Rule, parse, position};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    match Rule::parse(src) {
        Ok(rule) => {
            let printed = rule.to_string();
            let again = parse(&printed).expect("printed rule re-parses");
            assert_eq!(&again, rule.expr(), "printed: {printed:?}");
            Rule::parse(&printed).expect("printed rule is valid");
        }
        Err(err) => {
            assert!(!err.diagnostics().is_empty());
            let _ = err.to_string();
            let _ = err.powertrack_message();
            for d in err.diagnostics() {
                let s = d.span();
                assert!(s.start <= s.end && s.end <= src.len(), "{s:?} in {}", src.len());
                assert!(src.is_char_boundary(s.start) && src.is_char_boundary(s.end));
                assert!(
                    d.position() == position(src, s.start) || d.position() == 1,
                    "{d:?}"
                );
            }
        }
    }
    if let Ok(expr) = parse(src) {
        let printed = expr.to_string();
        assert_eq!(parse(&printed).as_ref().ok(), Some(&expr), "printed: {printed:?}");
    }
});
