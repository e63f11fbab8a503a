//! The "raise hand" button of a class seat's page: shown only when the session is a seat of
//! a class (the server answers its hand), it raises or lowers the student's hand, which
//! lights their row on the instructor's roster. The hand is read again every few seconds,
//! since the instructor may lower it.

use yew::prelude::*;

use crate::i18n::{t, use_lang, Msg};
use crate::services::classes;

#[derive(Properties, PartialEq)]
pub struct RaiseHandProps {
    /// The session of the page.
    pub session: AttrValue,
}

#[function_component(RaiseHand)]
pub fn raise_hand(props: &RaiseHandProps) -> Html {
    let lang = use_lang();
    // None: not a class seat (or not known yet): nothing is shown.
    let raised = use_state(|| None::<bool>);
    {
        let (raised, session) = (raised.clone(), props.session.to_string());
        use_effect_with(session.clone(), move |_| {
            let read = {
                let (raised, session) = (raised.clone(), session.clone());
                move || {
                    let (raised, session) = (raised.clone(), session.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        match classes::hand(&session).await {
                            Ok(hand) => raised.set(Some(hand.raised)),
                            Err(crate::services::api::ApiFailure::Status {
                                status: 404, ..
                            }) => raised.set(None),
                            Err(_) => {}
                        }
                    });
                }
            };
            read();
            let interval = gloo::timers::callback::Interval::new(5_000, read);
            move || drop(interval)
        });
    }
    let Some(up) = *raised else {
        return html! {};
    };
    let toggle = {
        let (raised, session) = (raised.clone(), props.session.to_string());
        Callback::from(move |_: MouseEvent| {
            let (raised, session) = (raised.clone(), session.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(hand) = classes::set_hand(&session, !up).await {
                    raised.set(Some(hand.raised));
                }
            });
        })
    };
    html! {
        <button class={classes!("button", "raise-hand", up.then_some("raise-hand-up"))} type="button"
            data-test-id="raise-hand" data-raised={up.to_string()} aria-pressed={up.to_string()}
            title={t(lang, Msg::RaiseHandTitle)} onclick={toggle}>
            { t(lang, if up { Msg::LowerMyHand } else { Msg::RaiseHand }) }
        </button>
    }
}
