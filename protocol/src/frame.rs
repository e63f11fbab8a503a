//! Binary frames of the session socket: `[kind u8][term u16 big-endian][bytes]`.
//! `Input` goes browser → server (keystrokes, pastes), `Output` server → browser.

/// What a binary frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FrameKind {
    /// Bytes typed into terminal `term`.
    Input = 0,
    /// Bytes the terminal printed.
    Output = 1,
}

/// One decoded binary frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub kind: FrameKind,
    pub term: u16,
    pub data: Vec<u8>,
}

/// Why a binary frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("binary frame of {0} bytes is shorter than its 3-byte header")]
    TooShort(usize),
    #[error("binary frame has unknown kind {0}")]
    UnknownKind(u8),
}

/// Length of the header in front of the terminal bytes.
pub const HEADER_LEN: usize = 3;

impl Frame {
    pub fn new(kind: FrameKind, term: u16, data: impl Into<Vec<u8>>) -> Self {
        Frame {
            kind,
            term,
            data: data.into(),
        }
    }

    /// Encodes the header and bytes into one buffer.
    pub fn encode(&self) -> Vec<u8> {
        encode(self.kind, self.term, &self.data)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, FrameError> {
        if bytes.len() < HEADER_LEN {
            return Err(FrameError::TooShort(bytes.len()));
        }
        let kind = match bytes[0] {
            0 => FrameKind::Input,
            1 => FrameKind::Output,
            other => return Err(FrameError::UnknownKind(other)),
        };
        let term = u16::from_be_bytes([bytes[1], bytes[2]]);
        Ok(Frame {
            kind,
            term,
            data: bytes[HEADER_LEN..].to_vec(),
        })
    }
}

/// Encodes a frame without building a `Frame` first (the hot path of terminal output).
pub fn encode(kind: FrameKind, term: u16, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + data.len());
    out.push(kind as u8);
    out.extend_from_slice(&term.to_be_bytes());
    out.extend_from_slice(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        for frame in [
            Frame::new(FrameKind::Input, 1, b"ls -la\r".to_vec()),
            Frame::new(FrameKind::Output, 65535, vec![0u8, 255, 27, b'[']),
            Frame::new(FrameKind::Output, 0, Vec::new()),
        ] {
            assert_eq!(Frame::decode(&frame.encode()).unwrap(), frame);
        }
    }

    #[test]
    fn the_header_is_kind_then_big_endian_terminal() {
        assert_eq!(encode(FrameKind::Output, 0x0102, b"x"), vec![1, 1, 2, b'x']);
    }

    #[test]
    fn short_and_unknown_frames_are_errors() {
        assert_eq!(Frame::decode(&[0, 1]), Err(FrameError::TooShort(2)));
        assert_eq!(Frame::decode(&[9, 0, 1]), Err(FrameError::UnknownKind(9)));
    }
}
