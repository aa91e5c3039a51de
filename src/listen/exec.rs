//! `--exec CMD`: a command per notification (the pg_listen use case). Commands run one at a
//! time in arrival order, so a handler never sees notifications reordered; while one runs, new
//! notifications wait in the socket and the server's queue, not in our memory.

use crate::error::warn;
use std::process::Stdio;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// Run `sh -c command` with the payload on stdin and the channel and sender pid in the
/// environment. A command that fails or cannot start is reported and the listener goes on.
pub async fn run(command: &str, channel: &str, payload: &str, pid: u32) {
    let spawned = Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("PGPUBSUB_CHANNEL", channel)
        .env("PGPUBSUB_PID", pid.to_string())
        .stdin(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) => return warn(format!("--exec: cannot run sh: {err}")),
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its stdin closes the pipe early: not a failure.
        let _ = stdin.write_all(payload.as_bytes()).await;
    }
    match child.wait().await {
        Ok(status) if status.success() => {}
        Ok(status) => warn(format!(
            "--exec: command failed ({status}) for a notification on channel {channel:?}; \
             listening on"
        )),
        Err(err) => warn(format!("--exec: cannot wait for the command: {err}")),
    }
}
