//! The node tabs of a playground (`data-test-id="tab-{node}"`), each with a remove button
//! (`remove-node-{node}`, not on the last node) and a green dot when the node listens on
//! ports (`ports-dot-{node}`), and "+ Add node" (`add-node`, disabled at the session's
//! maximum). Adding and removing call the API; the socket's
//! `SessionUpdated` then keeps every open page of the session in step.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use yew::prelude::*;

use crate::context::PlaygroundCtx;
use crate::i18n::{self, t, use_lang, Msg, Sentence};
use crate::services::api;
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct NodeTabsProps {
    pub nodes: Vec<String>,
    pub selected: Option<String>,
    pub max_nodes: u8,
    /// The ports each node listens on (nodes without any are absent).
    #[prop_or_default]
    pub ports: BTreeMap<String, Vec<u16>>,
    /// The session is over or not connected: nothing can change.
    #[prop_or_default]
    pub frozen: bool,
}

#[function_component(NodeTabs)]
pub fn node_tabs(props: &NodeTabsProps) -> Html {
    let ctx = use_context::<PlaygroundCtx>().expect("NodeTabs inside a playground");
    let lang = use_lang();
    let adding = use_state(|| false);
    let removing = use_reducer(Removing::default);

    let on_add = {
        let (ctx, adding) = (ctx.clone(), adding.clone());
        Callback::from(move |_: MouseEvent| {
            if *adding {
                return;
            }
            adding.set(true);
            let (ctx, adding) = (ctx.clone(), adding.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::add_node(&ctx.id).await {
                    Ok(node) => ctx.dispatch(Action::NodeAdded(node.name)),
                    Err(failure) => ctx.failed(Msg::AddNodeFailed, failure),
                }
                adding.set(false);
            });
        })
    };

    let remove = |name: String| {
        let (ctx, removing) = (ctx.clone(), removing.clone());
        Callback::from(move |event: MouseEvent| {
            // The × sits inside the tab: removing must not also select it.
            event.stop_propagation();
            if removing.0.contains(&name) {
                return;
            }
            removing.dispatch((name.clone(), true));
            ctx.link.with(|link| link.hold_node(&name));
            let (ctx, removing, name) = (ctx.clone(), removing.dispatcher(), name.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::remove_node(&ctx.id, &name).await {
                    Ok(()) => ctx.dispatch(Action::NodeRemoved(name.clone())),
                    Err(failure) => {
                        ctx.link.with(|link| link.release_node(&name));
                        ctx.dispatch(Action::Error(Sentence::NodeNotRemoved(
                            name.clone(),
                            failure,
                        )));
                    }
                }
                removing.dispatch((name, false));
            });
        })
    };

    let tabs = props.nodes.iter().map(|name| {
        let active = props.selected.as_ref() == Some(name);
        let select = {
            let (ctx, name) = (ctx.clone(), name.clone());
            Callback::from(move |_: MouseEvent| ctx.dispatch(Action::SelectNode(name.clone())))
        };
        let busy = removing.0.contains(name);
        let removable = props.nodes.len() > 1 && !props.frozen;
        html! {
            <div key={name.clone()} class={classes!("tab", "node-tab", active.then_some("tab-active"), busy.then_some("tab-busy"))}>
                <button class="tab-label" type="button" role="tab" aria-selected={active.to_string()}
                    data-test-id={format!("tab-{name}")} onclick={select}>
                    { name.clone() }
                    if let Some(ports) = props.ports.get(name) {
                        <span class="tab-dot" data-test-id={format!("ports-dot-{name}")}
                            title={i18n::listening_on(lang, ports)} aria-label={i18n::listening_on(lang, ports)} />
                    }
                </button>
                if removable {
                    <button class="tab-close" type="button" disabled={busy}
                        title={i18n::remove_node_title(lang, name)} aria-label={i18n::remove_node_label(lang, name)}
                        data-test-id={format!("remove-node-{name}")} onclick={remove(name.clone())} />
                }
            </div>
        }
    });

    let full = props.nodes.len() >= usize::from(props.max_nodes);
    let title = if full {
        i18n::max_nodes(lang, props.max_nodes)
    } else {
        t(lang, Msg::AddNodeTitle).to_string()
    };
    html! {
        <nav class="tabs node-tabs" role="tablist" aria-label={t(lang, Msg::Nodes)}>
            { for tabs }
            <button class="add-tab" type="button" data-test-id="add-node" title={title}
                disabled={full || *adding || props.frozen} aria-busy={adding.to_string()} onclick={on_add}>
                if *adding {
                    <span class="spinner" aria-hidden="true" />{ t(lang, Msg::AddingNode) }
                } else {
                    { t(lang, Msg::AddNode) }
                }
            </button>
        </nav>
    }
}

/// The nodes whose removal is under way.
#[derive(Default, PartialEq)]
struct Removing(BTreeSet<String>);

impl Reducible for Removing {
    /// A node, and whether its removal starts (`true`) or is over.
    type Action = (String, bool);

    fn reduce(self: Rc<Self>, (name, busy): (String, bool)) -> Rc<Self> {
        let mut set = self.0.clone();
        if busy {
            set.insert(name);
        } else {
            set.remove(&name);
        }
        Rc::new(Removing(set))
    }
}
