//! The session socket (`/api/sessions/{id}/ws`): one WebSocket that says `Hello`, keeps
//! itself alive with `Ping`, decodes text frames into `ServerMsg` and binary frames into
//! terminal output, and, when it drops without being closed on purpose, opens a new one
//! after a growing delay. Everything it hears goes to one `on_event` callback.
//!
//! The callback may call back into the socket (`send`), so no borrow of the socket's state
//! is held while it runs. A start button may open a session's socket early (`open_early`),
//! while the playground's page is being drawn; the page's socket then takes it over.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo::timers::callback::{Interval, Timeout};
use js_sys::{ArrayBuffer, Uint8Array};
use quai_protocol::{frame, ClientMsg, Frame, FrameKind, ServerMsg, SessionInfo, PROTOCOL_VERSION};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

use crate::services::clock::pause;

/// How often a `Ping` goes out while connected.
pub const PING_EVERY_MS: u32 = 25_000;

/// After this many ping periods without a word from the server (or without the socket
/// opening), the socket is taken for dead and replaced.
const SILENT_PERIODS: u32 = 2;

/// What the socket tells its owner.
#[derive(Debug)]
pub enum SocketEvent {
    /// `Hello` went out on a new socket. The server reads what follows once it has answered,
    /// so terminals can be asked for already: their output comes right after the answer.
    Greeted,
    /// The server answered `Hello`: the session as it stands.
    Ready(SessionInfo),
    /// Any other control message (`Pong` is handled here).
    Message(ServerMsg),
    /// Bytes terminal `term` printed (a fresh array, safe to keep).
    Output { term: u16, data: Uint8Array },
    /// The socket dropped; the next one opens in `delay_ms`.
    Dropped {
        attempt: u32,
        delay_ms: u32,
        code: u16,
    },
}

/// Delay before reconnect attempt `attempt` (0-based): 0.5 s, 1 s, 2 s, 4 s, then 5 s: a
/// page comes back within seconds of its server.
pub fn backoff_ms(attempt: u32) -> u32 {
    500u32.saturating_mul(1u32 << attempt.min(4)).min(5_000)
}

/// `ws://host{path}` for the page's host, or `wss://` when the page came over HTTPS.
pub fn page_socket_url(path: &str) -> String {
    let location = web_sys::window().map(|w| w.location());
    let protocol = location
        .as_ref()
        .and_then(|l| l.protocol().ok())
        .unwrap_or_default();
    let host = location
        .as_ref()
        .and_then(|l| l.host().ok())
        .unwrap_or_default();
    let scheme = if protocol == "https:" { "wss" } else { "ws" };
    format!("{scheme}://{host}{path}")
}

/// `ws://host/api/sessions/{id}/ws`, or `wss://` when the page came over HTTPS.
pub fn socket_url(page_protocol: &str, host: &str, id: &str) -> String {
    let scheme = if page_protocol == "https:" {
        "wss"
    } else {
        "ws"
    };
    format!("{scheme}://{host}{}/ws", super::api::session_path(id))
}

thread_local! {
    /// A socket opened ahead of its `SessionSocket` (`open_early`), with its URL.
    static EARLY: RefCell<Option<(String, WebSocket)>> = const { RefCell::new(None) };
}

/// Opens the socket of session `id` now, for the `SessionSocket` the page makes for it next
/// to take over, and waits (at most `EARLY_WAIT_MS`) until its handshake is done: a start
/// button calls it as soon as the session is created, so that the page's socket says
/// `Hello` as soon as it is made, before the page and xterm.js are drawn (the browser would
/// tell of the handshake only after them). The server says nothing before `Hello`, which the
/// taking over sends.
pub async fn open_early(id: &str) {
    let Some(ws) = open_early_socket(id) else {
        return;
    };
    let mut waited = 0;
    while ws.ready_state() == WebSocket::CONNECTING && waited < EARLY_WAIT_MS {
        pause(EARLY_POLL_MS).await;
        waited += EARLY_POLL_MS;
    }
}

/// Longest wait for an early socket's handshake, and how often it is looked at.
const EARLY_WAIT_MS: i32 = 100;
const EARLY_POLL_MS: i32 = 4;

fn open_early_socket(id: &str) -> Option<WebSocket> {
    let location = gloo::utils::window().location();
    let url = socket_url(
        &location.protocol().unwrap_or_default(),
        &location.host().unwrap_or_default(),
        id,
    );
    let ws = WebSocket::new(&url).ok()?;
    ws.set_binary_type(BinaryType::Arraybuffer);
    if let Some((_, unused)) = EARLY.with(|early| early.replace(Some((url, ws.clone())))) {
        let _ = unused.close_with_code(1000);
    }
    Some(ws)
}

/// The socket `open_early` opened for `url`, unless it has closed meanwhile.
fn take_early(url: &str) -> Option<WebSocket> {
    let (early_url, ws) = EARLY.with(|early| early.borrow_mut().take())?;
    let usable =
        early_url == url && matches!(ws.ready_state(), WebSocket::CONNECTING | WebSocket::OPEN);
    if usable {
        Some(ws)
    } else {
        let _ = ws.close_with_code(1000);
        None
    }
}

/// A self-reconnecting session socket; dropping it closes the socket for good.
pub struct SessionSocket {
    inner: Rc<Inner>,
}

struct Inner {
    url: String,
    on_event: Box<dyn Fn(SocketEvent)>,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    ws: Option<WebSocket>,
    handlers: Option<Handlers>,
    /// The server answered `Hello` on the current socket.
    ready: bool,
    /// Reconnect attempts since the last `Hello`.
    attempt: u32,
    /// Ping periods since the server last said anything.
    silent: u32,
    nonce: u64,
    /// `close()` was called: no more reconnects.
    stopped: bool,
    retry: Option<Timeout>,
    ping: Option<Interval>,
}

enum Tick {
    Idle,
    Ping(u64),
    Dead(Option<WebSocket>),
}

struct Handlers {
    _open: Closure<dyn FnMut()>,
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
}

impl SessionSocket {
    /// Opens the socket to `url` now and keeps it open until dropped or closed.
    pub fn connect(url: String, on_event: impl Fn(SocketEvent) + 'static) -> SessionSocket {
        let inner = Rc::new(Inner {
            url,
            on_event: Box::new(on_event),
            state: RefCell::default(),
        });
        let weak = Rc::downgrade(&inner);
        let ping = Interval::new(PING_EVERY_MS, move || {
            if let Some(inner) = weak.upgrade() {
                inner.tick();
            }
        });
        inner.state.borrow_mut().ping = Some(ping);
        Inner::open(&inner);
        SessionSocket { inner }
    }

    /// Sends a control message; `false` when not connected (the message is dropped).
    pub fn send(&self, msg: &ClientMsg) -> bool {
        self.inner.send(msg)
    }

    /// Sends bytes typed into terminal `term`; `false` when not connected.
    pub fn send_input(&self, term: u16, bytes: &[u8]) -> bool {
        let Some(ws) = self.inner.open_socket() else {
            return false;
        };
        ws.send_with_u8_array(&frame::encode(FrameKind::Input, term, bytes))
            .is_ok()
    }

    /// Closes the socket for good (the session ended, or the page is leaving).
    pub fn close(&self) {
        let (ws, retry) = {
            let mut state = self.inner.state.borrow_mut();
            state.stopped = true;
            state.ready = false;
            (state.ws.take(), state.retry.take())
        };
        if let Some(retry) = retry {
            retry.cancel();
        }
        if let Some(ws) = ws {
            detach(&ws);
            let _ = ws.close_with_code(1000);
        }
    }
}

impl Drop for SessionSocket {
    fn drop(&mut self) {
        self.close();
    }
}

impl Inner {
    fn open(self: &Rc<Self>) {
        if self.state.borrow().stopped {
            return;
        }
        let ws = match take_early(&self.url).map_or_else(|| WebSocket::new(&self.url), Ok) {
            Ok(ws) => ws,
            Err(_) => {
                // A malformed URL or a refused scheme: try again later like any drop.
                self.dropped(1006);
                return;
            }
        };
        ws.set_binary_type(BinaryType::Arraybuffer);
        // Opened early (`open_early`): its open event has passed already.
        let open = ws.ready_state() == WebSocket::OPEN;
        let handlers = Handlers {
            _open: {
                let weak = Rc::downgrade(self);
                Closure::new(move || {
                    if let Some(inner) = weak.upgrade() {
                        inner.opened();
                    }
                })
            },
            _message: Closure::new(with(Rc::downgrade(self), |inner, ev: MessageEvent| {
                inner.message(ev)
            })),
            _close: Closure::new(with(Rc::downgrade(self), |inner, ev: CloseEvent| {
                inner.closed(ev.code());
            })),
        };
        ws.set_onopen(Some(handlers._open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(handlers._message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(handlers._close.as_ref().unchecked_ref()));
        {
            let mut state = self.state.borrow_mut();
            state.ws = Some(ws);
            state.handlers = Some(handlers);
            state.ready = false;
            state.silent = 0;
        }
        if open {
            self.opened();
        }
    }

    fn opened(&self) {
        super::timing::mark("socket-open");
        self.state.borrow_mut().silent = 0;
        let said = self.send(&ClientMsg::Hello {
            version: PROTOCOL_VERSION,
        });
        if said {
            (self.on_event)(SocketEvent::Greeted);
        }
    }

    fn message(&self, ev: MessageEvent) {
        self.state.borrow_mut().silent = 0;
        let data = ev.data();
        if let Some(text) = data.as_string() {
            match serde_json::from_str::<ServerMsg>(&text) {
                Ok(ServerMsg::Hello { session, .. }) => {
                    {
                        let mut state = self.state.borrow_mut();
                        state.ready = true;
                        state.attempt = 0;
                    }
                    (self.on_event)(SocketEvent::Ready(session));
                }
                Ok(ServerMsg::Pong { .. }) => {}
                // A viewer's socket is answered with what it views (or what is on air).
                Ok(msg @ (ServerMsg::Viewing { .. } | ServerMsg::OnAir { .. })) => {
                    {
                        let mut state = self.state.borrow_mut();
                        state.ready = true;
                        state.attempt = 0;
                    }
                    (self.on_event)(SocketEvent::Message(msg))
                }
                Ok(msg) => (self.on_event)(SocketEvent::Message(msg)),
                Err(err) => gloo::console::warn!(format!("Quai: ignoring a socket message: {err}")),
            }
        } else if let Ok(buffer) = data.dyn_into::<ArrayBuffer>() {
            let bytes = Uint8Array::new(&buffer);
            let len = bytes.length();
            if len < frame::HEADER_LEN as u32 {
                return;
            }
            let mut header = [0u8; frame::HEADER_LEN];
            bytes
                .subarray(0, frame::HEADER_LEN as u32)
                .copy_to(&mut header);
            if let Ok(Frame {
                kind: FrameKind::Output,
                term,
                ..
            }) = Frame::decode(&header)
            {
                let data = bytes.subarray(frame::HEADER_LEN as u32, len);
                (self.on_event)(SocketEvent::Output { term, data });
            }
        }
    }

    fn closed(self: &Rc<Self>, code: u16) {
        let ws = self.state.borrow_mut().ws.take();
        if let Some(ws) = ws {
            detach(&ws);
        }
        self.dropped(code);
    }

    /// The socket is gone: schedule the next one unless closed on purpose.
    fn dropped(self: &Rc<Self>, code: u16) {
        let (attempt, delay_ms) = {
            let mut state = self.state.borrow_mut();
            state.ready = false;
            if state.stopped {
                return;
            }
            let attempt = state.attempt;
            state.attempt = attempt.saturating_add(1);
            let delay_ms = backoff_ms(attempt);
            let weak = Rc::downgrade(self);
            // The previous timer has fired already; replacing it only frees it.
            state.retry = Some(Timeout::new(delay_ms, move || {
                if let Some(inner) = weak.upgrade() {
                    Inner::open(&inner);
                }
            }));
            (attempt, delay_ms)
        };
        (self.on_event)(SocketEvent::Dropped {
            attempt,
            delay_ms,
            code,
        });
    }

    /// Every ping period: ping when connected, replace a socket that stays silent.
    fn tick(self: &Rc<Self>) {
        let tick = {
            let mut state = self.state.borrow_mut();
            if state.ws.is_none() {
                Tick::Idle
            } else if state.silent >= SILENT_PERIODS {
                Tick::Dead(state.ws.take())
            } else {
                state.silent += 1;
                state.nonce += 1;
                if state.ready {
                    Tick::Ping(state.nonce)
                } else {
                    Tick::Idle
                }
            }
        };
        match tick {
            Tick::Idle => {}
            Tick::Ping(nonce) => {
                self.send(&ClientMsg::Ping { nonce });
            }
            Tick::Dead(ws) => {
                if let Some(ws) = ws {
                    detach(&ws);
                    let _ = ws.close();
                }
                self.dropped(1006);
            }
        }
    }

    fn open_socket(&self) -> Option<WebSocket> {
        let state = self.state.borrow();
        state
            .ws
            .as_ref()
            .filter(|ws| ws.ready_state() == WebSocket::OPEN)
            .cloned()
    }

    fn send(&self, msg: &ClientMsg) -> bool {
        let Some(ws) = self.open_socket() else {
            return false;
        };
        match serde_json::to_string(msg) {
            Ok(text) => ws.send_with_str(&text).is_ok(),
            Err(_) => false,
        }
    }
}

/// Wraps a method of `Inner` as an event handler that does nothing once the socket is gone.
fn with<A>(weak: Weak<Inner>, f: impl Fn(&Rc<Inner>, A)) -> impl FnMut(A) {
    move |arg| {
        if let Some(inner) = weak.upgrade() {
            f(&inner, arg);
        }
    }
}

fn detach(ws: &WebSocket) {
    ws.set_onopen(None);
    ws.set_onmessage(None);
    ws.set_onclose(None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_half_a_second_up_to_five() {
        let delays: Vec<u32> = (0..8).map(backoff_ms).collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 5000, 5000, 5000, 5000]);
        assert_eq!(backoff_ms(u32::MAX), 5000);
    }

    #[test]
    fn socket_url_follows_the_page_protocol() {
        assert_eq!(
            socket_url("http:", "127.0.0.1:8091", "ab"),
            "ws://127.0.0.1:8091/api/sessions/ab/ws"
        );
        assert_eq!(
            socket_url("https:", "quai.example", "ab"),
            "wss://quai.example/api/sessions/ab/ws"
        );
    }
}
