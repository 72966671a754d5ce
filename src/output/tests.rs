use super::*;

fn splice(line: &str, layout: Layout, rules: &[MatchedRule<'_>]) -> String {
    let mut out = b"prefix|".to_vec();
    splice_matching_rules(line.as_bytes(), layout, rules.iter().copied(), &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    out.strip_prefix("prefix|").unwrap().to_string()
}

const R1: MatchedRule<'static> = MatchedRule { id: 1, tag: None };
const R2: MatchedRule<'static> = MatchedRule {
    id: u64::MAX,
    tag: Some("a \"q\" \\ \n\u{1}é"),
};

#[test]
fn native_appends_at_root() {
    assert_eq!(
        splice(r#"{"a":1}"#, Layout::Native, &[R1, R2]),
        r#"{"a":1,"matching_rules":[{"tag":null,"id":1,"id_str":"1"},{"tag":"a \"q\" \\ \n\u0001é","id":18446744073709551615,"id_str":"18446744073709551615"}]}"#
    );
}

#[test]
fn empty_object_gets_no_comma() {
    assert_eq!(
        splice("  { }\r\n", Layout::Native, &[R1]),
        r#"  { "matching_rules":[{"tag":null,"id":1,"id_str":"1"}]}"#
    );
}

#[test]
fn v2_uses_string_ids_beside_data() {
    assert_eq!(
        splice(
            r#"{"data":{"id":"5","text":"x"},"includes":{}}"#,
            Layout::V2,
            &[R1]
        ),
        r#"{"data":{"id":"5","text":"x"},"includes":{},"matching_rules":[{"id":"1","tag":null}]}"#
    );
}

#[test]
fn existing_value_is_replaced_in_place() {
    assert_eq!(
        splice(
            r#"{"a":1,"matching_rules":[{"tag":null}],"b":{"matching_rules":2}}"#,
            Layout::Native,
            &[R1]
        ),
        r#"{"a":1,"matching_rules":[{"tag":null,"id":1,"id_str":"1"}],"b":{"matching_rules":2}}"#
    );
}

#[test]
fn duplicate_keys_are_collapsed_into_the_first() {
    assert_eq!(
        splice(
            r#"{"matching_rules":1, "x":"}", "matching_rules" : [3] ,"y":2}"#,
            Layout::Native,
            &[R1]
        ),
        r#"{"matching_rules":[{"tag":null,"id":1,"id_str":"1"}], "x":"}" ,"y":2}"#
    );
}

#[test]
fn escaped_key_counts_as_the_same_key() {
    assert_eq!(
        splice(r#"{"matching\u005frules":[],"z":0}"#, Layout::Native, &[R1]),
        r#"{"matching\u005frules":[{"tag":null,"id":1,"id_str":"1"}],"z":0}"#
    );
}

#[test]
fn activity_streams_goes_inside_gnip() {
    assert_eq!(
        splice(
            r#"{"id":"tag:x,2005:1","gnip":{"urls":[]},"z":[{"}":"{"}]}"#,
            Layout::ActivityStreams,
            &[R1]
        ),
        r#"{"id":"tag:x,2005:1","gnip":{"urls":[],"matching_rules":[{"tag":null,"id":1,"id_str":"1"}]},"z":[{"}":"{"}]}"#
    );
    assert_eq!(
        splice(
            r#"{"gnip":{"matching_rules":[{"tag":null}]}}"#,
            Layout::ActivityStreams,
            &[R1]
        ),
        r#"{"gnip":{"matching_rules":[{"tag":null,"id":1,"id_str":"1"}]}}"#
    );
}

#[test]
fn activity_streams_without_gnip_gets_one() {
    assert_eq!(
        splice(r#"{"verb":"post"}"#, Layout::ActivityStreams, &[R1]),
        r#"{"verb":"post","gnip":{"matching_rules":[{"tag":null,"id":1,"id_str":"1"}]}}"#
    );
    assert_eq!(
        splice("{}", Layout::ActivityStreams, &[]),
        r#"{"gnip":{"matching_rules":[]}}"#
    );
}

#[test]
fn strings_with_escapes_and_braces_are_skipped() {
    let line = r#"{"t":"a\"}\\","n":[1,{"k":"]"}],"e":-1.5e3,"f":true}"#;
    let want = r#"{"t":"a\"}\\","n":[1,{"k":"]"}],"e":-1.5e3,"f":true,"matching_rules":[]}"#;
    assert_eq!(splice(line, Layout::Native, &[]), want);
}

#[test]
fn errors_carry_offsets_and_leave_out_untouched() {
    let cases: &[(&str, Layout, SpliceErrorKind, usize)] = &[
        ("", Layout::Native, SpliceErrorKind::NotAnObject, 0),
        ("  [1]", Layout::Native, SpliceErrorKind::NotAnObject, 2),
        (r#"{"a":1"#, Layout::Native, SpliceErrorKind::Malformed, 6),
        (
            r#"{"a":1} x"#,
            Layout::Native,
            SpliceErrorKind::Malformed,
            8,
        ),
        (r#"{"a" 1}"#, Layout::Native, SpliceErrorKind::Malformed, 5),
        (r#"{"a":"x}"#, Layout::Native, SpliceErrorKind::Malformed, 8),
        (
            r#"{"gnip":[]}"#,
            Layout::ActivityStreams,
            SpliceErrorKind::GnipNotAnObject,
            8,
        ),
    ];
    for &(line, layout, kind, offset) in cases {
        let mut out = b"keep".to_vec();
        let e = splice_matching_rules(line.as_bytes(), layout, [R1], &mut out).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (kind, offset), "{line}");
        assert_eq!(out, b"keep");
    }
    assert_eq!(
        splice_matching_rules(b"[", Layout::Native, [], &mut Vec::new())
            .unwrap_err()
            .to_string(),
        "the line is not a JSON object (at byte 0)"
    );
}

#[test]
fn never_panics_on_prefixes_of_valid_json() {
    let line = r#"{"a":"x\"y","gnip":{"b":[1,{"c":null}]},"matching_rules":[{"tag":"t"}]}"#;
    for end in 0..=line.len() {
        for layout in [Layout::Native, Layout::ActivityStreams, Layout::V2] {
            let _ = splice_matching_rules(&line.as_bytes()[..end], layout, [R1], &mut Vec::new());
        }
    }
}

proptest::proptest! {
    #[test]
    fn spliced_output_reparses_with_the_same_fields(
        keys in proptest::collection::vec("[a-z_]{1,15}", 0..6),
        tags in proptest::collection::vec(proptest::option::of(".{0,12}"), 0..4),
        layout_ix in 0usize..3,
    ) {
        let layout = [Layout::Native, Layout::ActivityStreams, Layout::V2][layout_ix];
        let mut obj = serde_json::Map::new();
        for (i, k) in keys.iter().enumerate() {
            obj.insert(k.clone(), serde_json::json!([i, {"s": "}\"{"}]));
        }
        let line = serde_json::to_string(&obj).unwrap();
        let rules: Vec<MatchedRule<'_>> = tags
            .iter()
            .enumerate()
            .map(|(i, t)| MatchedRule { id: i as u64 * 7_000_000_000_000_000_003, tag: t.as_deref() })
            .collect();
        let mut out = Vec::new();
        splice_matching_rules(line.as_bytes(), layout, rules.iter().copied(), &mut out).unwrap();
        let got: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&out).unwrap();
        let holder = match layout {
            Layout::ActivityStreams => got["gnip"].as_object().unwrap(),
            _ => &got,
        };
        let list = holder["matching_rules"].as_array().unwrap();
        proptest::prop_assert_eq!(list.len(), rules.len());
        for (entry, rule) in list.iter().zip(&rules) {
            let tag = entry["tag"].as_str();
            proptest::prop_assert_eq!(tag, rule.tag);
            if layout == Layout::V2 {
                proptest::prop_assert_eq!(entry["id"].as_str().unwrap(), rule.id.to_string());
            } else {
                proptest::prop_assert_eq!(entry["id"].as_u64(), Some(rule.id));
                proptest::prop_assert_eq!(entry["id_str"].as_str().unwrap(), rule.id.to_string());
            }
        }
        for (k, v) in &obj {
            if k != "matching_rules" && !(layout == Layout::ActivityStreams && k == "gnip") {
                proptest::prop_assert_eq!(&got[k], v);
            }
        }
    }
}

/// `append_matching_rules` writes what the scanning splice writes, for every line without a
/// `matching_rules` in place: whitespace around, an empty object, braces inside strings, `\r\n`.
#[test]
fn append_equals_splice_where_the_key_is_absent() {
    let lines = [
        r#"{"id_str":"7","text":"snow day"}"#,
        "  {\"id_str\":\"7\",\"text\":\"}{\"}  \r\n",
        "{}",
        "{ \t}\n",
        r#"{"data":{"id":"1","text":"x"},"includes":{"users":[{"id":"2"}]}}"#,
        r#"{"gnip":{"a":1},"body":"x"}"#,
        r#"{"text":"ends with a brace }"}"#,
    ];
    for line in lines {
        for layout in [Layout::Native, Layout::ActivityStreams, Layout::V2] {
            let rules = [R1, MatchedRule { id: 2, tag: None }];
            let mut want = b"prefix".to_vec();
            splice_matching_rules(line.as_bytes(), layout, rules, &mut want).unwrap();
            let mut got = b"prefix".to_vec();
            append_matching_rules(line.as_bytes(), layout, rules, &mut got).unwrap();
            assert_eq!(
                String::from_utf8(got).unwrap(),
                String::from_utf8(want).unwrap(),
                "{line:?} {layout:?}"
            );
        }
    }
    // Not ending with a brace: an error, and nothing appended.
    for (line, offset) in [("", 0), ("  ", 2), (r#"{"a":1"#, 5), ("[1]", 2)] {
        let mut out = b"kept".to_vec();
        let e = append_matching_rules(line.as_bytes(), Layout::Native, [R1], &mut out).unwrap_err();
        assert_eq!(
            (e.offset(), out.as_slice()),
            (offset, &b"kept"[..]),
            "{line:?}"
        );
    }
}
