//! What `listen` is asked to do, settled before connecting (by `app`, from the flags): channels
//! checked and folded, the output format chosen, stop conditions and reconnection settled. Bad
//! input ends there with exit 2, before the server could truncate a long channel name behind
//! our back.

use crate::error::{usage, warn, Error};
use crate::limits::check_channel;
use crate::output::Printer;
use std::time::Duration;

pub use super::gap::Hook;
pub use crate::session::Upkeep;

/// What to do with each notification.
pub enum Handler {
    /// Write it to stdout as a record.
    Print(Printer),
    /// Run this shell command with the payload on its stdin.
    Exec(String),
}

/// Everything `listen` needs to know, decided before the first connection.
pub struct Settings {
    /// Distinct channel names, in the order given.
    pub channels: Vec<String>,
    /// `--durable`: read the channels' journal.
    pub durable: Option<crate::journal::Plan>,
    pub handler: Handler,
    /// Write connection events into the output stream.
    pub events: bool,
    pub count: Option<u64>,
    pub timeout: Option<Duration>,
    pub idle_timeout: Option<Duration>,
    /// Reconnect after a loss (not with --no-reconnect).
    pub reconnect: bool,
    /// Keepalive and reconnection backoff.
    pub upkeep: Upkeep,
    /// Run after every reconnect, before anything new is handled.
    pub on_gap: Option<Hook>,
    /// Created once every channel is held (see `ready`).
    pub ready_file: Option<std::path::PathBuf>,
}

/// Check every name, fold duplicates, and hint at psql's case folding for names with capitals.
pub fn channels(names: &[String]) -> Result<Vec<String>, Error> {
    let mut channels: Vec<String> = Vec::with_capacity(names.len());
    let mut seen = std::collections::HashSet::new();
    for name in names {
        check_channel(name).map_err(usage)?;
        if seen.insert(name.as_str()) {
            channels.push(name.clone());
        }
    }
    let capitals: Vec<&str> = channels
        .iter()
        .filter(|c| c.chars().any(char::is_uppercase))
        .map(String::as_str)
        .collect();
    if let Some(first) = capitals.first() {
        warn(format!(
            "channel {first:?} has capitals: names are case-sensitive here, but an unquoted \
             `NOTIFY {first}` (e.g. from psql) is folded to {:?}; senders must quote it or use \
             pg_notify('{first}', ...)",
            first.to_lowercase()
        ));
    }
    Ok(channels)
}
