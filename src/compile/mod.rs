//! The compiler: rules (syntax trees) to segments of the shared index.
//!
//! It joins the two halves of the crate: it lowers each rule's syntax tree to an expression
//! over leaf tests, resolving every operator to the parts of a post it sees, and builds one
//! atom table, one substring automaton and one plan per rule for a batch of rules; a lexicon
//! joins the looked-up atoms of several segments into one table.

pub(crate) mod atoms;
pub(crate) mod freq;
pub(crate) mod geo_cells;
pub(crate) mod ir;
pub(crate) mod lexicon;
pub(crate) mod lower;
pub(crate) mod segment;
pub(crate) mod substrings;
