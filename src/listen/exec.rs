//! `--exec CMD`: a command per notification (the pg_listen use case). Commands run one at a
//! time in arrival order, so a handler never sees notifications reordered; while one runs, new
//! notifications wait in the socket and the server's queue, not in our memory.
//!
//! Each command runs in a process group of its own (see `job`): a stop signal, even a Ctrl-C at
//! the terminal, lets the running command finish, and says so; a second signal ends the
//! command's whole group.

use crate::error::{note, warn};
use crate::job::{self, Job};
use crate::signals::{Signal, Signals};

/// Run `sh -c command` with the payload on stdin and the channel and sender pid in the
/// environment. A command that fails or cannot start is reported and the listener goes on.
/// Returns the stop signal that came while it ran, if one did: the command was let finish, or,
/// on a second signal, ended.
pub async fn run(
    command: &str,
    channel: &str,
    payload: &str,
    pid: u32,
    signals: &mut Signals,
) -> Option<Signal> {
    let mut cmd = job::shell(command);
    cmd.env("PGPUBSUB_CHANNEL", channel)
        .env("PGPUBSUB_PID", pid.to_string());
    let mut job = match Job::start(cmd, Some(payload.as_bytes())).await {
        Ok(job) => job,
        Err(err) => {
            warn(format!("--exec: cannot run sh: {err}"));
            return None;
        }
    };
    let (status, stop) = tokio::select! {
        status = job.wait() => (status, None),
        signal = signals.recv() => {
            note(format!(
                "stopping: waiting for the running --exec command (process group {}) to \
                 finish; a second signal ends it",
                job.pgid
            ));
            tokio::select! {
                status = job.wait() => (status, Some(signal)),
                _ = signals.recv() => {
                    let ended = job::end_all().await;
                    drop(job);
                    if let Some(ended) = job::describe_ended(&ended) {
                        note(ended);
                    }
                    return Some(signal);
                }
            }
        }
    };
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => warn(format!(
            "--exec: command failed ({status}) for a notification on channel {channel:?}; \
             listening on"
        )),
        Err(err) => warn(format!("--exec: cannot wait for the command: {err}")),
    }
    stop
}
