//! What the student's page shows when someone outside the session looks at it: who is
//! watching which terminal (`data-test-id="watched"`), a request to type in one
//! (`help-request`, with `help-allow` and `help-decline`), and help going on
//! (`help-typing`, with `help-stop`).

use quai_protocol::HelpState;
use yew::prelude::*;

use crate::context::PlaygroundCtx;
use crate::i18n::{self, t, use_lang, Msg};
use crate::state::PlaygroundState;

#[derive(Properties, PartialEq)]
pub struct WatchedProps {
    pub state: std::rc::Rc<PlaygroundState>,
}

#[function_component(Watched)]
pub fn watched(props: &WatchedProps) -> Html {
    let ctx = use_context::<PlaygroundCtx>().expect("Watched inside a playground");
    let lang = use_lang();
    let state = &props.state;
    let mut names: Vec<String> = Vec::new();
    let mut terms: Vec<u16> = Vec::new();
    for w in &state.watchers {
        if !names.contains(&w.name) {
            names.push(w.name.clone());
        }
        if !terms.contains(&w.term) {
            terms.push(w.term);
        }
    }
    terms.sort_unstable();
    let answer = |accept: bool| {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| ctx.link.with(|link| link.answer_help(accept)))
    };
    let stop = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| ctx.link.with(|link| link.end_help()))
    };
    let help = state.help.as_ref().map(|(term, name, help)| match help {
        HelpState::Asked => html! {
            <div class="watched-help" data-test-id="help-request" role="alertdialog" aria-live="assertive">
                <span>{ i18n::help_asked(lang, name, *term) }</span>
                <button class="button button-small button-primary" type="button" data-test-id="help-allow"
                    onclick={answer(true)}>{ t(lang, Msg::HelpAllow) }</button>
                <button class="button button-small" type="button" data-test-id="help-decline"
                    onclick={answer(false)}>{ t(lang, Msg::HelpDecline) }</button>
            </div>
        },
        _ => html! {
            <div class="watched-help watched-typing" data-test-id="help-typing" role="status">
                <span>{ i18n::help_typing(lang, name, *term) }</span>
                <button class="button button-small" type="button" data-test-id="help-stop"
                    onclick={stop.clone()}>{ t(lang, Msg::HelpStop) }</button>
            </div>
        },
    });
    if names.is_empty() && help.is_none() {
        return html! {};
    }
    html! {
        <div class="watched" role="status">
            if !names.is_empty() {
                <div class="watched-line" data-test-id="watched">
                    <span class="watched-eye" aria-hidden="true">{ "◉" }</span>
                    { i18n::watching(lang, &names, &terms) }
                </div>
            }
            { for help }
        </div>
    }
}
