//! The `listen` flags resolved once, before connecting: channels checked and folded, the output
//! format chosen, stop conditions and reconnection settled. Bad input ends here with exit 2,
//! before the server could truncate a long channel name behind our back.

use super::gap::Hook;
use crate::cli::ListenArgs;
use crate::error::{usage, warn, Error};
use crate::limits::check_channel;
use crate::output::{Format, Printer, Template};
use std::time::Duration;

/// What to do with each notification.
pub enum Handler {
    /// Write it to stdout as a record.
    Print(Printer),
    /// Run this shell command with the payload on its stdin.
    Exec(String),
}

/// Everything `listen` needs to know, decided before the first connection.
pub struct Plan {
    /// Distinct channel names, in the order given.
    pub channels: Vec<String>,
    pub handler: Handler,
    /// Write connection events into the output stream.
    pub events: bool,
    pub count: Option<u64>,
    pub timeout: Option<Duration>,
    pub idle_timeout: Option<Duration>,
    /// Longest backoff between reconnection attempts; `None` with --no-reconnect.
    pub reconnect_max: Option<Duration>,
    /// Idle time before a keepalive query; `None` when off.
    pub keepalive: Option<Duration>,
    /// Run after every reconnect, before anything new is handled.
    pub on_gap: Option<Hook>,
}

/// The keepalive interval when keepalive is off; a session still needs one.
const NO_KEEPALIVE: Duration = Duration::from_secs(3600);

impl Plan {
    /// How long an idle connection waits before a keepalive query, and how long that query
    /// may take to answer.
    pub fn ping_limit(&self) -> Duration {
        self.keepalive.unwrap_or(NO_KEEPALIVE)
    }

    /// Resolve `args`; `terminal` tells whether stdout is a TTY (human layout, sanitizing).
    pub fn resolve(args: &ListenArgs, terminal: bool) -> Result<Plan, Error> {
        Ok(Plan {
            channels: channels(&args.channels)?,
            handler: handler(args, terminal)?,
            events: args.events,
            count: args.count,
            timeout: args.timeout,
            idle_timeout: args.idle_timeout,
            reconnect_max: (!args.no_reconnect).then_some(args.reconnect_max),
            keepalive: (!args.keepalive.is_zero()).then_some(args.keepalive),
            on_gap: args.on_gap.clone().map(|command| Hook {
                command,
                required: args.on_gap_required,
            }),
        })
    }
}

/// Check every name, fold duplicates, and hint at psql's case folding for names with capitals.
fn channels(names: &[String]) -> Result<Vec<String>, Error> {
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

fn handler(args: &ListenArgs, terminal: bool) -> Result<Handler, Error> {
    if let Some(command) = &args.exec {
        return Ok(Handler::Exec(command.clone()));
    }
    let format = if args.json {
        Format::Json {
            payload_json: args.payload_json,
        }
    } else if let Some(template) = &args.format {
        Format::Template(Template::parse(template).map_err(usage)?)
    } else if args.raw {
        Format::Raw
    } else {
        Format::Text
    };
    Ok(Handler::Print(Printer::new(format, args.null, terminal)))
}
