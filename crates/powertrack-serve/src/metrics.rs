//! `/metrics`: the service's counters in the Prometheus text format (prometheus-client).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// A stream label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StreamLabel {
    /// `account/label`.
    pub stream: String,
}

/// An account label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AccountLabel {
    /// The account name.
    pub account: String,
}

/// An HTTP request's endpoint and status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabel {
    /// The endpoint (`rules_add`, `stream`, …).
    pub endpoint: String,
    /// The response status.
    pub status: u16,
}

/// Every metric.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Lines read that were posts.
    pub posts_in: Counter,
    /// Lines that were not valid posts.
    pub lines_malformed: Counter,
    /// Lines that were stream messages, not posts (skipped).
    pub lines_skipped: Counter,
    /// Posts that matched a rule of at least one stream.
    pub posts_matched: Counter,
    /// Posts matched per stream.
    pub stream_matched: Family<StreamLabel, Counter>,
    /// Posts handed to connections per stream (summed over its connections).
    pub stream_delivered: Family<StreamLabel, Counter>,
    /// Posts not delivered to a connection that had overflowed, or over the daily cap.
    pub stream_dropped: Family<StreamLabel, Counter>,
    /// Open connections per stream.
    pub connections: Family<StreamLabel, Gauge>,
    /// Rules over all streams.
    pub rules: Gauge,
    /// Distinct rule values in the shared index.
    pub index_rules: Gauge,
    /// Seconds from a batch's arrival to its posts being queued on the connections.
    pub match_latency: Histogram,
    /// Rules API calls refused for want of credits, per account.
    pub credit_refusals: Family<AccountLabel, Counter>,
    /// HTTP responses by endpoint and status.
    pub requests: Family<RequestLabel, Counter>,
    /// Batches the log refused (a full disk, an I/O error): not matched, ingest answered 503.
    pub log_errors: Counter,
    /// The log's last sequence number.
    pub log_last_seq: Gauge,
    /// The log's size on disk.
    pub log_bytes: Gauge,
    /// Bytes of a torn record cut off the log's journal when it was opened.
    pub log_torn_bytes: Gauge,
    /// Posts sent by backfills and recoveries, per stream (summed over connections).
    pub replayed: Family<StreamLabel, Counter>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("powertrack");
        let m = Metrics {
            registry: Registry::default(),
            posts_in: Counter::default(),
            lines_malformed: Counter::default(),
            lines_skipped: Counter::default(),
            posts_matched: Counter::default(),
            stream_matched: Family::default(),
            stream_delivered: Family::default(),
            stream_dropped: Family::default(),
            connections: Family::default(),
            rules: Gauge::default(),
            index_rules: Gauge::default(),
            match_latency: Histogram::new(exponential_buckets(0.000_05, 2.0, 18)),
            credit_refusals: Family::default(),
            requests: Family::default(),
            log_errors: Counter::default(),
            log_last_seq: Gauge::default(),
            log_bytes: Gauge::default(),
            log_torn_bytes: Gauge::default(),
            replayed: Family::default(),
        };
        registry.register(
            "posts_in",
            "Posts read from the sources",
            m.posts_in.clone(),
        );
        registry.register(
            "lines_malformed",
            "Input lines that were not valid posts",
            m.lines_malformed.clone(),
        );
        registry.register(
            "lines_skipped",
            "Input lines that were stream messages rather than posts",
            m.lines_skipped.clone(),
        );
        registry.register(
            "posts_matched",
            "Posts that matched a rule of at least one stream",
            m.posts_matched.clone(),
        );
        registry.register(
            "stream_posts_matched",
            "Posts matched, per stream",
            m.stream_matched.clone(),
        );
        registry.register(
            "stream_posts_delivered",
            "Posts handed to connections, per stream, summed over its connections",
            m.stream_delivered.clone(),
        );
        registry.register(
            "stream_posts_dropped",
            "Posts not delivered (a connection that overflowed, or the daily cap), per stream",
            m.stream_dropped.clone(),
        );
        registry.register(
            "stream_connections",
            "Open connections, per stream",
            m.connections.clone(),
        );
        registry.register("rules", "Rules over all streams", m.rules.clone());
        registry.register(
            "index_rules",
            "Distinct rule values compiled in the shared index",
            m.index_rules.clone(),
        );
        registry.register(
            "match_latency_seconds",
            "From a batch's arrival to its posts being queued on the connections",
            m.match_latency.clone(),
        );
        registry.register(
            "credit_refusals",
            "Rules API calls refused for want of credits",
            m.credit_refusals.clone(),
        );
        registry.register(
            "http_responses",
            "HTTP responses by endpoint and status",
            m.requests.clone(),
        );
        registry.register(
            "log_errors",
            "Input batches the log refused (not matched; ingest answered 503)",
            m.log_errors.clone(),
        );
        registry.register(
            "log_last_seq",
            "The firehose log's last sequence number",
            m.log_last_seq.clone(),
        );
        registry.register(
            "log_bytes",
            "The firehose log's size on disk",
            m.log_bytes.clone(),
        );
        registry.register(
            "log_torn_bytes",
            "Bytes of a torn record cut off the log's journal at start (a crash mid-write)",
            m.log_torn_bytes.clone(),
        );
        registry.register(
            "stream_posts_replayed",
            "Posts sent by backfills and recoveries, per stream, summed over connections",
            m.replayed.clone(),
        );
        Metrics { registry, ..m }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// Counts a response.
    pub fn response(&self, endpoint: &str, status: u16) {
        self.requests
            .get_or_create(&RequestLabel {
                endpoint: endpoint.to_owned(),
                status,
            })
            .inc();
    }
}
