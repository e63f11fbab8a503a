//! The warm pool: sessions made ahead of time — network and `node1` created and started,
//! Docker Engine already up in `docker` nodes, and `node1`'s first terminal already running
//! (the terminal keeper and its login shell, its prompt waiting in the scrollback) — so a
//! click gets a prompt at once. It holds `pool_size` ready sessions per profile; a task
//! refills it in the background, starting a moment after each claim (once the claimed
//! session's first prompt is out). Ready sessions are ordinary labelled engine objects under
//! a session id chosen in advance, so leftovers are cleaned like any session's.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quai_protocol::Profile;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::terminal::Terminal;
use super::{token, Sessions};
use crate::runtime::Node;

/// A session made ahead of time: its id, its started `node1`, and that node's terminal 1
/// when it could be started.
pub struct Ready {
    pub id: String,
    pub node: Node,
    pub first: Option<Arc<Terminal>>,
}

#[derive(Default)]
pub struct Pool {
    ready: Mutex<HashMap<Profile, VecDeque<Ready>>>,
    /// Woken when a ready session was taken.
    pub claimed: Notify,
}

impl Pool {
    pub fn take(&self, profile: Profile) -> Option<Ready> {
        let taken = self
            .ready
            .lock()
            .expect("pool lock")
            .get_mut(&profile)?
            .pop_front();
        if taken.is_some() {
            self.claimed.notify_one();
        }
        taken
    }

    pub fn len(&self, profile: Profile) -> usize {
        self.ready
            .lock()
            .expect("pool lock")
            .get(&profile)
            .map_or(0, VecDeque::len)
    }

    fn put(&self, profile: Profile, ready: Ready) {
        self.ready
            .lock()
            .expect("pool lock")
            .entry(profile)
            .or_default()
            .push_back(ready);
    }

    /// The ids of the ready sessions.
    pub fn ids(&self) -> Vec<String> {
        let ready = self.ready.lock().expect("pool lock");
        ready
            .values()
            .flat_map(|entries| entries.iter().map(|r| r.id.clone()))
            .collect()
    }

    /// Empties the pool, returning the ids to remove.
    pub fn drain(&self) -> Vec<String> {
        let mut ready = self.ready.lock().expect("pool lock");
        ready
            .drain()
            .flat_map(|(_, entries)| entries.into_iter().map(|r| r.id))
            .collect()
    }
}

/// Makes one ready session of `profile`, or says why not.
async fn make(
    sessions: &Sessions,
    profile: Profile,
) -> Result<Ready, crate::runtime::RuntimeError> {
    let id = token::new_session_id();
    let _starting = sessions.starting(&id);
    let runtime = sessions.runtime();
    runtime.create_network(&id).await?;
    match runtime
        .create_node(&id, &sessions.spec("node1".to_string(), profile))
        .await
    {
        Ok(node) => {
            let first = sessions.first_terminal(&node).await;
            if let Some(first) = &first {
                prompted(first).await;
            }
            Ok(Ready { id, node, first })
        }
        Err(err) => {
            let _ = runtime.destroy_session(&id).await;
            Err(err)
        }
    }
}

/// Longest wait for a ready session's first shell to draw its prompt.
const PROMPT_WAIT: Duration = Duration::from_secs(5);
/// How long the first shell's output must have stopped for its prompt to count as drawn.
const PROMPT_QUIET: Duration = Duration::from_millis(50);

/// Waits until `first` has drawn its prompt (it printed, then stopped printing for
/// `PROMPT_QUIET`), at most `PROMPT_WAIT`: a click on a busy machine must find the prompt
/// in its replay, not a terminal still starting.
async fn prompted(first: &Terminal) {
    let deadline = tokio::time::Instant::now() + PROMPT_WAIT;
    let mut seen = 0;
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(PROMPT_QUIET).await;
        let produced = first.produced();
        if produced > 0 && produced == seen {
            return;
        }
        seen = produced;
    }
}

/// How long after a claim the pool starts refilling.
const REFILL_AFTER: Duration = Duration::from_millis(500);

/// Spawns the refill task; abort the handle to stop it (then `Sessions::end_all` removes
/// what the pool holds).
pub fn spawn(sessions: Arc<Sessions>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let size = sessions.config().pool_size;
        if size == 0 {
            return;
        }
        loop {
            for profile in [Profile::Docker, Profile::Shell] {
                while sessions.pool.len(profile) < size && !sessions.is_full() {
                    match make(&sessions, profile).await {
                        Ok(ready) => sessions.pool.put(profile, ready),
                        Err(err) => {
                            tracing::warn!(profile = profile.as_str(), error = %err, "could not refill the warm pool");
                            break;
                        }
                    }
                }
            }
            let claimed =
                tokio::time::timeout(Duration::from_secs(5), sessions.pool.claimed.notified())
                    .await;
            if claimed.is_ok() {
                // The claimed session's first prompt goes out first: starting the next
                // container meanwhile would take the CPU a small server gives the page.
                tokio::time::sleep(REFILL_AFTER).await;
            }
        }
    })
}
