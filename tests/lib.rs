//! The integration test binary: one binary, one module per area.

mod common;
mod cross_format;
mod differential;
mod docs;
mod field_families;
mod flags_corpus;
mod fuzz_regressions;
mod layout;
mod live;
mod malformed_never_matches;
mod matching;
mod post;
mod premium;
mod syntax;
mod tokenize;
mod v2_unexpanded;
