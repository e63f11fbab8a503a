//! What the playground page shows, as a reducer: the connection status, the notices (error,
//! warning and information banners), the session as the server last told it (profile,
//! nodes and terminals in a `Workspace`, when it expires), where each terminal stands on the
//! socket and what waits to be typed into it (`Terminals`), and whether the session has
//! ended. The socket driver and the page's buttons dispatch `Action`s; nothing here touches
//! the browser.

use std::collections::BTreeMap;
use std::rc::Rc;

use quai_protocol::{
    EndReason, HelpState, PortInfo, Profile, Restored, SessionInfo, Uploaded, Watching,
};
use yew::Reducible;

use crate::i18n::{Msg, Sentence};
use crate::terminals::Terminals;
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
    /// The current socket said `Hello` (answered or not): terminals can be asked for on it.
    pub greeted: bool,
    /// Unix time (seconds, browser clock) when the session ends.
    pub expires_at: Option<u64>,
    /// The session as the server last described it; `None` until it is loaded.
    pub session: Option<SessionFacts>,
    pub workspace: Workspace,
    /// The workspace's terminals as the socket sees them.
    pub terminals: Terminals,
    pub notices: Vec<Notice>,
    pub ended: Option<Ended>,
    /// The ports each node listens on, as the socket last said.
    pub ports: BTreeMap<String, Vec<PortInfo>>,
    /// The upload or import under way, or the last one's outcome until dismissed.
    pub transfer: Option<Transfer>,
    /// Bumped when this page changed files in a node (an upload, an import): the files
    /// panel reads its folder again.
    pub files_rev: u32,
    /// Who watches this session's terminals from outside (an instructor), and how many
    /// watch the terminal it broadcasts.
    pub watchers: Vec<Watching>,
    pub audience: u32,
    /// Help with a terminal asked for or going on: terminal, helper's name, state.
    pub help: Option<(u16, String, HelpState)>,
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
            greeted: false,
            expires_at: None,
            session: None,
            workspace: Workspace::default(),
            terminals: Terminals::default(),
            notices: Vec::new(),
            ended: None,
            ports: BTreeMap::new(),
            transfer: None,
            files_rev: 0,
            watchers: Vec::new(),
            audience: 0,
            help: None,
            next_id: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `Connected` when a new socket answered `Hello`: every terminal is opened again on it.
    Conn(Conn),
    /// A new socket said `Hello`: its terminals are asked for without waiting for the answer.
    Greeted,
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
    /// The view of terminal `term` has started: it can be opened.
    TermViewed(u16),
    /// `OpenTerminal` went out for `term`.
    TermAsked(u16),
    /// The server attached `term` (`TerminalOpened`).
    TermOpened(u16),
    /// The shell of `term` ended.
    TermExited(u16),
    /// The server could not open or use `term`: the terminal says why (a banner does when
    /// the page does not know it).
    TermError {
        term: u16,
        text: Sentence,
    },
    /// A key or Retry in an exited or failed terminal: it is opened again.
    Reopen(u16),
    /// The page types `bytes` into `term` (a click-to-run block): they go out once it is
    /// open, after what was typed before.
    Type {
        term: u16,
        bytes: Vec<u8>,
    },
    /// The first `count` inputs waiting for `term` went out.
    InputSent {
        term: u16,
        count: usize,
    },
    /// Who watches the session's terminals now (`Watchers`).
    Watchers {
        watchers: Vec<Watching>,
        audience: u32,
    },
    /// Help with a terminal changed (`HelpChanged`): shown while asked or going on.
    Help {
        term: u16,
        name: String,
        state: HelpState,
    },
    /// `node` is being removed: its terminals are left alone.
    HoldNode(String),
    /// `node` was not removed after all: its terminals are opened again.
    ReleaseNode(String),
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
                match next.conn {
                    Conn::Connected => {
                        next.greeted = true;
                        next.terminals.connected();
                    }
                    Conn::Connecting | Conn::Reconnecting | Conn::Disconnected => {
                        next.greeted = false;
                        next.terminals.disconnected();
                        // The next socket is told again who watches, once greeted.
                        next.watchers.clear();
                        next.audience = 0;
                        next.help = None;
                    }
                }
            }
            Action::Greeted => {
                if next.ended.is_none() {
                    next.greeted = true;
                    next.terminals.connected();
                }
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
                next.greeted = false;
                next.notices.retain(|n| n.level == Level::Error);
                next.ports.clear();
                next.watchers.clear();
                next.audience = 0;
                next.help = None;
                next.terminals.clear();
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
            Action::Watchers { watchers, audience } => {
                next.watchers = watchers;
                next.audience = audience;
            }
            Action::Help { term, name, state } => {
                next.help = match state {
                    HelpState::Asked | HelpState::Granted => Some((term, name, state)),
                    HelpState::Refused | HelpState::Ended => None,
                };
            }
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
            Action::TermViewed(term) => {
                let connected = next.connected();
                next.terminals.viewed(term, connected);
            }
            Action::TermAsked(term) => next.terminals.asked(term),
            Action::TermOpened(term) => next.terminals.opened(term),
            Action::TermExited(term) => next.terminals.exited(term),
            Action::TermError { term, text } => {
                if !next.terminals.failed(term, text.clone()) {
                    next.push(Level::Error, text);
                }
            }
            Action::Reopen(term) => {
                let connected = next.connected();
                next.terminals.reopen(term, connected);
            }
            // Once ended, nothing typed will ever go out.
            Action::Type { .. } if next.ended.is_some() => return self,
            Action::Type { term, bytes } => {
                let connected = next.connected();
                next.terminals.type_in(term, bytes, connected);
            }
            Action::InputSent { term, count } => next.terminals.sent(term, count),
            Action::HoldNode(node) => next.terminals.hold(&node),
            Action::ReleaseNode(node) => {
                let connected = next.connected();
                next.terminals.release(&node, connected);
            }
        }
        // Terminals come and go with the workspace.
        next.terminals.follow(&next.workspace);
        Rc::new(next)
    }
}

impl PlaygroundState {
    /// Whether terminals can be opened now: a socket said `Hello` and has not dropped.
    fn connected(&self) -> bool {
        (self.conn == Conn::Connected || self.greeted) && self.ended.is_none()
    }

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
    use crate::terminals::Phase;

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
    fn who_watches_and_help_follow_the_server_and_a_new_socket_forgets_them() {
        let watching = quai_protocol::Watching {
            name: "Ada".into(),
            term: 1,
            typing: false,
        };
        let s = apply(
            PlaygroundState::default(),
            vec![
                Action::Watchers {
                    watchers: vec![watching.clone()],
                    audience: 0,
                },
                Action::Help {
                    term: 1,
                    name: "Ada".into(),
                    state: HelpState::Asked,
                },
            ],
        );
        assert_eq!(s.watchers, vec![watching]);
        assert_eq!(s.help, Some((1, "Ada".to_string(), HelpState::Asked)));
        let granted = apply(
            s.clone(),
            vec![Action::Help {
                term: 1,
                name: "Ada".into(),
                state: HelpState::Granted,
            }],
        );
        assert_eq!(granted.help.as_ref().map(|h| h.2), Some(HelpState::Granted));
        let refused = apply(
            s.clone(),
            vec![Action::Help {
                term: 1,
                name: "Ada".into(),
                state: HelpState::Refused,
            }],
        );
        assert_eq!(refused.help, None);
        // A new socket: the server says again who watches once greeted.
        let again = apply(granted, vec![Action::Conn(Conn::Reconnecting)]);
        assert!(again.watchers.is_empty() && again.help.is_none());
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

    /// A session with `terms` open on node1 and node2.
    fn with_terms(terms: &[(u16, &str)]) -> SessionInfo {
        let mut info = info(5000, 9000);
        info.nodes.push(quai_protocol::NodeInfo {
            name: "node2".into(),
        });
        info.terminals = terms
            .iter()
            .map(|(term, node)| quai_protocol::TerminalInfo {
                term: *term,
                node: node.to_string(),
            })
            .collect();
        info
    }

    fn phase(s: &PlaygroundState, term: u16) -> Phase {
        s.terminals.phase(term).cloned().expect("a known terminal")
    }

    fn to_open(s: &PlaygroundState) -> Vec<u16> {
        s.terminals.to_open().map(|(term, _)| term).collect()
    }

    fn to_send(s: &PlaygroundState) -> Vec<(u16, Vec<Vec<u8>>)> {
        s.terminals
            .to_send()
            .map(|(term, input)| (term, input.to_vec()))
            .collect()
    }

    fn typed(term: u16, text: &str) -> Action {
        Action::Type {
            term,
            bytes: text.as_bytes().to_vec(),
        }
    }

    /// Terminals `terms` shown and attached on a first socket.
    fn open(terms: &[u16]) -> PlaygroundState {
        let pairs: Vec<(u16, &str)> = terms.iter().map(|&t| (t, "node1")).collect();
        let mut actions = vec![Action::Session(with_terms(&pairs))];
        actions.extend(terms.iter().map(|&t| Action::TermViewed(t)));
        actions.push(Action::Conn(Conn::Connected));
        actions.extend(terms.iter().map(|&t| Action::TermAsked(t)));
        actions.extend(terms.iter().map(|&t| Action::TermOpened(t)));
        apply(PlaygroundState::default(), actions)
    }

    #[test]
    fn a_terminal_opens_once_shown_and_connected_and_a_key_reopens_it_after_its_shell_exits() {
        let s = apply(
            PlaygroundState::default(),
            [Action::Session(info(5000, 9000)), Action::TermViewed(1)],
        );
        // No socket yet: nothing to open.
        assert_eq!(phase(&s, 1), Phase::Closed);
        assert!(to_open(&s).is_empty());
        let s = apply(s, [Action::Conn(Conn::Connected)]);
        assert_eq!(to_open(&s), [1]);
        assert_eq!(s.terminals.to_open().next(), Some((1, "node1")));
        // Asked once, not twice.
        let s = apply(s, [Action::TermAsked(1)]);
        assert_eq!(phase(&s, 1), Phase::Opening { asked: true });
        assert!(to_open(&s).is_empty());
        assert!(s.terminals.is_attached(1));
        let s = apply(s, [Action::TermOpened(1)]);
        assert!(s.terminals.is_open(1));
        let s = apply(s, [Action::TermExited(1)]);
        assert_eq!(phase(&s, 1), Phase::Exited);
        assert!(!s.terminals.is_attached(1));
        assert!(to_open(&s).is_empty());
        // The next key opens a new shell.
        let s = apply(s, [Action::Reopen(1)]);
        assert_eq!(to_open(&s), [1]);
        let s = apply(s, [Action::TermAsked(1), Action::TermOpened(1)]);
        assert!(s.terminals.is_open(1));
        // A terminal whose view has not started yet waits for it.
        let s = apply(s, [Action::OpenTerm("node1".into())]);
        assert_eq!(phase(&s, 2), Phase::Closed);
        assert!(to_open(&s).is_empty());
        let s = apply(s, [Action::TermViewed(2)]);
        assert_eq!(to_open(&s), [2]);
    }

    #[test]
    fn a_terminal_is_asked_for_once_hello_went_out_and_not_again_when_it_is_answered() {
        let s = apply(
            PlaygroundState::default(),
            [Action::Session(info(5000, 9000)), Action::Greeted],
        );
        // Still "connecting…" for the student, but the terminal goes out with the greeting.
        assert_eq!(s.conn, Conn::Connecting);
        let s = apply(s, [Action::TermViewed(1)]);
        assert_eq!(to_open(&s), [1]);
        let s = apply(s, [Action::TermAsked(1), Action::Conn(Conn::Connected)]);
        assert_eq!(phase(&s, 1), Phase::Opening { asked: true });
        assert!(to_open(&s).is_empty(), "asked once, not twice");
        let s = apply(s, [Action::TermOpened(1)]);
        assert!(s.terminals.is_open(1));
        // A socket that drops before its answer leaves nothing attached; the next greeting
        // asks again.
        let s = apply(s, [Action::Conn(Conn::Reconnecting)]);
        assert_eq!(phase(&s, 1), Phase::Closed);
        assert!(to_open(&s).is_empty());
        let s = apply(s, [Action::Greeted]);
        assert_eq!(to_open(&s), [1]);
        let s = apply(s, [Action::Conn(Conn::Reconnecting)]);
        assert!(to_open(&s).is_empty());
        // Once the session ended, a late greeting opens nothing.
        let s = apply(s, [Action::Ended(Ended::NotFound), Action::Greeted]);
        assert!(to_open(&s).is_empty());
    }

    #[test]
    fn the_terminal_on_screen_is_asked_for_before_its_view_starts_and_hidden_ones_wait() {
        let s = apply(
            PlaygroundState::default(),
            [Action::Session(with_terms(&[
                (1, "node1"),
                (2, "node1"),
                (3, "node2"),
            ]))],
        );
        assert_eq!(s.workspace.visible(), Some(1));
        assert!(to_open(&s).is_empty(), "nothing opens without a socket");
        // The greeting opens the terminal on screen while xterm.js is still being drawn.
        let s = apply(s, [Action::Greeted]);
        assert_eq!(to_open(&s), [1]);
        let s = apply(s, [Action::TermAsked(1), Action::TermOpened(1)]);
        assert!(s.terminals.is_open(1));
        // The others open when first shown.
        assert!(to_open(&s).is_empty());
        assert_eq!(phase(&s, 3), Phase::Closed);
        let s = apply(s, [Action::TermViewed(3)]);
        assert_eq!(to_open(&s), [3]);
        // After a drop, the one on screen comes back on the next socket, viewed or not.
        let s = apply(
            s,
            [
                Action::Conn(Conn::Reconnecting),
                Action::Conn(Conn::Connected),
            ],
        );
        assert_eq!(to_open(&s), [1, 3]);
    }

    #[test]
    fn input_typed_before_a_terminal_opens_waits_and_goes_out_in_order() {
        let s = apply(
            PlaygroundState::default(),
            [
                Action::Session(info(5000, 9000)),
                Action::TermViewed(1),
                Action::Conn(Conn::Connected),
                Action::TermAsked(1),
                typed(1, "echo one\r"),
                typed(1, "echo two\r"),
            ],
        );
        assert!(to_send(&s).is_empty(), "nothing goes out before it is open");
        assert_eq!(s.terminals.get(1).unwrap().pending.len(), 2);
        let s = apply(s, [Action::TermOpened(1)]);
        assert_eq!(
            to_send(&s),
            [(1, vec![b"echo one\r".to_vec(), b"echo two\r".to_vec()])]
        );
        // What went out is not sent again; what was not stays first in line.
        let s = apply(s, [Action::InputSent { term: 1, count: 1 }]);
        assert_eq!(to_send(&s), [(1, vec![b"echo two\r".to_vec()])]);
        let s = apply(s, [Action::InputSent { term: 1, count: 1 }]);
        assert!(to_send(&s).is_empty());
        // Typed into an exited shell: a new one opens, and gets it.
        let s = apply(s, [Action::TermExited(1), typed(1, "ls\r")]);
        assert_eq!(to_open(&s), [1]);
        assert!(to_send(&s).is_empty());
        let s = apply(s, [Action::TermAsked(1), Action::TermOpened(1)]);
        assert_eq!(to_send(&s), [(1, vec![b"ls\r".to_vec()])]);
    }

    #[test]
    fn an_error_naming_a_terminal_marks_only_that_terminal() {
        let s = open(&[1, 2]);
        let why = plain("The terminal could not be opened: this session has 2 terminals open.");
        let s = apply(
            s,
            [Action::TermError {
                term: 2,
                text: why.clone(),
            }],
        );
        assert_eq!(phase(&s, 2), Phase::Failed(why.clone()));
        assert!(s.terminals.is_open(1));
        assert!(
            s.notices.is_empty(),
            "said in the terminal, not in a banner"
        );
        // The resize that followed the failed open fails too: the first reason stays.
        let s = apply(
            s,
            [Action::TermError {
                term: 2,
                text: plain("There is no terminal 2 to resize."),
            }],
        );
        assert_eq!(phase(&s, 2), Phase::Failed(why));
        // A new socket leaves it failed; a key or Retry opens it again.
        let s = apply(
            s,
            [
                Action::Conn(Conn::Reconnecting),
                Action::Conn(Conn::Connected),
            ],
        );
        assert!(matches!(phase(&s, 2), Phase::Failed(_)));
        assert_eq!(to_open(&s), [1]);
        let s = apply(s, [Action::Reopen(2)]);
        assert_eq!(to_open(&s), [1, 2]);
        // A terminal the page does not know gets a banner.
        let s = apply(
            s,
            [Action::TermError {
                term: 9,
                text: plain("There is no terminal 9; open it first."),
            }],
        );
        assert_eq!(s.notices.len(), 1);
        assert_eq!(s.notices[0].level, Level::Error);
        assert!(s.terminals.get(9).is_none());
    }

    #[test]
    fn a_reconnect_returns_open_terminals_to_opening() {
        let s = apply(
            open(&[1, 2, 3]),
            [Action::TermExited(3), Action::Conn(Conn::Reconnecting)],
        );
        assert_eq!(phase(&s, 1), Phase::Closed);
        assert!(!s.terminals.is_attached(2));
        assert!(to_open(&s).is_empty(), "nothing opens without a socket");
        let s = apply(s, [typed(1, "date\r"), Action::Conn(Conn::Connected)]);
        assert_eq!(phase(&s, 1), Phase::Opening { asked: false });
        assert_eq!(phase(&s, 2), Phase::Opening { asked: false });
        // An ended shell waits for a key, as before the drop.
        assert_eq!(phase(&s, 3), Phase::Exited);
        assert_eq!(to_open(&s), [1, 2]);
        // Input typed while reconnecting waits for the terminal.
        let s = apply(s, [Action::TermAsked(1), Action::TermOpened(1)]);
        assert_eq!(to_send(&s), [(1, vec![b"date\r".to_vec()])]);
    }

    #[test]
    fn terminals_of_a_node_being_removed_are_left_alone_until_it_is_kept() {
        let s = apply(
            PlaygroundState::default(),
            [
                Action::Session(with_terms(&[(1, "node1"), (2, "node2")])),
                Action::TermViewed(1),
                Action::TermViewed(2),
                Action::Conn(Conn::Connected),
                Action::TermAsked(1),
                Action::TermAsked(2),
                Action::TermOpened(1),
                Action::TermOpened(2),
                Action::HoldNode("node2".into()),
            ],
        );
        assert_eq!(phase(&s, 2), Phase::Closed);
        assert!(s.terminals.is_open(1));
        let s = apply(s, [Action::ReleaseNode("node2".into())]);
        assert_eq!(to_open(&s), [2]);
        let s = apply(
            s,
            [
                Action::HoldNode("node2".into()),
                Action::NodeRemoved("node2".into()),
            ],
        );
        assert!(s.terminals.get(2).is_none());
        assert!(to_open(&s).is_empty());
    }

    #[test]
    fn an_ended_session_clears_every_terminal() {
        let s = apply(
            open(&[1, 2]),
            [
                Action::Conn(Conn::Reconnecting),
                typed(1, "ls\r"),
                Action::Ended(Ended::Reason(EndReason::Expired)),
            ],
        );
        for term in [1, 2] {
            assert_eq!(phase(&s, term), Phase::Closed);
            assert!(s.terminals.get(term).unwrap().pending.is_empty());
        }
        // The socket's last breath opens nothing, and nothing typed waits.
        let s = apply(
            s,
            [
                Action::Conn(Conn::Connected),
                Action::TermViewed(1),
                typed(2, "ls\r"),
            ],
        );
        assert!(to_open(&s).is_empty());
        assert!(s.terminals.get(2).unwrap().pending.is_empty());
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
