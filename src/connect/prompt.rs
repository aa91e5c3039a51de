//! The `-W` password prompt. The terminal is silenced *before* the prompt is shown, as libpq's
//! `simple_prompt` does: rpassword alone prints first and switches the terminal afterwards, so
//! whatever is typed as soon as the prompt appears can be echoed, and a Ctrl-C typed then is
//! turned into a signal by the terminal instead of being read as the cancel key.

use crate::error::{usage, Error};
use std::fs::File;
use std::os::fd::AsRawFd;

/// Ask for a password on the controlling terminal, without echo.
pub fn password(user: &str) -> Result<String, Error> {
    let _quiet = Silenced::on_terminal();
    rpassword::prompt_password(format!("Password for user {user}: ")).map_err(|e| {
        if e.kind() == std::io::ErrorKind::Interrupted {
            Error::Interrupted
        } else {
            usage(format!("cannot read the password from the terminal: {e}"))
        }
    })
}

/// `/dev/tty` in the mode rpassword reads in (no echo, keys one at a time, Ctrl-C as a key)
/// for as long as it lives; the previous settings come back on drop. Best effort: without a
/// terminal there is nothing to silence, and rpassword reports the missing terminal itself.
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
