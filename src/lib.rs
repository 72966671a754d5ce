//! A PowerTrack-compatible firehose filter.
//!
//! [PowerTrack] is X's (formerly Twitter's and Gnip's) enterprise stream filter: a customer keeps
//! up to 250,000 boolean rules, each with an optional tag, and receives every post that matches
//! any rule, once, with a `matching_rules` list naming the rules that matched. This crate
//! implements the rule language in full, reads posts in every format X has delivered (v1.1
//! native and native enriched, Activity Streams, API v2), and matches them at firehose rates.
//!
//! [PowerTrack]: https://docs.x.com/x-api/enterprise-gnip-2.0/powertrack-api
//!
//! # Quick example: validating rules
//!
//! ```
//! use powertrack::syntax::Rule;
//!
//! let rule = Rule::parse(r#"(#snow OR snowday OR "snow day" OR from:noaa) lang:en"#)?;
//! assert_eq!(rule.to_string(), r#"(#snow OR snowday OR "snow day" OR from:noaa) lang:en"#);
//!
//! let err = Rule::parse("fish AND bird").unwrap_err();
//! assert_eq!(
//!     err.powertrack_message(),
//!     "Ambiguous use of and as a keyword. Use a space to logically join two clauses, \
//!      or \"and\" to find occurrences of and in text (at position 6)\n",
//! );
//! # Ok::<(), powertrack::syntax::Error>(())
//! ```
//!
//! # Module map
//!
//! The layout follows the flow of a post through the engine; each module depends only on the
//! ones above it in this list.
//!
//! | module | holds | knows of |
//! |---|---|---|
//! | [`syntax`] | the rule language: lexer, parser, AST with spans, printer, validation, errors | nothing else |
//! | [`api`] | Rules API request bodies and response bodies (`validate`, later add/delete) | [`syntax`] |
//! | [`tokenize`] | the PowerTrack tokenizer (fast and reference) and case folding | nothing else |
//! | [`geo`] | great-circle distances, circle and box containment | nothing else |
//! | [`post`] | ingest: line classification, format detection, the zero-copy [`post::Post`] view, the sample bucket | nothing of rules |
//! | `compile` (internal) | rules to segments: lowering to leaf tests, the shared atom index, substring search, plans, and the lexicon shared by segments | [`syntax`], [`tokenize`] |
//! | [`matcher`] | [`matcher::RuleSet`] and its per-thread [`matcher::Scratch`]: per-post facts once, then each segment's candidates and plans | all of the above |
//! | [`live`] | the live rule store: Rules API operations, lock-free snapshots, delta segments, tombstones, background compaction | [`matcher`], [`api`] |
//! | [`reference`](mod@reference) | the oracle: a plain evaluator of syntax trees over post views | [`syntax`], [`post`], [`tokenize`] |
//! | [`output`] | delivery: `matching_rules` spliced into a post's original bytes | nothing else |
//!
//! # Crate features
//!
//! * `arbitrary`: `arbitrary::Arbitrary` for the rule syntax tree (structure-aware fuzzing).
//!
//! The library has no other dependency behind a feature: the `powertrack` command-line tool
//! (`crates/powertrack-cli`), the service (`crates/powertrack-serve`) and the synthetic-data
//! generators (`crates/powertrack-gen`) are crates of their own over this one's public API.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]

pub mod api;
mod compile;
pub mod geo;
pub mod live;
pub mod matcher;
pub mod output;
pub mod post;
pub mod reference;
pub mod syntax;
pub mod tokenize;

/// `docs/library.md`, the library guide: each of its examples runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../docs/library.md")]
struct LibraryGuide;

/// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
