//! The reaper: a task that wakes every second to end expired, idle and unclaimed sessions
//! and send expiry warnings, and every `--sweep-every` seconds sweeps the engine for objects
//! of sessions this server does not know. It stops when its handle is aborted (the server
//! shutting down).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::{unix_now, Sessions};

/// Spawns the reaper; abort the handle to stop it.
pub fn spawn(sessions: Arc<Sessions>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let sweep_every = sessions.config().sweep_every.max(1);
        let mut suspects = HashSet::new();
        let mut seconds = 0u64;
        loop {
            tick.tick().await;
            sessions.reap(unix_now()).await;
            seconds += 1;
            if seconds.is_multiple_of(sweep_every) {
                if let Err(err) = sessions.sweep(&mut suspects).await {
                    tracing::warn!(error = %err, "could not sweep the engine for leftovers");
                }
            }
        }
    })
}
