//! The status page and the console, over HTTP against a real server: an account sees its own
//! connections (with why each ended), its rules (added, deleted, and counts equal to the posts
//! delivered), its usage, and nothing of another account; the histories and counts survive a restart.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{
    JsonValue as _, OTHER_PASSWORD, PASSWORD, Server, Setup, client, open_stream_as, post,
};
use serde_json::Value;

fn console(s: &Server, path: &str) -> String {
    format!("{}/console/accounts/acme/streams/prod/{path}", s.base)
}

async fn get_as(url: &str, user: &str, password: &str) -> reqwest::Response {
    client()
        .get(url)
        .basic_auth(user, Some(password))
        .send()
        .await
        .unwrap()
}

async fn acme_json(url: &str) -> Value {
    let r = get_as(url, "acme", PASSWORD).await;
    assert_eq!(r.status(), 200, "{url}");
    r.json_value().await
}

/// `YYYY-MM-DDTHH:MM:SSZ` of Unix ms (whole seconds, as `at=` takes them).
fn at(ms: u64) -> String {
    powertrack::api::rfc3339_millis(ms / 1000 * 1000).replace(".000Z", "Z")
}

fn now_ms() -> u64 {
    u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// Unix ms of an RFC 3339 time, to the second.
fn secs(rfc: &str) -> u64 {
    powertrack::api::parse_seconds_utc(&format!("{}Z", &rfc[..19])).unwrap()
}

/// Waits into the next whole second, so that times on either side are told apart by `at=`.
async fn next_second() -> u64 {
    let now = now_ms();
    tokio::time::sleep(Duration::from_millis(1000 - now % 1000 + 50)).await;
    now_ms()
}

/// Polls `url` (as acme) until `done` holds, 10 s at most.
async fn wait_json(url: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let v = acme_json(url).await;
        if done(&v) || tokio::time::Instant::now() > deadline {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_sees_its_connections_rules_and_usage_which_survive_a_restart() {
    let mut s = Server::with(Setup {
        notices: vec!["Maintenance at 23:00 UTC".into()],
        ..Setup::default()
    });
    let added = s
        .add("prod", &[("snow", Some("weather")), ("rain", None)])
        .await;
    let id = |i: usize| added["detail"][i]["rule"]["id"].as_u64().unwrap();
    let (snow, rain) = (id(0), id(1));
    let after_add = next_second().await;

    // One connection, seven posts in (six match), then the client goes away.
    let mut st = open_stream_as(
        &s.stream_url("acme", "prod"),
        "acme",
        PASSWORD,
        "console-test/1.0",
    )
    .await;
    assert_eq!(st.status, 200);
    let posts = [
        (1, "snow today"),
        (2, "more snow"),
        (3, "snow again"),
        (4, "rain today"),
        (5, "rain again"),
        (6, "snow and rain"),
        (7, "sunny"),
    ];
    let lines: Vec<String> = posts.iter().map(|(i, t)| post(*i, t)).collect();
    s.ingest(&lines.join("\n")).await;
    let mut delivered: HashMap<u64, u64> = HashMap::new();
    for _ in 0..6 {
        let line = st.next_post(10).await.expect("a matched post");
        let v: Value = serde_json::from_str(&line).unwrap();
        for r in v["matching_rules"].as_array().unwrap() {
            *delivered.entry(r["id"].as_u64().unwrap()).or_default() += 1;
        }
    }
    assert_eq!(delivered, HashMap::from([(snow, 4), (rain, 3)]));
    drop(st);
    let conns = wait_json(&console(&s, "connections.json"), |v| {
        v["connections"][0]["closed"].is_string()
    })
    .await;
    let c = &conns["connections"][0];
    assert_eq!(conns["connections"].as_array().unwrap().len(), 1, "{conns}");
    assert_eq!(c["user_agent"], "console-test/1.0");
    assert_eq!(c["delivered"], 6);
    assert_eq!(c["reason"], "client closed");
    assert!(c["client"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert_eq!(conns["open"], 0);

    // "Was I connected at T": before the connection, no; while it was open, yes.
    let before = acme_json(&console(
        &s,
        &format!("connections.json?at={}", at(after_add - 2000)),
    ))
    .await;
    assert_eq!(before["connections"], serde_json::json!([]));
    let opened = secs(c["opened"].as_str().unwrap());
    let during = acme_json(&console(
        &s,
        &format!("connections.json?at={}", at(opened + 1000)),
    ))
    .await;
    assert_eq!(
        during["connections"].as_array().unwrap().len(),
        1,
        "{during}"
    );

    // Rules: counts equal to the posts delivered; a deleted rule stays listed with its time.
    let counted = wait_json(&console(&s, "rules.json"), |v| {
        v["rules"][0]["matched_last_hour"].as_u64() == Some(4)
    })
    .await;
    let row = |v: &Value, id: u64| {
        v["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("rule {id} in {v}"))
    };
    for (rule, n) in [(snow, 4), (rain, 3)] {
        assert_eq!(row(&counted, rule)["matched_last_hour"], n, "{counted}");
        assert_eq!(row(&counted, rule)["matched_last_day"], n, "{counted}");
    }
    let before_delete = next_second().await;
    let r = client()
        .post(format!("{}?_method=delete", s.rules_url("acme", "prod")))
        .basic_auth("acme", Some(PASSWORD))
        .body(r#"{"rules":[{"value":"rain"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let rules = acme_json(&console(&s, "rules.json")).await;
    assert_eq!(
        (rules["live"].as_u64(), rules["deleted"].as_u64()),
        (Some(1), Some(1))
    );
    let deleted_at = row(&rules, rain)["deleted"].clone();
    assert!(deleted_at.is_string(), "{rules}");
    assert_eq!(row(&rules, snow)["tag"], "weather");
    // "Did rule R exist at T".
    let existed = |t: u64| {
        let url = console(&s, &format!("rules.json?id={rain}&at={}", at(t)));
        async move { acme_json(&url).await["total"].as_u64().unwrap() }
    };
    assert_eq!(existed(before_delete - 10).await, 1);
    assert_eq!(existed(now_ms() + 1000).await, 0);
    assert_eq!(existed(after_add - 5000).await, 0);
    // Search, sort and paging.
    let searched = acme_json(&console(&s, "rules.json?q=SNO&state=live")).await;
    assert_eq!(
        (
            searched["total"].as_u64(),
            searched["rules"][0]["id"].as_u64()
        ),
        (Some(1), Some(snow))
    );
    let paged = acme_json(&console(
        &s,
        "rules.json?sort=last_day&order=desc&per_page=1&page=2",
    ))
    .await;
    assert_eq!(
        (paged["pages"].as_u64(), paged["rules"][0]["id"].as_u64()),
        (Some(2), Some(rain))
    );
    let bad = get_as(&console(&s, "rules.json?sort=colour"), "acme", PASSWORD).await;
    assert_eq!(bad.status(), 400);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("The 'sort' parameter cannot be 'colour'.")
    );

    // Usage.
    let usage = acme_json(&format!("{}/console/accounts/acme/usage.json", s.base)).await;
    assert_eq!(usage["posts"]["delivered_today"], 6);
    assert_eq!(usage["streams"][0]["label"], "prod");
    assert_eq!(usage["streams"][0]["posts_delivered_today"], 6);
    assert_eq!(usage["streams"][0]["rules"], 1);

    // The HTML page says the same.
    let page = get_as(&console(&s, ""), "acme", PASSWORD).await;
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("powertrack_console=")
    );
    let html = page.text().await.unwrap();
    for want in [
        "console-test/1.0",
        "client closed",
        "weather",
        "<code>rain</code>",
        "Usage",
    ] {
        assert!(html.contains(want), "{want} in the page");
    }

    // Another account's credentials are refused; no credentials ask for them.
    for path in ["", "rules.json", "connections.json"] {
        let r = get_as(&console(&s, path), "other", OTHER_PASSWORD).await;
        assert_eq!(r.status(), 403, "{path}");
        assert_eq!(
            r.json_value().await["error"]["message"],
            "These credentials are for another account; each account sees only its own console."
        );
    }
    let r = client().get(console(&s, "")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    assert_eq!(
        get_as(&console(&s, ""), "acme", "wrong").await.status(),
        401
    );
    let home = client()
        .get(format!("{}/console/", s.base))
        .basic_auth("other", Some(OTHER_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(
        home.url().path(),
        "/console/accounts/other/",
        "redirected to its own"
    );

    // The status page: public, with the operator's notice.
    let status = client()
        .get(format!("{}/status.json", s.base))
        .send()
        .await
        .unwrap();
    let status = status.json_value().await;
    assert_eq!(status["notices"][0]["text"], "Maintenance at 23:00 UTC");
    assert_eq!(status["rules"], 1);
    let html = client()
        .get(format!("{}/status", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Maintenance at 23:00 UTC"));
    let negotiated = client()
        .get(format!("{}/status", s.base))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json_value()
        .await;
    assert_eq!(negotiated["notices"][0]["text"], "Maintenance at 23:00 UTC");

    // Both histories survive a restart.
    s.restart();
    let conns = acme_json(&console(&s, "connections.json")).await;
    assert_eq!(
        conns["connections"][0]["reason"], "client closed",
        "{conns}"
    );
    assert_eq!(conns["connections"][0]["delivered"], 6);
    let rules = acme_json(&console(&s, "rules.json")).await;
    assert_eq!(
        (rules["live"].as_u64(), rules["deleted"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(row(&rules, rain)["deleted"], deleted_at);
    assert_eq!(row(&rules, snow)["added"], row(&counted, snow)["added"]);
    // So do the match counts (saved at shutdown).
    for (rule, n) in [(snow, 4), (rain, 3)] {
        assert_eq!(row(&rules, rule)["matched_last_hour"], n, "{rules}");
        assert_eq!(row(&rules, rule)["matched_last_day"], n, "{rules}");
    }
}

/// A connection open when the server stops gracefully ends as `shutdown`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_open_at_shutdown_ends_as_shutdown() {
    let mut s = Server::start();
    s.add("prod", &[("snow", None)]).await;
    let st = open_stream_as(&s.stream_url("acme", "prod"), "acme", PASSWORD, "").await;
    assert_eq!(st.status, 200);
    let _ = wait_json(&console(&s, "connections.json"), |v| v["open"] == 1).await;
    s.restart();
    drop(st);
    let conns = acme_json(&console(&s, "connections.json")).await;
    assert_eq!(conns["connections"][0]["reason"], "shutdown", "{conns}");
}
