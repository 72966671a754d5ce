//! The HTTP endpoints: the Rules API, the stream, usage, ingest, health and metrics (the
//! console and status pages are in [`crate::console`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited, StreamBody};
use hyper::body::Incoming;
use powertrack::api::{Body, BodyError, Limits, MAX_BODY_BYTES, validate};
use tokio::sync::oneshot;

use crate::hub::CloseReason;
use crate::limits::DailyCap;
use crate::messages as msg;
use crate::pipeline::{Batch, Outcome};
use crate::registry::{ChangeError, Registry};
use crate::replay::{self, Window};

pub use crate::app::{AccountState, App, StreamLimits};
pub use crate::respond::ResponseBody;
use crate::respond::{Resp, error, full, json, with_quota};

/// The largest `POST /ingest` body: a producer sends the firehose in pieces of at most this.
pub const MAX_INGEST_BYTES: usize = 64 << 20;

/// What each Rules API endpoint costs, in credits.
pub mod cost {
    /// `POST …/validation.json`.
    pub const VALIDATE: u64 = 5;
    /// `POST …/{label}.json`.
    pub const ADD: u64 = 5;
    /// `POST …/{label}.json?_method=delete`.
    pub const DELETE: u64 = 5;
    /// `GET …/{label}.json`.
    pub const LIST: u64 = 1;
    /// `POST …?_method=get` and `GET …/rules/{id}.json`.
    pub const GET: u64 = 1;
    /// `GET /metrics/usage/accounts/{account}.json`.
    pub const USAGE: u64 = 25;
}

/// What a path names.
#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    Health,
    Metrics,
    Ingest,
    Usage(&'a str),
    Rules(&'a str, &'a str),
    Rule(&'a str, &'a str, &'a str),
    Validation(&'a str, &'a str),
    Stream(&'a str, &'a str),
    Console(crate::console::Page<'a>),
    NotFound,
}

fn route<'a>(path: &'a str) -> Route<'a> {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segs.as_slice() {
        ["healthz"] => Route::Health,
        ["metrics"] => Route::Metrics,
        ["ingest"] => Route::Ingest,
        ["metrics", "usage", "accounts", a] => a
            .strip_suffix(".json")
            .map_or(Route::NotFound, Route::Usage),
        [
            kind @ ("rules" | "stream"),
            "powertrack",
            "accounts",
            a,
            "publishers",
            "twitter",
            rest @ ..,
        ] => {
            let json = |s: &'a str| s.strip_suffix(".json");
            let found = match (*kind, rest) {
                ("rules", [l]) => json(l).map(|l| Route::Rules(a, l)),
                ("rules", [l, "rules", id]) => json(id).map(|id| Route::Rule(a, l, id)),
                ("rules", [l, "validation.json"]) => Some(Route::Validation(a, l)),
                ("stream", [l]) => json(l).map(|l| Route::Stream(a, l)),
                _ => None,
            };
            found.unwrap_or(Route::NotFound)
        }
        segs => crate::console::route(segs).map_or(Route::NotFound, Route::Console),
    }
}

fn query_param<'a>(query: Option<&'a str>, key: &str) -> Option<&'a str> {
    query?.split('&').find_map(|kv| {
        kv.split_once('=')
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v)
    })
}

impl App {
    /// Answers one request.
    pub async fn handle(self: Arc<Self>, req: Request<Incoming>, peer: SocketAddr) -> Resp {
        let path = req.uri().path().to_owned();
        let (endpoint, resp) = self.dispatch(req, peer, &path).await;
        self.metrics.response(endpoint, resp.status().as_u16());
        resp
    }

    async fn dispatch(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
        path: &str,
    ) -> (&'static str, Resp) {
        let sent = self.clock.sent();
        if self.shutting_down.load(Ordering::Acquire) && path != "/healthz" {
            return (
                "shutdown",
                error(StatusCode::SERVICE_UNAVAILABLE, msg::SHUTTING_DOWN, &sent),
            );
        }
        let method = req.method().clone();
        match route(path) {
            Route::Health => (
                "healthz",
                match method {
                    Method::GET | Method::HEAD => json(StatusCode::OK, "{\"status\":\"ok\"}"),
                    _ => error(
                        StatusCode::METHOD_NOT_ALLOWED,
                        msg::METHOD_NOT_ALLOWED,
                        &sent,
                    ),
                },
            ),
            Route::Metrics => (
                "metrics",
                match method {
                    Method::GET => {
                        self.refresh_gauges();
                        let mut r = Response::new(full(self.metrics.render()));
                        r.headers_mut().insert(
                            header::CONTENT_TYPE,
                            HeaderValue::from_static(
                                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                            ),
                        );
                        r
                    }
                    _ => error(
                        StatusCode::METHOD_NOT_ALLOWED,
                        msg::METHOD_NOT_ALLOWED,
                        &sent,
                    ),
                },
            ),
            Route::Ingest => ("ingest", self.ingest(req, &sent).await),
            Route::Usage(account) => ("usage", self.usage(req, peer, account, &sent).await),
            Route::Rules(account, label) => {
                let op = match (&method, query_param(req.uri().query(), "_method")) {
                    (&Method::GET, _) => Op::List,
                    (&Method::POST, None) => Op::Add,
                    (&Method::POST, Some("get")) => Op::Get,
                    (&Method::POST, Some("delete")) | (&Method::DELETE, None) => Op::Delete,
                    _ => Op::BadMethod,
                };
                (
                    op.endpoint(),
                    self.rules(req, peer, account, label, op, &sent).await,
                )
            }
            Route::Rule(account, label, id) => {
                let op = if method == Method::GET {
                    Op::GetOne(id.to_owned())
                } else {
                    Op::BadMethod
                };
                (
                    "rules_get_one",
                    self.rules(req, peer, account, label, op, &sent).await,
                )
            }
            Route::Validation(account, label) => {
                let op = if method == Method::POST {
                    Op::Validate
                } else {
                    Op::BadMethod
                };
                (
                    "rules_validate",
                    self.rules(req, peer, account, label, op, &sent).await,
                )
            }
            Route::Stream(account, label) => (
                "stream",
                self.stream(req, peer, account, label, &sent).await,
            ),
            Route::Console(page) => ("console", self.console(req, peer, page, &sent).await),
            Route::NotFound => (
                "not_found",
                error(StatusCode::NOT_FOUND, msg::NOT_FOUND, &sent),
            ),
        }
    }

    fn refresh_gauges(&self) {
        for (i, s) in self.registry.streams().iter().enumerate() {
            let n = self.hub.count(i);
            self.metrics
                .connections
                .get_or_create(&crate::metrics::StreamLabel {
                    stream: s.key.clone(),
                })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        self.metrics
            .rules
            .set(i64::try_from(self.registry.total_rules()).unwrap_or(i64::MAX));
        self.metrics
            .index_rules
            .set(i64::try_from(self.registry.distinct_values()).unwrap_or(i64::MAX));
        let log = self.log.stats();
        self.metrics
            .log_last_seq
            .set(i64::try_from(log.last_seq).unwrap_or(i64::MAX));
        self.metrics
            .log_bytes
            .set(i64::try_from(log.disk_bytes).unwrap_or(i64::MAX));
        self.metrics
            .log_torn_bytes
            .set(i64::try_from(log.torn_bytes).unwrap_or(i64::MAX));
    }

    async fn rules(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
        account: &str,
        label: &str,
        op: Op,
        sent: &str,
    ) -> Resp {
        let a = match self.authenticate(&req, peer, account, sent).await {
            Ok(a) => a,
            Err(r) => return r,
        };
        let Some(stream) = self.registry.stream_index(account, label) else {
            return error(StatusCode::NOT_FOUND, msg::NOT_FOUND, sent);
        };
        if op == Op::BadMethod {
            return error(
                StatusCode::METHOD_NOT_ALLOWED,
                msg::METHOD_NOT_ALLOWED,
                sent,
            );
        }
        if !self.stream_limits[stream].rules.allow(self.clock.now_ms()) {
            return with_quota(
                error(StatusCode::TOO_MANY_REQUESTS, msg::RULES_RATE_LIMITED, sent),
                &self.accounts[a].credits.peek(self.clock.now_ms()),
            );
        }
        let quota = match self.charge(a, op.cost(), sent) {
            Ok(q) => q,
            Err(r) => return r,
        };
        let resp = self.rules_op(req, stream, op, sent).await;
        with_quota(resp, &quota)
    }

    async fn rules_op(&self, req: Request<Incoming>, stream: usize, op: Op, sent: &str) -> Resp {
        match op {
            Op::List => json(StatusCode::OK, self.registry.list(stream).to_json(sent)),
            Op::GetOne(id) => match id
                .parse::<u64>()
                .ok()
                .and_then(|id| self.registry.get_one(stream, id))
            {
                Some(rule) => {
                    let list = powertrack::live::ListResponse {
                        rules: vec![rule],
                        generation: 0,
                    };
                    json(StatusCode::OK, list.to_json(sent))
                }
                None => error(StatusCode::NOT_FOUND, msg::RULE_NOT_FOUND, sent),
            },
            Op::Add | Op::Get | Op::Delete | Op::Validate => {
                let body = match read_body(req).await {
                    Ok(b) => b,
                    Err(e) => return json(status(e.status()), e.to_json(sent)),
                };
                let parsed = match Body::parse(&body, &Limits::api()) {
                    Ok(b) => b,
                    Err(e) => return json(status(e.status()), e.to_json(sent)),
                };
                if let Some(c) = &self.cluster
                    && let Some(r) = propose(c, stream, &op, &parsed, sent).await
                {
                    return r;
                }
                let registry = self.registry.clone();
                let owned = sent.to_owned();
                tokio::task::spawn_blocking(move || apply(&registry, stream, &op, &parsed, &owned))
                    .await
                    .unwrap_or_else(|e| {
                        tracing::error!(error = %e, "a Rules API request failed inside the server");
                        error(StatusCode::INTERNAL_SERVER_ERROR, msg::INTERNAL, sent)
                    })
            }
            Op::BadMethod => error(
                StatusCode::METHOD_NOT_ALLOWED,
                msg::METHOD_NOT_ALLOWED,
                sent,
            ),
        }
    }

    async fn usage(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
        account: &str,
        sent: &str,
    ) -> Resp {
        let a = match self.authenticate(&req, peer, account, sent).await {
            Ok(a) => a,
            Err(r) => return r,
        };
        if req.method() != Method::GET {
            return error(
                StatusCode::METHOD_NOT_ALLOWED,
                msg::METHOD_NOT_ALLOWED,
                sent,
            );
        }
        let quota = match self.charge(a, cost::USAGE, sent) {
            Ok(q) => q,
            Err(r) => return r,
        };
        let now = self.clock.now_ms();
        let state = &self.accounts[a];
        let streams: Vec<serde_json::Value> = self
            .registry
            .streams()
            .iter()
            .enumerate()
            .filter(|(_, s)| s.account == a)
            .map(|(i, s)| {
                serde_json::json!({
                    "label": s.label,
                    "rules": self.registry.len(i),
                    "connections": self.hub.count(i),
                    "posts_delivered": self.hub.counters(i).delivered.get(),
                    "posts_delivered_today": self.stream_days[i].delivered(now),
                })
            })
            .collect();
        let body = serde_json::json!({
            "account": state.config.name,
            "credits": {
                "limit": quota.limit,
                "used": quota.limit - quota.remaining,
                "remaining": quota.remaining,
                "resets_in_seconds": quota.reset_secs,
            },
            "posts": {
                "limit_per_day": state.cap.cap(),
                "delivered_today": state.cap.delivered(now),
                "day_ends": powertrack::api::rfc3339_millis(DailyCap::resets_at(now)),
            },
            "streams": streams,
            "sent": sent,
        });
        with_quota(json(StatusCode::OK, body.to_string()), &quota)
    }

    async fn ingest(&self, req: Request<Incoming>, sent: &str) -> Resp {
        if req.method() != Method::POST {
            return error(
                StatusCode::METHOD_NOT_ALLOWED,
                msg::METHOD_NOT_ALLOWED,
                sent,
            );
        }
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "));
        match (&self.ingest_token, given) {
            (Some(token), Some(given))
                if constant_time_eq(token.as_bytes(), given.trim().as_bytes()) => {}
            _ => return error(StatusCode::UNAUTHORIZED, msg::INGEST_UNAUTHORIZED, sent),
        }
        let data = match Limited::new(req.into_body(), MAX_INGEST_BYTES)
            .collect()
            .await
        {
            Ok(b) => b.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &msg::ingest_too_large(MAX_INGEST_BYTES),
                    sent,
                );
            }
            Err(_) => return error(StatusCode::BAD_REQUEST, msg::BODY_UNREADABLE, sent),
        };
        let (reply, outcome) = oneshot::channel();
        let batch = Batch {
            data,
            source: Arc::from("ingest"),
            first_line: 1,
            arrived: Instant::now(),
            reply: Some(reply),
            mark: None,
        };
        if self.ingest.send(batch).await.is_err() {
            return error(StatusCode::SERVICE_UNAVAILABLE, msg::SHUTTING_DOWN, sent);
        }
        let Outcome {
            accepted,
            rejected,
            last_seq,
        } = match outcome.await {
            Ok(Ok(o)) => o,
            Ok(Err(_)) => {
                return error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    msg::INGEST_NOT_LOGGED,
                    sent,
                );
            }
            Err(_) => return error(StatusCode::SERVICE_UNAVAILABLE, msg::SHUTTING_DOWN, sent),
        };
        // Acknowledged only once durable under the fsync policy.
        let mut durable = self.log.durable();
        loop {
            let state = durable.borrow_and_update().of(last_seq);
            match state {
                Some(true) => break,
                Some(false) => {
                    return error(
                        StatusCode::SERVICE_UNAVAILABLE,
                        msg::INGEST_NOT_LOGGED,
                        sent,
                    );
                }
                None => {}
            }
            if durable.changed().await.is_err() {
                return error(StatusCode::SERVICE_UNAVAILABLE, msg::SHUTTING_DOWN, sent);
            }
        }
        json(
            StatusCode::OK,
            serde_json::json!({"accepted": accepted, "rejected": rejected}).to_string(),
        )
    }

    async fn stream(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
        account: &str,
        label: &str,
        sent: &str,
    ) -> Resp {
        let a = match self.authenticate(&req, peer, account, sent).await {
            Ok(a) => a,
            Err(r) => return r,
        };
        let Some(stream) = self.registry.stream_index(account, label) else {
            return error(StatusCode::NOT_FOUND, msg::NOT_FOUND, sent);
        };
        if req.method() != Method::GET {
            return error(
                StatusCode::METHOD_NOT_ALLOWED,
                msg::METHOD_NOT_ALLOWED,
                sent,
            );
        }
        let quota = self.accounts[a].credits.peek(self.clock.now_ms());
        let replay = match self.replay_request(req.uri().query()) {
            Ok(r) => r,
            Err(message) => {
                return with_quota(error(StatusCode::BAD_REQUEST, &message, sent), &quota);
            }
        };
        if !accepts_gzip(&req) {
            return with_quota(
                error(StatusCode::NOT_ACCEPTABLE, msg::COMPRESSION_REQUIRED, sent),
                &quota,
            );
        }
        if !self.stream_limits[stream]
            .connects
            .allow(self.clock.now_ms())
        {
            return with_quota(
                error(
                    StatusCode::TOO_MANY_REQUESTS,
                    msg::CONNECTIONS_RATE_LIMITED,
                    sent,
                ),
                &quota,
            );
        }
        if let ReplayRequest::Recovery(window) = replay {
            return with_quota(self.recovery(stream, window, peer, sent), &quota);
        }
        let allowed = self.accounts[a].config.max_connections;
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let now = self.clock.now_ms();
        let mut cut = None;
        // In a cluster the limit holds across instances: a slot first.
        let slot = match &self.cluster {
            Some(c) => {
                let account = &self.accounts[a].config.name;
                match crate::cluster::slots::claim(&c.cluster, account, allowed).await {
                    Ok(Some(slot)) => Some(slot),
                    Ok(None) => None,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot take a connection slot");
                        return with_quota(
                            error(
                                StatusCode::SERVICE_UNAVAILABLE,
                                msg::CLUSTER_UNAVAILABLE,
                                sent,
                            ),
                            &quota,
                        );
                    }
                }
            }
            None => None,
        };
        // Without a slot the hub refuses it too (and the history records the refusal).
        let local_allowed = if self.cluster.is_some() && slot.is_none() {
            0
        } else {
            allowed
        };
        let opened = self
            .hub
            .open(stream, local_allowed, peer.to_string(), user_agent, now);
        if let (Some(c), Some(slot)) = (&self.cluster, slot) {
            match &opened {
                Ok((conn, _)) => {
                    crate::cluster::slots::hold(
                        c.cluster.clone(),
                        slot,
                        conn.ended_token().clone(),
                    );
                }
                Err(_) => crate::cluster::slots::release(&c.cluster, slot),
            }
        }
        // Registered first, then the log's end: what comes after it reaches the connection
        // live (in a cluster, asked of the firehose stream itself).
        let log_end = match (&self.cluster, replay) {
            (Some(c), ReplayRequest::Backfill(_)) => match c.cluster.firehose_last_seq().await {
                Ok(seq) => seq,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the firehose's end; backfill up to what this instance saw");
                    self.log.stats().last_seq
                }
            },
            _ => self.log.stats().last_seq,
        };
        let body = match opened {
            Ok((conn, rx)) => {
                tracing::info!(conn = conn.id, stream = %self.registry.streams()[stream].key, addr = %peer, "stream connected");
                let cap = &self.accounts[a].cap;
                if cap.reached(now) {
                    // Connected after the day's cap was reached: say why nothing comes.
                    let resume = powertrack::api::rfc3339_millis(DailyCap::resets_at(now));
                    let text = msg::daily_cap_reached(cap.cap(), &resume);
                    conn.notify(&crate::messages::notice_line(&text, sent));
                }
                cut = Some(conn.cut_token().clone());
                let backfill = match replay {
                    ReplayRequest::Backfill(minutes)
                        if self
                            .hub
                            .overflowed_within(stream, Duration::from_secs(minutes * 60)) =>
                    {
                        // PowerTrack: no backfill over a disconnect for a full buffer.
                        tracing::info!(
                            conn = conn.id,
                            "backfill refused: the stream was cut for not keeping up within its window"
                        );
                        None
                    }
                    ReplayRequest::Backfill(minutes) => {
                        let window = Window {
                            from_ms: now.saturating_sub(minutes * 60_000),
                            until_ms: u64::MAX,
                            last_seq: log_end,
                        };
                        replay::spawn(
                            self.log.clone(),
                            self.registry.clone(),
                            stream,
                            window,
                            None,
                        )
                        .map_err(|e| tracing::error!(error = %e, "cannot start a backfill"))
                        .ok()
                    }
                    _ => None,
                };
                let s = crate::stream::live(
                    self.hub.clone(),
                    conn,
                    rx,
                    backfill,
                    self.heartbeat,
                    self.clock.clone(),
                );
                StreamBody::new(s).boxed_unsync()
            }
            Err((_, conn)) => {
                self.hub.close(&conn, CloseReason::TooManyConnections, now);
                full(crate::stream::refused(
                    &msg::too_many_connections(allowed),
                    sent,
                ))
            }
        };
        let mut r = Response::new(body);
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
        if let Some(cut) = cut {
            r.extensions_mut().insert(cut);
        }
        with_quota(r, &quota)
    }
}

/// What a stream request asks of the log besides the live stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReplayRequest {
    None,
    /// `backfillMinutes=N`.
    Backfill(u64),
    /// `startTime` and `endTime`.
    Recovery(Window),
}

impl App {
    /// The stream request's `backfillMinutes`, `startTime` and `endTime`, checked.
    fn replay_request(&self, query: Option<&str>) -> Result<ReplayRequest, String> {
        let backfill = query_param(query, "backfillMinutes");
        let start = query_param(query, "startTime");
        let end = query_param(query, "endTime");
        match (backfill, start, end) {
            (None, None, None) => Ok(ReplayRequest::None),
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                Err(msg::RECOVERY_WITH_BACKFILL.to_owned())
            }
            (Some(n), None, None) => match n.parse::<u64>() {
                Ok(n @ 1..=5) => Ok(ReplayRequest::Backfill(n)),
                _ => Err(msg::BACKFILL_INVALID.to_owned()),
            },
            (None, Some(_), None) | (None, None, Some(_)) => {
                Err(msg::RECOVERY_NEEDS_BOTH.to_owned())
            }
            (None, Some(start), Some(end)) => {
                let from_ms = powertrack::api::parse_seconds_utc(start)
                    .ok_or_else(|| msg::recovery_bad_format("startTime"))?;
                let until_ms = powertrack::api::parse_seconds_utc(end)
                    .ok_or_else(|| msg::recovery_bad_format("endTime"))?;
                let now = self.clock.now_ms();
                let reach = self.log_reach_ms();
                if from_ms < now.saturating_sub(reach) {
                    return Err(msg::recovery_too_old(reach / 3_600_000));
                }
                if until_ms > now {
                    return Err(msg::RECOVERY_IN_FUTURE.to_owned());
                }
                if from_ms >= until_ms {
                    return Err(msg::RECOVERY_ORDER.to_owned());
                }
                Ok(ReplayRequest::Recovery(Window {
                    from_ms,
                    until_ms,
                    last_seq: u64::MAX,
                }))
            }
        }
    }

    /// How far back the log reaches (its retention).
    fn log_reach_ms(&self) -> u64 {
        u64::try_from(self.log_retention.as_millis()).unwrap_or(u64::MAX)
    }

    /// A recovery connection: the window's posts matched against the stream's rules now,
    /// paced, then PowerTrack's completion line and the end of the stream.
    fn recovery(&self, stream: usize, window: Window, peer: SocketAddr, sent: &str) -> Resp {
        let running = &self.stream_limits[stream].recoveries;
        if running.fetch_add(1, Ordering::AcqRel) >= 2 {
            running.fetch_sub(1, Ordering::AcqRel);
            return error(StatusCode::TOO_MANY_REQUESTS, msg::RECOVERIES_RUNNING, sent);
        }
        let guard = crate::stream::Running(running.clone());
        let rx = match replay::spawn(
            self.log.clone(),
            self.registry.clone(),
            stream,
            window,
            Some(self.recovery_rate),
        ) {
            Ok(rx) => rx,
            Err(e) => {
                tracing::error!(error = %e, "cannot start a recovery");
                return error(StatusCode::SERVICE_UNAVAILABLE, msg::INTERNAL, sent);
            }
        };
        tracing::info!(stream = %self.registry.streams()[stream].key, addr = %peer, from_ms = window.from_ms, until_ms = window.until_ms, "recovery started");
        let counter = self
            .metrics
            .replayed
            .get_or_create(&crate::metrics::StreamLabel {
                stream: self.registry.streams()[stream].key.clone(),
            })
            .clone();
        let body = crate::stream::recovery(rx, self.heartbeat, self.clock.clone(), guard, counter);
        let mut r = Response::new(StreamBody::new(body).boxed_unsync());
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        r
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST)
}

fn accepts_gzip(req: &Request<Incoming>) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .any(|v| {
            v.to_str().is_ok_and(|s| {
                s.split(',').any(|enc| {
                    let mut parts = enc.trim().split(';');
                    let name = parts.next().unwrap_or("").trim();
                    let q_zero = parts.any(|p| {
                        p.trim()
                            .strip_prefix("q=")
                            .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q == 0.0))
                    });
                    name.eq_ignore_ascii_case("gzip") && !q_zero
                })
            })
        })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The body, refused past the Rules API's 5 MB without reading further.
async fn read_body(req: Request<Incoming>) -> Result<Bytes, BodyError> {
    match Limited::new(req.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(b) => Ok(b.to_bytes()),
        Err(_) => Err(BodyError::too_large(MAX_BODY_BYTES + 1)),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Add,
    List,
    Get,
    GetOne(String),
    Delete,
    Validate,
    BadMethod,
}

impl Op {
    fn cost(&self) -> u64 {
        match self {
            Op::Add => cost::ADD,
            Op::Delete => cost::DELETE,
            Op::Validate => cost::VALIDATE,
            Op::List => cost::LIST,
            Op::Get | Op::GetOne(_) => cost::GET,
            Op::BadMethod => 0,
        }
    }

    fn endpoint(&self) -> &'static str {
        match self {
            Op::Add => "rules_add",
            Op::List => "rules_list",
            Op::Get => "rules_get",
            Op::GetOne(_) => "rules_get_one",
            Op::Delete => "rules_delete",
            Op::Validate => "rules_validate",
            Op::BadMethod => "rules_bad_method",
        }
    }
}

/// A change proposed to the cluster's rules, answered once applied here; `None` for what is
/// answered locally as in a single process (reads, validation, and adds with an invalid rule,
/// which change nothing anywhere).
async fn propose(
    cluster: &crate::app::ClusterParts,
    stream: usize,
    op: &Op,
    body: &Body,
    sent: &str,
) -> Option<Resp> {
    use crate::cluster::rules::Applied;
    let applied = match (op, body) {
        (Op::Add, Body::Rules(rules)) => {
            if validate(rules).detail.iter().any(|d| !d.is_valid()) {
                return None;
            }
            cluster.rules.add(stream, rules).await
        }
        (Op::Delete, body) => cluster.rules.delete(stream, body).await,
        _ => return None,
    };
    Some(match applied {
        Ok(Applied::Add(Ok(r))) => json(status(r.status()), r.to_json(sent)),
        Ok(Applied::Delete(Ok(r))) => json(StatusCode::OK, r.to_json(sent)),
        Ok(Applied::Add(Err(e)) | Applied::Delete(Err(e))) => change_error(&e, sent),
        Err(e) => {
            tracing::error!(error = %e, "a rule change was not made");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                msg::RULES_UNAVAILABLE,
                sent,
            )
        }
    })
}

fn apply(registry: &Registry, stream: usize, op: &Op, body: &Body, sent: &str) -> Resp {
    // A body of the other shape than the request takes: PowerTrack's "Invalid JSON…".
    let shape = || {
        let e = BodyError::invalid_json("the body has the other shape than this request takes");
        json(status(e.status()), e.to_json(sent))
    };
    match (op, body) {
        (Op::Add, Body::Rules(rules)) => match registry.add(stream, rules) {
            Ok(r) => json(status(r.status()), r.to_json(sent)),
            Err(e) => change_error(&e, sent),
        },
        (Op::Delete, body) => match registry.delete(stream, body) {
            Ok(r) => json(StatusCode::OK, r.to_json(sent)),
            Err(e) => change_error(&e, sent),
        },
        (Op::Get, Body::RuleIds(ids)) => {
            json(StatusCode::OK, registry.get_ids(stream, ids).to_json(sent))
        }
        (Op::Get, Body::Rules(rules)) => {
            let values: Vec<&str> = rules.iter().map(|r| r.value.as_str()).collect();
            json(
                StatusCode::OK,
                registry.get_values(stream, &values).to_json(sent),
            )
        }
        (Op::Validate, Body::Rules(rules)) => json(StatusCode::OK, validate(rules).to_json(sent)),
        _ => shape(),
    }
}

fn change_error(e: &ChangeError, sent: &str) -> Resp {
    match e {
        ChangeError::Body(b) => json(status(b.status()), b.to_json(sent)),
        ChangeError::Storage(why) => {
            tracing::error!(error = %why, "a rule change could not be stored");
            error(StatusCode::SERVICE_UNAVAILABLE, msg::NOT_STORED, sent)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_route() {
        assert_eq!(route("/healthz"), Route::Health);
        assert_eq!(
            route("/rules/powertrack/accounts/acme/publishers/twitter/prod.json"),
            Route::Rules("acme", "prod")
        );
        assert_eq!(
            route("/rules/powertrack/accounts/acme/publishers/twitter/prod/rules/12.json"),
            Route::Rule("acme", "prod", "12")
        );
        assert_eq!(
            route("/rules/powertrack/accounts/acme/publishers/twitter/prod/validation.json"),
            Route::Validation("acme", "prod")
        );
        assert_eq!(
            route("/stream/powertrack/accounts/acme/publishers/twitter/prod.json"),
            Route::Stream("acme", "prod")
        );
        assert_eq!(
            route("/metrics/usage/accounts/acme.json"),
            Route::Usage("acme")
        );
        assert_eq!(
            route("/stream/powertrack/accounts/acme/publishers/twitter/prod"),
            Route::NotFound
        );
        assert_eq!(route("/"), Route::NotFound);
    }

    #[test]
    fn query_params() {
        assert_eq!(
            query_param(Some("_method=delete"), "_method"),
            Some("delete")
        );
        assert_eq!(query_param(Some("a=1&_method=get"), "_method"), Some("get"));
        assert_eq!(query_param(None, "_method"), None);
    }
}
