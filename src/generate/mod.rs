//! Seeded generators of synthetic test data.
//!
//! * [`rules`]: realistic PowerTrack rule sets of any size (10k–250k rules and beyond), drawn
//!   from a vocabulary derived from the real tweet corpus, with the shapes, operator mix and
//!   dormant tail of `test-data-and-generators.md` §5.
//! * [`firehose`]: an unbounded synthetic firehose of realistic posts (v1.1 native, Activity
//!   Streams or v2) drawn from the same vocabulary, with bursts, stream noise and planted
//!   matches (`test-data-and-generators.md` §4).
//!
//! Every generator is a pure function of its seed: the same seed gives byte-identical output,
//! and its random stream is defined here (xoshiro256**), not borrowed from a crate whose stream
//! could change between versions.

pub mod firehose;
pub mod rules;

mod rng;
mod vocab;
