//! `powertrack gen firehose` and `gen stats` (issue 7): the command streams what the library
//! generates, writes files with their ground truth, and checks a stream's statistics.

use std::path::{Path, PathBuf};
use std::process::Command;

use powertrack::post::{Line, Parser};
use powertrack::reference;
use powertrack::syntax::Rule;
use powertrack_gen::firehose::{Config, FirehoseGenerator, Format};

fn stream(seed: u64, format: Format, noise: bool, n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    FirehoseGenerator::new(seed)
        .format(format)
        .noise(noise)
        .write_to(&mut out, n)
        .unwrap();
    out
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .strip_suffix(b"\n")
        .unwrap_or(bytes)
        .split(|&b| b == b'\n')
}

const BIN: &str = env!("CARGO_BIN_EXE_powertrack");

fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_firehose")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_gen(args: &[&str]) -> std::process::Output {
    Command::new(BIN).arg("gen").args(args).output().unwrap()
}

#[test]
fn cli_streams_the_library_output() {
    let out = run_gen(&["firehose", "--count", "200", "--seed", "6"]);
    assert!(out.status.success());
    assert_eq!(out.stdout, stream(6, Format::Native, false, 200));
    let again = run_gen(&["firehose", "--count", "200", "--seed", "6"]);
    assert_eq!(out.stdout, again.stdout);
    let v2 = run_gen(&[
        "firehose", "--count", "50", "--seed", "6", "--format", "v2", "--noise",
    ]);
    assert!(v2.status.success());
    assert_eq!(v2.stdout, stream(6, Format::V2, true, 50));
    let as_ = run_gen(&["firehose", "--count", "50", "--seed", "6", "--format", "as"]);
    assert_eq!(as_.stdout, stream(6, Format::ActivityStreams, false, 50));
}

#[test]
fn cli_rules_profiles_write_the_library_output() {
    use powertrack_gen::rules::{Profile, RuleSetGenerator, write_rules_body};
    for profile in Profile::ALL {
        let out = run_gen(&[
            "rules",
            "--count",
            "300",
            "--seed",
            "4",
            "--profile",
            profile.name(),
        ]);
        assert!(out.status.success());
        let mut want = Vec::new();
        let rules = RuleSetGenerator::new(4)
            .with_config(profile.config())
            .count(300);
        write_rules_body(
            &mut want,
            rules.map(powertrack_gen::rules::GeneratedRule::into_parts),
        )
        .unwrap();
        assert_eq!(out.stdout, want, "{profile}");
    }
    // The default is the dense profile; the two differ.
    let default = run_gen(&["rules", "--count", "300", "--seed", "4"]);
    let accounts = run_gen(&[
        "rules",
        "--count",
        "300",
        "--seed",
        "4",
        "--profile",
        "accounts",
    ]);
    let dense = run_gen(&[
        "rules",
        "--count",
        "300",
        "--seed",
        "4",
        "--profile",
        "dense",
    ]);
    assert_eq!(default.stdout, dense.stdout);
    assert_ne!(default.stdout, accounts.stdout);
}

#[test]
fn cli_writes_files_and_the_ground_truth() {
    let dir = scratch_dir("truth");
    let rules = dir.join("rules.json");
    std::fs::write(
        &rules,
        r##"{"rules":[{"value":"zorblatt","id":1},{"value":"#Quixotry lang:en","id":2},{"value":"from:plantme -is:retweet"}]}"##,
    )
    .unwrap();
    let (posts, truth) = (dir.join("posts.ndjson"), dir.join("truth.tsv"));
    let out = run_gen(&[
        "firehose",
        "--count",
        "1500",
        "--seed",
        "2",
        "--plant",
        rules.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
        "--out",
        posts.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let posts = std::fs::read(&posts).unwrap();
    let truth = std::fs::read_to_string(&truth).unwrap();
    let rule_of = |id: u64| match id {
        1 => Rule::parse("zorblatt").unwrap(),
        2 => Rule::parse("#Quixotry lang:en").unwrap(),
        _ => Rule::parse("from:plantme -is:retweet").unwrap(),
    };
    let mut p = Parser::new();
    let mut by_id = std::collections::HashMap::new();
    for l in lines(&posts) {
        if let Ok(Line::Post(post)) = p.parse(l) {
            by_id.insert(post.id(), l.to_vec());
        }
    }
    assert_eq!(by_id.len(), 1500);
    let mut rows = 0;
    let mut seen = std::collections::HashSet::new();
    for row in truth.lines() {
        let (id, rules) = row.split_once('\t').unwrap();
        let line = &by_id[&id.parse::<u64>().unwrap()];
        let Ok(Line::Post(post)) = p.parse(line) else {
            panic!()
        };
        for r in rules.split(',') {
            let r: u64 = r.parse().unwrap();
            assert!(reference::matches(&rule_of(r), &post), "{row}");
            seen.insert(r.min(3));
        }
        rows += 1;
    }
    assert!(rows >= 5, "{rows} planted posts");
    assert_eq!(seen.len(), 3, "all three rules were planted: {seen:?}");
}

#[test]
fn cli_stats_checks_a_stream() {
    let dir = scratch_dir("stats");
    let file = dir.join("posts.ndjson");
    std::fs::write(&file, stream(31, Format::Native, true, 3000)).unwrap();
    let out = run_gen(&["stats", file.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(text.starts_with("3000 posts,"), "{text}");
    assert!(
        text.contains("zipf slope") && !text.contains("OUT"),
        "{text}"
    );
    // The same stream as zstd and as gzip: the same figures.
    let plain = std::fs::read(&file).unwrap();
    let zst = dir.join("posts.ndjson.zst");
    std::fs::write(&zst, zstd::encode_all(&plain[..], 3).unwrap()).unwrap();
    let gz = dir.join("posts.ndjson.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &plain).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let raw_of = |p: &Path| run_gen(&["stats", "--raw", p.to_str().unwrap()]).stdout;
    let want = raw_of(&file);
    assert!(raw_of(&zst) == want && raw_of(&gz) == want);
    // A stream of a single kind fails the check.
    let cfg = Config {
        kinds: powertrack_gen::firehose::KindMix {
            original: 0,
            retweet: 0,
            reply: 1,
            quote: 0,
        },
        ..Config::default()
    };
    let mut replies = Vec::new();
    FirehoseGenerator::with_config(1, cfg)
        .write_to(&mut replies, 500)
        .unwrap();
    std::fs::write(&file, replies).unwrap();
    let out = run_gen(&["stats", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stdout).unwrap().contains("OUT"));
    let raw = run_gen(&["stats", "--raw", file.to_str().unwrap()]);
    assert!(
        String::from_utf8(raw.stdout)
            .unwrap()
            .contains("zipf slope")
    );
}

#[test]
fn cli_rejects_bad_arguments() {
    let out = run_gen(&["firehose", "--count", "5", "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown format"));
    let out = run_gen(&[
        "firehose",
        "--count",
        "5",
        "--plant",
        "/nonexistent/rules.json",
        "--truth",
        "/tmp/x.tsv",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = run_gen(&["stats", "/nonexistent/posts.ndjson"]);
    assert_eq!(out.status.code(), Some(2));
}
