//! Where posts come from: a gzip file (several members, a malformed line among them), the
//! synthetic firehose; a file resumed across restarts where the last run left it (plain, gzip
//! and zstd, grown between runs, read again when asked or when replaced); and the shared index,
//! where a value held by two streams is compiled once.

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

/// Appends posts `ids` to `path`: plain, or as one more gzip member or zstd frame.
fn append_posts(path: &std::path::Path, ids: std::ops::Range<u64>, how: &str) {
    let mut text = String::new();
    for i in ids {
        text.push_str(&common::post(i, "snow"));
        text.push('\n');
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    match how {
        "gzip" => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(text.as_bytes()).unwrap();
            file.write_all(&gz.finish().unwrap()).unwrap();
        }
        "zstd" => file
            .write_all(&zstd::encode_all(text.as_bytes(), 3).unwrap())
            .unwrap(),
        _ => file.write_all(text.as_bytes()).unwrap(),
    }
}

/// Waits until the log's last sequence number is `n`, then checks that it stays there (the
/// source has nothing more to send).
async fn logged_exactly(s: &Server, n: u64) {
    assert_eq!(wait_for(s, "powertrack_log_last_seq", n).await, n);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(metric(s, "powertrack_log_last_seq").await, n);
}

async fn a_file_goes_on_where_the_last_run_left_it(how: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("in.ndjson.{how}"));
    append_posts(&path, 0..30, how);
    let mut s = Server::with(Setup {
        source: Source::File(path.clone()),
        ..Setup::default()
    });
    logged_exactly(&s, 30).await;
    // The same file again: nothing is read twice.
    s.restart();
    logged_exactly(&s, 30).await;
    assert_eq!(metric(&s, "powertrack_posts_in_total").await, 0);
    // Grown since: only the new lines are read.
    append_posts(&path, 30..40, how);
    s.restart();
    logged_exactly(&s, 40).await;
    assert_eq!(metric(&s, "powertrack_posts_in_total").await, 10);
    // And again, from where the resumed run stopped.
    append_posts(&path, 40..45, how);
    s.restart();
    logged_exactly(&s, 45).await;
    assert_eq!(metric(&s, "powertrack_posts_in_total").await, 5);
    // Asked to: all of it again.
    s.options.source_from_start = true;
    s.restart();
    logged_exactly(&s, 90).await;
    s.options.source_from_start = false;
    // Another file at the same path (its start differs): read from its first line.
    std::fs::remove_file(&path).unwrap();
    append_posts(&path, 1_000..1_005, how);
    s.restart();
    logged_exactly(&s, 95).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_file_goes_on_where_the_last_run_left_it() {
    a_file_goes_on_where_the_last_run_left_it("plain").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_file_goes_on_where_the_last_run_left_it() {
    a_file_goes_on_where_the_last_run_left_it("gzip").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zstd_file_goes_on_where_the_last_run_left_it() {
    a_file_goes_on_where_the_last_run_left_it("zstd").await;
}
