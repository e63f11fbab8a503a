//! `/teach/classes/:id`: one class as its instructor runs it. The join code and address
//! shown large for the room, the class's times and controls (extend by 15 minutes, end,
//! download the progress as CSV), the live roster (`components::roster_table`, read again
//! every 2 seconds without a reload), and an aside (`class-side`) with the class live:
//! demo, broadcast, peek tiles and recordings (`components::class_live`).

use quai_protocol::{ClassState, Roster};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::class_live::ClassLive;
use crate::components::lang_switch::LangSwitch;
use crate::components::roster_table::{RosterTable, RowAction};
use crate::i18n::{t, use_lang, Msg};
use crate::pages::teach::{state_label, when};
use crate::services::api::ApiFailure;
use crate::services::classes;

/// How often the roster is read again, in milliseconds.
const POLL_MS: u32 = 2_000;
/// Minutes the extend button adds.
const EXTEND_MINUTES: u32 = 15;

#[derive(Properties, PartialEq)]
pub struct ClassPageProps {
    pub id: String,
}

#[function_component(ClassPage)]
pub fn class_page(props: &ClassPageProps) -> Html {
    let lang = use_lang();
    let roster = use_state(|| None::<Roster>);
    let error = use_state(|| None::<ApiFailure>);
    let busy = use_state(Vec::<String>::new);
    let reload = {
        let (roster, error, id) = (roster.clone(), error.clone(), props.id.clone());
        Callback::from(move |()| {
            let (roster, error, id) = (roster.clone(), error.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match classes::roster(&id).await {
                    Ok(fresh) => {
                        roster.set(Some(fresh));
                        error.set(None);
                    }
                    Err(failure) => error.set(Some(failure)),
                }
            });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with(props.id.clone(), move |_| {
            reload.emit(());
            let interval = gloo::timers::callback::Interval::new(POLL_MS, move || reload.emit(()));
            move || drop(interval)
        });
    }
    {
        let title = (*roster).as_ref().map(|r| r.class.title.clone());
        use_effect_with((lang, title), |(lang, title)| {
            let name = title
                .clone()
                .unwrap_or_else(|| t(*lang, Msg::TeachTitle).into());
            gloo::utils::document().set_title(&format!("Quai — {name}"));
        });
    }
    let on_action = {
        let (reload, error, busy, id) = (
            reload.clone(),
            error.clone(),
            busy.clone(),
            props.id.clone(),
        );
        Callback::from(move |action: RowAction| {
            let (reload, error, busy, id) =
                (reload.clone(), error.clone(), busy.clone(), id.clone());
            let seat = match &action {
                RowAction::LowerHand(seat) | RowAction::Reset(seat) => seat.clone(),
            };
            let mut now_busy = (*busy).clone();
            now_busy.push(seat.clone());
            busy.set(now_busy);
            wasm_bindgen_futures::spawn_local(async move {
                let done = match action {
                    RowAction::LowerHand(seat) => classes::lower_hand(&id, &seat).await,
                    RowAction::Reset(seat) => classes::reset_seat(&id, &seat).await,
                };
                if let Err(failure) = done {
                    error.set(Some(failure));
                }
                busy.set((*busy).iter().filter(|s| **s != seat).cloned().collect());
                reload.emit(());
            });
        })
    };
    let on_extend = {
        let (reload, error, id) = (reload.clone(), error.clone(), props.id.clone());
        Callback::from(move |_: MouseEvent| {
            let (reload, error, id) = (reload.clone(), error.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(failure) = classes::extend_class(&id, EXTEND_MINUTES).await {
                    error.set(Some(failure));
                }
                reload.emit(());
            });
        })
    };
    let on_end = {
        let (reload, error, id) = (reload.clone(), error.clone(), props.id.clone());
        Callback::from(move |_: MouseEvent| {
            let (reload, error, id) = (reload.clone(), error.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(failure) = classes::end_class(&id).await {
                    error.set(Some(failure));
                }
                reload.emit(());
            });
        })
    };

    let problem = (*error).as_ref().map(|failure| {
        html! {
            <div class="banner banner-error" role="alert" data-test-id="class-error">
                <span class="banner-text">{ failure.sentence(lang) }</span>
            </div>
        }
    });
    let body = match &*roster {
        None if error.is_some() => html! {},
        None => html! { <p class="muted">{ t(lang, Msg::Loading) }</p> },
        Some(roster) => {
            let class = &roster.class;
            let open = class.state != ClassState::Ended;
            html! {
                <>
                    <div class="card class-head">
                        <div class="class-head-text">
                            <h1 class="class-page-title" data-test-id="class-title">{ class.title.clone() }</h1>
                            <div class="muted">
                                <span data-test-id="class-state">{ state_label(lang, class.state) }</span>
                                { " · " }{ when(class.starts_at, class.ends_at) }
                                { " · " }<span data-test-id="class-seats">{ format!("{} / {}", class.taken, class.seats) }</span>
                            </div>
                            <div class="class-controls">
                                if open {
                                    <button class="button button-small" type="button" data-test-id="extend-class"
                                        title={t(lang, Msg::ExtendClassTitle)} onclick={on_extend}>{ t(lang, Msg::ExtendClass) }</button>
                                }
                                <a class="button button-small" href={classes::progress_url(&class.id)} download=""
                                    data-test-id="download-csv">{ t(lang, Msg::DownloadCsv) }</a>
                                if open {
                                    <button class="button button-small button-danger" type="button" data-test-id="class-end"
                                        onclick={on_end}>{ t(lang, Msg::EndClass) }</button>
                                }
                            </div>
                        </div>
                        <div class="class-join" data-test-id="class-join">
                            <div class="muted">{ t(lang, Msg::JoinAt) }</div>
                            <div class="class-join-url" data-test-id="class-join-url">{ class.join_url.clone() }</div>
                            <div class="class-join-code" data-test-id="class-code">{ class.code.clone() }</div>
                        </div>
                    </div>
                    <div class="class-body">
                        <section class="card class-roster">
                            <h2>{ t(lang, Msg::RosterTitle) }</h2>
                            <RosterTable roster={roster.clone()} on_action={on_action} busy={(*busy).clone()} />
                        </section>
                        <aside class="class-side" data-test-id="class-side"><ClassLive class={props.id.clone()} /></aside>
                    </div>
                </>
            }
        }
    };
    html! {
        <main class="home teach">
            <div class="corner"><LangSwitch /></div>
            <section class="teach-page class-page" data-test-id="class-page">
                <div class="teach-bar class-bar">
                    <Link<Route> to={Route::Teach} classes="class-back">{ t(lang, Msg::BackToClasses) }</Link<Route>>
                    <span class="spacer" />
                    <Link<Route> to={Route::Home} classes="brand-small">{ "Quai" }</Link<Route>>
                </div>
                { for problem }
                { body }
            </section>
        </main>
    }
}
