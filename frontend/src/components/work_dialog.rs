//! "My work" (`data-test-id="work-dialog"`): download the chosen folders of every node as
//! one archive with a checksum per file (`work-dir` checkboxes, /root by default;
//! `download-work`), or bring such an archive back (`import-work-input`): the import runs
//! as a transfer of the page, which says what was restored or which file failed its check;
//! and the session's terminal recordings (`components::recordings`).

use web_sys::{HtmlInputElement, KeyboardEvent};
use yew::prelude::*;

use crate::components::recordings::RecordingList;
use crate::context::PlaygroundCtx;
use crate::i18n::{t, use_lang, Msg};
use crate::services::files;
use crate::transfers;

/// The folders a workspace may hold (the writable places of a node).
pub const FOLDERS: [&str; 7] = [
    "/root",
    "/home",
    "/srv",
    "/opt",
    "/workspace",
    "/tmp",
    "/var/tmp",
];

#[derive(Properties, PartialEq)]
pub struct WorkDialogProps {
    pub on_close: Callback<()>,
    #[prop_or_default]
    pub frozen: bool,
}

#[function_component(WorkDialog)]
pub fn work_dialog(props: &WorkDialogProps) -> Html {
    let ctx = use_context::<PlaygroundCtx>().expect("WorkDialog inside a playground");
    let lang = use_lang();
    let chosen = use_state(|| vec!["/root".to_string()]);
    let input = use_node_ref();
    let card = use_node_ref();
    // The keyboard goes to the dialog (Escape closes it).
    {
        let card = card.clone();
        use_effect_with((), move |_| {
            if let Some(card) = card.cast::<web_sys::HtmlElement>() {
                let _ = card.focus();
            }
        });
    }

    let toggle = |dir: &'static str| {
        let chosen = chosen.clone();
        Callback::from(move |_: Event| {
            let mut next: Vec<String> = (*chosen).clone();
            if next.iter().any(|d| d == dir) {
                next.retain(|d| d != dir);
            } else {
                next.push(dir.to_string());
            }
            // Kept in the order of the list.
            next.sort_by_key(|d| FOLDERS.iter().position(|f| f == d));
            chosen.set(next);
        })
    };
    let boxes = FOLDERS.iter().map(|&dir| {
        let checked = chosen.iter().any(|d| d == dir);
        html! {
            <label class={classes!("work-dir", checked.then_some("work-dir-on"))}>
                <input type="checkbox" data-test-id="work-dir" data-dir={dir} {checked} onchange={toggle(dir)} />
                <span>{ dir }</span>
            </label>
        }
    });

    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    let onkeydown = {
        let on_close = props.on_close.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Escape" {
                on_close.emit(());
            }
        })
    };
    let pick = {
        let input = input.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(input) = input.cast::<HtmlInputElement>() {
                input.click();
            }
        })
    };
    let on_file = {
        let (ctx, on_close) = (ctx.clone(), props.on_close.clone());
        Callback::from(move |event: Event| {
            let Some(input) = event.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            let file = input.files().and_then(|list| list.get(0));
            input.set_value("");
            if let Some(file) = file {
                transfers::import(&ctx, file);
                on_close.emit(());
            }
        })
    };
    let on_backdrop = {
        let on_close = props.on_close.clone();
        Callback::from(move |event: MouseEvent| {
            // Only a click on the backdrop itself, not inside the card.
            if event.target() == event.current_target() {
                on_close.emit(());
            }
        })
    };

    let href = files::workspace_url(&ctx.id, &chosen);
    html! {
        <div class="dialog-backdrop" onclick={on_backdrop}>
            <section ref={card} class="card dialog work-dialog" data-test-id="work-dialog" role="dialog" aria-modal="true"
                aria-labelledby="work-title" tabindex="-1" {onkeydown}>
                <header class="dialog-head">
                    <h2 id="work-title">{ t(lang, Msg::MyWork) }</h2>
                    <button class="tab-close" type="button" aria-label={t(lang, Msg::Close)} title={t(lang, Msg::Close)}
                        data-test-id="work-close" onclick={close} />
                </header>
                <div class="dialog-section">
                    <h3>{ t(lang, Msg::ExportHeading) }</h3>
                    <p class="muted">{ t(lang, Msg::ExportIntro) }</p>
                    <div class="work-dirs">{ for boxes }</div>
                    if chosen.is_empty() {
                        <p class="files-error" data-test-id="work-choose">{ t(lang, Msg::ChooseFolder) }</p>
                    } else {
                        <a class="button button-primary" href={href} download="quai-workspace.tar.gz" data-test-id="download-work">
                            { "↓ " }{ t(lang, Msg::DownloadWork) }
                        </a>
                    }
                </div>
                <div class="dialog-section">
                    <h3>{ t(lang, Msg::ImportHeading) }</h3>
                    <p class="muted">{ t(lang, Msg::ImportIntro) }</p>
                    <button class="button" type="button" data-test-id="import-work" disabled={props.frozen} onclick={pick}>
                        { "↑ " }{ t(lang, Msg::ImportWork) }
                    </button>
                    <input ref={input} class="visually-hidden" type="file" accept=".tar.gz,.tgz,application/gzip" tabindex="-1"
                        data-test-id="import-work-input" onchange={on_file} />
                </div>
                <div class="dialog-section">
                    <h3>{ t(lang, Msg::RecordingsHeading) }</h3>
                    <p class="muted">{ t(lang, Msg::RecordingsIntro) }</p>
                    <RecordingList session={ctx.id.clone()} />
                </div>
            </section>
        </div>
    }
}
