//! The session socket's input: binary frames and JSON control messages, decoded and
//! checked as the socket handlers do.

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
