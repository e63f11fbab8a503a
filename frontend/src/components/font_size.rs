//! "A−" / "A+" (`data-test-id="font-smaller"` / `"font-larger"`): the terminals' font size,
//! 10 to 24 pixels, remembered by the browser.

use yew::prelude::*;

use crate::i18n::{t, use_lang, Msg};
use crate::services::prefs::{clamp_font, MAX_FONT, MIN_FONT};

#[derive(Properties, PartialEq)]
pub struct FontSizeProps {
    pub size: u8,
    pub on_change: Callback<u8>,
}

#[function_component(FontSize)]
pub fn font_size(props: &FontSizeProps) -> Html {
    let lang = use_lang();
    let (smaller, larger, label) = (
        t(lang, Msg::Smaller),
        t(lang, Msg::Larger),
        t(lang, Msg::FontSize),
    );
    let step = |delta: i32| {
        let (size, on_change) = (props.size, props.on_change.clone());
        Callback::from(move |_: MouseEvent| on_change.emit(clamp_font(i32::from(size) + delta)))
    };
    html! {
        <div class="font-size" role="group" aria-label={label}>
            <button class="icon-button" type="button" data-test-id="font-smaller" title={smaller}
                aria-label={smaller} disabled={props.size <= MIN_FONT} onclick={step(-1)}>{ "A−" }</button>
            <span class="font-size-value" data-test-id="font-size" title={label}>{ format!("{} px", props.size) }</span>
            <button class="icon-button" type="button" data-test-id="font-larger" title={larger}
                aria-label={larger} disabled={props.size >= MAX_FONT} onclick={step(1)}>{ "A+" }</button>
        </div>
    }
}
