//! Matching in a cluster: the instances share the firehose through one durable pull consumer,
//! so each post is handed to one of them. This instance matches what it is handed against
//! its rules (every instance holds every rule), publishes each matching stream's copy of the
//! post, with its `matching_rules`, to the stream's matched subject, and acknowledges the post
//! only once JetStream has every copy. A post handed to an instance that dies before its
//! acknowledgement is handed to another one after the ack wait; the copies it publishes again
//! carry the same message ids (`<stream>:<firehose sequence>`) and are dropped as duplicates.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use async_nats::jetstream::context::PublishAckFuture;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{self, AckKind};
use bytes::Bytes;
use futures_util::StreamExt as _;
use powertrack::matcher::{Matches, Scratch};
use tokio_util::sync::CancellationToken;

use super::{Cluster, MATCHERS, matched_subject, unix_ms};
use crate::metrics::StreamLabel;
use crate::pipeline::{Context, splice_line};
use crate::registry::{Hit, by_stream};

/// Posts matched together at most (what the consumer has ready, up to this).
const CHUNK: usize = 512;

/// Posts asked for in one pull (the client asks for more when half have arrived).
const PULL: usize = 1_000;

/// Batches whose copies may be waiting for JetStream's acknowledgement at once.
const IN_FLIGHT: usize = 32;

/// The header carrying a matched post's arrival in the firehose (Unix ms), for the end-to-end
/// latency.
pub const ARRIVED: &str = "Powertrack-Arrived";
/// The header carrying a matched post's firehose sequence number.
pub const FIREHOSE_SEQ: &str = "Powertrack-Firehose-Seq";

/// Starts matching this instance's share of the firehose on a thread of its own, until `stop`.
pub fn spawn(
    cluster: Arc<Cluster>,
    ctx: Arc<Context>,
    stop: CancellationToken,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("powertrack-match".into())
        .spawn(move || {
            let handle = cluster.handle.clone();
            let mut m = Matcher::new(&cluster, ctx);
            while !stop.is_cancelled() {
                let run = handle.block_on(m.run(&stop));
                if let Err(e) = run {
                    tracing::warn!(error = %e, "matching the firehose: the consumer failed; starting it again");
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        })
}

struct Matcher {
    cluster: Arc<Cluster>,
    ctx: Arc<Context>,
    subjects: Vec<String>,
    scratch: Scratch,
    matches: Matches,
    hits: Vec<Hit>,
    line: Vec<u8>,
    counted: Vec<(usize, u64)>,
    matched_counters: Vec<prometheus_client::metrics::counter::Counter>,
    in_flight: std::collections::VecDeque<tokio::task::JoinHandle<()>>,
}

impl Matcher {
    fn new(cluster: &Arc<Cluster>, ctx: Arc<Context>) -> Matcher {
        let streams = ctx.registry.streams();
        let subjects = streams.iter().map(|s| matched_subject(&s.key)).collect();
        let matched_counters = streams
            .iter()
            .map(|s| {
                ctx.metrics
                    .stream_matched
                    .get_or_create(&StreamLabel {
                        stream: s.key.clone(),
                    })
                    .clone()
            })
            .collect();
        Matcher {
            cluster: cluster.clone(),
            subjects,
            matched_counters,
            ctx,
            scratch: Scratch::new(),
            matches: Matches::new(),
            hits: Vec::new(),
            line: Vec::new(),
            counted: Vec::new(),
            in_flight: std::collections::VecDeque::new(),
        }
    }

    /// Pulls and matches until `stop` or a consumer failure.
    async fn run(&mut self, stop: &CancellationToken) -> anyhow::Result<()> {
        let consumer: jetstream::consumer::PullConsumer = self
            .cluster
            .firehose
            .get_consumer(MATCHERS)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let messages = consumer
            .stream()
            .max_messages_per_batch(PULL)
            .expires(Duration::from_secs(10))
            .heartbeat(Duration::from_secs(1))
            .messages()
            .await?;
        let mut chunks = messages.ready_chunks(CHUNK);
        let mut connections_made = self.cluster.connections_made.clone();
        connections_made.mark_unchanged();
        loop {
            let chunk = tokio::select! {
                biased;
                _ = connections_made.changed() => {
                    // Pulls in flight were lost with the connection: pull afresh.
                    anyhow::bail!("reconnected to NATS");
                }
                () = stop.cancelled() => {
                    // What was matched is acknowledged before the instance stops.
                    for t in self.in_flight.drain(..) {
                        let _ = t.await;
                    }
                    return Ok(());
                }
                c = chunks.next() => match c {
                    Some(c) => c,
                    None => anyhow::bail!("the consumer's messages ended"),
                },
            };
            let mut batch = Vec::with_capacity(chunk.len());
            for m in chunk {
                match m {
                    Ok(m) => batch.push(m),
                    Err(e) => tracing::debug!(error = %e, "matching the firehose: a pull failed"),
                }
            }
            if !batch.is_empty() {
                self.batch(batch).await;
            }
        }
    }

    /// Matches `batch`, publishes the copies, then acknowledges the posts (or, when a copy
    /// could not be published, has them handed out again at once).
    async fn batch(&mut self, batch: Vec<jetstream::Message>) {
        let (rules, fanout) = self.ctx.registry.view();
        let now = self.ctx.clock.now_ms();
        let mut acks: Vec<PublishAckFuture> = Vec::new();
        let mut failed = false;
        let mut posts_in = 0u64;
        let mut matched = vec![0u64; self.subjects.len()];
        for m in &batch {
            let Ok(info) = m.info() else { continue };
            let (seq, arrived) = (info.stream_sequence, unix_ms(info.published));
            match rules.match_line(&m.payload, &mut self.scratch, &mut self.matches) {
                Ok(None) => {
                    posts_in += 1;
                    if self.matches.is_empty() {
                        continue;
                    }
                    fanout.hits(self.matches.ids(), &mut self.hits);
                    if self.hits.is_empty() {
                        continue;
                    }
                    self.ctx.metrics.posts_matched.inc();
                    let layout = self.matches.layout();
                    let in_place = self.matches.has_matching_rules();
                    for (stream, run) in by_stream(&self.hits) {
                        matched[stream] += 1;
                        self.counted.extend(run.iter().map(|h| (stream, h.1)));
                        self.line.clear();
                        if splice_line(&m.payload, layout, in_place, run, &mut self.line) {
                            let key = &self.ctx.registry.streams()[stream].key;
                            let msg = PublishMessage::build()
                                .payload(Bytes::copy_from_slice(&self.line))
                                .message_id(format!("{key}:{seq}"))
                                .header(ARRIVED, arrived.to_string().as_str())
                                .header(FIREHOSE_SEQ, seq.to_string().as_str());
                            match self
                                .cluster
                                .js
                                .send_publish(self.subjects[stream].clone(), msg)
                                .await
                            {
                                Ok(ack) => acks.push(ack),
                                Err(e) => {
                                    tracing::warn!(error = %e, "publishing a matched post failed");
                                    failed = true;
                                }
                            }
                        }
                    }
                }
                Ok(Some(_)) => {
                    self.ctx.metrics.lines_skipped.inc();
                }
                Err(e) => {
                    self.ctx.metrics.lines_malformed.inc();
                    tracing::warn!(seq, error = %e, "malformed post in the firehose skipped");
                }
            }
        }
        // The copies' acknowledgements, then the posts', are awaited while the next batches
        // are matched: the matcher waits for a replication round trip only when
        // `IN_FLIGHT` batches are waiting for theirs.
        self.in_flight
            .push_back(tokio::spawn(settle(batch, acks, failed)));
        while self.in_flight.len() > IN_FLIGHT {
            if let Some(t) = self.in_flight.pop_front() {
                let _ = t.await;
            }
        }
        self.ctx.metrics.posts_in.inc_by(posts_in);
        if !self.counted.is_empty() {
            self.counted.sort_unstable();
            self.ctx.counts.add(&self.counted, now);
            self.counted.clear();
        }
        for (counter, n) in self.matched_counters.iter().zip(matched) {
            if n > 0 {
                counter.inc_by(n);
            }
        }
    }
}

/// Waits for a batch's copies to be stored, then acknowledges its posts; when a copy was not
/// stored, has the posts handed out again at once rather than after the ack wait (copies
/// already stored are dropped as duplicates when they are published again).
async fn settle(batch: Vec<jetstream::Message>, acks: Vec<PublishAckFuture>, mut failed: bool) {
    // Together: lost acknowledgements (a node gone) time out once, not one after another.
    for result in
        futures_util::future::join_all(acks.into_iter().map(std::future::IntoFuture::into_future))
            .await
    {
        if let Err(e) = result {
            tracing::warn!(error = %e, "a matched post was not acknowledged");
            failed = true;
        }
    }
    for m in &batch {
        let acked = if failed {
            m.ack_with(AckKind::Nak(None)).await
        } else {
            m.ack().await
        };
        if let Err(e) = acked {
            tracing::debug!(error = %e, "acknowledging a post failed; it will be matched again");
        }
    }
}
