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

use scan::Members;

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
    // The whole root is checked first (and its `gnip` member found), so an error is reported
    // where it is whatever the layout; nothing is stored, nothing allocated.
    let mut root = Members::of_root(line)?;
    let (mut gnip, mut any) = (None, false);
    for m in root.by_ref() {
        let m = m?;
        any = true;
        if gnip.is_none() && layout == Layout::ActivityStreams && m.key_is(line, b"gnip") {
            gnip = Some(m);
        }
    }
    let close = root.finish_root()?;
    let open = skip_ws_start(line);
    let mark = out.len();
    let result = match layout {
        Layout::Native | Layout::V2 => splice_into(line, open, layout, rules, out).map(|_| ()),
        Layout::ActivityStreams => match gnip {
            Some(gnip) if line[gnip.value.start] == b'{' => {
                // Splice inside the gnip object, then copy the rest of the root.
                splice_into(line, gnip.value.start, layout, rules, out)
                    .map(|inner| out.extend_from_slice(&line[inner + 1..=close]))
            }
            Some(gnip) => Err(SpliceError {
                offset: gnip.value.start,
                kind: SpliceErrorKind::GnipNotAnObject,
            }),
            None => {
                out.extend_from_slice(&line[..close]);
                if any {
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

/// The offset of a line's first byte that is not whitespace.
fn skip_ws_start(line: &[u8]) -> usize {
    line.iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(line.len())
}

/// Appends `line` to `out` with `rules` as its `matching_rules`, for a line already parsed as a
/// post that has no `matching_rules` where `layout` puts it ([`Post::has_matching_rules`] is
/// false): for [`Layout::Native`] and [`Layout::V2`] the list goes before the root's closing
/// brace, found from the end of the line, so the post costs a copy and no second scan of its
/// JSON. Activity Streams, whose list goes inside `gnip`, takes [`splice_matching_rules`].
///
/// The output is the same as [`splice_matching_rules`]'s for such a line. Given a line that
/// does not end with `}` (after whitespace), it fails as that function would; given a line
/// that does have a `matching_rules` in place, the output has the key twice, so call it only
/// as described.
///
/// [`Post::has_matching_rules`]: crate::post::Post::has_matching_rules
///
/// # Errors
///
/// A [`SpliceError`] when `line` does not end with a closing brace; nothing is appended.
///
/// # Example
///
/// ```
/// use powertrack::output::{append_matching_rules, Layout, MatchedRule};
///
/// let line = b"{\"data\":{\"id\":\"7\",\"text\":\"snow\"}}\r\n";
/// let mut out = Vec::new();
/// append_matching_rules(line, Layout::V2, [MatchedRule { id: 9, tag: None }], &mut out)?;
/// assert_eq!(
///     String::from_utf8(out)?,
///     r#"{"data":{"id":"7","text":"snow"},"matching_rules":[{"id":"9","tag":null}]}"#,
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn append_matching_rules<'a>(
    line: &[u8],
    layout: Layout,
    rules: impl IntoIterator<Item = MatchedRule<'a>>,
    out: &mut Vec<u8>,
) -> Result<(), SpliceError> {
    if layout == Layout::ActivityStreams {
        return splice_matching_rules(line, layout, rules, out);
    }
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let Some(close) = line.iter().rposition(|b| !is_ws(b)) else {
        return Err(SpliceError {
            offset: line.len(),
            kind: SpliceErrorKind::NotAnObject,
        });
    };
    if line[close] != b'}' {
        return Err(SpliceError {
            offset: close,
            kind: SpliceErrorKind::Malformed,
        });
    }
    let empty = line[..close]
        .iter()
        .rposition(|b| !is_ws(b))
        .is_some_and(|i| line[i] == b'{');
    out.extend_from_slice(&line[..close]);
    if !empty {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(KEY);
    out.extend_from_slice(b"\":");
    write_list(layout, rules, out);
    out.push(b'}');
    Ok(())
}

/// Writes `src` up to and including the end of the object whose `{` is at `open`, with
/// `matching_rules` set in it: the first existing one's value replaced in place and any
/// duplicates dropped, or the key added before the closing brace. Reads the object's members
/// as it writes (nothing stored) and returns the offset of its closing brace; the caller drops
/// what was written on error.
fn splice_into<'a>(
    src: &[u8],
    open: usize,
    layout: Layout,
    rules: impl IntoIterator<Item = MatchedRule<'a>>,
    out: &mut Vec<u8>,
) -> Result<usize, SpliceError> {
    let mut rules = Some(rules);
    // After the first existing key: where the source is copied from next.
    let mut at = None;
    let mut any = false;
    let mut members = Members::of(src, open);
    for m in members.by_ref() {
        let m = m?;
        any = true;
        if !m.key_is(src, KEY) {
            continue;
        }
        if let Some(from) = at {
            // A duplicate: dropped with the comma before it.
            out.extend_from_slice(&src[from..m.comma_before]);
        } else {
            out.extend_from_slice(&src[..m.value.start]);
            if let Some(rules) = rules.take() {
                write_list(layout, rules, out);
            }
        }
        at = Some(m.value.end);
    }
    let close = members.finish()?;
    if let Some(from) = at {
        out.extend_from_slice(&src[from..=close]);
    } else {
        out.extend_from_slice(&src[..close]);
        if any {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(KEY);
        out.extend_from_slice(b"\":");
        if let Some(rules) = rules.take() {
            write_list(layout, rules, out);
        }
        out.push(b'}');
    }
    Ok(close)
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
