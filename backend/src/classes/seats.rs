//! The seat keeper: a task that, every `TICK` (or when woken), reads from the store the
//! classes of this server that start within `--class-prepare-minutes` and keeps each one's
//! seats prepared — as many ready seats (playgrounds started through `Playgrounds::start`,
//! held so that neither idle nor unclaimed reclaim ends them) as seats no student took yet,
//! `AT_ONCE` being made at a time over all classes — and ends the classes past their end,
//! with every seat. At start-up, `hold_ready` holds again the ready seats a restart adopted.

use std::sync::Arc;
use std::time::Duration;

use quai_protocol::EndReason;
use tokio::task::JoinHandle;

use super::{db, decrement, seat_of, Class, Classes};
use crate::playground::Purpose;
use crate::session::admission::Admission;
use crate::session::unix_now;

/// How often the keeper looks at the classes.
pub const TICK: Duration = Duration::from_secs(2);
/// Seats being prepared at once, over every class.
pub const AT_ONCE: usize = 4;

impl Classes {
    /// Holds every ready seat of a class not ended (after a restart adopted them), so the
    /// reaper does not take them for unclaimed sessions.
    pub async fn hold_ready(&self) {
        let instance = self.instance.clone();
        match self
            .store
            .call(move |db| db::ready_sessions(db, &instance))
            .await
        {
            Ok(ids) => {
                for id in ids {
                    self.sessions.hold(&id);
                }
            }
            Err(err) => tracing::warn!(error = %err, "could not read the ready seats of classes"),
        }
    }

    /// One look at every class to tend: ends those past their end, prepares the seats of
    /// the others. Returns how many seat starts it launched.
    pub async fn tend(self: &Arc<Self>) -> usize {
        let now = unix_now();
        let instance = self.instance.clone();
        let until = now + self.prepare_secs;
        let classes = match self
            .store
            .call(move |db| db::to_tend(db, &instance, until))
            .await
        {
            Ok(classes) => classes,
            Err(err) => {
                tracing::warn!(error = %err, "could not read the classes to prepare");
                return 0;
            }
        };
        let mut launched = 0;
        for class in classes {
            if class.is_over(now) {
                if let Err(err) = self.end(&class).await {
                    tracing::warn!(class = %class.id, error = %err, "could not end a class");
                }
                continue;
            }
            launched += self.fill(&class).await;
        }
        launched
    }

    /// Starts the ready seats class `class` lacks (within `AT_ONCE` over all classes) and
    /// removes ready seats past its size or whose playground is gone.
    async fn fill(self: &Arc<Self>, class: &Class) -> usize {
        let seating = self.seating.lock().await;
        let id = class.id.clone();
        let seats = match self.store.call(move |db| db::seats(db, &id)).await {
            Ok(seats) => seats,
            Err(err) => {
                tracing::warn!(class = %class.id, error = %err, "could not read a class's seats");
                return 0;
            }
        };
        let taken = seats.iter().filter(|s| s.name.is_some()).count();
        let mut ready = Vec::new();
        let mut gone = Vec::new();
        for seat in seats.iter().filter(|s| s.name.is_none()) {
            if self.sessions.find(&seat.session).is_some() {
                self.sessions.hold(&seat.session);
                ready.push(seat.session.clone());
            } else {
                gone.push(seat.session.clone());
            }
        }
        let (ahead, joining, all_ahead) = self.making(|m| {
            (
                m.ahead.get(&class.id).copied().unwrap_or(0),
                m.joining.get(&class.id).copied().unwrap_or(0),
                m.ahead.values().sum::<usize>(),
            )
        });
        let open = (class.seats as usize).saturating_sub(taken + joining);
        // Ready seats past what students can still take (a join started its own seat).
        let surplus: Vec<String> = ready.iter().skip(open).cloned().collect();
        let want = open
            .saturating_sub(ready.len() + ahead)
            .min(AT_ONCE.saturating_sub(all_ahead));
        if want > 0 {
            self.making(|m| *m.ahead.entry(class.id.clone()).or_default() += want);
        }
        drop(seating);
        for session in gone.iter().chain(&surplus) {
            let owned = session.clone();
            if let Err(err) = self.store.call(move |db| db::drop_seat(db, &owned)).await {
                tracing::warn!(session = %session, error = %err, "could not forget a ready seat");
            }
        }
        for session in &surplus {
            let _ = self.sessions.end(session, EndReason::Ended).await;
        }
        for _ in 0..want {
            let this = self.clone();
            let class = class.clone();
            tokio::spawn(async move { this.prepare_one(&class).await });
        }
        want
    }

    /// Starts one ready seat of `class` and records it, unless the class ended meanwhile.
    async fn prepare_one(self: &Arc<Self>, class: &Class) {
        let started = self
            .playgrounds
            .start(Purpose::Seat(seat_of(class)), Admission::Exempt)
            .await;
        let seating = self.seating.lock().await;
        self.making(|m| decrement(&mut m.ahead, &class.id));
        let started = match started {
            Ok(started) => started,
            Err(err) => {
                tracing::warn!(class = %class.id, error = %err, "could not prepare a class seat");
                return;
            }
        };
        let id = class.id.clone();
        let session = started.session.id.clone();
        self.sessions.hold(&session);
        let recorded = self
            .store
            .call(move |db| {
                let open = db::by_id(db, &id)?.is_some_and(|c| !c.is_over(unix_now()));
                if open {
                    db::add_seat(db, &id, &session, None, unix_now())?;
                }
                Ok(open)
            })
            .await;
        drop(seating);
        if !matches!(recorded, Ok(true)) {
            let _ = self
                .sessions
                .end(&started.session.id, EndReason::Ended)
                .await;
        }
        // Another seat may be due now that this one is made.
        self.wake.notify_one();
    }
}

/// Spawns the seat keeper; abort the handle to stop it.
pub fn spawn(classes: Arc<Classes>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            classes.tend().await;
            let _ = tokio::time::timeout(TICK, classes.wake.notified()).await;
        }
    })
}
