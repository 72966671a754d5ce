//! `powertrack serve --nats`: three instances over a real three-node NATS JetStream cluster
//! (streams replicated R3) on 127.0.0.1, as processes, killed with SIGKILL.
//!
//! Its own command (it needs a `nats-server`, which `.ci/run` installs):
//!
//! ```text
//! POWERTRACK_NATS_SERVER=/path/to/nats-server cargo test -p powertrack-cli --test cluster
//! ```
//!
//! Without a `nats-server` it says why and passes. One test, scenarios in order on one
//! cluster (each builds on the state the one before left): a rule added on one instance is
//! listed by the others within 1 s and matches posts whichever instance matches them; a
//! connection on one instance receives the posts the others matched, each once, exactly the
//! posts and `matching_rules` the library matcher gives; connection limits hold across the
//! instances; killing an instance (SIGKILL) while posts flow loses none and duplicates none on
//! a connection held by a survivor; killing a NATS node changes nothing visible; an instance
//! started again after missing rule changes catches up, with the same ids; a recovery reads its
//! window back from the firehose stream.

#[path = "../../powertrack-serve/examples/support/nats_cluster.rs"]
mod nats_cluster;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use nats_cluster::{Instance, NatsCluster, nats_server};
use powertrack::matcher::{Matches, RuleSetBuilder, Scratch};

const BIN: &str = env!("CARGO_BIN_EXE_powertrack");
const PASSWORD: &str = "cluster password";
const TOKEN: &str = "cluster-ingest-token";

fn scratch_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cluster");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn rules_url(base: &str) -> String {
    format!("{base}/rules/powertrack/accounts/acme/publishers/twitter/prod.json")
}

fn stream_url(base: &str) -> String {
    format!("{base}/stream/powertrack/accounts/acme/publishers/twitter/prod.json")
}

/// A post whose text is a few words of a small vocabulary, chosen by its id.
fn post(id: u64) -> String {
    const WORDS: [&str; 6] = ["alpha", "beta", "gamma", "delta", "omega", "sigma"];
    let mut x = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut text = Vec::new();
    for _ in 0..3 {
        text.push(WORDS[(x % 6) as usize]);
        x /= 7;
    }
    format!(
        "{{\"id\":{id},\"id_str\":\"{id}\",\"text\":\"{} {id}\",\"lang\":\"en\",\"user\":{{\"id\":2,\"id_str\":\"2\",\"screen_name\":\"poster\"}}}}",
        text.join(" ")
    )
}

/// The stream's rules as an instance lists them: id → value.
async fn rules_of(base: &str) -> Option<BTreeMap<u64, String>> {
    let r = client()
        .get(rules_url(base))
        .basic_auth("acme", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let v: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert!(
        status == 200 || status == 429,
        "listing the rules: {status} {v}"
    );
    let rules = v["rules"].as_array()?;
    Some(
        rules
            .iter()
            .map(|r| {
                (
                    r["id_str"].as_str().unwrap().parse().unwrap(),
                    r["value"].as_str().unwrap().to_owned(),
                )
            })
            .collect(),
    )
}

/// Adds rules on `base`; their ids.
async fn add(base: &str, values: &[&str]) -> Vec<u64> {
    let rules: Vec<_> = values
        .iter()
        .map(|v| serde_json::json!({"value": v, "tag": format!("tag {v}")}))
        .collect();
    let r = client()
        .post(rules_url(base))
        .basic_auth("acme", Some(PASSWORD))
        .body(serde_json::json!({ "rules": rules }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "adding {values:?}");
    let v: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["summary"]["created"], values.len(), "{v}");
    v["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"]["id_str"].as_str().unwrap().parse().unwrap())
        .collect()
}

async fn delete(base: &str, ids: &[u64]) {
    let r = client()
        .post(format!("{}?_method=delete", rules_url(base)))
        .basic_auth("acme", Some(PASSWORD))
        .body(serde_json::json!({ "rule_ids": ids }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// Waits until every instance in `bases` lists `want`; how long that took.
async fn until_listed(bases: &[&str], want: &BTreeMap<u64, String>, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        // `/metrics` (not rate-limited, unlike the Rules API: every change here moves the
        // count) until the counts agree, then the lists themselves.
        let mut counts = true;
        for b in bases {
            if metric(b, "powertrack_rules").await != want.len() as u64 {
                counts = false;
                break;
            }
        }
        if counts {
            let mut lists = true;
            for b in bases {
                if rules_of(b).await.as_ref() != Some(want) {
                    lists = false;
                }
            }
            if lists {
                return start.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            start.elapsed() < within,
            "the rules did not reach every instance within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn ingest(base: &str, ids: std::ops::Range<u64>) {
    let body: String = ids.map(|id| post(id) + "\n").collect();
    let r = client()
        .post(format!("{base}/ingest"))
        .bearer_auth(TOKEN)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
}

async fn metric(base: &str, name: &str) -> u64 {
    let text = client()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}

/// The posts of `ids` the library matcher matches with `rules`, with their rule ids.
fn expected(rules: &BTreeMap<u64, String>, ids: std::ops::Range<u64>) -> BTreeMap<u64, Vec<u64>> {
    let mut b = RuleSetBuilder::new();
    for (id, value) in rules {
        b.add_value(*id, None, value).unwrap();
    }
    let set = b.build().unwrap();
    let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
    let mut out = BTreeMap::new();
    for id in ids {
        let line = post(id);
        set.match_line(line.as_bytes(), &mut scratch, &mut matches)
            .unwrap();
        let mut ids: Vec<u64> = matches.ids().collect();
        if !ids.is_empty() {
            ids.sort_unstable();
            out.insert(id, ids);
        }
    }
    out
}

/// A stream connection's posts, decoded, as they arrive.
struct Conn {
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
    status: u16,
}

/// Now, in whole seconds (Unix).
fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `2026-12-07T18:00:00Z` for Unix seconds.
fn rfc3339_s(secs: u64) -> String {
    let ms = powertrack::api::rfc3339_millis(secs * 1000);
    format!("{}Z", &ms[..19])
}

async fn connect(base: &str) -> Conn {
    connect_url(&stream_url(base)).await
}

async fn connect_url(url: &str) -> Conn {
    let r = client()
        .get(url)
        .basic_auth("acme", Some(PASSWORD))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut body = r.bytes_stream();
        let mut decoder = flate2::write::GzDecoder::new(Vec::new());
        let mut pending = Vec::new();
        while let Some(Ok(chunk)) = body.next().await {
            if decoder.write_all(&chunk).is_err() {
                break;
            }
            decoder.flush().unwrap();
            pending.extend_from_slice(&std::mem::take(decoder.get_mut()));
            while let Some(end) = pending.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8(pending[..end].to_vec()).unwrap();
                pending.drain(..end + 2);
                if !line.is_empty() && tx.send(line).is_err() {
                    return;
                }
            }
        }
    });
    Conn { lines: rx, status }
}

impl Conn {
    /// Posts received until `want` are all in, or `within` passes; each post's id and rule
    /// ids, and how many times it came.
    async fn collect(
        &mut self,
        want: &BTreeMap<u64, Vec<u64>>,
        within: Duration,
    ) -> (BTreeMap<u64, Vec<u64>>, BTreeMap<u64, usize>) {
        let deadline = tokio::time::Instant::now() + within;
        let mut got = BTreeMap::new();
        let mut times: BTreeMap<u64, usize> = BTreeMap::new();
        while !want.keys().all(|k| got.contains_key(k)) {
            let Ok(Some(line)) = tokio::time::timeout_at(deadline, self.lines.recv()).await else {
                break;
            };
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            let Some(id) = v["id"].as_u64() else {
                continue; // a notice
            };
            let mut ids: Vec<u64> = v["matching_rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id_str"].as_str().unwrap().parse().unwrap())
                .collect();
            ids.sort_unstable();
            got.insert(id, ids);
            *times.entry(id).or_default() += 1;
        }
        // Anything more (a duplicate) would come at once.
        while let Ok(Some(line)) =
            tokio::time::timeout(Duration::from_millis(500), self.lines.recv()).await
        {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            if let Some(id) = v["id"].as_u64() {
                *times.entry(id).or_default() += 1;
            }
        }
        (got, times)
    }

    async fn expect_exactly(&mut self, want: &BTreeMap<u64, Vec<u64>>, what: &str) {
        let (got, times) = self.collect(want, Duration::from_secs(60)).await;
        let missing: Vec<&u64> = want.keys().filter(|k| !got.contains_key(k)).collect();
        assert!(
            missing.is_empty(),
            "{what}: {} posts missing, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(5)]
        );
        let extra: Vec<&u64> = got.keys().filter(|k| !want.contains_key(k)).collect();
        assert!(
            extra.is_empty(),
            "{what}: posts that match nothing came: {extra:?}"
        );
        let dups: Vec<(&u64, &usize)> = times.iter().filter(|(_, n)| **n > 1).collect();
        if !dups.is_empty() {
            eprintln!(
                "{what}: {} of {} posts came more than once",
                dups.len(),
                times.len()
            );
        }
        assert!(
            dups.is_empty(),
            "{what}: posts came more than once: {:?}",
            &dups[..dups.len().min(5)]
        );
        assert_eq!(
            &got, want,
            "{what}: matching_rules differ from the library's"
        );
    }
}

fn accounts(dir: &Path) -> PathBuf {
    let hash = powertrack_serve::config::hash_password(PASSWORD).unwrap();
    let file = dir.join("accounts.toml");
    std::fs::write(
        &file,
        format!(
            "[[account]]\nname = \"acme\"\npassword_hash = \"{hash}\"\nstreams = [\"prod\"]\nmax_connections = 2\n"
        ),
    )
    .unwrap();
    file
}

#[test]
fn three_instances_over_a_three_node_jetstream_cluster() {
    let nats = match nats_server() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let dir = scratch_dir();
    let mut cluster = NatsCluster::start(&nats, &dir, 3);
    let accounts = accounts(&dir);
    let args = |name: &str| -> Vec<String> {
        vec![
            "--accounts".into(),
            accounts.display().to_string(),
            "--data-dir".into(),
            dir.join(name).display().to_string(),
            "--nats".into(),
            cluster.urls(),
            "--nats-replicas".into(),
            "3".into(),
            "--nats-ack-wait".into(),
            "2".into(),
            "--ingest-token".into(),
            TOKEN.into(),
            "--heartbeat".into(),
            "1".into(),
        ]
    };
    let mut a = Instance::start(Path::new(BIN), "a", &dir, args("a"));
    let mut b = Instance::start(Path::new(BIN), "b", &dir, args("b"));
    let c = Instance::start(Path::new(BIN), "c", &dir, args("c"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // A rule added on A is listed by B and C within 1 s.
        let mut rules = BTreeMap::new();
        let mut worst = Duration::ZERO;
        for (i, value) in ["alpha", "beta gamma", "delta OR omega", "sigma -alpha"]
            .iter()
            .enumerate()
        {
            let on = [&a, &b, &c][i % 3];
            let ids = add(&on.base, &[value]).await;
            rules.insert(ids[0], (*value).to_owned());
            let took =
                until_listed(&[&a.base, &b.base, &c.base], &rules, Duration::from_secs(1)).await;
            worst = worst.max(took);
        }
        eprintln!("rule propagation: slowest {worst:?}");
        let ids: BTreeSet<u64> = rules.keys().copied().collect();
        assert_eq!(ids.len(), 4, "ids are unique across instances");

        // Connection limits hold across instances: two allowed, a third on another instance
        // is refused.
        let mut on_c = connect(&c.base).await;
        assert_eq!(on_c.status, 200);
        let second = connect(&a.base).await;
        assert_eq!(second.status, 200);
        let third = connect(&b.base).await;
        assert_eq!(third.status, 200, "a refusal is a stream with one notice");
        let mut third = third;
        let notice = tokio::time::timeout(Duration::from_secs(5), third.lines.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(notice.contains("connections"), "{notice}");
        drop((second, third));

        // Posts ingested on A and B, matched by all three instances, reach the connection on
        // C once each, as the library matches them.
        let before: Vec<u64> = futures_util::future::join_all(
            [&a, &b, &c].map(|i| metric(&i.base, "powertrack_posts_in_total")),
        )
        .await;
        let window_start = now_s();
        for k in 0..30u64 {
            let on = if k % 2 == 0 { &a } else { &b };
            ingest(&on.base, 1_000 + k * 100..1_000 + (k + 1) * 100).await;
        }
        let window_end = now_s() + 1;
        let want = expected(&rules, 1_000..4_000);
        on_c.expect_exactly(&want, "posts ingested on A and B")
            .await;
        for (i, inst) in [&a, &b, &c].iter().enumerate() {
            let n = metric(&inst.base, "powertrack_posts_in_total").await - before[i];
            eprintln!("instance {i} matched {n} posts");
            assert!(
                n > 0,
                "instance {i} matched none: the matching is not shared"
            );
        }

        // Nothing else arrives in the window's last second (a recovery window is in seconds).
        tokio::time::sleep(Duration::from_millis(1_100)).await;

        // SIGKILL B while posts flow (ingested on A): the connection on C gets every post once.
        let producer = {
            let base = a.base.clone();
            tokio::spawn(async move {
                for k in 0..40u64 {
                    ingest(&base, 10_000 + k * 100..10_000 + (k + 1) * 100).await;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        b.kill();
        producer.await.unwrap();
        let want = expected(&rules, 10_000..14_000);
        on_c.expect_exactly(&want, "posts while an instance was killed")
            .await;

        // While B is down, the rules change; B started again catches up, with the same ids.
        let added = add(&a.base, &["gamma delta"]).await;
        rules.insert(added[0], "gamma delta".into());
        until_listed(&[&a.base, &c.base], &rules, Duration::from_secs(1)).await;
        let first = *rules.keys().next().unwrap();
        delete(&c.base, &[first]).await;
        rules.remove(&first);
        until_listed(&[&a.base, &c.base], &rules, Duration::from_secs(1)).await;
        b.start_again();
        assert_eq!(
            rules_of(&b.base).await,
            Some(rules.clone()),
            "B caught up on the changes it missed"
        );

        // Kill a NATS node (SIGKILL) while posts flow: nothing visible changes.
        let producer = {
            let base = b.base.clone();
            tokio::spawn(async move {
                for k in 0..40u64 {
                    ingest(&base, 20_000 + k * 100..20_000 + (k + 1) * 100).await;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        cluster.kill(2);
        producer.await.unwrap();
        let want = expected(&rules, 20_000..24_000);
        on_c.expect_exactly(&want, "posts while a NATS node was killed")
            .await;
        let added = add(&b.base, &["omega sigma"]).await;
        rules.insert(added[0], "omega sigma".into());
        // Within 3 s while the cluster replaces the dead node's consumers (1 s otherwise).
        until_listed(&[&a.base, &b.base, &c.base], &rules, Duration::from_secs(3)).await;
        ingest(&a.base, 30_000..30_500).await;
        on_c.expect_exactly(
            &expected(&rules, 30_000..30_500),
            "after the node was killed",
        )
        .await;

        // A recovery on B (restarted) reads the window from the firehose stream and matches it
        // under today's rules: exactly the posts of the window.
        let url = format!(
            "{}?startTime={}&endTime={}",
            stream_url(&b.base),
            rfc3339_s(window_start),
            rfc3339_s(window_end)
        );
        let mut recovery = connect_url(&url).await;
        assert_eq!(recovery.status, 200);
        recovery
            .expect_exactly(
                &expected(&rules, 1_000..4_000),
                "a recovery through JetStream",
            )
            .await;

        // A backfill on C: every post of the last minutes (all of this test's), matched under
        // today's rules, then the live stream.
        let mut backfill = connect_url(&format!("{}?backfillMinutes=5", stream_url(&c.base))).await;
        assert_eq!(backfill.status, 200);
        let mut all = BTreeMap::new();
        for range in [1_000..4_000, 10_000..14_000, 20_000..24_000, 30_000..30_500] {
            all.extend(expected(&rules, range));
        }
        backfill
            .expect_exactly(&all, "a backfill through JetStream")
            .await;
        ingest(&a.base, 40_000..40_200).await;
        backfill
            .expect_exactly(&expected(&rules, 40_000..40_200), "live after the backfill")
            .await;
    });
    a.kill();
}
