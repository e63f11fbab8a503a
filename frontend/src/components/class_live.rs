//! The live side of a class on its instructor's page (`data-test-id="class-live"`): open
//! the demo terminal (`open-demo`) and show it to the class (`broadcast-toggle`, with how
//! many watch), peek at the students' terminals (`peek-seat` buttons, refreshed every few
//! seconds) in tiles side by side (`peek-tile`), ask to type in one (`ask-help`, then
//! `stop-help`), and the class's recordings (`class-recording`), replayed in the page.

use std::rc::Rc;

use gloo::timers::callback::Interval;
use quai_protocol::{ClientMsg, HelpState, PeekSeat, RecordingInfo, ServerMsg};
use yew::prelude::*;

use crate::components::viewer::Viewer;
use crate::i18n::{self, t, use_lang, Msg};
use crate::player::Player;
use crate::services::socket::SessionSocket;
use crate::services::teaching;

/// How often the seats and the broadcast's audience are read again.
const REFRESH_MS: u32 = 3_000;

#[derive(Properties, PartialEq)]
pub struct ClassLiveProps {
    pub class: AttrValue,
}

/// A tile: a seat's terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tile {
    seat: String,
    name: String,
    term: u16,
}

#[function_component(ClassLive)]
pub fn class_live(props: &ClassLiveProps) -> Html {
    let lang = use_lang();
    let seats = use_state(Vec::<PeekSeat>::new);
    let tiles = use_state(Vec::<Tile>::new);
    let on_air = use_state(|| None::<quai_protocol::BroadcastState>);
    let recordings = use_state(Vec::<RecordingInfo>::new);
    let playing = use_state(|| None::<String>);
    {
        let (seats, on_air, recordings) = (seats.clone(), on_air.clone(), recordings.clone());
        let class = props.class.clone();
        use_effect_with(class.clone(), move |_| {
            let read = move || {
                let (seats, on_air, recordings, class) = (
                    seats.clone(),
                    on_air.clone(),
                    recordings.clone(),
                    class.clone(),
                );
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(list) = teaching::peek(&class).await {
                        seats.set(list);
                    }
                    if let Ok(state) = teaching::broadcast(&class).await {
                        on_air.set(Some(state));
                    }
                    if let Ok(list) = teaching::recordings(&class).await {
                        recordings.set(list);
                    }
                });
            };
            read();
            let every = Interval::new(REFRESH_MS, read);
            move || drop(every)
        });
    }

    let open_demo = {
        let (class, on_air) = (props.class.clone(), on_air.clone());
        Callback::from(move |_: MouseEvent| {
            let (class, on_air) = (class.clone(), on_air.clone());
            // Opened now, while the click still counts as the person's, then sent there.
            let tab = web_sys::window().and_then(|w| w.open_with_url("about:blank").ok().flatten());
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(id) = teaching::demo(&class).await {
                    let path = format!("/s/{id}");
                    match tab {
                        Some(tab) => {
                            let _ = tab.location().set_href(&path);
                        }
                        None => {
                            if let Some(w) = web_sys::window() {
                                let _ = w.location().set_href(&path);
                            }
                        }
                    }
                }
                if let Ok(state) = teaching::broadcast(&class).await {
                    on_air.set(Some(state));
                }
            });
        })
    };
    let live = on_air.as_ref().is_some_and(|s| s.live);
    let has_demo = on_air.as_ref().is_some_and(|s| s.demo.is_some());
    let toggle_air = {
        let (class, on_air) = (props.class.clone(), on_air.clone());
        Callback::from(move |_: MouseEvent| {
            let (class, on_air) = (class.clone(), on_air.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(state) = teaching::set_broadcast(&class, !live).await {
                    on_air.set(Some(state));
                }
            });
        })
    };

    let up_front = on_air.as_ref().is_some_and(|s| s.help_up_front);
    let toggle_up_front = {
        let (class, on_air) = (props.class.clone(), on_air.clone());
        Callback::from(move |_: Event| {
            let (class, on_air) = (class.clone(), on_air.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let _ = teaching::set_help_up_front(&class, !up_front).await;
                if let Ok(state) = teaching::broadcast(&class).await {
                    on_air.set(Some(state));
                }
            });
        })
    };
    let seat_buttons = seats.iter().flat_map(|seat| {
        seat.terminals.iter().map(|terminal| {
            let tile = Tile {
                seat: seat.seat.clone(),
                name: seat.name.clone(),
                term: terminal.term,
            };
            let open = tiles.contains(&tile);
            let onclick = {
                let (tiles, tile) = (tiles.clone(), tile.clone());
                Callback::from(move |_: MouseEvent| {
                    let mut next = (*tiles).clone();
                    if let Some(at) = next.iter().position(|t| *t == tile) {
                        next.remove(at);
                    } else {
                        next.push(tile.clone());
                    }
                    tiles.set(next);
                })
            };
            html! {
                <button class={classes!("button", "button-small", open.then_some("button-on"))} type="button"
                    data-test-id="peek-seat" data-name={seat.name.clone()} data-term={terminal.term.to_string()}
                    aria-pressed={open.to_string()} {onclick}>
                    { i18n::tile_title(lang, &seat.name, terminal.term) }
                </button>
            }
        }).collect::<Vec<_>>()
    });
    let tile_views = tiles.iter().map(|tile| {
        let close = {
            let (tiles, tile) = (tiles.clone(), tile.clone());
            Callback::from(move |()| tiles.set(tiles.iter().filter(|t| **t != tile).cloned().collect()))
        };
        html! {
            <PeekTile key={format!("{}-{}", tile.seat, tile.term)} class={props.class.clone()}
                seat={tile.seat.clone()} name={tile.name.clone()} term={tile.term} on_close={close} />
        }
    });
    let recording_rows = recordings.iter().filter(|r| r.ended_at.is_some()).map(|r| {
        let play = {
            let (playing, id) = (playing.clone(), r.id.clone());
            Callback::from(move |_: MouseEvent| playing.set(Some(id.clone())))
        };
        html! {
            <li class="recording-row" data-test-id="class-recording">
                <span class="recording-title">{ &r.title }</span>
                <button class="button button-small" type="button" data-test-id="play-class-recording" onclick={play}>
                    { "▶ " }{ t(lang, Msg::Play) }
                </button>
                <a class="button button-small" href={teaching::recording_url(&props.class, &r.id, true)}
                    download={format!("quai-class-{}.cast", r.id)}>{ "↓ " }{ t(lang, Msg::Download) }</a>
            </li>
        }
    });
    html! {
        <section class="class-live" data-test-id="class-live">
            <h2>{ t(lang, Msg::LiveHeading) }</h2>
            <div class="class-live-actions">
                <button class="button" type="button" data-test-id="open-demo" onclick={open_demo}>
                    { t(lang, Msg::OpenDemo) }
                </button>
                <button class={classes!("button", live.then_some("button-danger"))} type="button"
                    data-test-id="broadcast-toggle" data-live={live.to_string()} disabled={!has_demo} onclick={toggle_air}>
                    { t(lang, if live { Msg::BroadcastOff } else { Msg::BroadcastOn }) }
                </button>
                if live {
                    <span class="muted" data-test-id="audience">
                        { i18n::audience(lang, on_air.as_ref().map_or(0, |s| s.audience)) }
                    </span>
                }
            </div>
            <h3>{ t(lang, Msg::PeekHeading) }</h3>
            <label class="work-dir">
                <input type="checkbox" data-test-id="help-up-front" checked={up_front} onchange={toggle_up_front} />
                <span>{ t(lang, Msg::HelpUpFront) }</span>
            </label>
            if seats.iter().all(|s| s.terminals.is_empty()) {
                <p class="muted">{ t(lang, Msg::PeekEmpty) }</p>
            } else {
                <div class="peek-seats">{ for seat_buttons }</div>
            }
            <div class="peek-tiles">{ for tile_views }</div>
            <h3>{ t(lang, Msg::ClassRecordings) }</h3>
            <p class="muted">{ t(lang, Msg::ClassRecordingsIntro) }</p>
            if recordings.iter().any(|r| r.ended_at.is_some()) {
                <ul class="recording-list">{ for recording_rows }</ul>
            } else {
                <p class="muted">{ t(lang, Msg::NoRecordings) }</p>
            }
            if let Some(id) = (*playing).clone() {
                <ClassPlayer key={id.clone()} url={teaching::recording_url(&props.class, &id, false)} />
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct PeekTileProps {
    class: AttrValue,
    seat: String,
    name: String,
    term: u16,
    on_close: Callback<()>,
}

/// One student's terminal, live, with help asked for and given from here.
#[function_component(PeekTile)]
fn peek_tile(props: &PeekTileProps) -> Html {
    let lang = use_lang();
    let help = use_state(|| None::<HelpState>);
    let socket = use_mut_ref(|| None::<Rc<SessionSocket>>);
    let on_socket = {
        let socket = socket.clone();
        Callback::from(move |s: Rc<SessionSocket>| *socket.borrow_mut() = Some(s))
    };
    let on_message = {
        let help = help.clone();
        Callback::from(move |msg: ServerMsg| {
            if let ServerMsg::HelpChanged { state, .. } = msg {
                help.set(Some(state));
            }
        })
    };
    let send = |msg: ClientMsg| {
        let socket = socket.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(socket) = socket.borrow().as_ref() {
                socket.send(&msg);
            }
        })
    };
    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    let typing = *help == Some(HelpState::Granted);
    let ask = html! {
        <button class="button button-small" type="button" data-test-id="ask-help"
            onclick={send(ClientMsg::HelpAsk)}>{ t(lang, Msg::AskHelp) }</button>
    };
    let help_controls = match *help {
        Some(HelpState::Asked) => {
            html! { <span class="muted">{ t(lang, Msg::HelpWaiting) }</span> }
        }
        Some(HelpState::Granted) => html! {
            <>
                <span class="peek-tile-note">{ t(lang, Msg::HelpYouType) }</span>
                <button class="button button-small" type="button" data-test-id="stop-help"
                    onclick={send(ClientMsg::HelpEnd)}>{ t(lang, Msg::StopTyping) }</button>
            </>
        },
        Some(HelpState::Refused) => html! {
            <><span class="muted">{ t(lang, Msg::HelpSaidNo) }</span>{ ask }</>
        },
        _ => ask,
    };
    let title = i18n::tile_title(lang, &props.name, props.term);
    html! {
        <div class={classes!("peek-tile", typing.then_some("peek-tile-typing"))} data-test-id="peek-tile"
            data-name={props.name.clone()} data-help={format!("{:?}", *help).to_lowercase()}>
            <header class="peek-tile-head">
                <span class="peek-tile-title">{ title.clone() }</span>
                { help_controls }
                <button class="tab-close" type="button" aria-label={t(lang, Msg::Close)} title={t(lang, Msg::Close)} onclick={close} />
            </header>
            <Viewer path={teaching::watch_path(&props.class, &props.seat, props.term)} font_size={11}
                {typing} {on_message} {on_socket} />
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ClassPlayerProps {
    url: AttrValue,
}

#[function_component(ClassPlayer)]
fn class_player(props: &ClassPlayerProps) -> Html {
    let host = use_node_ref();
    {
        let (host, url) = (host.clone(), props.url.clone());
        use_effect_with(url.clone(), move |_| {
            let player = host
                .cast::<web_sys::HtmlElement>()
                .and_then(|el| Player::open(&url, &el));
            move || drop(player)
        });
    }
    html! { <div ref={host} class="recording-player" data-test-id="class-recording-player" /> }
}
