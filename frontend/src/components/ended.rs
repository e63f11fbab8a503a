//! The panel shown once a session is over (`data-test-id="session-ended"`), with a way to
//! start a new playground.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::start_button::StartButton;
use crate::state::Ended;

#[derive(Properties, PartialEq)]
pub struct EndedProps {
    pub ended: Ended,
}

#[function_component(EndedPanel)]
pub fn ended_panel(props: &EndedProps) -> Html {
    html! {
        <div class="ended-backdrop">
            <section class="card ended" data-test-id="session-ended" role="dialog" aria-labelledby="ended-title">
                <h2 id="ended-title">{ "Session over" }</h2>
                <p data-test-id="session-ended-reason">{ props.ended.sentence() }</p>
                <StartButton label="Start a new playground" test_id="start-new-playground" />
                <p class="muted"><Link<Route> to={Route::Home}>{ "Back to the home page" }</Link<Route>></p>
            </section>
        </div>
    }
}
