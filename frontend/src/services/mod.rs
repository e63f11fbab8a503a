//! Input and output: the REST API (`api`, and `classes` for the class pages), the session socket (`socket`), the link between
//! the socket and the terminals on the page (`link`) with its flow control (`flow`), the
//! clipboard (`clipboard`), waits on the browser's timer (`clock`), the preferences kept in the browser (`prefs`) and the timing
//! marks the bench reads (`timing`).

pub mod api;
pub mod classes;
pub mod clipboard;
pub mod clock;
pub mod files;
pub mod flow;
pub mod link;
pub mod prefs;
pub mod recordings;
pub mod socket;
pub mod tar;
pub mod teaching;
pub mod timing;
pub mod transfer;
