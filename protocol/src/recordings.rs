//! Terminal recordings: what `GET /api/sessions/{id}/recordings` lists and starting or
//! stopping one answers. The recording itself is an asciicast v2 file
//! (`application/x-asciicast`).

use serde::{Deserialize, Serialize};

/// Media type of a recording.
pub const ASCIICAST: &str = "application/x-asciicast";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingInfo {
    /// 64-bit random id, 16 lowercase hex characters.
    pub id: String,
    pub term: u16,
    pub node: String,
    pub title: String,
    /// Unix seconds.
    pub started_at: u64,
    /// Unix seconds; none while it records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<u64>,
    /// Size of the file and length of the recording, once ended.
    pub bytes: u64,
    pub seconds: f64,
}
