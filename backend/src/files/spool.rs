//! Transfers kept on disk, not in memory: an upload, an imported workspace or a node's
//! folders being exported are written to a `Spool` (a file of their own under the temporary
//! folder, removed when dropped) as they arrive, within the transfer limit; an archive is
//! then read from it as often as needed. `clean_feed` hands a node the clean tar of a spooled
//! archive as it is made, and `stream` sends a spooled file to the browser as it is read.

use std::path::{Path, PathBuf};

use axum::body::Body;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::archive;

/// A file of one transfer under the temporary folder, readable by the server only; removed
/// when dropped.
#[derive(Debug)]
pub struct Spool {
    path: PathBuf,
}

impl Spool {
    /// A new, empty spool file.
    pub async fn create(kind: &str) -> std::io::Result<(Spool, tokio::fs::File)> {
        let spool = Spool {
            path: std::env::temp_dir().join(format!(
                "quai-{kind}-{}",
                crate::session::token::new_session_id()
            )),
        };
        let file = tokio::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&spool.path)
            .await?;
        Ok((spool, file))
    }

    pub fn open(&self) -> std::io::Result<std::fs::File> {
        std::fs::File::open(&self.path)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Why chunks could not be spooled.
#[derive(Debug)]
pub enum SpoolError {
    /// More than the limit.
    TooLarge,
    /// The chunks' source failed (the browser, the node).
    Source(String),
    /// The server's disk.
    Disk(std::io::Error),
}

/// Writes `chunks` to a new spool of `kind` as they come, refusing them past `limit` bytes.
pub async fn from_stream<E: std::fmt::Display>(
    kind: &str,
    mut chunks: impl Stream<Item = Result<Bytes, E>> + Unpin,
    limit: usize,
) -> Result<Spool, SpoolError> {
    let (spool, mut file) = Spool::create(kind).await.map_err(SpoolError::Disk)?;
    let mut size = 0usize;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|err| SpoolError::Source(err.to_string()))?;
        size += chunk.len();
        if size > limit {
            return Err(SpoolError::TooLarge);
        }
        file.write_all(&chunk).await.map_err(SpoolError::Disk)?;
    }
    file.flush().await.map_err(SpoolError::Disk)?;
    Ok(spool)
}

/// A `Write` whose bytes go, in chunks, to the channel a command's stdin is fed from; it
/// fails once the command stopped reading.
struct ToCommand(tokio::sync::mpsc::Sender<Bytes>);

impl std::io::Write for ToCommand {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Bytes::copy_from_slice(buf))
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the node stopped reading")
            })?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The clean tar of the archive in `spool` (its entries placed by `place`, see
/// `archive::copy_clean`), made as the node reads it: in a blocking task, 64 KiB at a time
/// through a short channel.
pub fn clean_feed(
    spool: &Spool,
    limit: u64,
    place: impl FnMut(&Path) -> Option<PathBuf> + Send + 'static,
) -> std::io::Result<tokio::sync::mpsc::Receiver<Bytes>> {
    let file = spool.open()?;
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tokio::task::spawn_blocking(move || {
        let sink = std::io::BufWriter::with_capacity(64 * 1024, ToCommand(tx));
        match archive::copy_clean(file, limit, sink, place) {
            Ok(sink) => {
                let _ = sink.into_inner();
            }
            Err(err) => tracing::debug!(error = %err, "a transfer into a node stopped halfway"),
        }
    });
    Ok(rx)
}

/// The file of `spool` as a response body, read 64 KiB at a time as the browser takes it;
/// `keep` (the transfer's permit) lives until the last byte is sent.
pub async fn stream<K: Send + 'static>(spool: Spool, keep: K) -> std::io::Result<Body> {
    let file = tokio::fs::File::open(&spool.path).await?;
    // The open file stays readable once its name is gone.
    drop(spool);
    let chunks = futures::stream::unfold(Some((file, keep)), |state| async move {
        let (mut file, keep) = state?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((
                    Ok::<_, std::io::Error>(Bytes::from(buf)),
                    Some((file, keep)),
                ))
            }
            // The body ends with the error; nothing is read after it.
            Err(err) => Some((Err(err), None)),
        }
    });
    Ok(Body::from_stream(chunks))
}
