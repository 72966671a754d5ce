//! Posts from the log, matched again for one stream: a connection's backfill (the minutes
//! before it connected, then the live stream) and a recovery (any window of the last day,
//! paced). Each runs on a thread of its own with its own matcher state and the current rule
//! snapshots, and hands spliced lines to its connection's body through a small channel: it
//! never touches the live pipeline, and stops as soon as its client goes away.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::pipeline::splice_line;
use bytes::Bytes;
use powertrack::matcher::{Matches, Scratch};
use tokio::sync::mpsc;

use crate::log::{Cursor, PostLog};
use crate::registry::{Hit, Registry};

/// Posts read from the log per page.
const PAGE: usize = 256;

/// What a replay hands its connection.
#[derive(Debug)]
pub enum Replayed {
    /// Matching posts, each line ending in `\r\n`, and how many.
    Posts(Bytes, u64),
    /// The replay is complete: this many posts were sent.
    Done(u64),
    /// The log could not be read; the replay ends here.
    Failed(String),
}

/// A window of the log to replay for one stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// The first arrival time (Unix ms).
    pub from_ms: u64,
    /// Arrival times before this.
    pub until_ms: u64,
    /// Sequence numbers up to this (a backfill stops where the live stream took over).
    pub last_seq: u64,
}

/// Starts replaying `window` for `stream` on a thread of its own; at most `rate` posts a second
/// when given. The receiver gets the posts, then [`Replayed::Done`].
pub fn spawn(
    log: Arc<dyn PostLog>,
    registry: Arc<Registry>,
    stream: usize,
    window: Window,
    rate: Option<u64>,
) -> std::io::Result<mpsc::Receiver<Replayed>> {
    let (tx, rx) = mpsc::channel(4);
    std::thread::Builder::new()
        .name("powertrack-replay".into())
        .spawn(move || {
            let mut r = Replay {
                registry,
                stream: u32::try_from(stream).unwrap_or(u32::MAX),
                scratch: Scratch::new(),
                matches: Matches::new(),
                hits: Vec::new(),
            };
            let end = match r.run(log.as_ref(), window, rate, &tx) {
                Ok(Some(sent)) => Replayed::Done(sent),
                Ok(None) => return, // the client went away
                Err(e) => {
                    tracing::error!(error = %e, "a replay could not read the log");
                    Replayed::Failed(e)
                }
            };
            let _ = tx.blocking_send(end);
        })?;
    Ok(rx)
}

struct Replay {
    registry: Arc<Registry>,
    stream: u32,
    scratch: Scratch,
    matches: Matches,
    hits: Vec<Hit>,
}

impl Replay {
    /// The posts sent, or `None` when the client went away.
    fn run(
        &mut self,
        log: &dyn PostLog,
        window: Window,
        rate: Option<u64>,
        tx: &mpsc::Sender<Replayed>,
    ) -> Result<Option<u64>, String> {
        let started = Instant::now();
        let mut sent = 0u64;
        let mut cursor = Some(Cursor::at(window.from_ms));
        while let Some(at) = cursor {
            if tx.is_closed() {
                return Ok(None);
            }
            let (page, next) = log
                .read(at, window.until_ms, window.last_seq, PAGE)
                .map_err(|e| e.to_string())?;
            cursor = next;
            // Rules as they are now: a rule added after a post arrived matches it.
            let (rules, fanout) = self.registry.view();
            let mut out = Vec::new();
            let mut n = 0u64;
            for post in &page {
                let Ok(None) = rules.match_line(&post.line, &mut self.scratch, &mut self.matches)
                else {
                    continue; // stream messages and malformed lines, as live
                };
                fanout.hits(self.matches.ids(), &mut self.hits);
                let stream = self.stream;
                self.hits.retain(|h| h.0 == stream);
                if !self.hits.is_empty()
                    && splice_line(
                        &post.line,
                        self.matches.layout(),
                        self.matches.has_matching_rules(),
                        &self.hits,
                        &mut out,
                    )
                {
                    n += 1;
                }
            }
            if n > 0 {
                if tx
                    .blocking_send(Replayed::Posts(Bytes::from(out), n))
                    .is_err()
                {
                    return Ok(None);
                }
                sent += n;
                if let Some(rate) = rate {
                    // Paced on posts sent: at most `rate` a second since the start.
                    let due = Duration::from_micros(sent.saturating_mul(1_000_000) / rate.max(1));
                    if let Some(ahead) = due.checked_sub(started.elapsed()) {
                        std::thread::sleep(ahead);
                    }
                }
            }
        }
        Ok(Some(sent))
    }
}
