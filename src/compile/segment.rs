//! A compiled segment: the shared atom index, the substring search and the per-rule plans
//! of a batch of rules.
//!
//! A rule set is one or more segments (the live store adds small ones for new rules and
//! compacts them in the background). Each segment is immutable and self-contained: a post's
//! rule-independent facts are computed once, then each segment looks them up in its own
//! tables and evaluates its own candidates.

use smallvec::{SmallVec, smallvec};

use super::atoms::{AtomTable, FastMap, KeyFilter, hash_key};
use super::freq;
use super::geo_cells;
use super::ir::{Area, CountField, Expr, Fields, GeoTarget, KeyKind, Pred, Reads, Term};
use super::substrings::SubstringSearch;

/// A leaf test, with its atoms resolved to ids of the segment's table.
#[derive(Clone, Debug)]
pub(crate) enum CPred {
    /// True when atom `atom` hit in one of `fields` (keys hit in every field).
    Atom { atom: u32, fields: Fields },
    /// A phrase or proximity test over one field instance at a time. `atoms[i]` is the atom of
    /// term `i`: its token atom, or for a spaceless term (compared as text) its substring atom;
    /// all must hit before any token is compared.
    Sequence {
        fields: Fields,
        terms: Box<[Term]>,
        atoms: Box<[u32]>,
        proximity: Option<u8>,
    },
    /// A user count in `min..=max`.
    Count {
        field: CountField,
        min: u64,
        max: u64,
    },
    /// A location in an area.
    Geo { target: GeoTarget, area: Area },
    /// The sample bucket is below `percent`.
    Sample { percent: u8 },
    /// Never true.
    Never,
}

impl CPred {
    /// A rough relative cost of evaluating this test, to order conjunctions cheap-first.
    fn cost(&self) -> u32 {
        match self {
            CPred::Never | CPred::Atom { .. } | CPred::Sample { .. } | CPred::Count { .. } => 1,
            CPred::Geo { .. } => 4,
            CPred::Sequence { .. } => 16,
        }
    }
}

/// A node of a rule's plan while it is built (the segment keeps the plan as [`Instr`]s).
#[derive(Clone, Copy, Debug)]
enum Node {
    /// All of `children[start..start + len]`.
    And { start: u32, len: u32 },
    /// Any of `children[start..start + len]`.
    Or { start: u32, len: u32 },
    /// Not node `0`.
    Not(u32),
    /// Test `preds[0]`.
    Pred(u32),
}

/// One instruction of a rule's plan. A rule's plan is one contiguous run of instructions in
/// prefix order (a node, then its children's subtrees), so that evaluating a candidate reads
/// a cache line or two rather than chasing node, child and test arrays; a leaf test of one
/// atom is inline, the costlier tests refer to `Segment::preds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Instr {
    /// An atom, a test index, or for a branch the number of instructions of its subtree
    /// after itself.
    pub(crate) arg: u32,
    /// The fields an atom must hit in.
    pub(crate) fields: Fields,
    pub(crate) op: Op,
}

/// What an [`Instr`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// True when atom `arg` hit in one of `fields`.
    Atom,
    /// Test `preds[arg]`.
    Pred,
    /// Not the subtree that follows.
    Not,
    /// All of the subtrees that follow, within `arg` instructions.
    And,
    /// Any of them.
    Or,
}

impl Instr {
    /// The number of instructions of the subtree this one starts, after itself.
    #[inline]
    pub(crate) fn span(self) -> usize {
        match self.op {
            Op::Atom | Op::Pred => 0,
            Op::Not | Op::And | Op::Or => self.arg as usize,
        }
    }
}

/// A rule of the segment: its external identity, its plan, and its gate.
///
/// The gate is what a rule requires of every post it matches that costs one lookup to check:
/// positive atoms of its top-level conjunction (`lang:en`, `has:links`, a hashtag), negated
/// ones (`-is:retweet`), and its `sample:` percentage. A triggered rule whose gate fails is
/// dropped before its plan is evaluated: `snow lang:en sample:10` is indexed under `snow`, and
/// gated on English posts of the 10 % sample. When the gate is the whole rule (`complete`:
/// `from:acme -is:retweet`, `@brand lang:en`), a rule whose gate passes matches, and its plan
/// is not evaluated at all.
#[derive(Clone, Debug)]
pub(crate) struct RuleEntry {
    pub(crate) id: u64,
    pub(crate) tag: Option<Box<str>>,
    /// Its plan: the subtree starting at `code[plan]`.
    pub(crate) plan: u32,
    /// Required atoms: `gates[gate_start..][..required]`; then the excluded ones:
    /// `gates[gate_start + required..][..excluded]`.
    pub(crate) gate_start: u32,
    pub(crate) required: u8,
    pub(crate) excluded: u8,
    /// The gate is the whole rule.
    pub(crate) complete: bool,
    /// The post's sample bucket must be below this (100: no `sample:`).
    pub(crate) sample: u8,
    /// The rule needs the substring automaton ([`Expr::reads_substrings`]).
    pub(crate) substrings: bool,
}

/// A rule to compile: its external id, tag and expression.
#[derive(Clone, Debug)]
pub(crate) struct RuleInput {
    pub(crate) id: u64,
    pub(crate) tag: Option<Box<str>>,
    pub(crate) expr: Expr,
}

/// Build statistics of a segment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SegmentStats {
    pub(crate) rules: usize,
    pub(crate) atoms: usize,
    pub(crate) substring_patterns: usize,
    pub(crate) distinct_preds: usize,
    pub(crate) plan_nodes: usize,
    pub(crate) always_evaluated: usize,
    pub(crate) postings: usize,
    pub(crate) automaton_bytes: usize,
}

/// An immutable compiled segment.
#[derive(Clone, Debug)]
pub(crate) struct Segment {
    pub(crate) atoms: AtomTable,
    /// Rules triggered by atom `a`: `postings[postings_start[a]..postings_start[a + 1]]`.
    pub(crate) postings_start: Vec<u32>,
    pub(crate) postings: Vec<u32>,
    /// Rules evaluated for every post (no positive indexable atom).
    pub(crate) always: Vec<u32>,
    /// The substring search, and for each pattern its atom.
    pub(crate) substrings: Option<SubstringSearch>,
    pub(crate) pattern_atoms: Vec<u32>,
    /// The fields any substring test reads: only these are scanned.
    pub(crate) substring_fields: Fields,
    /// A filter of the atoms looked up by key (tokens and exact keys).
    pub(crate) key_filter: KeyFilter,
    /// Whether any atom is a token pair (only then are a post's adjacent tokens paired).
    pub(crate) has_pairs: bool,
    /// Count-range atoms per count field, sorted by `min`.
    pub(crate) count_atoms: [Vec<(u64, u64, u32)>; 4],
    pub(crate) preds: Vec<CPred>,
    /// The plans of all rules, each contiguous.
    pub(crate) code: Vec<Instr>,
    pub(crate) rules: Vec<RuleEntry>,
    /// Gate atoms of all rules, with the fields they must hit in.
    pub(crate) gates: Vec<(u32, Fields)>,
    /// What its rules can read of a post.
    pub(crate) reads: Reads,
    pub(crate) stats: SegmentStats,
}

/// The atom value of a count range (the kind is `KeyKind::Count`).
fn count_key(field: CountField, min: u64, max: u64) -> Vec<u8> {
    let mut key = vec![field as u8];
    key.extend_from_slice(&min.to_le_bytes());
    key.extend_from_slice(&max.to_le_bytes());
    key
}

/// The value of the `KeyKind::Pair` atom of token atoms `first` then `second`.
#[inline]
pub(crate) fn pair_value(first: u32, second: u32) -> [u8; 8] {
    let mut value = [0u8; 8];
    value[..4].copy_from_slice(&first.to_le_bytes());
    value[4..].copy_from_slice(&second.to_le_bytes());
    value
}

/// What the rules of a segment can read: every key kind among its atoms (a negated test
/// reads as much as a positive one), and every text field a token, phrase, proximity or
/// substring test looks in. Count, geo and sample tests read facts computed for every post.
fn reads_of(atoms: &AtomTable, preds: &[CPred], substring_fields: Fields) -> Reads {
    let mut reads = Reads {
        fields: substring_fields,
        keys: 0,
    };
    for a in 0..atoms.len() {
        let kind = atoms.key(u32::try_from(a).unwrap_or(u32::MAX))[0];
        reads.keys |= 1 << kind;
    }
    let text_kind = |atom: u32| {
        let kind = atoms.key(atom)[0];
        kind == KeyKind::Token as u8
            || kind == KeyKind::Pair as u8
            || kind == KeyKind::Substring as u8
    };
    for p in preds {
        match p {
            CPred::Atom { atom, fields } if text_kind(*atom) => reads.fields.0 |= fields.0,
            CPred::Sequence { fields, .. } => reads.fields.0 |= fields.0,
            _ => {}
        }
    }
    reads
}

/// A rule's gate, as [`Builder::gate`] finds it.
struct Gate {
    required: u8,
    excluded: u8,
    sample: u8,
    complete: bool,
}

/// The atoms of a trigger: usually one, so kept inline.
type Atoms = SmallVec<[u32; 4]>;

/// A byte key identifying a pred, for interning equal preds of different rules once.
fn pred_key(pred: &Pred, out: &mut Vec<u8>) {
    fn text(out: &mut Vec<u8>, s: &[u8]) {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s);
    }
    out.clear();
    match pred {
        Pred::Token { fields, text: t } => {
            out.push(0);
            out.extend_from_slice(&fields.0.to_le_bytes());
            text(out, t.as_bytes());
        }
        Pred::Substring { fields, text: t } => {
            out.push(1);
            out.extend_from_slice(&fields.0.to_le_bytes());
            text(out, t.as_bytes());
        }
        Pred::Sequence {
            fields,
            terms,
            proximity,
        } => {
            out.push(2);
            out.extend_from_slice(&fields.0.to_le_bytes());
            out.push(proximity.map_or(0, |n| n + 1));
            for t in terms {
                out.push(u8::from(t.spaceless));
                text(out, t.text.as_bytes());
            }
        }
        Pred::Key { kind, value } => {
            out.push(3);
            out.push(*kind as u8);
            text(out, value);
        }
        Pred::Count { field, min, max } => {
            out.push(4);
            out.push(*field as u8);
            out.extend_from_slice(&min.to_le_bytes());
            out.extend_from_slice(&max.to_le_bytes());
        }
        Pred::Geo { target, area } => {
            out.push(5);
            out.push(u8::from(*target == GeoTarget::Profile));
            let nums: &[f64] = match area {
                Area::Circle { lon, lat, km } => &[0.0, *lon, *lat, *km],
                Area::Box(b) => &[1.0, b[0], b[1], b[2], b[3]],
            };
            for n in nums {
                out.extend_from_slice(&n.to_bits().to_le_bytes());
            }
        }
        Pred::Sample { percent } => out.extend_from_slice(&[6, *percent]),
        Pred::Never => out.push(7),
    }
}

/// What triggers a subexpression: a set of atoms at least one of which hits whenever the
/// subexpression is true, with the expected share of posts that hit any of them.
struct Trigger {
    cost: f64,
    atoms: Atoms,
}

#[derive(Default)]
struct Builder {
    atoms: AtomTable,
    atom_freq: Vec<f64>,
    patterns: Vec<(Box<str>, u32)>,
    pattern_of_atom: FastMap<u32, usize>,
    substring_fields: Fields,
    count_atoms: [Vec<(u64, u64, u32)>; 4],
    preds: Vec<CPred>,
    /// Triggers of each distinct pred (None: not indexable).
    pred_triggers: Vec<Option<(f64, Atoms)>>,
    /// Pred interning without a key allocation per pred: every distinct pred's key end to end
    /// (pred `i`'s is `pred_keys[pred_key_ends[i - 1]..pred_key_ends[i]]`), the newest pred of
    /// each key hash, and for each pred the previous one with the same hash (`u32::MAX`: none).
    pred_keys: Vec<u8>,
    pred_key_ends: Vec<usize>,
    pred_by_hash: FastMap<u64, u32>,
    pred_same_hash: Vec<u32>,
    /// The key of the pred being interned.
    key_buf: Vec<u8>,
    has_pairs: bool,
    nodes: Vec<Node>,
    children: Vec<u32>,
}

impl Builder {
    fn atom(&mut self, kind: KeyKind, value: &[u8], freq: f64) -> u32 {
        let id = self.atoms.intern(kind as u8, value);
        if id as usize == self.atom_freq.len() {
            self.atom_freq.push(freq);
        }
        id
    }

    fn substring_atom(&mut self, text: &str, fields: Fields) -> u32 {
        let atom = self.atom(KeyKind::Substring, text.as_bytes(), freq::substring(text));
        self.substring_fields = Fields(self.substring_fields.0 | fields.0);
        if !self.pattern_of_atom.contains_key(&atom) {
            self.pattern_of_atom.insert(atom, self.patterns.len());
            self.patterns.push((text.into(), atom));
        }
        atom
    }

    fn token_atom(&mut self, fields: Fields, text: &str) -> u32 {
        let atom = self.atom(KeyKind::Token, text.as_bytes(), freq::token(fields, text));
        // The same token in a commoner field makes the atom commoner.
        let f = freq::token(fields, text);
        let slot = &mut self.atom_freq[atom as usize];
        *slot = slot.max(f);
        atom
    }

    /// Interns a pred, computing its trigger once.
    fn pred(&mut self, pred: &Pred) -> u32 {
        let mut key = std::mem::take(&mut self.key_buf);
        pred_key(pred, &mut key);
        let hash = hash_key(0, &key);
        let mut same = self.pred_by_hash.get(&hash).copied().unwrap_or(u32::MAX);
        while same != u32::MAX {
            let i = same as usize;
            let start = if i == 0 { 0 } else { self.pred_key_ends[i - 1] };
            if self.pred_keys[start..self.pred_key_ends[i]] == key[..] {
                self.key_buf = key;
                return same;
            }
            same = self.pred_same_hash[i];
        }
        let (cpred, trigger) = match pred {
            Pred::Token { fields, text } => {
                let atom = self.token_atom(*fields, text);
                let f = self.atom_freq[atom as usize];
                (
                    CPred::Atom {
                        atom,
                        fields: *fields,
                    },
                    Some((f, smallvec![atom])),
                )
            }
            Pred::Substring { fields, text } => {
                let atom = self.substring_atom(text, *fields);
                let f = self.atom_freq[atom as usize];
                (
                    CPred::Atom {
                        atom,
                        fields: *fields,
                    },
                    Some((f, smallvec![atom])),
                )
            }
            Pred::Sequence {
                fields,
                terms,
                proximity,
            } => {
                // Every term must occur: index under the rarest one, or, for a phrase, under
                // its rarest pair of adjacent whole tokens.
                let mut best: Option<(f64, u32)> = None;
                let mut prev: Option<(f64, u32)> = None;
                let mut term_atoms = Vec::with_capacity(terms.len());
                for term in terms {
                    let atom = if term.spaceless {
                        self.substring_atom(&term.text, *fields)
                    } else {
                        self.token_atom(*fields, &term.text)
                    };
                    term_atoms.push(atom);
                    let f = self.atom_freq[atom as usize];
                    if best.is_none_or(|(bf, _)| f < bf) {
                        best = Some((f, atom));
                    }
                    let here = (!term.spaceless).then_some((f, atom));
                    if let (None, Some((pf, pa)), Some((tf, ta))) = (proximity, prev, here) {
                        // Adjacent words co-occur far more often than independently.
                        let pair_f = (pf.min(tf) * 0.1).max(pf * tf);
                        if best.is_none_or(|(bf, _)| pair_f < bf) {
                            let pair = self.atom(KeyKind::Pair, &pair_value(pa, ta), pair_f);
                            self.has_pairs = true;
                            best = Some((pair_f, pair));
                        }
                    }
                    prev = here;
                }
                let cpred = CPred::Sequence {
                    fields: *fields,
                    terms: terms.clone().into_boxed_slice(),
                    atoms: term_atoms.into_boxed_slice(),
                    proximity: *proximity,
                };
                (cpred, best.map(|(f, a)| (f, smallvec![a])))
            }
            Pred::Key { kind, value } => {
                let atom = self.atom(*kind, value, freq::key(*kind, value));
                let f = self.atom_freq[atom as usize];
                (
                    CPred::Atom {
                        atom,
                        fields: Fields(u16::MAX),
                    },
                    Some((f, smallvec![atom])),
                )
            }
            Pred::Count { field, min, max } => {
                let atom = self.atom(
                    KeyKind::Count,
                    &count_key(*field, *min, *max),
                    freq::count(*field, *min, *max),
                );
                let list = &mut self.count_atoms[*field as usize];
                if !list.iter().any(|&(_, _, a)| a == atom) {
                    list.push((*min, *max, atom));
                }
                let f = self.atom_freq[atom as usize];
                let cpred = CPred::Count {
                    field: *field,
                    min: *min,
                    max: *max,
                };
                (cpred, Some((f, smallvec![atom])))
            }
            Pred::Geo { target, area } => {
                let kind = match target {
                    GeoTarget::Post => KeyKind::GeoCell,
                    GeoTarget::Profile => KeyKind::ProfileGeoCell,
                };
                let trigger = geo_cells::covering(area).map(|cells| {
                    let atoms: Atoms = cells
                        .iter()
                        .map(|cell| self.atom(kind, cell, freq::key(kind, cell)))
                        .collect();
                    let cells = f64::from(u32::try_from(atoms.len()).unwrap_or(u32::MAX));
                    (freq::key(kind, b"") * cells, atoms)
                });
                (
                    CPred::Geo {
                        target: *target,
                        area: *area,
                    },
                    trigger,
                )
            }
            Pred::Sample { percent } => (CPred::Sample { percent: *percent }, None),
            // A test that is never true is triggered by nothing: an empty atom set.
            Pred::Never => (CPred::Never, Some((0.0, Atoms::new()))),
        };
        let id = u32::try_from(self.preds.len()).expect("fewer than 2^32 preds");
        self.preds.push(cpred);
        self.pred_triggers.push(trigger);
        self.pred_keys.extend_from_slice(&key);
        self.pred_key_ends.push(self.pred_keys.len());
        self.pred_same_hash
            .push(self.pred_by_hash.insert(hash, id).unwrap_or(u32::MAX));
        self.key_buf = key;
        id
    }

    /// Flattens `expr` into plan nodes, returning its node index, cost and trigger.
    fn plan(&mut self, expr: &Expr) -> (u32, u32, Option<Trigger>) {
        match expr {
            Expr::Pred(p) => {
                let id = self.pred(p);
                let cost = self.preds[id as usize].cost();
                let trigger = self.pred_triggers[id as usize]
                    .clone()
                    .map(|(cost, atoms)| Trigger { cost, atoms });
                (self.push(Node::Pred(id)), cost, trigger)
            }
            Expr::Not(inner) => {
                let (child, cost, _) = self.plan(inner);
                (self.push(Node::Not(child)), cost, None)
            }
            Expr::And(items) | Expr::Or(items) => {
                let is_and = matches!(expr, Expr::And(_));
                let mut parts: Vec<(u32, u32, Option<Trigger>)> =
                    items.iter().map(|e| self.plan(e)).collect();
                // Cheap tests first: a conjunction stops at its first false child, a
                // disjunction at its first true one.
                parts.sort_by_key(|&(_, cost, _)| cost);
                let cost = parts.iter().map(|p| p.1).fold(0u32, u32::saturating_add);
                let start = u32::try_from(self.children.len()).expect("plan under 2^32 nodes");
                self.children.extend(parts.iter().map(|p| p.0));
                let len = u32::try_from(parts.len()).expect("plan under 2^32 nodes");
                let triggers = parts.into_iter().map(|p| p.2);
                let trigger = if is_and {
                    // Any one required child's trigger will do: take the rarest.
                    triggers.flatten().min_by(|a, b| a.cost.total_cmp(&b.cost))
                } else {
                    // Every branch must be triggerable; the union triggers the disjunction.
                    let mut all = Trigger {
                        cost: 0.0,
                        atoms: Atoms::new(),
                    };
                    let mut ok = true;
                    for t in triggers {
                        match t {
                            Some(t) => {
                                all.cost += t.cost;
                                all.atoms.extend(t.atoms);
                            }
                            None => ok = false,
                        }
                    }
                    ok.then_some(all)
                };
                let node = if is_and {
                    Node::And { start, len }
                } else {
                    Node::Or { start, len }
                };
                (self.push(node), cost, trigger)
            }
        }
    }

    /// The gate of a rule: the required and the excluded single-atom tests of its top
    /// conjunction (up to four of each) and its `sample:`, appended to `gates`.
    fn gate(&mut self, expr: &Expr, gates: &mut Vec<(u32, Fields)>) -> Gate {
        const MOST: usize = 4;
        let items: &[Expr] = match expr {
            Expr::And(items) => items,
            single => std::slice::from_ref(single),
        };
        let mut required: SmallVec<[(u32, Fields); MOST]> = SmallVec::new();
        let mut excluded: SmallVec<[(u32, Fields); MOST]> = SmallVec::new();
        let mut gate = Gate {
            required: 0,
            excluded: 0,
            sample: 100,
            complete: true,
        };
        for item in items {
            let (p, list) = match item {
                Expr::Pred(Pred::Sample { percent }) => {
                    gate.sample = gate.sample.min(*percent);
                    continue;
                }
                Expr::Pred(p) => (p, &mut required),
                Expr::Not(inner) => match &**inner {
                    Expr::Pred(p) if !matches!(p, Pred::Sample { .. }) => (p, &mut excluded),
                    _ => {
                        gate.complete = false;
                        continue;
                    }
                },
                _ => {
                    gate.complete = false;
                    continue;
                }
            };
            let id = self.pred(p) as usize;
            match self.preds[id] {
                CPred::Atom { atom, fields } if list.len() < MOST => list.push((atom, fields)),
                _ => gate.complete = false,
            }
        }
        // At most four each.
        gate.required = u8::try_from(required.len()).unwrap_or(u8::MAX);
        gate.excluded = u8::try_from(excluded.len()).unwrap_or(u8::MAX);
        gates.extend(required);
        gates.extend(excluded);
        gate
    }

    /// Appends the plan rooted at node `node` to `code`, in prefix order, and clears the
    /// nodes: they are one rule's at a time.
    fn emit(&mut self, root: u32, code: &mut Vec<Instr>) -> u32 {
        let start = u32::try_from(code.len()).expect("plans under 2^32 instructions");
        self.emit_node(root, code);
        self.nodes.clear();
        self.children.clear();
        start
    }

    fn emit_node(&self, node: u32, code: &mut Vec<Instr>) {
        let branch = |op, code: &mut Vec<Instr>| {
            code.push(Instr {
                arg: 0,
                fields: Fields(0),
                op,
            });
            code.len() - 1
        };
        let at = match self.nodes[node as usize] {
            Node::Pred(p) => {
                code.push(match self.preds[p as usize] {
                    CPred::Atom { atom, fields } => Instr {
                        arg: atom,
                        fields,
                        op: Op::Atom,
                    },
                    _ => Instr {
                        arg: p,
                        fields: Fields(0),
                        op: Op::Pred,
                    },
                });
                return;
            }
            Node::Not(kid) => {
                let at = branch(Op::Not, code);
                self.emit_node(kid, code);
                at
            }
            Node::And { start, len } => self.emit_children(branch(Op::And, code), start, len, code),
            Node::Or { start, len } => self.emit_children(branch(Op::Or, code), start, len, code),
        };
        code[at].arg = u32::try_from(code.len() - at - 1).expect("plans under 2^32 instructions");
    }

    /// Emits children `start..start + len` after the branch at `code[at]`; returns `at`.
    fn emit_children(&self, at: usize, start: u32, len: u32, code: &mut Vec<Instr>) -> usize {
        for &kid in &self.children[start as usize..(start + len) as usize] {
            self.emit_node(kid, code);
        }
        at
    }

    fn push(&mut self, node: Node) -> u32 {
        let id = u32::try_from(self.nodes.len()).expect("plan under 2^32 nodes");
        self.nodes.push(node);
        id
    }
}

impl Segment {
    /// Compiles `rules` (in rule-set order) into a segment.
    pub(crate) fn build(rules: Vec<RuleInput>) -> Segment {
        Segment::build_from(rules)
    }

    /// Compiles rules (in rule-set order) into a segment, lowering them one at a time: a
    /// rule's expression is dropped once planned, so a large build holds no more than one.
    pub(crate) fn build_from(rules: impl IntoIterator<Item = RuleInput>) -> Segment {
        let rules = rules.into_iter();
        let mut b = Builder::default();
        let mut entries = Vec::with_capacity(rules.size_hint().0);
        let mut triggered: Vec<(u32, u32)> = Vec::new(); // (atom, rule)
        let mut always = Vec::new();
        let mut gates = Vec::new();
        let mut code = Vec::new();
        for (index, rule) in rules.into_iter().enumerate() {
            let index = u32::try_from(index).expect("fewer than 2^32 rules in a segment");
            let (root, _, trigger) = b.plan(&rule.expr);
            let plan = b.emit(root, &mut code);
            let gate_start = u32::try_from(gates.len()).expect("fewer than 2^32 gate atoms");
            let gate = b.gate(&rule.expr, &mut gates);
            match trigger {
                Some(t) => {
                    let mut atoms = t.atoms;
                    atoms.sort_unstable();
                    atoms.dedup();
                    triggered.extend(atoms.into_iter().map(|a| (a, index)));
                }
                None => always.push(index),
            }
            entries.push(RuleEntry {
                id: rule.id,
                tag: rule.tag,
                plan,
                gate_start,
                required: gate.required,
                excluded: gate.excluded,
                complete: gate.complete,
                sample: gate.sample,
                substrings: rule.expr.reads_substrings(),
            });
        }
        // Postings in compressed-row form, rules in ascending order per atom.
        triggered.sort_unstable();
        let mut postings_start = vec![0u32; b.atoms.len() + 1];
        for &(atom, _) in &triggered {
            postings_start[atom as usize + 1] += 1;
        }
        for i in 1..postings_start.len() {
            postings_start[i] += postings_start[i - 1];
        }
        let postings: Vec<u32> = triggered.iter().map(|&(_, r)| r).collect();

        let substrings = (!b.patterns.is_empty())
            .then(|| SubstringSearch::new(b.patterns.iter().map(|(p, _)| p.as_bytes())));
        // A bit filter over the atoms a post's tokens and exact keys are looked up as (not the
        // substring, count and pair atoms, found otherwise). Most of a post's tokens and keys
        // (user ids, entities, places) are no atom of a segment and cost one bit test.
        let keyed: Vec<u64> = (0..b.atoms.len())
            .map(|a| b.atoms.key(u32::try_from(a).unwrap_or(u32::MAX)))
            .filter(|key| KeyKind::is_looked_up(key[0]))
            .map(|key| hash_key(key[0], &key[1..]))
            .collect();
        let key_filter = KeyFilter::new(keyed.len(), keyed);
        for list in &mut b.count_atoms {
            list.sort_unstable_by_key(|&(min, max, atom)| (min, max, atom));
        }
        let reads = reads_of(&b.atoms, &b.preds, b.substring_fields);
        let stats = SegmentStats {
            rules: entries.len(),
            atoms: b.atoms.len(),
            substring_patterns: b.patterns.len(),
            distinct_preds: b.preds.len(),
            plan_nodes: code.len(),
            always_evaluated: always.len(),
            postings: postings.len(),
            automaton_bytes: substrings.as_ref().map_or(0, SubstringSearch::memory_usage),
        };
        Segment {
            atoms: b.atoms,
            postings_start,
            postings,
            always,
            substrings,
            pattern_atoms: b.patterns.iter().map(|&(_, a)| a).collect(),
            substring_fields: b.substring_fields,
            has_pairs: b.has_pairs,
            key_filter,
            count_atoms: b.count_atoms,
            preds: b.preds,
            code,
            rules: entries,
            gates,
            reads,
            stats,
        }
    }

    /// Whether a token or exact key whose key hash is `hash` may be an atom (no false
    /// negatives).
    #[inline]
    pub(crate) fn may_be_key(&self, hash: u64) -> bool {
        self.key_filter.may_contain(hash)
    }

    /// Rules posted under atom `atom`.
    #[inline]
    pub(crate) fn postings(&self, atom: u32) -> &[u32] {
        let a = atom as usize;
        &self.postings[self.postings_start[a] as usize..self.postings_start[a + 1] as usize]
    }

    /// Heap bytes held by the segment.
    pub(crate) fn memory_usage(&self) -> usize {
        let preds: usize = self
            .preds
            .iter()
            .map(|p| match p {
                CPred::Sequence { terms, atoms, .. } => {
                    terms
                        .iter()
                        .map(|t| t.text.len() + std::mem::size_of::<Term>())
                        .sum::<usize>()
                        + atoms.len() * 4
                }
                _ => 0,
            })
            .sum();
        let tags: usize = self
            .rules
            .iter()
            .map(|r| r.tag.as_ref().map_or(0, |t| t.len()))
            .sum();
        self.atoms.memory_usage()
            + self.postings_start.capacity() * 4
            + self.postings.capacity() * 4
            + self.always.capacity() * 4
            + self.stats.automaton_bytes
            + self.pattern_atoms.capacity() * 4
            + self
                .count_atoms
                .iter()
                .map(|l| l.capacity() * 24)
                .sum::<usize>()
            + self.preds.capacity() * std::mem::size_of::<CPred>()
            + preds
            + self.code.capacity() * std::mem::size_of::<Instr>()
            + self.rules.capacity() * std::mem::size_of::<RuleEntry>()
            + self.gates.capacity() * std::mem::size_of::<(u32, Fields)>()
            + self.key_filter.memory_usage()
            + tags
    }
}
