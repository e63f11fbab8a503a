//! A playground session (`/s/{id}`, or `/lessons/{slug}/{id}` beside its lesson): loads the
//! session, then shows the top bar (id, profile, "My work", countdown, Extend, connection
//! status, the language switch, "End session"), the banners, the node tabs with the files
//! toggle and the font size control, and the selected node's terminals as sub-tabs, with the
//! ports it listens on, over their xterm.js views, all fed by one `SessionLink` from the
//! page's `Store`; why a terminal could not be opened or used, with Retry, over it; the
//! node's files beside them when asked, the editor over them, and where an upload stands;
//! or the "session ended" panel. Files dropped on a terminal go to its shell's folder. With
//! a lesson, its panel sits on the left, and its click-to-run blocks type into the
//! terminals.

use std::cell::Cell;
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use gloo::timers::callback::Timeout;
use wasm_bindgen::JsCast;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::banner::Banner;
use crate::components::countdown::Countdown;
use crate::components::drop_zone::DropZone;
use crate::components::editor::Editor;
use crate::components::ended::EndedPanel;
use crate::components::files_panel::FilesPanel;
use crate::components::font_size::FontSize;
use crate::components::lang_switch::LangSwitch;
use crate::components::lesson_panel::LessonPanel;
use crate::components::lesson_text::{keystrokes, RunBlock};
use crate::components::lifecycle::{ExtendButton, ProfileBadge};
use crate::components::node_tabs::NodeTabs;
use crate::components::on_air::OnAir;
use crate::components::ports::PortChips;
use crate::components::raise_hand::RaiseHand;
use crate::components::recordings::RecordButton;
use crate::components::term_tabs::TermTabs;
use crate::components::terminal::TerminalView;
use crate::components::transfer_status::TransferStatus;
use crate::components::watched::Watched;
use crate::components::work_dialog::WorkDialog;
use crate::context::{LinkHandle, PlaygroundCtx};
use crate::i18n::{self, t, use_lang, Msg, Sentence};
use crate::services::link::SessionLink;
use crate::services::transfer::{carries_files, Dropped};
use crate::services::{api, files, prefs, timing};
use crate::state::{Action, Conn, Ended, Level, PlaygroundState};
use crate::store::use_store;
use crate::terminals::Phase;
use crate::transfers::{self, Source, Target};
use crate::workspace::Workspace;
use crate::xterm::Xterm;

#[derive(Properties, PartialEq)]
pub struct PlaygroundProps {
    pub id: AttrValue,
    /// The lesson this session runs, shown beside the terminals.
    #[prop_or_default]
    pub lesson: Option<AttrValue>,
}

/// How long after Ctrl-C a click-to-run block types its text, so that the shell is back at
/// its prompt (the interrupted program gone) and nothing typed is lost.
const AFTER_INTERRUPT_MS: u32 = 300;

/// Where loading the session stands.
#[derive(Debug, Clone, PartialEq)]
enum Load {
    Loading,
    Ready,
    /// The session could not be read: why (`None` for a 404, which shows as the end).
    Failed(Option<api::ApiFailure>),
}

#[function_component(Playground)]
pub fn playground(props: &PlaygroundProps) -> Html {
    let store = use_store();
    let state = store.get();
    let load = use_state(|| Load::Loading);
    let retries = use_state(|| 0u32);
    let link = (*use_state(LinkHandle::default)).clone();
    let ending = use_state(|| false);
    let font_size = use_state(prefs::font_size);
    let files_open = use_state(prefs::files_open);
    // The file open in the editor: (node, path).
    let editing = use_state(|| None::<(String, String)>);
    let work_open = use_state(|| false);
    let lang = use_lang();

    // Files dropped anywhere else on the page must not replace it with the file.
    use_effect_with((), |_| {
        let window = gloo::utils::window();
        let options = EventListenerOptions::enable_prevent_default();
        let refuse = |event: &Event| {
            if event.dyn_ref::<DragEvent>().is_some_and(carries_files) {
                event.prevent_default();
            }
        };
        let listeners = [
            EventListener::new_with_options(&window, "dragover", options, refuse),
            EventListener::new_with_options(&window, "drop", options, refuse),
        ];
        move || drop(listeners)
    });

    // Load the session, then connect its socket; drop the socket when the page goes.
    {
        let (load, link, store) = (load.clone(), link.clone(), store.clone());
        let (lesson, navigator) = (props.lesson.clone(), use_navigator());
        use_effect_with((props.id.clone(), *retries), move |(id, _)| {
            gloo::utils::document().set_title(&format!("Quai — {}", short_id(id)));
            let gone = Rc::new(Cell::new(false));
            {
                let (id, gone, link) = (id.to_string(), gone.clone(), link.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let result = api::session(&id).await;
                    if gone.get() {
                        return;
                    }
                    match result {
                        // A lesson's session opened by its playground address: show it
                        // beside its lesson.
                        Ok(info) if lesson.is_none() && info.lesson.is_some() => {
                            if let (Some(navigator), Some(slug)) = (navigator, info.lesson) {
                                navigator.replace(&Route::LessonSession { slug, session: id });
                            }
                        }
                        Ok(info) => {
                            timing::mark("session-read");
                            store.dispatch(Action::Session(info));
                            link.set(Some(SessionLink::connect(&id, store)));
                            load.set(Load::Ready);
                        }
                        Err(failure) if failure.is_not_found() => {
                            // The lesson's page no longer offers to continue in it.
                            if let Some(slug) = &lesson {
                                if prefs::lesson_session(slug).as_deref() == Some(id.as_str()) {
                                    prefs::set_lesson_session(slug, None);
                                }
                            }
                            store.dispatch(Action::Ended(Ended::NotFound));
                            load.set(Load::Failed(None));
                        }
                        Err(failure) => load.set(Load::Failed(Some(failure))),
                    }
                });
            }
            move || {
                gone.set(true);
                link.set(None);
            }
        });
    }

    // The page's own actions changed the terminals (one closed, a node removed): the link
    // does what they ask for.
    {
        let link = link.clone();
        use_effect_with(state.terminals.clone(), move |_| link.with(|l| l.drive()));
    }

    let ctx = PlaygroundCtx {
        id: props.id.clone(),
        store: store.clone(),
        link: link.clone(),
    };

    let on_end = {
        let (ctx, ending) = (ctx.clone(), ending.clone());
        Callback::from(move |_: MouseEvent| {
            if *ending {
                return;
            }
            ending.set(true);
            let (ctx, ending) = (ctx.clone(), ending.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::end_session(&ctx.id).await {
                    Ok(()) => end_here(&ctx, Ended::ByUser),
                    Err(failure) if failure.is_not_found() => end_here(&ctx, Ended::NotFound),
                    Err(failure) => {
                        ctx.failed(Msg::EndFailed, failure);
                        ending.set(false);
                    }
                }
            });
        })
    };

    let ended = state.ended;
    let frozen = ended.is_some();
    let can_extend = state.session.is_some_and(|s| s.can_extend());
    let dismiss = {
        let store = store.clone();
        move |id: u32| {
            let store = store.clone();
            Callback::from(move |()| store.dispatch(Action::Dismiss(id)))
        }
    };
    let banners = state.notices.iter().map(|notice| {
        let test_id = match notice.level {
            Level::Warning => "expiring-banner",
            Level::Error => "error-banner",
            Level::Info => "info-banner",
        };
        html! {
            <Banner key={notice.id} text={notice.text.render(lang)} level={notice.level}
                test_id={test_id} on_dismiss={dismiss(notice.id)}>
                if notice.level == Level::Warning && can_extend {
                    <ExtendButton can_extend={can_extend} test_id="banner-extend" class="button button-small" {frozen} />
                }
            </Banner>
        }
    });

    let ready = *load == Load::Ready && state.session.is_some();
    let conn = if ready || frozen {
        state.conn
    } else {
        Conn::Connecting
    };
    let placeholder = match (&*load, ended) {
        (Load::Loading, None) => html! {
            <div class="placeholder" data-test-id="loading">{ t(lang, Msg::OpeningSession) }</div>
        },
        (Load::Failed(Some(failure)), None) => {
            let retry = {
                let retries = retries.clone();
                Callback::from(move |_: MouseEvent| retries.set(*retries + 1))
            };
            html! {
                <div class="placeholder">
                    <Banner text={failure.sentence(lang)} />
                    <button class="button" type="button" data-test-id="retry" onclick={retry}>{ t(lang, Msg::Retry) }</button>
                </div>
            }
        }
        _ => html! {},
    };
    let on_font = {
        let font_size = font_size.clone();
        Callback::from(move |size: u8| {
            prefs::set_font_size(size);
            font_size.set(size);
        })
    };
    let toggle_files = {
        let files_open = files_open.clone();
        Callback::from(move |_: MouseEvent| {
            prefs::set_files_open(!*files_open);
            files_open.set(!*files_open);
        })
    };
    let close_files = {
        let files_open = files_open.clone();
        Callback::from(move |()| {
            prefs::set_files_open(false);
            files_open.set(false);
        })
    };
    // Whether the editor holds unsaved changes: opening another file asks first.
    let unsaved = use_mut_ref(|| false);
    let on_dirty = {
        let unsaved = unsaved.clone();
        Callback::from(move |dirty: bool| *unsaved.borrow_mut() = dirty)
    };
    let on_edit = {
        let (editing, unsaved) = (editing.clone(), unsaved.clone());
        Callback::from(move |file: (String, String)| {
            if editing.as_ref() == Some(&file) {
                return;
            }
            let discard = !*unsaved.borrow()
                || gloo::utils::window()
                    .confirm_with_message(t(i18n::current(), Msg::DiscardChanges))
                    .unwrap_or(true);
            if discard {
                *unsaved.borrow_mut() = false;
                editing.set(Some(file));
            }
        })
    };
    let close_editor = {
        let (editing, unsaved) = (editing.clone(), unsaved.clone());
        Callback::from(move |()| {
            *unsaved.borrow_mut() = false;
            editing.set(None);
        })
    };
    let editor = (*editing).clone().filter(|_| ready).map(|(node, path)| {
        let key = format!("{node}:{path}");
        html! { <Editor {key} {node} {path} on_close={close_editor.clone()} on_dirty={on_dirty.clone()} /> }
    });
    let transfer = state.transfer.clone().filter(|_| ready).map(|transfer| {
        html! { <TransferStatus {transfer} /> }
    });
    let workspace = if ready {
        let pane = Pane {
            state: &state,
            font_size: *font_size,
            link: &link,
            reconnecting: conn == Conn::Reconnecting,
            lang,
            overlay: html! { <>{ for editor }{ for transfer }</> },
            session: AttrValue::from(props.id.clone()),
        };
        let ports_by_node: std::collections::BTreeMap<String, Vec<u16>> = state
            .ports
            .iter()
            .map(|(node, ports)| (node.clone(), ports.iter().map(|p| p.port).collect()))
            .collect();
        let files_panel = state
            .workspace
            .node
            .clone()
            .filter(|_| *files_open)
            .map(|node| {
                let active = editing
                    .as_ref()
                    .filter(|(n, _)| *n == node)
                    .map(|(_, path)| path.clone());
                html! {
                    <FilesPanel node={node} rev={state.files_rev} {frozen} on_edit={on_edit.clone()}
                        on_close={close_files.clone()} {active} />
                }
            });
        html! {
            <>
                <div class="workspace-bar">
                    <NodeTabs nodes={state.workspace.nodes.clone()} selected={state.workspace.node.clone()}
                        max_nodes={state.session.map_or(1, |s| s.max_nodes)} {frozen} ports={ports_by_node} />
                    <button class={classes!("icon-button", "files-toggle", files_open.then_some("icon-button-on"))} type="button"
                        data-test-id="files-toggle" aria-pressed={files_open.to_string()} title={t(lang, Msg::FilesToggleTitle)}
                        onclick={toggle_files}>
                        <span class="file-icon icon-folder" aria-hidden="true" />{ t(lang, Msg::Files) }
                    </button>
                    <FontSize size={*font_size} on_change={on_font} />
                </div>
                <div class="workspace-main">
                    { pane.view() }
                    { for files_panel }
                </div>
            </>
        }
    } else {
        html! {}
    };
    let work_dialog = (*work_open && ready).then(|| {
        let work_open = work_open.clone();
        html! { <WorkDialog {frozen} on_close={Callback::from(move |()| work_open.set(false))} /> }
    });
    let open_work = {
        let work_open = work_open.clone();
        Callback::from(move |_: MouseEvent| work_open.set(true))
    };

    let on_run = {
        let (ctx, workspace) = (ctx.clone(), state.workspace.clone());
        Callback::from(move |block: RunBlock| run_block(&ctx, &workspace, block))
    };

    html! {
        <ContextProvider<PlaygroundCtx> context={ctx}>
            <div class={classes!("playground", props.lesson.is_some().then_some("playground-lesson"))}>
                <header class="topbar">
                    <a class="brand-small" href="/" data-test-id="brand">{ "Quai" }</a>
                    <span class="session-id" data-test-id="session-id" title={props.id.clone()}>
                        { short_id(&props.id) }
                    </span>
                    if let Some(session) = state.session {
                        <ProfileBadge profile={session.profile} />
                    }
                    <span class="spacer" />
                    if ready {
                        <button class="button" type="button" data-test-id="my-work" title={t(lang, Msg::MyWorkTitle)}
                            onclick={open_work} aria-haspopup="dialog">{ t(lang, Msg::MyWork) }</button>
                    }
                    if ready && !frozen {
                        <RaiseHand session={props.id.clone()} />
                    }
                    if frozen {
                        <span class="countdown" data-test-id="countdown">{ t(lang, Msg::Ended) }</span>
                    } else if let Some(expires_at) = state.expires_at {
                        <Countdown expires_at={expires_at} />
                    }
                    if ready {
                        <ExtendButton can_extend={can_extend} {frozen} />
                    }
                    <span class={classes!("status", format!("status-{}", conn_class(conn)))}
                        data-test-id="connection-status" role="status">
                        { t(lang, conn.label()) }
                    </span>
                    <LangSwitch />
                    <button class="button button-danger" type="button" data-test-id="end-session"
                        disabled={*ending || frozen || !ready} onclick={on_end}>
                        { t(lang, if *ending && !frozen { Msg::Ending } else { Msg::EndSession }) }
                    </button>
                </header>
                <div class="banners">{ for banners }</div>
                <Watched state={state.clone()} />
                <OnAir session={AttrValue::from(props.id.clone())} />
                <div class="playground-body">
                    if let Some(slug) = props.lesson.clone() {
                        <LessonPanel {slug} session={props.id.clone()} on_run={(ready && !frozen).then_some(on_run)} />
                    }
                    <main class="workspace">
                        { placeholder }
                        { workspace }
                        // Over the terminal, so that its last output stays readable behind it.
                        if let Some(ended) = ended {
                            <EndedPanel ended={ended} lesson={props.lesson.clone()} />
                        }
                    </main>
                </div>
                { for work_dialog }
            </div>
        </ContextProvider<PlaygroundCtx>>
    }
}

/// The terminal pane: the selected node's sub-tabs over every terminal of the session (the
/// hidden ones kept alive).
struct Pane<'a> {
    state: &'a PlaygroundState,
    font_size: u8,
    link: &'a LinkHandle,
    reconnecting: bool,
    lang: crate::i18n::Lang,
    /// Shown over the terminals (the editor, where an upload stands).
    overlay: Html,
    session: AttrValue,
}

impl Pane<'_> {
    fn view(&self) -> Html {
        let workspace = &self.state.workspace;
        let visible = workspace.visible();
        let frozen = self.state.ended.is_some();
        let on_ready = {
            let link = self.link.clone();
            Callback::from(move |(term, xterm): (u16, Rc<Xterm>)| {
                link.with(|l| l.attach(term, xterm));
            })
        };
        let on_shown = {
            let link = self.link.clone();
            Callback::from(move |term: u16| link.with(|l| l.shown(term)))
        };
        let views = workspace.terms.iter().map(|t| {
            html! {
                <TerminalView key={t.term} term={t.term} node={t.node.clone()} visible={visible == Some(t.term)}
                    font_size={self.font_size} on_ready={on_ready.clone()} on_shown={on_shown.clone()} />
            }
        });
        let terminals = &self.state.terminals;
        let failed_why = |term: u16| match terminals.phase(term) {
            Some(Phase::Failed(why)) => Some(why.render(self.lang)),
            _ => None,
        };
        let head = workspace.node.as_ref().map(|node| {
            let terms: Vec<u16> = workspace.terms_of(node).map(|t| t.term).collect();
            let failed: Vec<u16> = terms
                .iter()
                .copied()
                .filter(|term| failed_why(*term).is_some())
                .collect();
            let ports = self.state.ports.get(node).cloned().unwrap_or_default();
            html! {
                <div class="pane-head">
                    <TermTabs node={node.clone()} {terms} {visible} {frozen} {failed} />
                    <PortChips node={node.clone()} {ports} />
                    <RecordButton session={self.session.clone()} term={visible} {frozen} />
                </div>
            }
        });
        html! {
            <div class="terminal-pane">
                { for head }
                <TerminalDrop node={workspace.node.clone().map(AttrValue::from)} term={visible} {frozen}>
                    // Keyed among themselves only: a terminal's xterm.js must follow its id.
                    <>{ for views }</>
                    if self.reconnecting {
                        <div class="terminal-note" data-test-id="reconnecting" role="status">{ t(self.lang, Msg::Reconnecting) }</div>
                    }
                    { for visible.and_then(|term| Some(self.failed_note(term, failed_why(term)?))) }
                </TerminalDrop>
                { self.overlay.clone() }
            </div>
        }
    }

    /// Why terminal `term`, in front, could not be opened or used, and Retry.
    fn failed_note(&self, term: u16, why: String) -> Html {
        let retry = {
            let link = self.link.clone();
            Callback::from(move |_: MouseEvent| link.with(|l| l.retry(term)))
        };
        html! {
            <div class="terminal-error" data-test-id="terminal-error" data-term={term.to_string()} role="alert">
                <p>
                    <span data-test-id="terminal-error-text">{ why }</span>
                    { " " }{ t(self.lang, Msg::TermFailedHint) }
                </p>
                <button class="button button-small" type="button" data-test-id="terminal-retry" onclick={retry}>
                    { t(self.lang, Msg::Retry) }
                </button>
            </div>
        }
    }
}

#[derive(Properties, PartialEq)]
struct TerminalDropProps {
    node: Option<AttrValue>,
    /// The terminal in front.
    term: Option<u16>,
    frozen: bool,
    children: Html,
}

/// The terminals, where files and folders dropped go into the folder of the shell in front
/// (asked as the drag comes in, to say where, and again at the drop).
#[function_component(TerminalDrop)]
fn terminal_drop(props: &TerminalDropProps) -> Html {
    let ctx = use_context::<PlaygroundCtx>().expect("TerminalDrop inside a playground");
    let lang = use_lang();
    let cwd = use_state(|| None::<String>);
    let on_enter = {
        let (ctx, cwd, term) = (ctx.clone(), cwd.clone(), props.term);
        Callback::from(move |()| {
            cwd.set(None);
            let Some(term) = term else { return };
            let (id, cwd) = (ctx.id.to_string(), cwd.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(wd) = files::cwd(&id, term).await {
                    cwd.set(Some(wd.path));
                }
            });
        })
    };
    let on_drop = {
        let (node, term) = (props.node.clone(), props.term);
        Callback::from(move |dropped: Dropped| {
            if let (Some(node), Some(term)) = (&node, term) {
                transfers::upload(&ctx, node, Target::Terminal(term), Source::Dropped(dropped));
            }
        })
    };
    let label = match &*cwd {
        Some(dir) => i18n::drop_into(lang, dir),
        None => t(lang, Msg::DropIntoShell).to_string(),
    };
    html! {
        <DropZone class="terminal-stack" {label} {on_enter} {on_drop} disabled={props.frozen || props.term.is_none()}>
            { props.children.clone() }
        </DropZone>
    }
}

/// Types a click-to-run block into the terminal in front, or into the one shown for the
/// node it names (which is brought to the front, its first terminal opened if it has none).
fn run_block(ctx: &PlaygroundCtx, workspace: &Workspace, block: RunBlock) {
    let term = match &block.node {
        Some(node) if !workspace.nodes.contains(node) => {
            ctx.dispatch(Action::Error(Sentence::NoSuchNode(node.clone())));
            return;
        }
        Some(node) => {
            // What the reducer will do, done on a copy to learn the terminal's id.
            let mut after = workspace.clone();
            after.select_node(node);
            if workspace.node.as_ref() != Some(node) {
                ctx.dispatch(Action::SelectNode(node.clone()));
            }
            after.visible()
        }
        None => workspace.visible(),
    };
    let Some(term) = term else { return };
    let keys = keystrokes(&block.text);
    if block.interrupt {
        ctx.link.with(|link| link.type_into(term, b"\x03"));
        let link = ctx.link.clone();
        Timeout::new(AFTER_INTERRUPT_MS, move || {
            link.with(|link| link.type_into(term, keys.as_bytes()));
        })
        .forget();
    } else {
        ctx.link.with(|link| link.type_into(term, keys.as_bytes()));
    }
}

fn end_here(ctx: &PlaygroundCtx, ended: Ended) {
    ctx.link.with(|link| link.close());
    ctx.dispatch(Action::Ended(ended));
}

fn conn_class(conn: Conn) -> &'static str {
    match conn {
        Conn::Connecting => "connecting",
        Conn::Connected => "connected",
        Conn::Reconnecting => "reconnecting",
        Conn::Disconnected => "disconnected",
    }
}

/// The first 8 characters of a session id: enough to tell sessions apart on screen.
pub fn short_id(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::short_id;

    #[test]
    fn session_ids_are_shortened_to_eight_characters() {
        assert_eq!(short_id("0123456789abcdef0123456789abcdef"), "01234567");
        assert_eq!(short_id("abc"), "abc");
    }
}
