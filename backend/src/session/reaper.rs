//! The reaper: a task that wakes every second to end expired, idle and unclaimed sessions
//! and send expiry warnings, and every `--sweep-every` seconds sweeps the engine for objects
//! of sessions this server does not know, and more often in its first half minute (see
//! `EARLY_SWEEPS`). It stops when its handle is aborted (the server shutting down).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::{unix_now, Sessions};

/// Seconds after the start at which the engine is swept as well: the engine still finishes
/// the calls of a server killed halfway through creating sessions after the start-up
/// cleanup, and what they make would otherwise wait two sweeps (an object is removed once
/// two sweeps in a row found it unknown) of `--sweep-every`.
const EARLY_SWEEPS: [u64; 4] = [3, 6, 12, 24];

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
            if seconds.is_multiple_of(sweep_every) || EARLY_SWEEPS.contains(&seconds) {
                if let Err(err) = sessions.sweep(&mut suspects).await {
                    tracing::warn!(error = %err, "could not sweep the engine for leftovers");
                }
            }
        }
    })
}
