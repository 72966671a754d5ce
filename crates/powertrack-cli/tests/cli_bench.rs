//! `powertrack bench` on the built binary, with small sizes: the report's shape and the sanity
//! of its numbers (never timings against a bound).

use std::collections::HashMap;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_powertrack");

/// Runs `powertrack bench ARGS`; returns stdout after checking the exit status.
fn bench(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("bench")
        .args(args)
        .output()
        .expect("start powertrack");
    assert!(
        out.status.success(),
        "powertrack bench {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The `key=value` pairs of the closing `bench:` line.
fn figures(stdout: &str) -> HashMap<String, String> {
    let last = stdout.lines().last().expect("a report");
    let rest = last
        .strip_prefix("bench: ")
        .unwrap_or_else(|| panic!("the last line is the key=value summary: {last:?}"));
    rest.split(' ')
        .map(|kv| {
            let (k, v) = kv
                .split_once('=')
                .unwrap_or_else(|| panic!("{kv:?} is not key=value"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn num(f: &HashMap<String, String>, key: &str) -> f64 {
    f.get(key)
        .unwrap_or_else(|| panic!("no {key} in {f:?}"))
        .parse()
        .unwrap_or_else(|_| panic!("{key}={} is not a number", f[key]))
}

#[test]
fn report_shape_and_sanity() {
    let out = bench(&["--rules", "300", "--posts", "500", "--seed", "3"]);
    let labels: Vec<&str> = out
        .lines()
        .map(|l| l.split(':').next().unwrap_or(""))
        .collect();
    assert_eq!(
        labels,
        [
            "powertrack bench",
            "rules",
            "build",
            "memory",
            "input",
            "match",
            "throughput",
            "baseline",
            "candidates",
            "matches",
            "bench"
        ],
        "{out}"
    );
    assert!(
        out.starts_with("powertrack bench: 300 rules (dense profile, generator seed 3), 500 lines"),
        "{out}"
    );
    let f = figures(&out);
    assert_eq!(f["rules"], "300");
    assert_eq!(f["lines"], "500");
    assert_eq!(f["threads"], "1");
    // The synthetic firehose mixes a little stream noise (0.5 %) into the posts.
    let posts = num(&f, "posts");
    assert!((480.0..=500.0).contains(&posts), "{posts}");
    assert!(num(&f, "build_s") > 0.0);
    let per_rule = num(&f, "bytes_per_rule");
    assert!(
        (100.0..100_000.0).contains(&per_rule),
        "bytes per rule {per_rule}"
    );
    assert!(num(&f, "posts_per_s") > 0.0);
    // One thread: the per-thread figure is the whole figure (the same printed text).
    assert_eq!(f["posts_per_s"], f["posts_per_s_per_thread"]);
    assert!(num(&f, "mb_per_s") > 0.0);
    // The tape-parse baseline of the same lines, and the ratio to it.
    let (tape, ratio) = (num(&f, "tape_posts_per_s"), num(&f, "tape_ratio"));
    assert!(tape > 0.0 && ratio > 0.0, "{tape} {ratio}");
    let (cpp, mpp) = (num(&f, "candidates_per_post"), num(&f, "matches_per_post"));
    assert!(mpp >= 0.0 && cpp >= mpp, "candidates {cpp} < matches {mpp}");
    assert!(cpp <= 300.0, "at most every rule is a candidate: {cpp}");
}

#[test]
fn figures_other_than_timings_do_not_depend_on_threads() {
    let one = figures(&bench(&[
        "--rules",
        "400",
        "--posts",
        "300",
        "--threads",
        "1",
    ]));
    let two = figures(&bench(&[
        "--rules",
        "400",
        "--posts",
        "300",
        "--threads",
        "2",
    ]));
    assert_eq!(two["threads"], "2");
    for key in [
        "rules",
        "lines",
        "posts",
        "bytes_per_rule",
        "candidates_per_post",
        "matches_per_post",
    ] {
        assert_eq!(one[key], two[key], "{key}");
    }
    // Some rules of 400 match some of the bundled posts (the generator's broad rules use the
    // corpus's most frequent terms).
    assert!(num(&one, "matches_per_post") > 0.0, "{one:?}");
}

#[test]
fn seeds_give_other_rule_sets() {
    let a = figures(&bench(&["--rules", "200", "--posts", "200", "--seed", "1"]));
    let b = figures(&bench(&["--rules", "200", "--posts", "200", "--seed", "1"]));
    let c = figures(&bench(&["--rules", "200", "--posts", "200", "--seed", "2"]));
    assert_eq!(a["candidates_per_post"], b["candidates_per_post"]);
    assert_eq!(a["bytes_per_rule"], b["bytes_per_rule"]);
    assert!(
        a["candidates_per_post"] != c["candidates_per_post"]
            || a["bytes_per_rule"] != c["bytes_per_rule"],
        "{a:?} {c:?}"
    );
}

#[test]
fn zero_sizes_are_usage_errors() {
    for args in [["--rules", "0"], ["--posts", "0"], ["--threads", "0"]] {
        let out = Command::new(BIN)
            .arg("bench")
            .args(args)
            .output()
            .expect("start powertrack");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("must be at least 1"),
            "{args:?}"
        );
    }
}

#[test]
fn sample_matches_the_bundled_real_posts() {
    let out = bench(&["--rules", "200", "--posts", "500", "--sample"]);
    assert!(
        out.starts_with(
            "powertrack bench: 200 rules (dense profile, generator seed 1), 500 lines (examples/firehose.ndjson, cycled)"
        ),
        "{out}"
    );
    // The bundled sample holds 190 posts in 193 lines: a few lines of 500 are not posts.
    let posts = num(&figures(&out), "posts");
    assert!((490.0..500.0).contains(&posts), "{posts}");
}

#[test]
fn the_accounts_profile_is_reported_and_an_unknown_one_refused() {
    let out = bench(&["--rules", "300", "--posts", "200", "--profile", "accounts"]);
    assert!(
        out.starts_with("powertrack bench: 300 rules (accounts profile, generator seed 1)"),
        "{out}"
    );
    let o = Command::new(BIN)
        .args(["bench", "--profile", "sparse"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(r#"unknown profile "sparse" (dense, accounts)"#),
        "{err}"
    );
}

#[test]
fn the_live_store_matches_what_the_built_set_matches() {
    let args = [
        "--rules",
        "3000",
        "--posts",
        "400",
        "--sample",
        "--profile",
        "accounts",
    ];
    let built = bench(&args);
    let live = bench(&[&args[..], &["--live"]].concat());
    assert!(built.contains("(one built set;"), "{built}");
    assert!(
        live.contains("(live store, 1 segments after compaction;"),
        "{live}"
    );
    let (b, l) = (figures(&built), figures(&live));
    for key in ["rules", "posts", "matches_per_post"] {
        assert_eq!(b[key], l[key], "{key}: {built}\n{live}");
    }
}

#[test]
fn input_lines_are_cycled_and_a_missing_file_is_an_error() {
    let dir = std::env::temp_dir().join(format!("powertrack-bench-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("posts.ndjson");
    std::fs::write(
        &file,
        concat!(
            r#"{"id_str":"1","text":"snow day","user":{"id_str":"2","screen_name":"a"}}"#,
            "\r\n\n",
            r#"{"delete":{"status":{"id_str":"9","user_id_str":"2"}}}"#,
            "\n",
        ),
    )
    .unwrap();
    let out = bench(&[
        "--rules",
        "50",
        "--posts",
        "7",
        "--input",
        file.to_str().unwrap(),
    ]);
    assert!(out.contains("7 lines (the input file, cycled)"), "{out}");
    let f = figures(&out);
    // Lines 1, 3, 5, 7 of the cycle are the post; the others the delete.
    assert_eq!(
        (f["lines"].as_str(), f["posts"].as_str()),
        ("7", "4"),
        "{out}"
    );

    // A gzip capture is read as powertrack match reads it: the same lines.
    let gz = dir.join("posts.ndjson.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &std::fs::read(&file).unwrap()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let f = figures(&bench(&[
        "--rules",
        "50",
        "--posts",
        "7",
        "--input",
        gz.to_str().unwrap(),
    ]));
    assert_eq!((f["lines"].as_str(), f["posts"].as_str()), ("7", "4"));

    let missing = dir.join("missing.ndjson");
    let o = Command::new(BIN)
        .args([
            "bench",
            "--rules",
            "50",
            "--input",
            missing.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with(&format!("powertrack bench: {}: ", missing.display())),
        "{err}"
    );
    let o = Command::new(BIN)
        .args(["bench", "--sample", "--input", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "--sample and --input together");
    std::fs::remove_dir_all(&dir).unwrap();
}
