//! `powertrack match --watch` through the binary: edits of the rules file apply while the
//! stream flows, a post sent after an edit is matched by the new rules, and an invalid edit
//! leaves the rules in force.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_powertrack");

/// Lines of a child's stream, read on a thread.
fn lines_of(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The next line containing `needle`, within 30 s.
fn wait_for(rx: &Receiver<String>, needle: &str, seen: &mut Vec<String>) -> String {
    loop {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => {
                seen.push(line.clone());
                if line.contains(needle) {
                    return line;
                }
            }
            Err(e) => panic!("no line with {needle:?} ({e}); saw {seen:#?}"),
        }
    }
}

fn post(id: u64, text: &str) -> String {
    format!(r#"{{"id_str":"{id}","text":"{text}","user":{{"id_str":"7","screen_name":"w"}}}}"#)
}

/// The tags of a delivered post's `matching_rules`, in order.
fn tags(line: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["matching_rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tag"].as_str().unwrap_or("null").to_string())
        .collect()
}

#[test]
fn edits_of_the_rules_file_apply_while_the_stream_flows() {
    let dir = std::env::temp_dir().join(format!("powertrack-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("rules.json");
    std::fs::write(&rules, r#"{"rules":[{"value":"snow","tag":"v1"}]}"#).unwrap();
    let mut child = Command::new(BIN)
        .args(["match", "--rules"])
        .arg(&rules)
        .args(["--watch", "--watch-interval", "20", "--threads", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let out = lines_of(child.stdout.take().unwrap());
    let err = lines_of(child.stderr.take().unwrap());
    let (mut seen_out, mut seen_err) = (Vec::new(), Vec::new());

    // A post is matched as soon as it arrives: nothing waits for a full batch.
    writeln!(stdin, "{}", post(1, "snow day")).unwrap();
    stdin.flush().unwrap();
    let first = wait_for(&out, "\"id_str\":\"1\"", &mut seen_out);
    assert_eq!(tags(&first), ["v1"]);

    // A new rule and a changed tag: one change (delete 1, add 2), one generation.
    std::fs::write(
        &rules,
        r#"{"rules":[{"value":"rain","tag":"v2"},{"value":"snow","tag":"v1b"}]}"#,
    )
    .unwrap();
    let report = wait_for(&err, "applied", &mut seen_err);
    assert!(
        report.ends_with("rules.json: applied: deleted 1, added 2 (generation 2)"),
        "{report}"
    );
    writeln!(stdin, "{}", post(2, "rain and snow")).unwrap();
    writeln!(stdin, "{}", post(3, "sunny")).unwrap();
    stdin.flush().unwrap();
    let second = wait_for(&out, "\"id_str\":\"2\"", &mut seen_out);
    assert_eq!(tags(&second), ["v2", "v1b"]);

    // An invalid edit is reported; the rules in force stay.
    std::fs::write(
        &rules,
        r#"{"rules":[{"value":"fish AND bird"},{"value":"sunny"}]}"#,
    )
    .unwrap();
    let report = wait_for(&err, "not applied", &mut seen_err);
    assert!(
        report.contains("rule 1 (\"fish AND bird\"): Ambiguous use of and as a keyword")
            && report.ends_with("not applied, the rules in force stay"),
        "{report}"
    );
    writeln!(stdin, "{}", post(4, "sunny rain")).unwrap();
    stdin.flush().unwrap();
    let fourth = wait_for(&out, "\"id_str\":\"4\"", &mut seen_out);
    assert_eq!(tags(&fourth), ["v2"]);

    // Deleting every rule: posts flow on, nothing matches.
    std::fs::write(&rules, r#"{"rules":[]}"#).unwrap();
    let report = wait_for(&err, "applied", &mut seen_err);
    assert!(
        report.ends_with("applied: deleted 2, added 0 (generation 3)"),
        "{report}"
    );
    writeln!(stdin, "{}", post(5, "snow rain")).unwrap();
    drop(stdin);
    let summary = wait_for(&err, "summary:", &mut seen_err);
    assert!(
        summary.contains("lines=5 posts=5 matched=3 ") && summary.ends_with(" generation=3"),
        "{summary}"
    );
    assert!(child.wait().unwrap().success());
    // Post 3 ("sunny") matched nothing, post 5 came after the last edit.
    assert!(
        out.try_iter()
            .all(|l| !l.contains("\"id_str\":\"3\"") && !l.contains("\"id_str\":\"5\""))
    );
    assert!(seen_out.iter().all(|l| !l.contains("\"id_str\":\"3\"")));
    let _ = std::fs::remove_dir_all(&dir);
}
