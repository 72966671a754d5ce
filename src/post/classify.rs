//! Line classification: blank keep-alives, stream control messages, and the format of a post.

use super::tape::{Nodes, entries, is_array, is_object};
use super::values::Format;

/// Why a line that is not a post was skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SkipKind {
    /// An empty or whitespace-only line (keep-alive heartbeat, including a bare `\r\n`).
    Blank,
    /// `delete`: a status deletion notice.
    Delete,
    /// `limit`: a track limitation notice.
    Limit,
    /// `warning`: a stall warning or similar.
    Warning,
    /// `scrub_geo`: a location deletion notice.
    ScrubGeo,
    /// `status_withheld`.
    StatusWithheld,
    /// `user_withheld`.
    UserWithheld,
    /// `disconnect`: the server is closing the stream.
    Disconnect,
    /// `info`: a system information message (e.g. "Replay Request Completed").
    Info,
    /// `error` / `errors` without a post: a system error message.
    Error,
    /// A user-stream message (`friends`, `friends_str`, `event`, `direct_message`, `control`).
    UserStream,
}

/// What the root object of a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    Post(Format),
    Skip(SkipKind),
    V2Page,
}

/// True when `line` holds only JSON whitespace (space, tab, CR, LF).
#[inline]
pub(crate) fn is_blank(line: &[u8]) -> bool {
    line.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Classifies the parsed root object (tape node 0) by its keys, in one pass.
pub(crate) fn classify(nodes: Nodes<'_, '_>) -> Class {
    let mut skip = None;
    for (key, value) in entries(nodes, 0) {
        match key {
            "data" => {
                if is_object(nodes, value) {
                    return Class::Post(Format::V2);
                }
                if is_array(nodes, value) {
                    return Class::V2Page;
                }
            }
            // Decisive: no native post or v2 envelope has these.
            "actor" | "verb" => return Class::Post(Format::ActivityStreams),
            // Decisive too: stream messages and the other formats have none of these at the top.
            "id_str" | "user" | "text" | "full_text" => return Class::Post(Format::Native),
            _ => {
                if skip.is_none() {
                    skip = skip_kind(key);
                }
            }
        }
    }
    if let Some(kind) = skip {
        Class::Skip(kind)
    } else {
        // Not recognisable as anything: read as a native post, which will be missing its id.
        Class::Post(Format::Native)
    }
}

fn skip_kind(key: &str) -> Option<SkipKind> {
    Some(match key {
        "delete" => SkipKind::Delete,
        "limit" => SkipKind::Limit,
        "warning" => SkipKind::Warning,
        "scrub_geo" => SkipKind::ScrubGeo,
        "status_withheld" => SkipKind::StatusWithheld,
        "user_withheld" => SkipKind::UserWithheld,
        "disconnect" => SkipKind::Disconnect,
        "info" => SkipKind::Info,
        "error" | "errors" => SkipKind::Error,
        "friends" | "friends_str" | "event" | "direct_message" | "control" => SkipKind::UserStream,
        _ => return None,
    })
}
