//! Console sessions: once a browser has given an account's password (Basic auth), the console
//! sets a cookie that lets the page's script read the JSON twins, since browsers do not send
//! credentials given in a URL with the requests a script makes.

use std::collections::HashMap;
use std::sync::Mutex;

use http::Request;
use http::header;
use hyper::body::Incoming;

/// The cookie of a console session.
pub(crate) const COOKIE: &str = "powertrack_console";
/// How long a console session lasts.
pub(crate) const SESSION_MS: u64 = 12 * 3_600_000;
/// The most sessions kept (the oldest is dropped past it).
const MAX_SESSIONS: usize = 4096;

/// Console sessions. A session is good for one
/// account, for the console only (never the Rules API or the stream), for 12 hours.
#[derive(Debug, Default)]
pub struct Sessions {
    by_token: Mutex<HashMap<String, (usize, u64)>>,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (usize, u64)>> {
        self.by_token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new session for `account`: its token, or `None` when the system has no randomness.
    pub(crate) fn open(&self, account: usize, now_ms: u64) -> Option<String> {
        let mut bytes = [0u8; 16];
        getrandom::getrandom(&mut bytes).ok()?;
        let token = bytes.iter().fold(String::with_capacity(32), |mut t, b| {
            let _ = std::fmt::Write::write_fmt(&mut t, format_args!("{b:02x}"));
            t
        });
        let mut map = self.lock();
        map.retain(|_, (_, expires)| *expires > now_ms);
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map.iter().min_by_key(|(_, v)| v.1).map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(token.clone(), (account, now_ms + SESSION_MS));
        Some(token)
    }

    /// The account of a live session.
    pub(crate) fn account(&self, token: &str, now_ms: u64) -> Option<usize> {
        self.lock()
            .get(token)
            .filter(|(_, expires)| *expires > now_ms)
            .map(|(a, _)| *a)
    }
}

/// The session token the request's cookie carries.
pub(crate) fn session_token(req: &Request<Incoming>) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (name, value) = c.trim().split_once('=')?;
            (name == COOKIE).then(|| value.to_owned())
        })
}
