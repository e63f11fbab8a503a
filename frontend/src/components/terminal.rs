//! An xterm.js terminal filling its container (`data-test-id="terminal"`): created on mount,
//! refitted whenever the container or the window changes size, focused, and handed to the
//! parent through `on_ready` so that a `SessionLink` can feed it.

use std::rc::Rc;

use gloo::events::EventListener;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, ResizeObserver};
use yew::prelude::*;

use crate::xterm::Xterm;

#[derive(Properties, PartialEq)]
pub struct TerminalProps {
    /// Called once, when the terminal exists and has its size.
    pub on_ready: Callback<Rc<Xterm>>,
    /// Shown to screen readers and in tests as `data-node`.
    pub node: AttrValue,
}

#[function_component(TerminalView)]
pub fn terminal_view(props: &TerminalProps) -> Html {
    let host = use_node_ref();
    let failed = use_state(|| false);
    {
        let (host, failed) = (host.clone(), failed.clone());
        let on_ready = props.on_ready.clone();
        use_effect_with((), move |_| {
            let mounted = host
                .cast::<HtmlElement>()
                .and_then(|el| mount(&el, &on_ready));
            if mounted.is_none() {
                failed.set(true);
            }
            move || drop(mounted)
        });
    }
    html! {
        <div class="terminal-host" ref={host} data-test-id="terminal" data-node={props.node.clone()}
            aria-label={format!("Terminal on {}", props.node)}>
            if *failed {
                <p class="terminal-failed" data-test-id="terminal-failed">
                    { "The terminal could not start: its script (xterm.js) did not load. Reload the page." }
                </p>
            }
        </div>
    }
}

/// What a mounted terminal keeps alive; dropping it stops the observers.
struct Mounted {
    _xterm: Rc<Xterm>,
    observer: ResizeObserver,
    _on_observe: Closure<dyn FnMut(js_sys::Array, ResizeObserver)>,
    _on_window_resize: EventListener,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

fn mount(el: &HtmlElement, on_ready: &Callback<Rc<Xterm>>) -> Option<Mounted> {
    let xterm = match Xterm::open(el) {
        Ok(xterm) => Rc::new(xterm),
        Err(err) => {
            gloo::console::error!("Quai: xterm.js could not start", err);
            return None;
        }
    };
    let _ = el.set_attribute("data-renderer", xterm.renderer().as_str());

    let fit = {
        let xterm = Rc::downgrade(&xterm);
        move || {
            if let Some(xterm) = xterm.upgrade() {
                xterm.fit();
            }
        }
    };
    let on_observe = {
        let fit = fit.clone();
        Closure::<dyn FnMut(js_sys::Array, ResizeObserver)>::new(move |_, _| fit())
    };
    let observer = ResizeObserver::new(on_observe.as_ref().unchecked_ref()).ok()?;
    observer.observe(el);
    let on_window_resize = EventListener::new(&gloo::utils::window(), "resize", move |_| fit());

    xterm.fit();
    xterm.focus();
    on_ready.emit(xterm.clone());
    Some(Mounted {
        _xterm: xterm,
        observer,
        _on_observe: on_observe,
        _on_window_resize: on_window_resize,
    })
}
