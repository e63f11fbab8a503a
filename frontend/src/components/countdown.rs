//! The time a session has left, ticking every second (`data-test-id="countdown"`).

use gloo::timers::callback::Interval;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CountdownProps {
    /// Unix time (seconds) when the session ends.
    pub expires_at: u64,
}

#[function_component(Countdown)]
pub fn countdown(props: &CountdownProps) -> Html {
    let now = use_state(now_secs);
    {
        let now = now.clone();
        use_effect_with((), move |_| {
            let interval = Interval::new(1000, move || now.set(now_secs()));
            move || drop(interval)
        });
    }
    let left = props.expires_at.saturating_sub(*now);
    let class = if left < 10 * 60 {
        "countdown countdown-low"
    } else {
        "countdown"
    };
    html! {
        <span class={class} data-test-id="countdown" title="Time left before the session and its containers are removed">
            { format_left(left) }
        </span>
    }
}

/// `1:59:58 left`, `9:05 left`, `0:00 left`.
pub fn format_left(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02} left")
    } else {
        format!("{m}:{s:02} left")
    }
}

fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

#[cfg(test)]
mod tests {
    use super::format_left;

    #[test]
    fn countdown_reads_as_hours_minutes_seconds() {
        assert_eq!(format_left(2 * 3600 - 2), "1:59:58 left");
        assert_eq!(format_left(3600), "1:00:00 left");
        assert_eq!(format_left(3599), "59:59 left");
        assert_eq!(format_left(545), "9:05 left");
        assert_eq!(format_left(0), "0:00 left");
        assert_eq!(format_left(26 * 3600 + 61), "26:01:01 left");
    }
}
