//! `--exec CMD`: a command per notification (the pg_listen use case). Commands run one at a
//! time in arrival order, so a handler never sees notifications reordered; while one runs, new
//! notifications wait in the socket and the server's queue, not in our memory.
//!
//! Each command runs in a process group of its own (see `job`): a stop signal, even a Ctrl-C at
//! the terminal, lets the running command finish, and says so; a second signal ends the
//! command's whole group. A hangup (the terminal closed) ends it at once: the command, in a
//! group of its own, never had the terminal's SIGHUP, and no one is left to wait for it.

use crate::error::{note, warn};
use crate::job::{self, Job};
use crate::output::Record;
use crate::signals::{Signal, Signals};

/// What became of one command.
pub struct Ran {
    /// It exited 0 (a durable consumer stores no position past a failure).
    pub ok: bool,
    /// The stop signal that came while it ran, if one did: the command was let finish, or, on
    /// a second signal, ended.
    pub stop: Option<Signal>,
}

/// Run `sh -c command` with the payload on stdin and the channel, sender pid and (for a
/// journal record) position in the environment. A command that fails or cannot start is
/// reported.
pub async fn run(command: &str, record: &Record<'_>, signals: &mut Signals) -> Ran {
    let mut cmd = job::shell(command);
    cmd.env("PGPUBSUB_CHANNEL", record.channel)
        .env("PGPUBSUB_PID", record.pid.to_string());
    if let Some(position) = record.position {
        cmd.env("PGPUBSUB_POSITION", position.to_string());
    }
    let mut job = match Job::start(cmd, Some(record.payload.as_bytes())).await {
        Ok(job) => job,
        Err(err) => {
            warn(format!("--exec: cannot run sh: {err}"));
            return Ran {
                ok: false,
                stop: None,
            };
        }
    };
    let (status, stop) = tokio::select! {
        status = job.wait() => (status, None),
        signal = signals.recv() => {
            if signal.lets_commands_finish() {
                note(format!(
                    "stopping: waiting for the running --exec command (process group {}) to \
                     finish; a second signal ends it",
                    job.pgid
                ));
            }
            tokio::select! {
                biased;
                forced = signals.forced_after(signal) => {
                    if let Some(ended) = job::end_all(forced).await {
                        note(ended);
                    }
                    drop(job);
                    return Ran {
                        ok: false,
                        stop: Some(signal),
                    };
                }
                status = job.wait() => (status, Some(signal)),
            }
        }
    };
    let what = match record.position {
        Some(position) => format!("the record at position {position}"),
        None => "a notification".to_string(),
    };
    let ok = match status {
        Ok(status) if status.success() => true,
        Ok(status) => {
            warn(format!(
                "--exec: command failed ({status}) for {what} on channel {:?}",
                record.channel
            ));
            false
        }
        Err(err) => {
            warn(format!("--exec: cannot wait for the command: {err}"));
            false
        }
    };
    Ran { ok, stop }
}
