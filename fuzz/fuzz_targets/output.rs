//! `output`: `output::splice_matching_rules` (and `append_matching_rules`, which must write the
//! same bytes where no `matching_rules` is in place) on arbitrary JSON objects and arbitrary bytes.
//!
//! Structure-aware half: an arbitrary key/value tree (keys include `matching_rules`, `gnip`,
//! `data`, near misses and arbitrary strings, some written with `\u` escapes; existing
//! `matching_rules` members, duplicates of them, `gnip` members of every JSON type) is written
//! with arbitrary whitespace and escapes, then spliced with arbitrary rules (any `u64` id, tags
//! with quotes, backslashes, control characters, any Unicode, or none) in each layout. The
//! output is parsed with an order- and duplicate-preserving parser and must equal the input
//! tree with exactly one `matching_rules` member where the layout puts it (replacing the first
//! existing one in place, dropping the others; appended when absent; in a new `gnip` object for
//! Activity Streams without one), holding exactly the rules given: ids exact (`u64` numbers and
//! `id_str` for native and Activity Streams, strings for v2), tags as given, order kept. Every
//! other member is unchanged, in order.
//!
//! Raw half: arbitrary bytes must not panic; an error carries an offset within the line and
//! leaves the output buffer as it was; a line serde_json reads as an object must splice (except
//! an Activity Streams `gnip` that is not an object) and is then checked as above.
#![no_main]

use std::fmt;

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use powertrack::output::{
    Layout, MatchedRule, SpliceErrorKind, append_matching_rules, splice_matching_rules,
};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value that keeps member order and duplicate keys, and integers exactly.
#[derive(Clone, Debug, PartialEq)]
enum J {
    Null,
    Bool(bool),
    U(u64),
    I(i64),
    F(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

struct JVisitor;

impl<'de> Visitor<'de> for JVisitor {
    type Value = J;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_unit<E>(self) -> Result<J, E> {
        Ok(J::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<J, E> {
        Ok(J::Bool(b))
    }
    fn visit_u64<E>(self, n: u64) -> Result<J, E> {
        Ok(J::U(n))
    }
    fn visit_i64<E>(self, n: i64) -> Result<J, E> {
        Ok(J::I(n))
    }
    fn visit_f64<E>(self, n: f64) -> Result<J, E> {
        Ok(J::F(n))
    }
    fn visit_str<E>(self, s: &str) -> Result<J, E> {
        Ok(J::Str(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<J, E> {
        Ok(J::Str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = seq.next_element()? {
            v.push(x);
        }
        Ok(J::Arr(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J, A::Error> {
        let mut v = Vec::new();
        while let Some((k, x)) = map.next_entry::<String, J>()? {
            v.push((k, x));
        }
        Ok(J::Obj(v))
    }
}

impl<'de> Deserialize<'de> for J {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<J, D::Error> {
        d.deserialize_any(JVisitor)
    }
}

type AResult<T> = arbitrary::Result<T>;

fn parse(bytes: &[u8]) -> Option<J> {
    let r: Result<J, _> = serde_json::from_slice(bytes);
    r.ok()
}

const KEYS: &[&str] = &[
    "matching_rules",
    "matching_rules",
    "gnip",
    "gnip",
    "data",
    "id",
    "text",
    "a",
    "",
    "matching_rule",
    "matching_rulesx",
    "Matching_rules",
    "gnipx",
    "tag",
    "\"",
    "\\",
    "é",
    "🍕",
];

fn key(u: &mut Unstructured<'_>) -> AResult<String> {
    Ok(if u.ratio(1, 6)? {
        u.arbitrary()?
    } else {
        (*u.choose(KEYS)?).to_string()
    })
}

fn tree(u: &mut Unstructured<'_>, depth: u32) -> AResult<J> {
    let top = if depth >= 4 { 4 } else { 7 };
    Ok(match u.int_in_range(0..=top)? {
        0 => J::Null,
        1 => J::Bool(u.arbitrary()?),
        2 => match u.int_in_range(0..=2)? {
            0 => J::U(u.arbitrary()?),
            1 => J::I(u.int_in_range(i64::MIN..=-1)?),
            // Exactly representable, so serde_json's (not round-trip exact) float parsing
            // reads back what was written.
            _ => J::F(f64::from(u.arbitrary::<i32>()?) / 8.0 + 0.125),
        },
        3 | 4 => J::Str(if u.arbitrary()? {
            u.arbitrary()?
        } else {
            (*u.choose(KEYS)?).to_string()
        }),
        5 => {
            let mut v = Vec::new();
            for _ in 0..u.int_in_range(0..=3)? {
                v.push(tree(u, depth + 1)?);
            }
            J::Arr(v)
        }
        _ => object(u, depth + 1)?,
    })
}

fn object(u: &mut Unstructured<'_>, depth: u32) -> AResult<J> {
    let mut v = Vec::new();
    for _ in 0..u.int_in_range(0..=6)? {
        v.push((key(u)?, tree(u, depth)?));
    }
    Ok(J::Obj(v))
}

/// Writes JSON with arbitrary whitespace and string escapes.
struct Writer<'u, 'a> {
    u: &'u mut Unstructured<'a>,
    out: Vec<u8>,
}

impl Writer<'_, '_> {
    fn ws(&mut self) {
        let n = if self.u.ratio(1, 4).unwrap_or(false) {
            self.u.int_in_range(1..=2).unwrap_or(0)
        } else {
            0
        };
        for _ in 0..n {
            let c = *self.u.choose(b" \t\r\n").unwrap_or(&b' ');
            self.out.push(c);
        }
    }

    fn string(&mut self, s: &str) {
        self.out.push(b'"');
        for c in s.chars() {
            let escape = self.u.ratio(1, 8).unwrap_or(false);
            match c {
                '"' => self.out.extend_from_slice(b"\\\""),
                '\\' => self.out.extend_from_slice(b"\\\\"),
                '\u{0}'..='\u{1f}' => self
                    .out
                    .extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes()),
                '/' if escape => self.out.extend_from_slice(b"\\/"),
                _ if escape => {
                    let mut buf = [0u16; 2];
                    for unit in c.encode_utf16(&mut buf) {
                        self.out
                            .extend_from_slice(format!("\\u{unit:04X}").as_bytes());
                    }
                }
                _ => {
                    let mut buf = [0u8; 4];
                    self.out
                        .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        self.out.push(b'"');
    }

    fn value(&mut self, v: &J) {
        match v {
            J::Null => self.out.extend_from_slice(b"null"),
            J::Bool(b) => self
                .out
                .extend_from_slice(if *b { b"true" } else { b"false" }),
            J::U(n) => self.out.extend_from_slice(n.to_string().as_bytes()),
            J::I(n) => self.out.extend_from_slice(n.to_string().as_bytes()),
            J::F(f) => self
                .out
                .extend_from_slice(serde_json::to_string(f).expect("finite").as_bytes()),
            J::Str(s) => self.string(s),
            J::Arr(items) => {
                self.out.push(b'[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    self.ws();
                    self.value(x);
                    self.ws();
                }
                self.out.push(b']');
            }
            J::Obj(members) => {
                self.out.push(b'{');
                self.ws();
                for (i, (k, x)) in members.iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                        self.ws();
                    }
                    self.string(k);
                    self.ws();
                    self.out.push(b':');
                    self.ws();
                    self.value(x);
                    self.ws();
                }
                self.out.push(b'}');
            }
        }
    }
}

fn tag(u: &mut Unstructured<'_>) -> AResult<Option<String>> {
    Ok(match u.int_in_range(0..=3)? {
        0 => None,
        1 => Some(
            (*u.choose(&[
                "",
                "\"",
                "\\",
                "a\"b\\c",
                "\u{0}\u{1f}\u{7f}",
                "\u{2028}\u{2029}",
                "🍕é",
                "</script>",
            ])?)
            .to_string(),
        ),
        _ => Some(u.arbitrary()?),
    })
}

fn rules(u: &mut Unstructured<'_>) -> AResult<Vec<(u64, Option<String>)>> {
    let mut v = Vec::new();
    for _ in 0..u.int_in_range(0..=5)? {
        let id = match u.int_in_range(0..=3)? {
            0 => *u.choose(&[
                0,
                1,
                u64::MAX,
                1 << 53,
                (1 << 53) + 1,
                1_128_017_341_835_464_704,
            ])?,
            _ => u.arbitrary()?,
        };
        v.push((id, tag(u)?));
    }
    Ok(v)
}

fn expected_list(layout: Layout, rules: &[(u64, Option<String>)]) -> J {
    J::Arr(
        rules
            .iter()
            .map(|(id, tag)| {
                let tag = tag.clone().map_or(J::Null, J::Str);
                match layout {
                    Layout::V2 => J::Obj(vec![
                        ("id".into(), J::Str(id.to_string())),
                        ("tag".into(), tag),
                    ]),
                    _ => J::Obj(vec![
                        ("tag".into(), tag),
                        ("id".into(), J::U(*id)),
                        ("id_str".into(), J::Str(id.to_string())),
                    ]),
                }
            })
            .collect(),
    )
}

/// `members` with `matching_rules` set to `list`: the first existing one replaced in place, the
/// others dropped, or appended.
fn with_list(members: &[(String, J)], list: &J) -> Vec<(String, J)> {
    let mut out = Vec::new();
    let mut placed = false;
    for (k, v) in members {
        if k == "matching_rules" {
            if !placed {
                out.push((k.clone(), list.clone()));
                placed = true;
            }
        } else {
            out.push((k.clone(), v.clone()));
        }
    }
    if !placed {
        out.push(("matching_rules".into(), list.clone()));
    }
    out
}

/// The tree the splice must produce, or `None` when it must fail (AS `gnip` not an object).
fn expected(input: &J, layout: Layout, rules: &[(u64, Option<String>)]) -> Option<J> {
    let J::Obj(root) = input else {
        unreachable!("the input is an object")
    };
    let list = expected_list(layout, rules);
    match layout {
        Layout::ActivityStreams => {
            let mut out = root.clone();
            match out.iter_mut().find(|(k, _)| k == "gnip") {
                Some((_, J::Obj(g))) => *g = with_list(g, &list),
                Some(_) => return None,
                None => out.push(("gnip".into(), J::Obj(vec![("matching_rules".into(), list)]))),
            }
            Some(J::Obj(out))
        }
        _ => Some(J::Obj(with_list(root, &list))),
    }
}

fn check(line: &[u8], layout: Layout, rules: &[(u64, Option<String>)]) {
    let matched: Vec<MatchedRule<'_>> = rules
        .iter()
        .map(|(id, tag)| MatchedRule {
            id: *id,
            tag: tag.as_deref(),
        })
        .collect();
    let prefix = b"prev\n";
    let mut out = prefix.to_vec();
    let result = splice_matching_rules(line, layout, matched.iter().copied(), &mut out);
    let input = parse(line).filter(|j| matches!(j, J::Obj(_)));
    // Where the line has no `matching_rules` at its root, the copy-cost path writes the same
    // bytes (for Activity Streams it is the splice itself).
    if let (Some(J::Obj(members)), true) = (&input, result.is_ok())
        && !members.iter().any(|(k, _)| k == "matching_rules")
    {
        let mut appended = prefix.to_vec();
        append_matching_rules(line, layout, matched.iter().copied(), &mut appended)
            .expect("a JSON object takes the list");
        assert_eq!(
            appended,
            out,
            "append and splice differ on {}",
            String::from_utf8_lossy(line)
        );
    }
    match result {
        Err(e) => {
            assert!(
                e.offset() <= line.len(),
                "offset {} past the line ({})",
                e.offset(),
                line.len()
            );
            assert_eq!(out, prefix, "an error appended output");
            let _ = e.to_string();
            if let Some(input) = &input {
                assert!(
                    e.kind() == SpliceErrorKind::GnipNotAnObject
                        && expected(input, layout, rules).is_none(),
                    "a JSON object was refused: {e}\n{}",
                    String::from_utf8_lossy(line)
                );
            }
        }
        Ok(()) => {
            assert!(out.starts_with(prefix));
            let spliced = &out[prefix.len()..];
            assert_eq!(spliced.last(), Some(&b'}'), "output ends after the object");
            if let Some(input) = &input {
                let want = expected(input, layout, rules)
                    .expect("splice succeeded, so gnip is an object or absent");
                let got = parse(spliced).unwrap_or_else(|| {
                    panic!(
                        "output does not parse: {}\ninput: {}",
                        String::from_utf8_lossy(spliced),
                        String::from_utf8_lossy(line)
                    )
                });
                assert_eq!(
                    got,
                    want,
                    "\ninput:  {}\noutput: {}",
                    String::from_utf8_lossy(line),
                    String::from_utf8_lossy(spliced)
                );
            }
        }
    }
}

fn layout_of(b: u8) -> Layout {
    match b % 3 {
        0 => Layout::Native,
        1 => Layout::ActivityStreams,
        _ => Layout::V2,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    if head & 1 == 0 {
        // Raw bytes, with a few fixed awkward rules.
        let rules = [
            (u64::MAX, Some("a\"b\\c\u{1}".to_string())),
            (0, None),
            (1_128_017_341_835_464_704, Some("🍕".to_string())),
        ];
        let n = usize::from(head >> 1) % 4;
        check(rest, layout_of(head >> 3), &rules[..n]);
        return;
    }
    let mut u = Unstructured::new(rest);
    let Ok(J::Obj(mut root)) = object(&mut u, 0) else {
        return;
    };
    // Make the interesting members likely: an existing list, a gnip object holding one.
    if u.ratio(1, 3).unwrap_or(false) {
        let inner = object(&mut u, 2).unwrap_or(J::Obj(Vec::new()));
        let at = u.int_in_range(0..=root.len()).unwrap_or(0);
        root.insert(at, ("gnip".into(), inner));
    }
    if u.ratio(1, 3).unwrap_or(false) {
        let at = u.int_in_range(0..=root.len()).unwrap_or(0);
        root.insert(at, ("matching_rules".into(), J::Arr(vec![J::U(1)])));
    }
    let Ok(rules) = rules(&mut u) else {
        return;
    };
    let layout = layout_of(u.arbitrary().unwrap_or(0));
    let mut w = Writer {
        u: &mut u,
        out: Vec::new(),
    };
    w.ws();
    w.value(&J::Obj(root.clone()));
    w.ws();
    let line = w.out;
    assert_eq!(
        parse(&line),
        Some(J::Obj(root)),
        "the writer wrote what it was given"
    );
    check(&line, layout, &rules);
});
