//! Steps of a playground's start as the server sees them, for `cargo xtask bench`'s
//! click-to-prompt breakdown: a debug event of target `quai::timing` per step (create
//! received, taken from the pool, session saved, create answered, socket asked and
//! upgraded, hello received, terminal asked and attached, first byte queued), off unless
//! `RUST_LOG` turns that target on (`RUST_LOG=info,quai::timing=debug`); the log's time
//! stamps give each step's time.

/// Logs step `step` of the start of session `session` (empty when not known there).
pub fn step(step: &str, session: &str) {
    tracing::debug!(target: "quai::timing", session, "{step}");
}
