//! The service under load, end to end, on loopback: one `powertrack serve` process, 10
//! accounts × 2 streams × 5 connections (100 connections), 10,000 rules in all, the synthetic
//! firehose pushed to `POST /ingest` at 10,000 posts/s for 60 s, and one rule change a second
//! on every stream while it runs. Every connection's posts are then checked against the
//! library's own matcher over the same posts: none lost, none duplicated, each with exactly the
//! rules in effect. It reports ingest-to-delivery latency, the server's CPU and memory, and
//! writes a record to `benches/record/`.
//!
//! ```text
//! cargo build --release -p powertrack-cli
//! cargo run --release -p powertrack-serve --example loadtest -- --bin target/release/powertrack
//! ```
//!
//! Bounded: it stops after `--seconds` (60) of load plus setup and checking, and sends traffic
//! to 127.0.0.1 only.

// Figures for a report: counts far below 2^52, times far below hours.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

#[path = "support/record.rs"]
mod record;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use clap::Parser;
use futures_util::StreamExt as _;
use powertrack::matcher::{Matches, RuleSetBuilder, Scratch};
use powertrack_gen::firehose::{FirehoseGenerator, Format, LineKind};
use powertrack_gen::rules::RuleSetGenerator;

const PASSWORD: &str = "load-test";
const TOKEN: &str = "load-test-token";

/// `powertrack serve` under a bounded load on loopback.
#[derive(Debug, Parser)]
struct Args {
    /// The `powertrack` binary.
    #[arg(long, default_value = "target/release/powertrack")]
    bin: PathBuf,
    /// Seconds of load.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Posts per second pushed to `POST /ingest`.
    #[arg(long, default_value_t = 10_000)]
    rate: u64,
    /// Accounts.
    #[arg(long, default_value_t = 10)]
    accounts: usize,
    /// Streams per account.
    #[arg(long, default_value_t = 2)]
    streams: usize,
    /// Connections per stream.
    #[arg(long, default_value_t = 5)]
    connections: usize,
    /// Rules over all streams (generated, split evenly).
    #[arg(long, default_value_t = 10_000)]
    rules: usize,
    /// Seed of the rules and the firehose.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where the record goes (nothing is written when empty).
    #[arg(long, default_value = "benches/record")]
    record: String,
}

/// Microseconds since the start of the run.
type Us = u64;

/// A rule of one stream and when it was in effect.
#[derive(Clone, Debug)]
struct Rule {
    stream: usize,
    id: u64,
    value: String,
    /// Add request sent, and answered (0, 0 for the rules loaded before the run).
    added: (Us, Us),
    /// Delete request sent, and answered.
    deleted: Option<(Us, Us)>,
}

/// Whether a rule was in effect for a batch matched between `sent` and `acked`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Effect {
    Yes,
    No,
    Either,
}

impl Rule {
    fn effect(&self, sent: Us, acked: Us) -> Effect {
        let (add_sent, add_done) = self.added;
        let gone = self.deleted.is_some_and(|(_, done)| done <= sent);
        if add_sent >= acked || gone {
            return Effect::No;
        }
        let kept = self.deleted.is_none_or(|(del_sent, _)| del_sent >= acked);
        if add_done <= sent && kept {
            Effect::Yes
        } else {
            Effect::Either
        }
    }
}

/// One pushed batch: its posts' ids, and when it was sent and acknowledged.
struct Batch {
    ids: Vec<u64>,
    sent: Us,
    acked: Us,
}

/// Ingest requests in flight at once, as a producer that does not wait for each answer.
const IN_FLIGHT: usize = 4;

/// An ingest request on its way.
type Pending = tokio::task::JoinHandle<anyhow::Result<Batch>>;

/// Per stream, per post id: the rules certainly in effect, and those that may have been.
type Expected = Vec<HashMap<u64, (Vec<u64>, Vec<u64>)>>;

/// What one connection received.
#[derive(Default)]
struct Received {
    /// (post id, rule ids, when).
    posts: Vec<(u64, Vec<u64>, Us)>,
    /// In-stream notices (`{"error":…}` lines).
    notices: Vec<String>,
    /// The stream ended (or failed) before the test closed it.
    ended_early: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

fn hash_password(bin: &Path) -> anyhow::Result<String> {
    let mut child = Command::new(bin)
        .arg("passwd")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", bin.display()))?;
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(format!("{PASSWORD}\n").as_bytes())?;
    let out = child.wait_with_output()?;
    ensure!(out.status.success(), "powertrack passwd failed");
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(args: &Args, dir: &Path) -> anyhow::Result<Server> {
    let hash = hash_password(&args.bin)?;
    let mut accounts = String::new();
    for a in 0..args.accounts {
        let streams: Vec<String> = (0..args.streams).map(|s| format!("\"s{s}\"")).collect();
        let _ = write!(
            accounts,
            "[[account]]\nname = \"a{a}\"\npassword_hash = \"{hash}\"\nstreams = [{}]\n\
             max_connections = {}\ncredits_per_hour = 1000000\nposts_per_day = 1000000000\n\n",
            streams.join(", "),
            args.connections
        );
    }
    let file = dir.join("accounts.toml");
    std::fs::write(&file, accounts)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let log = std::fs::File::create(dir.join("server.log"))?;
    let child = Command::new(&args.bin)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--accounts")
        .arg(&file)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["--source", "none", "--ingest-token", TOKEN])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", args.bin.display()))?;
    Ok(Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    })
}

/// (utime + stime in seconds, peak RSS in bytes, RSS now in bytes) of a process.
fn process_usage(pid: &str) -> anyhow::Result<(f64, u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start at its closing parenthesis.
    let rest = &stat[stat.rfind(')').context("stat")? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb = |key: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    Ok((
        ticks / clock_ticks(),
        kb("VmHWM:") * 1024,
        kb("VmRSS:") * 1024,
    ))
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client")
}

fn rules_url(base: &str, stream: &str) -> String {
    let (account, label) = stream.split_once('/').expect("account/label");
    format!("{base}/rules/powertrack/accounts/{account}/publishers/twitter/{label}.json")
}

/// Adds `values` to `stream`; the ids the server gave them, in order.
async fn add(base: &str, stream: &str, values: &[String]) -> anyhow::Result<Vec<u64>> {
    let account = stream.split_once('/').map_or("", |p| p.0);
    let body = serde_json::json!({"rules": values.iter().map(|v| serde_json::json!({"value": v})).collect::<Vec<_>>()});
    let r = client()
        .post(rules_url(base, stream))
        .basic_auth(account, Some(PASSWORD))
        .body(body.to_string())
        .send()
        .await?;
    let status = r.status();
    let v: serde_json::Value = serde_json::from_slice(&r.bytes().await?)?;
    ensure!(status == 201 || status == 200, "adding rules: {status} {v}");
    v["detail"]
        .as_array()
        .context("detail")?
        .iter()
        .map(|d| d["rule"]["id"].as_u64().context("a rule id"))
        .collect()
}

async fn delete(base: &str, stream: &str, id: u64) -> anyhow::Result<()> {
    let account = stream.split_once('/').map_or("", |p| p.0);
    let r = client()
        .post(format!("{}?_method=delete", rules_url(base, stream)))
        .basic_auth(account, Some(PASSWORD))
        .body(format!("{{\"rule_ids\":[{id}]}}"))
        .send()
        .await?;
    ensure!(r.status() == 200, "deleting a rule: {}", r.status());
    Ok(())
}

/// Reads one connection until `stop`: every post's id and rule ids, with the time it arrived.
async fn read_stream(
    url: String,
    account: String,
    start: Instant,
    stop: tokio_util::sync::CancellationToken,
) -> Received {
    let mut got = Received::default();
    let resp = client()
        .get(&url)
        .basic_auth(&account, Some(PASSWORD))
        .header("accept-encoding", "gzip")
        .send()
        .await;
    let resp = match resp {
        Ok(r) if r.status() == 200 => r,
        Ok(r) => {
            got.ended_early = Some(format!("status {}", r.status()));
            return got;
        }
        Err(e) => {
            got.ended_early = Some(e.to_string());
            return got;
        }
    };
    let mut body = resp.bytes_stream();
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let chunk = tokio::select! {
            () = stop.cancelled() => return got,
            c = body.next() => c,
        };
        let chunk = match chunk {
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                got.ended_early = Some(e.to_string());
                return got;
            }
            None => {
                got.ended_early = Some("the stream ended".into());
                return got;
            }
        };
        let now = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        if decoder
            .write_all(&chunk)
            .and_then(|()| decoder.flush())
            .is_err()
        {
            got.ended_early = Some("invalid gzip".into());
            return got;
        }
        pending.extend_from_slice(decoder.get_ref());
        decoder.get_mut().clear();
        let mut from = 0;
        while let Some(end) = memchr_crlf(&pending[from..]) {
            let line = &pending[from..from + end];
            from += end + 2;
            if line.is_empty() {
                continue;
            }
            if line.starts_with(b"{\"error\"") {
                got.notices.push(String::from_utf8_lossy(line).into_owned());
            } else {
                match post_and_rules(line) {
                    Some((id, rules)) => got.posts.push((id, rules, now)),
                    None => got.notices.push(format!(
                        "unreadable line: {}",
                        String::from_utf8_lossy(line)
                    )),
                }
            }
        }
        pending.drain(..from);
    }
}

fn memchr_crlf(b: &[u8]) -> Option<usize> {
    memchr::memmem::find(b, b"\r\n")
}

/// A native post's id (its first `"id":`) and the ids in its `matching_rules` (spliced last).
fn post_and_rules(line: &[u8]) -> Option<(u64, Vec<u64>)> {
    let id_at = memchr::memmem::find(line, b"\"id\":")? + 5;
    let id = digits(&line[id_at..])?;
    let key = b"\"matching_rules\":";
    let rules_at = memchr::memmem::rfind(line, key)? + key.len();
    let tail = &line[rules_at..];
    let ids = memchr::memmem::find_iter(tail, b"\"id\":")
        .filter_map(|at| digits(&tail[at + 5..]))
        .collect();
    Some((id, ids))
}

fn digits(b: &[u8]) -> Option<u64> {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    std::str::from_utf8(&b[..n]).ok()?.parse().ok()
}

#[allow(clippy::too_many_lines)]
async fn run(args: Args) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("powertrack-loadtest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mut server = start_server(&args, &dir)?;
    let base = server.base.clone();
    let pid = server.child.id().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client().get(format!("{base}/healthz")).send().await
            && r.status() == 200
        {
            break;
        }
        if let Some(status) = server.child.try_wait()? {
            bail!(
                "the server exited ({status}); see {}",
                dir.join("server.log").display()
            );
        }
        ensure!(
            Instant::now() < deadline,
            "the server did not come up in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Rules: one generated set split evenly over the streams, loaded before the run.
    let streams: Vec<String> = (0..args.accounts)
        .flat_map(|a| (0..args.streams).map(move |s| format!("a{a}/s{s}")))
        .collect();
    let mut per_stream: Vec<Vec<String>> = vec![Vec::new(); streams.len()];
    for (i, g) in RuleSetGenerator::new(args.seed)
        .count(args.rules)
        .enumerate()
    {
        let (_, _, value) = g.into_parts();
        per_stream[i % streams.len()].push(value);
    }
    let rules: Arc<Mutex<Vec<Rule>>> = Arc::new(Mutex::new(Vec::new()));
    for (s, values) in per_stream.iter().enumerate() {
        let ids = add(&base, &streams[s], values).await?;
        let mut seen = HashSet::new();
        let mut r = rules.lock().expect("rules");
        for (value, id) in values.iter().zip(ids) {
            if seen.insert(id) {
                r.push(Rule {
                    stream: s,
                    id,
                    value: value.clone(),
                    added: (0, 0),
                    deleted: None,
                });
            }
        }
    }
    let base_rules = rules.lock().expect("rules").len();
    eprintln!(
        "loadtest: {} streams, {base_rules} rules loaded; opening {} connections",
        streams.len(),
        streams.len() * args.connections
    );
    // Rules API requests are limited to 60 a minute per stream: the changes start after the
    // load's first request has aged a little.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let start = Instant::now();
    let now_us = move || u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    let stop = tokio_util::sync::CancellationToken::new();
    let mut readers = Vec::new();
    for (s, key) in streams.iter().enumerate() {
        let (account, label) = key.split_once('/').expect("account/label");
        let url =
            format!("{base}/stream/powertrack/accounts/{account}/publishers/twitter/{label}.json");
        for _ in 0..args.connections {
            let task = tokio::spawn(read_stream(
                url.clone(),
                account.to_owned(),
                start,
                stop.clone(),
            ));
            readers.push((s, task));
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // One rule change a second per stream: add a rule from another generated set, then delete it
    // the next second.
    let (cpu_before, _, _) = process_usage(&pid)?;
    let load_start = now_us();
    let changes_refused = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut changers = Vec::new();
    for (s, key) in streams.iter().enumerate() {
        let (base, key, rules, stop, refused) = (
            base.clone(),
            key.clone(),
            rules.clone(),
            stop.clone(),
            changes_refused.clone(),
        );
        let mut extra = RuleSetGenerator::new(args.seed + 1_000 + s as u64)
            .count(usize::try_from(args.seconds).unwrap_or(usize::MAX));
        let seconds = args.seconds;
        changers.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let mut added: Option<usize> = None;
            for _ in 0..seconds {
                tokio::select! {
                    () = stop.cancelled() => return,
                    _ = tick.tick() => {}
                }
                if let Some(i) = added.take() {
                    let id = rules.lock().expect("rules")[i].id;
                    let sent = now_us();
                    if delete(&base, &key, id).await.is_ok() {
                        rules.lock().expect("rules")[i].deleted = Some((sent, now_us()));
                    } else {
                        refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        added = Some(i);
                    }
                } else if let Some(g) = extra.next() {
                    let value = g.into_parts().2;
                    let sent = now_us();
                    match add(&base, &key, std::slice::from_ref(&value)).await {
                        Ok(ids) => {
                            let done = now_us();
                            let mut r = rules.lock().expect("rules");
                            // A value the stream had already keeps its rule: nothing changed.
                            if r.iter().all(|x| x.stream != s || x.id != ids[0]) {
                                r.push(Rule {
                                    stream: s,
                                    id: ids[0],
                                    value,
                                    added: (sent, done),
                                    deleted: None,
                                });
                                added = Some(r.len() - 1);
                            }
                        }
                        Err(_) => {
                            refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                }
            }
        }));
    }

    // The producer: batches of rate/100 posts every 10 ms, up to four in flight.
    let mut generator = FirehoseGenerator::new(args.seed).format(Format::Native);
    let per_batch = usize::try_from((args.rate / 100).max(1))?;
    let total = args.rate * args.seconds;
    let mut batches: Vec<Batch> = Vec::new();
    let mut sent_posts = 0u64;
    let mut body = Vec::with_capacity(per_batch * 6_000);
    let mut in_flight: std::collections::VecDeque<Pending> = std::collections::VecDeque::new();
    let ingest = client();
    let mut behind_max = Duration::ZERO;
    while sent_posts < total {
        let due = Duration::from_micros(load_start + sent_posts * 1_000_000 / args.rate);
        let elapsed = start.elapsed();
        if let Some(wait) = due.checked_sub(elapsed) {
            tokio::time::sleep(wait).await;
        } else {
            behind_max = behind_max.max(elapsed.saturating_sub(due));
        }
        body.clear();
        let mut ids = Vec::with_capacity(per_batch);
        while ids.len() < per_batch {
            let e = generator.next_line();
            if let LineKind::Post(id) = e.kind() {
                ids.push(id);
                body.extend_from_slice(e.line());
                body.push(b'\n');
            }
        }
        let sent = now_us();
        let request = ingest
            .post(format!("{base}/ingest"))
            .bearer_auth(TOKEN)
            .body(std::mem::take(&mut body))
            .send();
        sent_posts += ids.len() as u64;
        in_flight.push_back(tokio::spawn(async move {
            let r = request.await?;
            ensure!(r.status() == 200, "ingest answered {}", r.status());
            let _ = r.bytes().await?;
            Ok(Batch {
                ids,
                sent,
                acked: now_us(),
            })
        }));
        if in_flight.len() >= IN_FLIGHT
            && let Some(oldest) = in_flight.pop_front()
        {
            batches.push(oldest.await??);
        }
    }
    for pending in in_flight {
        batches.push(pending.await??);
    }
    let load_end = now_us();
    let (cpu_after, rss_peak, rss_now) = process_usage(&pid)?;
    let (client_cpu, _, _) = process_usage("self")?;
    // Let the last posts reach every connection, then close them.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.cancel();
    for c in changers {
        let _ = c.await;
    }
    let mut received = Vec::new();
    for (s, task) in readers {
        received.push((s, task.await?));
    }
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let _ = server.child.wait();

    // The check: the same posts through the library's matcher, over every rule any stream had.
    eprintln!("loadtest: checking {sent_posts} posts against the library's matcher");
    let rules = rules.lock().expect("rules").clone();
    let mut builder = RuleSetBuilder::new();
    for (g, r) in rules.iter().enumerate() {
        builder.add_value(g as u64 + 1, None, &r.value)?;
    }
    let set = builder.build()?;
    let mut generator = FirehoseGenerator::new(args.seed).format(Format::Native);
    let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
    // Per stream, per post id: the rules certainly in effect, and those that may have been.
    let mut expected: Expected = vec![HashMap::new(); streams.len()];
    let mut send_time: HashMap<u64, Us> = HashMap::new();
    for b in &batches {
        for &id in &b.ids {
            let line = loop {
                let e = generator.next_line();
                if let LineKind::Post(got) = e.kind() {
                    ensure!(got == id, "the generator replays the same posts");
                    break e.line().to_vec();
                }
            };
            send_time.insert(id, b.sent);
            set.match_line(&line, &mut scratch, &mut matches)?;
            for g in matches.ids() {
                let r = &rules[usize::try_from(g - 1)?];
                let entry = expected[r.stream].entry(id).or_default();
                match r.effect(b.sent, b.acked) {
                    Effect::Yes => entry.0.push(r.id),
                    Effect::Either => entry.1.push(r.id),
                    Effect::No => {}
                }
            }
        }
    }
    let (mut lost, mut duplicated, mut wrong_rules, mut unexpected, mut unhealthy) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut delivered = 0u64;
    let mut latencies: Vec<Us> = Vec::new();
    let mut examples: Vec<String> = Vec::new();
    for (s, got) in &received {
        if got.ended_early.is_some() || !got.notices.is_empty() {
            unhealthy += 1;
            examples.push(format!(
                "{}: ended {:?}, notices {:?}",
                streams[*s],
                got.ended_early,
                got.notices.first()
            ));
            continue;
        }
        let mut seen: HashSet<u64> = HashSet::new();
        for (id, rule_ids, at) in &got.posts {
            delivered += 1;
            if !seen.insert(*id) {
                duplicated += 1;
                continue;
            }
            if let Some(t) = send_time.get(id) {
                latencies.push(at.saturating_sub(*t));
            }
            let Some((yes, either)) = expected[*s].get(id) else {
                unexpected += 1;
                if examples.len() < 10 {
                    examples.push(format!(
                        "{}: post {id} matched no rule of the stream",
                        streams[*s]
                    ));
                }
                continue;
            };
            let got_set: HashSet<u64> = rule_ids.iter().copied().collect();
            let ok = yes.iter().all(|r| got_set.contains(r))
                && got_set
                    .iter()
                    .all(|r| yes.contains(r) || either.contains(r))
                && got_set.len() == rule_ids.len();
            if !ok {
                wrong_rules += 1;
                if examples.len() < 10 {
                    examples.push(format!("{}: post {id} got rules {rule_ids:?}, expected {yes:?} (+ maybe {either:?})", streams[*s]));
                }
            }
        }
        for (id, (yes, _)) in &expected[*s] {
            if !yes.is_empty() && !seen.contains(id) {
                lost += 1;
                if examples.len() < 10 {
                    examples.push(format!("{}: post {id} lost", streams[*s]));
                }
            }
        }
    }
    latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((latencies.len() - 1) as f64 * p).round() as usize;
        latencies[i] as f64 / 1_000.0
    };
    let load_secs = (load_end - load_start) as f64 / 1e6;
    let server_cores = (cpu_after - cpu_before) / load_secs;
    let rules_added: usize = rules.len() - base_rules;
    let report = serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "commit": git_commit(),
        "cpu": cpu_model(),
        "setup": {
            "accounts": args.accounts, "streams": streams.len(), "connections": received.len(),
            "rules": base_rules, "target_posts_per_s": args.rate, "seconds": args.seconds,
            "post_format": "v1.1 native (synthetic firehose, seed)", "seed": args.seed,
        },
        "posts_sent": sent_posts,
        "posts_per_s": (sent_posts as f64 / load_secs).round(),
        "producer_max_behind_ms": behind_max.as_millis(),
        "rules_added_during_run": rules_added,
        "rules_deleted_during_run": rules.iter().filter(|r| r.deleted.is_some()).count(),
        "rule_changes_refused": changes_refused.load(std::sync::atomic::Ordering::Relaxed),
        "deliveries": delivered,
        "lost": lost, "duplicated": duplicated, "wrong_rules": wrong_rules, "unexpected": unexpected,
        "unhealthy_connections": unhealthy,
        "latency_ms": {"p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "max": pct(1.0)},
        "server_cpu_cores": (server_cores * 100.0).round() / 100.0,
        "server_rss_peak_mb": rss_peak / 1_000_000,
        "server_rss_end_mb": rss_now / 1_000_000,
        "client_cpu_seconds": client_cpu,
    });
    if let Some(path) = record::write(Path::new(&args.record), "serve-load", report)? {
        eprintln!("loadtest: recorded in {}", path.display());
    }
    for e in &examples {
        eprintln!("loadtest: {e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    ensure!(
        lost + duplicated + wrong_rules + unexpected + unhealthy == 0,
        "posts lost {lost}, duplicated {duplicated}, with wrong rules {wrong_rules}, unexpected {unexpected}; unhealthy connections {unhealthy}"
    );
    Ok(())
}

fn git_commit() -> String {
    Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_default()
}
