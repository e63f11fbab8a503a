//! The session socket, `GET /api/sessions/{id}/ws`: checks Origin and token, then runs one
//! connection as three kinds of task — a sender draining a bounded queue into the socket,
//! the receive loop handling browser messages and session events, and one forwarder per
//! attached terminal copying its output (scrollback first) into the queue. When the
//! socket ends every forwarder is aborted; the terminals keep running for the next attach.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::{Arc, Weak};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use quai_protocol::{
    check_size, frame, ClientMsg, EndReason, ErrorCode, Frame, FrameKind, ServerMsg,
    PROTOCOL_VERSION,
};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use crate::api::{AppError, Owned};
use crate::runtime::TermSize;
use crate::session::terminal::{TermEvent, Terminal, Watcher};
use crate::session::{Session, SessionEvent};
use crate::AppState;

pub mod ports;
pub mod view;

use ports::{watch_ports, Activity};

/// A text message from a page, read as a control message.
pub fn read_control(body: &str) -> Result<ClientMsg, serde_json::Error> {
    serde_json::from_str(body)
}

/// A binary message from a page, which may only carry input: the frame, or why it is
/// ignored.
pub fn input_frame(bytes: &[u8]) -> Result<Frame, String> {
    let frame = Frame::decode(bytes).map_err(|err| format!("The frame was ignored: {err}."))?;
    if frame.kind != FrameKind::Input {
        return Err("The browser may only send input frames; the frame was ignored.".into());
    }
    Ok(frame)
}

/// A terminal size asked for by a page, if it is within range; otherwise the sentence saying
/// why not.
pub fn term_size(cols: u16, rows: u16) -> Result<TermSize, String> {
    check_size(cols, rows)?;
    Ok(TermSize { cols, rows })
}

/// Largest message a browser may send (a big paste fits; a flood does not).
const MAX_MESSAGE: usize = 1024 * 1024;
/// Bytes read from a socket at a time. The browser sends keystrokes and an occasional paste
/// (read in several reads); the WebSocket library's default (128 KiB, zero-filled at the
/// first read) made every open page cost the server 128 KiB of memory.
pub(crate) const READ_BUFFER: usize = 8 * 1024;
/// Messages queued for the socket before forwarders wait.
pub(crate) const OUT_QUEUE: usize = 256;
/// Largest binary frame of replayed scrollback.
const REPLAY_CHUNK: usize = 64 * 1024;

/// Close codes with a meaning for the browser.
pub mod close {
    /// The session ended; see the preceding `SessionEnded`.
    pub const SESSION_ENDED: u16 = 4000;
    /// The browser spoke another protocol version or skipped `Hello`.
    pub const PROTOCOL: u16 = 4002;
}

pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Owned(session): Owned,
    ws: WebSocketUpgrade,
) -> Result<Response, AppError> {
    crate::timing::step("socket asked", &session.id);
    state.edge.check_origin(&headers, &uri)?;
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(String::from);
    Ok(ws
        .max_message_size(MAX_MESSAGE)
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| run(state, session, socket, host)))
}

/// Writes the socket's queued messages, every message already waiting in one write, until
/// a close is sent or the socket fails.
pub(crate) async fn send_queued<S>(mut sink: S, mut queue: mpsc::Receiver<Message>)
where
    S: futures::Sink<Message> + Unpin,
{
    while let Some(msg) = queue.recv().await {
        let mut last = matches!(msg, Message::Close(_));
        if sink.feed(msg).await.is_err() {
            return;
        }
        while !last {
            let Ok(msg) = queue.try_recv() else { break };
            last = matches!(msg, Message::Close(_));
            if sink.feed(msg).await.is_err() {
                return;
            }
        }
        if sink.flush().await.is_err() || last {
            return;
        }
    }
}

pub(crate) fn text(msg: &ServerMsg) -> Message {
    Message::Text(
        serde_json::to_string(msg)
            .expect("server messages serialize")
            .into(),
    )
}

pub(crate) fn closing(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.to_string().into(),
    }))
}

async fn run(state: AppState, session: Arc<Session>, socket: WebSocket, host: Option<String>) {
    crate::timing::step("socket upgraded", &session.id);
    let (sink, mut stream) = socket.split();
    let (out, queue) = mpsc::channel::<Message>(OUT_QUEUE);
    let sender = tokio::spawn(send_queued(sink, queue));
    let mut events = session.subscribe();
    session.socket_opened().await;
    let mut conn = Connection {
        state,
        session,
        out,
        forwarders: HashMap::new(),
        greeted: false,
        host,
        ports: None,
        activity: Arc::new(Activity::new()),
    };
    if conn.session.is_ended() {
        conn.end(EndReason::Ended).await;
    } else {
        loop {
            let flow = tokio::select! {
                msg = stream.next() => match msg {
                    Some(Ok(msg)) => conn.handle(msg).await,
                    _ => ControlFlow::Break(()),
                },
                event = events.recv() => match event {
                                        Ok(SessionEvent::Expiring(seconds_left)) => {
                        conn.send(ServerMsg::Expiring { seconds_left }).await;
                        ControlFlow::Continue(())
                    }
                    Ok(SessionEvent::Updated) => {
                        let session = conn.session.info().await;
                        conn.send(ServerMsg::SessionUpdated { session }).await;
                        ControlFlow::Continue(())
                    }
                    Ok(SessionEvent::Problem(code, message)) => {
                        conn.error(code, message).await;
                        ControlFlow::Continue(())
                    }
                    Ok(SessionEvent::Notice(message)) => {
                        conn.send(ServerMsg::Notice { message }).await;
                        ControlFlow::Continue(())
                    }
                    Ok(SessionEvent::Watchers) => {
                        conn.send_watchers().await;
                        ControlFlow::Continue(())
                    }
                    Ok(SessionEvent::Help(change)) => {
                        conn.send(ServerMsg::HelpChanged {
                            term: change.term,
                            name: change.name,
                            state: change.state,
                        })
                        .await;
                        ControlFlow::Continue(())
                    }
                    Ok(SessionEvent::Ended(reason)) => {
                        conn.end(reason).await;
                        ControlFlow::Break(())
                    }
                    // New nodes: the page connects again and opens its terminals there.
                    Ok(SessionEvent::Renewed) => ControlFlow::Break(()),
                    Err(broadcast::error::RecvError::Lagged(_)) => ControlFlow::Continue(()),
                    Err(broadcast::error::RecvError::Closed) => ControlFlow::Break(()),
                },
            };
            if flow.is_break() {
                break;
            }
        }
    }
    for (_, (forwarder, _)) in conn.forwarders.drain() {
        forwarder.abort();
    }
    if let Some(ports) = conn.ports.take() {
        ports.abort();
    }
    conn.session.socket_closed();
    drop(conn);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), sender).await;
}

/// One browser connection to one session.
struct Connection {
    state: AppState,
    session: Arc<Session>,
    out: mpsc::Sender<Message>,
    /// Per attached terminal: the task copying its output here, and this socket's watcher.
    forwarders: HashMap<u16, (JoinHandle<()>, Arc<Watcher>)>,
    greeted: bool,
    /// The Host the page used, for the preview addresses of ports.
    host: Option<String>,
    /// The task telling this socket about listening ports, once greeted.
    ports: Option<JoinHandle<()>>,
    /// When the student last typed, for how often the ports are looked at.
    activity: Arc<Activity>,
}

impl Connection {
    async fn send(&self, msg: ServerMsg) {
        let _ = self.out.send(text(&msg)).await;
    }

    /// An error about the session as a whole (or about no terminal in particular).
    async fn error(&self, code: ErrorCode, message: impl Into<String>) {
        self.send(ServerMsg::Error {
            code,
            message: message.into(),
            term: None,
        })
        .await;
    }

    /// An error about terminal `term`: the page shows it in that terminal.
    async fn term_error(&self, term: u16, code: ErrorCode, message: impl Into<String>) {
        self.send(ServerMsg::Error {
            code,
            message: message.into(),
            term: Some(term),
        })
        .await;
    }

    async fn end(&self, reason: EndReason) {
        self.send(ServerMsg::SessionEnded { reason }).await;
        let _ = self
            .out
            .send(closing(close::SESSION_ENDED, "session ended"))
            .await;
    }

    async fn handle(&mut self, msg: Message) -> ControlFlow<()> {
        match msg {
            Message::Text(body) => match read_control(body.as_str()) {
                Ok(msg) => self.handle_control(msg).await,
                Err(err) => {
                    self.error(
                        ErrorCode::BadRequest,
                        format!("The message could not be read and was ignored: {err}."),
                    )
                    .await;
                    ControlFlow::Continue(())
                }
            },
            Message::Binary(bytes) => {
                self.handle_frame(&bytes).await;
                ControlFlow::Continue(())
            }
            Message::Close(_) => ControlFlow::Break(()),
            Message::Ping(_) | Message::Pong(_) => ControlFlow::Continue(()),
        }
    }

    async fn handle_control(&mut self, msg: ClientMsg) -> ControlFlow<()> {
        if !self.greeted && !matches!(msg, ClientMsg::Hello { .. }) {
            self.error(
                ErrorCode::ProtocolVersion,
                "The first message on the socket must be Hello.",
            )
            .await;
            let _ = self
                .out
                .send(closing(close::PROTOCOL, "hello expected"))
                .await;
            return ControlFlow::Break(());
        }
        match msg {
            ClientMsg::Hello { version } if version != PROTOCOL_VERSION => {
                self.error(
                    ErrorCode::ProtocolVersion,
                    format!("This page speaks protocol {version} but the server speaks {PROTOCOL_VERSION}; reload the page."),
                )
                .await;
                let _ = self
                    .out
                    .send(closing(close::PROTOCOL, "protocol version"))
                    .await;
                return ControlFlow::Break(());
            }
            ClientMsg::Hello { .. } => {
                crate::timing::step("hello received", &self.session.id);
                self.greeted = true;
                let session = self.session.info().await;
                let left = session
                    .expires_at
                    .saturating_sub(crate::session::unix_now());
                self.send(ServerMsg::Hello {
                    version: PROTOCOL_VERSION,
                    session,
                })
                .await;
                // A warning sent while no page was open is repeated to the page that opens.
                if left <= crate::session::WARN_AT[0] {
                    self.send(ServerMsg::Expiring { seconds_left: left }).await;
                }
                // Who watches, and help asked for or going on, as they stand.
                let (watchers, audience) = self.session.viewers().watching();
                if !watchers.is_empty() || audience > 0 {
                    self.send(ServerMsg::Watchers { watchers, audience }).await;
                }
                if let Some(help) = self.session.viewers().help() {
                    self.send(ServerMsg::HelpChanged {
                        term: help.term,
                        name: help.name,
                        state: help.state,
                    })
                    .await;
                }
                if self.ports.is_none() {
                    self.ports = Some(watch_ports(
                        self.state.clone(),
                        self.session.clone(),
                        self.host.clone(),
                        self.out.clone(),
                        self.activity.clone(),
                    ));
                }
            }
            ClientMsg::OpenTerminal {
                term,
                node,
                cols,
                rows,
            } => self.open_terminal(term, &node, cols, rows).await,
            ClientMsg::Resize { term, cols, rows } => self.resize(term, cols, rows).await,
            ClientMsg::CloseTerminal { term } => {
                if let Some((forwarder, _)) = self.forwarders.remove(&term) {
                    forwarder.abort();
                }
                if !self
                    .session
                    .close_terminal(self.state.sessions.runtime(), term)
                    .await
                {
                    self.term_error(
                        term,
                        ErrorCode::Terminal,
                        format!("There is no terminal {term} to close."),
                    )
                    .await;
                }
            }
            // An acknowledgement still on its way when its terminal closed is of no matter.
            ClientMsg::Ack { term, bytes } => {
                let terminal = self.session.terminal(term).await;
                if let (Some((_, watcher)), Some(terminal)) = (self.forwarders.get(&term), terminal)
                {
                    terminal.ack(watcher, bytes);
                }
            }
            ClientMsg::Ping { nonce } => self.send(ServerMsg::Pong { nonce }).await,
            ClientMsg::HelpAnswer { accept } => self.session.answer_help(accept),
            ClientMsg::HelpEnd => self.session.end_help(),
            // Only a viewer asks to help.
            ClientMsg::HelpAsk => {
                self.error(
                    ErrorCode::BadRequest,
                    "Help is asked for from an instructor's view of a terminal.",
                )
                .await
            }
        }
        ControlFlow::Continue(())
    }

    /// Tells the page who watches its terminals now.
    async fn send_watchers(&self) {
        let (watchers, audience) = self.session.viewers().watching();
        self.send(ServerMsg::Watchers { watchers, audience }).await;
    }

    async fn open_terminal(&mut self, term: u16, node: &str, cols: u16, rows: u16) {
        let size = match term_size(cols, rows) {
            Ok(size) => size,
            Err(message) => {
                self.term_error(
                    term,
                    ErrorCode::BadRequest,
                    format!("The terminal was not opened: {message}."),
                )
                .await;
                return;
            }
        };
        crate::timing::step("terminal asked", &self.session.id);
        match self
            .state
            .sessions
            .open_terminal(&self.session, term, node, size)
            .await
        {
            Ok(terminal) => {
                crate::timing::step("terminal attached", &self.session.id);
                if let Some((previous, _)) = self.forwarders.remove(&term) {
                    previous.abort();
                }
                let watcher = Arc::new(Watcher::default());
                let forwarder = tokio::spawn(forward(
                    Arc::downgrade(&terminal),
                    watcher.clone(),
                    self.out.clone(),
                ));
                self.forwarders.insert(term, (forwarder, watcher));
            }
            Err(err) => {
                self.term_error(
                    term,
                    ErrorCode::Terminal,
                    format!("The terminal could not be opened: {err}."),
                )
                .await
            }
        }
    }

    async fn resize(&self, term: u16, cols: u16, rows: u16) {
        let size = match term_size(cols, rows) {
            Ok(size) => size,
            Err(message) => {
                self.term_error(
                    term,
                    ErrorCode::BadRequest,
                    format!("The resize was ignored: {message}."),
                )
                .await;
                return;
            }
        };
        let Some(terminal) = self.session.terminal(term).await else {
            self.term_error(
                term,
                ErrorCode::Terminal,
                format!("There is no terminal {term} to resize."),
            )
            .await;
            return;
        };
        if let Err(err) = terminal
            .resize(self.state.sessions.runtime().as_ref(), size)
            .await
        {
            self.term_error(
                term,
                ErrorCode::Terminal,
                format!("The terminal could not be resized: {err}."),
            )
            .await;
        }
    }

    async fn handle_frame(&self, bytes: &[u8]) {
        let frame = match input_frame(bytes) {
            Ok(frame) => frame,
            Err(message) => {
                self.error(ErrorCode::BadRequest, message).await;
                return;
            }
        };
        match self.session.terminal(frame.term).await {
            Some(terminal) if terminal.send_input(Bytes::from(frame.data)).await => {
                self.activity.typed();
            }
            Some(_) => {
                self.term_error(
                    frame.term,
                    ErrorCode::Terminal,
                    format!("Terminal {} has exited; open it again.", frame.term),
                )
                .await
            }
            None => {
                self.term_error(
                    frame.term,
                    ErrorCode::Terminal,
                    format!("There is no terminal {}; open it first.", frame.term),
                )
                .await
            }
        }
    }
}

/// Output already waiting behind a chunk goes out in the same frame, up to this many bytes:
/// fewer frames for the socket and the browser to handle during a flood.
const COALESCE: usize = 64 * 1024;

/// `first` and the output chunks queued right behind it, up to `COALESCE` bytes; and the
/// event that stopped the merge, to handle next.
fn coalesce(
    first: Bytes,
    events: &mut broadcast::Receiver<TermEvent>,
) -> (
    Bytes,
    Option<Result<TermEvent, broadcast::error::RecvError>>,
) {
    use broadcast::error::{RecvError, TryRecvError};
    let mut merged: Option<Vec<u8>> = None;
    let mut len = first.len();
    let mut after = None;
    while len < COALESCE {
        match events.try_recv() {
            Ok(TermEvent::Output(more)) => {
                let buf = merged.get_or_insert_with(|| {
                    let mut buf = Vec::with_capacity(COALESCE + more.len());
                    buf.extend_from_slice(&first);
                    buf
                });
                buf.extend_from_slice(&more);
                len = buf.len();
            }
            Ok(other) => {
                after = Some(Ok(other));
                break;
            }
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Lagged(n)) => {
                after = Some(Err(RecvError::Lagged(n)));
                break;
            }
            Err(TryRecvError::Closed) => {
                after = Some(Err(RecvError::Closed));
                break;
            }
        }
    }
    (merged.map(Bytes::from).unwrap_or(first), after)
}

/// Copies one terminal's output to the socket: the scrollback, then live output. When the
/// socket falls too far behind, it starts over from a fresh snapshot (the browser resets
/// its terminal on every `TerminalOpened`).
async fn forward(terminal: Weak<Terminal>, watcher: Arc<Watcher>, out: mpsc::Sender<Message>) {
    follow(terminal, watcher, out, false).await
}

/// `forward`, telling the socket of each resize when `resizes` (a viewer's, whose window
/// takes the size of the owner's).
pub(crate) async fn follow(
    terminal: Weak<Terminal>,
    watcher: Arc<Watcher>,
    out: mpsc::Sender<Message>,
    resizes: bool,
) {
    // The owner's first byte of output, for the bench's click-to-prompt breakdown.
    let mut first = !resizes;
    loop {
        let Some(live) = terminal.upgrade() else {
            return;
        };
        let attachment = live.attach(&watcher);
        let (term, node, size) = (live.term, live.node.clone(), live.size());
        drop(live);
        if resizes {
            let resized = ServerMsg::TerminalResized {
                term,
                cols: size.cols,
                rows: size.rows,
            };
            if out.send(text(&resized)).await.is_err() {
                return;
            }
        }
        let opened = ServerMsg::TerminalOpened {
            term,
            node,
            replay: attachment.replay.len() as u64,
        };
        if out.send(text(&opened)).await.is_err() {
            return;
        }
        for chunk in attachment.replay.chunks(REPLAY_CHUNK) {
            if out
                .send(Message::Binary(
                    frame::encode(FrameKind::Output, term, chunk).into(),
                ))
                .await
                .is_err()
            {
                return;
            }
            if std::mem::take(&mut first) {
                crate::timing::step("first byte queued", "replay");
            }
        }
        if let Some(exit_code) = attachment.exited {
            let _ = out
                .send(text(&ServerMsg::TerminalExited { term, exit_code }))
                .await;
            return;
        }
        let mut events = attachment.events;
        let mut next = None;
        loop {
            let event = match next.take() {
                Some(event) => event,
                None => events.recv().await,
            };
            match event {
                Ok(TermEvent::Output(bytes)) => {
                    let (data, after) = coalesce(bytes, &mut events);
                    next = after;
                    if out
                        .send(Message::Binary(
                            frame::encode(FrameKind::Output, term, &data).into(),
                        ))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    if std::mem::take(&mut first) {
                        crate::timing::step("first byte queued", "live");
                    }
                }
                // The owner's own window made that size; a viewer's follows it.
                Ok(TermEvent::Resized(size)) => {
                    if resizes {
                        let resized = ServerMsg::TerminalResized {
                            term,
                            cols: size.cols,
                            rows: size.rows,
                        };
                        if out.send(text(&resized)).await.is_err() {
                            return;
                        }
                    }
                }
                Ok(TermEvent::Exited(exit_code)) => {
                    let _ = out
                        .send(text(&ServerMsg::TerminalExited { term, exit_code }))
                        .await;
                    return;
                }
                Err(broadcast::error::RecvError::Lagged(_)) => break,
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_queued_behind_a_chunk_goes_out_with_it_and_other_events_keep_their_turn() {
        let (tx, mut rx) = broadcast::channel(16);
        for part in ["ab", "cd", "ef"] {
            tx.send(TermEvent::Output(Bytes::from(part))).unwrap();
        }
        tx.send(TermEvent::Resized(TermSize { cols: 90, rows: 30 }))
            .unwrap();
        tx.send(TermEvent::Output(Bytes::from("gh"))).unwrap();
        let Ok(TermEvent::Output(first)) = rx.try_recv() else {
            panic!("output first")
        };
        let (data, after) = coalesce(first, &mut rx);
        assert_eq!(&data[..], b"abcdef");
        assert!(matches!(
            after,
            Some(Ok(TermEvent::Resized(TermSize { cols: 90, rows: 30 })))
        ));
        let Ok(TermEvent::Output(last)) = rx.try_recv() else {
            panic!("output after the resize")
        };
        let (data, after) = coalesce(last, &mut rx);
        assert_eq!(&data[..], b"gh");
        assert!(after.is_none());
    }

    #[test]
    fn a_frame_holds_at_most_about_the_coalescing_size() {
        let (tx, mut rx) = broadcast::channel(64);
        for _ in 0..40 {
            tx.send(TermEvent::Output(Bytes::from(vec![b'x'; 4096])))
                .unwrap();
        }
        let Ok(TermEvent::Output(first)) = rx.try_recv() else {
            panic!("output first")
        };
        let (data, _) = coalesce(first, &mut rx);
        assert_eq!(data.len(), COALESCE);
        let mut total = data.len();
        while let Ok(TermEvent::Output(next)) = rx.try_recv() {
            let (more, _) = coalesce(next, &mut rx);
            assert!(more.len() <= COALESCE);
            total += more.len();
        }
        assert_eq!(total, 40 * 4096, "nothing lost");
    }
}
