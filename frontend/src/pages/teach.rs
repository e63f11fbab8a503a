//! `/teach`: the instructor's page. Signed out, the sign-in form (name and password); signed
//! in, their classes (title linking to the class's page, code, seats taken, when, the join
//! address to show the room, an End button) and the form that creates one (title, seats, what each seat gets, when).

use quai_protocol::{ClassInfo, ClassState, LessonSummary, NewClass, Profile};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::lang_switch::LangSwitch;
use crate::i18n::{t, use_lang, Lang, Msg};
use crate::services::api::{self, ApiFailure};
use crate::services::classes;

/// Who the page is for.
#[derive(Clone, PartialEq)]
enum Who {
    Loading,
    Nobody,
    Instructor(String),
}

#[function_component(Teach)]
pub fn teach() -> Html {
    let lang = use_lang();
    use_effect_with(lang, |&lang| {
        gloo::utils::document().set_title(&format!("Quai — {}", t(lang, Msg::TeachTitle)))
    });
    let who = use_state(|| Who::Loading);
    {
        let who = who.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                who.set(match classes::whoami().await {
                    Ok(me) => Who::Instructor(me.name),
                    Err(_) => Who::Nobody,
                });
            });
        });
    }
    let on_signed_in = {
        let who = who.clone();
        Callback::from(move |name: String| who.set(Who::Instructor(name)))
    };
    let on_sign_out = {
        let who = who.clone();
        Callback::from(move |_: MouseEvent| {
            let who = who.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = classes::sign_out().await;
                who.set(Who::Nobody);
            });
        })
    };
    let body = match &*who {
        Who::Loading => html! { <p class="muted">{ t(lang, Msg::Loading) }</p> },
        Who::Nobody => html! { <SignInForm on_signed_in={on_signed_in} /> },
        Who::Instructor(name) => html! {
            <>
                <div class="teach-bar">
                    <span class="teach-who" data-test-id="teach-who">{ name.clone() }</span>
                    <button class="button button-small" type="button" data-test-id="sign-out"
                        onclick={on_sign_out}>{ t(lang, Msg::SignOut) }</button>
                </div>
                <Classes />
            </>
        },
    };
    html! {
        <main class="home teach">
            <div class="corner"><LangSwitch /></div>
            <section class="teach-page" data-test-id="teach-page">
                <Link<Route> to={Route::Home} classes="brand try-brand">{ "Quai" }</Link<Route>>
                { body }
            </section>
        </main>
    }
}

fn input_value(node: &NodeRef) -> String {
    node.cast::<HtmlInputElement>()
        .map(|i| i.value())
        .unwrap_or_default()
}

#[derive(Properties, PartialEq)]
struct SignInProps {
    on_signed_in: Callback<String>,
}

#[function_component(SignInForm)]
fn sign_in_form(props: &SignInProps) -> Html {
    let lang = use_lang();
    let name = use_node_ref();
    let password = use_node_ref();
    let error = use_state(|| None::<ApiFailure>);
    let busy = use_state(|| false);
    let onsubmit = {
        let (name, password, error, busy) =
            (name.clone(), password.clone(), error.clone(), busy.clone());
        let done = props.on_signed_in.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (who, secret) = (
                input_value(&name).trim().to_string(),
                input_value(&password),
            );
            let (error, busy, done) = (error.clone(), busy.clone(), done.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                match classes::sign_in(&who, &secret).await {
                    Ok(me) => done.emit(me.name),
                    Err(failure) => {
                        busy.set(false);
                        error.set(Some(failure));
                    }
                }
            });
        })
    };
    let problem = (*error).as_ref().map(|failure| match failure {
        ApiFailure::Status { status: 401, .. } => t(lang, Msg::SignInMismatch).to_string(),
        other => other.sentence(lang),
    });
    html! {
        <div class="card class-card" data-test-id="sign-in">
            <h2>{ t(lang, Msg::SignInTitle) }</h2>
            <form class="class-form" {onsubmit}>
                <label class="class-field">
                    <span>{ t(lang, Msg::SignInName) }</span>
                    <input ref={name} class="class-input" data-test-id="sign-in-name" autocomplete="username" />
                </label>
                <label class="class-field">
                    <span>{ t(lang, Msg::Password) }</span>
                    <input ref={password} class="class-input" type="password" data-test-id="sign-in-password"
                        autocomplete="current-password" />
                </label>
                if let Some(problem) = problem {
                    <div class="banner banner-error" role="alert" data-test-id="sign-in-error">
                        <span class="banner-text">{ problem }</span>
                    </div>
                }
                <button class="button button-primary" type="submit" data-test-id="sign-in-submit"
                    disabled={*busy}>{ t(lang, Msg::SignInButton) }</button>
            </form>
        </div>
    }
}

pub(crate) fn state_label(lang: Lang, state: ClassState) -> &'static str {
    match state {
        ClassState::Scheduled => t(lang, Msg::ClassScheduled),
        ClassState::Open => t(lang, Msg::ClassOpen),
        ClassState::Ended => t(lang, Msg::ClassEndedState),
    }
}

/// "14:05 – 16:05", in the browser's time zone.
pub(crate) fn when(starts_at: u64, ends_at: u64) -> String {
    let time = |secs: u64| {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(secs as f64 * 1000.0));
        format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
    };
    format!("{} – {}", time(starts_at), time(ends_at))
}

#[function_component(Classes)]
fn classes_panel() -> Html {
    let lang = use_lang();
    let list = use_state(|| None::<Vec<ClassInfo>>);
    let lessons = use_state(Vec::<LessonSummary>::new);
    let error = use_state(|| None::<ApiFailure>);
    let reload = {
        let (list, error) = (list.clone(), error.clone());
        Callback::from(move |_: ()| {
            let (list, error) = (list.clone(), error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match classes::classes().await {
                    Ok(classes) => list.set(Some(classes)),
                    Err(failure) => error.set(Some(failure)),
                }
            });
        })
    };
    {
        let (reload, lessons) = (reload.clone(), lessons.clone());
        use_effect_with(lang, move |&lang| {
            reload.emit(());
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(all) = api::lessons(lang).await {
                    lessons.set(all);
                }
            });
            // Seats fill as students join: the list is read again every few seconds.
            let interval = gloo::timers::callback::Interval::new(5_000, move || reload.emit(()));
            move || drop(interval)
        });
    }
    let rows = match &*list {
        None => html! { <p class="muted">{ t(lang, Msg::Loading) }</p> },
        Some(classes) if classes.is_empty() => {
            html! { <p class="muted" data-test-id="no-classes">{ t(lang, Msg::NoClasses) }</p> }
        }
        Some(classes) => html! {
            <table class="class-table" data-test-id="class-table">
                <thead><tr>
                    <th>{ t(lang, Msg::ClassTitle) }</th>
                    <th>{ t(lang, Msg::ClassCode) }</th>
                    <th>{ t(lang, Msg::ClassSeatsTaken) }</th>
                    <th>{ t(lang, Msg::ClassWhen) }</th>
                    <th>{ t(lang, Msg::ClassJoinUrl) }</th>
                    <th></th>
                </tr></thead>
                <tbody>
                    { for classes.iter().map(|class| {
                        let end = {
                            let (id, reload) = (class.id.clone(), reload.clone());
                            Callback::from(move |_: MouseEvent| {
                                let (id, reload) = (id.clone(), reload.clone());
                                wasm_bindgen_futures::spawn_local(async move {
                                    let _ = classes::end_class(&id).await;
                                    reload.emit(());
                                });
                            })
                        };
                        html! {
                            <tr data-test-id="class-row" key={class.id.clone()}>
                                <td>
                                    <span class="class-name" data-test-id="class-open">
                                        <Link<Route> to={Route::Class { id: class.id.clone() }}>{ class.title.clone() }</Link<Route>>
                                    </span>
                                    <div class="muted class-state">{ state_label(lang, class.state) }</div>
                                </td>
                                <td><code class="class-code" data-test-id="class-code">{ class.code.clone() }</code></td>
                                <td data-test-id="class-seats">{ format!("{} / {}", class.taken, class.seats) }</td>
                                <td>{ when(class.starts_at, class.ends_at) }</td>
                                <td><a href={class.join_url.clone()} data-test-id="class-join-url">{ class.join_url.clone() }</a></td>
                                <td>
                                    if class.state != ClassState::Ended {
                                        <button class="button button-small button-danger" type="button"
                                            data-test-id="class-end" onclick={end}>{ t(lang, Msg::EndClass) }</button>
                                    }
                                </td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        },
    };
    html! {
        <>
            <div class="card class-list">
                <h2>{ t(lang, Msg::MyClasses) }</h2>
                if let Some(failure) = &*error {
                    <div class="banner banner-error" role="alert"><span class="banner-text">{ failure.sentence(lang) }</span></div>
                }
                { rows }
            </div>
            <NewClassForm lessons={(*lessons).clone()} on_created={reload} />
        </>
    }
}

#[derive(Properties, PartialEq)]
struct NewClassProps {
    lessons: Vec<LessonSummary>,
    on_created: Callback<()>,
}

#[function_component(NewClassForm)]
fn new_class_form(props: &NewClassProps) -> Html {
    let lang = use_lang();
    let title = use_node_ref();
    let seats = use_node_ref();
    // The choice lives in state, not only in the DOM: the lesson options arrive after the page
    // draws, and a choice made before they do must be the one the class gets.
    let what = use_state(|| String::from("blank:docker"));
    let starts_in = use_node_ref();
    let minutes = use_node_ref();
    let error = use_state(|| None::<ApiFailure>);
    let busy = use_state(|| false);
    let onsubmit = {
        let (title, seats, what, starts_in, minutes) = (
            title.clone(),
            seats.clone(),
            what.clone(),
            starts_in.clone(),
            minutes.clone(),
        );
        let (error, busy, done) = (error.clone(), busy.clone(), props.on_created.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let chosen = (*what).clone();
            let (lesson, profile) = match chosen.as_str() {
                "blank:shell" => (None, Some(Profile::Shell)),
                "blank:docker" | "" => (None, Some(Profile::Docker)),
                slug => (Some(slug.to_string()), None),
            };
            let number = |node: &NodeRef| input_value(node).trim().parse::<u32>().ok();
            let new = NewClass {
                title: input_value(&title),
                seats: number(&seats).unwrap_or(0),
                lesson,
                profile,
                nodes: None,
                starts_in_minutes: number(&starts_in).filter(|m| *m > 0),
                duration_minutes: number(&minutes),
                single_use_codes: None,
            };
            let (error, busy, done, title) =
                (error.clone(), busy.clone(), done.clone(), title.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let created = classes::create_class(&new).await;
                busy.set(false);
                match created {
                    Ok(_) => {
                        error.set(None);
                        if let Some(input) = title.cast::<HtmlInputElement>() {
                            input.set_value("");
                        }
                        done.emit(());
                    }
                    Err(failure) => error.set(Some(failure)),
                }
            });
        })
    };
    let choose = {
        let what = what.clone();
        Callback::from(move |event: Event| {
            if let Some(select) = event.target_dyn_into::<HtmlSelectElement>() {
                what.set(select.value());
            }
        })
    };
    html! {
        <div class="card class-card class-new">
            <h2>{ t(lang, Msg::NewClassTitle) }</h2>
            <form class="class-form class-form-grid" {onsubmit} data-test-id="new-class">
                <label class="class-field class-wide">
                    <span>{ t(lang, Msg::ClassTitle) }</span>
                    <input ref={title} class="class-input" data-test-id="new-class-title" maxlength="120" />
                </label>
                <label class="class-field">
                    <span>{ t(lang, Msg::ClassSeats) }</span>
                    <input ref={seats} class="class-input" type="number" min="1" max="200" value="20"
                        data-test-id="new-class-seats" />
                </label>
                <label class="class-field class-wide">
                    <span>{ t(lang, Msg::ClassLesson) }</span>
                    <select class="class-input" data-test-id="new-class-lesson" onchange={choose}>
                        <option value="blank:docker" selected={*what == "blank:docker"}>{ t(lang, Msg::BlankDocker) }</option>
                        <option value="blank:shell" selected={*what == "blank:shell"}>{ t(lang, Msg::BlankShell) }</option>
                        { for props.lessons.iter().filter(|l| l.missing_images.is_empty()).map(|l| html! {
                            <option value={l.slug.clone()} selected={*what == l.slug}>{ l.title.clone() }</option>
                        }) }
                    </select>
                </label>
                <label class="class-field">
                    <span>{ t(lang, Msg::ClassStartsIn) }</span>
                    <input ref={starts_in} class="class-input" type="number" min="0" value="0"
                        data-test-id="new-class-starts-in" />
                </label>
                <label class="class-field">
                    <span>{ t(lang, Msg::ClassMinutes) }</span>
                    <input ref={minutes} class="class-input" type="number" min="1" value="120"
                        data-test-id="new-class-minutes" />
                </label>
                if let Some(failure) = &*error {
                    <div class="banner banner-error class-wide" role="alert" data-test-id="new-class-error">
                        <span class="banner-text">{ failure.detail(lang) }</span>
                    </div>
                }
                <div class="class-wide">
                    <button class="button button-primary" type="submit" data-test-id="new-class-submit"
                        disabled={*busy}>{ t(lang, Msg::CreateClass) }</button>
                </div>
            </form>
        </div>
    }
}
