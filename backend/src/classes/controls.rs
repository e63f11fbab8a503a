//! What an instructor does to a running class, and a student's raised hand: extend the class
//! (its end and every seat's expiry, within the server's maximum lifetime), reset a seat
//! (fresh nodes prepared for the lesson through `Playgrounds::renew`, the same session and
//! progress), raise or lower a hand. Each operation has its own error.

use quai_protocol::ClassInfo;

use super::{db, seat_of, Class, Classes};
use crate::playground::{Purpose, StartError};
use crate::session::unix_now;
use crate::store::StoreError;

/// Most minutes one extension adds.
pub const MAX_EXTEND_MINUTES: u32 = 8 * 60;

/// Why a class was not extended.
#[derive(Debug, thiserror::Error)]
pub enum ExtendError {
    #[error("a class is extended by 1 to {MAX_EXTEND_MINUTES} minutes")]
    Minutes,
    #[error("this class is over")]
    Ended,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a seat was not reset.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error("there is no such seat in this class")]
    NoSeat,
    #[error("this seat's playground has ended; the student can join again")]
    Gone,
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a hand was not raised or lowered.
#[derive(Debug, thiserror::Error)]
pub enum HandError {
    /// The session is not a joined seat of a class (its owner asked), or the seat id is
    /// not one of the class (its instructor asked).
    #[error("there is no such seat in a class")]
    NoSeat,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Classes {
    /// Pushes the end of `class` back by `minutes`, and every seat's playground with it
    /// (each at most to its own maximum lifetime).
    pub async fn extend(&self, class: &Class, minutes: u32) -> Result<ClassInfo, ExtendError> {
        if !(1..=MAX_EXTEND_MINUTES).contains(&minutes) {
            return Err(ExtendError::Minutes);
        }
        if class.is_over(unix_now()) {
            return Err(ExtendError::Ended);
        }
        let ends_at = class.ends_at + u64::from(minutes) * 60;
        let id = class.id.clone();
        let seats = self
            .store
            .call(move |conn| {
                db::set_end(conn, &id, ends_at)?;
                db::seats(conn, &id)
            })
            .await?;
        for seat in seats {
            if let Some(session) = self.sessions.find(&seat.session) {
                self.sessions.extend_to(&session, ends_at).await;
            }
        }
        tracing::info!(class = %class.id, minutes, "class extended");
        let class = Class {
            ends_at,
            ..class.clone()
        };
        Ok(self.info(&class).await?)
    }

    /// Gives seat `seat` of `class` fresh nodes prepared for the class's lesson; the seat,
    /// its session, token and progress stay, and the student's page connects again.
    pub async fn reset(&self, class: &Class, seat: &str) -> Result<(), ResetError> {
        let seat = self.seat(class, seat).await?.ok_or(ResetError::NoSeat)?;
        if class.is_over(unix_now()) {
            return Err(ResetError::Gone);
        }
        let session = self.sessions.find(&seat.session).ok_or(ResetError::Gone)?;
        self.playgrounds
            .renew(&session, Purpose::Seat(seat_of(class)))
            .await?;
        tracing::info!(class = %class.id, session = %session.id, "seat reset");
        Ok(())
    }

    /// Lowers the hand of seat `seat` of `class` (its instructor).
    pub async fn lower_hand(&self, class: &Class, seat: &str) -> Result<(), HandError> {
        let seat = self.seat(class, seat).await?.ok_or(HandError::NoSeat)?;
        let session = seat.session;
        self.store
            .call(move |conn| db::set_hand(conn, &session, None))
            .await?;
        Ok(())
    }

    /// Whether the hand of the seat whose session is `session` is up (its student).
    pub async fn hand(&self, session: &str) -> Result<bool, HandError> {
        let owned = session.to_string();
        let (class, seats) = self
            .store
            .call(move |conn| {
                let class = db::class_of_seat(conn, &owned)?;
                let seats = match &class {
                    Some(class) => db::seats(conn, &class.id)?,
                    None => Vec::new(),
                };
                Ok((class, seats))
            })
            .await?;
        let class = class.filter(|c| c.instance == self.instance);
        class.ok_or(HandError::NoSeat)?;
        Ok(seats
            .iter()
            .any(|s| s.session == session && s.hand_at.is_some()))
    }

    /// Raises or lowers the hand of the seat whose session is `session` (its student).
    pub async fn set_hand(&self, session: &str, raised: bool) -> Result<bool, HandError> {
        let owned = session.to_string();
        let class = self
            .store
            .call(move |conn| db::class_of_seat(conn, &owned))
            .await?
            .filter(|c| c.instance == self.instance && !c.is_over(unix_now()));
        class.ok_or(HandError::NoSeat)?;
        let owned = session.to_string();
        let at = raised.then(unix_now);
        let set = self
            .store
            .call(move |conn| db::set_hand(conn, &owned, at))
            .await?;
        if !set {
            return Err(HandError::NoSeat);
        }
        Ok(raised)
    }
}
