//! Checking a step of a session's lesson, as a service: which step may be checked (a lesson
//! unlocked in order opens a step once every checked step before it passed), one check of
//! a session at a time and a bounded number on the server, the step's verify script run in
//! the session's nodes, the student's progress recorded, and the next step's setup run the
//! first time a step passes.

use std::sync::Arc;

use quai_protocol::{CheckResult, Lang, Unlock};

use super::{runner, Lessons};
use crate::progress::{Check, Progress, ProgressError, StudentId};
use crate::runtime::RuntimeError;
use crate::session::{Session, SessionError, Sessions, Work};

/// Why a step was not checked.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("This playground runs no lesson, so there is nothing to check.")]
    NoLesson,
    #[error("There is no such lesson.")]
    UnknownLesson,
    #[error("This lesson has steps 1 to {steps}, not {step}.")]
    NoSuchStep { step: u16, steps: usize },
    #[error("Step {0} has nothing to check: go on to the next one.")]
    NothingToCheck(u16),
    #[error("{}", locked(*.step, *.earlier, *.lang))]
    Locked { step: u16, earlier: u16, lang: Lang },
    #[error("The check could not run: {0}.")]
    Script(String),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Progress(#[from] ProgressError),
}

fn locked(step: u16, earlier: u16, lang: Lang) -> String {
    match lang {
        Lang::En => format!("Step {step} opens once step {earlier} passes."),
        Lang::Fr => format!("L'étape {step} s'ouvre quand l'étape {earlier} est validée."),
    }
}

/// The service that checks lesson steps.
pub struct Steps {
    sessions: Arc<Sessions>,
    lessons: Arc<Lessons>,
    progress: Arc<Progress>,
}

impl Steps {
    pub fn new(sessions: Arc<Sessions>, lessons: Arc<Lessons>, progress: Arc<Progress>) -> Self {
        Steps {
            sessions,
            lessons,
            progress,
        }
    }

    /// Checks step `step` of `session`'s lesson for `student`, the verdict's words in `lang`.
    pub async fn check(
        &self,
        session: &Session,
        student: &StudentId,
        step: u16,
        lang: Lang,
    ) -> Result<CheckResult, CheckError> {
        let slug = session.lesson().ok_or(CheckError::NoLesson)?.to_string();
        let lesson = self.lessons.get(&slug).ok_or(CheckError::UnknownLesson)?;
        let script = lesson
            .step(step)
            .ok_or(CheckError::NoSuchStep {
                step,
                steps: lesson.steps.len(),
            })?
            .verify
            .as_ref()
            .ok_or(CheckError::NothingToCheck(step))?;
        let passed_before = self.progress.passed(student, &slug).await?;
        if lesson.unlock == Unlock::InOrder {
            let locked_by = lesson
                .steps
                .iter()
                .filter(|s| s.number < step && s.verify.is_some())
                .find(|s| !passed_before.contains(&s.number));
            if let Some(earlier) = locked_by {
                return Err(CheckError::Locked {
                    step,
                    earlier: earlier.number,
                    lang,
                });
            }
        }
        let _work = self.sessions.begin(session, Work::Check).await?;
        let runtime = self.sessions.runtime().clone();
        let outcome = runner::check(runtime.as_ref(), session, &lesson, script, lang)
            .await
            .map_err(|err| match err {
                runner::RunError::Runtime(err) => CheckError::Runtime(err),
                other => CheckError::Script(other.to_string()),
            })?;
        let check = Check {
            step,
            passed: outcome.passed,
            session: Some(&session.id),
            output: &outcome.output,
        };
        self.progress.record(student, &slug, check).await?;
        if outcome.passed && !passed_before.contains(&step) {
            if let Err(err) = runner::open_step(runtime.as_ref(), session, &lesson, step + 1).await
            {
                tracing::warn!(lesson = %slug, step = step + 1, error = %err, "step setup failed");
            }
        }
        Ok(CheckResult {
            step,
            passed: outcome.passed,
            output: outcome.output,
            timed_out: outcome.timed_out,
            passed_steps: self.progress.passed(student, &slug).await?,
        })
    }
}
