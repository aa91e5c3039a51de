//! Stdout as every subcommand writes it. A stop signal must stop the program even when no one
//! reads its stdout: a full pipe blocks a write for ever, and the loop that would see the
//! signal is the one blocked. So each write is marked while it is in progress, and the
//! stop-signal watchdog (`signals`) asks [`blocked_for`] how long the one in progress has been
//! stuck.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// When the write to stdout in progress began, in nanoseconds since [`clock`]'s start plus one;
/// 0 while no write is in progress.
static WRITING_SINCE: AtomicU64 = AtomicU64::new(0);

/// The process's clock for [`WRITING_SINCE`].
fn clock() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// How long the write to stdout in progress has been blocked, if one is.
pub fn blocked_for() -> Option<Duration> {
    let since = WRITING_SINCE.load(Ordering::Relaxed).checked_sub(1)?;
    Some(
        clock()
            .elapsed()
            .saturating_sub(Duration::from_nanos(since)),
    )
}

/// Stdout as every subcommand writes it (locked for this thread, so that records are written
/// whole), with each write visible to the stop-signal watchdog while it is in progress.
pub struct Stdout(std::io::StdoutLock<'static>);

impl Stdout {
    /// Lock stdout for this thread.
    pub fn lock() -> Self {
        clock();
        Stdout(std::io::stdout().lock())
    }

    /// Run `write`, marked as in progress.
    fn watched<T>(&mut self, write: impl FnOnce(&mut std::io::StdoutLock<'static>) -> T) -> T {
        let since = clock().elapsed().as_nanos() as u64 + 1;
        WRITING_SINCE.store(since, Ordering::Relaxed);
        let done = write(&mut self.0);
        WRITING_SINCE.store(0, Ordering::Relaxed);
        done
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.watched(|out| out.write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.watched(|out| out.write_all(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.watched(|out| out.flush())
    }
}
