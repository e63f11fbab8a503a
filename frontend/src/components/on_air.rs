//! The class's broadcast on a seat's page (`data-test-id="on-air"`): when the page's
//! playground is a class seat, a socket follows what the class has on air, and while its
//! instructor shows a terminal, it appears here, live and read-only (`on-air-viewer`), with
//! a button to hide it (`on-air-toggle`).

use quai_protocol::ServerMsg;
use yew::prelude::*;

use crate::components::viewer::Viewer;
use crate::i18n::{self, t, use_lang, Msg};
use crate::services::teaching;

#[derive(Properties, PartialEq)]
pub struct OnAirProps {
    pub session: AttrValue,
}

#[function_component(OnAir)]
pub fn on_air(props: &OnAirProps) -> Html {
    let lang = use_lang();
    let seat = use_state(|| false);
    let live = use_state(|| None::<String>);
    let hidden = use_state(|| false);
    {
        let (seat, session) = (seat.clone(), props.session.clone());
        use_effect_with(session.clone(), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                seat.set(teaching::seat_class(&session).await.is_ok());
            });
        });
    }
    if !*seat {
        return html! {};
    }
    let on_message = {
        let live = live.clone();
        Callback::from(move |msg: ServerMsg| {
            if let ServerMsg::OnAir { live: on, name } = msg {
                live.set(on.then_some(name));
            }
        })
    };
    let toggle = {
        let hidden = hidden.clone();
        Callback::from(move |_: MouseEvent| hidden.set(!*hidden))
    };
    let shown = live.is_some() && !*hidden;
    html! {
        <section class={classes!("on-air", live.is_none().then_some("on-air-off"))} data-test-id="on-air"
            data-live={live.is_some().to_string()} aria-live="polite">
            if let Some(name) = (*live).clone() {
                <header class="on-air-head">
                    <span class="on-air-dot" aria-hidden="true" />
                    <span class="on-air-title">{ i18n::on_air(lang, &name) }</span>
                    <button class="button button-small" type="button" data-test-id="on-air-toggle" onclick={toggle}>
                        { t(lang, if *hidden { Msg::OnAirShow } else { Msg::OnAirHide }) }
                    </button>
                </header>
            }
            // The socket stays open while nothing is on air, to hear when something is.
            <div class={classes!("on-air-body", (!shown).then_some("on-air-body-hidden"))} data-test-id="on-air-viewer">
                <Viewer path={teaching::on_air_path(&props.session)} {on_message} font_size={12} />
            </div>
        </section>
    }
}
