//! The page for addresses Quai does not know.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;

#[function_component(NotFound)]
pub fn not_found() -> Html {
    html! {
        <main class="home">
            <section class="hero" data-test-id="not-found">
                <h1 class="brand">{ "Quai" }</h1>
                <p class="pitch">{ "There is nothing at this address." }</p>
                <Link<Route> to={Route::Home} classes="button button-primary">{ "Go to the home page" }</Link<Route>>
            </section>
        </main>
    }
}
