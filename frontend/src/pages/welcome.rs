//! `/teach/welcome#TOKEN`: the page of an instructor's one-time sign-in link. The token is
//! in the fragment, which browsers never send to a server nor put in a Referer; the page
//! posts it with the password the instructor chooses, then goes to `/teach`, signed in.

use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::lang_switch::LangSwitch;
use crate::i18n::{t, use_lang, Msg};
use crate::services::api::ApiFailure;
use crate::services::classes;

#[function_component(Welcome)]
pub fn welcome() -> Html {
    let lang = use_lang();
    use_effect_with(lang, |&lang| {
        gloo::utils::document().set_title(&format!("Quai — {}", t(lang, Msg::WelcomeTitle)))
    });
    let navigator = use_navigator();
    let password = use_node_ref();
    let error = use_state(|| None::<ApiFailure>);
    let short = use_state(|| false);
    let busy = use_state(|| false);
    let onsubmit = {
        let (password, error, short, busy) =
            (password.clone(), error.clone(), short.clone(), busy.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let chosen = password
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            if chosen.chars().count() < 10 {
                short.set(true);
                return;
            }
            short.set(false);
            let token = gloo::utils::window()
                .location()
                .hash()
                .unwrap_or_default()
                .trim_start_matches('#')
                .to_string();
            let (error, busy, navigator) = (error.clone(), busy.clone(), navigator.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                match classes::set_password(&token, &chosen).await {
                    Ok(_) => {
                        if let Some(navigator) = navigator {
                            navigator.replace(&Route::Teach);
                        }
                    }
                    Err(failure) => {
                        busy.set(false);
                        error.set(Some(failure));
                    }
                }
            });
        })
    };
    let problem = if *short {
        Some(t(lang, Msg::WelcomeShort).to_string())
    } else {
        (*error).as_ref().map(|failure| match failure {
            ApiFailure::Status { status: 410, .. } => t(lang, Msg::WelcomeUsed).to_string(),
            other => other.detail(lang),
        })
    };
    html! {
        <main class="home">
            <div class="corner"><LangSwitch /></div>
            <section class="card class-card" data-test-id="welcome-page">
                <Link<Route> to={Route::Home} classes="brand try-brand">{ "Quai" }</Link<Route>>
                <h2>{ t(lang, Msg::WelcomeTitle) }</h2>
                <p class="muted class-intro">{ t(lang, Msg::WelcomeIntro) }</p>
                <form class="class-form" {onsubmit}>
                    <label class="class-field">
                        <span>{ t(lang, Msg::Password) }</span>
                        <input ref={password} class="class-input" type="password" data-test-id="welcome-password"
                            autocomplete="new-password" />
                    </label>
                    if let Some(problem) = problem {
                        <div class="banner banner-error" role="alert" data-test-id="welcome-error">
                            <span class="banner-text">{ problem }</span>
                        </div>
                    }
                    <button class="button button-primary" type="submit" data-test-id="welcome-submit"
                        disabled={*busy}>{ t(lang, Msg::WelcomeButton) }</button>
                </form>
            </section>
        </main>
    }
}
