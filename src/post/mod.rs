//! Ingest: from one line of JSON bytes to a borrowed, format-neutral [`Post`] view.
//!
//! A [`Parser`] copies each line into a reusable padded buffer, parses the copy with simd-json's
//! tape API, classifies the line ([`Line::Skipped`] for keep-alives and stream messages), detects
//! the [`Format`] (v1.1 native and native enriched, Activity Streams, API v2) and extracts the
//! [`Post`] view: its [`Part`]s (the root post, the retweeted original, the quoted post, the
//! quoted post's quoted post), each with text, URLs, hashtags, mentions, cashtags, media, reply
//! ids and author, and the root-level language, source, place, coordinates and nullcast flag.
//! The input line is never changed, so output can splice `matching_rules` into the original
//! bytes.
//!
//! The same tweet yields the same view in every format (within what each format carries:
//! Activity Streams has no reply user id, v2 no profile geo). Ids are read from strings
//! (`id_str`) or exact integers, never through `f64`.
//!
//! A line is malformed ([`IngestError`]) only when it is too long, is not JSON, is not an
//! object, is a v2 API page (`data` array), or is a post without id, text or user; other
//! missing parts are simply absent, and unknown fields are ignored.
//!
//! ```
//! use powertrack::post::{Format, Kind, Line, Parser, Role};
//!
//! let mut parser = Parser::new();
//! let line = br#"{"data":{"id":"1500","text":"RT @b: hello","author_id":"7","referenced_tweets":[{"type":"retweeted","id":"1400"}]},"includes":{"users":[{"id":"7","username":"a"},{"id":"8","username":"b"}],"tweets":[{"id":"1400","text":"hello world","author_id":"8"}]}}"#;
//! let Line::Post(post) = parser.parse(line)? else { unreachable!() };
//! assert_eq!(post.format(), Format::V2);
//! assert_eq!(post.kind(), Kind::Retweet);
//! let original = post.retweeted().unwrap();
//! assert_eq!(original.role(), Role::Retweeted);
//! assert_eq!(original.text(), "hello world");
//! assert_eq!(original.author().screen_name(), Some("b"));
//! assert_eq!(post.user().screen_name(), Some("a"));
//! # Ok::<(), powertrack::post::IngestError>(())
//! ```

mod activity;
mod classify;
mod entities;
mod error;
mod native;
mod parser;
mod sample;
mod scratch;
mod tape;
mod v2;
mod values;
mod view;

pub use classify::SkipKind;
pub use error::{IngestError, IngestErrorKind};
pub use parser::{Line, Parser};
pub use sample::{bucket as sample_bucket, fnv1a64};
pub use values::{BoundingBox, Format, Kind, MediaKind, Point, Role};
pub use view::{Media, Mention, Part, Place, Post, ProfileGeo, Source, Url, User};
