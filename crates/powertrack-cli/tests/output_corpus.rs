//! Every output line of `powertrack match` over the real corpus (v1.1 native, v2 and Activity
//! Streams) re-parses with a JSON parser that rejects duplicate keys, carries `matching_rules`
//! in its format's place, and equals its input post in every other field.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::common;

/// A JSON value parsed by a parser that refuses an object with a repeated key.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON without duplicate keys")
    }

    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
        Ok(Strict(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
        Ok(Strict(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
        Ok(Strict(v.into()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
        Ok(Strict(Value::String(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Strict, E> {
        Ok(Strict(Value::String(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Strict(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut obj = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(v) = map.next_value()?;
            if obj.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
            obj.insert(key, v);
        }
        Ok(Strict(Value::Object(obj)))
    }
}

fn parse_strict(line: &[u8]) -> Result<Value, serde_json::Error> {
    let mut d = serde_json::Deserializer::from_slice(line);
    let Strict(v) = Strict::deserialize(&mut d)?;
    d.end()?;
    Ok(v)
}

#[test]
fn the_strict_parser_rejects_duplicate_keys() {
    assert!(parse_strict(br#"{"a":1,"b":{"c":[{"d":1}]}}"#).is_ok());
    assert!(parse_strict(br#"{"a":1,"a":1}"#).is_err());
    assert!(parse_strict(br#"{"a":[{"b":1,"c":2,"b":3}]}"#).is_err());
    assert!(parse_strict(br#"{"gnip":{"matching_rules":[],"matching_rules":[]}}"#).is_err());
}

/// The format of a post, as the ingest classifies it (`data` object: v2; `actor` or `verb`:
/// Activity Streams; otherwise native).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Format {
    Native,
    ActivityStreams,
    V2,
}

fn format_of(obj: &Map<String, Value>) -> Format {
    for (k, v) in obj {
        match k.as_str() {
            "data" if v.is_object() => return Format::V2,
            "actor" | "verb" => return Format::ActivityStreams,
            "id_str" | "user" | "text" | "full_text" => return Format::Native,
            _ => {}
        }
    }
    Format::Native
}

/// Removes `matching_rules` from its format's place, returning it.
fn take_matching_rules(post: &mut Value) -> Option<Value> {
    let obj = post.as_object_mut()?;
    match format_of(obj) {
        Format::Native | Format::V2 => obj.remove("matching_rules"),
        Format::ActivityStreams => obj
            .get_mut("gnip")?
            .as_object_mut()?
            .remove("matching_rules"),
    }
}

/// An Activity Streams post without `gnip` gains `"gnip":{"matching_rules":…}`: once the list
/// is taken out, an empty `gnip` is dropped (from the input posts too, to compare alike).
fn drop_empty_gnip(post: &mut Value) {
    if let Some(obj) = post.as_object_mut()
        && format_of(obj) == Format::ActivityStreams
        && obj
            .get("gnip")
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
    {
        obj.remove("gnip");
    }
}

fn corpus_inputs(test: &str) -> Option<Vec<PathBuf>> {
    [
        "combined/all_v11_native.ndjson",
        "twarc-csv-v2/twarc-csv_v2_stream_like.ndjson",
        "twitterdev-tweet_parser/activity_streams_examples.json",
    ]
    .into_iter()
    .map(|rel| common::corpus_file(test, rel))
    .collect()
}

/// `powertrack gen rules --count 2000 --seed 1` plus broad rules (without ids: the CLI assigns
/// them), so that most posts match.
fn rules_file(dir: &Path) -> PathBuf {
    let out = Command::new(env!("CARGO_BIN_EXE_powertrack"))
        .args(["gen", "rules", "--count", "2000", "--seed", "1"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut text = String::from_utf8(out.stdout).unwrap();
    let end = text.rfind(']').unwrap();
    text.insert_str(
        end,
        r#",{"value":"has:links OR has:mentions OR lang:en","tag":"broad \"one\""},{"value":"has:hashtags OR lang:ja OR is:retweet"},{"value":"love OR happy OR day","tag":"words"}"#,
    );
    let path = dir.join("rules.json");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn every_output_line_reparses_without_duplicate_keys_and_keeps_every_other_field() {
    let test = "output_corpus::every_output_line_reparses_without_duplicate_keys_and_keeps_every_other_field";
    let Some(inputs) = corpus_inputs(test) else {
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("output_corpus");
    std::fs::create_dir_all(&dir).unwrap();
    let rules = rules_file(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_powertrack"))
        .args(["match", "--rules"])
        .arg(&rules)
        .args(&inputs)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(out.stdout.ends_with(b"\n"));

    // The input posts, in order, without their `matching_rules`.
    let mut posts: Vec<(Value, Option<Value>)> = Vec::new();
    for path in &inputs {
        let bytes = std::fs::read(path).unwrap();
        for line in bytes.split(|&b| b == b'\n') {
            if let Ok(mut v) = serde_json::from_slice::<Value>(line)
                && v.is_object()
            {
                let old = take_matching_rules(&mut v);
                drop_empty_gnip(&mut v);
                posts.push((v, old));
            }
        }
    }

    let (mut next, mut lines, mut replaced) = (0usize, 0usize, 0usize);
    let mut formats = [0usize; 3];
    for line in out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        lines += 1;
        let mut v = parse_strict(line).unwrap_or_else(|e| {
            panic!(
                "output line {lines} does not re-parse strictly: {e}: {}",
                String::from_utf8_lossy(line)
            )
        });
        let format = format_of(v.as_object().unwrap());
        formats[format as usize] += 1;
        let list = take_matching_rules(&mut v)
            .unwrap_or_else(|| panic!("output line {lines} lacks matching_rules in its place"));
        let list = list.as_array().expect("matching_rules is an array");
        assert!(!list.is_empty());
        for entry in list {
            let e = entry.as_object().unwrap();
            let keys: Vec<&str> = e.keys().map(String::as_str).collect();
            if format == Format::V2 {
                assert_eq!(keys, ["id", "tag"]);
                assert!(e["id"].is_string());
            } else {
                // serde_json's map is sorted: the byte order is the golden tests' job.
                assert_eq!(keys, ["id", "id_str", "tag"]);
                assert_eq!(e["id_str"], e["id"].as_u64().unwrap().to_string());
            }
            assert!(e["tag"].is_string() || e["tag"].is_null());
        }
        drop_empty_gnip(&mut v);
        // The next input post equal in every other field (outputs are in input order).
        let at = posts[next..]
            .iter()
            .position(|(p, _)| *p == v)
            .unwrap_or_else(|| {
                panic!(
                    "output line {lines} is not an input post (after post {next}) with matching_rules added: {}",
                    String::from_utf8_lossy(line)
                )
            });
        if posts[next + at].1.is_some() {
            replaced += 1;
        }
        next += at + 1;
    }
    let summary = stderr.lines().last().unwrap();
    assert!(
        summary.contains(&format!(" matched={lines} ")),
        "{lines} output lines: {summary}"
    );
    assert!(lines > 1000, "the broad rules match most posts: {summary}");
    assert!(
        formats.iter().all(|&n| n > 0),
        "every format matched: {formats:?}"
    );
    assert!(
        replaced > 300,
        "posts already carrying matching_rules had it replaced: {replaced}"
    );
}
