//! The "Start a playground" button: creates a session of a profile, opens its socket early
//! (its handshake runs while the page is drawn), then goes to its page;
//! shows "Starting…" meanwhile, and a banner when the server says no (or, when the
//! playground is full and the page asked for it, tells the page through `on_full`). Once the
//! page has settled it warms xterm.js up (`xterm::warm_up`), for the terminal to come.

use quai_protocol::Profile;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::banner::Banner;
use crate::i18n::{t, use_lang, Msg, Sentence};
use crate::services::{api, prefs, socket, timing};
use crate::xterm;

/// How long after the button shows xterm.js is warmed up: the page has painted by then.
const WARM_UP_AFTER_MS: u32 = 300;

#[derive(Properties, PartialEq)]
pub struct StartButtonProps {
    pub label: AttrValue,
    pub test_id: AttrValue,
    #[prop_or_else(|| AttrValue::from("button button-primary"))]
    pub class: AttrValue,
    #[prop_or_default]
    pub profile: Profile,
    /// Called with the seconds until a place frees up (when known) if the playground is
    /// full, instead of showing a banner.
    #[prop_or_default]
    pub on_full: Option<Callback<Option<u64>>>,
}

#[function_component(StartButton)]
pub fn start_button(props: &StartButtonProps) -> Html {
    let lang = use_lang();
    let busy = use_state(|| false);
    let error = use_state(|| None::<Sentence>);
    let navigator = use_navigator();
    use_effect_with((), |_| {
        let timer = gloo::timers::callback::Timeout::new(WARM_UP_AFTER_MS, || {
            xterm::warm_up(prefs::font_size())
        });
        move || drop(timer)
    });

    let onclick = {
        let (busy, error) = (busy.clone(), error.clone());
        let (profile, on_full) = (props.profile, props.on_full.clone());
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            timing::mark("click");
            busy.set(true);
            error.set(None);
            let (busy, error, navigator) = (busy.clone(), error.clone(), navigator.clone());
            let on_full = on_full.clone();
            wasm_bindgen_futures::spawn_local(async move {
                timing::mark("create-sent");
                match api::create_session(profile).await {
                    Ok(created) => {
                        timing::mark("create-answered");
                        socket::open_early(&created.session.id).await;
                        if let Some(navigator) = navigator {
                            navigator.push(&Route::Playground {
                                id: created.session.id,
                            });
                        }
                    }
                    Err(failure) => {
                        busy.set(false);
                        match (failure.capacity(), on_full) {
                            (Some(retry_after), Some(on_full)) => on_full.emit(retry_after),
                            _ => error.set(Some(Sentence::Api(failure))),
                        }
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
                disabled={*busy} aria-busy={busy.to_string()} {onclick}>
                { if *busy { AttrValue::from(t(lang, Msg::Starting)) } else { props.label.clone() } }
            </button>
            if let Some(sentence) = (*error).clone() {
                <Banner text={sentence.render(lang)} on_dismiss={dismiss} />
            }
        </div>
    }
}
