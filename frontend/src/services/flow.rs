//! Flow control of terminal output, browser side: per terminal, how many bytes of output
//! xterm.js has written since the last `TerminalOpened` and when to tell the server (`Ack`).
//!
//! The server stops reading a shell whose output is more than 512 KiB ahead of the last
//! `Ack`, so a flood (`yes`) cannot bury the page and Ctrl-C shows at once. An `Ack` goes
//! out as soon as `ACK_EVERY` bytes were written since the previous one, and otherwise
//! `ACK_DELAY_MS` after the first byte nobody acknowledged yet. Pure bookkeeping: the
//! timers and the socket live in `link`.

/// Bytes written that make an `Ack` go out at once.
pub const ACK_EVERY: u64 = 64 * 1024;

/// Longest wait before written bytes are acknowledged.
pub const ACK_DELAY_MS: u32 = 100;

/// What one terminal has written and acknowledged since it was last (re)opened.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AckCounter {
    /// Bytes xterm.js has written since the last `TerminalOpened`.
    written: u64,
    /// The `bytes` of the last `Ack` that went out.
    acked: u64,
}

impl AckCounter {
    /// Starts counting afresh: the server sent `TerminalOpened` (a replay follows).
    pub fn reset(&mut self) {
        *self = AckCounter::default();
    }

    /// xterm.js wrote `bytes` more; returns the `Ack` to send now when enough is pending.
    pub fn wrote(&mut self, bytes: u64) -> Option<u64> {
        self.written = self.written.saturating_add(bytes);
        (self.written - self.acked >= ACK_EVERY).then_some(self.written)
    }

    /// The `Ack` owed, if any bytes were written since the last one.
    pub fn pending(&self) -> Option<u64> {
        (self.written > self.acked).then_some(self.written)
    }

    /// The `Ack` for `bytes` went out.
    pub fn sent(&mut self, bytes: u64) {
        self.acked = self.acked.max(bytes.min(self.written));
    }

    pub fn written(&self) -> u64 {
        self.written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_writes_wait_for_the_timer() {
        let mut c = AckCounter::default();
        assert_eq!(c.wrote(10), None);
        assert_eq!(c.wrote(20), None);
        assert_eq!(c.pending(), Some(30));
        c.sent(30);
        assert_eq!(c.pending(), None);
    }

    #[test]
    fn every_64_kib_written_is_acknowledged_at_once() {
        let mut c = AckCounter::default();
        assert_eq!(c.wrote(ACK_EVERY - 1), None);
        assert_eq!(c.wrote(1), Some(ACK_EVERY));
        c.sent(ACK_EVERY);
        assert_eq!(c.wrote(ACK_EVERY / 2), None);
        assert_eq!(c.wrote(ACK_EVERY), Some(ACK_EVERY * 5 / 2));
        c.sent(ACK_EVERY * 5 / 2);
        assert_eq!(c.pending(), None);
    }

    #[test]
    fn an_ack_that_did_not_go_out_is_owed_again() {
        let mut c = AckCounter::default();
        assert_eq!(c.wrote(ACK_EVERY), Some(ACK_EVERY));
        // The socket was not open: nothing recorded, so the timer sends it later.
        assert_eq!(c.pending(), Some(ACK_EVERY));
        assert_eq!(c.wrote(5), Some(ACK_EVERY + 5));
    }

    #[test]
    fn reopening_counts_from_zero() {
        let mut c = AckCounter::default();
        c.wrote(1000);
        c.sent(1000);
        c.reset();
        assert_eq!(c.written(), 0);
        assert_eq!(c.pending(), None);
        assert_eq!(c.wrote(7), None);
        assert_eq!(c.pending(), Some(7));
    }

    #[test]
    fn acks_never_go_backwards() {
        let mut c = AckCounter::default();
        c.wrote(500);
        c.sent(500);
        c.sent(100);
        assert_eq!(c.pending(), None);
        c.wrote(1);
        assert_eq!(c.pending(), Some(501));
    }
}
