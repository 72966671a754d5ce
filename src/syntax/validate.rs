//! Whole-rule validation (spec §2.3, decisions 1–3, 23): what a grammatically correct rule must
//! also satisfy.

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

/// Appends every whole-rule problem of `expr` (parsed from `src`) to `out`, in PowerTrack's
/// order.
pub(crate) fn check(expr: &Expr, src: &str, out: &mut Vec<Diagnostic>) {
    let whole = Span::new(0, src.len());
    let mut any_positive = false;
    let mut any_content = false; // a positive non-stop-word clause exists
    let mut negated_or = Vec::new();
    let mut clause_errors = Vec::new();
    let mut first_source: Option<Span> = None;
    // (expr, negated, inside an OR)
    let mut stack = vec![(expr, false, false)];
    while let Some((e, neg, in_or)) = stack.pop() {
        match e {
            Expr::Clause(c) => {
                if !neg {
                    any_positive = true;
                    any_content |= !is_stop(c);
                }
                match &c.kind {
                    ClauseKind::Is(IsValue::Nullcast) if !neg => {
                        clause_errors.push(Diagnostic::new(
                            ErrorKind::NullcastNotNegated,
                            c.span,
                            src,
                        ));
                    }
                    ClauseKind::Sample(_) if neg => {
                        clause_errors.push(Diagnostic::new(ErrorKind::NegatedSample, c.span, src));
                    }
                    ClauseKind::Sample(_) if in_or => {
                        clause_errors.push(Diagnostic::new(ErrorKind::SampleWithOr, c.span, src));
                    }
                    ClauseKind::Source(_) if !neg && first_source.is_none() => {
                        first_source = Some(c.span);
                    }
                    _ => {}
                }
            }
            Expr::Not(n) => {
                // The `-` of a negated clause is part of the clause for error positions.
                stack.push((&n.expr, !neg, in_or));
            }
            Expr::Group(g) => stack.push((&g.expr, neg, in_or)),
            Expr::And(a) => stack.extend(a.items.iter().rev().map(|x| (x, neg, in_or))),
            Expr::Or(o) => {
                for b in &o.branches {
                    if !has_positive(b, &|_| true) {
                        negated_or.push(Diagnostic::new(ErrorKind::NegatedOr, b.span(), src));
                    }
                }
                stack.extend(o.branches.iter().rev().map(|x| (x, neg, true)));
            }
        }
    }
    if !any_positive {
        out.push(Diagnostic::at_start(ErrorKind::NegationOnly, whole));
    }
    if !any_content || (any_positive && !requires_content(expr)) {
        out.push(Diagnostic::at_start(ErrorKind::NoPositiveClause, whole));
    }
    out.extend(negated_or);
    out.extend(clause_errors);
    if let Some(span) = first_source
        && !has_positive(expr, &|c| !matches!(c.kind, ClauseKind::Source(_)))
    {
        out.push(Diagnostic::new(ErrorKind::SourceStandalone, span, src));
    }
}
