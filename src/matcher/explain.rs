//! Explanations: why a rule matches a post (or not), clause by clause, with where each clause
//! held in the post.
//!
//! An explanation runs the compiled path itself — the rule's lowering, index, gates and plans
//! — so it says what the matcher does, not what a second implementation thinks.

use std::ops::Range;
use std::sync::Arc;

use crate::compile::ir::{Field, Fields, KeyKind};
use crate::compile::lower::lower;
use crate::compile::segment::{CPred, RuleInput, Segment};
use crate::post::Post;
use crate::syntax::{Expr, Rule, Span};

use super::facts::{Facts, FieldFact};
use super::run::{SegmentScratch, Seq, match_segment, tok_atoms};

/// Why a rule matched a post or not. See [`explain`].
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// Whether the rule matches the post (exactly as a [`RuleSet`](super::RuleSet) decides).
    pub matched: bool,
    /// Every clause of the rule, in order.
    pub clauses: Vec<ClauseReport>,
}

/// One clause of a rule and what it found in the post.
#[derive(Clone, Debug, PartialEq)]
pub struct ClauseReport {
    /// The clause as written in canonical form (e.g. `#snow`, `"snow day"~3`, `lang:en`).
    pub clause: String,
    /// Where the clause is in the rule's text (bytes).
    pub span: Span,
    /// Whether the clause sits under an odd number of negations (it must not hold).
    pub negated: bool,
    /// Whether the clause itself holds for the post.
    pub held: bool,
    /// Where it held: the field, the text there, and the byte span of the hit in that text.
    pub evidence: Vec<Evidence>,
}

/// One place a clause held.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    /// What part of the post: `text`, `url`, `bio`, `hashtag`, `lang`, `user counts`…
    pub field: &'static str,
    /// The field's text (for tokenized fields) or the value found.
    pub text: String,
    /// The bytes of `text` that matched, when the match has a place in a text.
    pub span: Option<Range<usize>>,
}

/// Explains whether and why `rule` matches `post`.
///
/// # Example
///
/// ```
/// use powertrack::matcher::explain;
/// use powertrack::post::{Line, Parser};
/// use powertrack::syntax::Rule;
///
/// let line = br#"{"id_str":"1","text":"Let it SNOW, let it snow","user":{"id_str":"2","screen_name":"a"},"lang":"en"}"#;
/// let mut parser = Parser::new();
/// let Line::Post(post) = parser.parse(line)? else { unreachable!() };
/// let why = explain(&Rule::parse("snow -rain lang:en")?, &post);
/// assert!(why.matched);
/// let snow = &why.clauses[0];
/// assert_eq!((snow.clause.as_str(), snow.held, snow.negated), ("snow", true, false));
/// let spans: Vec<_> = snow.evidence.iter().map(|e| e.span.clone().unwrap()).collect();
/// assert_eq!(spans, [7..11, 20..24]);
/// assert!(!why.clauses[1].held && why.clauses[1].negated);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn explain(rule: &Rule, post: &Post<'_>) -> Explanation {
    let mut facts = Facts {
        sources: Some(Vec::new()),
        ..Facts::default()
    };
    // Explanations show every field, whatever the rule set reads.
    facts.extract(post, crate::compile::ir::Reads::ALL);
    let mut scratch = SegmentScratch::default();
    let whole = one_rule_segment(rule.expr());
    match_segment(&whole, &facts, None, &mut scratch);
    let matched = !scratch.matched.is_empty();
    let clauses = rule
        .expr()
        .clauses()
        .into_iter()
        .map(|(clause, negated)| {
            let expr = Expr::Clause(clause.clone());
            let seg = one_rule_segment(&expr);
            let mut scratch = SegmentScratch::default();
            match_segment(&seg, &facts, None, &mut scratch);
            let held = !scratch.matched.is_empty();
            let evidence = if held {
                locate(&seg, &facts, &scratch)
            } else {
                Vec::new()
            };
            ClauseReport {
                clause: expr.to_string(),
                span: clause.span,
                negated,
                held,
                evidence,
            }
        })
        .collect();
    Explanation { matched, clauses }
}

fn one_rule_segment(expr: &Expr) -> Arc<Segment> {
    Arc::new(Segment::build(vec![RuleInput {
        id: 0,
        tag: None,
        expr: lower(expr),
    }]))
}

fn field_name(field: Field) -> &'static str {
    match field {
        Field::Text => "text",
        Field::Url => "url",
        Field::UrlTitle => "url title",
        Field::UrlDescription => "url description",
        Field::Bio => "bio",
        Field::BioName => "bio name",
        Field::BioLocation => "bio location",
        Field::Source => "source",
        Field::Place => "place",
    }
}

fn key_name(kind: u8) -> &'static str {
    const NAMES: [(KeyKind, &str); 22] = [
        (KeyKind::Hashtag, "hashtag"),
        (KeyKind::MentionName, "mention"),
        (KeyKind::MentionId, "mention id"),
        (KeyKind::Cashtag, "cashtag"),
        (KeyKind::FromName, "author"),
        (KeyKind::FromId, "author id"),
        (KeyKind::ToName, "reply to"),
        (KeyKind::ToId, "reply to id"),
        (KeyKind::RetweetsOfName, "retweeted author"),
        (KeyKind::RetweetsOfId, "retweeted author id"),
        (KeyKind::RetweetOfStatus, "retweeted post id"),
        (KeyKind::InReplyToStatus, "replied-to post id"),
        (KeyKind::Lang, "lang"),
        (KeyKind::Flag, "flag"),
        (KeyKind::PlaceId, "place id"),
        (KeyKind::PlaceCountry, "place country"),
        (KeyKind::ProfileCountry, "profile country"),
        (KeyKind::ProfileRegion, "profile region"),
        (KeyKind::ProfileLocality, "profile locality"),
        (KeyKind::ProfileSubregion, "profile sub-region"),
        (KeyKind::GeoCell, "location"),
        (KeyKind::ProfileGeoCell, "profile location"),
    ];
    NAMES
        .iter()
        .find(|(k, _)| *k as u8 == kind)
        .map_or("key", |&(_, n)| n)
}

/// Maps a byte range of a field's folded text to the same characters of its original text
/// (simple case folding maps each character to exactly one character).
fn original_span(folded: &str, original: &str, range: Range<usize>) -> Range<usize> {
    let char_at = |byte: usize| folded[..byte].chars().count();
    let (first, last) = (char_at(range.start), char_at(range.end));
    let byte_of = |n: usize| {
        original
            .char_indices()
            .nth(n)
            .map_or(original.len(), |(b, _)| b)
    };
    byte_of(first)..byte_of(last)
}

fn token_evidence(
    facts: &Facts,
    fi: usize,
    field: &FieldFact,
    first: usize,
    last: usize,
) -> Evidence {
    let folded = facts.field_text(field);
    let base = field.text.start as usize;
    let range =
        facts.tokens[first].text.start as usize - base..facts.tokens[last].text.end as usize - base;
    text_evidence(facts, fi, field, folded, range)
}

fn text_evidence(
    facts: &Facts,
    fi: usize,
    field: &FieldFact,
    folded: &str,
    range: Range<usize>,
) -> Evidence {
    let original = facts
        .sources
        .as_ref()
        .and_then(|s| s.get(fi))
        .map_or(folded, String::as_str);
    Evidence {
        field: field_name(field.field),
        text: original.to_string(),
        span: Some(original_span(folded, original, range)),
    }
}

/// Where the tests of a one-clause segment that matched hold in the post.
fn locate(seg: &Segment, facts: &Facts, scratch: &SegmentScratch) -> Vec<Evidence> {
    let mut out = Vec::new();
    let in_fields = |fields: Fields| {
        facts
            .fields
            .iter()
            .enumerate()
            .filter(move |(_, f)| fields.contains(f.field))
    };
    for pred in &seg.preds {
        match pred {
            CPred::Atom { atom, fields } => {
                let key = seg.atoms.key(*atom);
                let (kind, value) = (key[0], &key[1..]);
                let value_str = String::from_utf8_lossy(value);
                if kind == KeyKind::Token as u8 {
                    for (fi, f) in in_fields(*fields) {
                        let lo = f.tokens.start as usize;
                        for (k, tok) in facts.field_tokens(f).iter().enumerate() {
                            if facts.token_text(tok).as_bytes() == value {
                                out.push(token_evidence(facts, fi, f, lo + k, lo + k));
                            }
                        }
                    }
                } else if kind == KeyKind::Substring as u8 {
                    for (fi, f) in in_fields(*fields) {
                        let folded = facts.field_text(f);
                        for (at, m) in folded.match_indices(value_str.as_ref()) {
                            out.push(text_evidence(facts, fi, f, folded, at..at + m.len()));
                        }
                    }
                } else if facts
                    .keys
                    .iter()
                    .any(|k| k.kind as u8 == kind && facts.key_value(k) == value)
                {
                    out.push(Evidence {
                        field: key_name(kind),
                        text: value_str.into_owned(),
                        span: None,
                    });
                }
            }
            CPred::Sequence {
                fields,
                terms,
                atoms,
                proximity,
            } => {
                let seq = Seq {
                    facts,
                    tok_atoms: tok_atoms(scratch),
                    terms,
                    atoms,
                };
                for (fi, f) in in_fields(*fields) {
                    match proximity {
                        None => {
                            for start in seq.phrase_starts(f) {
                                out.push(token_evidence(
                                    facts,
                                    fi,
                                    f,
                                    start,
                                    start + terms.len() - 1,
                                ));
                            }
                        }
                        Some(n) if seq.near_in(f, usize::from(*n)) => {
                            let original = facts.sources.as_ref().and_then(|s| s.get(fi)).cloned();
                            out.push(Evidence {
                                field: field_name(f.field),
                                text: original.unwrap_or_else(|| facts.field_text(f).to_string()),
                                span: None,
                            });
                        }
                        Some(_) => {}
                    }
                }
            }
            CPred::Count { field, .. } => {
                if let Some(v) = facts.counts[*field as usize] {
                    out.push(Evidence {
                        field: "user counts",
                        text: v.to_string(),
                        span: None,
                    });
                }
            }
            CPred::Geo { .. } => {
                let text = match (facts.point, facts.place_box, facts.profile_points.first()) {
                    (Some((lon, lat)), _, _) => format!("point [{lon} {lat}]"),
                    (None, Some([w, s, e, n]), _) => format!("place box [{w} {s} {e} {n}]"),
                    (None, None, Some((lon, lat))) => format!("profile point [{lon} {lat}]"),
                    _ => String::new(),
                };
                out.push(Evidence {
                    field: "location",
                    text,
                    span: None,
                });
            }
            CPred::Sample { .. } => out.push(Evidence {
                field: "sample bucket",
                text: facts.sample_bucket.to_string(),
                span: None,
            }),
            CPred::Never => {}
        }
    }
    out
}
