//! Reading captures: NDJSON as it is kept, plain, gzip (one member or several, as
//! concatenated `.gz` files are) or zstd (one frame or several), told apart by their first
//! bytes, not their names. Decoding is streamed: nothing is inflated whole.

use std::io::{self, Read};

/// How an input is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Plain text.
    None,
    /// gzip (RFC 1952), every member.
    Gzip,
    /// Zstandard, every frame.
    Zstd,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

impl Compression {
    /// What the first bytes of an input say (plain unless they are gzip's or zstd's magic).
    ///
    /// ```
    /// use powertrack_serve::capture::Compression;
    /// assert_eq!(Compression::of(b"\x1f\x8b\x08\x00"), Compression::Gzip);
    /// assert_eq!(Compression::of(b"\x28\xb5\x2f\xfd"), Compression::Zstd);
    /// assert_eq!(Compression::of(b"{\"id\":1}"), Compression::None);
    /// ```
    pub fn of(head: &[u8]) -> Compression {
        if head.starts_with(&GZIP_MAGIC) {
            Compression::Gzip
        } else if head.starts_with(&ZSTD_MAGIC) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// `reader`'s text: decoded when its first bytes are gzip's or zstd's, as it is otherwise. A
/// corrupt or truncated stream is an error of the read that reaches it; what came before it
/// has been read.
///
/// ```
/// use std::io::{Read as _, Write as _};
/// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
/// gz.write_all(b"{\"id\":1}\n").unwrap();
/// let (mut text, how) = powertrack_serve::capture::decoded(Box::new(std::io::Cursor::new(gz.finish().unwrap()))).unwrap();
/// let mut s = String::new();
/// text.read_to_string(&mut s).unwrap();
/// assert_eq!((s.as_str(), how), ("{\"id\":1}\n", powertrack_serve::capture::Compression::Gzip));
/// ```
pub fn decoded(
    mut reader: Box<dyn Read + Send>,
) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    // The magic, read as it comes (a pipe may give fewer bytes at a time), then put back.
    let mut head = [0u8; 4];
    let mut n = 0;
    while n < head.len() {
        match reader.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let whole = io::Cursor::new(head[..n].to_vec()).chain(reader);
    let how = Compression::of(&head[..n]);
    let text: Box<dyn Read + Send> = match how {
        Compression::None => Box::new(whole),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(whole)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(whole)?),
    };
    Ok((text, how))
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};

    use super::*;

    fn read_all(data: Vec<u8>) -> (io::Result<String>, Compression) {
        let (mut r, how) = decoded(Box::new(io::Cursor::new(data))).unwrap();
        let mut s = String::new();
        (r.read_to_string(&mut s).map(|_| s), how)
    }

    fn gzip(text: &str) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn members_and_frames_are_read_in_turn() {
        let mut two = gzip("a\n");
        two.extend(gzip("b\n"));
        assert_eq!(read_all(two).0.unwrap(), "a\nb\n");
        let mut frames = zstd::encode_all(&b"c\n"[..], 1).unwrap();
        frames.extend(zstd::encode_all(&b"d\n"[..], 1).unwrap());
        let (text, how) = read_all(frames);
        assert_eq!((text.unwrap().as_str(), how), ("c\nd\n", Compression::Zstd));
    }

    #[test]
    fn short_and_plain_inputs_pass_through() {
        for text in ["", "{", "{\"id\":1}\n"] {
            let (got, how) = read_all(text.as_bytes().to_vec());
            assert_eq!((got.unwrap().as_str(), how), (text, Compression::None));
        }
    }

    #[test]
    fn a_truncated_stream_is_an_error_after_what_it_holds() {
        use std::fmt::Write as _;
        // Several of zstd's 128 KiB blocks, so that whole ones come before the cut.
        let mut text = String::new();
        for i in 0..60_000 {
            writeln!(text, "{{\"id\":{i}}}").unwrap();
        }
        for data in [gzip(&text), zstd::encode_all(text.as_bytes(), 1).unwrap()] {
            let cut = data[..data.len() / 2].to_vec();
            let (mut r, _) = decoded(Box::new(io::Cursor::new(cut))).unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 512];
            let err = loop {
                match r.read(&mut buf) {
                    Ok(0) => panic!("a truncated stream must not end cleanly"),
                    Ok(k) => got.extend_from_slice(&buf[..k]),
                    Err(e) => break e,
                }
            };
            assert!(
                !got.is_empty() && text.as_bytes().starts_with(&got),
                "{err}"
            );
        }
    }
}
