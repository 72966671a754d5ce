//! Reading the inputs of `powertrack match` on a thread of their own: lines are cut into
//! chunks and sent to the matcher as soon as they arrive, so a slow stream is matched post by
//! post (nothing waits for a full batch) while a fast one fills large batches.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Lines per chunk at most.
const CHUNK_LINES: usize = 256;
/// Bytes per chunk at most (plus one line).
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks read ahead at most: bounds memory to about this many × (`CHUNK_BYTES` + a line).
const CHUNKS_AHEAD: usize = 16;

/// One line of a chunk: its bytes in the chunk buffer, or that it was too long.
pub(crate) struct ChunkLine {
    pub(crate) range: std::ops::Range<usize>,
    /// 1-based line number in its input.
    pub(crate) number: u64,
    /// The length of a line over the maximum (nothing of it was kept).
    pub(crate) too_long: Option<usize>,
}

/// Consecutive lines of one input.
pub(crate) struct Chunk {
    /// The input's index.
    pub(crate) input: usize,
    pub(crate) buf: Vec<u8>,
    pub(crate) lines: Vec<ChunkLine>,
    /// Bytes read, line ends and over-long lines included.
    pub(crate) bytes: u64,
}

/// What the reader sends.
pub(crate) enum Msg {
    Chunk(Chunk),
    /// A read error (a corrupt or truncated compressed stream, a failing disk) ends the
    /// input's reading after its last whole line, given here; the next input follows.
    Error(usize, u64, io::Error),
}

/// Starts reading `inputs` in order; the channel closes after the last one.
pub(crate) fn spawn(inputs: Vec<Box<dyn Read + Send>>, max_line_len: usize) -> Receiver<Msg> {
    let (tx, rx) = sync_channel(CHUNKS_AHEAD);
    std::thread::spawn(move || {
        for (input, reader) in inputs.into_iter().enumerate() {
            // Compressed captures (gzip, zstd) are decoded as they are read.
            let reader = match powertrack_serve::capture::decoded(reader) {
                Ok((text, _)) => BufReader::with_capacity(1 << 16, text),
                Err(e) => {
                    if tx.send(Msg::Error(input, 0, e)).is_err() {
                        return;
                    }
                    continue;
                }
            };
            if !read_input(input, reader, max_line_len, &tx) {
                return;
            }
        }
    });
    rx
}

/// Reads one input; false when nobody listens any more.
fn read_input(
    input: usize,
    mut reader: BufReader<Box<dyn Read + Send>>,
    max: usize,
    tx: &SyncSender<Msg>,
) -> bool {
    let mut number = 0u64;
    let mut chunk = new_chunk(input);
    loop {
        let start = chunk.buf.len();
        let read = match read_line_capped(&mut reader, &mut chunk.buf, max) {
            Ok(r) => r,
            Err(e) => {
                if !chunk.lines.is_empty() && tx.send(Msg::Chunk(chunk)).is_err() {
                    return false;
                }
                return tx.send(Msg::Error(input, number, e)).is_ok();
            }
        };
        let too_long = match read {
            LineRead::Eof => break,
            LineRead::Line { ended } => {
                chunk.bytes += (chunk.buf.len() - start) as u64 + u64::from(ended);
                None
            }
            LineRead::TooLong { len, ended } => {
                chunk.bytes += len as u64 + u64::from(ended);
                Some(len)
            }
        };
        number += 1;
        chunk.lines.push(ChunkLine {
            range: start..chunk.buf.len(),
            number,
            too_long,
        });
        // Send when full, or when nothing more is buffered: the next read may block, and the
        // lines read so far must not wait for it.
        if chunk.lines.len() >= CHUNK_LINES
            || chunk.buf.len() >= CHUNK_BYTES
            || reader.buffer().is_empty()
        {
            if tx.send(Msg::Chunk(chunk)).is_err() {
                return false;
            }
            chunk = new_chunk(input);
        }
    }
    chunk.lines.is_empty() || tx.send(Msg::Chunk(chunk)).is_ok()
}

fn new_chunk(input: usize) -> Chunk {
    Chunk {
        input,
        buf: Vec::new(),
        lines: Vec::new(),
        bytes: 0,
    }
}

/// What [`read_line_capped`] read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LineRead {
    /// The end of the input.
    Eof,
    /// A line, appended to the buffer; `ended` when a `\n` ended it.
    Line { ended: bool },
    /// A line of `len` bytes, over the maximum: nothing of it was kept.
    TooLong { len: usize, ended: bool },
}

/// Appends the next line (without its `\n`) to `buf`. A line longer than `max` bytes is read
/// and dropped chunk by chunk, never buffered whole.
pub(crate) fn read_line_capped(
    r: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<LineRead> {
    let start = buf.len();
    let (mut total, mut over, mut any, mut ended) = (0usize, false, false, false);
    loop {
        let avail = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            if !any {
                return Ok(LineRead::Eof);
            }
            break;
        }
        any = true;
        let newline = memchr::memchr(b'\n', avail);
        let chunk = &avail[..newline.unwrap_or(avail.len())];
        total += chunk.len();
        if !over {
            if total > max {
                over = true;
                buf.truncate(start);
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        let consumed = newline.map_or(avail.len(), |i| i + 1);
        r.consume(consumed);
        if newline.is_some() {
            ended = true;
            break;
        }
    }
    Ok(if over {
        LineRead::TooLong { len: total, ended }
    } else {
        LineRead::Line { ended }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_lines() {
        let data = b"ab\r\nlonger line\n\nlast";
        let mut r = io::BufReader::with_capacity(3, &data[..]);
        let mut buf = Vec::new();
        let mut got = Vec::new();
        loop {
            match read_line_capped(&mut r, &mut buf, 5).unwrap() {
                LineRead::Eof => break,
                read => got.push((String::from_utf8(buf.clone()).unwrap(), read)),
            }
            buf.clear();
        }
        assert_eq!(
            got,
            [
                ("ab\r".into(), LineRead::Line { ended: true }),
                (
                    String::new(),
                    LineRead::TooLong {
                        len: 11,
                        ended: true
                    }
                ),
                (String::new(), LineRead::Line { ended: true }),
                ("last".into(), LineRead::Line { ended: false })
            ]
        );
    }

    #[test]
    fn chunks_cover_every_line_in_order() {
        let mut data = Vec::new();
        for i in 0..1000 {
            data.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        let rx = spawn(vec![Box::new(io::Cursor::new(data.clone()))], 100);
        let (mut lines, mut bytes) = (Vec::new(), 0);
        while let Ok(Msg::Chunk(c)) = rx.recv() {
            bytes += c.bytes;
            for l in &c.lines {
                lines.push((
                    l.number,
                    String::from_utf8(c.buf[l.range.clone()].to_vec()).unwrap(),
                ));
            }
        }
        assert_eq!(bytes, data.len() as u64);
        assert_eq!(lines.len(), 1000);
        assert!(
            lines
                .iter()
                .enumerate()
                .all(|(i, (n, l))| *n == i as u64 + 1 && *l == format!("line {i}"))
        );
    }
}
