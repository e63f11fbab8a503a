//! Students' progress through lessons, kept in SQLite: anonymous students (known by the hash
//! of a random cookie), their optional display names, every check they ran and the steps they
//! passed, each check with the session it ran in and, when it failed, the hint it printed
//! (a class's roster reads them per seat). The tables live in the server's store
//! (`crate::store`); queries run off the async threads.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::store::Store;

/// Longest display name, in characters.
pub const MAX_NAME: usize = 40;

pub use crate::store::StoreError as ProgressError;

/// Longest hint kept with a failed check, in bytes (the roster shows it).
pub const MAX_HINT: usize = 500;

/// One check as it is recorded.
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    pub step: u16,
    pub passed: bool,
    /// The session the check ran in.
    pub session: Option<&'a str>,
    /// What the check printed; kept (cut to `MAX_HINT`) when it failed.
    pub output: &'a str,
}

/// The start of `text`, at most `max` bytes, cut at a character boundary.
pub fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A student as the database knows them: the hash of their cookie.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StudentId(String);

impl StudentId {
    /// The hash as stored (the `student` column).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id of the student holding `cookie`.
    pub fn from_cookie(cookie: &str) -> StudentId {
        StudentId(hex::encode(Sha256::digest(cookie.as_bytes())))
    }
}

pub struct Progress {
    store: Store,
}

impl Progress {
    /// Progress kept in `store`.
    pub fn new(store: Store) -> Progress {
        Progress { store }
    }

    /// A database that lives as long as this value (tests).
    pub fn in_memory() -> Progress {
        Progress::new(Store::in_memory())
    }

    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, ProgressError> {
        self.store.call(move |db| f(db)).await
    }

    fn ensure(db: &Connection, student: &StudentId) -> rusqlite::Result<()> {
        db.execute(
            "INSERT OR IGNORE INTO students (id, created_at) VALUES (?1, ?2)",
            params![student.0, crate::session::unix_now() as i64],
        )?;
        Ok(())
    }

    pub async fn name(&self, student: &StudentId) -> Result<Option<String>, ProgressError> {
        let student = student.clone();
        self.with(move |db| {
            db.query_row(
                "SELECT name FROM students WHERE id = ?1",
                params![student.0],
                |row| row.get::<_, Option<String>>(0),
            )
            .optional()
            .map(Option::flatten)
        })
        .await
    }

    /// Sets (or, with `None`, clears) the display name; the caller has checked its length.
    pub async fn set_name(
        &self,
        student: &StudentId,
        name: Option<&str>,
    ) -> Result<(), ProgressError> {
        let (student, name) = (student.clone(), name.map(str::to_string));
        self.with(move |db| {
            Self::ensure(db, &student)?;
            db.execute(
                "UPDATE students SET name = ?2 WHERE id = ?1",
                params![student.0, name],
            )?;
            Ok(())
        })
        .await
    }

    /// Steps of `lesson` the student passed, in order.
    pub async fn passed(
        &self,
        student: &StudentId,
        lesson: &str,
    ) -> Result<Vec<u16>, ProgressError> {
        let (student, lesson) = (student.clone(), lesson.to_string());
        self.with(move |db| {
            let mut query = db.prepare_cached(
                "SELECT step FROM passed WHERE student = ?1 AND lesson = ?2 ORDER BY step",
            )?;
            let steps = query
                .query_map(params![student.0, lesson], |row| row.get::<_, u16>(0))?
                .collect::<rusqlite::Result<Vec<u16>>>()?;
            Ok(steps)
        })
        .await
    }

    /// Records a check; a pass is remembered for good.
    pub async fn record(
        &self,
        student: &StudentId,
        lesson: &str,
        check: Check<'_>,
    ) -> Result<(), ProgressError> {
        let now = crate::session::unix_now() as i64;
        let (student, lesson) = (student.clone(), lesson.to_string());
        let Check { step, passed, .. } = check;
        let session = check.session.map(str::to_string);
        let output = (!passed).then(|| cut(check.output.trim(), MAX_HINT).to_string());
        self.with(move |db| {
            Self::ensure(db, &student)?;
            db.execute(
                "INSERT INTO checks (student, lesson, step, passed, at, session, output) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![student.0, lesson, step, passed, now, session, output],
            )?;
            if passed {
                db.execute(
                    "INSERT OR IGNORE INTO passed (student, lesson, step, passed_at) VALUES (?1, ?2, ?3, ?4)",
                    params![student.0, lesson, step, now],
                )?;
            }
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(step: u16, passed: bool) -> Check<'static> {
        Check {
            step,
            passed,
            session: None,
            output: "",
        }
    }

    #[test]
    fn hints_are_cut_at_a_character_boundary() {
        assert_eq!(cut("abc", 5), "abc");
        assert_eq!(cut("ééé", 3), "é");
    }

    #[tokio::test]
    async fn passes_are_kept_per_student_and_lesson() {
        let progress = Progress::in_memory();
        let ada = StudentId::from_cookie("ada");
        let bob = StudentId::from_cookie("bob");
        progress
            .record(&ada, "first", check(1, false))
            .await
            .unwrap();
        assert!(progress.passed(&ada, "first").await.unwrap().is_empty());
        progress
            .record(&ada, "first", check(2, true))
            .await
            .unwrap();
        progress
            .record(&ada, "first", check(1, true))
            .await
            .unwrap();
        progress
            .record(&ada, "first", check(1, true))
            .await
            .unwrap();
        progress
            .record(&ada, "first", check(1, false))
            .await
            .unwrap();
        assert_eq!(progress.passed(&ada, "first").await.unwrap(), vec![1, 2]);
        assert!(progress.passed(&ada, "other").await.unwrap().is_empty());
        assert!(progress.passed(&bob, "first").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn names_are_optional_and_survive_a_reopen() {
        let path = std::env::temp_dir().join(format!("quai-progress-{}.db", std::process::id()));
        let ada = StudentId::from_cookie("ada");
        {
            let progress = Progress::new(crate::store::Store::open(&path).unwrap());
            assert_eq!(progress.name(&ada).await.unwrap(), None);
            progress.set_name(&ada, Some("Ada")).await.unwrap();
            progress
                .record(&ada, "first", check(1, true))
                .await
                .unwrap();
        }
        let progress = Progress::new(crate::store::Store::open(&path).unwrap());
        assert_eq!(progress.name(&ada).await.unwrap().as_deref(), Some("Ada"));
        assert_eq!(progress.passed(&ada, "first").await.unwrap(), vec![1]);
        progress.set_name(&ada, None).await.unwrap();
        assert_eq!(progress.name(&ada).await.unwrap(), None);
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
