//! The service's state for its public status page: up since when, posts in per second, match
//! latency, the firehose log's reach and backlog, and the operator's notices (given on the
//! command line, or in a file the server rereads when it changes).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::SystemTime;

/// Batch latencies kept for the percentiles.
const LATENCIES: usize = 1024;
/// Per-second samples of the posts-in counter kept for the rates.
const SAMPLES: usize = 61;

/// An operator notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// When it was posted (Unix ms).
    pub at_ms: u64,
    /// What it says.
    pub text: String,
}

#[derive(Debug, Default)]
struct NoticeFile {
    modified: Option<SystemTime>,
    notices: Vec<Notice>,
}

/// What the status page shows, kept up to date by the server.
#[derive(Debug)]
pub struct ServiceStatus {
    started_ms: u64,
    given: Vec<Notice>,
    file: Option<PathBuf>,
    from_file: Mutex<NoticeFile>,
    samples: Mutex<VecDeque<(u64, u64)>>,
    latencies: Mutex<VecDeque<f64>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl ServiceStatus {
    /// The status of a server started at `started_ms`, with the operator's notices.
    pub fn new(started_ms: u64, notices: &[String], file: Option<PathBuf>) -> ServiceStatus {
        let status = ServiceStatus {
            started_ms,
            given: notices
                .iter()
                .filter(|t| !t.trim().is_empty())
                .map(|t| Notice {
                    at_ms: started_ms,
                    text: t.trim().to_owned(),
                })
                .collect(),
            file,
            from_file: Mutex::default(),
            samples: Mutex::default(),
            latencies: Mutex::default(),
        };
        status.reread(started_ms);
        status
    }

    /// When the server started (Unix ms).
    pub fn started_ms(&self) -> u64 {
        self.started_ms
    }

    /// Called every second: samples the posts-in counter and rereads the notice file if it
    /// changed.
    pub fn tick(&self, now_ms: u64, posts_in: u64) {
        let mut s = lock(&self.samples);
        s.push_back((now_ms, posts_in));
        while s.len() > SAMPLES {
            s.pop_front();
        }
        drop(s);
        self.reread(now_ms);
    }

    /// Posts in per second over the last `seconds` (or as much of them as has been sampled).
    pub fn posts_per_second(&self, seconds: u64) -> f64 {
        let s = lock(&self.samples);
        let Some(&(t1, n1)) = s.back() else {
            return 0.0;
        };
        let Some(&(t0, n0)) = s.iter().find(|(t, _)| t1 - t <= seconds * 1000) else {
            return 0.0;
        };
        if t1 <= t0 {
            return 0.0;
        }
        #[allow(clippy::cast_precision_loss)]
        let rate = (n1 - n0) as f64 * 1000.0 / (t1 - t0) as f64;
        rate
    }

    /// Records one batch's match latency (arrival to queued on the connections), in seconds.
    pub fn record_latency(&self, seconds: f64) {
        let mut l = lock(&self.latencies);
        l.push_back(seconds);
        while l.len() > LATENCIES {
            l.pop_front();
        }
    }

    /// The `q` quantile (0 to 1) of the recent batches' match latency, in milliseconds.
    pub fn latency_ms(&self, q: f64) -> Option<f64> {
        let mut v: Vec<f64> = lock(&self.latencies).iter().copied().collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((v.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
        Some(v[i] * 1000.0)
    }

    /// The notices, newest first.
    pub fn notices(&self) -> Vec<Notice> {
        let mut all = self.given.clone();
        all.extend(lock(&self.from_file).notices.iter().cloned());
        all.sort_by_key(|n| std::cmp::Reverse(n.at_ms));
        all
    }

    fn reread(&self, now_ms: u64) {
        let Some(path) = &self.file else {
            return;
        };
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let mut f = lock(&self.from_file);
        if modified == f.modified {
            return;
        }
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let previous = std::mem::take(&mut f.notices);
        f.notices = parse_notices(&text, now_ms, &previous);
        f.modified = modified;
    }
}

/// The notices of a notice file: a line may begin with an RFC 3339 time (whole seconds, UTC);
/// otherwise it keeps the time it had in `previous`, or is dated `now_ms`.
fn parse_notices(text: &str, now_ms: u64, previous: &[Notice]) -> Vec<Notice> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let dated = line.split_once(' ').and_then(|(first, rest)| {
                powertrack::api::parse_seconds_utc(first).map(|ms| (ms, rest.trim()))
            });
            match dated {
                Some((at_ms, text)) => Notice {
                    at_ms,
                    text: text.to_owned(),
                },
                None => Notice {
                    at_ms: previous
                        .iter()
                        .find(|n| n.text == line)
                        .map_or(now_ms, |n| n.at_ms),
                    text: line.to_owned(),
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_lines_are_dated_by_their_time_or_when_first_read() {
        let first = parse_notices(
            "# maintenance notes\n\n2026-12-07T14:00:00Z Maintenance at 15:00\nStreams may lag\n",
            1_000,
            &[],
        );
        assert_eq!(
            first,
            [
                Notice {
                    at_ms: 1_796_652_000_000,
                    text: "Maintenance at 15:00".into()
                },
                Notice {
                    at_ms: 1_000,
                    text: "Streams may lag".into()
                },
            ]
        );
        // Reread later: an undated line keeps its first time; a new one gets the new time.
        let again = parse_notices("Streams may lag\nAll clear\n", 9_000, &first);
        assert_eq!(again[0].at_ms, 1_000);
        assert_eq!(again[1].at_ms, 9_000);
    }

    #[test]
    fn rates_and_latencies() {
        let s = ServiceStatus::new(0, &["hello".into()], None);
        assert!(s.posts_per_second(10).abs() < 1e-9);
        for i in 0..=10 {
            s.tick(i * 1000, i * 500);
        }
        assert!((s.posts_per_second(10) - 500.0).abs() < 1e-9);
        assert_eq!(s.latency_ms(0.5), None);
        for ms in 1..=100 {
            s.record_latency(f64::from(ms) / 1000.0);
        }
        assert!((s.latency_ms(0.99).unwrap() - 99.0).abs() < 1.01);
        assert_eq!(s.notices()[0].text, "hello");
    }
}
