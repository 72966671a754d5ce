//! The integration test binary: one binary, one module per area.

mod common;
mod differential;
mod generate;
mod matching;
mod post;
mod syntax;
mod tokenize;
