//! A lesson's first page (`/lessons/{slug}`): its title, summary, duration and steps, the
//! student's progress, the introduction, and the button that starts it (`start-lesson`).
//! When this browser has a session of the lesson still running, it offers to continue in it
//! (`continue-lesson`) or to start again in a new one. A lesson that lacks an image says
//! which, and cannot start.

use quai_protocol::{LessonView, Profile};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::banner::Banner;
use crate::components::lang_switch::LangSwitch;
use crate::components::lesson_text::LessonText;
use crate::components::start_lesson::StartLessonButton;
use crate::i18n::{self, t, use_lang, Msg};
use crate::services::api::{self, ApiFailure};
use crate::services::prefs;

#[derive(Properties, PartialEq)]
pub struct LessonIntroProps {
    pub slug: AttrValue,
}

#[derive(Debug, Clone, PartialEq)]
enum Load {
    Loading,
    Ready(Box<LessonView>),
    Failed(ApiFailure),
}

#[function_component(LessonIntro)]
pub fn lesson_intro(props: &LessonIntroProps) -> Html {
    let lang = use_lang();
    let load = use_state(|| Load::Loading);
    // A session of this lesson this browser started and that still runs.
    let running = use_state(|| None::<String>);
    let navigator = use_navigator();

    {
        let load = load.clone();
        use_effect_with((props.slug.clone(), lang), move |(slug, lang)| {
            let (slug, lang) = (slug.to_string(), *lang);
            wasm_bindgen_futures::spawn_local(async move {
                load.set(match api::lesson(&slug, lang).await {
                    Ok(view) => Load::Ready(Box::new(view)),
                    Err(failure) => Load::Failed(failure),
                });
            });
        });
    }
    {
        let running = running.clone();
        use_effect_with(props.slug.clone(), move |slug| {
            let slug = slug.to_string();
            if let Some(id) = prefs::lesson_session(&slug) {
                wasm_bindgen_futures::spawn_local(async move {
                    match api::get_session(&id).await {
                        Ok(info) if info.lesson.as_deref().is_none_or(|l| l == slug) => {
                            running.set(Some(id))
                        }
                        Ok(_) => {}
                        Err(failure) if failure.is_not_found() => {
                            prefs::set_lesson_session(&slug, None)
                        }
                        Err(_) => {}
                    }
                });
            }
        });
    }
    {
        let title = match &*load {
            Load::Ready(view) => format!("{} — Quai", view.summary.title),
            _ => "Quai".to_string(),
        };
        use_effect_with(title, |title| gloo::utils::document().set_title(title));
    }

    let bar = html! {
        <header class="page-bar">
            <Link<Route> to={Route::Home} classes="brand-small">{ "Quai" }</Link<Route>>
            <Link<Route> to={Route::Home} classes="page-bar-link">{ t(lang, Msg::AllLessons) }</Link<Route>>
            <span class="spacer" />
            <LangSwitch />
        </header>
    };
    let view = match &*load {
        Load::Ready(view) => view,
        Load::Loading => {
            return html! {
                <div class="lesson-intro-page">
                    { bar }
                    <main class="lesson-intro"><p class="muted" data-test-id="loading">{ t(lang, Msg::LessonLoading) }</p></main>
                </div>
            }
        }
        Load::Failed(failure) => {
            let text = if failure.is_not_found() {
                t(lang, Msg::LessonNotFound).to_string()
            } else {
                failure.sentence(lang)
            };
            return html! {
                <div class="lesson-intro-page">
                    { bar }
                    <main class="lesson-intro">
                        <section class="card lesson-intro-card" data-test-id="lesson-not-found">
                            <Banner text={text} />
                            <p><Link<Route> to={Route::Home} classes="button">{ t(lang, Msg::AllLessons) }</Link<Route>></p>
                        </section>
                    </main>
                </div>
            };
        }
    };

    let summary = &view.summary;
    let blocked = !summary.missing_images.is_empty();
    let (badge, badge_class) = match summary.profile {
        Profile::Docker => (Msg::WithDocker, "badge badge-docker"),
        Profile::Shell => (Msg::ShellOnly, "badge badge-shell"),
    };
    let steps = view.steps.iter().map(|step| {
        let done = view.passed.contains(&step.number);
        html! {
            <li class={classes!(done.then_some("step-done"))} lang={step.page.lang.code()}>
                <span class="step-number" aria-hidden="true">{ if done { "✓".to_string() } else { step.number.to_string() } }</span>
                <span>{ step.page.title.clone() }</span>
            </li>
        }
    });
    let actions = if blocked {
        html! {
            <div class="lesson-missing" data-test-id="lesson-missing" role="note">
                <strong>{ t(lang, Msg::CannotStart) }</strong>{ " — " }
                { i18n::missing_images(lang, &summary.missing_images) }
            </div>
        }
    } else if let Some(session) = (*running).clone() {
        let resume = {
            let (navigator, slug) = (navigator.clone(), props.slug.to_string());
            Callback::from(move |_: MouseEvent| {
                if let Some(navigator) = &navigator {
                    navigator.push(&Route::LessonSession {
                        slug: slug.clone(),
                        session: session.clone(),
                    });
                }
            })
        };
        html! {
            <div class="lesson-actions">
                <button type="button" class="button button-primary button-big" data-test-id="continue-lesson" onclick={resume}>
                    { t(lang, Msg::ContinueSession) }{ " →" }
                </button>
                <StartLessonButton slug={props.slug.clone()} label={t(lang, Msg::NewSession)} class="link-button" />
            </div>
        }
    } else {
        html! {
            <div class="lesson-actions">
                <StartLessonButton slug={props.slug.clone()} label={t(lang, Msg::StartTheLesson)}
                    class="button button-primary button-big" />
                if summary.passed > 0 {
                    <p class="muted lesson-fresh-note">{ t(lang, Msg::FreshNodes) }</p>
                }
            </div>
        }
    };
    html! {
        <div class="lesson-intro-page">
            { bar }
            <main class="lesson-intro">
                <article class="card lesson-intro-card" data-test-id="lesson-intro" lang={summary.lang.code()}>
                    <div class="lesson-card-meta">
                        <span class={badge_class}>{ t(lang, badge) }</span>
                        <span>{ i18n::minutes_short(lang, summary.duration) }</span>
                        <span aria-hidden="true">{ "·" }</span>
                        <span>{ i18n::steps_count(lang, summary.steps) }</span>
                        if summary.passed > 0 {
                            <span aria-hidden="true">{ "·" }</span>
                            <span data-test-id="lesson-progress">{ i18n::passed_of(lang, summary.passed, summary.steps) }</span>
                        }
                    </div>
                    <h1 class="lesson-intro-title" data-test-id="lesson-title">{ summary.title.clone() }</h1>
                    <p class="lesson-intro-summary">{ summary.summary.clone() }</p>
                    if view.intro.lang != lang {
                        <p class="untranslated" data-test-id="untranslated" role="note">{ t(lang, Msg::Untranslated) }</p>
                    }
                    <LessonText html={view.intro.html.clone()} lang={view.intro.lang} />
                    <ol class="lesson-outline">{ for steps }</ol>
                    { actions }
                </article>
            </main>
        </div>
    }
}
