//! How long `powertrack serve` takes to start on a full stream: 250,000 generated rules are
//! added over the Rules API (in bodies of 10,000, under the 5 MB limit), the server is stopped, and the time from
//! `start` to answering requests with every rule loaded is measured, three times. Writes
//! `benches/record/<date>-serve-startup.json`.
//!
//! ```text
//! cargo run --release -p powertrack-serve --example startup
//! ```

#[path = "support/record.rs"]
mod record;

use std::time::Instant;

use anyhow::ensure;
use powertrack_gen::rules::RuleSetGenerator;
use powertrack_serve::{Clock, Options, start};

const RULES: usize = 250_000;
const PER_REQUEST: usize = 10_000;

fn main() -> anyhow::Result<()> {
    // The server's own log says where the start's time goes (reading, compiling).
    powertrack_serve::init_logging();
    let dir = tempfile::tempdir()?;
    let hash = powertrack_serve::config::hash_password("pw")?;
    let accounts = dir.path().join("accounts.toml");
    std::fs::write(
        &accounts,
        format!(
            "[[account]]\nname = \"acme\"\npassword_hash = \"{hash}\"\nstreams = [\"prod\"]\ncredits_per_hour = 1000000\n"
        ),
    )?;
    let options = Options::new(accounts, dir.path().join("data"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;

    let server = start(&options, Clock::system())?;
    let url = format!(
        "http://{}/rules/powertrack/accounts/acme/publishers/twitter/prod.json",
        server.addr()
    );
    let values: Vec<String> = RuleSetGenerator::new(1)
        .count(RULES)
        .map(|g| g.into_parts().2)
        .collect();
    let loading = Instant::now();
    let mut created = 0u64;
    runtime.block_on(async {
        let client = reqwest::Client::builder().no_proxy().build()?;
        for chunk in values.chunks(PER_REQUEST) {
            let body = serde_json::json!({"rules": chunk.iter().map(|v| serde_json::json!({"value": v})).collect::<Vec<_>>()});
            let r = client.post(&url).basic_auth("acme", Some("pw")).body(body.to_string()).send().await?;
            ensure!(r.status() == 201 || r.status() == 200, "add: {}", r.status());
            let v: serde_json::Value = serde_json::from_slice(&r.bytes().await?)?;
            created += v["summary"]["created"].as_u64().unwrap_or(0);
        }
        Ok(())
    })?;
    let add_secs = loading.elapsed().as_secs_f64();
    server.stop();
    eprintln!("startup: {created} rules added in {add_secs:.1} s; restarting");

    let mut starts = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let server = start(&options, Clock::system())?;
        let listed = runtime.block_on(async {
            let r = reqwest::Client::builder()
                .no_proxy()
                .build()?
                .get(format!("http://{}/healthz", server.addr()))
                .send()
                .await?;
            ensure!(r.status() == 200);
            anyhow::Ok(())
        });
        let secs = t.elapsed().as_secs_f64();
        listed?;
        starts.push(secs);
        server.stop();
    }
    starts.sort_by(f64::total_cmp);
    let report = serde_json::json!({
        "command": "cargo run --release -p powertrack-serve --example startup",
        "rules_persisted": created,
        "add_seconds_total": (add_secs * 10.0).round() / 10.0,
        "start_seconds": starts,
        "start_seconds_median": starts[1],
    });
    let dir = std::path::Path::new("benches/record");
    if let Some(path) = record::write(dir, "serve-startup", report)? {
        eprintln!("startup: recorded in {}", path.display());
    }
    Ok(())
}
