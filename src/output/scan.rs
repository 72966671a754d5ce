//! A structural scan of one JSON object: where each member's key and value lie.
//!
//! The splicer needs only the members of one object (the root, or `gnip`), so this scans that
//! object's top level and skips nested values without interpreting them. It never panics: any
//! byte sequence either scans or yields an error with an offset.

use std::ops::Range;

use super::{SpliceError, SpliceErrorKind};

/// One `"key": value` member of a scanned object.
#[derive(Debug)]
pub(super) struct Member {
    /// The comma before this member (for the first member: the byte after `{`).
    pub(super) comma_before: usize,
    /// The key's bytes, inside its quotes, still escaped.
    pub(super) key: Range<usize>,
    /// The value's bytes.
    pub(super) value: Range<usize>,
}

impl Member {
    /// Whether this member's key is `name` (which holds no characters needing escapes).
    pub(super) fn key_is(&self, src: &[u8], name: &[u8]) -> bool {
        let raw = &src[self.key.clone()];
        if raw == name {
            return true;
        }
        if !raw.contains(&b'\\') {
            return false;
        }
        // An escaped key (`"matching\u005frules"`) names the same member once decoded.
        let quoted = &src[self.key.start - 1..=self.key.end];
        serde_json::from_slice::<String>(quoted).is_ok_and(|k| k.as_bytes() == name)
    }
}

/// The top level of one JSON object.
#[derive(Debug)]
pub(super) struct ObjectScan {
    /// The offset of the closing `}`.
    pub(super) close: usize,
    /// The members in order.
    pub(super) members: Vec<Member>,
}

fn err(offset: usize, kind: SpliceErrorKind) -> SpliceError {
    SpliceError { offset, kind }
}

fn malformed(offset: usize) -> SpliceError {
    err(offset, SpliceErrorKind::Malformed)
}

fn skip_ws(src: &[u8], mut i: usize) -> usize {
    while i < src.len() && matches!(src[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Given `src[i] == b'"'`, returns the offset just past the closing quote.
fn skip_string(src: &[u8], i: usize) -> Result<usize, SpliceError> {
    let mut at = i + 1;
    loop {
        match memchr::memchr2(b'"', b'\\', &src[at..]) {
            None => return Err(malformed(src.len())),
            Some(k) if src[at + k] == b'"' => return Ok(at + k + 1),
            // A backslash escapes the next byte, whatever it is.
            Some(k) => at += k + 2,
        }
        if at > src.len() {
            return Err(malformed(src.len()));
        }
    }
}

/// Returns the offset just past the JSON value starting at `src[i]`.
fn skip_value(src: &[u8], i: usize) -> Result<usize, SpliceError> {
    match src.get(i) {
        Some(b'"') => skip_string(src, i),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut at = i;
            while at < src.len() {
                match src[at] {
                    b'"' => {
                        at = skip_string(src, at)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(at + 1);
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
            Err(malformed(src.len()))
        }
        None | Some(b',' | b'}' | b']' | b':') => Err(malformed(i)),
        Some(_) => {
            // A number, true, false or null: up to the next delimiter.
            let end = src[i..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .map_or(src.len(), |k| i + k);
            Ok(end)
        }
    }
}

impl ObjectScan {
    /// Scans a whole line that must be one JSON object, with optional surrounding whitespace.
    pub(super) fn of_root(line: &[u8]) -> Result<ObjectScan, SpliceError> {
        let open = skip_ws(line, 0);
        if line.get(open) != Some(&b'{') {
            return Err(err(open, SpliceErrorKind::NotAnObject));
        }
        let scan = ObjectScan::scan(line, open)?;
        let rest = skip_ws(line, scan.close + 1);
        if rest != line.len() {
            return Err(malformed(rest));
        }
        Ok(scan)
    }

    /// Scans the object whose `{` is at `src[open]`.
    pub(super) fn scan(src: &[u8], open: usize) -> Result<ObjectScan, SpliceError> {
        let mut members = Vec::new();
        let mut i = skip_ws(src, open + 1);
        if src.get(i) == Some(&b'}') {
            return Ok(ObjectScan { close: i, members });
        }
        let mut comma_before = open + 1;
        loop {
            if src.get(i) != Some(&b'"') {
                return Err(malformed(i));
            }
            let key_end = skip_string(src, i)?;
            let key = i + 1..key_end - 1;
            i = skip_ws(src, key_end);
            if src.get(i) != Some(&b':') {
                return Err(malformed(i));
            }
            let value_start = skip_ws(src, i + 1);
            let value_end = skip_value(src, value_start)?;
            members.push(Member {
                comma_before,
                key,
                value: value_start..value_end,
            });
            i = skip_ws(src, value_end);
            match src.get(i) {
                Some(b',') => {
                    comma_before = i;
                    i = skip_ws(src, i + 1);
                }
                Some(b'}') => return Ok(ObjectScan { close: i, members }),
                _ => return Err(malformed(i)),
            }
        }
    }

    /// The first member named `name`.
    pub(super) fn find(&self, src: &[u8], name: &[u8]) -> Option<&Member> {
        self.members.iter().find(|m| m.key_is(src, name))
    }
}
