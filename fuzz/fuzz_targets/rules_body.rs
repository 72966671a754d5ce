//! Arbitrary Rules API JSON never panics; a body built from arbitrary rules parses back to the
//! same rules, and the validation response is JSON with one detail per rule, each valid exactly
//! when `Rule::parse` accepts the rule (and the tag is within its limit), with PowerTrack's
//! message otherwise.
//!
//! Inputs: raw bytes; (value, tag, id) triples with arbitrary strings; triples whose values are
//! arbitrary syntax trees (`syntax::Expr`, the crate's `arbitrary` feature) printed to text, so
//! most rules are valid and the valid path of the response is exercised as much as the invalid
//! one; `{"rule_ids":[…]}` from arbitrary `u64`s.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use powertrack::api::{Body, Limits, MAX_TAG_LEN, validate};
use powertrack::syntax::{Expr, Rule, utf16_len};

#[derive(Debug, Arbitrary)]
enum Input<'a> {
    Raw(&'a [u8]),
    Rules(Vec<(String, Option<String>, Option<u64>)>),
    Ids(Vec<u64>),
    Trees(Vec<(Expr, Option<String>, Option<u64>)>),
}

fn check_response(rules: &[powertrack::api::RuleEntry]) {
    let response = validate(rules);
    let json = response.to_json("2017-03-16T02:33:01.827Z");
    let v: serde_json::Value = serde_json::from_str(&json).expect("response is JSON");
    assert_eq!(v["detail"].as_array().map(Vec::len), Some(rules.len()));
    assert_eq!(
        v["summary"]["valid"].as_u64(),
        Some(response.valid() as u64)
    );
    for (d, r) in v["detail"].as_array().unwrap().iter().zip(rules) {
        assert_eq!(d["rule"]["value"].as_str(), Some(r.value.as_str()));
        assert_eq!(d["rule"]["tag"].as_str(), r.tag.as_deref());
        let valid = match Rule::parse(&r.value) {
            Ok(_) => r.tag.as_deref().map_or(0, utf16_len) <= MAX_TAG_LEN,
            Err(e) => {
                assert_eq!(d["message"].as_str(), Some(e.powertrack_message().as_str()));
                false
            }
        };
        assert_eq!(d["valid"].as_bool(), Some(valid), "{r:?}");
        assert_eq!(d.get("message").is_some(), d["valid"] == false, "{d}");
    }
}

/// A body serialised from (value, tag, id) triples parses back to exactly those.
fn built_body(rules: &[(String, Option<String>, Option<u64>)]) {
    let json = serde_json::json!({
        "rules": rules.iter().map(|(v, t, id)| {
            let mut o = serde_json::json!({"value": v, "tag": t});
            if let Some(id) = id { o["id"] = serde_json::json!(id); }
            o
        }).collect::<Vec<_>>()
    });
    let Body::Rules(parsed) =
        Body::parse(json.to_string().as_bytes(), &Limits::api()).expect("valid body")
    else {
        panic!("not a rules body")
    };
    assert_eq!(parsed.len(), rules.len());
    for (p, (v, t, id)) in parsed.iter().zip(rules) {
        assert_eq!((&p.value, &p.tag, &p.id), (v, t, id));
    }
    check_response(&parsed);
}

fuzz_target!(|input: Input<'_>| {
    match input {
        Input::Trees(trees) => {
            let rules: Vec<_> = trees
                .into_iter()
                .map(|(e, t, id)| (e.to_string(), t, id))
                .collect();
            built_body(&rules);
        }
        Input::Rules(rules) => built_body(&rules),
        Input::Raw(bytes) => {
            if let Ok(Body::Rules(rules)) = Body::parse(bytes, &Limits::api()) {
                check_response(&rules);
            }
        }
        Input::Ids(ids) => {
            let json = serde_json::json!({ "rule_ids": ids });
            let body =
                Body::parse(json.to_string().as_bytes(), &Limits::api()).expect("valid body");
            assert_eq!(body, Body::RuleIds(ids));
        }
    }
});
