//! Classes in the store: the `classes`, `class_codes` and `seats` tables (and, for the
//! roster, the checks run in a seat's session and its student's passed steps), read and written
//! inside `Store::call`. The server reads them on every request and tick (nothing is cached),
//! so a class created from the command line while the server runs is seen at once.

use quai_protocol::Profile;
use rusqlite::{params, Connection, OptionalExtension, Row};

/// A class as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    pub id: String,
    pub instance: String,
    pub instructor: i64,
    pub title: String,
    pub lesson: Option<String>,
    pub profile: Profile,
    pub nodes: u8,
    pub seats: u32,
    pub code: String,
    pub token_hash: [u8; 32],
    pub starts_at: u64,
    pub ends_at: u64,
    pub created_at: u64,
    pub ended_at: Option<u64>,
}

impl Class {
    /// Over: ended by hand or past its end.
    pub fn is_over(&self, now: u64) -> bool {
        self.ended_at.is_some() || now >= self.ends_at
    }
}

/// A seat: its session, and the student's name once one joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    pub session: String,
    pub name: Option<String>,
    pub joined_at: Option<u64>,
    /// When the student raised their hand, while it is up.
    pub hand_at: Option<u64>,
}

/// A check run in a seat's session, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRow {
    /// The hashed student cookie that ran it.
    pub student: String,
    pub step: u16,
    pub passed: bool,
    pub at: u64,
    /// What a failed check printed.
    pub output: Option<String>,
}

const COLUMNS: &str = "id, instance, instructor, title, lesson, profile, nodes, seats, code,
    token_hash, starts_at, ends_at, created_at, ended_at";

fn class_of(row: &Row<'_>) -> rusqlite::Result<Class> {
    let hash: Vec<u8> = row.get(9)?;
    let mut token_hash = [0u8; 32];
    if hash.len() == 32 {
        token_hash.copy_from_slice(&hash);
    }
    let profile: String = row.get(5)?;
    Ok(Class {
        id: row.get(0)?,
        instance: row.get(1)?,
        instructor: row.get(2)?,
        title: row.get(3)?,
        lesson: row.get(4)?,
        profile: if profile == "shell" {
            Profile::Shell
        } else {
            Profile::Docker
        },
        nodes: row.get(6)?,
        seats: row.get(7)?,
        code: row.get(8)?,
        token_hash,
        starts_at: row.get::<_, i64>(10)? as u64,
        ends_at: row.get::<_, i64>(11)? as u64,
        created_at: row.get::<_, i64>(12)? as u64,
        ended_at: row.get::<_, Option<i64>>(13)?.map(|t| t as u64),
    })
}

/// Writes a new class and its single-use codes.
pub fn insert(db: &mut Connection, class: &Class, codes: &[String]) -> rusqlite::Result<()> {
    let tx = db.transaction()?;
    tx.execute(
        &format!("INSERT INTO classes ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"),
        params![
            class.id,
            class.instance,
            class.instructor,
            class.title,
            class.lesson,
            class.profile.as_str(),
            class.nodes,
            class.seats,
            class.code,
            class.token_hash.to_vec(),
            class.starts_at as i64,
            class.ends_at as i64,
            class.created_at as i64,
            class.ended_at.map(|t| t as i64),
        ],
    )?;
    for code in codes {
        tx.execute(
            "INSERT INTO class_codes (code, class) VALUES (?1, ?2)",
            params![code, class.id],
        )?;
    }
    tx.commit()
}

/// Whether `code` is the join code of a class not over at `now`, or a single-use code.
pub fn code_in_use(db: &Connection, code: &str, now: u64) -> rusqlite::Result<bool> {
    let classes: i64 = db.query_row(
        "SELECT count(*) FROM classes WHERE code = ?1 AND ended_at IS NULL AND ends_at > ?2",
        params![code, now as i64],
        |r| r.get(0),
    )?;
    let single: i64 = db.query_row(
        "SELECT count(*) FROM class_codes WHERE code = ?1",
        params![code],
        |r| r.get(0),
    )?;
    Ok(classes + single > 0)
}

/// The class `id`.
pub fn by_id(db: &Connection, id: &str) -> rusqlite::Result<Option<Class>> {
    db.query_row(
        &format!("SELECT {COLUMNS} FROM classes WHERE id = ?1"),
        params![id],
        class_of,
    )
    .optional()
}

/// The class a student's code opens, and whether the code is a single-use one. A class's
/// shared code opens nothing when it has single-use codes. The newest class wins a code
/// shared with one that is over.
pub fn by_code(db: &Connection, code: &str) -> rusqlite::Result<Option<(Class, bool)>> {
    let shared = db
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM classes WHERE code = ?1
                 AND NOT EXISTS (SELECT 1 FROM class_codes WHERE class_codes.class = classes.id)
                 ORDER BY created_at DESC LIMIT 1"
            ),
            params![code],
            class_of,
        )
        .optional()?;
    if let Some(class) = shared {
        return Ok(Some((class, false)));
    }
    let class: Option<String> = db
        .query_row(
            "SELECT class FROM class_codes WHERE code = ?1 AND used_at IS NULL",
            params![code],
            |r| r.get(0),
        )
        .optional()?;
    match class {
        Some(id) => Ok(by_id(db, &id)?.map(|c| (c, true))),
        None => Ok(None),
    }
}

/// Uses up single-use code `code`; false when it was already used.
pub fn use_code(db: &Connection, code: &str, now: u64) -> rusqlite::Result<bool> {
    Ok(db.execute(
        "UPDATE class_codes SET used_at = ?2 WHERE code = ?1 AND used_at IS NULL",
        params![code, now as i64],
    )? == 1)
}

/// The single-use codes of class `id` not used yet.
pub fn unused_codes(db: &Connection, id: &str) -> rusqlite::Result<Vec<String>> {
    let mut query = db.prepare(
        "SELECT code FROM class_codes WHERE class = ?1 AND used_at IS NULL ORDER BY code",
    )?;
    let codes = query.query_map(params![id], |r| r.get(0))?;
    codes.collect()
}

/// The classes of instructor `instructor`, newest first.
pub fn of_instructor(db: &Connection, instructor: i64) -> rusqlite::Result<Vec<Class>> {
    let mut query = db.prepare(&format!(
        "SELECT {COLUMNS} FROM classes WHERE instructor = ?1 ORDER BY starts_at DESC, created_at DESC"
    ))?;
    let classes = query.query_map(params![instructor], class_of)?;
    classes.collect()
}

/// The classes of `instance` not ended yet whose seats are prepared by `until` (their start
/// minus the preparation time is past), past-end ones included so they get ended.
pub fn to_tend(db: &Connection, instance: &str, until: u64) -> rusqlite::Result<Vec<Class>> {
    let mut query = db.prepare(&format!(
        "SELECT {COLUMNS} FROM classes WHERE instance = ?1 AND ended_at IS NULL AND starts_at <= ?2"
    ))?;
    let classes = query.query_map(params![instance, until as i64], class_of)?;
    classes.collect()
}

/// Marks class `id` ended (at `now`, or `ends_at` moved to now when ended early).
pub fn mark_ended(db: &Connection, id: &str, now: u64) -> rusqlite::Result<()> {
    db.execute(
        "UPDATE classes SET ended_at = ?2, ends_at = min(ends_at, ?2) WHERE id = ?1 AND ended_at IS NULL",
        params![id, now as i64],
    )?;
    Ok(())
}

/// Every seat of class `id`, in the order they were made.
pub fn seats(db: &Connection, id: &str) -> rusqlite::Result<Vec<Seat>> {
    let mut query = db.prepare(
        "SELECT session, name, joined_at, hand_at FROM seats WHERE class = ?1 ORDER BY rowid",
    )?;
    let seats = query.query_map(params![id], |r| {
        Ok(Seat {
            session: r.get(0)?,
            name: r.get(1)?,
            joined_at: r.get::<_, Option<i64>>(2)?.map(|t| t as u64),
            hand_at: r.get::<_, Option<i64>>(3)?.map(|t| t as u64),
        })
    })?;
    seats.collect()
}

/// The class of the joined seat whose session is `session`, if any.
pub fn class_of_seat(db: &Connection, session: &str) -> rusqlite::Result<Option<Class>> {
    let class: Option<String> = db
        .query_row(
            "SELECT class FROM seats WHERE session = ?1 AND name IS NOT NULL",
            params![session],
            |r| r.get(0),
        )
        .optional()?;
    match class {
        Some(id) => by_id(db, &id),
        None => Ok(None),
    }
}

/// Raises (at `at`, unless it is up already) or lowers (`None`) the hand of joined seat
/// `session`.
pub fn set_hand(db: &Connection, session: &str, at: Option<u64>) -> rusqlite::Result<bool> {
    Ok(db.execute(
        "UPDATE seats SET hand_at = CASE WHEN ?2 IS NULL THEN NULL ELSE coalesce(hand_at, ?2) END
         WHERE session = ?1 AND name IS NOT NULL",
        params![session, at.map(|t| t as i64)],
    )? == 1)
}

/// Moves the end of class `id` to `ends_at`.
pub fn set_end(db: &Connection, id: &str, ends_at: u64) -> rusqlite::Result<()> {
    db.execute(
        "UPDATE classes SET ends_at = ?2 WHERE id = ?1 AND ended_at IS NULL",
        params![id, ends_at as i64],
    )?;
    Ok(())
}

/// The checks of lesson `lesson` run in session `session`, oldest first.
pub fn checks_in(db: &Connection, session: &str, lesson: &str) -> rusqlite::Result<Vec<CheckRow>> {
    let mut query = db.prepare_cached(
        "SELECT student, step, passed, at, output FROM checks
         WHERE session = ?1 AND lesson = ?2 ORDER BY at, rowid",
    )?;
    let rows = query.query_map(params![session, lesson], |r| {
        Ok(CheckRow {
            student: r.get(0)?,
            step: r.get(1)?,
            passed: r.get(2)?,
            at: r.get::<_, i64>(3)? as u64,
            output: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// The steps of `lesson` student `student` (a hashed cookie) passed, with when.
pub fn passed_steps(
    db: &Connection,
    student: &str,
    lesson: &str,
) -> rusqlite::Result<Vec<(u16, u64)>> {
    let mut query = db.prepare_cached(
        "SELECT step, passed_at FROM passed WHERE student = ?1 AND lesson = ?2 ORDER BY step",
    )?;
    let rows = query.query_map(params![student, lesson], |r| {
        Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
    })?;
    rows.collect()
}

/// Every unclaimed seat's session of every class of `instance` not ended.
pub fn ready_sessions(db: &Connection, instance: &str) -> rusqlite::Result<Vec<String>> {
    let mut query = db.prepare(
        "SELECT s.session FROM seats s JOIN classes c ON c.id = s.class
         WHERE c.instance = ?1 AND c.ended_at IS NULL AND s.name IS NULL",
    )?;
    let ids = query.query_map(params![instance], |r| r.get(0))?;
    ids.collect()
}

/// Adds a seat: ready (no name) or joined.
pub fn add_seat(
    db: &Connection,
    class: &str,
    session: &str,
    name: Option<&str>,
    now: u64,
) -> rusqlite::Result<()> {
    db.execute(
        "INSERT INTO seats (session, class, name, joined_at) VALUES (?1, ?2, ?3, ?4)",
        params![session, class, name, name.map(|_| now as i64)],
    )?;
    Ok(())
}

/// Gives ready seat `session` to the student `name`; false when it was not ready.
pub fn claim_seat(db: &Connection, session: &str, name: &str, now: u64) -> rusqlite::Result<bool> {
    Ok(db.execute(
        "UPDATE seats SET name = ?2, joined_at = ?3 WHERE session = ?1 AND name IS NULL",
        params![session, name, now as i64],
    )? == 1)
}

/// Forgets a ready seat (its session is gone, or it was one too many).
pub fn drop_seat(db: &Connection, session: &str) -> rusqlite::Result<()> {
    db.execute(
        "DELETE FROM seats WHERE session = ?1 AND name IS NULL",
        params![session],
    )?;
    Ok(())
}
