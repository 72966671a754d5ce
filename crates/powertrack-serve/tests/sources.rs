//! Where posts come from: a gzip file (several members, a malformed line among them), the
//! synthetic firehose; and the shared index, where a value held by two streams is compiled once.

mod common;

use std::io::Write as _;
use std::time::Duration;

use common::{Server, Setup};
use powertrack_serve::source::Source;

async fn metric(s: &Server, name: &str) -> u64 {
    common::metric(&s.base, name).await
}

async fn wait_for(s: &Server, name: &str, at_least: u64) -> u64 {
    common::wait_for_metric(&s.base, name, |v| v >= at_least).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_file_of_several_members_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capture.ndjson.gz");
    let mut file = std::fs::File::create(&path).unwrap();
    for member in 0..2u64 {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for i in 0..25 {
            writeln!(gz, "{}", common::post(member * 100 + i, "snow")).unwrap();
        }
        if member == 1 {
            gz.write_all(b"{\"not a post\"\r\n").unwrap();
        }
        file.write_all(&gz.finish().unwrap()).unwrap();
    }
    drop(file);
    let s = Server::with(Setup {
        source: Source::File(path),
        ..Setup::default()
    });
    assert_eq!(wait_for(&s, "powertrack_posts_in_total", 50).await, 50);
    assert_eq!(wait_for(&s, "powertrack_lines_malformed_total", 1).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_synthetic_firehose_is_paced() {
    let s = Server::with(Setup {
        source: Source::Generated(1),
        rate: Some(200),
        ..Setup::default()
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    let n = metric(&s, "powertrack_posts_in_total").await;
    // 200 posts a second, in batches of 2 every 10 ms: about 400 by now, never thousands.
    assert!((100..=800).contains(&n), "{n} posts in 2 s at 200/s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_in_two_streams_is_compiled_once() {
    let s = Server::start();
    s.add("prod", &[("snow", Some("a")), ("rain", None)]).await;
    s.add("dev", &[("snow", Some("b"))]).await;
    assert_eq!(metric(&s, "powertrack_rules").await, 3);
    assert_eq!(metric(&s, "powertrack_index_rules").await, 2);
    // Each stream still gets its own id and tag for the shared value.
    let mut prod =
        common::open_stream(&s.stream_url("acme", "prod"), "acme", common::PASSWORD).await;
    let mut dev = common::open_stream(&s.stream_url("acme", "dev"), "acme", common::PASSWORD).await;
    s.ingest(&format!("{}\n", common::post(9, "snow"))).await;
    let a: serde_json::Value = serde_json::from_str(&prod.next_post(10).await.unwrap()).unwrap();
    let b: serde_json::Value = serde_json::from_str(&dev.next_post(10).await.unwrap()).unwrap();
    assert_eq!(a["matching_rules"][0]["tag"], "a");
    assert_eq!(b["matching_rules"][0]["tag"], "b");
    assert_ne!(a["matching_rules"][0]["id"], b["matching_rules"][0]["id"]);
}
