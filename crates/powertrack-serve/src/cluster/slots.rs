//! Connection limits across the cluster: an account allowed N connections has N slots, keys
//! `<account>.<i>` of the bucket `powertrack_connections`. A connection takes the first free
//! slot with a create (which the bucket refuses when the key is held: two instances can never
//! take the same slot), refreshes it while it lasts and deletes it when it ends. Entries expire
//! after [`EXPIRY`]: the slots of an instance that died free themselves.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::kv::CreateErrorKind;
use bytes::Bytes;
use tokio_util::sync::CancellationToken;

use super::{Cluster, kv_key};

/// How long a slot outlives its last refresh.
pub const EXPIRY: Duration = Duration::from_secs(30);

/// How often a held slot is refreshed.
const REFRESH: Duration = Duration::from_secs(10);

/// A slot taken for one connection.
#[derive(Debug)]
pub struct Slot {
    key: String,
    revision: u64,
}

/// Takes a free slot of `account`'s `allowed`, or says there is none (`Ok(None)`).
pub async fn claim(
    cluster: &Cluster,
    account: &str,
    allowed: usize,
) -> Result<Option<Slot>, String> {
    let value = Bytes::from(cluster.instance.clone());
    for i in 0..allowed {
        let key = format!("{}.{i}", kv_key(account));
        match cluster.connections.create(&key, value.clone()).await {
            Ok(revision) => return Ok(Some(Slot { key, revision })),
            Err(e) if e.kind() == CreateErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("taking a connection slot: {e}")),
        }
    }
    Ok(None)
}

/// Holds `slot` until `ended` (refreshing it), then frees it.
pub fn hold(cluster: Arc<Cluster>, slot: Slot, ended: CancellationToken) {
    let handle = cluster.handle.clone();
    handle.spawn(async move {
        let Slot { key, mut revision } = slot;
        let value = Bytes::from(cluster.instance.clone());
        loop {
            tokio::select! {
                () = ended.cancelled() => break,
                () = tokio::time::sleep(REFRESH) => {}
            }
            match cluster.connections.update(&key, value.clone(), revision).await {
                Ok(r) => revision = r,
                Err(e) => tracing::warn!(error = %e, slot = %key, "refreshing a connection slot failed"),
            }
        }
        if let Err(e) = cluster.connections.delete(&key).await {
            tracing::warn!(error = %e, slot = %key, "freeing a connection slot failed; it expires by itself");
        }
    });
}

/// Frees a slot taken for a connection that did not open.
pub fn release(cluster: &Arc<Cluster>, slot: Slot) {
    let c = cluster.clone();
    cluster.handle.spawn(async move {
        let _ = c.connections.delete(&slot.key).await;
    });
}
