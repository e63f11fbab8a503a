//! The "Start a playground" button: creates a session, then goes to its page; shows
//! "Starting…" meanwhile and a banner when the server says no.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::banner::Banner;
use crate::services::api;

#[derive(Properties, PartialEq)]
pub struct StartButtonProps {
    pub label: AttrValue,
    pub test_id: AttrValue,
    #[prop_or_else(|| AttrValue::from("button button-primary"))]
    pub class: AttrValue,
}

#[function_component(StartButton)]
pub fn start_button(props: &StartButtonProps) -> Html {
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let navigator = use_navigator();

    let onclick = {
        let (busy, error) = (busy.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            busy.set(true);
            error.set(None);
            let (busy, error, navigator) = (busy.clone(), error.clone(), navigator.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::create_session().await {
                    Ok(created) => {
                        if let Some(navigator) = navigator {
                            navigator.push(&Route::Playground {
                                id: created.session.id,
                            });
                        }
                    }
                    Err(failure) => {
                        error.set(Some(failure.sentence()));
                        busy.set(false);
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
                { if *busy { AttrValue::from("Starting…") } else { props.label.clone() } }
            </button>
            if let Some(text) = (*error).clone() {
                <Banner text={text} on_dismiss={dismiss} />
            }
        </div>
    }
}
