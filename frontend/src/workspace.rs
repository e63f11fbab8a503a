//! The nodes and terminals of a playground as the page shows them: one tab per node, one
//! sub-tab per terminal of the selected node, which of them is shown, and the id a new
//! terminal gets. What the server says (`SessionInfo`) is merged in: nodes follow the
//! server, terminals the server knows are added, and terminals on a node that is gone are
//! dropped. Pure data: nothing here touches the browser.

use std::collections::BTreeMap;

use quai_protocol::SessionInfo;

/// A terminal of the session: its global id and the node its shell runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub term: u16,
    pub node: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// Node names in the server's order (`node1`, `node2`, …).
    pub nodes: Vec<String>,
    /// Every terminal shown, by id.
    pub terms: Vec<Term>,
    /// The node whose tab is selected.
    pub node: Option<String>,
    /// The terminal shown for each node.
    chosen: BTreeMap<String, u16>,
}

impl Workspace {
    /// Follows the session as the server tells it (on load, on `Hello`, on `SessionUpdated`).
    pub fn sync(&mut self, info: &SessionInfo) {
        self.nodes = info.nodes.iter().map(|n| n.name.clone()).collect();
        for t in &info.terminals {
            if !self.terms.iter().any(|known| known.term == t.term) {
                self.terms.push(Term {
                    term: t.term,
                    node: t.node.clone(),
                });
            }
        }
        self.normalize();
    }

    /// A node was added from this page: it gets a tab and is shown.
    pub fn add_node(&mut self, name: &str) {
        if !self.nodes.iter().any(|n| n == name) {
            self.nodes.push(name.to_string());
            self.nodes.sort_by_key(|n| node_number(n));
        }
        self.node = Some(name.to_string());
        self.normalize();
    }

    /// A node was removed: its tab and its terminals go.
    pub fn remove_node(&mut self, name: &str) {
        self.nodes.retain(|n| n != name);
        self.normalize();
    }

    pub fn select_node(&mut self, name: &str) {
        if self.nodes.iter().any(|n| n == name) {
            self.node = Some(name.to_string());
            self.normalize();
        }
    }

    /// Shows terminal `term` (and its node).
    pub fn select_term(&mut self, term: u16) {
        if let Some(t) = self.terms.iter().find(|t| t.term == term) {
            self.node = Some(t.node.clone());
            self.chosen.insert(t.node.clone(), term);
        }
    }

    /// Adds a terminal on `node` with the next free id, shows it and returns its id.
    pub fn open_term(&mut self, node: &str) -> Option<u16> {
        if !self.nodes.iter().any(|n| n == node) {
            return None;
        }
        let term = next_term_id(self.terms.iter().map(|t| t.term))?;
        self.terms.push(Term {
            term,
            node: node.to_string(),
        });
        self.select_term(term);
        Some(term)
    }

    /// Removes terminal `term`; its node shows its neighbour instead.
    pub fn close_term(&mut self, term: u16) {
        let Some(index) = self.terms.iter().position(|t| t.term == term) else {
            return;
        };
        let node = self.terms.remove(index).node;
        if self.chosen.get(&node) == Some(&term) {
            // The one before it in the node's list, or else the first.
            let neighbour = self
                .terms_of(&node)
                .filter(|t| t.term < term)
                .last()
                .or_else(|| self.terms_of(&node).next())
                .map(|t| t.term);
            match neighbour {
                Some(n) => self.chosen.insert(node, n),
                None => self.chosen.remove(&node),
            };
        }
        self.normalize();
    }

    /// The terminals of `node`, by id.
    pub fn terms_of<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a Term> + 'a {
        self.terms.iter().filter(move |t| t.node == node)
    }

    /// The terminal on screen.
    pub fn visible(&self) -> Option<u16> {
        self.chosen.get(self.node.as_ref()?).copied()
    }

    /// Keeps the invariants: terminals live on existing nodes, a node is selected when
    /// there is one, the selected node shows a terminal (opening one if it has none), and
    /// every node's chosen terminal is one of its own.
    fn normalize(&mut self) {
        let nodes = self.nodes.clone();
        self.terms.retain(|t| nodes.contains(&t.node));
        self.terms.sort_by_key(|t| t.term);
        self.chosen.retain(|node, _| nodes.contains(node));
        let terms = self.terms.clone();
        self.chosen
            .retain(|node, term| terms.iter().any(|t| t.term == *term && &t.node == node));
        if !self.node.as_ref().is_some_and(|n| nodes.contains(n)) {
            self.node = nodes.first().cloned();
        }
        for node in &nodes {
            if !self.chosen.contains_key(node) {
                if let Some(first) = terms.iter().find(|t| &t.node == node) {
                    self.chosen.insert(node.clone(), first.term);
                }
            }
        }
        if let Some(node) = self.node.clone() {
            if self.terms_of(&node).next().is_none() {
                self.open_term(&node);
            }
        }
    }
}

/// The id of a new terminal: one more than the highest in use, or the lowest free one when
/// the highest is `u16::MAX`; `None` when all are taken. Ids start at 1.
pub fn next_term_id(used: impl IntoIterator<Item = u16>) -> Option<u16> {
    let mut used: Vec<u16> = used.into_iter().collect();
    used.sort_unstable();
    match used.last() {
        None => Some(1),
        Some(&max) if max < u16::MAX => Some(max + 1),
        Some(_) => (1..=u16::MAX).find(|id| used.binary_search(id).is_err()),
    }
}

/// 3 for `node3`: nodes sort by number, so `node10` comes after `node9`.
pub fn node_number(name: &str) -> u32 {
    name.trim_start_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quai_protocol::{NodeInfo, Profile, TerminalInfo};

    fn info(nodes: &[&str], terms: &[(u16, &str)]) -> SessionInfo {
        SessionInfo {
            id: "ab".repeat(16),
            created_at: 0,
            expires_at: 100,
            max_expires_at: 200,
            profile: Profile::Docker,
            max_nodes: 5,
            nodes: nodes
                .iter()
                .map(|n| NodeInfo {
                    name: n.to_string(),
                })
                .collect(),
            terminals: terms
                .iter()
                .map(|(term, node)| TerminalInfo {
                    term: *term,
                    node: node.to_string(),
                })
                .collect(),
            lesson: None,
        }
    }

    fn ids(w: &Workspace, node: &str) -> Vec<u16> {
        w.terms_of(node).map(|t| t.term).collect()
    }

    #[test]
    fn next_term_ids_follow_the_highest() {
        assert_eq!(next_term_id([]), Some(1));
        assert_eq!(next_term_id([1, 2]), Some(3));
        assert_eq!(next_term_id([5, 2]), Some(6));
        assert_eq!(next_term_id([1, u16::MAX]), Some(2));
        assert_eq!(next_term_id(1..=u16::MAX), None);
    }

    #[test]
    fn a_fresh_session_shows_terminal_1_on_node1() {
        let mut w = Workspace::default();
        w.sync(&info(&["node1"], &[]));
        assert_eq!(w.node.as_deref(), Some("node1"));
        assert_eq!(ids(&w, "node1"), [1]);
        assert_eq!(w.visible(), Some(1));
    }

    #[test]
    fn a_reload_restores_every_terminal_and_shows_the_first_node() {
        let mut w = Workspace::default();
        w.sync(&info(
            &["node1", "node2"],
            &[(1, "node1"), (4, "node2"), (2, "node1")],
        ));
        assert_eq!(ids(&w, "node1"), [1, 2]);
        assert_eq!(ids(&w, "node2"), [4]);
        assert_eq!(w.visible(), Some(1));
        // node2 keeps its terminal; selecting it opens no new one.
        w.select_node("node2");
        assert_eq!(w.visible(), Some(4));
        assert_eq!(w.terms.len(), 3);
        assert_eq!(w.open_term("node1"), Some(5));
        assert_eq!(w.node.as_deref(), Some("node1"));
        assert_eq!(w.visible(), Some(5));
    }

    #[test]
    fn an_added_node_is_shown_with_a_new_terminal() {
        let mut w = Workspace::default();
        w.sync(&info(&["node1"], &[(1, "node1")]));
        w.add_node("node2");
        assert_eq!(w.nodes, ["node1", "node2"]);
        assert_eq!(w.node.as_deref(), Some("node2"));
        assert_eq!(ids(&w, "node2"), [2]);
        assert_eq!(w.visible(), Some(2));
        // The server's SessionUpdated for the same node changes nothing.
        w.sync(&info(&["node1", "node2"], &[(1, "node1")]));
        assert_eq!(w.terms.len(), 2);
        assert_eq!(w.visible(), Some(2));
    }

    #[test]
    fn removing_a_node_drops_its_terminals_and_shows_another_node() {
        let mut w = Workspace::default();
        w.sync(&info(&["node1", "node2"], &[(1, "node1"), (2, "node2")]));
        w.select_node("node2");
        w.open_term("node2");
        w.remove_node("node2");
        assert_eq!(w.nodes, ["node1"]);
        assert_eq!(w.node.as_deref(), Some("node1"));
        assert_eq!(w.terms.len(), 1);
        assert_eq!(w.visible(), Some(1));
        // A node another tab removed goes the same way.
        let mut w2 = Workspace::default();
        w2.sync(&info(&["node1", "node3"], &[(1, "node1"), (7, "node3")]));
        w2.select_node("node3");
        w2.sync(&info(&["node1"], &[(1, "node1")]));
        assert_eq!(w2.terms.len(), 1);
        assert_eq!(w2.node.as_deref(), Some("node1"));
    }

    #[test]
    fn closing_the_shown_terminal_shows_its_neighbour() {
        let mut w = Workspace::default();
        w.sync(&info(
            &["node1"],
            &[(1, "node1"), (2, "node1"), (3, "node1")],
        ));
        w.select_term(2);
        w.close_term(2);
        assert_eq!(w.visible(), Some(1));
        w.close_term(1);
        assert_eq!(w.visible(), Some(3));
        // Closing the last one leaves the node with a fresh terminal.
        w.close_term(3);
        assert_eq!(ids(&w, "node1"), [1]);
        assert_eq!(w.visible(), Some(1));
    }

    #[test]
    fn selecting_an_unknown_node_or_terminal_changes_nothing() {
        let mut w = Workspace::default();
        w.sync(&info(&["node1"], &[(1, "node1")]));
        let before = w.clone();
        w.select_node("node9");
        w.select_term(42);
        w.close_term(42);
        assert_eq!(w.open_term("node9"), None);
        assert_eq!(w, before);
    }

    #[test]
    fn nodes_sort_by_number() {
        let mut w = Workspace::default();
        w.sync(&info(&["node1", "node9"], &[]));
        w.add_node("node10");
        w.add_node("node2");
        assert_eq!(w.nodes, ["node1", "node2", "node9", "node10"]);
        assert_eq!(node_number("node12"), 12);
        assert_eq!(node_number("x"), u32::MAX);
    }
}
