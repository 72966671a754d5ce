//! Rules API bodies and the validation response.

use powertrack::api::{
    Body, BodyErrorKind, DetailError, Limits, MAX_BODY_BYTES, RuleEntry, rfc3339_millis, validate,
};

const INVALID: &str = "Invalid JSON. The body must be in the format {\"rules\":[{\"value\":\"rule1\", \"tag\":\"tag1\"}, {\"value\":\"rule2\"}]} or {\"rule_ids\": [rule_id1, rule_id2, rule_id3, rule_id4, rule_id5]}";

fn parse(s: &str) -> Result<Body, powertrack::api::BodyError> {
    Body::parse(s.as_bytes(), &Limits::api())
}

#[test]
fn rules_body() {
    let b = parse(r#"{"rules":[{"value":"rule1","tag":"tag1"},{"value":"rule2"},{"value":"r3","tag":null,"id":734938587381145604}]}"#).unwrap();
    assert_eq!(
        b,
        Body::Rules(vec![
            RuleEntry {
                value: "rule1".into(),
                tag: Some("tag1".into()),
                id: None
            },
            RuleEntry {
                value: "rule2".into(),
                tag: None,
                id: None
            },
            RuleEntry {
                value: "r3".into(),
                tag: None,
                id: Some(734_938_587_381_145_604)
            },
        ])
    );
}

/// Ids above 2^53 are exact (a trip through f64 would turn …604 into …600).
#[test]
fn rule_ids_are_exact_u64() {
    let b =
        parse(r#"{"rule_ids": [734938587381145604, 1128017341835464704, 18446744073709551615]}"#)
            .unwrap();
    assert_eq!(
        b,
        Body::RuleIds(vec![
            734_938_587_381_145_604,
            1_128_017_341_835_464_704,
            u64::MAX
        ])
    );
    for bad in [
        r#"{"rule_ids":[18446744073709551616]}"#,
        r#"{"rule_ids":[7.34938587381145604e17]}"#,
        r#"{"rule_ids":[1.0]}"#,
        r#"{"rule_ids":[-1]}"#,
        r#"{"rule_ids":["734938587381145604"]}"#,
    ] {
        let e = parse(bad).unwrap_err();
        assert_eq!(e.kind(), BodyErrorKind::InvalidJson, "{bad}");
        assert_eq!(e.powertrack_message(), INVALID);
    }
}

#[test]
fn invalid_bodies_get_powertrack_message() {
    for bad in [
        "",
        "[]",
        "{}",
        "{\"rules\":[{\"tag\":\"t\"}]}",
        "{\"rules\":[{\"value\":1}]}",
        "{\"rules\":[{\"value\":\"a\",\"tag\":5}]}",
        "{\"rules\":{\"value\":\"a\"}}",
        "{\"rules\":[],\"rule_ids\":[]}",
        "{\"rules\":[{\"value\":\"a\"}]",
        "{\"rules\":[{\"value\":\"a\",\"value\":\"b\"}]}",
    ] {
        let e = parse(bad).unwrap_err();
        assert_eq!(e.kind(), BodyErrorKind::InvalidJson, "{bad}");
        assert_eq!(e.powertrack_message(), INVALID);
        assert!(!e.detail().is_empty());
        assert_eq!(
            e.to_json("2013-08-16T00:50:00+00:00"),
            format!(
                "{{\"error\":{{\"message\":{},\"sent\":\"2013-08-16T00:50:00+00:00\"}}}}",
                serde_json::to_string(INVALID).unwrap()
            )
        );
    }
}

#[test]
fn limits() {
    let big = format!(
        "{{\"rules\":[{{\"value\":\"{}\"}}]}}",
        "a".repeat(MAX_BODY_BYTES)
    );
    assert_eq!(parse(&big).unwrap_err().kind(), BodyErrorKind::TooLarge);
    // Rule files given to the CLI have no size limit.
    assert!(Body::parse(big.as_bytes(), &Limits::cli()).is_ok());
    let three = r#"{"rules":[{"value":"a"},{"value":"b"},{"value":"c"}]}"#;
    let e = Body::parse(
        three.as_bytes(),
        &Limits {
            max_bytes: None,
            max_rules: 2,
        },
    )
    .unwrap_err();
    assert_eq!(e.kind(), BodyErrorKind::TooManyRules);
    assert_eq!(
        e.powertrack_message(),
        "Request exceeds account's Rule Limit. Delete rules or contact your account manager to proceed."
    );
}

/// Tags: at most 255 UTF-16 code units.
#[test]
fn tag_limit_counts_utf16_units() {
    let ok = RuleEntry {
        value: "snow".into(),
        tag: Some("🍕".repeat(127) + "x"),
        id: None,
    };
    let over = RuleEntry {
        value: "snow".into(),
        tag: Some("🍕".repeat(128)),
        id: None,
    };
    let ascii = RuleEntry {
        value: "snow".into(),
        tag: Some("t".repeat(256)),
        id: None,
    };
    let r = validate(&[ok, over, ascii]);
    assert!(r.detail[0].is_valid());
    assert_eq!(
        r.detail[1].result.as_ref().unwrap_err(),
        &DetailError::TagTooLong(256)
    );
    assert_eq!(
        r.detail[2]
            .result
            .as_ref()
            .unwrap_err()
            .powertrack_message(),
        "Rule tags must be at most 255 characters long; this tag has 256\n"
    );
    assert_eq!((r.valid(), r.not_valid()), (1, 2));
}

#[test]
fn response_json_escapes_and_null_tags() {
    let rules = [
        RuleEntry {
            value: "\"Toys \\\"R\\\" Us\"".into(),
            tag: Some("a\"b\n".into()),
            id: None,
        },
        RuleEntry {
            value: "-cat".into(),
            tag: None,
            id: Some(5),
        },
    ];
    let json = validate(&rules).to_json("2016-05-24T02:46:28.402Z");
    assert_eq!(
        json,
        r#"{"summary":{"valid":1,"not_valid":1},"detail":[{"rule":{"value":"\"Toys \\\"R\\\" Us\"","tag":"a\"b\n"},"valid":true},{"rule":{"value":"-cat","tag":null},"valid":false,"message":"Rules must contain a non-negation term (at position 1)\nRules must contain at least one positive, non-stopword clause (at position 1)\n"}],"sent":"2016-05-24T02:46:28.402Z"}"#
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["detail"][0]["rule"]["tag"], "a\"b\n");
}

#[test]
fn sent_timestamps() {
    assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(
        rfc3339_millis(1_464_057_988_402),
        "2016-05-24T02:46:28.402Z"
    );
    assert_eq!(rfc3339_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
    assert_eq!(
        rfc3339_millis(4_107_542_399_999),
        "2100-02-28T23:59:59.999Z"
    );
    let now = powertrack::api::now_rfc3339();
    assert_eq!(now.len(), 24);
}
