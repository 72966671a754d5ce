//! How fast the console answers on a full stream: 250,000 generated rules are added over the
//! Rules API, 10,000 synthetic posts (40 MB, one ingest) are ingested (so rules have counts), and once they are matched each console
//! request is timed (median and worst of 7, after one warm-up): the rules view's first page,
//! sorted by count, searched, its last page, one rule at a time `T`, the whole HTML page, the
//! connection history and usage. Writes `benches/record/<date>-serve-console.json`.
//!
//! ```text
//! cargo run --release -p powertrack-serve --example consolebench
//! ```

#[path = "support/record.rs"]
mod record;

use std::time::Instant;

use anyhow::ensure;
use powertrack_gen::firehose::{FirehoseGenerator, LineKind};
use powertrack_gen::rules::RuleSetGenerator;
use powertrack_serve::{Clock, Options, start};

const RULES: usize = 250_000;
const PER_REQUEST: usize = 10_000;
const POSTS: usize = 10_000;
const RUNS: usize = 7;

fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let hash = powertrack_serve::config::hash_password("pw")?;
    let accounts = dir.path().join("accounts.toml");
    std::fs::write(
        &accounts,
        format!(
            "[[account]]\nname = \"acme\"\npassword_hash = \"{hash}\"\nstreams = [\"prod\"]\ncredits_per_hour = 1000000\n"
        ),
    )?;
    let mut options = Options::new(accounts, dir.path().join("data"));
    options.ingest_token = Some("token".into());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let server = start(&options, Clock::system())?;
    let base = format!("http://{}", server.addr());
    let rules_url = format!("{base}/rules/powertrack/accounts/acme/publishers/twitter/prod.json");
    let values: Vec<String> = RuleSetGenerator::new(1)
        .count(RULES)
        .map(|g| g.into_parts().2)
        .collect();
    let mut firehose = FirehoseGenerator::new(1);
    let mut posts = Vec::new();
    let mut n = 0;
    while n < POSTS {
        let e = firehose.next_line();
        if matches!(e.kind(), LineKind::Post(_)) {
            posts.extend_from_slice(e.line());
            posts.push(b'\n');
            n += 1;
        }
    }
    let report = runtime.block_on(async {
        let client = reqwest::Client::builder().no_proxy().build()?;
        let t = Instant::now();
        for chunk in values.chunks(PER_REQUEST) {
            let body = serde_json::json!({"rules": chunk.iter().map(|v| serde_json::json!({"value": v})).collect::<Vec<_>>()});
            let r = client.post(&rules_url).basic_auth("acme", Some("pw")).body(body.to_string()).send().await?;
            ensure!(r.status() == 201 || r.status() == 200, "add: {}", r.status());
        }
        eprintln!("consolebench: {RULES} rules added in {:.1} s", t.elapsed().as_secs_f64());
        let r = client.post(format!("{base}/ingest")).bearer_auth("token").body(posts.clone()).send().await?;
        ensure!(r.status() == 200, "ingest: {}", r.status());
        // Timed on a quiet server: once every post is matched (so the counts are complete).
        let t = Instant::now();
        loop {
            let metrics = client.get(format!("{base}/metrics")).send().await?.text().await?;
            if metrics.lines().any(|l| l == format!("powertrack_posts_in_total {POSTS}")) {
                break;
            }
            ensure!(t.elapsed().as_secs() < 600, "the posts were not matched in 10 minutes");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        eprintln!("consolebench: {POSTS} posts matched in {:.1} s", t.elapsed().as_secs_f64());
        // And once the live store has folded the adds into its segments in the background
        // (the process, server included, uses under 5 % of a core for 3 seconds).
        let t = Instant::now();
        let mut before = cpu_ticks();
        let mut quiet = 0;
        while quiet < 3 && t.elapsed().as_secs() < 300 {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            let now = cpu_ticks();
            quiet = if now.saturating_sub(before) < 5 { quiet + 1 } else { 0 };
            before = now;
        }
        eprintln!("consolebench: quiet after {:.0} s", t.elapsed().as_secs_f64());
        let console = format!("{base}/console/accounts/acme/streams/prod/");
        let rules_json = format!("{console}rules.json");
        let listed: serde_json::Value = serde_json::from_slice(
            &client.get(format!("{rules_json}?per_page=1")).basic_auth("acme", Some("pw")).send().await?.bytes().await?,
        )?;
        ensure!(listed["live"].as_u64() == Some(RULES as u64), "{listed}");
        let one = listed["rules"][0]["id"].as_u64().unwrap_or(0);
        let cases = [
            ("rules_first_page", rules_json.clone()),
            ("rules_by_count_desc", format!("{rules_json}?sort=last_day&order=desc")),
            ("rules_search", format!("{rules_json}?q=lang%3Aen")),
            ("rules_last_page", format!("{rules_json}?page={}", RULES / 50)),
            ("rule_at_time", format!("{rules_json}?id={one}&at=2030-01-01T00%3A00%3A00Z")),
            ("stream_page_html", console.clone()),
            ("connections_json", format!("{console}connections.json")),
            ("usage_json", format!("{base}/console/accounts/acme/usage.json")),
            ("status_json", format!("{base}/status.json")),
        ];
        let mut figures = serde_json::Map::new();
        for (name, url) in &cases {
            let mut times = Vec::new();
            let mut bytes = 0;
            for run in 0..=RUNS {
                let t = Instant::now();
                let r = client.get(url).basic_auth("acme", Some("pw")).send().await?;
                ensure!(r.status() == 200, "{name}: {}", r.status());
                bytes = r.bytes().await?.len();
                if run > 0 {
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
            times.sort_by(f64::total_cmp);
            let ms = |x: f64| (x * 10.0).round() / 10.0;
            eprintln!("consolebench: {name}: median {:.1} ms, worst {:.1} ms, {bytes} bytes", times[RUNS / 2], times[RUNS - 1]);
            figures.insert((*name).into(), serde_json::json!({"median_ms": ms(times[RUNS / 2]), "worst_ms": ms(times[RUNS - 1]), "bytes": bytes}));
        }
        anyhow::Ok(serde_json::json!({
            "command": "cargo run --release -p powertrack-serve --example consolebench",
            "rules": RULES,
            "posts_ingested": POSTS,
            "runs_per_request": RUNS,
            "requests": figures,
        }))
    })?;
    server.stop();
    if let Some(path) = record::write(
        std::path::Path::new("benches/record"),
        "serve-console",
        report,
    )? {
        eprintln!("consolebench: recorded in {}", path.display());
    }
    Ok(())
}

/// This process's CPU time (user and system) in clock ticks, from `/proc/self/stat`.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces) end with ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 12 and 13 after the name.
    fields
        .get(11..13)
        .map_or(0, |f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum())
}
