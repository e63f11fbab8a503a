//! A terminal being recorded: the terminal's pump hands each chunk of output (and each
//! resize) to its `Recorder`, which turns it into asciicast lines without waiting; a task
//! of its own writes them to the recording's file, then flushes it when the recording
//! stops (the recorder dropped: stopped by hand, the terminal ended, or the size limit
//! reached) and reports what it wrote.

use std::time::Instant;

use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::asciicast::Encoder;
use crate::runtime::TermSize;

/// What a finished recording wrote: its bytes and length in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Written {
    pub bytes: u64,
    pub seconds: f64,
}

pub struct Recorder {
    started: Instant,
    encoder: Encoder,
    lines: mpsc::UnboundedSender<String>,
    /// Bytes of lines handed to the writer so far, and the most the file may hold.
    written: u64,
    limit: u64,
}

impl Recorder {
    /// Starts a recording into `file` of a terminal of `size`, holding at most `limit`
    /// bytes; the handle's task ends, with what it wrote, once the recorder is dropped.
    pub fn start(
        file: tokio::fs::File,
        size: TermSize,
        timestamp: u64,
        title: Option<String>,
        limit: u64,
    ) -> (Recorder, JoinHandle<std::io::Result<Written>>) {
        let (lines, mut pending) = mpsc::unbounded_channel::<String>();
        let started = Instant::now();
        let header = Encoder::header(size.cols, size.rows, timestamp, title);
        let written = header.len() as u64;
        let _ = lines.send(header);
        let writer = tokio::spawn(async move {
            let mut file = tokio::io::BufWriter::new(file);
            let mut bytes = 0u64;
            while let Some(line) = pending.recv().await {
                file.write_all(line.as_bytes()).await?;
                bytes += line.len() as u64;
            }
            file.flush().await?;
            file.get_ref().sync_all().await?;
            Ok(Written {
                bytes,
                seconds: started.elapsed().as_secs_f64(),
            })
        });
        let recorder = Recorder {
            started,
            encoder: Encoder::default(),
            lines,
            written,
            limit,
        };
        (recorder, writer)
    }

    fn push(&mut self, line: String) -> bool {
        self.written += line.len() as u64;
        if self.written > self.limit {
            return false;
        }
        self.lines.send(line).is_ok()
    }

    /// Records output; false once the recording is full (or its writer failed): the
    /// terminal then drops the recorder, which ends the recording.
    pub fn output(&mut self, bytes: &[u8]) -> bool {
        let at = self.started.elapsed().as_secs_f64();
        match self.encoder.output(at, bytes) {
            Some(line) => self.push(line),
            None => true,
        }
    }

    /// Records a resize; false as `output`.
    pub fn resize(&mut self, size: TermSize) -> bool {
        let at = self.started.elapsed().as_secs_f64();
        let line = self.encoder.resize(at, size.cols, size.rows);
        self.push(line)
    }
}

#[cfg(test)]
mod tests {
    use super::super::asciicast;
    use super::*;

    #[tokio::test]
    async fn a_recording_stops_whole_at_its_size_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.cast");
        let file = tokio::fs::File::create(&path).await.unwrap();
        let size = TermSize { cols: 80, rows: 24 };
        let (mut recorder, writer) = Recorder::start(file, size, 1, None, 400);
        assert!(recorder.output(b"first\r\n"));
        assert!(recorder.resize(TermSize {
            cols: 100,
            rows: 30
        }));
        let mut kept = true;
        for _ in 0..100 {
            kept = recorder.output(b"more output\r\n");
            if !kept {
                break;
            }
        }
        assert!(!kept, "the limit was never reached");
        drop(recorder);
        let written = writer.await.unwrap().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(written.bytes, text.len() as u64);
        assert!(text.len() <= 400);
        let cast = asciicast::parse(&text).unwrap();
        assert_eq!((cast.header.width, cast.header.height), (80, 24));
        assert!(cast.output().starts_with("first\r\nmore output\r\n"));
        assert_eq!(cast.events[1].1, "r");
    }
}
