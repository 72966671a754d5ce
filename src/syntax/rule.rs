//! [`Rule`]: a parsed and validated rule, and the parse entry points.

use core::fmt;
use core::str::FromStr;

use super::ast::Expr;
use super::error::{Diagnostic, Error, ErrorKind, MAX_RULE_LEN};
use super::parser::Parser;
use super::span::Span;
use super::validate;

/// A valid PowerTrack rule: its text and its syntax tree.
///
/// ```
/// use powertrack::syntax::Rule;
/// let rule = Rule::parse(r#"(#snow OR snowday OR "snow day" OR from:noaa) lang:en"#)?;
/// assert_eq!(rule.to_string(), r#"(#snow OR snowday OR "snow day" OR from:noaa) lang:en"#);
/// # Ok::<(), powertrack::syntax::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    source: String,
    expr: Expr,
}

impl Rule {
    /// Parses and validates `rule` as PowerTrack's Rules API does: the grammar, every operator's
    /// argument, then the whole-rule checks (rule-language §8). On failure the error lists every
    /// problem found, with PowerTrack's messages.
    ///
    /// # Errors
    ///
    /// An [`Error`] listing every problem of the rule.
    pub fn parse(rule: &str) -> Result<Rule, Error> {
        let mut diags = Vec::new();
        match parse_inner(rule, &mut diags) {
            Some(expr) => {
                validate::check(&expr, rule, &mut diags);
                if diags.is_empty() {
                    Ok(Rule {
                        source: rule.to_string(),
                        expr,
                    })
                } else {
                    Err(Error::new(rule, diags))
                }
            }
            None => Err(Error::new(rule, diags)),
        }
    }

    /// The rule's text as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The syntax tree; its spans index [`Rule::source`].
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// The syntax tree, by value.
    pub fn into_expr(self) -> Expr {
        self.expr
    }
}

impl fmt::Display for Rule {
    /// The printed syntax tree (normalised whitespace; quoted text as written).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

impl FromStr for Rule {
    type Err = Error;

    fn from_str(s: &str) -> Result<Rule, Error> {
        Rule::parse(s)
    }
}

/// Parses `rule`'s grammar and operator arguments only, without the whole-rule checks of
/// [`Rule::parse`] (so `-cat` parses here): for tools and for printing round trips.
///
/// # Errors
///
/// An [`Error`] for the length limit, a grammar error or an invalid operator argument.
///
/// ```
/// let expr = powertrack::syntax::parse("-cat")?;
/// assert_eq!(expr.to_string(), "-cat");
/// # Ok::<(), powertrack::syntax::Error>(())
/// ```
pub fn parse(rule: &str) -> Result<Expr, Error> {
    let mut diags = Vec::new();
    match parse_inner(rule, &mut diags) {
        Some(expr) if diags.is_empty() => Ok(expr),
        _ => Err(Error::new(rule, diags)),
    }
}

/// Checks the length, then parses; `None` (with at least one diagnostic) on a grammar error.
fn parse_inner(rule: &str, diags: &mut Vec<Diagnostic>) -> Option<Expr> {
    // A UTF-16 length never exceeds the UTF-8 length, so short rules skip the count.
    if rule.len() > MAX_RULE_LEN {
        let mut units = 0;
        let mut over = None;
        for (i, c) in rule.char_indices() {
            if units >= MAX_RULE_LEN && over.is_none() {
                over = Some(i);
            }
            units += c.len_utf16();
        }
        if let Some(at) = over.filter(|_| units > MAX_RULE_LEN) {
            diags.push(Diagnostic::new(
                ErrorKind::TooLong(units),
                Span::new(at, rule.len()),
                rule,
            ));
            return None;
        }
    }
    let mut p = Parser::new(rule);
    let result = p.parse_rule();
    diags.append(&mut p.soft);
    match result {
        Ok(expr) => Some(expr),
        Err(d) => {
            diags.push(d);
            None
        }
    }
}
