//! A viewer's socket: one terminal of another session shown live and read-only — an
//! instructor peeking at a student's terminal, a class watching its instructor's broadcast.
//! After `Hello` the viewer gets `Viewing` (the terminal and its size), then the terminal's
//! scrollback and output as the owner's page gets them, with `TerminalResized` when the
//! owner's window changes it. A viewer never slows the terminal: it does not take part in
//! flow control, and one that falls behind starts again from the ring. A terminal that
//! exits and is opened again is followed. Input is refused, unless the viewer was let help
//! (`session::viewers`): then its keystrokes go to the terminal, which the student sees.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use bytes::Bytes;
use futures::StreamExt;
use quai_protocol::{ClientMsg, ErrorCode, HelpState, ServerMsg, PROTOCOL_VERSION};
use tokio::sync::{broadcast, mpsc};

use super::{close, closing, follow, send_queued, text, OUT_QUEUE};
use crate::session::terminal::Watcher;
use crate::session::viewers::{HelpChange, ViewKind, ViewerGuard};
use crate::session::{Session, SessionEvent};

/// How often a viewer looks again for a terminal that is not open (or has exited).
const LOOK_AGAIN: Duration = Duration::from_secs(1);
/// How long a viewer may take to say `Hello`.
const HELLO_WITHIN: Duration = Duration::from_secs(10);

/// Whether a viewer may ask to type in the terminal it watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpPolicy {
    /// Never (a broadcast's audience).
    Never,
    /// When the student says yes.
    Ask,
    /// At once: the class allows it without asking.
    UpFront,
}

/// Told of every help change of a viewer (a class keeps a log of them).
pub type HelpLog = Arc<dyn Fn(&HelpChange) + Send + Sync>;

/// Who views, and what they may do.
pub struct ViewContext {
    /// The name the student's page shows.
    pub name: String,
    pub kind: ViewKind,
    pub help: HelpPolicy,
    pub log: Option<HelpLog>,
}

/// Why a view stopped serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The socket closed.
    Gone,
    /// The caller's `stop` fired (a broadcast moved or ended).
    Stopped,
    /// The watched session ended.
    Ended(quai_protocol::EndReason),
}

/// A viewer's socket once it said `Hello`: a queue drained into it by a task of its own,
/// and what the browser sends.
pub struct Link {
    out: mpsc::Sender<Message>,
    stream: futures::stream::SplitStream<WebSocket>,
    sender: tokio::task::JoinHandle<()>,
}

impl Link {
    /// Waits for the browser's `Hello`; a socket that says anything else first (or nothing
    /// for a while) is told why and closed.
    pub async fn open(socket: WebSocket) -> Option<Link> {
        let (sink, mut stream) = socket.split();
        let (out, queue) = mpsc::channel::<Message>(OUT_QUEUE);
        let sender = tokio::spawn(send_queued(sink, queue));
        let hello = tokio::time::timeout(HELLO_WITHIN, stream.next()).await;
        let greeted = matches!(
            hello,
            Ok(Some(Ok(Message::Text(ref t))))
                if matches!(serde_json::from_str::<ClientMsg>(t), Ok(ClientMsg::Hello { version }) if version == PROTOCOL_VERSION)
        );
        let link = Link {
            out,
            stream,
            sender,
        };
        if greeted {
            return Some(link);
        }
        link.send(ServerMsg::Error {
            code: ErrorCode::ProtocolVersion,
            message: format!(
                "The first message on the socket must be Hello, protocol {PROTOCOL_VERSION}."
            ),
            term: None,
        })
        .await;
        link.close(close::PROTOCOL, "hello expected").await;
        None
    }

    pub async fn send(&self, msg: ServerMsg) {
        let _ = self.out.send(text(&msg)).await;
    }

    /// Says goodbye with `code` and waits (a little) for the queue to drain.
    pub async fn close(self, code: u16, reason: &str) {
        let _ = self.out.send(closing(code, reason)).await;
        drop(self.out);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.sender).await;
    }

    /// Reads the socket until `stop` fires, answering pings, for a viewer with nothing to
    /// watch now; false once the socket closed.
    pub async fn idle(&mut self, stop: impl std::future::Future<Output = ()>) -> bool {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return true,
                msg = self.stream.next() => match msg {
                    Some(Ok(Message::Text(text))) => {
                        if let Ok(ClientMsg::Ping { nonce }) = serde_json::from_str(&text) {
                            self.send(ServerMsg::Pong { nonce }).await;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return false,
                    Some(Ok(_)) => {}
                },
            }
        }
    }

    /// Shows terminal `term` of `session` until the socket closes, `stop` fires or the
    /// session ends.
    pub async fn serve(
        &mut self,
        session: &Arc<Session>,
        term: u16,
        context: &ViewContext,
        stop: impl std::future::Future<Output = ()>,
    ) -> Outcome {
        tokio::pin!(stop);
        let mut events = session.subscribe();
        if session.is_ended() {
            return Outcome::Ended(quai_protocol::EndReason::Ended);
        }
        let guard = session.watch(&context.name, term, context.kind);
        let (node, size) = match session.terminal(term).await {
            Some(terminal) => (terminal.node.clone(), terminal.size()),
            None => (
                String::new(),
                crate::runtime::TermSize { cols: 80, rows: 24 },
            ),
        };
        self.send(ServerMsg::Viewing {
            term,
            node,
            cols: size.cols,
            rows: size.rows,
        })
        .await;
        let follower = {
            let (session, out) = (session.clone(), self.out.clone());
            tokio::spawn(async move {
                while !out.is_closed() {
                    match session.terminal(term).await {
                        Some(terminal) if !terminal.has_exited() => {
                            // A watcher that never acknowledges: it never holds the terminal up.
                            let watcher = Arc::new(Watcher::default());
                            follow(Arc::downgrade(&terminal), watcher, out.clone(), true).await;
                        }
                        _ => tokio::time::sleep(LOOK_AGAIN).await,
                    }
                }
            })
        };
        let mut view = View {
            session: session.clone(),
            term,
            guard,
            context,
            out: self.out.clone(),
            helping: false,
        };
        let outcome = loop {
            let flow = tokio::select! {
                _ = &mut stop => break Outcome::Stopped,
                msg = self.stream.next() => match msg {
                    Some(Ok(msg)) => view.handle(msg).await,
                    _ => break Outcome::Gone,
                },
                event = events.recv() => match event {
                    Ok(SessionEvent::Help(change)) => view.help_changed(change).await,
                    Ok(SessionEvent::Ended(reason)) => break Outcome::Ended(reason),
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => ControlFlow::Continue(()),
                    Err(broadcast::error::RecvError::Closed) => {
                        break Outcome::Ended(quai_protocol::EndReason::Ended)
                    }
                },
            };
            if flow.is_break() {
                break Outcome::Gone;
            }
        };
        follower.abort();
        // Leaving ends this viewer's help; the log hears it.
        if view.helping {
            view.guard.end_help();
            if let Some(log) = &context.log {
                log(&HelpChange {
                    viewer: view.guard.id,
                    term,
                    name: context.name.clone(),
                    state: HelpState::Ended,
                });
            }
        }
        outcome
    }
}

/// Runs one viewer's socket on terminal `term` of `session`, until either ends.
pub async fn run(session: Arc<Session>, term: u16, socket: WebSocket, context: ViewContext) {
    let Some(mut link) = Link::open(socket).await else {
        return;
    };
    match link
        .serve(&session, term, &context, std::future::pending())
        .await
    {
        Outcome::Ended(reason) => {
            link.send(ServerMsg::SessionEnded { reason }).await;
            link.close(close::SESSION_ENDED, "session ended").await;
        }
        Outcome::Gone | Outcome::Stopped => link.close(1000, "").await,
    }
}

struct View<'a> {
    session: Arc<Session>,
    term: u16,
    guard: ViewerGuard,
    context: &'a ViewContext,
    out: mpsc::Sender<Message>,
    /// Help asked for or going on.
    helping: bool,
}

impl View<'_> {
    async fn send(&self, msg: ServerMsg) {
        let _ = self.out.send(text(&msg)).await;
    }

    async fn error(&self, code: ErrorCode, message: impl Into<String>) {
        self.send(ServerMsg::Error {
            code,
            message: message.into(),
            term: Some(self.term),
        })
        .await;
    }

    async fn handle(&mut self, msg: Message) -> ControlFlow<()> {
        match msg {
            Message::Text(text) => match super::read_control(&text) {
                Ok(ClientMsg::Ping { nonce }) => self.send(ServerMsg::Pong { nonce }).await,
                Ok(ClientMsg::HelpAsk) => self.ask().await,
                Ok(ClientMsg::HelpEnd) => {
                    self.guard.end_help();
                }
                Ok(ClientMsg::Hello { .. }) => {}
                Ok(_) => {
                    self.error(
                        ErrorCode::BadRequest,
                        "This is a view of someone else's terminal: it cannot be opened, resized or closed from here.",
                    )
                    .await
                }
                Err(err) => {
                    self.error(
                        ErrorCode::BadRequest,
                        format!("The message was ignored: {err}."),
                    )
                    .await
                }
            },
            Message::Binary(bytes) => self.input(&bytes).await,
            Message::Close(_) => return ControlFlow::Break(()),
            Message::Ping(_) | Message::Pong(_) => {}
        }
        ControlFlow::Continue(())
    }

    async fn ask(&mut self) {
        let up_front = match self.context.help {
            HelpPolicy::Never => {
                self.error(
                    ErrorCode::BadRequest,
                    "This view cannot type in the terminal it shows.",
                )
                .await;
                return;
            }
            HelpPolicy::Ask => false,
            HelpPolicy::UpFront => true,
        };
        if let Err(why) = self.guard.ask_help(up_front) {
            self.error(
                ErrorCode::Terminal,
                crate::api::error::sentence(&why.to_string()),
            )
            .await;
        }
    }

    /// Keystrokes of a helper the student let type; anything else is refused.
    async fn input(&self, bytes: &[u8]) {
        let frame = match super::input_frame(bytes) {
            Ok(frame) if frame.term == self.term => frame,
            _ => {
                self.error(ErrorCode::BadRequest, "The frame was ignored.")
                    .await;
                return;
            }
        };
        if !self.guard.may_type() {
            self.error(
                ErrorCode::BadRequest,
                "This view is read-only: ask the student to let you type first.",
            )
            .await;
            return;
        }
        if let Some(terminal) = self.session.terminal(self.term).await {
            terminal.send_input(Bytes::from(frame.data)).await;
        }
    }

    async fn help_changed(&mut self, change: HelpChange) -> ControlFlow<()> {
        if change.viewer != self.guard.id {
            return ControlFlow::Continue(());
        }
        self.helping = matches!(change.state, HelpState::Asked | HelpState::Granted);
        if let Some(log) = &self.context.log {
            log(&change);
        }
        self.send(ServerMsg::HelpChanged {
            term: change.term,
            name: change.name,
            state: change.state,
        })
        .await;
        ControlFlow::Continue(())
    }
}
