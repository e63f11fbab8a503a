//! What the parts of a playground page share through a Yew context: the session id, the
//! page's state store and the session link, so that a tab or a button can call the API,
//! update the page and reach the terminals without threading them through every prop.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::i18n::{Msg, Sentence};
use crate::services::api::ApiFailure;
use crate::services::link::SessionLink;
use crate::state::Action;
use crate::store::Store;

/// The session link of the page, once the session is loaded.
#[derive(Clone, Default)]
pub struct LinkHandle(Rc<RefCell<Option<SessionLink>>>);

impl LinkHandle {
    pub fn set(&self, link: Option<SessionLink>) {
        // The old link is dropped (its socket closed) outside the borrow.
        let old = self.0.replace(link);
        drop(old);
    }

    /// Runs `f` with the link, if there is one.
    pub fn with(&self, f: impl FnOnce(&SessionLink)) {
        if let Some(link) = self.0.borrow().as_ref() {
            f(link);
        }
    }
}

impl PartialEq for LinkHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Clone, PartialEq)]
pub struct PlaygroundCtx {
    pub id: AttrValue,
    pub store: Store,
    pub link: LinkHandle,
}

impl PlaygroundCtx {
    pub fn dispatch(&self, action: Action) {
        self.store.dispatch(action);
    }

    /// Shows an error banner: what failed, and why.
    pub fn failed(&self, what: Msg, failure: ApiFailure) {
        self.dispatch(Action::Error(Sentence::Failed(what, failure)));
    }
}
