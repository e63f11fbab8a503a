//! Wire types shared by the Quai backend and the browser frontend: the REST bodies
//! (`api`, `lessons`, `files`, `classes`, `recordings`, `teaching`), the JSON control messages of the session socket (`socket`) and the binary
//! terminal frames that carry keystrokes and output (`frame`), and what the server writes to a
//! terminal kept by `quai-keeper` (`keeper`). Serde only, wasm-safe.

pub mod api;
pub mod classes;
pub mod files;
pub mod frame;
pub mod keeper;
pub mod lessons;
pub mod recordings;
pub mod socket;
pub mod teaching;

pub use api::*;
pub use classes::*;
pub use files::*;
pub use frame::{Frame, FrameError, FrameKind};
pub use lessons::*;
pub use recordings::*;
pub use socket::*;
pub use teaching::*;

/// Version of the socket protocol; both sides send it in `Hello` and refuse a mismatch.
pub const PROTOCOL_VERSION: u32 = 1;

/// Smallest and largest terminal sizes the backend accepts in `OpenTerminal` and `Resize`.
pub const MIN_COLS: u16 = 2;
pub const MAX_COLS: u16 = 1000;
pub const MIN_ROWS: u16 = 1;
pub const MAX_ROWS: u16 = 500;

/// Checks a terminal size from the browser, returning a sentence to show when it is absurd.
pub fn check_size(cols: u16, rows: u16) -> Result<(), String> {
    if !(MIN_COLS..=MAX_COLS).contains(&cols) || !(MIN_ROWS..=MAX_ROWS).contains(&rows) {
        return Err(format!(
            "terminal size {cols}x{rows} is out of range: columns must be {MIN_COLS} to {MAX_COLS} and rows {MIN_ROWS} to {MAX_ROWS}"
        ));
    }
    Ok(())
}
