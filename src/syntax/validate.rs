//! Whole-rule validation (rule-language §8; E4, E5, E12–E15, E23): what a grammatically correct
//! rule must also satisfy.

use super::ast::{Clause, ClauseKind, Expr};
use super::error::{Diagnostic, ErrorKind};
use super::operator::{IsValue, is_stop_word};
use super::span::Span;

/// True when `expr` requires a positive clause satisfying `pred` on every path: a clause
/// satisfies it directly, a negation never, an AND when any item does, an OR when every branch
/// does.
fn has_positive(expr: &Expr, pred: &impl Fn(&Clause) -> bool) -> bool {
    match expr {
        Expr::Clause(c) => pred(c),
        Expr::Not(_) => false,
        Expr::Group(g) => has_positive(&g.expr, pred),
        Expr::And(a) => a.items.iter().any(|e| has_positive(e, pred)),
        Expr::Or(o) => o.branches.iter().all(|e| has_positive(e, pred)),
    }
}

/// True when every way of satisfying `expr` needs a positive clause that is not a stop word
/// ("at least one required and allowed term"). OR branches made only of negations are left to
/// the negated-OR check.
fn requires_content(expr: &Expr) -> bool {
    match expr {
        Expr::Clause(c) => !is_stop(c),
        Expr::Not(_) => false,
        Expr::Group(g) => requires_content(&g.expr),
        Expr::And(a) => a.items.iter().any(requires_content),
        Expr::Or(o) => o
            .branches
            .iter()
            .filter(|b| has_positive(b, &|_| true))
            .all(requires_content),
    }
}

fn is_stop(c: &Clause) -> bool {
    matches!(&c.kind, ClauseKind::Keyword(w) if is_stop_word(&w.text))
}

/// What one walk over the tree collects.
struct Walk<'a> {
    src: &'a str,
    any_positive: bool,
    /// A positive clause that is not a stop word exists.
    any_content: bool,
    negated_or: Vec<Diagnostic>,
    clause_errors: Vec<Diagnostic>,
    first_source: Option<Span>,
}

impl Walk<'_> {
    /// Visits `e`: `neg` is the parity of the negations above it, `under_not` whether there is
    /// any (a clause inside a negated group never counts as positive: `-(a -b)` means
    /// `-a OR b`), `in_or` whether an OR is above it. Recursion is bounded by the parser's
    /// nesting limit.
    fn visit(&mut self, e: &Expr, neg: bool, under_not: bool, in_or: bool) {
        match e {
            Expr::Clause(c) => self.clause(c, neg, under_not, in_or),
            Expr::Not(n) => self.visit(&n.expr, !neg, true, in_or),
            Expr::Group(g) => self.visit(&g.expr, neg, under_not, in_or),
            Expr::And(a) => {
                for x in &a.items {
                    self.visit(x, neg, under_not, in_or);
                }
            }
            Expr::Or(o) => {
                for b in &o.branches {
                    if !has_positive(b, &|_| true) {
                        self.negated_or.push(Diagnostic::new(
                            ErrorKind::NegatedOr,
                            b.span(),
                            self.src,
                        ));
                    }
                }
                for b in &o.branches {
                    self.visit(b, neg, under_not, true);
                }
            }
        }
    }

    fn clause(&mut self, c: &Clause, neg: bool, under_not: bool, in_or: bool) {
        if !under_not {
            self.any_positive = true;
            self.any_content |= !is_stop(c);
        }
        let kind = match &c.kind {
            ClauseKind::Is(IsValue::Nullcast) if !neg => ErrorKind::NullcastNotNegated,
            ClauseKind::Sample(_) if neg => ErrorKind::NegatedSample,
            ClauseKind::Sample(_) if in_or => ErrorKind::SampleWithOr,
            ClauseKind::Source(_) if !neg => {
                self.first_source.get_or_insert(c.span);
                return;
            }
            _ => return,
        };
        self.clause_errors
            .push(Diagnostic::new(kind, c.span, self.src));
    }
}

/// Appends every whole-rule problem of `expr` (parsed from `src`) to `out`, in PowerTrack's
/// order.
pub(crate) fn check(expr: &Expr, src: &str, out: &mut Vec<Diagnostic>) {
    let mut w = Walk {
        src,
        any_positive: false,
        any_content: false,
        negated_or: Vec::new(),
        clause_errors: Vec::new(),
        first_source: None,
    };
    w.visit(expr, false, false, false);
    let whole = Span::new(0, src.len());
    if !w.any_positive {
        out.push(Diagnostic::at_start(ErrorKind::NegationOnly, whole));
    }
    if !w.any_content || (w.any_positive && !requires_content(expr)) {
        out.push(Diagnostic::at_start(ErrorKind::NoPositiveClause, whole));
    }
    out.append(&mut w.negated_or);
    out.append(&mut w.clause_errors);
    if let Some(span) = w.first_source
        && !has_positive(expr, &|c| !matches!(c.kind, ClauseKind::Source(_)))
    {
        out.push(Diagnostic::new(ErrorKind::SourceStandalone, span, src));
    }
}
