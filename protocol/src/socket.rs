//! JSON control messages of the session socket (`GET /api/sessions/{id}/ws`), one enum per
//! direction. They travel in text frames; terminal bytes travel in binary frames (`frame`).

use serde::{Deserialize, Serialize};

use crate::api::{ErrorCode, SessionInfo};

/// Browser → server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ClientMsg {
    /// First message on every socket.
    Hello { version: u32 },
    /// Opens terminal `term` on `node`, or re-attaches to it if it already runs: the server
    /// then replays its scrollback before the live output.
    OpenTerminal {
        term: u16,
        node: String,
        cols: u16,
        rows: u16,
    },
    /// The browser's terminal changed size.
    Resize { term: u16, cols: u16, rows: u16 },
    /// Ends terminal `term` (its shell is killed).
    CloseTerminal { term: u16 },
    /// The browser's terminal has written `bytes` bytes of output received since the last
    /// `TerminalOpened` for `term`: flow control, the server pauses a terminal whose output
    /// is too far ahead of what the browser has shown.
    Ack { term: u16, bytes: u64 },
    /// Keep-alive; the server answers `Pong` with the same nonce.
    Ping { nonce: u64 },
    /// The student's answer to `HelpChanged { state: Asked }`: let the helper type, or not.
    HelpAnswer { accept: bool },
    /// From a viewer's socket: ask to type in the terminal it watches (`help`).
    HelpAsk,
    /// Ends the help going on: from the student's page or the helper's view.
    HelpEnd,
}

/// Someone watching one of the session's terminals (an instructor peeking), and whether
/// they may type in it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watching {
    pub name: String,
    pub term: u16,
    pub typing: bool,
}

/// Where a request to type in a student's terminal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HelpState {
    /// Waiting for the student's answer.
    Asked,
    /// The helper types in the terminal, and the student sees it.
    Granted,
    /// The student said no.
    Refused,
    /// It is over (ended by either side, or the helper left).
    Ended,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Its time ran out.
    Expired,
    /// Its owner clicked "End session".
    Ended,
    /// The server is shutting down.
    ServerShutdown,
    /// Its containers are gone (the engine lost them).
    Lost,
    /// No page had it open for the configured idle time.
    Idle,
}

/// Server → browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ServerMsg {
    /// Answer to `Hello`: the session as it stands.
    Hello {
        version: u32,
        session: SessionInfo,
    },
    /// Terminal `term` is attached; `replay` bytes of scrollback follow in binary frames
    /// before the live output.
    TerminalOpened {
        term: u16,
        node: String,
        replay: u64,
    },
    /// The shell of terminal `term` ended; opening it again starts a new one.
    TerminalExited {
        term: u16,
        exit_code: Option<i64>,
    },
    /// The session ends in `seconds_left` seconds unless extended.
    Expiring {
        seconds_left: u64,
    },
    /// The session changed (a node added or removed, its time extended).
    SessionUpdated {
        session: SessionInfo,
    },
    /// The session is over; the socket closes after this message.
    SessionEnded {
        reason: EndReason,
    },
    /// Something worth telling the student that is not an error.
    Notice {
        message: String,
    },
    /// Something the browser sent could not be done, or something went wrong on the server;
    /// nothing else was affected. `term` names the terminal the error is about (it could not
    /// be opened, or it is not open), and is absent for an error about the whole session.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        term: Option<u16>,
    },
    Pong {
        nonce: u64,
    },
    /// The TCP ports `node` listens on (beyond loopback), each with the address of its
    /// preview: sent for every node with ports once greeted, then whenever they change.
    Ports {
        node: String,
        ports: Vec<PortInfo>,
    },
    /// On a viewer's socket, the answer to `Hello`: the terminal it shows, read-only, and its
    /// size now (the owner's window); its scrollback follows as `TerminalOpened` and frames.
    Viewing {
        term: u16,
        node: String,
        cols: u16,
        rows: u16,
    },
    /// On a viewer's socket: the terminal's owner resized it.
    TerminalResized {
        term: u16,
        cols: u16,
        rows: u16,
    },
    /// On the session's own pages: who watches its terminals now, and how many people watch
    /// the terminal it broadcasts (`audience`).
    Watchers {
        watchers: Vec<Watching>,
        audience: u32,
    },
    /// On a class's broadcast socket: whether its instructor (`name`) broadcasts a terminal
    /// now. `Viewing` and the terminal's output follow while it does.
    OnAir {
        live: bool,
        name: String,
    },
    /// Help with terminal `term` by `name` changed: on the student's pages and the helper's
    /// view.
    HelpChanged {
        term: u16,
        name: String,
        state: HelpState,
    },
}

/// A port a node listens on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortInfo {
    pub port: u16,
    /// Where the browser opens it (the port preview).
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{NodeInfo, TerminalInfo};

    fn round_trip_client(msg: ClientMsg) {
        let text = serde_json::to_string(&msg).unwrap();
        assert_eq!(
            serde_json::from_str::<ClientMsg>(&text).unwrap(),
            msg,
            "{text}"
        );
    }

    fn round_trip_server(msg: ServerMsg) {
        let text = serde_json::to_string(&msg).unwrap();
        assert_eq!(
            serde_json::from_str::<ServerMsg>(&text).unwrap(),
            msg,
            "{text}"
        );
    }

    #[test]
    fn every_client_message_round_trips() {
        round_trip_client(ClientMsg::Hello { version: 1 });
        round_trip_client(ClientMsg::HelpAnswer { accept: true });
        round_trip_client(ClientMsg::HelpAsk);
        round_trip_client(ClientMsg::HelpEnd);
        round_trip_client(ClientMsg::OpenTerminal {
            term: 3,
            node: "node1".into(),
            cols: 80,
            rows: 24,
        });
        round_trip_client(ClientMsg::Resize {
            term: 3,
            cols: 120,
            rows: 40,
        });
        round_trip_client(ClientMsg::CloseTerminal { term: 3 });
        round_trip_client(ClientMsg::Ack {
            term: 3,
            bytes: 1 << 40,
        });
        round_trip_client(ClientMsg::Ping { nonce: 42 });
    }

    #[test]
    fn every_server_message_round_trips() {
        let session = SessionInfo {
            id: "ab".repeat(16),
            created_at: 10,
            expires_at: 20,
            max_expires_at: 30,
            profile: crate::api::Profile::Shell,
            max_nodes: 5,
            nodes: vec![NodeInfo {
                name: "node1".into(),
            }],
            terminals: vec![TerminalInfo {
                term: 1,
                node: "node1".into(),
            }],
            lesson: None,
        };
        round_trip_server(ServerMsg::Hello {
            version: 1,
            session,
        });
        round_trip_server(ServerMsg::TerminalOpened {
            term: 1,
            node: "node1".into(),
            replay: 1024,
        });
        round_trip_server(ServerMsg::TerminalExited {
            term: 1,
            exit_code: Some(0),
        });
        round_trip_server(ServerMsg::TerminalExited {
            term: 1,
            exit_code: None,
        });
        round_trip_server(ServerMsg::Expiring { seconds_left: 600 });
        for reason in [
            EndReason::Expired,
            EndReason::Ended,
            EndReason::ServerShutdown,
            EndReason::Lost,
            EndReason::Idle,
        ] {
            round_trip_server(ServerMsg::SessionEnded { reason });
        }
        round_trip_server(ServerMsg::Error {
            code: ErrorCode::BadRequest,
            message: "no".into(),
            term: None,
        });
        round_trip_server(ServerMsg::Error {
            code: ErrorCode::Terminal,
            message: "The terminal could not be opened.".into(),
            term: Some(3),
        });
        round_trip_server(ServerMsg::Pong { nonce: 7 });
        round_trip_server(ServerMsg::Ports {
            node: "node1".into(),
            ports: vec![PortInfo {
                port: 8080,
                url: "http://127.0.0.1:8081/p/ab/node1/8080/".into(),
            }],
        });
        round_trip_server(ServerMsg::Notice {
            message: "back".into(),
        });
        round_trip_server(ServerMsg::Viewing {
            term: 1,
            node: "node1".into(),
            cols: 80,
            rows: 24,
        });
        round_trip_server(ServerMsg::TerminalResized {
            term: 1,
            cols: 100,
            rows: 30,
        });
        round_trip_server(ServerMsg::Watchers {
            watchers: vec![Watching {
                name: "Ada".into(),
                term: 1,
                typing: false,
            }],
            audience: 3,
        });
        round_trip_server(ServerMsg::OnAir {
            live: true,
            name: "Ada".into(),
        });
        for state in [
            HelpState::Asked,
            HelpState::Granted,
            HelpState::Refused,
            HelpState::Ended,
        ] {
            round_trip_server(ServerMsg::HelpChanged {
                term: 1,
                name: "Ada".into(),
                state,
            });
        }
    }

    #[test]
    fn messages_are_tagged_by_type() {
        let text = serde_json::to_string(&ClientMsg::Resize {
            term: 1,
            cols: 80,
            rows: 24,
        })
        .unwrap();
        assert_eq!(text, r#"{"type":"Resize","term":1,"cols":80,"rows":24}"#);
    }

    #[test]
    fn an_error_names_its_terminal_only_when_it_has_one() {
        let session_wide = ServerMsg::Error {
            code: ErrorCode::Internal,
            message: "no".into(),
            term: None,
        };
        assert_eq!(
            serde_json::to_string(&session_wide).unwrap(),
            r#"{"type":"Error","code":"internal","message":"no"}"#
        );
        // A frame from a server that did not name terminals still reads.
        assert_eq!(
            serde_json::from_str::<ServerMsg>(
                r#"{"type":"Error","code":"internal","message":"no"}"#
            )
            .unwrap(),
            session_wide
        );
        let text = serde_json::to_string(&ServerMsg::Error {
            code: ErrorCode::Terminal,
            message: "no".into(),
            term: Some(2),
        })
        .unwrap();
        assert_eq!(
            text,
            r#"{"type":"Error","code":"terminal","message":"no","term":2}"#
        );
    }

    #[test]
    fn unknown_or_malformed_messages_are_rejected() {
        assert!(serde_json::from_str::<ClientMsg>(r#"{"type":"Reboot"}"#).is_err());
        assert!(serde_json::from_str::<ClientMsg>(r#"{"type":"Resize","term":1}"#).is_err());
        assert!(serde_json::from_str::<ClientMsg>(
            r#"{"type":"Resize","term":1,"cols":-5,"rows":2}"#
        )
        .is_err());
        assert!(serde_json::from_str::<ClientMsg>("not json").is_err());
    }
}
