//! The console: a public status page (`/status`), and for each account, behind its Basic
//! auth, a page per stream with its connection history, its rules (with when each was added or
//! deleted and how many posts it matched) and its usage. Every page has a JSON twin, so scripts
//! can ask "was I connected at T" and "did rule R exist at T" (`docs/service.md`, "Console").
//!
//! The views are built here from the server's state ([`views`]), rendered by [`pages`] (maud
//! templates), and refreshed in the browser by a small script that reads the JSON twins.

pub mod pages;
pub mod views;

use std::net::SocketAddr;

use base64::Engine as _;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::app::App;
use crate::messages as msg;
use crate::respond::{Resp, error, full, json};
use crate::sessions::{COOKIE, SESSION_MS, session_token};

/// The console's stylesheet.
const CSS: &str = include_str!("assets/console.css");
/// The console's script: refreshes the figures from the JSON twins.
const JS: &str = include_str!("assets/console.js");

/// A console path.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Page<'a> {
    /// `/status` (`.json`: the JSON twin).
    Status { json: bool },
    /// `/console/`: sends an account to its own page.
    Home,
    /// `/console/assets/{name}`.
    Asset(&'a str),
    /// `/console/accounts/{account}/`.
    Account(&'a str),
    /// `/console/accounts/{account}/usage.json`.
    Usage(&'a str),
    /// `/console/accounts/{account}/streams/{label}/`.
    Stream(&'a str, &'a str),
    /// `/console/accounts/{account}/streams/{label}/connections.json`.
    Connections(&'a str, &'a str),
    /// `/console/accounts/{account}/streams/{label}/rules.json`.
    Rules(&'a str, &'a str),
}

/// The console page `segs` (the path's segments) names, if any.
pub(crate) fn route<'a>(segs: &[&'a str]) -> Option<Page<'a>> {
    Some(match segs {
        ["status"] => Page::Status { json: false },
        ["status.json"] => Page::Status { json: true },
        ["console"] | ["console", ""] => Page::Home,
        ["console", "assets", name] => Page::Asset(name),
        ["console", "accounts", a] | ["console", "accounts", a, ""] => Page::Account(a),
        ["console", "accounts", a, "usage.json"] => Page::Usage(a),
        ["console", "accounts", a, "streams", l] | ["console", "accounts", a, "streams", l, ""] => {
            Page::Stream(a, l)
        }
        ["console", "accounts", a, "streams", l, "connections.json"] => Page::Connections(a, l),
        ["console", "accounts", a, "streams", l, "rules.json"] => Page::Rules(a, l),
        _ => return None,
    })
}

fn html(body: String) -> Resp {
    let mut r = Response::new(full(body));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn asset(name: &str) -> Option<Resp> {
    let (body, kind) = match name {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return None,
    };
    let mut r = Response::new(full(body));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    Some(r)
}

fn wants_json(req: &Request<Incoming>) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| {
            let json = a.find("application/json");
            let html = a.find("text/html");
            json.is_some() && html.is_none_or(|h| json < Some(h))
        })
}

/// The user name of the request's Basic credentials.
fn basic_user(req: &Request<Incoming>) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.strip_prefix("Basic ")?.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    Some(text.split_once(':')?.0.to_owned())
}

impl App {
    /// Answers a console or status request.
    pub(crate) async fn console(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
        page: Page<'_>,
        sent: &str,
    ) -> Resp {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return error(
                StatusCode::METHOD_NOT_ALLOWED,
                msg::METHOD_NOT_ALLOWED,
                sent,
            );
        }
        match page {
            Page::Status { json: as_json } => {
                let view = views::status(self, sent);
                if as_json || wants_json(&req) {
                    json(
                        StatusCode::OK,
                        serde_json::to_string(&view).unwrap_or_default(),
                    )
                } else {
                    html(pages::status(&view))
                }
            }
            Page::Asset(name) => {
                asset(name).unwrap_or_else(|| error(StatusCode::NOT_FOUND, msg::NOT_FOUND, sent))
            }
            Page::Home => {
                // The browser asks for credentials, then lands on its account's page.
                let Some(user) = basic_user(&req) else {
                    return Self::console_unauthorized(sent);
                };
                match self.console_auth(&req, peer, &user, sent).await {
                    Ok((_, cookie)) => {
                        let mut r = Response::new(full(""));
                        *r.status_mut() = StatusCode::SEE_OTHER;
                        if let Ok(to) = HeaderValue::from_str(&format!("/console/accounts/{user}/"))
                        {
                            r.headers_mut().insert(header::LOCATION, to);
                        }
                        with_cookie(r, cookie)
                    }
                    Err(r) => r,
                }
            }
            Page::Account(account) => match self.console_auth(&req, peer, account, sent).await {
                Ok((a, cookie)) => {
                    with_cookie(html(pages::account(&views::usage(self, a, sent))), cookie)
                }
                Err(r) => r,
            },
            Page::Usage(account) => match self.console_auth(&req, peer, account, sent).await {
                Ok((a, cookie)) => with_cookie(
                    json(
                        StatusCode::OK,
                        serde_json::to_string(&views::usage(self, a, sent)).unwrap_or_default(),
                    ),
                    cookie,
                ),
                Err(r) => r,
            },
            Page::Stream(account, label)
            | Page::Connections(account, label)
            | Page::Rules(account, label) => {
                let (a, cookie) = match self.console_auth(&req, peer, account, sent).await {
                    Ok(found) => found,
                    Err(r) => return r,
                };
                let Some(stream) = self.registry.stream_index(account, label) else {
                    return error(StatusCode::NOT_FOUND, msg::NOT_FOUND, sent);
                };
                let query = req.uri().query().unwrap_or("");
                let rules_query = match views::RulesQuery::parse(query) {
                    Ok(q) => q,
                    Err(message) => return error(StatusCode::BAD_REQUEST, &message, sent),
                };
                let at = match views::at_param(query) {
                    Ok(at) => at,
                    Err(message) => return error(StatusCode::BAD_REQUEST, &message, sent),
                };
                let connections = || views::connections(self, stream, at, sent);
                let rules = || views::rules(self, stream, &rules_query, sent);
                let body = |v: Result<String, String>| match v {
                    Ok(body) => json(StatusCode::OK, body),
                    Err(e) => {
                        tracing::error!(error = %e, "the console cannot read the history");
                        error(StatusCode::SERVICE_UNAVAILABLE, msg::INTERNAL, sent)
                    }
                };
                let resp = match page {
                    Page::Connections(..) => body(
                        connections()
                            .and_then(|v| serde_json::to_string(&v).map_err(|e| e.to_string())),
                    ),
                    Page::Rules(..) => body(
                        rules().and_then(|v| serde_json::to_string(&v).map_err(|e| e.to_string())),
                    ),
                    _ => match (connections(), rules()) {
                        (Ok(c), Ok(r)) => html(pages::stream(
                            &views::usage(self, a, sent),
                            &c,
                            &r,
                            &rules_query,
                        )),
                        (Err(e), _) | (_, Err(e)) => body(Err(e)),
                    },
                };
                with_cookie(resp, cookie)
            }
        }
    }

    fn console_unauthorized(sent: &str) -> Resp {
        let mut r = error(StatusCode::UNAUTHORIZED, msg::UNAUTHORIZED, sent);
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"powertrack\""),
        );
        r
    }

    /// The account whose console this is, if the request's session or credentials are its
    /// own, with a new session's cookie when credentials were given. The right credentials
    /// (or session) of another account are refused with 403: one account never sees another's.
    async fn console_auth(
        &self,
        req: &Request<Incoming>,
        peer: SocketAddr,
        account: &str,
        sent: &str,
    ) -> Result<(usize, Option<String>), Resp> {
        let now = self.clock.now_ms();
        let wanted = self.accounts.iter().position(|a| a.config.name == account);
        let forbidden = || error(StatusCode::FORBIDDEN, msg::CONSOLE_FORBIDDEN, sent);
        if let Some(session) = session_token(req).and_then(|t| self.sessions.account(&t, now))
            && req.headers().get(header::AUTHORIZATION).is_none()
        {
            return if Some(session) == wanted {
                Ok((session, None))
            } else {
                Err(forbidden())
            };
        }
        let a = match basic_user(req) {
            Some(user)
                if user != account && self.accounts.iter().any(|a| a.config.name == user) =>
            {
                return match self.authenticate(req, peer, &user, sent).await {
                    Ok(_) => Err(forbidden()),
                    Err(r) => Err(r),
                };
            }
            _ => self.authenticate(req, peer, account, sent).await?,
        };
        let cookie = self.sessions.open(a, now).map(|token| {
            format!(
                "{COOKIE}={token}; Path=/console/; Max-Age={}; HttpOnly; SameSite=Strict",
                SESSION_MS / 1000
            )
        });
        Ok((a, cookie))
    }
}

/// `r` with the session cookie set, when there is one.
fn with_cookie(mut r: Resp, cookie: Option<String>) -> Resp {
    if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_paths_route() {
        let r = |p: &'static str| {
            let segs: Vec<&str> = p.trim_start_matches('/').split('/').collect();
            route(&segs)
        };
        assert_eq!(r("/status"), Some(Page::Status { json: false }));
        assert_eq!(r("/status.json"), Some(Page::Status { json: true }));
        assert_eq!(r("/console/"), Some(Page::Home));
        assert_eq!(r("/console/accounts/demo/"), Some(Page::Account("demo")));
        assert_eq!(
            r("/console/accounts/demo/usage.json"),
            Some(Page::Usage("demo"))
        );
        assert_eq!(
            r("/console/accounts/demo/streams/prod/"),
            Some(Page::Stream("demo", "prod"))
        );
        assert_eq!(
            r("/console/accounts/demo/streams/prod/rules.json"),
            Some(Page::Rules("demo", "prod"))
        );
        assert_eq!(
            r("/console/accounts/demo/streams/prod/connections.json"),
            Some(Page::Connections("demo", "prod"))
        );
        assert_eq!(r("/console/accounts/demo/streams/prod/x.json"), None);
        assert_eq!(r("/consoles"), None);
    }
}
