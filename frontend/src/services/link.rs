//! Links one playground session's socket to its xterm.js terminals: (re)opens every
//! terminal after each `Hello`, writes their output and acknowledges what xterm.js has
//! written (flow control, see `flow`), sends keystrokes and resizes, reopens a shell that
//! exited on the next key, follows the session's nodes, and tells the page what it must
//! show (connection status, the session, warnings, the ports its nodes listen on, the end)
//! as `state::Action`s.
//!
//! Terminals and the socket call back into the link synchronously, so no borrow of its
//! state is held across a call into either of them or into the store.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};

use gloo::timers::callback::Timeout;
use quai_protocol::{
    ClientMsg, ErrorCode, ServerMsg, SessionInfo, MAX_COLS, MAX_ROWS, MIN_COLS, MIN_ROWS,
};

use super::api;
use super::flow::{AckCounter, ACK_DELAY_MS};
use super::socket::{socket_url, SessionSocket, SocketEvent};
use crate::i18n::{self, t, Lang, Msg, Sentence};
use crate::state::{late_warning, Action, Conn, Ended};
use crate::store::Store;
use crate::xterm::Xterm;

/// What xterm shows when the shell of a terminal ends, dimmed on a line of its own.
pub fn exited_line(lang: Lang) -> String {
    format!("\r\n\x1b[2m{}\x1b[0m\r\n", t(lang, Msg::ShellExited))
}

/// RIS, "reset to initial state": written in line with the output, so that output still
/// queued in xterm.js from before a re-attach is cleared too, before the replay.
const FULL_RESET: &str = "\x1bc";

/// The link of one session; dropping it closes the socket.
pub struct SessionLink {
    inner: Rc<Inner>,
}

struct Inner {
    id: String,
    store: Store,
    socket: RefCell<Option<SessionSocket>>,
    terms: RefCell<BTreeMap<u16, Slot>>,
    /// The server answered `Hello` on the current socket.
    ready: Cell<bool>,
    /// A `GET` to learn whether the session still exists is under way.
    checking: Cell<bool>,
    /// Sends the acknowledgements owed, `ACK_DELAY_MS` after the first one fell due.
    ack_timer: RefCell<Option<Timeout>>,
    /// Input typed by the page (a lesson's click-to-run block) into a terminal that is not
    /// open yet: sent, in order, once it is.
    pending: RefCell<BTreeMap<u16, Vec<Vec<u8>>>>,
}

struct Slot {
    node: String,
    xterm: Rc<Xterm>,
    phase: Phase,
    flow: AckCounter,
    /// Bumped on every `TerminalOpened`: writes queued before it count for nothing.
    generation: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Not attached on the current socket (yet), or held while its node is being removed.
    Closed,
    /// `OpenTerminal` sent, `TerminalOpened` not yet received.
    Opening,
    Open,
    /// Its shell ended; the next key opens a new one.
    Exited,
}

impl SessionLink {
    /// Connects to session `id`'s socket on the page's own host.
    pub fn connect(id: &str, store: Store) -> SessionLink {
        let inner = Rc::new(Inner {
            id: id.to_string(),
            store,
            socket: RefCell::new(None),
            terms: RefCell::new(BTreeMap::new()),
            ready: Cell::new(false),
            checking: Cell::new(false),
            ack_timer: RefCell::new(None),
            pending: RefCell::new(BTreeMap::new()),
        });
        let location = gloo::utils::window().location();
        let url = socket_url(
            &location.protocol().unwrap_or_default(),
            &location.host().unwrap_or_default(),
            id,
        );
        let weak = Rc::downgrade(&inner);
        let socket = SessionSocket::connect(url, move |event| {
            if let Some(inner) = weak.upgrade() {
                inner.on_socket(event);
            }
        });
        inner.socket.replace(Some(socket));
        SessionLink { inner }
    }

    /// Shows terminal `term` of `node` in `xterm`, opening it now if the socket is ready.
    pub fn attach(&self, term: u16, node: &str, xterm: Rc<Xterm>) {
        let weak = Rc::downgrade(&self.inner);
        xterm.on_data(with(weak.clone(), move |inner, data: String| {
            inner.input(term, data.as_bytes())
        }));
        xterm.on_binary(with(weak.clone(), move |inner, data: Vec<u8>| {
            inner.input(term, &data)
        }));
        let mut on_resize = with(weak, move |inner, (cols, rows)| {
            inner.resized(term, cols, rows)
        });
        xterm.on_resize(move |cols, rows| on_resize((cols, rows)));
        self.inner.terms.borrow_mut().insert(
            term,
            Slot {
                node: node.to_string(),
                xterm,
                phase: Phase::Closed,
                flow: AckCounter::default(),
                generation: 0,
            },
        );
        if self.inner.ready.get() {
            self.inner.open_term(term);
        }
    }

    /// Forgets the terminals the page no longer shows (their node was removed).
    pub fn keep_only(&self, terms: &[u16]) {
        self.inner
            .terms
            .borrow_mut()
            .retain(|term, _| terms.contains(term));
        self.inner
            .pending
            .borrow_mut()
            .retain(|term, _| terms.contains(term));
    }

    /// Types `bytes` into terminal `term` as the keyboard would, and gives it the keyboard.
    /// A terminal not open yet (just shown, or reconnecting) gets them once it is; one whose
    /// shell exited gets a new shell first.
    pub fn type_into(&self, term: u16, bytes: &[u8]) {
        let slot = self
            .inner
            .terms
            .borrow()
            .get(&term)
            .map(|slot| (slot.phase, slot.xterm.clone()));
        match slot {
            Some((Phase::Open, xterm)) => {
                self.inner.input(term, bytes);
                xterm.focus();
            }
            other => {
                self.inner
                    .pending
                    .borrow_mut()
                    .entry(term)
                    .or_default()
                    .push(bytes.to_vec());
                if let Some((phase, xterm)) = other {
                    if phase == Phase::Exited && self.inner.ready.get() {
                        self.inner.open_term(term);
                    }
                    xterm.focus();
                }
            }
        }
    }

    /// Ends terminal `term`: its shell is killed and the link forgets it.
    pub fn close_terminal(&self, term: u16) {
        let slot = self.inner.terms.borrow_mut().remove(&term);
        if slot.is_some() {
            self.inner.send(&ClientMsg::CloseTerminal { term });
        }
    }

    /// Terminal `term` has just been shown: fit it to its box, tell the server its size
    /// (it may have changed while hidden) and give it the keyboard.
    pub fn shown(&self, term: u16) {
        let Some((xterm, phase)) = self
            .inner
            .terms
            .borrow()
            .get(&term)
            .map(|slot| (slot.xterm.clone(), slot.phase))
        else {
            return;
        };
        xterm.fit();
        if matches!(phase, Phase::Open | Phase::Opening) {
            let (cols, rows) = clamp_size(xterm.cols(), xterm.rows());
            self.inner.send(&ClientMsg::Resize { term, cols, rows });
        }
        xterm.focus();
    }

    /// Stops using the terminals of `node` (no input, no acknowledgements) while the
    /// server removes it.
    pub fn hold_node(&self, node: &str) {
        for slot in self.inner.terms.borrow_mut().values_mut() {
            if slot.node == node && slot.phase != Phase::Exited {
                slot.phase = Phase::Closed;
            }
        }
    }

    /// The node was not removed after all: its terminals are attached again.
    pub fn release_node(&self, node: &str) {
        let held: Vec<u16> = self
            .inner
            .terms
            .borrow()
            .iter()
            .filter(|(_, slot)| slot.node == node && slot.phase == Phase::Closed)
            .map(|(term, _)| *term)
            .collect();
        if self.inner.ready.get() {
            for term in held {
                self.inner.open_term(term);
            }
        }
    }

    /// Closes the socket for good (the session ended).
    pub fn close(&self) {
        self.inner.close();
    }
}

impl Inner {
    fn on_socket(self: &Rc<Self>, event: SocketEvent) {
        match event {
            SocketEvent::Ready(session) => {
                self.ready.set(true);
                self.store.dispatch(Action::Conn(Conn::Connected));
                // The server tells every node's ports again after `Hello`.
                self.store.dispatch(Action::PortsCleared);
                // A warning sent while no socket was open would be missed.
                let warning = late_warning(session.expires_at, now_secs());
                // Terminals of nodes removed meanwhile are not reopened.
                self.follow(session);
                if let Some(warning) = warning {
                    self.store.dispatch(warning);
                }
                let terms: Vec<u16> = self
                    .terms
                    .borrow()
                    .iter()
                    .filter(|(_, slot)| slot.phase != Phase::Exited)
                    .map(|(term, _)| *term)
                    .collect();
                for term in terms {
                    self.open_term(term);
                }
            }
            SocketEvent::Output { term, data } => self.output(term, data),
            SocketEvent::Message(msg) => self.on_message(msg),
            SocketEvent::Dropped {
                attempt,
                delay_ms,
                code,
            } => {
                gloo::console::info!(format!(
                    "Quai: the socket dropped (code {code}); reconnect attempt {} in {delay_ms} ms",
                    attempt + 1
                ));
                self.ready.set(false);
                for slot in self.terms.borrow_mut().values_mut() {
                    if slot.phase != Phase::Exited {
                        slot.phase = Phase::Closed;
                    }
                }
                self.store.dispatch(Action::Conn(Conn::Reconnecting));
                self.check_session_exists();
            }
        }
    }

    fn on_message(self: &Rc<Self>, msg: ServerMsg) {
        match msg {
            ServerMsg::TerminalOpened { term, .. } => {
                let xterm = {
                    let mut terms = self.terms.borrow_mut();
                    terms.get_mut(&term).map(|slot| {
                        slot.phase = Phase::Open;
                        slot.flow.reset();
                        slot.generation = slot.generation.wrapping_add(1);
                        slot.xterm.clone()
                    })
                };
                // The server replays the scrollback next: start from a clean screen so
                // it shows once.
                if let Some(xterm) = xterm {
                    xterm.write_text(FULL_RESET);
                    let pending = self.pending.borrow_mut().remove(&term);
                    for bytes in pending.into_iter().flatten() {
                        self.input(term, &bytes);
                    }
                }
            }
            ServerMsg::TerminalExited { term, .. } => {
                if let Some(xterm) = self.set_phase(term, Phase::Exited) {
                    xterm.write_text(&exited_line(i18n::current()));
                }
            }
            ServerMsg::Expiring { seconds_left } => {
                self.store.dispatch(Action::Expiring {
                    seconds_left,
                    now: now_secs(),
                });
            }
            ServerMsg::SessionUpdated { session } => self.follow(session),
            ServerMsg::SessionEnded { reason } => self.end(Ended::Reason(reason)),
            ServerMsg::Notice { message } => {
                self.store.dispatch(Action::Info(Sentence::Plain(message)))
            }
            ServerMsg::Error { code, message, .. } => match code {
                ErrorCode::NotFound | ErrorCode::SessionEnded => self.end(Ended::NotFound),
                ErrorCode::ProtocolVersion | ErrorCode::Forbidden => {
                    self.close();
                    self.store.dispatch(Action::Conn(Conn::Disconnected));
                    let sentence = if code == ErrorCode::ProtocolVersion {
                        Sentence::Reload(message)
                    } else {
                        Sentence::Plain(message)
                    };
                    self.store.dispatch(Action::Error(sentence));
                }
                ErrorCode::Terminal => {
                    // A terminal that failed to open gets another try on the next key.
                    // (The error does not say which terminal: every one being opened.)
                    let opening: Vec<u16> = self
                        .terms
                        .borrow()
                        .iter()
                        .filter(|(_, slot)| slot.phase == Phase::Opening)
                        .map(|(term, _)| *term)
                        .collect();
                    for term in opening {
                        if let Some(xterm) = self.set_phase(term, Phase::Exited) {
                            xterm.write_text(&exited_line(i18n::current()));
                        }
                    }
                    self.store.dispatch(Action::Error(Sentence::Plain(message)));
                }
                _ => self.store.dispatch(Action::Error(Sentence::Plain(message))),
            },
            ServerMsg::Ports { node, ports } => self.store.dispatch(Action::Ports { node, ports }),
            ServerMsg::Hello { .. } | ServerMsg::Pong { .. } => {}
        }
    }

    /// The session as the server tells it: terminals of nodes that are gone are forgotten,
    /// and the page follows.
    fn follow(&self, session: SessionInfo) {
        self.terms
            .borrow_mut()
            .retain(|_, slot| session.nodes.iter().any(|n| n.name == slot.node));
        self.store.dispatch(Action::Session(session));
    }

    /// Writes output of `term`; once xterm.js has written it, it counts towards the next
    /// acknowledgement (only output that follows `TerminalOpened` does).
    fn output(self: &Rc<Self>, term: u16, data: js_sys::Uint8Array) {
        let Some((xterm, phase, generation)) = self
            .terms
            .borrow()
            .get(&term)
            .map(|slot| (slot.xterm.clone(), slot.phase, slot.generation))
        else {
            return;
        };
        if phase != Phase::Open {
            xterm.write(&data);
            return;
        }
        let bytes = u64::from(data.length());
        let weak = Rc::downgrade(self);
        xterm.write_then(&data, move || {
            if let Some(inner) = weak.upgrade() {
                inner.written(term, generation, bytes);
            }
        });
    }

    fn written(self: &Rc<Self>, term: u16, generation: u32, bytes: u64) {
        let due = {
            let mut terms = self.terms.borrow_mut();
            let Some(slot) = terms.get_mut(&term) else {
                return;
            };
            if slot.generation != generation || slot.phase != Phase::Open {
                return;
            }
            slot.flow.wrote(bytes)
        };
        match due {
            Some(bytes) => self.ack(term, bytes),
            None => self.ack_later(),
        }
    }

    /// Sends an `Ack`. Not connected, nothing is recorded: the next socket re-attaches
    /// every terminal, and counting starts from zero again.
    fn ack(&self, term: u16, bytes: u64) {
        if self.send(&ClientMsg::Ack { term, bytes }) {
            if let Some(slot) = self.terms.borrow_mut().get_mut(&term) {
                slot.flow.sent(bytes);
            }
        }
    }

    /// Makes sure the acknowledgements owed go out within `ACK_DELAY_MS`.
    fn ack_later(self: &Rc<Self>) {
        if self.ack_timer.borrow().is_some() {
            return;
        }
        let weak = Rc::downgrade(self);
        let timer = Timeout::new(ACK_DELAY_MS, move || {
            if let Some(inner) = weak.upgrade() {
                inner.ack_timer.borrow_mut().take();
                inner.ack_owed();
            }
        });
        self.ack_timer.replace(Some(timer));
    }

    fn ack_owed(&self) {
        let owed: Vec<(u16, u64)> = self
            .terms
            .borrow()
            .iter()
            .filter(|(_, slot)| slot.phase == Phase::Open)
            .filter_map(|(term, slot)| slot.flow.pending().map(|bytes| (*term, bytes)))
            .collect();
        for (term, bytes) in owed {
            self.ack(term, bytes);
        }
    }

    fn input(self: &Rc<Self>, term: u16, bytes: &[u8]) {
        let phase = self.terms.borrow().get(&term).map(|slot| slot.phase);
        match phase {
            Some(Phase::Open) => {
                if let Some(socket) = self.socket.borrow().as_ref() {
                    socket.send_input(term, bytes);
                }
            }
            Some(Phase::Exited) if self.ready.get() => self.open_term(term),
            _ => {}
        }
    }

    fn resized(&self, term: u16, cols: u16, rows: u16) {
        let phase = self.terms.borrow().get(&term).map(|slot| slot.phase);
        if matches!(phase, Some(Phase::Open | Phase::Opening)) {
            let (cols, rows) = clamp_size(cols, rows);
            self.send(&ClientMsg::Resize { term, cols, rows });
        }
    }

    fn open_term(&self, term: u16) {
        let Some((node, xterm)) = self
            .terms
            .borrow()
            .get(&term)
            .map(|slot| (slot.node.clone(), slot.xterm.clone()))
        else {
            return;
        };
        // A hidden terminal cannot be measured and keeps its last size until shown.
        xterm.fit();
        let (cols, rows) = clamp_size(xterm.cols(), xterm.rows());
        if self.send(&ClientMsg::OpenTerminal {
            term,
            node,
            cols,
            rows,
        }) {
            self.set_phase(term, Phase::Opening);
        }
    }

    /// Sets the phase of `term` and returns its terminal.
    fn set_phase(&self, term: u16, phase: Phase) -> Option<Rc<Xterm>> {
        let mut terms = self.terms.borrow_mut();
        let slot = terms.get_mut(&term)?;
        slot.phase = phase;
        Some(slot.xterm.clone())
    }

    fn send(&self, msg: &ClientMsg) -> bool {
        self.socket
            .borrow()
            .as_ref()
            .is_some_and(|socket| socket.send(msg))
    }

    fn end(&self, ended: Ended) {
        self.close();
        self.store.dispatch(Action::Ended(ended));
    }

    fn close(&self) {
        self.ready.set(false);
        self.ack_timer.borrow_mut().take();
        if let Some(socket) = self.socket.borrow().as_ref() {
            socket.close();
        }
    }

    /// After a drop, asks the API whether the session is still there: a socket to a
    /// session that is gone fails without saying why.
    fn check_session_exists(self: &Rc<Self>) {
        if self.checking.replace(true) {
            return;
        }
        let weak = Rc::downgrade(self);
        let id = self.id.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = api::get_session(&id).await;
            let Some(inner) = weak.upgrade() else { return };
            inner.checking.set(false);
            if let Err(failure) = result {
                if failure.is_not_found() {
                    inner.end(Ended::NotFound);
                }
            }
        });
    }
}

/// Keeps a terminal size inside what the server accepts (`quai_protocol::check_size`).
pub fn clamp_size(cols: u16, rows: u16) -> (u16, u16) {
    (
        cols.clamp(MIN_COLS, MAX_COLS),
        rows.clamp(MIN_ROWS, MAX_ROWS),
    )
}

fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// Wraps a method of `Inner` as a terminal listener that does nothing once the link is gone.
fn with<A>(weak: Weak<Inner>, f: impl Fn(&Rc<Inner>, A)) -> impl FnMut(A) {
    move |arg| {
        if let Some(inner) = weak.upgrade() {
            f(&inner, arg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quai_protocol::check_size;

    #[test]
    fn clamped_sizes_are_always_accepted() {
        for (cols, rows) in [(0, 0), (1, 1), (80, 24), (5000, 9000), (u16::MAX, 0)] {
            let (c, r) = clamp_size(cols, rows);
            assert!(check_size(c, r).is_ok(), "{cols}x{rows} -> {c}x{r}");
        }
        assert_eq!(clamp_size(80, 24), (80, 24));
    }

    #[test]
    fn the_exit_line_is_dim_and_on_its_own_line() {
        let line = exited_line(Lang::En);
        assert!(line.starts_with("\r\n\x1b[2m"));
        assert!(line.contains("[shell exited — press any key for a new one]"));
        assert!(line.ends_with("\x1b[0m\r\n"));
        assert!(exited_line(Lang::Fr).contains("[shell terminé"));
    }
}
