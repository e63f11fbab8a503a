//! The engine monitor: a task that asks the container engine every two seconds whether it
//! answers. An engine that refuses the question is down at once; one that answers later
//! than `SLOW` is only busy (many sessions starting at once on a small machine) until it
//! does so `SLOW_CHECKS` times in a row. When it stops answering, every session's sockets are told; when it answers
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
/// How long the engine may take to answer a check.
const SLOW: Duration = Duration::from_secs(5);
/// Checks in a row the engine may miss by being slow before it counts as down.
const SLOW_CHECKS: u32 = 2;

/// What one check found, given how many checks in a row were too slow before it (updated).
fn answers(ping: Option<bool>, slow_in_a_row: &mut u32) -> bool {
    match ping {
        Some(ok) => {
            *slow_in_a_row = 0;
            ok
        }
        None => {
            *slow_in_a_row += 1;
            *slow_in_a_row < SLOW_CHECKS
        }
    }
}

/// Spawns the monitor; abort the handle to stop it.
pub fn spawn(sessions: Arc<Sessions>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut up = true;
        let mut checks = 0u64;
        let mut slow_in_a_row = 0;
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let ping = tokio::time::timeout(SLOW, sessions.runtime().ping())
                .await
                .ok()
                .map(|answer| answer.is_ok());
            let answers = answers(ping, &mut slow_in_a_row);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusing_engine_is_down_at_once_and_a_slow_one_only_when_slow_twice_in_a_row() {
        let mut slow = 0;
        assert!(!answers(Some(false), &mut slow), "refused: down at once");
        assert!(answers(None, &mut slow), "slow once: still up");
        assert!(answers(Some(true), &mut slow), "answered");
        assert!(answers(None, &mut slow), "slow once again: still up");
        assert!(!answers(None, &mut slow), "slow twice in a row: down");
        assert!(!answers(None, &mut slow), "and down while it stays slow");
        assert!(answers(Some(true), &mut slow), "back");
    }
}
