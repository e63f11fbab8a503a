//! The engine monitor: a task that asks the container engine every two seconds whether it
//! answers. When it stops answering, every session's sockets are told; when it answers
//! again, sessions whose containers did not survive are ended as lost and the others go on.
//! Every `STOPPED_EVERY` checks it also lists the running containers, to end as lost the
//! sessions whose nodes stopped while the engine kept answering (an engine restarted within
//! two checks, a node killed outside Quai).

use std::sync::Arc;
use std::time::Duration;

use quai_protocol::ErrorCode;
use tokio::task::JoinHandle;

use super::{SessionEvent, Sessions};

/// Checks between two listings of the running containers.
const STOPPED_EVERY: u64 = 5;

/// Spawns the monitor; abort the handle to stop it.
pub fn spawn(sessions: Arc<Sessions>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut up = true;
        let mut checks = 0u64;
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let answers = matches!(
                tokio::time::timeout(Duration::from_secs(5), sessions.runtime().ping()).await,
                Ok(Ok(_))
            );
            match (up, answers) {
                (true, false) => {
                    tracing::error!("the container engine stopped answering");
                    sessions.notify_all(SessionEvent::Problem(
                        ErrorCode::RuntimeUnavailable,
                        "The container engine stopped answering; your session may be lost. Quai checks again when it is back."
                            .to_string(),
                    ));
                }
                (false, true) => {
                    let lost = sessions.end_lost().await;
                    tracing::info!(lost, "the container engine answers again");
                    sessions.notify_all(SessionEvent::Notice(
                        "The container engine is back; your session goes on.".to_string(),
                    ));
                }
                (true, true) => {
                    checks += 1;
                    if checks.is_multiple_of(STOPPED_EVERY) {
                        let lost = sessions.end_stopped().await;
                        if lost > 0 {
                            tracing::info!(lost, "sessions whose nodes stopped ended as lost");
                        }
                    }
                }
                _ => {}
            }
            up = answers;
        }
    })
}
