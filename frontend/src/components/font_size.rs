//! "A−" / "A+" (`data-test-id="font-smaller"` / `"font-larger"`): the terminals' font size,
//! 10 to 24 pixels, remembered by the browser.

use yew::prelude::*;

use crate::services::prefs::{clamp_font, MAX_FONT, MIN_FONT};

#[derive(Properties, PartialEq)]
pub struct FontSizeProps {
    pub size: u8,
    pub on_change: Callback<u8>,
}

#[function_component(FontSize)]
pub fn font_size(props: &FontSizeProps) -> Html {
    let step = |delta: i32| {
        let (size, on_change) = (props.size, props.on_change.clone());
        Callback::from(move |_: MouseEvent| on_change.emit(clamp_font(i32::from(size) + delta)))
    };
    html! {
        <div class="font-size" role="group" aria-label="Terminal font size">
            <button class="icon-button" type="button" data-test-id="font-smaller" title="Smaller text"
                aria-label="Smaller text" disabled={props.size <= MIN_FONT} onclick={step(-1)}>{ "A−" }</button>
            <span class="font-size-value" data-test-id="font-size" title="Terminal font size">{ format!("{} px", props.size) }</span>
            <button class="icon-button" type="button" data-test-id="font-larger" title="Larger text"
                aria-label="Larger text" disabled={props.size >= MAX_FONT} onclick={step(1)}>{ "A+" }</button>
        </div>
    }
}
