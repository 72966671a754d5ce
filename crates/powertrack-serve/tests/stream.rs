//! The stream over HTTP: delivery to every connection, rule changes while connected,
//! heartbeats, gzip, the connection limits, slow and stalled clients, and the daily cap.

mod common;

use std::time::Duration;

use common::{PASSWORD, Server, Setup, acme_get, client, ids_of, open_stream, post};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const TOO_MANY: &str = "Forced Disconnect: Too many connections. (Allowed Connections = 2)";

fn error_message(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_changes_reach_every_open_connection() {
    let s = Server::start();
    let url = s.stream_url("acme", "prod");
    let mut first = open_stream(&url, "acme", PASSWORD).await;
    let mut second = open_stream(&url, "acme", PASSWORD).await;
    assert_eq!((first.status, second.status), (200, 200));
    assert_eq!(first.headers["content-encoding"], "gzip");

    // Added while both are connected: both get the next matching post, with the rule's id and tag.
    let v = s.add("prod", &[("snow", Some("weather"))]).await;
    let snow = v["detail"][0]["rule"]["id"].as_u64().unwrap();
    s.ingest(&format!("{}\n{}\n", post(1, "snow day"), post(2, "sunny")))
        .await;
    for st in [&mut first, &mut second] {
        let line = st
            .next_post(10)
            .await
            .expect("the post reaches the connection");
        assert_eq!(ids_of(&line), (1, vec![snow]));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            v["matching_rules"],
            json!([{"tag": "weather", "id": snow, "id_str": snow.to_string()}])
        );
        assert_eq!(
            v["text"],
            json!("snow day"),
            "the post's own fields are kept"
        );
    }

    // Deleted: its matches stop on both; a rule added after it proves the stream goes on.
    let r = client()
        .post(format!("{}?_method=delete", s.rules_url("acme", "prod")))
        .basic_auth("acme", Some(PASSWORD))
        .body(format!(r#"{{"rule_ids":[{snow}]}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v = s.add("prod", &[("rain", None)]).await;
    let rain = v["detail"][0]["rule"]["id"].as_u64().unwrap();
    s.ingest(&format!(
        "{}\n{}\n",
        post(3, "snow again"),
        post(4, "rain and snow")
    ))
    .await;
    for st in [&mut first, &mut second] {
        let line = st
            .next_post(10)
            .await
            .expect("the post reaches the connection");
        assert_eq!(
            ids_of(&line),
            (4, vec![rain]),
            "post 3 matched only the deleted rule"
        );
    }

    // Another stream of the same account sees none of prod's posts.
    let mut dev = open_stream(&s.stream_url("acme", "dev"), "acme", PASSWORD).await;
    s.ingest(&format!("{}\n", post(5, "rain"))).await;
    assert_eq!(ids_of(&first.next_post(10).await.unwrap()).0, 5);
    assert_eq!(dev.next_post(1).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_stream_gets_heartbeats_and_is_real_gzip() {
    let s = Server::start(); // heartbeat every second
    let mut st = open_stream(&s.stream_url("acme", "prod"), "acme", PASSWORD).await;
    let mut beats = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(3_500);
    while let Ok(Some(Some(line))) = tokio::time::timeout_at(deadline, st.lines.recv()).await {
        assert_eq!(line, "", "an idle stream carries heartbeats only");
        beats += 1;
    }
    // One when the stream opens, then one a second.
    assert!(beats >= 3, "{beats} heartbeats in 3.5 s");
    // The whole body, ended by the server, is one valid gzip stream (the decoder checks the
    // trailer's CRC and length).
    drop(st);
    let mut st = open_stream(&s.stream_url("acme", "prod"), "acme", PASSWORD).await;
    s.add("prod", &[("snow", None)]).await;
    s.ingest(&format!("{}\n", post(1, "snow"))).await;
    assert!(st.next_post(10).await.is_some());
    let mut s = s;
    s.stop();
    let (rest, ended) = st.rest(10).await;
    assert!(ended, "the gzip stream ends with a valid trailer");
    assert_eq!(rest.len(), 1);
    assert_eq!(
        error_message(&rest[0]),
        "This stream has been disconnected for operational reasons."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compression_is_required() {
    let s = Server::start();
    let r = acme_get(&s.stream_url("acme", "prod")).await;
    assert_eq!(r.status(), 406);
    let v: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(
        v["error"]["message"],
        json!(
            "This connection requires compression. To enable compression, send an 'Accept-Encoding: gzip' header in your request and be ready to uncompress the stream as it is read on the client end."
        )
    );
    // `gzip;q=0` refuses gzip.
    let r = client()
        .get(s.stream_url("acme", "prod"))
        .basic_auth("acme", Some(PASSWORD))
        .header("accept-encoding", "gzip;q=0, identity")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 406);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_connection_is_disconnected_with_the_message() {
    let s = Server::start();
    let url = s.stream_url("acme", "prod");
    let mut a = open_stream(&url, "acme", PASSWORD).await;
    let _b = open_stream(&url, "acme", PASSWORD).await;
    let mut c = open_stream(&url, "acme", PASSWORD).await;
    assert_eq!(c.status, 200);
    let (lines, ended) = c.rest(10).await;
    assert!(ended, "the refused connection's stream ends cleanly");
    assert_eq!(lines.len(), 1);
    assert_eq!(error_message(&lines[0]), TOO_MANY);
    // The console's history has it, with the reason.
    let reasons = common::connection_reasons(&s, "prod", |r| r.len() == 3 && r[2].is_some()).await;
    assert_eq!(
        reasons,
        [None, None, Some("too many connections".to_owned())]
    );
    // The first two go on.
    s.add("prod", &[("snow", None)]).await;
    s.ingest(&format!("{}\n", post(1, "snow"))).await;
    assert_eq!(ids_of(&a.next_post(10).await.unwrap()).0, 1);
    // Connections are per stream: dev takes its own two.
    let d = open_stream(&s.stream_url("acme", "dev"), "acme", PASSWORD).await;
    assert_eq!(d.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_connection_requests_a_minute() {
    let s = Server::start();
    let url = s.stream_url("acme", "prod");
    for i in 0..60 {
        let st = open_stream(&url, "acme", PASSWORD).await;
        assert_eq!(st.status, 200, "request {i}");
        drop(st);
    }
    let st = open_stream(&url, "acme", PASSWORD).await;
    assert_eq!(st.status, 429);
    s.clock.advance(60_000);
    let st = open_stream(&url, "acme", PASSWORD).await;
    assert_eq!(st.status, 200);
}

/// Posts of about 2 KB of text that gzip cannot squeeze much.
fn bulky_posts(first: u64, n: u64, seed: &mut u64) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut out = String::new();
    for id in first..first + n {
        let mut text = String::from("snow ");
        for _ in 0..2_000 {
            *seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            text.push(ALPHABET[usize::try_from(*seed >> 58).unwrap() % ALPHABET.len()] as char);
        }
        out.push_str(&post(id, &text));
        out.push('\n');
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_cut_off_and_the_other_loses_nothing() {
    let s = Server::with(Setup {
        buffer: 1 << 20,
        ..Setup::default()
    });
    s.add("prod", &[("snow", None)]).await;
    let url = s.stream_url("acme", "prod");
    let mut reader = open_stream(&url, "acme", PASSWORD).await;
    // The stalled client: a small receive window, a request, and never a read.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let mut stalled = sock.connect(s.addr()).await.unwrap();
    let auth = base64_basic("acme", PASSWORD);
    let path = url.split_once(&s.addr().to_string()).unwrap().1.to_owned();
    stalled
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\nAccept-Encoding: gzip\r\n\r\n").as_bytes())
        .await
        .unwrap();
    // Wait until the server counts both connections.
    let both = common::wait_for_metric(&s.base, CONNECTIONS, |n| n == 2).await;
    assert!(both == 2, "both connections open");

    // About 24 MB of posts, far more than the socket buffers and the 1 MB queue hold, in
    // batches the reading client takes in turn: it keeps up by construction, the other
    // never reads.
    let mut seed = 7u64;
    let mut ids = Vec::new();
    for batch in 0..240u64 {
        s.ingest(&bulky_posts(1 + batch * 50, 50, &mut seed)).await;
        for _ in 0..50 {
            let line = reader
                .next_post(30)
                .await
                .expect("the reading connection keeps getting posts");
            ids.push(ids_of(&line).0);
        }
    }
    let expected: Vec<u64> = (1..=12_000).collect();
    assert!(
        ids == expected,
        "the reading connection got every post once, in order (first difference at {:?})",
        ids.iter().zip(&expected).position(|(a, b)| a != b)
    );

    // The stalled one was cut: the server forgot it, counted what it did not get, and closed
    // its TCP connection (what the client still has buffered, then the end).
    let left = common::wait_for_metric(&s.base, CONNECTIONS, |n| n == 1).await;
    assert!(left == 1, "the stalled connection was disconnected");
    let dropped = common::metric(
        &s.base,
        "powertrack_stream_posts_dropped_total{stream=\"acme/prod\"}",
    )
    .await;
    assert!(dropped > 0, "{dropped} posts dropped");
    let mut sink = vec![0u8; 1 << 16];
    let closed = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match stalled.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server closed the stalled connection");
    // The console's history says why.
    let reasons = common::connection_reasons(&s, "prod", |r| r[1].is_some()).await;
    assert_eq!(reasons, [None, Some("could not keep up".to_owned())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let s = Server::with(Setup {
        header_timeout: Duration::from_secs(1),
        ..Setup::default()
    });
    let mut slow = tokio::net::TcpStream::connect(s.addr()).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Meanwhile the server answers others.
    let r = client()
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut buf)).await;
    assert!(
        read.is_ok(),
        "the connection is closed after the header timeout"
    );
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_cap_stops_delivery_with_a_message() {
    let s = Server::with(Setup {
        posts_per_day: 2,
        ..Setup::default()
    });
    s.add("prod", &[("snow", None)]).await;
    let mut st = open_stream(&s.stream_url("acme", "prod"), "acme", PASSWORD).await;
    let mut other = open_stream(
        &s.stream_url("other", "prod"),
        "other",
        common::OTHER_PASSWORD,
    )
    .await;
    let r = client()
        .post(s.rules_url("other", "prod"))
        .basic_auth("other", Some(common::OTHER_PASSWORD))
        .body(r#"{"rules":[{"value":"snow"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let lines: String = (1..=4).fold(String::new(), |acc, i| acc + &post(i, "snow") + "\n");
    s.ingest(&lines).await;
    assert_eq!(ids_of(&st.next_post(10).await.unwrap()).0, 1);
    assert_eq!(ids_of(&st.next_post(10).await.unwrap()).0, 2);
    let notice = st.next_post(10).await.unwrap();
    let message = error_message(&notice);
    assert!(
        message.starts_with(
            "This account has reached its limit of 2 posts delivered per day. Delivery resumes at "
        ),
        "{message}"
    );
    assert_eq!(st.next_post(1).await, None, "nothing more today");
    // A connection opened later today is told at once.
    let mut late = open_stream(&s.stream_url("acme", "prod"), "acme", PASSWORD).await;
    assert_eq!(error_message(&late.next_post(10).await.unwrap()), message);
    // The other account goes on.
    for i in 1..=4 {
        assert_eq!(ids_of(&other.next_post(10).await.unwrap()).0, i);
    }
}

/// The open connections of acme/prod, on `/metrics`.
const CONNECTIONS: &str = "powertrack_stream_connections{stream=\"acme/prod\"}";

fn base64_basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}
