//! The right-click menu of a terminal: Copy (`data-test-id="context-copy"`, only with a
//! selection) and Paste (`context-paste`). A click anywhere else or Escape closes it.

use web_sys::HtmlElement;
use yew::prelude::*;

use crate::i18n::{t, use_lang, Msg};

#[derive(Properties, PartialEq)]
pub struct ContextMenuProps {
    /// Where the pointer was, in pixels from the terminal's top left corner.
    pub x: i32,
    pub y: i32,
    pub can_copy: bool,
    pub on_copy: Callback<()>,
    pub on_paste: Callback<()>,
    pub on_close: Callback<()>,
}

#[function_component(ContextMenu)]
pub fn context_menu(props: &ContextMenuProps) -> Html {
    let lang = use_lang();
    let menu = use_node_ref();
    {
        let menu = menu.clone();
        use_effect_with((), move |_| {
            if let Some(menu) = menu.cast::<HtmlElement>() {
                let _ = menu.focus();
            }
        });
    }
    let close = |cb: &Callback<()>| {
        let cb = cb.clone();
        Callback::from(move |event: MouseEvent| {
            event.prevent_default();
            cb.emit(())
        })
    };
    let act = |cb: &Callback<()>| {
        let (cb, on_close) = (cb.clone(), props.on_close.clone());
        Callback::from(move |_: MouseEvent| {
            on_close.emit(());
            cb.emit(());
        })
    };
    let onkeydown = {
        let on_close = props.on_close.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Escape" {
                event.prevent_default();
                on_close.emit(());
            }
        })
    };
    html! {
        <>
            <div class="menu-backdrop" onmousedown={close(&props.on_close)} oncontextmenu={close(&props.on_close)} />
            <div class="context-menu" role="menu" tabindex="-1" ref={menu} {onkeydown}
                style={format!("left:{}px;top:{}px", props.x, props.y)} data-test-id="context-menu">
                <button type="button" role="menuitem" data-test-id="context-copy" disabled={!props.can_copy}
                    onclick={act(&props.on_copy)}>
                    <span>{ t(lang, Msg::Copy) }</span><kbd>{ t(lang, Msg::CopyKeys) }</kbd>
                </button>
                <button type="button" role="menuitem" data-test-id="context-paste" onclick={act(&props.on_paste)}>
                    <span>{ t(lang, Msg::Paste) }</span><kbd>{ t(lang, Msg::PasteKeys) }</kbd>
                </button>
            </div>
        </>
    }
}
