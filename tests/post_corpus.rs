//! Every line-oriented tweet file of the shared corpus goes through ingest, with exact counts.

use std::path::Path;

use powertrack::post::{Format, IngestErrorKind, Kind, Line, Parser, SkipKind};

use crate::common::corpus_file;

/// What a file's lines turned out to be.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    native: usize,
    activity: usize,
    v2: usize,
    skipped: Vec<SkipKind>,
    malformed: Vec<IngestErrorKind>,
}

fn ingest(path: &Path) -> Counts {
    let bytes = std::fs::read(path).unwrap();
    let mut parser = Parser::new();
    let mut c = Counts::default();
    for line in bytes.split(|&b| b == b'\n') {
        if line.is_empty() {
            continue;
        }
        match parser.parse(line) {
            Ok(Line::Post(post)) => match post.format() {
                Format::Native => c.native += 1,
                Format::ActivityStreams => c.activity += 1,
                Format::V2 => c.v2 += 1,
            },
            Ok(Line::Skipped(kind)) => c.skipped.push(kind),
            Err(e) => c.malformed.push(e.kind().clone()),
        }
    }
    c
}

fn counts(native: usize, activity: usize, v2: usize) -> Counts {
    Counts {
        native,
        activity,
        v2,
        ..Counts::default()
    }
}

#[test]
fn combined_native_corpus() {
    let Some(path) = corpus_file("combined_native_corpus", "combined/all_v11_native.ndjson") else {
        return;
    };
    assert_eq!(ingest(&path), counts(3008, 0, 0));
}

#[test]
fn combined_native_kinds_match_sources_tsv() {
    let name = "combined_native_kinds_match_sources_tsv";
    let (Some(path), Some(tsv)) = (
        corpus_file(name, "combined/all_v11_native.ndjson"),
        corpus_file(name, "combined/all_v11_native.sources.tsv"),
    ) else {
        return;
    };
    let tsv = std::fs::read_to_string(tsv).unwrap();
    let mut rows = tsv.lines().skip(1);
    let bytes = std::fs::read(path).unwrap();
    let mut parser = Parser::new();
    let mut checked = 0;
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let row: Vec<&str> = rows.next().unwrap().split('\t').collect();
        crate::post::with_post(&mut parser, line, |post| {
            assert_eq!(post.id().to_string(), row[1]);
            assert_eq!(post.lang().unwrap_or(""), row[2], "lang of {}", row[1]);
            let kind = match post.kind() {
                Kind::Original => "original",
                Kind::Retweet => "retweet",
                Kind::Quote => "quote",
                Kind::Reply => "reply",
            };
            assert_eq!(kind, row[3], "kind of {}", row[1]);
        });
        checked += 1;
    }
    assert_eq!(checked, 3008);
    assert!(rows.next().is_none());
}

#[test]
fn v2_stream_like_corpus() {
    let Some(path) = corpus_file(
        "v2_stream_like_corpus",
        "twarc-csv-v2/twarc-csv_v2_stream_like.ndjson",
    ) else {
        return;
    };
    assert_eq!(ingest(&path), counts(0, 0, 1109));
}

#[test]
fn tweet_parser_examples() {
    let name = "tweet_parser_examples";
    let (Some(native), Some(activity)) = (
        corpus_file(
            name,
            "twitterdev-tweet_parser/original_format_examples.json",
        ),
        corpus_file(
            name,
            "twitterdev-tweet_parser/activity_streams_examples.json",
        ),
    ) else {
        return;
    };
    assert_eq!(ingest(&native), counts(25, 0, 0));
    assert_eq!(ingest(&activity), counts(0, 25, 0));
}

#[test]
fn broken_and_unsupported_payloads() {
    let name = "broken_and_unsupported_payloads";
    let dir = "twitterdev-tweet_parser/broken_and_unsupported_payloads";
    let Some(_) = corpus_file(name, &format!("{dir}/public_api_sample.json")) else {
        return;
    };
    let file = |f: &str| ingest(&corpus_file(name, &format!("{dir}/{f}")).unwrap());
    assert_eq!(file("public_api_sample.json"), counts(20, 0, 0));
    assert_eq!(
        file("original_format_additional_field.json"),
        counts(1, 0, 0)
    );
    assert_eq!(
        file("original_format_missing_quotetweet_field.json"),
        counts(1, 0, 0)
    );
    // Despite its name, this file holds a native post (with an extra field).
    assert_eq!(
        file("activity_streams_additional_field.json"),
        counts(1, 0, 0)
    );
    assert_eq!(
        file("original_format_missing_user.json"),
        Counts {
            malformed: vec![IngestErrorKind::MissingUser],
            ..Counts::default()
        }
    );
    // The "missing field" files lack fields a post can do without.
    assert_eq!(file("original_format_missing_field.json"), counts(1, 0, 0));
    assert_eq!(file("activity_streams_missing_field.json"), counts(0, 1, 0));
}

#[test]
fn stream_captures_with_control_messages() {
    let name = "stream_captures_with_control_messages";
    let Some(user_stream) = corpus_file(name, "sferik-twitter/orig/track_streaming_user.json")
    else {
        return;
    };
    assert_eq!(
        ingest(&user_stream),
        Counts {
            native: 1,
            skipped: vec![
                SkipKind::UserStream,
                SkipKind::UserStream,
                SkipKind::UserStream,
                SkipKind::Delete,
                SkipKind::Warning
            ],
            ..Counts::default()
        }
    );
    let track = corpus_file(name, "sferik-twitter/orig/track_streaming.json").unwrap();
    assert_eq!(ingest(&track), counts(2, 0, 0));
    let lines = corpus_file(name, "python-twitter/orig/streaming/lines.json").unwrap();
    assert_eq!(ingest(&lines), counts(72, 0, 0));
}

#[test]
fn v2_pages_are_malformed() {
    let name = "v2_pages_are_malformed";
    let Some(dir) = corpus_file(name, "twarc-csv-v2/orig/noflat.jsonl") else {
        return;
    };
    let dir = dir.parent().unwrap().to_path_buf();
    let mut pages = 0;
    let mut flat_v2 = 0;
    let mut flat = 0;
    let mut json_errors = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let c = ingest(&path);
        assert!(c.skipped.is_empty(), "{}: {c:?}", path.display());
        assert_eq!((c.native, c.activity), (0, 0), "{}", path.display());
        flat_v2 += c.v2;
        for m in c.malformed {
            match m {
                // twarc's "flattened" tweet (`flat.jsonl`) is a bare v2 tweet object, not a
                // stream post: read as native, it has no `user`.
                IngestErrorKind::MissingUser if path.ends_with("flat.jsonl") => flat += 1,
                IngestErrorKind::V2Page => pages += 1,
                IngestErrorKind::Json { .. } => json_errors += 1,
                other => panic!("{}: {other:?}", path.display()),
            }
        }
    }
    // streaming_output_with_error.jsonl is filtered-stream output: 7 posts, then its truncated
    // last line; flat.jsonl has 100 flattened tweets; all 25 other lines are API pages.
    assert_eq!(flat_v2, 7);
    assert_eq!(json_errors, 1);
    assert_eq!(flat, 100);
    assert_eq!(pages, 25);
}
