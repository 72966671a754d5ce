//! A real server on 127.0.0.1 (in this process, with a clock the tests move), and a real HTTP
//! client.
#![allow(dead_code, unreachable_pub)] // shared by several test binaries, each using a part

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use futures_util::StreamExt as _;
use powertrack_serve::{Clock, Options, Running, start};
use tokio::sync::mpsc;

pub const PASSWORD: &str = "correct horse";
pub const OTHER_PASSWORD: &str = "battery staple";
pub const TOKEN: &str = "test-ingest-token";

fn hashes() -> &'static (String, String) {
    static H: OnceLock<(String, String)> = OnceLock::new();
    H.get_or_init(|| {
        (
            powertrack_serve::config::hash_password(PASSWORD).unwrap(),
            powertrack_serve::config::hash_password(OTHER_PASSWORD).unwrap(),
        )
    })
}

pub struct Server {
    pub running: Option<Running>,
    pub dir: tempfile::TempDir,
    pub clock: Clock,
    pub base: String,
    pub options: Options,
}

pub struct Setup {
    pub max_connections: usize,
    pub credits: u64,
    pub posts_per_day: u64,
    pub buffer: usize,
    pub heartbeat: Duration,
    pub header_timeout: Duration,
    pub source: powertrack_serve::source::Source,
    pub rate: Option<u64>,
    pub recovery_rate: u64,
    /// Where the state goes (default: `data` in the server's temporary directory).
    pub data_dir: Option<PathBuf>,
    /// Operator notices for the status page.
    pub notices: Vec<String>,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup {
            max_connections: 2,
            credits: 10_000,
            posts_per_day: 500_000,
            buffer: 16 << 20,
            heartbeat: Duration::from_secs(1),
            header_timeout: Duration::from_secs(10),
            source: powertrack_serve::source::Source::None,
            rate: None,
            recovery_rate: 1_000,
            data_dir: None,
            notices: Vec::new(),
        }
    }
}

impl Server {
    pub fn start() -> Server {
        Server::with(Setup::default())
    }

    #[allow(clippy::needless_pass_by_value)] // `Server::with(Setup { .. })` reads best
    pub fn with(setup: Setup) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let (acme, other) = hashes();
        let accounts = dir.path().join("accounts.toml");
        let mut f = std::fs::File::create(&accounts).unwrap();
        write!(
            f,
            "[[account]]\nname = \"acme\"\npassword_hash = \"{acme}\"\nstreams = [\"prod\", \"dev\"]\n\
             max_connections = {}\ncredits_per_hour = {}\nposts_per_day = {}\n\n\
             [[account]]\nname = \"other\"\npassword_hash = \"{other}\"\nstreams = [\"prod\"]\n",
            setup.max_connections, setup.credits, setup.posts_per_day
        )
        .unwrap();
        let data = setup
            .data_dir
            .clone()
            .unwrap_or_else(|| dir.path().join("data"));
        let mut options = Options::new(accounts, data);
        options.ingest_token = Some(TOKEN.into());
        options.heartbeat = setup.heartbeat;
        options.connection_buffer = setup.buffer;
        options.header_timeout = setup.header_timeout;
        options.source = setup.source.clone();
        options.rate = setup.rate;
        options.recovery_rate = setup.recovery_rate;
        options.notices.clone_from(&setup.notices);
        let clock = Clock::system();
        let running = start(&options, clock.clone()).unwrap();
        let base = format!("http://{}", running.addr());
        Server {
            running: Some(running),
            dir,
            clock,
            base,
            options,
        }
    }

    /// Stops the server and starts it again on the same state (another port).
    pub fn restart(&mut self) {
        self.running.take().unwrap().stop();
        let running = start(&self.options, self.clock.clone()).unwrap();
        self.base = format!("http://{}", running.addr());
        self.running = Some(running);
    }

    pub fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop();
        }
    }

    pub fn rules_url(&self, account: &str, label: &str) -> String {
        format!(
            "{}/rules/powertrack/accounts/{account}/publishers/twitter/{label}.json",
            self.base
        )
    }

    pub fn stream_url(&self, account: &str, label: &str) -> String {
        format!(
            "{}/stream/powertrack/accounts/{account}/publishers/twitter/{label}.json",
            self.base
        )
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.running.as_ref().unwrap().addr()
    }

    pub async fn ingest(&self, lines: &str) -> serde_json::Value {
        let r = client()
            .post(format!("{}/ingest", self.base))
            .bearer_auth(TOKEN)
            .body(lines.to_owned())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json_value().await
    }

    pub async fn add(&self, label: &str, rules: &[(&str, Option<&str>)]) -> serde_json::Value {
        let body = serde_json::json!({"rules": rules.iter().map(|(v, t)| serde_json::json!({"value": v, "tag": t})).collect::<Vec<_>>()});
        let r = client()
            .post(self.rules_url("acme", label))
            .basic_auth("acme", Some(PASSWORD))
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json_value().await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `GET url` as the test account `acme`.
pub async fn acme_get(url: &str) -> reqwest::Response {
    client()
        .get(url)
        .basic_auth("acme", Some(PASSWORD))
        .send()
        .await
        .unwrap()
}

/// Why each of `acme`'s connections to stream `label` ended (`None`: open), oldest first, from
/// the console's connection history, once `done` holds of them (10 s at most).
#[allow(dead_code)]
pub async fn connection_reasons(
    s: &Server,
    label: &str,
    done: impl Fn(&[Option<String>]) -> bool,
) -> Vec<Option<String>> {
    let url = format!(
        "{}/console/accounts/acme/streams/{label}/connections.json",
        s.base
    );
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let v = acme_get(&url).await.json_value().await;
        let mut reasons: Vec<Option<String>> = v["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["reason"].as_str().map(String::from))
            .collect();
        reasons.reverse();
        if done(&reasons) || tokio::time::Instant::now() > deadline {
            return reasons;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// `POST url` with `body` as the test account `acme`.
pub async fn acme_post(url: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    client()
        .post(url)
        .basic_auth("acme", Some(PASSWORD))
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The whole `/metrics` page.
pub async fn metrics_text(base: &str) -> String {
    client()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of the metric whose line starts with `name` (labels included) on `/metrics`, or
/// 0 when it has none yet.
pub async fn metric(base: &str, name: &str) -> u64 {
    let m = metrics_text(base).await;
    m.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}

/// Waits, 20 s at most, until the metric `name` (as [`metric`] reads it) satisfies `done`;
/// returns its last value.
pub async fn wait_for_metric(base: &str, name: &str, done: impl Fn(u64) -> bool) -> u64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let v = metric(base, name).await;
        if done(v) || tokio::time::Instant::now() > deadline {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

#[allow(async_fn_in_trait)]
pub trait JsonValue {
    async fn json_value(self) -> serde_json::Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> serde_json::Value {
        let bytes = self.bytes().await.unwrap();
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)))
    }
}

/// A post in v1.1 native form.
pub fn post(id: u64, text: &str) -> String {
    format!(
        "{{\"id\":{id},\"id_str\":\"{id}\",\"text\":\"{text}\",\"lang\":\"en\",\"user\":{{\"id\":2,\"id_str\":\"2\",\"screen_name\":\"poster\"}}}}"
    )
}

/// An open stream, decoded: its lines (heartbeats as empty strings) arrive on `lines`; the
/// stream's end (after the gzip trailer, checked) as `None`.
pub struct Stream {
    pub lines: mpsc::UnboundedReceiver<Option<String>>,
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
}

pub async fn open_stream(url: &str, user: &str, password: &str) -> Stream {
    open_stream_as(url, user, password, "").await
}

/// [`open_stream`] with this `User-Agent` (none when empty).
pub async fn open_stream_as(url: &str, user: &str, password: &str, agent: &str) -> Stream {
    let mut request = client().get(url);
    if !agent.is_empty() {
        request = request.header("user-agent", agent);
    }
    let r = request
        .basic_auth(user, Some(password))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut body = r.bytes_stream();
        let mut decoder = flate2::write::GzDecoder::new(Vec::new());
        let mut pending = Vec::new();
        while let Some(chunk) = body.next().await {
            let Ok(chunk) = chunk else { break };
            decoder.write_all(&chunk).expect("the stream is valid gzip");
            decoder.flush().unwrap();
            pending.extend_from_slice(&std::mem::take(decoder.get_mut()));
            while let Some(end) = pending.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8(pending[..end].to_vec()).unwrap();
                pending.drain(..end + 2);
                if tx.send(Some(line)).is_err() {
                    return;
                }
            }
        }
        // A complete gzip stream: the trailer's CRC and length check out.
        if decoder.try_finish().is_ok() {
            let _ = tx.send(None);
        }
    });
    Stream {
        lines: rx,
        status,
        headers,
    }
}

impl Stream {
    /// The next line that is not a heartbeat, waiting at most `secs`.
    pub async fn next_post(&mut self, secs: u64) -> Option<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(Some(l))) if l.is_empty() => {}
                Ok(Some(Some(l))) => return Some(l),
                _ => return None,
            }
        }
    }

    /// Every non-heartbeat line until the stream ends (or `secs` pass).
    pub async fn rest(&mut self, secs: u64) -> (Vec<String>, bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        let mut out = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(Some(l))) if l.is_empty() => {}
                Ok(Some(Some(l))) => out.push(l),
                Ok(Some(None)) => return (out, true),
                Ok(None) | Err(_) => return (out, false),
            }
        }
    }
}

pub fn ids_of(line: &str) -> (u64, Vec<u64>) {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let ids = v["matching_rules"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| r["id_str"].as_str().unwrap().parse().unwrap())
                .collect()
        })
        .unwrap_or_default();
    (v["id"].as_u64().unwrap_or(0), ids)
}

pub fn data_dir(s: &Server) -> PathBuf {
    s.dir.path().join("data")
}
