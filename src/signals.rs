//! SIGINT/SIGTERM as values. Handlers are installed once, before any connection is made, so
//! that Ctrl-C at any moment ends in cleanup (servers stopped, temp dirs removed, buffered
//! output flushed), never in an abrupt default kill. After the cleanup the process ends by the
//! same signal ([`end_by`]), as fd and git do: a parent (a shell running `while :; do pgpubsub
//! listen c; done`) sees "killed by SIGINT" and stops too, which a plain exit 130 would not
//! tell it.

use crate::error::Exit;
use anyhow::Context;
use std::future::Future;
use tokio::signal::unix::{signal, SignalKind};

/// Which stop signal arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT, usually Ctrl-C.
    Interrupt,
    /// SIGTERM, usually a supervisor.
    Terminate,
}

impl Signal {
    /// The exit status that reports this signal to the caller (128 + signal number).
    pub fn exit(self) -> Exit {
        match self {
            Signal::Interrupt => Exit::Interrupted,
            Signal::Terminate => Exit::Terminated,
        }
    }
}

/// The process's stop signals, caught instead of killing the process.
pub struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Catch SIGINT and SIGTERM from now on.
    pub fn install() -> anyhow::Result<Self> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt()).context("cannot catch SIGINT")?,
            terminate: signal(SignalKind::terminate()).context("cannot catch SIGTERM")?,
        })
    }

    /// Wait for the next stop signal.
    pub async fn recv(&mut self) -> Signal {
        tokio::select! {
            _ = self.interrupt.recv() => Signal::Interrupt,
            _ = self.terminate.recv() => Signal::Terminate,
        }
    }

    /// Run `work` unless a stop signal comes first; on a signal `work` is dropped (its guards
    /// clean up) and the signal is returned.
    pub async fn guard<F: Future>(&mut self, work: F) -> Result<F::Output, Signal> {
        tokio::select! {
            out = work => Ok(out),
            sig = self.recv() => Err(sig),
        }
    }
}

/// If `exit` stands for a stop signal, end the process by that signal with its default action,
/// now that everything is cleaned up and flushed; otherwise (or should the signal not end the
/// process) return, and `main` exits with `exit`'s code.
pub fn end_by(exit: Exit) {
    let signal = match exit {
        Exit::Interrupted => libc::SIGINT,
        Exit::Terminated => libc::SIGTERM,
        _ => return,
    };
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: restoring the default disposition and raising a signal have no preconditions;
    // nothing runs concurrently that relies on our handler any more.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}
