//! The engine monitor: a task that asks the container engine every two seconds whether it
//! answers. When it stops answering, every session's sockets are told; when it answers
//! again, sessions whose containers did not survive are ended as lost and the others go on.

use std::sync::Arc;
use std::time::Duration;

use quai_protocol::ErrorCode;
use tokio::task::JoinHandle;

use super::{SessionEvent, Sessions};

/// Spawns the monitor; abort the handle to stop it.
pub fn spawn(sessions: Arc<Sessions>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut up = true;
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
                _ => {}
            }
            up = answers;
        }
    })
}
