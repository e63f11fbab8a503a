//! People who watch a session's terminals from outside it: an instructor peeking at a
//! student's terminal, a class watching the terminal its instructor broadcasts. Each view
//! holds a `ViewerGuard` while its socket lives; the session's own pages are told who
//! watches (`SessionEvent::Watchers`). Help — a viewer typing in the terminal it watches —
//! goes through the student: asked, then granted or refused (or granted up front when the
//! class allows it), ended by either side or when the helper leaves; every change is a
//! `SessionEvent::Help` that both the student's pages and the helper's view see. One help
//! at a time per session.

use std::sync::{Arc, Mutex};

use quai_protocol::{HelpState, Watching};

use super::{Session, SessionEvent};

/// What a viewer watches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    /// An instructor looking at a student's terminal (and maybe helping).
    Peek,
    /// A student watching their instructor's broadcast terminal.
    Broadcast,
}

/// A change of help, as both sides are told of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpChange {
    /// The viewer it concerns.
    pub viewer: u64,
    pub term: u16,
    pub name: String,
    pub state: HelpState,
}

#[derive(Debug)]
struct Entry {
    id: u64,
    name: String,
    term: u16,
    kind: ViewKind,
}

#[derive(Debug, Clone)]
struct Help {
    viewer: u64,
    granted: bool,
}

#[derive(Debug, Default)]
pub struct Viewers {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next: u64,
    list: Vec<Entry>,
    help: Option<Help>,
}

impl Viewers {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Who peeks at which terminal (and who types in it), and how many watch a broadcast.
    pub fn watching(&self) -> (Vec<Watching>, u32) {
        let inner = self.lock();
        let typing = inner.help.as_ref().filter(|h| h.granted).map(|h| h.viewer);
        let watchers = inner
            .list
            .iter()
            .filter(|e| e.kind == ViewKind::Peek)
            .map(|e| Watching {
                name: e.name.clone(),
                term: e.term,
                typing: typing == Some(e.id),
            })
            .collect();
        let audience = inner
            .list
            .iter()
            .filter(|e| e.kind == ViewKind::Broadcast)
            .count() as u32;
        (watchers, audience)
    }

    /// The help going on or asked for, as its state now.
    pub fn help(&self) -> Option<HelpChange> {
        let inner = self.lock();
        let help = inner.help.as_ref()?;
        let entry = inner.list.iter().find(|e| e.id == help.viewer)?;
        Some(HelpChange {
            viewer: entry.id,
            term: entry.term,
            name: entry.name.clone(),
            state: if help.granted {
                HelpState::Granted
            } else {
                HelpState::Asked
            },
        })
    }

    fn change(inner: &Inner, viewer: u64, state: HelpState) -> Option<HelpChange> {
        let entry = inner.list.iter().find(|e| e.id == viewer)?;
        Some(HelpChange {
            viewer,
            term: entry.term,
            name: entry.name.clone(),
            state,
        })
    }
}

/// Why help could not be asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HelpError {
    #[error("only an instructor looking at a student's terminal can help")]
    NotAllowed,
    #[error("{0} is helping this student already")]
    Busy(String),
}

/// A viewer's place among a session's viewers, for as long as its socket lives.
pub struct ViewerGuard {
    session: Arc<Session>,
    pub id: u64,
    pub term: u16,
    kind: ViewKind,
}

impl Session {
    /// Counts `name` among the viewers of terminal `term`, until the guard is dropped.
    pub fn watch(self: &Arc<Self>, name: &str, term: u16, kind: ViewKind) -> ViewerGuard {
        let id = {
            let mut inner = self.viewers.lock();
            inner.next += 1;
            let id = inner.next;
            inner.list.push(Entry {
                id,
                name: name.to_string(),
                term,
                kind,
            });
            id
        };
        self.notify(SessionEvent::Watchers);
        ViewerGuard {
            session: self.clone(),
            id,
            term,
            kind,
        }
    }

    /// The student's answer to the help asked for.
    pub fn answer_help(&self, accept: bool) {
        let change = {
            let mut inner = self.viewers.lock();
            let Some(help) = inner.help.clone().filter(|h| !h.granted) else {
                return;
            };
            if accept {
                inner.help = Some(Help {
                    viewer: help.viewer,
                    granted: true,
                });
                Viewers::change(&inner, help.viewer, HelpState::Granted)
            } else {
                inner.help = None;
                Viewers::change(&inner, help.viewer, HelpState::Refused)
            }
        };
        self.help_changed(change);
    }

    /// Ends the help going on (or asked for), from the student's side.
    pub fn end_help(&self) {
        let change = {
            let mut inner = self.viewers.lock();
            let Some(help) = inner.help.take() else {
                return;
            };
            Viewers::change(&inner, help.viewer, HelpState::Ended)
        };
        self.help_changed(change);
    }

    fn help_changed(&self, change: Option<HelpChange>) {
        if let Some(change) = change {
            self.notify(SessionEvent::Help(change));
            self.notify(SessionEvent::Watchers);
        }
    }
}

impl ViewerGuard {
    /// Asks the student to let this viewer type; granted at once when `up_front` (the
    /// class allows it without asking).
    pub fn ask_help(&self, up_front: bool) -> Result<(), HelpError> {
        if self.kind != ViewKind::Peek {
            return Err(HelpError::NotAllowed);
        }
        let change = {
            let mut inner = self.session.viewers.lock();
            if let Some(help) = &inner.help {
                if help.viewer == self.id {
                    return Ok(());
                }
                let name = inner
                    .list
                    .iter()
                    .find(|e| e.id == help.viewer)
                    .map(|e| e.name.clone())
                    .unwrap_or_default();
                return Err(HelpError::Busy(name));
            }
            inner.help = Some(Help {
                viewer: self.id,
                granted: up_front,
            });
            let state = if up_front {
                HelpState::Granted
            } else {
                HelpState::Asked
            };
            Viewers::change(&inner, self.id, state)
        };
        self.session.help_changed(change);
        Ok(())
    }

    /// Whether this viewer may type in its terminal now.
    pub fn may_type(&self) -> bool {
        let inner = self.session.viewers.lock();
        inner
            .help
            .as_ref()
            .is_some_and(|h| h.viewer == self.id && h.granted)
    }

    /// Ends this viewer's help, if it has any.
    pub fn end_help(&self) {
        let change = {
            let mut inner = self.session.viewers.lock();
            match &inner.help {
                Some(help) if help.viewer == self.id => {
                    inner.help = None;
                    Viewers::change(&inner, self.id, HelpState::Ended)
                }
                _ => None,
            }
        };
        self.session.help_changed(change);
    }
}

impl Drop for ViewerGuard {
    fn drop(&mut self) {
        self.end_help();
        self.session.viewers.lock().list.retain(|e| e.id != self.id);
        self.session.notify(SessionEvent::Watchers);
    }
}
