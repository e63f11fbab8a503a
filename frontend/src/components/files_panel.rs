//! The files of the node in front (`data-test-id="files-panel"`), beside its terminals: a
//! breadcrumb of the folder shown (`files-crumb`), starting at /root and kept per node; its
//! entries, folders first (`file-entry`, with `data-name` and `data-kind`), a folder opening
//! on click and a file opening in the editor; a download link on each (`file-download`; a
//! folder comes as NAME.tar.gz); "New file" (`new-file`); "Upload files" and "Upload a
//! folder" (`upload-files-input`, `upload-folder-input`); and dropping files or folders on
//! the panel uploads them into the folder shown.

use std::collections::BTreeMap;

use quai_protocol::{FileEntry, FileKind, Listing, TextFile};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::drop_zone::DropZone;
use crate::context::PlaygroundCtx;
use crate::i18n::{self, t, use_lang, Msg, Sentence};
use crate::services::api::ApiFailure;
use crate::services::files::{self, crumbs, human_size, join, split_path};
use crate::services::transfer::{self, Dropped};
use crate::transfers::{self, Source, Target};

/// The folder a node's files open at.
pub const HOME: &str = "/root";

#[derive(Properties, PartialEq)]
pub struct FilesPanelProps {
    pub node: AttrValue,
    /// Bumped when this page changed files: the folder is read again.
    pub rev: u32,
    #[prop_or_default]
    pub frozen: bool,
    /// Opens a text file in the editor: `(node, path)`.
    pub on_edit: Callback<(String, String)>,
    pub on_close: Callback<()>,
    /// The file open in the editor, if it is on this node: its entry is marked.
    #[prop_or_default]
    pub active: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Load {
    Loading,
    Ready(Listing),
    Failed(ApiFailure),
}

#[function_component(FilesPanel)]
pub fn files_panel(props: &FilesPanelProps) -> Html {
    let ctx = use_context::<PlaygroundCtx>().expect("FilesPanel inside a playground");
    let lang = use_lang();
    // The folder shown on each node.
    let dirs = use_state(BTreeMap::<String, String>::new);
    let load = use_state(|| Load::Loading);
    let reloads = use_state(|| 0u32);
    let naming = use_state(|| false);
    let new_name = use_state(String::new);
    let name_error = use_state(|| None::<Sentence>);
    let files_input = use_node_ref();
    let folder_input = use_node_ref();
    let node = props.node.to_string();
    let dir = dirs.get(&node).cloned().unwrap_or_else(|| HOME.to_string());

    // The folder the listing shown is of: reading it again keeps it on screen meanwhile.
    let shown = use_mut_ref(|| None::<(String, String)>);
    {
        let (load, id) = (load.clone(), ctx.id.to_string());
        use_effect_with(
            (node.clone(), dir.clone(), props.rev, *reloads),
            move |(node, dir, _, _)| {
                let here = Some((node.clone(), dir.clone()));
                if *shown.borrow() != here || !matches!(*load, Load::Ready(_)) {
                    load.set(Load::Loading);
                }
                let (node, dir) = (node.clone(), dir.clone());
                let cancelled = std::rc::Rc::new(std::cell::Cell::new(false));
                let gone = cancelled.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let result = files::list(&id, &node, &dir).await;
                    if !gone.get() {
                        *shown.borrow_mut() = Some((node, dir));
                        load.set(match result {
                            Ok(listing) => Load::Ready(listing),
                            Err(failure) => Load::Failed(failure),
                        });
                    }
                });
                move || cancelled.set(true)
            },
        );
    }

    let go = {
        let (dirs, node) = (dirs.clone(), node.clone());
        move |path: String| {
            let (dirs, node) = (dirs.clone(), node.clone());
            Callback::from(move |_: MouseEvent| {
                let mut next = (*dirs).clone();
                next.insert(node.clone(), path.clone());
                dirs.set(next);
            })
        }
    };
    let reload = {
        let reloads = reloads.clone();
        Callback::from(move |_: MouseEvent| reloads.set(*reloads + 1))
    };

    let upload_into = {
        let (ctx, node, dir) = (ctx.clone(), node.clone(), dir.clone());
        move |source: Source| transfers::upload(&ctx, &node, Target::Dir(dir.clone()), source)
    };
    let on_drop = {
        let upload_into = upload_into.clone();
        Callback::from(move |dropped: Dropped| upload_into(Source::Dropped(dropped)))
    };
    let on_picked = {
        let upload_into = upload_into.clone();
        Callback::from(move |event: Event| {
            let Some(input) = event.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            let picked = transfer::from_input(&input);
            // The same files may be picked again.
            input.set_value("");
            if !picked.is_empty() {
                upload_into(Source::Picked(picked));
            }
        })
    };
    let click = |input: NodeRef| {
        Callback::from(move |_: MouseEvent| {
            if let Some(input) = input.cast::<HtmlInputElement>() {
                input.click();
            }
        })
    };

    // "New file": a name, then an empty file opened in the editor (an existing one is just
    // opened, never emptied).
    let start_naming = {
        let (naming, new_name, name_error) = (naming.clone(), new_name.clone(), name_error.clone());
        Callback::from(move |_: MouseEvent| {
            naming.set(true);
            new_name.set(String::new());
            name_error.set(None);
        })
    };
    let stop_naming = {
        let naming = naming.clone();
        Callback::from(move |_: MouseEvent| naming.set(false))
    };
    let on_name = {
        let new_name = new_name.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                new_name.set(input.value());
            }
        })
    };
    let create = {
        let (ctx, node, dir) = (ctx.clone(), node.clone(), dir.clone());
        let (naming, new_name, name_error) = (naming.clone(), new_name.clone(), name_error.clone());
        let (load, reloads, on_edit) = (load.clone(), reloads.clone(), props.on_edit.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let name = new_name.trim().to_string();
            if !valid_name(&name) {
                name_error.set(Some(Sentence::Msg(Msg::BadFileName)));
                return;
            }
            let path = join(&dir, &name);
            let exists = matches!(&*load, Load::Ready(listing)
                if listing.entries.iter().any(|e| e.name == name && e.kind != FileKind::Dir));
            if exists {
                naming.set(false);
                on_edit.emit((node.clone(), path));
                return;
            }
            let (ctx, node) = (ctx.clone(), node.clone());
            let (naming, name_error, reloads, on_edit) = (
                naming.clone(),
                name_error.clone(),
                reloads.clone(),
                on_edit.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                let file = TextFile {
                    path,
                    text: String::new(),
                };
                match files::write_text(&ctx.id, &node, &file).await {
                    Ok(saved) => {
                        naming.set(false);
                        reloads.set(*reloads + 1);
                        on_edit.emit((node, saved.path));
                    }
                    Err(failure) => {
                        name_error.set(Some(Sentence::Detail(Msg::CreateFailed, failure)))
                    }
                }
            });
        })
    };

    let up = (dir != "/").then(|| split_path(&dir).0);
    let breadcrumb = crumbs(&dir)
        .into_iter()
        .enumerate()
        .map(|(index, (name, path))| {
            let current = path == dir;
            html! {
                <>
                    if index > 1 { <span class="crumb-sep" aria-hidden="true">{ "/" }</span> }
                    <button class={classes!("crumb", current.then_some("crumb-current"))} type="button"
                        data-test-id="files-crumb" data-path={path.clone()} aria-current={current.then_some("location")}
                        onclick={go(path.clone())}>{ name }</button>
                </>
            }
        });

    let body = match &*load {
        Load::Loading => html! {
            <p class="files-note muted" data-test-id="files-loading">{ t(lang, Msg::FilesLoading) }</p>
        },
        Load::Failed(failure) => html! {
            <div class="files-note">
                <p class="files-error" data-test-id="files-error" role="alert">
                    { Sentence::Detail(Msg::ListFailed, failure.clone()).render(lang) }
                </p>
                if let Some(parent) = up.clone() {
                    <button class="link-button" type="button" onclick={go(parent)}>{ t(lang, Msg::ParentFolder) }</button>
                }
            </div>
        },
        Load::Ready(listing) if listing.entries.is_empty() => html! {
            <p class="files-note muted" data-test-id="files-empty">{ t(lang, Msg::EmptyFolder) }</p>
        },
        Load::Ready(listing) => {
            let rows = listing.entries.iter().map(|entry| {
                let path = join(&listing.path, &entry.name);
                let open = match entry.kind {
                    FileKind::Dir | FileKind::Link => go(path.clone()),
                    _ => {
                        let (on_edit, node, path) =
                            (props.on_edit.clone(), node.clone(), path.clone());
                        Callback::from(move |_: MouseEvent| {
                            on_edit.emit((node.clone(), path.clone()))
                        })
                    }
                };
                let href = files::download_url(&ctx.id, &node, &path);
                let active = props.active.as_deref() == Some(path.as_str());
                html! { <Row key={entry.name.clone()} entry={entry.clone()} {href} {open} {active} /> }
            });
            html! { <ul class="file-list" data-test-id="file-list" data-path={listing.path.clone()}>{ for rows }</ul> }
        }
    };

    let on_close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    let frozen = props.frozen;

    html! {
        <aside class="files-panel" data-test-id="files-panel" data-node={node.clone()} data-path={dir.clone()}
            aria-label={i18n::files_of(lang, &node)}>
            <DropZone class="files-drop" label={i18n::drop_into(lang, &dir)} {on_drop} disabled={frozen}>
                <header class="files-head">
                    <h2 class="files-title">{ i18n::files_of(lang, &node) }</h2>
                    <button class="tab-close files-close" type="button" title={t(lang, Msg::CloseFiles)}
                        aria-label={t(lang, Msg::CloseFiles)} data-test-id="files-close" onclick={on_close} />
                </header>
                <nav class="files-path" aria-label={t(lang, Msg::Files)}>
                    <button class="icon-button files-up" type="button" data-test-id="files-up" title={t(lang, Msg::ParentFolder)}
                        aria-label={t(lang, Msg::ParentFolder)} disabled={up.is_none()}
                        onclick={go(up.clone().unwrap_or_else(|| "/".into()))}>{ "↑" }</button>
                    <div class="crumbs">{ for breadcrumb }</div>
                    <button class="icon-button" type="button" data-test-id="files-refresh" title={t(lang, Msg::Refresh)}
                        aria-label={t(lang, Msg::Refresh)} onclick={reload}>{ "⟳" }</button>
                </nav>
                <div class="files-actions">
                    <button class="button button-small" type="button" data-test-id="new-file" disabled={frozen}
                        title={t(lang, Msg::NewFile)} onclick={start_naming}>{ t(lang, Msg::NewFileShort) }</button>
                    <button class="button button-small" type="button" data-test-id="upload-files" disabled={frozen}
                        title={t(lang, Msg::UploadFiles)} onclick={click(files_input.clone())}>{ t(lang, Msg::UploadFilesShort) }</button>
                    <button class="button button-small" type="button" data-test-id="upload-folder" disabled={frozen}
                        title={t(lang, Msg::UploadFolder)} onclick={click(folder_input.clone())}>{ t(lang, Msg::UploadFolderShort) }</button>
                    <input ref={files_input} class="visually-hidden" type="file" multiple=true tabindex="-1"
                        data-test-id="upload-files-input" onchange={on_picked.clone()} />
                    <input ref={folder_input} class="visually-hidden" type="file" webkitdirectory=true tabindex="-1"
                        data-test-id="upload-folder-input" onchange={on_picked} />
                </div>
                if *naming {
                    <form class="new-file" onsubmit={create}>
                        <input class="text-input" type="text" data-test-id="new-file-name" autofocus=true
                            placeholder={t(lang, Msg::NewFileName)} value={(*new_name).clone()} oninput={on_name}
                            aria-label={t(lang, Msg::NewFile)} />
                        <button class="button button-small button-primary" type="submit" data-test-id="new-file-create">
                            { t(lang, Msg::Create) }
                        </button>
                        <button class="button button-small" type="button" onclick={stop_naming}>{ t(lang, Msg::Cancel) }</button>
                        if let Some(error) = &*name_error {
                            <p class="files-error" data-test-id="new-file-error" role="alert">{ error.render(lang) }</p>
                        }
                    </form>
                }
                <div class="files-scroll">{ body }</div>
                <p class="files-hint">{ t(lang, Msg::FilesDropHint) }</p>
            </DropZone>
        </aside>
    }
}

/// A name a new file may have: no `/`, not `.` or `..`, not empty.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('/') && !name.contains('\0') && name != "." && name != ".."
}

#[derive(Properties, PartialEq)]
struct RowProps {
    entry: FileEntry,
    href: AttrValue,
    open: Callback<MouseEvent>,
    active: bool,
}

#[function_component(Row)]
fn row(props: &RowProps) -> Html {
    let lang = use_lang();
    let entry = &props.entry;
    let (kind, icon) = match entry.kind {
        FileKind::Dir => ("dir", "folder"),
        FileKind::File => ("file", "file"),
        FileKind::Link => ("link", "link"),
        FileKind::Other => ("other", "other"),
    };
    let folder = entry.kind == FileKind::Dir;
    let openable = entry.kind != FileKind::Other;
    let download_name = if folder {
        format!("{}.tar.gz", entry.name)
    } else {
        entry.name.clone()
    };
    let size = match entry.kind {
        FileKind::File => human_size(entry.size),
        FileKind::Link => t(lang, Msg::Link).to_string(),
        _ => String::new(),
    };
    html! {
        <li class={classes!("file-entry", format!("file-{kind}"), props.active.then_some("file-active"))}
            data-test-id="file-entry" data-name={entry.name.clone()}
            data-kind={kind}>
            <button class="file-open" type="button" data-test-id="file-open" disabled={!openable}
                title={i18n::open_title(lang, &entry.name, folder || entry.kind == FileKind::Link)} onclick={props.open.clone()}>
                <span class={classes!("file-icon", format!("icon-{icon}"))} aria-hidden="true" />
                <span class="file-name">{ entry.name.clone() }</span>
                <span class="file-size">{ size }</span>
            </button>
            if entry.kind != FileKind::Other && entry.kind != FileKind::Link {
                <a class="file-download" href={props.href.clone()} download={download_name} data-test-id="file-download"
                    title={i18n::download_title(lang, &entry.name, folder)} aria-label={i18n::download_title(lang, &entry.name, folder)}>
                    { "↓" }
                </a>
            }
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::valid_name;

    #[test]
    fn new_file_names_stay_in_their_folder() {
        assert!(valid_name("Dockerfile"));
        assert!(valid_name("compose.yaml"));
        assert!(!valid_name(""));
        assert!(!valid_name("a/b"));
        assert!(!valid_name(".."));
        assert!(!valid_name("."));
    }
}
