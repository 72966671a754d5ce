//! The `powertrack` command, checked on the built binary: one module per subcommand or output
//! contract.

mod cli_bench;
mod cli_explain;
mod cli_gen;
mod cli_match;
mod cli_serve;
mod cli_validate;
mod cli_watch;
#[path = "../../../tests/common/mod.rs"]
mod common;
mod output_corpus;
mod output_golden;
