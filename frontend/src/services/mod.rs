//! Input and output: the REST API (`api`), the session socket (`socket`) and the link
//! between the socket and the terminals on the page (`link`).

pub mod api;
pub mod link;
pub mod socket;
