//! The recursive-descent parser. It reads the rule text directly (no token vector), tracks
//! group depth against [`MAX_DEPTH`], and stops at the first grammar error; unquoted `AND`, `or`
//! and `NOT` are recorded and parsing goes on, as PowerTrack reports them with other errors.

use super::ast::{
    And, BoundingBox, Clause, ClauseKind, CountArg, DistanceUnit, Expr, Group, HasArg, IdArg, Not,
    Or, Phrase, PointRadius, Proximity, TextArg, UserArg, UserRef, Word,
};
use super::error::{Diagnostic, ErrorKind, MAX_DEPTH};
use super::geo;
use super::lexer::{
    Reserved, is_ascii_delimiter, is_cashtag, is_emoji, is_hashtag_char, is_identifier,
    is_punct_start, is_user_name, reserved, utf8_len,
};
use super::operator::{ArgKind, HasValue, IsValue, Lang, Operator, Spelling};
use super::span::Span;

type PResult<T> = Result<T, Diagnostic>;

/// Parser state over one rule.
pub(crate) struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: usize,
    /// Problems found that do not stop parsing (reserved words).
    pub(crate) soft: Vec<Diagnostic>,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str) -> Parser<'a> {
        Parser {
            src,
            b: src.as_bytes(),
            pos: 0,
            depth: 0,
            soft: Vec::new(),
        }
    }

    /// Parses the whole rule.
    pub(crate) fn parse_rule(&mut self) -> PResult<Expr> {
        self.skip_ws();
        let expr = self.parse_or()?;
        self.skip_ws();
        if self.pos < self.b.len() {
            // parse_and stops only at `)`, `OR` (consumed by parse_or) or the end.
            let tok = self.token_at(self.pos);
            return Err(self.err(ErrorKind::MissingEof(tok), self.pos, self.pos + 1));
        }
        Ok(expr)
    }

    fn err(&self, kind: ErrorKind, start: usize, end: usize) -> Diagnostic {
        Diagnostic::new(kind, Span::new(start, end), self.src)
    }

    /// `Cannot parse rule at '<char>'` (or `'<EOF>'`) at `at`.
    fn cannot_parse_at(&self, at: usize) -> Diagnostic {
        if at >= self.b.len() {
            return self.err(
                ErrorKind::CannotParse("<EOF>".into()),
                self.b.len(),
                self.b.len(),
            );
        }
        let c = self.src[at..].chars().next().unwrap_or('?');
        self.err(ErrorKind::CannotParse(c.to_string()), at, at + c.len_utf8())
    }

    fn token_at(&self, at: usize) -> String {
        self.src[at..]
            .chars()
            .next()
            .map(String::from)
            .unwrap_or_default()
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// Length in bytes of the whitespace character at `at`, or 0.
    fn ws_len(&self, at: usize) -> usize {
        super::lexer::ws_len(self.src, at)
    }

    fn skip_ws(&mut self) {
        loop {
            let n = self.ws_len(self.pos);
            if n == 0 {
                return;
            }
            self.pos += n;
        }
    }

    /// End of the bare word starting at `at` (see [`super::lexer::word_end`]).
    fn word_end(&self, at: usize) -> usize {
        super::lexer::word_end(self.src, at)
    }

    /// End of a run that stops only at whitespace, `(`, `)` and `"` (for quoting unknown
    /// operators with their values).
    fn run_end(&self, mut at: usize) -> usize {
        loop {
            at = self.word_end(at);
            if self.b.get(at) == Some(&b':') {
                at += 1;
            } else {
                return at;
            }
        }
    }

    /// True when the upper-case `OR` operator starts at the current position.
    fn at_or(&self) -> bool {
        self.b[self.pos..].starts_with(b"OR") && self.word_end(self.pos) == self.pos + 2 && {
            self.b.get(self.pos + 2) != Some(&b':')
        }
    }

    fn parse_or(&mut self) -> PResult<Expr> {
        let first = self.parse_and()?;
        self.skip_ws();
        if self.pos >= self.b.len() || !self.at_or() {
            return Ok(first);
        }
        let mut branches = Vec::with_capacity(4);
        branches.push(first);
        while self.pos < self.b.len() && self.at_or() {
            self.pos += 2;
            self.skip_ws();
            branches.push(self.parse_and()?);
            self.skip_ws();
        }
        let span = Span::new(
            branches[0].span().start,
            branches[branches.len() - 1].span().end,
        );
        Ok(Expr::Or(Or { span, branches }))
    }

    fn at_and_end(&self) -> bool {
        match self.peek() {
            None | Some(b')') => true,
            Some(_) => self.at_or(),
        }
    }

    fn parse_and(&mut self) -> PResult<Expr> {
        let first = self.parse_unary()?;
        self.skip_ws();
        if self.at_and_end() {
            return Ok(first);
        }
        let mut items = Vec::with_capacity(4);
        items.push(first);
        while !self.at_and_end() {
            items.push(self.parse_unary()?);
            self.skip_ws();
        }
        let span = Span::new(items[0].span().start, items[items.len() - 1].span().end);
        Ok(Expr::And(And { span, items }))
    }

    fn parse_unary(&mut self) -> PResult<Expr> {
        if self.peek() != Some(b'-') {
            return self.parse_primary();
        }
        let start = self.pos;
        self.pos += 1;
        if self.pos >= self.b.len() || self.ws_len(self.pos) > 0 {
            return Err(self.err(ErrorKind::NoViableInput("-".into()), start, start + 1));
        }
        let expr = self.parse_primary()?;
        let span = Span::new(start, expr.span().end);
        Ok(Expr::Not(Not {
            span,
            expr: Box::new(expr),
        }))
    }

    fn parse_primary(&mut self) -> PResult<Expr> {
        let start = self.pos;
        let Some(b) = self.peek() else {
            return Err(self.cannot_parse_at(start));
        };
        match b {
            b'(' => self.parse_group(),
            b')' | b':' => Err(self.cannot_parse_at(start)),
            b'"' => self.parse_phrase(),
            b'#' => self.parse_hashtag(),
            b'@' => self.parse_mention(),
            b'$' => self.parse_cashtag(),
            _ if self.at_or() => {
                Err(self.err(ErrorKind::CannotParse("OR".into()), start, start + 2))
            }
            _ => self.parse_word(),
        }
    }

    fn parse_group(&mut self) -> PResult<Expr> {
        let start = self.pos;
        if self.depth >= MAX_DEPTH {
            return Err(self.err(ErrorKind::TooDeep, start, start + 1));
        }
        self.depth += 1;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b')') {
            return Err(self.cannot_parse_at(self.pos));
        }
        let inner = self.parse_or()?;
        self.skip_ws();
        match self.peek() {
            Some(b')') => self.pos += 1,
            None => {
                let end = self.b.len();
                return Err(self.err(
                    ErrorKind::Mismatched {
                        found: "EOF".into(),
                        expected: ")",
                    },
                    end,
                    end,
                ));
            }
            Some(_) => return Err(self.cannot_parse_at(self.pos)),
        }
        self.depth -= 1;
        Ok(Expr::Group(Group {
            span: Span::new(start, self.pos),
            expr: Box::new(inner),
        }))
    }

    /// Reads `"…"` at the current position: the text with escapes resolved and the raw text.
    fn quoted(&mut self) -> PResult<Phrase> {
        let start = self.pos;
        let body = start + 1;
        let mut at = body;
        let mut text: Option<String> = None;
        let mut copied = body;
        loop {
            let Some(i) = memchr::memchr2(b'"', b'\\', &self.b[at..]) else {
                return Err(self.err(ErrorKind::NoViableCharacter('"'), start, start + 1));
            };
            let i = at + i;
            if self.b[i] == b'"' {
                let raw = &self.src[body..i];
                let text = match text {
                    None => raw.to_string(),
                    Some(mut t) => {
                        t.push_str(&self.src[copied..i]);
                        t
                    }
                };
                self.pos = i + 1;
                if text.trim().is_empty() {
                    return Err(self.err(ErrorKind::EmptyPhrase, start, self.pos));
                }
                return Ok(Phrase {
                    text,
                    raw: raw.to_string(),
                });
            }
            // A backslash: `\"` and `\\` are escapes, any other backslash is literal.
            match self.b.get(i + 1) {
                Some(&e @ (b'"' | b'\\')) => {
                    let t = text.get_or_insert_with(String::new);
                    t.push_str(&self.src[copied..i]);
                    t.push(char::from(e));
                    copied = i + 2;
                    at = i + 2;
                }
                _ => at = i + 1,
            }
        }
    }

    fn parse_phrase(&mut self) -> PResult<Expr> {
        let start = self.pos;
        let phrase = self.quoted()?;
        if self.peek() != Some(b'~') {
            return Ok(clause(start, self.pos, ClauseKind::Phrase(phrase)));
        }
        self.pos += 1;
        let digits_start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == digits_start {
            return Err(self.cannot_parse_at(self.pos));
        }
        let digits = &self.src[digits_start..self.pos];
        let Ok(distance @ 1..=6) = digits.parse::<u8>() else {
            return Err(self.err(
                ErrorKind::ProximityDistance(digits.to_string()),
                digits_start,
                self.pos,
            ));
        };
        Ok(clause(
            start,
            self.pos,
            ClauseKind::Proximity(Proximity { phrase, distance }),
        ))
    }

    /// Reads the bare word after a one-byte sigil (`#`, `@`, `$`).
    fn sigil_word(&mut self) -> (usize, &'a str) {
        let start = self.pos;
        let end = self.word_end(start + 1);
        self.pos = end;
        (start, &self.src[start + 1..end])
    }

    fn parse_hashtag(&mut self) -> PResult<Expr> {
        let (start, text) = self.sigil_word();
        if text.is_empty() || !text.chars().all(is_hashtag_char) {
            return Err(self.no_viable_input(start, self.pos));
        }
        Ok(clause(
            start,
            self.pos,
            ClauseKind::Hashtag(Word::new(text)),
        ))
    }

    fn parse_mention(&mut self) -> PResult<Expr> {
        let (start, text) = self.sigil_word();
        let Some(user) = user_ref(text) else {
            return Err(self.no_viable_input(start, self.pos));
        };
        Ok(clause(start, self.pos, ClauseKind::Mention(user)))
    }

    fn parse_cashtag(&mut self) -> PResult<Expr> {
        let (start, text) = self.sigil_word();
        if !is_cashtag(text) {
            return Err(self.no_viable_input(start, self.pos));
        }
        Ok(clause(
            start,
            self.pos,
            ClauseKind::Cashtag(Word::new(text)),
        ))
    }

    fn no_viable_input(&self, start: usize, end: usize) -> Diagnostic {
        self.err(
            ErrorKind::NoViableInput(self.src[start..end].to_string()),
            start,
            end,
        )
    }

    /// Rejects a bare word or value whose first character may not start one.
    fn check_start(&self, start: usize, end: usize, value: bool) -> PResult<()> {
        let c = self.src[start..].chars().next().unwrap_or(' ');
        if value && matches!(c, '#' | '@' | '$') {
            return Err(self.no_viable_input(start, end));
        }
        if is_punct_start(c) {
            if value || matches!(c, '[' | ']') {
                return Err(self.no_viable_input(start, end));
            }
            return Err(self.err(ErrorKind::NoViableCharacter(c), start, start + c.len_utf8()));
        }
        Ok(())
    }

    fn parse_word(&mut self) -> PResult<Expr> {
        let start = self.pos;
        let end = self.word_end(start);
        if self.b.get(end) == Some(&b':') {
            return self.parse_operator(start, end);
        }
        self.check_start(start, end, false)?;
        self.pos = end;
        let word = &self.src[start..end];
        if let Some(r) = reserved(word) {
            let kind = match r {
                Reserved::And => ErrorKind::AmbiguousAnd,
                Reserved::LowerOr => ErrorKind::AmbiguousOr,
                Reserved::Not => ErrorKind::AmbiguousNot,
            };
            self.soft.push(self.err(kind, start, end));
        }
        let kind = if is_emoji(word) {
            ClauseKind::Emoji(Word::new(word))
        } else {
            ClauseKind::Keyword(Word::new(word))
        };
        Ok(clause(start, end, kind))
    }

    fn parse_operator(&mut self, start: usize, colon: usize) -> PResult<Expr> {
        let name = &self.src[start..colon];
        let Some((op, spelling)) = Operator::from_name(name) else {
            if is_identifier(name) {
                let end = self.run_end(colon + 1);
                let tok = self.src[start..end].to_string();
                return Err(self.err(ErrorKind::UnknownOperator(tok), start, end));
            }
            // `12:30`, `é:x`: the colon cannot follow this word.
            return Err(self.cannot_parse_at(colon));
        };
        let at = colon + 1;
        let kind = match op.arg_kind() {
            ArgKind::Text => {
                let arg = self.text_arg(at, spelling)?;
                text_clause(op, arg)
            }
            ArgKind::User => {
                let (end, value) = self.bare_value_any(at)?;
                let Some(user) = user_ref(value) else {
                    return Err(self.no_viable_input(at, end));
                };
                let arg = UserArg { spelling, user };
                match op {
                    Operator::From => ClauseKind::From(arg),
                    Operator::To => ClauseKind::To(arg),
                    _ => ClauseKind::RetweetsOf(arg),
                }
            }
            ArgKind::Id => {
                let (end, value) = self.bare_value(at)?;
                let id = parse_digits(value)
                    .ok_or_else(|| self.invalid(op, spelling, at, end, "a numeric post id"))?;
                let arg = IdArg { spelling, id };
                if op == Operator::RetweetsOfStatusId {
                    ClauseKind::RetweetsOfStatusId(arg)
                } else {
                    ClauseKind::InReplyToStatusId(arg)
                }
            }
            ArgKind::Count => {
                let (end, value) = self.bare_value(at)?;
                let (min, max) = parse_count(value).ok_or_else(|| {
                    self.invalid(
                        op,
                        spelling,
                        at,
                        end,
                        "a count N or an inclusive range N..M",
                    )
                })?;
                let arg = CountArg { spelling, min, max };
                match op {
                    Operator::StatusesCount => ClauseKind::StatusesCount(arg),
                    Operator::FollowersCount => ClauseKind::FollowersCount(arg),
                    Operator::FriendsCount => ClauseKind::FriendsCount(arg),
                    _ => ClauseKind::ListedCount(arg),
                }
            }
            ArgKind::Lang => {
                let (end, value) = self.bare_value(at)?;
                let lang = Lang::from_code(value).ok_or_else(|| {
                    self.invalid(op, spelling, at, end, "a supported language code or und")
                })?;
                ClauseKind::Lang(lang)
            }
            ArgKind::Has => {
                let (end, value) = self.bare_value_any(at)?;
                let Some((value, spelling)) = HasValue::from_name(value) else {
                    return Err(self.unknown(start, end));
                };
                ClauseKind::Has(HasArg { spelling, value })
            }
            ArgKind::Is => {
                let (end, value) = self.bare_value_any(at)?;
                let Some((value, _)) = IsValue::from_name(value) else {
                    return Err(self.unknown(start, end));
                };
                ClauseKind::Is(value)
            }
            ArgKind::Sample => {
                let (end, value) = self.bare_value(at)?;
                let n = match parse_digits(value) {
                    Some(n @ 1..=100) => u8::try_from(n).unwrap_or(100),
                    _ => {
                        return Err(self.invalid(
                            op,
                            spelling,
                            at,
                            end,
                            "a whole percentage from 1 to 100",
                        ));
                    }
                };
                ClauseKind::Sample(n)
            }
            ArgKind::PointRadius => {
                let pr = self.point_radius(at)?;
                if op == Operator::PointRadius {
                    ClauseKind::PointRadius(pr)
                } else {
                    ClauseKind::ProfilePointRadius(pr)
                }
            }
            ArgKind::BoundingBox => {
                let bbox = self.bounding_box(at, spelling)?;
                if op == Operator::BoundingBox {
                    ClauseKind::BoundingBox(bbox)
                } else {
                    ClauseKind::ProfileBoundingBox(bbox)
                }
            }
        };
        Ok(clause(start, self.pos, kind))
    }

    fn unknown(&self, start: usize, end: usize) -> Diagnostic {
        let end = self.run_end(end);
        self.err(
            ErrorKind::UnknownOperator(self.src[start..end].to_string()),
            start,
            end,
        )
    }

    fn invalid(
        &self,
        op: Operator,
        spelling: Spelling,
        start: usize,
        end: usize,
        expected: &'static str,
    ) -> Diagnostic {
        self.err(
            ErrorKind::InvalidArgument {
                operator: op.spelled(spelling),
                value: self.src[start..end].to_string(),
                expected,
            },
            start,
            end,
        )
    }

    /// A bare operator value at `at`, which must start like a keyword; sets `pos` past it.
    fn bare_value(&mut self, at: usize) -> PResult<(usize, &'a str)> {
        let (end, value) = self.bare_value_any(at)?;
        self.check_start(at, end, true)?;
        Ok((end, value))
    }

    /// A bare operator value at `at`, not checked for its first character.
    fn bare_value_any(&mut self, at: usize) -> PResult<(usize, &'a str)> {
        let end = self.word_end(at);
        if end == at {
            return Err(self.cannot_parse_at(at));
        }
        if self.b.get(end) == Some(&b':') {
            // Operator chaining, `from:contains:heart`.
            return Err(self.cannot_parse_at(end));
        }
        self.pos = end;
        Ok((end, &self.src[at..end]))
    }

    fn text_arg(&mut self, at: usize, spelling: Spelling) -> PResult<TextArg> {
        if self.b.get(at) == Some(&b'"') {
            self.pos = at;
            let p = self.quoted()?;
            return Ok(TextArg {
                spelling,
                text: p.text,
                quoted: Some(p.raw),
            });
        }
        let (_, value) = self.bare_value(at)?;
        Ok(TextArg {
            spelling,
            text: value.to_string(),
            quoted: None,
        })
    }

    /// Reads `[arg arg …]` at `at` into (start, text) pairs of its space-separated arguments;
    /// sets `pos` past the `]` and returns the position of the `]` too.
    fn bracket_args(&mut self, at: usize) -> PResult<(Vec<(usize, &'a str)>, usize)> {
        if self.b.get(at) != Some(&b'[') {
            let end = self.word_end(at);
            if end == at {
                return Err(self.cannot_parse_at(at));
            }
            return Err(self.no_viable_input(at, end));
        }
        self.pos = at + 1;
        let mut args = Vec::with_capacity(4);
        loop {
            self.skip_ws();
            match self.peek() {
                None => {
                    let end = self.b.len();
                    return Err(self.err(
                        ErrorKind::Mismatched {
                            found: "EOF".into(),
                            expected: "]",
                        },
                        end,
                        end,
                    ));
                }
                Some(b']') => {
                    let close = self.pos;
                    self.pos += 1;
                    return Ok((args, close));
                }
                Some(_) => {
                    let start = self.pos;
                    let mut end = start;
                    while let Some(&b) = self.b.get(end) {
                        if b == b']' || b == b'[' || (b < 0x80 && is_ascii_delimiter(b)) {
                            break;
                        }
                        if b >= 0x80 && self.ws_len(end) > 0 {
                            break;
                        }
                        end += if b < 0x80 { 1 } else { utf8_len(b) };
                    }
                    if end == start {
                        return Err(self.cannot_parse_at(start));
                    }
                    args.push((start, &self.src[start..end]));
                    self.pos = end;
                }
            }
        }
    }

    /// Parses one coordinate argument (`-105.27`): a `Cannot parse rule` error names the text
    /// after any leading minus, as PowerTrack does.
    fn coordinate(&self, start: usize, text: &str, limit: f64) -> PResult<f64> {
        let (neg, digits_at, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, start + 1, rest),
            None => (false, start, text),
        };
        let Some(v) = parse_decimal(digits) else {
            return Err(self.err(
                ErrorKind::CannotParse(digits.to_string()),
                digits_at,
                digits_at + digits.len(),
            ));
        };
        if v > limit {
            return Err(self.err(
                ErrorKind::CoordinateOutOfRange(text.to_string()),
                start,
                start + text.len(),
            ));
        }
        Ok(if neg { -v } else { v })
    }

    fn point_radius(&mut self, at: usize) -> PResult<PointRadius> {
        let (args, close) = self.bracket_args(at)?;
        let arg = |i: usize| args.get(i).copied();
        let Some((s0, t0)) = arg(0) else {
            return Err(self.cannot_parse_at(close));
        };
        let lon = self.coordinate(s0, t0, 180.0)?;
        let Some((s1, t1)) = arg(1) else {
            return Err(self.cannot_parse_at(close));
        };
        let lat = self.coordinate(s1, t1, 90.0)?;
        let Some((s2, t2)) = arg(2) else {
            return Err(self.cannot_parse_at(close));
        };
        let (num, unit) = if let Some(n) = t2.strip_suffix("mi") {
            (n, DistanceUnit::Miles)
        } else if let Some(n) = t2.strip_suffix("km") {
            (n, DistanceUnit::Kilometers)
        } else {
            return Err(self.err(ErrorKind::CannotParse(t2.to_string()), s2, s2 + t2.len()));
        };
        let Some(radius) = parse_decimal(num) else {
            return Err(self.err(ErrorKind::CannotParse(t2.to_string()), s2, s2 + t2.len()));
        };
        if let Some(&(s3, t3)) = args.get(3) {
            return Err(self.err(ErrorKind::CannotParse(t3.to_string()), s3, s3 + t3.len()));
        }
        let pr = PointRadius {
            lon,
            lat,
            radius,
            unit,
        };
        if !geo::radius_ok(&pr) {
            return Err(self.err(ErrorKind::RadiusTooLarge, s2, s2 + t2.len()));
        }
        Ok(pr)
    }

    fn bounding_box(&mut self, at: usize, spelling: Spelling) -> PResult<BoundingBox> {
        let (args, close) = self.bracket_args(at)?;
        let mut v = [0.0; 4];
        for (i, slot) in v.iter_mut().enumerate() {
            let Some(&(s, t)) = args.get(i) else {
                return Err(self.cannot_parse_at(close));
            };
            *slot = self.coordinate(s, t, if i % 2 == 0 { 180.0 } else { 90.0 })?;
        }
        if let Some(&(s4, t4)) = args.get(4) {
            return Err(self.err(ErrorKind::CannotParse(t4.to_string()), s4, s4 + t4.len()));
        }
        let bbox = BoundingBox {
            spelling,
            west: v[0],
            south: v[1],
            east: v[2],
            north: v[3],
        };
        if bbox.south > bbox.north {
            return Err(self.err(ErrorKind::BoxInverted, at, self.pos));
        }
        if !geo::box_ok(&bbox) {
            return Err(self.err(ErrorKind::BoxTooLarge, at, self.pos));
        }
        Ok(bbox)
    }
}

fn clause(start: usize, end: usize, kind: ClauseKind) -> Expr {
    Expr::Clause(Clause {
        span: Span::new(start, end),
        kind,
    })
}

fn text_clause(op: Operator, arg: TextArg) -> ClauseKind {
    use ClauseKind as K;
    match op {
        Operator::Contains => K::Contains(arg),
        Operator::Url => K::Url(arg),
        Operator::UrlTitle => K::UrlTitle(arg),
        Operator::UrlDescription => K::UrlDescription(arg),
        Operator::UrlContains => K::UrlContains(arg),
        Operator::Bio => K::Bio(arg),
        Operator::BioName => K::BioName(arg),
        Operator::BioLocation => K::BioLocation(arg),
        Operator::Source => K::Source(arg),
        Operator::Place => K::Place(arg),
        Operator::PlaceCountry => K::PlaceCountry(arg),
        Operator::ProfileCountry => K::ProfileCountry(arg),
        Operator::ProfileRegion => K::ProfileRegion(arg),
        Operator::ProfileLocality => K::ProfileLocality(arg),
        _ => K::ProfileSubregion(arg),
    }
}

/// A screen name or numeric id; digits without a leading zero are an id.
fn user_ref(text: &str) -> Option<UserRef> {
    if !is_user_name(text) {
        return None;
    }
    let numeric =
        text.bytes().all(|b| b.is_ascii_digit()) && (text.len() == 1 || !text.starts_with('0'));
    if numeric {
        return parse_digits(text).map(UserRef::Id);
    }
    Some(UserRef::Name(text.to_string()))
}

/// Decimal digits only, fitting in a `u64`.
fn parse_digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_count(s: &str) -> Option<(u64, Option<u64>)> {
    match s.split_once("..") {
        None => Some((parse_digits(s)?, None)),
        Some((a, b)) => {
            let (a, b) = (parse_digits(a)?, parse_digits(b)?);
            (a <= b).then_some((a, Some(b)))
        }
    }
}

/// `DIGITS ("." DIGITS)?`, no sign, no exponent.
fn parse_decimal(s: &str) -> Option<f64> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    s.parse().ok()
}
