//! The firehose on JetStream: ingest publishes every post to `powertrack.firehose`, and
//! [`JetStreamLog`] reads it back for backfill and recovery, behind the same
//! [`PostLog`] trait as the embedded log.
//!
//! A post's message id is its post id, so a post published twice within the duplicate window
//! (a producer's retry, a file source resumed from an older position) is stored once. Lines
//! that are not posts are told apart here, before anything is published: malformed lines are
//! counted rejected, stream messages (keep-alives, notices) accepted and dropped.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::jetstream::context::PublishAckFuture;
use async_nats::jetstream::message::PublishMessage;
use bytes::Bytes;
use powertrack::post::{Line, Parser};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::{Cluster, FIREHOSE_SUBJECT, Follower, kv_key, unix_ms};
use crate::log::{Cursor, Durability, LogError, LogStats, Logged, Mark, PostLog};
use crate::metrics::Metrics;
use crate::pipeline::{Batch, Outcome, lines};

/// How long publishes that failed (a node down, a leader being elected) are tried again, with
/// the same message ids, before the batch is refused.
const PUBLISH_PATIENCE: Duration = Duration::from_secs(60);

/// The firehose stream as the service's [`PostLog`].
#[derive(Debug)]
pub struct JetStreamLog {
    cluster: Arc<Cluster>,
    parser: std::sync::Mutex<Parser>,
    last_seq: AtomicU64,
    disk_bytes: AtomicU64,
    oldest_ms: AtomicU64,
    durable_tx: watch::Sender<Durability>,
}

/// What publishing a batch of lines came to.
#[derive(Debug, Default)]
struct Published {
    outcome: Outcome,
    first: u64,
}

impl JetStreamLog {
    /// The log over the cluster's firehose stream; its figures are refreshed every few seconds
    /// from the stream's state.
    pub fn open(cluster: &Arc<Cluster>, stop: CancellationToken) -> Arc<JetStreamLog> {
        let (durable_tx, _) = watch::channel(Durability::default());
        let log = Arc::new(JetStreamLog {
            cluster: cluster.clone(),
            parser: std::sync::Mutex::new(Parser::new()),
            last_seq: AtomicU64::new(0),
            disk_bytes: AtomicU64::new(0),
            oldest_ms: AtomicU64::new(0),
            durable_tx,
        });
        let weak = Arc::downgrade(&log);
        cluster.handle.spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(2));
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    _ = every.tick() => {}
                }
                let Some(log) = weak.upgrade() else { return };
                let mut s = log.cluster.firehose.clone();
                if let Ok(info) = s.info().await {
                    log.seen(info.state.last_sequence);
                    log.disk_bytes.store(info.state.bytes, Ordering::Relaxed);
                    log.oldest_ms
                        .store(unix_ms(info.state.first_timestamp), Ordering::Relaxed);
                }
            }
        });
        log
    }

    /// Notes that the stream has reached `seq`: everything the stream acknowledged is
    /// replicated, so durable.
    fn seen(&self, seq: u64) {
        let before = self.last_seq.fetch_max(seq, Ordering::AcqRel);
        if seq > before {
            self.durable_tx.send_modify(|d| d.seq = d.seq.max(seq));
        }
    }

    /// Publishes the posts among `lines` and waits until the stream has every one of them
    /// (replicated); then records `mark`.
    async fn publish(
        &self,
        lines: &[&[u8]],
        mark: Option<&Mark>,
        metrics: Option<&Metrics>,
    ) -> Result<Published, LogError> {
        let mut out = Published::default();
        let mut pending: Vec<(String, Bytes)> = Vec::with_capacity(lines.len());
        {
            let mut parser = self
                .parser
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for &line in lines {
                match parser.parse(line) {
                    Ok(Line::Post(p)) => {
                        out.outcome.accepted += 1;
                        pending.push((format!("p{}", p.id()), Bytes::copy_from_slice(line)));
                    }
                    Ok(Line::Skipped(_)) => {
                        out.outcome.accepted += 1;
                        if let Some(m) = metrics {
                            m.lines_skipped.inc();
                        }
                    }
                    Err(e) => {
                        out.outcome.rejected += 1;
                        if let Some(m) = metrics {
                            m.lines_malformed.inc();
                        }
                        tracing::warn!(error = %e, "malformed line not published");
                    }
                }
            }
        }
        let mut tries = 0u64;
        let started = std::time::Instant::now();
        let mut first = u64::MAX;
        while !pending.is_empty() {
            let mut acks: Vec<(usize, PublishAckFuture)> = Vec::with_capacity(pending.len());
            let mut failed: Vec<usize> = Vec::new();
            for (i, (id, line)) in pending.iter().enumerate() {
                let msg = PublishMessage::build().payload(line.clone()).message_id(id);
                match self.cluster.js.send_publish(FIREHOSE_SUBJECT, msg).await {
                    Ok(ack) => acks.push((i, ack)),
                    Err(e) => {
                        tracing::debug!(error = %e, "firehose publish failed");
                        failed.push(i);
                    }
                }
            }
            // Together: lost acknowledgements (a node gone) time out once, not in turn.
            let (index, futures): (Vec<usize>, Vec<PublishAckFuture>) = acks.into_iter().unzip();
            let results = futures_util::future::join_all(
                futures
                    .into_iter()
                    .map(std::future::IntoFuture::into_future),
            )
            .await;
            for (i, result) in index.into_iter().zip(results) {
                match result {
                    Ok(a) => {
                        first = first.min(a.sequence);
                        out.outcome.last_seq = out.outcome.last_seq.max(a.sequence);
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "firehose publish not acknowledged");
                        failed.push(i);
                    }
                }
            }
            if failed.is_empty() {
                break;
            }
            tries += 1;
            if started.elapsed() >= PUBLISH_PATIENCE {
                return Err(LogError::new(format!(
                    "the firehose stream did not take {} posts in {} s ({tries} tries)",
                    failed.len(),
                    PUBLISH_PATIENCE.as_secs()
                )));
            }
            tracing::info!(posts = failed.len(), "firehose publish: trying again");
            tokio::time::sleep(Duration::from_millis(250 * tries.min(4))).await;
            failed.sort_unstable();
            pending = failed.into_iter().map(|i| pending[i].clone()).collect();
        }
        if let Some(mark) = mark {
            self.cluster
                .marks
                .put(kv_key(&mark.input), Bytes::from(mark.position.clone()))
                .await
                .map_err(|e| LogError::new(format!("recording where {} is: {e}", mark.input)))?;
        }
        out.first = if first == u64::MAX { 0 } else { first };
        self.seen(out.outcome.last_seq);
        Ok(out)
    }
}

impl PostLog for JetStreamLog {
    fn append_marked(
        &self,
        _arrival_ms: u64,
        posts: &[&[u8]],
        mark: Option<&Mark>,
    ) -> Result<Range<u64>, LogError> {
        let p = self
            .cluster
            .handle
            .block_on(self.publish(posts, mark, None))?;
        Ok(p.first..p.outcome.last_seq.saturating_add(1).max(p.first))
    }

    fn mark(&self, input: &str) -> Result<Option<Vec<u8>>, LogError> {
        self.cluster.handle.block_on(async {
            match self.cluster.marks.get(kv_key(input)).await {
                Ok(v) => Ok(v.map(|b| b.to_vec())),
                Err(e) => Err(LogError::new(format!("reading where {input} is: {e}"))),
            }
        })
    }

    fn durable(&self) -> watch::Receiver<Durability> {
        self.durable_tx.subscribe()
    }

    fn read(
        &self,
        from: Cursor,
        until_ms: u64,
        last_seq: u64,
        max: usize,
    ) -> Result<(Vec<Logged>, Option<Cursor>), LogError> {
        // A page is read again from the same cursor after a failure (a node gone, a leader
        // being elected), for as long as a publish is.
        self.cluster.handle.block_on(async {
            let started = std::time::Instant::now();
            loop {
                match read(&self.cluster, from, until_ms, last_seq, max).await {
                    Ok(page) => return Ok(page),
                    Err(e) if started.elapsed() < PUBLISH_PATIENCE => {
                        tracing::info!(error = %e, "reading the firehose stream: trying again");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    Err(e) => {
                        return Err(LogError::new(format!("reading the firehose stream: {e}")));
                    }
                }
            }
        })
    }

    fn stats(&self) -> LogStats {
        let last = self.last_seq.load(Ordering::Acquire);
        let oldest = self.oldest_ms.load(Ordering::Relaxed);
        LogStats {
            last_seq: last,
            durable_seq: last,
            disk_bytes: self.disk_bytes.load(Ordering::Relaxed),
            oldest_ms: (oldest > 0).then_some(oldest),
            torn_bytes: 0,
        }
    }
}

/// Up to `max` posts from `from` (a time, or a sequence number to go on from), through
/// `last_seq` and before `until_ms`, read with a [`Follower`] of their own.
async fn read(
    cluster: &Cluster,
    from: Cursor,
    until_ms: u64,
    last_seq: u64,
    max: usize,
) -> anyhow::Result<(Vec<Logged>, Option<Cursor>)> {
    let end = {
        let mut s = cluster.firehose.clone();
        s.info().await?.state.last_sequence.min(last_seq)
    };
    let (from_ms, from_seq) = from.position();
    if from_seq > end {
        return Ok((Vec::new(), None));
    }
    let deliver_policy = if from_seq > 0 {
        DeliverPolicy::ByStartSequence {
            start_sequence: from_seq,
        }
    } else {
        let nanos = i128::from(from_ms) * 1_000_000;
        DeliverPolicy::ByStartTime {
            start_time: time::OffsetDateTime::from_unix_timestamp_nanos(nanos)?,
        }
    };
    let mut follower = Follower::new(cluster, &cluster.firehose, None, deliver_policy).await?;
    let result = page(&mut follower, end, until_ms, max).await;
    follower.close().await;
    result
}

/// One page of a [`read`].
async fn page(
    follower: &mut Follower,
    end: u64,
    until_ms: u64,
    max: usize,
) -> anyhow::Result<(Vec<Logged>, Option<Cursor>)> {
    let mut page = Vec::new();
    loop {
        let m = match tokio::time::timeout(Duration::from_secs(5), follower.next()).await {
            Ok(m) => m?,
            // Nothing more within the bound: the stream holds nothing past here yet.
            Err(_) => return Ok((page, None)),
        };
        let info = m.info().map_err(|e| anyhow::anyhow!("{e}"))?;
        let (seq, arrival_ms) = (info.stream_sequence, unix_ms(info.published));
        if seq > end || arrival_ms >= until_ms {
            return Ok((page, None));
        }
        let pending = info.pending;
        page.push(Logged {
            seq,
            arrival_ms,
            line: m.payload.clone(),
        });
        if seq == end || pending == 0 {
            return Ok((page, None));
        }
        if page.len() >= max {
            return Ok((page, Some(Cursor::at_seq(seq + 1))));
        }
    }
}

/// Publishes the batches ingest and the source send (instead of the single process's matcher,
/// which logs them itself), and tells each sender its outcome once its posts are in the stream.
pub fn spawn_publisher(
    log: Arc<JetStreamLog>,
    metrics: Arc<Metrics>,
    mut rx: mpsc::Receiver<Batch>,
    stop: CancellationToken,
) -> std::io::Result<JoinHandle<()>> {
    let handle = log.cluster.handle.clone();
    std::thread::Builder::new()
        .name("powertrack-publish".into())
        .spawn(move || {
            handle.block_on(async move {
                loop {
                    let batch = tokio::select! {
                        biased;
                        () = stop.cancelled() => return,
                        b = rx.recv() => match b { Some(b) => b, None => return },
                    };
                    let input: Vec<&[u8]> = lines(&batch.data).map(|l| l.1).collect();
                    let result = log
                        .publish(&input, batch.mark.as_ref(), Some(&metrics))
                        .await;
                    let reply = match result {
                        Ok(p) => Ok(p.outcome),
                        Err(e) => {
                            tracing::error!(source = %batch.source, line = batch.first_line, error = %e, "the firehose stream refused a batch");
                            metrics.log_errors.inc();
                            Err(e.to_string())
                        }
                    };
                    if let Some(r) = batch.reply {
                        let _ = r.send(reply);
                    }
                }
            });
        })
}
