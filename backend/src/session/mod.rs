//! Session lifecycle: creation within capacity and the per-client limits (`admission`), lookup
//! by id and token, nodes added and removed, terminals, extension, expiry with warnings, idle
//! and unclaimed reclaim, loss of the engine, ending and shutdown. `Sessions` owns every live
//! session; the reaper task (`reaper`) ends expired, idle and unclaimed ones and sweeps the
//! engine for objects of no known session, and the monitor (`monitor`) watches the engine.
//! Creation runs in a task of its own, so a client that leaves halfway leaves nothing behind.
//! Ending a session tells its sockets (`SessionEvent`), drops its terminals and removes its
//! containers, volumes and network through the runtime. Every session is kept in the store
//! after each change (`Session::save`), its terminals' shells by the terminal keeper
//! (`keeper`), so a restarted server takes them back (`Sessions::adopt`); `kept` ends them
//! from the command line, `node_ops` holds the typed operations Quai runs in a node.

pub mod admission;
pub mod firewall;
pub mod keeper;
pub mod kept;
pub mod monitor;
pub mod node_ops;
pub mod pool;
pub mod reaper;
pub mod replay;
pub mod terminal;
pub mod token;
pub mod viewers;

/// The terminal a page opens first (on `node1`), and the size it has until the page gives
/// its own.
pub const FIRST_TERM: u16 = 1;
const FIRST_SIZE: TermSize = TermSize { cols: 80, rows: 24 };

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use quai_protocol::{
    CreateSession, EndReason, ErrorCode, NodeInfo, Profile, SessionInfo, TerminalInfo,
};
use tokio::sync::broadcast;

use crate::config::{Config, TerminalKeeper};
use crate::runtime::{Node, NodeSpec, Runtime, RuntimeError, TermSize};
use crate::store::sessions::{NodeRecord, SessionRecord};
use crate::store::Store;
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
    /// Who watches its terminals changed (`viewers`).
    Watchers,
    /// Its nodes were made afresh (`Sessions::renew_nodes`); sockets close so that pages
    /// connect again and open their terminals in the new nodes.
    Renewed,
    /// Help with one of its terminals changed (`viewers`).
    Help(viewers::HelpChange),
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
    /// Changes once, when a class seat prepared ahead is handed to a student.
    token_hash: Mutex<[u8; 32]>,
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
    /// Where it is kept so that it outlives the server, under the server instance's name.
    store: Store,
    instance: Arc<str>,
    /// Held while the session is written to the store or removed from it, so that writes
    /// land in the order of the changes.
    saving: tokio::sync::Mutex<()>,
    /// Set while its nodes are made afresh (`renew_nodes`): the old ones are gone before the
    /// new ones are in, and the session is not lost meanwhile.
    renewing: AtomicBool,
    /// Terminals being opened, each by one socket at a time.
    opening: Mutex<HashMap<u16, Arc<tokio::sync::Mutex<()>>>>,
    /// Terminals taken back from the store and not attached again yet: the first attach
    /// replays the keeper's history.
    kept: Mutex<HashSet<u16>>,
    keeper: TerminalKeeper,
    /// Who watches its terminals from outside (an instructor, a class).
    viewers: viewers::Viewers,
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
        let stored = *self.token_hash.lock().expect("token lock");
        token::token_matches(token, &stored)
    }

    /// The slug of the lesson this session runs, if any.
    pub fn lesson(&self) -> Option<&str> {
        self.lesson.get().map(String::as_str)
    }

    /// Binds the session to a lesson; a session runs at most one lesson in its life.
    pub async fn set_lesson(&self, slug: &str) -> bool {
        let set = self.lesson.set(slug.to_string()).is_ok();
        if set {
            self.save().await;
        }
        set
    }

    /// The session as the store keeps it.
    async fn record(&self) -> SessionRecord {
        let mut terminals: Vec<(u16, String)> = self
            .terminals
            .lock()
            .await
            .values()
            .filter(|t| !t.has_exited())
            .map(|t| (t.term, t.node.clone()))
            .collect();
        terminals.sort();
        SessionRecord {
            id: self.id.clone(),
            token_hash: *self.token_hash.lock().expect("token lock"),
            profile: self.profile,
            created_at: self.created_at,
            expires_at: self.expires_at(),
            max_expires_at: self.max_expires_at,
            warned_at: Some(self.warned_at.load(Ordering::SeqCst)).filter(|w| *w != u64::MAX),
            lesson: self.lesson.get().cloned(),
            owner: self.owner.map(|o| o.to_string()),
            claimed: self.claimed.load(Ordering::SeqCst),
            nodes: self
                .nodes()
                .into_iter()
                .map(|n| NodeRecord {
                    name: n.name,
                    container: n.container,
                    user: n.user,
                })
                .collect(),
            terminals,
        }
    }

    /// Writes the session as it now is to the store; an ended session is not written.
    pub async fn save(&self) {
        let _saving = self.saving.lock().await;
        if self.is_ended() {
            return;
        }
        let record = self.record().await;
        if let Err(err) = self.store.save_session(&self.instance, record).await {
            tracing::warn!(session = %self.id, error = %err, "could not keep the session in the database; it will not survive a restart");
        }
    }

    /// Removes the ended session from the store.
    async fn forget(&self) {
        let _saving = self.saving.lock().await;
        if let Err(err) = self.store.delete_session(&self.id).await {
            tracing::warn!(session = %self.id, error = %err, "could not remove an ended session from the database");
        }
    }

    pub fn is_ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<SessionEvent> {
        self.events.subscribe()
    }

    /// Who watches its terminals from outside, and the help going on.
    pub fn viewers(&self) -> &viewers::Viewers {
        &self.viewers
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
    pub async fn socket_opened(&self) {
        self.sockets.fetch_add(1, Ordering::SeqCst);
        self.claim().await;
    }

    /// Its owner came for it: it is no longer reclaimed as unclaimed.
    pub async fn claim(&self) {
        if !self.claimed.swap(true, Ordering::SeqCst) {
            self.save().await;
        }
    }

    pub fn socket_closed(&self) {
        if self.sockets.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle_since.store(unix_now(), Ordering::SeqCst);
        }
    }

    /// Open sockets now.
    pub fn sockets(&self) -> usize {
        self.sockets.load(Ordering::SeqCst)
    }

    /// Seconds without any open socket at `now` (0 while one is open).
    pub fn idle_for(&self, now: u64) -> u64 {
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

    /// Attaches to terminal `term`, starting its shell on `node` (through the terminal
    /// keeper, which attaches to the shell when it already runs there) if the server holds
    /// no running terminal `term`.
    pub async fn open_terminal(
        &self,
        runtime: &Arc<dyn Runtime>,
        term: u16,
        node: &str,
        size: TermSize,
        limits: terminal::Limits,
        max_terminals: usize,
    ) -> Result<Arc<Terminal>, SessionError> {
        self.open(runtime, term, node, size, limits, max_terminals, false)
            .await
    }

    /// `open_terminal`; with `restore`, a terminal the server starts replays the keeper's
    /// history of the shell first (a kept terminal taken back after a restart).
    #[allow(clippy::too_many_arguments)]
    async fn open(
        &self,
        runtime: &Arc<dyn Runtime>,
        term: u16,
        node: &str,
        size: TermSize,
        limits: terminal::Limits,
        max_terminals: usize,
        restore: bool,
    ) -> Result<Arc<Terminal>, SessionError> {
        let target = self.node(node).ok_or_else(|| {
            SessionError::BadRequest(format!("this session has no node named {node:?}"))
        })?;
        // The map is locked only to look and to insert: the engine is called without it, so
        // the session's other terminals (keystrokes, other sockets) never wait on an exec
        // being made. One socket at a time opens a given terminal, so the keeper never has
        // two attaches of this server racing for one shell.
        if let Some(existing) = self.attachable(term, node, max_terminals).await? {
            existing.resize_soon(runtime.clone(), size).await;
            return Ok(existing);
        }
        // Taken back from the store: the first attach replays the keeper's history, and only
        // the server's own taking back (`restore`) refuses a shell that is gone.
        let history = if restore {
            Restore::Required
        } else if self.kept.lock().expect("kept lock").contains(&term) {
            Restore::IfThere
        } else {
            Restore::No
        };
        let lock = self
            .opening
            .lock()
            .expect("opening lock")
            .entry(term)
            .or_default()
            .clone();
        let opened = {
            let _opening = lock.lock().await;
            self.open_new(runtime, &target, term, size, limits, max_terminals, history)
                .await
        };
        {
            let mut opening = self.opening.lock().expect("opening lock");
            // Two references: the map's and this one; nobody else waits for the terminal.
            if Arc::strong_count(&lock) == 2 {
                opening.remove(&term);
            }
        }
        self.kept.lock().expect("kept lock").remove(&term);
        let (terminal, new) = opened?;
        if new {
            self.save().await;
        }
        Ok(terminal)
    }

    /// What the keeper's shell of terminal `term` printed before its screen, as a terminal
    /// shows it (lines end with CR LF), empty when it cannot tell; `None` when the keeper
    /// runs no such shell any more.
    async fn history(runtime: &Arc<dyn Runtime>, node: &Node, term: u16) -> Option<Vec<u8>> {
        let command = keeper::history(term);
        let command: Vec<&str> = command.iter().map(String::as_str).collect();
        // A restart with many terminals asks this of many nodes at once: give it time.
        match runtime
            .exec(node, &command, &[], std::time::Duration::from_secs(30))
            .await
        {
            Ok(out) if out.exit_code == Some(0) => {
                Some(out.output.replace('\n', "\r\n").into_bytes())
            }
            Ok(out) if out.exit_code == Some(keeper::GONE) => None,
            Ok(out) => {
                tracing::warn!(node = %node.name, term, code = ?out.exit_code, "could not read a kept terminal's history");
                Some(Vec::new())
            }
            Err(err) => {
                tracing::warn!(node = %node.name, term, error = %err, "could not read a kept terminal's history");
                Some(Vec::new())
            }
        }
    }

    /// How terminal `term` of `node` starts with `keeper`, and what the server replays
    /// before its output: the keeper's history of the shell when `restore` asks for it
    /// (`quai-keeper` replays its own in the attach). Fails when `restore` requires a shell
    /// that is gone.
    async fn prepare(
        runtime: &Arc<dyn Runtime>,
        keeper: TerminalKeeper,
        node: &Node,
        term: u16,
        size: TermSize,
        restore: Restore,
    ) -> Result<(keeper::Launch, Vec<u8>), SessionError> {
        let gone = || {
            SessionError::BadRequest(format!(
                "the shell of terminal {term} ended while the server was away"
            ))
        };
        match keeper {
            TerminalKeeper::Quai => match Self::quai_keeps(runtime, node, term).await {
                Some(running) => {
                    if !running && restore == Restore::Required {
                        return Err(gone());
                    }
                    Ok((keeper::launch(keeper, term, size), Vec::new()))
                }
                None if restore == Restore::Required => Err(gone()),
                None => Ok((keeper::plain_shell(), Vec::new())),
            },
            TerminalKeeper::Tmux => {
                let history = match restore {
                    Restore::No => Vec::new(),
                    Restore::IfThere => {
                        Self::history(runtime, node, term).await.unwrap_or_default()
                    }
                    Restore::Required => {
                        Self::history(runtime, node, term).await.ok_or_else(gone)?
                    }
                };
                Ok((keeper::launch(keeper, term, size), history))
            }
            TerminalKeeper::None => Ok((keeper::plain_shell(), Vec::new())),
        }
    }

    /// Whether `quai-keeper` runs terminal `term`'s shell in `node`; `None` when the keeper
    /// cannot run there (an image it does not fit, a node made before it), logged.
    async fn quai_keeps(runtime: &Arc<dyn Runtime>, node: &Node, term: u16) -> Option<bool> {
        let command = keeper::quai_has(term);
        let command: Vec<&str> = command.iter().map(String::as_str).collect();
        // A restart with many terminals asks this of many nodes at once: give it time.
        match runtime
            .exec(node, &command, &[], std::time::Duration::from_secs(30))
            .await
        {
            Ok(out) if out.exit_code == Some(0) => Some(true),
            Ok(out) if out.exit_code == Some(keeper::GONE) => Some(false),
            Ok(out) => {
                tracing::warn!(node = %node.name, term, code = ?out.exit_code, output = %out.output.trim(), "quai-keeper cannot run in this node: a plain shell instead");
                None
            }
            Err(err) => {
                tracing::warn!(node = %node.name, term, error = %err, "quai-keeper cannot run in this node: a plain shell instead");
                None
            }
        }
    }

    /// A running terminal `term` on `node` to attach to, `None` when one may start, or why not.
    async fn attachable(
        &self,
        term: u16,
        node: &str,
        max_terminals: usize,
    ) -> Result<Option<Arc<Terminal>>, SessionError> {
        let terminals = self.terminals.lock().await;
        Self::admit_terminal(&terminals, term, node, max_terminals)
    }

    /// Opens terminal `term` once its turn came: `(terminal, true)` when this call started
    /// it, `(terminal, false)` when a socket before it did.
    #[allow(clippy::too_many_arguments)]
    async fn open_new(
        &self,
        runtime: &Arc<dyn Runtime>,
        target: &Node,
        term: u16,
        size: TermSize,
        limits: terminal::Limits,
        max_terminals: usize,
        restore: Restore,
    ) -> Result<(Arc<Terminal>, bool), SessionError> {
        if let Some(first) = self.attachable(term, &target.name, max_terminals).await? {
            first.resize(runtime.as_ref(), size).await?;
            return Ok((first, false));
        }
        let (launch, history) =
            Self::prepare(runtime, self.keeper, target, term, size, restore).await?;
        let io = runtime
            .open_terminal(target, &launch.command, size, launch.tty)
            .await?;
        let terminal = Arc::new(Terminal::start(
            term,
            target.name.clone(),
            io,
            runtime.clone(),
            limits,
            size,
            &history,
            self.keeper == TerminalKeeper::Tmux && launch.tty,
            launch.in_band(),
        ));
        let mut terminals = self.terminals.lock().await;
        if let Some(first) = Self::admit_terminal(&terminals, term, &target.name, max_terminals)? {
            return Ok((first, false));
        }
        terminals.insert(term, terminal.clone());
        Ok((terminal, true))
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

    /// The first terminal still open in `node` (the lowest numbered), if any.
    pub async fn terminal_on(&self, node: &str) -> Option<Arc<Terminal>> {
        self.terminals
            .lock()
            .await
            .values()
            .filter(|t| t.node == node && !t.has_exited())
            .min_by_key(|t| t.term)
            .cloned()
    }

    /// The folder terminal `term`'s shell is in, as the keeper (or the engine's host) says.
    pub async fn terminal_cwd(&self, runtime: &Arc<dyn Runtime>, term: u16) -> Option<String> {
        let terminal = self.terminal(term).await?;
        if let Some(command) = keeper::cwd(self.keeper, term) {
            if let Some(node) = self.node(&terminal.node) {
                let command: Vec<&str> = command.iter().map(String::as_str).collect();
                let asked = runtime
                    .exec(&node, &command, &[], std::time::Duration::from_secs(5))
                    .await;
                if let Ok(out) = asked {
                    let path = out.output.trim();
                    if out.exit_code == Some(0) && path.starts_with('/') {
                        return Some(path.to_string());
                    }
                }
            }
        }
        runtime
            .terminal_cwd(terminal.exec_id())
            .await
            .ok()
            .flatten()
    }

    /// Ends terminal `term` and its shell.
    pub async fn close_terminal(&self, runtime: &Arc<dyn Runtime>, term: u16) -> bool {
        let Some(terminal) = self.terminals.lock().await.remove(&term) else {
            return false;
        };
        if let Some(command) = keeper::end(self.keeper, term) {
            if let Some(node) = self.node(&terminal.node) {
                let command: Vec<&str> = command.iter().map(String::as_str).collect();
                if let Err(err) = runtime
                    .exec(&node, &command, &[], std::time::Duration::from_secs(10))
                    .await
                {
                    tracing::warn!(session = %self.id, term, error = %err, "could not end a terminal's shell");
                }
            }
        }
        drop(terminal);
        self.save().await;
        true
    }
}

/// Every live session of this server.
pub struct Sessions {
    /// `quai-keeper`, copied into every node made, with `--terminal-keeper quai`.
    keeper_program: Option<crate::runtime::KeeperProgram>,
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
    /// Class seats prepared ahead and not handed to a student yet: neither idle nor
    /// unclaimed ends them (their class does).
    held: Mutex<HashSet<String>>,
    /// Where sessions are kept so that they outlive the server.
    store: Store,
}

impl Sessions {
    pub fn new(runtime: Arc<dyn Runtime>, config: Arc<Config>, store: Store) -> Self {
        let keeper_program = (config.terminal_keeper == TerminalKeeper::Quai)
            .then(|| keeper::program(&config.keeper_binary()))
            .and_then(|made| {
                made.map_err(|err| {
                    tracing::error!(error = %err, "quai-keeper cannot be copied into nodes: their terminals get plain shells");
                })
                .ok()
            });
        Sessions {
            keeper_program,
            store,
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
            held: Mutex::new(HashSet::new()),
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
            keeper: self.keeper_program.clone(),
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
        let (id, mut created, first, _starting, started) = match self.claim_ready(profile).await {
            Some(ready) => {
                crate::timing::step("taken from the pool", &ready.id);
                let starting = self.starting(&ready.id);
                (ready.id, vec![ready.node], 2, starting, ready.first)
            }
            None => {
                let id = token::new_session_id();
                let starting = self.starting(&id);
                self.runtime.create_network(&id).await?;
                (id, Vec::new(), 1, starting, None)
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
        let record = SessionRecord {
            id: id.clone(),
            token_hash: token::hash_token(&token),
            profile,
            created_at: now,
            expires_at: now + self.config.session_ttl.min(self.config.max_lifetime),
            max_expires_at: now + self.config.max_lifetime,
            warned_at: None,
            lesson: None,
            owner: owner.map(|o| o.to_string()),
            claimed: false,
            nodes: Vec::new(),
            terminals: Vec::new(),
        };
        let session = Arc::new(self.session_from(record, created, now));
        // The pool's shell, already at its prompt, is the session's terminal 1.
        if let Some(terminal) = started.filter(|t| !t.has_exited()) {
            session
                .terminals
                .lock()
                .await
                .insert(terminal.term, terminal);
        }
        self.live
            .lock()
            .expect("sessions lock")
            .insert(id.clone(), session.clone());
        session.save().await;
        crate::timing::step("session saved", &id);
        tracing::info!(session = %id, nodes, profile = profile.as_str(), "session created");
        Ok((session, token))
    }

    /// A session from what the store keeps of it, running on `nodes`, idle since `idle_since`.
    fn session_from(&self, record: SessionRecord, nodes: Vec<Node>, idle_since: u64) -> Session {
        let (events, _) = broadcast::channel(64);
        let lesson = std::sync::OnceLock::new();
        if let Some(slug) = record.lesson {
            let _ = lesson.set(slug);
        }
        Session {
            id: record.id,
            token_hash: Mutex::new(record.token_hash),
            profile: record.profile,
            created_at: record.created_at,
            expires_at: AtomicU64::new(record.expires_at),
            max_expires_at: record.max_expires_at,
            warned_at: AtomicU64::new(record.warned_at.unwrap_or(u64::MAX)),
            ended: AtomicBool::new(false),
            sockets: AtomicUsize::new(0),
            idle_since: AtomicU64::new(idle_since),
            nodes: Mutex::new(nodes),
            terminals: tokio::sync::Mutex::new(HashMap::new()),
            lesson,
            events,
            owner: record
                .owner
                .as_deref()
                .and_then(admission::ClientKey::parse),
            claimed: AtomicBool::new(record.claimed),
            transfer_slot: Arc::new(tokio::sync::Semaphore::new(1)),
            check_slot: Arc::new(tokio::sync::Semaphore::new(1)),
            store: self.store.clone(),
            instance: Arc::from(self.config.instance.as_str()),
            saving: tokio::sync::Mutex::new(()),
            renewing: AtomicBool::new(false),
            opening: Mutex::new(HashMap::new()),
            kept: Mutex::new(record.terminals.iter().map(|(term, _)| *term).collect()),
            viewers: viewers::Viewers::default(),
            keeper: self.config.terminal_keeper,
        }
    }

    /// Starts terminal 1 of `node` ahead of any page (for the warm pool): the terminal
    /// keeper and its login shell run, its prompt waits in the scrollback, and the first
    /// page to open terminal 1 attaches to it. `None`, logged, when it could not start: the
    /// page's `OpenTerminal` starts it then.
    pub async fn first_terminal(&self, node: &Node) -> Option<Arc<Terminal>> {
        let keeper = self.config.terminal_keeper;
        let started = async {
            let (launch, _) = Session::prepare(
                &self.runtime,
                keeper,
                node,
                FIRST_TERM,
                FIRST_SIZE,
                Restore::No,
            )
            .await?;
            let io = self
                .runtime
                .open_terminal(node, &launch.command, FIRST_SIZE, launch.tty)
                .await?;
            Ok::<_, SessionError>(Arc::new(Terminal::start(
                FIRST_TERM,
                node.name.clone(),
                io,
                self.runtime.clone(),
                self.terminal_limits(),
                FIRST_SIZE,
                &[],
                keeper == TerminalKeeper::Tmux && launch.tty,
                launch.in_band(),
            )))
        };
        match started.await {
            Ok(terminal) => Some(terminal),
            Err(err) => {
                tracing::warn!(node = %node.container, error = %err, "could not start a ready session's first terminal");
                None
            }
        }
    }

    /// The limits of every terminal.
    pub fn terminal_limits(&self) -> terminal::Limits {
        terminal::Limits {
            scrollback: self.config.scrollback_bytes,
            output_rate: self.config.output_rate,
        }
    }

    /// Opens (or attaches to) terminal `term` of `session` on `node`.
    pub async fn open_terminal(
        &self,
        session: &Session,
        term: u16,
        node: &str,
        size: TermSize,
    ) -> Result<Arc<Terminal>, SessionError> {
        session
            .open_terminal(
                &self.runtime,
                term,
                node,
                size,
                self.terminal_limits(),
                self.config.max_terminals,
            )
            .await
    }

    /// Takes back the sessions the store keeps for this instance (a restart, a crash): those
    /// whose containers all still run go on where they were, their terminals attached again
    /// to the shells the keeper kept; the others are ended as lost, and expired ones as
    /// expired. While the engine does not answer, every kept session is taken back as it is
    /// (the engine monitor ends the lost ones once it answers).
    pub async fn adopt(&self) -> Result<Adopted, crate::store::StoreError> {
        let records = self.store.sessions(&self.config.instance).await?;
        let engine_up = self.runtime.ping().await.is_ok();
        let now = unix_now();
        let mut adopted = Adopted::default();
        let mut reattach = Vec::new();
        // Whether each kept session's containers all still run, asked of the engine a few
        // sessions at a time.
        let checked: Vec<(SessionRecord, Vec<Node>, bool, bool)> = futures::stream::iter(records)
            .map(|record| async move {
                let nodes: Vec<Node> = record
                    .nodes
                    .iter()
                    .map(|n| Node {
                        name: n.name.clone(),
                        container: n.container.clone(),
                        user: n.user.clone(),
                    })
                    .collect();
                let expired = record.expires_at <= now;
                let mut running = !nodes.is_empty();
                if engine_up && !expired {
                    for node in &nodes {
                        if matches!(self.runtime.node_running(node).await, Ok(false)) {
                            running = false;
                            break;
                        }
                    }
                }
                (record, nodes, expired, running)
            })
            .buffered(ENDING_AT_ONCE)
            .collect()
            .await;
        for (record, nodes, expired, running) in checked {
            if expired || !running {
                if engine_up {
                    if let Err(err) = self.runtime.destroy_session(&record.id).await {
                        tracing::warn!(session = %record.id, error = %err, "could not remove what a session left");
                    }
                }
                if let Err(err) = self.store.delete_session(&record.id).await {
                    tracing::warn!(session = %record.id, error = %err, "could not forget a session");
                }
                if expired {
                    adopted.expired += 1;
                } else {
                    adopted.lost += 1;
                }
                continue;
            }
            let terminals = record.terminals.clone();
            // Its page gets the idle timeout afresh to come back.
            let session = Arc::new(self.session_from(record, nodes, now));
            self.live
                .lock()
                .expect("sessions lock")
                .insert(session.id.clone(), session.clone());
            adopted.sessions += 1;
            reattach.push((session, terminals));
        }
        // Terminals are attached again a few at a time, so a restart with many sessions does
        // not flood the engine.
        let adopted_sessions: Vec<Arc<Session>> = reattach
            .iter()
            .map(|(session, _)| session.clone())
            .collect();
        let attaches = reattach.into_iter().flat_map(|(session, terminals)| {
            terminals
                .into_iter()
                .map(move |(term, node)| (session.clone(), term, node))
        });
        let size = TermSize { cols: 80, rows: 24 };
        let results: Vec<bool> = futures::stream::iter(attaches)
            .map(|(session, term, node)| async move {
                let opened = session
                    .open(
                        &self.runtime,
                        term,
                        &node,
                        size,
                        self.terminal_limits(),
                        self.config.max_terminals,
                        true,
                    )
                    .await;
                match opened {
                    Ok(_) => true,
                    Err(err) => {
                        tracing::warn!(session = %session.id, term, error = %err, "could not attach to a kept terminal");
                        false
                    }
                }
            })
            .buffer_unordered(ENDING_AT_ONCE)
            .collect()
            .await;
        adopted.terminals = results.iter().filter(|ok| **ok).count();
        // Terminals whose shell ended while the server was away are forgotten.
        for session in adopted_sessions {
            session.save().await;
        }
        Ok(adopted)
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
        session.save().await;
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
        let removed = self.runtime.remove_node(&node).await;
        session.save().await;
        removed?;
        session.notify(SessionEvent::Updated);
        tracing::info!(session = %session.id, node = %name, "node removed");
        Ok(())
    }

    /// Pushes the end of a session back to `until`, at most its maximum lifetime; never
    /// earlier than it is. Returns the new end.
    pub async fn extend_to(&self, session: &Session, until: u64) -> u64 {
        let current = session.expires_at();
        let extended = until.min(session.max_expires_at).max(current);
        if extended != current {
            session.expires_at.store(extended, Ordering::SeqCst);
            session.warned_at.store(u64::MAX, Ordering::SeqCst);
            session.save().await;
            session.notify(SessionEvent::Updated);
        }
        extended
    }

    /// Makes every node of `session` afresh: its terminals stop, its containers go, and new
    /// nodes of the same names take their place (what ran in them is lost; the session, its
    /// token and its progress stay). Sockets are told to connect again.
    pub async fn renew_nodes(&self, session: &Session) -> Result<(), SessionError> {
        let old = session.nodes();
        session.renewing.store(true, Ordering::SeqCst);
        let made = async {
            session.terminals.lock().await.clear();
            for node in &old {
                self.runtime.remove_node(node).await?;
            }
            let mut fresh = Vec::with_capacity(old.len());
            for node in &old {
                let spec = self.spec(node.name.clone(), session.profile);
                fresh.push(self.runtime.create_node(&session.id, &spec).await?);
            }
            *session.nodes.lock().expect("nodes lock") = fresh;
            Ok::<(), SessionError>(())
        }
        .await;
        session.renewing.store(false, Ordering::SeqCst);
        made?;
        session.kept.lock().expect("kept lock").clear();
        session.save().await;
        session.notify(SessionEvent::Renewed);
        tracing::info!(session = %session.id, nodes = old.len(), "nodes made afresh");
        Ok(())
    }

    /// Pushes the end of a session back by the configured step, up to its maximum lifetime.
    pub async fn extend(&self, session: &Session) -> Result<(), SessionError> {
        let current = session.expires_at();
        if current >= session.max_expires_at {
            return Err(SessionError::ExtendLimit);
        }
        let extended = (current + self.config.extend_step).min(session.max_expires_at);
        session.expires_at.store(extended, Ordering::SeqCst);
        session.warned_at.store(u64::MAX, Ordering::SeqCst);
        session.save().await;
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
        self.held.lock().expect("held lock").remove(id);
        session.ended.store(true, Ordering::SeqCst);
        session.terminals.lock().await.clear();
        let destroyed = self.runtime.destroy_session(id).await;
        session.forget().await;
        // Sockets hear of the end once the containers are gone, whatever the engine said.
        session.notify(SessionEvent::Ended(reason));
        destroyed?;
        tracing::info!(session = %id, ?reason, "session ended");
        Ok(())
    }

    /// Keeps session `id` for a class that prepared it as a seat: it is not ended as idle
    /// or unclaimed until `hand_over` gives it to a student.
    pub fn hold(&self, id: &str) {
        self.held.lock().expect("held lock").insert(id.to_string());
    }

    /// Whether session `id` is a seat held for a class.
    pub fn is_held(&self, id: &str) -> bool {
        self.held.lock().expect("held lock").contains(id)
    }

    /// Gives a held seat to the student who joined: a new token (the one made with the seat
    /// was never handed out), claimed, idle from now. Returns the token.
    pub async fn hand_over(&self, session: &Session) -> String {
        let token = token::new_token();
        *session.token_hash.lock().expect("token lock") = token::hash_token(&token);
        session.idle_since.store(unix_now(), Ordering::SeqCst);
        session.claimed.store(true, Ordering::SeqCst);
        self.held.lock().expect("held lock").remove(&session.id);
        session.save().await;
        token
    }

    /// Ends expired, idle and unclaimed sessions and warns those about to expire. Called
    /// every second. Held class seats end only when they expire.
    pub async fn reap(&self, now: u64) {
        for session in self.all() {
            let left = session.expires_at().saturating_sub(now);
            let held = self.is_held(&session.id);
            let unclaimed = !session.claimed.load(Ordering::SeqCst)
                && now.saturating_sub(session.created_at) >= self.config.unclaimed_timeout;
            let idle = !held && (unclaimed || session.idle_for(now) >= self.config.idle_timeout);
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
                    session.save().await;
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

    /// Ends as lost the sessions a node of which no longer runs although the engine never
    /// stopped answering (an engine restarted between two of the monitor's checks, a node
    /// killed or removed outside Quai): one listing of the running containers, then each
    /// session that seems to lack one is asked about node by node. Returns how many ended.
    pub async fn end_stopped(&self) -> usize {
        let running = match self.runtime.running_containers().await {
            Ok(Some(running)) => running,
            Ok(None) | Err(_) => return 0,
        };
        let mut lost = 0;
        for session in self.all() {
            let nodes = session.nodes();
            if session.renewing.load(Ordering::SeqCst)
                || nodes.iter().all(|n| running.contains(&n.container))
            {
                continue;
            }
            let mut alive = true;
            for node in &nodes {
                if !matches!(self.runtime.node_running(node).await, Ok(true)) {
                    alive = false;
                    break;
                }
            }
            // Still the same nodes (not renewed meanwhile) and not ended meanwhile.
            if !alive
                && !session.is_ended()
                && !session.renewing.load(Ordering::SeqCst)
                && session
                    .nodes()
                    .iter()
                    .map(|n| &n.container)
                    .eq(nodes.iter().map(|n| &n.container))
            {
                lost += 1;
                tracing::warn!(session = %session.id, "a node of the session stopped running; the session is lost");
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

    /// Removes the engine objects of this instance's sessions that are not live (at
    /// start-up, once kept sessions were adopted); returns how many sessions' objects went.
    pub async fn remove_unknown(&self) -> Result<usize, RuntimeError> {
        let on_engine = self.runtime.session_ids().await?;
        let live: HashSet<String> = self
            .live
            .lock()
            .expect("sessions lock")
            .keys()
            .cloned()
            .collect();
        let unknown: Vec<&String> = on_engine.difference(&live).collect();
        let results: Vec<Result<(), RuntimeError>> = futures::stream::iter(unknown)
            .map(|id| self.runtime.destroy_session(id))
            .buffer_unordered(ENDING_AT_ONCE)
            .collect()
            .await;
        let removed = results.iter().filter(|r| r.is_ok()).count();
        if let Some(Err(err)) = results.into_iter().find(Result::is_err) {
            return Err(err);
        }
        Ok(removed)
    }

    /// Ends every session and empties the pool, `ENDING_AT_ONCE` sessions at a time.
    pub async fn end_all(&self, reason: EndReason) {
        self.drop_pool().await;
        let ids: Vec<String> = self
            .live
            .lock()
            .expect("sessions lock")
            .keys()
            .cloned()
            .collect();
        let ended: Vec<Result<(), SessionError>> = futures::stream::iter(ids)
            .map(|id| async move { self.end(&id, reason).await })
            .buffer_unordered(ENDING_AT_ONCE)
            .collect()
            .await;
        for result in ended {
            if let Err(err) = result {
                tracing::warn!(error = %err, "could not remove a session at shutdown");
            }
        }
    }

    /// Removes the ready sessions of the pool, which no student holds (a stopping server).
    pub async fn drop_pool(&self) {
        let ids = self.pool.drain();
        futures::stream::iter(ids)
            .for_each_concurrent(ENDING_AT_ONCE, |id| async move {
                if let Err(err) = self.runtime.destroy_session(&id).await {
                    tracing::warn!(error = %err, "could not remove a ready session at shutdown");
                }
            })
            .await;
    }

    /// Leaves every session running for the next start to adopt: their terminals are let go
    /// (the keeper keeps the shells) and they are written to the store as they are now.
    pub async fn keep_all(&self) {
        for session in self.all() {
            session.save().await;
            session.terminals.lock().await.clear();
        }
    }
}

/// Whether a terminal being opened replays the keeper's history of its shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Restore {
    /// A new terminal of this server's.
    No,
    /// Kept in the store, opened by a page first: the history when the shell is there.
    IfThere,
    /// The server taking it back: the history, or nothing opened when the shell is gone.
    Required,
}

/// Sessions ended, or adopted, at once: enough to keep the engine busy, few enough not to
/// swamp it.
pub const ENDING_AT_ONCE: usize = 16;

/// What `Sessions::adopt` found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Adopted {
    /// Sessions taken back.
    pub sessions: usize,
    /// Terminals attached again.
    pub terminals: usize,
    /// Sessions whose containers were gone, ended as lost.
    pub lost: usize,
    /// Sessions past their end, ended.
    pub expired: usize,
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
