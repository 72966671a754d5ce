//! Seeded generators of synthetic test data.
//!
//! * [`rules`]: realistic PowerTrack rule sets of any size (10k–250k rules and beyond), drawn
//!   from a vocabulary derived from the real tweet corpus: seven rule shapes in estimated
//!   customer proportions, every operator family, and a mostly dormant tail, calibrated so that
//!   a 10k-rule set matches 0.5–3 rules per real post on average (see the module docs).
//! * [`firehose`]: an unbounded synthetic firehose of realistic posts (v1.1 native, Activity
//!   Streams or v2) drawn from the same vocabulary, with bursts, stream noise and planted
//!   matches, whose sizes, entities, kinds and languages are held to stated targets
//!   ([`firehose::stats`]).
//!
//! Every generator is a pure function of its seed: the same seed gives byte-identical output,
//! and its random stream is defined here (xoshiro256**), not borrowed from a crate whose stream
//! could change between versions.

#![deny(unsafe_code)]

pub mod firehose;
pub mod rules;

mod rng;
mod vocab;
