//! The PowerTrack rule language: lexer and parser, AST with spans, printer, validation and
//! PowerTrack's error texts.
//!
//! This module knows nothing of matching. [`Rule::parse`] checks a rule as PowerTrack's Rules
//! API validation does: the grammar of rule-language §2–§4 and §6 (implicit AND binding tighter
//! than `OR`, `-` negation, groups, phrases, proximity, entities, every operator with its
//! argument grammar), then the whole-rule checks of rule-language §8 and §9 (negation-only and
//! stop-word-only rules, negated ORs, `-is:nullcast`, `sample:`, `source:`, the 2,048-unit
//! length limit and a nesting limit). Errors carry PowerTrack's exact message texts and 1-based
//! UTF-16 positions (rule-language §10).
//!
//! # Example
//!
//! ```
//! use powertrack::syntax::{ClauseKind, Expr, Rule};
//!
//! let rule = Rule::parse("apple OR iphone ipad")?;
//! // AND binds tighter than OR: `apple OR (iphone ipad)`.
//! let Expr::Or(or) = rule.expr() else { panic!() };
//! assert!(matches!(or.branches[1], Expr::And(_)));
//! assert_eq!(rule.to_string(), "apple OR iphone ipad");
//!
//! let err = Rule::parse("-follow").unwrap_err();
//! assert_eq!(
//!     err.powertrack_message(),
//!     "Rules must contain a non-negation term (at position 1)\n\
//!      Rules must contain at least one positive, non-stopword clause (at position 1)\n",
//! );
//! # Ok::<(), powertrack::syntax::Error>(())
//! ```
#![forbid(unsafe_code)]

#[cfg(feature = "arbitrary")]
mod arbitrary;
mod ast;
mod error;
mod geo;
mod lexer;
mod operator;
mod parser;
mod print;
mod rule;
mod span;
mod validate;

pub use ast::*;
pub use error::{Diagnostic, Error, ErrorKind, MAX_DEPTH, MAX_RULE_LEN};
pub use operator::{
    ArgKind, HasValue, IsValue, LANG_CODES, Lang, Operator, STOP_WORDS, Spelling, is_stop_word,
};
pub use print::print;
pub use rule::{Rule, parse};
pub use span::{Span, position, utf16_len};
