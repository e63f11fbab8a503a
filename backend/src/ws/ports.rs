//! The ports a session socket is told about: which TCP ports each node of the session
//! listens on, sent when the socket is greeted and on every change. They are looked at every
//! second while the page is in use (its socket opened, or its student typed, less than
//! `QUICK_FOR` ago), and every `IDLE_EVERY` otherwise: each look costs the host a walk of its
//! TCP table, which hundreds of idle pages would pay for nothing. A keystroke after a quiet
//! spell brings the next look within a second.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::Message;
use quai_protocol::ServerMsg;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

use super::text;
use crate::session::Session;
use crate::AppState;

/// How often the ports are looked at while the page is in use.
pub const QUICK_EVERY: Duration = Duration::from_secs(1);
/// How long after the socket opened or the last keystroke the looks stay quick: long enough
/// for a server started by hand (or a slow one, like Jupyter) to come up.
pub const QUICK_FOR: Duration = Duration::from_secs(60);
/// How often they are looked at on a page left alone.
pub const IDLE_EVERY: Duration = Duration::from_secs(10);

/// When the student of one socket last typed.
pub struct Activity {
    since: Instant,
    /// Milliseconds from `since` to the last keystroke (0: none since the socket opened).
    last: AtomicU64,
    typed: Notify,
}

impl Activity {
    pub fn new() -> Activity {
        Activity {
            since: Instant::now(),
            last: AtomicU64::new(0),
            typed: Notify::new(),
        }
    }

    /// The student typed something.
    pub fn typed(&self) {
        let ms = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
        self.typed.notify_one();
    }

    /// Whether the looks should be quick now: the socket opened, or the student typed, less
    /// than `QUICK_FOR` ago.
    pub fn in_use(&self) -> bool {
        let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
        self.since.elapsed().saturating_sub(last) < QUICK_FOR
    }

    /// Waits until the next look is due: `QUICK_EVERY` while in use; otherwise `IDLE_EVERY`,
    /// or `QUICK_EVERY` after a keystroke, whichever comes first.
    pub async fn next_look(&self) {
        if self.in_use() {
            tokio::time::sleep(QUICK_EVERY).await;
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(IDLE_EVERY) => {}
            _ = self.typed.notified() => tokio::time::sleep(QUICK_EVERY).await,
        }
    }
}

impl Default for Activity {
    fn default() -> Self {
        Activity::new()
    }
}

/// Tells the socket which ports each node listens on, at first and on every change.
pub fn watch_ports(
    state: AppState,
    session: Arc<Session>,
    host: Option<String>,
    out: mpsc::Sender<Message>,
    activity: Arc<Activity>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut known: HashMap<String, Vec<u16>> = HashMap::new();
        loop {
            let nodes = session.nodes();
            known.retain(|name, _| nodes.iter().any(|n| &n.name == name));
            for node in nodes {
                let Ok(tables) = state.sessions.runtime().socket_tables(&node).await else {
                    continue;
                };
                let ports = crate::preview::ports::listening(&tables);
                let before = known.get(&node.name);
                if before == Some(&ports) || (before.is_none() && ports.is_empty()) {
                    continue;
                }
                let infos = ports
                    .iter()
                    .map(|&port| quai_protocol::PortInfo {
                        port,
                        url: crate::preview::chip_url(
                            &state,
                            host.as_deref(),
                            &session,
                            &node.name,
                            port,
                        ),
                    })
                    .collect();
                known.insert(node.name.clone(), ports);
                let msg = ServerMsg::Ports {
                    node: node.name.clone(),
                    ports: infos,
                };
                if out.send(text(&msg)).await.is_err() {
                    return;
                }
            }
            activity.next_look().await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn looks_are_quick_while_the_page_is_in_use_and_a_key_makes_them_quick_again() {
        let activity = Activity::new();
        assert!(activity.in_use(), "a socket just opened is in use");
        let at = tokio::time::Instant::now();
        activity.next_look().await;
        assert_eq!(at.elapsed(), QUICK_EVERY);

        // The paused clock moves tokio's timers only; a page left alone is one whose socket
        // opened, and whose student last typed, more than `QUICK_FOR` ago.
        let idle = Activity {
            since: Instant::now() - QUICK_FOR - Duration::from_secs(1),
            last: AtomicU64::new(0),
            typed: Notify::new(),
        };
        assert!(!idle.in_use(), "a page left alone for a minute is idle");
        let at = tokio::time::Instant::now();
        idle.next_look().await;
        assert_eq!(at.elapsed(), IDLE_EVERY);

        // A keystroke while idle: the next look comes a second later, not ten.
        let at = tokio::time::Instant::now();
        let look = idle.next_look();
        tokio::pin!(look);
        tokio::select! {
            biased;
            _ = &mut look => panic!("looked before the keystroke"),
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
        idle.typed();
        assert!(idle.in_use(), "a keystroke makes the page in use again");
        look.await;
        assert_eq!(at.elapsed(), Duration::from_secs(2) + QUICK_EVERY);
    }
}
