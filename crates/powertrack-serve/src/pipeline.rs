//! From input lines to connections: one thread matches each batch of posts once against the
//! shared index and splices `matching_rules` for every stream that matched; a second compresses
//! each stream's share once and queues it on the stream's connections.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use bytes::Bytes;
use powertrack::matcher::{Matches, Scratch};
use powertrack::output::{Layout, MatchedRule, append_matching_rules, splice_matching_rules};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::counts::RuleCounts;
use crate::hub::Hub;
use crate::limits::{DailyCap, Take};
use crate::log::{Mark, PostLog};
use crate::metrics::{Metrics, StreamLabel};
use crate::registry::{Hit, Registry, by_stream};
use crate::status::ServiceStatus;

/// Lines of NDJSON from one source, matched as one batch.
#[derive(Debug)]
pub struct Batch {
    /// The lines (`\n`- or `\r\n`-separated).
    pub data: Bytes,
    /// Where they came from, for error messages (`FILE`, `ingest`, `gen`).
    pub source: Arc<str>,
    /// The line number of the first line.
    pub first_line: u64,
    /// When the batch arrived.
    pub arrived: Instant,
    /// Told the outcome once the batch is in the log and its posts are queued on the
    /// connections.
    pub reply: Option<oneshot::Sender<Reply>>,
    /// Where the input has reached after these lines, written to the log with them.
    pub mark: Option<Mark>,
}

/// What became of a batch's lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Posts and stream messages taken.
    pub accepted: u64,
    /// Malformed lines.
    pub rejected: u64,
    /// The sequence number of the batch's last line in the log (0: none); the batch is
    /// durable once the log's durable sequence number reaches it.
    #[serde(skip)]
    pub last_seq: u64,
}

/// A batch's outcome, or why the log could not take it (nothing of it was matched then).
pub type Reply = Result<Outcome, String>;

/// What the pipeline threads share.
#[derive(Debug)]
pub struct Context {
    /// The rules.
    pub registry: Arc<Registry>,
    /// The connections.
    pub hub: Arc<Hub>,
    /// Each account's daily cap, by account index.
    pub caps: Vec<Arc<DailyCap>>,
    /// Posts delivered per stream today (each post once, whatever the connections), by stream
    /// index: a [`DailyCap`] without a cap.
    pub stream_days: Arc<Vec<DailyCap>>,
    /// The metrics.
    pub metrics: Arc<Metrics>,
    /// The clock.
    pub clock: Clock,
    /// The firehose log, every input line appended before it is matched.
    pub log: Arc<dyn PostLog>,
    /// Posts matched per stream rule, for the console.
    pub counts: Arc<RuleCounts>,
    /// The status page's figures.
    pub status: Arc<ServiceStatus>,
}

struct Delivery {
    per_stream: Vec<(usize, Vec<u8>, u64)>,
    arrived: Instant,
    posts: u64,
    reply: Option<(oneshot::Sender<Reply>, Reply)>,
    notices: Vec<usize>,
}

/// Starts the matcher and delivery threads; they stop when `stop` is cancelled or every
/// sender of `rx` is gone (batches not yet matched then are dropped, and their senders told
/// so by their closed reply channel).
pub fn spawn(
    ctx: Arc<Context>,
    mut rx: mpsc::Receiver<Batch>,
    stop: CancellationToken,
) -> std::io::Result<Vec<JoinHandle<()>>> {
    let (tx, deliveries) = std::sync::mpsc::sync_channel::<Delivery>(32);
    let matcher_ctx = ctx.clone();
    // A runtime of its own, only to wait for a batch or the stop at once; matching itself is
    // plain blocking work on this thread.
    let waiter = tokio::runtime::Builder::new_current_thread().build()?;
    let matcher = std::thread::Builder::new()
        .name("powertrack-match".into())
        .spawn(move || {
            let mut m = Matcher::new(matcher_ctx);
            loop {
                let next = waiter.block_on(async {
                    tokio::select! {
                        biased;
                        () = stop.cancelled() => None,
                        b = rx.recv() => b,
                    }
                });
                let Some(batch) = next else { break };
                let d = m.batch(batch);
                if tx.send(d).is_err() {
                    break;
                }
            }
        })?;
    let deliver = std::thread::Builder::new()
        .name("powertrack-deliver".into())
        .spawn(move || {
            while let Ok(d) = deliveries.recv() {
                for (stream, data, posts) in &d.per_stream {
                    ctx.hub.publish(*stream, data, *posts);
                }
                for &account in &d.notices {
                    announce_cap_reached(&ctx, account, ctx.clock.now_ms());
                }
                if d.posts > 0 {
                    let per_post = d.arrived.elapsed().as_secs_f64();
                    ctx.metrics.match_latency.observe(per_post);
                    ctx.status.record_latency(per_post);
                }
                if let Some((reply, outcome)) = d.reply {
                    let _ = reply.send(outcome);
                }
            }
        })?;
    Ok(vec![matcher, deliver])
}

struct Matcher {
    ctx: Arc<Context>,
    scratch: Scratch,
    matches: Matches,
    hits: Vec<Hit>,
    out: Vec<Vec<u8>>,
    posts: Vec<u64>,
    /// Posts matched per stream in the batch, connected or not.
    matched: Vec<u64>,
    /// The `stream_posts_matched` counter of each stream.
    matched_counters: Vec<prometheus_client::metrics::counter::Counter>,
    /// The batch's matched stream rules, `(stream, rule id)` once per post, for the counts.
    counted: Vec<(usize, u64)>,
}

impl Matcher {
    fn new(ctx: Arc<Context>) -> Matcher {
        let n = ctx.registry.streams().len();
        let matched_counters = ctx
            .registry
            .streams()
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
            matched: vec![0; n],
            matched_counters,
            ctx,
            scratch: Scratch::new(),
            matches: Matches::new(),
            hits: Vec::new(),
            out: vec![Vec::new(); n],
            posts: vec![0; n],
            counted: Vec::new(),
        }
    }

    fn batch(&mut self, batch: Batch) -> Delivery {
        let (rules, fanout) = self.ctx.registry.view();
        let streams = self.ctx.registry.streams();
        let now = self.ctx.clock.now_ms();
        let mut outcome = Outcome::default();
        let mut notices = Vec::new();
        let mut posts_in = 0u64;
        // Into the log first: a line is matched (and so delivered) only once it is there, so a
        // connection's backfill up to the log's end at its start meets the live stream without a
        // gap.
        let input: Vec<(u64, &[u8])> = lines(&batch.data).collect();
        let raw: Vec<&[u8]> = input.iter().map(|l| l.1).collect();
        match self.ctx.log.append_marked(now, &raw, batch.mark.as_ref()) {
            Ok(seqs) => outcome.last_seq = seqs.end.saturating_sub(1),
            Err(e) => {
                tracing::error!(source = %batch.source, line = batch.first_line, error = %e, "the log refused a batch; it is not matched");
                self.ctx.metrics.log_errors.inc();
                return Delivery {
                    per_stream: Vec::new(),
                    arrived: batch.arrived,
                    posts: 0,
                    reply: batch.reply.map(|r| (r, Err(e.to_string()))),
                    notices,
                };
            }
        }
        for &(n, line) in &input {
            match rules.match_line(line, &mut self.scratch, &mut self.matches) {
                Ok(None) => {
                    posts_in += 1;
                    outcome.accepted += 1;
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
                        let account = streams[stream].account;
                        self.matched[stream] += 1;
                        self.counted.extend(run.iter().map(|h| (stream, h.1)));
                        if !self.ctx.hub.is_open(stream) {
                            // Nobody to deliver to: nothing to splice, nothing billed.
                            continue;
                        }
                        match self.ctx.caps[account].take(now) {
                            Take::Deliver => {
                                self.ctx.stream_days[stream].take(now);
                                if splice_line(line, layout, in_place, run, &mut self.out[stream]) {
                                    self.posts[stream] += 1;
                                }
                            }
                            Take::JustReached => notices.push(account),
                            Take::Over => {}
                        }
                    }
                }
                Ok(Some(_)) => {
                    outcome.accepted += 1;
                    self.ctx.metrics.lines_skipped.inc();
                }
                Err(e) => {
                    outcome.rejected += 1;
                    self.ctx.metrics.lines_malformed.inc();
                    tracing::warn!(source = %batch.source, line = batch.first_line + n, error = %e, "malformed line skipped");
                }
            }
        }
        self.ctx.metrics.posts_in.inc_by(posts_in);
        if !self.counted.is_empty() {
            self.counted.sort_unstable();
            self.ctx.counts.add(&self.counted, now);
            self.counted.clear();
        }
        for (counter, n) in self.matched_counters.iter().zip(&mut self.matched) {
            if *n > 0 {
                counter.inc_by(std::mem::take(n));
            }
        }
        let mut per_stream = Vec::new();
        for (stream, out) in self.out.iter_mut().enumerate() {
            if !out.is_empty() {
                per_stream.push((stream, std::mem::take(out), self.posts[stream]));
                self.posts[stream] = 0;
            }
        }
        Delivery {
            per_stream,
            arrived: batch.arrived,
            posts: posts_in,
            reply: batch.reply.map(|r| (r, Ok(outcome))),
            notices,
        }
    }
}

/// Tells every open connection of `account`'s streams that its daily cap was just reached and
/// when posts resume.
pub fn announce_cap_reached(ctx: &Context, account: usize, now_ms: u64) {
    let resume = powertrack::api::rfc3339_millis(DailyCap::resets_at(now_ms));
    let text = crate::messages::daily_cap_reached(ctx.caps[account].cap(), &resume);
    let line = crate::messages::notice_line(&text, &ctx.clock.sent());
    for (i, s) in ctx.registry.streams().iter().enumerate() {
        if s.account == account {
            ctx.hub.message(i, &line);
        }
    }
}

/// Appends `line` with `matching_rules` listing `hits` (one stream's, in order) and `\r\n` to
/// `out`; false (nothing appended) when the line cannot be spliced. `in_place` says whether
/// the post already has a `matching_rules` to replace ([`Matches::has_matching_rules`]);
/// without one the list is appended at the cost of a copy.
///
/// [`Matches::has_matching_rules`]: powertrack::matcher::Matches::has_matching_rules
pub fn splice_line(
    line: &[u8],
    layout: Layout,
    in_place: bool,
    hits: &[Hit],
    out: &mut Vec<u8>,
) -> bool {
    let rules = hits.iter().map(|h| MatchedRule {
        id: h.1,
        tag: h.2.as_deref(),
    });
    let ok = if in_place {
        splice_matching_rules(line, layout, rules, out).is_ok()
    } else {
        append_matching_rules(line, layout, rules, out).is_ok()
    };
    if ok {
        out.extend_from_slice(b"\r\n");
    }
    ok
}

/// The non-blank lines of `data` with their 0-based numbers, `\r\n` endings trimmed.
pub fn lines(data: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    data.split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i as u64, l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
}
