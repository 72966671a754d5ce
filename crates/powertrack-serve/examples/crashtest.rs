//! Crash safety of the firehose log, with the real server and `kill -9`: a producer posts the
//! synthetic firehose to `POST /ingest` while the server is killed with SIGKILL at a random
//! moment, `--cycles` (50) times in a row on the same data directory. After each kill the log is
//! opened directly and checked: every acknowledged post is in it exactly once, nothing is in it
//! twice, and it is in the order the posts were sent. Every fifth cycle a torn record (random
//! bytes) is appended to the newest journal file before the restart, which must cut it off and
//! serve nothing of it.
//!
//! ```text
//! cargo build --release -p powertrack-cli
//! cargo run --release -p powertrack-serve --example crashtest -- --bin target/release/powertrack
//! ```
//!
//! Bounded (each cycle lives at most a few seconds) and on 127.0.0.1 only.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use clap::Parser;
use powertrack_gen::firehose::{FirehoseGenerator, LineKind};
use powertrack_serve::log::{Cursor, EmbeddedLog, LogConfig, PostLog};

const TOKEN: &str = "crash-test-token";

/// `kill -9` the server while posts stream in, and check the log after each kill.
#[derive(Debug, Parser)]
struct Args {
    /// The `powertrack` binary.
    #[arg(long, default_value = "target/release/powertrack")]
    bin: PathBuf,
    /// Kills.
    #[arg(long, default_value_t = 50)]
    cycles: u32,
    /// Posts per ingest request.
    #[arg(long, default_value_t = 50)]
    batch: usize,
    /// `--fsync` of the server.
    #[arg(long, default_value = "batch")]
    fsync: String,
    /// Seed of the kill times.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// What became of a post sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sent {
    Acknowledged,
    /// Sent, but the server died before answering: it may or may not be in the log.
    Unknown,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("powertrack-crashtest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let accounts = dir.join("accounts.toml");
    let hash = powertrack_serve::config::hash_password("pw")?;
    std::fs::write(
        &accounts,
        format!("[[account]]\nname = \"acme\"\npassword_hash = \"{hash}\"\nstreams = [\"prod\"]\n"),
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let sent: Arc<Mutex<Vec<(u64, Sent)>>> = Arc::new(Mutex::new(Vec::new()));
    let mut generator = FirehoseGenerator::new(args.seed);
    let mut rng = args.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next_random = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let (mut torn, mut acknowledged_total) = (0u32, 0usize);
    let started = Instant::now();
    for cycle in 1..=args.cycles {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut child = Command::new(&args.bin)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--source",
                "none",
            ])
            .args([
                "--ingest-token",
                TOKEN,
                "--fsync",
                &args.fsync,
                "--accounts",
            ])
            .arg(&accounts)
            .arg("--data-dir")
            .arg(dir.join("data"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", args.bin.display()))?;
        let base = format!("http://127.0.0.1:{port}");
        // The posts of this cycle, made up front so the producer task owns them.
        let batches: Vec<(Vec<u64>, Vec<u8>)> = (0..400)
            .map(|_| {
                let mut ids = Vec::with_capacity(args.batch);
                let mut body = Vec::new();
                while ids.len() < args.batch {
                    let e = generator.next_line();
                    if let LineKind::Post(id) = e.kind() {
                        ids.push(id);
                        body.extend_from_slice(e.line());
                        body.push(b'\n');
                    }
                }
                (ids, body)
            })
            .collect();
        let kill_after = Duration::from_millis(200 + next_random() % 1_300);
        let producer_log = sent.clone();
        runtime.block_on(async {
            let client = reqwest::Client::builder().no_proxy().build()?;
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                if let Ok(r) = client.get(format!("{base}/healthz")).send().await
                    && r.status() == 200
                {
                    break;
                }
                ensure!(Instant::now() < deadline, "the server did not come up");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let producer = tokio::spawn(async move {
                for (ids, body) in batches {
                    let first = {
                        let mut s = producer_log.lock().expect("log of sent posts");
                        let first = s.len();
                        s.extend(ids.iter().map(|&id| (id, Sent::Unknown)));
                        first
                    };
                    let acked = match client
                        .post(format!("{base}/ingest"))
                        .bearer_auth(TOKEN)
                        .body(body)
                        .send()
                        .await
                    {
                        Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    if !acked {
                        return; // the server is gone: never resent
                    }
                    let mut s = producer_log.lock().expect("log of sent posts");
                    for entry in &mut s[first..first + ids.len()] {
                        entry.1 = Sent::Acknowledged;
                    }
                }
            });
            tokio::time::sleep(kill_after).await;
            child.kill()?; // SIGKILL
            child.wait()?;
            let _ = producer.await;
            anyhow::Ok(())
        })?;

        let log_dir = dir.join("data").join("log");
        if cycle % 5 == 0 {
            tear(&log_dir, &mut next_random)?;
            torn += 1;
        }
        let acknowledged = check(&log_dir, &sent.lock().expect("log of sent posts"))
            .with_context(|| format!("cycle {cycle}"))?;
        acknowledged_total = acknowledged;
        eprintln!(
            "crashtest: cycle {cycle}: killed after {kill_after:?}; {acknowledged} acknowledged posts all in the log once, in order"
        );
    }
    println!(
        "crashtest: {} kills ({} with a torn record appended), {} posts acknowledged, every one in the log exactly once and in order; {:.1} s",
        args.cycles,
        torn,
        acknowledged_total,
        started.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Opens the log as the server would and checks it against what was sent; returns the number
/// of acknowledged posts.
fn check(log_dir: &Path, sent: &[(u64, Sent)]) -> anyhow::Result<usize> {
    let log = EmbeddedLog::open(log_dir, LogConfig::default())?;
    let mut seen: HashMap<u64, usize> = HashMap::new();
    let mut order = Vec::new();
    let mut cursor = Some(Cursor::at(0));
    while let Some(at) = cursor {
        let (page, next) = log.read(at, u64::MAX, u64::MAX, 10_000)?;
        for p in page {
            let id = post_id(&p.line).context("a logged line without an id")?;
            *seen.entry(id).or_default() += 1;
            order.push(id);
        }
        cursor = next;
    }
    drop(log);
    if let Some((id, n)) = seen.iter().find(|(_, n)| **n > 1) {
        bail!("post {id} is in the log {n} times");
    }
    let position: HashMap<u64, usize> = sent
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    if !order
        .windows(2)
        .all(|w| position.get(&w[0]) < position.get(&w[1]))
    {
        bail!("the log is not in the order the posts were sent");
    }
    let mut acknowledged = 0;
    for (id, state) in sent {
        if *state == Sent::Acknowledged {
            acknowledged += 1;
            ensure!(
                seen.contains_key(id),
                "acknowledged post {id} is missing from the log"
            );
        }
    }
    Ok(acknowledged)
}

/// The first `"id":` of a v1.1 native post.
fn post_id(line: &[u8]) -> Option<u64> {
    let at = memchr::memmem::find(line, b"\"id\":")? + 5;
    let n = line[at..].iter().take_while(|c| c.is_ascii_digit()).count();
    std::str::from_utf8(&line[at..at + n]).ok()?.parse().ok()
}

/// Appends a torn record (random bytes) to the newest journal file, as a crash in the middle of
/// a write leaves it.
fn tear(log_dir: &Path, random: &mut impl FnMut() -> u64) -> anyhow::Result<()> {
    let mut journals = Vec::new();
    let mut stack = vec![log_dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "jnl") {
                let modified = path.metadata()?.modified()?;
                journals.push((modified, path));
            }
        }
    }
    let (_, newest) = journals
        .into_iter()
        .max()
        .context("no journal file in the log")?;
    let garbage: Vec<u8> = (0..37 + random() % 200)
        .map(|_| random().to_le_bytes()[0])
        .collect();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&newest)?
        .write_all(&garbage)?;
    Ok(())
}
