//! The console's HTML, rendered on the server by maud templates (every value escaped by them).
//! Figures carry `data-bind="SOURCE:PATH"` and tables `data-rows="SOURCE:PATH"`, which the
//! console script refreshes from the page's JSON twins (`data-refresh` on `<body>`).

use maud::{DOCTYPE, Markup, html};

use super::views::{ConnectionsView, RulesQuery, RulesView, StatusView, UsageView};

/// The whole page around `body`, refreshed from `refresh` (`{"name":"url",…}`).
fn layout(title: &str, refresh: &str, body: &Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · powertrack" }
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
            }
            body data-refresh=(refresh) {
                header {
                    a.brand href="/status" { "powertrack" }
                    span.title { (title) }
                    span.updated { "updated " time data-updated { "now" } }
                }
                main { (body) }
            }
        }
    }
    .into_string()
}

fn figure(label: &str, bind: &str, value: impl std::fmt::Display) -> Markup {
    html! {
        div.figure {
            div.value data-bind=(bind) { (value) }
            div.label { (label) }
        }
    }
}

fn or_dash(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| v.to_string())
}

/// `GET /status`.
pub fn status(v: &StatusView) -> String {
    let body = html! {
        section {
            h1 { "Service status" }
            p { "Up since " time data-bind="status:up_since" { (v.up_since) } "." }
            div.figures {
                (figure("posts in per second (10 s)", "status:posts_in_per_second.last_10s", v.posts_in_per_second.last_10s))
                (figure("posts in per second (60 s)", "status:posts_in_per_second.last_60s", v.posts_in_per_second.last_60s))
                (figure("match latency p50, ms", "status:match_latency_ms.p50", or_dash(v.match_latency_ms.p50)))
                (figure("match latency p99, ms", "status:match_latency_ms.p99", or_dash(v.match_latency_ms.p99)))
                (figure("batches waiting to be matched", "status:ingest_queue", v.ingest_queue))
                (figure("open connections", "status:connections", v.connections))
                (figure("rules", "status:rules", v.rules))
                (figure("log bytes on disk", "status:log.bytes", v.log.bytes))
            }
            p.note {
                "The firehose log reaches back to "
                time data-bind="status:log.oldest" { (v.log.oldest.as_deref().unwrap_or("—")) }
                "; appends given " span data-bind="status:log.last_seq" { (v.log.last_seq) }
                ", on disk " span data-bind="status:log.durable_seq" { (v.log.durable_seq) } "."
            }
        }
        section #notices {
            h2 { "Notices" }
            ul.notices data-rows="status:notices" data-cols="at,text" data-empty="No notices." {
                @if v.notices.is_empty() {
                    li.empty { "No notices." }
                }
                @for n in &v.notices {
                    li { time { (n.at) } " " span { (n.text) } }
                }
            }
        }
    };
    layout("status", r#"{"status":"/status.json"}"#, &body)
}

fn usage_figures(u: &UsageView) -> Markup {
    html! {
        div.figures {
            (figure("credits used this hour", "usage:credits.used", u.credits.used))
            (figure("credits per hour", "usage:credits.limit", u.credits.limit))
            (figure("credits left", "usage:credits.remaining", u.credits.remaining))
            (figure("posts delivered today", "usage:posts.delivered_today", u.posts.delivered_today))
            (figure("posts per day (cap)", "usage:posts.limit_per_day", u.posts.limit_per_day))
        }
        p.note { "The day ends at " time { (u.posts.day_ends) } "; credits are restored in "
            span data-bind="usage:credits.resets_in_seconds" { (u.credits.resets_in_seconds) } " s." }
    }
}

/// `GET /console/accounts/{account}/`: the account's streams and usage.
pub fn account(u: &UsageView) -> String {
    let body = html! {
        section {
            h1 { "Account " (u.account) }
            (usage_figures(u))
        }
        section {
            h2 { "Streams" }
            div.scroll {
                table {
                    thead { tr { th { "stream" } th.num { "rules" } th.num { "connections" } th.num { "posts today" } } }
                    tbody data-rows="usage:streams" data-cols="label,rules,connections,posts_delivered_today" data-link="label" {
                        @for s in &u.streams {
                            tr {
                                td { a href={ "streams/" (s.label) "/" } { (s.label) } }
                                td.num { (s.rules) }
                                td.num { (s.connections) }
                                td.num { (s.posts_delivered_today) }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(
        &format!("{} · console", u.account),
        r#"{"usage":"usage.json"}"#,
        &body,
    )
}

fn sort_link(q: &RulesQuery, key: &str, label: &str) -> Markup {
    let desc = if q.sort == key {
        !q.desc
    } else {
        key.starts_with("last")
    };
    let mark = match (q.sort == key, q.desc) {
        (true, true) => " ▼",
        (true, false) => " ▲",
        _ => "",
    };
    html! { a href={ "?" (q.with(1, Some((key, desc)))) } { (label) (mark) } }
}

/// `GET /console/accounts/{account}/streams/{label}/`: connections, rules and usage.
pub fn stream(u: &UsageView, c: &ConnectionsView, r: &RulesView, q: &RulesQuery) -> String {
    let stream = u.streams.iter().find(|s| s.label == c.stream);
    let body = html! {
        nav.tabs {
            a href="../../" { "← " (u.account) }
            a href="#connections" { "Connections" }
            a href="#rules" { "Rules" }
            a href="#usage" { "Usage" }
        }
        section #connections {
            h2 { "Connections" }
            p.note { "Every connection of the last 24 hours, newest first; "
                span data-bind="connections:open" { (c.open) } " open now." }
            div.scroll {
                table.connections {
                    thead { tr { th { "opened" } th { "closed" } th { "client" } th { "user agent" } th.num { "posts" } th { "why it ended" } } }
                    tbody data-rows="connections:connections" data-cols="opened,closed,client,user_agent,delivered,reason" data-empty="No connections in the last 24 hours." {
                        @if c.connections.is_empty() {
                            tr.empty { td colspan="6" { "No connections in the last 24 hours." } }
                        }
                        @for k in &c.connections {
                            tr {
                                td { (k.opened) }
                                td { (k.closed.as_deref().unwrap_or("open")) }
                                td { (k.client) }
                                td { (k.user_agent) }
                                td.num { (k.delivered) }
                                td { (k.reason.as_deref().unwrap_or("—")) }
                            }
                        }
                    }
                }
            }
        }
        section #rules {
            h2 { "Rules" }
            p.note {
                span data-bind="rules:live" { (r.live) } " in force, "
                span data-bind="rules:deleted" { (r.deleted) } " deleted in the last 24 hours; "
                span data-bind="rules:total" { (r.total) } " match this view, "
                span data-bind="rules:per_page" { (r.per_page) } " a page."
            }
            form.search method="get" action="#rules" {
                input type="search" name="q" value=(q.q) placeholder="search values, tags, ids";
                select name="state" {
                    @for (v, label) in [("all", "all rules"), ("live", "in force"), ("deleted", "deleted")] {
                        option value=(v) selected[q.state == v] { (label) }
                    }
                }
                input type="hidden" name="sort" value=(q.sort);
                input type="hidden" name="order" value=(if q.desc { "desc" } else { "asc" });
                button type="submit" { "Search" }
            }
            div.scroll {
                table.rules {
                    thead { tr {
                        th { (sort_link(q, "id", "id")) }
                        th { (sort_link(q, "tag", "tag")) }
                        th { (sort_link(q, "value", "value")) }
                        th { (sort_link(q, "added", "added")) }
                        th { (sort_link(q, "deleted", "deleted")) }
                        th.num { (sort_link(q, "last_hour", "posts, 1 h")) }
                        th.num { (sort_link(q, "last_day", "posts, 24 h")) }
                    } }
                    tbody data-rows="rules:rules" data-cols="id_str,tag,value,added,deleted,matched_last_hour,matched_last_day" data-empty="No rules." {
                        @if r.rules.is_empty() {
                            tr.empty { td colspan="7" { "No rules." } }
                        }
                        @for rule in &r.rules {
                            tr.deleted[rule.deleted.is_some()] {
                                td { (rule.id) }
                                td { (rule.tag.as_deref().unwrap_or("—")) }
                                td.value { code { (rule.value) } }
                                td { (rule.added) }
                                td { (rule.deleted.as_deref().unwrap_or("—")) }
                                td.num { (rule.matched_last_hour) }
                                td.num { (rule.matched_last_day) }
                            }
                        }
                    }
                }
            }
            nav.pager {
                @if r.page > 1 {
                    a rel="prev" href={ "?" (q.with(r.page - 1, None)) "#rules" } { "← previous" }
                }
                span { "page " (r.page) " of " (r.pages) }
                @if r.page < r.pages {
                    a rel="next" href={ "?" (q.with(r.page + 1, None)) "#rules" } { "next →" }
                }
            }
        }
        section #usage {
            h2 { "Usage" }
            @if let Some(s) = stream {
                div.figures {
                    (figure("posts this stream delivered today", "usage:streams.?label.posts_delivered_today", s.posts_delivered_today))
                    (figure("rules of this stream", "usage:streams.?label.rules", s.rules))
                }
            }
            (usage_figures(u))
        }
    };
    let refresh = serde_json::json!({
        "connections": "connections.json",
        "rules": format!("rules.json?{}", q.with(q.page, None)),
        "usage": "../../usage.json",
        "label": c.stream,
    })
    .to_string();
    layout(&format!("{} / {}", u.account, c.stream), &refresh, &body)
}
