//! `pgpubsub notify`: one notification from the command line, or one per line of stdin, with
//! exact counts. The flags are resolved into a [`Plan`] first, so that every usage error and
//! every invalid one-shot input is found before connecting, and nothing half-valid is sent.

mod batch;
mod report;
mod send;
pub mod source;
mod sql;
mod stream;

use crate::cli::NotifyArgs;
use crate::connect::ConnSettings;
use crate::error::{note, usage, Error, Exit, Result};
use crate::limits::{check_channel, check_payload};
use crate::signals::Signals;
use batch::{Batch, Policy};
use send::{Round, Sender};
use source::{check_json, Decoder, Framing, Message, COMMAND_LINE};
use std::sync::Arc;
use stream::Stream;

/// What to send, decided from the flags alone.
#[derive(Debug)]
enum Plan {
    /// One transaction from the command line.
    OneShot(Batch),
    /// Everything stdin brings.
    Stream(Stream),
}

/// Resolve the flags, connect, send, and report.
pub async fn run(args: &NotifyArgs, verbose: bool, signals: &mut Signals) -> Result<Exit> {
    let plan = plan(args)?;
    let settings = ConnSettings::resolve(&args.conn)?.for_notifications("notify")?;
    if verbose {
        note(settings.describe());
    }
    let mut sender = match signals.guard(Sender::connect(settings, verbose)).await {
        Ok(sender) => sender?,
        Err(signal) => return Ok(signal.exit()),
    };
    let outcome = match plan {
        Plan::OneShot(batch) => {
            let mut round = Round::default();
            round.extend([batch]);
            let work = async { Ok(sender.send(&round).await.map(|()| Exit::Success)?) };
            signals.guard(work).await
        }
        Plan::Stream(stream) => signals.guard(stream::run(stream, &mut sender)).await,
    };
    if verbose {
        note(sender.totals.summary());
    }
    outcome.unwrap_or_else(|signal| {
        note(sender.totals.interrupted());
        Ok(signal.exit())
    })
}

fn plan(args: &NotifyArgs) -> Result<Plan> {
    let stdin = args.stdin || args.from_json || args.payload.as_deref() == Some("-");
    if !stdin {
        let stream_only = [
            ("--null", args.null),
            ("--skip-empty", args.skip_empty),
            ("--strict", args.strict),
            ("--atomic", args.atomic),
        ];
        if let Some((flag, _)) = stream_only.iter().find(|(_, set)| *set) {
            return Err(usage(format!(
                "{flag} applies only to stdin (PAYLOAD `-`, --stdin or --from-json)"
            )));
        }
    }
    let decoder = if args.from_json {
        Decoder::Records { json: args.json }
    } else {
        let channels = channels(args)?;
        if !stdin {
            return one_shot(args, &channels).map(Plan::OneShot);
        }
        Decoder::Payloads {
            channels,
            skip_empty: args.skip_empty,
            json: args.json,
        }
    };
    Ok(Plan::Stream(Stream {
        framing: if args.null {
            Framing::Nul
        } else {
            Framing::Newline
        },
        decoder,
        policy: if args.atomic {
            Policy::Atomic
        } else {
            Policy::Streaming
        },
        strict: args.strict,
    }))
}

/// CHANNEL and every `--also`, checked; a channel named twice would fold into one notification.
fn channels(args: &NotifyArgs) -> Result<Vec<Arc<str>>> {
    let mut channels: Vec<Arc<str>> = Vec::new();
    for name in args.channel.iter().chain(&args.also) {
        check_channel(name).map_err(usage)?;
        if channels.iter().any(|c| **c == **name) {
            return Err(usage(format!("channel {name:?} is named twice")));
        }
        channels.push(name.as_str().into());
    }
    Ok(channels)
}

/// The one transaction of a command-line send: the payload from PAYLOAD, --file or nothing.
fn one_shot(args: &NotifyArgs, channels: &[Arc<str>]) -> Result<Batch> {
    let (payload, origin) = match (&args.file, &args.payload) {
        (Some(path), _) => (read_file(path)?, format!("--file {}: ", path.display())),
        (None, payload) => (payload.clone().unwrap_or_default(), String::new()),
    };
    check_payload(&payload)
        .and_then(|()| check_json(&payload, args.json))
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

/// The whole content of `path` as one payload (also `request --file`).
pub fn read_file(path: &std::path::Path) -> Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|e| usage(format!("cannot read --file {}: {e}", path.display())))?;
    String::from_utf8(bytes)
        .map_err(|_| -> Error { usage(format!("--file {}: not valid UTF-8", path.display())) })
}
