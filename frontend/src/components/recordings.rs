//! Recording terminals. `RecordButton` (`data-test-id="record-terminal"`, `data-recording`)
//! sits over the terminals and records the visible one, or stops its recording; several
//! terminals may record at once. `RecordingList` (in "My work") lists the session's
//! recordings (`recording-row`), each replayed in the page by asciinema-player
//! (`play-recording`, then `recording-player`) or downloaded as a `.cast`
//! (`download-recording`).

use std::collections::BTreeSet;
use std::rc::Rc;

use quai_protocol::RecordingInfo;
use yew::prelude::*;

use crate::i18n::{t, use_lang, Msg};
use crate::player::Player;
use crate::services::recordings;

#[derive(Properties, PartialEq)]
pub struct RecordButtonProps {
    pub session: AttrValue,
    /// The visible terminal.
    pub term: Option<u16>,
    #[prop_or_default]
    pub frozen: bool,
}

#[function_component(RecordButton)]
pub fn record_button(props: &RecordButtonProps) -> Html {
    let lang = use_lang();
    // The terminals recording now, as the server listed them when the page opened, then
    // as this button changed them.
    let recording = use_state(BTreeSet::<u16>::new);
    let busy = use_state(|| false);
    let failed = use_state(|| false);
    {
        let (recording, session) = (recording.clone(), props.session.clone());
        use_effect_with(session.clone(), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(list) = recordings::list(&session).await {
                    recording.set(
                        list.iter()
                            .filter(|r| r.ended_at.is_none())
                            .map(|r| r.term)
                            .collect(),
                    );
                }
            });
        });
    }
    let Some(term) = props.term else {
        return html! {};
    };
    let on = recording.contains(&term);
    let onclick = {
        let (recording, busy, failed) = (recording.clone(), busy.clone(), failed.clone());
        let session = props.session.clone();
        Callback::from(move |_: MouseEvent| {
            let (recording, busy, failed) = (recording.clone(), busy.clone(), failed.clone());
            let session = session.clone();
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let result = if on {
                    recordings::stop(&session, term).await.map(drop)
                } else {
                    recordings::start(&session, term).await.map(drop)
                };
                let mut next = (*recording).clone();
                match result {
                    Ok(()) if on => {
                        next.remove(&term);
                    }
                    Ok(()) => {
                        next.insert(term);
                    }
                    // Recording already, or stopped already: the server knows best.
                    Err(_) => {
                        if let Ok(list) = recordings::list(&session).await {
                            next = list
                                .iter()
                                .filter(|r| r.ended_at.is_none())
                                .map(|r| r.term)
                                .collect();
                        }
                    }
                }
                failed.set(result.is_err() && next.contains(&term) == on);
                recording.set(next);
                busy.set(false);
            });
        })
    };
    let title = if *failed {
        t(lang, Msg::RecordFailed)
    } else {
        t(lang, Msg::RecordTitle)
    };
    html! {
        <button class={classes!("button", "button-small", "record-button", on.then_some("record-button-on"))} type="button"
            data-test-id="record-terminal" data-recording={on.to_string()} aria-pressed={on.to_string()}
            {title} disabled={*busy || (props.frozen && !on)} {onclick}>
            <span class="record-dot" aria-hidden="true" />
            { t(lang, if on { Msg::StopRecording } else { Msg::Record }) }
        </button>
    }
}

#[derive(Properties, PartialEq)]
pub struct RecordingListProps {
    pub session: AttrValue,
}

#[function_component(RecordingList)]
pub fn recording_list(props: &RecordingListProps) -> Html {
    let lang = use_lang();
    let list = use_state(|| None::<Vec<RecordingInfo>>);
    let playing = use_state(|| None::<String>);
    {
        let (list, session) = (list.clone(), props.session.clone());
        use_effect_with(session.clone(), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                list.set(Some(recordings::list(&session).await.unwrap_or_default()));
            });
        });
    }
    let rows = list.iter().flatten().map(|r| {
        let play = {
            let (playing, id) = (playing.clone(), r.id.clone());
            Callback::from(move |_: MouseEvent| playing.set(Some(id.clone())))
        };
        let ended = r.ended_at.is_some();
        let length = if ended {
            format!("{}:{:02}", (r.seconds as u64) / 60, (r.seconds as u64) % 60)
        } else {
            t(lang, Msg::RecordingNow).to_string()
        };
        html! {
            <li class="recording-row" data-test-id="recording-row" data-recording-id={r.id.clone()}>
                <span class="recording-title">{ &r.title }</span>
                <span class="muted">{ length }</span>
                if ended {
                    <button class="button button-small" type="button" data-test-id="play-recording" onclick={play}>
                        { "▶ " }{ t(lang, Msg::Play) }
                    </button>
                    <a class="button button-small" href={recordings::url(&props.session, &r.id, true)}
                        download={format!("quai-terminal-{}-{}.cast", r.term, r.id)} data-test-id="download-recording">
                        { "↓ " }{ t(lang, Msg::Download) }
                    </a>
                }
            </li>
        }
    });
    let empty = matches!(&*list, Some(l) if l.is_empty());
    html! {
        <>
            if empty {
                <p class="muted" data-test-id="no-recordings">{ t(lang, Msg::NoRecordings) }</p>
            } else {
                <ul class="recording-list">{ for rows }</ul>
            }
            if let Some(id) = (*playing).clone() {
                <PlayerView key={id.clone()} url={recordings::url(&props.session, &id, false)} />
            }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct PlayerViewProps {
    url: AttrValue,
}

/// One recording playing, its player disposed of when the view goes.
#[function_component(PlayerView)]
fn player_view(props: &PlayerViewProps) -> Html {
    let host = use_node_ref();
    {
        let (host, url) = (host.clone(), props.url.clone());
        use_effect_with(url.clone(), move |_| {
            let player = host
                .cast::<web_sys::HtmlElement>()
                .and_then(|el| Player::open(&url, &el))
                .map(Rc::new);
            move || drop(player)
        });
    }
    html! { <div ref={host} class="recording-player" data-test-id="recording-player" /> }
}
