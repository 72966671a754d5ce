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

/// The members of one JSON object's top level, in order, read as they are asked for: nothing
/// is stored, so a scan allocates nothing. Once every member has been read,
/// [`Members::close`] is the offset of the closing `}`.
#[derive(Debug)]
pub(super) struct Members<'a> {
    src: &'a [u8],
    /// Where the next member (or the closing brace) is looked for.
    at: usize,
    /// The offset the next member's `comma_before` gets.
    comma_before: usize,
    /// The closing brace, once reached.
    close: Option<usize>,
    /// Set once the first member (or the end) has been looked for.
    started: bool,
    /// Set after an error: the iterator is done.
    failed: bool,
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

impl<'a> Members<'a> {
    /// The members of the object whose `{` is at `src[open]`.
    pub(super) fn of(src: &'a [u8], open: usize) -> Members<'a> {
        Members {
            src,
            at: skip_ws(src, open + 1),
            comma_before: open + 1,
            close: None,
            started: false,
            failed: false,
        }
    }

    /// The members of a line that must be one JSON object, with optional surrounding
    /// whitespace; [`Members::finish_root`] checks that nothing follows it.
    pub(super) fn of_root(line: &'a [u8]) -> Result<Members<'a>, SpliceError> {
        let open = skip_ws(line, 0);
        if line.get(open) != Some(&b'{') {
            return Err(err(open, SpliceErrorKind::NotAnObject));
        }
        Ok(Members::of(line, open))
    }

    /// Reads the members left, and returns the offset of the closing `}`.
    pub(super) fn finish(&mut self) -> Result<usize, SpliceError> {
        for m in self.by_ref() {
            m?;
        }
        self.close.ok_or_else(|| malformed(self.at))
    }

    /// As [`Members::finish`], for a root object: only whitespace may follow it.
    pub(super) fn finish_root(&mut self) -> Result<usize, SpliceError> {
        let close = self.finish()?;
        let rest = skip_ws(self.src, close + 1);
        if rest != self.src.len() {
            return Err(malformed(rest));
        }
        Ok(close)
    }

    fn next_member(&mut self) -> Result<Option<Member>, SpliceError> {
        let src = self.src;
        let mut i = self.at;
        if !std::mem::replace(&mut self.started, true) && src.get(i) == Some(&b'}') {
            // `{}`: no member at all (a `}` after a comma is malformed, below).
            self.close = Some(i);
            return Ok(None);
        }
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
        let member = Member {
            comma_before: self.comma_before,
            key,
            value: value_start..value_end,
        };
        i = skip_ws(src, value_end);
        match src.get(i) {
            Some(b',') => {
                self.comma_before = i;
                self.at = skip_ws(src, i + 1);
            }
            Some(b'}') => {
                self.close = Some(i);
                self.at = i;
            }
            _ => return Err(malformed(i)),
        }
        Ok(Some(member))
    }
}

impl Iterator for Members<'_> {
    type Item = Result<Member, SpliceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.close.is_some() {
            return None;
        }
        match self.next_member() {
            Ok(m) => m.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
