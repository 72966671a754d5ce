//! Line classification, malformed lines with their offsets and messages, buffer reuse, and the
//! sample bucket's frozen test vectors.

use powertrack::post::{
    IngestError, IngestErrorKind, Line, Parser, SkipKind, fnv1a64, sample_bucket,
};

fn skip(parser: &mut Parser, line: &[u8]) -> SkipKind {
    match parser.parse(line) {
        Ok(Line::Skipped(kind)) => kind,
        Ok(Line::Post(post)) => panic!("a post: {post:?}"),
        Err(e) => panic!("{e}"),
    }
}

fn error(parser: &mut Parser, line: &[u8]) -> IngestError {
    match parser.parse(line) {
        Err(e) => e,
        Ok(other) => panic!("not an error: {other:?}"),
    }
}

#[test]
fn keep_alives_and_stream_messages_are_skipped() {
    let mut p = Parser::new();
    for blank in [&b""[..], b"\n", b"\r\n", b"   \r\n", b"\t"] {
        assert_eq!(skip(&mut p, blank), SkipKind::Blank);
    }
    let cases: [(&[u8], SkipKind); 12] = [
        (br#"{"delete":{"status":{"id":1,"id_str":"1","user_id":2,"user_id_str":"2"},"timestamp_ms":"1"}}"#, SkipKind::Delete),
        (br#"{"limit":{"track":42,"timestamp_ms":"1"}}"#, SkipKind::Limit),
        (br#"{"warning":{"code":"FALLING_BEHIND","message":"m","percent_full":60}}"#, SkipKind::Warning),
        (br#"{"scrub_geo":{"user_id":1,"user_id_str":"1","up_to_status_id":2}}"#, SkipKind::ScrubGeo),
        (br#"{"status_withheld":{"id":1,"user_id":2,"withheld_in_countries":["DE"]}}"#, SkipKind::StatusWithheld),
        (br#"{"user_withheld":{"id":2,"withheld_in_countries":["DE"]}}"#, SkipKind::UserWithheld),
        (br#"{"disconnect":{"code":4,"stream_name":"s","reason":"r"}}"#, SkipKind::Disconnect),
        (br#"{"info":{"message":"Replay Request Completed","sent":"2017-01-01T00:00:00+00:00","activity_count":0}}"#, SkipKind::Info),
        (br#"{"error":{"message":"Forced Disconnect: Too many connections.","sent":"2017-01-01T00:00:00+00:00"}}"#, SkipKind::Error),
        (br#"{"errors":[{"title":"operational-disconnect","type":"https://api.twitter.com/2/problems/operational-disconnect"}]}"#, SkipKind::Error),
        (br#"{"friends":[1,2]}"#, SkipKind::UserStream),
        (b"{\"event\":\"follow\",\"source\":{},\"target\":{},\"created_at\":\"x\"}\r\n", SkipKind::UserStream),
    ];
    for (line, kind) in cases {
        assert_eq!(
            skip(&mut p, line),
            kind,
            "{}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn crlf_line_ends_are_accepted() {
    let mut p = Parser::new();
    let line = b"{\"id_str\":\"5\",\"text\":\"hi\",\"user\":{\"id_str\":\"6\"}}\r\n";
    crate::post::with_post(&mut p, line, |post| {
        assert_eq!(post.id(), 5);
        assert_eq!(post.root().text(), "hi");
    });
}

#[test]
fn malformed_lines_carry_their_offset() {
    let mut p = Parser::new();
    let e = error(&mut p, br#"{"id_str":"1","text":"x" "user":{}}"#);
    assert!(matches!(e.kind(), IngestErrorKind::Json { .. }), "{e:?}");
    assert!(e.offset() > 0 && e.offset() <= 26, "{e:?}");

    let e = error(&mut p, b"  [1,2,3]");
    assert_eq!(e.kind(), &IngestErrorKind::NotAnObject);
    assert_eq!(e.offset(), 2);
    assert_eq!(e.to_string(), "not a JSON object (at byte 2)");

    let e = error(
        &mut p,
        br#"{"data":[{"id":"1","text":"a","author_id":"2"}],"meta":{}}"#,
    );
    assert_eq!(e.kind(), &IngestErrorKind::V2Page);
    assert_eq!(
        e.to_string(),
        "a v2 API page (`data` is an array) is not a single post (at byte 0)"
    );

    let missing: [(&[u8], IngestErrorKind, &str); 7] = [
        (
            br#"{"text":"x","user":{"id_str":"1"}}"#,
            IngestErrorKind::MissingId,
            "post has no id (at byte 0)",
        ),
        (
            br#"{"id_str":"1","user":{"id_str":"1"}}"#,
            IngestErrorKind::MissingText,
            "post has no text (at byte 0)",
        ),
        (
            br#"{"id_str":"1","text":"x"}"#,
            IngestErrorKind::MissingUser,
            "post has no user (at byte 0)",
        ),
        (
            br#"{"id_str":"1","text":"x","user":null}"#,
            IngestErrorKind::MissingUser,
            "post has no user (at byte 0)",
        ),
        (
            br#"{"id":"tag:search.twitter.com,2005:1","verb":"post","body":"x"}"#,
            IngestErrorKind::MissingUser,
            "post has no user (at byte 0)",
        ),
        (
            br#"{"verb":"post","body":"x","actor":{"id":"id:twitter.com:1"}}"#,
            IngestErrorKind::MissingId,
            "post has no id (at byte 0)",
        ),
        (
            br#"{"data":{"id":"1","text":"x"}}"#,
            IngestErrorKind::MissingUser,
            "post has no user (at byte 0)",
        ),
    ];
    for (line, kind, message) in missing {
        let e = error(&mut p, line);
        assert_eq!(e.kind(), &kind, "{}", String::from_utf8_lossy(line));
        assert_eq!(e.to_string(), message);
    }
    // Not a post and not a known message: a native post without id.
    assert_eq!(error(&mut p, b"{}").kind(), &IngestErrorKind::MissingId);
    assert_eq!(
        error(&mut p, br#"{"hello":1}"#).kind(),
        &IngestErrorKind::MissingId
    );
}

#[test]
fn ids_never_go_through_f64() {
    let mut p = Parser::new();
    // id_str wins over a rounded numeric id (as in simdjson's twitter.json).
    let line = br#"{"id":505874847260352500,"id_str":"505874847260352513","text":"x","user":{"id":1,"id_str":"18446744073709551615"}}"#;
    crate::post::with_post(&mut p, line, |post| {
        assert_eq!(post.id(), 505_874_847_260_352_513);
        assert_eq!(post.user().id(), Some(u64::MAX));
    });
    // Without id_str, an exact integer id is used as is.
    let line = br#"{"id":505874847260352513,"text":"x","user":{"id":12}}"#;
    crate::post::with_post(&mut p, line, |post| {
        assert_eq!(post.id(), 505_874_847_260_352_513);
        assert_eq!(post.user().id(), Some(12));
    });
    // An id that is not a u64 is no id.
    let e = error(&mut p, br#"{"id_str":"-5","text":"x","user":{}}"#);
    assert_eq!(e.kind(), &IngestErrorKind::MissingId);
    let e = error(
        &mut p,
        br#"{"id_str":"18446744073709551616","text":"x","user":{}}"#,
    );
    assert_eq!(e.kind(), &IngestErrorKind::MissingId);
    let e = error(&mut p, br#"{"id":1.5e3,"text":"x","user":{}}"#);
    assert_eq!(e.kind(), &IngestErrorKind::MissingId);
}

#[test]
fn long_lines_are_malformed_before_being_copied() {
    let mut p = Parser::with_max_line_len(100);
    assert_eq!(p.max_line_len(), 100);
    assert!(p.check_line_len(100).is_ok());
    let e = p.check_line_len(101).unwrap_err();
    assert_eq!(
        e.kind(),
        &IngestErrorKind::LineTooLong { len: 101, max: 100 }
    );
    assert_eq!(e.offset(), 100);
    assert_eq!(
        e.to_string(),
        "line of 101 bytes is over the maximum of 100 bytes (at byte 100)"
    );
    let long = format!(
        r#"{{"id_str":"1","text":"{}","user":{{}}}}"#,
        "a".repeat(200)
    );
    assert_eq!(
        error(&mut p, long.as_bytes()).kind(),
        &IngestErrorKind::LineTooLong {
            len: long.len(),
            max: 100
        }
    );
    assert_eq!(Parser::new().max_line_len(), 1 << 20);
    assert_eq!(Parser::DEFAULT_MAX_LINE_LEN, 1_048_576);
    // A reader that stops buffering reports the same error.
    assert_eq!(
        IngestError::line_too_long(5000, 100),
        p.check_line_len(5000).unwrap_err()
    );
}

#[test]
fn the_parser_is_reusable_after_errors_and_skips() {
    let mut p = Parser::new();
    let good = br#"{"id_str":"7","text":"first","user":{"id_str":"1"},"entities":{"hashtags":[{"text":"a"},{"text":"b"}]}}"#;
    let other = br#"{"id_str":"8","text":"second","user":{"id_str":"2"}}"#;
    for _ in 0..3 {
        crate::post::with_post(&mut p, good, |post| {
            assert_eq!(post.root().hashtags().collect::<Vec<_>>(), ["a", "b"]);
        });
        let _ = error(&mut p, b"{not json");
        let _ = skip(&mut p, br#"{"limit":{"track":1}}"#);
        crate::post::with_post(&mut p, other, |post| {
            assert_eq!(post.id(), 8);
            assert_eq!(post.root().text(), "second");
            assert_eq!(post.root().hashtags().len(), 0);
        });
    }
    // The line is not changed (simd-json rewrites only the parser's copy).
    let escaped = br#"{"id_str":"9","text":"a\nb \u00e9","user":{"id_str":"1"}}"#;
    let copy = escaped.to_vec();
    crate::post::with_post(&mut p, &copy, |post| {
        assert_eq!(post.root().text(), "a\nb é");
    });
    assert_eq!(&copy[..], &escaped[..]);
}

#[test]
fn unknown_fields_and_wrong_types_are_ignored() {
    let mut p = Parser::new();
    let line = br#"{"id_str":"1","text":"x","user":{"id_str":"2","screen_name":5,"verified":"yes","followers_count":-3},"entities":{"hashtags":"no","urls":[1,{"url":null}],"user_mentions":[{"screen_name":"m"}]},"place":[],"coordinates":{"coordinates":[500,1]},"lang":7,"new_field":{"deep":[[[]]]}}"#;
    crate::post::with_post(&mut p, line, |post| {
        assert_eq!(post.user().screen_name(), None);
        assert!(!post.user().verified());
        assert_eq!(post.user().followers_count(), None);
        assert_eq!(post.root().hashtags().len(), 0);
        assert_eq!(
            post.root().urls().len(),
            1,
            "the object entry; the number is not an object"
        );
        assert_eq!(post.root().urls().next().unwrap().url, None);
        assert_eq!(
            post.root().mentions().next().unwrap().screen_name,
            Some("m")
        );
        assert_eq!(post.place(), None);
        assert_eq!(post.coordinates(), None, "longitude 500 is off the globe");
        assert_eq!(post.lang(), None);
    });
}

/// The `sample:` hash of matching-semantics S37, frozen: these values were computed
/// independently (Python, FNV-1a 64 with offset 0xcbf29ce484222325 and prime 0x100000001b3 over
/// the decimal digits).
#[test]
fn sample_bucket_test_vectors() {
    assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(b"887453193294282752"), 0xbbab_15e6_f96c_9abe);
    let vectors: [(u64, u8); 6] = [
        (887_453_193_294_282_752, 70),
        (0, 79),
        (1, 68),
        (20, 35),
        (505_874_847_260_352_513, 48),
        (u64::MAX, 60),
    ];
    for (id, bucket) in vectors {
        assert_eq!(sample_bucket(id), bucket, "{id}");
    }
}

#[test]
fn sample_bucket_is_the_same_for_the_three_renderings() {
    let mut p = Parser::new();
    let native = br#"{"id_str":"887453193294282752","text":"x","user":{"id_str":"1"}}"#;
    let activity = br#"{"id":"tag:search.twitter.com,2005:887453193294282752","verb":"post","body":"x","actor":{"id":"id:twitter.com:1"}}"#;
    let v2 = br#"{"data":{"id":"887453193294282752","text":"x","author_id":"1"}}"#;
    for line in [&native[..], &activity[..], &v2[..]] {
        crate::post::with_post(&mut p, line, |post| {
            assert_eq!(post.id(), 887_453_193_294_282_752);
            assert_eq!(post.sample_bucket(), 70);
        });
    }
}
