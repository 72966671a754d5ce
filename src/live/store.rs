//! The writer's state: every rule's record, the segments holding them, and the operations
//! that change them (add, delete, and the compaction steps' planning and installing).
//!
//! Invariants (checked by [`Store::check`] in tests):
//! - every rule record's location names an existing slot and a rule index of it that is not
//!   tombstoned, and holds that rule's id;
//! - every index of a slot that is not tombstoned is the location of exactly one record;
//! - at most `max_segments` slots hold live rules: K base partitions and at most
//!   `max_segments - K` deltas.

use std::collections::HashMap;
use std::sync::Arc;

use crate::api::{BodyError, RuleEntry, validate};
use crate::compile::atoms::FastMap;
use crate::compile::ir::Expr;
use crate::compile::lexicon::Lexicon;
use crate::compile::lower::lower;
use crate::compile::segment::{RuleInput, Segment};
use crate::matcher::{LiveSegment, RuleSet};
use crate::syntax::Rule;

use super::Config;
use super::ids::IdGenerator;
use super::response::{
    ALREADY_EXISTS, AddDetail, AddResponse, DOES_NOT_EXIST, DeleteDetail, DeleteResponse,
    ListResponse,
};

/// Where a rule lives: a slot (by its unique id) and the rule's index in the slot's segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Loc {
    pub(crate) slot: u64,
    pub(crate) index: u32,
}

/// One rule's record. The value is kept, not the syntax tree (about ten times larger): a
/// compaction parses the values it compiles again.
#[derive(Debug)]
struct Record {
    value: Arc<str>,
    tag: Option<Arc<str>>,
    /// Creation order: the rule's position in the rule set.
    seq: u64,
    loc: Loc,
}

/// What a slot is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Base partition `k`: the rules [`Partitioning::of`] puts in `k`.
    Partition(usize),
    /// A delta: rules added since the last fold.
    Delta,
}

/// A compiled segment with its tombstones.
#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) id: u64,
    pub(crate) role: Role,
    segment: Arc<Segment>,
    order: Arc<[u64]>,
    tombstones: Vec<u64>,
    /// `tombstones` as last published; `None` once they changed.
    published: Option<Arc<[u64]>>,
    dead: usize,
}

impl Slot {
    pub(crate) fn live(&self) -> usize {
        self.segment.rules.len() - self.dead
    }

    fn is_dead(&self, index: u32) -> bool {
        let (w, b) = ((index / 64) as usize, index % 64);
        self.tombstones.get(w).is_some_and(|x| x >> b & 1 == 1)
    }

    fn kill(&mut self, index: u32) {
        let (w, b) = ((index / 64) as usize, index % 64);
        if self.tombstones.len() <= w {
            self.tombstones
                .resize(self.segment.rules.len().div_ceil(64), 0);
        }
        if self.tombstones[w] >> b & 1 == 0 {
            self.tombstones[w] |= 1 << b;
            self.dead += 1;
            self.published = None;
        }
    }
}

/// A rule to compile into a new segment: where it is now (`None`: new), and what it is.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    from: Option<Loc>,
    id: u64,
    seq: u64,
    tag: Option<Arc<str>>,
    value: Arc<str>,
    /// The rule lowered, when it already was (an initial load lowers to partition).
    expr: Option<Expr>,
}

impl Source {
    /// The rule, lowered.
    fn lowered(&self) -> Expr {
        lower(
            Rule::parse(&self.value)
                .expect("stored rules were validated by the same parser when added")
                .expr(),
        )
    }
}

/// A segment compiled from sources, not yet installed.
#[derive(Debug)]
pub(crate) struct Built {
    segment: Arc<Segment>,
    order: Arc<[u64]>,
    from: Vec<Option<Loc>>,
}

/// The lexicon of base partitions, when there are several (with one, its own table is the
/// lexicon).
fn lexicon_of(partitions: Vec<(usize, Arc<Segment>)>) -> Option<Arc<Lexicon>> {
    let segments: Vec<Arc<Segment>> = partitions.into_iter().map(|(_, s)| s).collect();
    (segments.len() > 1).then(|| Arc::new(Lexicon::build(&segments)))
}

/// The lexicon of the partitions once `built` replaces partition `role` among `partitions`
/// (as they were when the step was planned; compaction steps run one at a time and only they
/// replace partitions, and a snapshot checks the lexicon still matches anyway). `None` for a
/// delta step: the partitions, and their lexicon, stay.
pub(crate) fn lexicon_after(
    mut partitions: Vec<(usize, Arc<Segment>)>,
    built: &Built,
    role: Role,
) -> Option<Arc<Lexicon>> {
    let Role::Partition(k) = role else {
        return None;
    };
    partitions.retain(|&(p, _)| p != k);
    partitions.push((k, built.segment.clone()));
    partitions.sort_unstable_by_key(|&(p, _)| p);
    lexicon_of(partitions)
}

/// Compiles sources (in any order) into a segment ordered by creation.
pub(crate) fn build(mut sources: Vec<Source>) -> Built {
    sources.sort_unstable_by_key(|s| s.seq);
    let order: Arc<[u64]> = sources.iter().map(|s| s.seq).collect();
    let from = sources.iter().map(|s| s.from).collect();
    let inputs = sources.into_iter().map(|mut s| RuleInput {
        id: s.id,
        tag: s.tag.as_deref().map(Into::into),
        expr: s.expr.take().unwrap_or_else(|| s.lowered()),
    });
    Built {
        segment: Arc::new(Segment::build_from(inputs)),
        order,
        from,
    }
}

/// How rules are spread over the base partitions, fixed by the initial load.
///
/// Every rule that needs the substring automaton goes to partition 0, so that the other
/// partitions have none and a post pays one substring pass instead of one per partition. The
/// other rules are spread by id (ids are time-ordered: mixed before reducing), with partition
/// 0 taking only the share that makes the initial partitions even (none when substring rules
/// alone are over 1/K of the set), so that no partition's rebuild holds much more than 1/K.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Partitioning {
    /// K.
    pub(crate) partitions: usize,
    /// A rule without substrings whose mixed id's low 32 bits are below this goes to 0.
    zero_below: u64,
}

impl Partitioning {
    /// K partitions by id alone (no substring rule known yet).
    pub(crate) fn even(partitions: usize) -> Self {
        let k = partitions.max(1) as u64;
        Self {
            partitions: partitions.max(1),
            zero_below: (1u64 << 32) / k,
        }
    }

    /// K partitions for a set of `total` rules of which `substrings` need the automaton.
    pub(crate) fn for_load(partitions: usize, substrings: usize, total: usize) -> Self {
        let k = partitions.max(1);
        if k == 1 || total == 0 {
            return Self::even(k);
        }
        // Partition 0 should hold total / K: the substring rules, then others up to that.
        let want = (total / k).saturating_sub(substrings) as u128;
        let others = total.saturating_sub(substrings).max(1) as u128;
        let zero_below = u64::try_from((want << 32) / others).unwrap_or(1 << 32);
        Self {
            partitions: k,
            zero_below: zero_below.min(1 << 32),
        }
    }

    /// The partition of rule `id`.
    pub(crate) fn of(self, id: u64, substrings: bool) -> usize {
        if substrings || self.partitions == 1 {
            return 0;
        }
        let mixed = id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        if mixed & 0xffff_ffff < self.zero_below {
            return 0;
        }
        let rest = (self.partitions - 1) as u64;
        1 + usize::try_from((mixed >> 32) % rest).unwrap_or(0)
    }
}

/// An add that passed its checks.
#[derive(Debug)]
struct Prepared {
    detail: Vec<AddDetail>,
    /// The rules to create: their index in the request.
    fresh: Vec<usize>,
}

/// A compaction step, planned under the lock and built outside it.
#[derive(Debug)]
pub(crate) struct Task {
    pub(crate) role: Role,
    pub(crate) sources: Vec<Source>,
}

/// The writer's state.
#[derive(Debug)]
pub(crate) struct Store {
    config: Config,
    records: FastMap<u64, Record>,
    by_value: HashMap<Arc<str>, u64>,
    pub(crate) slots: Vec<Slot>,
    next_slot: u64,
    next_seq: u64,
    pub(crate) generation: u64,
    ids: IdGenerator,
    /// K and how rules are spread over the base partitions, fixed by the initial load.
    partitioning: Partitioning,
    /// The delta being folded into the partitions, and the next partition to fold it into.
    frozen: Option<(u64, usize)>,
    /// Compaction steps installed.
    pub(crate) compactions: u64,
    /// A compaction step is being built (planned, not yet installed).
    pub(crate) compacting: bool,
    /// The lexicon of the base partitions, built whenever one of them is: a snapshot uses it
    /// while the partitions are still the ones it was built from.
    lexicon: Option<Arc<Lexicon>>,
}

impl Store {
    pub(crate) fn new(config: Config) -> Store {
        Store {
            records: FastMap::default(),
            by_value: HashMap::new(),
            slots: Vec::new(),
            next_slot: 1,
            next_seq: 0,
            generation: 0,
            ids: IdGenerator::default(),
            frozen: None,
            compactions: 0,
            compacting: false,
            lexicon: None,
            partitioning: Partitioning::even(config.partitions),
            config,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// Heap bytes of the rule records (values, tags, the id and value indexes), beside the
    /// segments.
    pub(crate) fn records_memory(&self) -> usize {
        let strings: usize = self
            .records
            .values()
            .map(|r| 16 + r.value.len() + r.tag.as_ref().map_or(0, |t| 16 + t.len()))
            .sum();
        strings
            + self.records.capacity() * (std::mem::size_of::<(u64, Record)>() + 1)
            + self.by_value.capacity() * (std::mem::size_of::<(Arc<str>, u64)>() + 1)
    }

    /// The rule set to publish: partitions by number, then deltas oldest first, so that a
    /// matcher's per-segment scratch space keeps lining up with the same segments.
    pub(crate) fn snapshot(&mut self) -> RuleSet {
        self.slots.sort_by_key(|s| match s.role {
            Role::Partition(k) => (0, k as u64),
            Role::Delta => (1, s.id),
        });
        let mut segments = Vec::with_capacity(self.slots.len());
        for slot in &mut self.slots {
            if slot.live() == 0 {
                continue;
            }
            let tombstones = slot
                .published
                .get_or_insert_with(|| Arc::from(slot.tombstones.as_slice()))
                .clone();
            segments.push(LiveSegment {
                segment: slot.segment.clone(),
                tombstones,
                order: slot.order.clone(),
                dead: slot.dead,
            });
        }
        RuleSet::from_segments(segments, self.generation).with_lexicon(self.lexicon.clone())
    }

    /// The base partitions' segments, by partition number.
    pub(crate) fn partitions(&self) -> Vec<(usize, Arc<Segment>)> {
        let mut parts: Vec<(usize, Arc<Segment>)> = self
            .slots
            .iter()
            .filter_map(|s| match s.role {
                Role::Partition(k) if s.live() > 0 => Some((k, s.segment.clone())),
                _ => None,
            })
            .collect();
        parts.sort_unstable_by_key(|&(k, _)| k);
        parts
    }

    fn deltas(&self) -> usize {
        self.slots.iter().filter(|s| s.role == Role::Delta).count()
    }

    fn delta_budget(&self) -> usize {
        self.config.max_segments - self.partitioning.partitions
    }

    fn slot_index(&self, id: u64) -> Option<usize> {
        self.slots.iter().position(|s| s.id == id)
    }

    /// The sources of a slot's live rules.
    fn sources_of(&self, slot: &Slot, only_partition: Option<usize>) -> Vec<Source> {
        let mut out = Vec::with_capacity(slot.live());
        for (index, entry) in slot.segment.rules.iter().enumerate() {
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            if slot.is_dead(index) {
                continue;
            }
            if only_partition.is_some_and(|k| self.partitioning.of(entry.id, entry.substrings) != k)
            {
                continue;
            }
            if let Some(r) = self.records.get(&entry.id) {
                out.push(Source {
                    from: Some(Loc {
                        slot: slot.id,
                        index,
                    }),
                    id: entry.id,
                    seq: r.seq,
                    tag: r.tag.clone(),
                    value: r.value.clone(),
                    expr: None,
                });
            }
        }
        out
    }

    /// Installs a built segment: every source rule still where the build found it moves to
    /// the new slot (and is tombstoned where it was); the others (deleted meanwhile, or moved
    /// by another step) are tombstoned in the new slot. Slots left without live rules go.
    pub(crate) fn install(&mut self, built: Built, role: Role) -> Option<u64> {
        let id = self.next_slot;
        self.next_slot += 1;
        let mut slot = Slot {
            id,
            role,
            segment: built.segment,
            order: built.order,
            tombstones: Vec::new(),
            published: None,
            dead: 0,
        };
        let mut moved: Vec<Loc> = Vec::new();
        for (index, from) in built.from.iter().enumerate() {
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            let rule_id = slot.segment.rules[index as usize].id;
            let record = self.records.get_mut(&rule_id);
            match (record, from) {
                (Some(r), Some(from)) if r.loc == *from => {
                    moved.push(*from);
                    r.loc = Loc { slot: id, index };
                }
                (Some(r), None) if r.loc.slot == 0 => r.loc = Loc { slot: id, index },
                _ => slot.kill(index),
            }
        }
        for from in moved {
            if let Some(i) = self.slot_index(from.slot) {
                self.slots[i].kill(from.index);
            }
        }
        let live = slot.live() > 0;
        if live {
            self.slots.push(slot);
        }
        self.drop_empty_slots();
        live.then_some(id)
    }

    fn drop_empty_slots(&mut self) {
        self.slots.retain(|s| s.live() > 0);
        if let Some((f, _)) = self.frozen
            && !self.slots.iter().any(|s| s.id == f)
        {
            self.frozen = None;
        }
    }

    /// Adds a batch of rules, atomically (docs/service.md, "Add"): all valid or nothing added;
    /// duplicates of existing values (or of earlier rules of the batch) are reported with the
    /// existing id and left unchanged (rule-language R4).
    pub(crate) fn add(&mut self, entries: &[RuleEntry]) -> Result<AddResponse, BodyError> {
        match self.prepare(entries, &[])? {
            Ok(prepared) => Ok(self.commit(entries, prepared)),
            Err(refused) => Ok(refused),
        }
    }

    /// Deletes the rules with ids `deletes` and adds `entries` as one change: nothing happens
    /// unless the add is accepted, and the values and ids of the deleted rules are free for
    /// the added ones.
    pub(crate) fn change(
        &mut self,
        deletes: &[u64],
        entries: &[RuleEntry],
    ) -> Result<(DeleteResponse, AddResponse), BodyError> {
        let prepared = match self.prepare(entries, deletes)? {
            Ok(p) => p,
            Err(refused) => {
                let none = DeleteResponse {
                    deleted: 0,
                    detail: Vec::new(),
                    generation: self.generation,
                };
                return Ok((none, refused));
            }
        };
        let targets = deletes
            .iter()
            .map(|&id| {
                (
                    Some(id),
                    RuleEntry {
                        value: String::new(),
                        tag: None,
                        id: Some(id),
                    },
                )
            })
            .collect();
        let before = self.generation;
        let mut deleted = self.delete(targets);
        let mut added = self.commit(entries, prepared);
        // One change, one generation.
        if self.generation > before {
            self.generation = before + 1;
        }
        (deleted.generation, added.generation) = (self.generation, self.generation);
        Ok((deleted, added))
    }

    /// Checks an add without changing anything, as if the rules `freed` were deleted first.
    /// `Ok(Err(response))` is a refusal (a rule is invalid, status 422).
    fn prepare(
        &self,
        entries: &[RuleEntry],
        freed: &[u64],
    ) -> Result<Result<Prepared, AddResponse>, BodyError> {
        let exists = |id: u64| self.records.contains_key(&id) && !freed.contains(&id);
        let validation = validate(entries);
        let mut detail = Vec::with_capacity(entries.len());
        let mut invalid = false;
        let mut fresh: Vec<usize> = Vec::new();
        let mut batch_values: HashMap<&str, usize> = HashMap::new();
        let mut batch_ids: HashMap<u64, usize> = HashMap::new();
        for (i, d) in validation.detail.into_iter().enumerate() {
            let entry = &entries[i];
            let rule = RuleEntry {
                value: entry.value.clone(),
                tag: entry.tag.clone(),
                id: None,
            };
            if let Err(e) = d.result {
                invalid = true;
                detail.push(AddDetail {
                    rule,
                    created: false,
                    message: Some(e.powertrack_message()),
                });
                continue;
            }
            if self
                .by_value
                .get(entry.value.as_str())
                .is_some_and(|&id| exists(id))
                || batch_values.contains_key(entry.value.as_str())
            {
                // The existing rule's id is filled in by `commit`.
                detail.push(AddDetail {
                    rule,
                    created: false,
                    message: Some(ALREADY_EXISTS.into()),
                });
                continue;
            }
            if let Some(id) = entry.id
                && (exists(id) || batch_ids.contains_key(&id))
            {
                invalid = true;
                detail.push(AddDetail {
                    rule,
                    created: false,
                    message: Some(format!("Rule id {id} is already in use")),
                });
                continue;
            }
            batch_values.insert(&entry.value, i);
            if let Some(id) = entry.id {
                batch_ids.insert(id, i);
            }
            fresh.push(i);
            detail.push(AddDetail {
                rule,
                created: true,
                message: None,
            });
        }
        if invalid {
            for d in &mut detail {
                d.created = false;
                if d.message.as_deref() == Some(ALREADY_EXISTS) {
                    d.message = None;
                }
            }
            return Ok(Err(AddResponse {
                detail,
                generation: self.generation,
                invalid: true,
            }));
        }
        let remaining = self.records.len() - freed.iter().filter(|&&id| exists(id)).count();
        let total = remaining + fresh.len();
        if total > self.config.rule_limit {
            return Err(BodyError::rule_limit(total, self.config.rule_limit));
        }
        Ok(Ok(Prepared { detail, fresh }))
    }

    /// Applies a prepared add.
    fn commit(&mut self, entries: &[RuleEntry], prepared: Prepared) -> AddResponse {
        let Prepared { mut detail, fresh } = prepared;
        let supplied: std::collections::HashSet<u64> =
            fresh.iter().filter_map(|&i| entries[i].id).collect();
        let mut sources = Vec::with_capacity(fresh.len());
        for i in fresh {
            let id = if let Some(id) = entries[i].id {
                id
            } else {
                let records = &self.records;
                self.ids
                    .next(|id| records.contains_key(&id) || supplied.contains(&id))
            };
            detail[i].rule.id = Some(id);
            let seq = self.next_seq;
            self.next_seq += 1;
            let tag: Option<Arc<str>> = entries[i].tag.as_deref().map(Into::into);
            let value: Arc<str> = entries[i].value.as_str().into();
            self.by_value.insert(value.clone(), id);
            self.records.insert(
                id,
                Record {
                    value: value.clone(),
                    tag: tag.clone(),
                    seq,
                    loc: Loc { slot: 0, index: 0 },
                },
            );
            sources.push(Source {
                from: None,
                id,
                seq,
                tag,
                value,
                expr: None,
            });
        }
        // Duplicates name the existing rule, or the one this batch created first.
        for (d, entry) in detail.iter_mut().zip(entries) {
            if !d.created {
                d.rule.id = self.by_value.get(entry.value.as_str()).copied();
            }
        }
        if !sources.is_empty() {
            self.place(sources);
            self.generation += 1;
        }
        AddResponse {
            detail,
            generation: self.generation,
            invalid: false,
        }
    }

    /// Compiles new rules into the store: straight into the partitions when the store was
    /// empty (an initial load), else into a delta, merged with the smallest unfrozen delta
    /// when the delta budget is spent.
    fn place(&mut self, mut sources: Vec<Source>) {
        if self.slots.is_empty() && !self.compacting {
            // K is set by the initial load: the configured number, fewer for a small set
            // (partitioning costs every post a pass over its hits per partition; it pays
            // where a whole rebuild's transient memory would be large).
            let per = self.config.rules_per_partition.max(1);
            let k = self
                .config
                .partitions
                .min(sources.len().div_ceil(per))
                .max(1);
            // Lowered once, in K threads: the partition depends on what the rule reads, and
            // the build takes the lowered rule.
            let chunk = sources.len().div_ceil(k).max(1);
            std::thread::scope(|scope| {
                for part in sources.chunks_mut(chunk) {
                    scope.spawn(move || {
                        for s in part {
                            s.expr = Some(s.lowered());
                        }
                    });
                }
            });
            let needs: Vec<bool> = sources
                .iter()
                .map(|s| s.expr.as_ref().is_some_and(Expr::reads_substrings))
                .collect();
            let with_substrings = needs.iter().filter(|&&n| n).count();
            self.partitioning = Partitioning::for_load(k, with_substrings, sources.len());
            let mut parts: Vec<Vec<Source>> = vec![Vec::new(); k];
            for (s, needs) in sources.into_iter().zip(needs) {
                parts[self.partitioning.of(s.id, needs)].push(s);
            }
            let built: Vec<Built> = std::thread::scope(|scope| {
                let handles: Vec<_> = parts
                    .into_iter()
                    .map(|p| scope.spawn(move || build(p)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            });
            for (p, b) in built.into_iter().enumerate() {
                self.install(b, Role::Partition(p));
            }
            self.lexicon = lexicon_of(self.partitions());
            return;
        }
        if self.deltas() + 1 > self.delta_budget() {
            let frozen = self.frozen.map(|(f, _)| f);
            if let Some(smallest) = self
                .slots
                .iter()
                .filter(|s| s.role == Role::Delta && Some(s.id) != frozen)
                .min_by_key(|s| s.live())
            {
                sources.extend(self.sources_of(smallest, None));
            }
        }
        let built = build(sources);
        self.install(built, Role::Delta);
    }

    /// Deletes rules by id, atomically. Misses are reported with `named`, the rule as the
    /// request named it.
    pub(crate) fn delete(&mut self, targets: Vec<(Option<u64>, RuleEntry)>) -> DeleteResponse {
        let mut deleted = 0;
        let mut detail = Vec::new();
        for (id, named) in targets {
            let record = id.and_then(|id| self.records.remove(&id).map(|r| (id, r)));
            let Some((_, record)) = record else {
                detail.push(DeleteDetail {
                    rule: named,
                    message: DOES_NOT_EXIST.into(),
                });
                continue;
            };
            self.by_value.remove(&*record.value);
            if let Some(i) = self.slot_index(record.loc.slot) {
                self.slots[i].kill(record.loc.index);
            }
            deleted += 1;
        }
        if deleted > 0 {
            self.drop_empty_slots();
            self.generation += 1;
        }
        DeleteResponse {
            deleted,
            detail,
            generation: self.generation,
        }
    }

    pub(crate) fn id_of_value(&self, value: &str) -> Option<u64> {
        self.by_value.get(value).copied()
    }

    fn entry(id: u64, r: &Record) -> RuleEntry {
        RuleEntry {
            value: r.value.to_string(),
            tag: r.tag.as_deref().map(String::from),
            id: Some(id),
        }
    }

    /// Every rule, in creation order.
    pub(crate) fn list(&self) -> ListResponse {
        let mut all: Vec<(u64, u64)> = self.records.iter().map(|(id, r)| (r.seq, *id)).collect();
        all.sort_unstable();
        ListResponse {
            rules: all
                .into_iter()
                .map(|(_, id)| Self::entry(id, &self.records[&id]))
                .collect(),
            generation: self.generation,
        }
    }

    /// The rules with these ids that exist, in request order.
    pub(crate) fn get(&self, ids: &[u64]) -> ListResponse {
        ListResponse {
            rules: ids
                .iter()
                .filter_map(|id| self.records.get(id).map(|r| Self::entry(*id, r)))
                .collect(),
            generation: self.generation,
        }
    }

    /// The next compaction step, if any: fold the frozen delta into its next partition;
    /// else merge the two smallest deltas; else freeze the deltas for a fold once they hold
    /// enough rules (or, when `force`, any); else rebuild a partition a quarter dead.
    pub(crate) fn plan(&mut self, force: bool) -> Option<Task> {
        let task = self.plan_step(force);
        self.compacting = task.is_some();
        task
    }

    fn plan_step(&mut self, force: bool) -> Option<Task> {
        let k = self.partitioning.partitions;
        let frozen = self.frozen.map(|(f, _)| f);
        let mut deltas: Vec<&Slot> = self
            .slots
            .iter()
            .filter(|s| s.role == Role::Delta && Some(s.id) != frozen)
            .collect();
        deltas.sort_by_key(|s| s.live());
        let threshold = self
            .config
            .fold_min
            .max(self.records.len() / self.config.fold_divisor.max(1));
        let total: usize = deltas.iter().map(|d| d.live()).sum();
        let fold_due = frozen.is_none() && (force || total >= threshold);
        // Deltas merge size-tiered: the two smallest when they are of a size (within 4×), or
        // when writers are about to spend the delta budget; every one of them when a fold is
        // due, so that one delta is frozen and folded. A small delta is never merged into a
        // large one again and again.
        let pressure = deltas.len() + usize::from(frozen.is_some()) + 1 >= self.delta_budget();
        if deltas.len() >= 2 {
            let similar = deltas[1].live() <= 4 * deltas[0].live().max(1);
            let merge = if fold_due {
                deltas.len()
            } else if similar || pressure {
                2
            } else {
                0
            };
            if merge > 0 {
                let mut sources = Vec::new();
                for d in &deltas[..merge] {
                    sources.extend(self.sources_of(d, None));
                }
                return Some(Task {
                    role: Role::Delta,
                    sources,
                });
            }
        }
        if let Some((f, next)) = self.frozen {
            let Some(fi) = self.slot_index(f) else {
                self.frozen = None;
                return self.plan_step(force);
            };
            if next >= k {
                // Everything moved, or the rules left were deleted: nothing can remain.
                self.frozen = None;
                return self.plan_step(force);
            }
            self.frozen = Some((f, next + 1));
            let mut sources = self.sources_of(&self.slots[fi], Some(next));
            if let Some(p) = self.slots.iter().find(|s| s.role == Role::Partition(next)) {
                sources.extend(self.sources_of(p, None));
            }
            return Some(Task {
                role: Role::Partition(next),
                sources,
            });
        }
        if fold_due && let [d] = deltas.as_slice() {
            self.frozen = Some((d.id, 0));
            return self.plan_step(force);
        }
        let worst = self
            .slots
            .iter()
            .filter(|s| matches!(s.role, Role::Partition(_)))
            .max_by_key(|s| s.dead * 1000 / s.segment.rules.len().max(1))?;
        (worst.dead > 0 && (force || worst.dead * 4 >= worst.segment.rules.len())).then(|| Task {
            role: worst.role,
            sources: self.sources_of(worst, None),
        })
    }

    /// Installs a compaction step's result, with the partitions' lexicon built beside it when
    /// the step rebuilt a partition (see [`lexicon_after`]).
    pub(crate) fn finish(&mut self, built: Built, role: Role, lexicon: Option<Arc<Lexicon>>) {
        self.install(built, role);
        if lexicon.is_some() {
            self.lexicon = lexicon;
        }
        self.compacting = false;
        self.compactions += 1;
    }

    /// Checks the invariants; panics when one is broken (tests and fuzzing).
    pub(crate) fn check(&self) {
        let mut referenced = 0usize;
        for (id, r) in &self.records {
            let slot = self
                .slots
                .iter()
                .find(|s| s.id == r.loc.slot)
                .unwrap_or_else(|| panic!("rule {id} in a missing slot {:?}", r.loc));
            assert!(!slot.is_dead(r.loc.index), "rule {id} tombstoned");
            let entry = &slot.segment.rules[r.loc.index as usize];
            assert_eq!(entry.id, *id);
            if let Role::Partition(p) = slot.role {
                // Substring rules live in partition 0 only: the others have no automaton.
                assert_eq!(
                    self.partitioning.of(*id, entry.substrings),
                    p,
                    "rule {id} ({}) in partition {p}",
                    r.value
                );
            }
            assert_eq!(self.by_value.get(&*r.value), Some(id));
            referenced += 1;
        }
        let live: usize = self.slots.iter().map(Slot::live).sum();
        assert_eq!(live, referenced, "live rules in slots = records");
        assert_eq!(self.by_value.len(), self.records.len());
        assert!(
            self.deltas() <= self.delta_budget(),
            "{} deltas",
            self.deltas()
        );
        for p in 0..self.partitioning.partitions {
            assert!(
                self.slots
                    .iter()
                    .filter(|s| s.role == Role::Partition(p))
                    .count()
                    <= 1
            );
        }
    }
}
