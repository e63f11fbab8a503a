//! The home page: what Quai is, the button that starts a playground with Docker inside, a
//! smaller one for a plain shell, "Try an image", and the lesson catalog below; in the
//! corner, the student's optional display name and the language switch. When the server is full, a notice says how
//! long until a place frees up (`data-test-id="capacity"`) with a Retry button.

use quai_protocol::Profile;
use yew::prelude::*;

use crate::components::catalog::Catalog;
use crate::components::lang_switch::LangSwitch;
use crate::components::name_field::NameField;
use crate::components::start_button::StartButton;
use crate::components::try_image::TryImageField;
use crate::i18n::{self, t, use_lang, Msg};

#[function_component(Home)]
pub fn home() -> Html {
    let lang = use_lang();
    use_effect_with(lang, |&lang| {
        gloo::utils::document().set_title(t(lang, Msg::HomeTitle))
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
                <div class="corner"><LangSwitch /></div>
                <section class="card capacity" data-test-id="capacity" role="alert">
                    <h2>{ t(lang, Msg::NoRoom) }</h2>
                    <p data-test-id="capacity-message">{ i18n::capacity(lang, retry_after) }</p>
                    <StartButton label={t(lang, Msg::Retry)} test_id="retry-start" profile={profile}
                        on_full={on_full(profile)} />
                    <p class="muted">
                        <button class="link-button" type="button" data-test-id="capacity-back" onclick={back}>
                            { t(lang, Msg::BackHome) }
                        </button>
                    </p>
                </section>
            </main>
        };
    }

    html! {
        <div class="home-page">
            <header class="home-bar">
                <NameField />
                <LangSwitch />
            </header>
            <main class="home home-with-catalog">
                <section class="hero">
                    <h1 class="brand" data-test-id="brand">{ "Quai" }</h1>
                    <p class="pitch" data-test-id="pitch">{ t(lang, Msg::Pitch) }</p>
                    <StartButton label={t(lang, Msg::StartPlayground)} test_id="start-playground"
                        class="button button-primary button-big" profile={Profile::Docker}
                        on_full={on_full(Profile::Docker)} />
                    <div class="start-alt">
                        <StartButton label={t(lang, Msg::StartShell)} test_id="start-shell"
                            class="link-button" profile={Profile::Shell} on_full={on_full(Profile::Shell)} />
                    </div>
                    <TryImageField />
                    <ul class="facts">
                        <li>{ t(lang, Msg::FactFresh) }</li>
                        <li>{ t(lang, Msg::FactNodes) }</li>
                        <li>{ t(lang, Msg::FactNothing) }</li>
                        <li>{ t(lang, Msg::FactRemoved) }</li>
                    </ul>
                </section>
                <Catalog />
            </main>
        </div>
    }
}
