//! `--on-gap CMD`: the resync hook. LISTEN/NOTIFY is not durable, so after every reconnect a
//! consumer that caches state must reload it from the tables; the hook runs before anything the
//! new connection received is printed or handed to `--exec`, so the consumer sees the reload
//! first and every later notification after it.

use crate::error::{warn, Exit, Result};
use crate::job::{self, Job};
use crate::signals::Signals;
use anyhow::anyhow;
use std::process::Stdio;
use std::time::Duration;

/// The hook and what its failure means.
#[derive(Debug, Clone)]
pub struct Hook {
    /// Run with `sh -c`; its stdout is listen's stdout (ours is flushed first).
    pub command: String,
    /// `--on-gap-required`: a failing hook stops the listener (exit 1).
    pub required: bool,
}

/// Run the hook for a gap of `down` caused by `reason` (in PGPUBSUB_DOWN_MS and
/// PGPUBSUB_REASON). A failure is a warning, or an error with `required`; a stop signal ends
/// the hook's process group and is returned.
pub async fn run(
    hook: &Hook,
    down: Duration,
    reason: &str,
    signals: &mut Signals,
) -> Result<Option<Exit>> {
    let mut cmd = job::shell(&hook.command);
    cmd.env("PGPUBSUB_DOWN_MS", down.as_millis().to_string())
        .env("PGPUBSUB_REASON", reason)
        .stdin(Stdio::null());
    let failure = match Job::start(cmd, None).await {
        Err(err) => format!("cannot run sh: {err}"),
        Ok(mut hook_job) => {
            let status = tokio::select! {
                biased;
                signal = signals.recv() => {
                    job::end_all(signal).await;
                    return Ok(Some(signal.exit()));
                }
                status = hook_job.wait() => status,
            };
            match status {
                Ok(status) if status.success() => return Ok(None),
                Ok(status) => format!("command failed ({status})"),
                Err(err) => format!("cannot wait for the command: {err}"),
            }
        }
    };
    if hook.required {
        return Err(anyhow!("--on-gap: {failure}; stopping (--on-gap-required)").into());
    }
    warn(format!("--on-gap: {failure}; listening on"));
    Ok(None)
}
