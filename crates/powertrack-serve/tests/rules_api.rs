//! The Rules API over HTTP: every endpoint, status and message.

mod common;

use common::{JsonValue as _, OTHER_PASSWORD, PASSWORD, Server, acme_get, acme_post, client};
use serde_json::json;

const INVALID_JSON: &str = "Invalid JSON. The body must be in the format {\"rules\":[{\"value\":\"rule1\", \"tag\":\"tag1\"}, {\"value\":\"rule2\"}]} or {\"rule_ids\": [rule_id1, rule_id2, rule_id3, rule_id4, rule_id5]}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_list_get_delete_validate() {
    let s = Server::start();
    let url = s.rules_url("acme", "prod");
    let r = acme_post(
        &url,
        r#"{"rules":[{"value":"snow lang:en","tag":"weather"},{"value":"from:jack"}]}"#,
    )
    .await;
    assert_eq!(r.status(), 201);
    let v = r.json_value().await;
    assert_eq!(v["summary"], json!({"created": 2, "not_created": 0}));
    let snow = v["detail"][0]["rule"]["id"].as_u64().unwrap();
    assert_eq!(v["detail"][0]["rule"]["id_str"], json!(snow.to_string()));
    assert_eq!(v["detail"][0]["created"], json!(true));
    let jack = v["detail"][1]["rule"]["id"].as_u64().unwrap();
    assert!(jack > snow, "ids are time-ordered");
    assert!(v["sent"].as_str().unwrap().ends_with('Z'));

    // A duplicate (another tag) is not created, and names the existing rule.
    let v = acme_post(
        &url,
        r#"{"rules":[{"value":"snow lang:en","tag":"other"},{"value":"rain"},{"value":"rain"}]}"#,
    )
    .await
    .json_value()
    .await;
    assert_eq!(v["summary"], json!({"created": 1, "not_created": 2}));
    assert_eq!(v["detail"][0]["rule"]["id"].as_u64(), Some(snow));
    assert_eq!(
        v["detail"][0]["message"],
        json!("A rule with this value already exists")
    );
    let rain = v["detail"][1]["rule"]["id"].as_u64().unwrap();
    assert_eq!(v["detail"][2]["rule"]["id"].as_u64(), Some(rain));

    // An invalid rule refuses the whole request (422), the valid one gets no message.
    let r = acme_post(
        &url,
        r#"{"rules":[{"value":"streaming gnip contains:$twtr"},{"value":"hail"}]}"#,
    )
    .await;
    assert_eq!(r.status(), 422);
    let v = r.json_value().await;
    assert_eq!(v["summary"], json!({"created": 0, "not_created": 2}));
    assert_eq!(
        v["detail"][0]["message"],
        json!("no viable alternative at input '$twtr' (at position 25)\n")
    );
    assert!(v["detail"][1].get("message").is_none());

    // List, in creation order, with tags.
    let r = acme_get(&url).await;
    assert_eq!(r.status(), 200);
    let v = r.json_value().await;
    let values: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["snow lang:en", "from:jack", "rain"]);
    assert_eq!(v["rules"][0]["tag"], json!("weather"));
    assert_eq!(v["rules"][1]["tag"], json!(null));

    // Get one, get many, by id.
    let one = format!(
        "{}/rules/powertrack/accounts/acme/publishers/twitter/prod/rules/{jack}.json",
        s.base
    );
    let v = acme_get(&one).await.json_value().await;
    assert_eq!(v["rules"][0]["value"], json!("from:jack"));
    assert_eq!(v["rules"][0]["id_str"], json!(jack.to_string()));
    let missing = format!(
        "{}/rules/powertrack/accounts/acme/publishers/twitter/prod/rules/12345.json",
        s.base
    );
    let r = acme_get(&missing).await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json_value().await["error"]["message"],
        json!("Rule does not exist")
    );
    let v = acme_post(
        &format!("{url}?_method=get"),
        format!(r#"{{"rule_ids":[{rain},{snow},42]}}"#),
    )
    .await
    .json_value()
    .await;
    let got: Vec<u64> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(got, [rain, snow]);

    // Validation changes nothing.
    let r = acme_post(
        &format!(
            "{}/rules/powertrack/accounts/acme/publishers/twitter/prod/validation.json",
            s.base
        ),
        r#"{"rules":[{"value":"from:jack"},{"value":"fish AND bird"}]}"#,
    )
    .await;
    assert_eq!(r.status(), 200);
    let v = r.json_value().await;
    assert_eq!(v["summary"], json!({"valid": 1, "not_valid": 1}));
    assert_eq!(
        v["detail"][1]["message"],
        json!(
            "Ambiguous use of and as a keyword. Use a space to logically join two clauses, or \"and\" to find occurrences of and in text (at position 6)\n"
        )
    );

    // Delete by value (tags ignored) and by id; misses reported.
    let r = acme_post(
        &format!("{url}?_method=delete"),
        r#"{"rules":[{"value":"rain","tag":"x"},{"value":"Pizza"}]}"#,
    )
    .await;
    assert_eq!(r.status(), 200);
    let v = r.json_value().await;
    assert_eq!(v["summary"], json!({"deleted": 1, "not_deleted": 1}));
    assert_eq!(
        v["detail"],
        json!([{"rule": {"value": "Pizza", "tag": null}, "deleted": false, "message": "Rule does not exist"}])
    );
    let v = acme_post(
        &format!("{url}?_method=delete"),
        format!(r#"{{"rule_ids":[{snow},{snow}]}}"#),
    )
    .await
    .json_value()
    .await;
    assert_eq!(v["summary"], json!({"deleted": 1, "not_deleted": 1}));
    let v = acme_get(&url).await.json_value().await;
    assert_eq!(v["rules"].as_array().unwrap().len(), 1);
    // HTTP DELETE with the same body, as API v2 clients send it.
    let r = client()
        .delete(&url)
        .basic_auth("acme", Some(PASSWORD))
        .body(r#"{"rules":[{"value":"from:jack"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json_value().await["summary"],
        json!({"deleted": 1, "not_deleted": 0})
    );
    let v = acme_get(&url).await.json_value().await;
    assert_eq!(v["rules"], json!([]));

    // Streams are separate: dev has none of prod's rules; the same value there gets its own id.
    let dev = s.rules_url("acme", "dev");
    let v = acme_post(&dev, r#"{"rules":[{"value":"from:jack","tag":"dev"}]}"#)
        .await
        .json_value()
        .await;
    assert_eq!(v["summary"]["created"], json!(1));
    assert_ne!(v["detail"][0]["rule"]["id"].as_u64(), Some(jack));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_their_status_and_message() {
    let s = Server::start();
    let url = s.rules_url("acme", "prod");
    for body in [
        &b"{\"rules\":[{\"value\":"[..],
        b"not json",
        b"{}",
        b"{\"rules\":[],\"rule_ids\":[]}",
        b"{\"rules\":[{\"value\":\"\xff\xfe\"}]}",
    ] {
        let r = acme_post(&url, body.to_vec()).await;
        assert_eq!(r.status(), 400, "{}", String::from_utf8_lossy(body));
        assert!(r.headers().contains_key("x-ratelimit-remaining"));
        assert_eq!(
            r.json_value().await["error"]["message"],
            json!(INVALID_JSON)
        );
    }
    // Adding by ids is the wrong shape.
    let r = acme_post(&url, r#"{"rule_ids":[1]}"#).await;
    assert_eq!(r.status(), 400);
    // 6 MB: 413, without the server reading it all.
    let big = format!(
        "{{\"rules\":[{{\"value\":\"{}\"}}]}}",
        "a".repeat(6_000_000)
    );
    let r = acme_post(&url, big).await;
    assert_eq!(r.status(), 413);
    assert_eq!(
        r.json_value().await["error"]["message"],
        json!(
            "Request body exceeds the maximum size of 5000000 bytes (the body has more than 5000000 bytes)"
        )
    );
    // 10,000 rules in one body are taken.
    let rules: Vec<_> = (0..10_000)
        .map(|i| json!({"value": format!("word{i} lang:en"), "tag": format!("t{i}")}))
        .collect();
    let r = acme_post(&url, json!({"rules": rules}).to_string()).await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.json_value().await["summary"],
        json!({"created": 10_000, "not_created": 0})
    );
    // Unknown paths and methods.
    let r = client()
        .get(format!("{}/nope", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json_value().await["error"]["message"],
        json!("Not found. See the service documentation for the endpoints.")
    );
    let r = client()
        .put(&url)
        .basic_auth("acme", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(
        r.json_value().await["error"]["message"],
        json!("Method not allowed on this endpoint.")
    );
    let r = acme_post(&format!("{url}?_method=frobnicate"), "{}").await;
    assert_eq!(r.status(), 405);
    // A stream the account does not have.
    let r = acme_get(&s.rules_url("acme", "staging")).await;
    assert_eq!(r.status(), 404);
    // The server is still fine.
    let r = client()
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_and_cross_account_access() {
    let s = Server::start();
    let url = s.rules_url("acme", "prod");
    let unauthorized =
        "Authentication failed. Send HTTP Basic credentials of an account that owns this stream.";
    // Missing, garbled, wrong password, wrong scheme.
    let cases: Vec<Option<&str>> = vec![
        None,
        Some("Basic !!!notbase64"),
        Some("Basic YWNtZTp3cm9uZw=="),
        Some("Bearer x"),
        Some("Basic"),
    ];
    for auth in cases {
        let mut req = client().get(&url);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401, "{auth:?}");
        assert_eq!(
            r.headers()["www-authenticate"],
            "Basic realm=\"powertrack\""
        );
        assert_eq!(
            r.json_value().await["error"]["message"],
            json!(unauthorized)
        );
    }
    // Another account's path, with valid credentials of its own: refused, no data.
    let r = client()
        .get(s.rules_url("acme", "prod"))
        .basic_auth("other", Some(OTHER_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client()
        .get(s.stream_url("acme", "prod"))
        .basic_auth("other", Some(OTHER_PASSWORD))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client()
        .get(format!("{}/metrics/usage/accounts/acme.json", s.base))
        .basic_auth("other", Some(OTHER_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Its own works.
    let r = client()
        .get(s.rules_url("other", "prod"))
        .basic_auth("other", Some(OTHER_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Failed logins are rate-limited per address: after 10 failures in a minute, even the
    // right password is refused until the minute passes.
    for _ in 0..10 {
        let r = client()
            .get(&url)
            .basic_auth("acme", Some("nope"))
            .send()
            .await
            .unwrap();
        assert!(r.status() == 401 || r.status() == 429);
    }
    let r = acme_get(&url).await;
    assert_eq!(r.status(), 429);
    assert_eq!(
        r.json_value().await["error"]["message"],
        json!("Too many failed authentication attempts from this address. Try again in a minute.")
    );
    s.clock.advance(61_000);
    let r = acme_get(&url).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credits_count_down_and_renew_after_the_hour() {
    let s = Server::with(common::Setup {
        credits: 12,
        ..common::Setup::default()
    });
    let url = s.rules_url("acme", "prod");
    let get = || client().get(&url).basic_auth("acme", Some(PASSWORD)).send();
    let r = get().await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers();
    assert_eq!(
        (
            &h["x-ratelimit-limit"],
            &h["x-ratelimit-remaining"],
            &h["x-ratelimit-cost"]
        ),
        (
            &"12".parse().unwrap(),
            &"11".parse().unwrap(),
            &"1".parse().unwrap()
        )
    );
    // An add costs 5, validation 5.
    let r = acme_post(&url, r#"{"rules":[{"value":"snow"}]}"#).await;
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["x-ratelimit-remaining"].to_str().unwrap()
        ),
        (201, "6")
    );
    let r = acme_post(
        &format!(
            "{}/rules/powertrack/accounts/acme/publishers/twitter/prod/validation.json",
            s.base
        ),
        r#"{"rules":[{"value":"snow"}]}"#,
    )
    .await;
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["x-ratelimit-remaining"].to_str().unwrap()
        ),
        (200, "1")
    );
    // 1 left: an add (5) is refused with 403, nothing charged; a list (1) still goes.
    let r = acme_post(&url, r#"{"rules":[{"value":"rain"}]}"#).await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["x-ratelimit-remaining"], "1");
    assert_eq!(r.headers()["x-ratelimit-cost"], "5");
    let msg = r.json_value().await["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        msg.starts_with(
            "This account has used all of its 12 credits for this hour. Credits renew in "
        ),
        "{msg}"
    );
    assert_eq!(get().await.unwrap().headers()["x-ratelimit-remaining"], "0");
    assert_eq!(get().await.unwrap().status(), 403);
    // The other account is not affected.
    let r = client()
        .get(s.rules_url("other", "prod"))
        .basic_auth("other", Some(OTHER_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The hour renews.
    s.clock.advance(3_600_000);
    let r = get().await.unwrap();
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["x-ratelimit-remaining"].to_str().unwrap()
        ),
        (200, "11")
    );
    // Usage costs 25: more than this account's hour holds.
    let r = acme_get(&format!("{}/metrics/usage/accounts/acme.json", s.base)).await;
    assert_eq!(r.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_requests_a_minute_per_stream() {
    let s = Server::start();
    let url = s.rules_url("acme", "prod");
    for i in 0..60 {
        let r = acme_get(&url).await;
        assert_eq!(r.status(), 200, "request {i}");
    }
    let r = acme_get(&url).await;
    assert_eq!(r.status(), 429);
    assert_eq!(
        r.json_value().await["error"]["message"],
        json!(
            "Your app has exceeded the limit on requests to add, delete, or list rules for this stream."
        )
    );
    // Per stream: dev is fine.
    let r = acme_get(&s.rules_url("acme", "dev")).await;
    assert_eq!(r.status(), 200);
    s.clock.advance(60_000);
    let r = acme_get(&url).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_and_ids_survive_a_restart() {
    let mut s = Server::start();
    let v = s
        .add("prod", &[("snow", Some("w")), ("from:jack", None)])
        .await;
    let ids: Vec<u64> = v["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"]["id"].as_u64().unwrap())
        .collect();
    s.add("dev", &[("snow", Some("dev tag"))]).await;
    let url = s.rules_url("acme", "prod");
    client()
        .post(format!("{url}?_method=delete"))
        .basic_auth("acme", Some(PASSWORD))
        .body(r#"{"rules":[{"value":"from:jack"}]}"#)
        .send()
        .await
        .unwrap();
    s.restart();
    let url = s.rules_url("acme", "prod");
    let v = acme_get(&url).await.json_value().await;
    assert_eq!(
        v["rules"],
        json!([{"value": "snow", "tag": "w", "id": ids[0], "id_str": ids[0].to_string()}])
    );
    let v = acme_get(&s.rules_url("acme", "dev"))
        .await
        .json_value()
        .await;
    assert_eq!(v["rules"][0]["tag"], json!("dev tag"));
    // New ids stay above every id issued before the restart.
    let v = s.add("prod", &[("rain", None)]).await;
    assert!(v["detail"][0]["rule"]["id"].as_u64().unwrap() > ids[1]);
    // And the restored rules match.
    let mut st = common::open_stream(&s.stream_url("acme", "prod"), "acme", PASSWORD).await;
    s.ingest(&format!("{}\n", common::post(7, "snow again")))
        .await;
    let line = st.next_post(10).await.expect("a match after the restart");
    assert_eq!(common::ids_of(&line), (7, vec![ids[0]]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_reports_credits_posts_and_connections() {
    let s = Server::start();
    s.add("prod", &[("snow", None)]).await;
    let mut st = common::open_stream(&s.stream_url("acme", "prod"), "acme", PASSWORD).await;
    s.ingest(&format!(
        "{}\n{}\n",
        common::post(1, "snow"),
        common::post(2, "rain")
    ))
    .await;
    st.next_post(10).await.unwrap();
    let r = acme_get(&format!("{}/metrics/usage/accounts/acme.json", s.base)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-ratelimit-cost"], "25");
    let v = r.json_value().await;
    assert_eq!(v["account"], json!("acme"));
    assert_eq!(v["credits"]["used"], json!(30)); // the add (5) and this call (25)
    assert_eq!(v["posts"]["delivered_today"], json!(1));
    assert_eq!(v["posts"]["limit_per_day"], json!(500_000));
    assert_eq!(
        v["streams"][0],
        json!({"label": "prod", "rules": 1, "connections": 1, "posts_delivered": 1, "posts_delivered_today": 1})
    );
    assert_eq!(v["streams"][1]["label"], json!("dev"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_needs_its_token_and_counts_lines() {
    let s = Server::start();
    let r = client()
        .post(format!("{}/ingest", s.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client()
        .post(format!("{}/ingest", s.base))
        .bearer_auth("wrong")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let v = s
        .ingest(&format!(
            "{}\r\nnot json\n\n{{\"delete\":{{\"status\":{{\"id\":1}}}}}}\n{}\n",
            common::post(1, "a"),
            common::post(2, "b")
        ))
        .await;
    assert_eq!(v, json!({"accepted": 3, "rejected": 1}));
    let m = common::metrics_text(&s.base).await;
    assert!(m.contains("powertrack_posts_in_total 2"), "{m}");
    assert!(m.contains("powertrack_lines_malformed_total 1"), "{m}");
    assert!(m.contains("powertrack_lines_skipped_total 1"), "{m}");
    // An ingest body over 64 MiB is refused without being read whole.
    let r = client()
        .post(format!("{}/ingest", s.base))
        .bearer_auth(common::TOKEN)
        .body(vec![b'\n'; (64 << 20) + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(
        r.json_value().await["error"]["message"],
        json!("The ingest body exceeds 67108864 bytes; send the posts in smaller pieces.")
    );
}
