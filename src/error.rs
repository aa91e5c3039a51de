//! Errors and exit codes: the one place that decides how a failure looks to a human and to a
//! script. Every other module returns errors; only [`report`] and [`warn`] write to stderr.

use std::io::Write;

/// The process exit status. Scripts branch on these, so each value is documented in `--help`,
/// README and the man pages and must never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Everything asked for was done.
    Success = 0,
    /// A runtime failure: connection, server error, I/O. `request`: the responder answered
    /// with an error.
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
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
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
    /// Ctrl-C typed where pgpubsub reads the terminal itself (the password prompt), which the
    /// signal handlers cannot see.
    #[error("interrupted")]
    Interrupted,
    /// SIGTERM received where pgpubsub blocks outside the async signal handlers (the password
    /// prompt).
    #[error("terminated")]
    Terminated,
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
            Error::Interrupted => Exit::Interrupted,
            Error::Terminated => Exit::Terminated,
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
        Error::StdoutClosed | Error::Interrupted | Error::Terminated => return err.exit(),
    };
    let _ = writeln!(std::io::stderr().lock(), "pgpubsub: {line}");
    err.exit()
}

/// Print a warning line on stderr: something the user should know that does not stop the work.
pub fn warn(msg: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr().lock(), "pgpubsub: warning: {msg}");
}

/// Print a progress or status line on stderr (used with `--verbose` and by `sandbox`).
pub fn note(msg: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr().lock(), "pgpubsub: {msg}");
}
