//! The session's lifetime controls: "Extend" (`data-test-id="extend"` in the top bar, and
//! again inside the expiry warning) and the profile badge (`profile`: "Docker" or "Shell").

use quai_protocol::Profile;
use yew::prelude::*;

use crate::context::PlaygroundCtx;
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

/// Tooltip of a disabled "Extend".
pub const MAX_REACHED: &str = "Maximum lifetime reached";

#[function_component(ExtendButton)]
pub fn extend_button(props: &ExtendProps) -> Html {
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
                    Err(failure) => {
                        ctx.failed("The session could not be extended", failure.sentence())
                    }
                }
                busy.set(false);
            });
        })
    };
    let title = if props.can_extend {
        "Give this session more time"
    } else {
        MAX_REACHED
    };
    html! {
        <button class={props.class.clone()} type="button" data-test-id={props.test_id.clone()} title={title}
            disabled={!props.can_extend || *busy || props.frozen} aria-busy={busy.to_string()} {onclick}>
            { if *busy { "Extending…" } else { "Extend" } }
        </button>
    }
}

#[derive(Properties, PartialEq)]
pub struct ProfileProps {
    pub profile: Profile,
}

#[function_component(ProfileBadge)]
pub fn profile_badge(props: &ProfileProps) -> Html {
    let (label, title) = match props.profile {
        Profile::Docker => (
            "Docker",
            "Each node runs Docker Engine: docker and docker compose work",
        ),
        Profile::Shell => ("Shell", "Each node is a plain Linux shell, without Docker"),
    };
    html! {
        <span class={classes!("badge", format!("badge-{}", props.profile.as_str()))}
            data-test-id="profile" title={title}>{ label }</span>
    }
}
