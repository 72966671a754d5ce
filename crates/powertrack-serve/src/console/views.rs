//! What the console shows, as plain data: built from the server's state, serialised as the
//! JSON twins of the pages, and rendered by [`super::pages`].

use std::collections::HashMap;

use powertrack::api::rfc3339_millis;
use serde::Serialize;

use crate::app::App;
use crate::counts::RuleCount;
use crate::limits::DailyCap;

/// How far back the connection and rule histories reach.
const DAY_MS: u64 = 24 * 3_600_000;
/// Rules per page unless asked otherwise, and the most a page may hold.
pub const PER_PAGE: usize = 50;
const MAX_PER_PAGE: usize = 1000;

/// `/status`.
#[derive(Debug, Serialize)]
pub struct StatusView {
    /// When the server started.
    pub up_since: String,
    /// Seconds since then.
    pub uptime_seconds: u64,
    /// Posts read per second, over the last 10 and 60 seconds.
    pub posts_in_per_second: Rates,
    /// From a batch's arrival to its posts being queued on the connections, over the last
    /// 1,024 batches (`null` before the first).
    pub match_latency_ms: Latency,
    /// The firehose log.
    pub log: LogView,
    /// Batches read but not yet matched.
    pub ingest_queue: usize,
    /// Streams, open connections and rules over every account.
    pub streams: usize,
    /// Open connections.
    pub connections: usize,
    /// Rules.
    pub rules: usize,
    /// The operator's notices, newest first.
    pub notices: Vec<NoticeView>,
    /// When this was produced.
    pub sent: String,
}

/// Posts per second.
#[derive(Debug, Serialize)]
pub struct Rates {
    /// Over the last 10 seconds.
    pub last_10s: f64,
    /// Over the last 60 seconds.
    pub last_60s: f64,
}

/// Match latency percentiles, in milliseconds.
#[derive(Debug, Serialize)]
pub struct Latency {
    /// The median.
    pub p50: Option<f64>,
    /// The 99th percentile.
    pub p99: Option<f64>,
}

/// The log's reach and size.
#[derive(Debug, Serialize)]
pub struct LogView {
    /// The arrival time of the oldest post kept (backfill and recovery reach back to it).
    pub oldest: Option<String>,
    /// Bytes on disk.
    pub bytes: u64,
    /// Sequence numbers given, and on disk under the fsync policy: their difference is what
    /// a crash now could lose before it is acknowledged.
    pub last_seq: u64,
    /// See `last_seq`.
    pub durable_seq: u64,
}

/// An operator notice.
#[derive(Debug, Serialize)]
pub struct NoticeView {
    /// When it was posted.
    pub at: String,
    /// What it says.
    pub text: String,
}

/// The status page's figures.
pub fn status(app: &App, sent: &str) -> StatusView {
    let now = app.clock.now_ms();
    let started = app.status.started_ms();
    let log = app.log.stats();
    let streams = app.registry.streams().len();
    StatusView {
        up_since: rfc3339_millis(started),
        uptime_seconds: now.saturating_sub(started) / 1000,
        posts_in_per_second: Rates {
            last_10s: round1(app.status.posts_per_second(10)),
            last_60s: round1(app.status.posts_per_second(60)),
        },
        match_latency_ms: Latency {
            p50: app.status.latency_ms(0.5).map(round1),
            p99: app.status.latency_ms(0.99).map(round1),
        },
        log: LogView {
            oldest: log.oldest_ms.map(rfc3339_millis),
            bytes: log.disk_bytes,
            last_seq: log.last_seq,
            durable_seq: log.durable_seq,
        },
        ingest_queue: app.ingest.max_capacity() - app.ingest.capacity(),
        streams,
        connections: (0..streams).map(|s| app.hub.count(s)).sum(),
        rules: app.registry.total_rules(),
        notices: app
            .status
            .notices()
            .into_iter()
            .map(|n| NoticeView {
                at: rfc3339_millis(n.at_ms),
                text: n.text,
            })
            .collect(),
        sent: sent.to_owned(),
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// An account's usage.
#[derive(Debug, Serialize)]
pub struct UsageView {
    /// The account.
    pub account: String,
    /// Its credits this hour.
    pub credits: CreditsView,
    /// Its posts today against its daily cap.
    pub posts: PostsView,
    /// Its streams.
    pub streams: Vec<StreamUsage>,
    /// When this was produced.
    pub sent: String,
}

/// Credits this hour.
#[derive(Debug, Serialize)]
pub struct CreditsView {
    /// Per hour.
    pub limit: u64,
    /// Used this hour.
    pub used: u64,
    /// Left this hour.
    pub remaining: u64,
    /// Seconds until the hour's credits are restored.
    pub resets_in_seconds: u64,
}

/// Posts delivered today.
#[derive(Debug, Serialize)]
pub struct PostsView {
    /// The daily cap.
    pub limit_per_day: u64,
    /// Delivered today (UTC).
    pub delivered_today: u64,
    /// When the day ends.
    pub day_ends: String,
}

/// One stream's figures.
#[derive(Debug, Serialize)]
pub struct StreamUsage {
    /// The stream's label.
    pub label: String,
    /// Its rules.
    pub rules: usize,
    /// Its open connections.
    pub connections: usize,
    /// Posts it delivered today (each post once, whatever the connections).
    pub posts_delivered_today: u64,
    /// Posts handed to its connections since the server started (summed over connections).
    pub posts_delivered: u64,
}

/// The usage of account `a` (free: the console costs no credits).
pub fn usage(app: &App, a: usize, sent: &str) -> UsageView {
    let now = app.clock.now_ms();
    let state = &app.accounts[a];
    let quota = state.credits.peek(now);
    UsageView {
        account: state.config.name.clone(),
        credits: CreditsView {
            limit: quota.limit,
            used: quota.limit - quota.remaining,
            remaining: quota.remaining,
            resets_in_seconds: quota.reset_secs,
        },
        posts: PostsView {
            limit_per_day: state.cap.cap(),
            delivered_today: state.cap.delivered(now),
            day_ends: rfc3339_millis(DailyCap::resets_at(now)),
        },
        streams: app
            .registry
            .streams()
            .iter()
            .enumerate()
            .filter(|(_, s)| s.account == a)
            .map(|(i, s)| StreamUsage {
                label: s.label.clone(),
                rules: app.registry.len(i),
                connections: app.hub.count(i),
                posts_delivered_today: app.stream_days[i].delivered(now),
                posts_delivered: app.hub.counters(i).delivered.get(),
            })
            .collect(),
        sent: sent.to_owned(),
    }
}

/// A stream's connections of the last day.
#[derive(Debug, Serialize)]
pub struct ConnectionsView {
    /// The account.
    pub account: String,
    /// The stream's label.
    pub stream: String,
    /// With `?at=T`: only the connections open at T.
    pub at: Option<String>,
    /// Open now.
    pub open: usize,
    /// Newest first.
    pub connections: Vec<ConnectionView>,
    /// When this was produced.
    pub sent: String,
}

/// One connection.
#[derive(Debug, Serialize)]
pub struct ConnectionView {
    /// When it opened.
    pub opened: String,
    /// When it ended (`null`: open).
    pub closed: Option<String>,
    /// The client's address.
    pub client: String,
    /// The client's `User-Agent`.
    pub user_agent: String,
    /// Posts delivered to it (so far, while open).
    pub delivered: u64,
    /// Why it ended: `client closed`, `too many connections`, `could not keep up`,
    /// `shutdown`, or `server stopped` (the server was killed or crashed while it was open).
    pub reason: Option<String>,
}

/// The connection history of `stream`; with `at`, only the connections open at that time.
///
/// # Errors
///
/// When the history cannot be read.
pub fn connections(
    app: &App,
    stream: usize,
    at: Option<u64>,
    sent: &str,
) -> Result<ConnectionsView, String> {
    let now = app.clock.now_ms();
    let spec = &app.registry.streams()[stream];
    let mut records = app
        .registry
        .persist()
        .connections(&spec.key, now.saturating_sub(DAY_MS))
        .map_err(|e| e.to_string())?;
    let live: HashMap<u64, u64> = app
        .hub
        .connections(stream)
        .iter()
        .map(|c| (c.id, c.delivered.load(std::sync::atomic::Ordering::Relaxed)))
        .collect();
    let boot = app.status.started_ms();
    if let Some(t) = at {
        records.retain(|r| r.opened_ms <= t && r.closed_ms.is_none_or(|c| c >= t));
    }
    records.reverse();
    Ok(ConnectionsView {
        account: app.accounts[spec.account].config.name.clone(),
        stream: spec.label.clone(),
        at: at.map(rfc3339_millis),
        open: app.hub.count(stream),
        connections: records
            .into_iter()
            .map(|r| {
                let delivered = match (r.closed_ms, r.boot_ms == boot) {
                    (None, true) => live.get(&r.id).copied().unwrap_or(r.delivered),
                    _ => r.delivered,
                };
                ConnectionView {
                    opened: rfc3339_millis(r.opened_ms),
                    closed: r.closed_ms.map(rfc3339_millis),
                    client: r.addr,
                    user_agent: r.user_agent,
                    delivered,
                    reason: r.reason,
                }
            })
            .collect(),
        sent: sent.to_owned(),
    })
}

/// How the rules view is asked for: `?q=&sort=&order=&page=&per_page=&state=&id=&at=`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulesQuery {
    /// Rules whose value, tag or id contains this (case-insensitive).
    pub q: String,
    /// `id` (creation order), `added`, `deleted`, `value`, `tag`, `last_hour`, `last_day`.
    pub sort: String,
    /// `asc` or `desc`.
    pub desc: bool,
    /// From 1.
    pub page: usize,
    /// Rules per page.
    pub per_page: usize,
    /// `all`, `live` or `deleted`.
    pub state: String,
    /// Only this rule.
    pub id: Option<u64>,
    /// Only the rules that existed at this time (Unix ms).
    pub at: Option<u64>,
}

impl Default for RulesQuery {
    fn default() -> Self {
        RulesQuery {
            q: String::new(),
            sort: "id".into(),
            desc: false,
            page: 1,
            per_page: PER_PAGE,
            state: "all".into(),
            id: None,
            at: None,
        }
    }
}

const SORTS: [&str; 7] = [
    "id",
    "added",
    "deleted",
    "value",
    "tag",
    "last_hour",
    "last_day",
];

impl RulesQuery {
    /// Reads the query string; each bad parameter is refused with a message naming it.
    ///
    /// # Errors
    ///
    /// The message for the first bad parameter.
    pub fn parse(query: &str) -> Result<RulesQuery, String> {
        let mut q = RulesQuery::default();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let bad = || format!("The '{k}' parameter cannot be '{v}'.");
            match k.as_ref() {
                "q" => v.trim().clone_into(&mut q.q),
                "sort" if SORTS.contains(&v.as_ref()) => v.as_ref().clone_into(&mut q.sort),
                "order" if v == "asc" || v == "desc" => q.desc = v == "desc",
                "page" => q.page = v.parse().ok().filter(|&p| p >= 1).ok_or_else(bad)?,
                "per_page" => {
                    q.per_page = v
                        .parse()
                        .ok()
                        .filter(|&n| (1..=MAX_PER_PAGE).contains(&n))
                        .ok_or_else(bad)?;
                }
                "state" if ["all", "live", "deleted"].contains(&v.as_ref()) => {
                    v.as_ref().clone_into(&mut q.state);
                }
                "id" => q.id = Some(v.parse().map_err(|_| bad())?),
                "at" => q.at = Some(parse_at(&v).ok_or_else(bad)?),
                "sort" | "order" | "state" => return Err(bad()),
                _ => {}
            }
        }
        Ok(q)
    }

    /// This query's string with `page` (and `sort`/`order` when given) changed, for links.
    pub fn with(&self, page: usize, sort: Option<(&str, bool)>) -> String {
        let (sort, desc) = sort.unwrap_or((&self.sort, self.desc));
        let mut s = form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            s.append_pair("q", &self.q);
        }
        s.append_pair("sort", sort);
        s.append_pair("order", if desc { "desc" } else { "asc" });
        if self.state != "all" {
            s.append_pair("state", &self.state);
        }
        if self.per_page != PER_PAGE {
            s.append_pair("per_page", &self.per_page.to_string());
        }
        s.append_pair("page", &page.to_string());
        s.finish()
    }
}

fn parse_at(v: &str) -> Option<u64> {
    powertrack::api::parse_seconds_utc(v.trim())
}

/// The `at` parameter of a query string (`YYYY-MM-DDTHH:MM:SSZ`).
///
/// # Errors
///
/// A message when it is there but not such a time.
pub fn at_param(query: &str) -> Result<Option<u64>, String> {
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if k == "at" {
            return parse_at(&v)
                .map(Some)
                .ok_or_else(|| format!("The 'at' parameter cannot be '{v}'."));
        }
    }
    Ok(None)
}

/// A page of a stream's rules.
#[derive(Debug, Serialize)]
pub struct RulesView {
    /// The account.
    pub account: String,
    /// The stream's label.
    pub stream: String,
    /// Rules in force now.
    pub live: usize,
    /// Rules deleted in the last day.
    pub deleted: usize,
    /// Rules that pass the query's filters.
    pub total: usize,
    /// This page (from 1).
    pub page: usize,
    /// Rules per page.
    pub per_page: usize,
    /// Pages in all.
    pub pages: usize,
    /// The page's rules.
    pub rules: Vec<RuleView>,
    /// When this was produced.
    pub sent: String,
}

/// One rule.
#[derive(Clone, Debug, Serialize)]
pub struct RuleView {
    /// Its id.
    pub id: u64,
    /// Its id as a string (as the Rules API gives both).
    pub id_str: String,
    /// Its value.
    pub value: String,
    /// Its tag.
    pub tag: Option<String>,
    /// When it was added.
    pub added: String,
    /// When it was deleted (`null`: in force).
    pub deleted: Option<String>,
    /// Posts it matched in the last hour (5-minute resolution) and the last day (hourly).
    pub matched_last_hour: u64,
    /// See `matched_last_hour`.
    pub matched_last_day: u64,
}

/// A page of the rules of `stream`, live and deleted in the last day, filtered, sorted and
/// paged as `query` asks.
///
/// # Errors
///
/// When the rule history cannot be read.
pub fn rules(
    app: &App,
    stream: usize,
    query: &RulesQuery,
    sent: &str,
) -> Result<RulesView, String> {
    let now = app.clock.now_ms();
    let spec = &app.registry.streams()[stream];
    // Every rule's counts only when they order the rows; otherwise the page's alone, below.
    // Either is taken apart from the rules, so the two locks are never held together.
    let by_count = matches!(query.sort.as_str(), "last_hour" | "last_day");
    let counts = if by_count {
        app.counts.of_stream(stream, now)
    } else {
        HashMap::new()
    };
    let count = |id: u64| counts.get(&id).copied().unwrap_or_default();
    let deleted_rules = app
        .registry
        .deleted_since(stream, now.saturating_sub(DAY_MS))
        .map_err(|e| e.to_string())?;
    let deleted = deleted_rules.len();
    let live = app.registry.len(stream);
    let needle = Needle::new(&query.q);
    let keep = |id: u64, value: &str, tag: Option<&str>, added_ms: u64, deleted_ms: Option<u64>| {
        query.id.is_none_or(|want| want == id)
            && query
                .at
                .is_none_or(|t| added_ms <= t && deleted_ms.is_none_or(|d| d > t))
            && needle.found(id, value, tag)
    };
    // Rows borrow the rules and carry their sort keys; only the page's are copied out.
    let (total, mut page) = app.registry.with_rules(stream, query.id, |live_rules| {
        let mut rows: Vec<Row<'_>> = Vec::new();
        if query.state != "deleted" {
            rows.extend(
                live_rules
                    .filter(|r| keep(r.id, r.value, r.tag, r.created_ms, None))
                    .map(|r| Row {
                        id: r.id,
                        value: r.value,
                        tag: r.tag,
                        added_ms: r.created_ms,
                        deleted_ms: None,
                        count: count(r.id),
                    }),
            );
        }
        if query.state != "live" {
            rows.extend(
                deleted_rules
                    .iter()
                    .filter(|r| keep(r.id, &r.value, r.tag.as_deref(), r.created_ms, r.deleted_ms))
                    .map(|r| Row {
                        id: r.id,
                        value: &r.value,
                        tag: r.tag.as_deref(),
                        added_ms: r.created_ms,
                        deleted_ms: r.deleted_ms,
                        count: count(r.id),
                    }),
            );
        }
        // Every order ends in the id, so pages are stable; the rows come in id order, which
        // the (stable, run-detecting) sort keeps at the cost of one pass.
        match query.sort.as_str() {
            "added" => rows.sort_by_key(|r| (r.added_ms, r.id)),
            "deleted" => rows.sort_by_key(|r| (r.deleted_ms, r.id)),
            "value" => rows.sort_by(|a, b| a.value.cmp(b.value).then(a.id.cmp(&b.id))),
            "tag" => rows.sort_by(|a, b| a.tag.cmp(&b.tag).then(a.id.cmp(&b.id))),
            "last_hour" => rows.sort_by_key(|r| (r.count.last_hour, r.id)),
            "last_day" => rows.sort_by_key(|r| (r.count.last_day, r.id)),
            _ => rows.sort_by_key(|r| r.id),
        }
        if query.desc {
            rows.reverse();
        }
        let total = rows.len();
        let start = (query.page - 1).saturating_mul(query.per_page).min(total);
        let end = (start + query.per_page).min(total);
        let page: Vec<RuleView> = rows[start..end]
            .iter()
            .map(|r| RuleView {
                id: r.id,
                id_str: r.id.to_string(),
                value: r.value.to_owned(),
                tag: r.tag.map(String::from),
                added: rfc3339_millis(r.added_ms),
                deleted: r.deleted_ms.map(rfc3339_millis),
                matched_last_hour: r.count.last_hour,
                matched_last_day: r.count.last_day,
            })
            .collect();
        (total, page)
    });
    if !by_count {
        let ids: Vec<u64> = page.iter().map(|r| r.id).collect();
        for (r, c) in page.iter_mut().zip(app.counts.of_rules(stream, &ids, now)) {
            r.matched_last_hour = c.last_hour;
            r.matched_last_day = c.last_day;
        }
    }
    Ok(RulesView {
        account: app.accounts[spec.account].config.name.clone(),
        stream: spec.label.clone(),
        live,
        deleted,
        total,
        page: query.page,
        per_page: query.per_page,
        pages: total.div_ceil(query.per_page).max(1),
        rules: page,
        sent: sent.to_owned(),
    })
}

/// A rule on its way to a page: borrowed, with its sort keys at hand.
struct Row<'a> {
    id: u64,
    value: &'a str,
    tag: Option<&'a str>,
    added_ms: u64,
    deleted_ms: Option<u64>,
    /// Filled only when the rows are sorted by it.
    count: RuleCount,
}

/// The rules view's search text, matched case-insensitively against a rule's value, tag and
/// id. An ASCII one (as searches almost always are) costs no allocation per rule: the text is
/// folded into a buffer kept between rules and searched with a prebuilt searcher.
struct Needle {
    lower: String,
    ascii: Option<memchr::memmem::Finder<'static>>,
    folded: std::cell::RefCell<Vec<u8>>,
    digits: bool,
}

impl Needle {
    fn new(q: &str) -> Needle {
        let lower = q.to_lowercase();
        Needle {
            ascii: (lower.is_ascii() && !lower.is_empty())
                .then(|| memchr::memmem::Finder::new(lower.as_bytes()).into_owned()),
            folded: std::cell::RefCell::default(),
            digits: !lower.is_empty() && lower.bytes().all(|b| b.is_ascii_digit()),
            lower,
        }
    }

    fn in_text(&self, text: &str) -> bool {
        match &self.ascii {
            Some(finder) => {
                let mut folded = self.folded.borrow_mut();
                folded.clear();
                folded.extend(text.bytes().map(|b| b.to_ascii_lowercase()));
                finder.find(&folded).is_some()
            }
            None => text.to_lowercase().contains(&self.lower),
        }
    }

    fn found(&self, id: u64, value: &str, tag: Option<&str>) -> bool {
        self.lower.is_empty()
            || self.in_text(value)
            || tag.is_some_and(|t| self.in_text(t))
            || (self.digits && id.to_string().contains(&self.lower))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_ignore_case_in_values_tags_and_ids() {
        let n = Needle::new("SnOw");
        assert!(n.found(1, "snow OR rain", None));
        assert!(n.found(1, "#SNOWDAY", None));
        assert!(n.found(1, "rain", Some("Snowfall")));
        assert!(!n.found(1, "rain", Some("sun")));
        assert!(!n.found(1, "sno w", None));
        let accented = Needle::new("ÉTÉ");
        assert!(accented.found(1, "l'été", None));
        assert!(!accented.found(1, "ete", None));
        let id = Needle::new("4242");
        assert!(id.found(142_420, "x", None));
        assert!(!id.found(4_24, "x", None));
        assert!(Needle::new("").found(1, "anything", None));
    }

    #[test]
    fn rules_queries_parse_and_refuse_with_the_parameter_named() {
        let q = RulesQuery::parse(
            "q=Snow%20Day&sort=last_hour&order=desc&page=2&per_page=10&at=2026-12-07T10%3A00%3A00Z",
        )
        .unwrap();
        assert_eq!(q.q, "Snow Day");
        assert_eq!(
            (q.sort.as_str(), q.desc, q.page, q.per_page),
            ("last_hour", true, 2, 10)
        );
        assert_eq!(q.at, Some(1_796_637_600_000));
        assert_eq!(RulesQuery::parse("").unwrap(), RulesQuery::default());
        assert_eq!(
            RulesQuery::parse("page=0").unwrap_err(),
            "The 'page' parameter cannot be '0'."
        );
        assert_eq!(
            RulesQuery::parse("sort=colour").unwrap_err(),
            "The 'sort' parameter cannot be 'colour'."
        );
        assert_eq!(
            at_param("at=yesterday").unwrap_err(),
            "The 'at' parameter cannot be 'yesterday'."
        );
        assert_eq!(
            q.with(3, None),
            "q=Snow+Day&sort=last_hour&order=desc&per_page=10&page=3"
        );
    }
}
