//! The body of a streaming response: gzip, one JSON line per post ending in `\r\n`, a `\r\n`
//! heartbeat after each quiet interval, and at the end a notice line (when the server ends the
//! stream) and the gzip trailer, after which hyper sends the chunked terminator.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, Stream};
use http_body::Frame as BodyFrame;
use tokio::sync::mpsc;

use crate::clock::Clock;
use crate::gzip::{ConnectionGzip, HEADER};
use crate::hub::{CloseReason, Conn, Frame, Hub};

/// `{"error":{"message":…,"sent":…}}\r\n`, PowerTrack's in-stream notice.
pub fn notice_line(message: &str, sent: &str) -> String {
    let body = serde_json::json!({"error": {"message": message, "sent": sent}});
    format!("{body}\r\n")
}

/// Ends the connection's registration when the body is dropped (the client went away, or the
/// stream ended), reporting why.
struct Registration {
    hub: Arc<Hub>,
    conn: Arc<Conn>,
    reason: CloseReason,
    clock: Clock,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.hub.close(&self.conn, self.reason, self.clock.now_ms());
    }
}

struct State {
    rx: mpsc::UnboundedReceiver<Frame>,
    gz: ConnectionGzip,
    heartbeat: Duration,
    started: bool,
    done: bool,
    reg: Registration,
    allowed: usize,
}

/// The body stream of an open connection.
pub fn live(
    hub: Arc<Hub>,
    conn: Arc<Conn>,
    rx: mpsc::UnboundedReceiver<Frame>,
    heartbeat: Duration,
    clock: Clock,
    allowed: usize,
) -> impl Stream<Item = Result<BodyFrame<Bytes>, Infallible>> + Send {
    let state = State {
        rx,
        gz: ConnectionGzip::default(),
        heartbeat,
        started: false,
        done: false,
        reg: Registration {
            hub,
            conn,
            reason: CloseReason::ClientClosed,
            clock,
        },
        allowed,
    };
    stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        if !s.started {
            s.started = true;
            // The header and a first heartbeat, so clients see the stream open at once.
            let mut first = HEADER.to_vec();
            first.extend_from_slice(&s.gz.own(b"\r\n"));
            return Some((Ok(BodyFrame::data(Bytes::from(first))), s));
        }
        let bytes = loop {
            if s.reg.conn.overflowed() {
                break finish(&mut s, CloseReason::CouldNotKeepUp);
            }
            match tokio::time::timeout(s.heartbeat, s.rx.recv()).await {
                Err(_) => break s.gz.own(b"\r\n"),
                Ok(None) => break finish(&mut s, CloseReason::Shutdown),
                Ok(Some(Frame::Chunk(chunk))) => {
                    if s.reg.conn.overflowed() {
                        continue;
                    }
                    s.gz.shared(&chunk);
                    s.reg.conn.sent(&chunk);
                    break chunk.deflate.clone();
                }
                Ok(Some(Frame::Message(line))) => break s.gz.own(line.as_bytes()),
                Ok(Some(Frame::Close(reason))) => break finish(&mut s, reason),
            }
        };
        Some((Ok(BodyFrame::data(bytes)), s))
    })
}

fn finish(s: &mut State, reason: CloseReason) -> Bytes {
    s.done = true;
    s.reg.reason = reason;
    let sent = s.reg.clock.sent();
    let message = match reason {
        CloseReason::CouldNotKeepUp => Some(crate::messages::UNABLE_TO_KEEP_UP.to_owned()),
        CloseReason::Shutdown => Some(crate::messages::OPERATIONAL_DISCONNECT.to_owned()),
        CloseReason::TooManyConnections => Some(crate::messages::too_many_connections(s.allowed)),
        CloseReason::ClientClosed => None,
    };
    let line = message.map(|m| notice_line(&m, &sent)).unwrap_or_default();
    s.gz.finish(line.as_bytes())
}

/// The whole body for a connection refused at once (over the connection limit): the notice,
/// then the end of the stream.
pub fn refused(message: &str, sent: &str) -> Bytes {
    let mut gz = ConnectionGzip::default();
    let mut out = HEADER.to_vec();
    out.extend_from_slice(&gz.finish(notice_line(message, sent).as_bytes()));
    Bytes::from(out)
}
