//! The home page: what Quai is, the button that starts a playground with Docker inside, a
//! smaller one for a plain shell, and, when the server is full, a notice saying how long
//! until a place frees up (`data-test-id="capacity"`) with a Retry button.

use quai_protocol::Profile;
use yew::prelude::*;

use crate::components::start_button::StartButton;
use crate::services::api::capacity_sentence;

#[function_component(Home)]
pub fn home() -> Html {
    use_effect_with((), |_| {
        gloo::utils::document().set_title("Quai — Docker playground")
    });
    // Set when the server said it is full: the profile asked for, and the wait it gave.
    let full = use_state(|| None::<(Profile, Option<u64>)>);
    let on_full = |profile: Profile| {
        let full = full.clone();
        Callback::from(move |retry_after| full.set(Some((profile, retry_after))))
    };

    if let Some((profile, retry_after)) = *full {
        let back = {
            let full = full.clone();
            Callback::from(move |_: MouseEvent| full.set(None))
        };
        return html! {
            <main class="home">
                <section class="card capacity" data-test-id="capacity" role="alert">
                    <h2>{ "No room right now" }</h2>
                    <p data-test-id="capacity-message">{ capacity_sentence(retry_after) }</p>
                    <StartButton label="Retry" test_id="retry-start" profile={profile}
                        on_full={on_full(profile)} />
                    <p class="muted">
                        <button class="link-button" type="button" data-test-id="capacity-back" onclick={back}>
                            { "Back to the home page" }
                        </button>
                    </p>
                </section>
            </main>
        };
    }

    html! {
        <main class="home">
            <section class="hero">
                <h1 class="brand" data-test-id="brand">{ "Quai" }</h1>
                <p class="pitch" data-test-id="pitch">{ "Real Linux containers with Docker, in your browser" }</p>
                <StartButton label="Start a playground" test_id="start-playground"
                    class="button button-primary button-big" profile={Profile::Docker}
                    on_full={on_full(Profile::Docker)} />
                <div class="start-alt">
                    <StartButton label="or start a shell-only playground (no Docker)" test_id="start-shell"
                        class="link-button" profile={Profile::Shell} on_full={on_full(Profile::Shell)} />
                </div>
                <ul class="facts">
                    <li>{ "A fresh Linux node with Docker inside, ready in seconds" }</li>
                    <li>{ "Several nodes that reach each other by name, several terminals on each" }</li>
                    <li>{ "Nothing to install: a terminal in this page" }</li>
                    <li>{ "Everything is removed when the session ends" }</li>
                </ul>
            </section>
        </main>
    }
}
