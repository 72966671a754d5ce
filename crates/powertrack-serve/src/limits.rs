//! What an account may spend: credits per hour, requests and connections per minute, failed
//! logins per minute, posts per day.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

const HOUR_MS: u64 = 3_600_000;
const MINUTE_MS: u64 = 60_000;
const DAY_MS: u64 = 86_400_000;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An account's credit balance after (or instead of) a charge, for the `X-RateLimit-*`
/// headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// Credits per hour.
    pub limit: u64,
    /// Credits left this hour.
    pub remaining: u64,
    /// What the request cost (or would have).
    pub cost: u64,
    /// Seconds until the hour renews.
    pub reset_secs: u64,
}

#[derive(Debug, Default)]
struct Window {
    start_ms: Option<u64>,
    used: u64,
}

/// Credits per hour, the hour counted from the account's first call in it (`DataSift`'s model).
#[derive(Debug)]
pub struct Credits {
    limit: u64,
    window: Mutex<Window>,
}

impl Credits {
    /// `limit` credits an hour.
    pub fn new(limit: u64) -> Credits {
        Credits {
            limit,
            window: Mutex::new(Window::default()),
        }
    }

    /// Charges `cost` credits at `now_ms`: `Err` (nothing charged) when fewer are left.
    ///
    /// ```
    /// use powertrack_serve::limits::Credits;
    ///
    /// let credits = Credits::new(10);
    /// assert_eq!(credits.charge(0, 5).unwrap().remaining, 5);
    /// assert_eq!(credits.charge(1_000, 5).unwrap().remaining, 0);
    /// assert!(credits.charge(2_000, 1).is_err());
    /// assert_eq!(credits.charge(3_600_000, 1).unwrap().remaining, 9); // a new hour
    /// ```
    pub fn charge(&self, now_ms: u64, cost: u64) -> Result<Quota, Quota> {
        let mut w = lock(&self.window);
        let start = match w.start_ms {
            Some(s) if now_ms < s + HOUR_MS => s,
            _ => {
                w.used = 0;
                w.start_ms = Some(now_ms);
                now_ms
            }
        };
        let reset_secs = (start + HOUR_MS).saturating_sub(now_ms).div_ceil(1000);
        let remaining = self.limit.saturating_sub(w.used);
        if remaining < cost {
            return Err(Quota {
                limit: self.limit,
                remaining,
                cost,
                reset_secs,
            });
        }
        w.used += cost;
        Ok(Quota {
            limit: self.limit,
            remaining: remaining - cost,
            cost,
            reset_secs,
        })
    }

    /// The balance at `now_ms`, without charging.
    pub fn peek(&self, now_ms: u64) -> Quota {
        let w = lock(&self.window);
        match w.start_ms {
            Some(s) if now_ms < s + HOUR_MS => Quota {
                limit: self.limit,
                remaining: self.limit.saturating_sub(w.used),
                cost: 0,
                reset_secs: (s + HOUR_MS).saturating_sub(now_ms).div_ceil(1000),
            },
            _ => Quota {
                limit: self.limit,
                remaining: self.limit,
                cost: 0,
                reset_secs: HOUR_MS / 1000,
            },
        }
    }
}

/// At most `limit` events in any 60 seconds.
#[derive(Debug)]
pub struct PerMinute {
    limit: usize,
    times: Mutex<VecDeque<u64>>,
}

impl PerMinute {
    /// `limit` a minute.
    pub fn new(limit: usize) -> PerMinute {
        PerMinute {
            limit,
            times: Mutex::new(VecDeque::new()),
        }
    }

    /// Counts an event at `now_ms`; false (not counted) when the minute is full.
    ///
    /// ```
    /// let limit = powertrack_serve::limits::PerMinute::new(2);
    /// assert!(limit.allow(0) && limit.allow(10));
    /// assert!(!limit.allow(59_999));
    /// assert!(limit.allow(60_000));
    /// ```
    pub fn allow(&self, now_ms: u64) -> bool {
        let mut t = lock(&self.times);
        while t.front().is_some_and(|&f| f + MINUTE_MS <= now_ms) {
            t.pop_front();
        }
        if t.len() >= self.limit {
            return false;
        }
        t.push_back(now_ms);
        true
    }
}

/// Failed logins per client address: at most `limit` a minute, then refused until the minute
/// has passed.
#[derive(Debug)]
pub struct Logins {
    limit: usize,
    failures: Mutex<HashMap<IpAddr, VecDeque<u64>>>,
}

impl Logins {
    /// `limit` failures a minute per address.
    pub fn new(limit: usize) -> Logins {
        Logins {
            limit,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `ip` has used up its failures.
    pub fn blocked(&self, ip: IpAddr, now_ms: u64) -> bool {
        let mut f = lock(&self.failures);
        let Some(times) = f.get_mut(&ip) else {
            return false;
        };
        while times.front().is_some_and(|&t| t + MINUTE_MS <= now_ms) {
            times.pop_front();
        }
        if times.is_empty() {
            f.remove(&ip);
            return false;
        }
        times.len() >= self.limit
    }

    /// Counts a failure.
    pub fn failed(&self, ip: IpAddr, now_ms: u64) {
        let mut f = lock(&self.failures);
        if f.len() > 100_000 {
            // Bounded memory under a scan from many addresses: forget the oldest minute.
            f.retain(|_, t| t.back().is_some_and(|&b| b + MINUTE_MS > now_ms));
        }
        f.entry(ip).or_default().push_back(now_ms);
    }
}

/// What a post may do against an account's daily cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Take {
    /// Deliver it.
    Deliver,
    /// Not delivered: the cap was reached just now (tell the account's streams once).
    JustReached,
    /// Not delivered: the cap was reached earlier today.
    Over,
}

#[derive(Debug, Default)]
#[allow(clippy::struct_field_names)] // `day.day`: the UTC day number of the current day
struct Day {
    day: u64,
    delivered: u64,
    reached: bool,
}

/// Posts delivered per UTC day, over all of an account's streams (each post counted once per
/// stream, whatever its number of connections: redundant connections are not billed twice).
#[derive(Debug)]
pub struct DailyCap {
    cap: u64,
    day: Mutex<Day>,
}

impl DailyCap {
    /// `cap` posts a day.
    pub fn new(cap: u64) -> DailyCap {
        DailyCap {
            cap,
            day: Mutex::new(Day::default()),
        }
    }

    /// The cap.
    pub fn cap(&self) -> u64 {
        self.cap
    }

    /// Takes one post from today's allowance.
    ///
    /// ```
    /// use powertrack_serve::limits::{DailyCap, Take};
    ///
    /// let cap = DailyCap::new(1);
    /// assert_eq!(cap.take(0), Take::Deliver);
    /// assert_eq!(cap.take(1), Take::JustReached);
    /// assert_eq!(cap.take(2), Take::Over);
    /// assert_eq!(cap.take(86_400_000), Take::Deliver); // the next UTC day
    /// ```
    pub fn take(&self, now_ms: u64) -> Take {
        let mut d = lock(&self.day);
        let today = now_ms / DAY_MS;
        if d.day != today {
            *d = Day {
                day: today,
                ..Day::default()
            };
        }
        if d.delivered < self.cap {
            d.delivered += 1;
            Take::Deliver
        } else if d.reached {
            Take::Over
        } else {
            d.reached = true;
            Take::JustReached
        }
    }

    /// Whether today's cap has been reached, at `now_ms`.
    pub fn reached(&self, now_ms: u64) -> bool {
        let d = lock(&self.day);
        d.day == now_ms / DAY_MS && d.delivered >= self.cap
    }

    /// Posts delivered today, at `now_ms`.
    pub fn delivered(&self, now_ms: u64) -> u64 {
        let d = lock(&self.day);
        if d.day == now_ms / DAY_MS {
            d.delivered
        } else {
            0
        }
    }

    /// When today ends (Unix ms).
    pub fn resets_at(now_ms: u64) -> u64 {
        (now_ms / DAY_MS + 1) * DAY_MS
    }
}
