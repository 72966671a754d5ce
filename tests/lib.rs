//! The integration test binary: one binary, one module per area.

mod common;
mod r#gen;
mod syntax;
