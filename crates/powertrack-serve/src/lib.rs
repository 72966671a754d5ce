//! `powertrack serve`: the PowerTrack service over the `powertrack` engine.
//!
//! Customers manage rules per stream over PowerTrack's Rules API and hold streaming
//! connections that receive every matching post, once per connection, with `matching_rules`
//! in the post's own format; rule changes reach open connections at once. Every stream of every
//! account is a view on one shared index ([`registry`]): a post is matched once, whatever the
//! number of streams, and fanned out to the streams whose rules matched. Accounts, their
//! passwords (argon2), streams and limits come from a TOML file ([`config`]); Rules API calls
//! cost credits per hour ([`limits`]); state lives in `--data-dir` (redb).
//!
//! The crate uses the engine's public API only. [`start`] runs a server in the background (the
//! tests do); [`run`] is `powertrack serve`.
//!
//! ```no_run
//! use powertrack_serve::{Clock, Options, start};
//!
//! let options = Options::new("accounts.toml".into(), "data".into());
//! let server = start(&options, Clock::system())?;
//! println!("listening on {}", server.addr());
//! server.stop();
//! # Ok::<(), anyhow::Error>(())
//! ```

pub mod app;
pub mod capture;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod connections;
pub mod console;
pub mod counts;
pub mod gzip;
pub mod hub;
pub mod limits;
pub mod log;
pub mod messages;
pub mod metrics;
pub mod persist;
pub mod pipeline;
pub mod registry;
pub mod replay;
pub mod respond;
pub mod server;
pub mod service;
pub mod sessions;
pub mod source;
pub mod status;
pub mod stream;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context as _;
pub use clock::Clock;
use tokio_util::sync::CancellationToken;

use crate::app::{AccountState, App, StreamLimits};
use crate::config::Accounts;
use crate::hub::{Hub, StreamCounters};
use crate::limits::{DailyCap, Logins, PerMinute};
use crate::metrics::{Metrics, StreamLabel};
use crate::persist::Persist;
use crate::pipeline::Context;
use crate::registry::{Registry, StreamSpec};
use crate::source::Source;

/// `powertrack serve`'s options.
#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The accounts file (TOML).
    #[arg(long)]
    pub accounts: PathBuf,
    /// Where the service keeps its state (rules, created when missing).
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Posts from: a file (NDJSON, plain, gzip or zstd), `-` (standard input), `gen` (the synthetic
    /// firehose) or `none` (only `POST /ingest`).
    #[arg(long, default_value = "none")]
    pub source: String,
    /// Pace the source at this many posts a second (`gen` defaults to 1,000; files are read as
    /// fast as they are matched unless given).
    #[arg(long)]
    pub rate: Option<u64>,
    /// Read the `--source` file from its first line, even if an earlier run read part of it
    /// (by default a file goes on where the last run left it, kept in the firehose log).
    #[arg(long)]
    pub source_from_start: bool,
    /// The seed of `--source gen`.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Seconds without data after which a stream gets a `\r\n` heartbeat.
    #[arg(long, default_value_t = 10)]
    pub heartbeat: u64,
    /// The producer credential of `POST /ingest` (`Authorization: Bearer TOKEN`); without it,
    /// ingest is refused. Also read from `POWERTRACK_INGEST_TOKEN`.
    #[arg(long, env = "POWERTRACK_INGEST_TOKEN", hide_env_values = true)]
    pub ingest_token: Option<String>,
    /// TLS certificate chain (PEM); with `--tls-key`, the server speaks HTTPS only.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Bytes (compressed) queued for one connection before it is disconnected for not keeping up.
    #[arg(long, default_value_t = 16 << 20)]
    pub connection_buffer: usize,
    /// Seconds a client has to send its request headers.
    #[arg(long, default_value_t = 10)]
    pub header_timeout: u64,
    /// When the firehose log's appends are forced to disk: `always` (each append), or `batch`
    /// (together every 5 ms: group commit). An ingest is acknowledged only once durable.
    #[arg(long, value_enum, default_value = "batch")]
    pub fsync: log::Fsync,
    /// The firehose log's size budget in bytes; the oldest posts are dropped past it.
    #[arg(long, default_value_t = 10_000_000_000)]
    pub log_max_bytes: u64,
    /// Hours the firehose log keeps posts (backfill and recovery reach this far back).
    #[arg(long, default_value_t = 24)]
    pub log_retention_hours: u64,
    /// Posts per second a recovery sends at most.
    #[arg(long, default_value_t = 1_000)]
    pub recovery_rate: u64,
    /// An operator notice for the status page (`/status`), dated when the server starts; may
    /// be given more than once.
    #[arg(long = "notice", value_name = "TEXT")]
    pub notices: Vec<String>,
    /// A file of operator notices, one a line, that the server rereads when it changes: a line
    /// may begin with its time (`2026-12-07T14:00:00Z Maintenance at 15:00`), otherwise it is
    /// dated when the server first reads it; blank lines and `#` comments are skipped.
    #[arg(long, value_name = "FILE")]
    pub notice_file: Option<PathBuf>,
    /// Run as one of several instances over a NATS JetStream cluster (its servers,
    /// comma-separated, e.g. `nats://127.0.0.1:4222,nats://127.0.0.1:4223`): the firehose,
    /// the matched posts and the rule changes live in replicated streams instead of
    /// `--data-dir`, and instances share the matching.
    #[arg(long, value_name = "URL[,URL…]")]
    pub nats: Option<String>,
    /// Replicas of each JetStream stream and bucket (at most the cluster's size; 1 for a
    /// single NATS server).
    #[arg(long, default_value_t = 3, requires = "nats")]
    pub nats_replicas: usize,
    /// Seconds a post handed to an instance for matching may go unacknowledged before another
    /// instance gets it (how long a dead instance's posts are delayed).
    #[arg(long, default_value_t = 10, requires = "nats")]
    pub nats_ack_wait: u64,
}

/// What [`start`] needs: [`ServeArgs`] without the command line.
#[derive(Clone, Debug)]
pub struct Options {
    /// Address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// The accounts file.
    pub accounts: PathBuf,
    /// The state directory.
    pub data_dir: PathBuf,
    /// The source of posts.
    pub source: Source,
    /// Its pace (posts/s).
    pub rate: Option<u64>,
    /// Read a file source from its first line, whatever an earlier run read of it.
    pub source_from_start: bool,
    /// The heartbeat interval.
    pub heartbeat: Duration,
    /// The ingest token.
    pub ingest_token: Option<String>,
    /// TLS certificate and key (PEM files).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Per-connection buffer, bytes.
    pub connection_buffer: usize,
    /// Header read timeout.
    pub header_timeout: Duration,
    /// How the firehose log is kept (in `data_dir/log`).
    pub log: log::LogConfig,
    /// Posts per second a recovery sends at most.
    pub recovery_rate: u64,
    /// Operator notices given at start.
    pub notices: Vec<String>,
    /// A file of operator notices, reread when it changes.
    pub notice_file: Option<PathBuf>,
    /// The NATS JetStream cluster this instance is one of (none: a single process).
    pub cluster: Option<cluster::ClusterConfig>,
}

impl Options {
    /// Defaults for everything but the accounts file and the state directory; listens on
    /// 127.0.0.1, any free port.
    pub fn new(accounts: PathBuf, data_dir: PathBuf) -> Options {
        Options {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            accounts,
            data_dir,
            source: Source::None,
            rate: None,
            source_from_start: false,
            heartbeat: Duration::from_secs(10),
            ingest_token: None,
            tls: None,
            connection_buffer: 16 << 20,
            header_timeout: Duration::from_secs(10),
            log: log::LogConfig::default(),
            recovery_rate: 1_000,
            notices: Vec::new(),
            notice_file: None,
            cluster: None,
        }
    }
}

impl From<ServeArgs> for Options {
    fn from(a: ServeArgs) -> Options {
        let source = match Source::parse(&a.source) {
            Source::Generated(_) => Source::Generated(a.seed),
            s => s,
        };
        let rate = match (&source, a.rate) {
            (Source::Generated(_), None) => Some(1_000),
            (_, r) => r,
        };
        Options {
            listen: a.listen,
            accounts: a.accounts,
            data_dir: a.data_dir,
            source,
            rate,
            source_from_start: a.source_from_start,
            heartbeat: Duration::from_secs(a.heartbeat.max(1)),
            ingest_token: a.ingest_token,
            tls: a.tls_cert.zip(a.tls_key),
            connection_buffer: a.connection_buffer,
            header_timeout: Duration::from_secs(a.header_timeout.max(1)),
            log: log::LogConfig {
                retention: Duration::from_secs(a.log_retention_hours.max(1) * 3600),
                max_bytes: a.log_max_bytes,
                fsync: a.fsync,
            },
            recovery_rate: a.recovery_rate.max(1),
            notices: a.notices,
            notice_file: a.notice_file,
            cluster: a.nats.as_deref().map(|urls| cluster::ClusterConfig {
                replicas: a.nats_replicas.max(1),
                ack_wait: Duration::from_secs(a.nats_ack_wait.max(1)),
                ..cluster::ClusterConfig::new(urls)
            }),
        }
    }
}

/// A server running in the background.
pub struct Running {
    addr: SocketAddr,
    stop: CancellationToken,
    pipeline_stop: CancellationToken,
    thread: Option<std::thread::JoinHandle<()>>,
    pipeline: Vec<std::thread::JoinHandle<()>>,
    /// What is saved once matching has stopped (the rule counts).
    final_save: Option<Box<dyn FnOnce() + Send>>,
    /// The cluster's runtime, shut down last.
    cluster_runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addr", &self.addr)
            .field("stopped", &self.thread.is_none())
            .finish_non_exhaustive()
    }
}

impl Running {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Shuts it down gracefully (every stream ends with the operational-disconnect notice)
    /// and waits for it.
    pub fn stop(mut self) {
        self.stop.cancel();
        self.join();
    }

    /// Waits until it stops (after [`Running::stop_token`] is cancelled, or a signal).
    pub fn wait(mut self) {
        self.join();
    }

    /// Waits for the server, then stops the matcher and waits for it, so that the state
    /// (`--data-dir`) is closed when this returns.
    fn join(&mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.pipeline_stop.cancel();
        for t in self.pipeline.drain(..) {
            let _ = t.join();
        }
        if let Some(save) = self.final_save.take() {
            save();
        }
        if let Some(rt) = self.cluster_runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }

    /// The token that stops it.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.cancel();
        self.join();
    }
}

/// Starts a server: loads the accounts and the persisted rules, binds the listener, starts
/// the source and the matcher, and serves in a thread of its own until stopped.
pub fn start(options: &Options, clock: Clock) -> anyhow::Result<Running> {
    let boot_ms = clock.now_ms();
    let accounts = Accounts::load(&options.accounts)?;
    let persist = Arc::new(
        Persist::open(&options.data_dir)
            .map_err(|e| anyhow::anyhow!("{}: {e}", options.data_dir.display()))?,
    );
    let streams: Vec<StreamSpec> = accounts
        .accounts
        .iter()
        .enumerate()
        .flat_map(|(i, a)| {
            a.streams.iter().map(move |label| StreamSpec {
                key: format!("{}/{label}", a.name),
                account: i,
                label: label.clone(),
                max_rules: a.max_rules,
            })
        })
        .collect();
    let pipeline_stop = CancellationToken::new();
    let (cluster, cluster_runtime) = match &options.cluster {
        Some(config) => {
            let (c, rt) = cluster::Cluster::connect(
                config.clone(),
                options.log.retention,
                options.log.max_bytes,
            )?;
            tracing::info!(nats = %config.urls, instance = %c.instance, "joined the cluster");
            (Some(c), Some(rt))
        }
        None => (None, None),
    };
    let jetstream_log = cluster
        .as_ref()
        .map(|c| cluster::firehose::JetStreamLog::open(c, pipeline_stop.clone()));
    let post_log: Arc<dyn log::PostLog> = match &jetstream_log {
        Some(l) => l.clone(),
        None => log::EmbeddedLog::open(&options.data_dir.join("log"), options.log.clone())
            .and_then(log::EmbeddedLog::start)
            .map_err(|e| anyhow::anyhow!("opening the firehose log: {e}"))?,
    };
    let loaded = std::time::Instant::now();
    let registry = Arc::new(
        Registry::open(persist, streams, clock.clone())
            .map_err(|e| anyhow::anyhow!("loading the rules: {e}"))?,
    );
    tracing::info!(
        rules = registry.total_rules(),
        distinct = registry.distinct_values(),
        ms = loaded.elapsed().as_millis(),
        "rules loaded"
    );
    let mut rule_thread = None;
    let cluster_parts = match &cluster {
        Some(c) => {
            let rules = cluster::rules::RuleLog::new(c.clone(), registry.clone())?;
            rule_thread = Some(cluster::rules::spawn_applier(
                &rules,
                pipeline_stop.clone(),
            )?);
            Some(app::ClusterParts {
                cluster: c.clone(),
                rules,
            })
        }
        None => None,
    };
    let tls = match &options.tls {
        Some((cert, key)) => Some(server::tls_config(cert, key)?),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("powertrack-io")
        .build()
        .context("starting the runtime")?;
    let std_listener = std::net::TcpListener::bind(options.listen)
        .with_context(|| format!("listening on {}", options.listen))?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let metrics = Arc::new(Metrics::new());
    let counters: Vec<StreamCounters> = registry
        .streams()
        .iter()
        .map(|s| {
            let label = StreamLabel {
                stream: s.key.clone(),
            };
            StreamCounters {
                delivered: metrics.stream_delivered.get_or_create(&label).clone(),
                dropped: metrics.stream_dropped.get_or_create(&label).clone(),
            }
        })
        .collect();
    let (events_tx, events_rx) = tokio::sync::mpsc::unbounded_channel();
    let hub = Arc::new(Hub::new(
        counters,
        options.connection_buffer,
        Duration::from_secs(2),
        runtime.handle().clone(),
        events_tx,
    ));
    let history = connections::spawn(
        registry.persist().clone(),
        registry.streams().iter().map(|s| s.key.clone()).collect(),
        events_rx,
        clock.clone(),
        boot_ms,
    )?;
    let stream_keys: Vec<String> = registry.streams().iter().map(|s| s.key.clone()).collect();
    let counts = Arc::new(
        counts::RuleCounts::load(registry.persist(), &stream_keys)
            .map_err(|e| anyhow::anyhow!("{}: rule counts: {e}", options.data_dir.display()))?,
    );
    let status = Arc::new(status::ServiceStatus::new(
        boot_ms,
        &options.notices,
        options.notice_file.clone(),
    ));
    let stream_days = Arc::new(
        registry
            .streams()
            .iter()
            .map(|_| DailyCap::new(u64::MAX))
            .collect::<Vec<_>>(),
    );
    let account_states: Vec<AccountState> = accounts
        .accounts
        .into_iter()
        .map(AccountState::new)
        .collect();
    let ctx = Arc::new(Context {
        registry: registry.clone(),
        hub: hub.clone(),
        caps: account_states.iter().map(|a| a.cap.clone()).collect(),
        stream_days: stream_days.clone(),
        metrics: metrics.clone(),
        clock: clock.clone(),
        log: post_log.clone(),
        counts: counts.clone(),
        status: status.clone(),
    });
    let (ingest_tx, ingest_rx) = tokio::sync::mpsc::channel(64);
    let mut pipeline = match (&cluster, jetstream_log) {
        (Some(c), Some(log)) => {
            let mut threads = vec![
                cluster::firehose::spawn_publisher(
                    log,
                    metrics.clone(),
                    ingest_rx,
                    pipeline_stop.clone(),
                )?,
                cluster::work::spawn(c.clone(), ctx.clone(), pipeline_stop.clone())?,
            ];
            threads.extend(rule_thread.take());
            cluster::deliver::spawn(c.clone(), ctx, pipeline_stop.clone());
            threads
        }
        _ => pipeline::spawn(ctx, ingest_rx, pipeline_stop.clone())?,
    };
    pipeline.push(counts::spawn_saver(
        counts.clone(),
        registry.persist().clone(),
        stream_keys.clone(),
        Duration::from_secs(60),
        pipeline_stop.clone(),
    )?);
    // Ends once the hub is gone (every connection recorded), so it is joined last.
    pipeline.push(history);
    let final_save = {
        let (counts, persist) = (counts.clone(), registry.persist().clone());
        Box::new(move || {
            if let Err(e) = counts.save(&persist, &stream_keys) {
                tracing::warn!(error = %e, "cannot save the rule counts");
            }
        })
    };
    source::spawn(
        options.source.clone(),
        options.rate,
        ingest_tx.clone(),
        post_log.as_ref(),
        options.source_from_start,
    )
    .with_context(|| format!("opening the source {:?}", options.source))?;
    let stream_limits = registry
        .streams()
        .iter()
        .map(|_| StreamLimits {
            rules: PerMinute::new(60),
            connects: PerMinute::new(60),
            recoveries: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        })
        .collect();
    let app = Arc::new(App {
        clock,
        registry,
        hub,
        metrics,
        accounts: account_states,
        stream_limits,
        logins: Logins::new(10),
        ingest: ingest_tx,
        ingest_token: options.ingest_token.clone(),
        heartbeat: options.heartbeat,
        shutting_down: AtomicBool::new(false),
        log: post_log,
        recovery_rate: options.recovery_rate,
        log_retention: options.log.retention,
        stream_days,
        counts,
        status: status.clone(),
        sessions: sessions::Sessions::default(),
        cluster: cluster_parts,
    });
    let stop = CancellationToken::new();
    let config = server::ListenConfig {
        header_timeout: options.header_timeout,
        tls,
        drain: Duration::from_secs(5),
    };
    let token = stop.clone();
    let app_ticker = app.clone();
    let thread = std::thread::Builder::new()
        .name("powertrack-serve".into())
        .spawn(move || {
            runtime.block_on(async move {
                let ticker = app_ticker.clone();
                tokio::spawn(async move {
                    let mut every = tokio::time::interval(Duration::from_secs(1));
                    loop {
                        every.tick().await;
                        ticker
                            .status
                            .tick(ticker.clock.now_ms(), ticker.metrics.posts_in.get());
                    }
                });
                let listener = match tokio::net::TcpListener::from_std(std_listener) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot listen");
                        return;
                    }
                };
                server::serve(app, listener, config, token).await;
            });
            runtime.shutdown_timeout(Duration::from_secs(1));
        })?;
    Ok(Running {
        addr,
        stop,
        pipeline_stop,
        thread: Some(thread),
        pipeline,
        final_save: Some(final_save),
        cluster_runtime,
    })
}

/// `powertrack serve`: starts the server and runs it until SIGTERM or SIGINT, then shuts it
/// down gracefully.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging();
    let options = Options::from(args);
    let tls = options.tls.is_some();
    let server = start(&options, Clock::system())?;
    let scheme = if tls { "https" } else { "http" };
    eprintln!(
        "powertrack serve: listening on {scheme}://{}",
        server.addr()
    );
    let stop = server.stop_token();
    let signals = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    signals.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok::<(), std::io::Error>(())
    })?;
    tracing::info!("shutting down");
    stop.cancel();
    server.wait();
    Ok(())
}

/// `powertrack passwd`: the argon2id hash line of the password on standard input (its first
/// line).
pub fn passwd() -> anyhow::Result<()> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    println!("{}", config::hash_password(password)?);
    Ok(())
}

/// Logs to standard error, at `info` unless `RUST_LOG` says otherwise.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}
