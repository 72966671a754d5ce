//! The contract of `powertrack match` (issue 5), checked on the built binary: what goes to
//! stdout and stderr, the summary line, exit codes, the rules file's ids and values, inputs
//! (files, stdin, `\r\n`), thread-count independence, a closed stdout and over-long lines.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_powertrack");

fn manifest(rel: &str) -> PathBuf {
    crate::common::root().join(rel)
}

/// A fresh scratch directory for one test.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_match")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir
}

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write a scratch file");
    path
}

/// Runs `powertrack match ARGS` with `stdin` on standard input.
fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .arg("match")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start powertrack");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        // The process may exit before reading (a usage error): ignore a broken pipe.
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait for powertrack");
    feeder.join().expect("stdin feeder");
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// The counts of the closing summary line, after checking its shape and `L = P + S + K`.
fn summary(stderr: &str) -> HashMap<String, f64> {
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("summary: lines="),
        "the last stderr line is not the summary: {stderr}"
    );
    let fields: Vec<(String, f64)> = last["summary: ".len()..]
        .split(' ')
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("key=value");
            (k.to_string(), v.parse::<f64>().expect("a number"))
        })
        .collect();
    let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "lines",
            "posts",
            "matched",
            "skipped",
            "malformed",
            "posts_per_s",
            "mb_per_s"
        ],
        "{last}"
    );
    let m: HashMap<String, f64> = fields.into_iter().collect();
    assert!(
        (m["lines"] - (m["posts"] + m["skipped"] + m["malformed"])).abs() < 0.5,
        "L != P + S + K: {last}"
    );
    assert_eq!(
        stderr.matches("summary:").count(),
        1,
        "one summary: {stderr}"
    );
    m
}

fn counts(m: &HashMap<String, f64>) -> [u64; 5] {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    ["lines", "posts", "matched", "skipped", "malformed"].map(|k| m[k] as u64)
}

fn post(id: u64, text: &str) -> String {
    format!(
        r#"{{"id_str":"{id}","text":"{text}","user":{{"id_str":"2","screen_name":"someone"}}}}"#
    )
}

/// `post` with `rules` spliced in as native `matching_rules` (tag, id).
fn matched(id: u64, text: &str, rules: &[(Option<&str>, u64)]) -> String {
    let p = post(id, text);
    let entries: Vec<String> = rules
        .iter()
        .map(|(tag, id)| {
            let tag = tag.map_or("null".to_string(), |t| format!("\"{t}\""));
            format!(r#"{{"tag":{tag},"id":{id},"id_str":"{id}"}}"#)
        })
        .collect();
    format!(
        "{},\"matching_rules\":[{}]}}\n",
        &p[..p.len() - 1],
        entries.join(",")
    )
}

const RULES: &str = r#"{"rules":[
  {"value":"snow","tag":"weather","id":1},
  {"value":"day","id":18446744073709551615}
]}"#;

#[test]
fn stdout_has_each_matched_post_once_in_order_and_stderr_the_malformed_and_summary() {
    let dir = scratch_dir("contract");
    let rules = write(&dir, "rules.json", RULES);
    let input = [
        post(10, "snow day"),
        String::new(),
        post(11, "sunny"),
        r#"{"id_str":"#.to_string(),
        "\r".to_string(),
        post(12, "a day"),
        "[1,2]".to_string(),
        post(13, "more snow"),
    ]
    .join("\n");
    let file = write(&dir, "in.ndjson", &input);
    let out = run(
        &["--rules", rules.to_str().unwrap(), file.to_str().unwrap()],
        b"",
    );
    assert_eq!(out.status.code(), Some(0));
    let expected = matched(10, "snow day", &[(Some("weather"), 1), (None, u64::MAX)])
        + &matched(12, "a day", &[(None, u64::MAX)])
        + &matched(13, "more snow", &[(Some("weather"), 1)]);
    assert_eq!(text(&out.stdout), expected);
    let stderr = text(&out.stderr);
    let name = file.display().to_string();
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("summary:"))
        .collect();
    assert_eq!(errors.len(), 2, "{stderr}");
    assert!(errors[0].starts_with(&format!("{name}:4: ")), "{stderr}");
    assert!(errors[1].starts_with(&format!("{name}:7: ")), "{stderr}");
    assert!(errors.iter().all(|e| e.len() > name.len() + 4), "{stderr}");
    // 8 lines: 4 posts, 2 skipped (blank, keep-alive `\r`), 2 malformed.
    assert_eq!(counts(&summary(&stderr)), [8, 4, 3, 2, 2], "{stderr}");
}

/// Runs with the rules file `rules` over one snow post; returns the output.
fn with_rules(test: &str, rules: &str) -> Output {
    let dir = scratch_dir(test);
    let rules = write(&dir, "rules.json", rules);
    let input = write(&dir, "in.ndjson", post(10, "snow day") + "\n");
    run(
        &["--rules", rules.to_str().unwrap(), input.to_str().unwrap()],
        b"",
    )
}

fn assert_exit_2(out: &Output, stderr_has: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "no output on exit 2");
    assert!(
        stderr.contains(stderr_has),
        "{stderr:?} lacks {stderr_has:?}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let rules = manifest("examples/rules.json");
    let rules = rules.to_str().unwrap();
    for args in [
        &[][..],
        &["--rules"][..],
        &["--no-such-flag", "--rules", rules][..],
        &["--rules", rules, "--threads", "many"][..],
        &["--rules", rules, "--max-line-len", "-1"][..],
    ] {
        let out = run(args, b"");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn bad_rules_files_exit_2() {
    // Not a Rules API body.
    for body in [
        r#"{"rule_ids":[1,2]}"#,
        "[1,2]",
        "{",
        "",
        r#"{"rules":[{"tag":"no value"}]}"#,
    ] {
        assert_exit_2(&with_rules("not_a_body", body), "rules.json");
    }
    // An invalid rule: PowerTrack's own message.
    assert_exit_2(
        &with_rules(
            "invalid_rule",
            r#"{"rules":[{"value":"snow"},{"value":"-snow"}]}"#,
        ),
        "Rules must contain a non-negation term (at position 1)",
    );
    assert_exit_2(
        &with_rules("unbalanced", r#"{"rules":[{"value":"(snow"}]}"#),
        "mismatched input",
    );
    // A duplicate id.
    assert_exit_2(
        &with_rules(
            "duplicate_id",
            r#"{"rules":[{"value":"snow","id":7},{"value":"day","id":7}]}"#,
        ),
        "same id 7",
    );
    // Ids that are not unsigned 64-bit JSON integers.
    for id in [r#""7""#, "7.0", "7e3", "-7", "18446744073709551616", "true"] {
        let body = format!(r#"{{"rules":[{{"value":"snow","id":{id}}}]}}"#);
        assert_exit_2(&with_rules("bad_id", &body), "rules.json");
    }
    // More rules than --max-rules allows.
    let dir = scratch_dir("max_rules");
    let rules = write(&dir, "rules.json", RULES);
    let out = run(
        &["--rules", rules.to_str().unwrap(), "--max-rules", "1", "-"],
        b"",
    );
    assert_exit_2(&out, "rules.json");
    let out = run(
        &["--rules", rules.to_str().unwrap(), "--max-rules", "2", "-"],
        post(1, "snow").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // An unreadable rules file.
    let out = run(&["--rules", "/nonexistent/rules.json", "-"], b"");
    assert_exit_2(&out, "/nonexistent/rules.json");
}

#[test]
fn unreadable_inputs_exit_2() {
    let dir = scratch_dir("unreadable");
    let rules = write(&dir, "rules.json", RULES);
    let missing = dir.join("missing.ndjson");
    let out = run(
        &[
            "--rules",
            rules.to_str().unwrap(),
            missing.to_str().unwrap(),
        ],
        b"",
    );
    assert_exit_2(&out, "missing.ndjson");
    // A directory opens but cannot be read.
    let out = run(
        &["--rules", rules.to_str().unwrap(), dir.to_str().unwrap()],
        b"",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"));
}

#[test]
fn a_duplicate_value_warns_and_keeps_the_first() {
    let out = with_rules(
        "duplicate_value",
        r#"{"rules":[{"value":"snow","tag":"first","id":1},{"value":"day","id":2},{"value":"snow","tag":"second","id":3}]}"#,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("A rule with this value already exists"),
        "{stderr}"
    );
    assert_eq!(
        text(&out.stdout),
        matched(10, "snow day", &[(Some("first"), 1), (None, 2)])
    );
}

/// The ids `matching_rules` lists for the first output line.
fn listed_ids(stdout: &[u8]) -> Vec<u64> {
    let first = stdout.split(|&b| b == b'\n').next().unwrap_or_default();
    let v: serde_json::Value = serde_json::from_slice(first).expect("a JSON line");
    v["matching_rules"]
        .as_array()
        .expect("matching_rules")
        .iter()
        .map(|r| {
            let id = r["id"].as_u64().expect("numeric id");
            assert_eq!(r["id_str"], id.to_string());
            id
        })
        .collect()
}

#[test]
fn rules_without_ids_get_deterministic_ids_that_never_collide() {
    let body = r#"{"rules":[{"value":"snow"},{"value":"day","tag":"t"}]}"#;
    let a = with_rules("no_ids_a", body);
    let b = with_rules("no_ids_b", body);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a.stderr));
    assert_eq!(a.stdout, b.stdout, "ids are deterministic for the file");
    let ids = listed_ids(&a.stdout);
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    // Give another rule exactly the ids the value-less rules got: they must step aside.
    let body = format!(
        r#"{{"rules":[{{"value":"snow"}},{{"value":"day","tag":"t"}},{{"value":"snowy OR snow","id":{}}},{{"value":"day OR days","id":{}}}]}}"#,
        ids[0], ids[1]
    );
    let c = with_rules("no_ids_c", &body);
    let d = with_rules("no_ids_d", &body);
    assert_eq!(c.status.code(), Some(0), "{}", text(&c.stderr));
    assert_eq!(c.stdout, d.stdout, "ids are deterministic for the file");
    let got = listed_ids(&c.stdout);
    assert_eq!(got.len(), 4);
    assert_eq!(&got[2..], &ids[..], "given ids are kept as given");
    let mut unique = got.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 4, "colliding ids: {got:?}");
}

#[test]
fn stdin_and_crlf_input() {
    let dir = scratch_dir("stdin");
    let rules = write(&dir, "rules.json", RULES);
    let input = format!(
        "{}\r\n\r\n{}\r\n{{bad\r\n{}",
        post(10, "snow day"),
        post(11, "rain"),
        post(12, "day")
    );
    let expected = matched(10, "snow day", &[(Some("weather"), 1), (None, u64::MAX)])
        + &matched(12, "day", &[(None, u64::MAX)]);
    for args in [
        &["--rules", rules.to_str().unwrap()][..],
        &["--rules", rules.to_str().unwrap(), "-"][..],
    ] {
        let out = run(args, input.as_bytes());
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert_eq!(text(&out.stdout), expected, "no \\r in the output");
        assert!(
            stderr.lines().next().unwrap().starts_with("<stdin>:4: "),
            "{stderr}"
        );
        assert_eq!(counts(&summary(&stderr)), [5, 3, 2, 1, 1], "{stderr}");
    }
    // A file with `\r\n` lines, and a file followed by stdin.
    let file = write(&dir, "crlf.ndjson", &input);
    let out = run(
        &[
            "--rules",
            rules.to_str().unwrap(),
            file.to_str().unwrap(),
            "-",
        ],
        input.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), expected.repeat(2));
    assert_eq!(counts(&summary(&text(&out.stderr))), [10, 6, 4, 2, 2]);
}

/// Runs examples/rules.json over `input` with `threads` threads; returns stdout and counts.
fn sample_run(input: &Path, threads: &str) -> (Vec<u8>, [u64; 5]) {
    let rules = manifest("examples/rules.json");
    let out = run(
        &[
            "--rules",
            rules.to_str().unwrap(),
            "--threads",
            threads,
            input.to_str().unwrap(),
        ],
        b"",
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    (out.stdout, counts(&summary(&stderr)))
}

#[test]
fn output_is_byte_identical_for_any_thread_count() {
    let sample = manifest("examples/firehose.ndjson");
    let (one, c1) = sample_run(&sample, "1");
    let (four, c4) = sample_run(&sample, "4");
    assert!(c1[2] > 10, "the sample rules match the sample: {c1:?}");
    assert_eq!(c1, c4);
    assert_eq!(one, four);
    assert!(one.ends_with(b"\n"));
    assert_eq!(
        u64::try_from(text(&one).lines().count()).unwrap(),
        c1[2],
        "one line per matched post"
    );
    // Several batches (a batch is 4,096 lines).
    let bytes = std::fs::read(&sample).unwrap();
    let times = 4096 / usize::try_from(c1[0]).unwrap() + 2;
    let dir = scratch_dir("threads");
    let large = write(&dir, "large.ndjson", bytes.repeat(times));
    let (one_l, c1_l) = sample_run(&large, "1");
    let (four_l, c4_l) = sample_run(&large, "4");
    assert_eq!(c1_l, c1.map(|c| c * u64::try_from(times).unwrap()));
    assert_eq!(c1_l, c4_l);
    assert!(
        one_l == four_l,
        "--threads 1 and 4 differ on the large input"
    );
    assert!(
        one_l == one.repeat(times),
        "the output repeats as the input does"
    );
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let sample = std::fs::read(manifest("examples/firehose.ndjson")).unwrap();
    let dir = scratch_dir("closed_stdout");
    let large = write(&dir, "large.ndjson", sample.repeat(30));
    let rules = manifest("examples/rules.json");
    let mut child = Command::new(BIN)
        .args(["match", "--threads", "2", "--rules"])
        .arg(&rules)
        .arg(&large)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start powertrack");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.ends_with("}\n"), "{first}");
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn an_over_long_line_is_malformed() {
    let dir = scratch_dir("long_line");
    let rules = write(&dir, "rules.json", RULES);
    let long = post(10, &format!("snow {}", "x".repeat(200)));
    let short = post(11, "snow");
    assert!(short.len() <= 100);
    let input = write(&dir, "in.ndjson", format!("{long}\n{short}\n{long}"));
    let out = run(
        &[
            "--rules",
            rules.to_str().unwrap(),
            "--max-line-len",
            "100",
            input.to_str().unwrap(),
        ],
        b"",
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        text(&out.stdout),
        matched(11, "snow", &[(Some("weather"), 1)])
    );
    let name = input.display().to_string();
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("summary:"))
        .collect();
    assert_eq!(errors.len(), 2, "{stderr}");
    assert!(errors[0].starts_with(&format!("{name}:1: ")), "{stderr}");
    assert!(errors[1].starts_with(&format!("{name}:3: ")), "{stderr}");
    assert_eq!(counts(&summary(&stderr)), [3, 1, 1, 0, 2], "{stderr}");
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// gzip (as two members, as concatenated captures are) and zstd captures give byte for byte
/// the output of the plain file: the bundled sample always, the real corpus when present.
#[test]
fn compressed_captures_match_like_the_plain_file() {
    let dir = scratch_dir("compressed");
    let mut inputs = vec![("sample", manifest("examples/firehose.ndjson"))];
    if let Some(corpus) = crate::common::corpus_file(
        "compressed_captures_match_like_the_plain_file (corpus part)",
        "combined/all_v11_native.ndjson",
    ) {
        inputs.push(("corpus", corpus));
    }
    for (name, plain) in inputs {
        let data = std::fs::read(&plain).unwrap();
        let half = data.len() / 2;
        let mut two_members = gzip(&data[..half]);
        two_members.extend(gzip(&data[half..]));
        let gz = write(&dir, &format!("{name}.ndjson.gz"), two_members);
        let zst = write(
            &dir,
            &format!("{name}.ndjson.zst"),
            zstd::encode_all(&data[..], 3).unwrap(),
        );
        let (want, want_counts) = sample_run(&plain, "2");
        assert!(
            want_counts[2] > 10,
            "{name}: the rules match: {want_counts:?}"
        );
        for capture in [gz, zst] {
            let (got, counts) = sample_run(&capture, "2");
            assert_eq!(counts, want_counts, "{}", capture.display());
            assert!(got == want, "{}: output differs", capture.display());
        }
    }
}

/// A truncated `.gz` is reported with its name and the line it reached; the posts before the
/// cut are matched, the next input is still read, and the run exits 2.
#[test]
fn a_truncated_gzip_reports_where_it_stopped_and_keeps_what_came_before() {
    use std::fmt::Write as _;
    let dir = scratch_dir("truncated");
    let line = r#"{"id":1,"id_str":"1","text":"snow day","lang":"en","user":{"id":2,"id_str":"2","screen_name":"a"}}"#;
    // Incompressible padding in each line, so the cut falls well inside the text.
    let mut lines = String::new();
    let mut x: u64 = 7;
    for i in 0..5_000 {
        let mut pad = String::new();
        for _ in 0..20 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            write!(pad, "{:x}", x >> 33).unwrap();
        }
        lines.push_str(&line.replace("snow day", &format!("snow day {i} {pad}")));
        lines.push('\n');
    }
    let gz = gzip(lines.as_bytes());
    let cut = write(&dir, "cut.ndjson.gz", &gz[..gz.len() / 2]);
    let next = write(&dir, "next.ndjson", format!("{line}\n"));
    let rules = write(&dir, "rules.json", r#"{"rules":[{"value":"snow"}]}"#);
    let out = run(
        &[
            "--rules",
            rules.to_str().unwrap(),
            cut.to_str().unwrap(),
            next.to_str().unwrap(),
        ],
        b"",
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let matched = text(&out.stdout).lines().count();
    assert!(
        (1_000..5_000).contains(&matched),
        "the posts before the cut, and the next file's: {matched}"
    );
    let reached = matched; // the cut file's whole lines, plus the next file's one, minus one
    let report = stderr
        .lines()
        .find(|l| l.starts_with(cut.to_str().unwrap()))
        .unwrap_or_else(|| panic!("a report naming the file: {stderr}"));
    assert_eq!(
        report,
        format!(
            "{}:{reached}: the input cannot be read from here on (incomplete deflate stream); its {} lines before were matched",
            cut.display(),
            reached - 1
        )
    );
    assert!(
        stderr.ends_with("powertrack match: 1 input(s) could not be read to their end (above)\n"),
        "{stderr}"
    );
}

/// The rule ids in a written line's `matching_rules`, whatever the post's format.
fn matching_rule_ids(line: &str) -> Vec<u64> {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let list = v
        .get("matching_rules")
        .or_else(|| v.get("gnip").and_then(|g| g.get("matching_rules")))
        .and_then(serde_json::Value::as_array)
        .unwrap_or_else(|| panic!("no matching_rules in {line}"));
    list.iter()
        .map(|r| match &r["id"] {
            serde_json::Value::String(s) => s.parse().unwrap(),
            n => n.as_u64().unwrap(),
        })
        .collect()
}

/// `--rule-stats`: one line per rule, whose counts equal the `matching_rules` entries of the
/// output, with rules that never matched listed at 0; on the corpus when present, else the
/// bundled sample.
#[test]
fn rule_stats_count_what_the_output_says() {
    let dir = scratch_dir("rule_stats");
    let input = crate::common::corpus_file(
        "rule_stats_count_what_the_output_says (corpus part; the sample is used instead)",
        "combined/all_v11_native.ndjson",
    )
    .unwrap_or_else(|| manifest("examples/firehose.ndjson"));
    let mut rules: Vec<serde_json::Value> = vec![
        serde_json::json!({"value": "day", "tag": "common", "id": 1}),
        serde_json::json!({"value": "lang:en", "id": 2}),
        serde_json::json!({"value": "has:links", "tag": "links", "id": 3}),
        serde_json::json!({"value": "zzqxv_never_said", "tag": "silent", "id": 4}),
    ];
    for (i, word) in [
        "love",
        "new",
        "#news",
        "@YouTube",
        "is:retweet",
        "has:media",
    ]
    .iter()
    .enumerate()
    {
        rules.push(serde_json::json!({"value": word, "id": 10 + i}));
    }
    let rules_file = write(
        &dir,
        "rules.json",
        serde_json::json!({ "rules": rules }).to_string(),
    );
    let stats_file = dir.join("stats.ndjson");
    let out = run(
        &[
            "--rules",
            rules_file.to_str().unwrap(),
            "--rule-stats",
            stats_file.to_str().unwrap(),
            input.to_str().unwrap(),
        ],
        b"",
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let posts = summary(&stderr)["posts"];
    let mut want: HashMap<u64, u64> = HashMap::new();
    for line in text(&out.stdout).lines() {
        for id in matching_rule_ids(line) {
            *want.entry(id).or_default() += 1;
        }
    }
    let listed: Vec<serde_json::Value> = std::fs::read_to_string(&stats_file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(listed.len(), rules.len(), "every rule, once");
    let mut previous = u64::MAX;
    for l in &listed {
        let id = l["id"].as_u64().unwrap();
        let matches = l["matches"].as_u64().unwrap();
        assert_eq!(matches, want.get(&id).copied().unwrap_or(0), "rule {id}");
        assert!(matches <= previous, "the most matches first");
        previous = matches;
        #[allow(clippy::cast_precision_loss)]
        let share = matches as f64 / posts;
        assert!((l["share"].as_f64().unwrap() - share).abs() < 1e-6, "{l}");
        let rule = rules.iter().find(|r| r["id"] == id).unwrap();
        assert_eq!(l["value"], rule["value"]);
        assert_eq!(l["tag"], rule.get("tag").cloned().unwrap_or_default());
    }
    assert!(want[&1] > 0 && want[&2] > 0, "common rules match: {want:?}");
    let silent = listed.iter().find(|l| l["id"] == 4).unwrap();
    assert_eq!(silent["matches"], 0, "a rule that never matched is listed");
}

/// Ctrl-C (SIGINT) during a run on a never-ending stream writes the counts so far and exits 130.
#[test]
fn rule_stats_are_written_on_ctrl_c() {
    let dir = scratch_dir("rule_stats_sigint");
    let rules = write(
        &dir,
        "rules.json",
        r#"{"rules":[{"value":"snow","id":7},{"value":"rain","id":8}]}"#,
    );
    let stats_file = dir.join("stats.ndjson");
    let mut child = Command::new(BIN)
        .args(["match", "--rules", rules.to_str().unwrap(), "--rule-stats"])
        .arg(&stats_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let line = r#"{"id":1,"id_str":"1","text":"snow again","lang":"en","user":{"id":2,"id_str":"2","screen_name":"a"}}"#;
    for _ in 0..25 {
        writeln!(stdin, "{line}").unwrap();
    }
    stdin.flush().unwrap();
    // The 25 posts are matched (the stream stays open), then Ctrl-C.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let interrupt = |pid: u32| {
        Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .unwrap()
    };
    assert!(interrupt(child.id()).success());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "exits on Ctrl-C");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    drop(stdin);
    assert_eq!(status.code(), Some(130));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("interrupted; rule counts so far written to"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&stats_file).unwrap(),
        "{\"id\":7,\"tag\":null,\"value\":\"snow\",\"matches\":25,\"share\":1.0}\n\
         {\"id\":8,\"tag\":null,\"value\":\"rain\",\"matches\":0,\"share\":0.0}\n"
    );
}

/// `--rule-stats` to something that is not a regular file (here a FIFO; `/dev/stderr` is the
/// same case) writes into it and leaves it what it was, instead of renaming a temporary over it.
#[test]
fn rule_stats_into_a_fifo_leave_it_a_fifo() {
    use std::os::unix::fs::FileTypeExt;
    let dir = scratch_dir("rule_stats_fifo");
    let rules = write(&dir, "rules.json", r#"{"rules":[{"value":"snow","id":7}]}"#);
    let fifo = dir.join("stats.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo");
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let post = r#"{"id_str":"1","text":"snow","user":{"id_str":"2","screen_name":"a"}}"#;
    let out = run(
        &[
            "--rules",
            rules.to_str().unwrap(),
            "--rule-stats",
            fifo.to_str().unwrap(),
        ],
        format!("{post}\n").as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Checked before joining the reader, which would wait forever on a FIFO renamed away.
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "still a FIFO: {kind:?}");
    assert!(!dir.join("stats.fifo.tmp").exists());
    assert_eq!(
        reader.join().unwrap(),
        "{\"id\":7,\"tag\":null,\"value\":\"snow\",\"matches\":1,\"share\":1.0}\n"
    );
}
