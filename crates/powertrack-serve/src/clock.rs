//! Wall-clock time as the service sees it: the system's, or a manual one that tests move.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, from the system clock shifted by an offset that tests
/// (and only tests) move forward with [`Clock::advance`]. Cheap to clone; clones share the
/// offset.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// Now, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        let sys = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        u64::try_from(sys.saturating_add(self.offset_ms.load(Ordering::Relaxed))).unwrap_or(0)
    }

    /// Now as PowerTrack's `sent` (`2017-03-16T02:33:01.827Z`).
    pub fn sent(&self) -> String {
        powertrack::api::rfc3339_millis(self.now_ms())
    }

    /// Moves this clock (and its clones) `ms` milliseconds forward.
    ///
    /// ```
    /// let clock = powertrack_serve::Clock::system();
    /// let before = clock.now_ms();
    /// clock.advance(3_600_000);
    /// assert!(clock.now_ms() >= before + 3_600_000);
    /// ```
    pub fn advance(&self, ms: u64) {
        self.offset_ms
            .fetch_add(i64::try_from(ms).unwrap_or(i64::MAX), Ordering::Relaxed);
    }
}
