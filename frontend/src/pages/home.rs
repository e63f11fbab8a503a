//! The home page: what Quai is, and the button that starts a playground.

use yew::prelude::*;

use crate::components::start_button::StartButton;

#[function_component(Home)]
pub fn home() -> Html {
    use_effect_with((), |_| {
        gloo::utils::document().set_title("Quai — Docker playground")
    });
    html! {
        <main class="home">
            <section class="hero">
                <h1 class="brand" data-test-id="brand">{ "Quai" }</h1>
                <p class="pitch" data-test-id="pitch">{ "Real Linux containers with Docker, in your browser" }</p>
                <StartButton label="Start a playground" test_id="start-playground" class="button button-primary button-big" />
                <ul class="facts">
                    <li>{ "A fresh Linux node with Docker inside, ready in seconds" }</li>
                    <li>{ "Nothing to install: a terminal in this page" }</li>
                    <li>{ "Everything is removed when the session ends" }</li>
                </ul>
            </section>
        </main>
    }
}
