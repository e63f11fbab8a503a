//! One xterm.js terminal of the playground. The visible one carries
//! `data-test-id="terminal"`, hidden ones `terminal-hidden` (kept with `display:none`, so
//! their screen and scrollback stay). xterm.js is started the first time the terminal is
//! shown (it measures its box then), handed to the page through `on_ready` so that the
//! `SessionLink` can feed it, refitted whenever its box changes, and given the font size
//! when shown. It draws with the DOM renderer first and switches to webgl `WEBGL_AFTER_MS`
//! later, once the first prompt is on the screen. It also owns copy and paste: Ctrl+Shift+C / Ctrl+Shift+V and a right-click
//! menu.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, ResizeObserver};
use yew::prelude::*;

use crate::components::context_menu::ContextMenu;
use crate::context::PlaygroundCtx;
use crate::i18n::{self, t, use_lang, Msg, Sentence};
use crate::services::clipboard::{self, Shortcut};
use crate::services::timing;
use crate::state::Action;
use crate::xterm::Xterm;

#[derive(Properties, PartialEq)]
pub struct TerminalProps {
    pub term: u16,
    /// Shown to screen readers and in tests as `data-node`.
    pub node: AttrValue,
    pub visible: bool,
    /// In pixels.
    pub font_size: u8,
    /// Called once, when xterm.js has started: `(term, xterm)`.
    pub on_ready: Callback<(u16, Rc<Xterm>)>,
    /// Called each time the terminal is shown, after it has its font and size.
    pub on_shown: Callback<u16>,
}

#[function_component(TerminalView)]
pub fn terminal_view(props: &TerminalProps) -> Html {
    let host = use_node_ref();
    let failed = use_state(|| false);
    let mounted: Rc<RefCell<Option<Mounted>>> = use_mut_ref(|| None);
    let menu = use_state(|| None::<(i32, i32)>);
    let ctx = use_context::<PlaygroundCtx>();
    let lang = use_lang();
    let report = Callback::from(move |sentence: Sentence| {
        if let Some(ctx) = &ctx {
            ctx.dispatch(Action::Error(sentence));
        }
    });

    // Stop xterm.js and the observers when the terminal goes.
    {
        let mounted = mounted.clone();
        use_effect_with((), move |_| move || drop(mounted.borrow_mut().take()));
    }
    // Start xterm.js when first shown; then, each time it is shown, apply the font size.
    {
        let (host, failed, mounted, report) = (
            host.clone(),
            failed.clone(),
            mounted.clone(),
            report.clone(),
        );
        let term = props.term;
        let (on_ready, on_shown) = (props.on_ready.clone(), props.on_shown.clone());
        use_effect_with(
            (props.visible, props.font_size),
            move |&(visible, font_size)| {
                if visible && !*failed {
                    let started = mounted.borrow().is_some();
                    if started {
                        if let Some(m) = mounted.borrow().as_ref() {
                            m.set_font_size(font_size);
                        }
                    } else {
                        match host
                            .cast::<HtmlElement>()
                            .and_then(|el| mount(&el, font_size, report))
                        {
                            Some(m) => {
                                let xterm = m.xterm.clone();
                                mounted.replace(Some(m));
                                on_ready.emit((term, xterm));
                            }
                            None => failed.set(true),
                        }
                    }
                    on_shown.emit(term);
                }
            },
        );
    }

    let xterm = {
        let mounted = mounted.clone();
        move || mounted.borrow().as_ref().map(|m| m.xterm.clone())
    };
    let oncontextmenu = {
        let (menu, host) = (menu.clone(), host.clone());
        Callback::from(move |event: MouseEvent| {
            let Some(el) = host.cast::<HtmlElement>() else {
                return;
            };
            event.prevent_default();
            let rect = el.get_bounding_client_rect();
            // Kept inside the terminal so that the menu never hangs off the window.
            let x = (f64::from(event.client_x()) - rect.left())
                .clamp(0.0, (rect.width() - 190.0).max(0.0));
            let y = (f64::from(event.client_y()) - rect.top())
                .clamp(0.0, (rect.height() - 90.0).max(0.0));
            menu.set(Some((x as i32, y as i32)));
        })
    };
    let context_menu = (*menu).map(|(x, y)| {
        let can_copy = xterm().is_some_and(|x| x.selection().is_some());
        let on_close = {
            let (menu, xterm) = (menu.clone(), xterm.clone());
            Callback::from(move |()| {
                menu.set(None);
                if let Some(x) = xterm() {
                    x.focus();
                }
            })
        };
        let on_copy = {
            let xterm = xterm.clone();
            Callback::from(move |()| {
                if let Some(x) = xterm() {
                    copy(&x);
                }
            })
        };
        let on_paste = {
            let (xterm, report) = (xterm.clone(), report.clone());
            Callback::from(move |()| {
                if let Some(x) = xterm() {
                    paste(Rc::downgrade(&x), report.clone());
                }
            })
        };
        html! { <ContextMenu {x} {y} {can_copy} {on_copy} {on_paste} {on_close} /> }
    });

    let (test_id, style) = if props.visible {
        ("terminal", "")
    } else {
        ("terminal-hidden", "display:none")
    };
    html! {
        <div class="terminal-view" data-test-id={test_id} style={style} data-node={props.node.clone()}
            data-term={props.term.to_string()} data-font-size={props.font_size.to_string()}
            aria-label={i18n::terminal_on(lang, &props.node)} {oncontextmenu}>
            <div class="terminal-host" ref={host} />
            if *failed {
                <p class="terminal-failed" data-test-id="terminal-failed">
                    { t(lang, Msg::TerminalFailed) }
                </p>
            }
            // One slot whatever its content: unkeyed siblings are matched by position, and
            // the host must stay the same element.
            if let Some(context_menu) = context_menu {
                { context_menu }
            }
        </div>
    }
}

/// How long after it starts a terminal switches to the webgl renderer. A warm shell's first
/// prompt is written well before; starting webgl sooner would hold it up.
const WEBGL_AFTER_MS: u32 = 500;

/// What a started terminal keeps alive; dropping it stops the observers and xterm.js.
struct Mounted {
    xterm: Rc<Xterm>,
    font_size: Cell<u8>,
    observer: ResizeObserver,
    _on_observe: Closure<dyn FnMut(js_sys::Array, ResizeObserver)>,
    _on_window_resize: EventListener,
    _webgl_later: Timeout,
}

impl Mounted {
    fn set_font_size(&self, size: u8) {
        if self.font_size.replace(size) != size {
            self.xterm.set_font_size(size);
            self.xterm.fit();
        }
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

fn mount(el: &HtmlElement, font_size: u8, report: Callback<Sentence>) -> Option<Mounted> {
    timing::mark("xterm-open");
    let xterm = match Xterm::open(el, font_size) {
        Ok(xterm) => Rc::new(xterm),
        Err(err) => {
            gloo::console::error!("Quai: xterm.js could not start", err);
            return None;
        }
    };
    let _ = el.set_attribute("data-renderer", xterm.renderer().as_str());
    let webgl_later = {
        let (xterm, el) = (Rc::downgrade(&xterm), el.clone());
        Timeout::new(WEBGL_AFTER_MS, move || {
            if let Some(xterm) = xterm.upgrade() {
                let _ = el.set_attribute("data-renderer", xterm.use_webgl().as_str());
            }
        })
    };

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

    let weak = Rc::downgrade(&xterm);
    xterm.on_key(move |event: web_sys::KeyboardEvent| {
        let Some(shortcut) = clipboard::shortcut(
            event.ctrl_key(),
            event.shift_key(),
            event.alt_key(),
            event.meta_key(),
            &event.key(),
            &event.code(),
        ) else {
            return true;
        };
        if event.type_() == "keydown" {
            match shortcut {
                Shortcut::Copy => {
                    // Also keeps Chromium's "inspect element" shortcut away.
                    event.prevent_default();
                    if let Some(xterm) = weak.upgrade() {
                        copy(&xterm);
                    }
                }
                // Without the asynchronous clipboard, the browser's own paste (into
                // xterm.js's text area) does it: the default is left alone.
                Shortcut::Paste if clipboard::can_read() => {
                    event.prevent_default();
                    paste(weak.clone(), report.clone());
                }
                Shortcut::Paste => {}
            }
        }
        // Never to the shell: Ctrl+Shift+C is not Ctrl+C.
        false
    });

    xterm.fit();
    timing::mark("xterm-opened");
    Some(Mounted {
        xterm,
        font_size: Cell::new(font_size),
        observer,
        _on_observe: on_observe,
        _on_window_resize: on_window_resize,
        _webgl_later: webgl_later,
    })
}

/// Copies the terminal's selection, if any, to the clipboard.
fn copy(xterm: &Xterm) {
    if let Some(text) = xterm.selection() {
        wasm_bindgen_futures::spawn_local(async move {
            if !clipboard::write_text(&text).await {
                gloo::console::warn!("Quai: the browser refused to copy the selection");
            }
        });
    }
    xterm.focus();
}

/// Types the clipboard's text into the terminal, or says why it cannot.
fn paste(xterm: Weak<Xterm>, report: Callback<Sentence>) {
    wasm_bindgen_futures::spawn_local(async move {
        let text = clipboard::read_text().await;
        let Some(xterm) = xterm.upgrade() else { return };
        match text {
            Some(text) => xterm.paste(&text),
            None => report.emit(Sentence::Msg(Msg::PasteRefused)),
        }
        xterm.focus();
    });
}
