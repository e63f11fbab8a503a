//! Terminal recordings: any terminal of a session can be recorded, by its owner, to an
//! asciicast v2 file (`asciicast`) written as the terminal prints (`recorder`), kept in the
//! recordings folder and listed in the store. The owner lists, stops, downloads and replays
//! them; a session's recordings go when it ends (the sweep), unless a class keeps them.
//! A recording cut short by a killed server is closed at the next start, its last partial
//! line dropped. `http` is the thin edge.

pub mod asciicast;
pub mod http;
pub mod recorder;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use quai_protocol::RecordingInfo;
use rand::RngCore;
use rusqlite::{params, OptionalExtension};
use tokio::task::JoinHandle;

pub use http::routes;
use recorder::Recorder;

use crate::session::{unix_now, Session};
use crate::store::{Store, StoreError};

/// Why a recording could not be started, stopped or read.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("There is no terminal {0} in this playground.")]
    NoTerminal(u16),
    #[error("Terminal {0} is being recorded already.")]
    Already(u16),
    #[error("Terminal {0} is not being recorded.")]
    NotRecording(u16),
    #[error("There is no such recording.")]
    NotFound,
    #[error("That recording is still going on: stop it first.")]
    StillRecording,
    #[error("The server cannot write the recording on its disk right now; try again later.")]
    Disk(#[source] std::io::Error),
    #[error("The server cannot keep the recording right now; try again later.")]
    Store(#[from] StoreError),
}

/// A recording going on: the task that closes its row once its file is written.
type Finishing = JoinHandle<Option<RecordingInfo>>;

pub struct Recordings {
    dir: PathBuf,
    store: Store,
    /// Most bytes one recording may hold.
    limit: u64,
    /// By (session, terminal).
    going: Arc<Mutex<HashMap<(String, u16), Finishing>>>,
}

impl Recordings {
    pub fn new(dir: PathBuf, store: Store, limit_mb: u64) -> Recordings {
        Recordings {
            dir,
            store,
            limit: limit_mb.saturating_mul(1024 * 1024),
            going: Arc::default(),
        }
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.cast"))
    }

    /// Starts recording terminal `term` of `session`.
    pub async fn start(
        &self,
        session: &Session,
        term: u16,
    ) -> Result<RecordingInfo, RecordingError> {
        let terminal = session
            .terminal(term)
            .await
            .ok_or(RecordingError::NoTerminal(term))?;
        if terminal.is_recording() {
            return Err(RecordingError::Already(term));
        }
        let id = new_id();
        let file = create(&self.dir, &self.path(&id))
            .await
            .map_err(RecordingError::Disk)?;
        let info = RecordingInfo {
            id: id.clone(),
            term,
            node: terminal.node.clone(),
            title: format!("Terminal {term} ({})", terminal.node),
            started_at: unix_now(),
            ended_at: None,
            bytes: 0,
            seconds: 0.0,
        };
        let row = info.clone();
        let session_id = session.id.clone();
        self.store
            .call(move |db| {
                db.execute(
                    // A class's demo playground records for the class: its recordings stay.
                    "INSERT INTO recordings (id, session, class, term, node, title, started_at) VALUES (?1, ?2, (SELECT class FROM class_demos WHERE session = ?2), ?3, ?4, ?5, ?6)",
                    params![row.id, session_id, row.term, row.node, row.title, row.started_at],
                )
            })
            .await?;
        let (limit, title) = (self.limit, Some(info.title.clone()));
        let started = info.started_at;
        let Some(writer) =
            terminal.record(|size| Recorder::start(file, size, started, title, limit))
        else {
            self.forget(&id).await;
            return Err(RecordingError::Already(term));
        };
        // Once the file is complete (stopped, the terminal ended, or full), its row says so.
        let store = self.store.clone();
        let going = self.going.clone();
        let key = (session.id.clone(), term);
        let mut ended = info.clone();
        let finishing = tokio::spawn(async move {
            let written = writer.await.ok().and_then(Result::ok);
            let (bytes, seconds) = written.map_or((0, 0.0), |w| (w.bytes, w.seconds));
            ended.ended_at = Some(unix_now());
            ended.bytes = bytes;
            ended.seconds = seconds;
            let row = ended.clone();
            let saved = store
                .call(move |db| {
                    db.execute(
                        "UPDATE recordings SET ended_at = ?2, bytes = ?3, seconds = ?4 WHERE id = ?1",
                        params![row.id, row.ended_at, row.bytes, row.seconds],
                    )
                })
                .await;
            if let Err(err) = saved {
                tracing::warn!(error = %err, "could not close a recording's row");
            }
            Some(ended)
        });
        self.going
            .lock()
            .expect("recordings lock")
            .insert(key.clone(), finishing);
        // A recording that ended on its own leaves the map when the next one starts or the
        // sweep runs; its task is done by then.
        going
            .lock()
            .expect("recordings lock")
            .retain(|k, task| *k == key || !task.is_finished());
        Ok(info)
    }

    /// Stops the recording of terminal `term`; answers once its file is complete.
    pub async fn stop(
        &self,
        session: &Session,
        term: u16,
    ) -> Result<RecordingInfo, RecordingError> {
        let terminal = session
            .terminal(term)
            .await
            .ok_or(RecordingError::NoTerminal(term))?;
        let finishing = self
            .going
            .lock()
            .expect("recordings lock")
            .remove(&(session.id.clone(), term));
        terminal.stop_recording();
        // A recording that filled up or whose terminal ended is finishing already.
        match finishing {
            Some(task) => task
                .await
                .ok()
                .flatten()
                .ok_or(RecordingError::NotRecording(term)),
            None => Err(RecordingError::NotRecording(term)),
        }
    }

    /// The recordings of `session`, newest first.
    pub async fn list(&self, session: &Session) -> Result<Vec<RecordingInfo>, RecordingError> {
        let id = session.id.clone();
        Ok(self
            .store
            .call(move |db| {
                let mut query = db.prepare(
                    "SELECT id, term, node, title, started_at, ended_at, bytes, seconds FROM recordings WHERE session = ?1 ORDER BY started_at DESC, rowid DESC",
                )?;
                let rows = query.query_map([id], row)?;
                rows.collect()
            })
            .await?)
    }

    /// The recordings class `class` keeps (its instructor's demo), newest first.
    pub async fn list_class(&self, class: &str) -> Result<Vec<RecordingInfo>, RecordingError> {
        let id = class.to_string();
        Ok(self
            .store
            .call(move |db| {
                let mut query = db.prepare(
                    "SELECT id, term, node, title, started_at, ended_at, bytes, seconds FROM recordings WHERE class = ?1 ORDER BY started_at DESC, rowid DESC",
                )?;
                let rows = query.query_map([id], row)?;
                rows.collect()
            })
            .await?)
    }

    /// Recording `id` of `session`, ended, and its file.
    pub async fn open(
        &self,
        session: &Session,
        id: &str,
    ) -> Result<(RecordingInfo, tokio::fs::File), RecordingError> {
        self.open_where("session", &session.id, id).await
    }

    /// Recording `id` that class `class` keeps, ended, and its file.
    pub async fn open_class(
        &self,
        class: &str,
        id: &str,
    ) -> Result<(RecordingInfo, tokio::fs::File), RecordingError> {
        self.open_where("class", class, id).await
    }

    /// Recording `id` whose `column` (`session` or `class`) is `owner`.
    async fn open_where(
        &self,
        column: &'static str,
        owner: &str,
        id: &str,
    ) -> Result<(RecordingInfo, tokio::fs::File), RecordingError> {
        let (owner, wanted) = (owner.to_string(), id.to_string());
        let info = self
            .store
            .call(move |db| {
                db.query_row(
                    &format!("SELECT id, term, node, title, started_at, ended_at, bytes, seconds FROM recordings WHERE {column} = ?1 AND id = ?2"),
                    params![owner, wanted],
                    row,
                )
                .optional()
            })
            .await?
            .ok_or(RecordingError::NotFound)?;
        if info.ended_at.is_none() {
            return Err(RecordingError::StillRecording);
        }
        let file = tokio::fs::File::open(self.path(&info.id))
            .await
            .map_err(|err| match err.kind() {
                std::io::ErrorKind::NotFound => RecordingError::NotFound,
                _ => RecordingError::Disk(err),
            })?;
        Ok((info, file))
    }

    /// Removes recording `id`, row and file.
    async fn forget(&self, id: &str) {
        let _ = tokio::fs::remove_file(self.path(id)).await;
        let id = id.to_string();
        let _ = self
            .store
            .call(move |db| db.execute("DELETE FROM recordings WHERE id = ?1", [id]))
            .await;
    }

    /// Closes recordings a stopped server left open (their last, partial line dropped), and
    /// removes those of ended sessions that no class keeps, and files no row names. Runs at
    /// start-up, before any terminal records, and then from time to time.
    pub async fn sweep(&self, at_start: bool) -> Result<(), RecordingError> {
        let dir = self.dir.clone();
        let (open, gone): (Vec<String>, Vec<String>) = self
            .store
            .call(move |db| {
                let ids = |db: &rusqlite::Connection, sql: &str| -> rusqlite::Result<Vec<String>> {
                    let mut query = db.prepare(sql)?;
                    let rows = query.query_map([], |r| r.get(0))?;
                    rows.collect()
                };
                let open = if at_start {
                    ids(db, "SELECT id FROM recordings WHERE ended_at IS NULL")?
                } else {
                    Vec::new()
                };
                let gone = ids(
                    db,
                    "SELECT id FROM recordings WHERE session IS NULL AND class IS NULL",
                )?;
                db.execute(
                    "DELETE FROM recordings WHERE session IS NULL AND class IS NULL",
                    [],
                )?;
                Ok((open, gone))
            })
            .await?;
        for id in gone {
            let _ = tokio::fs::remove_file(self.path(&id)).await;
        }
        for id in open {
            let path = self.path(&id);
            let bytes = tokio::task::spawn_blocking(move || close_cut(&path))
                .await
                .map_err(|err| RecordingError::Disk(std::io::Error::other(err)))?
                .unwrap_or(0);
            self.store
                .call(move |db| {
                    db.execute(
                        "UPDATE recordings SET ended_at = ?2, bytes = ?3 WHERE id = ?1",
                        params![id, unix_now(), bytes],
                    )
                })
                .await?;
        }
        // Files whose row is gone (removed above, or by hand).
        let known: std::collections::HashSet<String> = self
            .store
            .call(|db| {
                let mut query = db.prepare("SELECT id FROM recordings")?;
                let rows = query.query_map([], |r| r.get(0))?;
                rows.collect()
            })
            .await?;
        if let Ok(mut entries) = tokio::fs::read_dir(&dir).await {
            while let Ok(Some(entry)) = entries.next_entry().await {
                let name = entry.file_name().to_string_lossy().to_string();
                if let Some(id) = name.strip_suffix(".cast") {
                    if !known.contains(id) {
                        let _ = tokio::fs::remove_file(entry.path()).await;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Sweeps every minute: the recordings of sessions that ended go.
pub fn spawn_sweeper(recordings: Arc<Recordings>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(err) = recordings.sweep(false).await {
                tracing::warn!(error = %err, "could not sweep recordings");
            }
        }
    })
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordingInfo> {
    Ok(RecordingInfo {
        id: r.get(0)?,
        term: r.get(1)?,
        node: r.get(2)?,
        title: r.get(3)?,
        started_at: r.get(4)?,
        ended_at: r.get(5)?,
        bytes: r.get(6)?,
        seconds: r.get(7)?,
    })
}

/// 16 lowercase hex characters from 64 random bits.
fn new_id() -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Creates the recording file `path` (mode 0600) in `dir` (mode 0700), made if needed.
async fn create(dir: &Path, path: &Path) -> std::io::Result<tokio::fs::File> {
    use std::os::unix::fs::PermissionsExt;
    tokio::fs::create_dir_all(dir).await?;
    tokio::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).await?;
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true).mode(0o600);
    options.open(path).await
}

/// Cuts a recording a killed server left after its last whole line; its new size.
fn close_cut(path: &Path) -> std::io::Result<u64> {
    let data = std::fs::read(path)?;
    let keep = data
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |last| last + 1);
    let file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.set_len(keep as u64)?;
    Ok(keep as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_cut_by_a_killed_server_keeps_its_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.cast");
        let header = asciicast::Encoder::header(80, 24, 1, None);
        std::fs::write(
            &path,
            format!("{header}[0.5,\"o\",\"whole\"]\n[0.9,\"o\",\"hal"),
        )
        .unwrap();
        let size = close_cut(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(size, text.len() as u64);
        let cast = asciicast::parse(&text).unwrap();
        assert_eq!(cast.output(), "whole");
    }
}
