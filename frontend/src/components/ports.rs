//! The ports a node listens on, as chips above its terminals (`data-test-id="port-chip-{port}"`):
//! each opens the port's preview in a new tab. The preview lives on an origin of its own and
//! the browser sends the session's cookie there by itself.

use quai_protocol::PortInfo;
use yew::prelude::*;

use crate::i18n::{self, t, use_lang, Msg};

#[derive(Properties, PartialEq)]
pub struct PortChipsProps {
    pub node: AttrValue,
    pub ports: Vec<PortInfo>,
}

#[function_component(PortChips)]
pub fn port_chips(props: &PortChipsProps) -> Html {
    let lang = use_lang();
    if props.ports.is_empty() {
        return html! {
            <div class="ports ports-empty" data-test-id="ports" data-node={props.node.clone()}>
                <span class="ports-hint">{ t(lang, Msg::PortsHint) }</span>
            </div>
        };
    }
    let chips = props.ports.iter().map(|p| {
        html! {
            <a class="port-chip" key={p.port} href={p.url.clone()} target="_blank" rel="noopener"
                data-test-id={format!("port-chip-{}", p.port)} title={i18n::open_port(lang, p.port, &props.node)}>
                <span class="port-dot" aria-hidden="true" />
                { p.port }
                <span class="port-open" aria-hidden="true">{ "↗" }</span>
            </a>
        }
    });
    html! {
        <div class="ports" data-test-id="ports" data-node={props.node.clone()} role="group"
            aria-label={t(lang, Msg::PortsLabel)}>
            <span class="ports-label">{ t(lang, Msg::PortsLabel) }</span>
            { for chips }
        </div>
    }
}
