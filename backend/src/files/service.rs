//! The files service: what a session's owner does with the files of its nodes — browse a
//! folder, download a file or a folder, upload an archive, open and save a text file, ask
//! where a terminal's shell stands. It finds the node, normalises paths, counts transfers
//! (one per session at a time, a bounded number per server), spools uploads to disk and
//! checks them before anything reaches the node (`archive`), then runs the typed node
//! operations of `in_node`. Workspaces (`workspace`) are its two other operations.

use std::sync::Arc;

use bytes::Bytes;
use futures::Stream;
use quai_protocol::{Listing, TextFile, Uploaded, WorkingDir};

use super::archive;
use super::error::FileError;
use super::in_node::{InNode, PathKind};
use super::spool::{self, Spool, SpoolError};
use super::{absolute, MAX_TEXT};
use crate::runtime::{ByteStream, Feed, Node};
use crate::session::{Session, Sessions, Work, WorkPermit};

/// A download on its way: what to call it, and its bytes as the node sends them, with the
/// transfer's permit to keep until the last byte is sent.
pub struct Download {
    /// The file's name, or the folder's with `.tar.gz`.
    pub name: String,
    /// A folder, sent as a tar.gz.
    pub archive: bool,
    pub bytes: ByteStream,
    pub permit: WorkPermit,
}

/// The service; `limit` is `--transfer-limit-mb` in bytes.
pub struct Files {
    pub(super) sessions: Arc<Sessions>,
    pub(super) limit: u64,
}

impl Files {
    pub fn new(sessions: Arc<Sessions>, transfer_limit_mb: u64) -> Files {
        Files {
            sessions,
            limit: transfer_limit_mb.saturating_mul(1024 * 1024),
        }
    }

    /// The transfer limit in MB, for sentences.
    pub(super) fn limit_mb(&self) -> u64 {
        self.limit / (1024 * 1024)
    }

    /// The operations of `node`, outputs held to `limit` bytes.
    pub(super) fn in_node<'a>(&'a self, node: &'a Node, limit: u64) -> InNode<'a> {
        InNode {
            runtime: self.sessions.runtime().as_ref(),
            node,
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
        }
    }

    /// A request body (or any stream of chunks) spooled to disk as it arrives, refused as
    /// soon as it passes the transfer limit.
    pub(super) async fn spool<E: std::fmt::Display>(
        &self,
        chunks: impl Stream<Item = Result<Bytes, E>> + Unpin,
    ) -> Result<Spool, FileError> {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        spool::from_stream("upload", chunks, limit)
            .await
            .map_err(|err| match err {
                SpoolError::TooLarge => FileError::TooLarge(self.limit_mb()),
                SpoolError::Source(why) => FileError::Unreadable(why),
                SpoolError::Disk(err) => disk(err),
            })
    }

    /// The entries of the folder `path` (the home folder when absent) of node `name`.
    pub async fn list(
        &self,
        session: &Session,
        name: &str,
        path: Option<&str>,
    ) -> Result<Listing, FileError> {
        let node = node(session, name)?;
        let path = absolute(path.unwrap_or("/root"))?;
        let entries = self.in_node(&node, self.limit).list(&path).await?;
        Ok(Listing { path, entries })
    }

    /// The file `path` of node `name`, or the folder as a tar.gz.
    pub async fn download(
        &self,
        session: &Session,
        name: &str,
        path: Option<&str>,
    ) -> Result<Download, FileError> {
        let node = node(session, name)?;
        let path = absolute(path.unwrap_or("/root"))?;
        let permit = self.sessions.begin(session, Work::Transfer).await?;
        let base = path
            .rsplit('/')
            .next()
            .filter(|b| !b.is_empty())
            .unwrap_or("root")
            .to_string();
        let ops = self.in_node(&node, self.limit);
        let kind = ops.kind(&path).await?;
        let bytes = ops.open(&path, kind).await?;
        Ok(Download {
            name: match kind {
                PathKind::Dir => format!("{base}.tar.gz"),
                PathKind::File => base,
            },
            archive: kind == PathKind::Dir,
            bytes,
            permit,
        })
    }

    /// Unpacks the archive `chunks` (a tar, gzipped or not) into the folder `dir` of node
    /// `name`. The archive is spooled and checked whole first (no link, no path leaving the
    /// folder, within the limit), and the node refuses any path that resolves outside the
    /// folder through a link of its own: either way nothing is written.
    pub async fn upload<E: std::fmt::Display>(
        &self,
        session: &Session,
        name: &str,
        dir: Option<&str>,
        chunks: impl Stream<Item = Result<Bytes, E>> + Unpin,
    ) -> Result<Uploaded, FileError> {
        let _permit = self.sessions.begin(session, Work::Transfer).await?;
        let spool = self.spool(chunks).await?;
        let node = node(session, name)?;
        let dir = absolute(dir.unwrap_or("/root"))?;
        let limit = self.limit;
        let file = spool.open().map_err(disk)?;
        let scan = tokio::task::spawn_blocking(move || archive::scan(file, limit))
            .await
            .map_err(|err| disk(std::io::Error::other(err)))?
            .map_err(|err| FileError::BadArchive(crate::api::error::sentence(&err.to_string())))?;
        if scan.paths.is_empty() {
            return Err(FileError::EmptyUpload);
        }
        let feed =
            spool::clean_feed(&spool, limit, |path| Some(path.to_path_buf())).map_err(disk)?;
        self.in_node(&node, self.limit)
            .extract(&dir, false, &scan.paths, Feed::Stream(feed))
            .await?;
        Ok(Uploaded {
            dir,
            files: scan.files,
            bytes: scan.bytes,
        })
    }

    /// The text file `path` of node `name`, for the editor.
    pub async fn read_text(
        &self,
        session: &Session,
        name: &str,
        path: Option<&str>,
    ) -> Result<TextFile, FileError> {
        let node = node(session, name)?;
        let path = absolute(path.unwrap_or(""))?;
        let text = self.in_node(&node, self.limit).read_text(&path).await?;
        Ok(TextFile { path, text })
    }

    /// Saves `file` in node `name`, in a folder that exists.
    pub async fn write_text(
        &self,
        session: &Session,
        name: &str,
        file: TextFile,
    ) -> Result<TextFile, FileError> {
        let node = node(session, name)?;
        let path = absolute(&file.path)?;
        if file.text.len() > MAX_TEXT {
            return Err(FileError::TooLargeToSave(MAX_TEXT / 1024));
        }
        self.in_node(&node, self.limit)
            .write_text(&path, &file.text)
            .await?;
        Ok(TextFile {
            path,
            text: file.text,
        })
    }

    /// Where the shell of terminal `term` stands (the home folder when it cannot tell).
    pub async fn cwd(&self, session: &Session, term: u16) -> Result<WorkingDir, FileError> {
        if session.terminal(term).await.is_none() {
            return Err(FileError::NoSuchPlace);
        }
        let path = session
            .terminal_cwd(self.sessions.runtime(), term)
            .await
            .unwrap_or_else(|| "/root".into());
        Ok(WorkingDir { path })
    }
}

/// Node `name` of `session`.
pub(super) fn node(session: &Session, name: &str) -> Result<Node, FileError> {
    session.node(name).ok_or(FileError::NoSuchPlace)
}

/// The server's disk failed a transfer; logged here, said plainly to the student.
pub(super) fn disk(err: std::io::Error) -> FileError {
    tracing::error!(error = %err, "cannot keep a transfer on disk");
    FileError::Disk(err)
}
