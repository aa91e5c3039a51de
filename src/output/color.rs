//! The one decision whether anything pgpubsub prints may be colored, and whether stdout and
//! stderr are terminals (a human layout, sanitized text, status lines).

use std::io::IsTerminal;

/// Decide once whether anything pgpubsub prints may be colored: `forced` is `--color
/// always|never`; otherwise color when stdout is a terminal, unless NO_COLOR is set or TERM is
/// dumb.
pub fn init_color(forced: Option<bool>) {
    colored::control::set_override(forced.unwrap_or_else(auto_color));
}

/// `--color auto`: a terminal, no NO_COLOR, TERM not dumb.
fn auto_color() -> bool {
    std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

/// Whether stdout is a terminal.
pub fn stdout_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Whether stderr is a terminal (a person watching it).
pub fn stderr_terminal() -> bool {
    std::io::stderr().is_terminal()
}
