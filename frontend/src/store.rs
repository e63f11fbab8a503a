//! Where the playground page keeps its state (`state::PlaygroundState`): an action is reduced
//! at once, so the socket driver reads the state it has just made and performs what it asks
//! for before the next event, and the page renders again after every change.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::state::{Action, PlaygroundState};

/// The page's state and the way to change it; clones share both.
#[derive(Clone)]
pub struct Store {
    state: Rc<RefCell<Rc<PlaygroundState>>>,
    render: UseForceUpdateHandle,
}

impl Store {
    /// Reduces `action` now; the page renders again when the state changed.
    pub fn dispatch(&self, action: Action) {
        let before = self.get();
        let after = Reducible::reduce(before.clone(), action);
        if Rc::ptr_eq(&before, &after) {
            return;
        }
        *self.state.borrow_mut() = after;
        self.render.force_update();
    }

    /// The state as it stands.
    pub fn get(&self) -> Rc<PlaygroundState> {
        self.state.borrow().clone()
    }
}

impl PartialEq for Store {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.state, &other.state)
    }
}

/// The state of the page this hook runs in, from `PlaygroundState::default()`.
#[hook]
pub fn use_store() -> Store {
    let state = use_mut_ref(|| Rc::new(PlaygroundState::default()));
    let render = use_force_update();
    Store { state, render }
}
