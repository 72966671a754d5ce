//! The console and status pages in a real headless browser (Debian's chromium), against a real
//! server on 127.0.0.1: the DOM after the page's script has run (so the figures it refreshes
//! came from the JSON twins, through the console session), and a screenshot of each page, kept
//! in `target/tmp/console-screenshots/`. Skipped, saying why, where chromium is not installed
//! (`.ci/run` installs it).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{OTHER_PASSWORD, PASSWORD, Server, Setup, open_stream_as, post};

fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() {
        eprintln!(
            "skipping the browser tests: no chromium at /usr/bin/chromium (Debian: apt-get install chromium)"
        );
    }
    found
}

/// Chromium, headless, in a profile of its own, with nothing that reaches outside 127.0.0.1.
fn browser(bin: &Path, profile: &Path) -> Command {
    let mut c = Command::new(bin);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        // Time for the script's first refresh (it fetches the JSON twins at once).
        "--virtual-time-budget=4000",
    ]);
    c.arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// The page's DOM once its script has run.
fn dom(bin: &Path, profile: &Path, url: &str) -> String {
    let out = browser(bin, profile)
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn screenshot(bin: &Path, profile: &Path, url: &str, file: &Path, size: &str) {
    let out = browser(bin, profile)
        .arg(format!("--screenshot={}", file.display()))
        .arg(format!("--window-size={size}"))
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(file).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 5_000,
        "{}",
        file.display()
    );
}

/// A screenshot of `url` into `shot` at `size` (when given), then its DOM, off the async
/// runtime (the server runs on it).
async fn visit(
    bin: &Path,
    profile: &Path,
    url: String,
    shot: Option<(PathBuf, &'static str)>,
) -> String {
    let (bin, profile) = (bin.to_owned(), profile.to_owned());
    tokio::task::spawn_blocking(move || {
        if let Some((file, size)) = shot {
            screenshot(&bin, &profile, &url, &file, size);
        }
        dom(&bin, &profile, &url)
    })
    .await
    .unwrap()
}

/// What the script put in the "updated" stamp: a time once it has read the JSON, "now" before.
fn refreshed(dom: &str) -> bool {
    dom.split("data-updated=\"\">").nth(1).is_some_and(|rest| {
        rest.trim_start()
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_digit)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_in_a_real_browser() {
    let Some(bin) = chromium() else { return };
    let s = Server::with(Setup {
        notices: vec!["Streams may lag during tonight's maintenance".into()],
        ..Setup::default()
    });
    s.add("prod", &[("snow", Some("weather")), ("rain", None)])
        .await;
    let mut st = open_stream_as(
        &s.stream_url("acme", "prod"),
        "acme",
        PASSWORD,
        "browser-test/1.0",
    )
    .await;
    let lines: Vec<String> = [(1, "snow today"), (2, "rain today"), (3, "snow and rain")]
        .iter()
        .map(|(i, t)| post(*i, t))
        .collect();
    s.ingest(&lines.join("\n")).await;
    for _ in 0..3 {
        st.next_post(10).await.expect("a matched post");
    }
    drop(st);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let host = s.addr();
    let acme = format!("http://acme:{}@{host}", PASSWORD.replace(' ', "%20"));
    let page = |p: &str| format!("{acme}/console/accounts/acme/{p}");
    let profile = profile.path();

    // The status page: public, the operator's notice on it, figures refreshed by the script.
    let status_url = format!("http://{host}/status");
    let d = visit(
        &bin,
        profile,
        status_url,
        Some((shots.join("status.png"), "420,900")),
    )
    .await;
    assert!(
        d.contains("Streams may lag during tonight's maintenance"),
        "{d}"
    );
    assert!(refreshed(&d), "the status script refreshed its figures");

    // The stream's console: the connection with why it ended, the rules with their counts,
    // the usage; the script read the JSON through the session the page opened.
    let shot = Some((shots.join("console-stream.png"), "1100,1400"));
    let d = visit(&bin, profile, page("streams/prod/"), shot).await;
    assert!(refreshed(&d), "the console script read its JSON: {d}");
    for want in [
        "browser-test/1.0",
        "client closed",
        "weather",
        "<code>snow</code>",
    ] {
        assert!(d.contains(want), "{want} in {d}");
    }
    // Counts: snow matched posts 1 and 3, rain 2 and 3 (the rows' last two cells).
    let snow_row = d.split("<code>snow</code>").nth(1).unwrap();
    let cells: Vec<&str> = snow_row
        .split("<td class=\"num\">")
        .skip(1)
        .take(2)
        .map(|c| c.split('<').next().unwrap())
        .collect();
    assert_eq!(cells, ["2", "2"], "{snow_row}");

    let shot = Some((shots.join("console-account.png"), "900,700"));
    let d = visit(&bin, profile, page(""), shot).await;
    assert!(refreshed(&d) && d.contains("Account acme"), "{d}");

    // Another account's credentials on acme's console: refused, in the browser too.
    let other = format!(
        "http://other:{}@{host}/console/accounts/acme/streams/prod/",
        OTHER_PASSWORD.replace(' ', "%20")
    );
    let other_profile = tempfile::tempdir().unwrap();
    let d = visit(&bin, other_profile.path(), other, None).await;
    assert!(d.contains("another account"), "{d}");
    assert!(
        !d.contains("browser-test/1.0"),
        "nothing of acme's shows: {d}"
    );
    eprintln!("screenshots in {}", shots.display());
}
