//! What the playground page shows, as a reducer: the connection status, the notices (error,
//! warning and information banners), the session as the server last told it (profile,
//! nodes and terminals in a `Workspace`, when it expires), and whether it has ended. The
//! socket driver and the page's buttons dispatch `Action`s; nothing here touches the browser.

use std::collections::BTreeMap;
use std::rc::Rc;

use quai_protocol::{EndReason, PortInfo, Profile, Restored, SessionInfo, Uploaded};
use yew::Reducible;

use crate::i18n::{Msg, Sentence};
use crate::workspace::Workspace;

/// State of the session socket as the top bar shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conn {
    /// First connection under way.
    Connecting,
    /// The server answered `Hello`.
    Connected,
    /// The socket dropped; a new one is being opened.
    Reconnecting,
    /// No socket and none coming (the session ended or the server refused us).
    Disconnected,
}

impl Conn {
    /// The text of `data-test-id="connection-status"`.
    pub fn label(self) -> Msg {
        match self {
            Conn::Connecting => Msg::ConnConnecting,
            Conn::Connected => Msg::ConnConnected,
            Conn::Reconnecting => Msg::ConnReconnecting,
            Conn::Disconnected => Msg::ConnDisconnected,
        }
    }
}

/// Why the playground shows its "session ended" panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The server does not know the session (unknown, expired earlier, or not ours).
    NotFound,
    /// The server said so on the socket.
    Reason(EndReason),
    /// The user clicked "End session".
    ByUser,
}

impl Ended {
    /// One sentence for the panel.
    pub fn sentence(self) -> Msg {
        match self {
            Ended::NotFound => Msg::EndedNotFound,
            Ended::Reason(EndReason::Expired) => Msg::EndedExpired,
            Ended::Reason(EndReason::Ended) | Ended::ByUser => Msg::EndedEnded,
            Ended::Reason(EndReason::ServerShutdown) => Msg::EndedShutdown,
            Ended::Reason(EndReason::Lost) => Msg::EndedLost,
            Ended::Reason(EndReason::Idle) => Msg::EndedIdle,
        }
    }
}

/// How loud a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    /// Something worth knowing that is not a problem (`Notice` from the server).
    Info,
}

/// A dismissable banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: u32,
    pub level: Level,
    pub text: Sentence,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaygroundState {
    pub conn: Conn,
    /// Unix time (seconds, browser clock) when the session ends.
    pub expires_at: Option<u64>,
    /// The session as the server last described it; `None` until it is loaded.
    pub session: Option<SessionFacts>,
    pub workspace: Workspace,
    pub notices: Vec<Notice>,
    pub ended: Option<Ended>,
    /// The ports each node listens on, as the socket last said.
    pub ports: BTreeMap<String, Vec<PortInfo>>,
    /// The upload or import under way, or the last one's outcome until dismissed.
    pub transfer: Option<Transfer>,
    /// Bumped when this page changed files in a node (an upload, an import): the files
    /// panel reads its folder again.
    pub files_rev: u32,
    next_id: u32,
}

/// Files going into the session, as the page shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Which transfer this is: a later one replaces an earlier one.
    pub seq: u32,
    pub kind: TransferKind,
    pub phase: TransferPhase,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferKind {
    /// Files and folders dropped or picked, into `dir` of `node` (`None` until the folder
    /// of the terminal they were dropped on is known).
    Upload {
        node: String,
        dir: Option<String>,
        /// The top-level names (`app/`, `notes.txt`).
        names: Vec<String>,
        files: u32,
        bytes: u64,
    },
    /// An exported workspace brought back.
    Import { name: String, bytes: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferPhase {
    /// Reading what was dropped (folders are walked).
    Preparing,
    /// Sending, this much done.
    Sending {
        percent: u8,
    },
    /// Sent; the server is checking and unpacking it.
    Unpacking,
    Uploaded(Uploaded),
    Restored(Restored),
    Failed(Sentence),
}

impl Transfer {
    pub fn is_running(&self) -> bool {
        matches!(
            self.phase,
            TransferPhase::Preparing | TransferPhase::Sending { .. } | TransferPhase::Unpacking
        )
    }
}

/// What the page needs of a `SessionInfo` besides its nodes and terminals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionFacts {
    pub profile: Profile,
    pub max_nodes: u8,
    /// Server time (seconds) when the session ends, and the latest extending may reach.
    pub expires_at: u64,
    pub max_expires_at: u64,
}

impl SessionFacts {
    /// Whether "Extend" can add time.
    pub fn can_extend(&self) -> bool {
        self.expires_at < self.max_expires_at
    }
}

impl Default for PlaygroundState {
    fn default() -> Self {
        PlaygroundState {
            conn: Conn::Connecting,
            expires_at: None,
            session: None,
            workspace: Workspace::default(),
            notices: Vec::new(),
            ended: None,
            ports: BTreeMap::new(),
            transfer: None,
            files_rev: 0,
            next_id: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Conn(Conn),
    /// The session as the server describes it (loaded, `Hello`, `SessionUpdated`, extended).
    Session(SessionInfo),
    /// This page added a node: its tab is shown.
    NodeAdded(String),
    /// A node is gone, with its terminals.
    NodeRemoved(String),
    SelectNode(String),
    SelectTerm(u16),
    /// A new terminal on this node.
    OpenTerm(String),
    CloseTerm(u16),
    /// The server warned that the session ends in `seconds_left`, `now` being the browser's
    /// clock: the countdown follows the server from then on.
    Expiring {
        seconds_left: u64,
        now: u64,
    },
    Error(Sentence),
    /// Information from the server, not a problem.
    Info(Sentence),
    Dismiss(u32),
    Ended(Ended),
    /// The ports `node` listens on now.
    Ports {
        node: String,
        ports: Vec<PortInfo>,
    },
    /// A new socket: the server tells every node's ports again.
    PortsCleared,
    /// Where a transfer stands.
    Transfer(Transfer),
    /// The transfer's outcome was read.
    DismissTransfer(u32),
    /// This page changed files in a node (the editor saved one).
    FilesChanged,
}

impl Reducible for PlaygroundState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Conn(conn) => {
                // Once ended, the socket's last breath must not bring "reconnecting…" back.
                next.conn = if next.ended.is_some() {
                    Conn::Disconnected
                } else {
                    conn
                };
            }
            Action::Session(info) => {
                let later = next
                    .session
                    .is_some_and(|facts| info.expires_at > facts.expires_at);
                if later {
                    // The session was extended: the expiry warning no longer holds.
                    next.notices.retain(|n| n.level != Level::Warning);
                }
                next.expires_at = Some(info.expires_at);
                next.session = Some(SessionFacts {
                    profile: info.profile,
                    max_nodes: info.max_nodes,
                    expires_at: info.expires_at,
                    max_expires_at: info.max_expires_at,
                });
                next.workspace.sync(&info);
                let nodes = &next.workspace.nodes;
                next.ports.retain(|node, _| nodes.contains(node));
            }
            Action::NodeAdded(name) => next.workspace.add_node(&name),
            Action::NodeRemoved(name) => {
                next.ports.remove(&name);
                next.workspace.remove_node(&name);
            }
            Action::SelectNode(name) => next.workspace.select_node(&name),
            Action::SelectTerm(term) => next.workspace.select_term(term),
            Action::OpenTerm(node) => {
                next.workspace.open_term(&node);
            }
            Action::CloseTerm(term) => next.workspace.close_term(term),
            Action::Expiring { seconds_left, now } => {
                next.expires_at = Some(now + seconds_left);
                next.push(Level::Warning, Sentence::Expiring(seconds_left));
            }
            Action::Error(text) => next.push(Level::Error, text),
            Action::Info(text) => next.push(Level::Info, text),
            Action::Dismiss(id) => next.notices.retain(|n| n.id != id),
            Action::Ended(ended) => {
                if next.ended.is_none() {
                    next.ended = Some(ended);
                }
                next.conn = Conn::Disconnected;
                next.notices.retain(|n| n.level == Level::Error);
                next.ports.clear();
            }
            Action::Ports { node, ports } => {
                if !next.workspace.nodes.contains(&node) {
                    return self;
                }
                if ports.is_empty() {
                    next.ports.remove(&node);
                } else {
                    next.ports.insert(node, ports);
                }
            }
            Action::PortsCleared => next.ports.clear(),
            Action::Transfer(transfer) => {
                if next.transfer.as_ref().is_some_and(|t| t.seq > transfer.seq) {
                    return self;
                }
                if matches!(
                    transfer.phase,
                    TransferPhase::Uploaded(_) | TransferPhase::Restored(_)
                ) {
                    next.files_rev = next.files_rev.wrapping_add(1);
                }
                next.transfer = Some(transfer);
            }
            Action::FilesChanged => next.files_rev = next.files_rev.wrapping_add(1),
            Action::DismissTransfer(seq) => {
                if next.transfer.as_ref().is_some_and(|t| t.seq == seq) {
                    next.transfer = None;
                }
            }
        }
        Rc::new(next)
    }
}

impl PlaygroundState {
    fn push(&mut self, level: Level, text: Sentence) {
        // The same sentence twice in a row (a flapping socket) stays one banner.
        self.notices.retain(|n| n.text != text);
        // Only the latest expiry warning matters.
        if level == Level::Warning {
            self.notices.retain(|n| n.level != Level::Warning);
        }
        self.notices.push(Notice {
            id: self.next_id,
            level,
            text,
        });
        self.next_id += 1;
    }
}

/// The server warns this many seconds before the end; a page that opens later warns itself.
pub const WARN_BEFORE_SECS: u64 = 600;

/// The expiry warning a page that has just (re)connected should show, as the server would
/// have sent it: `Some(action)` when the session ends within `WARN_BEFORE_SECS`.
pub fn late_warning(expires_at: u64, now: u64) -> Option<Action> {
    let seconds_left = expires_at.saturating_sub(now);
    (seconds_left <= WARN_BEFORE_SECS).then_some(Action::Expiring { seconds_left, now })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn plain(text: &str) -> Sentence {
        Sentence::Plain(text.into())
    }

    fn apply(state: PlaygroundState, actions: impl IntoIterator<Item = Action>) -> PlaygroundState {
        let mut state = Rc::new(state);
        for action in actions {
            state = state.reduce(action);
        }
        (*state).clone()
    }

    fn info(expires_at: u64, max_expires_at: u64) -> SessionInfo {
        SessionInfo {
            id: "ab".repeat(16),
            created_at: 0,
            expires_at,
            max_expires_at,
            profile: Profile::Shell,
            max_nodes: 5,
            nodes: vec![quai_protocol::NodeInfo {
                name: "node1".into(),
            }],
            terminals: Vec::new(),
            lesson: None,
        }
    }

    #[test]
    fn expiring_sets_the_countdown_from_the_server_and_warns_once() {
        let s = apply(
            PlaygroundState::default(),
            [
                Action::Session(info(5000, 9000)),
                Action::Expiring {
                    seconds_left: 600,
                    now: 1000,
                },
                Action::Expiring {
                    seconds_left: 60,
                    now: 1540,
                },
            ],
        );
        assert_eq!(s.expires_at, Some(1600));
        assert_eq!(s.notices.len(), 1);
        assert_eq!(
            s.notices[0].text.render(Lang::En),
            "This session ends in 1 minute; its containers and files will then be removed."
        );
    }

    #[test]
    fn a_page_opened_near_the_end_warns_itself() {
        assert_eq!(late_warning(10_000, 1_000), None);
        assert_eq!(
            late_warning(1_300, 1_000),
            Some(Action::Expiring {
                seconds_left: 300,
                now: 1_000
            })
        );
        assert_eq!(
            late_warning(900, 1_000),
            Some(Action::Expiring {
                seconds_left: 0,
                now: 1_000
            })
        );
    }

    #[test]
    fn extending_clears_the_expiry_warning_and_stops_at_the_maximum() {
        let s = apply(
            PlaygroundState::default(),
            [
                Action::Session(info(1600, 3400)),
                Action::Expiring {
                    seconds_left: 600,
                    now: 1000,
                },
                Action::Info(Sentence::Plain("The container engine is back.".into())),
            ],
        );
        assert!(s.session.unwrap().can_extend());
        assert_eq!(s.notices.len(), 2);
        let s = apply(s, [Action::Session(info(3400, 3400))]);
        assert_eq!(s.expires_at, Some(3400));
        assert!(!s.session.unwrap().can_extend());
        assert_eq!(s.notices.len(), 1);
        assert_eq!(s.notices[0].level, Level::Info);
        assert_eq!(s.session.unwrap().profile, Profile::Shell);
        assert_eq!(s.workspace.visible(), Some(1));
    }

    #[test]
    fn errors_are_dismissable_and_not_repeated() {
        let s = apply(
            PlaygroundState::default(),
            [
                Action::Error(plain("a")),
                Action::Error(plain("b")),
                Action::Error(plain("a")),
            ],
        );
        let texts: Vec<_> = s.notices.iter().map(|n| n.text.render(Lang::En)).collect();
        assert_eq!(texts, ["b", "a"]);
        let id = s.notices[0].id;
        let s = apply(s, [Action::Dismiss(id)]);
        assert_eq!(s.notices.len(), 1);
        assert_eq!(s.notices[0].text, plain("a"));
    }

    fn port(port: u16) -> PortInfo {
        PortInfo {
            port,
            url: format!("http://127.0.0.1:8081/p/ab/node1/{port}/"),
        }
    }

    #[test]
    fn ports_follow_the_socket_and_the_nodes() {
        let s = apply(
            PlaygroundState::default(),
            [
                Action::Session(info(5000, 9000)),
                Action::Ports {
                    node: "node1".into(),
                    ports: vec![port(8000), port(8080)],
                },
                // A node the page does not know (yet) is ignored.
                Action::Ports {
                    node: "node7".into(),
                    ports: vec![port(80)],
                },
            ],
        );
        assert_eq!(s.ports.len(), 1);
        assert_eq!(s.ports["node1"].len(), 2);
        let s = apply(
            s,
            [Action::Ports {
                node: "node1".into(),
                ports: vec![],
            }],
        );
        assert!(s.ports.is_empty());
        let s = apply(
            s,
            [
                Action::Ports {
                    node: "node1".into(),
                    ports: vec![port(3000)],
                },
                Action::NodeRemoved("node1".into()),
            ],
        );
        assert!(s.ports.is_empty());
    }

    #[test]
    fn a_later_transfer_replaces_an_earlier_one_and_success_refreshes_the_files() {
        let upload = |seq, phase| {
            Action::Transfer(Transfer {
                seq,
                kind: TransferKind::Upload {
                    node: "node1".into(),
                    dir: Some("/root".into()),
                    names: vec!["app/".into()],
                    files: 2,
                    bytes: 10,
                },
                phase,
            })
        };
        let done = TransferPhase::Uploaded(Uploaded {
            dir: "/root".into(),
            files: 2,
            bytes: 10,
        });
        let s = apply(
            PlaygroundState::default(),
            [
                upload(2, TransferPhase::Sending { percent: 50 }),
                upload(1, done.clone()),
            ],
        );
        let transfer = s.transfer.clone().unwrap();
        assert_eq!(transfer.seq, 2);
        assert!(transfer.is_running());
        assert_eq!(s.files_rev, 0);
        let s = apply(s, [upload(2, done)]);
        assert_eq!(s.files_rev, 1);
        assert!(!s.transfer.as_ref().unwrap().is_running());
        let s = apply(s, [Action::DismissTransfer(1)]);
        assert!(s.transfer.is_some());
        let s = apply(s, [Action::DismissTransfer(2)]);
        assert!(s.transfer.is_none());
    }

    #[test]
    fn an_ended_session_stays_disconnected_and_keeps_its_first_reason() {
        let s = apply(
            PlaygroundState::default(),
            [
                Action::Conn(Conn::Connected),
                Action::Ended(Ended::Reason(EndReason::Expired)),
                Action::Conn(Conn::Reconnecting),
                Action::Ended(Ended::ByUser),
            ],
        );
        assert_eq!(s.conn, Conn::Disconnected);
        assert_eq!(s.ended, Some(Ended::Reason(EndReason::Expired)));
        assert_eq!(s.conn.label().get(Lang::En), "disconnected");
        assert_eq!(s.conn.label().get(Lang::Fr), "déconnecté");
    }
}
