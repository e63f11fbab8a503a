//! asciicast v2, the format of terminal recordings (`.cast`, media type
//! `application/x-asciicast`): a header line (`version`, `width`, `height`, `timestamp`),
//! then one JSON array per event, `[seconds, "o", text]` for output and
//! `[seconds, "r", "COLSxROWS"]` for a resize. Output arrives as bytes cut anywhere: a
//! character split between two chunks is carried to the next event, and bytes that are not
//! UTF-8 become U+FFFD, so every line is valid JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The header line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub version: u8,
    pub width: u16,
    pub height: u16,
    /// Unix seconds when the recording began.
    pub timestamp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// Lines of one recording, in order: `header`, then `output` and `resize` as they happen.
#[derive(Debug, Default)]
pub struct Encoder {
    /// The start of a character whose end has not arrived yet (at most 3 bytes).
    carry: Vec<u8>,
}

impl Encoder {
    pub fn header(width: u16, height: u16, timestamp: u64, title: Option<String>) -> String {
        let header = Header {
            version: 2,
            width,
            height,
            timestamp,
            title,
        };
        let mut line = serde_json::to_string(&header).expect("a header serialises");
        line.push('\n');
        line
    }

    /// The `o` event of `bytes` printed `at` seconds in; none when they only began a
    /// character.
    pub fn output(&mut self, at: f64, bytes: &[u8]) -> Option<String> {
        let mut pending = std::mem::take(&mut self.carry);
        pending.extend_from_slice(bytes);
        let mut text = String::with_capacity(pending.len());
        let mut rest = pending.as_slice();
        loop {
            match std::str::from_utf8(rest) {
                Ok(valid) => {
                    text.push_str(valid);
                    break;
                }
                Err(err) => {
                    let (valid, after) = rest.split_at(err.valid_up_to());
                    text.push_str(std::str::from_utf8(valid).expect("checked valid"));
                    match err.error_len() {
                        Some(bad) => {
                            text.push('\u{FFFD}');
                            rest = &after[bad..];
                        }
                        None => {
                            // Cut in the middle of a character: the rest comes next time.
                            self.carry = after.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        (!text.is_empty()).then(|| event(at, "o", &text))
    }

    /// The `r` event of a resize to `width` × `height`, `at` seconds in.
    pub fn resize(&self, at: f64, width: u16, height: u16) -> String {
        event(at, "r", &format!("{width}x{height}"))
    }
}

fn event(at: f64, kind: &str, data: &str) -> String {
    // Microseconds are as fine as players read.
    let at = (at * 1_000_000.0).round() / 1_000_000.0;
    let mut line = serde_json::to_string(&(at, kind, data)).expect("an event serialises");
    line.push('\n');
    line
}

/// A recording read back: its header and events (`seconds`, kind, data).
#[derive(Debug, Clone, PartialEq)]
pub struct Cast {
    pub header: Header,
    pub events: Vec<(f64, String, String)>,
}

impl Cast {
    /// Everything printed, in order.
    pub fn output(&self) -> String {
        self.events
            .iter()
            .filter(|(_, kind, _)| kind == "o")
            .map(|(_, _, data)| data.as_str())
            .collect()
    }
}

/// Reads a recording, checking what a player relies on: a version 2 header with a size,
/// and events whose times never go back.
pub fn parse(text: &str) -> Result<Cast, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().ok_or("the recording is empty")?;
    let header: Header =
        serde_json::from_str(first).map_err(|e| format!("the header cannot be read: {e}"))?;
    if header.version != 2 {
        return Err(format!("version {} is not asciicast v2", header.version));
    }
    if header.width == 0 || header.height == 0 {
        return Err("the header has no terminal size".into());
    }
    let mut events = Vec::new();
    let mut last = 0.0f64;
    for (n, line) in lines.enumerate() {
        let value: Value =
            serde_json::from_str(line).map_err(|e| format!("event {}: {e}", n + 1))?;
        let (Some(at), Some(kind), Some(data)) = (
            value.get(0).and_then(Value::as_f64),
            value.get(1).and_then(Value::as_str),
            value.get(2).and_then(Value::as_str),
        ) else {
            return Err(format!("event {} is not [time, code, data]", n + 1));
        };
        if at < last {
            return Err(format!("event {} goes back in time", n + 1));
        }
        last = at;
        events.push((at, kind.to_string(), data.to_string()));
    }
    Ok(Cast { header, events })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_reads_back_as_it_was_written() {
        let mut encoder = Encoder::default();
        let mut text = Encoder::header(80, 24, 1_700_000_000, Some("demo".into()));
        text.push_str(&encoder.output(0.25, b"$ echo \"hi\"\r\n").unwrap());
        text.push_str(&encoder.resize(1.5, 120, 40));
        text.push_str(&encoder.output(2.0, b"hi\r\n\x1b[1m$ \x1b[0m").unwrap());
        let cast = parse(&text).unwrap();
        assert_eq!(cast.header.width, 80);
        assert_eq!(cast.header.title.as_deref(), Some("demo"));
        assert_eq!(cast.output(), "$ echo \"hi\"\r\nhi\r\n\x1b[1m$ \x1b[0m");
        assert_eq!(cast.events[1], (1.5, "r".to_string(), "120x40".to_string()));
    }

    #[test]
    fn a_character_cut_between_chunks_is_kept_whole_and_bad_bytes_are_replaced() {
        let mut encoder = Encoder::default();
        let whale = "🐳".as_bytes();
        assert_eq!(encoder.output(0.0, &whale[..2]), None);
        let line = encoder
            .output(0.1, &[&whale[2..], b"!\xff"].concat())
            .unwrap();
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value[2], "🐳!\u{FFFD}");
    }

    #[test]
    fn broken_recordings_are_refused_with_a_reason() {
        assert!(parse("").is_err());
        assert!(parse("{\"version\":1,\"width\":80,\"height\":24,\"timestamp\":0}").is_err());
        let header = Encoder::header(80, 24, 0, None);
        assert!(parse(&format!("{header}[2.0,\"o\",\"a\"]\n[1.0,\"o\",\"b\"]\n")).is_err());
        assert!(parse(&format!("{header}[1.0,\"o\"]\n")).is_err());
    }
}
