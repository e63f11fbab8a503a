//! The optional display name of the student behind this browser (`data-test-id="display-name"`),
//! read from `GET /api/me` and saved with `PUT /api/me` on Enter, on leaving the field, or
//! with its button (`save-name`). An empty field clears the name.

use quai_protocol::Student;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::banner::Banner;
use crate::i18n::{t, use_lang, Msg, Sentence};
use crate::services::api;

/// Longest name the server keeps.
pub const MAX_NAME: usize = 40;

/// What the server should store for what was typed: trimmed, at most `MAX_NAME`
/// characters, `None` when empty.
pub fn normalise(typed: &str) -> Option<String> {
    let name: String = typed.trim().chars().take(MAX_NAME).collect();
    let name = name.trim_end().to_string();
    (!name.is_empty()).then_some(name)
}

#[derive(Debug, Clone, PartialEq)]
enum Status {
    Loading,
    Idle,
    Saving,
    Saved,
    Failed(Sentence),
}

#[function_component(NameField)]
pub fn name_field() -> Html {
    let lang = use_lang();
    let input = use_node_ref();
    // The name the server has.
    let stored = use_state(|| None::<String>);
    let status = use_state(|| Status::Loading);

    {
        let (stored, status, input) = (stored.clone(), status.clone(), input.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                // Without the API (an older server) the field simply starts empty.
                if let Ok(me) = api::me().await {
                    if let Some(el) = input.cast::<HtmlInputElement>() {
                        if el.value().is_empty() {
                            el.set_value(me.name.as_deref().unwrap_or_default());
                        }
                    }
                    stored.set(me.name);
                }
                status.set(Status::Idle);
            });
        });
    }

    let save = {
        let (stored, status, input) = (stored.clone(), status.clone(), input.clone());
        Callback::from(move |()| {
            let Some(el) = input.cast::<HtmlInputElement>() else {
                return;
            };
            let name = normalise(&el.value());
            if name == *stored || *status == Status::Saving {
                return;
            }
            status.set(Status::Saving);
            let (stored, status, input) = (stored.clone(), status.clone(), input.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::set_me(&Student { name }).await {
                    Ok(me) => {
                        if let Some(el) = input.cast::<HtmlInputElement>() {
                            el.set_value(me.name.as_deref().unwrap_or_default());
                        }
                        stored.set(me.name);
                        status.set(Status::Saved);
                    }
                    Err(failure) => {
                        status.set(Status::Failed(Sentence::Failed(Msg::NameFailed, failure)))
                    }
                }
            });
        })
    };
    let onkeydown = {
        let save = save.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Enter" {
                event.prevent_default();
                save.emit(());
            }
        })
    };
    let oninput = {
        let status = status.clone();
        Callback::from(move |_: InputEvent| {
            if matches!(*status, Status::Saved | Status::Failed(_)) {
                status.set(Status::Idle);
            }
        })
    };
    let onblur = {
        let save = save.clone();
        Callback::from(move |_: FocusEvent| save.emit(()))
    };
    let onclick = Callback::from(move |_: MouseEvent| save.emit(()));

    let note = match &*status {
        Status::Saved => html! {
            <span class="name-saved" data-test-id="name-saved" role="status">{ t(lang, Msg::NameSaved) }</span>
        },
        Status::Failed(sentence) => html! { <Banner text={sentence.render(lang)} /> },
        _ => html! {},
    };
    html! {
        <div class="name-field" title={t(lang, Msg::NameTitle)}>
            <label for="quai-display-name">{ t(lang, Msg::NameLabel) }</label>
            <input id="quai-display-name" type="text" ref={input} maxlength={MAX_NAME.to_string()}
                placeholder={t(lang, Msg::NamePlaceholder)} autocomplete="nickname" spellcheck="false"
                data-test-id="display-name" disabled={*status == Status::Loading}
                {onkeydown} {oninput} {onblur} />
            <button type="button" class="button button-small" data-test-id="save-name"
                disabled={matches!(*status, Status::Loading | Status::Saving)} {onclick}>
                { t(lang, Msg::NameSave) }
            </button>
            { note }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_cut_at_40_characters_and_empty_means_none() {
        assert_eq!(normalise("  Ada  "), Some("Ada".into()));
        assert_eq!(normalise("   "), None);
        assert_eq!(normalise(&"é".repeat(50)).unwrap().chars().count(), 40);
    }
}
