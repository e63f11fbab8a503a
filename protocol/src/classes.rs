//! Bodies of the instructor and class routes: signing in (`SignIn`, `SetPassword`), the
//! instructor's classes (`NewClass`, `ClassInfo`, `ClassCreated`), the live roster (`Roster`,
//! `SeatInfo`, `StepCell`, `Presence`), the class's controls (`ExtendClass`), a student
//! joining a class (`JoinClass`, answered with `SessionCreated`) and raising a hand (`Hand`).

use serde::{Deserialize, Serialize};

use crate::api::Profile;

/// Longest display name a student may give; longer ones are refused.
pub const MAX_STUDENT_NAME: usize = 40;
/// Longest class title.
pub const MAX_CLASS_TITLE: usize = 120;
/// Most seats one class may have.
pub const MAX_SEATS: u32 = 200;

/// `POST /api/instructor/sign-in`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    pub name: String,
    pub password: String,
}

/// `POST /api/instructor/link`: the token of a one-time sign-in link and the password the
/// instructor chooses with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetPassword {
    pub token: String,
    pub password: String,
}

/// `GET /api/instructor`: who is signed in (also the answer to signing in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstructorInfo {
    pub name: String,
}

/// `POST /api/classes`: a class to create. Absent fields take the server's defaults: a
/// blank docker playground of one node, starting now, lasting two hours.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewClass {
    pub title: String,
    pub seats: u32,
    /// A lesson slug; a blank playground when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lesson: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<u8>,
    /// Minutes from now until the class opens; now when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_in_minutes: Option<u32>,
    /// How long the class lasts, in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_minutes: Option<u32>,
    /// How many single-use codes to make; when there are some, only they open seats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_use_codes: Option<u32>,
}

/// Where a class stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassState {
    /// Opens later; its seats are prepared from a few minutes before.
    Scheduled,
    Open,
    Ended,
}

/// A class as its instructor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassInfo {
    pub id: String,
    pub title: String,
    /// The code students type at `/join`.
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lesson: Option<String>,
    pub profile: Profile,
    pub nodes: u8,
    pub seats: u32,
    /// Seats a student joined.
    pub taken: u32,
    /// Seats prepared and waiting for a student.
    pub ready: u32,
    /// Unix times (seconds).
    pub starts_at: u64,
    pub ends_at: u64,
    pub state: ClassState,
    /// The address to show the room.
    pub join_url: String,
    /// Single-use codes not used yet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
}

/// `POST /api/classes` (201): the class and the token that authorises its roster API
/// (`Authorization: Bearer …`), shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassCreated {
    #[serde(flatten)]
    pub class: ClassInfo,
    pub instructor_token: String,
}

/// Where a student stands with their seat's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// The seat's page is open (a socket is connected).
    Online,
    /// No page open, for a short while (a reload, a network hiccup, a closed laptop).
    Idle,
    /// No page open for long, or the seat's playground ended.
    Gone,
}

/// One step of the class's lesson, for one student.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StepCell {
    /// Not checked yet (or a step with nothing to check).
    NotYet,
    /// Passed at this Unix time (seconds).
    Passed { at: u64 },
    /// Checked and failed `failures` times, not passed; `hint` is what the last check printed.
    Failed {
        failures: u32,
        hint: String,
        at: u64,
    },
}

/// One student's seat on the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatInfo {
    /// Stable, opaque id of the seat, for the class's URLs (never the session id).
    pub seat: String,
    pub name: String,
    /// Unix time (seconds) of the join.
    pub joined_at: u64,
    /// Whether the seat's playground still runs.
    pub live: bool,
    pub presence: Presence,
    /// One cell per step of the class's lesson, in order (empty for a blank playground).
    #[serde(default)]
    pub steps: Vec<StepCell>,
    /// The first checked step not passed yet (`None`: no lesson, or every step passed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_step: Option<u16>,
    /// Seconds spent on the current step so far.
    #[serde(default)]
    pub on_step_secs: u64,
    /// Several failed checks on the current step, or long on it.
    #[serde(default)]
    pub stuck: bool,
    /// Unix time (seconds) the student raised their hand, while it is up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hand_raised_at: Option<u64>,
}

/// `GET /api/classes/{id}/roster`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    pub class: ClassInfo,
    /// Numbers of the lesson's steps, the roster's columns.
    #[serde(default)]
    pub steps: Vec<u16>,
    pub seats: Vec<SeatInfo>,
}

/// `POST /api/classes/{id}/extend`: push the class's end (and every seat's) back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtendClass {
    pub minutes: u32,
}

/// `GET` and `PUT /api/sessions/{id}/hand`: a class seat's raised hand, as its student
/// sets it. `PUT` answers with the new state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hand {
    pub raised: bool,
}

/// `POST /api/join`: a student's code and display name. The answer is a `SessionCreated`
/// (201) with the seat's session cookie, as for `POST /api/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinClass {
    pub code: String,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug>(
        value: &T,
    ) {
        let text = serde_json::to_string(value).unwrap();
        assert_eq!(&serde_json::from_str::<T>(&text).unwrap(), value, "{text}");
    }

    fn class() -> ClassInfo {
        ClassInfo {
            id: "c1".into(),
            title: "Docker 101".into(),
            code: "K7MXQ2".into(),
            lesson: Some("first-container".into()),
            profile: Profile::Docker,
            nodes: 1,
            seats: 30,
            taken: 2,
            ready: 28,
            starts_at: 10,
            ends_at: 20,
            state: ClassState::Open,
            join_url: "http://127.0.0.1:8080/join/K7MXQ2".into(),
            codes: vec![],
        }
    }

    #[test]
    fn class_bodies_round_trip() {
        round_trip(&SignIn {
            name: "ada".into(),
            password: "p".into(),
        });
        round_trip(&SetPassword {
            token: "t".into(),
            password: "p".into(),
        });
        round_trip(&InstructorInfo { name: "ada".into() });
        round_trip(&NewClass {
            title: "T".into(),
            seats: 3,
            lesson: Some("l".into()),
            profile: Some(Profile::Shell),
            nodes: Some(2),
            starts_in_minutes: Some(5),
            duration_minutes: Some(60),
            single_use_codes: Some(3),
        });
        round_trip(&class());
        let created = ClassCreated {
            class: class(),
            instructor_token: "tok".into(),
        };
        round_trip(&created);
        let text = serde_json::to_string(&created).unwrap();
        assert!(text.contains("\"code\":\"K7MXQ2\"") && text.contains("\"instructor_token\""));
        round_trip(&Roster {
            class: class(),
            steps: vec![1, 2, 3],
            seats: vec![SeatInfo {
                seat: "0123456789ab".into(),
                name: "Grace".into(),
                joined_at: 12,
                live: true,
                presence: Presence::Idle,
                steps: vec![
                    StepCell::Passed { at: 13 },
                    StepCell::Failed {
                        failures: 3,
                        hint: "No container yet.".into(),
                        at: 14,
                    },
                    StepCell::NotYet,
                ],
                current_step: Some(2),
                on_step_secs: 61,
                stuck: true,
                hand_raised_at: Some(15),
            }],
        });
        round_trip(&ExtendClass { minutes: 15 });
        round_trip(&Hand { raised: true });
        let cell = serde_json::to_string(&StepCell::Passed { at: 1 }).unwrap();
        assert_eq!(cell, r#"{"state":"passed","at":1}"#);
        round_trip(&JoinClass {
            code: "k7mxq2".into(),
            name: "Grace".into(),
        });
    }

    #[test]
    fn a_new_class_needs_only_a_title_and_seats() {
        let class: NewClass = serde_json::from_str(r#"{"title":"T","seats":3}"#).unwrap();
        assert_eq!(class.seats, 3);
        assert_eq!(class.lesson, None);
    }
}
