//! The "raise hand" button of a class seat's page: shown only when the session is a seat of
//! a class (the server answers its hand), it raises or lowers the student's hand, which
//! lights their row on the instructor's roster. On a seat's page the hand is read again
//! every few seconds, since the instructor may lower it; elsewhere it is asked once.

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
            // Read again every few seconds, once the first answer said this page is a seat;
            // a playground that is no seat asks once.
            let every: std::rc::Rc<std::cell::RefCell<Option<gloo::timers::callback::Interval>>> =
                Default::default();
            let alive = std::rc::Rc::new(std::cell::Cell::new(true));
            {
                let (raised, session, every) = (raised.clone(), session.clone(), every.clone());
                let alive = alive.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let answer = classes::hand(&session).await;
                    if !alive.get() {
                        return;
                    }
                    if let Ok(hand) = answer {
                        raised.set(Some(hand.raised));
                        *every.borrow_mut() =
                            Some(gloo::timers::callback::Interval::new(5_000, read));
                    }
                });
            }
            move || {
                alive.set(false);
                drop(every.borrow_mut().take());
            }
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
