//! A playground session (`/s/{id}`): loads the session, then shows the top bar (id,
//! countdown, connection status, "End session"), the banners and the terminal of node1,
//! all fed by one `SessionLink`; or the "session ended" panel.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use quai_protocol::SessionInfo;
use yew::prelude::*;

use crate::components::banner::Banner;
use crate::components::countdown::Countdown;
use crate::components::ended::EndedPanel;
use crate::components::terminal::TerminalView;
use crate::services::api;
use crate::services::link::SessionLink;
use crate::state::{Action, Conn, Ended, Level, PlaygroundState};
use crate::xterm::Xterm;

/// The terminal and node every playground opens first.
const FIRST_TERM: u16 = 1;
const FIRST_NODE: &str = "node1";

#[derive(Properties, PartialEq)]
pub struct PlaygroundProps {
    pub id: AttrValue,
}

/// Where loading the session stands.
#[derive(Debug, Clone, PartialEq)]
enum Load {
    Loading,
    Ready(SessionInfo),
    /// The session could not be read (not a 404): the sentence to show.
    Failed(String),
}

#[function_component(Playground)]
pub fn playground(props: &PlaygroundProps) -> Html {
    let state = use_reducer(PlaygroundState::default);
    let load = use_state(|| Load::Loading);
    let retries = use_state(|| 0u32);
    let link: Rc<RefCell<Option<SessionLink>>> = use_mut_ref(|| None);
    let ending = use_state(|| false);

    // Load the session, then connect its socket; drop the socket when the page goes.
    {
        let (load, link, dispatch) = (load.clone(), link.clone(), state.dispatcher());
        use_effect_with((props.id.clone(), *retries), move |(id, _)| {
            gloo::utils::document().set_title(&format!("Quai — {}", short_id(id)));
            let gone = Rc::new(Cell::new(false));
            {
                let (id, gone, link) = (id.to_string(), gone.clone(), link.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let result = api::get_session(&id).await;
                    if gone.get() {
                        return;
                    }
                    match result {
                        Ok(info) => {
                            dispatch.dispatch(Action::ExpiresAt(info.expires_at));
                            let to_state = Callback::from(move |action| dispatch.dispatch(action));
                            *link.borrow_mut() = Some(SessionLink::connect(&id, to_state));
                            load.set(Load::Ready(info));
                        }
                        Err(failure) if failure.is_not_found() => {
                            dispatch.dispatch(Action::Ended(Ended::NotFound));
                            load.set(Load::Failed(String::new()));
                        }
                        Err(failure) => load.set(Load::Failed(failure.sentence())),
                    }
                });
            }
            move || {
                gone.set(true);
                link.borrow_mut().take();
            }
        });
    }

    let on_ready = {
        let link = link.clone();
        Callback::from(move |xterm: Rc<Xterm>| {
            if let Some(link) = link.borrow().as_ref() {
                link.attach(FIRST_TERM, FIRST_NODE, xterm);
            }
        })
    };

    let on_end = {
        let (id, link, dispatch, ending) = (
            props.id.clone(),
            link.clone(),
            state.dispatcher(),
            ending.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if *ending {
                return;
            }
            ending.set(true);
            let (id, link, dispatch, ending) =
                (id.clone(), link.clone(), dispatch.clone(), ending.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::end_session(&id).await {
                    Ok(()) => end_here(&link, &dispatch, Ended::ByUser),
                    Err(failure) if failure.is_not_found() => {
                        end_here(&link, &dispatch, Ended::NotFound)
                    }
                    Err(failure) => {
                        dispatch.dispatch(Action::Error(format!(
                            "The session could not be ended: {}",
                            failure.sentence()
                        )));
                        ending.set(false);
                    }
                }
            });
        })
    };

    let dismiss = {
        let dispatch = state.dispatcher();
        move |id: u32| {
            let dispatch = dispatch.clone();
            Callback::from(move |()| dispatch.dispatch(Action::Dismiss(id)))
        }
    };
    let banners = state.notices.iter().map(|notice| {
        let test_id = if notice.level == Level::Warning {
            "expiring-banner"
        } else {
            "error-banner"
        };
        html! {
            <Banner key={notice.id} text={notice.text.clone()} level={notice.level}
                test_id={test_id} on_dismiss={dismiss(notice.id)} />
        }
    });

    let conn = if matches!(*load, Load::Ready(_)) || state.ended.is_some() {
        state.conn
    } else {
        Conn::Connecting
    };
    let ended = state.ended;
    let placeholder = match (&*load, ended) {
        (Load::Loading, None) => html! {
            <div class="placeholder" data-test-id="loading">{ "Opening the session…" }</div>
        },
        (Load::Failed(sentence), None) => {
            let retry = {
                let retries = retries.clone();
                Callback::from(move |_: MouseEvent| retries.set(*retries + 1))
            };
            html! {
                <div class="placeholder">
                    <Banner text={sentence.clone()} />
                    <button class="button" type="button" data-test-id="retry" onclick={retry}>{ "Retry" }</button>
                </div>
            }
        }
        _ => html! {},
    };

    html! {
        <div class="playground">
            <header class="topbar">
                <a class="brand-small" href="/" data-test-id="brand">{ "Quai" }</a>
                <span class="session-id" data-test-id="session-id" title={props.id.clone()}>
                    { short_id(&props.id) }
                </span>
                <span class="spacer" />
                if ended.is_some() {
                    <span class="countdown" data-test-id="countdown">{ "ended" }</span>
                } else if let Some(expires_at) = state.expires_at {
                    <Countdown expires_at={expires_at} />
                }
                <span class={classes!("status", format!("status-{}", conn_class(conn)))}
                    data-test-id="connection-status" role="status">
                    { conn.label() }
                </span>
                <button class="button button-danger" type="button" data-test-id="end-session"
                    disabled={*ending || ended.is_some() || !matches!(*load, Load::Ready(_))} onclick={on_end}>
                    { if *ending && ended.is_none() { "Ending…" } else { "End session" } }
                </button>
            </header>
            <div class="banners">{ for banners }</div>
            <main class="workspace">
                { placeholder }
                { terminal_pane(&load, &on_ready, conn == Conn::Reconnecting) }
                // Over the terminal, so that its last output stays readable behind it.
                if let Some(ended) = ended {
                    <EndedPanel ended={ended} />
                }
            </main>
        </div>
    }
}

/// The tab bar and the terminal, once the session is loaded.
fn terminal_pane(load: &Load, on_ready: &Callback<Rc<Xterm>>, reconnecting: bool) -> Html {
    if !matches!(load, Load::Ready(_)) {
        return html! {};
    }
    html! {
        <>
            <nav class="tabs" role="tablist">
                <button class="tab tab-active" type="button" role="tab" aria-selected="true"
                    data-test-id={format!("tab-{FIRST_NODE}")}>{ FIRST_NODE }</button>
            </nav>
            <div class="terminal-pane">
                <TerminalView on_ready={on_ready.clone()} node={FIRST_NODE} />
                if reconnecting {
                    <div class="terminal-note" data-test-id="reconnecting" role="status">{ "Reconnecting…" }</div>
                }
            </div>
        </>
    }
}

fn end_here(
    link: &Rc<RefCell<Option<SessionLink>>>,
    dispatch: &UseReducerDispatcher<PlaygroundState>,
    ended: Ended,
) {
    if let Some(link) = link.borrow().as_ref() {
        link.close();
    }
    dispatch.dispatch(Action::Ended(ended));
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
