//! SIGINT/SIGTERM/SIGHUP as values. Handlers are installed once, before any connection is
//! made, so that Ctrl-C at any moment ends in cleanup (servers stopped, temp dirs removed, buffered
//! output flushed), never in an abrupt default kill. After the cleanup the process ends by the
//! same signal ([`end_by`]), as fd and git do: a parent (a shell running `while :; do pgpubsub
//! listen c; done`) sees "killed by SIGINT" and stops too, which a plain exit 130 would not
//! tell it.
//!
//! A stop signal must stop the program even when no one reads its stdout: a full pipe blocks a
//! write for ever, and the loop that would see the signal is the one blocked. Every subcommand
//! writes through `output::stdout::Stdout`, which lets a watchdog see such a write; once a stop signal has
//! come and a write has been blocked for [`STDOUT_GRACE`], the watchdog says so and ends the
//! process by the signal without the output no one was reading.

use crate::error::{warn, Exit};
use anyhow::Context;
use std::future::Future;
use std::io::Write;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};

/// How long, after a stop signal, a write to stdout may stay blocked before it is given up.
pub const STDOUT_GRACE: Duration = Duration::from_secs(2);

/// How often the watchdog looks, once a stop signal has come.
const WATCH_EVERY: Duration = Duration::from_millis(100);

/// Which stop signal arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT, usually Ctrl-C.
    Interrupt,
    /// SIGTERM, usually a supervisor.
    Terminate,
    /// SIGHUP: the terminal was closed. A stop like SIGTERM (the throwaway server is removed,
    /// what was received is written), except that the commands run for the user are ended at
    /// once: they lost the terminal too, and no one is left to wait for them. Not caught when
    /// SIGHUP was ignored at start (`nohup pgpubsub ...`).
    Hangup,
}

impl Signal {
    /// The exit status that reports this signal to the caller (128 + signal number).
    pub fn exit(self) -> Exit {
        match self {
            Signal::Interrupt => Exit::Interrupted,
            Signal::Terminate => Exit::Terminated,
            Signal::Hangup => Exit::HungUp,
        }
    }

    /// Its name, as messages give it.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
            Signal::Hangup => "SIGHUP",
        }
    }

    /// Whether a stop by this signal lets the commands run for the user finish: not a hangup,
    /// after which the terminal is gone and no one is left to wait for them.
    pub fn lets_commands_finish(self) -> bool {
        self != Signal::Hangup
    }

    /// Its number, for kill(2) and raise(3).
    pub fn number(self) -> i32 {
        match self {
            Signal::Interrupt => libc::SIGINT,
            Signal::Terminate => libc::SIGTERM,
            Signal::Hangup => libc::SIGHUP,
        }
    }
}

/// The process's stop signals, caught instead of killing the process.
pub struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    /// None when SIGHUP was ignored at start.
    hangup: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// Catch SIGINT, SIGTERM and (unless it is ignored) SIGHUP from now on, and start the
    /// watchdog for a blocked stdout (it runs on the runtime's workers, so a blocked main thread
    /// does not hold it up).
    pub fn install() -> anyhow::Result<Self> {
        let hangup = !ignored(libc::SIGHUP);
        tokio::spawn(watch_stdout(Signals::catch(hangup)?));
        Signals::catch(hangup)
    }

    fn catch(hangup: bool) -> anyhow::Result<Self> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt()).context("cannot catch SIGINT")?,
            terminate: signal(SignalKind::terminate()).context("cannot catch SIGTERM")?,
            hangup: match hangup {
                true => Some(signal(SignalKind::hangup()).context("cannot catch SIGHUP")?),
                false => None,
            },
        })
    }

    /// Wait for the next stop signal.
    pub async fn recv(&mut self) -> Signal {
        let hangup = async {
            match &mut self.hangup {
                Some(hangup) => hangup.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = self.interrupt.recv() => Signal::Interrupt,
            _ = self.terminate.recv() => Signal::Terminate,
            _ = hangup => Signal::Hangup,
        }
    }

    /// The signal that forces a stop begun by `first` (ending the commands still running): the
    /// next stop signal, or `first` itself if it does not let commands finish.
    pub async fn forced_after(&mut self, first: Signal) -> Signal {
        match first.lets_commands_finish() {
            true => self.recv().await,
            false => first,
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
        Exit::Interrupted => Signal::Interrupt,
        Exit::Terminated => Signal::Terminate,
        Exit::HungUp => Signal::Hangup,
        _ => return,
    };
    let _ = std::io::stdout().flush();
    die_by(signal);
}

/// End the process by `signal`'s default action (stderr flushed; stdout left alone, as it may
/// be the very thing that is blocked), and with it any command still running for the user.
fn die_by(signal: Signal) {
    crate::job::terminate_all(signal);
    let _ = std::io::stderr().flush();
    let signal = signal.number();
    // SAFETY: restoring the default disposition and raising a signal have no preconditions;
    // the process ends here, so nothing relies on our handler any more.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// Wait for the first stop signal, then for a write to stdout that stays blocked past the
/// grace: no one is reading, and only ending the process lets the signal take effect.
async fn watch_stdout(mut signals: Signals) {
    let signal = signals.recv().await;
    let mut tick = tokio::time::interval(WATCH_EVERY);
    loop {
        tick.tick().await;
        if crate::output::stdout::blocked_for().is_some_and(|blocked| blocked >= STDOUT_GRACE) {
            warn(format!(
                "stdout has not been read for {}: stopping without writing the rest",
                humantime::format_duration(STDOUT_GRACE)
            ));
            die_by(signal);
        }
    }
}

/// Whether `signal` was ignored when the process started (`nohup` ignores SIGHUP): such a
/// signal is left ignored, as the caller asked.
fn ignored(signal: i32) -> bool {
    // SAFETY: sigaction with a null new action only reads the current disposition into `old`.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}
