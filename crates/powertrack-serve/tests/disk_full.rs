//! The log on a full disk (a 3 MB tmpfs, mounted for the test; skipped, saying why, where the
//! test cannot mount one): ingest answers 503 with its message and takes nothing, nothing
//! acknowledged is lost, and ingest resumes once there is room again.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Server, Setup, client};
use powertrack_gen::firehose::{FirehoseGenerator, LineKind};
use powertrack_serve::log::{Cursor, EmbeddedLog, LogConfig, PostLog};

/// A tmpfs of `size`, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| Tmpfs(at.to_path_buf()))
    }

    fn resize(&self, size: &str) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn post_id(line: &[u8]) -> u64 {
    let at = memchr::memmem::find(line, b"\"id\":").unwrap() + 5;
    let n = line[at..].iter().take_while(|c| c.is_ascii_digit()).count();
    std::str::from_utf8(&line[at..at + n])
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_ingest_loses_nothing_and_resumes() {
    let mount_point = tempfile::tempdir().unwrap();
    let Some(fs) = Tmpfs::mount(mount_point.path(), "3m") else {
        eprintln!(
            "skipping a_full_disk_refuses_ingest_loses_nothing_and_resumes: cannot mount a tmpfs here (needs root)"
        );
        return;
    };
    let data = mount_point.path().join("data");
    let mut s = Server::with(Setup {
        data_dir: Some(data.clone()),
        ..Setup::default()
    });
    let mut generator = FirehoseGenerator::new(3);
    let mut batch = |n: usize| {
        let (mut ids, mut body) = (Vec::new(), String::new());
        while ids.len() < n {
            let e = generator.next_line();
            if let LineKind::Post(id) = e.kind() {
                ids.push(id);
                body.push_str(std::str::from_utf8(e.line()).unwrap());
                body.push('\n');
            }
        }
        (ids, body)
    };
    let ingest = |body: String| {
        let url = format!("{}/ingest", s.base);
        async move {
            let r = client()
                .post(url)
                .bearer_auth(common::TOKEN)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let v: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
            (status, v)
        }
    };
    let mut acknowledged: Vec<u64> = Vec::new();
    let mut refused = None;
    for _ in 0..400 {
        let (ids, body) = batch(100);
        let (status, v) = ingest(body).await;
        if status == 200 {
            acknowledged.extend(ids);
        } else {
            refused = Some((status, v));
            break;
        }
    }
    let (status, v) = refused.expect("the 3 MB disk fills up");
    assert_eq!(status, 503);
    assert_eq!(
        v["error"]["message"],
        "The posts could not be written to the log, so none of them was taken. Try again later."
    );
    assert!(
        acknowledged.len() >= 1_000,
        "{} posts fitted",
        acknowledged.len()
    );
    // Still full: still refused. Then room again: taken.
    let (status, _) = ingest(batch(100).1).await;
    assert_eq!(status, 503);
    fs.resize("64m");
    let (ids, body) = batch(100);
    let (status, v) = ingest(body).await;
    assert_eq!(status, 200, "{v}");
    acknowledged.extend(ids);
    s.stop();
    // Every acknowledged post is in the log, once.
    let log = EmbeddedLog::open(&data.join("log"), LogConfig::default()).unwrap();
    let mut seen = HashSet::new();
    let mut cursor = Some(Cursor::at(0));
    while let Some(at) = cursor {
        let (page, next) = log.read(at, u64::MAX, u64::MAX, 10_000).unwrap();
        for p in page {
            assert!(seen.insert(post_id(&p.line)), "a post twice in the log");
        }
        cursor = next;
    }
    let missing = acknowledged.iter().filter(|id| !seen.contains(id)).count();
    assert_eq!(missing, 0, "acknowledged posts missing from the log");
    drop(log);
    drop(fs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_source_waits_out_a_full_disk_and_skips_no_line() {
    let mount_point = tempfile::tempdir().unwrap();
    let Some(fs) = Tmpfs::mount(mount_point.path(), "3m") else {
        eprintln!(
            "skipping a_file_source_waits_out_a_full_disk_and_skips_no_line: cannot mount a tmpfs here (needs root)"
        );
        return;
    };
    // The input lives outside the small disk; only the log is on it.
    let input_dir = tempfile::tempdir().unwrap();
    let input = input_dir.path().join("firehose.ndjson");
    let mut generator = FirehoseGenerator::new(4);
    let (mut ids, mut text) = (Vec::new(), String::new());
    while ids.len() < 8_000 {
        let e = generator.next_line();
        if let LineKind::Post(id) = e.kind() {
            ids.push(id);
            text.push_str(std::str::from_utf8(e.line()).unwrap());
            text.push('\n');
        }
    }
    std::fs::write(&input, text).unwrap();
    let data = mount_point.path().join("data");
    let mut s = Server::with(Setup {
        data_dir: Some(data.clone()),
        source: powertrack_serve::source::Source::File(input),
        ..Setup::default()
    });
    common::wait_for_metric(&s.base, "powertrack_log_errors_total", |n| n >= 1).await;
    let stuck = common::metric(&s.base, "powertrack_log_last_seq").await;
    assert!(
        stuck < 8_000,
        "the 3 MB disk fills up before the file's end"
    );
    fs.resize("64m");
    // Posts taken (a refused batch's sequence numbers are not given again, so the log's last
    // sequence number runs ahead of its posts).
    common::wait_for_metric(&s.base, "powertrack_posts_in_total", |n| n >= 8_000).await;
    s.stop();
    // Every line of the file is in the log once, in the file's order.
    let log = EmbeddedLog::open(&data.join("log"), LogConfig::default()).unwrap();
    let mut logged = Vec::new();
    let mut cursor = Some(Cursor::at(0));
    while let Some(at) = cursor {
        let (page, next) = log.read(at, u64::MAX, u64::MAX, 10_000).unwrap();
        logged.extend(page.iter().map(|p| post_id(&p.line)));
        cursor = next;
    }
    assert_eq!(logged.len(), ids.len());
    assert!(logged == ids, "the log holds the file's lines out of order");
    drop(log);
    drop(fs);
}
