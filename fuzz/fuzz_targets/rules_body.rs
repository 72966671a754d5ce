//! Arbitrary Rules API JSON never panics; a body built from arbitrary rules parses back to the
//! same rules, and the validation response is JSON with one detail per rule.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use powertrack::api::{Body, Limits, validate};

#[derive(Debug, Arbitrary)]
enum Input<'a> {
    Raw(&'a [u8]),
    Rules(Vec<(String, Option<String>, Option<u64>)>),
    Ids(Vec<u64>),
}

fn check_response(rules: &[powertrack::api::RuleEntry]) {
    let response = validate(rules);
    let json = response.to_json("2017-03-16T02:33:01.827Z");
    let v: serde_json::Value = serde_json::from_str(&json).expect("response is JSON");
    assert_eq!(v["detail"].as_array().map(Vec::len), Some(rules.len()));
    assert_eq!(v["summary"]["valid"].as_u64(), Some(response.valid() as u64));
    for (d, r) in v["detail"].as_array().unwrap().iter().zip(rules) {
        assert_eq!(d["rule"]["value"].as_str(), Some(r.value.as_str()));
    }
}

fuzz_target!(|input: Input<'_>| {
    match input {
        Input::Raw(bytes) => {
            if let Ok(Body::Rules(rules)) = Body::parse(bytes, &Limits::api()) {
                check_response(&rules);
            }
        }
        Input::Rules(rules) => {
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
            for (p, (v, t, id)) in parsed.iter().zip(&rules) {
                assert_eq!((&p.value, &p.tag, &p.id), (v, t, id));
            }
            check_response(&parsed);
        }
        Input::Ids(ids) => {
            let json = serde_json::json!({ "rule_ids": ids });
            let body = Body::parse(json.to_string().as_bytes(), &Limits::api()).expect("valid body");
            assert_eq!(body, Body::RuleIds(ids));
        }
    }
});
