//! The reaper: a task that wakes every second to end expired sessions and send expiry
//! warnings. It stops when its handle is dropped (the server shutting down).

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::{unix_now, Sessions};

/// Spawns the reaper; abort the handle to stop it.
pub fn spawn(sessions: Arc<Sessions>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            sessions.reap(unix_now()).await;
        }
    })
}
