//! How many posts each stream rule matched in the last hour and the last day, for the console.
//!
//! A rule's counts are two rings of time slots, kept only for rules that matched something:
//! twelve 5-minute slots (the last hour is the current slot and the eleven before it) and
//! twenty-four 1-hour slots (the last day is the current hour and the twenty-three before it).
//! A slot remembers which period it counts, so a stale one reads as zero without any clock
//! sweep. The figures live in memory and are saved to the state database every minute and at
//! shutdown ([`spawn_saver`]), so a restart keeps them (a kill loses the last minute's).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::persist::Persist;

const MINUTES_SLOT_MS: u64 = 5 * 60_000;
const HOUR_MS: u64 = 3_600_000;

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    period: u64,
    count: u64,
}

#[derive(Debug, Default)]
struct Counts {
    five: [Slot; 12],
    hours: [Slot; 24],
}

impl Counts {
    fn add(&mut self, now_ms: u64, n: u64) {
        for (slots, width) in [
            (&mut self.five[..], MINUTES_SLOT_MS),
            (&mut self.hours[..], HOUR_MS),
        ] {
            let period = now_ms / width;
            let slot = &mut slots[usize::try_from(period % slots.len() as u64).unwrap_or(0)];
            if slot.period != period {
                *slot = Slot { period, count: 0 };
            }
            slot.count += n;
        }
    }

    fn sum(slots: &[Slot], now_ms: u64, width: u64) -> u64 {
        let current = now_ms / width;
        let n = slots.len() as u64;
        slots
            .iter()
            .filter(|s| s.period <= current && current - s.period < n)
            .map(|s| s.count)
            .sum()
    }

    fn figures(&self, now_ms: u64) -> RuleCount {
        RuleCount {
            last_hour: Self::sum(&self.five, now_ms, MINUTES_SLOT_MS),
            last_day: Self::sum(&self.hours, now_ms, HOUR_MS),
        }
    }
}

/// A rule's counts as saved: its slots that count something, as (period, count).
#[derive(Serialize, Deserialize)]
struct Saved {
    five: Vec<(u64, u64)>,
    hours: Vec<(u64, u64)>,
}

impl Counts {
    fn saved(&self) -> Saved {
        let live = |slots: &[Slot]| {
            slots
                .iter()
                .filter(|s| s.count > 0)
                .map(|s| (s.period, s.count))
                .collect()
        };
        Saved {
            five: live(&self.five),
            hours: live(&self.hours),
        }
    }

    fn from_saved(saved: &Saved) -> Counts {
        let mut c = Counts::default();
        for (slots, kept) in [
            (&mut c.five[..], &saved.five),
            (&mut c.hours[..], &saved.hours),
        ] {
            let n = slots.len() as u64;
            for &(period, count) in kept {
                let slot = &mut slots[usize::try_from(period % n).unwrap_or(0)];
                // Of two saved slots for one place, the later period wins (as `add` would).
                if period >= slot.period {
                    *slot = Slot { period, count };
                }
            }
        }
        c
    }
}

/// One rule's figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleCount {
    /// Posts matched in the last hour (to the 5 minutes).
    pub last_hour: u64,
    /// Posts matched in the last day (to the hour).
    pub last_day: u64,
}

/// Every stream's rule counts.
#[derive(Debug)]
pub struct RuleCounts {
    streams: Vec<Mutex<HashMap<u64, Counts>>>,
}

impl RuleCounts {
    /// Counts for `streams` streams.
    pub fn new(streams: usize) -> RuleCounts {
        RuleCounts {
            streams: (0..streams).map(|_| Mutex::default()).collect(),
        }
    }

    /// Counts one matched post for each `(stream, rule id)` of `hits` at `now_ms` (one lock
    /// per stream run of `hits`, which come grouped by stream).
    pub fn add(&self, hits: &[(usize, u64)], now_ms: u64) {
        let mut i = 0;
        while i < hits.len() {
            let stream = hits[i].0;
            let Some(map) = self.streams.get(stream) else {
                i += 1;
                continue;
            };
            let mut map = map
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            while i < hits.len() && hits[i].0 == stream {
                map.entry(hits[i].1).or_default().add(now_ms, 1);
                i += 1;
            }
        }
    }

    /// The figures of the rules `ids` of `stream`, in that order.
    pub fn of_rules(&self, stream: usize, ids: &[u64], now_ms: u64) -> Vec<RuleCount> {
        let Some(map) = self.streams.get(stream) else {
            return vec![RuleCount::default(); ids.len()];
        };
        let map = map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        ids.iter()
            .map(|id| map.get(id).map(|c| c.figures(now_ms)).unwrap_or_default())
            .collect()
    }

    /// The figures of every rule of `stream` that matched in the last day.
    pub fn of_stream(&self, stream: usize, now_ms: u64) -> HashMap<u64, RuleCount> {
        let Some(map) = self.streams.get(stream) else {
            return HashMap::new();
        };
        let mut map = map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Rules silent for a day (or deleted) are forgotten on the way.
        map.retain(|_, c| c.figures(now_ms).last_day > 0);
        map.iter().map(|(&id, c)| (id, c.figures(now_ms))).collect()
    }
}

impl RuleCounts {
    /// Saves every rule's counts to `persist`, replacing the previous save; `keys` are the
    /// streams' `account/label`, in stream order.
    pub fn save(&self, persist: &Persist, keys: &[String]) -> Result<(), crate::persist::Error> {
        let mut rows = Vec::new();
        for (stream, key) in self.streams.iter().zip(keys) {
            let map = stream
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (&id, c) in map.iter() {
                rows.push((key.as_str(), id, serde_json::to_vec(&c.saved())?));
            }
        }
        persist.save_rule_counts(&rows)
    }

    /// The counts `persist` holds, for the streams `keys` (`account/label`, in stream order);
    /// counts of streams no longer configured are dropped.
    pub fn load(persist: &Persist, keys: &[String]) -> Result<RuleCounts, crate::persist::Error> {
        let counts = RuleCounts::new(keys.len());
        let index: HashMap<&str, usize> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        for (stream, id, bytes) in persist.rule_counts()? {
            let Some(&i) = index.get(stream.as_str()) else {
                continue;
            };
            let saved: Saved = serde_json::from_slice(&bytes)?;
            counts.streams[i]
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(id, Counts::from_saved(&saved));
        }
        Ok(counts)
    }
}

/// Saves `counts` every `every` until `stop` is cancelled (the final save, once matching has
/// stopped, is the caller's).
pub fn spawn_saver(
    counts: Arc<RuleCounts>,
    persist: Arc<Persist>,
    keys: Vec<String>,
    every: Duration,
    stop: CancellationToken,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("rule-counts".into())
        .spawn(move || {
            let mut last = std::time::Instant::now();
            while !stop.is_cancelled() {
                std::thread::sleep(Duration::from_millis(200));
                if last.elapsed() >= every {
                    last = std::time::Instant::now();
                    if let Err(e) = counts.save(&persist, &keys) {
                        tracing::warn!(error = %e, "cannot save the rule counts");
                    }
                }
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_slide_and_stale_slots_read_zero() {
        let counts = RuleCounts::new(2);
        let t0 = 10 * HOUR_MS;
        counts.add(&[(0, 7), (0, 7), (0, 8), (1, 7)], t0);
        let at = |ms| counts.of_stream(0, ms);
        assert_eq!(
            at(t0)[&7],
            RuleCount {
                last_hour: 2,
                last_day: 2
            }
        );
        assert_eq!(
            at(t0)[&8],
            RuleCount {
                last_hour: 1,
                last_day: 1
            }
        );
        assert_eq!(counts.of_stream(1, t0)[&7].last_hour, 1);
        // 55 minutes on: still in the hour; 61 minutes on: out of it, still in the day.
        assert_eq!(at(t0 + 55 * 60_000)[&7].last_hour, 2);
        assert_eq!(
            at(t0 + 61 * 60_000)[&7],
            RuleCount {
                last_hour: 0,
                last_day: 2
            }
        );
        // A slot reused a day later counts afresh.
        counts.add(&[(0, 7)], t0 + 24 * HOUR_MS);
        assert_eq!(
            at(t0 + 24 * HOUR_MS)[&7],
            RuleCount {
                last_hour: 1,
                last_day: 1
            }
        );
        // A day of silence forgets the rule.
        assert!(!at(t0 + 49 * HOUR_MS).contains_key(&7));
    }

    #[test]
    fn counts_saved_and_loaded_read_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let persist = Persist::open(dir.path()).unwrap();
        let keys = vec!["a/prod".to_owned(), "a/dev".to_owned()];
        let counts = RuleCounts::new(2);
        let t0 = 10 * HOUR_MS;
        counts.add(&[(0, 7), (0, 8), (1, 7)], t0);
        counts.add(&[(0, 7)], t0 + 30 * 60_000);
        counts.add(&[(0, 7)], t0 + 3 * HOUR_MS);
        counts.save(&persist, &keys).unwrap();
        let later = t0 + 3 * HOUR_MS + 1;
        let loaded = RuleCounts::load(&persist, &keys).unwrap();
        for stream in 0..2 {
            assert_eq!(
                loaded.of_stream(stream, later),
                counts.of_stream(stream, later)
            );
        }
        assert_eq!(loaded.of_stream(0, later)[&7].last_day, 3);
        // A second save replaces the first; a stream gone from the configuration is dropped.
        let fewer = RuleCounts::new(1);
        fewer.save(&persist, &keys[..1]).unwrap();
        assert!(
            RuleCounts::load(&persist, &keys)
                .unwrap()
                .of_stream(0, later)
                .is_empty()
        );
        counts.save(&persist, &keys).unwrap();
        let renamed = RuleCounts::load(&persist, &["a/prod".to_owned()]).unwrap();
        assert_eq!(renamed.of_stream(0, later)[&8].last_day, 1);
    }
}
