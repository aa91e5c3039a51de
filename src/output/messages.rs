//! Every message pgpubsub writes on stderr, after ripgrep's `messages.rs`: one place that
//! formats them (`pgpubsub: ...`, untrusted text sanitized, line by line so that a message
//! listing several things keeps its lines) and one switch, `--quiet`, that silences all but
//! errors. Rooms hand over the raw text: none of them sanitizes a message itself.

use super::sanitize;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// `--quiet`: no notes, status lines or warnings; errors still.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Set once at start from `--quiet`.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// The error that ends the command (always printed).
pub fn error(msg: impl std::fmt::Display) {
    say("", msg);
}

/// A warning: something the user should know that does not stop the work.
pub fn warn(msg: impl std::fmt::Display) {
    if !quiet() {
        say("warning: ", msg);
    }
}

/// A progress or status line (`--verbose`, `sandbox`, a stop in progress).
pub fn note(msg: impl std::fmt::Display) {
    if !quiet() {
        say("", msg);
    }
}

/// A dim status line for a person watching stderr: only when stderr is a terminal, so that
/// logs and pipes never get it.
pub fn status(msg: impl std::fmt::Display) {
    use colored::Colorize;
    if !quiet() && super::color::stderr_terminal() {
        let line = format!("pgpubsub: {}", sanitize(&msg.to_string()));
        let _ = writeln!(std::io::stderr().lock(), "{}", line.dimmed());
    }
}

/// One `pgpubsub: ...` message. A closed stderr is ignored: there is nowhere left to say so.
fn say(prefix: &str, msg: impl std::fmt::Display) {
    let text = msg.to_string();
    let lines: Vec<_> = text.split('\n').map(sanitize).collect();
    let _ = writeln!(
        std::io::stderr().lock(),
        "pgpubsub: {prefix}{}",
        lines.join("\n")
    );
}
