//! The `-W` password prompt. The terminal is silenced *before* the prompt is shown, as libpq's
//! `simple_prompt` does: rpassword alone prints first and switches the terminal afterwards, so
//! whatever is typed as soon as the prompt appears can be echoed, and a Ctrl-C typed then is
//! turned into a signal by the terminal instead of being read as the cancel key.
//!
//! The prompt blocks the thread that resolves the settings, so the async signal handlers
//! cannot see a stop signal (`kill`, a supervisor's SIGTERM) sent while it waits; and since
//! those handlers restart interrupted reads, the prompt would keep waiting. So the prompt reads
//! the terminal only when it is readable, and wakes up on SIGINT/SIGTERM as well.

use crate::error::{usage, Error};
use crate::signals::Signal;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};

/// Ask for a password on the controlling terminal, without echo. A stop signal ends the
/// prompt (terminal restored) with [`Error::Stopped`], as a signal ends any other wait.
pub fn password(user: &str) -> Result<String, Error> {
    let unreadable =
        |e: std::io::Error| usage(format!("cannot read the password from the terminal: {e}"));
    // Watched first, so that no moment of the prompt misses a signal.
    let stops = StopSignals::watch().map_err(unreadable)?;
    let _quiet = Silenced::on_terminal();
    let tty = File::open("/dev/tty").map_err(unreadable)?;
    let config = rpassword::ConfigBuilder::new()
        .input_reader(UntilStopped { tty, stops })
        .build();
    rpassword::prompt_password_with_config(format!("Password for user {user}: "), config).map_err(
        |e| match e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<Stopped>())
        {
            Some(Stopped(signal)) => Error::Stopped(*signal),
            // rpassword's own answer to Ctrl-C read as a key.
            None if e.kind() == std::io::ErrorKind::Interrupted => {
                Error::Stopped(Signal::Interrupt)
            }
            None => unreadable(e),
        },
    )
}

/// A stop signal that arrived while the prompt waited.
#[derive(Debug, thiserror::Error)]
#[error("stopped by {0:?}")]
struct Stopped(Signal);

/// The terminal as rpassword reads it, but failing with [`Stopped`] as soon as a stop signal
/// arrives instead of waiting for the next key.
struct UntilStopped {
    tty: File,
    stops: StopSignals,
}

impl Read for UntilStopped {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let mut fds = [
                libc::pollfd {
                    fd: self.tty.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: self.stops.read.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            // SAFETY: two valid pollfd structs, length given.
            if unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) } < 0 {
                let err = std::io::Error::last_os_error();
                if err.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(err);
            }
            if fds[1].revents != 0 {
                let mut signal = [0u8];
                self.stops.read.read_exact(&mut signal)?;
                let signal = match libc::c_int::from(signal[0]) {
                    libc::SIGTERM => Signal::Terminate,
                    _ => Signal::Interrupt,
                };
                return Err(std::io::Error::other(Stopped(signal)));
            }
            if fds[0].revents != 0 {
                return self.tty.read(buf);
            }
        }
    }
}

/// SIGINT and SIGTERM reported on a pipe (one byte, the signal number) for as long as this
/// lives, beside the handlers already installed (tokio's, which still see the signal). `app`
/// installs those before any command runs; without them a stop signal would be ignored once
/// this is dropped (signal-hook-registry does not restore the default action).
struct StopSignals {
    read: File,
    write: OwnedFd,
    ids: Vec<signal_hook_registry::SigId>,
}

impl StopSignals {
    fn watch() -> std::io::Result<Self> {
        let mut ends = [0; 2];
        // SAFETY: pipe2 fills two descriptors when it returns 0; we own them from then on.
        if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: fresh descriptors from pipe2, owned by nobody else.
        let (read, write) = unsafe {
            use std::os::fd::FromRawFd;
            (File::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1]))
        };
        let mut stops = StopSignals {
            read,
            write,
            ids: Vec::new(),
        };
        for signal in [libc::SIGINT, libc::SIGTERM] {
            let fd = stops.write.as_raw_fd();
            // SAFETY: the action only calls write(2), which is async-signal-safe, on a
            // descriptor that stays open until the action is unregistered (in drop).
            let id = unsafe {
                signal_hook_registry::register(signal, move || {
                    let byte = signal as u8;
                    libc::write(fd, (&byte as *const u8).cast(), 1);
                })
            }?;
            stops.ids.push(id);
        }
        Ok(stops)
    }
}

impl Drop for StopSignals {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook_registry::unregister(id);
        }
    }
}

/// `/dev/tty` in the mode rpassword reads in (no echo, keys one at a time, Ctrl-C as a key)
/// for as long as it lives; the previous settings come back on drop. Best effort: without a
/// terminal there is nothing to silence, and opening the terminal to read reports it.
struct Silenced {
    tty: File,
    saved: libc::termios,
}

impl Silenced {
    fn on_terminal() -> Option<Self> {
        let tty = File::options()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .ok()?;
        let mut saved = std::mem::MaybeUninit::<libc::termios>::uninit();
        // SAFETY: tcgetattr fills the termios it is given when it returns 0.
        if unsafe { libc::tcgetattr(tty.as_raw_fd(), saved.as_mut_ptr()) } != 0 {
            return None;
        }
        // SAFETY: initialised by the successful tcgetattr above.
        let saved = unsafe { saved.assume_init() };
        let mut quiet = saved;
        quiet.c_lflag &= !(libc::ECHO | libc::ECHONL | libc::ICANON | libc::ISIG);
        quiet.c_cc[libc::VMIN] = 1;
        quiet.c_cc[libc::VTIME] = 0;
        // SAFETY: a valid descriptor and a fully initialised termios.
        if unsafe { libc::tcsetattr(tty.as_raw_fd(), libc::TCSANOW, &quiet) } != 0 {
            return None;
        }
        Some(Silenced { tty, saved })
    }
}

impl Drop for Silenced {
    fn drop(&mut self) {
        // SAFETY: restores the settings read from this same descriptor.
        unsafe { libc::tcsetattr(self.tty.as_raw_fd(), libc::TCSANOW, &self.saved) };
    }
}
