//! The body of a streaming response: gzip, one JSON line per post ending in `\r\n`, a `\r\n`
//! heartbeat after each quiet interval, and at the end a notice line (when the server ends the
//! stream) and the gzip trailer, after which hyper sends the chunked terminator.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, Stream};
use http_body::Frame as BodyFrame;
use prometheus_client::metrics::counter::Counter;
use tokio::sync::mpsc;

use crate::clock::Clock;
use crate::gzip::{ConnectionGzip, HEADER};
use crate::hub::{CloseReason, Conn, Frame, Hub};
use crate::messages::notice_line;
use crate::replay::Replayed;

/// A stream's first bytes: the gzip header and a first heartbeat, so that clients see the
/// stream open at once.
fn opening(gz: &mut ConnectionGzip) -> Bytes {
    let mut first = HEADER.to_vec();
    first.extend_from_slice(&gz.own(b"\r\n"));
    Bytes::from(first)
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
        // A client cut for not keeping up usually never reads as far as the notice, so its
        // body ends by the cut, not by `finish`: the overflow is the reason all the same.
        let reason = if self.reason == CloseReason::ClientClosed && self.conn.overflowed() {
            CloseReason::CouldNotKeepUp
        } else {
            self.reason
        };
        self.hub.close(&self.conn, reason, self.clock.now_ms());
    }
}

struct State {
    rx: mpsc::UnboundedReceiver<Frame>,
    /// The backfill, sent before anything of the live queue.
    backfill: Option<mpsc::Receiver<Replayed>>,
    gz: ConnectionGzip,
    heartbeat: Duration,
    started: bool,
    done: bool,
    reg: Registration,
}

/// The body stream of an open connection.
pub fn live(
    hub: Arc<Hub>,
    conn: Arc<Conn>,
    rx: mpsc::UnboundedReceiver<Frame>,
    backfill: Option<mpsc::Receiver<Replayed>>,
    heartbeat: Duration,
    clock: Clock,
) -> impl Stream<Item = Result<BodyFrame<Bytes>, Infallible>> + Send {
    let state = State {
        rx,
        backfill,
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
    };
    stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        if !s.started {
            s.started = true;
            return Some((Ok(BodyFrame::data(opening(&mut s.gz))), s));
        }
        if let Some(backfill) = s.backfill.as_mut() {
            // The backfill first; the live queue fills meanwhile (within its byte bound).
            match tokio::time::timeout(s.heartbeat, backfill.recv()).await {
                Err(_) => return Some((Ok(BodyFrame::data(s.gz.own(b"\r\n"))), s)),
                Ok(Some(Replayed::Posts(data, posts))) => {
                    s.reg.conn.delivered_replay(posts);
                    return Some((Ok(BodyFrame::data(s.gz.own(&data))), s));
                }
                Ok(Some(Replayed::Done(_) | Replayed::Failed(_)) | None) => s.backfill = None,
            }
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
    // A connection over the limit never gets this far: it is answered by `refused`.
    let message = match reason {
        CloseReason::CouldNotKeepUp => Some(crate::messages::UNABLE_TO_KEEP_UP),
        CloseReason::Shutdown => Some(crate::messages::OPERATIONAL_DISCONNECT),
        CloseReason::TooManyConnections | CloseReason::ClientClosed => None,
    };
    let line = message.map(|m| notice_line(m, &sent)).unwrap_or_default();
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

/// Counts a running recovery of a stream; dropped with the recovery's body.
#[derive(Debug)]
pub struct Running(pub Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

struct Recovery {
    rx: mpsc::Receiver<Replayed>,
    gz: ConnectionGzip,
    heartbeat: Duration,
    clock: Clock,
    started: bool,
    done: bool,
    counter: Counter,
    _running: Running,
}

/// The body of a recovery: the replayed posts (heartbeats while none come), then PowerTrack's
/// `Recovery Request Completed` line with the count, and the end of the stream.
pub fn recovery(
    rx: mpsc::Receiver<Replayed>,
    heartbeat: Duration,
    clock: Clock,
    running: Running,
    counter: Counter,
) -> impl Stream<Item = Result<BodyFrame<Bytes>, Infallible>> + Send {
    let state = Recovery {
        rx,
        gz: ConnectionGzip::default(),
        heartbeat,
        clock,
        started: false,
        done: false,
        counter,
        _running: running,
    };
    stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        if !s.started {
            s.started = true;
            return Some((Ok(BodyFrame::data(opening(&mut s.gz))), s));
        }
        let bytes = match tokio::time::timeout(s.heartbeat, s.rx.recv()).await {
            Err(_) => s.gz.own(b"\r\n"),
            Ok(Some(Replayed::Posts(data, posts))) => {
                s.counter.inc_by(posts);
                s.gz.own(&data)
            }
            Ok(Some(Replayed::Done(count))) => {
                s.done = true;
                let line = crate::messages::recovery_completed(&s.clock.sent(), count);
                s.gz.finish(line.as_bytes())
            }
            Ok(Some(Replayed::Failed(_)) | None) => {
                s.done = true;
                let line = notice_line(crate::messages::REPLAY_FAILED, &s.clock.sent());
                s.gz.finish(line.as_bytes())
            }
        };
        Some((Ok(BodyFrame::data(bytes)), s))
    })
}
