//! Rules in a cluster: every Rules API add or delete, on whichever instance it arrives, is a
//! message of the replicated stream `POWERTRACK_RULES`, and every instance applies every
//! message in the stream's order to its own rules ([`Registry::add_at`],
//! [`Registry::delete_at`]), stamped with the message's time and sequence number. Applying is
//! deterministic: the same changes in the same order, from the same rules, give the same rules,
//! ids and refusals on every instance, so the answer the instance that took a request gives
//! (once it has applied the request's message itself) is the answer every instance would
//! give. Each instance commits the sequence number it has applied with the rules it produced,
//! and resumes after it when it starts again, having missed nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::stream::DirectGetErrorKind;
use bytes::Bytes;
use powertrack::api::{Body, RuleEntry};
use powertrack::live::{AddResponse, DeleteResponse};
use serde::{Deserialize, Serialize};
use tokio::sync::{oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::{Cluster, RULES_SUBJECT, unix_ms};
use crate::registry::{ChangeError, Registry, Stamp};

/// The header naming the request a change came from, so that its instance can answer it.
const CHANGE: &str = "Powertrack-Change";

/// How long a change that the cluster does not take (no leader yet) is tried again.
const PUBLISH_PATIENCE: Duration = Duration::from_secs(20);

/// How long a request waits for its change to be applied here.
const APPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// One change, as the stream carries it.
#[derive(Debug, Serialize, Deserialize)]
struct Change {
    /// `account/label`.
    stream: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    add: Option<Vec<Rule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delete: Option<Vec<Rule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delete_ids: Option<Vec<u64>>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Rule {
    value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tag: Option<String>,
}

impl Rule {
    fn entry(self) -> RuleEntry {
        RuleEntry {
            value: self.value,
            tag: self.tag,
            id: None,
        }
    }
}

fn rules(entries: &[RuleEntry]) -> Vec<Rule> {
    entries
        .iter()
        .map(|e| Rule {
            value: e.value.clone(),
            tag: e.tag.clone(),
        })
        .collect()
}

/// What applying a change gave.
#[derive(Debug)]
pub enum Applied {
    /// An add's answer.
    Add(Result<AddResponse, ChangeError>),
    /// A delete's answer.
    Delete(Result<DeleteResponse, ChangeError>),
}

/// Proposes changes to the cluster's rules and applies everyone's.
#[derive(Debug)]
pub struct RuleLog {
    cluster: Arc<Cluster>,
    registry: Arc<Registry>,
    waiters: Mutex<HashMap<String, oneshot::Sender<Applied>>>,
    applied: watch::Sender<u64>,
}

impl RuleLog {
    /// The log of `cluster`'s rule changes over `registry` (the instance's rules).
    pub fn new(cluster: Arc<Cluster>, registry: Arc<Registry>) -> anyhow::Result<Arc<RuleLog>> {
        let applied = registry
            .persist()
            .applied()
            .map_err(|e| anyhow::anyhow!("reading where the rules stand: {e}"))?;
        if applied.seq == 0 && registry.total_rules() > 0 {
            anyhow::bail!(
                "--data-dir holds rules of a single-process server; a cluster instance takes its rules \
                 from the cluster: start it with an empty --data-dir (and add those rules through the \
                 Rules API)"
            );
        }
        Ok(Arc::new(RuleLog {
            cluster,
            registry,
            waiters: Mutex::new(HashMap::new()),
            applied: watch::channel(applied.seq).0,
        }))
    }

    /// Proposes adding `entries` to `stream` and waits for this instance to have applied it.
    pub async fn add(&self, stream: usize, entries: &[RuleEntry]) -> Result<Applied, String> {
        self.propose(Change {
            stream: self.registry.streams()[stream].key.clone(),
            add: Some(rules(entries)),
            delete: None,
            delete_ids: None,
        })
        .await
    }

    /// Proposes the delete `body` names in `stream` and waits for this instance to have
    /// applied it.
    pub async fn delete(&self, stream: usize, body: &Body) -> Result<Applied, String> {
        let key = self.registry.streams()[stream].key.clone();
        self.propose(match body {
            Body::Rules(r) => Change {
                stream: key,
                add: None,
                delete: Some(rules(r)),
                delete_ids: None,
            },
            Body::RuleIds(ids) => Change {
                stream: key,
                add: None,
                delete: None,
                delete_ids: Some(ids.clone()),
            },
        })
        .await
    }

    async fn propose(&self, change: Change) -> Result<Applied, String> {
        let token = nuid::next().to_string();
        let (tx, rx) = oneshot::channel();
        self.lock().insert(token.clone(), tx);
        let result = self.publish_and_wait(&token, &change, rx).await;
        self.lock().remove(&token);
        result
    }

    async fn publish_and_wait(
        &self,
        token: &str,
        change: &Change,
        rx: oneshot::Receiver<Applied>,
    ) -> Result<Applied, String> {
        let payload = Bytes::from(serde_json::to_vec(change).map_err(|e| e.to_string())?);
        let started = std::time::Instant::now();
        loop {
            // The token is the message id: a retry of a publish that did land is dropped.
            let msg = PublishMessage::build()
                .payload(payload.clone())
                .message_id(token)
                .header(CHANGE, token);
            let acked = match self.cluster.js.send_publish(RULES_SUBJECT, msg).await {
                Ok(ack) => ack.await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match acked {
                Ok(_) => break,
                // A leader being elected (a node gone) takes seconds.
                Err(e) if started.elapsed() < PUBLISH_PATIENCE => {
                    tracing::info!(error = %e, "publishing a rule change: trying again");
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                Err(e) => return Err(format!("the cluster did not take the change: {e}")),
            }
        }
        match tokio::time::timeout(APPLY_TIMEOUT, rx).await {
            Ok(Ok(applied)) => Ok(applied),
            _ => Err("the change is in the cluster's log but was not applied here in time".into()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Applied>>> {
        self.waiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The last change applied here.
    pub fn applied(&self) -> watch::Receiver<u64> {
        self.applied.subscribe()
    }

    /// Applies one change of the stream.
    fn apply(&self, seq: u64, ms: u64, token: Option<&str>, payload: &[u8]) -> bool {
        let at = Some(Stamp { ms, seq });
        let change: Change = match serde_json::from_slice(payload) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(seq, error = %e, "a rule change that is not one; skipped");
                return true;
            }
        };
        let Some(stream) = self
            .registry
            .streams()
            .iter()
            .position(|s| s.key == change.stream)
        else {
            tracing::warn!(seq, stream = %change.stream, "a rule change for a stream this instance does not have; skipped");
            return true;
        };
        let applied = if let Some(add) = change.add {
            let entries: Vec<RuleEntry> = add.into_iter().map(Rule::entry).collect();
            Applied::Add(self.registry.add_at(stream, &entries, at))
        } else if let Some(ids) = change.delete_ids {
            Applied::Delete(self.registry.delete_at(stream, &Body::RuleIds(ids), at))
        } else {
            let rules = change.delete.unwrap_or_default();
            let body = Body::Rules(rules.into_iter().map(Rule::entry).collect());
            Applied::Delete(self.registry.delete_at(stream, &body, at))
        };
        if let Applied::Add(Err(ChangeError::Storage(e)))
        | Applied::Delete(Err(ChangeError::Storage(e))) = &applied
        {
            // Not applied here: this instance cannot go past it without diverging.
            tracing::error!(seq, error = %e, "cannot apply a rule change; trying again");
            return false;
        }
        if let Some(tx) = token.and_then(|t| self.lock().remove(t)) {
            let _ = tx.send(applied);
        }
        self.applied.send_replace(seq);
        true
    }
}

/// Applies the cluster's rule changes from the one after the last applied here, on a thread
/// of its own, until `stop`. Returns once every change already in the stream is applied (the
/// instance then serves rules no older than the cluster's at its start).
pub fn spawn_applier(
    log: &Arc<RuleLog>,
    stop: CancellationToken,
) -> anyhow::Result<JoinHandle<()>> {
    let cluster = log.cluster.clone();
    let handle = cluster.handle.clone();
    let target = handle.block_on(async {
        let mut s = cluster.rules.clone();
        s.info().await.map(|i| i.state.last_sequence)
    })?;
    let mut applied = log.applied();
    let thread_log = log.clone();
    let thread_handle = handle.clone();
    let thread = std::thread::Builder::new()
        .name("powertrack-rules".into())
        .spawn(move || {
            let handle = thread_handle;
            let log = thread_log;
            while !stop.is_cancelled() {
                let from = *log.applied.borrow() + 1;
                if let Err(e) = handle.block_on(follow(&log, from, &stop)) {
                    tracing::warn!(error = %e, "following the rule changes failed; starting again");
                    std::thread::sleep(Duration::from_millis(250));
                }
            }
        })?;
    let start = std::time::Instant::now();
    handle.block_on(async {
        while *applied.borrow_and_update() < target {
            if applied.changed().await.is_err() {
                break;
            }
        }
    });
    tracing::info!(
        through = target,
        ms = start.elapsed().as_millis(),
        "rule changes caught up"
    );
    Ok(thread)
}

/// Applies changes from `from` on: each read with a direct get (served by any replica, no
/// consumer to lose or remake when a node dies), the next one asked for whenever a change is
/// published (a plain subscription to the subject wakes it) or a second has passed.
async fn follow(log: &RuleLog, from: u64, stop: &CancellationToken) -> anyhow::Result<()> {
    use futures_util::StreamExt as _;
    let mut wake = log.cluster.client.subscribe(RULES_SUBJECT).await?;
    let mut next = from;
    let mut woken = 0u32;
    loop {
        // A short bound: a read lost with a connection is asked again at once (reads are
        // idempotent).
        let got = tokio::time::timeout(
            Duration::from_millis(500),
            log.cluster.rules.direct_get(next),
        )
        .await
        .map_err(|_| anyhow::anyhow!("reading rule change {next} timed out"))?;
        match got {
            Ok(m) => {
                let ms = unix_ms(m.time);
                let token = m.headers.get(CHANGE).map(|v| v.as_str().to_owned());
                // This thread's own (`block_on`): compiling rules blocks nothing else.
                while !log.apply(m.sequence, ms, token.as_deref(), &m.payload) {
                    if stop.is_cancelled() {
                        return Ok(());
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                next = m.sequence + 1;
            }
            Err(e) if e.kind() == DirectGetErrorKind::NotFound => {
                // After a wake-up the change exists, but the replica that answered may not have
                // it yet: ask again shortly.
                let wait = if woken > 0 {
                    woken -= 1;
                    Duration::from_millis(1)
                } else {
                    Duration::from_secs(1)
                };
                tokio::select! {
                    biased;
                    () = stop.cancelled() => return Ok(()),
                    _ = wake.next() => woken = 1_000,
                    () = tokio::time::sleep(wait) => {}
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}
