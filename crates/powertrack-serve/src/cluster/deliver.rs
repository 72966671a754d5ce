//! Delivery in a cluster: this instance follows every stream's matched posts, whichever
//! instance matched them, from the moment it starts, and queues each on its own connections of
//! the stream (compressed once per stream and batch, as in a single process). An in-order reader
//! keeps them in the stream's order and, should the cluster lose its consumer (a node going
//! down) or a message in flight, it is made again from the message after the last delivered:
//! nothing is skipped.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::DeliverPolicy;
use tokio_util::sync::CancellationToken;

use super::work::ARRIVED;
use super::{Cluster, Follower, MATCHED_PREFIX, matched_subject};
use crate::limits::Take;
use crate::pipeline::{Context, announce_cap_reached};

/// Matched posts queued together at most.
const CHUNK: usize = 1024;

/// Starts following the matched posts on the cluster's runtime, until `stop`.
pub fn spawn(cluster: Arc<Cluster>, ctx: Arc<Context>, stop: CancellationToken) {
    let handle = cluster.handle.clone();
    handle.spawn(async move {
        let by_subject: HashMap<String, usize> = ctx
            .registry
            .streams()
            .iter()
            .enumerate()
            .map(|(i, s)| (matched_subject(&s.key), i))
            .collect();
        // From now (the stream's end); a consumer made again after a failure goes on after the
        // last message delivered.
        let mut matched = cluster.matched.clone();
        let mut from = match matched.info().await {
            Ok(info) => DeliverPolicy::ByStartSequence {
                start_sequence: info.state.last_sequence + 1,
            },
            Err(_) => DeliverPolicy::New,
        };
        while !stop.is_cancelled() {
            tracing::info!(?from, "following the matched posts");
            match follow(&cluster, &ctx, &by_subject, from, &stop).await {
                Ok(()) => return,
                Err((e, last)) => {
                    tracing::warn!(error = %e, "following the matched posts failed; starting again");
                    if last > 0 {
                        from = DeliverPolicy::ByStartSequence {
                            start_sequence: last + 1,
                        };
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        }
    });
}

/// Follows the matched posts from `from` until `stop` (`Ok`) or a failure (with the last
/// sequence number delivered).
async fn follow(
    cluster: &Cluster,
    ctx: &Context,
    by_subject: &HashMap<String, usize>,
    from: DeliverPolicy,
    stop: &CancellationToken,
) -> Result<(), (anyhow::Error, u64)> {
    let mut last = match from {
        DeliverPolicy::ByStartSequence { start_sequence } => start_sequence - 1,
        _ => 0,
    };
    let mut follower = Follower::new(
        cluster,
        &cluster.matched,
        Some(format!("{MATCHED_PREFIX}>")),
        from,
    )
    .await
    .map_err(|e| (e, last))?;
    let streams = ctx.registry.streams();
    let mut out: Vec<Vec<u8>> = vec![Vec::new(); streams.len()];
    let mut posts = vec![0u64; streams.len()];
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        chunk.clear();
        tokio::select! {
            biased;
            () = stop.cancelled() => return Ok(()),
            m = follower.next() => chunk.push(m.map_err(|e| (e, last))?),
        }
        let failure = follower.ready(CHUNK, &mut chunk).err();
        let now = ctx.clock.now_ms();
        for m in &chunk {
            if let Ok(info) = m.info() {
                last = info.stream_sequence;
            }
            let Some(&stream) = by_subject.get(m.subject.as_str()) else {
                continue; // a stream this instance's accounts file does not have
            };
            if let Some(arrived) = m
                .headers
                .as_ref()
                .and_then(|h| h.get(ARRIVED))
                .and_then(|v| v.as_str().parse::<u64>().ok())
            {
                #[allow(clippy::cast_precision_loss)] // milliseconds: far below 2^52
                let secs = now.saturating_sub(arrived) as f64 / 1000.0;
                ctx.metrics.match_latency.observe(secs);
                ctx.status.record_latency(secs);
            }
            if !ctx.hub.is_open(stream) {
                continue; // nobody here to deliver to, nothing billed
            }
            let account = streams[stream].account;
            match ctx.caps[account].take(now) {
                Take::Deliver => {
                    ctx.stream_days[stream].take(now);
                    out[stream].extend_from_slice(&m.payload);
                    posts[stream] += 1;
                }
                Take::JustReached => announce_cap_reached(ctx, account, now),
                Take::Over => {}
            }
        }
        for (stream, data) in out.iter_mut().enumerate() {
            if !data.is_empty() {
                ctx.hub.publish(stream, data, posts[stream]);
                data.clear();
                posts[stream] = 0;
            }
        }
        if let Some(e) = failure {
            return Err((e, last));
        }
    }
}
