//! `/try/IMAGE` (`/try/nginx`, `/try/python:3`): a shareable link that starts a playground
//! with the image running as the page opens, says so while it starts, then replaces itself
//! with the playground (so that Back returns to where the link was clicked, not here).

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::lang_switch::LangSwitch;
use crate::components::try_image::{outcome, start, Trying};
use crate::i18n::{t, use_lang, Msg};

#[derive(Properties, PartialEq)]
pub struct TryPageProps {
    pub image: AttrValue,
}

#[function_component(TryPage)]
pub fn try_page(props: &TryPageProps) -> Html {
    let lang = use_lang();
    let navigator = use_navigator();
    let trying = use_state(|| Trying::Idle);
    {
        let (trying, navigator) = (trying.clone(), navigator.clone());
        use_effect_with(props.image.clone(), move |image| {
            gloo::utils::document().set_title(&format!("Quai — {image}"));
            start(image.to_string(), trying, navigator, true);
        });
    }
    let on_pick = {
        let (trying, navigator) = (trying.clone(), navigator.clone());
        Callback::from(move |image: String| start(image, trying.clone(), navigator.clone(), true))
    };
    html! {
        <main class="home">
            <div class="corner"><LangSwitch /></div>
            <section class="card try-page" data-test-id="try-page">
                <Link<Route> to={Route::Home} classes="brand try-brand">{ "Quai" }</Link<Route>>
                { outcome(lang, &trying, &on_pick) }
                if !matches!(*trying, Trying::Busy(_) | Trying::Idle) {
                    <p class="muted">
                        <Link<Route> to={Route::Home}>{ t(lang, Msg::BackHome) }</Link<Route>>
                    </p>
                }
            </section>
        </main>
    }
}
