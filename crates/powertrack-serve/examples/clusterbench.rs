//! `powertrack serve --nats` measured on this machine, beside one process: matching throughput
//! with 1, 2 and 3 instances sharing the firehose of a 3-node JetStream cluster (streams R3),
//! rule propagation (an add on one instance until it is listed on the two others), and the
//! end-to-end latency of a post (ingest on one instance → matched by any → delivered on a
//! connection of a third).
//!
//! ```text
//! cargo build --release -p powertrack-cli
//! cargo run --release -p powertrack-serve --example clusterbench -- \
//!     --bin target/release/powertrack --nats-server /path/to/nats-server
//! ```
//!
//! Throughput: the posts are ingested while the matchers' consumer is paused, the instances
//! started, then the consumer resumed; the figure is posts over the time until the consumer has
//! none pending or unacknowledged. Everything (NATS nodes, instances, this client) shares the
//! machine's cores, so the figures say what the design costs here, not what N machines give;
//! the record says so. Bounded in posts and time; 127.0.0.1 only.

// Figures for a report: counts far below 2^52, times far below hours.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

#[path = "support/nats_cluster.rs"]
mod nats_cluster;
#[path = "support/record.rs"]
mod record;

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use futures_util::StreamExt as _;
use nats_cluster::{Instance, NatsCluster};
use powertrack_gen::firehose::{FirehoseGenerator, LineKind};
use powertrack_gen::rules::{Config, RuleSetGenerator, write_rules_body};

const PASSWORD: &str = "bench password";
const TOKEN: &str = "bench-token";

/// Measure the service on a NATS cluster beside one process.
#[derive(Debug, Parser)]
struct Args {
    /// The `powertrack` binary (a release build).
    #[arg(long, default_value = "target/release/powertrack")]
    bin: PathBuf,
    /// The `nats-server` binary (default: `$POWERTRACK_NATS_SERVER`, else the `PATH`'s).
    #[arg(long)]
    nats_server: Option<PathBuf>,
    /// Posts matched in each throughput run.
    #[arg(long, default_value_t = 40_000)]
    posts: u64,
    /// Rules (the accounts profile: mostly `from:` rules, some keywords).
    #[arg(long, default_value_t = 10_000)]
    rules: usize,
    /// Rule additions timed for propagation (at most 59: the Rules API takes 60 calls a
    /// minute per stream).
    #[arg(long, default_value_t = 50)]
    adds: usize,
    /// Posts per second of the latency run (for 10 s).
    #[arg(long, default_value_t = 1_000)]
    rate: u64,
    /// Replicas of the streams (3: every node has every stream).
    #[arg(long, default_value_t = 3)]
    replicas: usize,
    /// Only this many matching instances (default: 1, 2 and 3 in turn).
    #[arg(long)]
    only: Option<usize>,
    /// Where records go.
    #[arg(long, default_value = "benches/record")]
    record: String,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn rules_url(base: &str) -> String {
    format!("{base}/rules/powertrack/accounts/acme/publishers/twitter/prod.json")
}

/// The posts of the synthetic firehose (stream messages left out).
fn posts(n: u64) -> Vec<Vec<u8>> {
    let mut g = FirehoseGenerator::new(7);
    let mut out = Vec::with_capacity(n as usize);
    while (out.len() as u64) < n {
        let e = g.next_line();
        if let LineKind::Post(_) = e.kind() {
            out.push(e.line().to_vec());
        }
    }
    out
}

async fn add_rules(base: &str, n: usize) -> anyhow::Result<()> {
    let rules = RuleSetGenerator::new(11)
        .with_config(Config::accounts())
        .count(n)
        .map(powertrack_gen::rules::GeneratedRule::into_parts);
    let mut body = Vec::new();
    write_rules_body(&mut body, rules)?;
    let r = client()
        .post(rules_url(base))
        .basic_auth("acme", Some(PASSWORD))
        .body(body)
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "adding rules: {}", r.status());
    Ok(())
}

async fn ingest(base: &str, posts: &[Vec<u8>]) -> anyhow::Result<()> {
    let mut body = Vec::with_capacity(posts.iter().map(|p| p.len() + 1).sum());
    for p in posts {
        body.extend_from_slice(p);
        body.push(b'\n');
    }
    let r = client()
        .post(format!("{base}/ingest"))
        .bearer_auth(TOKEN)
        .body(body)
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "ingest: {}", r.status());
    Ok(())
}

async fn metric(base: &str, name: &str) -> u64 {
    let Ok(r) = client().get(format!("{base}/metrics")).send().await else {
        return 0;
    };
    let text = r.text().await.unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Percentiles of `v` (seconds), in ms.
fn summary(mut v: Vec<f64>) -> serde_json::Value {
    v.sort_by(f64::total_cmp);
    serde_json::json!({
        "n": v.len(),
        "p50_ms": (percentile(&v, 0.5) * 1e6).round() / 1000.0,
        "p99_ms": (percentile(&v, 0.99) * 1e6).round() / 1000.0,
        "max_ms": (v.last().copied().unwrap_or(f64::NAN) * 1e6).round() / 1000.0,
    })
}

/// End-to-end latency: `rate` posts a second for 10 s ingested on `ingest_on`, received on a
/// connection to `connect_to`; each post's latency from its batch's send to its arrival (s).
async fn latency(ingest_on: &str, connect_to: &str, all: &[Vec<u8>], rate: u64) -> Vec<f64> {
    let r = client()
        .get(format!(
            "{connect_to}/stream/powertrack/accounts/acme/publishers/twitter/prod.json"
        ))
        .basic_auth("acme", Some(PASSWORD))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u64, Instant)>();
    let reader = tokio::spawn(async move {
        let mut body = r.bytes_stream();
        let mut decoder = flate2::write::GzDecoder::new(Vec::new());
        let mut pending = Vec::new();
        while let Some(Ok(chunk)) = body.next().await {
            let now = Instant::now();
            if decoder.write_all(&chunk).is_err() {
                break;
            }
            let _ = decoder.flush();
            pending.extend_from_slice(&std::mem::take(decoder.get_mut()));
            while let Some(end) = pending.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = pending.drain(..end + 2).collect();
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&line[..end])
                    && let Some(id) = id_of(&v)
                    && tx.send((id, now)).is_err()
                {
                    return;
                }
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ids: Vec<u64> = all.iter().map(|p| post_id(p)).collect();
    let mut sent: HashMap<u64, Instant> = HashMap::new();
    let batch = (rate / 100).max(1) as usize;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let mut i = 0;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) && i + batch <= all.len() {
        tick.tick().await;
        let now = Instant::now();
        for id in &ids[i..i + batch] {
            sent.insert(*id, now);
        }
        if let Err(e) = ingest(ingest_on, &all[i..i + batch]).await {
            eprintln!("latency run: {e}");
        }
        i += batch;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    reader.abort();
    let mut out = Vec::new();
    while let Ok((id, at)) = rx.try_recv() {
        if let Some(s) = sent.get(&id) {
            out.push(at.duration_since(*s).as_secs_f64());
        }
    }
    out
}

fn post_id(line: &[u8]) -> u64 {
    serde_json::from_slice(line)
        .ok()
        .and_then(|v| id_of(&v))
        .unwrap_or(0)
}

/// A post's id in any of the three formats (v1.1 `id`, v2 `data.id`, Activity Streams
/// `tag:…:ID`).
fn id_of(v: &serde_json::Value) -> Option<u64> {
    v["id"]
        .as_u64()
        .or_else(|| v["id_str"].as_str().and_then(|s| s.parse().ok()))
        .or_else(|| v["data"]["id"].as_str().and_then(|s| s.parse().ok()))
        .or_else(|| {
            v["id"]
                .as_str()
                .and_then(|s| s.rsplit(':').next())
                .and_then(|s| s.parse().ok())
        })
}

fn accounts(dir: &Path) -> anyhow::Result<PathBuf> {
    let hash = powertrack_serve::config::hash_password(PASSWORD)?;
    let file = dir.join("accounts.toml");
    std::fs::write(
        &file,
        format!(
            "[[account]]\nname = \"acme\"\npassword_hash = \"{hash}\"\nstreams = [\"prod\"]\n\
             max_connections = 4\nposts_per_day = 100000000\ncredits_per_hour = 1000000\n"
        ),
    )?;
    Ok(file)
}

fn serve_args(accounts: &Path, data: &Path, nats: Option<(&str, usize)>) -> Vec<String> {
    let mut a = vec![
        "--accounts".into(),
        accounts.display().to_string(),
        "--data-dir".into(),
        data.display().to_string(),
        "--ingest-token".into(),
        TOKEN.into(),
    ];
    if let Some((urls, replicas)) = nats {
        a.extend([
            "--nats".into(),
            urls.into(),
            "--nats-replicas".into(),
            replicas.to_string(),
        ]);
    }
    a
}

/// One process: ingest throughput (posts matched a second, as fast as ingest takes them) and
/// end-to-end latency.
async fn single(args: &Args, dir: &Path, all: &[Vec<u8>]) -> anyhow::Result<serde_json::Value> {
    std::fs::create_dir_all(dir)?;
    let acc = accounts(dir)?;
    let one = Instance::start(
        &args.bin,
        "single",
        dir,
        serve_args(&acc, &dir.join("single"), None),
    );
    add_rules(&one.base, args.rules).await?;
    let n = args.posts as usize;
    let started = Instant::now();
    for chunk in all[..n].chunks(1_000) {
        ingest(&one.base, chunk).await?;
    }
    while metric(&one.base, "powertrack_posts_in_total").await < args.posts {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    let lat = latency(&one.base, &one.base, &all[n..], args.rate).await;
    Ok(serde_json::json!({
        "posts": n,
        "seconds": (secs * 1000.0).round() / 1000.0,
        "posts_per_sec": (args.posts as f64 / secs).round(),
        "end_to_end_latency": summary(lat),
    }))
}

/// `k` instances over a fresh 3-node cluster: throughput of the shared matching.
async fn throughput(
    args: &Args,
    nats: &Path,
    dir: &Path,
    k: usize,
    all: &[Vec<u8>],
) -> anyhow::Result<(serde_json::Value, NatsCluster, Vec<Instance>)> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let cluster = NatsCluster::start(nats, dir, 3);
    let urls = cluster.urls();
    let acc = accounts(dir)?;
    let args_of = |i: usize| {
        serve_args(
            &acc,
            &dir.join(format!("i{i}")),
            Some((&urls, args.replicas)),
        )
    };
    let mut first = Instance::start(&args.bin, "i0", dir, args_of(0));
    add_rules(&first.base, args.rules).await?;
    first.terminate();
    // The posts go straight into the firehose stream (as ingest would put them: message id
    // `p<post id>`) while no instance runs; then the instances start together, and the
    // clock runs from the first post handed out until none is pending or unacknowledged.
    let addrs: Vec<async_nats::ServerAddr> =
        urls.split(',').map(str::parse).collect::<Result<_, _>>()?;
    let nc = async_nats::connect(addrs).await?;
    let js = async_nats::jetstream::new(nc);
    let n = args.posts as usize;
    let t = Instant::now();
    for chunk in all[..n].chunks(1_000) {
        let mut acks = Vec::with_capacity(chunk.len());
        for p in chunk {
            let msg = async_nats::jetstream::message::PublishMessage::build()
                .payload(bytes::Bytes::copy_from_slice(p))
                .message_id(format!("p{}", post_id(p)));
            acks.push(
                js.send_publish(powertrack_serve::cluster::FIREHOSE_SUBJECT, msg)
                    .await?,
            );
        }
        for a in acks {
            a.await?;
        }
    }
    let ingest_secs = t.elapsed().as_secs_f64();
    let firehose = js
        .get_stream(powertrack_serve::cluster::FIREHOSE_STREAM)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let named = (0..k)
        .map(|i| (format!("i{i}"), args_of(i)))
        .collect::<Vec<_>>();
    let instances = Instance::start_many(&args.bin, dir, named);
    let nats_pids = cluster.pids();
    let instance_pids: Vec<u32> = instances.iter().filter_map(Instance::pid).collect();
    let mut cpu_before = (0.0, 0.0);
    let mut t = Instant::now();
    let mut started = false;
    let mut redelivered;
    loop {
        let info = firehose
            .consumer_info(powertrack_serve::cluster::MATCHERS)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if !started && info.num_pending < args.posts {
            started = true;
            t = Instant::now();
            cpu_before = (
                nats_cluster::cpu_seconds(&nats_pids),
                nats_cluster::cpu_seconds(&instance_pids),
            );
        }
        redelivered = info.num_redelivered;
        if info.num_pending == 0 && info.num_ack_pending == 0 {
            break;
        }
        anyhow::ensure!(
            t.elapsed() < Duration::from_secs(600),
            "the instances did not match the posts within 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let secs = t.elapsed().as_secs_f64();
    let cpu_nats = nats_cluster::cpu_seconds(&nats_pids) - cpu_before.0;
    let cpu_instances = nats_cluster::cpu_seconds(&instance_pids) - cpu_before.1;
    let mut shares = Vec::new();
    for i in &instances {
        shares.push(metric(&i.base, "powertrack_posts_in_total").await);
    }
    Ok((
        serde_json::json!({
            "instances": k,
            "posts": n,
            "firehose_publish_posts_per_sec": (args.posts as f64 / ingest_secs).round(),
            "seconds": (secs * 1000.0).round() / 1000.0,
            "posts_per_sec": (args.posts as f64 / secs).round(),
            "matched_by_instance": shares,
            "redelivered": redelivered,
            "cpu_seconds_nats_servers": (cpu_nats * 100.0).round() / 100.0,
            "cpu_seconds_instances": (cpu_instances * 100.0).round() / 100.0,
            "cores_busy": ((cpu_nats + cpu_instances) / secs * 100.0).round() / 100.0,
        }),
        cluster,
        instances,
    ))
}

/// Rule adds on the first instance until each is listed on the others (ms), and the adds'
/// own latency (s).
async fn propagation(instances: &[Instance], adds: usize) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let base_rules = metric(&instances[0].base, "powertrack_rules").await;
    let (mut everywhere, mut answered) = (Vec::new(), Vec::new());
    for i in 0..adds {
        let value = format!("propagation{i} OR \"cluster bench {i}\"");
        let body = serde_json::json!({"rules": [{"value": value}]}).to_string();
        let t = Instant::now();
        let r = client()
            .post(rules_url(&instances[0].base))
            .basic_auth("acme", Some(PASSWORD))
            .body(body)
            .send()
            .await?;
        let v: serde_json::Value = serde_json::from_slice(&r.bytes().await?)?;
        answered.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(v["summary"]["created"] == 1, "add {i} was not created: {v}");
        let want = base_rules + i as u64 + 1;
        for other in &instances[1..] {
            // `/metrics` (not rate-limited) says how many rules the instance holds.
            while metric(&other.base, "powertrack_rules").await < want {
                anyhow::ensure!(
                    t.elapsed() < Duration::from_secs(10),
                    "add {i} never arrived"
                );
            }
        }
        everywhere.push(t.elapsed().as_secs_f64());
    }
    Ok((everywhere, answered))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let nats = match &args.nats_server {
        Some(p) => p.clone(),
        None => nats_cluster::nats_server().map_err(|e| anyhow::anyhow!(e))?,
    };
    anyhow::ensure!(
        args.bin.is_file(),
        "{}: no such binary (build it with cargo build --release -p powertrack-cli)",
        args.bin.display()
    );
    let version = std::process::Command::new(&nats)
        .arg("--version")
        .output()?;
    let nats_version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    let dir = std::env::temp_dir().join("powertrack-clusterbench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let all = posts(args.posts + args.rate * 11);
    let rt = tokio::runtime::Runtime::new()?;
    let report = rt.block_on(async {
        eprintln!("one process …");
        let single = single(&args, &dir.join("single"), &all).await.context("one process")?;
        let mut runs = Vec::new();
        let mut final_run = None;
        let ks = match args.only {
            Some(k) => k..=k,
            None => 1..=3,
        };
        for k in ks {
            eprintln!("{k} instance(s) …");
            let (run, cluster, instances) =
                throughput(&args, &nats, &dir.join(format!("k{k}")), k, &all).await?;
            eprintln!("{run}");
            runs.push(run);
            final_run = Some((cluster, instances));
        }
        let (_cluster, instances) = final_run.expect("a run");
        eprintln!("rule propagation …");
        let (everywhere, answered) = propagation(&instances, args.adds).await?;
        eprintln!("end-to-end latency …");
        let lat = latency(&instances[0].base, &instances[instances.len() - 1].base, &all[args.posts as usize..], args.rate).await;
        // On paper, from the CPU each side spent per post (the run with one instance): an
        // instance on cores of its own matches 1 / (its CPU per post) posts a second per core,
        // and the NATS nodes need their CPU per post times the rate, spread over the nodes.
        let posts = args.posts as f64;
        let instance_us = runs[0]["cpu_seconds_instances"].as_f64().unwrap_or(f64::NAN) / posts * 1e6;
        let nats_us = runs[0]["cpu_seconds_nats_servers"].as_f64().unwrap_or(f64::NAN) / posts * 1e6;
        let cores = |rate: f64, us: f64| (rate * us / 1e6 * 10.0).ceil() / 10.0;
        let paper = serde_json::json!({
            "instance_cpu_us_per_post": (instance_us * 10.0).round() / 10.0,
            "nats_cpu_us_per_post_all_nodes": (nats_us * 10.0).round() / 10.0,
            "posts_per_sec_per_instance_core": (1e6 / instance_us).round(),
            "average_6000": {"instance_cores": cores(6_000.0, instance_us), "nats_cores": cores(6_000.0, nats_us)},
            "peak_143199": {"instance_cores": cores(143_199.0, instance_us), "nats_cores": cores(143_199.0, nats_us)},
            "note": "here the 3 NATS nodes, the instances and the client share 2 cores (cores_busy ~1.9 in every run), so more instances cannot add throughput on this machine; with cores of their own, instances add 1/(instance CPU per post) posts/s per core each, and the NATS nodes need the CPU given for the rate",
        });
        anyhow::Ok(serde_json::json!({
            "on_paper": paper,
            "bench": "powertrack serve --nats: 3-node JetStream cluster (R3) and 1-3 instances, beside one process",
            "command": format!("cargo run --release -p powertrack-serve --example clusterbench -- --bin target/release/powertrack --posts {} --rules {}", args.posts, args.rules),
            "machine": "2 cores shared by the 3 NATS nodes, the instances and this client",
            "nats_server": nats_version,
            "rules": args.rules,
            "replicas": args.replicas,
            "rule_profile": "accounts",
            "single_process": single,
            "cluster_throughput": runs,
            "rule_propagation_everywhere": summary(everywhere),
            "rule_add_answered": summary(answered),
            "end_to_end_latency_3_instances": summary(lat),
        }))
    })?;
    record::write(Path::new(&args.record), "cluster", report)?;
    Ok(())
}
