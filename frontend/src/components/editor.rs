//! A simple editor for a text file of a node (`data-test-id="editor"`), over the terminals:
//! the file's text in a monospace text area (`editor-text`), "Save" (`editor-save`, or
//! Ctrl+S) and "Close" (`editor-close`, or Escape; it asks first when changes are unsaved),
//! and where it stands (`editor-status`: unsaved, saving, saved, or why not). A file too
//! big or not text is refused with the server's sentence and a link to download it instead.

use quai_protocol::TextFile;
use web_sys::{HtmlTextAreaElement, KeyboardEvent};
use yew::prelude::*;

use crate::context::PlaygroundCtx;
use crate::i18n::{self, t, use_lang, Msg, Sentence};
use crate::services::api::ApiFailure;
use crate::services::files;
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub node: AttrValue,
    pub path: AttrValue,
    pub on_close: Callback<()>,
    /// Told whether there are unsaved changes, whenever that changes.
    #[prop_or_default]
    pub on_dirty: Callback<bool>,
}

#[derive(Debug, Clone, PartialEq)]
enum Load {
    Loading,
    /// The text as last read or saved.
    Ready(String),
    Failed(ApiFailure),
}

#[derive(Debug, Clone, PartialEq)]
enum Saving {
    Idle,
    Busy,
    Saved,
    Failed(Sentence),
}

#[function_component(Editor)]
pub fn editor(props: &EditorProps) -> Html {
    let ctx = use_context::<PlaygroundCtx>().expect("Editor inside a playground");
    let lang = use_lang();
    let load = use_state(|| Load::Loading);
    let text = use_state(String::new);
    let saving = use_state(|| Saving::Idle);
    let area = use_node_ref();

    {
        let (load, text, id) = (load.clone(), text.clone(), ctx.id.to_string());
        use_effect_with(
            (props.node.clone(), props.path.clone()),
            move |(node, path)| {
                let (node, path) = (node.to_string(), path.to_string());
                wasm_bindgen_futures::spawn_local(async move {
                    match files::read_text(&id, &node, &path).await {
                        Ok(file) => {
                            text.set(file.text.clone());
                            load.set(Load::Ready(file.text));
                        }
                        Err(failure) => load.set(Load::Failed(failure)),
                    }
                });
            },
        );
    }
    // Focus once the text area is there.
    {
        let area = area.clone();
        let ready = matches!(*load, Load::Ready(_));
        use_effect_with(ready, move |&ready| {
            if ready {
                if let Some(area) = area.cast::<HtmlTextAreaElement>() {
                    let _ = area.focus();
                    area.set_selection_range(0, 0).ok();
                    area.set_scroll_top(0);
                }
            }
        });
    }

    let dirty = matches!(&*load, Load::Ready(saved) if *saved != *text);
    {
        let on_dirty = props.on_dirty.clone();
        use_effect_with(dirty, move |&dirty| on_dirty.emit(dirty));
    }

    let save = {
        let (ctx, load, text, saving) = (ctx.clone(), load.clone(), text.clone(), saving.clone());
        let (node, path) = (props.node.to_string(), props.path.to_string());
        Callback::from(move |()| {
            if *saving == Saving::Busy || !matches!(*load, Load::Ready(_)) {
                return;
            }
            saving.set(Saving::Busy);
            let file = TextFile {
                path: path.clone(),
                text: (*text).clone(),
            };
            let (ctx, load, saving, node) =
                (ctx.clone(), load.clone(), saving.clone(), node.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match files::write_text(&ctx.id, &node, &file).await {
                    Ok(saved) => {
                        load.set(Load::Ready(saved.text));
                        saving.set(Saving::Saved);
                        ctx.dispatch(Action::FilesChanged);
                    }
                    Err(failure) => {
                        saving.set(Saving::Failed(Sentence::Detail(Msg::SaveFailed, failure)))
                    }
                }
            });
        })
    };
    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |dirty: bool| {
            if dirty {
                let sure = gloo::utils::window()
                    .confirm_with_message(t(lang, Msg::DiscardChanges))
                    .unwrap_or(true);
                if !sure {
                    return;
                }
            }
            on_close.emit(());
        })
    };
    let oninput = {
        let (text, saving) = (text.clone(), saving.clone());
        Callback::from(move |event: InputEvent| {
            if let Some(area) = event.target_dyn_into::<HtmlTextAreaElement>() {
                text.set(area.value());
                if matches!(*saving, Saving::Saved | Saving::Failed(_)) {
                    saving.set(Saving::Idle);
                }
            }
        })
    };
    let onkeydown = {
        let (save, close) = (save.clone(), close.clone());
        Callback::from(move |event: KeyboardEvent| {
            let key = event.key();
            if (event.ctrl_key() || event.meta_key()) && key.eq_ignore_ascii_case("s") {
                event.prevent_default();
                save.emit(());
            } else if key == "Escape" {
                event.prevent_default();
                close.emit(dirty);
            }
        })
    };

    let status = match (&*saving, dirty) {
        (Saving::Busy, _) => Some(("saving", t(lang, Msg::Saving).to_string())),
        (Saving::Failed(sentence), _) => Some(("failed", sentence.render(lang))),
        (_, true) => Some(("unsaved", t(lang, Msg::Unsaved).to_string())),
        (Saving::Saved, false) => Some(("saved", t(lang, Msg::Saved).to_string())),
        (Saving::Idle, false) => None,
    };
    let body = match &*load {
        Load::Loading => html! {
            <p class="editor-note muted" data-test-id="editor-loading">{ t(lang, Msg::OpeningFile) }</p>
        },
        Load::Failed(failure) => {
            // Too big or not text: it can still be downloaded.
            let refused = matches!(
                failure,
                ApiFailure::Status {
                    status: 413 | 415,
                    ..
                }
            );
            let href = files::download_url(&ctx.id, &props.node, &props.path);
            let name = files::split_path(&props.path).1;
            html! {
                <div class="editor-note">
                    <p class="files-error" data-test-id="editor-error" role="alert">
                        { Sentence::Detail(Msg::OpenFailed, failure.clone()).render(lang) }
                    </p>
                    if refused {
                        <a class="button" href={href} download={name.clone()} data-test-id="editor-download">
                            { i18n::download_title(lang, &name, false) }
                        </a>
                    }
                </div>
            }
        }
        Load::Ready(_) => html! {
            <textarea ref={area.clone()} class="editor-text" data-test-id="editor-text" spellcheck="false"
                autocomplete="off" autocapitalize="off" wrap="off" value={(*text).clone()} {oninput}
                aria-label={i18n::editing(&props.node, &props.path)} />
        },
    };
    let on_save_click = {
        let save = save.clone();
        Callback::from(move |_: MouseEvent| save.emit(()))
    };
    let on_close_click = {
        let close = close.clone();
        Callback::from(move |_: MouseEvent| close.emit(dirty))
    };
    let ready = matches!(*load, Load::Ready(_));

    html! {
        <div class="editor-backdrop">
            <section class="editor" data-test-id="editor" data-node={props.node.clone()} data-path={props.path.clone()}
                role="dialog" aria-label={i18n::editing(&props.node, &props.path)} onkeydown={onkeydown}>
                <header class="editor-head">
                    <span class="file-icon icon-file" aria-hidden="true" />
                    <h2 class="editor-title">
                        <span class="editor-node">{ format!("{}:", props.node) }</span>{ props.path.clone() }
                    </h2>
                    if let Some((state, text)) = status {
                        <span class={classes!("editor-status", format!("editor-{state}"))} data-test-id="editor-status"
                            data-state={state} role="status">{ text }</span>
                    }
                    <span class="spacer" />
                    <button class="button button-small button-primary" type="button" data-test-id="editor-save"
                        title={t(lang, Msg::SaveKeys)} disabled={!ready || *saving == Saving::Busy} onclick={on_save_click}>
                        { t(lang, Msg::Save) }
                    </button>
                    <button class="button button-small" type="button" data-test-id="editor-close" onclick={on_close_click}>
                        { t(lang, Msg::Close) }
                    </button>
                </header>
                { body }
            </section>
        </div>
    }
}
