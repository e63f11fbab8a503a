//! `/join` and `/join/CODE`: a student types the class code (prefilled from the address) and
//! a display name, and goes to their seat: the lesson beside its terminals, or the
//! playground. Each refusal (wrong code, class not open yet, over, full) is its own sentence
//! in the page's language (`data-test-id="join-error"`).

use quai_protocol::ErrorCode;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::lang_switch::LangSwitch;
use crate::i18n::{self, t, use_lang, Lang, Msg};
use crate::services::api::ApiFailure;
use crate::services::classes;

#[derive(Properties, PartialEq)]
pub struct JoinProps {
    #[prop_or_default]
    pub code: AttrValue,
}

/// What the student reads when a join is refused.
pub fn refusal(lang: Lang, failure: &ApiFailure) -> String {
    let ApiFailure::Status {
        error: Some(error), ..
    } = failure
    else {
        return failure.sentence(lang);
    };
    match error.code {
        ErrorCode::WrongCode => t(lang, Msg::JoinWrongCode).to_string(),
        ErrorCode::ClassEnded => t(lang, Msg::JoinEnded).to_string(),
        ErrorCode::ClassFull => t(lang, Msg::JoinFull).to_string(),
        ErrorCode::ClassNotStarted => {
            i18n::class_opens_in(lang, error.retry_after_secs.unwrap_or(60))
        }
        ErrorCode::BadRequest => t(lang, Msg::JoinBadName).to_string(),
        _ => failure.sentence(lang),
    }
}

#[function_component(Join)]
pub fn join(props: &JoinProps) -> Html {
    let lang = use_lang();
    use_effect_with(lang, |&lang| {
        gloo::utils::document().set_title(&format!("Quai — {}", t(lang, Msg::JoinTitle)))
    });
    let navigator = use_navigator();
    let code = use_node_ref();
    let name = use_node_ref();
    // The code of the address, put in once: a `value` attribute would empty what the
    // student typed each time the page redraws (an error shown).
    {
        let code = code.clone();
        use_effect_with(props.code.clone(), move |prefill| {
            if let Some(input) = code.cast::<HtmlInputElement>() {
                input.set_value(prefill);
            }
        });
    }
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiFailure>);
    let missing = use_state(|| false);
    let onsubmit = {
        let (code, name, busy, error, missing) = (
            code.clone(),
            name.clone(),
            busy.clone(),
            error.clone(),
            missing.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let value = |node: &NodeRef| {
                node.cast::<HtmlInputElement>()
                    .map(|i| i.value().trim().to_string())
                    .unwrap_or_default()
            };
            let (typed, student) = (value(&code), value(&name));
            if typed.is_empty() || student.is_empty() {
                missing.set(true);
                return;
            }
            missing.set(false);
            error.set(None);
            busy.set(true);
            let (busy, error, navigator) = (busy.clone(), error.clone(), navigator.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match classes::join(&typed, &student).await {
                    Ok(created) => {
                        let id = created.session.id;
                        let route = match created.session.lesson {
                            Some(slug) => Route::LessonSession { slug, session: id },
                            None => Route::Playground { id },
                        };
                        if let Some(navigator) = navigator {
                            navigator.push(&route);
                        }
                    }
                    Err(failure) => {
                        busy.set(false);
                        error.set(Some(failure));
                    }
                }
            });
        })
    };
    let problem = if *missing {
        Some(t(lang, Msg::JoinMissing).to_string())
    } else {
        (*error).as_ref().map(|failure| refusal(lang, failure))
    };
    html! {
        <main class="home">
            <div class="corner"><LangSwitch /></div>
            <section class="card class-card" data-test-id="join-page">
                <Link<Route> to={Route::Home} classes="brand try-brand">{ "Quai" }</Link<Route>>
                <h2>{ t(lang, Msg::JoinTitle) }</h2>
                <p class="muted class-intro">{ t(lang, Msg::JoinIntro) }</p>
                <form class="class-form" {onsubmit} novalidate=true>
                    <label class="class-field">
                        <span>{ t(lang, Msg::JoinCode) }</span>
                        <input ref={code} class="class-input class-code-input" data-test-id="join-code"
                            maxlength="12" autocomplete="off"
                            autocapitalize="characters" spellcheck="false" />
                    </label>
                    <label class="class-field">
                        <span>{ t(lang, Msg::JoinName) }</span>
                        <input ref={name} class="class-input" data-test-id="join-name"
                            maxlength={quai_protocol::MAX_STUDENT_NAME.to_string()} autocomplete="nickname" />
                    </label>
                    if let Some(problem) = problem {
                        <div class="banner banner-error" role="alert" data-test-id="join-error">
                            <span class="banner-text">{ problem }</span>
                        </div>
                    }
                    <button class="button button-primary button-big" type="submit"
                        data-test-id="join-submit" disabled={*busy}>
                        { if *busy { t(lang, Msg::Joining) } else { t(lang, Msg::JoinButton) } }
                    </button>
                </form>
            </section>
        </main>
    }
}
