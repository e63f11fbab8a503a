//! Session lifecycle: creation within capacity and the per-client limits (`admission`), lookup
//! by id and token, nodes added and removed, terminals, extension, expiry with warnings, idle
//! and unclaimed reclaim, loss of the engine, ending and shutdown. `Sessions` owns every live
//! session; the reaper task (`reaper`) ends expired, idle and unclaimed ones and sweeps the
//! engine for objects of no known session, and the monitor (`monitor`) watches the engine.
//! Creation runs in a task of its own, so a client that leaves halfway leaves nothing behind.
//! Ending a session tells its sockets (`SessionEvent`), drops its terminals and removes its
//! containers, volumes and network through the runtime.

pub mod admission;
pub mod firewall;
pub mod monitor;
pub mod pool;
pub mod reaper;
pub mod terminal;
pub mod token;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use quai_protocol::{
    CreateSession, EndReason, ErrorCode, NodeInfo, Profile, SessionInfo, TerminalInfo,
};
use tokio::sync::broadcast;

use crate::config::Config;
use crate::runtime::{Node, NodeSpec, Runtime, RuntimeError, TermSize};
use terminal::Terminal;

/// Most nodes a session may have.
pub const MAX_NODES: u8 = 5;
/// Warnings are sent when this many seconds are left.
pub const WARN_AT: [u64; 2] = [600, 60];

/// Something every socket of a session must hear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    Expiring(u64),
    /// Nodes or time changed; sockets send the new `SessionInfo`.
    Updated,
    /// Something that went wrong for the student, shown as an error banner.
    Problem(ErrorCode, String),
    /// Something the student should know that is not an error.
    Notice(String),
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
    #[error("a session has at most {MAX_NODES} nodes")]
    NodeLimit,
    #[error("this session cannot be extended any further; it ends at its maximum lifetime")]
    ExtendLimit,
    #[error("this session already has {0} terminals open, the most it may have; close one to open another")]
    TerminalLimit(usize),
    #[error(
        "you started too many playgrounds in a short time; try again in {retry_after_secs} seconds"
    )]
    RateLimited { retry_after_secs: u64 },
    #[error("you already have {0} playgrounds running, the most one visitor may have at once; end one to start another")]
    ClientLimit(usize),
    #[error("{0}")]
    Busy(String),
    #[error("new playgrounds are paused: the host firewall that keeps them away from this server is not in place ({0}); the operator must fix it, and Quai checks again every 10 seconds")]
    Firewall(String),
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
    pub profile: Profile,
    pub created_at: u64,
    expires_at: AtomicU64,
    max_expires_at: u64,
    /// Lowest warning threshold already sent (u64::MAX when none).
    warned_at: AtomicU64,
    ended: AtomicBool,
    /// Open sockets, and since when there has been none (for idle reclaim).
    sockets: AtomicUsize,
    idle_since: AtomicU64,
    nodes: Mutex<Vec<Node>>,
    terminals: tokio::sync::Mutex<HashMap<u16, Arc<Terminal>>>,
    events: broadcast::Sender<SessionEvent>,
    /// The lesson this session was started for; set once, when the lesson starts.
    lesson: std::sync::OnceLock<String>,
    /// The client it counts against (`None`: an exempt network).
    owner: Option<admission::ClientKey>,
    /// One transfer and one check of this session at a time.
    transfer_slot: Arc<tokio::sync::Semaphore>,
    check_slot: Arc<tokio::sync::Semaphore>,
    /// Whether its owner ever came for it (a socket, a request with its token).
    claimed: AtomicBool,
}

impl Session {
    pub fn expires_at(&self) -> u64 {
        self.expires_at.load(Ordering::Relaxed)
    }

    /// The latest the session may last, extensions included.
    pub fn max_expires_at(&self) -> u64 {
        self.max_expires_at
    }

    pub fn token_matches(&self, token: &str) -> bool {
        token::token_matches(token, &self.token_hash)
    }

    /// The slug of the lesson this session runs, if any.
    pub fn lesson(&self) -> Option<&str> {
        self.lesson.get().map(String::as_str)
    }

    /// Binds the session to a lesson; a session runs at most one lesson in its life.
    pub fn set_lesson(&self, slug: &str) -> bool {
        self.lesson.set(slug.to_string()).is_ok()
    }

    pub fn is_ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<SessionEvent> {
        self.events.subscribe()
    }

    fn notify(&self, event: SessionEvent) {
        let _ = self.events.send(event);
    }

    pub fn node(&self, name: &str) -> Option<Node> {
        self.nodes
            .lock()
            .expect("nodes lock")
            .iter()
            .find(|n| n.name == name)
            .cloned()
    }

    pub fn nodes(&self) -> Vec<Node> {
        self.nodes.lock().expect("nodes lock").clone()
    }

    /// A socket opened; the session is not idle while one is open.
    pub fn socket_opened(&self) {
        self.claim();
        self.sockets.fetch_add(1, Ordering::SeqCst);
    }

    /// Its owner came for it: it is no longer reclaimed as unclaimed.
    pub fn claim(&self) {
        self.claimed.store(true, Ordering::SeqCst);
    }

    pub fn socket_closed(&self) {
        if self.sockets.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle_since.store(unix_now(), Ordering::SeqCst);
        }
    }

    /// Seconds without any open socket at `now` (0 while one is open).
    fn idle_for(&self, now: u64) -> u64 {
        if self.sockets.load(Ordering::SeqCst) > 0 {
            return 0;
        }
        now.saturating_sub(self.idle_since.load(Ordering::SeqCst))
    }

    pub async fn info(&self) -> SessionInfo {
        let terms: Vec<TerminalInfo> = {
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
            terms
        };
        SessionInfo {
            id: self.id.clone(),
            created_at: self.created_at,
            expires_at: self.expires_at(),
            max_expires_at: self.max_expires_at,
            profile: self.profile,
            nodes: self
                .nodes()
                .into_iter()
                .map(|n| NodeInfo { name: n.name })
                .collect(),
            max_nodes: MAX_NODES,
            terminals: terms,
            lesson: self.lesson.get().cloned(),
        }
    }

    /// Attaches to terminal `term`, starting a login shell on `node` if it is not running.
    pub async fn open_terminal(
        &self,
        runtime: &Arc<dyn Runtime>,
        term: u16,
        node: &str,
        size: TermSize,
        limits: terminal::Limits,
        max_terminals: usize,
    ) -> Result<Arc<Terminal>, SessionError> {
        let target = self.node(node).ok_or_else(|| {
            SessionError::BadRequest(format!("this session has no node named {node:?}"))
        })?;
        // The map is locked only to look and to insert: the engine is called without it, so
        // the session's other terminals (keystrokes, other sockets) never wait on an exec
        // being made.
        let reusable = {
            let terminals = self.terminals.lock().await;
            Self::admit_terminal(&terminals, term, node, max_terminals)?
        };
        if let Some(existing) = reusable {
            existing.resize(runtime.as_ref(), size).await?;
            return Ok(existing);
        }
        let io = runtime.open_terminal(&target, size).await?;
        let terminal = Arc::new(Terminal::start(
            term,
            node.to_string(),
            io,
            runtime.clone(),
            limits,
        ));
        let mut terminals = self.terminals.lock().await;
        // Opened twice at once (two sockets): the first one stays, and this one's shell ends
        // with its input when it drops.
        if let Some(first) = Self::admit_terminal(&terminals, term, node, max_terminals)? {
            return Ok(first);
        }
        terminals.insert(term, terminal.clone());
        Ok(terminal)
    }

    /// Whether terminal `term` may be opened on `node`: `Some` running terminal to attach to,
    /// `None` when a new one may start, or why not.
    fn admit_terminal(
        terminals: &HashMap<u16, Arc<Terminal>>,
        term: u16,
        node: &str,
        max_terminals: usize,
    ) -> Result<Option<Arc<Terminal>>, SessionError> {
        if let Some(existing) = terminals.get(&term) {
            if existing.node != node {
                return Err(SessionError::BadRequest(format!(
                    "terminal {term} already runs on {}, not {node}",
                    existing.node
                )));
            }
            if !existing.has_exited() {
                return Ok(Some(existing.clone()));
            }
        }
        let open = terminals
            .iter()
            .filter(|(id, t)| **id != term && !t.has_exited())
            .count();
        if open >= max_terminals {
            return Err(SessionError::TerminalLimit(max_terminals));
        }
        Ok(None)
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
    /// Sessions and nodes being created: they count against capacity before they exist.
    starting_sessions: AtomicUsize,
    starting_nodes: AtomicUsize,
    /// Sessions being created, per client, for the per-client limit.
    starting_clients: StartingClients,
    /// Ids of sessions being made (not yet live nor in the pool), which the sweep leaves alone.
    starting_ids: Mutex<HashSet<String>>,
    /// Playgrounds started per client in the last minute.
    limiter: admission::Limiter,
    /// Whether the host firewall is verified in place (`firewall::check`); why not, if not.
    firewall: Mutex<Result<(), String>>,
    /// Transfers and checks running on the whole server (`--max-transfers`, `--max-checks`).
    transfers: Arc<tokio::sync::Semaphore>,
    checks: Arc<tokio::sync::Semaphore>,
    /// Sessions made ahead of time.
    pub pool: pool::Pool,
}

impl Sessions {
    pub fn new(runtime: Arc<dyn Runtime>, config: Arc<Config>) -> Self {
        Sessions {
            runtime,
            live: Mutex::new(HashMap::new()),
            starting_sessions: AtomicUsize::new(0),
            starting_nodes: AtomicUsize::new(0),
            starting_clients: Mutex::new(HashMap::new()),
            starting_ids: Mutex::new(HashSet::new()),
            limiter: admission::Limiter::new(config.create_per_minute),
            firewall: Mutex::new(Err("it was not checked yet".to_string())),
            transfers: Arc::new(tokio::sync::Semaphore::new(config.max_transfers.max(1))),
            checks: Arc::new(tokio::sync::Semaphore::new(config.max_checks.max(1))),
            pool: pool::Pool::default(),
            config,
        }
    }

    pub fn runtime(&self) -> &Arc<dyn Runtime> {
        &self.runtime
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Starts a piece of `work` for `session`: one of each kind per session at a time, and a
    /// bounded number on the whole server (a transfer holds its archive in memory, a check a
    /// node's time), waiting a few seconds for a place. The permit ends it when dropped.
    pub async fn begin(&self, session: &Session, work: Work) -> Result<WorkPermit, SessionError> {
        let (slot, all, what) = match work {
            Work::Transfer => (&session.transfer_slot, &self.transfers, "transfer"),
            Work::Check => (&session.check_slot, &self.checks, "check"),
        };
        let own = slot.clone().try_acquire_owned().map_err(|_| {
            SessionError::Busy(format!(
                "another {what} of this session is still running; wait for it to end"
            ))
        })?;
        let server = tokio::time::timeout(WORK_WAIT, all.clone().acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| {
                SessionError::Busy(format!(
                    "the server is busy with other students' work ({what}s); try again in a few seconds"
                ))
            })?;
        Ok(WorkPermit {
            _own: own,
            _server: server,
        })
    }

    /// Opens (`Ok`) or closes (`Err(why)`) session creation on the firewall's state.
    pub fn set_firewall(&self, state: Result<(), String>) {
        *self.firewall.lock().expect("firewall lock") = state;
    }

    pub fn count(&self) -> usize {
        self.live.lock().expect("sessions lock").len()
    }

    fn all(&self) -> Vec<Arc<Session>> {
        self.live
            .lock()
            .expect("sessions lock")
            .values()
            .cloned()
            .collect()
    }

    /// Whether no session or node could start now (the pool does not fill past this).
    pub fn is_full(&self) -> bool {
        self.reserve(1, 1, None).is_err()
    }

    fn spec(&self, name: String, profile: Profile) -> NodeSpec {
        let image = match profile {
            Profile::Shell => self.config.base_image.clone(),
            Profile::Docker => self.config.docker_image.clone(),
        };
        NodeSpec {
            name,
            profile,
            image,
            memory_bytes: (self.config.node_memory_mb * 1024 * 1024) as i64,
            pids: self.config.node_pids,
            nano_cpus: (self.config.node_cpus * 1e9) as i64,
            disk_bytes: (self.config.node_disk_mb * 1024 * 1024) as i64,
        }
    }

    /// Creates a session as asked, counted as `admission` says; returns it with its secret
    /// token. The work runs in a task of its own: when the caller goes away halfway (a client
    /// that left), the session is still made whole, and then reclaimed as unclaimed, instead
    /// of leaving a network or containers that no session owns.
    pub async fn create(
        self: &Arc<Self>,
        request: &CreateSession,
        admission: admission::Admission,
    ) -> Result<(Arc<Session>, String), SessionError> {
        let this = self.clone();
        let request = request.clone();
        tokio::spawn(async move { this.create_whole(&request, admission).await })
            .await
            .map_err(|err| {
                SessionError::Runtime(RuntimeError::Engine(format!(
                    "creating the session stopped: {err}"
                )))
            })?
    }

    async fn create_whole(
        &self,
        request: &CreateSession,
        admission: admission::Admission,
    ) -> Result<(Arc<Session>, String), SessionError> {
        let nodes = request.nodes.unwrap_or(1);
        let profile = request.profile.unwrap_or_default();
        if !(1..=MAX_NODES).contains(&nodes) {
            return Err(SessionError::BadRequest(format!(
                "a session has 1 to {MAX_NODES} nodes, not {nodes}"
            )));
        }
        if let Err(why) = self.firewall.lock().expect("firewall lock").clone() {
            return Err(SessionError::Firewall(why));
        }
        let owner = admission.client();
        if let Some(client) = owner {
            self.limiter
                .check(client)
                .map_err(|retry_after_secs| SessionError::RateLimited { retry_after_secs })?;
        }
        let _reservation = self.reserve(1, nodes as usize, owner)?;
        let token = token::new_token();
        let (id, mut created, first, _starting) = match self.claim_ready(profile).await {
            Some(ready) => {
                let starting = self.starting(&ready.id);
                (ready.id, vec![ready.node], 2, starting)
            }
            None => {
                let id = token::new_session_id();
                let starting = self.starting(&id);
                self.runtime.create_network(&id).await?;
                (id, Vec::new(), 1, starting)
            }
        };
        let specs: Vec<NodeSpec> = (first..=nodes)
            .map(|n| self.spec(format!("node{n}"), profile))
            .collect();
        let made =
            futures::future::join_all(specs.iter().map(|spec| self.runtime.create_node(&id, spec)))
                .await;
        for result in made {
            match result {
                Ok(node) => created.push(node),
                Err(err) => {
                    if let Err(cleanup) = self.runtime.destroy_session(&id).await {
                        tracing::warn!(session = %id, error = %cleanup, "could not clean up a half-created session");
                    }
                    return Err(err.into());
                }
            }
        }
        let now = unix_now();
        let (events, _) = broadcast::channel(64);
        let session = Arc::new(Session {
            id: id.clone(),
            token_hash: token::hash_token(&token),
            profile,
            created_at: now,
            expires_at: AtomicU64::new(now + self.config.session_ttl.min(self.config.max_lifetime)),
            max_expires_at: now + self.config.max_lifetime,
            warned_at: AtomicU64::new(u64::MAX),
            ended: AtomicBool::new(false),
            sockets: AtomicUsize::new(0),
            idle_since: AtomicU64::new(now),
            nodes: Mutex::new(created),
            terminals: tokio::sync::Mutex::new(HashMap::new()),
            lesson: std::sync::OnceLock::new(),
            events,
            owner,
            claimed: AtomicBool::new(false),
            transfer_slot: Arc::new(tokio::sync::Semaphore::new(1)),
            check_slot: Arc::new(tokio::sync::Semaphore::new(1)),
        });
        self.live
            .lock()
            .expect("sessions lock")
            .insert(id.clone(), session.clone());
        tracing::info!(session = %id, nodes, profile = profile.as_str(), "session created");
        Ok((session, token))
    }

    /// A ready session of `profile` from the pool whose node still runs.
    async fn claim_ready(&self, profile: Profile) -> Option<pool::Ready> {
        while let Some(ready) = self.pool.take(profile) {
            if matches!(self.runtime.node_running(&ready.node).await, Ok(true)) {
                return Some(ready);
            }
            let _ = self.runtime.destroy_session(&ready.id).await;
        }
        None
    }

    /// Marks session `id` as being made until the guard drops: the sweep leaves it alone.
    fn starting(&self, id: &str) -> StartingId<'_> {
        self.starting_ids
            .lock()
            .expect("starting ids lock")
            .insert(id.to_string());
        StartingId {
            ids: &self.starting_ids,
            id: id.to_string(),
        }
    }

    /// Takes places for `sessions` sessions and `nodes` nodes being created (for `client`,
    /// within its own allowance), or says when one frees up. The places are given back when
    /// the reservation drops.
    fn reserve(
        &self,
        sessions: usize,
        nodes: usize,
        client: Option<admission::ClientKey>,
    ) -> Result<Reservation<'_>, SessionError> {
        let live = self.live.lock().expect("sessions lock");
        let mut starting_clients = self.starting_clients.lock().expect("starting clients lock");
        if let Some(client) = client {
            let held = live
                .values()
                .filter(|s| s.owner == Some(client) && !s.is_ended())
                .count()
                + starting_clients.get(&client).copied().unwrap_or(0);
            if held + sessions > self.config.max_sessions_per_client {
                return Err(SessionError::ClientLimit(
                    self.config.max_sessions_per_client,
                ));
            }
        }
        let running_nodes: usize = live
            .values()
            .map(|s| s.nodes.lock().expect("nodes lock").len())
            .sum();
        let full = live.len() + self.starting_sessions.load(Ordering::SeqCst) + sessions
            > self.config.max_sessions
            || running_nodes + self.starting_nodes.load(Ordering::SeqCst) + nodes
                > self.config.max_nodes;
        if full {
            let now = unix_now();
            let soonest = live
                .values()
                .map(|s| s.expires_at().saturating_sub(now))
                .min();
            return Err(SessionError::Capacity {
                retry_after_secs: soonest.unwrap_or(60).max(1),
            });
        }
        self.starting_sessions.fetch_add(sessions, Ordering::SeqCst);
        self.starting_nodes.fetch_add(nodes, Ordering::SeqCst);
        if let Some(client) = client {
            *starting_clients.entry(client).or_default() += sessions;
        }
        Ok(Reservation {
            sessions: (&self.starting_sessions, sessions),
            nodes: (&self.starting_nodes, nodes),
            client: client.map(|c| (&self.starting_clients, c, sessions)),
        })
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

    /// A live session by id alone, for callers that proved their right another way (a
    /// preview ticket signed by this server).
    pub fn find(&self, id: &str) -> Option<Arc<Session>> {
        let live = self.live.lock().expect("sessions lock");
        live.get(id).filter(|s| !s.is_ended()).cloned()
    }

    /// Adds the lowest free `nodeN` to a session.
    pub async fn add_node(&self, session: &Session) -> Result<NodeInfo, SessionError> {
        let name = {
            let nodes = session.nodes.lock().expect("nodes lock");
            if nodes.len() >= MAX_NODES as usize {
                return Err(SessionError::NodeLimit);
            }
            (1..=MAX_NODES)
                .map(|n| format!("node{n}"))
                .find(|name| nodes.iter().all(|node| &node.name != name))
                .ok_or(SessionError::NodeLimit)?
        };
        let _reservation = self.reserve(0, 1, None)?;
        let node = self
            .runtime
            .create_node(&session.id, &self.spec(name.clone(), session.profile))
            .await?;
        let added = {
            let mut nodes = session.nodes.lock().expect("nodes lock");
            let clash = nodes.iter().any(|n| n.name == name) || session.is_ended();
            if !clash {
                nodes.push(node.clone());
                nodes.sort_by_key(|n| n.name[4..].parse::<u8>().unwrap_or(u8::MAX));
            }
            !clash
        };
        if !added {
            self.runtime.remove_node(&node).await?;
            return Err(SessionError::BadRequest(format!(
                "{name} was added twice at once; try again"
            )));
        }
        session.notify(SessionEvent::Updated);
        tracing::info!(session = %session.id, node = %name, "node added");
        Ok(NodeInfo { name })
    }

    /// Removes node `name` and its terminals; a session keeps at least one node.
    pub async fn remove_node(&self, session: &Session, name: &str) -> Result<(), SessionError> {
        let node = {
            let mut nodes = session.nodes.lock().expect("nodes lock");
            let index = nodes.iter().position(|n| n.name == name).ok_or_else(|| {
                SessionError::BadRequest(format!("this session has no node named {name:?}"))
            })?;
            if nodes.len() == 1 {
                return Err(SessionError::BadRequest(
                    "a session keeps at least one node; end the session instead".to_string(),
                ));
            }
            nodes.remove(index)
        };
        session.terminals.lock().await.retain(|_, t| t.node != name);
        self.runtime.remove_node(&node).await?;
        session.notify(SessionEvent::Updated);
        tracing::info!(session = %session.id, node = %name, "node removed");
        Ok(())
    }

    /// Pushes the end of a session back by the configured step, up to its maximum lifetime.
    pub fn extend(&self, session: &Session) -> Result<(), SessionError> {
        let current = session.expires_at();
        if current >= session.max_expires_at {
            return Err(SessionError::ExtendLimit);
        }
        let extended = (current + self.config.extend_step).min(session.max_expires_at);
        session.expires_at.store(extended, Ordering::SeqCst);
        session.warned_at.store(u64::MAX, Ordering::SeqCst);
        session.notify(SessionEvent::Updated);
        Ok(())
    }

    /// Ends session `id`: its terminals stop, its containers go, then its sockets are told.
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
        session.notify(SessionEvent::Ended(reason));
        destroyed?;
        tracing::info!(session = %id, ?reason, "session ended");
        Ok(())
    }

    /// Ends expired, idle and unclaimed sessions and warns those about to expire. Called
    /// every second.
    pub async fn reap(&self, now: u64) {
        for session in self.all() {
            let left = session.expires_at().saturating_sub(now);
            let unclaimed = !session.claimed.load(Ordering::SeqCst)
                && now.saturating_sub(session.created_at) >= self.config.unclaimed_timeout;
            let idle = unclaimed || session.idle_for(now) >= self.config.idle_timeout;
            if left == 0 || idle {
                let reason = if left == 0 {
                    EndReason::Expired
                } else {
                    EndReason::Idle
                };
                if let Err(err) = self.end(&session.id, reason).await {
                    tracing::warn!(session = %session.id, error = %err, "could not remove an ended session");
                }
                continue;
            }
            for threshold in WARN_AT {
                if left <= threshold && session.warned_at.load(Ordering::Relaxed) > threshold {
                    session.warned_at.store(threshold, Ordering::Relaxed);
                    session.notify(SessionEvent::Expiring(left));
                    break;
                }
            }
        }
    }

    /// Tells every session's sockets something (the engine went away, came back).
    pub fn notify_all(&self, event: SessionEvent) {
        for session in self.all() {
            session.notify(event.clone());
        }
    }

    /// Ends the sessions whose containers the engine no longer runs; returns how many.
    pub async fn end_lost(&self) -> usize {
        let mut lost = 0;
        for session in self.all() {
            let mut alive = true;
            for node in session.nodes() {
                if !matches!(self.runtime.node_running(&node).await, Ok(true)) {
                    alive = false;
                    break;
                }
            }
            if !alive {
                lost += 1;
                if let Err(err) = self.end(&session.id, EndReason::Lost).await {
                    tracing::warn!(session = %session.id, error = %err, "could not remove a lost session");
                }
            }
        }
        lost
    }

    /// Removes the engine objects of this instance that belong to no session it knows (not
    /// live, not in the pool, not being made), when they were already unknown at the previous
    /// sweep (`suspects`): an id between two of those states for an instant is never taken.
    /// Returns how many sessions' objects were removed.
    pub async fn sweep(&self, suspects: &mut HashSet<String>) -> Result<usize, RuntimeError> {
        let on_engine = self.runtime.session_ids().await?;
        let mut known: HashSet<String> = self.pool.ids().into_iter().collect();
        known.extend(
            self.starting_ids
                .lock()
                .expect("starting ids lock")
                .iter()
                .cloned(),
        );
        known.extend(self.live.lock().expect("sessions lock").keys().cloned());
        let unknown: HashSet<String> = on_engine.difference(&known).cloned().collect();
        let mut removed = 0;
        for id in unknown.intersection(suspects) {
            match self.runtime.destroy_session(id).await {
                Ok(()) => {
                    removed += 1;
                    tracing::info!(session = %id, "removed what a session unknown to this server left on the engine");
                }
                Err(err) => {
                    tracing::warn!(session = %id, error = %err, "could not remove the leftovers of an unknown session")
                }
            }
        }
        *suspects = unknown.difference(suspects).cloned().collect();
        Ok(removed)
    }

    /// Ends every session and empties the pool (server shutdown).
    pub async fn end_all(&self, reason: EndReason) {
        for id in self.pool.drain() {
            if let Err(err) = self.runtime.destroy_session(&id).await {
                tracing::warn!(error = %err, "could not remove a ready session at shutdown");
            }
        }
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

/// Work that holds server memory or a node's time, bounded per session and per server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// An upload, a download, a workspace export or import.
    Transfer,
    /// A lesson step's check.
    Check,
}

/// How long `Sessions::begin` waits for a place on the server.
const WORK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A piece of work under way; its places are given back when it drops.
#[derive(Debug)]
pub struct WorkPermit {
    _own: tokio::sync::OwnedSemaphorePermit,
    _server: tokio::sync::OwnedSemaphorePermit,
}

/// Gives back the places taken by `Sessions::reserve`, however creation ends.
struct Reservation<'a> {
    sessions: (&'a AtomicUsize, usize),
    nodes: (&'a AtomicUsize, usize),
    /// Sessions being made per client, this client, and how many this reservation took.
    client: Option<(&'a StartingClients, admission::ClientKey, usize)>,
}

/// Sessions being made, per client.
type StartingClients = Mutex<HashMap<admission::ClientKey, usize>>;

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.sessions.0.fetch_sub(self.sessions.1, Ordering::SeqCst);
        self.nodes.0.fetch_sub(self.nodes.1, Ordering::SeqCst);
        if let Some((starting, client, n)) = self.client {
            let mut starting = starting.lock().expect("starting clients lock");
            if let Some(count) = starting.get_mut(&client) {
                *count = count.saturating_sub(n);
                if *count == 0 {
                    starting.remove(&client);
                }
            }
        }
    }
}

/// Keeps a session id in `Sessions::starting_ids` while it is being made.
struct StartingId<'a> {
    ids: &'a Mutex<HashSet<String>>,
    id: String,
}

impl Drop for StartingId<'_> {
    fn drop(&mut self) {
        self.ids.lock().expect("starting ids lock").remove(&self.id);
    }
}
