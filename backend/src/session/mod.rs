//! Session lifecycle: creation within capacity, lookup by id and token, terminals, expiry
//! with warnings, ending, and shutdown. `Sessions` owns every live session; the reaper task
//! (`reaper`) ends expired ones. Ending a session tells its sockets (`SessionEvent`), drops
//! its terminals and removes its containers and network through the runtime.

pub mod reaper;
pub mod terminal;
pub mod token;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use quai_protocol::{EndReason, NodeInfo, SessionInfo, TerminalInfo};
use tokio::sync::broadcast;

use crate::config::Config;
use crate::runtime::{Node, NodeSpec, Runtime, RuntimeError, TermSize};
use terminal::Terminal;

/// Most nodes a session may ask for.
pub const MAX_NODES: u8 = 5;
/// Warnings are sent when this many seconds are left.
pub const WARN_AT: [u64; 2] = [600, 60];

/// Something every socket of a session must hear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEvent {
    Expiring(u64),
    Ended(EndReason),
}

/// Why a session operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the playground is full; a place frees up in about {}", minutes(*retry_after_secs))]
    Capacity { retry_after_secs: u64 },
    #[error("this session has ended or does not exist")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// "1 minute", "7 minutes": a wait rounded up to whole minutes.
pub fn minutes(secs: u64) -> String {
    match secs.div_ceil(60).max(1) {
        1 => "1 minute".to_string(),
        n => format!("{n} minutes"),
    }
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// One student's playground: its nodes and the terminals running in them.
pub struct Session {
    pub id: String,
    token_hash: [u8; 32],
    pub created_at: u64,
    expires_at: AtomicU64,
    /// Lowest warning threshold already sent (u64::MAX when none).
    warned_at: AtomicU64,
    ended: AtomicBool,
    pub nodes: Vec<Node>,
    terminals: tokio::sync::Mutex<HashMap<u16, Arc<Terminal>>>,
    events: broadcast::Sender<SessionEvent>,
}

impl Session {
    pub fn expires_at(&self) -> u64 {
        self.expires_at.load(Ordering::Relaxed)
    }

    pub fn token_matches(&self, token: &str) -> bool {
        token::token_matches(token, &self.token_hash)
    }

    pub fn is_ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<SessionEvent> {
        self.events.subscribe()
    }

    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name == name)
    }

    pub async fn info(&self) -> SessionInfo {
        let terminals = self.terminals.lock().await;
        let mut terms: Vec<TerminalInfo> = terminals
            .values()
            .filter(|t| !t.has_exited())
            .map(|t| TerminalInfo {
                term: t.term,
                node: t.node.clone(),
            })
            .collect();
        terms.sort_by_key(|t| t.term);
        SessionInfo {
            id: self.id.clone(),
            created_at: self.created_at,
            expires_at: self.expires_at(),
            nodes: self
                .nodes
                .iter()
                .map(|n| NodeInfo {
                    name: n.name.clone(),
                })
                .collect(),
            terminals: terms,
        }
    }

    /// Attaches to terminal `term`, starting a login shell on `node` if it is not running.
    pub async fn open_terminal(
        &self,
        runtime: &Arc<dyn Runtime>,
        term: u16,
        node: &str,
        size: TermSize,
        scrollback: usize,
    ) -> Result<Arc<Terminal>, SessionError> {
        let target = self.node(node).ok_or_else(|| {
            SessionError::BadRequest(format!("this session has no node named {node:?}"))
        })?;
        let mut terminals = self.terminals.lock().await;
        if let Some(existing) = terminals.get(&term) {
            if existing.node != node {
                return Err(SessionError::BadRequest(format!(
                    "terminal {term} already runs on {}, not {node}",
                    existing.node
                )));
            }
            if !existing.has_exited() {
                let existing = existing.clone();
                drop(terminals);
                existing.resize(runtime.as_ref(), size).await?;
                return Ok(existing);
            }
        }
        let io = runtime.open_terminal(target, size).await?;
        let terminal = Arc::new(Terminal::start(
            term,
            node.to_string(),
            io,
            runtime.clone(),
            scrollback,
        ));
        terminals.insert(term, terminal.clone());
        Ok(terminal)
    }

    pub async fn terminal(&self, term: u16) -> Option<Arc<Terminal>> {
        self.terminals.lock().await.get(&term).cloned()
    }

    /// Ends terminal `term`: closing its input ends the shell.
    pub async fn close_terminal(&self, term: u16) -> bool {
        self.terminals.lock().await.remove(&term).is_some()
    }
}

/// Every live session of this server.
pub struct Sessions {
    runtime: Arc<dyn Runtime>,
    config: Arc<Config>,
    live: Mutex<HashMap<String, Arc<Session>>>,
    /// Sessions being created: they count against capacity before they exist.
    starting: AtomicUsize,
}

impl Sessions {
    pub fn new(runtime: Arc<dyn Runtime>, config: Arc<Config>) -> Self {
        Sessions {
            runtime,
            config,
            live: Mutex::new(HashMap::new()),
            starting: AtomicUsize::new(0),
        }
    }

    pub fn runtime(&self) -> &Arc<dyn Runtime> {
        &self.runtime
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn count(&self) -> usize {
        self.live.lock().expect("sessions lock").len()
    }

    /// Creates a session with `nodes` nodes; returns it with its secret token.
    pub async fn create(&self, nodes: Option<u8>) -> Result<(Arc<Session>, String), SessionError> {
        let nodes = nodes.unwrap_or(1);
        if !(1..=MAX_NODES).contains(&nodes) {
            return Err(SessionError::BadRequest(format!(
                "a session has 1 to {MAX_NODES} nodes, not {nodes}"
            )));
        }
        self.reserve()?;
        let _reservation = Reservation(&self.starting);
        let id = token::new_session_id();
        let token = token::new_token();
        let specs: Vec<NodeSpec> = (1..=nodes)
            .map(|n| NodeSpec {
                name: format!("node{n}"),
                image: self.config.base_image.clone(),
                memory_bytes: (self.config.node_memory_mb * 1024 * 1024) as i64,
                pids: self.config.node_pids,
                nano_cpus: (self.config.node_cpus * 1e9) as i64,
            })
            .collect();
        let created = self.runtime.create_session(&id, &specs).await?;
        let now = unix_now();
        let (events, _) = broadcast::channel(16);
        let session = Arc::new(Session {
            id: id.clone(),
            token_hash: token::hash_token(&token),
            created_at: now,
            expires_at: AtomicU64::new(now + self.config.session_ttl),
            warned_at: AtomicU64::new(u64::MAX),
            ended: AtomicBool::new(false),
            nodes: created,
            terminals: tokio::sync::Mutex::new(HashMap::new()),
            events,
        });
        self.live
            .lock()
            .expect("sessions lock")
            .insert(id.clone(), session.clone());
        tracing::info!(session = %id, nodes, "session created");
        Ok((session, token))
    }

    /// Takes a place for a session being created, or says when one frees up.
    fn reserve(&self) -> Result<(), SessionError> {
        let live = self.live.lock().expect("sessions lock");
        let starting = self.starting.load(Ordering::SeqCst);
        if live.len() + starting >= self.config.max_sessions {
            let now = unix_now();
            let soonest = live
                .values()
                .map(|s| s.expires_at().saturating_sub(now))
                .min();
            return Err(SessionError::Capacity {
                retry_after_secs: soonest.unwrap_or(60).max(1),
            });
        }
        self.starting.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// The session `id` if `token` is its token. Unknown id and wrong token look the same.
    pub fn get(&self, id: &str, token: &str) -> Result<Arc<Session>, SessionError> {
        let live = self.live.lock().expect("sessions lock");
        match live.get(id) {
            Some(session) if session.token_matches(token) && !session.is_ended() => {
                Ok(session.clone())
            }
            _ => Err(SessionError::NotFound),
        }
    }

    /// Ends session `id`: its sockets are told, its terminals stop, its containers go.
    pub async fn end(&self, id: &str, reason: EndReason) -> Result<(), SessionError> {
        let session = self
            .live
            .lock()
            .expect("sessions lock")
            .remove(id)
            .ok_or(SessionError::NotFound)?;
        session.ended.store(true, Ordering::SeqCst);
        session.terminals.lock().await.clear();
        let destroyed = self.runtime.destroy_session(id).await;
        // Sockets hear of the end once the containers are gone, whatever the engine said.
        let _ = session.events.send(SessionEvent::Ended(reason));
        destroyed?;
        tracing::info!(session = %id, ?reason, "session ended");
        Ok(())
    }

    /// Ends expired sessions and warns those about to expire. Called every second by the reaper.
    pub async fn reap(&self, now: u64) {
        let sessions: Vec<Arc<Session>> = self
            .live
            .lock()
            .expect("sessions lock")
            .values()
            .cloned()
            .collect();
        for session in sessions {
            let left = session.expires_at().saturating_sub(now);
            if left == 0 {
                if let Err(err) = self.end(&session.id, EndReason::Expired).await {
                    tracing::warn!(session = %session.id, error = %err, "could not remove an expired session");
                }
                continue;
            }
            for threshold in WARN_AT {
                if left <= threshold && session.warned_at.load(Ordering::Relaxed) > threshold {
                    session.warned_at.store(threshold, Ordering::Relaxed);
                    let _ = session.events.send(SessionEvent::Expiring(left));
                    break;
                }
            }
        }
    }

    /// Ends every session (server shutdown).
    pub async fn end_all(&self, reason: EndReason) {
        let ids: Vec<String> = self
            .live
            .lock()
            .expect("sessions lock")
            .keys()
            .cloned()
            .collect();
        let ends = ids.iter().map(|id| self.end(id, reason));
        for result in futures::future::join_all(ends).await {
            if let Err(err) = result {
                tracing::warn!(error = %err, "could not remove a session at shutdown");
            }
        }
    }
}

/// Gives back a place taken by `Sessions::reserve` when creation ends, however it ends.
struct Reservation<'a>(&'a AtomicUsize);

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
