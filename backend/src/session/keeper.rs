//! The terminal keeper: what keeps a terminal's shell alive inside its node, so it outlives
//! the server's connection to it. With `tmux` (its status line, prefix key and every binding
//! off), terminal N is the tmux session `tN` of a tmux server of its own (socket `quai-tN`
//! of the node user), so a terminal flooding output never delays another's keystrokes (one
//! tmux server handles its terminals one after the other); a node started by an earlier
//! Quai keeps its terminals in one server (`quai`), and they are found there. The server
//! attaches to it with a TTY exec, and a second attach detaches a stale one (left by a server
//! that was killed). A server taking a kept terminal back reads its history first
//! (`history`) and replays it before the attach's redraw, so the page shows the recent
//! screen and what scrolled off it. The shell's exit status comes back as the
//! attach's own. Nodes whose image has no tmux get a plain login shell.
//!
//! With `quai-keeper` (Quai's own, copied into every node at `QUAI_KEEPER`), terminal N is
//! a keeper process holding the shell on a pseudo-terminal of its own; the server attaches
//! with a plain exec (no TTY: the keeper's pseudo-terminal is the only one on the way), its
//! stdin carrying keys and sizes as `quai_protocol::keeper` frames, its stdout the shell's
//! output untouched. The attach first replays the keeper's last output, so no history is
//! read apart; `has` tells whether the shell still runs, and a node where the keeper cannot
//! run gets a plain login shell.

use crate::config::TerminalKeeper;
use crate::runtime::TermSize;

/// Where `quai-keeper` is in every node.
pub const QUAI_KEEPER: &str = crate::runtime::KEEPER_IN_NODE;

/// `quai-keeper` (the program at `program`) for the nodes.
pub fn program(program: &std::path::Path) -> Result<crate::runtime::KeeperProgram, std::io::Error> {
    let unreadable = |err: std::io::Error| {
        std::io::Error::new(
            err.kind(),
            format!(
                "{}: {err} (build it with cargo xtask build)",
                program.display()
            ),
        )
    };
    let program = program.canonicalize().map_err(unreadable)?;
    let bytes = std::fs::read(&program).map_err(unreadable)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o755);
    header.set_uid(0);
    header.set_gid(0);
    header.set_entry_type(tar::EntryType::Regular);
    let mut archive = tar::Builder::new(Vec::new());
    archive.append_data(&mut header, QUAI_KEEPER.trim_start_matches('/'), &bytes[..])?;
    Ok(crate::runtime::KeeperProgram {
        host_path: program,
        archive: archive.into_inner()?.into(),
    })
}

/// How a terminal's process is started in its node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub command: Vec<String>,
    /// A TTY exec, resized by the engine; `false` for `quai-keeper`, whose keys and sizes
    /// travel in band (`quai_protocol::keeper`).
    pub tty: bool,
}

impl Launch {
    /// Whether keys and sizes go to the process as keeper frames.
    pub fn in_band(&self) -> bool {
        !self.tty
    }
}

/// How terminal `term` starts with `keeper` (for `quai-keeper`, one that can run in the
/// node), at `size`.
pub fn launch(keeper: TerminalKeeper, term: u16, size: TermSize) -> Launch {
    match keeper {
        TerminalKeeper::Quai => Launch {
            command: vec![
                QUAI_KEEPER.into(),
                "attach".into(),
                term.to_string(),
                size.cols.to_string(),
                size.rows.to_string(),
            ],
            tty: false,
        },
        TerminalKeeper::Tmux => Launch {
            command: attach(keeper, term),
            tty: true,
        },
        TerminalKeeper::None => plain_shell(),
    }
}

/// A plain login shell with a TTY, which ends with the server's connection to it.
pub fn plain_shell() -> Launch {
    Launch {
        command: vec!["/bin/bash".into(), "-l".into()],
        tty: true,
    }
}

/// tmux as a terminal keeper: invisible, every key to the shell, no delay on Escape, its
/// drawing in the normal screen so the browser's scrollback keeps what scrolls off.
const TMUX_CONF: &str = "\
set -g status off
set -g prefix None
set -g prefix2 None
unbind-key -a
set -g escape-time 0
set -g history-limit 5000
set -g mouse off
set -g set-titles off
set -g allow-rename off
set -g set-clipboard off
set -g bell-action none
set -g visual-bell off
set -g focus-events off
set -g remain-on-exit off
set -g window-size latest
set -g default-terminal tmux-256color
set -ga terminal-overrides ',*:smcup@:rmcup@'
";

/// Sets `L` to the tmux socket of terminal `$1`: its own, or the one tmux server of a node
/// an earlier Quai started when that server runs it.
macro_rules! socket_of_terminal {
    () => {
        r#"L="quai-t$1"
[ -S "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/quai" ] && tmux -L quai has-session -t "=t$1" 2>/dev/null && L=quai
"#
    };
}

/// Attaches to (or starts) terminal `$1`; see the module's comment.
const TMUX_ATTACH: &str = concat!(
    socket_of_terminal!(),
    r#"s="t$1"
if ! command -v tmux >/dev/null 2>&1; then exec bash -l; fi
d="${TMPDIR:-/tmp}/quai-$(id -u)"
mkdir -p "$d" && chmod 700 "$d" || exec bash -l
printf '%s' "$2" > "$d/tmux.conf"
# tmux refuses a socket folder others may enter; one brought in by a file import is fixed.
sockets="${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)"
[ -d "$sockets" ] && chmod 700 "$sockets" 2>/dev/null
t() { tmux -L "$L" -f "$d/tmux.conf" "$@"; }
if ! t has-session -t "=$s" 2>/dev/null; then rm -f "$d/$s.exit"; fi
# A tmux that cannot start at all leaves a plain shell.
t new-session -A -D -s "$s" "bash -l; echo \$? > '$d/$s.exit'" || { [ -f "$d/$s.exit" ] || exec bash -l; }
if [ -f "$d/$s.exit" ]; then c=$(cat "$d/$s.exit"); rm -f "$d/$s.exit"; exit "${c:-0}"; fi
"#
);

/// Prints what terminal `$1`'s shell printed before its screen (the keeper's history, with
/// colours), then as many empty lines as its screen is high, so that a redraw of the screen
/// that follows leaves the history above it. Exits with `GONE` when the keeper runs no such
/// shell (it ended while the server was away).
const TMUX_HISTORY: &str = concat!(
    socket_of_terminal!(),
    r#"t="=t$1:"
command -v tmux >/dev/null 2>&1 || exit 0
tmux -L "$L" has-session -t "=t$1" 2>/dev/null || exit 3
h=$(tmux -L "$L" display-message -p -t "$t" '#{pane_height}')
tmux -L "$L" capture-pane -p -e -S -1000 -E -1 -t "$t"
i=0
while [ "$i" -lt "${h:-24}" ]; do echo; i=$((i+1)); done
"#
);

/// Ends terminal `$1`'s shell (see `end`).
const TMUX_END: &str = concat!(
    socket_of_terminal!(),
    r#"tmux -L "$L" kill-session -t "=t$1" 2>/dev/null; true
"#
);

/// Prints terminal `$1`'s current folder (see `cwd`).
const TMUX_CWD: &str = concat!(
    socket_of_terminal!(),
    r#"exec tmux -L "$L" display-message -p -t "=t$1:" '#{pane_current_path}'
"#
);

/// The exit status of `history` when the terminal's shell is gone.
pub const GONE: i64 = 3;

/// The command printing terminal `term`'s history (see `TMUX_HISTORY`).
pub fn history(term: u16) -> Vec<String> {
    script(TMUX_HISTORY, "quai-history", term)
}

/// The command asking `quai-keeper` whether terminal `term`'s shell runs: exit status 0
/// when it does, `GONE` when not; any other (the keeper cannot run in this node) means a
/// plain shell instead.
pub fn quai_has(term: u16) -> Vec<String> {
    vec![QUAI_KEEPER.into(), "has".into(), term.to_string()]
}

/// The command of terminal `term`'s TTY exec.
fn attach(keeper: TerminalKeeper, term: u16) -> Vec<String> {
    match keeper {
        TerminalKeeper::Tmux => vec![
            "sh".into(),
            "-c".into(),
            TMUX_ATTACH.into(),
            "quai-terminal".into(),
            term.to_string(),
            TMUX_CONF.into(),
        ],
        TerminalKeeper::Quai | TerminalKeeper::None => plain_shell().command,
    }
}

/// The command that ends terminal `term`'s shell for good (its attach ends with it); `None`
/// when the keeper keeps no shell.
pub fn end(keeper: TerminalKeeper, term: u16) -> Option<Vec<String>> {
    match keeper {
        TerminalKeeper::Tmux => Some(script(TMUX_END, "quai-end", term)),
        TerminalKeeper::Quai => Some(vec![QUAI_KEEPER.into(), "end".into(), term.to_string()]),
        TerminalKeeper::None => None,
    }
}

/// The command printing the folder terminal `term`'s shell is in; `None` when the keeper
/// keeps no shell.
pub fn cwd(keeper: TerminalKeeper, term: u16) -> Option<Vec<String>> {
    match keeper {
        TerminalKeeper::Tmux => Some(script(TMUX_CWD, "quai-cwd", term)),
        TerminalKeeper::Quai => Some(vec![QUAI_KEEPER.into(), "cwd".into(), term.to_string()]),
        TerminalKeeper::None => None,
    }
}

/// `sh -c SCRIPT NAME TERM`.
fn script(script: &str, name: &str, term: u16) -> Vec<String> {
    vec![
        "sh".into(),
        "-c".into(),
        script.into(),
        name.into(),
        term.to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_terminal_is_a_tmux_session_of_its_own_and_no_key_is_taken() {
        let one = attach(TerminalKeeper::Tmux, 1);
        let two = attach(TerminalKeeper::Tmux, 2);
        assert_eq!(one[4], "1");
        assert_eq!(two[4], "2");
        assert_eq!(one[2], two[2]);
        assert!(TMUX_CONF.contains("set -g prefix None"));
        assert!(TMUX_CONF.contains("unbind-key -a"));
        assert!(TMUX_CONF.contains("status off"));
        assert_eq!(
            attach(TerminalKeeper::None, 1),
            vec!["/bin/bash".to_string(), "-l".to_string()]
        );
        assert_eq!(end(TerminalKeeper::Tmux, 3).unwrap()[4], "3");
        assert_eq!(cwd(TerminalKeeper::Tmux, 3).unwrap()[4], "3");
        assert_eq!(history(3)[4], "3");
        for script in [TMUX_ATTACH, TMUX_HISTORY, TMUX_END, TMUX_CWD] {
            assert!(script.starts_with("L=\"quai-t$1\""), "{script}");
        }
    }

    #[test]
    fn quai_keeper_attaches_without_a_tty_at_the_page_size() {
        let size = TermSize {
            cols: 132,
            rows: 43,
        };
        let quai = launch(TerminalKeeper::Quai, 2, size);
        assert!(quai.in_band());
        assert_eq!(quai.command, [QUAI_KEEPER, "attach", "2", "132", "43"]);
        assert!(launch(TerminalKeeper::Tmux, 2, size).tty);
        assert_eq!(launch(TerminalKeeper::None, 2, size), plain_shell());
        assert_eq!(quai_has(2), [QUAI_KEEPER, "has", "2"]);
        assert_eq!(end(TerminalKeeper::None, 2), None);
        assert_eq!(
            cwd(TerminalKeeper::Quai, 2).unwrap(),
            [QUAI_KEEPER, "cwd", "2"]
        );
    }
}
