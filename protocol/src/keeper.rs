//! What the server writes to a terminal kept by `quai-keeper` (through its attach's stdin):
//! keystrokes and size changes, in frames of `[kind: u8][length: u16, big-endian][payload]`,
//! so that a resize travels in order with the keys around it. The keeper's output comes back
//! as the shell printed it, unframed.

/// A frame's kind: keystrokes for the shell.
const INPUT: u8 = 0;
/// A frame's kind: the terminal's new size, `cols` then `rows` (u16 each, big-endian).
const SIZE: u8 = 1;
/// Largest payload of one frame.
pub const MAX_PAYLOAD: usize = u16::MAX as usize;

/// One message to the keeper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeeperFrame {
    Input(Vec<u8>),
    Size { cols: u16, rows: u16 },
}

/// Why bytes are not keeper frames.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeeperFrameError {
    #[error("unknown keeper frame kind {0}")]
    UnknownKind(u8),
    #[error("a size frame of {0} bytes (4 expected)")]
    BadSize(usize),
}

/// Appends `input` to `out` as input frames (one per `MAX_PAYLOAD` bytes).
pub fn encode_input(input: &[u8], out: &mut Vec<u8>) {
    for chunk in input.chunks(MAX_PAYLOAD) {
        out.push(INPUT);
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
}

/// The size frame for `cols` × `rows`.
pub fn encode_size(cols: u16, rows: u16) -> Vec<u8> {
    let mut out = vec![SIZE, 0, 4];
    out.extend_from_slice(&cols.to_be_bytes());
    out.extend_from_slice(&rows.to_be_bytes());
    out
}

/// Reads frames from bytes as they come, in pieces of any size.
#[derive(Debug, Default)]
pub struct KeeperDecoder {
    pending: Vec<u8>,
}

impl KeeperDecoder {
    /// Takes `bytes` and returns the frames they complete; an error means the stream is not
    /// keeper frames and must be dropped.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<KeeperFrame>, KeeperFrameError> {
        self.pending.extend_from_slice(bytes);
        let mut frames = Vec::new();
        let mut at = 0;
        while self.pending.len() - at >= 3 {
            let kind = self.pending[at];
            let len = u16::from_be_bytes([self.pending[at + 1], self.pending[at + 2]]) as usize;
            if kind != INPUT && kind != SIZE {
                return Err(KeeperFrameError::UnknownKind(kind));
            }
            if kind == SIZE && len != 4 {
                return Err(KeeperFrameError::BadSize(len));
            }
            if self.pending.len() - at - 3 < len {
                break;
            }
            let payload = &self.pending[at + 3..at + 3 + len];
            frames.push(match kind {
                INPUT => KeeperFrame::Input(payload.to_vec()),
                _ => KeeperFrame::Size {
                    cols: u16::from_be_bytes([payload[0], payload[1]]),
                    rows: u16::from_be_bytes([payload[2], payload[3]]),
                },
            });
            at += 3 + len;
        }
        self.pending.drain(..at);
        Ok(frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_survive_being_cut_anywhere() {
        let mut stream = Vec::new();
        encode_input(b"ls -l\r", &mut stream);
        stream.extend(encode_size(120, 40));
        let big = vec![b'x'; MAX_PAYLOAD + 10];
        encode_input(&big, &mut stream);
        for cut in [1, 2, 3, 7, 100, 4096] {
            let mut decoder = KeeperDecoder::default();
            let mut frames = Vec::new();
            for piece in stream.chunks(cut) {
                frames.extend(decoder.push(piece).unwrap());
            }
            let mut typed: Vec<u8> = Vec::new();
            for frame in &frames[2..] {
                let KeeperFrame::Input(bytes) = frame else {
                    panic!("{frame:?}")
                };
                typed.extend(bytes);
            }
            assert_eq!(frames[0], KeeperFrame::Input(b"ls -l\r".to_vec()));
            assert_eq!(
                frames[1],
                KeeperFrame::Size {
                    cols: 120,
                    rows: 40
                }
            );
            assert_eq!(typed, big, "cut every {cut} bytes");
        }
    }

    #[test]
    fn bytes_that_are_not_frames_are_refused() {
        assert_eq!(
            KeeperDecoder::default().push(&[9, 0, 0]),
            Err(KeeperFrameError::UnknownKind(9))
        );
        assert_eq!(
            KeeperDecoder::default().push(&[SIZE, 0, 2, 1, 1]),
            Err(KeeperFrameError::BadSize(2))
        );
    }
}
