//! The last bytes a terminal's shell printed, for the next attach to replay: at most
//! `capacity`, and once older bytes were dropped the replay starts at a line's start.

use std::collections::VecDeque;

pub struct Ring {
    bytes: VecDeque<u8>,
    capacity: usize,
    dropped: bool,
}

impl Ring {
    pub fn new(capacity: usize) -> Self {
        Ring {
            bytes: VecDeque::with_capacity(capacity),
            capacity,
            dropped: false,
        }
    }

    pub fn push(&mut self, data: &[u8]) {
        let skipped = data.len().saturating_sub(self.capacity);
        self.dropped |= skipped > 0;
        let data = &data[skipped..];
        let over = (self.bytes.len() + data.len()).saturating_sub(self.capacity);
        if over > 0 {
            self.bytes.drain(..over.min(self.bytes.len()));
            self.dropped = true;
        }
        self.bytes.extend(data);
    }

    /// What to replay: everything kept, from the first line start when the start was dropped.
    pub fn snapshot(&self) -> Vec<u8> {
        let from = if self.dropped {
            self.bytes
                .iter()
                .position(|b| *b == b'\n')
                .map_or(self.bytes.len(), |p| p + 1)
        } else {
            0
        };
        self.bytes.range(from..).copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_everything_below_its_capacity() {
        let mut ring = Ring::new(16);
        ring.push(b"$ ls\r\n");
        ring.push(b"a b\r\n$ ");
        assert_eq!(ring.snapshot(), b"$ ls\r\na b\r\n$ ");
    }

    #[test]
    fn drops_the_oldest_and_replays_from_a_line_start() {
        let mut ring = Ring::new(10);
        ring.push(b"first line\nsecond\nab");
        assert_eq!(ring.snapshot(), b"second\nab");
        ring.push(b"cdefghijklmnop\nq");
        assert_eq!(ring.snapshot(), b"q");
        assert!(ring.bytes.len() <= 10);
    }
}
