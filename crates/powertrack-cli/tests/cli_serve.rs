//! `powertrack serve` and `powertrack passwd` as processes: SIGTERM ends every stream with the
//! operational-disconnect notice and a complete gzip stream, then the process exits 0; bad
//! accounts files and empty passwords are refused with a clear message; a `--source` file read
//! under repeated `kill -9` ends up in the log whole, each line once, in order.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;

const BIN: &str = env!("CARGO_BIN_EXE_powertrack");

fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_serve")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn passwd(password: &str) -> std::process::Output {
    let mut child = Command::new(BIN)
        .arg("passwd")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(password.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Serve {
    child: Child,
    base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, accounts: &str, extra: &[&str]) -> Serve {
    let file = dir.join("accounts.toml");
    std::fs::write(&file, accounts).unwrap();
    let port = free_port();
    let child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--heartbeat",
            "1",
            "--accounts",
        ])
        .arg(&file)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    Serve {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

async fn wait_healthy(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::Client::new()
            .get(format!("{base}/healthz"))
            .send()
            .await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not answer /healthz within 20 s");
}

#[test]
fn passwd_prints_an_argon2id_hash_and_refuses_an_empty_password() {
    let out = passwd("s3cret\n");
    assert_eq!(out.status.code(), Some(0));
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(
        line.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{line}"
    );
    assert!(line.ends_with('\n') && line.lines().count() == 1);
    let out = passwd("");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "powertrack: no password on standard input\n"
    );
}

#[test]
fn serve_refuses_a_plain_text_password_naming_the_account() {
    let dir = scratch_dir("plain_text");
    let mut s = serve(
        &dir,
        "[[account]]\nname = \"acme\"\npassword_hash = \"hunter2\"\nstreams = [\"prod\"]\n",
        &[],
    );
    let status = s.child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let mut stderr = String::new();
    std::io::Read::read_to_string(s.child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("accounts.toml: account 'acme': password_hash is not an argon2 hash"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_every_stream_cleanly() {
    let dir = scratch_dir("sigterm");
    let hash = String::from_utf8(passwd("pw\n").stdout).unwrap();
    let mut s = serve(
        &dir,
        &format!(
            "[[account]]\nname = \"acme\"\npassword_hash = \"{}\"\nstreams = [\"prod\"]\n",
            hash.trim()
        ),
        &[],
    );
    wait_healthy(&s.base).await;
    let url = format!(
        "{}/stream/powertrack/accounts/acme/publishers/twitter/prod.json",
        s.base
    );
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let r = reqwest::Client::new()
            .get(&url)
            .basic_auth("acme", Some("pw"))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        bodies.push(tokio::spawn(async move {
            let mut body = r.bytes_stream();
            let mut wire = Vec::new();
            while let Some(chunk) = body.next().await {
                wire.extend_from_slice(
                    &chunk.expect("the body ends with the chunked terminator, not an error"),
                );
            }
            wire
        }));
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let kill = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    for body in bodies {
        let wire = tokio::time::timeout(Duration::from_secs(10), body)
            .await
            .expect("the stream ends")
            .unwrap();
        // One complete gzip stream (the decoder checks the trailer's CRC and length).
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&wire[..]), &mut text)
            .expect("a complete gzip stream");
        let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 1, "{text:?}");
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(
            v["error"]["message"],
            "This stream has been disconnected for operational reasons."
        );
        assert!(
            text.starts_with("\r\n"),
            "heartbeats before the notice: {text:?}"
        );
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server exits after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status.code(), Some(0));
}

/// `--tls-cert`/`--tls-key`: HTTPS only, checked with curl against a throwaway self-signed
/// certificate (openssl); skipped, saying why, where either tool is missing.
#[test]
fn tls_when_given_a_certificate() {
    let dir = scratch_dir("tls");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status();
    if !made.is_ok_and(|s| s.success()) || Command::new("curl").arg("--version").output().is_err() {
        eprintln!("skipping tls_when_given_a_certificate: openssl or curl is not installed");
        return;
    }
    let hash = String::from_utf8(passwd("pw\n").stdout).unwrap();
    let accounts = format!(
        "[[account]]\nname = \"acme\"\npassword_hash = \"{}\"\nstreams = [\"prod\"]\n",
        hash.trim()
    );
    let (cert_arg, key_arg) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let s = serve(
        &dir,
        &accounts,
        &["--tls-cert", cert_arg, "--tls-key", key_arg],
    );
    let https = s.base.replace("http://", "https://");
    let curl = |url: &str, extra: &[&str]| {
        Command::new("curl")
            .args(["-s", "--max-time", "5", "--cacert", cert_arg])
            .args(extra)
            .arg(url)
            .output()
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let health = loop {
        let out = curl(&format!("{https}/healthz"), &[]);
        if out.status.success() || Instant::now() > deadline {
            break out;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        String::from_utf8_lossy(&health.stdout),
        "{\"status\":\"ok\"}"
    );
    let rules = curl(
        &format!("{https}/rules/powertrack/accounts/acme/publishers/twitter/prod.json"),
        &["-u", "acme:pw"],
    );
    assert_eq!(
        String::from_utf8_lossy(&rules.stdout)
            .split(",\"sent\"")
            .next(),
        Some("{\"rules\":[]")
    );
    // Plain HTTP on the TLS port gets nothing.
    let plain = curl(&format!("{}/healthz", s.base), &[]);
    assert!(!plain.status.success() || plain.stdout.is_empty());
}

/// A metric's value from `/metrics` (0 while the server does not answer).
async fn metric(base: &str, name: &str) -> u64 {
    let Ok(r) = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .send()
        .await
    else {
        return 0;
    };
    let text = r.text().await.unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}

/// `--source FILE` under `kill -9`: the server is killed four times while it reads a paced file,
/// then let finish; the log then holds every line of the file once, in order (the file's
/// position is written to the log atomically with the lines read up to it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_source_survives_kill_9_without_a_gap_or_a_repeat() {
    use powertrack_serve::log::{Cursor, EmbeddedLog, LogConfig, PostLog as _};
    let dir = scratch_dir("file_kill");
    let input = dir.join("firehose.ndjson");
    let lines: Vec<String> = (0..20_000)
        .map(|i| {
            format!(
                "{{\"id\":{i},\"id_str\":\"{i}\",\"text\":\"line {i} of the kill test\",\"user\":{{\"id\":2,\"id_str\":\"2\",\"screen_name\":\"poster\"}}}}"
            )
        })
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let hash = String::from_utf8(passwd("pw\n").stdout).unwrap();
    let accounts = format!(
        "[[account]]\nname = \"acme\"\npassword_hash = \"{}\"\nstreams = [\"prod\"]\n",
        hash.trim()
    );
    let source = input.to_str().unwrap();
    let mut read_before_kill = Vec::new();
    for kill in 0..4u64 {
        let mut s = serve(&dir, &accounts, &["--source", source, "--rate", "4000"]);
        wait_healthy(&s.base).await;
        tokio::time::sleep(Duration::from_millis(300 + 170 * kill)).await;
        read_before_kill.push(metric(&s.base, "powertrack_log_last_seq").await);
        s.child.kill().unwrap(); // SIGKILL
        s.child.wait().unwrap();
    }
    let s = serve(&dir, &accounts, &["--source", source]);
    wait_healthy(&s.base).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while metric(&s.base, "powertrack_log_last_seq").await < 20_000 {
        assert!(Instant::now() < deadline, "the file is read to its end");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(s);
    assert!(
        read_before_kill.windows(2).all(|w| w[0] < w[1]) && read_before_kill[3] < 20_000,
        "each run went on from the last and was killed mid-file: {read_before_kill:?}"
    );
    let log = EmbeddedLog::open(&dir.join("data/log"), LogConfig::default()).unwrap();
    let mut logged = Vec::new();
    let mut cursor = Some(Cursor::at(0));
    while let Some(at) = cursor {
        let (page, next) = log.read(at, u64::MAX, u64::MAX, 10_000).unwrap();
        logged.extend(
            page.into_iter()
                .map(|p| String::from_utf8(p.line.to_vec()).unwrap()),
        );
        cursor = next;
    }
    assert_eq!(logged.len(), lines.len(), "every line once");
    assert!(logged == lines, "in the file's order");
}
