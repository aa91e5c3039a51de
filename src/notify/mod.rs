//! `pgpubsub notify`: one notification from the command line, or one per line of stdin, with
//! exact counts. The settings are turned into a [`Plan`] first, so that every usage error and
//! every invalid one-shot input is found before connecting, and nothing half-valid is sent.

mod batch;
mod report;
mod send;
pub mod source;
mod sql;
mod stream;

use crate::app::Context;
use crate::connect::ConnSettings;
use crate::error::{note, usage, Error, Exit, Result};
use crate::limits::{check_channel, check_payload};
use batch::{Batch, Policy};
use send::{Round, Sender};
use source::{check_json, Decoder, Framing, Message, COMMAND_LINE};
use std::path::PathBuf;
use std::sync::Arc;
use stream::Stream;

/// What `notify` is asked to send, settled from the flags by `app`.
#[derive(Debug)]
pub struct Settings {
    /// CHANNEL and every --also, in that order (empty with --from-json).
    pub channels: Vec<String>,
    pub input: Input,
    /// Every payload must be JSON.
    pub json: bool,
    /// Stdin records end with NUL.
    pub null: bool,
    pub skip_empty: bool,
    pub strict: bool,
    /// All of stdin in one transaction.
    pub atomic: bool,
}

/// Where the payloads come from.
#[derive(Debug)]
pub enum Input {
    /// One payload from the command line (PAYLOAD, or nothing for an empty one).
    Payload(String),
    /// The content of a file (--file), as one payload.
    File(PathBuf),
    /// One payload per stdin record (PAYLOAD `-`, --stdin).
    Lines,
    /// `listen --json` records from stdin (--from-json).
    Records,
}

/// What to send, decided from the settings alone (before connecting, so that every usage
/// error and every invalid one-shot input is found first).
#[derive(Debug)]
pub enum Plan {
    /// One transaction from the command line.
    OneShot(Batch),
    /// Everything stdin brings.
    Stream(Stream),
}

/// Connect, send what `plan` says, and report.
pub async fn run(plan: Plan, conn: ConnSettings, ctx: &mut Context) -> Result<Exit> {
    let verbose = ctx.verbose;
    let mut sender = ctx.guard(Sender::connect(conn, verbose)).await?;
    let outcome = match plan {
        Plan::OneShot(batch) => {
            let mut round = Round::default();
            round.extend([batch]);
            let work = async { sender.send(&round).await.map(|()| Exit::Success) };
            ctx.guard(work).await
        }
        Plan::Stream(stream) => ctx.guard(stream::run(stream, &mut sender)).await,
    };
    if verbose {
        note(sender.totals.summary());
    }
    if let Some(folded) = sender.totals.folded() {
        note(folded);
    }
    if let Err(Error::Stopped(_)) = outcome {
        note(sender.totals.interrupted());
    }
    outcome
}

impl Plan {
    /// Check `settings` against the server's limits and decide what to send.
    pub fn new(settings: Settings) -> Result<Plan> {
        let channels = channels(&settings.channels)?;
        let decoder = match settings.input {
            Input::Payload(payload) => return one_shot(payload, "", settings.json, &channels),
            Input::File(path) => {
                let origin = format!("--file {}: ", path.display());
                return one_shot(read_file(&path)?, &origin, settings.json, &channels);
            }
            Input::Records => Decoder::Records {
                json: settings.json,
            },
            Input::Lines => Decoder::Payloads {
                channels,
                skip_empty: settings.skip_empty,
                json: settings.json,
            },
        };
        Ok(Plan::Stream(Stream {
            framing: if settings.null {
                Framing::Nul
            } else {
                Framing::Newline
            },
            decoder,
            policy: if settings.atomic {
                Policy::Atomic
            } else {
                Policy::Streaming
            },
            strict: settings.strict,
        }))
    }
}

/// Whether stdin carries data that a one-shot without PAYLOAD would silently drop: a pipe, a
/// socket or a regular file (`echo hi | pgpubsub notify chan`). A terminal or `/dev/null`
/// (interactive use, cron) does not, and there no PAYLOAD keeps meaning an empty payload.
pub fn stdin_has_data() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::FileTypeExt;
    let kind = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .and_then(|fd| std::fs::File::from(fd).metadata())
        .map(|meta| meta.file_type());
    kind.is_ok_and(|kind| kind.is_fifo() || kind.is_socket() || kind.is_file())
}

/// CHANNEL and every `--also`, checked; a channel named twice would fold into one notification.
fn channels(names: &[String]) -> Result<Vec<Arc<str>>> {
    let mut channels: Vec<Arc<str>> = Vec::new();
    for name in names {
        check_channel(name).map_err(usage)?;
        if channels.iter().any(|c| **c == **name) {
            return Err(usage(format!("channel {name:?} is named twice")));
        }
        channels.push(name.as_str().into());
    }
    Ok(channels)
}

/// The one transaction of a command-line send; `origin` prefixes the reason it is refused.
fn one_shot(payload: String, origin: &str, json: bool, channels: &[Arc<str>]) -> Result<Plan> {
    check_payload(&payload)
        .and_then(|()| check_json(&payload, json))
        .map_err(|reason| usage(format!("{origin}{reason}")))?;
    let messages = channels
        .iter()
        .map(|channel| Message {
            line: COMMAND_LINE,
            channel: channel.clone(),
            payload: payload.clone(),
        })
        .collect();
    Ok(Plan::OneShot(Batch::of(messages)))
}

/// The whole content of `path` as one payload (also `request --file`); `-` is all of stdin.
pub fn read_file(path: &std::path::Path) -> Result<String> {
    let bytes = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes).map(|_| bytes)
    } else {
        std::fs::read(path)
    }
    .map_err(|e| usage(format!("cannot read --file {}: {e}", path.display())))?;
    String::from_utf8(bytes)
        .map_err(|_| -> Error { usage(format!("--file {}: not valid UTF-8", path.display())) })
}
