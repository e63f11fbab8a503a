//! Drives one playground session's socket and its xterm.js terminals from the page's state:
//! turns what the socket says into `state::Action`s (connection status, the session,
//! warnings, ports, terminals attached, exited or failed, the end), then performs what the
//! state asks for — `OpenTerminal` for the terminals waiting to be opened, the input
//! waiting for those now open — and writes their output, acknowledging what xterm.js has
//! written (flow control, see `flow`). The terminal shown first is opened before its view
//! has started (at the size the page last had, corrected once xterm.js has measured its
//! box), and what it prints meanwhile waits for the view. Keystrokes, resizes and the exited
//! line go straight through. The xterm.js handles and the flow counters are the link's own;
//! which terminals exist and where each stands are the state's (`terminals`).
//!
//! Terminals and the socket call back into the link synchronously, so no borrow of its
//! views is held across a call into either of them; the store re-renders the page later.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};

use gloo::timers::callback::Timeout;
use quai_protocol::{ClientMsg, ErrorCode, ServerMsg, MAX_COLS, MAX_ROWS, MIN_COLS, MIN_ROWS};

use super::flow::{AckCounter, ACK_DELAY_MS};
use super::socket::{socket_url, SessionSocket, SocketEvent};
use super::timing;
use super::{api, prefs};
use crate::i18n::{self, t, Lang, Msg, Sentence};
use crate::state::{late_warning, Action, Conn, Ended};
use crate::store::Store;
use crate::terminals::Phase;
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
    views: RefCell<BTreeMap<u16, View>>,
    /// A `GET` to learn whether the session still exists is under way.
    checking: Cell<bool>,
    /// Sends the acknowledgements owed, `ACK_DELAY_MS` after the first one fell due.
    ack_timer: RefCell<Option<Timeout>>,
    /// The bench's hook for finished writes, when the bench set one (`timing`).
    bench: Option<js_sys::Function>,
    /// Steps of the first prompt marked already: output arrived, output written.
    marked: Cell<(bool, bool)>,
    /// Output of terminals opened before their view started, for the view to write.
    unseen: RefCell<BTreeMap<u16, Vec<js_sys::Uint8Array>>>,
}

/// What the link keeps of a terminal whose view has started.
struct View {
    xterm: Rc<Xterm>,
    flow: AckCounter,
    /// Bumped on every `TerminalOpened`: writes queued before it count for nothing.
    generation: u32,
}

impl SessionLink {
    /// Connects to session `id`'s socket on the page's own host.
    pub fn connect(id: &str, store: Store) -> SessionLink {
        let inner = Rc::new(Inner {
            id: id.to_string(),
            store,
            socket: RefCell::new(None),
            views: RefCell::new(BTreeMap::new()),
            checking: Cell::new(false),
            ack_timer: RefCell::new(None),
            bench: timing::hook(),
            marked: Cell::new((false, false)),
            unseen: RefCell::new(BTreeMap::new()),
        });
        let location = gloo::utils::window().location();
        let url = socket_url(
            &location.protocol().unwrap_or_default(),
            &location.host().unwrap_or_default(),
            id,
        );
        let weak = Rc::downgrade(&inner);
        timing::mark("socket-asked");
        let socket = SessionSocket::connect(url, move |event| {
            if let Some(inner) = weak.upgrade() {
                inner.on_socket(event);
            }
        });
        inner.socket.replace(Some(socket));
        // A socket the start button opened early greets during `connect`, before it was
        // kept: the terminal on screen is asked for now.
        inner.drive();
        SessionLink { inner }
    }

    /// Terminal `term` shows in `xterm` from now on; it is opened as soon as there is a
    /// socket.
    pub fn attach(&self, term: u16, xterm: Rc<Xterm>) {
        let weak = Rc::downgrade(&self.inner);
        xterm.on_data(with(weak.clone(), move |inner, data: String| {
            inner.key(term, data.as_bytes())
        }));
        xterm.on_binary(with(weak.clone(), move |inner, data: Vec<u8>| {
            inner.key(term, &data)
        }));
        let mut on_resize = with(weak, move |inner, (cols, rows)| {
            inner.resized(term, cols, rows)
        });
        xterm.on_resize(move |cols, rows| on_resize((cols, rows)));
        self.inner.views.borrow_mut().insert(
            term,
            View {
                xterm,
                flow: AckCounter::default(),
                generation: 0,
            },
        );
        self.inner.store.dispatch(Action::TermViewed(term));
        let unseen = self.inner.unseen.borrow_mut().remove(&term);
        for data in unseen.into_iter().flatten() {
            self.inner.output(term, data);
        }
        self.inner.drive();
    }

    /// Performs what the state asks for now (the page calls it when its terminals changed).
    pub fn drive(&self) {
        self.inner.drive();
    }

    /// Types `bytes` into terminal `term` as the keyboard would, and gives it the keyboard.
    /// A terminal not open yet (just shown, or reconnecting) gets them once it is; one whose
    /// shell exited, or that failed, is opened again first.
    pub fn type_into(&self, term: u16, bytes: &[u8]) {
        self.inner.store.dispatch(Action::Type {
            term,
            bytes: bytes.to_vec(),
        });
        self.inner.drive();
        self.inner.focus(term);
    }

    /// Opens terminal `term` again after it exited or failed (its Retry button).
    pub fn retry(&self, term: u16) {
        self.inner.store.dispatch(Action::Reopen(term));
        self.inner.drive();
        self.inner.focus(term);
    }

    /// Ends terminal `term`: its shell is killed and the link forgets its view.
    pub fn close_terminal(&self, term: u16) {
        self.inner.views.borrow_mut().remove(&term);
        if self.inner.store.get().terminals.get(term).is_some() {
            self.inner.send(&ClientMsg::CloseTerminal { term });
        }
    }

    /// The student's answer to a request to type in their terminal.
    pub fn answer_help(&self, accept: bool) {
        self.inner.send(&ClientMsg::HelpAnswer { accept });
    }

    /// Ends the help going on in this session's terminal.
    pub fn end_help(&self) {
        self.inner.send(&ClientMsg::HelpEnd);
    }

    /// Terminal `term` has just been shown: fit it to its box, tell the server its size
    /// (it may have changed while hidden) and give it the keyboard.
    pub fn shown(&self, term: u16) {
        let Some(xterm) = self.inner.xterm(term) else {
            return;
        };
        xterm.fit();
        let (cols, rows) = clamp_size(xterm.cols(), xterm.rows());
        prefs::set_term_size(cols, rows);
        if self.inner.store.get().terminals.is_attached(term) {
            self.inner.send(&ClientMsg::Resize { term, cols, rows });
        }
        xterm.focus();
    }

    /// Stops using the terminals of `node` (no input, no acknowledgements) while the
    /// server removes it.
    pub fn hold_node(&self, node: &str) {
        self.inner
            .store
            .dispatch(Action::HoldNode(node.to_string()));
    }

    /// The node was not removed after all: its terminals are attached again.
    pub fn release_node(&self, node: &str) {
        self.inner
            .store
            .dispatch(Action::ReleaseNode(node.to_string()));
        self.inner.drive();
    }

    /// Closes the socket for good (the session ended).
    pub fn close(&self) {
        self.inner.close();
    }
}

impl Inner {
    fn on_socket(self: &Rc<Self>, event: SocketEvent) {
        match event {
            SocketEvent::Greeted => {
                self.store.dispatch(Action::Greeted);
                self.drive();
            }
            SocketEvent::Ready(session) => {
                timing::mark("hello");
                // The server tells every node's ports again after `Hello`.
                self.store.dispatch(Action::PortsCleared);
                // A warning sent while no socket was open would be missed.
                let warning = late_warning(session.expires_at, now_secs());
                // Terminals of nodes removed meanwhile are forgotten, not reopened.
                self.store.dispatch(Action::Session(session));
                self.store.dispatch(Action::Conn(Conn::Connected));
                if let Some(warning) = warning {
                    self.store.dispatch(warning);
                }
                self.drive();
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
                self.store.dispatch(Action::Conn(Conn::Reconnecting));
                self.check_session_exists();
            }
        }
    }

    fn on_message(self: &Rc<Self>, msg: ServerMsg) {
        match msg {
            ServerMsg::TerminalOpened { term, .. } => {
                timing::mark("terminal-opened");
                self.store.dispatch(Action::TermOpened(term));
                let xterm = self.views.borrow_mut().get_mut(&term).map(|view| {
                    view.flow.reset();
                    view.generation = view.generation.wrapping_add(1);
                    view.xterm.clone()
                });
                // The server replays the scrollback next: start from a clean screen so
                // it shows once.
                match xterm {
                    Some(xterm) => xterm.write_text(FULL_RESET),
                    None => drop(self.unseen.borrow_mut().remove(&term)),
                }
                self.drive();
            }
            ServerMsg::TerminalExited { term, .. } => {
                self.store.dispatch(Action::TermExited(term));
                if let Some(xterm) = self.xterm(term) {
                    xterm.write_text(&exited_line(i18n::current()));
                }
            }
            ServerMsg::Expiring { seconds_left } => {
                self.store.dispatch(Action::Expiring {
                    seconds_left,
                    now: now_secs(),
                });
            }
            ServerMsg::SessionUpdated { session } => {
                self.store.dispatch(Action::Session(session));
                self.drive();
            }
            ServerMsg::SessionEnded { reason } => self.end(Ended::Reason(reason)),
            ServerMsg::Notice { message } => {
                self.store.dispatch(Action::Info(Sentence::Plain(message)))
            }
            ServerMsg::Error {
                code,
                message,
                term,
            } => match (code, term) {
                (ErrorCode::NotFound | ErrorCode::SessionEnded, _) => self.end(Ended::NotFound),
                (ErrorCode::ProtocolVersion | ErrorCode::Forbidden, _) => {
                    self.close();
                    self.store.dispatch(Action::Conn(Conn::Disconnected));
                    let sentence = if code == ErrorCode::ProtocolVersion {
                        Sentence::Reload(message)
                    } else {
                        Sentence::Plain(message)
                    };
                    self.store.dispatch(Action::Error(sentence));
                }
                // Shown in that terminal, which the next key or Retry opens again.
                (_, Some(term)) => self.store.dispatch(Action::TermError {
                    term,
                    text: Sentence::Plain(message),
                }),
                (_, None) => self.store.dispatch(Action::Error(Sentence::Plain(message))),
            },
            ServerMsg::Ports { node, ports } => self.store.dispatch(Action::Ports { node, ports }),
            ServerMsg::Watchers { watchers, audience } => {
                self.store.dispatch(Action::Watchers { watchers, audience })
            }
            ServerMsg::HelpChanged { term, name, state } => {
                self.store.dispatch(Action::Help { term, name, state })
            }
            // A viewer's socket only.
            ServerMsg::Viewing { .. }
            | ServerMsg::TerminalResized { .. }
            | ServerMsg::OnAir { .. } => {}
            ServerMsg::Hello { .. } | ServerMsg::Pong { .. } => {}
        }
    }

    /// Performs what the state asks for: opens the terminals waiting to be opened (those
    /// whose view has started), sends the input waiting for the open ones, in order, and
    /// forgets the views of terminals that are gone.
    fn drive(&self) {
        let state = self.store.get();
        let terminals = &state.terminals;
        self.views
            .borrow_mut()
            .retain(|term, _| terminals.get(*term).is_some());
        self.unseen
            .borrow_mut()
            .retain(|term, _| terminals.get(*term).is_some());
        for (term, node) in terminals.to_open() {
            if self.open_term(term, node) {
                timing::mark("terminal-asked");
                self.store.dispatch(Action::TermAsked(term));
            }
        }
        for (term, pending) in terminals.to_send() {
            let count = pending
                .iter()
                .take_while(|bytes| self.send_input(term, bytes))
                .count();
            if count > 0 {
                self.store.dispatch(Action::InputSent { term, count });
            }
        }
    }

    /// Sends `OpenTerminal` for `term` at the size of its view, or, before its view has
    /// started, at the size the page's terminals had last (the view's first `shown` sends its
    /// own); `false` when there is no socket.
    fn open_term(&self, term: u16, node: &str) -> bool {
        let (cols, rows) = match self.xterm(term) {
            Some(xterm) => {
                // A hidden terminal cannot be measured and keeps its last size until shown.
                xterm.fit();
                (xterm.cols(), xterm.rows())
            }
            None => prefs::term_size(),
        };
        let (cols, rows) = clamp_size(cols, rows);
        self.send(&ClientMsg::OpenTerminal {
            term,
            node: node.to_string(),
            cols,
            rows,
        })
    }

    /// Writes output of `term`; once xterm.js has written it, it counts towards the next
    /// acknowledgement (only output that follows `TerminalOpened` does).
    fn output(self: &Rc<Self>, term: u16, data: js_sys::Uint8Array) {
        let Some((xterm, generation)) = self
            .views
            .borrow()
            .get(&term)
            .map(|view| (view.xterm.clone(), view.generation))
        else {
            // Opened before its view: kept for it. Unacknowledged, it stays within the
            // server's flow-control window.
            if self.store.get().terminals.get(term).is_some() {
                self.unseen.borrow_mut().entry(term).or_default().push(data);
            }
            return;
        };
        let (arrived, shown) = self.marked.get();
        if !arrived {
            timing::mark("first-output");
            self.marked.set((true, shown));
        }
        let counted = self.store.get().terminals.is_open(term);
        if !counted && self.bench.is_none() && shown {
            xterm.write(&data);
            return;
        }
        let bytes = u64::from(data.length());
        let weak = Rc::downgrade(self);
        let bench = self.bench.clone().map(|hook| (hook, data.clone()));
        xterm.write_then(&data, move || {
            if let Some((hook, data)) = &bench {
                timing::written(hook, term, data);
            }
            let Some(inner) = weak.upgrade() else { return };
            let (arrived, shown) = inner.marked.get();
            if !shown {
                timing::mark("first-written");
                inner.marked.set((arrived, true));
            }
            if counted {
                inner.written(term, generation, bytes);
            }
        });
    }

    fn written(self: &Rc<Self>, term: u16, generation: u32, bytes: u64) {
        if !self.store.get().terminals.is_open(term) {
            return;
        }
        let due = {
            let mut views = self.views.borrow_mut();
            let Some(view) = views.get_mut(&term) else {
                return;
            };
            if view.generation != generation {
                return;
            }
            view.flow.wrote(bytes)
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
            if let Some(view) = self.views.borrow_mut().get_mut(&term) {
                view.flow.sent(bytes);
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
        let state = self.store.get();
        let owed: Vec<(u16, u64)> = self
            .views
            .borrow()
            .iter()
            .filter(|(term, _)| state.terminals.is_open(**term))
            .filter_map(|(term, view)| view.flow.pending().map(|bytes| (*term, bytes)))
            .collect();
        for (term, bytes) in owed {
            self.ack(term, bytes);
        }
    }

    /// A key pressed in terminal `term`: to its shell when open; an exited or failed
    /// terminal is opened again instead.
    fn key(&self, term: u16, bytes: &[u8]) {
        let state = self.store.get();
        match state.terminals.phase(term) {
            Some(Phase::Open) => {
                self.send_input(term, bytes);
            }
            Some(Phase::Exited | Phase::Failed(_)) => {
                self.store.dispatch(Action::Reopen(term));
                self.drive();
            }
            _ => {}
        }
    }

    fn resized(&self, term: u16, cols: u16, rows: u16) {
        let (cols, rows) = clamp_size(cols, rows);
        prefs::set_term_size(cols, rows);
        if self.store.get().terminals.is_attached(term) {
            self.send(&ClientMsg::Resize { term, cols, rows });
        }
    }

    fn xterm(&self, term: u16) -> Option<Rc<Xterm>> {
        self.views
            .borrow()
            .get(&term)
            .map(|view| view.xterm.clone())
    }

    fn focus(&self, term: u16) {
        if let Some(xterm) = self.xterm(term) {
            xterm.focus();
        }
    }

    fn send(&self, msg: &ClientMsg) -> bool {
        self.socket
            .borrow()
            .as_ref()
            .is_some_and(|socket| socket.send(msg))
    }

    fn send_input(&self, term: u16, bytes: &[u8]) -> bool {
        self.socket
            .borrow()
            .as_ref()
            .is_some_and(|socket| socket.send_input(term, bytes))
    }

    fn end(&self, ended: Ended) {
        self.close();
        self.store.dispatch(Action::Ended(ended));
    }

    fn close(&self) {
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
