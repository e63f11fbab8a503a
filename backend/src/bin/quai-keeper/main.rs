//! `quai-keeper`: Quai's terminal keeper, run inside a node. It keeps terminal N's login
//! shell on a pseudo-terminal of its own, outliving the server's connection to it, passes the
//! shell's output through untouched and keeps its last bytes, so that the next server that
//! attaches (after a restart) gets the recent screen back first. The server talks to it
//! through `attach` (see `attach`); `has`, `cwd` and `end` answer the server's questions.
//!
//! ```text
//! quai-keeper attach N COLS ROWS   attach to terminal N, starting its shell when none runs
//! quai-keeper has N                exit 0 when terminal N's shell runs, 3 when not
//! quai-keeper cwd N                print the folder terminal N's shell is in
//! quai-keeper end N                end terminal N's shell
//! quai-keeper serve N COLS ROWS    the keeper proper (started by `attach`)
//! ```

mod attach;
mod daemon;
mod paths;
mod ring;

use std::process::ExitCode;

/// The exit status of `has` (and of `attach --existing`) when terminal N runs no shell.
const GONE: u8 = 3;
/// The exit status for a command line that makes no sense.
const USAGE: u8 = 2;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let term = |s: &str| s.parse::<u16>().ok().filter(|t| *t > 0);
    let size = |c: &str, r: &str| Some((c.parse::<u16>().ok()?, r.parse::<u16>().ok()?));
    match words.as_slice() {
        ["--version"] => {
            println!("quai-keeper {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        ["attach", t, c, r] | ["serve", t, c, r] if term(t).is_some() && size(c, r).is_some() => {
            let (term, (cols, rows)) = (term(t).unwrap_or(1), size(c, r).unwrap_or((80, 24)));
            if words[0] == "attach" {
                attach::run(term, cols, rows)
            } else {
                daemon::run(term, cols, rows)
            }
        }
        ["has", t] if term(t).is_some() => {
            if attach::connect(&paths::socket(term(t).unwrap_or(1))).is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(GONE)
            }
        }
        ["cwd", t] if term(t).is_some() => match paths::shell_pid(term(t).unwrap_or(1))
            .and_then(|pid| std::fs::read_link(format!("/proc/{pid}/cwd")).ok())
        {
            Some(cwd) => {
                println!("{}", cwd.display());
                ExitCode::SUCCESS
            }
            None => ExitCode::from(GONE),
        },
        ["end", t] if term(t).is_some() => {
            daemon::end(term(t).unwrap_or(1));
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!(
                "usage: quai-keeper attach|serve N COLS ROWS | has N | cwd N | end N | --version"
            );
            ExitCode::from(USAGE)
        }
    }
}
