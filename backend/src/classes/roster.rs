//! The live roster of a class: one row per student who joined, with the seat's opaque id,
//! whether their page is open (`Presence`, from the seat session's sockets and idle time),
//! one cell per step of the class's lesson (passed, failed with the last hint, not yet, from
//! the checks run in the seat's session and the passed steps of the student behind it), the
//! current step and the time on it, the "stuck" mark and a raised hand.

use quai_protocol::{Presence, Roster, SeatInfo, StepCell};
use sha2::{Digest, Sha256};

use super::db::{self, CheckRow, Seat};
use super::{Class, Classes};
use crate::session::unix_now;
use crate::store::StoreError;

/// Failed checks on the current step from which a student is marked stuck.
pub const STUCK_FAILURES: u32 = 3;
/// Seconds on one step from which a student is marked stuck: 10 minutes.
pub const STUCK_SECS: u64 = 10 * 60;
/// Seconds without any page open after which a student is gone rather than idle.
pub const GONE_AFTER_SECS: u64 = 2 * 60;

/// The seat's id in URLs: the first 12 hex digits of the sha256 of its session id, so it
/// neither is nor reveals the session id (nor its token).
pub fn seat_id(session: &str) -> String {
    let mut id = hex::encode(Sha256::digest(session.as_bytes()));
    id.truncate(12);
    id
}

/// One lesson step as the roster needs it: its number, and whether it has a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepShape {
    pub number: u16,
    pub checked: bool,
}

/// What the store knows of one seat's work.
#[derive(Debug, Clone, Default)]
pub struct Work {
    /// Checks run in the seat's session, oldest first.
    pub checks: Vec<CheckRow>,
    /// The steps the student behind the seat passed, with when.
    pub passed: Vec<(u16, u64)>,
}

/// A seat's columns: cells, current step, seconds on it, stuck.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub cells: Vec<StepCell>,
    pub current: Option<u16>,
    pub on_step_secs: u64,
    pub stuck: bool,
}

/// The columns of a seat joined at `joined_at`, at `now`.
pub fn progress(steps: &[StepShape], work: &Work, joined_at: u64, now: u64) -> Progress {
    let cells: Vec<StepCell> = steps
        .iter()
        .map(|step| {
            if let Some((_, at)) = work.passed.iter().find(|(n, _)| *n == step.number) {
                return StepCell::Passed { at: *at };
            }
            let failed: Vec<&CheckRow> = work
                .checks
                .iter()
                .filter(|c| c.step == step.number && !c.passed)
                .collect();
            match failed.last() {
                Some(last) => StepCell::Failed {
                    failures: failed.len() as u32,
                    hint: last.output.clone().unwrap_or_default(),
                    at: last.at,
                },
                None => StepCell::NotYet,
            }
        })
        .collect();
    let current = steps
        .iter()
        .zip(&cells)
        .find(|(step, cell)| step.checked && !matches!(cell, StepCell::Passed { .. }))
        .map(|(step, _)| step.number);
    let Some(current) = current else {
        return Progress {
            cells,
            current: None,
            on_step_secs: 0,
            stuck: false,
        };
    };
    // On the current step since the join, or the last pass of a step before it.
    let since = work
        .passed
        .iter()
        .filter(|(n, _)| *n < current)
        .map(|(_, at)| *at)
        .chain([joined_at])
        .max()
        .unwrap_or(joined_at);
    let on_step_secs = now.saturating_sub(since);
    let failures = steps
        .iter()
        .zip(&cells)
        .find(|(step, _)| step.number == current)
        .map(|(_, cell)| match cell {
            StepCell::Failed { failures, .. } => *failures,
            _ => 0,
        })
        .unwrap_or(0);
    Progress {
        cells,
        current: Some(current),
        on_step_secs,
        stuck: failures >= STUCK_FAILURES || on_step_secs >= STUCK_SECS,
    }
}

/// Where a seat's student is, from its session: `None` when it ended, else its open
/// sockets and seconds without one.
pub fn presence(session: Option<(usize, u64)>) -> Presence {
    match session {
        None => Presence::Gone,
        Some((sockets, _)) if sockets > 0 => Presence::Online,
        Some((_, idle)) if idle < GONE_AFTER_SECS => Presence::Idle,
        Some(_) => Presence::Gone,
    }
}

impl Classes {
    /// The steps of class `class`'s lesson (none for a blank playground).
    pub(super) fn steps_of(&self, class: &Class) -> Vec<StepShape> {
        class
            .lesson
            .as_deref()
            .and_then(|slug| self.lessons.get(slug))
            .map(|lesson| {
                lesson
                    .steps
                    .iter()
                    .map(|s| StepShape {
                        number: s.number,
                        checked: s.verify.is_some(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The joined seats of class `class` with what the store knows of their work.
    pub(super) async fn seats_with_work(
        &self,
        class: &Class,
    ) -> Result<Vec<(Seat, Work)>, StoreError> {
        let (id, lesson) = (class.id.clone(), class.lesson.clone());
        self.store
            .call(move |conn| {
                let mut seats = Vec::new();
                for seat in db::seats(conn, &id)? {
                    if seat.name.is_none() {
                        continue;
                    }
                    let mut work = Work::default();
                    if let Some(lesson) = &lesson {
                        work.checks = db::checks_in(conn, &seat.session, lesson)?;
                        // The student behind the seat: the one of its latest check.
                        if let Some(last) = work.checks.last() {
                            work.passed = db::passed_steps(conn, &last.student, lesson)?;
                        }
                    }
                    seats.push((seat, work));
                }
                Ok(seats)
            })
            .await
    }

    /// The class and its students, as the instructor's page shows them.
    pub async fn roster(&self, class: &Class) -> Result<Roster, StoreError> {
        let steps = self.steps_of(class);
        let seats = self.seats_with_work(class).await?;
        let now = unix_now();
        Ok(Roster {
            class: self.info(class).await?,
            steps: steps.iter().map(|s| s.number).collect(),
            seats: seats
                .into_iter()
                .map(|(seat, work)| {
                    let session = self.sessions.find(&seat.session);
                    let live = session.is_some();
                    let joined_at = seat.joined_at.unwrap_or_default();
                    let progress = progress(&steps, &work, joined_at, now);
                    SeatInfo {
                        seat: seat_id(&seat.session),
                        name: seat.name.unwrap_or_default(),
                        joined_at,
                        live,
                        presence: presence(session.map(|s| (s.sockets(), s.idle_for(now)))),
                        steps: progress.cells,
                        current_step: progress.current,
                        on_step_secs: progress.on_step_secs,
                        // Stuck only counts while the seat's playground runs.
                        stuck: progress.stuck && live,
                        hand_raised_at: seat.hand_at,
                    }
                })
                .collect(),
        })
    }

    /// The joined seat of class `class` whose opaque id is `seat`.
    pub(super) async fn seat(&self, class: &Class, seat: &str) -> Result<Option<Seat>, StoreError> {
        if seat.len() != 12 || !seat.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let (id, wanted) = (class.id.clone(), seat.to_ascii_lowercase());
        let seats = self.store.call(move |conn| db::seats(conn, &id)).await?;
        Ok(seats
            .into_iter()
            .find(|s| s.name.is_some() && seat_id(&s.session) == wanted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(n: u16) -> Vec<StepShape> {
        (1..=n)
            .map(|number| StepShape {
                number,
                checked: true,
            })
            .collect()
    }

    fn check(step: u16, passed: bool, at: u64, output: &str) -> CheckRow {
        CheckRow {
            student: "s".into(),
            step,
            passed,
            at,
            output: (!passed).then(|| output.to_string()),
        }
    }

    #[test]
    fn seat_ids_are_short_stable_and_not_the_session_id() {
        let id = seat_id("0123456789abcdef0123456789abcdef");
        assert_eq!(id.len(), 12);
        assert_eq!(id, seat_id("0123456789abcdef0123456789abcdef"));
        assert!(!"0123456789abcdef0123456789abcdef".contains(&id));
    }

    #[test]
    fn a_pass_a_failure_with_its_hint_and_steps_not_yet_make_the_cells() {
        let work = Work {
            checks: vec![
                check(1, true, 110, ""),
                check(2, false, 120, "first hint"),
                check(2, false, 130, "last hint"),
            ],
            passed: vec![(1, 110)],
        };
        let p = progress(&steps(3), &work, 100, 140);
        assert_eq!(
            p.cells,
            [
                StepCell::Passed { at: 110 },
                StepCell::Failed {
                    failures: 2,
                    hint: "last hint".into(),
                    at: 130
                },
                StepCell::NotYet,
            ]
        );
        assert_eq!(p.current, Some(2));
        assert_eq!(p.on_step_secs, 30);
        assert!(!p.stuck);
    }

    #[test]
    fn three_failures_or_ten_minutes_on_a_step_mark_a_student_stuck() {
        let failing = Work {
            checks: (0..STUCK_FAILURES as u64)
                .map(|i| check(1, false, 100 + i, "no"))
                .collect(),
            passed: vec![],
        };
        assert!(progress(&steps(2), &failing, 100, 110).stuck);
        let slow = Work::default();
        assert!(!progress(&steps(2), &slow, 100, 100 + STUCK_SECS - 1).stuck);
        assert!(progress(&steps(2), &slow, 100, 100 + STUCK_SECS).stuck);
    }

    #[test]
    fn a_student_done_with_every_step_has_no_current_step_and_is_not_stuck() {
        let work = Work {
            checks: vec![],
            passed: vec![(1, 110), (2, 120)],
        };
        let p = progress(&steps(2), &work, 100, 100 + STUCK_SECS * 2);
        assert_eq!((p.current, p.stuck), (None, false));
    }

    #[test]
    fn presence_follows_sockets_and_idle_time() {
        assert_eq!(presence(Some((1, 0))), Presence::Online);
        assert_eq!(presence(Some((0, 5))), Presence::Idle);
        assert_eq!(presence(Some((0, GONE_AFTER_SECS))), Presence::Gone);
        assert_eq!(presence(None), Presence::Gone);
    }
}
