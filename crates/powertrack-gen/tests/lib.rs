//! The generators' integration tests: one binary, one module per generator.

mod firehose;
mod rules;
