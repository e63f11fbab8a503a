//! The page for addresses Quai does not know.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::lang_switch::LangSwitch;
use crate::i18n::{t, use_lang, Msg};

#[function_component(NotFound)]
pub fn not_found() -> Html {
    let lang = use_lang();
    html! {
        <main class="home">
            <div class="corner"><LangSwitch /></div>
            <section class="hero" data-test-id="not-found">
                <h1 class="brand">{ "Quai" }</h1>
                <p class="pitch">{ t(lang, Msg::NothingHere) }</p>
                <Link<Route> to={Route::Home} classes="button button-primary">{ t(lang, Msg::GoHome) }</Link<Route>>
            </section>
        </main>
    }
}
