//! Starting a playground: the one way, for every purpose — a blank one, one prepared for a
//! lesson, one running an image to try, a class seat (prepared ahead or for a join). `Playgrounds::start` owns
//! what every start shares: the purpose's own refusals before anything is made, the rate
//! limits and capacity (through `Sessions::create`), creation, the purpose's preparation in
//! the new node, clean-up on failure (an `Unfinished` guard ends what was made unless the
//! start is committed, a client leaving halfway included) and what the answer carries. The
//! HTTP handlers only turn a request into a `Purpose` and a `Started` into a response.

pub mod try_image;

use std::sync::Arc;

use quai_protocol::{CreateSession, EndReason, Profile, SessionCreated};

use crate::lessons::{self, runner, ImageNames, Lessons};
use crate::runtime::RuntimeError;
use crate::session::admission::Admission;
use crate::session::{Session, SessionError, Sessions};

/// What a playground is started for.
#[derive(Debug, Clone)]
pub enum Purpose {
    /// As the student asked: nodes and profile.
    Blank(CreateSession),
    /// The lesson of this slug, its nodes prepared for its first step.
    Lesson(String),
    /// A catalog image, as the student typed its name.
    Image(String),
    /// A seat of a class: its lesson, or a blank playground of its profile and nodes.
    Seat(Seat),
}

/// What a class gives each seat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    pub lesson: Option<String>,
    pub profile: Profile,
    pub nodes: u8,
}

/// A playground started and committed: the session, its secret token, and what its purpose
/// adds.
pub struct Started {
    pub session: Arc<Session>,
    pub token: String,
    /// For an image tried: its full name and the ports it serves.
    pub image: Option<(String, Vec<u16>)>,
}

impl Started {
    /// The answer's common part.
    pub async fn created(&self) -> SessionCreated {
        SessionCreated {
            session: self.session.info().await,
            token: self.token.clone(),
        }
    }
}

/// Why a playground did not start; nothing of it is left.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("There is no such lesson.")]
    NoLesson,
    #[error("This lesson needs the image{} {}, which this playground does not have. The operator can add {} with `cargo xtask images` or `quai images import`.", plural(.0), .0.join(", "), if .0.len() > 1 { "them" } else { "it" })]
    MissingImages(Vec<String>),
    #[error("The lesson could not be prepared: {0}. Tell its author; nothing was kept.")]
    LessonSetup(String),
    #[error("`{asked}` is not available offline on this playground. You can try: {}.", .available.join(", "))]
    UnknownImage {
        asked: String,
        available: Vec<String>,
    },
    #[error("{image} could not be started: {why}.")]
    ImageSetup { image: String, why: String },
}

fn plural(items: &[String]) -> &'static str {
    if items.len() > 1 {
        "s"
    } else {
        ""
    }
}

/// The service that starts playgrounds.
pub struct Playgrounds {
    sessions: Arc<Sessions>,
    lessons: Arc<Lessons>,
    images: Arc<ImageNames>,
}

impl Playgrounds {
    pub fn new(sessions: Arc<Sessions>, lessons: Arc<Lessons>, images: Arc<ImageNames>) -> Self {
        Playgrounds {
            sessions,
            lessons,
            images,
        }
    }

    /// Starts a playground for `purpose`, counted as `admission` says.
    pub async fn start(
        &self,
        purpose: Purpose,
        admission: Admission,
    ) -> Result<Started, StartError> {
        // The purpose's own refusals come first: nothing is made for a start that cannot be.
        let plan = self.plan(purpose).await?;
        let (session, token) = self.sessions.create(&plan.request, admission).await?;
        let unfinished = Unfinished {
            sessions: self.sessions.clone(),
            id: Some(session.id.clone()),
        };
        match self.prepare(&plan.prepare, &session).await {
            Ok(image) => {
                unfinished.commit();
                Ok(Started {
                    session,
                    token,
                    image,
                })
            }
            Err(err) => {
                // Removed before the answer says that nothing was kept.
                unfinished.abandon().await;
                Err(err)
            }
        }
    }

    /// Makes a running playground's nodes afresh and prepares them again for `purpose` (a
    /// class seat reset by its instructor): the same session, token and progress; what ran
    /// in the old nodes is gone.
    pub async fn renew(&self, session: &Session, purpose: Purpose) -> Result<(), StartError> {
        let plan = self.plan(purpose).await?;
        self.sessions.renew_nodes(session).await?;
        self.prepare(&plan.prepare, session).await?;
        Ok(())
    }

    /// Prepares `session` as `prepare` says; for an image, returns its name and ports.
    async fn prepare(
        &self,
        prepare: &Prepare,
        session: &Session,
    ) -> Result<Option<(String, Vec<u16>)>, StartError> {
        if !matches!(prepare, Prepare::Nothing) {
            // The warm pool's shell started before this preparation (a lesson's setup, an
            // image's greeting in `.bashrc`): the page's first shell must start after it.
            session
                .close_terminal(self.sessions.runtime(), crate::session::FIRST_TERM)
                .await;
        }
        let image = match prepare {
            Prepare::Nothing => None,
            Prepare::Lesson(lesson) => {
                session.set_lesson(&lesson.slug).await;
                let runtime = self.sessions.runtime().clone();
                runner::prepare(runtime.as_ref(), session, lesson)
                    .await
                    .map_err(|err| {
                        tracing::warn!(lesson = %lesson.slug, error = %err, "lesson setup failed");
                        StartError::LessonSetup(err.to_string())
                    })?;
                None
            }
            Prepare::Image(image) => {
                let ports = try_image::prepare(self.sessions.runtime().as_ref(), session, image)
                    .await
                    .map_err(|why| {
                        tracing::warn!(%image, error = %why, "trying an image failed");
                        StartError::ImageSetup {
                            image: try_image::short(image),
                            why,
                        }
                    })?;
                Some((image.clone(), ports))
            }
        };
        Ok(image)
    }

    /// What to make for `purpose` and how to prepare it, or why it cannot start.
    async fn plan(&self, purpose: Purpose) -> Result<Plan, StartError> {
        match purpose {
            // A seat starts as its lesson or blank playground would.
            Purpose::Seat(Seat {
                lesson: Some(slug), ..
            }) => Box::pin(self.plan(Purpose::Lesson(slug))).await,
            Purpose::Seat(Seat {
                lesson: None,
                profile,
                nodes,
            }) => Ok(Plan {
                request: CreateSession {
                    nodes: Some(nodes),
                    profile: Some(profile),
                },
                prepare: Prepare::Nothing,
            }),
            Purpose::Blank(request) => Ok(Plan {
                request,
                prepare: Prepare::Nothing,
            }),
            Purpose::Lesson(slug) => {
                let lesson = self.lessons.get(&slug).ok_or(StartError::NoLesson)?;
                if lesson.profile == Profile::Docker {
                    let names = self.images.names(self.sessions.runtime().as_ref()).await?;
                    let missing = lessons::missing_images(&lesson, &names);
                    if !missing.is_empty() {
                        return Err(StartError::MissingImages(missing));
                    }
                }
                Ok(Plan {
                    request: CreateSession {
                        nodes: Some(lesson.nodes),
                        profile: Some(lesson.profile),
                    },
                    prepare: Prepare::Lesson(lesson),
                })
            }
            Purpose::Image(asked) => {
                let available = self.images.names(self.sessions.runtime().as_ref()).await?;
                let image = try_image::resolve(&asked, &available).ok_or_else(|| {
                    StartError::UnknownImage {
                        asked: asked.trim().to_string(),
                        available: available.iter().map(|n| try_image::short(n)).collect(),
                    }
                })?;
                Ok(Plan {
                    request: CreateSession {
                        nodes: Some(1),
                        profile: Some(Profile::Docker),
                    },
                    prepare: Prepare::Image(image),
                })
            }
        }
    }
}

/// A start decided: the session to create and its preparation.
struct Plan {
    request: CreateSession,
    prepare: Prepare,
}

enum Prepare {
    Nothing,
    Lesson(Arc<lessons::Lesson>),
    /// The full name of the catalog image.
    Image(String),
}

/// Ends the session it names when dropped uncommitted: a failed preparation, or a client
/// that left (its request's future dropped) before the start was committed.
struct Unfinished {
    sessions: Arc<Sessions>,
    id: Option<String>,
}

impl Unfinished {
    fn commit(mut self) {
        self.id = None;
    }

    /// Ends the session now, waiting until its containers are gone.
    async fn abandon(mut self) {
        if let Some(id) = self.id.take() {
            if let Err(err) = self.sessions.end(&id, EndReason::Ended).await {
                tracing::warn!(session = %id, error = %err, "could not remove a playground that did not start");
            }
        }
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            let sessions = self.sessions.clone();
            // Dropped on the runtime: the request's task, or a test's.
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    if let Err(err) = sessions.end(&id, EndReason::Ended).await {
                        tracing::warn!(session = %id, error = %err, "could not remove a playground that did not start");
                    }
                });
            }
        }
    }
}
