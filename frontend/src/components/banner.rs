//! A dismissable banner for errors, warnings and information (`data-test-id="error-banner"`
//! by default), with room for a button after its sentence (the expiry warning's "Extend").

use yew::prelude::*;

use crate::i18n::{t, use_lang, Msg};
use crate::state::Level;

#[derive(Properties, PartialEq)]
pub struct BannerProps {
    pub text: AttrValue,
    #[prop_or(Level::Error)]
    pub level: Level,
    #[prop_or_else(|| AttrValue::from("error-banner"))]
    pub test_id: AttrValue,
    /// Shows a close button when set.
    #[prop_or_default]
    pub on_dismiss: Option<Callback<()>>,
    /// Shown after the sentence (an action such as "Extend").
    #[prop_or_default]
    pub children: Html,
}

#[function_component(Banner)]
pub fn banner(props: &BannerProps) -> Html {
    let dismiss_label = t(use_lang(), Msg::Dismiss);
    let (class, role) = match props.level {
        Level::Error => ("banner banner-error", "alert"),
        Level::Warning => ("banner banner-warning", "status"),
        Level::Info => ("banner banner-info", "status"),
    };
    let dismiss = props.on_dismiss.clone().map(|cb| {
        html! {
            // The × is drawn by CSS so that the banner's text is only its sentence.
            <button class="banner-dismiss" type="button" aria-label={dismiss_label} title={dismiss_label}
                data-test-id="dismiss-banner" onclick={move |_| cb.emit(())} />
        }
    });
    html! {
        <div class={class} role={role} data-test-id={props.test_id.clone()}>
            <span class="banner-text">{ props.text.clone() }</span>
            { props.children.clone() }
            { for dismiss }
        </div>
    }
}
