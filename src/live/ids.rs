//! Rule ids: 64-bit, unique, time-ordered, shaped like PowerTrack's own (Twitter snowflakes).

use std::time::{SystemTime, UNIX_EPOCH};

/// Twitter's snowflake epoch (2010-11-04T01:42:54.657Z), in Unix milliseconds.
const EPOCH_MS: u64 = 1_288_834_974_657;

/// Generates ids `(milliseconds since the snowflake epoch) << 22 | counter`: increasing in
/// creation order, so sorting by id sorts by creation time, and in the range of the ids real
/// PowerTrack rules have (e.g. 734938587381145604 was created in May 2016).
///
/// ```
/// use powertrack::live::IdGenerator;
///
/// let mut ids = IdGenerator::default();
/// let a = ids.next(|_| false);
/// let b = ids.next(|id| id == a + 1); // ids already in use are skipped
/// assert!(b > a + 1);
/// assert!(a > 734_938_587_381_145_604); // later than PowerTrack's own 2016 ids
/// ```
#[derive(Debug, Default)]
pub struct IdGenerator {
    last: u64,
}

impl IdGenerator {
    /// A generator whose ids are all above `last` (a restart resumes past every id it issued).
    pub fn after(last: u64) -> IdGenerator {
        IdGenerator { last }
    }

    /// The last id generated (or the one it was started [`after`](IdGenerator::after)).
    pub fn last(&self) -> u64 {
        self.last
    }
}

impl IdGenerator {
    /// The next id above every id generated so far, skipping ids for which `taken` is true
    /// (ids callers supplied).
    pub fn next(&mut self, taken: impl Fn(u64) -> bool) -> u64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self.next_at(now, taken)
    }

    /// [`IdGenerator::next`] as if the time were `now_ms` (Unix ms): the same state and times
    /// give the same ids, so replicas that apply one log of changes issue the same ids.
    ///
    /// ```
    /// use powertrack::live::IdGenerator;
    ///
    /// let (mut a, mut b) = (IdGenerator::after(7), IdGenerator::after(7));
    /// let at = 1_796_000_000_000;
    /// assert_eq!(a.next_at(at, |_| false), b.next_at(at, |_| false));
    /// assert!(a.next_at(at, |_| false) > b.last());
    /// ```
    pub fn next_at(&mut self, now_ms: u64, taken: impl Fn(u64) -> bool) -> u64 {
        let now = now_ms;
        let mut id = (now.saturating_sub(EPOCH_MS) << 22).max(self.last.saturating_add(1));
        while taken(id) {
            id = id.saturating_add(1);
        }
        self.last = id;
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_skip_taken_ones_and_look_like_powertrack_ids() {
        let mut g = IdGenerator::default();
        let a = g.next(|_| false);
        let b = g.next(|id| id == a + 1);
        assert!(b > a + 1 || b > a);
        assert_ne!(b, a + 1);
        // Created after 2026-01-01: above PowerTrack's 2016 ids, below 2^63.
        assert!(a > 734_938_587_381_145_604 && a < 1 << 63, "{a}");
        let many: Vec<u64> = (0..10_000).map(|_| g.next(|_| false)).collect();
        assert!(many.windows(2).all(|w| w[0] < w[1]));
    }
}
