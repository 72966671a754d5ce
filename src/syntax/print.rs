//! The printer: writes an AST back as rule text that re-parses to an equal AST.

use core::fmt::{self, Write};

use super::ast::{BoundingBox, Clause, ClauseKind, CountArg, Expr, PointRadius, TextArg, UserRef};
use super::operator::Operator;

/// Prints `expr` as rule text: `OR` between branches, one space between AND items, `-` before
/// negated items, parentheses for groups; quoted text as written (its raw form).
///
/// ```
/// use powertrack::syntax::{parse, print};
/// let expr = parse("(social  OR data)\tresearch -tweets_count:10..20")?;
/// assert_eq!(print(&expr), "(social OR data) research -tweets_count:10..20");
/// # Ok::<(), powertrack::syntax::Error>(())
/// ```
pub fn print(expr: &Expr) -> String {
    expr.to_string()
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Or(or) => {
                for (i, b) in or.branches.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" OR ")?;
                    }
                    b.fmt(f)?;
                }
                Ok(())
            }
            Expr::And(and) => {
                for (i, x) in and.items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(' ')?;
                    }
                    x.fmt(f)?;
                }
                Ok(())
            }
            Expr::Not(not) => {
                f.write_char('-')?;
                not.expr.fmt(f)
            }
            Expr::Group(g) => {
                f.write_char('(')?;
                g.expr.fmt(f)?;
                f.write_char(')')
            }
            Expr::Clause(c) => c.fmt(f),
        }
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl fmt::Display for UserRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserRef::Name(n) => f.write_str(n),
            UserRef::Id(id) => write!(f, "{id}"),
        }
    }
}

fn text(f: &mut fmt::Formatter<'_>, a: &TextArg) -> fmt::Result {
    match &a.quoted {
        Some(raw) => write!(f, "\"{raw}\""),
        None => f.write_str(&a.text),
    }
}

fn count(f: &mut fmt::Formatter<'_>, a: &CountArg) -> fmt::Result {
    match a.max {
        Some(max) => write!(f, "{}..{max}", a.min),
        None => write!(f, "{}", a.min),
    }
}

fn point(f: &mut fmt::Formatter<'_>, p: &PointRadius) -> fmt::Result {
    write!(f, "[{} {} {}{}]", p.lon, p.lat, p.radius, p.unit.suffix())
}

fn bbox(f: &mut fmt::Formatter<'_>, b: &BoundingBox) -> fmt::Result {
    write!(f, "[{} {} {} {}]", b.west, b.south, b.east, b.north)
}

impl fmt::Display for ClauseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ClauseKind as K;
        match self {
            K::Keyword(w) | K::Emoji(w) => return f.write_str(&w.text),
            K::Phrase(p) => return write!(f, "\"{}\"", p.raw),
            K::Proximity(p) => return write!(f, "\"{}\"~{}", p.phrase.raw, p.distance),
            K::Hashtag(w) => return write!(f, "#{}", w.text),
            K::Mention(u) => return write!(f, "@{u}"),
            K::Cashtag(w) => return write!(f, "${}", w.text),
            _ => {}
        }
        let op = self.operator().unwrap_or(Operator::Contains);
        write!(f, "{}:", op.spelled(self.spelling()))?;
        if let Some(a) = self.text_arg() {
            return text(f, a);
        }
        match self {
            K::From(a) | K::To(a) | K::RetweetsOf(a) => write!(f, "{}", a.user),
            K::RetweetsOfStatusId(a) | K::InReplyToStatusId(a) => write!(f, "{}", a.id),
            K::StatusesCount(a) | K::FollowersCount(a) | K::FriendsCount(a) | K::ListedCount(a) => {
                count(f, a)
            }
            K::Lang(l) => f.write_str(l.code()),
            K::Has(h) => f.write_str(h.value.spelled(h.spelling)),
            K::Is(v) => f.write_str(v.name()),
            K::Sample(n) => write!(f, "{n}"),
            K::PointRadius(p) | K::ProfilePointRadius(p) => point(f, p),
            K::BoundingBox(b) | K::ProfileBoundingBox(b) => bbox(f, b),
            // Bare terms were written above; text operators by `text_arg`.
            _ => Ok(()),
        }
    }
}
