//! The terminals of the selected node as sub-tabs ("node1 · 1", "node1 · 2";
//! `data-test-id="term-tab-{term}"`, `data-failed` when the server could not open or use
//! the terminal), each closable (`close-terminal-{term}`) when the node has another, and
//! "+ terminal" (`add-terminal`) to open one more shell on the node under an id no other
//! page of the session has taken.

use yew::prelude::*;

use crate::context::PlaygroundCtx;
use crate::i18n::{self, t, use_lang, Msg};
use crate::services::api;
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct TermTabsProps {
    pub node: AttrValue,
    /// The node's terminals, by id.
    pub terms: Vec<u16>,
    pub visible: Option<u16>,
    #[prop_or_default]
    pub frozen: bool,
    /// Those the server could not open or use.
    #[prop_or_default]
    pub failed: Vec<u16>,
}

#[function_component(TermTabs)]
pub fn term_tabs(props: &TermTabsProps) -> Html {
    let ctx = use_context::<PlaygroundCtx>().expect("TermTabs inside a playground");
    let lang = use_lang();
    let closable = props.terms.len() > 1 && !props.frozen;
    let tabs = props.terms.iter().enumerate().map(|(index, &term)| {
        let active = props.visible == Some(term);
        let failed = props.failed.contains(&term);
        let label = format!("{} · {}", props.node, index + 1);
        let select = {
            let ctx = ctx.clone();
            Callback::from(move |_: MouseEvent| ctx.dispatch(Action::SelectTerm(term)))
        };
        let close = {
            let ctx = ctx.clone();
            Callback::from(move |event: MouseEvent| {
                event.stop_propagation();
                ctx.link.with(|link| link.close_terminal(term));
                ctx.dispatch(Action::CloseTerm(term));
            })
        };
        html! {
            <div key={term} class={classes!("subtab", active.then_some("subtab-active"), failed.then_some("subtab-failed"))}>
                <button class="tab-label" type="button" role="tab" aria-selected={active.to_string()}
                    data-test-id={format!("term-tab-{term}")} data-term={term.to_string()} data-failed={failed.to_string()}
                    onclick={select}>
                    { label.clone() }
                </button>
                if closable {
                    <button class="tab-close" type="button" title={i18n::close_terminal_title(lang, &label)}
                        aria-label={i18n::close_terminal_label(lang, &label)}
                        data-test-id={format!("close-terminal-{term}")} onclick={close} />
                }
            </div>
        }
    });
    let add = {
        let (ctx, node) = (ctx.clone(), props.node.to_string());
        Callback::from(move |_: MouseEvent| {
            let (ctx, node) = (ctx.clone(), node.clone());
            // Terminal ids are the session's: learn those other pages opened first, so that
            // the new one takes a free id.
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(info) = api::get_session(&ctx.id).await {
                    ctx.dispatch(Action::Session(info));
                }
                ctx.dispatch(Action::OpenTerm(node));
            });
        })
    };
    html! {
        <nav class="subtabs" role="tablist" aria-label={i18n::terminals_on(lang, &props.node)}>
            { for tabs }
            <button class="add-subtab" type="button" data-test-id="add-terminal" disabled={props.frozen}
                title={i18n::another_terminal(lang, &props.node)} onclick={add}>{ t(lang, Msg::AddTerminal) }</button>
        </nav>
    }
}
