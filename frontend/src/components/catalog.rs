//! The lesson catalog of the home page (`data-test-id="lessons"`): one card per lesson
//! (`lesson-card`, with `data-slug`) with its title, summary, duration, steps, profile, the
//! student's progress (`lesson-progress`, "2/5 passed") and a button to its page
//! (`open-lesson`: "Start", "Continue" or "Review"); a lesson that lacks an image says so
//! (`lesson-missing`) instead. Reloaded when the language changes.

use quai_protocol::{LessonSummary, Profile};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::i18n::{self, t, use_lang, Msg};
use crate::services::api::{self, ApiFailure};

#[derive(Debug, Clone, PartialEq)]
enum Load {
    Loading,
    Ready(Vec<LessonSummary>),
    Failed(ApiFailure),
}

#[function_component(Catalog)]
pub fn catalog() -> Html {
    let lang = use_lang();
    let load = use_state(|| Load::Loading);
    {
        let load = load.clone();
        use_effect_with(lang, move |&lang| {
            wasm_bindgen_futures::spawn_local(async move {
                load.set(match api::lessons(lang).await {
                    Ok(lessons) => Load::Ready(lessons),
                    Err(failure) => Load::Failed(failure),
                });
            });
        });
    }
    let body = match &*load {
        // A server without lessons at all (an older one) shows no catalog.
        Load::Failed(failure) if failure.is_not_found() => return html! {},
        Load::Loading => {
            html! { <p class="muted catalog-note">{ t(lang, Msg::LessonsLoading) }</p> }
        }
        Load::Failed(failure) => html! {
            <p class="muted catalog-note" data-test-id="lessons-failed">
                { format!("{} {}", t(lang, Msg::LessonsFailed), failure.sentence(lang)) }
            </p>
        },
        Load::Ready(lessons) if lessons.is_empty() => {
            html! { <p class="muted catalog-note">{ t(lang, Msg::NoLessons) }</p> }
        }
        Load::Ready(lessons) => {
            let cards = lessons.iter().map(|lesson| {
                html! { <LessonCard key={lesson.slug.clone()} lesson={lesson.clone()} /> }
            });
            html! { <div class="lesson-grid">{ for cards }</div> }
        }
    };
    html! {
        <section class="catalog" data-test-id="lessons" aria-labelledby="lessons-title">
            <h2 id="lessons-title">{ t(lang, Msg::LessonsHeading) }</h2>
            <p class="catalog-intro">{ t(lang, Msg::LessonsIntro) }</p>
            { body }
        </section>
    }
}

/// What a card's button says.
pub fn card_action(lesson: &LessonSummary) -> Msg {
    if lesson.steps > 0 && lesson.passed >= lesson.steps {
        Msg::ReviewLesson
    } else if lesson.passed > 0 {
        Msg::ContinueLesson
    } else {
        Msg::StartLesson
    }
}

/// The width of the progress bar, in percent.
pub fn percent(passed: u16, steps: u16) -> u32 {
    if steps == 0 {
        0
    } else {
        (u32::from(passed.min(steps)) * 100) / u32::from(steps)
    }
}

#[derive(Properties, PartialEq)]
struct CardProps {
    lesson: LessonSummary,
}

#[function_component(LessonCard)]
fn lesson_card(props: &CardProps) -> Html {
    let lang = use_lang();
    let navigator = use_navigator();
    let lesson = &props.lesson;
    let blocked = !lesson.missing_images.is_empty();
    let done = lesson.steps > 0 && lesson.passed >= lesson.steps;
    let open = {
        let slug = lesson.slug.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(navigator) = &navigator {
                navigator.push(&Route::Lesson { slug: slug.clone() });
            }
        })
    };
    let (badge, badge_class) = match lesson.profile {
        Profile::Docker => (Msg::WithDocker, "badge badge-docker"),
        Profile::Shell => (Msg::ShellOnly, "badge badge-shell"),
    };
    let foot = if blocked {
        html! {
            <p class="lesson-missing" data-test-id="lesson-missing" role="note">
                <strong>{ t(lang, Msg::CannotStart) }</strong>{ " — " }
                { i18n::missing_images(lang, &lesson.missing_images) }
            </p>
        }
    } else {
        html! {
            <button type="button" class={classes!("button", (!done).then_some("button-primary"))}
                data-test-id="open-lesson" onclick={open}>
                { t(lang, card_action(lesson)) }<span class="arrow" aria-hidden="true">{ "→" }</span>
            </button>
        }
    };
    html! {
        <article class={classes!("lesson-card", blocked.then_some("lesson-card-blocked"), done.then_some("lesson-card-done"))}
            data-test-id="lesson-card" data-slug={lesson.slug.clone()} lang={lesson.lang.code()}>
            <div class="lesson-card-meta">
                <span class={badge_class}>{ t(lang, badge) }</span>
                <span>{ i18n::minutes_short(lang, lesson.duration) }</span>
                <span aria-hidden="true">{ "·" }</span>
                <span>{ i18n::steps_count(lang, lesson.steps) }</span>
                if done {
                    <span class="lesson-done">{ "✓ " }{ t(lang, Msg::LessonDone) }</span>
                }
            </div>
            <h3 class="lesson-card-title">{ lesson.title.clone() }</h3>
            <p class="lesson-card-summary">{ lesson.summary.clone() }</p>
            <div class="lesson-card-progress">
                <div class="progress-bar" aria-hidden="true">
                    <span style={format!("width:{}%", percent(lesson.passed, lesson.steps))} />
                </div>
                <span class="progress-text" data-test-id="lesson-progress">
                    { i18n::passed_of(lang, lesson.passed, lesson.steps) }
                </span>
            </div>
            { foot }
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quai_protocol::Lang;

    fn lesson(passed: u16, steps: u16) -> LessonSummary {
        LessonSummary {
            slug: "s".into(),
            title: "T".into(),
            summary: String::new(),
            lang: Lang::En,
            langs: vec![Lang::En],
            duration: 5,
            profile: Profile::Shell,
            nodes: 1,
            steps,
            passed,
            missing_images: vec![],
        }
    }

    #[test]
    fn cards_start_continue_or_review() {
        assert_eq!(card_action(&lesson(0, 5)), Msg::StartLesson);
        assert_eq!(card_action(&lesson(2, 5)), Msg::ContinueLesson);
        assert_eq!(card_action(&lesson(5, 5)), Msg::ReviewLesson);
        assert_eq!(percent(2, 5), 40);
        assert_eq!(percent(7, 5), 100);
        assert_eq!(percent(0, 0), 0);
    }
}
