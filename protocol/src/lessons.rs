//! Bodies of the lesson API: the catalog, a lesson's pages, checking a step, the student.
//!
//! Lesson text travels as HTML the server rendered from markdown and sanitised. In it, a
//! click-to-run block is `<pre class="quai-run" data-node="node1" data-interrupt="true">`
//! (`data-node` absent: the terminal in front; `data-interrupt` absent: no Ctrl-C first), an
//! inline one is `<code class="quai-run">`, and every other block is `<pre class="quai-copy">`.
//! Hints are `<details>` elements.

use serde::{Deserialize, Serialize};

use crate::api::{Profile, SessionCreated};

/// Where a lesson's link to a node's port points (Killercoda's `{{TRAFFIC_HOST1_80}}` becomes
/// `/p/quai-session/node1/80`): the page showing the lesson puts its session's id in place of
/// `quai-session`, and the link then opens the port's preview.
pub const PORT_LINK_PREFIX: &str = "/p/quai-session/";

/// A language Quai speaks: its lessons and its whole interface.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    En,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    /// The code used in file names, query strings and `lang` attributes.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// Reads `en`, `fr`, and browser tags such as `fr-CA` or `en_GB`.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        Lang::ALL.into_iter().find(|lang| lang.code() == primary)
    }
}

/// Whether a student may open any step, or each step only once the one before it passes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unlock {
    #[default]
    InOrder,
    Free,
}

/// One entry of `GET /api/lessons?lang=xx`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonSummary {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// The language `title` and `summary` are in: the one asked for unless it is missing.
    pub lang: Lang,
    /// Languages every page of the lesson is written in.
    pub langs: Vec<Lang>,
    /// Expected minutes.
    pub duration: u32,
    pub profile: Profile,
    pub nodes: u8,
    pub steps: u16,
    /// Steps this student has passed.
    pub passed: u16,
    /// Catalog images the lesson needs that this playground lacks; it cannot start while
    /// this is not empty.
    pub missing_images: Vec<String>,
}

/// A page of a lesson (intro, a step, the finish) in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub title: String,
    /// Sanitised HTML (see the module documentation for the classes it carries).
    pub html: String,
    /// The language of `html`: differs from the one asked for when the page is not translated.
    pub lang: Lang,
}

/// A step of a lesson.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    /// 1-based.
    pub number: u16,
    pub page: Page,
    /// Whether "Check" means anything for this step.
    pub checked: bool,
}

/// `GET /api/lessons/{slug}?lang=xx`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonView {
    pub summary: LessonSummary,
    pub intro: Page,
    pub steps: Vec<StepView>,
    pub finish: Page,
    pub unlock: Unlock,
    /// Numbers of the steps this student has passed.
    pub passed: Vec<u16>,
}

/// `POST /api/lessons/{slug}/start` (201): a session prepared for the lesson (assets copied,
/// setup run). The token is also set as a cookie, as for `POST /api/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonStarted {
    #[serde(flatten)]
    pub created: SessionCreated,
}

/// `POST /api/sessions/{id}/check`: check a step of the session's lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckStep {
    pub step: u16,
}

/// The answer to a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub step: u16,
    pub passed: bool,
    /// What the check printed, to show as a hint (may be empty).
    pub output: String,
    /// Whether the check ran out of time.
    pub timed_out: bool,
    /// Numbers of the steps this student has passed, after this check.
    pub passed_steps: Vec<u16>,
}

/// `GET /api/me` and the body of `PUT /api/me`: the anonymous student behind the browser.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Student {
    /// Optional display name, shown to instructors; at most 40 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::SessionInfo;

    fn round_trip<T>(value: &T) -> String
    where
        T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
    {
        let text = serde_json::to_string(value).unwrap();
        let back: T = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, value, "{text}");
        text
    }

    fn summary() -> LessonSummary {
        LessonSummary {
            slug: "first-container".into(),
            title: "Votre premier conteneur".into(),
            summary: "hello-world".into(),
            lang: Lang::Fr,
            langs: vec![Lang::En, Lang::Fr],
            duration: 20,
            profile: Profile::Docker,
            nodes: 1,
            steps: 5,
            passed: 2,
            missing_images: vec![],
        }
    }

    fn page() -> Page {
        Page {
            title: "Intro".into(),
            html: "<p>x</p>".into(),
            lang: Lang::En,
        }
    }

    #[test]
    fn languages_are_read_from_browser_tags() {
        assert_eq!(Lang::parse("fr-CA"), Some(Lang::Fr));
        assert_eq!(Lang::parse("EN_gb"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), Some(Lang::Fr));
        assert_eq!(Lang::parse("de-DE"), None);
        assert_eq!(Lang::parse(""), None);
        assert_eq!(round_trip(&Lang::Fr), "\"fr\"");
    }

    #[test]
    fn catalog_and_lesson_bodies_round_trip() {
        round_trip(&summary());
        let text = round_trip(&LessonView {
            summary: summary(),
            intro: page(),
            steps: vec![StepView {
                number: 1,
                page: page(),
                checked: true,
            }],
            finish: page(),
            unlock: Unlock::InOrder,
            passed: vec![1],
        });
        assert!(text.contains("\"unlock\":\"in_order\""), "{text}");
    }

    #[test]
    fn lesson_started_carries_the_session_and_its_lesson() {
        let text = round_trip(&LessonStarted {
            created: SessionCreated {
                session: SessionInfo {
                    id: "ab".into(),
                    created_at: 1,
                    expires_at: 2,
                    max_expires_at: 3,
                    profile: Profile::Docker,
                    nodes: vec![],
                    max_nodes: 5,
                    terminals: vec![],
                    lesson: Some("first-container".into()),
                },
                token: "t".into(),
            },
        });
        assert!(text.contains("\"lesson\":\"first-container\""), "{text}");
    }

    #[test]
    fn checks_and_students_round_trip() {
        round_trip(&CheckStep { step: 3 });
        round_trip(&CheckResult {
            step: 3,
            passed: false,
            output: "no container named web".into(),
            timed_out: false,
            passed_steps: vec![1, 2],
        });
        round_trip(&Student {
            name: Some("Ada".into()),
        });
        assert_eq!(round_trip(&Student::default()), "{}");
    }
}
