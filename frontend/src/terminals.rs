//! The terminals of a playground as its socket sees them, as pure data: for each terminal of
//! the workspace, its node, whether its view has started (or it is the one shown first, which
//! is opened before its view, at the page's last size), its phase on the current socket
//! (closed, opening, open, exited, or failed with the server's sentence) and the input the
//! page typed into it before it was open. The socket driver (`services::link`) moves them
//! along and performs what they ask for: a terminal `Opening` not yet asked for is opened,
//! and input pending on an `Open` one is sent, in order.

use std::collections::{BTreeMap, BTreeSet};

use crate::i18n::Sentence;
use crate::workspace::Workspace;

/// Where a terminal stands on the current socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Not attached: its view has not started yet, there is no socket, or its node is being
    /// removed.
    Closed,
    /// To be attached on the current socket; `asked` once `OpenTerminal` went out.
    Opening { asked: bool },
    /// Attached: its output shows and the keyboard reaches its shell.
    Open,
    /// Its shell ended; the next key opens a new one.
    Exited,
    /// The server could not open or use it, for this reason; the next key or Retry opens
    /// it again.
    Failed(Sentence),
}

/// One terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermState {
    pub node: String,
    /// Its xterm.js view has started: it can be measured, so opened.
    pub viewed: bool,
    /// It was on screen when it appeared: it is opened without waiting for its view (at the
    /// size the page last had), so that its shell starts while xterm.js is being drawn.
    pub eager: bool,
    pub phase: Phase,
    /// Typed by the page (a click-to-run block) before it was open: sent, in order, once it
    /// is.
    pub pending: Vec<Vec<u8>>,
}

impl TermState {
    /// Whether it may be opened: its view has started, or it is shown first.
    fn openable(&self) -> bool {
        self.viewed || self.eager
    }

    /// Whether it is attached on the current socket or about to be.
    fn live(&self) -> bool {
        matches!(self.phase, Phase::Opening { .. } | Phase::Open)
    }
}

/// Every terminal of the page, by id, and the nodes being removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Terminals {
    terms: BTreeMap<u16, TermState>,
    /// Nodes being removed: their terminals are left closed until the node is gone or kept.
    held: BTreeSet<String>,
}

impl Terminals {
    pub fn get(&self, term: u16) -> Option<&TermState> {
        self.terms.get(&term)
    }

    pub fn phase(&self, term: u16) -> Option<&Phase> {
        self.terms.get(&term).map(|t| &t.phase)
    }

    pub fn is_open(&self, term: u16) -> bool {
        self.phase(term) == Some(&Phase::Open)
    }

    /// Whether `OpenTerminal` went out for `term` on this socket: resizes go to it.
    pub fn is_attached(&self, term: u16) -> bool {
        matches!(
            self.phase(term),
            Some(Phase::Opening { asked: true } | Phase::Open)
        )
    }

    /// The terminals to open now, with their node: `OpenTerminal` is to be sent for them.
    pub fn to_open(&self) -> impl Iterator<Item = (u16, &str)> {
        self.terms
            .iter()
            .filter(|(_, t)| t.openable() && t.phase == Phase::Opening { asked: false })
            .map(|(term, t)| (*term, t.node.as_str()))
    }

    /// The input to send now, in the order it was typed: that of open terminals.
    pub fn to_send(&self) -> impl Iterator<Item = (u16, &[Vec<u8>])> {
        self.terms
            .iter()
            .filter(|(_, t)| t.phase == Phase::Open && !t.pending.is_empty())
            .map(|(term, t)| (*term, t.pending.as_slice()))
    }

    /// Follows the workspace: its new terminals start closed, those it dropped are forgotten;
    /// a new one on screen is opened on the next greeting without waiting for its view.
    pub fn follow(&mut self, workspace: &Workspace) {
        self.terms
            .retain(|term, _| workspace.terms.iter().any(|t| t.term == *term));
        let visible = workspace.visible();
        for t in &workspace.terms {
            self.terms.entry(t.term).or_insert_with(|| TermState {
                node: t.node.clone(),
                viewed: false,
                eager: visible == Some(t.term),
                phase: Phase::Closed,
                pending: Vec::new(),
            });
        }
        self.held.retain(|node| workspace.nodes.contains(node));
    }

    /// The view of `term` has started; with a socket, the terminal is opened.
    pub fn viewed(&mut self, term: u16, connected: bool) {
        if let Some(t) = self.terms.get_mut(&term) {
            t.viewed = true;
        }
        if connected {
            self.open_if_closed(term);
        }
    }

    /// A new socket said `Hello`, or answered it: every terminal seen and not ended is opened
    /// again on it (the server replays its screen). Those asked for on it already stay as
    /// they are (the socket dropping closed every other one).
    pub fn connected(&mut self) {
        for t in self.terms.values_mut() {
            if t.openable() && !self.held.contains(&t.node) && t.phase == Phase::Closed {
                t.phase = Phase::Opening { asked: false };
            }
        }
    }

    /// The socket dropped: no terminal is attached any more.
    pub fn disconnected(&mut self) {
        for t in self.terms.values_mut() {
            if t.live() {
                t.phase = Phase::Closed;
            }
        }
    }

    /// `OpenTerminal` went out for `term`.
    pub fn asked(&mut self, term: u16) {
        if let Some(t) = self.terms.get_mut(&term) {
            if t.phase == (Phase::Opening { asked: false }) {
                t.phase = Phase::Opening { asked: true };
            }
        }
    }

    /// The server attached `term` (`TerminalOpened`, also sent again when it starts the
    /// output over).
    pub fn opened(&mut self, term: u16) {
        if let Some(t) = self.terms.get_mut(&term) {
            t.phase = Phase::Open;
        }
    }

    /// The shell of `term` ended.
    pub fn exited(&mut self, term: u16) {
        if let Some(t) = self.terms.get_mut(&term) {
            t.phase = Phase::Exited;
        }
    }

    /// The server could not open or use `term`; `false` when the page does not know it. A
    /// terminal that failed already keeps its first reason (what was sent to it meanwhile
    /// fails only because of it).
    pub fn failed(&mut self, term: u16, why: Sentence) -> bool {
        match self.terms.get_mut(&term) {
            Some(t) => {
                if !matches!(t.phase, Phase::Failed(_)) {
                    t.phase = Phase::Failed(why);
                }
                true
            }
            None => false,
        }
    }

    /// A key or Retry: an exited or failed terminal is opened again (on the next socket when
    /// there is none).
    pub fn reopen(&mut self, term: u16, connected: bool) {
        let Some(t) = self.terms.get_mut(&term) else {
            return;
        };
        if matches!(t.phase, Phase::Exited | Phase::Failed(_)) {
            t.phase = Phase::Closed;
            if connected {
                self.open_if_closed(term);
            }
        }
    }

    /// The page typed `bytes` into `term`: kept until it is open; an exited or failed
    /// terminal is opened again for them.
    pub fn type_in(&mut self, term: u16, bytes: Vec<u8>, connected: bool) {
        let Some(t) = self.terms.get_mut(&term) else {
            return;
        };
        t.pending.push(bytes);
        self.reopen(term, connected);
    }

    /// The first `count` inputs pending for `term` went out.
    pub fn sent(&mut self, term: u16, count: usize) {
        if let Some(t) = self.terms.get_mut(&term) {
            t.pending.drain(..count.min(t.pending.len()));
        }
    }

    /// `node` is being removed: its terminals are left alone (no input, no output counted).
    pub fn hold(&mut self, node: &str) {
        self.held.insert(node.to_string());
        for t in self.terms.values_mut() {
            if t.node == node && t.live() {
                t.phase = Phase::Closed;
            }
        }
    }

    /// `node` was not removed after all: its terminals are opened again.
    pub fn release(&mut self, node: &str, connected: bool) {
        self.held.remove(node);
        if !connected {
            return;
        }
        let terms: Vec<u16> = self
            .terms
            .iter()
            .filter(|(_, t)| t.node == node)
            .map(|(term, _)| *term)
            .collect();
        for term in terms {
            self.open_if_closed(term);
        }
    }

    /// The session is over: nothing is attached, waits to be opened or to be sent.
    pub fn clear(&mut self) {
        self.held.clear();
        for t in self.terms.values_mut() {
            t.phase = Phase::Closed;
            t.pending.clear();
        }
    }

    fn open_if_closed(&mut self, term: u16) {
        let Some(t) = self.terms.get_mut(&term) else {
            return;
        };
        if t.openable() && t.phase == Phase::Closed && !self.held.contains(&t.node) {
            t.phase = Phase::Opening { asked: false };
        }
    }
}
