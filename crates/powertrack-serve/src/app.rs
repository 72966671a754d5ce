//! What every endpoint shares: the accounts (with their credits and caps), per-stream limits,
//! the rules, the connections, the log, and the checks of an account's credentials and credits.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use http::header::{self, HeaderValue};
use http::{Request, StatusCode};
use hyper::body::Incoming;
use tokio::sync::mpsc;

use crate::clock::Clock;
use crate::config::{Account, verify_password};
use crate::hub::Hub;
use crate::limits::{Credits, DailyCap, Logins, PerMinute, Quota};
use crate::log::PostLog;
use crate::messages as msg;
use crate::metrics::{AccountLabel, Metrics};
use crate::pipeline::Batch;
use crate::registry::Registry;
use crate::respond::{Resp, error, with_quota};

/// An account as the server holds it.
#[derive(Debug)]
pub struct AccountState {
    /// Its configuration.
    pub config: Account,
    /// Its credits.
    pub credits: Credits,
    /// Its daily cap.
    pub cap: Arc<DailyCap>,
    /// `Authorization` header values already verified (argon2 is slow on purpose).
    verified: Mutex<HashSet<String>>,
}

impl AccountState {
    /// The state of a configured account.
    pub fn new(config: Account) -> AccountState {
        AccountState {
            credits: Credits::new(config.credits_per_hour),
            cap: Arc::new(DailyCap::new(config.posts_per_day)),
            config,
            verified: Mutex::new(HashSet::new()),
        }
    }
}

/// Per-stream request limits.
#[derive(Debug)]
pub struct StreamLimits {
    /// Rules API requests a minute.
    pub rules: PerMinute,
    /// Connection requests a minute.
    pub connects: PerMinute,
    /// Recoveries running.
    pub recoveries: Arc<std::sync::atomic::AtomicUsize>,
}

/// Everything the endpoints share.
#[derive(Debug)]
pub struct App {
    /// The clock.
    pub clock: Clock,
    /// Rules.
    pub registry: Arc<Registry>,
    /// Connections.
    pub hub: Arc<Hub>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Accounts, in file order.
    pub accounts: Vec<AccountState>,
    /// Per-stream limits, by stream index.
    pub stream_limits: Vec<StreamLimits>,
    /// Failed logins.
    pub logins: Logins,
    /// Into the pipeline.
    pub ingest: mpsc::Sender<Batch>,
    /// The producer credential of `POST /ingest` (none: ingest refused).
    pub ingest_token: Option<String>,
    /// The heartbeat interval of idle streams.
    pub heartbeat: Duration,
    /// Set once a shutdown has begun.
    pub shutting_down: AtomicBool,
    /// The firehose log (backfill, recovery, ingest durability).
    pub log: Arc<dyn PostLog>,
    /// Posts per second a recovery sends at most.
    pub recovery_rate: u64,
    /// How long the log keeps posts (a recovery reaches this far back).
    pub log_retention: Duration,
    /// Posts delivered per stream today, by stream index.
    pub stream_days: Arc<Vec<DailyCap>>,
    /// Posts matched per stream rule (the console's counts).
    pub counts: Arc<crate::counts::RuleCounts>,
    /// The status page's figures and notices.
    pub status: Arc<crate::status::ServiceStatus>,
    /// Console sessions (so the console's script can read its JSON).
    pub sessions: crate::sessions::Sessions,
    /// The cluster, when the instance is one of several (`--nats`).
    pub cluster: Option<ClusterParts>,
}

/// What the endpoints use of the cluster.
#[derive(Debug)]
pub struct ClusterParts {
    /// The connection to it.
    pub cluster: Arc<crate::cluster::Cluster>,
    /// Its rule changes.
    pub rules: Arc<crate::cluster::rules::RuleLog>,
}

impl App {
    /// The account whose credentials the request carries, if they are right for `account`.
    pub(crate) async fn authenticate(
        &self,
        req: &Request<Incoming>,
        peer: SocketAddr,
        account: &str,
        sent: &str,
    ) -> Result<usize, Resp> {
        let now = self.clock.now_ms();
        if self.logins.blocked(peer.ip(), now) {
            return Err(error(
                StatusCode::TOO_MANY_REQUESTS,
                msg::LOGIN_RATE_LIMITED,
                sent,
            ));
        }
        let unauthorized = || {
            let mut r = error(StatusCode::UNAUTHORIZED, msg::UNAUTHORIZED, sent);
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"powertrack\""),
            );
            r
        };
        let header = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let Some(index) = self.accounts.iter().position(|a| a.config.name == account) else {
            self.logins.failed(peer.ip(), now);
            return Err(unauthorized());
        };
        let state = &self.accounts[index];
        if state
            .verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&header)
        {
            return Ok(index);
        }
        let credentials = header
            .strip_prefix("Basic ")
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|b| String::from_utf8(b).ok());
        let ok = match credentials.as_deref().and_then(|c| c.split_once(':')) {
            Some((user, password)) if user == account => {
                let hash = state.config.password_hash.clone();
                let password = password.as_bytes().to_vec();
                tokio::task::spawn_blocking(move || verify_password(&password, &hash))
                    .await
                    .unwrap_or(false)
            }
            _ => false,
        };
        if ok {
            let mut v = state
                .verified
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if v.len() > 64 {
                v.clear();
            }
            v.insert(header);
            Ok(index)
        } else {
            self.logins.failed(peer.ip(), now);
            Err(unauthorized())
        }
    }

    pub(crate) fn charge(&self, account: usize, cost: u64, sent: &str) -> Result<Quota, Resp> {
        let state = &self.accounts[account];
        state
            .credits
            .charge(self.clock.now_ms(), cost)
            .map_err(|q| {
                self.metrics
                    .credit_refusals
                    .get_or_create(&AccountLabel {
                        account: state.config.name.clone(),
                    })
                    .inc();
                with_quota(
                    error(
                        StatusCode::FORBIDDEN,
                        &msg::out_of_credits(q.limit, q.reset_secs),
                        sent,
                    ),
                    &q,
                )
            })
    }
}
