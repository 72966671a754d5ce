//! The integration test binary: one binary, one module per area.

mod cli_bench;
mod cli_match;
mod cli_watch;
mod common;
mod differential;
mod firehose;
mod fuzz_regressions;
mod generate;
mod live;
mod matching;
mod output_corpus;
mod output_golden;
mod post;
mod premium;
mod syntax;
mod tokenize;
