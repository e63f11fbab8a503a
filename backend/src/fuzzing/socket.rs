//! The session socket's input: binary frames and JSON control messages, decoded and
//! checked as the socket handlers do; and the keeper frames `quai-keeper` reads from its
//! attach (which any program of the node's user may connect to).

use quai_protocol::{ClientMsg, Frame, MAX_COLS, MAX_ROWS, MIN_COLS, MIN_ROWS};

use crate::ws;

/// A binary message from a page: only input frames are taken, and they re-encode to the
/// bytes they came from.
pub fn socket_frame(data: &[u8]) {
    match ws::input_frame(data) {
        Ok(frame) => {
            assert_eq!(frame.encode(), data, "an input frame did not round-trip");
            assert_eq!(data[0], 0, "a frame other than input was taken");
        }
        Err(_) => {
            if let Ok(frame) = Frame::decode(data) {
                assert_eq!(frame.encode(), data, "a frame did not round-trip");
            }
        }
    }
}

/// A text message from a page: what parses re-serializes to itself, and every terminal size
/// it may carry is taken only within range.
pub fn client_msg(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(msg) = ws::read_control(text) else {
        return;
    };
    let again = serde_json::to_string(&msg).expect("a message serializes");
    assert_eq!(
        ws::read_control(&again).ok(),
        Some(msg.clone()),
        "a message did not round-trip"
    );
    let size = match msg {
        ClientMsg::Resize { cols, rows, .. } | ClientMsg::OpenTerminal { cols, rows, .. } => {
            (cols, rows)
        }
        _ => return,
    };
    if let Ok(taken) = ws::term_size(size.0, size.1) {
        assert!(
            (MIN_COLS..=MAX_COLS).contains(&taken.cols)
                && (MIN_ROWS..=MAX_ROWS).contains(&taken.rows),
            "terminal size {}x{} was taken",
            taken.cols,
            taken.rows
        );
    }
}

/// Bytes sent to `quai-keeper`, in pieces of any size: what decodes re-encodes to the bytes
/// it came from, and a stream cut anywhere decodes to the same frames.
pub fn keeper_frames(data: &[u8]) {
    use quai_protocol::keeper::{encode_input, encode_size, KeeperDecoder, KeeperFrame};
    let whole = KeeperDecoder::default().push(data);
    let mut pieces = KeeperDecoder::default();
    let cut = data.first().map_or(1, |b| usize::from(*b % 7) + 1);
    let mut frames = Vec::new();
    let mut failed = false;
    for piece in data.chunks(cut) {
        match pieces.push(piece) {
            Ok(more) => frames.extend(more),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    let Ok(whole) = whole else {
        assert!(failed, "bytes refused whole were taken in pieces");
        return;
    };
    assert!(!failed, "bytes taken whole were refused in pieces");
    assert_eq!(whole, frames, "pieces decoded to other frames");
    let mut again = Vec::new();
    for frame in &whole {
        match frame {
            // An empty input frame is valid on the wire; the encoder never makes one.
            KeeperFrame::Input(keys) if keys.is_empty() => again.extend([0, 0, 0]),
            KeeperFrame::Input(keys) => encode_input(keys, &mut again),
            KeeperFrame::Size { cols, rows } => again.extend(encode_size(*cols, *rows)),
        }
    }
    assert_eq!(
        again,
        data[..again.len()],
        "frames did not re-encode to their bytes"
    );
}
