//! The time a session has left, ticking every second (`data-test-id="countdown"`).

use gloo::timers::callback::Interval;
use yew::prelude::*;

use crate::i18n::{self, t, use_lang, Msg};

#[derive(Properties, PartialEq)]
pub struct CountdownProps {
    /// Unix time (seconds) when the session ends.
    pub expires_at: u64,
}

#[function_component(Countdown)]
pub fn countdown(props: &CountdownProps) -> Html {
    let lang = use_lang();
    let tick = use_force_update();
    use_effect_with((), move |_| {
        let interval = Interval::new(1000, move || tick.force_update());
        move || drop(interval)
    });
    // The clock is read at every render: a new end time shows against the time now, not
    // against the last tick.
    let left = props.expires_at.saturating_sub(now_secs());
    let class = if left < 10 * 60 {
        "countdown countdown-low"
    } else {
        "countdown"
    };
    html! {
        <span class={class} data-test-id="countdown" title={t(lang, Msg::CountdownTitle)}>
            { i18n::time_left(lang, left) }
        </span>
    }
}

fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}
