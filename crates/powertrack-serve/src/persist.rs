//! The service's durable state in `--data-dir`: every stream's rules (and those deleted in the
//! last day, for their history), in one redb database. Every acknowledged change is committed
//! (redb's default durability: fsync before the commit returns).

use std::path::Path;

use redb::{Database, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

const RULES: TableDefinition<u64, &[u8]> = TableDefinition::new("rules");
const DELETED: TableDefinition<u64, &[u8]> = TableDefinition::new("deleted_rules");

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
        tx.commit()?;
        Ok(Persist { db })
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
    /// the way (a scan of the history, so callers ask for it now and then, not every time).
    pub fn commit(
        &self,
        added: &[StoredRule],
        deleted: &[StoredRule],
        forget_before_ms: Option<u64>,
    ) -> Result<(), Error> {
        let tx = self.db.begin_write()?;
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
}
