//! `pgpubsub notify`: one notification from the command line, or one per line of stdin, with
//! exact counts. The settings are turned into a [`Plan`] first, so that every usage error and
//! every invalid one-shot input is found before connecting, and nothing half-valid is sent.

mod batch;
mod report;
pub use report::counted;
mod send;
pub mod source;
mod sql;
mod stream;

use crate::app::Context;
use crate::connect::ConnSettings;
use crate::error::{note, usage, Error, Exit, Result};
use crate::journal::Names;
use crate::limits::check_channel;
use batch::{Batch, Policy};
use send::{Round, Sender};
use source::{check_json, check_text, Decoder, Framing, Message, COMMAND_LINE};
use sql::Dialect;
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
    /// `--durable`: append to this journal, not only notify.
    pub durable: Option<Names>,
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
/// error and every invalid one-shot input is found first), and with which statements.
#[derive(Debug)]
pub struct Plan {
    dialect: Arc<Dialect>,
    work: Work,
}

/// What to send.
#[derive(Debug)]
enum Work {
    /// One transaction from the command line.
    OneShot(Batch),
    /// Everything stdin brings.
    Stream(Stream),
}

/// Connect, send what `plan` says, and report.
pub async fn run(plan: Plan, conn: ConnSettings, ctx: &mut Context) -> Result<Exit> {
    let verbose = ctx.verbose;
    let Plan { dialect, work } = plan;
    let mut sender = ctx
        .guard(Sender::connect(conn, dialect.clone(), verbose))
        .await?;
    let outcome = match work {
        Work::OneShot(batch) => {
            let mut round = Round::new(&dialect);
            round.extend([batch]);
            let work = async { sender.send(&round).await.map(|()| Exit::Success) };
            ctx.guard(work).await
        }
        Work::Stream(stream) => ctx.guard(stream::run(stream, &mut sender)).await,
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
        let durable = settings.durable.is_some();
        let dialect = match &settings.durable {
            Some(names) => Dialect::durable(names),
            None => Dialect::plain(),
        };
        let one_shot = |payload: String, origin: &str| -> Result<Plan> {
            let batch = one_shot(payload, origin, settings.json, durable, &channels)?;
            Ok(Plan {
                dialect: dialect.clone(),
                work: Work::OneShot(batch),
            })
        };
        let decoder = match settings.input {
            Input::Payload(ref payload) => return one_shot(payload.clone(), ""),
            Input::File(ref path) => {
                let origin = format!("--file {}: ", path.display());
                return one_shot(read_file(path)?, &origin);
            }
            Input::Records => Decoder::Records {
                json: settings.json,
                durable,
            },
            Input::Lines => Decoder::Payloads {
                channels: channels.clone(),
                skip_empty: settings.skip_empty,
                json: settings.json,
                durable,
            },
        };
        let work = Work::Stream(Stream {
            dialect: dialect.clone(),
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
        });
        Ok(Plan { dialect, work })
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
fn one_shot(
    payload: String,
    origin: &str,
    json: bool,
    durable: bool,
    channels: &[Arc<str>],
) -> Result<Batch> {
    check_text(&payload, durable)
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
    Ok(Batch::of(messages))
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
