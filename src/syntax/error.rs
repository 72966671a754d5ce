//! Errors: every problem of a rule, with PowerTrack's message texts.

use core::fmt;

use super::span::{Span, position};

/// The maximum rule length, in UTF-16 code units (rule-language §9, E24).
pub const MAX_RULE_LEN: usize = 2048;

/// The maximum nesting depth of groups (rule-language §9, E25); deeper rules are refused, never a
/// stack overflow.
pub const MAX_DEPTH: usize = 32;

/// What is wrong. The message texts are PowerTrack's, as catalogued in rule-language §10.2.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Unquoted `AND` in any case (rule-language E1).
    AmbiguousAnd,
    /// Unquoted lower-case `or` (rule-language E2; no official text).
    AmbiguousOr,
    /// Unquoted `NOT` in any case (rule-language E3; no official text).
    AmbiguousNot,
    /// The rule has no positive clause at all (rule-language E4).
    NegationOnly,
    /// The rule has no positive clause that is not a stop word (rule-language E5).
    NoPositiveClause,
    /// A token that cannot start a clause here: `no viable alternative at input '…'`
    /// (rule-language E6).
    NoViableInput(String),
    /// A character that cannot start a clause: `no viable alternative at character '…'`
    /// (rule-language E7).
    NoViableCharacter(char),
    /// Input ended (or another token came) where a closing bracket was required
    /// (rule-language E8).
    Mismatched {
        /// What was found (`EOF` at the end).
        found: String,
        /// What was expected, e.g. `)`.
        expected: &'static str,
    },
    /// `Cannot parse rule at '…' (position N)` (rule-language E9); `<EOF>` at the end.
    CannotParse(String),
    /// A `)` without its `(`: `missing EOF at ')'` (rule-language E10).
    MissingEof(String),
    /// An unknown operator or `has:`/`is:` value: `Reference to invalid operator '…'`
    /// (rule-language E11).
    UnknownOperator(String),
    /// An OR branch made only of negations (rule-language §8 item 3, E12).
    NegatedOr,
    /// `sample:` beside an ungrouped OR (rule-language E13).
    SampleWithOr,
    /// `-sample:` (rule-language E14).
    NegatedSample,
    /// `is:nullcast` not negated.
    NullcastNotNegated,
    /// `source:` without another positive clause (rule-language E23).
    SourceStandalone,
    /// An operator argument that does not fit the operator.
    InvalidArgument {
        /// The operator's name as written, without the colon, e.g. `lang`.
        operator: &'static str,
        /// The argument as written.
        value: String,
        /// What the operator accepts.
        expected: &'static str,
    },
    /// `"…"~N` with N outside 1–6.
    ProximityDistance(String),
    /// `""`: a phrase with no text.
    EmptyPhrase,
    /// A `point_radius:` radius of 25 miles or more (or not positive).
    RadiusTooLarge,
    /// A bounding box 25 miles or more wide or high.
    BoxTooLarge,
    /// A longitude outside −180…180 or a latitude outside −90…90.
    CoordinateOutOfRange(String),
    /// A bounding box whose south edge lies north of its north edge.
    BoxInverted,
    /// The rule is longer than 2,048 UTF-16 code units.
    TooLong(usize),
    /// Groups nest deeper than [`MAX_DEPTH`].
    TooDeep,
}

const SAMPLE_WITH_OR: &str = "The sample operator cannot be used with an OR. To use the sample \
operator with an OR in the rule, the ORed clauses must be grouped together with parenthesis.  For \
example, to get 10% of activites that have term1 or term2, the rule should be (excluding the \
single quotes) '(term1 OR term2) sample:10'";

impl ErrorKind {
    /// Writes the message without its position and line ending.
    fn write_text(&self, f: &mut dyn fmt::Write) -> fmt::Result {
        use ErrorKind as K;
        match self {
            K::AmbiguousAnd => f.write_str(
                "Ambiguous use of and as a keyword. Use a space to logically join two clauses, \
                 or \"and\" to find occurrences of and in text",
            ),
            K::AmbiguousOr => f.write_str(
                "Ambiguous use of or as a keyword. Use OR (upper case) to logically join two \
                 clauses, or \"or\" to find occurrences of or in text",
            ),
            K::AmbiguousNot => f.write_str(
                "Ambiguous use of not as a keyword. Use - (a dash) to negate a clause, or \"not\" \
                 to find occurrences of not in text",
            ),
            K::NegationOnly => f.write_str("Rules must contain a non-negation term"),
            K::NoPositiveClause => {
                f.write_str("Rules must contain at least one positive, non-stopword clause")
            }
            K::NoViableInput(s) => write!(f, "no viable alternative at input '{s}'"),
            K::NoViableCharacter(c) => write!(f, "no viable alternative at character '{c}'"),
            K::Mismatched { found, expected } => {
                write!(f, "mismatched input '{found}' expecting '{expected}'")
            }
            K::CannotParse(s) => write!(f, "Cannot parse rule at '{s}'"),
            K::MissingEof(s) => write!(f, "missing EOF at '{s}'"),
            K::UnknownOperator(s) => write!(f, "Reference to invalid operator '{s}'"),
            K::NegatedOr => f.write_str(
                "Negated ORs are not allowed: every clause joined by OR must contain a \
                 non-negated term, or the rule would request everything in the firehose except \
                 the negation",
            ),
            K::SampleWithOr => f.write_str(SAMPLE_WITH_OR),
            K::NegatedSample => f.write_str("The sample operator cannot be negated"),
            K::NullcastNotNegated => {
                f.write_str("The is:nullcast operator can only be used negated, as -is:nullcast")
            }
            K::SourceStandalone => f.write_str(
                "The source operator cannot be used alone; combine it with another positive clause",
            ),
            K::InvalidArgument {
                operator,
                value,
                expected,
            } => {
                write!(
                    f,
                    "Invalid value '{value}' for {operator}: expected {expected}"
                )
            }
            K::ProximityDistance(n) => write!(
                f,
                "Invalid proximity distance '{n}': the distance after ~ must be between 1 and 6"
            ),
            K::EmptyPhrase => f.write_str("Quoted phrases must not be empty"),
            K::RadiusTooLarge => {
                f.write_str("The radius must be greater than 0 and less than 25 miles")
            }
            K::BoxTooLarge => {
                f.write_str("The width and height of a bounding box must be less than 25 miles")
            }
            K::CoordinateOutOfRange(s) => write!(
                f,
                "Coordinate '{s}' is out of range: longitudes lie within -180..180 and latitudes \
                 within -90..90"
            ),
            K::BoxInverted => f.write_str(
                "The south latitude of a bounding box must not be greater than its north latitude",
            ),
            K::TooLong(n) => write!(
                f,
                "Rules must be at most {MAX_RULE_LEN} characters long; this rule has {n}"
            ),
            K::TooDeep => write!(f, "Rules must not nest groups more than {MAX_DEPTH} deep"),
        }
    }

    /// PowerTrack's `Cannot parse rule` errors write `(position N)` without "at".
    fn position_without_at(&self) -> bool {
        matches!(self, ErrorKind::CannotParse(_))
    }

    /// Lexer-level and "mismatched input" errors end with a blank line in PowerTrack's responses
    /// (rule-language §10.1: E7, E8).
    fn double_newline(&self) -> bool {
        matches!(
            self,
            ErrorKind::NoViableCharacter(_) | ErrorKind::Mismatched { .. }
        )
    }

    /// Errors PowerTrack reports without any position (rule-language §10.1: E11).
    fn has_position(&self) -> bool {
        !matches!(self, ErrorKind::UnknownOperator(_))
    }
}

/// One problem of a rule: its kind, the bytes it concerns, and PowerTrack's position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    kind: ErrorKind,
    span: Span,
    position: usize,
}

impl Diagnostic {
    /// A diagnostic for `span` of `rule` (the position is computed from the span's start).
    pub fn new(kind: ErrorKind, span: Span, rule: &str) -> Diagnostic {
        Diagnostic {
            position: position(rule, span.start),
            kind,
            span,
        }
    }

    /// A diagnostic reported at position 1 (whole-rule checks), spanning `span`.
    pub(crate) fn at_start(kind: ErrorKind, span: Span) -> Diagnostic {
        Diagnostic {
            kind,
            span,
            position: 1,
        }
    }

    /// What is wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The bytes of the rule concerned.
    pub fn span(&self) -> Span {
        self.span
    }

    /// PowerTrack's 1-based position in UTF-16 code units.
    pub fn position(&self) -> usize {
        self.position
    }

    /// The message exactly as PowerTrack writes it, including its line ending(s).
    ///
    /// ```
    /// let err = powertrack::syntax::Rule::parse("from:contains:heart").unwrap_err();
    /// assert_eq!(err.diagnostics()[0].powertrack_message(), "Cannot parse rule at ':' (position 14)\n");
    /// ```
    pub fn powertrack_message(&self) -> String {
        let mut s = String::new();
        self.write_message(&mut s)
            .expect("writing to a String cannot fail");
        s
    }

    fn write_message(&self, f: &mut dyn fmt::Write) -> fmt::Result {
        self.kind.write_text(f)?;
        if self.kind.has_position() {
            if self.kind.position_without_at() {
                write!(f, " (position {})", self.position)?;
            } else {
                write!(f, " (at position {})", self.position)?;
            }
        }
        f.write_str(if self.kind.double_newline() {
            "\n\n"
        } else {
            "\n"
        })
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.write_text(f)?;
        if self.kind.has_position() {
            let at = if self.kind.position_without_at() {
                ""
            } else {
                "at "
            };
            write!(f, " ({at}position {})", self.position)?;
        }
        Ok(())
    }
}

/// All the problems of one rule.
///
/// [`Error::powertrack_message`] concatenates them as PowerTrack's Rules API does; `Display`
/// draws each under the rule with carets, like `regex-syntax`:
///
/// ```
/// let err = powertrack::syntax::Rule::parse("fish AND bird").unwrap_err();
/// assert_eq!(err.to_string(), "\
/// rule parse error:
///     fish AND bird
///          ^^^
/// error: Ambiguous use of and as a keyword. Use a space to logically join two clauses, or \"and\" to find occurrences of and in text (at position 6)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    rule: String,
    diagnostics: Vec<Diagnostic>,
}

impl Error {
    /// An error of `rule` made of `diagnostics` (at least one).
    pub(crate) fn new(rule: &str, diagnostics: Vec<Diagnostic>) -> Error {
        debug_assert!(!diagnostics.is_empty());
        Error {
            rule: rule.to_string(),
            diagnostics,
        }
    }

    /// The rule text.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// Every problem, in the order PowerTrack reports them.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The first problem's kind.
    pub fn kind(&self) -> &ErrorKind {
        &self.diagnostics[0].kind
    }

    /// The message of the Rules API validation response: every diagnostic's message,
    /// concatenated.
    pub fn powertrack_message(&self) -> String {
        let mut s = String::new();
        for d in &self.diagnostics {
            d.write_message(&mut s)
                .expect("writing to a String cannot fail");
        }
        s
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("rule parse error:")?;
        // One line of rule text; line breaks and tabs would break the carets' alignment.
        let shown: String = self
            .rule
            .chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .collect();
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "\n    {shown}\n    ")?;
            let start = floor_char(&self.rule, d.span.start);
            let end = floor_char(&self.rule, d.span.end.max(d.span.start));
            let pad = self.rule[..start].chars().count();
            let width = self.rule[start..end].chars().count().max(1);
            write!(f, "{}{}", " ".repeat(pad), "^".repeat(width))?;
            write!(f, "\nerror: {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

fn floor_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
