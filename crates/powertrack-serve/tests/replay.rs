//! The firehose log in use: backfill after an outage, recovery of a window under the current
//! rules, their parameters' errors, the recovery limit and pace (a clock the tests move).

mod common;

use std::time::{Duration, Instant};

use common::{PASSWORD, Server, Setup, client, ids_of, open_stream, post};
use powertrack::matcher::{Matches, RuleSetBuilder, Scratch};
use serde_json::json;

const MINUTE: u64 = 60_000;

/// `ms` as `YYYY-MM-DDTHH:mm:ssZ`.
fn time(ms: u64) -> String {
    let t = powertrack::api::rfc3339_millis(ms);
    format!("{}Z", &t[..19])
}

/// Posts `ids` with these texts, one line each.
fn lines(posts: &[(u64, &str)]) -> String {
    posts
        .iter()
        .map(|(id, text)| post(*id, text) + "\n")
        .collect()
}

/// The ids of `posts` that `rule` matches, by the library's matcher.
fn expected(rule: &str, posts: &[(u64, &str)]) -> Vec<u64> {
    let mut b = RuleSetBuilder::new();
    b.add_value(1, None, rule).unwrap();
    let set = b.build().unwrap();
    let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
    posts
        .iter()
        .filter(|(id, text)| {
            set.match_line(post(*id, text).as_bytes(), &mut scratch, &mut matches)
                .unwrap();
            !matches.is_empty()
        })
        .map(|p| p.0)
        .collect()
}

async fn status_and_message(url: &str) -> (u16, String) {
    let r = client()
        .get(url)
        .basic_auth("acme", Some(PASSWORD))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let v: serde_json::Value =
        serde_json::from_slice(&r.bytes().await.unwrap()).unwrap_or_default();
    (
        status,
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_after_a_90_second_outage_delivers_the_gap_then_the_live_stream() {
    let s = Server::start();
    s.add("prod", &[("snow", None)]).await;
    let url = s.stream_url("acme", "prod");
    let mut first = open_stream(&url, "acme", PASSWORD).await;
    let before = [(1, "snow at noon"), (2, "rain")];
    s.ingest(&lines(&before)).await;
    assert_eq!(ids_of(&first.next_post(10).await.unwrap()).0, 1);
    drop(first);
    // 90 s away; posts keep coming.
    s.clock.advance(30_000);
    let gap = [
        (3, "snow in the gap"),
        (4, "sunny"),
        (5, "more snow"),
        (6, "snowy"),
    ];
    s.ingest(&lines(&gap)).await;
    s.clock.advance(60_000);
    let gap_expected = expected("snow", &gap);
    assert_eq!(gap_expected, [3, 5]);

    // backfillMinutes=2 covers the outage: the gap's matching posts (and post 1 again, which
    // arrived within the two minutes: a duplicate the documentation allows), then live posts.
    let mut back = open_stream(&format!("{url}?backfillMinutes=2"), "acme", PASSWORD).await;
    assert_eq!(back.status, 200);
    s.ingest(&lines(&[(7, "live snow")])).await;
    let mut got = Vec::new();
    while let Some(line) = back.next_post(5).await {
        got.push(ids_of(&line).0);
        if got.last() == Some(&7) {
            break;
        }
    }
    assert_eq!(got, [1, 3, 5, 7]);

    // backfillMinutes=1 reaches back 60 s: the gap's posts arrived just over 60 s ago, so only
    // post 7 (arrived since) comes back.
    let mut one = open_stream(&format!("{url}?backfillMinutes=1"), "acme", PASSWORD).await;
    assert_eq!(ids_of(&one.next_post(5).await.unwrap()).0, 7);
    assert_eq!(one.next_post(1).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_backfill_and_recovery_parameters_get_their_errors() {
    let s = Server::start();
    let url = s.stream_url("acme", "prod");
    let backfill = "Invalid value for query parameter 'backfillMinutes'. It must be a whole number of minutes from 1 to 5.";
    for n in ["0", "6", "x", "1.5", "-1", ""] {
        assert_eq!(
            status_and_message(&format!("{url}?backfillMinutes={n}")).await,
            (400, backfill.to_owned()),
            "{n}"
        );
    }
    let now = s.clock.now_ms();
    let cases = [
        (format!("startTime=2017-01-01 23:15:00Z&endTime={}", time(now)), "Invalid date format for query parameter 'startTime'. Expected format is 'YYYY-MM-DDTHH:mm:ssZ'. For example, '2017-01-01T23:15:00Z' for January 1st, 11:15 pm 2017 UTC.".to_owned()),
        (format!("startTime={}&endTime=201701012315", time(now - MINUTE)), "Invalid date format for query parameter 'endTime'. Expected format is 'YYYY-MM-DDTHH:mm:ssZ'. For example, '2017-01-01T23:15:00Z' for January 1st, 11:15 pm 2017 UTC.".to_owned()),
        (format!("startTime={}", time(now - MINUTE)), "A recovery needs both 'startTime' and 'endTime'.".to_owned()),
        (format!("endTime={}", time(now)), "A recovery needs both 'startTime' and 'endTime'.".to_owned()),
        (format!("startTime={}&endTime={}", time(now - 25 * 60 * MINUTE), time(now)), "Invalid date for query parameter 'startTime'. Recovery reaches back 24 hours at most.".to_owned()),
        (format!("startTime={}&endTime={}", time(now - MINUTE), time(now + 10 * MINUTE)), "Invalid date for query parameter 'endTime'. It cannot be in the future.".to_owned()),
        (format!("startTime={}&endTime={}", time(now - MINUTE), time(now - MINUTE)), "Invalid dates: 'startTime' must be before 'endTime'.".to_owned()),
        (format!("backfillMinutes=2&startTime={}&endTime={}", time(now - 2 * MINUTE), time(now)), "'backfillMinutes' cannot be combined with a recovery ('startTime' and 'endTime').".to_owned()),
    ];
    for (query, message) in cases {
        assert_eq!(
            status_and_message(&format!("{url}?{query}")).await,
            (400, message),
            "{query}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_replays_its_window_under_the_rules_of_now() {
    let s = Server::start();
    s.add("prod", &[("snow", Some("old"))]).await;
    let t0 = s.clock.now_ms();
    s.ingest(&lines(&[(1, "snow early"), (2, "hail early")]))
        .await;
    s.clock.advance(10 * MINUTE);
    let window = [(3, "snow and hail"), (4, "hail alone"), (5, "sunny")];
    s.ingest(&lines(&window)).await;
    s.clock.advance(10 * MINUTE);
    s.ingest(&lines(&[(6, "snow late"), (7, "hail late")]))
        .await;
    // A rule added after the posts arrived matches them in a recovery.
    let v = s.add("prod", &[("hail", Some("new"))]).await;
    let hail = v["detail"][0]["rule"]["id"].as_u64().unwrap();
    let url = format!(
        "{}?startTime={}&endTime={}",
        s.stream_url("acme", "prod"),
        time(t0 + 5 * MINUTE),
        time(t0 + 15 * MINUTE)
    );
    let mut rec = open_stream(&url, "acme", PASSWORD).await;
    assert_eq!(rec.status, 200);
    let (got, ended) = rec.rest(20).await;
    assert!(ended, "the recovery ends with a complete gzip stream");
    let mut want: Vec<u64> = expected("snow", &window);
    want.extend(expected("hail", &window));
    want.sort_unstable();
    want.dedup();
    assert_eq!(want, [3, 4]);
    let posts: Vec<(u64, Vec<u64>)> = got[..got.len() - 1].iter().map(|l| ids_of(l)).collect();
    assert_eq!(posts.iter().map(|p| p.0).collect::<Vec<_>>(), want);
    assert_eq!(posts[1].1, [hail]);
    let done: serde_json::Value = serde_json::from_str(got.last().unwrap()).unwrap();
    assert_eq!(done["info"]["message"], json!("Recovery Request Completed"));
    assert_eq!(done["info"]["activity_count"], json!(2));
    assert!(done["info"]["sent"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_recoveries_at_most_and_each_paced() {
    let s = Server::with(Setup {
        recovery_rate: 100,
        ..Setup::default()
    });
    s.add("prod", &[("snow", None)]).await;
    let t0 = s.clock.now_ms();
    let posts: Vec<(u64, String)> = (1..=300).map(|i| (i, format!("snow {i}"))).collect();
    let refs: Vec<(u64, &str)> = posts.iter().map(|(i, t)| (*i, t.as_str())).collect();
    s.ingest(&lines(&refs)).await;
    s.clock.advance(MINUTE);
    let url = format!(
        "{}?startTime={}&endTime={}",
        s.stream_url("acme", "prod"),
        time(t0 - 1_000),
        time(t0 + 30_000)
    );
    let started = Instant::now();
    let mut a = open_stream(&url, "acme", PASSWORD).await;
    let b = open_stream(&url, "acme", PASSWORD).await;
    assert_eq!((a.status, b.status), (200, 200));
    let (status, message) = status_and_message(&url).await;
    assert_eq!(
        (status, message.as_str()),
        (
            429,
            "This stream already has 2 recoveries running. Wait for one to complete."
        )
    );
    // 300 posts at 100 a second: about 3 s (the first page of 256 goes at once).
    let (got, ended) = a.rest(30).await;
    assert!(ended);
    assert_eq!(got.len(), 301);
    assert!(
        started.elapsed() >= Duration::from_millis(2_500),
        "{:?}",
        started.elapsed()
    );
    drop(b);
    // Both done or gone: a new one is taken.
    let mut taken = false;
    for _ in 0..50 {
        if open_stream(&url, "acme", PASSWORD).await.status == 200 {
            taken = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(taken);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_survives_a_restart() {
    let mut s = Server::start();
    s.add("prod", &[("snow", None)]).await;
    let t0 = s.clock.now_ms();
    s.ingest(&lines(&[(1, "snow"), (2, "rain"), (3, "snow again")]))
        .await;
    s.restart();
    s.clock.advance(MINUTE);
    let url = format!(
        "{}?startTime={}&endTime={}",
        s.stream_url("acme", "prod"),
        time(t0 - 1_000),
        time(t0 + 30_000)
    );
    let mut rec = open_stream(&url, "acme", PASSWORD).await;
    let (got, ended) = rec.rest(20).await;
    assert!(ended);
    let ids: Vec<u64> = got[..got.len() - 1].iter().map(|l| ids_of(l).0).collect();
    assert_eq!(ids, [1, 3]);
    // And appends go on after what was there.
    s.ingest(&lines(&[(4, "snow")])).await;
    let m = common::metrics_text(&s.base).await;
    assert!(m.contains("powertrack_log_last_seq 4"), "{m}");
}
