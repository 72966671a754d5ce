//! Findings of the fuzz targets, replayed as plain tests (see `fuzz/README.md`): each input is
//! the minimized finding, and each test names its root cause.

use powertrack::matcher::{Matches, RuleSetBuilder, Scratch};
use powertrack::post::{Line, Parser};
use powertrack::reference::RuleBook;
use powertrack::syntax::Rule;

/// The ids the compiled rule set and the reference evaluator give for `line`, rule `k` having
/// id `k + 1`.
fn compiled_and_reference(rules: &[&str], line: &str) -> (Vec<u64>, Vec<u64>) {
    let mut builder = RuleSetBuilder::new();
    let mut book = Vec::new();
    for (id, value) in (1u64..).zip(rules) {
        let rule = Rule::parse(value).expect("valid rule");
        builder.add(id, None, rule.clone());
        book.push((id, rule));
    }
    let set = builder.build().expect("distinct ids");
    let book = RuleBook::new(book);
    let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
    set.match_line(line.as_bytes(), &mut scratch, &mut matches)
        .expect("a post line");
    let mut parser = Parser::new();
    let Ok(Line::Post(post)) = parser.parse(line.as_bytes()) else {
        panic!("not a post: {line}");
    };
    (matches.ids().collect(), book.matching_ids(&post))
}

/// `match_vs_reference`, 2026-11-24 (rule `(PΜ ME #ME) OR (has:images me)`, a post with
/// `PµмÎ` in its text). Root cause: the matcher folded a field and then tokenized the folded
/// text, and the compiler did the same with keywords. Simple case folding moves U+00B5 MICRO
/// SIGN (script Common) to Greek `μ`, and a change of script is a token boundary, so `Pµ` was
/// one token as written but two once folded, and `PΜ` (Latin P, Greek capital Mu: two tokens)
/// matched it. The reference tokenizes the text as written and folds each token; both sides of
/// the compiled path now do too.
#[test]
fn folding_does_not_move_token_boundaries() {
    let post = |text: &str| {
        format!(r#"{{"id_str":"1","text":"{text}","user":{{"id_str":"2","screen_name":"a"}}}}"#)
    };
    // Latin P + MICRO SIGN is one token; Latin P + Greek Mu is two.
    for (text, rule, want) in [
        ("Pµм", "PΜ", false),
        ("PµмÎ ß", "PΜ", false),
        ("Pµ", "pμ", false),
        ("Pµ", "pµ", true),
        ("PΜ", "pµ", false),
        ("PΜ", "pμ", true),
        ("Pμм", "pμм", true),
        ("Pµм x", "\"pµм x\"", true),
        ("Pµм x", "\"p μм x\"", false),
        ("Pµ x", "\"pµ x\"~2", true),
        ("Pµ x", "\"p x\"~2", false),
        // U+0345 COMBINING YPOGEGRAMMENI (Inherited, a mark) folds to Greek iota (a letter).
        ("a\u{345}", "aι", false),
        ("a\u{345}", "a\u{345}", true),
        // KELVIN SIGN folds to one byte: the spans of the folded text move.
        ("\u{212A}µ x", "kµ", true),
        ("\u{212A}µ x", "kμ", false),
        ("\u{212A}µ x", "\"kµ x\"", true),
    ] {
        let (compiled, reference) = compiled_and_reference(&[rule], &post(text));
        assert_eq!(compiled, reference, "rule {rule:?}, text {text:?}");
        assert_eq!(!reference.is_empty(), want, "rule {rule:?}, text {text:?}");
    }
}

/// The finding, cut down to the post fields and rules it involves (rule 2 was matched by the
/// compiled set only).
#[test]
fn match_vs_reference_micro_sign_finding() {
    let line = r#"{"extended_tweet":{"entities":{"hashtags":[{"text":"me"},{"text":"me"},{"text":"me"}],"media":[],"symbols":[],"urls":[],"user_mentions":[]},"extended_entities":{"media":[]},"full_text":": :!привет, PµмÎ ß　\u0000dY   #me #me #me"},"id_str":"6","lang":"zh","text":": :!п","user":{"description":"3VdX;K 42-gnip.　","id_str":"31","name":"a_b ","screen_name":"XDevelopers","verified":false}}"#;
    let rules = [
        "sample:13 -(is:verified OR url_description:\"images\")",
        "(PΜ ME #ME) OR (has:images me)",
        "lang:zh im",
    ];
    let (compiled, reference) = compiled_and_reference(&rules, line);
    assert_eq!(compiled, reference);
    assert!(!reference.contains(&2));
}
