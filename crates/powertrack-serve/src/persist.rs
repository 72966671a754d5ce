//! The service's durable state in `--data-dir`: every stream's rules (and those deleted in the
//! last day, for their history), every stream connection of the last day and the rules' match
//! counts (saved now and then), in one redb database. Every acknowledged change is committed (redb's default durability: fsync before
//! the commit returns).

use std::path::Path;

use redb::{Database, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

const RULES: TableDefinition<u64, &[u8]> = TableDefinition::new("rules");
const DELETED: TableDefinition<u64, &[u8]> = TableDefinition::new("deleted_rules");
/// Connections by (opened ms, server boot ms, connection id): unique across restarts.
const CONNECTIONS: TableDefinition<(u64, u64, u64), &[u8]> = TableDefinition::new("connections");
/// Match counts by (stream, rule id): the whole table is one snapshot, replaced at each save.
const RULE_COUNTS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("rule_counts");
/// Where a cluster instance's rules stand in the cluster's log of rule changes.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// Where the stored rules stand in a replicated log of rule changes (cluster mode): the last
/// change applied, and the last rule id issued, committed with the rules they produced so that
/// a restarted instance resumes exactly where its rules are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// The sequence number of the last change applied (0: none).
    pub seq: u64,
    /// The last rule id issued.
    pub last_id: u64,
}

/// A rule as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRule {
    /// `account/label`.
    pub stream: String,
    /// The rule's id in its stream.
    pub id: u64,
    /// The rule text.
    pub value: String,
    /// The tag.
    pub tag: Option<String>,
    /// When it was added (Unix ms).
    pub created_ms: u64,
    /// When it was deleted (Unix ms), for deleted rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_ms: Option<u64>,
}

/// One stream connection, as the connection history keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionRecord {
    /// `account/label`.
    pub stream: String,
    /// When the server that held it started (Unix ms): with `id`, unique across restarts.
    pub boot_ms: u64,
    /// The connection's number in that server's life.
    pub id: u64,
    /// When it opened (Unix ms).
    pub opened_ms: u64,
    /// When it ended (Unix ms); `None` while it is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_ms: Option<u64>,
    /// The client's address (`ip:port`).
    pub addr: String,
    /// The client's `User-Agent`.
    pub user_agent: String,
    /// Posts delivered to it (known once it ended).
    pub delivered: u64,
    /// Why it ended: `client closed`, `too many connections`, `could not keep up`,
    /// `shutdown`, or `server stopped` for one the server did not see end (a crash or a kill).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ConnectionRecord {
    fn key(&self) -> (u64, u64, u64) {
        (self.opened_ms, self.boot_ms, self.id)
    }
}

/// The database.
#[derive(Debug)]
pub struct Persist {
    db: Database,
}

/// A storage failure.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

impl Persist {
    /// Opens (or creates) `dir/state.redb`.
    pub fn open(dir: &Path) -> Result<Persist, Error> {
        std::fs::create_dir_all(dir)?;
        let db = Database::create(dir.join("state.redb"))?;
        let tx = db.begin_write()?;
        tx.open_table(RULES)?;
        tx.open_table(DELETED)?;
        tx.open_table(CONNECTIONS)?;
        tx.open_table(RULE_COUNTS)?;
        tx.open_table(META)?;
        tx.commit()?;
        Ok(Persist { db })
    }

    /// Where the rules stand in the cluster's log of rule changes (all zero outside a cluster).
    pub fn applied(&self) -> Result<Applied, Error> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(META)?;
        let get = |k: &str| -> Result<u64, Error> { Ok(table.get(k)?.map_or(0, |v| v.value())) };
        Ok(Applied {
            seq: get("rules_seq")?,
            last_id: get("last_id")?,
        })
    }

    /// Every live rule, in id order.
    pub fn rules(&self) -> Result<Vec<StoredRule>, Error> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(RULES)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (_, v) = row?;
            out.push(serde_json::from_slice(v.value())?);
        }
        Ok(out)
    }

    /// Rules deleted at or after `since_ms`, in id order.
    pub fn deleted_since(&self, since_ms: u64) -> Result<Vec<StoredRule>, Error> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(DELETED)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (_, v) = row?;
            let r: StoredRule = serde_json::from_slice(v.value())?;
            if r.deleted_ms.unwrap_or(0) >= since_ms {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Adds `added` and moves `deleted` (stamped with their deletion time) to the history, in
    /// one durable transaction; with `forget_before_ms`, history older than that is dropped on
    /// the way (a scan of the history, so callers ask for it now and then, not every time);
    /// with `applied`, where this change stands in the cluster's log of changes.
    pub fn commit(
        &self,
        added: &[StoredRule],
        deleted: &[StoredRule],
        forget_before_ms: Option<u64>,
        applied: Option<Applied>,
    ) -> Result<(), Error> {
        let tx = self.db.begin_write()?;
        if let Some(a) = applied {
            let mut meta = tx.open_table(META)?;
            meta.insert("rules_seq", a.seq)?;
            meta.insert("last_id", a.last_id)?;
        }
        {
            let mut rules = tx.open_table(RULES)?;
            for r in added {
                rules.insert(r.id, serde_json::to_vec(r)?.as_slice())?;
            }
            for r in deleted {
                rules.remove(r.id)?;
            }
            let mut history = tx.open_table(DELETED)?;
            for r in deleted {
                history.insert(r.id, serde_json::to_vec(r)?.as_slice())?;
            }
            if let Some(forget_before_ms) = forget_before_ms {
                let stale: Vec<u64> = history
                    .iter()?
                    .filter_map(Result::ok)
                    .filter_map(|(k, v)| {
                        let r: StoredRule = serde_json::from_slice(v.value()).ok()?;
                        (r.deleted_ms.unwrap_or(0) < forget_before_ms).then(|| k.value())
                    })
                    .collect();
                for id in stale {
                    history.remove(id)?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Writes a connection's record (when it opens, and again when it ends), dropping records
    /// of connections that ended before `forget_before_ms`.
    pub fn record_connection(
        &self,
        record: &ConnectionRecord,
        forget_before_ms: Option<u64>,
    ) -> Result<(), Error> {
        let tx = self.db.begin_write()?;
        {
            let mut table = tx.open_table(CONNECTIONS)?;
            table.insert(record.key(), serde_json::to_vec(record)?.as_slice())?;
            if let Some(before) = forget_before_ms {
                // Keys start with the opening time: only the oldest are looked at.
                let stale: Vec<(u64, u64, u64)> = table
                    .range(..(before, 0, 0))?
                    .filter_map(Result::ok)
                    .filter_map(|(k, v)| {
                        let r: ConnectionRecord = serde_json::from_slice(v.value()).ok()?;
                        r.closed_ms.is_some_and(|c| c < before).then(|| k.value())
                    })
                    .collect();
                for key in stale {
                    table.remove(key)?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The connections of `stream` that were open at some time at or after `since_ms`, oldest
    /// first.
    pub fn connections(&self, stream: &str, since_ms: u64) -> Result<Vec<ConnectionRecord>, Error> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(CONNECTIONS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (_, v) = row?;
            let r: ConnectionRecord = serde_json::from_slice(v.value())?;
            if r.stream == stream && r.closed_ms.is_none_or(|c| c >= since_ms) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Replaces the saved match counts with `rows` (stream, rule id, the counts' bytes), in
    /// one durable transaction.
    pub fn save_rule_counts(&self, rows: &[(&str, u64, Vec<u8>)]) -> Result<(), Error> {
        let tx = self.db.begin_write()?;
        tx.delete_table(RULE_COUNTS)?;
        {
            let mut table = tx.open_table(RULE_COUNTS)?;
            for (stream, id, bytes) in rows {
                table.insert((*stream, *id), bytes.as_slice())?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The saved match counts: (stream, rule id, bytes).
    pub fn rule_counts(&self) -> Result<Vec<(String, u64, Vec<u8>)>, Error> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(RULE_COUNTS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            let (stream, id) = k.value();
            out.push((stream.to_owned(), id, v.value().to_vec()));
        }
        Ok(out)
    }

    /// Ends, as `server stopped` at `now_ms`, every connection a previous run left open (it
    /// was killed or crashed before it could record their end). Returns how many.
    pub fn close_interrupted(&self, boot_ms: u64, now_ms: u64) -> Result<usize, Error> {
        let tx = self.db.begin_write()?;
        let mut n = 0;
        {
            let mut table = tx.open_table(CONNECTIONS)?;
            let open: Vec<ConnectionRecord> = table
                .iter()?
                .filter_map(Result::ok)
                .filter_map(|(_, v)| serde_json::from_slice::<ConnectionRecord>(v.value()).ok())
                .filter(|r| r.closed_ms.is_none() && r.boot_ms != boot_ms)
                .collect();
            for mut r in open {
                r.closed_ms = Some(now_ms);
                r.reason = Some("server stopped".to_owned());
                table.insert(r.key(), serde_json::to_vec(&r)?.as_slice())?;
                n += 1;
            }
        }
        tx.commit()?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(boot_ms: u64, id: u64, opened_ms: u64) -> ConnectionRecord {
        ConnectionRecord {
            stream: "acme/prod".into(),
            boot_ms,
            id,
            opened_ms,
            closed_ms: None,
            addr: "127.0.0.1:1".into(),
            user_agent: String::new(),
            delivered: 0,
            reason: None,
        }
    }

    #[test]
    fn connections_left_open_by_a_killed_run_end_as_server_stopped_and_old_ones_go() {
        let dir = tempfile::tempdir().unwrap();
        {
            let p = Persist::open(dir.path()).unwrap();
            p.record_connection(&conn(100, 1, 1_000), None).unwrap();
            let mut ended = conn(100, 2, 2_000);
            ended.closed_ms = Some(3_000);
            ended.reason = Some("client closed".into());
            p.record_connection(&ended, None).unwrap();
        } // the run is killed: connection 1 never ends
        let p = Persist::open(dir.path()).unwrap();
        assert_eq!(p.close_interrupted(200, 9_000).unwrap(), 1);
        let all = p.connections("acme/prod", 0).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].reason.as_deref(), Some("server stopped"));
        assert_eq!(all[0].closed_ms, Some(9_000));
        assert_eq!(all[1].reason.as_deref(), Some("client closed"));
        // The current run's own open connections are left alone.
        p.record_connection(&conn(200, 1, 10_000), None).unwrap();
        assert_eq!(p.close_interrupted(200, 11_000).unwrap(), 0);
        // Connections that ended before the cut are dropped; open ones and later ones stay.
        p.record_connection(&conn(200, 2, 12_000), Some(5_000))
            .unwrap();
        let left: Vec<u64> = p
            .connections("acme/prod", 0)
            .unwrap()
            .iter()
            .map(|r| r.opened_ms)
            .collect();
        assert_eq!(left, [1_000, 10_000, 12_000]);
        assert!(p.connections("other/prod", 0).unwrap().is_empty());
    }
}
