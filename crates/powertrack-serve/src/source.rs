//! Where posts come from besides `POST /ingest`: a file or standard input (NDJSON, plain,
//! gzip or zstd: [`crate::capture`]), or the synthetic firehose, optionally paced. A file's
//! position is kept in the firehose log with its lines, so a restarted server (even after
//! `kill -9`) goes on from the next line: no line is skipped or logged twice.

use std::io::{BufRead, BufReader, Read, Seek as _, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::log::{Mark, PostLog};
use crate::pipeline::{Batch, Reply};

/// An input of the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// NDJSON from a file (plain, gzip or zstd).
    File(PathBuf),
    /// NDJSON from standard input (plain, gzip or zstd).
    Stdin,
    /// The synthetic firehose with this seed.
    Generated(u64),
    /// Only `POST /ingest`.
    None,
}

impl Source {
    /// `PATH`, `-`, `gen` or `none`.
    pub fn parse(s: &str) -> Source {
        match s {
            "-" => Source::Stdin,
            "gen" => Source::Generated(1),
            "none" => Source::None,
            path => Source::File(PathBuf::from(path)),
        }
    }
}

/// Lines per batch at most (paced sources send one batch per 10 ms); a batch also closes
/// after this many bytes.
const BATCH_LINES: usize = 256;
const BATCH_BYTES: usize = 1 << 20;

/// Keeps a rate of at most `rate` lines a second, in ticks.
struct Pacer {
    rate: Option<u64>,
    start: Instant,
    sent: u64,
}

impl Pacer {
    /// Lines allowed in the batch being filled.
    fn allowance(&self) -> usize {
        match self.rate {
            None => BATCH_LINES,
            Some(r) => usize::try_from((r / 100).max(1))
                .unwrap_or(BATCH_LINES)
                .min(BATCH_LINES * 16),
        }
    }

    /// Waits until `lines` more lines are due.
    fn wait(&mut self, lines: u64) {
        self.sent += lines;
        if let Some(r) = self.rate {
            let due = Duration::from_micros(self.sent.saturating_mul(1_000_000) / r.max(1));
            if let Some(ahead) = due.checked_sub(self.start.elapsed()) {
                std::thread::sleep(ahead);
            }
        }
    }
}

/// How much of a file identifies it: a mark is only taken up by a file that starts the same.
const HEAD_BYTES: u64 = 256;

/// Where a file source has reached: kept in the log with the lines read up to there
/// ([`PostLog::append_marked`]), so that a restarted server goes on from the next line.
#[derive(Debug, Serialize, Deserialize)]
struct Position {
    /// The file's first [`HEAD_BYTES`] bytes, or all of it if shorter (base64): a file that
    /// still starts with them is the same file, maybe grown.
    head: String,
    /// Lines read.
    lines: u64,
    /// Bytes read (of the decompressed text, for a compressed file).
    offset: u64,
}

/// A file (or standard input) opened to be read, and where to begin.
struct Opened {
    reader: Box<dyn Read + Send>,
    /// The file's name in the log's marks and its head, when its position is kept.
    kept: Option<(String, String)>,
    /// Whether the file is compressed: resuming it decodes and drops `offset` bytes, where a
    /// plain file was opened at `offset` already.
    compressed: bool,
    /// Bytes read before this run (of the decompressed text, for a compressed file).
    offset: u64,
    /// Lines read before this run.
    lines: u64,
}

/// Opens a file source and finds where an earlier run left it: the log's mark of the file if
/// its head is unchanged (and `from_start` is off), else its first line.
fn open_file(
    path: &std::path::Path,
    log: &dyn PostLog,
    from_start: bool,
) -> std::io::Result<Opened> {
    let mut file = std::fs::File::open(path)?;
    let mut head = Vec::new();
    (&mut file).take(HEAD_BYTES).read_to_end(&mut head)?;
    file.seek(SeekFrom::Start(0))?;
    // A compressed file is resumed by decoding up to its mark; a plain one by seeking there.
    let compressed = crate::capture::Compression::of(&head) != crate::capture::Compression::None;
    let head = base64::engine::general_purpose::STANDARD.encode(&head);
    let name = format!("file:{}", std::fs::canonicalize(path)?.display());
    let mut opened = Opened {
        reader: Box::new(file),
        kept: Some((name.clone(), head.clone())),
        compressed,
        offset: 0,
        lines: 0,
    };
    let mark = match log.mark(&name) {
        Ok(m) => m.and_then(|m| serde_json::from_slice::<Position>(&m).ok()),
        Err(e) => {
            tracing::warn!(source = %path.display(), error = %e, "the log's mark of this file could not be read: reading it from its first line");
            None
        }
    };
    let Some(at) = mark else { return Ok(opened) };
    let len = std::fs::metadata(path)?.len();
    if from_start {
        tracing::info!(source = %path.display(), line = at.lines + 1, "reading the file from its first line, as asked, although an earlier run read it to here");
    } else if !same_start(&at.head, &head) || (!compressed && at.offset > len) {
        tracing::warn!(source = %path.display(), "the file is not the one an earlier run read (its start or length differ): reading it from its first line");
    } else {
        tracing::info!(source = %path.display(), line = at.lines + 1, "resuming the file where an earlier run left it");
        if !compressed {
            let mut file = std::fs::File::open(path)?;
            file.seek(SeekFrom::Start(at.offset))?;
            opened.reader = Box::new(file);
        }
        opened.lines = at.lines;
        opened.offset = at.offset;
    }
    Ok(opened)
}

/// Whether a file whose head is `now` starts with the head `then` an earlier run saw (both
/// base64): the same file, grown or not. A file shorter than [`HEAD_BYTES`] then had all of
/// its head in it.
fn same_start(then: &str, now: &str) -> bool {
    let b64 = &base64::engine::general_purpose::STANDARD;
    match (b64.decode(then), b64.decode(now)) {
        (Ok(then), Ok(now)) => !then.is_empty() && now.starts_with(&then),
        _ => false,
    }
}

/// Reads `source` into batches on `tx` in a thread of its own; `rate` paces it (lines/s). A
/// file goes on where an earlier run's mark in `log` says it stopped, unless `from_start`.
pub fn spawn(
    source: Source,
    rate: Option<u64>,
    tx: mpsc::Sender<Batch>,
    log: &dyn PostLog,
    from_start: bool,
) -> std::io::Result<Option<JoinHandle<()>>> {
    let name: Arc<str> = match &source {
        Source::File(p) => Arc::from(p.display().to_string()),
        Source::Stdin => Arc::from("-"),
        Source::Generated(_) => Arc::from("gen"),
        Source::None => return Ok(None),
    };
    let opened = match &source {
        Source::File(p) => Some(open_file(p, log, from_start)?),
        Source::Stdin => Some(Opened {
            reader: Box::new(std::io::stdin()),
            kept: None,
            compressed: false,
            offset: 0,
            lines: 0,
        }),
        _ => None,
    };
    let handle = std::thread::Builder::new()
        .name("powertrack-source".into())
        .spawn(move || {
            let pacer = Pacer {
                rate,
                start: Instant::now(),
                sent: 0,
            };
            match (source, opened) {
                (Source::Generated(seed), _) => generated(seed, pacer, &tx),
                (_, Some(opened)) => read_lines(opened, &name, pacer, &tx),
                _ => {}
            }
        })?;
    Ok(Some(handle))
}

/// A batch sent and not yet taken by the log.
struct InFlight {
    reply: oneshot::Receiver<Reply>,
    data: Bytes,
    first_line: u64,
    mark: Option<Mark>,
}

/// Waits until the log has taken `batch`, sending it again (every second) while the log
/// refuses it (a full disk): a read line is never skipped. `false` once the server stops.
fn settle(mut batch: InFlight, name: &Arc<str>, tx: &mpsc::Sender<Batch>) -> bool {
    let mut said = false;
    loop {
        match batch.reply.blocking_recv() {
            Ok(Ok(_)) => {
                if said {
                    tracing::info!(source = %name, line = batch.first_line, "the log took the lines it had refused; reading goes on");
                }
                return true;
            }
            Ok(Err(e)) => {
                if !said {
                    tracing::warn!(source = %name, line = batch.first_line, error = %e, "the log refused these lines: reading waits, and they are sent again every second until it takes them");
                    said = true;
                }
                std::thread::sleep(Duration::from_secs(1));
                let (reply, rx) = oneshot::channel();
                let again = Batch {
                    data: batch.data.clone(),
                    source: name.clone(),
                    first_line: batch.first_line,
                    arrived: Instant::now(),
                    reply: Some(reply),
                    mark: batch.mark.clone(),
                };
                if tx.blocking_send(again).is_err() {
                    return false;
                }
                batch.reply = rx;
            }
            Err(_) => return false,
        }
    }
}

fn read_lines(opened: Opened, name: &Arc<str>, mut pacer: Pacer, tx: &mpsc::Sender<Batch>) {
    let mut input = match crate::capture::decoded(opened.reader) {
        Ok((text, _)) => BufReader::with_capacity(1 << 16, text),
        Err(e) => {
            tracing::error!(source = %name, error = %e, "the input cannot be read");
            return;
        }
    };
    let mut offset = opened.offset;
    let skip = if opened.compressed { opened.offset } else { 0 };
    if skip > 0 {
        match std::io::copy(&mut (&mut input).take(skip), &mut std::io::sink()) {
            Ok(n) if n == skip => {}
            Ok(_) => {
                tracing::warn!(source = %name, line = opened.lines + 1, "the file ends before the line an earlier run reached: nothing more to read");
                return;
            }
            Err(e) => {
                tracing::error!(source = %name, error = %e, "the input ends here: it cannot be read further");
                return;
            }
        }
    }
    let mut line_no: u64 = opened.lines + 1;
    let mut buf = BytesMut::with_capacity(BATCH_BYTES);
    let mut line = Vec::new();
    // One batch in flight: the next is read while the server logs and matches it, and sent
    // only once the log has taken it, so that marks advance in order over every line.
    let mut in_flight: Option<InFlight> = None;
    loop {
        let first = line_no;
        let mut n = 0usize;
        let allowance = pacer.allowance();
        let mut eof = false;
        while n < allowance && buf.len() < BATCH_BYTES {
            line.clear();
            match input.read_until(b'\n', &mut line) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(_) => {
                    offset += line.len() as u64;
                    buf.extend_from_slice(&line);
                    if !line.ends_with(b"\n") {
                        buf.extend_from_slice(b"\n");
                    }
                    n += 1;
                    line_no += 1;
                }
                Err(e) => {
                    tracing::error!(source = %name, line = line_no, error = %e, "the input ends here: it cannot be read further");
                    eof = true;
                    break;
                }
            }
        }
        if let Some(previous) = in_flight.take()
            && !settle(previous, name, tx)
        {
            return;
        }
        if n > 0 {
            let mark = opened.kept.as_ref().map(|(input, head)| Mark {
                input: input.clone(),
                position: serde_json::to_vec(&Position {
                    head: head.clone(),
                    lines: line_no - 1,
                    offset,
                })
                .unwrap_or_default(),
            });
            let data = buf.split().freeze();
            let (reply, rx) = oneshot::channel();
            let batch = Batch {
                data: data.clone(),
                source: name.clone(),
                first_line: first,
                arrived: Instant::now(),
                reply: Some(reply),
                mark: mark.clone(),
            };
            if tx.blocking_send(batch).is_err() {
                return;
            }
            in_flight = Some(InFlight {
                reply: rx,
                data,
                first_line: first,
                mark,
            });
            pacer.wait(n as u64);
        }
        if eof {
            if let Some(last) = in_flight.take()
                && !settle(last, name, tx)
            {
                return;
            }
            tracing::info!(source = %name, lines = line_no - 1, "input finished");
            return;
        }
    }
}

fn generated(seed: u64, mut pacer: Pacer, tx: &mpsc::Sender<Batch>) {
    let name: Arc<str> = Arc::from("gen");
    let mut generator = powertrack_gen::firehose::FirehoseGenerator::new(seed);
    let mut line_no = 1u64;
    loop {
        let mut buf = Vec::with_capacity(BATCH_BYTES);
        let n = pacer.allowance();
        for _ in 0..n {
            buf.extend_from_slice(generator.next_line().line());
            if !buf.ends_with(b"\n") {
                buf.push(b'\n');
            }
        }
        let batch = Batch {
            data: Bytes::from(buf),
            source: name.clone(),
            first_line: line_no,
            arrived: Instant::now(),
            reply: None,
            mark: None,
        };
        line_no += n as u64;
        if tx.blocking_send(batch).is_err() {
            return;
        }
        pacer.wait(n as u64);
    }
}
