//! The firehose log: every input post, in arrival order, with its arrival time, kept for the
//! retention period (24 h by default) within a size budget, so that a stream can be backfilled
//! and a window of the last day recovered.
//!
//! [`PostLog`] is what the service needs of a log; [`EmbeddedLog`] keeps it in `--data-dir/log`
//! with fjall, a maintained LSM store. Each appended batch is one record: the key is its arrival
//! time and first sequence number (big-endian, so keys grow with time and a time range is a key
//! range: opening the log reads none of it), the value the batch's posts compressed together
//! with zstd (posts of one batch share most of their vocabulary, which per-post or per-block
//! compression cannot exploit). fjall's FIFO compaction drops the oldest tables first, past the
//! retention time or the size budget; its journal makes an append survive a `kill -9` as soon
//! as the append returns (the bytes are in the kernel), and [`Fsync`] decides when they are
//! forced to the disk: at every append, or every few milliseconds for all appends in between
//! (group commit). A torn journal tail after a crash is cut off by fjall's recovery when the log
//! is opened, never served.

use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use bytes::Bytes;
use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};
use tokio::sync::watch;

/// When appends are forced to the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Fsync {
    /// Every append is fsynced before it is acknowledged.
    Always,
    /// Appends are fsynced together every [`BATCH_WINDOW`]; each is acknowledged once its
    /// group is on disk.
    Batch,
}

/// The group-commit window of [`Fsync::Batch`].
pub const BATCH_WINDOW: Duration = Duration::from_millis(5);

/// Posts per record at most: larger batches are split.
const RECORD_POSTS: usize = 512;

/// zstd's level: 1, the fastest; on posts it compresses as well as 3 (6.2×).
const ZSTD_LEVEL: i32 = 1;

/// How a log is kept.
#[derive(Clone, Debug)]
pub struct LogConfig {
    /// Posts older than this are dropped.
    pub retention: Duration,
    /// The log's size budget on disk; the oldest posts go first past it.
    pub max_bytes: u64,
    /// When appends reach the disk.
    pub fsync: Fsync,
}

impl Default for LogConfig {
    fn default() -> LogConfig {
        LogConfig {
            retention: Duration::from_secs(24 * 3600),
            max_bytes: 10_000_000_000,
            fsync: Fsync::Batch,
        }
    }
}

/// Why the log failed.
#[derive(Debug)]
pub struct LogError(String);

impl LogError {
    /// An error saying `message`.
    pub(crate) fn new(message: impl Into<String>) -> LogError {
        LogError(message.into())
    }
}

impl std::fmt::Display for LogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LogError {}

impl From<fjall::Error> for LogError {
    fn from(e: fjall::Error) -> LogError {
        LogError(e.to_string())
    }
}

impl From<std::io::Error> for LogError {
    fn from(e: std::io::Error) -> LogError {
        LogError(e.to_string())
    }
}

/// A post read back from the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    /// Its sequence number (1, 2, … in arrival order, never reused).
    pub seq: u64,
    /// When it arrived (Unix ms).
    pub arrival_ms: u64,
    /// The post's line, as it arrived.
    pub line: Bytes,
}

/// Where a read stopped, to go on from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The key of the record to start at (its arrival time and first sequence number).
    arrival_ms: u64,
    first: u64,
    /// The next post to read in it.
    seq: u64,
}

impl Cursor {
    /// The first post that arrived at or after `arrival_ms`.
    pub fn at(arrival_ms: u64) -> Cursor {
        Cursor {
            arrival_ms,
            first: 0,
            seq: 0,
        }
    }

    /// The post numbered `seq` (logs whose reads go by sequence number).
    pub(crate) fn at_seq(seq: u64) -> Cursor {
        Cursor {
            arrival_ms: 0,
            first: 0,
            seq,
        }
    }

    /// The arrival time it starts at, and the sequence number (0: the first at that time).
    pub(crate) fn position(&self) -> (u64, u64) {
        (self.arrival_ms, self.seq)
    }
}

/// What is durable: every sequence number up to `seq`, except those in `failed` (ranges
/// `(after, through]` whose sync failed; they will never be durable).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Durability {
    /// Durable through this sequence number.
    pub seq: u64,
    /// Ranges that failed, newest last (the last 64).
    pub failed: Vec<(u64, u64)>,
}

impl Durability {
    /// `Some(true)` once `seq` is durable, `Some(false)` if it never will be, `None` while
    /// pending.
    pub fn of(&self, seq: u64) -> Option<bool> {
        if self
            .failed
            .iter()
            .any(|&(after, through)| after < seq && seq <= through)
        {
            Some(false)
        } else if seq <= self.seq {
            Some(true)
        } else {
            None
        }
    }

    fn fail(&mut self, through: u64) {
        if self.failed.len() == 64 {
            self.failed.remove(0);
        }
        self.failed.push((self.seq, through));
        self.seq = self.seq.max(through);
    }
}

/// A log's figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogStats {
    /// The last sequence number given (0: none yet).
    pub last_seq: u64,
    /// The last sequence number on disk under the fsync policy.
    pub durable_seq: u64,
    /// Bytes the log takes on disk.
    pub disk_bytes: u64,
    /// The arrival time of the oldest post kept.
    pub oldest_ms: Option<u64>,
    /// Bytes of a torn record cut off the journal's end when the log was opened (a crash in
    /// the middle of a write).
    pub torn_bytes: u64,
}

/// Where an input (a file the server reads) has reached, recorded with the posts read up to
/// there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    /// The input's name (unique per input, e.g. `file:/abs/path`).
    pub input: String,
    /// Its position, in the input's own encoding.
    pub position: Vec<u8>,
}

/// What the service needs of a firehose log (one implementation is embedded; the scale-out
/// issue puts another on a replicated stream).
pub trait PostLog: Send + Sync + std::fmt::Debug {
    /// Appends one batch of posts that arrived at `arrival_ms`, in order, and returns their
    /// sequence numbers. The posts are readable at once, and durable (see [`PostLog::durable`])
    /// once the durable sequence number reaches the range's end.
    fn append(&self, arrival_ms: u64, posts: &[&[u8]]) -> Result<Range<u64>, LogError> {
        self.append_marked(arrival_ms, posts, None)
    }

    /// [`PostLog::append`], and in the same atomic write, where the input the posts came from
    /// has reached ([`Mark`]): after a crash either both are in the log or neither is, so an
    /// input that resumes from its mark neither skips nor repeats a post.
    fn append_marked(
        &self,
        arrival_ms: u64,
        posts: &[&[u8]],
        mark: Option<&Mark>,
    ) -> Result<Range<u64>, LogError>;

    /// The position last marked for the input `input` (see [`PostLog::append_marked`]).
    fn mark(&self, input: &str) -> Result<Option<Vec<u8>>, LogError>;

    /// What is durable, as it moves (see [`Durability::of`]).
    fn durable(&self) -> watch::Receiver<Durability>;

    /// Up to `max` posts from `from` that arrived before `until_ms` and whose sequence numbers
    /// are at most `last_seq`, in order, and where to go on from (`None`: nothing more). Posts
    /// past the retention may still be read until the store drops them (lazily); callers bound
    /// their windows.
    fn read(
        &self,
        from: Cursor,
        until_ms: u64,
        last_seq: u64,
        max: usize,
    ) -> Result<(Vec<Logged>, Option<Cursor>), LogError>;

    /// Its figures.
    fn stats(&self) -> LogStats;
}

/// The embedded log (fjall in `DIR`).
pub struct EmbeddedLog {
    dir: std::path::PathBuf,
    /// The store; reopened after a write failed (fjall refuses all writes after one), so that
    /// the log resumes once the disk has room again.
    store: std::sync::RwLock<Option<Store>>,
    broken: AtomicBool,
    config: LogConfig,
    /// Serialises appends: keys must grow.
    writer: Mutex<Writer>,
    last_seq: AtomicU64,
    durable_tx: watch::Sender<Durability>,
    syncer: Option<Arc<Syncer>>,
    torn_bytes: u64,
}

struct Store {
    db: Database,
    posts: Keyspace,
    /// Each input's [`Mark`], by name.
    marks: Keyspace,
}

impl Store {
    fn open(dir: &Path, config: &LogConfig) -> Result<Store, LogError> {
        let db = Database::builder(dir).open()?;
        let ttl = config.retention.as_secs().max(1);
        let max_bytes = config.max_bytes;
        let posts = db.keyspace("posts", move || {
            KeyspaceCreateOptions::default()
                .compaction_strategy(Arc::new(fjall::compaction::Fifo::new(max_bytes, Some(ttl))))
                // Values are zstd already.
                .data_block_compression_policy(fjall::config::CompressionPolicy::all(
                    fjall::CompressionType::None,
                ))
        })?;
        let marks = db.keyspace("marks", KeyspaceCreateOptions::default)?;
        Ok(Store { db, posts, marks })
    }
}

impl std::fmt::Debug for EmbeddedLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedLog")
            .field("config", &self.config)
            .field("last_seq", &self.last_seq)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct Writer {
    next_seq: u64,
    last_arrival_ms: u64,
}

/// The group-commit thread's state.
#[derive(Debug, Default)]
struct Syncer {
    written: Mutex<u64>,
    wake: Condvar,
    stop: AtomicBool,
}

fn key(arrival_ms: u64, seq: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&arrival_ms.to_be_bytes());
    k[8..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn parse_key(k: &[u8]) -> Option<(u64, u64)> {
    let a = u64::from_be_bytes(k.get(..8)?.try_into().ok()?);
    let s = u64::from_be_bytes(k.get(8..16)?.try_into().ok()?);
    Some((a, s))
}

/// A record's value: zstd of `count: u32`, `count` lengths (`u32`), then the posts.
fn encode(posts: &[&[u8]]) -> Result<Vec<u8>, LogError> {
    use std::io::Write as _;
    // Streamed into the compressor: the batch is not copied into one buffer first.
    let total: usize = posts.iter().map(|p| p.len()).sum();
    let mut z = zstd::stream::Encoder::new(Vec::with_capacity(total / 4 + 64), ZSTD_LEVEL)?;
    z.set_pledged_src_size(Some((4 + posts.len() * 4 + total) as u64))?;
    z.write_all(&u32::try_from(posts.len()).unwrap_or(u32::MAX).to_le_bytes())?;
    for p in posts {
        z.write_all(&u32::try_from(p.len()).unwrap_or(u32::MAX).to_le_bytes())?;
    }
    for p in posts {
        z.write_all(p)?;
    }
    Ok(z.finish()?)
}

fn decode(value: &[u8]) -> Result<Vec<Bytes>, LogError> {
    let raw = Bytes::from(zstd::stream::decode_all(value)?);
    let bad = || LogError("a log record is corrupt".into());
    let count = u32::from_le_bytes(
        raw.get(..4)
            .ok_or_else(bad)?
            .try_into()
            .map_err(|_| bad())?,
    );
    let count = usize::try_from(count).map_err(|_| bad())?;
    let mut at = 4 + count.checked_mul(4).ok_or_else(bad)?;
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let l = raw.get(4 + i * 4..8 + i * 4).ok_or_else(bad)?;
        let len = usize::try_from(u32::from_le_bytes(l.try_into().map_err(|_| bad())?))
            .map_err(|_| bad())?;
        if at + len > raw.len() {
            return Err(bad());
        }
        out.push(raw.slice(at..at + len));
        at += len;
    }
    Ok(out)
}

impl EmbeddedLog {
    /// Opens (or creates) the log in `dir`. Reads only the newest record's key.
    pub fn open(dir: &Path, config: LogConfig) -> Result<EmbeddedLog, LogError> {
        std::fs::create_dir_all(dir)?;
        // fjall's recovery cuts a torn record off the newest journal. Journals are preallocated
        // (zeros), so the torn bytes are those between the recovered length and the last
        // non-zero byte before opening.
        let newest = newest_journal(dir).and_then(|p| Some((last_nonzero(&p).ok()?, p)));
        let store = Store::open(dir, &config)?;
        let torn_bytes = newest.map_or(0, |(end, path)| {
            std::fs::metadata(&path).map_or(0, |m| end.saturating_sub(m.len()))
        });
        if torn_bytes > 0 {
            tracing::warn!(dir = %dir.display(), bytes = torn_bytes, "a torn record at the end of the log's journal was cut off (a crash in the middle of a write); it was never acknowledged");
        }
        let (last_seq, last_arrival_ms) = match store.posts.last_key_value() {
            Some(kv) => {
                let (k, v) = kv.into_inner()?;
                let (arrival, first) =
                    parse_key(&k).ok_or_else(|| LogError("a log key is corrupt".into()))?;
                let n = decode(&v)?.len() as u64;
                (first + n - 1, arrival)
            }
            None => (0, 0),
        };
        let (durable_tx, _) = watch::channel(Durability {
            seq: last_seq,
            failed: Vec::new(),
        });
        let syncer = (config.fsync == Fsync::Batch).then(|| Arc::new(Syncer::default()));
        let log = EmbeddedLog {
            dir: dir.to_path_buf(),
            store: std::sync::RwLock::new(Some(store)),
            broken: AtomicBool::new(false),
            config,
            writer: Mutex::new(Writer {
                next_seq: last_seq + 1,
                last_arrival_ms,
            }),
            last_seq: AtomicU64::new(last_seq),
            durable_tx,
            syncer,
            torn_bytes,
        };
        Ok(log)
    }

    /// Starts the group-commit thread ([`Fsync::Batch`]); it stops when the log is dropped.
    pub fn start(self) -> Result<Arc<EmbeddedLog>, LogError> {
        let log = Arc::new(self);
        if let Some(syncer) = log.syncer.clone() {
            let weak = Arc::downgrade(&log);
            std::thread::Builder::new()
                .name("powertrack-fsync".into())
                .spawn(move || group_commit(&weak, &syncer))?;
        }
        Ok(log)
    }

    fn store(&self) -> Result<std::sync::RwLockReadGuard<'_, Option<Store>>, LogError> {
        let guard = self
            .store
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.is_none() {
            return Err(LogError(
                "the log is not open (it failed and could not be reopened yet)".into(),
            ));
        }
        Ok(guard)
    }

    fn persist(&self) -> Result<(), LogError> {
        let store = self.store()?;
        let result = store.as_ref().map(|s| s.db.persist(PersistMode::SyncAll));
        match result {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => {
                self.broken.store(true, Ordering::Release);
                Err(e.into())
            }
            None => Err(LogError("the log is not open".into())),
        }
    }

    /// After a failed write: closes the store and opens it again (fjall's recovery cuts off a
    /// torn tail), so that appends resume once the cause (a full disk) is gone.
    fn reopen(&self) -> Result<(), LogError> {
        let mut store = self
            .store
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *store = None; // closes the database, and its lock on the directory
        let opened = Store::open(&self.dir, &self.config)?;
        *store = Some(opened);
        self.broken.store(false, Ordering::Release);
        tracing::info!(dir = %self.dir.display(), "the firehose log was reopened after a write failure");
        Ok(())
    }
}

/// The newest journal file under `dir`.
fn newest_journal(dir: &Path) -> Option<std::path::PathBuf> {
    let mut newest: Option<(std::time::SystemTime, std::path::PathBuf)> = None;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "jnl")
                && let Ok(modified) = meta.modified()
                && newest.as_ref().is_none_or(|n| modified > n.0)
            {
                newest = Some((modified, path));
            }
        }
    }
    newest.map(|(_, path)| path)
}

/// The length of `path` without its trailing zero bytes.
fn last_nonzero(path: &Path) -> std::io::Result<u64> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    let mut end = file.metadata()?.len();
    let mut buf = vec![0u8; 1 << 20];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let len = usize::try_from(end - start).unwrap_or(0);
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf[..len])?;
        if let Some(i) = buf[..len].iter().rposition(|&b| b != 0) {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// Every [`BATCH_WINDOW`] with appends in it: one fsync for all of them.
fn group_commit(log: &std::sync::Weak<EmbeddedLog>, syncer: &Syncer) {
    let mut done = 0u64;
    loop {
        {
            let mut written = syncer
                .written
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            while *written <= done && !syncer.stop.load(Ordering::Acquire) {
                written = syncer
                    .wake
                    .wait(written)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        }
        if syncer.stop.load(Ordering::Acquire) {
            return;
        }
        std::thread::sleep(BATCH_WINDOW);
        let Some(log) = log.upgrade() else { return };
        let target = *syncer
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match log.persist() {
            Ok(()) => {
                log.durable_tx.send_modify(|d| d.seq = d.seq.max(target));
            }
            Err(e) => {
                tracing::error!(error = %e, through = target, "the log could not be synced to disk; those appends are refused");
                log.durable_tx.send_modify(|d| d.fail(target));
            }
        }
        done = target;
    }
}

impl Drop for EmbeddedLog {
    fn drop(&mut self) {
        if let Some(s) = &self.syncer {
            s.stop.store(true, Ordering::Release);
            s.wake.notify_all();
        }
        if let Ok(store) = self.store.read()
            && let Some(s) = store.as_ref()
        {
            let _ = s.db.persist(PersistMode::SyncAll);
        }
    }
}

impl PostLog for EmbeddedLog {
    fn append_marked(
        &self,
        arrival_ms: u64,
        posts: &[&[u8]],
        mark: Option<&Mark>,
    ) -> Result<Range<u64>, LogError> {
        if posts.is_empty() && mark.is_none() {
            let next = self.last_seq.load(Ordering::Acquire) + 1;
            return Ok(next..next);
        }
        // Compressed before the writer's lock: concurrent appenders compress in parallel, and
        // only the inserts are serialised.
        let values = posts
            .chunks(RECORD_POSTS)
            .map(|chunk| Ok((chunk.len() as u64, encode(chunk)?)))
            .collect::<Result<Vec<_>, LogError>>()?;
        let mut w = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.broken.load(Ordering::Acquire) {
            self.reopen()?;
        }
        // Keys must grow: a clock that steps back does not reorder the log.
        let arrival_ms = arrival_ms.max(w.last_arrival_ms);
        let first = w.next_seq;
        let mut seq = first;
        {
            let store = self.store()?;
            let Some(s) = store.as_ref() else {
                return Err(LogError("the log is not open".into()));
            };
            // One atomic write: a crash keeps all of the batch and its mark, or none of it.
            let mut write = s.db.batch();
            for (len, value) in values {
                write.insert(&s.posts, key(arrival_ms, seq), value);
                seq += len;
            }
            if let Some(m) = mark {
                write.insert(&s.marks, m.input.as_bytes(), m.position.as_slice());
            }
            if let Err(e) = write.commit() {
                // Nothing of this batch is acknowledged; the next append reopens.
                self.broken.store(true, Ordering::Release);
                w.next_seq = seq;
                return Err(e.into());
            }
        }
        w.next_seq = seq;
        w.last_arrival_ms = arrival_ms;
        let last = seq - 1;
        self.last_seq.store(last, Ordering::Release);
        drop(w);
        if let Some(s) = &self.syncer {
            let mut written = s
                .written
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *written = (*written).max(last);
            s.wake.notify_one();
        } else {
            if let Err(e) = self.persist() {
                self.durable_tx.send_modify(|d| d.fail(last));
                return Err(e);
            }
            self.durable_tx.send_modify(|d| d.seq = d.seq.max(last));
        }
        Ok(first..seq)
    }

    fn mark(&self, input: &str) -> Result<Option<Vec<u8>>, LogError> {
        let store = self.store()?;
        let Some(s) = store.as_ref() else {
            return Err(LogError("the log is not open".into()));
        };
        Ok(s.marks.get(input.as_bytes())?.map(|v| v.to_vec()))
    }

    fn durable(&self) -> watch::Receiver<Durability> {
        self.durable_tx.subscribe()
    }

    fn read(
        &self,
        from: Cursor,
        until_ms: u64,
        last_seq: u64,
        max: usize,
    ) -> Result<(Vec<Logged>, Option<Cursor>), LogError> {
        let start = from;
        let mut out = Vec::new();
        // From the record the cursor is in (many records can share an arrival millisecond).
        let lower = key(start.arrival_ms, start.first);
        let upper = key(until_ms, 0);
        let store = self.store()?;
        let Some(s) = store.as_ref() else {
            return Err(LogError("the log is not open".into()));
        };
        for kv in s.posts.range(lower..upper) {
            let (k, v) = kv.into_inner()?;
            let Some((arrival_ms, first)) = parse_key(&k) else {
                continue;
            };
            if first > last_seq {
                return Ok((out, None));
            }
            for (i, line) in decode(&v)?.into_iter().enumerate() {
                let seq = first + i as u64;
                if seq < start.seq {
                    continue;
                }
                if seq > last_seq {
                    return Ok((out, None));
                }
                if out.len() == max {
                    let next = Cursor {
                        arrival_ms,
                        first,
                        seq,
                    };
                    return Ok((out, Some(next)));
                }
                out.push(Logged {
                    seq,
                    arrival_ms,
                    line,
                });
            }
        }
        Ok((out, None))
    }

    fn stats(&self) -> LogStats {
        LogStats {
            last_seq: self.last_seq.load(Ordering::Acquire),
            durable_seq: self.durable_tx.borrow().seq,
            disk_bytes: self
                .store
                .read()
                .ok()
                .and_then(|s| s.as_ref().and_then(|s| s.db.disk_space().ok()))
                .unwrap_or(0),
            torn_bytes: self.torn_bytes,
            oldest_ms: self
                .store
                .read()
                .ok()
                .and_then(|s| s.as_ref().and_then(|s| s.posts.first_key_value()))
                .and_then(|kv| kv.key().ok())
                .and_then(|k| parse_key(&k))
                .map(|(a, _)| a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now_ms() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    fn open(dir: &Path, fsync: Fsync) -> Arc<EmbeddedLog> {
        EmbeddedLog::open(
            dir,
            LogConfig {
                fsync,
                ..LogConfig::default()
            },
        )
        .unwrap()
        .start()
        .unwrap()
    }

    #[test]
    fn appends_read_back_in_order_across_records_and_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let now = now_ms();
        let lines: Vec<Vec<u8>> = (0..1_200)
            .map(|i| format!("{{\"id\":{i}}}").into_bytes())
            .collect();
        {
            let log = open(dir.path(), Fsync::Always);
            let refs: Vec<&[u8]> = lines[..1_000].iter().map(Vec::as_slice).collect();
            assert_eq!(log.append(now - 5_000, &refs).unwrap(), 1..1_001);
            let refs: Vec<&[u8]> = lines[1_000..].iter().map(Vec::as_slice).collect();
            assert_eq!(log.append(now - 1_000, &refs).unwrap(), 1_001..1_201);
            assert_eq!(log.durable().borrow().of(1_200), Some(true));
        }
        let log = open(dir.path(), Fsync::Batch);
        assert_eq!(log.stats().last_seq, 1_200);
        // Everything, in pages of 300.
        let mut cursor = Some(Cursor::at(0));
        let mut got = Vec::new();
        while let Some(c) = cursor {
            let (page, next) = log.read(c, u64::MAX, u64::MAX, 300).unwrap();
            assert!(page.len() <= 300);
            got.extend(page);
            cursor = next;
        }
        assert_eq!(got.len(), 1_200);
        for (i, p) in got.iter().enumerate() {
            assert_eq!(p.seq, i as u64 + 1);
            assert_eq!(&p.line[..], &lines[i][..]);
        }
        // A time window, and a sequence bound.
        let (page, _) = log
            .read(Cursor::at(now - 2_000), u64::MAX, u64::MAX, 10_000)
            .unwrap();
        assert_eq!(page.first().map(|p| p.seq), Some(1_001));
        let (page, _) = log
            .read(Cursor::at(0), now - 2_000, u64::MAX, 10_000)
            .unwrap();
        assert_eq!(page.last().map(|p| p.seq), Some(1_000));
        let (page, _) = log.read(Cursor::at(0), u64::MAX, 10, 10_000).unwrap();
        assert_eq!(page.len(), 10);
        // New appends go on from the last sequence number, and are acknowledged by the group
        // commit.
        let mut durable = log.durable();
        assert_eq!(log.append(now, &[b"{}"]).unwrap(), 1_201..1_202);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while durable.borrow_and_update().of(1_201) != Some(true) {
            assert!(
                std::time::Instant::now() < deadline,
                "the group commit syncs"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_mark_is_kept_with_its_batch_and_read_back_after_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let now = now_ms();
        let mark = |p: &str| Mark {
            input: "file:/in".into(),
            position: p.as_bytes().to_vec(),
        };
        {
            let log = open(dir.path(), Fsync::Always);
            assert_eq!(log.mark("file:/in").unwrap(), None);
            assert_eq!(
                log.append_marked(now, &[b"{\"id\":1}"], Some(&mark("1")))
                    .unwrap(),
                1..2
            );
            log.append_marked(now, &[b"{\"id\":2}", b"{\"id\":3}"], Some(&mark("3")))
                .unwrap();
            // Unmarked appends (ingest) leave the mark alone.
            log.append(now, &[b"{\"id\":4}"]).unwrap();
            assert_eq!(log.mark("file:/in").unwrap(), Some(b"3".to_vec()));
            assert_eq!(log.mark("file:/other").unwrap(), None);
        }
        let log = open(dir.path(), Fsync::Always);
        assert_eq!(log.mark("file:/in").unwrap(), Some(b"3".to_vec()));
        assert_eq!(log.stats().last_seq, 4);
    }

    #[test]
    fn a_torn_tail_is_cut_off_counted_and_never_read() {
        let dir = tempfile::tempdir().unwrap();
        let now = now_ms();
        {
            let log = open(dir.path(), Fsync::Always);
            log.append(now, &[b"{\"id\":1}", b"{\"id\":2}"]).unwrap();
            assert_eq!(log.stats().torn_bytes, 0);
        }
        // A clean reopen cuts nothing.
        assert_eq!(open(dir.path(), Fsync::Always).stats().torn_bytes, 0);
        let journal = newest_journal(dir.path()).expect("a journal file");
        let end = last_nonzero(&journal).unwrap();
        {
            use std::io::{Seek as _, SeekFrom, Write as _};
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&journal)
                .unwrap();
            f.seek(SeekFrom::Start(end)).unwrap();
            f.write_all(&[0xa5; 97]).unwrap();
        }
        let log = open(dir.path(), Fsync::Always);
        assert_eq!(log.stats().torn_bytes, 97);
        let (page, _) = log.read(Cursor::at(0), u64::MAX, u64::MAX, 10).unwrap();
        let lines: Vec<&[u8]> = page.iter().map(|p| &p.line[..]).collect();
        assert_eq!(lines, [&b"{\"id\":1}"[..], b"{\"id\":2}"]);
        assert_eq!(log.append(now, &[b"{\"id\":3}"]).unwrap(), 3..4);
    }
}
