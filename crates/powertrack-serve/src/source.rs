//! Where posts come from besides `POST /ingest`: a file or standard input (NDJSON, gzip
//! detected by its magic bytes), or the synthetic firehose, optionally paced.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;

use crate::pipeline::Batch;

/// An input of the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// NDJSON from a file (plain or gzip).
    File(PathBuf),
    /// NDJSON from standard input (plain or gzip).
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

/// Reads `source` into batches on `tx` in a thread of its own; `rate` paces it (lines/s).
pub fn spawn(
    source: Source,
    rate: Option<u64>,
    tx: mpsc::Sender<Batch>,
) -> std::io::Result<Option<JoinHandle<()>>> {
    let name: Arc<str> = match &source {
        Source::File(p) => Arc::from(p.display().to_string()),
        Source::Stdin => Arc::from("-"),
        Source::Generated(_) => Arc::from("gen"),
        Source::None => return Ok(None),
    };
    let reader: Option<Box<dyn Read + Send>> = match &source {
        Source::File(p) => Some(Box::new(std::fs::File::open(p)?)),
        Source::Stdin => Some(Box::new(std::io::stdin())),
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
            match (source, reader) {
                (Source::Generated(seed), _) => generated(seed, pacer, &tx),
                (_, Some(reader)) => read_lines(reader, &name, pacer, &tx),
                _ => {}
            }
        })?;
    Ok(Some(handle))
}

fn read_lines(
    reader: Box<dyn Read + Send>,
    name: &Arc<str>,
    mut pacer: Pacer,
    tx: &mpsc::Sender<Batch>,
) {
    let mut raw = BufReader::with_capacity(1 << 16, reader);
    let gzip = raw.fill_buf().is_ok_and(|b| b.starts_with(&[0x1f, 0x8b]));
    let mut input: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };
    let mut line_no: u64 = 1;
    let mut buf = BytesMut::with_capacity(BATCH_BYTES);
    let mut line = Vec::new();
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
        if n > 0 {
            let batch = Batch {
                data: buf.split().freeze(),
                source: name.clone(),
                first_line: first,
                arrived: Instant::now(),
                reply: None,
            };
            if tx.blocking_send(batch).is_err() {
                return;
            }
            pacer.wait(n as u64);
        }
        if eof {
            tracing::info!(source = %name, lines = line_no - 1, "input finished");
            return;
        }
    }
}

fn generated(seed: u64, mut pacer: Pacer, tx: &mpsc::Sender<Batch>) {
    let name: Arc<str> = Arc::from("gen");
    let mut generator = powertrack::generate::firehose::FirehoseGenerator::new(seed);
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
        };
        line_no += n as u64;
        if tx.blocking_send(batch).is_err() {
            return;
        }
        pacer.wait(n as u64);
    }
}
