//! gzip for streams, paid once per stream rather than once per connection.
//!
//! Every connection of a stream receives the same posts, so the stream compresses each batch
//! once, ending it with a deflate *full flush*: the compressor's window is reset there, so the
//! bytes after that point decode without anything before it, and any connection can start at
//! any batch. A connection's own messages (heartbeats, disconnect notices) are deflate blocks
//! of its own, also ending at a full flush, spliced between the stream's batches; a gzip
//! stream is any sequence of such blocks after the header. What a connection must track
//! itself is the gzip trailer: the CRC-32 and length of everything it was sent, combined batch
//! by batch from the CRC each batch carries. The deflate work is flate2's; this module only
//! places the RFC 1952 header and trailer around it.

use bytes::Bytes;
use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// The gzip header: deflate, no name, no time, unknown OS (RFC 1952 §2.3).
pub const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// One batch of a stream, compressed once and shared by its connections.
#[derive(Debug)]
pub struct Chunk {
    /// The deflate blocks, ending at a full flush.
    pub deflate: Bytes,
    /// The CRC-32 and length of the uncompressed batch.
    pub crc: Crc,
    /// Posts in the batch.
    pub posts: u64,
}

/// A stream's compressor.
#[derive(Debug)]
pub struct StreamDeflate {
    compress: Compress,
    out: Vec<u8>,
}

impl Default for StreamDeflate {
    fn default() -> StreamDeflate {
        StreamDeflate {
            compress: Compress::new(Compression::fast(), false),
            out: Vec::new(),
        }
    }
}

impl StreamDeflate {
    /// Compresses one batch of `posts` posts.
    pub fn chunk(&mut self, data: &[u8], posts: u64) -> Chunk {
        self.out.clear();
        deflate(&mut self.compress, data, FlushCompress::Full, &mut self.out);
        let mut crc = Crc::new();
        crc.update(data);
        Chunk {
            deflate: Bytes::copy_from_slice(&self.out),
            crc,
            posts,
        }
    }
}

/// What one connection has been sent, for its trailer.
#[derive(Debug)]
pub struct ConnectionGzip {
    crc: Crc,
    own: Compress,
}

impl Default for ConnectionGzip {
    fn default() -> ConnectionGzip {
        ConnectionGzip {
            crc: Crc::new(),
            own: Compress::new(Compression::fast(), false),
        }
    }
}

impl ConnectionGzip {
    /// Accounts for a shared chunk about to be sent.
    pub fn shared(&mut self, chunk: &Chunk) {
        self.crc.combine(&chunk.crc);
    }

    /// This connection's own bytes (a heartbeat, a message), compressed and flushed.
    pub fn own(&mut self, data: &[u8]) -> Bytes {
        self.crc.update(data);
        let mut out = Vec::with_capacity(data.len() + 16);
        deflate(&mut self.own, data, FlushCompress::Full, &mut out);
        Bytes::from(out)
    }

    /// The end of the gzip stream: `last` (possibly empty) in the final block, then the trailer.
    pub fn finish(&mut self, last: &[u8]) -> Bytes {
        self.crc.update(last);
        let mut out = Vec::with_capacity(last.len() + 32);
        deflate(&mut self.own, last, FlushCompress::Finish, &mut out);
        out.extend_from_slice(&self.crc.sum().to_le_bytes());
        out.extend_from_slice(&self.crc.amount().to_le_bytes());
        Bytes::from(out)
    }
}

/// Runs `compress` over all of `input` with `flush`, appending to `out`.
fn deflate(compress: &mut Compress, mut input: &[u8], flush: FlushCompress, out: &mut Vec<u8>) {
    loop {
        out.reserve(input.len() / 2 + 64);
        let before = compress.total_in();
        let status = compress
            .compress_vec(input, out, flush)
            .unwrap_or(Status::StreamEnd);
        let consumed = usize::try_from(compress.total_in() - before).unwrap_or(input.len());
        input = &input[consumed.min(input.len())..];
        match status {
            Status::StreamEnd => return,
            // A flush is complete once input is used up and output space is left over.
            Status::Ok | Status::BufError
                if input.is_empty()
                    && out.len() < out.capacity()
                    && !matches!(flush, FlushCompress::Finish) =>
            {
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("valid gzip");
        out
    }

    #[test]
    fn connections_joining_at_any_chunk_decode_what_they_were_sent() {
        let mut stream = StreamDeflate::default();
        let batches: Vec<Vec<u8>> = (0..20)
            .map(|i| {
                format!(
                    "{{\"id\":{i},\"text\":\"post {i} {}\"}}\r\n",
                    "x".repeat(i * 37)
                )
                .into_bytes()
            })
            .collect();
        let chunks: Vec<Chunk> = batches.iter().map(|b| stream.chunk(b, 1)).collect();
        for start in [0, 1, 7, 19] {
            let mut conn = ConnectionGzip::default();
            let mut wire = HEADER.to_vec();
            let mut expected = Vec::new();
            wire.extend_from_slice(&conn.own(b"\r\n"));
            expected.extend_from_slice(b"\r\n");
            for (i, c) in chunks.iter().enumerate().skip(start) {
                conn.shared(c);
                wire.extend_from_slice(&c.deflate);
                expected.extend_from_slice(&batches[i]);
                if i % 5 == 0 {
                    wire.extend_from_slice(&conn.own(b"\r\n"));
                    expected.extend_from_slice(b"\r\n");
                }
            }
            wire.extend_from_slice(&conn.finish(b"{\"error\":{}}\r\n"));
            expected.extend_from_slice(b"{\"error\":{}}\r\n");
            assert_eq!(gunzip(&wire), expected, "joined at {start}");
        }
    }

    #[test]
    fn an_empty_stream_is_valid_gzip() {
        let mut conn = ConnectionGzip::default();
        let mut wire = HEADER.to_vec();
        wire.extend_from_slice(&conn.finish(b""));
        assert!(gunzip(&wire).is_empty());
    }
}
