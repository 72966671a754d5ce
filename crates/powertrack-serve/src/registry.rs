//! Every stream's rules over one shared index.
//!
//! Each stream of each account has its own rules, ids and tags, but all of them are matched by
//! one engine store ([`LiveRules`]) that holds each distinct rule value once: a post is matched
//! once, whatever the number of streams, and its engine matches are fanned out to the streams
//! whose rules they are. The fan-out table ([`Fanout`]: engine rule → the streams' rules with
//! that value, with their ids and tags) is an immutable snapshot too, published like the
//! engine's own:
//!
//! - an add compiles the values no stream had yet into the engine (a delta segment), then
//!   publishes the fan-out entries;
//! - a delete withdraws the fan-out entries first, then deletes from the engine the values no
//!   stream still has.
//!
//! A post takes the engine snapshot, then the fan-out snapshot, and a rule is delivered only
//! when both have it. So a rule is in effect, on every stream, for every post matched after its
//! add returned and before its delete began; a post matched while a change is in flight may see
//! some of that change's rules and not others (PowerTrack promises no more). Changes are serial
//! (one lock), and durable (committed to `--data-dir`) before they take effect in memory.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;
use powertrack::api::{Body, BodyError, RuleEntry, validate};
use powertrack::live::{
    ALREADY_EXISTS, AddDetail, AddResponse, Config, DOES_NOT_EXIST, DeleteDetail, DeleteResponse,
    IdGenerator, ListResponse, LiveRules,
};
use powertrack::matcher::RuleSet;

use crate::clock::Clock;
use crate::persist::{Applied, Persist, StoredRule};

/// Fan-out shards: a change rebuilds only the shards of the values it touches.
const SHARDS: usize = 64;

/// How long deleted rules are kept for their history.
const HISTORY_MS: u64 = 24 * 3_600_000;

/// A stream, as the accounts file defines it.
#[derive(Clone, Debug)]
pub struct StreamSpec {
    /// `account/label`.
    pub key: String,
    /// Index of the account in the accounts file.
    pub account: usize,
    /// The stream label.
    pub label: String,
    /// The most rules the stream may hold.
    pub max_rules: usize,
}

/// One stream rule that an engine rule stands for.
#[derive(Clone, Debug)]
pub struct Sub {
    /// The stream (index into [`Registry::streams`]).
    pub stream: u32,
    /// The rule's id in that stream.
    pub id: u64,
    /// Its tag there.
    pub tag: Option<Arc<str>>,
}

type Shard = HashMap<u64, Box<[Sub]>>;

/// The fan-out snapshot: for each engine rule, the stream rules with its value.
#[derive(Debug)]
pub struct Fanout {
    shards: Box<[Arc<Shard>]>,
}

impl Fanout {
    /// The stream rules of engine rule `engine_id` (none when no stream has it any more).
    pub fn subs(&self, engine_id: u64) -> &[Sub] {
        self.shards[shard_of(engine_id)]
            .get(&engine_id)
            .map_or(&[], |s| s)
    }
}

/// A stream rule that an engine match stands for: its stream, id and tag.
pub type Hit = (u32, u64, Option<Arc<str>>);

/// `hits` (as [`Fanout::hits`] orders them: by stream) as one run per stream, with its index.
pub fn by_stream(hits: &[Hit]) -> impl Iterator<Item = (usize, &[Hit])> {
    hits.chunk_by(|a, b| a.0 == b.0)
        .map(|run| (run[0].0 as usize, run))
}

impl Fanout {
    /// The stream rules of the engine rules `engine_ids` into `out`, by stream, then in
    /// creation order (ids are time-ordered), as `matching_rules` lists them.
    pub fn hits(&self, engine_ids: impl Iterator<Item = u64>, out: &mut Vec<Hit>) {
        out.clear();
        for id in engine_ids {
            out.extend(
                self.subs(id)
                    .iter()
                    .map(|s| (s.stream, s.id, s.tag.clone())),
            );
        }
        out.sort_unstable_by_key(|h| (h.0, h.1));
    }
}

fn shard_of(id: u64) -> usize {
    // Engine ids are snowflakes: mix the time bits into the counter bits.
    usize::try_from((id ^ (id >> 22) ^ (id >> 40)) % SHARDS as u64).unwrap_or(0)
}

#[derive(Debug)]
struct Rule {
    value: Arc<str>,
    tag: Option<Arc<str>>,
    created_ms: u64,
}

#[derive(Debug, Default)]
struct StreamRules {
    by_id: BTreeMap<u64, Rule>,
    by_value: HashMap<Arc<str>, u64>,
}

#[derive(Debug)]
struct Value {
    engine_id: u64,
    users: u32,
}

#[derive(Debug)]
struct State {
    streams: Vec<StreamRules>,
    values: HashMap<Arc<str>, Value>,
    shards: Vec<Arc<Shard>>,
    ids: IdGenerator,
    generation: u64,
    last_forget_ms: u64,
}

/// A change's place in a replicated log of rule changes: its time and sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// When the log took it (Unix ms).
    pub ms: u64,
    /// Its sequence number in the log.
    pub seq: u64,
}

/// Why a change was not made.
#[derive(Debug)]
pub enum ChangeError {
    /// Refused as PowerTrack refuses it (the rule limit): its status and body.
    Body(BodyError),
    /// The change could not be made durable; nothing changed.
    Storage(String),
}

/// Every stream's rules, the shared engine index and the fan-out table.
#[derive(Debug)]
pub struct Registry {
    index: LiveRules,
    fanout: ArcSwap<Fanout>,
    state: Mutex<State>,
    persist: Arc<Persist>,
    clock: Clock,
    streams: Vec<StreamSpec>,
}

impl Registry {
    /// Loads every stream's persisted rules and compiles them into one index.
    pub fn open(
        persist: Arc<Persist>,
        streams: Vec<StreamSpec>,
        clock: Clock,
    ) -> Result<Registry, crate::persist::Error> {
        let reading = std::time::Instant::now();
        let stored = persist.rules()?;
        let read_ms = reading.elapsed().as_millis();
        let by_key: HashMap<&str, usize> = streams
            .iter()
            .enumerate()
            .map(|(i, s)| (s.key.as_str(), i))
            .collect();
        let mut state = State {
            streams: (0..streams.len()).map(|_| StreamRules::default()).collect(),
            values: HashMap::new(),
            shards: (0..SHARDS).map(|_| Arc::new(Shard::new())).collect(),
            ids: IdGenerator::after(
                stored
                    .iter()
                    .map(|r| r.id)
                    .max()
                    .unwrap_or(0)
                    .max(persist.applied()?.last_id),
            ),
            generation: 0,
            last_forget_ms: 0,
        };
        let mut orphans = 0usize;
        let mut distinct: Vec<RuleEntry> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for r in &stored {
            if !by_key.contains_key(r.stream.as_str()) {
                orphans += 1;
                continue;
            }
            if seen.insert(r.value.as_str()) {
                distinct.push(RuleEntry::new(r.value.as_str(), None));
            }
        }
        if orphans > 0 {
            tracing::warn!(
                rules = orphans,
                "persisted rules of streams no longer in the accounts file are kept but not matched"
            );
        }
        let index = LiveRules::with_config(Config::default().rule_limit(usize::MAX));
        let compiling = std::time::Instant::now();
        if !distinct.is_empty() {
            let added = index
                .add(&distinct)
                .map_err(|e| format!("cannot load the persisted rules: {e}"))?;
            for d in added.detail {
                if let Some(id) = d.rule.id {
                    state.values.insert(
                        Arc::from(d.rule.value.as_str()),
                        Value {
                            engine_id: id,
                            users: 0,
                        },
                    );
                } else {
                    tracing::error!(value = %d.rule.value, message = ?d.message, "a persisted rule no longer compiles; it is not matched");
                }
            }
        }
        tracing::info!(
            rules = stored.len(),
            distinct = distinct.len(),
            read_ms,
            compile_ms = compiling.elapsed().as_millis(),
            "persisted rules read and compiled"
        );
        let mut shards: Vec<Shard> = (0..SHARDS).map(|_| Shard::new()).collect();
        let mut subs: HashMap<u64, Vec<Sub>> = HashMap::new();
        for r in stored {
            let Some(&stream) = by_key.get(r.stream.as_str()) else {
                continue;
            };
            let Some((value, _)) = state.values.get_key_value(r.value.as_str()) else {
                continue;
            };
            let value = value.clone();
            let Some(v) = state.values.get_mut(&value) else {
                continue;
            };
            v.users += 1;
            let tag: Option<Arc<str>> = r.tag.as_deref().map(Arc::from);
            subs.entry(v.engine_id).or_default().push(Sub {
                stream: u32::try_from(stream).unwrap_or(u32::MAX),
                id: r.id,
                tag: tag.clone(),
            });
            let sr = &mut state.streams[stream];
            sr.by_value.insert(value.clone(), r.id);
            sr.by_id.insert(
                r.id,
                Rule {
                    value,
                    tag,
                    created_ms: r.created_ms,
                },
            );
        }
        for (engine_id, s) in subs {
            shards[shard_of(engine_id)].insert(engine_id, s.into_boxed_slice());
        }
        state.shards = shards.into_iter().map(Arc::new).collect();
        let fanout = ArcSwap::from_pointee(Fanout {
            shards: state.shards.clone().into_boxed_slice(),
        });
        Ok(Registry {
            index,
            fanout,
            state: Mutex::new(state),
            persist,
            clock,
            streams,
        })
    }

    /// The streams, in accounts-file order.
    pub fn streams(&self) -> &[StreamSpec] {
        &self.streams
    }

    /// The stream `account/label`, if it exists.
    pub fn stream_index(&self, account: &str, label: &str) -> Option<usize> {
        let key = format!("{account}/{label}");
        self.streams.iter().position(|s| s.key == key)
    }

    /// What a matcher needs for the next posts: the engine snapshot, then the fan-out one.
    pub fn view(&self) -> (Arc<RuleSet>, Arc<Fanout>) {
        let rules = self.index.snapshot();
        (rules, self.fanout.load_full())
    }

    /// Rules in the stream.
    pub fn len(&self, stream: usize) -> usize {
        self.lock().streams[stream].by_id.len()
    }

    /// Distinct rule values in the shared index.
    pub fn distinct_values(&self) -> usize {
        self.lock().values.len()
    }

    /// Rules in all streams.
    pub fn total_rules(&self) -> usize {
        self.lock().streams.iter().map(|s| s.by_id.len()).sum()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds rules to a stream, as `POST …/{label}.json` does (PowerTrack's semantics: atomic,
    /// 422 when a rule is invalid, duplicates of the stream's values not created and reported
    /// with the existing id).
    pub fn add(&self, stream: usize, entries: &[RuleEntry]) -> Result<AddResponse, ChangeError> {
        self.add_at(stream, entries, None)
    }

    /// [`Registry::add`] as the change `at` of a replicated log of changes (cluster mode): its
    /// time is the change's, not the clock's, so every replica that applies the same changes in
    /// the same order issues the same ids, and the change's place in the log is committed with
    /// its rules.
    pub fn add_at(
        &self,
        stream: usize,
        entries: &[RuleEntry],
        at: Option<Stamp>,
    ) -> Result<AddResponse, ChangeError> {
        let validation = validate(entries);
        if validation.detail.iter().any(|d| !d.is_valid()) {
            let detail = validation
                .detail
                .into_iter()
                .map(|d| AddDetail {
                    message: d.result.err().map(|e| e.powertrack_message()),
                    rule: RuleEntry { id: None, ..d.rule },
                    created: false,
                })
                .collect();
            return Ok(AddResponse::new(detail, self.lock().generation, true));
        }
        let mut st = self.lock();
        let now = at.map_or_else(|| self.clock.now_ms(), |a| a.ms);
        let sr = &st.streams[stream];
        let mut detail = Vec::with_capacity(entries.len());
        let mut fresh: Vec<usize> = Vec::new();
        let mut batch: HashMap<&str, usize> = HashMap::new();
        let mut dups: Vec<(usize, usize)> = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            let rule = RuleEntry {
                value: e.value.clone(),
                tag: e.tag.clone(),
                id: None,
            };
            if let Some(&id) = sr.by_value.get(e.value.as_str()) {
                detail.push(AddDetail {
                    rule: RuleEntry {
                        id: Some(id),
                        ..rule
                    },
                    created: false,
                    message: Some(ALREADY_EXISTS.into()),
                });
            } else if let Some(&first) = batch.get(e.value.as_str()) {
                dups.push((i, first));
                detail.push(AddDetail {
                    rule,
                    created: false,
                    message: Some(ALREADY_EXISTS.into()),
                });
            } else {
                batch.insert(e.value.as_str(), i);
                fresh.push(i);
                detail.push(AddDetail {
                    rule,
                    created: true,
                    message: None,
                });
            }
        }
        let total = sr.by_id.len() + fresh.len();
        let limit = self.streams[stream].max_rules;
        if !fresh.is_empty() && total > limit {
            return Err(ChangeError::Body(BodyError::rule_limit(total, limit)));
        }
        if fresh.is_empty() {
            return Ok(AddResponse::new(detail, st.generation, false));
        }
        // Values no stream had yet go into the engine first.
        let new_values: Vec<RuleEntry> = fresh
            .iter()
            .map(|&i| &entries[i].value)
            .filter(|v| !st.values.contains_key(v.as_str()))
            .map(|v| RuleEntry::new(v.as_str(), None))
            .collect();
        let mut engine_ids: HashMap<String, u64> = HashMap::new();
        if !new_values.is_empty() {
            let added = self
                .index
                .add(&new_values)
                .map_err(|e| ChangeError::Storage(format!("the index refused the rules: {e}")))?;
            for d in added.detail {
                if let Some(id) = d.rule.id {
                    engine_ids.insert(d.rule.value, id);
                }
            }
            if engine_ids.len() != new_values.len() {
                let ids: Vec<u64> = engine_ids.values().copied().collect();
                self.index.delete_ids(&ids);
                return Err(ChangeError::Storage(
                    "the index did not take every new rule".into(),
                ));
            }
        }
        let mut stored = Vec::with_capacity(fresh.len());
        let last_id = st.ids.last();
        for &i in &fresh {
            let id = match at {
                Some(a) => st.ids.next_at(a.ms, |_| false),
                None => st.ids.next(|_| false),
            };
            detail[i].rule.id = Some(id);
            stored.push(StoredRule {
                stream: self.streams[stream].key.clone(),
                id,
                value: entries[i].value.clone(),
                tag: entries[i].tag.clone(),
                created_ms: now,
                deleted_ms: None,
            });
        }
        for (dup, first) in dups {
            detail[dup].rule.id = detail[first].rule.id;
        }
        let applied = at.map(|a| Applied {
            seq: a.seq,
            last_id: st.ids.last(),
        });
        if let Err(e) = self.persist.commit(&stored, &[], None, applied) {
            // Ids as they were: a retry of the same change issues the same ids.
            st.ids = IdGenerator::after(last_id);
            let ids: Vec<u64> = engine_ids.values().copied().collect();
            self.index.delete_ids(&ids);
            return Err(ChangeError::Storage(e.to_string()));
        }
        // In memory: the stream's rules, the values' users, then the fan-out.
        let mut touched: HashMap<usize, Vec<(u64, Sub)>> = HashMap::new();
        for r in stored {
            let value: Arc<str> = Arc::from(r.value.as_str());
            let engine_id = if let Some(v) = st.values.get_mut(&value) {
                v.users += 1;
                v.engine_id
            } else {
                let engine_id = engine_ids[&r.value];
                st.values.insert(
                    value.clone(),
                    Value {
                        engine_id,
                        users: 1,
                    },
                );
                engine_id
            };
            let tag: Option<Arc<str>> = r.tag.as_deref().map(Arc::from);
            touched.entry(shard_of(engine_id)).or_default().push((
                engine_id,
                Sub {
                    stream: u32::try_from(stream).unwrap_or(u32::MAX),
                    id: r.id,
                    tag: tag.clone(),
                },
            ));
            let sr = &mut st.streams[stream];
            sr.by_value.insert(value.clone(), r.id);
            sr.by_id.insert(
                r.id,
                Rule {
                    value,
                    tag,
                    created_ms: r.created_ms,
                },
            );
        }
        for (shard, adds) in touched {
            let mut next: Shard = (*st.shards[shard]).clone();
            for (engine_id, sub) in adds {
                let mut subs: Vec<Sub> = next.remove(&engine_id).map(Vec::from).unwrap_or_default();
                subs.push(sub);
                next.insert(engine_id, subs.into_boxed_slice());
            }
            st.shards[shard] = Arc::new(next);
        }
        st.generation += 1;
        self.publish(&st);
        Ok(AddResponse::new(detail, st.generation, false))
    }

    fn publish(&self, st: &State) {
        self.fanout.store(Arc::new(Fanout {
            shards: st.shards.clone().into_boxed_slice(),
        }));
    }

    /// Deletes what a delete body names, as `POST …/{label}.json?_method=delete` does.
    pub fn delete(&self, stream: usize, body: &Body) -> Result<DeleteResponse, ChangeError> {
        self.delete_at(stream, body, None)
    }

    /// [`Registry::delete`] as the change `at` of a replicated log of changes (see
    /// [`Registry::add_at`]).
    pub fn delete_at(
        &self,
        stream: usize,
        body: &Body,
        at: Option<Stamp>,
    ) -> Result<DeleteResponse, ChangeError> {
        let mut st = self.lock();
        let now = at.map_or_else(|| self.clock.now_ms(), |a| a.ms);
        let sr = &st.streams[stream];
        let mut doomed: Vec<u64> = Vec::new();
        let mut seen: HashSet<u64> = HashSet::new();
        let mut detail = Vec::new();
        let named: Vec<(Option<u64>, RuleEntry)> = match body {
            Body::Rules(rules) => rules
                .iter()
                .map(|r| {
                    (
                        sr.by_value.get(r.value.as_str()).copied(),
                        RuleEntry {
                            value: r.value.clone(),
                            tag: r.tag.clone(),
                            id: None,
                        },
                    )
                })
                .collect(),
            Body::RuleIds(ids) => ids
                .iter()
                .map(|&id| {
                    (
                        sr.by_id.contains_key(&id).then_some(id),
                        RuleEntry {
                            value: String::new(),
                            tag: None,
                            id: Some(id),
                        },
                    )
                })
                .collect(),
        };
        for (found, rule) in named {
            match found {
                Some(id) if seen.insert(id) => doomed.push(id),
                _ => detail.push(DeleteDetail {
                    rule,
                    message: DOES_NOT_EXIST.into(),
                }),
            }
        }
        if doomed.is_empty() {
            return Ok(DeleteResponse {
                deleted: 0,
                detail,
                generation: st.generation,
            });
        }
        let records: Vec<StoredRule> = doomed
            .iter()
            .map(|id| {
                let r = &sr.by_id[id];
                StoredRule {
                    stream: self.streams[stream].key.clone(),
                    id: *id,
                    value: r.value.to_string(),
                    tag: r.tag.as_deref().map(String::from),
                    created_ms: r.created_ms,
                    deleted_ms: Some(now),
                }
            })
            .collect();
        let forget = (now.saturating_sub(st.last_forget_ms) > 3_600_000)
            .then(|| now.saturating_sub(HISTORY_MS));
        self.persist
            .commit(
                &[],
                &records,
                forget,
                at.map(|a| Applied {
                    seq: a.seq,
                    last_id: st.ids.last(),
                }),
            )
            .map_err(|e| ChangeError::Storage(e.to_string()))?;
        if forget.is_some() {
            st.last_forget_ms = now;
        }
        // Withdraw the fan-out entries first, then the engine rules no stream still has.
        let mut touched: HashMap<usize, Vec<(u64, u64)>> = HashMap::new();
        let mut unused: Vec<u64> = Vec::new();
        for id in &doomed {
            let Some(rule) = st.streams[stream].by_id.remove(id) else {
                continue;
            };
            st.streams[stream].by_value.remove(&rule.value);
            if let Some(v) = st.values.get_mut(&rule.value) {
                touched
                    .entry(shard_of(v.engine_id))
                    .or_default()
                    .push((v.engine_id, *id));
                v.users = v.users.saturating_sub(1);
                if v.users == 0 {
                    unused.push(v.engine_id);
                    st.values.remove(&rule.value);
                }
            }
        }
        for (shard, dels) in touched {
            let mut next: Shard = (*st.shards[shard]).clone();
            for (engine_id, id) in dels {
                if let Some(subs) = next.remove(&engine_id) {
                    let kept: Vec<Sub> = subs
                        .iter()
                        .filter(|s| !(s.id == id && s.stream as usize == stream))
                        .cloned()
                        .collect();
                    if !kept.is_empty() {
                        next.insert(engine_id, kept.into_boxed_slice());
                    }
                }
            }
            st.shards[shard] = Arc::new(next);
        }
        st.generation += 1;
        self.publish(&st);
        if !unused.is_empty() {
            self.index.delete_ids(&unused);
        }
        Ok(DeleteResponse {
            deleted: doomed.len(),
            detail,
            generation: st.generation,
        })
    }

    /// The stream's rules in creation order, as `GET …/{label}.json` lists them.
    pub fn list(&self, stream: usize) -> ListResponse {
        let st = self.lock();
        ListResponse {
            rules: st.streams[stream]
                .by_id
                .iter()
                .map(|(&id, r)| entry(id, r))
                .collect(),
            generation: st.generation,
        }
    }

    /// The stream's rules with these ids (request order; ids that are no rule left out).
    pub fn get_ids(&self, stream: usize, ids: &[u64]) -> ListResponse {
        let st = self.lock();
        let sr = &st.streams[stream];
        ListResponse {
            rules: ids
                .iter()
                .filter_map(|id| sr.by_id.get(id).map(|r| entry(*id, r)))
                .collect(),
            generation: st.generation,
        }
    }

    /// The stream's rules with these values.
    pub fn get_values(&self, stream: usize, values: &[&str]) -> ListResponse {
        let st = self.lock();
        let sr = &st.streams[stream];
        ListResponse {
            rules: values
                .iter()
                .filter_map(|v| {
                    let id = *sr.by_value.get(*v)?;
                    Some(entry(id, &sr.by_id[&id]))
                })
                .collect(),
            generation: st.generation,
        }
    }

    /// Calls `f` with the stream's rules in id order (only rule `only`, when given), borrowed
    /// under the registry's lock: the console filters, sorts and pages them without copying
    /// a rule it does not show (Rules API changes wait meanwhile).
    pub fn with_rules<R>(
        &self,
        stream: usize,
        only: Option<u64>,
        f: impl for<'r> FnOnce(&mut dyn Iterator<Item = RuleRef<'r>>) -> R,
    ) -> R {
        let st = self.lock();
        let range = only.map_or((Bound::Unbounded, Bound::Unbounded), |id| {
            (Bound::Included(id), Bound::Included(id))
        });
        let mut rules = st.streams[stream]
            .by_id
            .range(range)
            .map(|(&id, r)| RuleRef {
                id,
                value: &r.value,
                tag: r.tag.as_deref(),
                created_ms: r.created_ms,
            });
        f(&mut rules)
    }

    /// The stream's rules deleted at or after `since_ms` (the history keeps a day).
    pub fn deleted_since(
        &self,
        stream: usize,
        since_ms: u64,
    ) -> Result<Vec<StoredRule>, crate::persist::Error> {
        let key = &self.streams[stream].key;
        Ok(self
            .persist
            .deleted_since(since_ms)?
            .into_iter()
            .filter(|r| &r.stream == key)
            .collect())
    }

    /// The database the rules are kept in (the connection history shares it).
    pub fn persist(&self) -> &Arc<Persist> {
        &self.persist
    }

    /// One rule of the stream.
    pub fn get_one(&self, stream: usize, id: u64) -> Option<RuleEntry> {
        let st = self.lock();
        st.streams[stream].by_id.get(&id).map(|r| entry(id, r))
    }
}

/// A rule in force, borrowed from the registry.
#[derive(Clone, Copy, Debug)]
pub struct RuleRef<'a> {
    /// Its id.
    pub id: u64,
    /// Its value.
    pub value: &'a str,
    /// Its tag.
    pub tag: Option<&'a str>,
    /// When it was added (Unix ms).
    pub created_ms: u64,
}

fn entry(id: u64, r: &Rule) -> RuleEntry {
    RuleEntry {
        value: r.value.to_string(),
        tag: r.tag.as_deref().map(String::from),
        id: Some(id),
    }
}
