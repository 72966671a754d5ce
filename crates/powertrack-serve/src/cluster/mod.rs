//! Several `powertrack serve` instances over one NATS JetStream cluster (`--nats URL[,URL…]`).
//!
//! What the single process keeps on its own disk lives in replicated JetStream streams instead,
//! and every instance is equal:
//!
//! - **the firehose** ([`firehose`]): every ingested post is a message of the stream
//!   `POWERTRACK_FIREHOSE` (24 h retention: the log of backfill and recovery, behind the same
//!   [`PostLog`](crate::log::PostLog) trait as the embedded log), de-duplicated by post id;
//! - **matching** ([`work`]): the instances share the firehose through one durable pull
//!   consumer, so each post is matched by one instance, which publishes each matching stream's
//!   copy to `powertrack.matched.<stream>` (stream `POWERTRACK_MATCHED`, de-duplicated by
//!   stream and post) and only then acknowledges the post: a post whose instance died is
//!   redelivered to another one, and its copies published twice are dropped by JetStream;
//! - **delivery** ([`deliver`]): every instance follows the matched stream and queues each copy
//!   on its own connections of that stream, so a customer may connect to any instance;
//! - **rules** ([`rules`]): every Rules API change is a message of `POWERTRACK_RULES`; every
//!   instance applies every change in the stream's order, with the change's time and sequence
//!   number, so all of them hold the same rules with the same ids; a change is answered once
//!   the instance that took it has applied it from the stream (so it is replicated);
//! - **connection limits** ([`slots`]): a connection holds one of its account's slots in the
//!   key-value bucket `powertrack_connections`, refreshed while it lasts and expiring when its
//!   instance dies.

pub mod deliver;
pub mod firehose;
pub mod rules;
pub mod slots;
pub mod work;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer, kv, stream};

/// The firehose stream.
pub const FIREHOSE_STREAM: &str = "POWERTRACK_FIREHOSE";
/// The firehose's subject.
pub const FIREHOSE_SUBJECT: &str = "powertrack.firehose";
/// The matched-posts stream.
pub const MATCHED_STREAM: &str = "POWERTRACK_MATCHED";
/// The prefix of the matched-posts subjects (`powertrack.matched.<stream>`).
pub const MATCHED_PREFIX: &str = "powertrack.matched.";
/// The rule-changes stream.
pub const RULES_STREAM: &str = "POWERTRACK_RULES";
/// The rule changes' subject.
pub const RULES_SUBJECT: &str = "powertrack.rules";
/// The durable consumer the instances share to match the firehose.
pub const MATCHERS: &str = "powertrack-matchers";
/// The connection slots' bucket.
pub const CONNECTIONS_BUCKET: &str = "powertrack_connections";
/// The file sources' positions' bucket.
pub const MARKS_BUCKET: &str = "powertrack_marks";

/// How the instance uses the cluster.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// The NATS servers (`nats://host:port`, comma-separated).
    pub urls: String,
    /// Replicas of every stream and bucket (1, 3 or 5; at most the cluster's size).
    pub replicas: usize,
    /// How long a post handed to an instance for matching may stay unacknowledged before it is
    /// handed to another one (the longest a dead instance delays its posts).
    pub ack_wait: Duration,
    /// How long matched posts are kept (≥ the longest redelivery, so that a copy published
    /// twice is still recognised).
    pub matched_retention: Duration,
    /// The window within which a message id seen twice is dropped.
    pub duplicate_window: Duration,
}

impl ClusterConfig {
    /// Defaults for `urls`: 3 replicas, 10 s ack wait, 10 minutes of matched posts, 2 minutes
    /// of duplicate detection.
    pub fn new(urls: &str) -> ClusterConfig {
        ClusterConfig {
            urls: urls.to_owned(),
            replicas: 3,
            ack_wait: Duration::from_secs(10),
            matched_retention: Duration::from_secs(600),
            duplicate_window: Duration::from_secs(120),
        }
    }
}

/// A connection to the cluster and its streams.
#[derive(Debug)]
pub struct Cluster {
    /// The client.
    pub client: async_nats::Client,
    /// Its JetStream context.
    pub js: jetstream::Context,
    /// The runtime the client runs on (threads of the cluster's own).
    pub handle: tokio::runtime::Handle,
    /// The configuration.
    pub config: ClusterConfig,
    /// The firehose stream.
    pub firehose: stream::Stream,
    /// The matched-posts stream.
    pub matched: stream::Stream,
    /// The rule-changes stream.
    pub rules: stream::Stream,
    /// Connection slots.
    pub connections: kv::Store,
    /// File sources' positions.
    pub marks: kv::Store,
    /// This instance's name in the cluster (random at each start).
    pub instance: String,
    /// Counts the client's (re)connections: pulls in flight on a connection that was lost are
    /// lost with it, so followers start again at once when it moves.
    pub(crate) connections_made: tokio::sync::watch::Receiver<u64>,
}

/// The subject of a stream's matched posts: `powertrack.matched.` and the stream's key
/// (`account/label`) with the characters NATS gives a meaning to (`.`, `*`, `>`, white space)
/// and `%` percent-encoded.
///
/// ```
/// use powertrack_serve::cluster::matched_subject;
/// assert_eq!(matched_subject("acme/prod"), "powertrack.matched.acme/prod");
/// assert_eq!(matched_subject("a.b/c d"), "powertrack.matched.a%2Eb/c%20d");
/// ```
pub fn matched_subject(key: &str) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(MATCHED_PREFIX.len() + key.len());
    s.push_str(MATCHED_PREFIX);
    for c in key.chars() {
        if matches!(c, '.' | '*' | '>' | '%') || c.is_whitespace() || c.is_control() {
            let mut b = [0u8; 4];
            for byte in c.encode_utf8(&mut b).bytes() {
                let _ = write!(s, "%{byte:02X}");
            }
        } else {
            s.push(c);
        }
    }
    s
}

/// A key-value key for `name`: its bytes in hex (keys allow few characters).
pub(crate) fn kv_key(name: &str) -> String {
    use std::fmt::Write as _;
    name.bytes().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Unix ms of a JetStream time.
pub(crate) fn unix_ms(t: time::OffsetDateTime) -> u64 {
    u64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

impl Cluster {
    /// Connects to the cluster on a runtime of its own (returned: the caller shuts it down
    /// last) and creates the streams, the matchers' consumer and the buckets where missing.
    /// A cluster still electing its leaders is waited for, up to a minute.
    pub fn connect(
        config: ClusterConfig,
        log_retention: Duration,
        log_max_bytes: u64,
    ) -> anyhow::Result<(Arc<Cluster>, tokio::runtime::Runtime)> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("powertrack-nats")
            .enable_all()
            .build()
            .context("starting the cluster runtime")?;
        let handle = runtime.handle().clone();
        let cluster = runtime.block_on(async move {
            let addrs: Vec<async_nats::ServerAddr> = config
                .urls
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse()
                        .with_context(|| format!("--nats: {s:?} is not a NATS address"))
                })
                .collect::<anyhow::Result<_>>()?;
            anyhow::ensure!(!addrs.is_empty(), "--nats: no address given");
            let instance = nuid::next().to_string();
            let (made_tx, connections_made) = tokio::sync::watch::channel(0u64);
            let client = async_nats::ConnectOptions::new()
                .event_callback(move |event| {
                    let made_tx = made_tx.clone();
                    async move {
                        match event {
                            async_nats::Event::Connected => {
                                made_tx.send_modify(|n| *n += 1);
                                tracing::info!("connected to NATS");
                            }
                            async_nats::Event::Disconnected => {
                                tracing::warn!("disconnected from NATS; reconnecting");
                            }
                            other => tracing::info!(event = %other, "NATS"),
                        }
                    }
                })
                .name(format!("powertrack serve {instance}"))
                .connection_timeout(Duration::from_secs(5))
                .retry_on_initial_connect()
                .max_reconnects(None)
                .connect(addrs)
                .await
                .with_context(|| format!("connecting to NATS at {}", config.urls))?;
            // Requests and publish acknowledgements within 2 s, or tried again (every publish
            // carries a message id, every read is idempotent): a leader lost with a node is
            // replaced in a few seconds, and callers notice that sooner.
            let js = jetstream::ContextBuilder::new()
                .timeout(Duration::from_secs(2))
                .build(client.clone());
            let replicas = config.replicas;
            let firehose = stream::Config {
                name: FIREHOSE_STREAM.into(),
                subjects: vec![FIREHOSE_SUBJECT.into()],
                max_age: log_retention,
                max_bytes: i64::try_from(log_max_bytes).unwrap_or(i64::MAX),
                duplicate_window: config.duplicate_window,
                num_replicas: replicas,
                allow_direct: true,
                description: Some("powertrack: every ingested post (24 h)".into()),
                ..Default::default()
            };
            let matched = stream::Config {
                name: MATCHED_STREAM.into(),
                subjects: vec![format!("{MATCHED_PREFIX}>")],
                max_age: config.matched_retention,
                duplicate_window: config.duplicate_window.min(config.matched_retention),
                num_replicas: replicas,
                description: Some("powertrack: each stream's matched posts".into()),
                ..Default::default()
            };
            let rules = stream::Config {
                name: RULES_STREAM.into(),
                subjects: vec![RULES_SUBJECT.into()],
                duplicate_window: config.duplicate_window,
                num_replicas: replicas,
                // Instances read it by sequence number from any replica.
                allow_direct: true,
                description: Some("powertrack: every Rules API change, in order".into()),
                ..Default::default()
            };
            let firehose = retry("creating the firehose stream", || {
                js.get_or_create_stream(firehose.clone())
            })
            .await?;
            let matched = retry("creating the matched-posts stream", || {
                js.get_or_create_stream(matched.clone())
            })
            .await?;
            let rules = retry("creating the rules stream", || {
                js.get_or_create_stream(rules.clone())
            })
            .await?;
            let matchers = consumer::pull::Config {
                durable_name: Some(MATCHERS.into()),
                description: Some("powertrack: the instances matching the firehose".into()),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: config.ack_wait,
                max_ack_pending: 100_000,
                num_replicas: replicas,
                ..Default::default()
            };
            retry("creating the matchers' consumer", || {
                firehose.get_or_create_consumer(MATCHERS, matchers.clone())
            })
            .await?;
            let connections = kv::Config {
                bucket: CONNECTIONS_BUCKET.into(),
                description: "powertrack: connection slots, refreshed while held".into(),
                history: 1,
                max_age: slots::EXPIRY,
                num_replicas: replicas,
                ..Default::default()
            };
            let connections = retry("creating the connections bucket", || {
                js.create_key_value(connections.clone())
            })
            .await?;
            let marks = kv::Config {
                bucket: MARKS_BUCKET.into(),
                description: "powertrack: where file sources have reached".into(),
                history: 1,
                num_replicas: replicas,
                ..Default::default()
            };
            let marks = retry("creating the marks bucket", || {
                js.create_key_value(marks.clone())
            })
            .await?;
            anyhow::Ok(Arc::new(Cluster {
                client,
                js,
                handle,
                config,
                firehose,
                matched,
                rules,
                connections,
                marks,
                instance,
                connections_made,
            }))
        })?;
        Ok((cluster, runtime))
    }

    /// The firehose's last sequence number, asked of the cluster.
    pub async fn firehose_last_seq(&self) -> anyhow::Result<u64> {
        let mut s = self.firehose.clone();
        Ok(s.info().await?.state.last_sequence)
    }
}

/// Retries `f` for up to a minute while the cluster is not ready (no leader yet, a node
/// starting): what a cluster that is still forming answers.
async fn retry<T, E, F, Fut>(what: &str, mut f: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match f().await {
            Ok(t) => return Ok(t),
            Err(e) if tokio::time::Instant::now() < deadline => {
                tracing::info!(error = %e, "{what}: the cluster is not ready; trying again");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => anyhow::bail!("{what}: {e}"),
        }
    }
}

/// How often a consumer that has nothing to deliver says it is alive; two missed in a row
/// mean the consumer was lost (its node died) and it is made again.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// An in-order reader of a stream from a starting point: a consumer of its own (ephemeral,
/// in memory, without acknowledgements) pulled with short heartbeats, so that a consumer lost
/// with its node is noticed within seconds (the client's ordered consumer takes 30); a gap in
/// the consumer's delivery sequence (messages lost in flight) is an error, after which the
/// caller makes a new one from the message after the last it has.
pub(crate) struct Follower {
    messages: consumer::pull::Stream,
    next: u64,
    stream: stream::Stream,
    name: Option<String>,
    connections_made: tokio::sync::watch::Receiver<u64>,
}

impl Follower {
    /// Follows `stream` (the subjects `filter` when given) from `from`.
    pub(crate) async fn new(
        cluster: &Cluster,
        stream: &stream::Stream,
        filter: Option<String>,
        from: consumer::DeliverPolicy,
    ) -> anyhow::Result<Follower> {
        let mut connections_made = cluster.connections_made.clone();
        connections_made.mark_unchanged();
        let mut consumer = stream
            .create_consumer(consumer::pull::Config {
                deliver_policy: from,
                ack_policy: consumer::AckPolicy::None,
                filter_subject: filter.unwrap_or_default(),
                inactive_threshold: Duration::from_secs(30),
                num_replicas: 1,
                memory_storage: true,
                ..Default::default()
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let name = consumer.info().await.ok().map(|i| i.name.clone());
        let messages = consumer
            .stream()
            .max_messages_per_batch(1_000)
            .expires(Duration::from_secs(10))
            .heartbeat(HEARTBEAT)
            .messages()
            .await?;
        Ok(Follower {
            messages,
            next: 1,
            stream: stream.clone(),
            name,
            connections_made,
        })
    }

    /// Deletes its consumer now (it would expire after 30 s without pulls).
    pub(crate) async fn close(self) {
        if let Some(name) = self.name {
            drop(self.messages);
            let _ = self.stream.delete_consumer(&name).await;
        }
    }

    /// The next message, in order.
    pub(crate) async fn next(&mut self) -> anyhow::Result<jetstream::Message> {
        use futures_util::StreamExt as _;
        let m = tokio::select! {
            m = self.messages.next() => match m {
                Some(m) => m?,
                None => anyhow::bail!("the consumer's messages ended"),
            },
            _ = self.connections_made.changed() => anyhow::bail!("reconnected to NATS"),
        };
        self.check(&m)?;
        Ok(m)
    }

    /// The messages that have arrived already (at most `max`), without waiting.
    pub(crate) fn ready(
        &mut self,
        max: usize,
        out: &mut Vec<jetstream::Message>,
    ) -> anyhow::Result<()> {
        use futures_util::{FutureExt as _, StreamExt as _};
        while out.len() < max {
            match self.messages.next().now_or_never() {
                Some(Some(m)) => {
                    let m = m?;
                    self.check(&m)?;
                    out.push(m);
                }
                Some(None) => anyhow::bail!("the consumer's messages ended"),
                None => break,
            }
        }
        Ok(())
    }

    fn check(&mut self, m: &jetstream::Message) -> anyhow::Result<()> {
        let info = m.info().map_err(|e| anyhow::anyhow!("{e}"))?;
        anyhow::ensure!(
            info.consumer_sequence == self.next,
            "delivery {} came where {} was due",
            info.consumer_sequence,
            self.next
        );
        self.next += 1;
        Ok(())
    }
}
