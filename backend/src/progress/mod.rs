//! Students' progress through lessons, kept in SQLite: anonymous students (known by the hash
//! of a random cookie), their optional display names, every check they ran and the steps they
//! passed. Queries are small and quick, so they run under a plain mutex.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

/// Longest display name, in characters.
pub const MAX_NAME: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum ProgressError {
    #[error("cannot open the progress database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("the progress database failed: {0}")]
    Query(#[from] rusqlite::Error),
}

/// A student as the database knows them: the hash of their cookie.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StudentId(String);

impl StudentId {
    /// The id of the student holding `cookie`.
    pub fn from_cookie(cookie: &str) -> StudentId {
        StudentId(hex::encode(Sha256::digest(cookie.as_bytes())))
    }
}

pub struct Progress {
    db: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS students (
    id TEXT PRIMARY KEY,
    name TEXT,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS passed (
    student TEXT NOT NULL,
    lesson TEXT NOT NULL,
    step INTEGER NOT NULL,
    passed_at INTEGER NOT NULL,
    PRIMARY KEY (student, lesson, step)
);
CREATE TABLE IF NOT EXISTS checks (
    student TEXT NOT NULL,
    lesson TEXT NOT NULL,
    step INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    at INTEGER NOT NULL
);
";

impl Progress {
    /// Opens (or creates) the database at `path`, creating its folder if needed.
    pub fn open(path: &Path) -> Result<Progress, ProgressError> {
        let fail = |source| ProgressError::Open {
            path: path.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(parent);
        }
        let db = Connection::open(path).map_err(fail)?;
        db.pragma_update(None, "journal_mode", "WAL")
            .map_err(fail)?;
        db.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(fail)?;
        db.execute_batch(SCHEMA).map_err(fail)?;
        Ok(Progress { db: Mutex::new(db) })
    }

    /// A database that lives as long as this value (tests).
    pub fn in_memory() -> Progress {
        let db = Connection::open_in_memory().expect("an in-memory database opens");
        db.execute_batch(SCHEMA).expect("the schema applies");
        Progress { db: Mutex::new(db) }
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, ProgressError> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        Ok(f(&db)?)
    }

    fn ensure(db: &Connection, student: &StudentId) -> rusqlite::Result<()> {
        db.execute(
            "INSERT OR IGNORE INTO students (id, created_at) VALUES (?1, ?2)",
            params![student.0, crate::session::unix_now() as i64],
        )?;
        Ok(())
    }

    pub fn name(&self, student: &StudentId) -> Result<Option<String>, ProgressError> {
        self.with(|db| {
            db.query_row(
                "SELECT name FROM students WHERE id = ?1",
                params![student.0],
                |row| row.get::<_, Option<String>>(0),
            )
            .optional()
            .map(Option::flatten)
        })
    }

    /// Sets (or, with `None`, clears) the display name; the caller has checked its length.
    pub fn set_name(&self, student: &StudentId, name: Option<&str>) -> Result<(), ProgressError> {
        self.with(|db| {
            Self::ensure(db, student)?;
            db.execute(
                "UPDATE students SET name = ?2 WHERE id = ?1",
                params![student.0, name],
            )?;
            Ok(())
        })
    }

    /// Steps of `lesson` the student passed, in order.
    pub fn passed(&self, student: &StudentId, lesson: &str) -> Result<Vec<u16>, ProgressError> {
        self.with(|db| {
            let mut query = db.prepare_cached(
                "SELECT step FROM passed WHERE student = ?1 AND lesson = ?2 ORDER BY step",
            )?;
            let steps = query
                .query_map(params![student.0, lesson], |row| row.get::<_, u16>(0))?
                .collect::<rusqlite::Result<Vec<u16>>>()?;
            Ok(steps)
        })
    }

    /// Records a check; a pass is remembered for good.
    pub fn record(
        &self,
        student: &StudentId,
        lesson: &str,
        step: u16,
        passed: bool,
    ) -> Result<(), ProgressError> {
        let now = crate::session::unix_now() as i64;
        self.with(|db| {
            Self::ensure(db, student)?;
            db.execute(
                "INSERT INTO checks (student, lesson, step, passed, at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![student.0, lesson, step, passed, now],
            )?;
            if passed {
                db.execute(
                    "INSERT OR IGNORE INTO passed (student, lesson, step, passed_at) VALUES (?1, ?2, ?3, ?4)",
                    params![student.0, lesson, step, now],
                )?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_are_kept_per_student_and_lesson() {
        let progress = Progress::in_memory();
        let ada = StudentId::from_cookie("ada");
        let bob = StudentId::from_cookie("bob");
        progress.record(&ada, "first", 1, false).unwrap();
        assert!(progress.passed(&ada, "first").unwrap().is_empty());
        progress.record(&ada, "first", 2, true).unwrap();
        progress.record(&ada, "first", 1, true).unwrap();
        progress.record(&ada, "first", 1, true).unwrap();
        progress.record(&ada, "first", 1, false).unwrap();
        assert_eq!(progress.passed(&ada, "first").unwrap(), vec![1, 2]);
        assert!(progress.passed(&ada, "other").unwrap().is_empty());
        assert!(progress.passed(&bob, "first").unwrap().is_empty());
    }

    #[test]
    fn names_are_optional_and_survive_a_reopen() {
        let path = std::env::temp_dir().join(format!("quai-progress-{}.db", std::process::id()));
        let ada = StudentId::from_cookie("ada");
        {
            let progress = Progress::open(&path).unwrap();
            assert_eq!(progress.name(&ada).unwrap(), None);
            progress.set_name(&ada, Some("Ada")).unwrap();
            progress.record(&ada, "first", 1, true).unwrap();
        }
        let progress = Progress::open(&path).unwrap();
        assert_eq!(progress.name(&ada).unwrap().as_deref(), Some("Ada"));
        assert_eq!(progress.passed(&ada, "first").unwrap(), vec![1]);
        progress.set_name(&ada, None).unwrap();
        assert_eq!(progress.name(&ada).unwrap(), None);
        drop(progress);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    #[test]
    fn the_cookie_itself_is_not_stored() {
        let id = StudentId::from_cookie("secret-cookie");
        assert!(!id.0.contains("secret"));
        assert_eq!(id.0.len(), 64);
    }
}
