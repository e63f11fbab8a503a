//! The server's SQLite store: one database file (`--database`) holding students' progress
//! (`crate::progress`), live sessions (`sessions`), instructors (`crate::instructors`) and
//! classes with their seats (`crate::classes`), brought up to date at open by the
//! numbered migrations of `migrations/` (`PRAGMA user_version` says how many ran). Work runs
//! off the async threads (`Store::call`), one statement batch at a time under a mutex.

pub mod sessions;

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

/// The migrations, in order; the database's `user_version` is how many of them it has had.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_progress.sql"),
    include_str!("migrations/0002_sessions.sql"),
    include_str!("migrations/0003_classes.sql"),
    include_str!("migrations/0004_recordings.sql"),
    include_str!("migrations/0005_roster.sql"),
    include_str!("migrations/0006_teaching.sql"),
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("cannot create the database {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("the database {path} was written by a newer Quai (schema {found}, this one knows {known}); upgrade Quai or point --database elsewhere")]
    Newer {
        path: String,
        found: usize,
        known: usize,
    },
    #[error("the database failed: {0}")]
    Query(#[from] rusqlite::Error),
    #[error("the database task stopped: {0}")]
    Task(String),
}

/// The database, shared by every part of the server that keeps something.
#[derive(Clone)]
pub struct Store {
    db: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens (or creates) the database at `path`, creating its folder if needed, and runs
    /// the migrations it has not had.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let shown = path.display().to_string();
        let fail = |source| StoreError::Open {
            path: shown.clone(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(parent);
        }
        // Readable by its owner only (SQLite gives its WAL and shared-memory files the same
        // mode): it holds students' names and progress.
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(path)
                .map_err(|source| StoreError::File {
                    path: shown.clone(),
                    source,
                })?;
            let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
        }
        let mut db = Connection::open(path).map_err(fail)?;
        db.pragma_update(None, "journal_mode", "WAL")
            .map_err(fail)?;
        db.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(fail)?;
        migrate(&mut db, &shown)?;
        Ok(Store {
            db: Arc::new(Mutex::new(db)),
        })
    }

    /// A database that lives as long as this value (tests).
    pub fn in_memory() -> Store {
        let mut db = Connection::open_in_memory().expect("an in-memory database opens");
        migrate(&mut db, ":memory:").expect("the migrations apply");
        Store {
            db: Arc::new(Mutex::new(db)),
        }
    }

    /// Runs `f` on the database on a blocking thread, so a slow disk never stalls the
    /// server's async threads.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut db = db.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut db)
        })
        .await
        .map_err(|err| StoreError::Task(err.to_string()))?
        .map_err(StoreError::from)
    }

    /// Runs `f` on the database on this thread (start-up, the command line).
    pub fn call_now<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        Ok(f(&mut db)?)
    }
}

/// Runs, in one transaction each, the migrations `db` has not had yet.
fn migrate(db: &mut Connection, path: &str) -> Result<(), StoreError> {
    db.pragma_update(None, "foreign_keys", "ON")?;
    let done: usize = db.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if done > MIGRATIONS.len() {
        return Err(StoreError::Newer {
            path: path.to_string(),
            found: done,
            known: MIGRATIONS.len(),
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        let tx = db.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
        tracing::info!(migration = index + 1, "database migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("quai-store-{name}-{}.db", std::process::id()))
    }

    fn remove(path: &Path) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    #[test]
    fn a_database_of_an_older_quai_is_brought_up_to_date_keeping_its_rows() {
        let path = temp("older");
        remove(&path);
        {
            // What Quai wrote before migrations were numbered: the progress tables only.
            let db = Connection::open(&path).unwrap();
            db.execute_batch(MIGRATIONS[0]).unwrap();
            db.execute(
                "INSERT INTO students (id, name, created_at) VALUES ('ada', 'Ada', 1)",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let (version, name, sessions): (usize, String, i64) = store
            .call_now(|db| {
                Ok((
                    db.query_row("PRAGMA user_version", [], |r| r.get(0))?,
                    db.query_row("SELECT name FROM students WHERE id = 'ada'", [], |r| {
                        r.get(0)
                    })?,
                    db.query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))?,
                ))
            })
            .unwrap();
        assert_eq!(version, MIGRATIONS.len());
        assert_eq!(name, "Ada");
        assert_eq!(sessions, 0);
        drop(store);
        // Opening again runs nothing twice.
        Store::open(&path).unwrap();
        remove(&path);
    }

    #[test]
    fn the_database_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let path = temp("mode");
        remove(&path);
        let store = Store::open(&path).unwrap();
        store
            .call_now(|db| db.execute("INSERT INTO students (id, created_at) VALUES ('a', 1)", []))
            .unwrap();
        for suffix in ["", "-wal"] {
            let mode = std::fs::metadata(format!("{}{suffix}", path.display()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{suffix}");
        }
        drop(store);
        remove(&path);
    }

    #[test]
    fn a_database_of_a_newer_quai_is_refused_with_a_sentence() {
        let path = temp("newer");
        remove(&path);
        {
            let db = Connection::open(&path).unwrap();
            db.pragma_update(None, "user_version", 99).unwrap();
        }
        let err = Store::open(&path).err().expect("refused");
        assert!(err.to_string().contains("newer Quai"), "{err}");
        remove(&path);
    }
}
