//! "Try an image": on the home page, a field (`data-test-id="try-image"`) with the images
//! this server has offline as suggestions (`try-suggestion`), and its button
//! (`try-image-submit`); at `/try/IMAGE`, the same started as the page opens. Starting one
//! takes a few seconds (the image is pulled into a fresh Docker node): the page says so, then
//! goes to the playground. An image the server lacks is refused with the list of those it has
//! (`try-error`), each one a click away.

use quai_protocol::ErrorCode;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::i18n::{self, t, use_lang, Lang, Msg, Sentence};
use crate::services::api::ApiFailure;
use crate::services::clock::pause;
use crate::services::files;

/// Where starting an image stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Trying {
    Idle,
    Busy(String),
    /// The server does not have it: the images it has.
    Missing {
        image: String,
        available: Vec<String>,
    },
    Failed(Sentence),
}

/// Starts `image` and goes to its playground (replacing the page in the history when
/// `replace`), or says why not through `state`.
pub fn start(
    image: String,
    state: UseStateHandle<Trying>,
    navigator: Option<Navigator>,
    replace: bool,
) {
    let image = image.trim().to_string();
    if image.is_empty() {
        state.set(Trying::Failed(Sentence::Msg(Msg::TryEmpty)));
        return;
    }
    state.set(Trying::Busy(image.clone()));
    wasm_bindgen_futures::spawn_local(async move {
        match files::try_image(&image).await {
            Ok(started) => {
                if let Some(navigator) = navigator {
                    let route = Route::Playground {
                        id: started.created.session.id,
                    };
                    if replace {
                        navigator.replace(&route);
                    } else {
                        navigator.push(&route);
                    }
                }
            }
            Err(failure) if is_missing(&failure) => {
                let available = match files::images().await {
                    Ok(catalog) => catalog.images,
                    Err(_) => Vec::new(),
                };
                state.set(if available.is_empty() {
                    Trying::Failed(Sentence::Detail(Msg::TryFailed, failure))
                } else {
                    Trying::Missing { image, available }
                });
            }
            Err(failure) => state.set(Trying::Failed(Sentence::Failed(Msg::TryFailed, failure))),
        }
    });
}

fn is_missing(failure: &ApiFailure) -> bool {
    matches!(failure, ApiFailure::Status { status: 404, error: Some(e) } if e.code == ErrorCode::NotFound)
}

/// The images to suggest first: one name per image, without tags (`nginx`, `python`).
pub fn featured(images: &[String]) -> Vec<String> {
    images
        .iter()
        .filter(|name| !name.contains(':'))
        .cloned()
        .collect()
}

/// What to show under the field or on the page: busy, refused or failed.
pub fn outcome(lang: Lang, trying: &Trying, on_pick: &Callback<String>) -> Html {
    match trying {
        Trying::Idle => html! {},
        Trying::Busy(image) => html! {
            <div class="try-busy" data-test-id="try-busy" role="status">
                <p class="try-busy-title"><span class="spinner" aria-hidden="true" />{ i18n::trying(lang, image) }</p>
                <p class="muted">{ i18n::trying_note(lang) }</p>
            </div>
        },
        Trying::Missing { image, available } => html! {
            <div class="try-error" data-test-id="try-error" role="alert">
                <p>{ i18n::not_offline(lang, image) }</p>
                <Suggestions images={available.clone()} on_pick={on_pick.clone()} />
            </div>
        },
        Trying::Failed(sentence) => html! {
            <div class="try-error" data-test-id="try-error" role="alert"><p>{ sentence.render(lang) }</p></div>
        },
    }
}

#[derive(Properties, PartialEq)]
pub struct SuggestionsProps {
    pub images: Vec<String>,
    pub on_pick: Callback<String>,
    #[prop_or_default]
    pub disabled: bool,
}

#[function_component(Suggestions)]
pub fn suggestions(props: &SuggestionsProps) -> Html {
    let chips = props.images.iter().map(|image| {
        let (on_pick, chosen) = (props.on_pick.clone(), image.clone());
        html! {
            <button key={image.clone()} class="image-chip" type="button" data-test-id="try-suggestion" data-image={image.clone()}
                disabled={props.disabled} onclick={move |_: MouseEvent| on_pick.emit(chosen.clone())}>{ image.clone() }</button>
        }
    });
    html! { <div class="image-chips">{ for chips }</div> }
}

/// The field of the home page.
#[function_component(TryImageField)]
pub fn try_image_field() -> Html {
    let lang = use_lang();
    let navigator = use_navigator();
    let trying = use_state(|| Trying::Idle);
    let value = use_state(String::new);
    let images = use_state(Vec::<String>::new);
    {
        let images = images.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                // A request lost on the way (a connection the server had just closed) is
                // tried again: the suggestions are the page's way in for most visitors.
                for attempt in 0..5u32 {
                    if let Ok(catalog) = files::images().await {
                        images.set(catalog.images);
                        return;
                    }
                    pause(500 * (attempt as i32 + 1)).await;
                }
            });
        });
    }
    let busy = matches!(*trying, Trying::Busy(_));
    let on_pick = {
        let (trying, value, navigator) = (trying.clone(), value.clone(), navigator.clone());
        Callback::from(move |image: String| {
            if matches!(*trying, Trying::Busy(_)) {
                return;
            }
            value.set(image.clone());
            start(image, trying.clone(), navigator.clone(), false);
        })
    };
    let onsubmit = {
        let (on_pick, value) = (on_pick.clone(), value.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            on_pick.emit((*value).clone());
        })
    };
    let oninput = {
        let (value, trying) = (value.clone(), trying.clone());
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                value.set(input.value());
                if matches!(*trying, Trying::Failed(_) | Trying::Missing { .. }) {
                    trying.set(Trying::Idle);
                }
            }
        })
    };
    let options = images
        .iter()
        .map(|image| html! { <option key={image.clone()} value={image.clone()} /> });
    let featured = featured(&images);

    html! {
        <section class="try" aria-labelledby="try-title">
            <form class="try-form" {onsubmit}>
                <label id="try-title" class="try-label" for="try-image">{ t(lang, Msg::TryHeading) }</label>
                <div class="try-row">
                    <input id="try-image" class="text-input try-input" type="text" list="try-images" data-test-id="try-image"
                        placeholder={t(lang, Msg::TryPlaceholder)} value={(*value).clone()} {oninput} disabled={busy}
                        autocomplete="off" autocapitalize="off" spellcheck="false" />
                    <button class="button button-primary" type="submit" data-test-id="try-image-submit" disabled={busy}
                        aria-busy={busy.to_string()}>
                        { t(lang, if busy { Msg::Starting } else { Msg::TryButton }) }
                    </button>
                </div>
                <datalist id="try-images">{ for options }</datalist>
            </form>
            if !featured.is_empty() && !matches!(*trying, Trying::Missing { .. }) {
                <Suggestions images={featured} on_pick={on_pick.clone()} disabled={busy} />
            }
            <p class="try-intro muted">{ t(lang, Msg::TryIntro) }</p>
            { outcome(lang, &trying, &on_pick) }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::featured;

    #[test]
    fn suggestions_name_each_image_once() {
        let images: Vec<String> = [
            "alpine:3",
            "alpine",
            "nginx:1.22",
            "nginx",
            "python:3",
            "python",
            "docker/whalesay",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            featured(&images),
            ["alpine", "nginx", "python", "docker/whalesay"]
        );
    }
}
