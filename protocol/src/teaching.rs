//! The live side of a class, for its instructor: the seats' terminals to peek at
//! (`GET /api/classes/{id}/peek`), the demo playground and the terminal it broadcasts
//! (`POST /api/classes/{id}/demo`, `GET|POST /api/classes/{id}/broadcast`), and the log of
//! help sessions (`GET /api/classes/{id}/help`). Viewing itself goes over sockets
//! (`…/seats/{seat}/terminals/{term}/watch`, and a seat's `…/broadcast` socket).

use serde::{Deserialize, Serialize};

use crate::api::TerminalInfo;

/// A student's seat and its terminals open now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeekSeat {
    /// Opaque id of the seat (not its session's id).
    pub seat: String,
    pub name: String,
    pub terminals: Vec<TerminalInfo>,
}

/// `GET /api/sessions/{id}/class`: the class a seat belongs to, for its student.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatClass {
    pub title: String,
}

/// Body of `POST /api/classes/{id}/broadcast`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetBroadcast {
    pub on: bool,
    /// The demo's terminal to show; 1 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<u16>,
}

/// Where a class's broadcast stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BroadcastState {
    pub live: bool,
    /// The instructor's demo playground, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<u16>,
    /// Sockets watching it now.
    pub audience: u32,
    /// The instructor may type in a student's terminal without asking first.
    #[serde(default)]
    pub help_up_front: bool,
}

/// `POST /api/classes/{id}/help`: whether help needs no yes from the student.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpPolicySet {
    pub up_front: bool,
}

/// One help session: an instructor asked to type in a student's terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpRecord {
    pub student: String,
    pub instructor: String,
    pub term: u16,
    pub asked_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<u64>,
    /// `granted`, `refused` or `ended`; absent while asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}
