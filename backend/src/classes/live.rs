//! The live side of a class: the instructor peeks at a seat's terminals (and helps in one,
//! with the student's yes), runs a demo playground of the class (its recordings stay with
//! the class) and broadcasts one of its terminals to every seat. Seats are named by an
//! opaque id (`seat_id`: 12 hex of the sha256 of their session's id), never by their
//! session's id. Every help session is logged in the store (`help_log`). What is on air
//! lives in memory: a restart takes the broadcast off until the instructor puts it on again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use quai_protocol::{BroadcastState, HelpRecord, HelpState, PeekSeat, TerminalInfo};
use rusqlite::params;
use tokio::sync::watch;

use super::{db, seat_of, Class};
use crate::instructors::Instructor;
use crate::playground::{Playgrounds, Purpose, StartError, Started};
use crate::session::admission::Admission;
use crate::session::viewers::HelpChange;
use crate::session::{unix_now, Session, Sessions};
use crate::store::{Store, StoreError};

/// A terminal on air: whose, which, and who shows it.
#[derive(Clone)]
pub struct OnAir {
    pub session: Arc<Session>,
    pub term: u16,
    pub by: String,
}

/// Why a live operation could not be done.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("There is no such seat in this class.")]
    NoSeat,
    #[error("Start your demo playground first.")]
    NoDemo,
    #[error("This class is over.")]
    Over,
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub use super::roster::seat_id;

pub struct Live {
    store: Store,
    sessions: Arc<Sessions>,
    playgrounds: Arc<Playgrounds>,
    /// By class id.
    on_air: Mutex<HashMap<String, watch::Sender<Option<OnAir>>>>,
}

impl Live {
    pub fn new(store: Store, sessions: Arc<Sessions>, playgrounds: Arc<Playgrounds>) -> Live {
        Live {
            store,
            sessions,
            playgrounds,
            on_air: Mutex::new(HashMap::new()),
        }
    }

    /// The live session of seat `seat` of `class`, with its student's name.
    pub async fn seat(
        &self,
        class: &Class,
        seat: &str,
    ) -> Result<(Arc<Session>, String), LiveError> {
        let id = class.id.clone();
        let seats = self.store.call(move |db| db::seats(db, &id)).await?;
        seats
            .into_iter()
            .filter(|s| seat_id(&s.session) == seat)
            .find_map(|s| Some((self.sessions.find(&s.session)?, s.name?)))
            .ok_or(LiveError::NoSeat)
    }

    /// Every taken seat of `class` with a live session, and its terminals.
    pub async fn seats(&self, class: &Class) -> Result<Vec<PeekSeat>, LiveError> {
        let id = class.id.clone();
        let seats = self.store.call(move |db| db::seats(db, &id)).await?;
        let mut out = Vec::new();
        for seat in seats {
            let (Some(name), Some(session)) = (seat.name, self.sessions.find(&seat.session)) else {
                continue;
            };
            let terminals: Vec<TerminalInfo> = session.info().await.terminals;
            out.push(PeekSeat {
                seat: seat_id(&seat.session),
                name,
                terminals,
            });
        }
        Ok(out)
    }

    /// The class whose seat is session `session`, if it is one.
    pub async fn class_of_seat(&self, session: &str) -> Result<Option<Class>, StoreError> {
        let session = session.to_string();
        self.store
            .call(move |db| {
                let class: Option<String> = db
                    .query_row(
                        "SELECT class FROM seats WHERE session = ?1",
                        params![session],
                        |r| r.get(0),
                    )
                    .ok();
                match class {
                    Some(id) => db::by_id(db, &id),
                    None => Ok(None),
                }
            })
            .await
    }

    /// The instructor's demo playground of `class`: the live one, or a new one prepared
    /// like a seat (the class's lesson, profile and nodes). `Ok((session, None))` when it
    /// ran already (its token stays with the browser that started it).
    pub async fn demo(&self, class: &Class) -> Result<(Arc<Session>, Option<String>), LiveError> {
        if class.is_over(unix_now()) {
            return Err(LiveError::Over);
        }
        if let Some(session) = self.live_demo(class).await? {
            return Ok((session, None));
        }
        let Started { session, token, .. } = self
            .playgrounds
            .start(Purpose::Seat(seat_of(class)), Admission::Exempt)
            .await?;
        let (id, class_id, now) = (session.id.clone(), class.id.clone(), unix_now());
        self.store
            .call(move |db| {
                db.execute(
                    "INSERT INTO class_demos (session, class, created_at) VALUES (?1, ?2, ?3)",
                    params![id, class_id, now],
                )
            })
            .await?;
        Ok((session, Some(token)))
    }

    /// The live demo playground of `class`, if any.
    async fn live_demo(&self, class: &Class) -> Result<Option<Arc<Session>>, StoreError> {
        let id = class.id.clone();
        let demos: Vec<String> = self
            .store
            .call(move |db| {
                let mut query = db.prepare(
                    "SELECT session FROM class_demos WHERE class = ?1 ORDER BY created_at DESC",
                )?;
                let rows = query.query_map(params![id], |r| r.get(0))?;
                rows.collect()
            })
            .await?;
        Ok(demos.iter().find_map(|d| self.sessions.find(d)))
    }

    fn channel(&self, class: &str) -> watch::Sender<Option<OnAir>> {
        self.on_air
            .lock()
            .expect("broadcasts lock")
            .entry(class.to_string())
            .or_insert_with(|| watch::channel(None).0)
            .clone()
    }

    /// Puts terminal `term` of the class's demo on air (`on`), or takes it off.
    pub async fn set_broadcast(
        &self,
        class: &Class,
        instructor: &Instructor,
        on: bool,
        term: u16,
    ) -> Result<BroadcastState, LiveError> {
        let channel = self.channel(&class.id);
        if on {
            let session = self.live_demo(class).await?.ok_or(LiveError::NoDemo)?;
            channel.send_replace(Some(OnAir {
                session,
                term,
                by: instructor.name.clone(),
            }));
        } else {
            channel.send_replace(None);
        }
        self.broadcast(class).await
    }

    /// Where the class's broadcast stands.
    pub async fn broadcast(&self, class: &Class) -> Result<BroadcastState, LiveError> {
        let demo = self.live_demo(class).await?;
        let on_air = self.channel(&class.id).borrow().clone();
        // A demo that ended took its broadcast with it.
        let on_air = on_air.filter(|air| !air.session.is_ended());
        let audience = demo.as_ref().map(|d| d.viewers().watching().1).unwrap_or(0);
        Ok(BroadcastState {
            help_up_front: self.help_up_front(class).await?,
            live: on_air.is_some(),
            demo: demo.map(|d| d.id.clone()),
            term: on_air.map(|a| a.term),
            audience,
        })
    }

    /// What class `class` has on air, and its changes.
    pub fn on_air(&self, class: &str) -> watch::Receiver<Option<OnAir>> {
        self.channel(class).subscribe()
    }

    /// Takes class `class` off air (it ended).
    pub fn off_air(&self, class: &str) {
        if let Some(channel) = self.on_air.lock().expect("broadcasts lock").remove(class) {
            channel.send_replace(None);
        }
    }

    /// Ends the live side of a class that ended: off air, and its demo playground removed.
    pub async fn close(&self, class: &Class) -> Result<(), StoreError> {
        self.off_air(&class.id);
        if let Some(demo) = self.live_demo(class).await? {
            if let Err(err) = self
                .sessions
                .end(&demo.id, quai_protocol::EndReason::Ended)
                .await
            {
                tracing::warn!(session = %demo.id, error = %err, "could not remove a class's demo");
            }
        }
        Ok(())
    }

    /// Whether the class lets its instructor type in a student's terminal without asking.
    pub async fn help_up_front(&self, class: &Class) -> Result<bool, StoreError> {
        let id = class.id.clone();
        self.store
            .call(move |db| {
                db.query_row(
                    "SELECT help_up_front FROM classes WHERE id = ?1",
                    params![id],
                    |r| r.get::<_, bool>(0),
                )
            })
            .await
    }

    /// Lets the instructor type without asking (`true`), or not.
    pub async fn set_help_up_front(&self, class: &Class, up_front: bool) -> Result<(), StoreError> {
        let id = class.id.clone();
        self.store
            .call(move |db| {
                db.execute(
                    "UPDATE classes SET help_up_front = ?2 WHERE id = ?1",
                    params![id, up_front],
                )
            })
            .await
            .map(drop)
    }

    /// Keeps a help change of `instructor` in `student`'s seat of `class`.
    pub async fn log_help(
        &self,
        class: &str,
        seat: &str,
        student: &str,
        instructor: &str,
        change: &HelpChange,
    ) -> Result<(), StoreError> {
        let (class, seat, student, instructor) = (
            class.to_string(),
            seat.to_string(),
            student.to_string(),
            instructor.to_string(),
        );
        let (term, state, now) = (change.term, change.state, unix_now());
        self.store
            .call(move |db| {
                // The latest help of this instructor in this seat that is not over.
                let open: Option<i64> = db
                    .query_row(
                        "SELECT id FROM help_log WHERE class = ?1 AND seat = ?2 AND instructor = ?3 AND ended_at IS NULL ORDER BY id DESC LIMIT 1",
                        params![class, seat, instructor],
                        |r| r.get(0),
                    )
                    .ok();
                match (state, open) {
                    (HelpState::Asked, _) => db.execute(
                        "INSERT INTO help_log (class, seat, student, instructor, term, asked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![class, seat, student, instructor, term, now],
                    ),
                    (HelpState::Granted, Some(id)) => db.execute(
                        "UPDATE help_log SET granted_at = ?2, outcome = 'granted' WHERE id = ?1",
                        params![id, now],
                    ),
                    // Granted up front: asked and granted at once.
                    (HelpState::Granted, None) => db.execute(
                        "INSERT INTO help_log (class, seat, student, instructor, term, asked_at, granted_at, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 'granted')",
                        params![class, seat, student, instructor, term, now],
                    ),
                    (HelpState::Refused, Some(id)) => db.execute(
                        "UPDATE help_log SET ended_at = ?2, outcome = 'refused' WHERE id = ?1",
                        params![id, now],
                    ),
                    (HelpState::Ended, Some(id)) => db.execute(
                        "UPDATE help_log SET ended_at = ?2, outcome = 'ended' WHERE id = ?1",
                        params![id, now],
                    ),
                    (HelpState::Refused | HelpState::Ended, None) => Ok(0),
                }
            })
            .await
            .map(drop)
    }

    /// Every help session of `class`, newest first.
    pub async fn help_log(&self, class: &Class) -> Result<Vec<HelpRecord>, StoreError> {
        let id = class.id.clone();
        self.store
            .call(move |db| {
                let mut query = db.prepare(
                    "SELECT student, instructor, term, asked_at, granted_at, ended_at, outcome FROM help_log WHERE class = ?1 ORDER BY id DESC",
                )?;
                let rows = query.query_map(params![id], |r| {
                    Ok(HelpRecord {
                        student: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                        instructor: r.get(1)?,
                        term: r.get(2)?,
                        asked_at: r.get(3)?,
                        granted_at: r.get(4)?,
                        ended_at: r.get(5)?,
                        outcome: r.get(6)?,
                    })
                })?;
                rows.collect()
            })
            .await
    }
}
