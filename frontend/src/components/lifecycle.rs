//! The session's lifetime controls: "Extend" (`data-test-id="extend"` in the top bar, and
//! again inside the expiry warning) and the profile badge (`profile`: "Docker" or "Shell").

use quai_protocol::Profile;
use yew::prelude::*;

use crate::context::PlaygroundCtx;
use crate::i18n::{t, use_lang, Msg};
use crate::services::api;
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct ExtendProps {
    /// The session can still be given more time.
    pub can_extend: bool,
    #[prop_or_else(|| AttrValue::from("extend"))]
    pub test_id: AttrValue,
    #[prop_or_else(|| AttrValue::from("button"))]
    pub class: AttrValue,
    #[prop_or_default]
    pub frozen: bool,
}

#[function_component(ExtendButton)]
pub fn extend_button(props: &ExtendProps) -> Html {
    let lang = use_lang();
    let ctx = use_context::<PlaygroundCtx>().expect("ExtendButton inside a playground");
    let busy = use_state(|| false);
    let onclick = {
        let busy = busy.clone();
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            busy.set(true);
            let (ctx, busy) = (ctx.clone(), busy.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::extend_session(&ctx.id).await {
                    Ok(info) => ctx.dispatch(Action::Session(info)),
                    Err(failure) => ctx.failed(Msg::ExtendFailed, failure),
                }
                busy.set(false);
            });
        })
    };
    let title = t(
        lang,
        if props.can_extend {
            Msg::ExtendTitle
        } else {
            Msg::MaxReached
        },
    );
    html! {
        <button class={props.class.clone()} type="button" data-test-id={props.test_id.clone()} title={title}
            disabled={!props.can_extend || *busy || props.frozen} aria-busy={busy.to_string()} {onclick}>
            { t(lang, if *busy { Msg::Extending } else { Msg::Extend }) }
        </button>
    }
}

#[derive(Properties, PartialEq)]
pub struct ProfileProps {
    pub profile: Profile,
}

#[function_component(ProfileBadge)]
pub fn profile_badge(props: &ProfileProps) -> Html {
    let lang = use_lang();
    let (label, title) = match props.profile {
        Profile::Docker => (Msg::WithDocker, Msg::ProfileDockerTitle),
        Profile::Shell => (Msg::ShellOnly, Msg::ProfileShellTitle),
    };
    let (label, title) = (t(lang, label), t(lang, title));
    html! {
        <span class={classes!("badge", format!("badge-{}", props.profile.as_str()))}
            data-test-id="profile" title={title}>{ label }</span>
    }
}
