//! A terminal of someone else's, live (`data-test-id="viewer"`): a viewer's socket at
//! `path` (an instructor peeking at a seat, a seat watching its class's broadcast), shown
//! in an xterm.js at the watched terminal's own size, read-only unless `typing` (help the
//! student let happen). Messages the view does not draw itself (`OnAir`, `HelpChanged`,
//! errors) go to `on_message`; `on_socket` hands out the socket so a parent can send on it
//! (asking to help).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use quai_protocol::ServerMsg;
use yew::prelude::*;

use crate::services::socket::{page_socket_url, SessionSocket, SocketEvent};
use crate::xterm::Xterm;

#[derive(Properties, PartialEq)]
pub struct ViewerProps {
    /// The socket's path, `/api/…`.
    pub path: AttrValue,
    #[prop_or(12)]
    pub font_size: u8,
    /// Keys typed in the view go to the terminal (the student said yes).
    #[prop_or_default]
    pub typing: bool,
    #[prop_or_default]
    pub on_message: Callback<ServerMsg>,
    #[prop_or_default]
    pub on_socket: Callback<Rc<SessionSocket>>,
}

#[function_component(Viewer)]
pub fn viewer(props: &ViewerProps) -> Html {
    let host = use_node_ref();
    // The terminal being viewed (from `Viewing`), for the keys of a helper.
    let term = use_mut_ref(|| Cell::new(0u16));
    let typing = use_mut_ref(|| Cell::new(false));
    typing.borrow().set(props.typing);
    {
        let (host, path, font_size) = (host.clone(), props.path.clone(), props.font_size);
        let (on_message, on_socket) = (props.on_message.clone(), props.on_socket.clone());
        let (term, typing) = (term.clone(), typing.clone());
        use_effect_with(path.clone(), move |_| {
            let xterm = host
                .cast::<web_sys::HtmlElement>()
                .and_then(|el| Xterm::open(&el, font_size).ok())
                .map(|xterm| {
                    // A view has no prompt to hurry: webgl from the start.
                    xterm.use_webgl();
                    Rc::new(xterm)
                });
            let socket: Rc<RefCell<Option<Rc<SessionSocket>>>> = Rc::default();
            if let Some(xterm) = xterm.clone() {
                let view = xterm.clone();
                let term_seen = term.clone();
                let opened = SessionSocket::connect(page_socket_url(&path), move |event| {
                    match event {
                        SocketEvent::Output { data, .. } => view.write(&data),
                        SocketEvent::Message(ServerMsg::Viewing {
                            term, cols, rows, ..
                        }) => {
                            term_seen.borrow().set(term);
                            view.resize(cols, rows);
                        }
                        SocketEvent::Message(ServerMsg::TerminalResized { cols, rows, .. }) => {
                            view.resize(cols, rows)
                        }
                        // The scrollback follows: a clean screen first.
                        SocketEvent::Message(ServerMsg::TerminalOpened { .. }) => view.reset(),
                        SocketEvent::Message(msg) => on_message.emit(msg),
                        SocketEvent::Greeted
                        | SocketEvent::Ready(_)
                        | SocketEvent::Dropped { .. } => {}
                    }
                });
                let opened = Rc::new(opened);
                on_socket.emit(opened.clone());
                let keys = Rc::downgrade(&opened);
                *socket.borrow_mut() = Some(opened);
                let (term, typing) = (term.clone(), typing.clone());
                xterm.on_data(move |data| {
                    if typing.borrow().get() {
                        if let Some(socket) = keys.upgrade() {
                            socket.send_input(term.borrow().get(), data.as_bytes());
                        }
                    }
                });
            }
            move || {
                if let Some(socket) = socket.borrow_mut().take() {
                    socket.close();
                }
                drop(xterm);
            }
        });
    }
    html! {
        <div ref={host} class={classes!("viewer", props.typing.then_some("viewer-typing"))} data-test-id="viewer"
            data-typing={props.typing.to_string()} />
    }
}
