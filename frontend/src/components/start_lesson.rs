//! The button that starts a lesson (`POST /api/lessons/{slug}/start`), remembers the new
//! session for the lesson's page, and goes to `/lessons/{slug}/{session}`; it shows
//! "Starting…" meanwhile (preparing the nodes may take a few seconds) and a banner when the
//! server says no: an image missing, the playground full, too many starts.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::banner::Banner;
use crate::i18n::{t, use_lang, Msg, Sentence};
use crate::services::{api, prefs};

#[derive(Properties, PartialEq)]
pub struct StartLessonProps {
    pub slug: AttrValue,
    pub label: AttrValue,
    #[prop_or_else(|| AttrValue::from("start-lesson"))]
    pub test_id: AttrValue,
    #[prop_or_else(|| AttrValue::from("button button-primary"))]
    pub class: AttrValue,
    #[prop_or_default]
    pub disabled: bool,
}

#[function_component(StartLessonButton)]
pub fn start_lesson_button(props: &StartLessonProps) -> Html {
    let lang = use_lang();
    let busy = use_state(|| false);
    let error = use_state(|| None::<Sentence>);
    let navigator = use_navigator();

    let onclick = {
        let (busy, error, slug) = (busy.clone(), error.clone(), props.slug.to_string());
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            busy.set(true);
            error.set(None);
            let (busy, error, navigator, slug) =
                (busy.clone(), error.clone(), navigator.clone(), slug.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::start_lesson(&slug).await {
                    Ok(started) => {
                        let session = started.created.session.id;
                        prefs::set_lesson_session(&slug, Some(&session));
                        if let Some(navigator) = navigator {
                            navigator.push(&Route::LessonSession { slug, session });
                        }
                    }
                    Err(failure) => {
                        busy.set(false);
                        error.set(Some(Sentence::Failed(Msg::StartFailed, failure)));
                    }
                }
            });
        })
    };
    let dismiss = {
        let error = error.clone();
        Callback::from(move |()| error.set(None))
    };
    html! {
        <div class="start">
            <button class={props.class.clone()} type="button" data-test-id={props.test_id.clone()}
                disabled={*busy || props.disabled} aria-busy={busy.to_string()} {onclick}>
                if *busy {
                    <span class="spinner" aria-hidden="true" />{ t(lang, Msg::Starting) }
                } else {
                    { props.label.clone() }
                }
            </button>
            if let Some(sentence) = (*error).clone() {
                <Banner text={sentence.render(lang)} on_dismiss={dismiss} test_id="start-error" />
            }
        </div>
    }
}
