//! The commands pgpubsub runs for the user (`listen --exec`, `listen --on-gap`, `reply --exec`),
//! each with `sh -c` in a process group of its own. That is what makes a stop behave as
//! documented on both paths: a Ctrl-C typed at the terminal signals the terminal's foreground
//! process group, which no longer includes the command, so the running command finishes while
//! pgpubsub stops taking new work; and a forced stop (a second signal, or a hangup) ends the
//! command's whole group, the shell and whatever it started, instead of leaving them to run on
//! under init.

use crate::signals::Signal;
use std::io;
use std::process::{ExitStatus, Output, Stdio};
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

/// How long a command's group may take to go after SIGTERM before it gets SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(1);

/// The process groups of the commands running now.
static RUNNING: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// A running command: `sh -c CMD` leading a process group of its own.
pub struct Job {
    child: Child,
    /// The process group (the shell's pid).
    pub pgid: i32,
    reaped: bool,
}

/// `sh -c command` with stdin, stdout and stderr as given by the caller (default: inherited).
pub fn shell(command: &str) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(command).process_group(0);
    cmd
}

impl Job {
    /// Start `cmd` (made by [`shell`]) and write `input` to its stdin if it was piped (a command
    /// that does not read its stdin is no failure), then close it.
    pub async fn start(mut cmd: Command, input: Option<&[u8]>) -> io::Result<Job> {
        if input.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn()?;
        let pgid = child.id().map_or(0, |pid| pid as i32);
        RUNNING.lock().expect("never poisoned").push(pgid);
        if let (Some(mut stdin), Some(input)) = (child.stdin.take(), input) {
            let _ = stdin.write_all(input).await;
        }
        Ok(Job {
            child,
            pgid,
            reaped: false,
        })
    }

    /// Wait for the command to exit. Cancel-safe.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        let status = self.child.wait().await;
        self.done();
        status
    }

    /// Wait for the command to exit, collecting its piped stdout and stderr.
    pub async fn output(mut self) -> io::Result<Output> {
        let (out, err, status) = tokio::join!(
            read_all(self.child.stdout.take()),
            read_all(self.child.stderr.take()),
            self.child.wait()
        );
        self.done();
        Ok(Output {
            status: status?,
            stdout: out?,
            stderr: err?,
        })
    }

    fn done(&mut self) {
        if !self.reaped {
            self.reaped = true;
            RUNNING
                .lock()
                .expect("never poisoned")
                .retain(|&g| g != self.pgid);
        }
    }
}

/// Everything a piped stream of the command gives (nothing if it was not piped).
async fn read_all(pipe: Option<impl tokio::io::AsyncRead + Unpin>) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if let Some(mut pipe) = pipe {
        tokio::io::AsyncReadExt::read_to_end(&mut pipe, &mut bytes).await?;
    }
    Ok(bytes)
}

impl Drop for Job {
    /// A job dropped before its command exited (its task was cancelled): end the whole group.
    fn drop(&mut self) {
        if !self.reaped {
            signal_group(self.pgid, libc::SIGKILL);
            RUNNING
                .lock()
                .expect("never poisoned")
                .retain(|&g| g != self.pgid);
        }
    }
}

/// The forced stop (`why`: the signal that forces it): end every running command's process
/// group, SIGTERM first (SIGHUP after a hangup, which is what the command would have had from
/// the terminal) and SIGKILL for whatever is left after [`TERM_GRACE`]. Returns what was
/// ended, in words, if anything ran.
pub async fn end_all(why: Signal) -> Option<String> {
    let groups = RUNNING.lock().expect("never poisoned").clone();
    let first = first_signal(why);
    for &pgid in &groups {
        signal_group(pgid, first.number());
    }
    let deadline = tokio::time::Instant::now() + TERM_GRACE;
    while groups.iter().any(|&g| group_alive(g)) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for &pgid in &groups {
        signal_group(pgid, libc::SIGKILL);
    }
    describe_ended(&groups, first)
}

/// SIGTERM (SIGHUP after a hangup) to every running command's group, without waiting (for a
/// process about to end by `why`).
pub fn terminate_all(why: Signal) {
    for &pgid in RUNNING.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        signal_group(pgid, first_signal(why).number());
    }
}

/// The signal a command's group gets first when it is ended because of `why`.
fn first_signal(why: Signal) -> Signal {
    match why {
        Signal::Hangup => Signal::Hangup,
        Signal::Interrupt | Signal::Terminate => Signal::Terminate,
    }
}

fn signal_group(pgid: i32, signal: i32) {
    if pgid > 0 {
        // SAFETY: signalling a process group this process created; a group already gone
        // only makes kill fail with ESRCH.
        unsafe { libc::kill(-pgid, signal) };
    }
}

/// Whether any process of group `pgid` is still there. The shell leading it is our child: a
/// zombie of it would count, so it is reaped here if it has exited.
fn group_alive(pgid: i32) -> bool {
    // SAFETY: waitpid on our own child's group with WNOHANG, and kill with signal 0, only
    // look; neither blocks.
    unsafe {
        libc::waitpid(-pgid, std::ptr::null_mut(), libc::WNOHANG);
        libc::kill(-pgid, 0) == 0
    }
}

/// How a forced stop reports what it ended, e.g. "ended the running command (process group
/// 1234: SIGTERM, then SIGKILL after 1s)".
fn describe_ended(groups: &[i32], first: Signal) -> Option<String> {
    let list: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    let how = format!(
        "{}, then SIGKILL after {}",
        first.name(),
        humantime::format_duration(TERM_GRACE)
    );
    match groups.len() {
        0 => None,
        1 => Some(format!(
            "ended the running command (process group {}: {how})",
            list[0]
        )),
        n => Some(format!(
            "ended {n} running commands (process groups {}: {how})",
            list.join(", ")
        )),
    }
}
