//! The lesson beside the terminals of its session (`data-test-id="lesson-panel"`): the
//! lesson's title and progress, a row of page buttons (`nav-intro`, `nav-step-N`,
//! `nav-finish`; locked steps disabled), the page itself (`lesson-page`, with
//! `data-place`), a notice when the page is not in the language asked for
//! (`untranslated`), "Check" for a checked step (`check`) with its result (`check-result`,
//! `data-passed`), and Previous / Next (`prev-page`, `next-page`).
//!
//! A passed check moves on to the next page and says so there (`check-passed`); a failed one
//! shows what the check printed as a hint (`check-output`). Progress comes from the server
//! (it is the student's, not the session's), so a reload resumes where the student is.

use quai_protocol::{CheckResult, LessonView, Page};
use web_sys::HtmlElement;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::banner::Banner;
use crate::components::lesson_text::{LessonText, RunBlock};
use crate::i18n::{self, t, use_lang, Msg, Sentence};
use crate::lesson::{self, Place};
use crate::services::api::{self, ApiFailure};

#[derive(Properties, PartialEq)]
pub struct LessonPanelProps {
    pub slug: AttrValue,
    pub session: AttrValue,
    /// Runs a click-to-run block in a terminal; `None` once the session is over.
    #[prop_or_default]
    pub on_run: Option<Callback<RunBlock>>,
}

/// The answer of the last check, as the step shows it.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Failed(CheckResult),
    Error(ApiFailure),
}

#[derive(Debug, Clone, PartialEq)]
enum Load {
    Loading,
    Ready(Box<LessonView>),
    Failed(ApiFailure),
}

#[function_component(LessonPanel)]
pub fn lesson_panel(props: &LessonPanelProps) -> Html {
    let lang = use_lang();
    let load = use_state(|| Load::Loading);
    let place = use_state(|| None::<Place>);
    let passed = use_state(Vec::<u16>::new);
    let checking = use_state(|| false);
    let outcome = use_state(|| None::<(u16, Outcome)>);
    // The step whose check has just passed, announced on the page that follows it.
    let flash = use_state(|| None::<u16>);
    let scroller = use_node_ref();

    // The lesson in the language of the moment; the student's place is kept across reloads
    // of the text.
    {
        let (load, place, passed) = (load.clone(), place.clone(), passed.clone());
        use_effect_with((props.slug.clone(), lang), move |(slug, lang)| {
            let (slug, lang) = (slug.to_string(), *lang);
            wasm_bindgen_futures::spawn_local(async move {
                match api::lesson(&slug, lang).await {
                    Ok(view) => {
                        if place.is_none() {
                            place.set(Some(lesson::resume(&view, &view.passed)));
                        }
                        passed.set(view.passed.clone());
                        load.set(Load::Ready(Box::new(view)));
                    }
                    Err(failure) => load.set(Load::Failed(failure)),
                }
            });
        });
    }
    // The tab says which lesson this is.
    {
        let title = match &*load {
            Load::Ready(view) => Some(format!("{} — Quai", view.summary.title)),
            _ => None,
        };
        use_effect_with(title, |title| {
            if let Some(title) = title {
                gloo::utils::document().set_title(title);
            }
        });
    }
    // A new page starts at its top.
    {
        let scroller = scroller.clone();
        use_effect_with(*place, move |_| {
            if let Some(el) = scroller.cast::<HtmlElement>() {
                el.set_scroll_top(0);
            }
        });
    }

    let view = match &*load {
        Load::Ready(view) => view,
        Load::Loading => {
            return html! {
                <aside class="lesson-panel" data-test-id="lesson-panel">
                    <div class="lesson-loading">{ t(lang, Msg::LessonLoading) }</div>
                </aside>
            }
        }
        Load::Failed(failure) => {
            let text = if failure.is_not_found() {
                t(lang, Msg::LessonNotFound).to_string()
            } else {
                failure.sentence(lang)
            };
            return html! {
                <aside class="lesson-panel" data-test-id="lesson-panel">
                    <div class="lesson-loading"><Banner text={text} /></div>
                </aside>
            };
        }
    };
    let here = place.unwrap_or(Place::Intro);
    let passed_now: &[u16] = &passed;

    let go = |to: Place| {
        let (place, outcome, flash) = (place.clone(), outcome.clone(), flash.clone());
        Callback::from(move |_: MouseEvent| {
            outcome.set(None);
            flash.set(None);
            place.set(Some(to));
        })
    };

    let on_check = {
        let (checking, outcome, flash, passed, place) = (
            checking.clone(),
            outcome.clone(),
            flash.clone(),
            passed.clone(),
            place.clone(),
        );
        let (session, view) = (props.session.to_string(), view.clone());
        Callback::from(move |_: MouseEvent| {
            let Place::Step(step) = here else { return };
            if *checking {
                return;
            }
            checking.set(true);
            outcome.set(None);
            flash.set(None);
            let (checking, outcome, flash, passed, place, session, view) = (
                checking.clone(),
                outcome.clone(),
                flash.clone(),
                passed.clone(),
                place.clone(),
                session.clone(),
                view.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                match api::check_step(&session, step, lang).await {
                    Ok(result) => {
                        passed.set(result.passed_steps.clone());
                        if result.passed {
                            flash.set(Some(step));
                            let next =
                                lesson::next_open(&view, &result.passed_steps, Place::Step(step));
                            place.set(Some(next.unwrap_or(Place::Step(step))));
                        } else {
                            outcome.set(Some((step, Outcome::Failed(result))));
                        }
                    }
                    Err(failure) => outcome.set(Some((step, Outcome::Error(failure)))),
                }
                checking.set(false);
            });
        })
    };

    let (done, total) = lesson::progress(view, passed_now);
    let nav = lesson::places(view).into_iter().map(|p| {
        let open = lesson::is_open(view, passed_now, p);
        let is_passed = lesson::is_passed(passed_now, p);
        let (label, title) = match p {
            Place::Intro => ("i".to_string(), t(lang, Msg::Intro).to_string()),
            Place::Step(n) => (
                n.to_string(),
                page_of(view, p).map_or_else(|| i18n::step_name(lang, n), |page| {
                    format!("{} — {}", i18n::step_name(lang, n), page.title)
                }),
            ),
            Place::Finish => ("⚑".to_string(), t(lang, Msg::Finish).to_string()),
        };
        let state = if p == here {
            "current"
        } else if is_passed {
            "passed"
        } else if open {
            "open"
        } else {
            "locked"
        };
        html! {
            <li>
                <button type="button" class={classes!("step-pill", format!("step-pill-{state}"), is_passed.then_some("step-pill-done"))}
                    data-test-id={format!("nav-{}", p.test_id())} data-state={state} data-passed={is_passed.to_string()}
                    title={title.clone()} aria-label={title} aria-current={(p == here).then_some("step")}
                    disabled={!open} onclick={go(p)}>
                    if is_passed && p != here { { "✓" } } else { { label } }
                </button>
            </li>
        }
    });

    let body = if !lesson::is_open(view, passed_now, here) {
        html! { <p class="lesson-locked" data-test-id="locked">{ t(lang, Msg::Locked) }</p> }
    } else if let Some(page) = page_of(view, here) {
        let kicker = match here {
            Place::Intro => t(lang, Msg::Intro).to_string(),
            Place::Step(n) => i18n::step_of(lang, n, view.steps.len() as u16),
            Place::Finish => t(lang, Msg::Finish).to_string(),
        };
        let just_passed =
            (*flash).filter(|step| lesson::next(view, Place::Step(*step)) == Some(here));
        let untranslated = page.lang != lang;
        html! {
            <>
                if let Some(step) = just_passed {
                    <div class="check-flash" data-test-id="check-passed" role="status">
                        <span class="check-icon" aria-hidden="true">{ "✓" }</span>
                        { i18n::step_passed(lang, step, here == Place::Finish) }
                    </div>
                }
                <p class="lesson-kicker">
                    { kicker }
                    if lesson::is_passed(passed_now, here) {
                        <span class="passed-badge" data-test-id="step-passed-badge">{ "✓ " }{ t(lang, Msg::StepPassedBadge) }</span>
                    }
                </p>
                <h2 class="lesson-page-title" lang={page.lang.code()}>{ page.title.clone() }</h2>
                if untranslated {
                    <p class="untranslated" data-test-id="untranslated" role="note">{ t(lang, Msg::Untranslated) }</p>
                }
                <LessonText key={format!("{}-{}", here.test_id(), page.lang.code())} html={page.html.clone()}
                    lang={page.lang} on_run={props.on_run.clone()} session={props.session.clone()} />
                { check_box(CheckBox {
                    lang,
                    view,
                    here,
                    passed: passed_now,
                    checking: *checking,
                    outcome: (*outcome).as_ref().filter(|(step, _)| Place::Step(*step) == here).map(|(_, o)| o),
                    can_check: props.on_run.is_some(),
                    on_check,
                }) }
                if here == Place::Finish {
                    <p class="lesson-finish-links">
                        <Link<Route> to={Route::Home} classes="button">{ t(lang, Msg::AllLessons) }</Link<Route>>
                    </p>
                }
            </>
        }
    } else {
        html! {}
    };

    let prev = lesson::previous(view, here);
    let next = lesson::next(view, here);
    let next_open = lesson::next_open(view, passed_now, here);
    let waiting = next.is_some() && next_open.is_none();
    html! {
        <aside class="lesson-panel" data-test-id="lesson-panel" aria-label={t(lang, Msg::LessonPanel)}>
            <header class="lesson-head">
                <div class="lesson-head-row">
                    <Link<Route> to={Route::Home} classes="lesson-back">{ "← " }{ t(lang, Msg::AllLessons) }</Link<Route>>
                    <span class="lesson-progress" data-test-id="lesson-progress">
                        <span class="progress-bar" aria-hidden="true">
                            <span style={format!("width:{}%", crate::components::catalog::percent(done, total))} />
                        </span>
                        { i18n::passed_of(lang, done, total) }
                    </span>
                </div>
                <h1 class="lesson-title" data-test-id="lesson-title" lang={view.summary.lang.code()}>{ view.summary.title.clone() }</h1>
                <nav aria-label={t(lang, Msg::StepsNav)}>
                    <ol class="step-pills">{ for nav }</ol>
                </nav>
            </header>
            <div class="lesson-scroll" ref={scroller}>
                <article class="lesson-page" data-test-id="lesson-page" data-place={here.test_id()}>
                    { body }
                </article>
            </div>
            <footer class="lesson-foot">
                <button type="button" class="button" data-test-id="prev-page" disabled={prev.is_none()}
                    onclick={prev.map(go)}>{ "← " }{ t(lang, Msg::Previous) }</button>
                if waiting {
                    <span class="lesson-foot-hint">{ t(lang, Msg::PassToContinue) }</span>
                }
                if next.is_some() {
                    <button type="button" class={classes!("button", next_open.is_some().then_some("button-primary"))}
                        data-test-id="next-page" disabled={next_open.is_none()} onclick={next_open.map(go)}>
                        { t(lang, if matches!(next, Some(Place::Step(_))) { Msg::NextStep } else { Msg::Next }) }{ " →" }
                    </button>
                }
            </footer>
        </aside>
    }
}

/// The page shown at `place`.
fn page_of(view: &LessonView, place: Place) -> Option<&Page> {
    match place {
        Place::Intro => Some(&view.intro),
        Place::Step(n) => view.steps.iter().find(|s| s.number == n).map(|s| &s.page),
        Place::Finish => Some(&view.finish),
    }
}

struct CheckBox<'a> {
    lang: i18n::Lang,
    view: &'a LessonView,
    here: Place,
    passed: &'a [u16],
    checking: bool,
    outcome: Option<&'a Outcome>,
    can_check: bool,
    on_check: Callback<MouseEvent>,
}

/// The "Check" box at the end of a step: the button, and the last result.
fn check_box(b: CheckBox<'_>) -> Html {
    let lang = b.lang;
    if !matches!(b.here, Place::Step(_)) {
        return html! {};
    }
    if !lesson::is_checked(b.view, b.here) {
        return html! { <p class="check-none muted">{ t(lang, Msg::NotChecked) }</p> };
    }
    let already = lesson::is_passed(b.passed, b.here);
    let label = if b.checking {
        Msg::Checking
    } else if already || b.outcome.is_some() {
        Msg::CheckAgain
    } else {
        Msg::Check
    };
    let result = match b.outcome {
        Some(Outcome::Failed(result)) => html! {
            <div class="check-result check-fail" data-test-id="check-result" data-passed="false" role="alert">
                <strong>{ "✗ " }{ t(lang, Msg::NotYet) }</strong>
                if result.timed_out {
                    <p data-test-id="check-timeout">{ t(lang, Msg::CheckTimedOut) }</p>
                }
                if !result.output.trim().is_empty() {
                    <pre class="check-output" data-test-id="check-output">{ lesson::hint_for(lang, result.output.trim_end()) }</pre>
                }
            </div>
        },
        Some(Outcome::Error(failure)) => html! {
            <div class="check-result check-fail" data-test-id="check-result" data-passed="error" role="alert">
                { Sentence::Failed(Msg::CheckFailed, failure.clone()).render(lang) }
            </div>
        },
        None => html! {},
    };
    html! {
        <section class={classes!("check-box", already.then_some("check-box-passed"))}>
            <button type="button" class={classes!("button", if already { "button-ok" } else { "button-primary" })}
                data-test-id="check" disabled={b.checking || !b.can_check} aria-busy={b.checking.to_string()}
                onclick={b.on_check}>
                if b.checking {
                    <span class="spinner" aria-hidden="true" />
                }
                { t(lang, label) }
            </button>
            if already && b.outcome.is_none() {
                <span class="check-passed-note">{ "✓ " }{ t(lang, Msg::StepPassedBadge) }</span>
            }
            { result }
        </section>
    }
}
