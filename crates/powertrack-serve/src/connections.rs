//! The connection history: every stream connection of the last day (opened, ended, client
//! address, user agent, posts delivered, why it ended), written to the service's database as
//! each opens and ends, so that it survives restarts. The console and its JSON read it back.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;

use tokio::sync::mpsc;

use crate::clock::Clock;
use crate::hub::{Conn, ConnEvent};
use crate::persist::{ConnectionRecord, Persist};

/// How long ended connections are kept.
pub const KEEP_MS: u64 = 24 * 3_600_000;

/// How often, at most, old records are looked for and dropped.
const FORGET_EVERY_MS: u64 = 60_000;

fn record(conn: &Conn, stream: &str, boot_ms: u64) -> ConnectionRecord {
    ConnectionRecord {
        stream: stream.to_owned(),
        boot_ms,
        id: conn.id,
        opened_ms: conn.opened_ms,
        closed_ms: None,
        addr: conn.addr.clone(),
        user_agent: conn.user_agent.clone(),
        delivered: conn.delivered.load(Ordering::Relaxed),
        reason: None,
    }
}

/// Writes the history from `events` until every sender is gone. `streams` are the stream keys
/// (`account/label`) by index. Connections an earlier run left open are first ended as
/// `server stopped`.
///
/// # Errors
///
/// When the thread cannot be started, or the earlier run's records cannot be read.
pub fn spawn(
    persist: Arc<Persist>,
    streams: Vec<String>,
    mut events: mpsc::UnboundedReceiver<ConnEvent>,
    clock: Clock,
    boot_ms: u64,
) -> anyhow::Result<JoinHandle<()>> {
    let interrupted = persist
        .close_interrupted(boot_ms, clock.now_ms())
        .map_err(|e| anyhow::anyhow!("the connection history: {e}"))?;
    if interrupted > 0 {
        tracing::info!(
            connections = interrupted,
            "connections of the previous run recorded as ended by its stop"
        );
    }
    Ok(std::thread::Builder::new()
        .name("powertrack-history".into())
        .spawn(move || {
            let mut forgot_ms = 0;
            while let Some(event) = events.blocking_recv() {
                let now = clock.now_ms();
                let (rec, forget) = match event {
                    ConnEvent::Opened(conn) => (record(&conn, &streams[conn.stream], boot_ms), None),
                    ConnEvent::Closed(c) => {
                        tracing::info!(conn = c.conn.id, stream = %streams[c.conn.stream], addr = %c.conn.addr, reason = c.reason.as_str(), delivered = c.conn.delivered.load(Ordering::Relaxed), "stream disconnected");
                        let mut rec = record(&c.conn, &streams[c.conn.stream], boot_ms);
                        rec.closed_ms = Some(c.closed_ms);
                        rec.reason = Some(c.reason.as_str().to_owned());
                        let forget = (now >= forgot_ms + FORGET_EVERY_MS).then(|| {
                            forgot_ms = now;
                            now.saturating_sub(KEEP_MS)
                        });
                        (rec, forget)
                    }
                };
                if let Err(e) = persist.record_connection(&rec, forget) {
                    tracing::error!(error = %e, conn = rec.id, "the connection history could not be written");
                }
            }
        })?)
}
