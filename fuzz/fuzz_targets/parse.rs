//! `parse`: no rule text makes the parser panic; every error's span lies in the input on
//! character boundaries and agrees with its PowerTrack position; a valid rule prints to text
//! that re-parses to the same tree.
//!
//! The first byte chooses how the rest of the input becomes rule text:
//! - raw (`0x00..=0x3f`): the bytes as they are (lossy UTF-8), so any text is reachable;
//! - pieces (`0x40..=0xbf`): `Unstructured` picks a sequence of lexical pieces (operator names
//!   and aliases in any case, misspelt names, values of every argument kind, quotes, escapes,
//!   parens, `OR`, `-`, proximity, emoji, whitespace of every kind, arbitrary strings), so
//!   near-valid rules reach deep into the validator;
//! - tree (`0xc0..=0xff`): an arbitrary `syntax::Expr` (the crate's `arbitrary` feature)
//!   printed, then edited: pieces inserted, spans deleted or duplicated at arbitrary places.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use powertrack::syntax::{Expr, HasValue, IsValue, LANG_CODES, Operator, Rule, parse, position};

const PUNCT: &[&str] = &[
    "(", ")", "-", "\"", "\\", "\\\"", "OR", "or", "Or", "AND", "~", "~3", "~0", "~-1", "*", ":",
    "::", "@", "#", "$", "[", "]", ",", ".", "'", "&", "|", "!", "+", "^",
];
const SPACE: &[&str] = &[
    " ", "  ", "\t", "\n", "\r\n", "\u{a0}", "\u{3000}", "\u{200b}", "",
];
const WORDS: &[&str] = &[
    "social",
    "data",
    "a",
    "the",
    "is",
    "of",
    "café",
    "CAFÉ",
    "straße",
    "ǅ",
    "İstanbul",
    "中文",
    "日本語",
    "한국어",
    "עברית",
    "العربية",
    "🍕",
    "👍🏽",
    "👨‍👩‍👧",
    "🇫🇷",
    "1️⃣",
    "❤️",
    "x_y",
    "x-y",
    "x.y",
    "x'y",
    "0",
    "-1",
    "12345678901234567890",
    "18446744073709551616",
    "1e9",
    "0x10",
    "NaN",
    "http://t.co/x",
    "example.com",
    "#tag",
    "@user",
    "$TSLA",
    "🏴‍☠️",
];
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-0",
    "-1",
    "25",
    "25.0",
    "40",
    "40.1",
    "180",
    "-180",
    "180.0001",
    "90",
    "-90.5",
    "1e2",
    ".5",
    "5.",
    "1..2",
    "+3",
    "99999999999999999999",
    "3.4028235e38",
    "inf",
    "NaN",
];
const UNITS: &[&str] = &["mi", "km", "MI", "Km", "m", "", "mile", "kms"];

fn pick<'a>(u: &mut Unstructured<'_>, from: &[&'a str]) -> Result<&'a str> {
    u.choose(from).copied()
}

/// An operator name: canonical, alias, case-changed, truncated or extended.
fn op_name(u: &mut Unstructured<'_>) -> Result<String> {
    let op = *u.choose(Operator::ALL)?;
    let mut name = match op.alias() {
        Some(a) if u.arbitrary()? => a.to_string(),
        _ => op.name().to_string(),
    };
    match u.int_in_range(0..=9u8)? {
        0 => name = name.to_uppercase(),
        1 => {
            let cut = u.int_in_range(0..=name.len())?;
            name.truncate(cut);
        }
        2 => name.push_str(pick(u, &["s", "_", "x", "_count", ":"])?),
        3 => name = name.replace('_', "-"),
        _ => {}
    }
    Ok(name)
}

fn quoted(u: &mut Unstructured<'_>) -> Result<String> {
    let mut s = String::from("\"");
    for _ in 0..u.int_in_range(0..=6)? {
        match u.int_in_range(0..=5u8)? {
            0 => s.push_str(pick(u, PUNCT)?),
            1 => s.push_str(pick(u, SPACE)?),
            2 => s.push(u.arbitrary()?),
            _ => s.push_str(pick(u, WORDS)?),
        }
    }
    if u.ratio(7, 8)? {
        s.push('"');
    }
    Ok(s)
}

fn number(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(if u.arbitrary()? {
        pick(u, NUMBERS)?.to_string()
    } else {
        u.arbitrary::<f64>()?.to_string()
    })
}

/// A value for an operator of any kind (not necessarily the operator's own kind).
fn value(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=11u8)? {
        0 => quoted(u)?,
        1 => u.arbitrary::<u64>()?.to_string(),
        2 => format!("{}..{}", number(u)?, number(u)?),
        3 => pick(u, LANG_CODES)?.to_string(),
        4 => u.choose(HasValue::ALL)?.name().to_string(),
        5 => u.choose(IsValue::ALL)?.name().to_string(),
        6 => {
            let n = u.int_in_range(0..=5)?;
            let mut parts = Vec::new();
            for i in 0..n {
                let mut p = number(u)?;
                if i == 2 && u.arbitrary()? {
                    p.push_str(pick(u, UNITS)?);
                }
                parts.push(p);
            }
            format!(
                "[{}{}",
                parts.join(pick(u, &[" ", "  ", ",", ""])?),
                pick(u, &["]", ""])?
            )
        }
        7 => number(u)?,
        8 => String::new(),
        9 => u.arbitrary::<&str>()?.to_string(),
        _ => pick(u, WORDS)?.to_string(),
    })
}

fn piece(u: &mut Unstructured<'_>, out: &mut String) -> Result<()> {
    match u.int_in_range(0..=15u8)? {
        0..=3 => {
            out.push_str(&op_name(u)?);
            out.push(':');
            if u.ratio(1, 16)? {
                out.push_str(pick(u, SPACE)?);
            }
            out.push_str(&value(u)?);
        }
        4 | 5 => out.push_str(pick(u, PUNCT)?),
        6 => out.push_str(&quoted(u)?),
        7 => {
            out.push_str(&quoted(u)?);
            out.push('~');
            out.push_str(&number(u)?);
        }
        8 => out.push_str(u.arbitrary::<&str>()?),
        9 => out.push(u.arbitrary()?),
        10 => out.push_str(&value(u)?),
        _ => out.push_str(pick(u, WORDS)?),
    }
    out.push_str(if u.ratio(1, 6)? { pick(u, SPACE)? } else { " " });
    Ok(())
}

fn pieces(u: &mut Unstructured<'_>) -> Result<String> {
    let mut out = String::new();
    let n = u.int_in_range(1..=24)?;
    for _ in 0..n {
        piece(u, &mut out)?;
    }
    Ok(out)
}

fn boundary(u: &mut Unstructured<'_>, s: &str) -> Result<usize> {
    let mut i = u.int_in_range(0..=s.len())?;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    Ok(i)
}

fn tree(u: &mut Unstructured<'_>) -> Result<String> {
    let expr: Expr = u.arbitrary()?;
    let mut s = expr.to_string();
    for _ in 0..u.int_in_range(0..=3)? {
        let at = boundary(u, &s)?;
        match u.int_in_range(0..=2u8)? {
            0 => {
                let mut p = String::new();
                piece(u, &mut p)?;
                s.insert_str(at, &p);
            }
            1 => {
                let end = at + boundary(u, &s[at..])?;
                s.replace_range(at..end, "");
            }
            _ => {
                let end = at + boundary(u, &s[at..])?;
                let dup = s[at..end].to_string();
                s.insert_str(end, &dup);
            }
        }
    }
    Ok(s)
}

fn check(src: &str) {
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
                assert!(
                    s.start <= s.end && s.end <= src.len(),
                    "{s:?} in {}",
                    src.len()
                );
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
        assert_eq!(
            parse(&printed).as_ref().ok(),
            Some(&expr),
            "printed: {printed:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let src = match mode {
        0x00..=0x3f => String::from_utf8_lossy(rest).into_owned(),
        0x40..=0xbf => match pieces(&mut Unstructured::new(rest)) {
            Ok(s) => s,
            Err(_) => return,
        },
        _ => match tree(&mut Unstructured::new(rest)) {
            Ok(s) => s,
            Err(_) => return,
        },
    };
    check(&src);
});
