//! Streaming connections: who is connected to which stream, and the delivery of each stream's
//! posts to its connections.
//!
//! A stream's batch of posts is compressed once ([`crate::gzip`]) and the same bytes are queued
//! on every connection of the stream. Each connection has a bounded queue, counted in bytes:
//! one whose client does not read fast enough overflows it, is sent PowerTrack's "unable to
//! keep up" message and is cut off, while the stream, its other connections and the matcher
//! go on as if it had never been there. Nothing here ever waits for a client.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::gzip::{Chunk, StreamDeflate};

/// Why a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The client went away.
    ClientClosed,
    /// The stream already had its connections.
    TooManyConnections,
    /// The client did not read fast enough and its buffer overflowed.
    CouldNotKeepUp,
    /// The server shut down.
    Shutdown,
}

impl CloseReason {
    /// A short name, for logs, metrics and the connection history.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::ClientClosed => "client closed",
            CloseReason::TooManyConnections => "too many connections",
            CloseReason::CouldNotKeepUp => "could not keep up",
            CloseReason::Shutdown => "shutdown",
        }
    }
}

/// What a connection's queue carries.
#[derive(Debug)]
pub enum Frame {
    /// A batch of the stream's posts.
    Chunk(Arc<Chunk>),
    /// A message for the client that does not end the stream (one JSON line).
    Message(Arc<str>),
    /// End the stream, for this reason.
    Close(CloseReason),
}

/// One open connection.
#[derive(Debug)]
pub struct Conn {
    /// Unique for the server's lifetime.
    pub id: u64,
    /// The stream.
    pub stream: usize,
    /// The client's address.
    pub addr: String,
    /// The client's `User-Agent`.
    pub user_agent: String,
    /// When it opened (Unix ms).
    pub opened_ms: u64,
    /// Posts sent to it so far.
    pub delivered: AtomicU64,
    tx: mpsc::UnboundedSender<Frame>,
    queued: AtomicUsize,
    limit: usize,
    overflowed: AtomicBool,
    cut: CancellationToken,
    ended: CancellationToken,
    counters: Arc<StreamCounters>,
}

impl Conn {
    /// Whether its buffer overflowed.
    pub fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Acquire)
    }

    /// Accounts for a queued chunk handed to the client's connection.
    pub fn sent(&self, chunk: &Chunk) {
        self.queued.fetch_sub(chunk.deflate.len(), Ordering::AcqRel);
        self.delivered.fetch_add(chunk.posts, Ordering::Relaxed);
        self.counters.delivered.inc_by(chunk.posts);
    }

    /// Sends this connection a message line (without ending its stream).
    pub fn notify(&self, line: &str) {
        let _ = self.tx.send(Frame::Message(Arc::from(line)));
    }

    /// Accounts for posts of its backfill handed to the client.
    pub fn delivered_replay(&self, posts: u64) {
        self.delivered.fetch_add(posts, Ordering::Relaxed);
        self.counters.delivered.inc_by(posts);
    }

    /// The token that, cancelled, drops the client's TCP connection.
    pub fn cut_token(&self) -> &CancellationToken {
        &self.cut
    }

    /// The token cancelled when it has ended (whatever the reason).
    pub fn ended_token(&self) -> &CancellationToken {
        &self.ended
    }
}

/// Counters the hub keeps per stream (shared with `/metrics`).
#[derive(Clone, Debug, Default)]
pub struct StreamCounters {
    /// Posts handed to connections, summed over connections.
    pub delivered: Counter,
    /// Posts not sent to a connection because it had overflowed.
    pub dropped: Counter,
}

#[derive(Debug)]
struct StreamHub {
    conns: Mutex<Vec<Arc<Conn>>>,
    /// `conns.len()`, readable without the lock by the matcher.
    open: AtomicUsize,
    /// When a connection of the stream was last cut for not keeping up.
    overflowed_at: Mutex<Option<std::time::Instant>>,
    deflate: Mutex<StreamDeflate>,
    counters: Arc<StreamCounters>,
}

/// A connection that has ended, for the connection history.
#[derive(Clone, Debug)]
pub struct Closed {
    /// The connection.
    pub conn: Arc<Conn>,
    /// Why it ended.
    pub reason: CloseReason,
    /// When (Unix ms).
    pub closed_ms: u64,
}

/// A connection's opening or end, for the connection history.
#[derive(Clone, Debug)]
pub enum ConnEvent {
    /// A connection was opened (it may be refused and closed at once).
    Opened(Arc<Conn>),
    /// A connection ended.
    Closed(Closed),
}

/// All streams' connections.
#[derive(Debug)]
pub struct Hub {
    streams: Vec<StreamHub>,
    next_id: AtomicU64,
    buffer_bytes: usize,
    grace: Duration,
    runtime: tokio::runtime::Handle,
    events: mpsc::UnboundedSender<ConnEvent>,
}

/// A connection opened, and the queue its body reads.
pub type Opened = (Arc<Conn>, mpsc::UnboundedReceiver<Frame>);

/// A connection refused because the stream has its `allowed` connections already.
#[derive(Clone, Copy, Debug)]
pub struct Full {
    /// The stream's connection limit.
    pub allowed: usize,
}

impl Hub {
    /// A hub for streams with these counters; every connection gets a queue of at most `buffer_bytes`
    /// (compressed) bytes, and one that overflowed is cut `grace` after its notice. Openings
    /// and ends are reported on `events`.
    pub fn new(
        streams: Vec<StreamCounters>,
        buffer_bytes: usize,
        grace: Duration,
        runtime: tokio::runtime::Handle,
        events: mpsc::UnboundedSender<ConnEvent>,
    ) -> Hub {
        Hub {
            streams: streams
                .into_iter()
                .map(|counters| StreamHub {
                    conns: Mutex::new(Vec::new()),
                    open: AtomicUsize::new(0),
                    overflowed_at: Mutex::new(None),
                    deflate: Mutex::new(StreamDeflate::default()),
                    counters: Arc::new(counters),
                })
                .collect(),
            next_id: AtomicU64::new(1),
            buffer_bytes,
            grace,
            runtime,
            events,
        }
    }

    /// Opens a connection on `stream`, unless it has `allowed` already.
    pub fn open(
        &self,
        stream: usize,
        allowed: usize,
        addr: String,
        user_agent: String,
        now_ms: u64,
    ) -> Result<Opened, (Full, Arc<Conn>)> {
        let (tx, rx) = mpsc::unbounded_channel();
        let conn = Arc::new(Conn {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            stream,
            addr,
            user_agent,
            opened_ms: now_ms,
            delivered: AtomicU64::new(0),
            tx,
            queued: AtomicUsize::new(0),
            limit: self.buffer_bytes,
            overflowed: AtomicBool::new(false),
            cut: CancellationToken::new(),
            ended: CancellationToken::new(),
            counters: self.streams[stream].counters.clone(),
        });
        let _ = self.events.send(ConnEvent::Opened(conn.clone()));
        let mut conns = lock(&self.streams[stream].conns);
        if conns.len() >= allowed {
            return Err((Full { allowed }, conn));
        }
        conns.push(conn.clone());
        self.streams[stream]
            .open
            .store(conns.len(), Ordering::Release);
        Ok((conn, rx))
    }

    /// Forgets a connection that ended, and reports it.
    pub fn close(&self, conn: &Arc<Conn>, reason: CloseReason, now_ms: u64) {
        let hub = &self.streams[conn.stream];
        let mut conns = lock(&hub.conns);
        conns.retain(|c| c.id != conn.id);
        hub.open.store(conns.len(), Ordering::Release);
        drop(conns);
        conn.ended.cancel();
        let _ = self.events.send(ConnEvent::Closed(Closed {
            conn: conn.clone(),
            reason,
            closed_ms: now_ms,
        }));
    }

    /// Whether `stream` has a connection open (a hint for the matcher: a post matched for a
    /// stream without connections is neither spliced nor counted against the daily cap).
    pub fn is_open(&self, stream: usize) -> bool {
        self.streams[stream].open.load(Ordering::Acquire) > 0
    }

    /// Whether a connection of `stream` was cut for not keeping up within `window`: a backfill
    /// over that time is refused, as PowerTrack refuses it after a full buffer.
    pub fn overflowed_within(&self, stream: usize, window: Duration) -> bool {
        lock(&self.streams[stream].overflowed_at).is_some_and(|at| at.elapsed() < window)
    }

    /// Open connections of `stream`.
    pub fn count(&self, stream: usize) -> usize {
        self.streams[stream].open.load(Ordering::Acquire)
    }

    /// The open connections of `stream`.
    pub fn connections(&self, stream: usize) -> Vec<Arc<Conn>> {
        lock(&self.streams[stream].conns).clone()
    }

    /// The stream's counters.
    pub fn counters(&self, stream: usize) -> &StreamCounters {
        &self.streams[stream].counters
    }

    /// Delivers a batch of `posts` posts (`data`: their lines, each ending in `\r\n`) to every
    /// connection of `stream`. Compresses once; never blocks on a client.
    pub fn publish(&self, stream: usize, data: &[u8], posts: u64) {
        let hub = &self.streams[stream];
        let conns = lock(&hub.conns).clone();
        if conns.is_empty() {
            return;
        }
        let chunk = Arc::new(lock(&hub.deflate).chunk(data, posts));
        let len = chunk.deflate.len();
        for conn in conns {
            if conn.overflowed() {
                hub.counters.dropped.inc_by(posts);
                continue;
            }
            let queued = conn.queued.fetch_add(len, Ordering::AcqRel) + len;
            if queued > conn.limit {
                conn.queued.fetch_sub(len, Ordering::AcqRel);
                hub.counters.dropped.inc_by(posts);
                self.overflow(&conn);
                continue;
            }
            if conn.tx.send(Frame::Chunk(chunk.clone())).is_err() {
                conn.queued.fetch_sub(len, Ordering::AcqRel);
            }
        }
    }

    fn overflow(&self, conn: &Arc<Conn>) {
        if conn.overflowed.swap(true, Ordering::AcqRel) {
            return;
        }
        tracing::warn!(conn = conn.id, stream = conn.stream, addr = %conn.addr, "a connection could not keep up; disconnecting it");
        *lock(&self.streams[conn.stream].overflowed_at) = Some(std::time::Instant::now());
        let _ = conn.tx.send(Frame::Close(CloseReason::CouldNotKeepUp));
        // The notice may never get through to a client that does not read: cut it.
        let cut = conn.cut.clone();
        let grace = self.grace;
        self.runtime.spawn(async move {
            tokio::time::sleep(grace).await;
            cut.cancel();
        });
    }

    /// Sends a message line (without ending the stream) to every connection of `stream`.
    pub fn message(&self, stream: usize, line: &str) {
        let line: Arc<str> = Arc::from(line);
        for conn in lock(&self.streams[stream].conns).iter() {
            let _ = conn.tx.send(Frame::Message(line.clone()));
        }
    }

    /// Ends every connection of every stream (a shutdown).
    pub fn close_all(&self, reason: CloseReason) {
        for s in &self.streams {
            for conn in lock(&s.conns).iter() {
                let _ = conn.tx.send(Frame::Close(reason));
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
