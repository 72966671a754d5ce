//! `powertrack validate`: the Rules API's six-rule validation example, exit codes and the text format.

use std::path::PathBuf;

fn manifest(rel: &str) -> PathBuf {
    crate::common::root().join(rel)
}

/// The same through the command-line tool: JSON on stdout, exit status 1.
#[test]
fn spec4_validation_example_cli() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_powertrack"))
        .arg("validate")
        .arg(manifest("tests/data/spec4_validation_request.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let got = String::from_utf8(out.stdout).unwrap();
    let want =
        std::fs::read_to_string(manifest("tests/data/spec4_validation_response.json")).unwrap();
    let strip = |s: &str| s.trim_end()[..s.trim_end().rfind(",\"sent\":\"").unwrap()].to_string();
    assert_eq!(strip(&got), strip(&want));
    let sent = &got[got.rfind("\"sent\":\"").unwrap() + 8..got.trim_end().len() - 2];
    // RFC 3339 UTC with milliseconds, e.g. 2017-03-16T02:33:01.827Z.
    assert_eq!(sent.len(), 24, "{sent}");
    assert!(sent.ends_with('Z') && &sent[10..11] == "T", "{sent}");
}

#[test]
fn cli_exit_codes_and_text_format() {
    let bin = env!("CARGO_BIN_EXE_powertrack");
    let run = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(bin)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let ok = run(&["validate"], r#"{"rules":[{"value":"snow","tag":"t1"}]}"#);
    assert_eq!(ok.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with(
        r#"{"summary":{"valid":1,"not_valid":0},"detail":[{"rule":{"value":"snow","tag":"t1"},"valid":true}],"sent":""#
    ));
    let bad = run(
        &["validate", "-", "--format", "text"],
        r#"{"rules":[{"value":"fish AND bird"}]}"#,
    );
    assert_eq!(bad.status.code(), Some(1));
    let text = String::from_utf8(bad.stdout).unwrap();
    assert!(text.contains("    fish AND bird\n         ^^^\n"), "{text}");
    assert!(text.ends_with("0 valid, 1 not valid\n"), "{text}");
    let not_body = run(&["validate"], "[1,2]");
    assert_eq!(not_body.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&not_body.stderr).contains("Invalid JSON. The body must be"));
    let ids = run(&["validate"], r#"{"rule_ids":[1]}"#);
    assert_eq!(ids.status.code(), Some(2));
    let too_many = run(
        &["validate", "--max-rules", "1"],
        r#"{"rules":[{"value":"a"},{"value":"b"}]}"#,
    );
    assert_eq!(too_many.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&too_many.stderr).contains("Rule Limit"));
}
