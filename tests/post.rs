//! Tests of the `post` module: ingest of the real corpus, hand-checked views, line
//! classification and errors, the sample bucket.

#[path = "post_corpus.rs"]
mod corpus;
#[path = "post_errors.rs"]
mod errors;
#[path = "post_reference.rs"]
mod reference;
#[path = "post_same_view.rs"]
pub(crate) mod same_view;
#[path = "post_views.rs"]
mod views;

use powertrack::post::{Line, Parser, Post};

/// Parses `line`, expecting a post, and hands it to `f`.
pub(crate) fn with_post<R>(parser: &mut Parser, line: &[u8], f: impl FnOnce(&Post<'_>) -> R) -> R {
    match parser.parse(line) {
        Ok(Line::Post(post)) => f(&post),
        Ok(Line::Skipped(kind)) => panic!("skipped as {kind:?}: {}", String::from_utf8_lossy(line)),
        Err(e) => panic!(
            "{e}: {}",
            String::from_utf8_lossy(&line[..line.len().min(300)])
        ),
    }
}
