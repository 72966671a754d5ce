//! Stage (b): one segment against one post's facts — atom lookup, candidates, verification.

use crate::compile::atoms::hash_key;
use crate::compile::ir::{Area, CountField, Fields, GeoTarget, KeyKind, Term};
use crate::compile::lexicon::{Lexicon, NO_ATOM};
use crate::compile::segment::{CPred, Instr, Op, Segment, pair_value};
use crate::geo;

use super::facts::{Facts, FieldFact};

/// Every field: exact keys hit in all of them.
const ALL: u16 = u16::MAX;

/// Per-segment, per-thread matching state. Stamped with a generation number per post, so that
/// nothing is cleared between posts and nothing is allocated once the vectors have grown.
#[derive(Clone, Debug, Default)]
pub(crate) struct SegmentScratch {
    epoch: u32,
    /// Per atom: the post it last hit (its epoch) and the fields it hit in then. One array, so
    /// that a hit costs one cache line at most (at 250k rules the atoms outgrow the caches).
    atom_hits: Vec<(u32, u16)>,
    hit_atoms: Vec<u32>,
    rule_stamp: Vec<u32>,
    pred_stamp: Vec<u32>,
    pred_value: Vec<bool>,
    /// The segment's token atom of each of the post's tokens (`NO_ATOM` when none).
    tok_atoms: Vec<u32>,
    /// Candidate rules of the last post, in rule order.
    pub(crate) candidates: Vec<u32>,
    /// Rules of the segment that matched the last post, in rule order.
    pub(crate) matched: Vec<u32>,
    /// Candidates evaluated for the last post.
    pub(crate) evaluated: usize,
}

impl SegmentScratch {
    /// Starts a post: sizes the state for `seg` and advances the generation.
    fn begin(&mut self, seg: &Segment) {
        let (atoms, rules, preds) = (seg.atoms.len(), seg.rules.len(), seg.preds.len());
        if self.atom_hits.len() != atoms
            || self.rule_stamp.len() != rules
            || self.pred_stamp.len() != preds
            || self.epoch == u32::MAX
        {
            self.epoch = 0;
            self.atom_hits.clear();
            self.atom_hits.resize(atoms, (0, 0));
            self.rule_stamp.clear();
            self.rule_stamp.resize(rules, 0);
            self.pred_stamp.clear();
            self.pred_stamp.resize(preds, 0);
            self.pred_value.clear();
            self.pred_value.resize(preds, false);
        }
        self.epoch += 1;
        self.hit_atoms.clear();
        self.candidates.clear();
        self.matched.clear();
        self.evaluated = 0;
    }

    /// Whether `atom` hit the current post in one of `fields`.
    #[inline]
    fn hit_in(&self, atom: u32, fields: Fields) -> bool {
        let a = atom as usize;
        let (epoch, hit) = self.atom_hits[a];
        epoch == self.epoch && hit & fields.0 != 0
    }

    /// The fields `atom` hit the current post in (none if it did not).
    #[inline]
    fn hit_fields(&self, atom: u32) -> u16 {
        let (epoch, hit) = self.atom_hits[atom as usize];
        if epoch == self.epoch { hit } else { 0 }
    }

    #[inline]
    fn hit(&mut self, atom: u32, fields: u16) {
        let a = atom as usize;
        let slot = &mut self.atom_hits[a];
        if slot.0 == self.epoch {
            slot.1 |= fields;
        } else {
            *slot = (self.epoch, fields);
            self.hit_atoms.push(atom);
        }
    }
}

pub(super) fn tok_atoms(scratch: &SegmentScratch) -> &[u32] {
    &scratch.tok_atoms
}

/// A post's tokens and keys looked up in a [`Lexicon`], once for all the segments it covers.
#[derive(Clone, Debug, Default)]
pub(crate) struct Resolved {
    /// The lexicon entry of each of the post's tokens (`NO_ATOM` when none).
    tok_entries: Vec<u32>,
    /// The entries the post hit (tokens, pairs, keys), with the fields they occur in.
    hits: Vec<(u32, u16)>,
}

/// Looks the post's tokens, adjacent token pairs and exact keys up in `lex`.
pub(crate) fn resolve(lex: &Lexicon, facts: &Facts, out: &mut Resolved) {
    out.tok_entries.clear();
    out.tok_entries.resize(facts.tokens.len(), NO_ATOM);
    out.hits.clear();
    for field in &facts.fields {
        let bit = Fields::of(field.field).0;
        let mut prev: Option<u32> = None;
        let first = field.tokens.start as usize;
        for (k, tok) in facts.field_tokens(field).iter().enumerate() {
            let entry = if lex.may_be_key(tok.hash) {
                let text = facts.token_text(tok).as_bytes();
                lex.get(tok.hash, KeyKind::Token as u8, text)
            } else {
                None
            };
            if let Some(entry) = entry {
                out.tok_entries[first + k] = entry;
                out.hits.push((entry, bit));
                if let (true, Some(p)) = (lex.has_pairs(), prev) {
                    let value = pair_value(p, entry);
                    let hash = hash_key(KeyKind::Pair as u8, &value);
                    if let Some(pair) = lex.get(hash, KeyKind::Pair as u8, &value) {
                        out.hits.push((pair, bit));
                    }
                }
            }
            prev = entry;
        }
    }
    for key in &facts.keys {
        if !lex.may_be_key(key.hash) {
            continue;
        }
        if let Some(entry) = lex.get(key.hash, key.kind as u8, facts.key_value(key)) {
            out.hits.push((entry, ALL));
        }
    }
}

/// Matches `seg` against the post's `facts`, leaving the matching rule indices, in rule
/// order, in `scratch.matched`. With a lexicon (`lex`: the lexicon, `seg`'s column in it, and
/// the post resolved in it), the post's tokens and keys are not looked up again.
pub(crate) fn match_segment(
    seg: &Segment,
    facts: &Facts,
    lex: Option<(&Lexicon, usize, &Resolved)>,
    scratch: &mut SegmentScratch,
) {
    scratch.begin(seg);
    match lex {
        Some((lex, column, resolved)) => lexicon_atoms(lex, column, resolved, scratch),
        None => looked_up_atoms(seg, facts, scratch),
    }
    scanned_atoms(seg, facts, scratch);
    // Candidates: every rule posted under a hit atom, once, plus the always-evaluated ones,
    // that pass their gate.
    for i in 0..scratch.hit_atoms.len() {
        let atom = scratch.hit_atoms[i];
        for &rule in seg.postings(atom) {
            consider(seg, facts, scratch, rule);
        }
    }
    for &rule in &seg.always {
        consider(seg, facts, scratch, rule);
    }
    scratch.candidates.sort_unstable();
    scratch.evaluated = scratch.candidates.len();
    let candidates = std::mem::take(&mut scratch.candidates);
    for &rule in &candidates {
        // A complete gate passed is the rule matched.
        let entry = &seg.rules[rule as usize];
        if entry.complete || eval(seg, facts, scratch, &seg.code[entry.plan as usize..]) {
            scratch.matched.push(rule);
        }
    }
    scratch.candidates = candidates;
}

/// The segment's atoms among the entries the post hit in the lexicon: what
/// [`looked_up_atoms`] finds, without a lookup.
fn lexicon_atoms(lex: &Lexicon, column: usize, resolved: &Resolved, scratch: &mut SegmentScratch) {
    scratch.tok_atoms.clear();
    scratch
        .tok_atoms
        .extend(resolved.tok_entries.iter().map(|&e| {
            if e == NO_ATOM {
                NO_ATOM
            } else {
                lex.atom(e, column)
            }
        }));
    for &(entry, fields) in &resolved.hits {
        let atom = lex.atom(entry, column);
        if atom != NO_ATOM {
            scratch.hit(atom, fields);
        }
    }
}

/// Makes `rule` a candidate, once per post, if its gate passes.
#[inline]
fn consider(seg: &Segment, facts: &Facts, scratch: &mut SegmentScratch, rule: u32) {
    let r = rule as usize;
    if scratch.rule_stamp[r] == scratch.epoch {
        return;
    }
    scratch.rule_stamp[r] = scratch.epoch;
    let entry = &seg.rules[r];
    if facts.sample_bucket >= entry.sample {
        return;
    }
    let start = entry.gate_start as usize;
    let required = usize::from(entry.required);
    let gate = &seg.gates[start..start + required + usize::from(entry.excluded)];
    let (required, excluded) = gate.split_at(required);
    if required
        .iter()
        .all(|&(atom, fields)| scratch.hit_in(atom, fields))
        && !excluded
            .iter()
            .any(|&(atom, fields)| scratch.hit_in(atom, fields))
    {
        scratch.candidates.push(rule);
    }
}

/// Marks every token, pair and exact-key atom of the segment that the post contains, with
/// the fields it occurs in, looking each token and key up in the segment's own table.
fn looked_up_atoms(seg: &Segment, facts: &Facts, scratch: &mut SegmentScratch) {
    scratch.tok_atoms.clear();
    scratch.tok_atoms.resize(facts.tokens.len(), NO_ATOM);
    // Tokens: one table lookup each; then adjacent pairs of token atoms, when the segment
    // indexes phrases under pairs.
    for field in &facts.fields {
        let bit = Fields::of(field.field).0;
        let mut prev: Option<u32> = None;
        let first = field.tokens.start as usize;
        for (k, tok) in facts.field_tokens(field).iter().enumerate() {
            let text = facts.token_text(tok).as_bytes();
            let atom = if seg.may_be_key(tok.hash) {
                seg.atoms.get(tok.hash, KeyKind::Token as u8, text)
            } else {
                None
            };
            if let Some(atom) = atom {
                scratch.tok_atoms[first + k] = atom;
                scratch.hit(atom, bit);
                if let (true, Some(p)) = (seg.has_pairs, prev) {
                    let value = pair_value(p, atom);
                    let hash = hash_key(KeyKind::Pair as u8, &value);
                    if let Some(pair) = seg.atoms.get(hash, KeyKind::Pair as u8, &value) {
                        scratch.hit(pair, bit);
                    }
                }
            }
            prev = atom;
        }
    }
    // Exact keys, past the same bit filter.
    for key in &facts.keys {
        if !seg.may_be_key(key.hash) {
            continue;
        }
        if let Some(atom) = seg
            .atoms
            .get(key.hash, key.kind as u8, facts.key_value(key))
        {
            scratch.hit(atom, ALL);
        }
    }
}

/// Marks the substring and count-range atoms of the segment that the post contains.
fn scanned_atoms(seg: &Segment, facts: &Facts, scratch: &mut SegmentScratch) {
    // Substrings: one search per field instance that any substring test reads.
    if let Some(search) = &seg.substrings {
        for field in &facts.fields {
            if !seg.substring_fields.contains(field.field) {
                continue;
            }
            let bit = Fields::of(field.field).0;
            search.find(facts.field_text(field).as_bytes(), |pattern| {
                scratch.hit(seg.pattern_atoms[pattern as usize], bit);
            });
        }
    }
    // Count ranges: those starting at or below the value, then checked against their end.
    for (field, list) in seg.count_atoms.iter().enumerate() {
        let Some(value) = facts.counts[field] else {
            continue;
        };
        let below = list.partition_point(|&(min, _, _)| min <= value);
        for &(_, max, atom) in &list[..below] {
            if value <= max {
                scratch.hit(atom, ALL);
            }
        }
    }
}

/// Evaluates the subtree of a plan that starts at `code[0]`.
fn eval(seg: &Segment, facts: &Facts, scratch: &mut SegmentScratch, code: &[Instr]) -> bool {
    let head = code[0];
    match head.op {
        Op::Atom => scratch.hit_in(head.arg, head.fields),
        Op::Pred => eval_pred(seg, facts, scratch, head.arg),
        Op::Not => !eval(seg, facts, scratch, &code[1..]),
        Op::And | Op::Or => {
            // A conjunction stops at its first false child, a disjunction at its first true.
            let want = head.op == Op::Or;
            let end = 1 + head.span();
            let mut at = 1;
            while at < end {
                let child = code[at];
                // Most children are single atoms: tested here, without a call.
                let value = match child.op {
                    Op::Atom => scratch.hit_in(child.arg, child.fields),
                    _ => eval(seg, facts, scratch, &code[at..end]),
                };
                if value == want {
                    return want;
                }
                at += 1 + child.span();
            }
            !want
        }
    }
}

fn eval_pred(seg: &Segment, facts: &Facts, scratch: &mut SegmentScratch, pred: u32) -> bool {
    let p = pred as usize;
    match &seg.preds[p] {
        CPred::Atom { atom, fields } => scratch.hit_in(*atom, *fields),
        CPred::Count { field, min, max } => {
            facts.counts[*field as usize].is_some_and(|v| *min <= v && v <= *max)
        }
        CPred::Sample { percent } => facts.sample_bucket < *percent,
        CPred::Never => false,
        // The costlier tests are remembered for the rest of the post.
        CPred::Sequence { .. } | CPred::Geo { .. } => {
            if scratch.pred_stamp[p] == scratch.epoch {
                return scratch.pred_value[p];
            }
            remembered_pred(seg, facts, scratch, p)
        }
    }
}

/// Evaluates a phrase, proximity or geo test and remembers its value for the rest of the
/// post. Out of line, so that the plan evaluator it is called from stays small.
#[inline(never)]
fn remembered_pred(seg: &Segment, facts: &Facts, scratch: &mut SegmentScratch, p: usize) -> bool {
    let value = match &seg.preds[p] {
        CPred::Sequence {
            fields,
            terms,
            atoms,
            proximity,
        } => {
            // Tokens are compared only in the fields that every term hit in.
            let both = atoms
                .iter()
                .fold(fields.0, |m, &a| m & scratch.hit_fields(a));
            let seq = Seq {
                facts,
                tok_atoms: &scratch.tok_atoms,
                terms,
                atoms,
            };
            both != 0 && seq.any_field(Fields(both), *proximity)
        }
        CPred::Geo { target, area } => geo_test(facts, *target, area),
        _ => unreachable!("only sequence and geo tests are remembered"),
    };
    scratch.pred_stamp[p] = scratch.epoch;
    scratch.pred_value[p] = value;
    value
}

/// A sequence test against one post: the terms (with their token atoms) and the post's
/// tokens (with theirs). Whole terms compare by atom id; spaceless terms by text.
pub(super) struct Seq<'a> {
    pub(super) facts: &'a Facts,
    pub(super) tok_atoms: &'a [u32],
    pub(super) terms: &'a [Term],
    pub(super) atoms: &'a [u32],
}

impl Seq<'_> {
    pub(super) fn any_field(&self, fields: Fields, proximity: Option<u8>) -> bool {
        self.facts
            .fields
            .iter()
            .filter(|f| fields.contains(f.field))
            .any(|f| match proximity {
                None => self.phrase_in(f),
                Some(n) => self.near_in(f, usize::from(n)),
            })
    }

    /// Whether term `j` of a `k`-term phrase matches post token `i` (matching-semantics S15,
    /// S17): whole tokens must be equal; a spaceless term may end the token it starts a phrase
    /// in, begin the token it ends a phrase in, and lie anywhere in a token it is alone in.
    #[inline]
    fn phrase_term(&self, j: usize, k: usize, i: usize) -> bool {
        let term = &self.terms[j];
        if !term.spaceless {
            return self.tok_atoms[i] == self.atoms[j];
        }
        let tok = &self.facts.tokens[i];
        let text = self.facts.token_text(tok);
        if !tok.spaceless {
            return text == &*term.text;
        }
        match (j == 0, j + 1 == k) {
            (true, true) => text.contains(&*term.text),
            (true, false) => text.ends_with(&*term.text),
            (false, true) => text.starts_with(&*term.text),
            (false, false) => text == &*term.text,
        }
    }

    /// Whether proximity term `j` matches post token `i`: equal, or inside it for a spaceless
    /// term.
    #[inline]
    fn near_term(&self, j: usize, i: usize) -> bool {
        let term = &self.terms[j];
        if !term.spaceless {
            return self.tok_atoms[i] == self.atoms[j];
        }
        let tok = &self.facts.tokens[i];
        let text = self.facts.token_text(tok);
        if tok.spaceless {
            text.contains(&*term.text)
        } else {
            text == &*term.text
        }
    }

    fn phrase_in(&self, field: &FieldFact) -> bool {
        self.phrase_starts(field).next().is_some()
    }

    /// The token indices where the phrase starts in `field`.
    pub(super) fn phrase_starts<'s>(
        &'s self,
        field: &FieldFact,
    ) -> impl Iterator<Item = usize> + 's {
        let (lo, hi) = (field.tokens.start as usize, field.tokens.end as usize);
        let k = self.terms.len();
        let last = if k == 0 || hi - lo < k {
            lo
        } else {
            hi - k + 1
        };
        (lo..last).filter(move |&i| (0..k).all(|j| self.phrase_term(j, k, i + j)))
    }

    /// Proximity (matching-semantics S16): the terms in order within `n` positions of each other
    /// from first to last, or in reverse order within `n - 2`.
    pub(super) fn near_in(&self, field: &FieldFact, n: usize) -> bool {
        let (lo, hi) = (field.tokens.start as usize, field.tokens.end as usize);
        let k = self.terms.len();
        if k == 0 {
            return false;
        }
        for p1 in lo..hi {
            if !self.near_term(0, p1) {
                continue;
            }
            // In order: the nearest following occurrence of each next term.
            let mut at = p1;
            let forward = (1..k).all(|j| match (at + 1..hi).find(|&i| self.near_term(j, i)) {
                Some(i) => {
                    at = i;
                    true
                }
                None => false,
            });
            if forward && at - p1 <= n {
                return true;
            }
            // Reverse order: the nearest preceding occurrence of each next term.
            let mut at = p1;
            let backward = (1..k).all(|j| match (lo..at).rev().find(|&i| self.near_term(j, i)) {
                Some(i) => {
                    at = i;
                    true
                }
                None => false,
            });
            if backward && p1 - at + 2 <= n {
                return true;
            }
        }
        false
    }
}

fn in_area(p: (f64, f64), area: &Area) -> bool {
    match *area {
        Area::Circle { lon, lat, km } => geo::in_circle(p, (lon, lat), km),
        Area::Box(b) => geo::in_box(p, b),
    }
}

fn box_in_area(b: [f64; 4], area: &Area) -> bool {
    match *area {
        Area::Circle { lon, lat, km } => geo::box_in_circle(b, (lon, lat), km),
        Area::Box(outer) => geo::box_in_box(b, outer),
    }
}

fn geo_test(facts: &Facts, target: GeoTarget, area: &Area) -> bool {
    match target {
        GeoTarget::Post => {
            facts.point.is_some_and(|p| in_area(p, area))
                || facts.place_box.is_some_and(|b| box_in_area(b, area))
        }
        GeoTarget::Profile => facts.profile_points.iter().any(|&p| in_area(p, area)),
    }
}

/// Count fields in `Facts::counts` order.
#[allow(dead_code)]
pub(crate) const COUNT_FIELDS: [CountField; 4] = [
    CountField::Statuses,
    CountField::Followers,
    CountField::Friends,
    CountField::Listed,
];
