//! The panel shown once a session is over (`data-test-id="session-ended"`), with a way to
//! start a new playground, or, for a lesson, to start the lesson again in a new session
//! (`restart-lesson`): progress belongs to the student, not to the session.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::start_button::StartButton;
use crate::components::start_lesson::StartLessonButton;
use crate::i18n::{t, use_lang, Msg};
use crate::state::Ended;

#[derive(Properties, PartialEq)]
pub struct EndedProps {
    pub ended: Ended,
    /// The lesson the session was for, if any.
    #[prop_or_default]
    pub lesson: Option<AttrValue>,
}

#[function_component(EndedPanel)]
pub fn ended_panel(props: &EndedProps) -> Html {
    let lang = use_lang();
    let action = match &props.lesson {
        Some(slug) => html! {
            <>
                <p class="ended-note" data-test-id="progress-kept">{ t(lang, Msg::ProgressKept) }</p>
                <StartLessonButton slug={slug.clone()} label={t(lang, Msg::RestartLesson)} test_id="restart-lesson" />
            </>
        },
        None => html! {
            <StartButton label={t(lang, Msg::StartNewPlayground)} test_id="start-new-playground" />
        },
    };
    html! {
        <div class="ended-backdrop">
            <section class="card ended" data-test-id="session-ended" role="dialog" aria-labelledby="ended-title">
                <h2 id="ended-title">{ t(lang, Msg::SessionOver) }</h2>
                <p data-test-id="session-ended-reason">{ t(lang, props.ended.sentence()) }</p>
                { action }
                <p class="muted"><Link<Route> to={Route::Home}>{ t(lang, Msg::BackHome) }</Link<Route>></p>
            </section>
        </div>
    }
}
