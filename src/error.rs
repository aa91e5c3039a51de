//! Errors and exit codes: the one place that decides how a failure looks to a human and to a
//! script. Every other module returns errors; [`report`] prints the one that ends the command
//! (through `output::messages`, which also writes the warnings and notes re-exported here). The [`Exit`] enum is also the one source of the exit-status tables in `--help`, the
//! man pages and README, so a code's meaning is written once.

use crate::output::messages;
pub use crate::output::messages::{note, status, warn};
use crate::signals::Signal;

/// The process exit status. Scripts branch on these, so each value must never change meaning.
/// Its meaning is written once, in [`Exit::meaning`], and every table is generated from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Everything asked for was done.
    Success = 0,
    /// A runtime failure: connection, server error, I/O; bench: notifications lost; request:
    /// the responder answered with an error.
    Failure = 1,
    /// Bad usage or bad input. Found before anything was sent, except for a notify stream,
    /// which skips invalid lines, sends the rest and then reports them with this status.
    Usage = 2,
    /// `listen`: --timeout/--idle-timeout reached before --count was satisfied. `request`: no
    /// reply (or fewer than --replies) within --timeout.
    Timeout = 3,
    /// `status`: NOTIFY is degraded on the server (queue above --warn, sessions waiting for
    /// the NOTIFY commit lock, a suspected stalled consumer, or a standby), so that
    /// `pgpubsub status || alert` works.
    Degraded = 4,
    /// Stopped by SIGINT (Ctrl-C), after cleaning up.
    Interrupted = 130,
    /// Stopped by SIGTERM, after cleaning up.
    Terminated = 143,
    /// Stopped by SIGHUP (the terminal was closed), after cleaning up.
    HungUp = 129,
}

impl Exit {
    /// Every status, in table order. A new variant goes here too (a unit test checks that
    /// each one has a meaning on the root page).
    pub const ALL: [Exit; 8] = [
        Exit::Success,
        Exit::Failure,
        Exit::Usage,
        Exit::Timeout,
        Exit::Degraded,
        Exit::HungUp,
        Exit::Interrupted,
        Exit::Terminated,
    ];

    /// The number a parent process sees (for the signals: what a shell shows as `$?`).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// What this status means on the page of `command` (`None`: the root page, which lists
    /// every status with the subcommands it concerns); `None` if `command` never ends with it.
    pub fn meaning(self, command: Option<&str>) -> Option<&'static str> {
        Some(match (self, command) {
            (Exit::Success, Some("listen")) => {
                "success: --count reached, --timeout or --idle-timeout reached without --count, \
                 or stdout closed"
            }
            (Exit::Success, Some("status")) => {
                "healthy (with --watch: never; it runs until stopped, reopening a lost \
                 connection and saying \"unknown\" while the server cannot be read)"
            }
            (Exit::Success, Some("request")) => "every reply arrived and none was an error",
            (Exit::Success, Some("serve")) => return None,
            (Exit::Success, _) => "success (also when stdout is closed early, as by `| head -1`)",
            (Exit::Failure, None) => {
                "runtime failure: connection, server error, I/O; notify says how many were \
                 committed; bench also when any notification was lost, duplicated or out of \
                 order; request: the responder answered with an error, or different replies \
                 came for one request"
            }
            (Exit::Failure, Some("listen")) => {
                "runtime failure (connection, server error, I/O; connection lost with \
                 --no-reconnect)"
            }
            (Exit::Failure, Some("notify")) => {
                "runtime failure (connection, server error, I/O); says how many were committed"
            }
            (Exit::Failure, Some("bench")) => {
                "runtime failure (connection, server error, I/O), or notifications lost, \
                 duplicated or out of order"
            }
            (Exit::Failure, Some("request")) => {
                "the responder answered with an error; without --key-file, different replies \
                 to one request; or a runtime failure (connection, I/O)"
            }
            (Exit::Failure, Some("trigger")) => {
                "runtime failure (connection, server error, I/O; not the table's owner; a standby)"
            }
            (Exit::Failure, Some("serve")) => {
                "runtime failure: at start the database session could not be opened or an \
                 address bound (once serving, a lost session is opened again); with --durable, \
                 the journal could not be read (every stream ended first)"
            }
            (Exit::Failure, _) => "runtime failure (connection, server error, I/O)",
            (Exit::Usage, None) => {
                "bad usage or bad input found before anything was sent; for notify reading \
                 stdin, also invalid input lines (reported by number; the valid ones were sent \
                 unless --strict)"
            }
            (Exit::Usage, Some("notify")) => {
                "bad usage or bad input: a one-shot sends nothing; a stream skipped the invalid \
                 lines (reported by number) and sent the rest, or --strict stopped at the first"
            }
            (Exit::Usage, Some("request")) => {
                "bad usage or bad input (too long for one notification, invalid input line)"
            }
            (Exit::Usage, Some("status")) => "bad usage",
            (Exit::Usage, Some("serve")) => {
                "bad usage: a bad flag or channel pattern, an unreadable or malformed token file, \
                 key or certificate, or an address off loopback without authentication"
            }
            (Exit::Usage, Some("trigger")) => {
                "bad usage or bad input; nothing was changed: no such table or column, no primary \
                 key without --allow-no-key, a channel over 63 bytes, an object of that name not \
                 pgpubsub's"
            }
            (Exit::Usage, _) => "bad usage or bad input found before anything was sent",
            (Exit::Timeout, None) => {
                "listen: --timeout/--idle-timeout reached before --count was satisfied; \
                 request: no reply (or fewer than --replies) within --timeout"
            }
            (Exit::Timeout, Some("request")) => {
                "no reply (or fewer than --replies) within --timeout"
            }
            (Exit::Timeout, Some("listen")) => {
                "--timeout/--idle-timeout reached before --count was satisfied"
            }
            (Exit::Timeout, _) => return None,
            (Exit::Degraded, None) => {
                "status: NOTIFY is degraded on the server (see its verdict line)"
            }
            (Exit::Degraded, Some("status")) => "degraded: see the reasons on the verdict line",
            (Exit::Degraded, _) => return None,
            (Exit::Interrupted, Some("listen")) => {
                "stopped by SIGINT (Ctrl-C), after printing every notification already received \
                 (--exec: after the running command, which a second signal ends; no new one \
                 starts)"
            }
            (Exit::Interrupted, Some("notify")) => {
                "stopped by SIGINT (Ctrl-C), after reporting what was committed"
            }
            (Exit::Interrupted, Some("serve")) => {
                "stopped by SIGINT (Ctrl-C), after ending every stream with a shutdown event \
                 and closing the database session"
            }
            (Exit::Interrupted, Some("trigger")) => {
                "stopped by SIGINT (Ctrl-C); nothing was changed unless the commit had been sent"
            }
            (Exit::Interrupted, None) => {
                "stopped by SIGINT (Ctrl-C): after cleaning up, pgpubsub ends by that signal, so a \
                 shell loop around it stops too"
            }
            (Exit::Interrupted, _) => "stopped by SIGINT (Ctrl-C), after cleaning up",
            (Exit::Terminated, Some("listen")) => {
                "stopped by SIGTERM, after printing every notification already received \
                 (--exec: after the running command, which a second signal ends; no new one \
                 starts)"
            }
            (Exit::Terminated, Some("notify")) => {
                "stopped by SIGTERM, after reporting what was committed"
            }
            (Exit::Terminated, Some("trigger")) => "stopped by SIGTERM; as for SIGINT",
            (Exit::Terminated, Some("serve")) => {
                "stopped by SIGTERM, after ending every stream with a shutdown event and closing \
                 the database session"
            }
            (Exit::Terminated, None) => {
                "stopped by SIGTERM: after cleaning up, pgpubsub ends by that signal"
            }
            (Exit::Terminated, _) => "stopped by SIGTERM, after cleaning up",
            (Exit::HungUp, None) => {
                "stopped by SIGHUP (the terminal was closed): cleaned up as for SIGTERM, except \
                 that commands run for --exec, --on-gap or reply are ended at once (SIGHUP to \
                 their process groups); pgpubsub then ends by that signal. Not caught under \
                 nohup"
            }
            (Exit::HungUp, Some("listen" | "reply")) => {
                "stopped by SIGHUP (the terminal was closed): as for SIGTERM, except that a \
                 running command is ended at once (SIGHUP to its process group)"
            }
            (Exit::HungUp, _) => "stopped by SIGHUP (the terminal was closed), after cleaning up",
        })
    }

    /// The rows of `command`'s table: each status it can end with, and what it means there.
    pub fn table(command: Option<&str>) -> impl Iterator<Item = (u8, &'static str)> + '_ {
        Exit::ALL
            .into_iter()
            .filter_map(move |exit| Some((exit.code(), exit.meaning(command)?)))
    }

    /// The `Exit status:` block of a `--help` page, descriptions wrapped to fit 100 columns.
    pub fn help_table(command: Option<&str>) -> String {
        let mut text = String::from("Exit status:");
        for (code, meaning) in Exit::table(command) {
            let mut line = format!("\n  {code:<4} ");
            for word in meaning.split(' ') {
                if line.len() + word.len() > 100 {
                    text.push_str(line.trim_end());
                    line = format!("\n{:7}", "");
                }
                line.push_str(word);
                line.push(' ');
            }
            text.push_str(line.trim_end());
        }
        text
    }

    /// The README's table (markdown), pasted from here: a unit test fails when they differ.
    pub fn markdown_table() -> String {
        let mut text = String::from("| code | meaning |\n|---|---|\n");
        for (code, meaning) in Exit::table(None) {
            let meaning = meaning.replace('|', "\\|");
            text.push_str(&format!("| {code} | {meaning} |\n"));
        }
        text
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

/// A failure that ends the command. `Usage` is the user's to fix (exit 2); `Runtime` carries
/// the full cause chain of anything else (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad usage or bad input (exit 2); see [`Exit::Usage`] for when something was sent anyway.
    #[error("{0}")]
    Usage(String),
    /// Anything that went wrong while doing the work.
    #[error(transparent)]
    Runtime(#[from] anyhow::Error),
    /// The reader of stdout went away (`| head -1`): the work is done, not failed.
    #[error("stdout closed")]
    StdoutClosed,
    /// A stop signal arrived while the work ran (see `app::Context::guard`), or was typed or
    /// sent while the password prompt waited; the work was dropped, its guards cleaned up,
    /// and the command ends by that signal (re-raised in `main`).
    #[error("stopped by a signal")]
    Stopped(Signal),
}

/// Shorthand for results that end in an [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The exit status this error stands for.
    pub fn exit(&self) -> Exit {
        match self {
            Error::Usage(_) => Exit::Usage,
            Error::Runtime(_) => Exit::Failure,
            Error::StdoutClosed => Exit::Success,
            Error::Stopped(signal) => signal.exit(),
        }
    }
}

/// Classify a failed write to stdout: a closed pipe ends the command quietly, anything else
/// (disk full, I/O error) is a failure.
pub fn stdout_error(err: std::io::Error) -> Error {
    if err.kind() == std::io::ErrorKind::BrokenPipe {
        Error::StdoutClosed
    } else {
        Error::Runtime(anyhow::Error::new(err).context("cannot write to stdout"))
    }
}

/// Build a usage error (exit 2) from anything printable.
pub fn usage(msg: impl std::fmt::Display) -> Error {
    Error::Usage(msg.to_string())
}

/// Print `err` as one line `pgpubsub: cause: cause...` on stderr and return its exit status.
/// A closed stderr is ignored: there is nowhere left to complain to.
pub fn report(err: &Error) -> Exit {
    let line = match err {
        Error::Usage(msg) => msg.clone(),
        Error::Runtime(err) => format!("{err:#}"),
        Error::StdoutClosed | Error::Stopped(_) => return err.exit(),
    };
    messages::error(line);
    err.exit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_is_on_the_root_page() {
        for exit in Exit::ALL {
            assert!(exit.meaning(None).is_some(), "{exit:?} has no meaning");
        }
        let codes: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            codes, sorted,
            "Exit::ALL must list each code once, in order"
        );
    }

    #[test]
    fn help_tables_fit_and_keep_codes_in_a_column() {
        for command in [None, Some("listen"), Some("notify"), Some("bench")] {
            let table = Exit::help_table(command);
            for line in table.lines() {
                assert!(line.chars().count() <= 100, "too wide: {line}");
            }
            assert!(table.starts_with("Exit status:\n  0    success"));
        }
        assert!(!Exit::help_table(Some("demo")).contains("\n  3 "));
    }

    #[test]
    fn readme_table_is_the_enums() {
        let readme = include_str!("../README.md");
        let table = Exit::markdown_table();
        assert!(
            readme.contains(&table),
            "README.md's exit-status table differs from error::Exit; paste this under \
             `## Exit status` in README.md:\n\n{table}"
        );
    }
}
