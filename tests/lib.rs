//! The integration test binary: one binary, one module per area.

mod common;
mod differential;
mod matching;
mod post;
mod tokenize;
