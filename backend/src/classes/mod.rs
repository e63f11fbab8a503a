//! Classes: an instructor's workshop with a number of seats, each a playground (a lesson, or
//! a blank one of a profile and nodes) that students join with a short code (`code`) and a
//! display name. `create` makes a class (from the instructor's page or `quai class create`);
//! `Classes` is the server's service: what an instructor sees of their classes (`list`,
//! `authorize`), the live roster (`roster`), the instructor's controls (`controls`: extend
//! the class, reset a seat, hands raised and lowered; `csv`: progress exported), joins
//! (`join`: a ready seat handed over, or one started, counted against the class's seats and
//! the server's capacity, not the per-client limits), and the seat keeper (`seats`), which keeps the seats of classes about to start prepared and ends
//! classes past their end. The store (`db`) is the one truth, read on every request and
//! tick, so classes created from the command line while the server runs are seen at once.

pub mod code;
pub mod controls;
pub mod csv;
pub mod db;
pub mod live;
pub mod roster;
pub mod seats;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use quai_protocol::{
    ClassInfo, ClassState, EndReason, NewClass, Profile, MAX_CLASS_TITLE, MAX_SEATS,
    MAX_STUDENT_NAME,
};

use crate::instructors::Instructor;
use crate::lessons::Lessons;
use crate::playground::{self, Playgrounds, Purpose, StartError};
use crate::session::admission::{Admission, ClientKey, Limiter};
use crate::session::{token, unix_now, Session, Sessions, MAX_NODES};
use crate::store::{Store, StoreError};
pub use db::Class;

/// How long a class lasts when its creator does not say.
pub const DEFAULT_MINUTES: u32 = 120;
/// The latest a class may start, and the longest it may last: a week.
pub const MAX_MINUTES: u32 = 7 * 24 * 60;
/// Wrong join codes one client may type a minute.
pub const WRONG_CODES_PER_MINUTE: u32 = 10;
/// Name of the cookie that brings a browser back to its seat of class `id`.
pub fn seat_cookie(id: &str) -> String {
    format!("{}seat_{id}", crate::edge::cookies::PREFIX)
}

/// Where Quai is reached, for the links it prints: the first `--public-url`, else the
/// address it listens on.
pub fn base_url(public_urls: &[String], listen: SocketAddr) -> String {
    match public_urls.first() {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => format!("http://{listen}"),
    }
}

/// The links of a class.
pub fn join_url(base: &str, code: &str) -> String {
    format!("{base}/join/{code}")
}
pub fn instructor_url(base: &str) -> String {
    format!("{base}/teach")
}
pub fn roster_url(base: &str, id: &str) -> String {
    format!("{base}/api/classes/{id}/roster")
}

/// Why a class was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("a class title is 1 to {MAX_CLASS_TITLE} characters, without control characters")]
    Title,
    #[error("a class has 1 to {MAX_SEATS} seats")]
    Seats,
    #[error("a seat has 1 to {MAX_NODES} nodes")]
    Nodes,
    #[error("there is no lesson {0:?}")]
    NoLesson(String),
    #[error("a class starts within a week and lasts 1 minute to a week")]
    Times,
    #[error("a class has at most as many single-use codes as seats")]
    Codes,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A class just made, with the secret of its roster API (shown once).
#[derive(Debug, Clone)]
pub struct Created {
    pub class: Class,
    pub token: String,
    pub codes: Vec<String>,
}

/// What a class's lesson makes each seat: its profile and nodes, when it exists.
pub type LessonShape<'a> = &'a (dyn Fn(&str) -> Option<(Profile, u8)> + Send + Sync);

/// Makes a class of `instructor` on server `instance` from `new` (the page's form or the
/// command line), checking it first; `lesson` tells what a lesson slug gives each seat.
pub async fn create(
    store: &Store,
    instance: &str,
    instructor: &Instructor,
    new: NewClass,
    lesson: LessonShape<'_>,
) -> Result<Created, CreateError> {
    let title = new.title.trim().to_string();
    if title.is_empty()
        || title.chars().count() > MAX_CLASS_TITLE
        || title.chars().any(char::is_control)
    {
        return Err(CreateError::Title);
    }
    if !(1..=MAX_SEATS).contains(&new.seats) {
        return Err(CreateError::Seats);
    }
    let slug = new
        .lesson
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let (profile, nodes) = match &slug {
        Some(slug) => lesson(slug).ok_or_else(|| CreateError::NoLesson(slug.clone()))?,
        None => (new.profile.unwrap_or_default(), new.nodes.unwrap_or(1)),
    };
    if !(1..=MAX_NODES).contains(&nodes) {
        return Err(CreateError::Nodes);
    }
    let starts_in = new.starts_in_minutes.unwrap_or(0);
    let minutes = new.duration_minutes.unwrap_or(DEFAULT_MINUTES);
    if starts_in > MAX_MINUTES || !(1..=MAX_MINUTES).contains(&minutes) {
        return Err(CreateError::Times);
    }
    let single = new.single_use_codes.unwrap_or(0);
    if single > new.seats {
        return Err(CreateError::Codes);
    }
    let now = unix_now();
    let starts_at = now + u64::from(starts_in) * 60;
    let secret = token::new_token();
    let mut class = Class {
        id: token::new_session_id(),
        instance: instance.to_string(),
        instructor: instructor.id,
        title,
        lesson: slug,
        profile,
        nodes,
        seats: new.seats,
        code: String::new(),
        token_hash: token::hash_token(&secret),
        starts_at,
        ends_at: starts_at + u64::from(minutes) * 60,
        created_at: now,
        ended_at: None,
    };
    let (class, codes) = store
        .call(move |db| {
            // Codes no class that is not over uses, nor any single-use code.
            let fresh = |taken: &[String]| -> rusqlite::Result<String> {
                loop {
                    let code = code::new_code();
                    if !taken.contains(&code) && !db::code_in_use(db, &code, now)? {
                        return Ok(code);
                    }
                }
            };
            let mut taken = Vec::new();
            class.code = fresh(&taken)?;
            taken.push(class.code.clone());
            for _ in 0..single {
                let code = fresh(&taken)?;
                taken.push(code);
            }
            let codes = taken.split_off(1);
            db::insert(db, &class, &codes)?;
            Ok((class, codes))
        })
        .await?;
    tracing::info!(class = %class.id, seats = class.seats, "class created");
    Ok(Created {
        class,
        token: secret,
        codes,
    })
}

/// Why a join did not give a seat.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("a name is 1 to {MAX_STUDENT_NAME} characters, without control characters")]
    Name,
    #[error("no class has this code; check it with your instructor")]
    WrongCode,
    #[error("too many wrong codes; try again in {0} seconds")]
    RateLimited(u64),
    #[error("this class opens in {}", crate::session::minutes(*.0))]
    NotStarted(u64),
    #[error("this class is over")]
    Ended,
    #[error("every seat of this class is taken")]
    Full,
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A seat given to a student: the session and its token (for the cookie and the answer).
pub struct Joined {
    pub class: String,
    pub session: Arc<Session>,
    pub token: String,
}

/// The name a student gave, trimmed, or why not.
pub fn student_name(name: &str) -> Result<String, JoinError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_STUDENT_NAME
        || name.chars().any(char::is_control)
    {
        return Err(JoinError::Name);
    }
    Ok(name.to_string())
}

/// Seats being made, per class, outside the store.
#[derive(Default)]
struct Making {
    /// By the keeper, ready for students to come.
    ahead: HashMap<String, usize>,
    /// For a student who found no ready seat.
    joining: HashMap<String, usize>,
}

/// The server's classes.
pub struct Classes {
    store: Store,
    sessions: Arc<Sessions>,
    playgrounds: Arc<Playgrounds>,
    lessons: Arc<Lessons>,
    instance: String,
    /// Where the links point.
    pub base: String,
    /// Seconds before a class's start from which its seats are prepared.
    prepare_secs: u64,
    wrong_codes: Limiter,
    /// Held while seats are counted and given, so two joins never get one seat nor pass
    /// the class's size.
    seating: tokio::sync::Mutex<()>,
    making: Mutex<Making>,
    /// Wakes the seat keeper (a class created).
    pub wake: tokio::sync::Notify,
}

impl Classes {
    pub fn new(
        store: Store,
        sessions: Arc<Sessions>,
        playgrounds: Arc<Playgrounds>,
        lessons: Arc<Lessons>,
        base: String,
    ) -> Self {
        let config = sessions.config();
        Classes {
            instance: config.instance.clone(),
            prepare_secs: config.class_prepare_minutes * 60,
            store,
            sessions,
            playgrounds,
            lessons,
            base,
            wrong_codes: Limiter::new(WRONG_CODES_PER_MINUTE),
            seating: tokio::sync::Mutex::new(()),
            making: Mutex::new(Making::default()),
            wake: tokio::sync::Notify::new(),
        }
    }

    /// What a lesson gives each seat, from the lessons this server loaded.
    pub fn lesson_shape(&self) -> impl Fn(&str) -> Option<(Profile, u8)> + Send + Sync + '_ {
        |slug| self.lessons.get(slug).map(|l| (l.profile, l.nodes))
    }

    /// Makes a class for `instructor` (the page's form).
    pub async fn create(
        &self,
        instructor: &Instructor,
        new: NewClass,
    ) -> Result<(ClassInfo, String), CreateError> {
        let shape = self.lesson_shape();
        let created = create(&self.store, &self.instance, instructor, new, &shape).await?;
        self.wake.notify_one();
        let mut info = self.info(&created.class).await?;
        info.codes = created.codes;
        Ok((info, created.token))
    }

    /// The class `id` if `instructor` owns it, or if `bearer` is its token; `None` for
    /// every other case alike.
    pub async fn authorize(
        &self,
        id: &str,
        instructor: Option<&Instructor>,
        bearer: Option<&str>,
    ) -> Result<Option<Class>, StoreError> {
        if !token::is_session_id(id) {
            return Ok(None);
        }
        let owned = id.to_string();
        let class = self.store.call(move |db| db::by_id(db, &owned)).await?;
        Ok(class.filter(|class| {
            class.instance == self.instance
                && (instructor.is_some_and(|i| i.id == class.instructor)
                    || bearer.is_some_and(|b| token::token_matches(b, &class.token_hash)))
        }))
    }

    /// The classes of `instructor` on this server, newest first.
    pub async fn list(&self, instructor: &Instructor) -> Result<Vec<ClassInfo>, StoreError> {
        let id = instructor.id;
        let classes = self.store.call(move |db| db::of_instructor(db, id)).await?;
        let mut infos = Vec::new();
        for class in classes.iter().filter(|c| c.instance == self.instance) {
            infos.push(self.info(class).await?);
        }
        Ok(infos)
    }

    /// The class as its instructor sees it.
    pub async fn info(&self, class: &Class) -> Result<ClassInfo, StoreError> {
        let id = class.id.clone();
        let (seats, codes) = self
            .store
            .call(move |db| Ok((db::seats(db, &id)?, db::unused_codes(db, &id)?)))
            .await?;
        let taken = seats.iter().filter(|s| s.name.is_some()).count() as u32;
        let ready = seats
            .iter()
            .filter(|s| s.name.is_none() && self.sessions.find(&s.session).is_some())
            .count() as u32;
        let now = unix_now();
        Ok(ClassInfo {
            id: class.id.clone(),
            title: class.title.clone(),
            code: class.code.clone(),
            lesson: class.lesson.clone(),
            profile: class.profile,
            nodes: class.nodes,
            seats: class.seats,
            taken,
            ready,
            starts_at: class.starts_at,
            ends_at: class.ends_at,
            state: if class.is_over(now) {
                ClassState::Ended
            } else if now < class.starts_at {
                ClassState::Scheduled
            } else {
                ClassState::Open
            },
            join_url: join_url(&self.base, &class.code),
            codes,
        })
    }

    /// Ends class `class` now: every seat's playground is removed.
    pub async fn end(&self, class: &Class) -> Result<(), StoreError> {
        let id = class.id.clone();
        let now = unix_now();
        let seats = {
            let _seating = self.seating.lock().await;
            self.store
                .call(move |db| {
                    db::mark_ended(db, &id, now)?;
                    db::seats(db, &id)
                })
                .await?
        };
        futures::future::join_all(seats.iter().map(|seat| async move {
            if self.sessions.find(&seat.session).is_some() {
                if let Err(err) = self.sessions.end(&seat.session, EndReason::Ended).await {
                    tracing::warn!(session = %seat.session, error = %err, "could not remove a class seat");
                }
            }
        }))
        .await;
        tracing::info!(class = %class.id, "class ended");
        Ok(())
    }

    /// Gives the student `name` a seat of the class whose code is `typed`: their own again
    /// when `seat` (the browser's seat cookie: `session.token`) holds one, else a ready
    /// seat, else one started now. Wrong codes count against `client`.
    pub async fn join(
        &self,
        typed: &str,
        name: &str,
        seat: impl Fn(&str) -> Option<String>,
        client: ClientKey,
    ) -> Result<Joined, JoinError> {
        if let Some(wait) = self.wrong_codes.blocked(client) {
            return Err(JoinError::RateLimited(wait));
        }
        let name = student_name(name)?;
        let found = match code::normalize(typed) {
            Some(code) => {
                let lookup = code.clone();
                self.store
                    .call(move |db| db::by_code(db, &lookup))
                    .await?
                    .map(|(class, single)| (class, single.then_some(code)))
            }
            None => None,
        };
        let Some((class, single_use)) = found.filter(|(c, _)| c.instance == self.instance) else {
            let _ = self.wrong_codes.check(client);
            return Err(JoinError::WrongCode);
        };
        let now = unix_now();
        if class.is_over(now) {
            return Err(JoinError::Ended);
        }
        // The browser's own seat, whatever else: a rejoin.
        if let Some(kept) = seat(&class.id) {
            if let Some((id, token)) = kept.split_once('.') {
                if let Ok(session) = self.sessions.get(id, token) {
                    return Ok(Joined {
                        class: class.id,
                        session,
                        token: token.to_string(),
                    });
                }
            }
        }
        if now < class.starts_at {
            return Err(JoinError::NotStarted(class.starts_at - now));
        }
        let seating = self.seating.lock().await;
        let id = class.id.clone();
        let seats = self.store.call(move |db| db::seats(db, &id)).await?;
        let taken = seats.iter().filter(|s| s.name.is_some()).count();
        let joining = self.making(|m| m.joining.get(&class.id).copied().unwrap_or(0));
        if taken + joining >= class.seats as usize {
            return Err(JoinError::Full);
        }
        if let Some(code) = single_use {
            let used = self
                .store
                .call(move |db| db::use_code(db, &code, now))
                .await?;
            if !used {
                let _ = self.wrong_codes.check(client);
                return Err(JoinError::WrongCode);
            }
        }
        // A ready seat whose playground still runs.
        for ready in seats.iter().filter(|s| s.name.is_none()) {
            let Some(session) = self.sessions.find(&ready.session) else {
                continue;
            };
            let (id, owned) = (ready.session.clone(), name.clone());
            if self
                .store
                .call(move |db| db::claim_seat(db, &id, &owned, now))
                .await?
            {
                drop(seating);
                let token = self.sessions.hand_over(&session).await;
                self.wake.notify_one();
                tracing::info!(class = %class.id, session = %session.id, "a student took a ready seat");
                return Ok(Joined {
                    class: class.id,
                    session,
                    token,
                });
            }
        }
        // None ready: one started for this student, counted as taken while it starts.
        self.making(|m| *m.joining.entry(class.id.clone()).or_default() += 1);
        drop(seating);
        let started = self
            .playgrounds
            .start(Purpose::Seat(seat_of(&class)), Admission::Exempt)
            .await;
        let recorded = match &started {
            Ok(started) => {
                let _seating = self.seating.lock().await;
                let (id, session) = (class.id.clone(), started.session.id.clone());
                let result = self
                    .store
                    .call(move |db| db::add_seat(db, &id, &session, Some(&name), now))
                    .await;
                self.making(|m| decrement(&mut m.joining, &class.id));
                result
            }
            Err(_) => {
                self.making(|m| decrement(&mut m.joining, &class.id));
                Ok(())
            }
        };
        let started = started?;
        if let Err(err) = recorded {
            let _ = self
                .sessions
                .end(&started.session.id, EndReason::Ended)
                .await;
            return Err(err.into());
        }
        started.session.claim().await;
        Ok(Joined {
            class: class.id,
            session: started.session,
            token: started.token,
        })
    }

    fn making<T>(&self, f: impl FnOnce(&mut Making) -> T) -> T {
        f(&mut self.making.lock().expect("making lock"))
    }
}

/// What class `class` gives each seat.
pub fn seat_of(class: &Class) -> playground::Seat {
    playground::Seat {
        lesson: class.lesson.clone(),
        profile: class.profile,
        nodes: class.nodes,
    }
}

fn decrement(counts: &mut HashMap<String, usize>, id: &str) {
    if let Some(n) = counts.get_mut(id) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            counts.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn student_names_are_trimmed_bounded_and_printable() {
        assert_eq!(student_name("  Grace  ").unwrap(), "Grace");
        assert!(student_name("").is_err());
        assert!(student_name("   ").is_err());
        assert!(student_name("a\u{0}b").is_err());
        assert!(student_name("line\nbreak").is_err());
        assert!(student_name(&"é".repeat(MAX_STUDENT_NAME)).is_ok());
        assert!(student_name(&"é".repeat(MAX_STUDENT_NAME + 1)).is_err());
    }

    #[test]
    fn links_use_the_public_url_or_the_listening_address() {
        let listen = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(base_url(&[], listen), "http://127.0.0.1:8080");
        assert_eq!(
            base_url(&["https://quai.example/".into()], listen),
            "https://quai.example"
        );
    }
}
