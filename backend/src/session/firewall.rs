//! The firewall keeper: new sessions start only while the host firewall rules that keep
//! nodes away from the host, cloud metadata and private networks are verified in place.
//! `check` enforces them through the host's set-up (`HostSetup`, adding what is missing) and
//! opens or closes session creation on the outcome; the task repeats it every ten seconds, so
//! rules that were flushed are put back, and a host where they cannot be set refuses new
//! sessions with the reason instead of serving nodes that reach the host. With
//! `--external-firewall` the operator answers for the host's firewall and Quai sets no rules.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::Sessions;
use crate::runtime::HostSetup;

/// How often the rules are checked again.
const EVERY: Duration = Duration::from_secs(10);

/// Checks the rules once on `host`; returns whether sessions may be created.
pub async fn check(sessions: &Sessions, host: &dyn HostSetup) -> bool {
    let config = sessions.config();
    if config.external_firewall {
        sessions.set_firewall(Ok(()));
        return true;
    }
    let outcome = host
        .enforce_egress(config.egress, config.registry_address)
        .await;
    let ready = outcome.is_ok();
    match outcome {
        Ok(0) => {}
        Ok(added) => {
            tracing::info!(added, egress = ?config.egress, "session network firewall in place")
        }
        Err(err) => {
            tracing::error!(error = %err, "the session network firewall is not in place: no new session starts until it is");
            sessions.set_firewall(Err(err.to_string()));
            return false;
        }
    }
    sessions.set_firewall(Ok(()));
    ready
}

/// Spawns the keeper of `host`'s rules; abort the handle to stop it.
pub fn spawn(sessions: Arc<Sessions>, host: Arc<dyn HostSetup>) -> JoinHandle<()> {
    tokio::spawn(async move {
        if sessions.config().external_firewall {
            return;
        }
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            check(&sessions, host.as_ref()).await;
        }
    })
}
