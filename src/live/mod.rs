//! Live rules: a rule set that changes while posts are matched, with the Rules API's
//! operations and messages (docs/service.md, "Endpoints"; rule-language §9, §10.3).
//!
//! [`LiveRules`] owns the rules and publishes immutable [`RuleSet`] snapshots. Matching
//! threads never take a lock: they [`load`](LiveRules::load) the current snapshot (a few
//! atomic operations, through [`arc_swap`]) per post or per batch, and match against it; every
//! [`Matches`](crate::matcher::Matches) carries the [generation](RuleSet::generation) of the
//! snapshot it came from. A change publishes a new snapshot before it returns, so every post
//! whose matching starts afterwards sees it, and no post ever sees half of a change.
//!
//! A change does not rebuild the rule set. The rules live in segments: a base split into
//! [`Config::partitions`] partitions and a few small deltas. An add compiles only the new
//! rules, into a delta; a delete sets a tombstone bit. A background thread compacts: it merges
//! small deltas, and folds the deltas into the base one partition at a time, building each new
//! partition beside the old one and swapping it in atomically, so memory peaks at about
//! (1 + 1/K) times its steady state. At most [`Config::max_segments`] segments are live at
//! once; the post's facts are computed once whatever their number.
//!
//! The rules that need a substring search (`contains:`, `url_contains:`, a term of a script
//! written without spaces) all live in the first partition, so that a post pays one substring
//! pass however many partitions there are; the other rules are spread by id, the first
//! partition taking only what evens the partitions out at the initial load. (When such rules
//! are over 1/K of the set, the first partition holds them alone and is the largest; the
//! memory peak is then 1 plus its share.)
//!
//! The partitions share a lexicon: one table of every token, token pair and exact key any of
//! them indexes, mapping each to its atom in each partition, so that a post's tokens and keys
//! are looked up once rather than once per partition. It is built beside each rebuilt partition
//! (outside the lock, like the partition) and published with it; a snapshot uses it only for
//! the partitions it was built from, so a stale one is never consulted. (It holds about a sixth
//! of the compiled memory, and while a new one is built the old one is still held: the peak of
//! a partition's rebuild grows by that much.)
//!
//! # Example
//!
//! ```
//! use powertrack::api::RuleEntry;
//! use powertrack::live::LiveRules;
//! use powertrack::matcher::{Matches, Scratch};
//!
//! let live = LiveRules::new();
//! let added = live.add(&[RuleEntry::new("snow -rain", Some("weather"))])?;
//! assert_eq!((added.status(), added.created()), (201, 1));
//! let snow = added.detail[0].rule.id.unwrap();
//!
//! let line = br#"{"id_str":"1","text":"snow again","user":{"id_str":"2","screen_name":"a"}}"#;
//! let (mut scratch, mut matches) = (Scratch::new(), Matches::new());
//! let rules = live.load();
//! rules.match_line(line, &mut scratch, &mut matches)?;
//! assert_eq!(matches.ids().collect::<Vec<_>>(), [snow]);
//! assert_eq!(matches.generation(), 1);
//!
//! // A duplicate value is not created; PowerTrack's message names the existing rule.
//! let again = live.add(&[RuleEntry::new("snow -rain", Some("other tag"))])?;
//! assert_eq!(again.detail[0].message.as_deref(), Some("A rule with this value already exists"));
//! assert_eq!(again.detail[0].rule.id, Some(snow));
//!
//! let deleted = live.delete_values(&["snow -rain", "pizza"]);
//! assert_eq!((deleted.deleted, deleted.not_deleted()), (1, 1));
//! live.load().match_line(line, &mut scratch, &mut matches)?;
//! assert!(matches.is_empty());
//! assert_eq!(matches.generation(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod ids;
mod response;
mod store;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use arc_swap::{ArcSwap, Guard};

use crate::api::{Body, BodyError, Limits, RuleEntry, ValidationResponse, validate};
use crate::matcher::RuleSet;

pub use ids::IdGenerator;
pub use response::{
    ALREADY_EXISTS, AddDetail, AddResponse, DOES_NOT_EXIST, DeleteDetail, DeleteResponse,
    ListResponse,
};
use store::{Store, build, lexicon_after};

/// How a [`LiveRules`] store is laid out and maintained.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The most rules the store holds (PowerTrack's contractual maximum by default: 250,000).
    /// An add past it is refused with PowerTrack's "Request exceeds account's Rule Limit…".
    pub rule_limit: usize,
    /// K: base partitions, compacted one at a time (peak memory about (1 + 1/K) × steady; see
    /// the module documentation for where rules go).
    /// Each partition costs every post a pass over the post's hits, so a small initial load
    /// uses fewer:
    /// one per [`rules_per_partition`](Config::rules_per_partition) rules, at most K. The
    /// number is fixed by the initial load (an add to an empty store).
    pub partitions: usize,
    /// Rules per base partition below which fewer partitions are used (50,000).
    pub rules_per_partition: usize,
    /// The most segments live at once (base partitions plus deltas); at least K + 2.
    pub max_segments: usize,
    /// Fold the deltas into the base once they hold this many rules…
    pub fold_min: usize,
    /// …or 1/`fold_divisor` of all rules, whichever is larger.
    pub fold_divisor: usize,
    /// Compact in a background thread. Without it, call [`LiveRules::compact`].
    pub background: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            rule_limit: 250_000,
            partitions: 4,
            rules_per_partition: 50_000,
            max_segments: 8,
            fold_min: 256,
            fold_divisor: 64,
            background: true,
        }
    }
}

impl Config {
    /// The configuration with `rule_limit` rules at most.
    #[must_use]
    pub fn rule_limit(mut self, rule_limit: usize) -> Config {
        self.rule_limit = rule_limit;
        self
    }

    /// The configuration with `partitions` base partitions (clamped to 1..=`max_segments` − 2).
    #[must_use]
    pub fn partitions(mut self, partitions: usize) -> Config {
        self.partitions = partitions;
        self
    }

    /// The configuration with one base partition per `rules` rules of the initial load (at
    /// most [`partitions`](Config::partitions)).
    #[must_use]
    pub fn rules_per_partition(mut self, rules: usize) -> Config {
        self.rules_per_partition = rules.max(1);
        self
    }

    /// The configuration with at most `max_segments` live segments (at least 3).
    #[must_use]
    pub fn max_segments(mut self, max_segments: usize) -> Config {
        self.max_segments = max_segments;
        self
    }

    /// The configuration with background compaction on or off.
    #[must_use]
    pub fn background(mut self, background: bool) -> Config {
        self.background = background;
        self
    }

    /// The configuration with folds once the deltas hold `fold_min` rules or 1/`divisor` of all.
    #[must_use]
    pub fn fold_at(mut self, fold_min: usize, divisor: usize) -> Config {
        self.fold_min = fold_min.max(1);
        self.fold_divisor = divisor.max(1);
        self
    }

    fn normalized(mut self) -> Config {
        self.max_segments = self.max_segments.max(3);
        self.partitions = self.partitions.clamp(1, self.max_segments - 2);
        self
    }
}

/// A snapshot of the live rule set, held while matching a post or a batch. It dereferences
/// to the [`RuleSet`]; hold it briefly (use [`LiveRules::snapshot`] for an owned one).
pub struct Snapshot(Guard<Arc<RuleSet>>);

impl std::ops::Deref for Snapshot {
    type Target = RuleSet;
    fn deref(&self) -> &RuleSet {
        &self.0
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Snapshot")
            .field(&self.0.generation())
            .finish()
    }
}

/// Counters of a store, for monitoring.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LiveStats {
    /// Rules.
    pub rules: usize,
    /// Changes committed (the current generation).
    pub generation: u64,
    /// Live segments.
    pub segments: usize,
    /// Of which deltas.
    pub deltas: usize,
    /// Rules in deltas.
    pub delta_rules: usize,
    /// Compaction steps installed so far.
    pub compactions: u64,
    /// Heap bytes of the published rule set's segments.
    pub memory: usize,
    /// Heap bytes of the rule records (values, tags, indexes by id and value).
    pub records_memory: usize,
    /// The longest a compaction step has held the store's lock (planning, or installing and
    /// publishing): the most it has delayed a change.
    pub longest_compaction_lock: Duration,
}

#[derive(Debug)]
struct Shared {
    current: ArcSwap<RuleSet>,
    store: Mutex<Store>,
    /// Wakes the compactor after a change.
    wake: Condvar,
    /// Serialises compaction steps (writers never take it).
    compaction: Mutex<()>,
    shutdown: AtomicBool,
    /// The longest time a compaction step held the store's lock (planning or installing), in
    /// nanoseconds: what it can add to a change's latency.
    longest_hold: std::sync::atomic::AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the store half-changed in a way that
        // matters to readers (they only see published snapshots), so keep going.
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Publishes the store's rule set; returns the one it replaces, for the caller to drop
    /// after releasing the lock (freeing a large segment takes a while).
    #[must_use = "drop the old rule set after unlocking"]
    fn publish(&self, store: &mut Store) -> Arc<RuleSet> {
        self.current.swap(Arc::new(store.snapshot()))
    }

    /// Runs one compaction step; false when there was nothing to do.
    fn compact_step(&self, force: bool) -> bool {
        let _serial = self
            .compaction
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let held = std::time::Instant::now();
        let (task, partitions) = {
            let mut store = self.lock();
            let Some(task) = store.plan(force) else {
                return false;
            };
            (task, store.partitions())
        };
        self.held(held);
        let built = build(task.sources);
        let lexicon = lexicon_after(partitions, &built, task.role);
        let mut store = self.lock();
        let held = std::time::Instant::now();
        store.finish(built, task.role, lexicon);
        let old = self.publish(&mut store);
        drop(store);
        self.held(held);
        drop(old);
        true
    }
}

impl Shared {
    fn held(&self, since: std::time::Instant) {
        let ns = u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.longest_hold.fetch_max(ns, Ordering::Relaxed);
    }
}

/// Stops and joins the compactor when the last handle of the store goes.
#[derive(Debug)]
struct Compactor {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Compactor {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        {
            let _store = self.shared.lock();
            self.shared.wake.notify_all();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A live rule set: the Rules API's operations on one side, lock-free snapshots for matching
/// threads on the other. Cheap to clone (clones share the store); `Send + Sync`.
#[derive(Clone, Debug)]
pub struct LiveRules {
    shared: Arc<Shared>,
    _compactor: Option<Arc<Compactor>>,
}

impl Default for LiveRules {
    fn default() -> LiveRules {
        LiveRules::new()
    }
}

impl LiveRules {
    /// An empty store with the default [`Config`] (background compaction on).
    pub fn new() -> LiveRules {
        LiveRules::with_config(Config::default())
    }

    /// An empty store.
    pub fn with_config(config: Config) -> LiveRules {
        let config = config.normalized();
        let background = config.background;
        let mut store = Store::new(config);
        let shared = Arc::new(Shared {
            current: ArcSwap::from_pointee(store.snapshot()),
            store: Mutex::new(store),
            wake: Condvar::new(),
            compaction: Mutex::new(()),
            shutdown: AtomicBool::new(false),
            longest_hold: std::sync::atomic::AtomicU64::new(0),
        });
        let compactor = background.then(|| {
            let worker = shared.clone();
            let thread = std::thread::Builder::new()
                .name("powertrack-compactor".into())
                .spawn(move || compactor_loop(&worker))
                .ok();
            Arc::new(Compactor {
                shared: shared.clone(),
                thread,
            })
        });
        LiveRules {
            shared,
            _compactor: compactor,
        }
    }

    /// The current rule set, for matching a post or a batch. Lock-free.
    pub fn load(&self) -> Snapshot {
        Snapshot(self.shared.current.load())
    }

    /// The current rule set, owned (for holding across many posts).
    pub fn snapshot(&self) -> Arc<RuleSet> {
        self.shared.current.load_full()
    }

    /// Adds rules, as `POST …/rules.json` does: atomically (one invalid rule and nothing is
    /// added, status 422), a detail per rule, duplicates of existing values not created and
    /// reported with the existing rule's id (its tag unchanged). Rules without an id get a
    /// new unique, time-ordered one; an id given (a restore) is kept, and must be free.
    ///
    /// # Errors
    ///
    /// PowerTrack's "Request exceeds account's Rule Limit…" when the rules created would
    /// take the store past [`Config::rule_limit`]; nothing is added.
    pub fn add(&self, rules: &[RuleEntry]) -> Result<AddResponse, BodyError> {
        let mut store = self.shared.lock();
        let response = store.add(rules)?;
        if response.created() > 0 {
            let old = self.shared.publish(&mut store);
            drop(store);
            self.shared.wake.notify_all();
            drop(old);
        }
        Ok(response)
    }

    /// Deletes the rules with ids `delete` and adds `add` as one change: matchers see the
    /// rule set before it or after it, never in between. Nothing is deleted unless the add is
    /// accepted (no rule invalid, within the rule limit); the deleted rules' values and ids
    /// are free for the added ones (so a changed tag is a delete and an add of the same value).
    ///
    /// ```
    /// use powertrack::api::RuleEntry;
    /// use powertrack::live::LiveRules;
    ///
    /// let live = LiveRules::new();
    /// let id = live.add(&[RuleEntry::new("snow", Some("old"))])?.detail[0].rule.id.unwrap();
    /// let (deleted, added) = live.apply(&[id], &[RuleEntry::new("snow", Some("new"))])?;
    /// assert_eq!((deleted.deleted, added.created()), (1, 1));
    /// assert_eq!(live.list().rules[0].tag.as_deref(), Some("new"));
    /// # Ok::<(), powertrack::api::BodyError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// PowerTrack's rule-limit message, as for [`add`](LiveRules::add); nothing changes.
    pub fn apply(
        &self,
        delete: &[u64],
        add: &[RuleEntry],
    ) -> Result<(DeleteResponse, AddResponse), BodyError> {
        let mut store = self.shared.lock();
        let (deleted, added) = store.change(delete, add)?;
        if deleted.deleted > 0 || added.created() > 0 {
            let old = self.shared.publish(&mut store);
            drop(store);
            self.shared.wake.notify_all();
            drop(old);
        }
        Ok((deleted, added))
    }

    /// Deletes the rules with these exact values (case-sensitive), atomically. Each value
    /// that is no rule is reported as "Rule does not exist".
    pub fn delete_values(&self, values: &[&str]) -> DeleteResponse {
        let store = self.shared.lock();
        let targets = values
            .iter()
            .map(|v| (store.id_of_value(v), RuleEntry::new(*v, None)))
            .collect();
        self.finish_delete(store, targets)
    }

    /// Deletes the rules with these ids, atomically. Each id that is no rule is reported as
    /// "Rule does not exist".
    pub fn delete_ids(&self, ids: &[u64]) -> DeleteResponse {
        let store = self.shared.lock();
        let targets = ids
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
        self.finish_delete(store, targets)
    }

    /// Deletes what a delete request's body names: `{"rules":[{"value":…},…]}` by value (the
    /// tags are ignored: rules are never named by tag) or `{"rule_ids":[…]}`.
    pub fn delete(&self, body: &Body) -> DeleteResponse {
        match body {
            Body::Rules(rules) => {
                let store = self.shared.lock();
                let targets = rules
                    .iter()
                    .map(|r| {
                        (
                            store.id_of_value(&r.value),
                            RuleEntry {
                                value: r.value.clone(),
                                tag: r.tag.clone(),
                                id: None,
                            },
                        )
                    })
                    .collect();
                self.finish_delete(store, targets)
            }
            Body::RuleIds(ids) => self.delete_ids(ids),
        }
    }

    fn finish_delete(
        &self,
        mut store: MutexGuard<'_, Store>,
        targets: Vec<(Option<u64>, RuleEntry)>,
    ) -> DeleteResponse {
        let response = store.delete(targets);
        if response.deleted > 0 {
            let old = self.shared.publish(&mut store);
            drop(store);
            self.shared.wake.notify_all();
            drop(old);
        }
        response
    }

    /// Every rule, in creation order, as `GET …/rules.json` lists them.
    pub fn list(&self) -> ListResponse {
        self.shared.lock().list()
    }

    /// The rules with these ids, as `POST …/rules.json?_method=get` returns them (ids that are
    /// no rule are left out).
    pub fn get(&self, ids: &[u64]) -> ListResponse {
        self.shared.lock().get(ids)
    }

    /// Validates rules without changing anything, as `POST …/validation.json` does.
    pub fn validate(&self, rules: &[RuleEntry]) -> ValidationResponse {
        validate(rules)
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.shared.lock().len()
    }

    /// Whether the store has no rules.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs compaction steps until none is left: the deltas folded into the base and every
    /// tombstone purged. Matching goes on meanwhile; changes too.
    pub fn compact(&self) {
        while self.shared.compact_step(true) {}
    }

    /// Runs one compaction step (a delta merge, one partition of a fold, or the rebuild of a
    /// partition with many deleted rules), for stores without background compaction that
    /// spread the work themselves; false when there was nothing to do.
    pub fn compact_step(&self) -> bool {
        self.shared.compact_step(false)
    }

    /// Checks the store's invariants (every rule in exactly one live place, the published
    /// snapshot current, the segment budget kept); panics when one is broken. For tests and
    /// fuzzing.
    #[doc(hidden)]
    pub fn assert_consistent(&self) {
        let store = self.shared.lock();
        store.check();
        let snapshot = self.load();
        assert_eq!(snapshot.len(), store.len());
        assert_eq!(snapshot.generation(), store.generation);
    }

    /// Counters.
    pub fn stats(&self) -> LiveStats {
        let snapshot = self.load();
        let store = self.shared.lock();
        LiveStats {
            rules: store.len(),
            generation: store.generation,
            segments: store.slots.len(),
            deltas: store
                .slots
                .iter()
                .filter(|s| s.role == store::Role::Delta)
                .count(),
            delta_rules: store
                .slots
                .iter()
                .filter(|s| s.role == store::Role::Delta)
                .map(store::Slot::live)
                .sum(),
            compactions: store.compactions,
            memory: snapshot.memory_usage(),
            records_memory: store.records_memory(),
            longest_compaction_lock: Duration::from_nanos(
                self.shared.longest_hold.load(Ordering::Relaxed),
            ),
        }
    }

    /// Answers a Rules API request: the status and the response body, ready to send.
    /// Bodies over 5 MB are refused (413), bodies of the wrong shape get PowerTrack's
    /// "Invalid JSON…" (400), an add past the rule limit PowerTrack's message (422).
    ///
    /// ```
    /// use powertrack::live::{LiveRules, Request};
    ///
    /// let live = LiveRules::new();
    /// let (status, body) = live.handle(Request::Add, br#"{"rules":[{"value":"from:jack","tag":"t"}]}"#);
    /// assert_eq!(status, 201);
    /// assert!(body.starts_with(r#"{"summary":{"created":1,"not_created":0},"detail":[{"rule":{"value":"from:jack","tag":"t","id":"#));
    /// let (status, body) = live.handle(Request::Delete, br#"{"rules":[{"value":"Pizza"}]}"#);
    /// assert_eq!(status, 200);
    /// assert!(body.starts_with(r#"{"summary":{"deleted":0,"not_deleted":1},"detail":[{"rule":{"value":"Pizza","tag":null},"deleted":false,"message":"Rule does not exist"}],"sent":"#));
    /// ```
    pub fn handle(&self, request: Request, body: &[u8]) -> (u16, String) {
        let sent = crate::api::now_rfc3339();
        if request == Request::List {
            return (200, self.list().to_json(&sent));
        }
        let limits = Limits::api();
        let parsed = match Body::parse(body, &limits) {
            Ok(b) => b,
            Err(e) => return (e.status(), e.to_json(&sent)),
        };
        let shape_error = || {
            let e = BodyError::invalid_json("the request needs a {\"rules\":[…]} body");
            (e.status(), e.to_json(&sent))
        };
        match (request, parsed) {
            (Request::Add, Body::Rules(rules)) => match self.add(&rules) {
                Ok(r) => (r.status(), r.to_json(&sent)),
                Err(e) => (e.status(), e.to_json(&sent)),
            },
            (Request::Validate, Body::Rules(rules)) => (200, self.validate(&rules).to_json(&sent)),
            (Request::Delete, body) => (200, self.delete(&body).to_json(&sent)),
            (Request::Get, Body::RuleIds(ids)) => (200, self.get(&ids).to_json(&sent)),
            (Request::Get, Body::Rules(rules)) => {
                let store = self.shared.lock();
                let ids: Vec<u64> = rules
                    .iter()
                    .filter_map(|r| store.id_of_value(&r.value))
                    .collect();
                (200, store.get(&ids).to_json(&sent))
            }
            _ => shape_error(),
        }
    }
}

/// A Rules API request, for [`LiveRules::handle`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// `POST …/rules.json`: add rules.
    Add,
    /// `POST …/rules.json?_method=delete`: delete by values or ids.
    Delete,
    /// `GET …/rules.json`: list every rule (the body is ignored).
    List,
    /// `POST …/rules.json?_method=get`: the rules with these ids.
    Get,
    /// `POST …/validation.json`: validate without changing anything.
    Validate,
}

fn compactor_loop(shared: &Shared) {
    while !shared.shutdown.load(Ordering::SeqCst) {
        if shared.compact_step(false) {
            continue;
        }
        let store = shared.lock();
        if shared.shutdown.load(Ordering::SeqCst) {
            break;
        }
        let _ = shared.wake.wait_timeout(store, Duration::from_millis(500));
    }
}

#[cfg(test)]
mod tests;
