//! Delivery: `matching_rules` spliced into the original bytes of a post.
//!
//! PowerTrack delivers a post once, with every rule that matched it listed in `matching_rules`
//! (matching-semantics S39). The post itself is passed through byte for byte: this module never
//! re-serialises it. It finds, by a structural scan of the original line, where the list goes
//! for the post's layout, and writes the line with the list inserted there, or with the value
//! of an existing `matching_rules` replaced in place (never a second key):
//!
//! | layout | where | entry |
//! |---|---|---|
//! | [`Layout::Native`] | root object | `{"tag":T,"id":N,"id_str":"N"}` |
//! | [`Layout::ActivityStreams`] | the root's `gnip` object (created if absent) | `{"tag":T,"id":N,"id_str":"N"}` |
//! | [`Layout::V2`] | root object, beside `data` | `{"id":"N","tag":T}` |
//!
//! `T` is the JSON-escaped tag, or `null` for a rule without one.
//!
//! # Example
//!
//! ```
//! use powertrack::output::{splice_matching_rules, Layout, MatchedRule};
//!
//! let line = br#"{"id_str":"7","text":"snow day"}"#;
//! let rules = [MatchedRule { id: 1128017341835464704, tag: Some("weather") }];
//! let mut out = Vec::new();
//! splice_matching_rules(line, Layout::Native, rules, &mut out)?;
//! assert_eq!(
//!     String::from_utf8(out)?,
//!     r#"{"id_str":"7","text":"snow day","matching_rules":[{"tag":"weather","id":1128017341835464704,"id_str":"1128017341835464704"}]}"#,
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod scan;

use std::fmt;
use std::io::Write as _;

use scan::{Member, ObjectScan};

/// Where a post's format keeps `matching_rules`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Layout {
    /// v1.1 native and native enriched: at the root, with numeric `id` and `id_str`.
    #[default]
    Native,
    /// Activity Streams: inside the root's `gnip` object, with numeric `id` and `id_str`.
    ActivityStreams,
    /// API v2 filtered stream: at the root beside `data`, with string ids (`{"id":"N","tag":T}`).
    V2,
}

/// One rule to list in `matching_rules`: its external id and its tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MatchedRule<'a> {
    /// The rule's 64-bit id.
    pub id: u64,
    /// The rule's tag, if it has one (written as `null` otherwise).
    pub tag: Option<&'a str>,
}

/// Why a line could not take `matching_rules`.
///
/// Lines that ingest accepted as posts are always JSON objects, so this only happens when the
/// splicer is handed something else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpliceError {
    offset: usize,
    kind: SpliceErrorKind,
}

/// The kind of a [`SpliceError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpliceErrorKind {
    /// The line is not a JSON object (after leading whitespace).
    NotAnObject,
    /// The JSON ends early or has a syntax error where the scan needed structure.
    Malformed,
    /// The Activity Streams `gnip` member exists but is not an object.
    GnipNotAnObject,
}

impl SpliceError {
    /// The byte offset in the line where the problem was found.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What went wrong.
    pub fn kind(&self) -> SpliceErrorKind {
        self.kind
    }
}

impl fmt::Display for SpliceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            SpliceErrorKind::NotAnObject => "the line is not a JSON object",
            SpliceErrorKind::Malformed => "malformed JSON",
            SpliceErrorKind::GnipNotAnObject => "the \"gnip\" member is not an object",
        };
        write!(f, "{what} (at byte {})", self.offset)
    }
}

impl std::error::Error for SpliceError {}

const KEY: &[u8] = b"matching_rules";

/// Appends `line` to `out` with `rules` (in order) as its `matching_rules`, placed as `layout` requires.
///
/// Trailing whitespace (including a `\r\n` line end) is dropped and nothing is appended after
/// the object: the caller writes its own line terminator. An existing `matching_rules` in the
/// target place has its value replaced in place; any further duplicate of that key is removed,
/// so the output never has two. On error nothing is appended to `out`.
///
/// # Errors
///
/// A [`SpliceError`] when `line` is not a JSON object (or, for Activity Streams, its `gnip`
/// member is not an object).
pub fn splice_matching_rules<'a>(
    line: &[u8],
    layout: Layout,
    rules: impl IntoIterator<Item = MatchedRule<'a>>,
    out: &mut Vec<u8>,
) -> Result<(), SpliceError> {
    let root = ObjectScan::of_root(line)?;
    let mark = out.len();
    let result = match layout {
        Layout::Native | Layout::V2 => {
            splice_into(line, &root, layout, rules, out);
            Ok(())
        }
        Layout::ActivityStreams => match root.find(line, b"gnip") {
            Some(gnip) if line[gnip.value.start] == b'{' => {
                // Splice inside the gnip object, then copy the rest of the root.
                let obj = ObjectScan::scan(line, gnip.value.start)?;
                splice_into(line, &obj, layout, rules, out);
                out.extend_from_slice(&line[obj.close + 1..=root.close]);
                Ok(())
            }
            Some(gnip) => Err(SpliceError {
                offset: gnip.value.start,
                kind: SpliceErrorKind::GnipNotAnObject,
            }),
            None => {
                out.extend_from_slice(&line[..root.close]);
                if !root.members.is_empty() {
                    out.push(b',');
                }
                out.extend_from_slice(b"\"gnip\":{\"matching_rules\":");
                write_list(layout, rules, out);
                out.extend_from_slice(b"}}");
                Ok(())
            }
        },
    };
    if result.is_err() {
        out.truncate(mark);
    }
    result
}

/// Writes `src` up to and including the end of object `obj`, with `matching_rules` set in it.
fn splice_into<'a>(
    src: &[u8],
    obj: &ObjectScan,
    layout: Layout,
    rules: impl IntoIterator<Item = MatchedRule<'a>>,
    out: &mut Vec<u8>,
) {
    let existing: Vec<&Member> = obj.members.iter().filter(|m| m.key_is(src, KEY)).collect();
    match existing.split_first() {
        None => {
            out.extend_from_slice(&src[..obj.close]);
            if !obj.members.is_empty() {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(KEY);
            out.extend_from_slice(b"\":");
            write_list(layout, rules, out);
            out.extend_from_slice(&src[obj.close..=obj.close]);
        }
        Some((first, dups)) => {
            out.extend_from_slice(&src[..first.value.start]);
            write_list(layout, rules, out);
            let mut at = first.value.end;
            for dup in dups {
                // Drop the duplicate member with the comma before it.
                out.extend_from_slice(&src[at..dup.comma_before]);
                at = dup.value.end;
            }
            out.extend_from_slice(&src[at..=obj.close]);
        }
    }
}

/// Writes the `matching_rules` array for `layout`.
fn write_list<'a>(
    layout: Layout,
    rules: impl IntoIterator<Item = MatchedRule<'a>>,
    out: &mut Vec<u8>,
) {
    out.push(b'[');
    for (i, rule) in rules.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match layout {
            Layout::Native | Layout::ActivityStreams => {
                out.extend_from_slice(b"{\"tag\":");
                write_tag(rule.tag, out);
                // Writing to a Vec cannot fail.
                let _ = write!(out, ",\"id\":{0},\"id_str\":\"{0}\"}}", rule.id);
            }
            Layout::V2 => {
                let _ = write!(out, "{{\"id\":\"{}\",\"tag\":", rule.id);
                write_tag(rule.tag, out);
                out.push(b'}');
            }
        }
    }
    out.push(b']');
}

fn write_tag(tag: Option<&str>, out: &mut Vec<u8>) {
    match tag {
        None => out.extend_from_slice(b"null"),
        Some(tag) => write_json_string(tag, out),
    }
}

/// Writes `s` as a JSON string: `"` `\` and control characters escaped, the rest as UTF-8.
pub(crate) fn write_json_string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => &[],
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if esc.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests;
