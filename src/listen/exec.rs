//! `--exec CMD`: a command per notification (the pg_listen use case). Commands run one at a
//! time in arrival order, so a handler never sees notifications reordered; while one runs, new
//! notifications wait in the socket and the server's queue, not in our memory.

use crate::error::warn;
use crate::output::Record;
use std::process::Stdio;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// Run `sh -c command` with the payload on stdin and the channel, sender pid and (for a
/// journal record) position in the environment. A command that fails or cannot start is
/// reported; whether it succeeded is returned (a durable consumer stores no position past a
/// failure).
pub async fn run(command: &str, record: &Record<'_>) -> bool {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(command)
        .env("PGPUBSUB_CHANNEL", record.channel)
        .env("PGPUBSUB_PID", record.pid.to_string())
        .stdin(Stdio::piped());
    if let Some(position) = record.position {
        sh.env("PGPUBSUB_POSITION", position.to_string());
    }
    let mut child = match sh.spawn() {
        Ok(child) => child,
        Err(err) => {
            warn(format!("--exec: cannot run sh: {err}"));
            return false;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its stdin closes the pipe early: not a failure.
        let _ = stdin.write_all(record.payload.as_bytes()).await;
    }
    let what = match record.position {
        Some(position) => format!("the record at position {position}"),
        None => "a notification".to_string(),
    };
    match child.wait().await {
        Ok(status) if status.success() => return true,
        Ok(status) => warn(format!(
            "--exec: command failed ({status}) for {what} on channel {:?}",
            record.channel
        )),
        Err(err) => warn(format!("--exec: cannot wait for the command: {err}")),
    }
    false
}
