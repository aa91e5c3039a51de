//! Streaming stdin: input is read on its own thread while the previous round trip is on the
//! wire; whatever has arrived when the sender is free is batched and sent at once, so a slow
//! producer sees each line sent as soon as it is read and a fast one gets full transactions.

use super::batch::{Batcher, Policy};
use super::send::Sender;
use super::source::{self, Decoder, Event, Framing, QUEUED_CHUNKS};
use crate::error::{usage, warn, Error, Exit, Result};
use anyhow::anyhow;
use tokio::sync::mpsc;

/// Most notifications one round trip carries (many small transactions, or a few full ones).
const ROUND_TRIP_MESSAGES: usize = 8192;
/// Most payload bytes one round trip carries.
const ROUND_TRIP_BYTES: usize = 4 << 20;

/// How stdin is read and sent.
#[derive(Debug)]
pub struct Stream {
    pub framing: Framing,
    pub decoder: Decoder,
    pub policy: Policy,
    pub strict: bool,
}

/// Why reading stopped before the end of input.
enum Stop {
    /// An invalid line under `--strict`.
    Invalid { line: u64, reason: String },
    /// Stdin failed.
    Unreadable(std::io::Error),
}

/// Send all of stdin; exit 2 if invalid lines were skipped.
pub async fn run(stream: Stream, sender: &mut Sender) -> Result<Exit> {
    let (tx, mut rx) = mpsc::channel(QUEUED_CHUNKS);
    source::spawn(std::io::stdin(), stream.framing, stream.decoder, tx);
    let mut batcher = Batcher::new(stream.policy);
    let atomic = matches!(stream.policy, Policy::Atomic);
    while let Some(chunk) = rx.recv().await {
        let mut stop = absorb(chunk, &mut batcher, sender, stream.strict);
        while stop.is_none() && room(&batcher) {
            match rx.try_recv() {
                Ok(chunk) => stop = absorb(chunk, &mut batcher, sender, stream.strict),
                Err(_) => break,
            }
        }
        if let Some(stop) = stop {
            return Err(stopped(stop, &mut batcher, sender, atomic).await);
        }
        if !atomic {
            batcher.flush();
        }
        sender.send(&batcher.take()).await?;
    }
    batcher.flush();
    sender.send(&batcher.take()).await?;
    match sender.totals.skipped {
        0 => Ok(Exit::Success),
        skipped => Err(usage(format!(
            "{skipped} invalid input lines skipped; {} notifications sent",
            sender.totals.sent
        ))),
    }
}

/// Whether the next round trip can take more input.
fn room(batcher: &Batcher) -> bool {
    let (messages, bytes) = batcher.ready_size();
    messages < ROUND_TRIP_MESSAGES && bytes < ROUND_TRIP_BYTES
}

/// Feed one chunk to the batcher; report and count invalid lines.
fn absorb(
    chunk: Vec<Event>,
    batcher: &mut Batcher,
    sender: &mut Sender,
    strict: bool,
) -> Option<Stop> {
    for event in chunk {
        match event {
            Event::Message(message) => batcher.push(message),
            Event::Invalid { line, reason } if strict => {
                return Some(Stop::Invalid { line, reason })
            }
            Event::Invalid { line, reason } => {
                sender.totals.skipped += 1;
                warn(format!("line {line}: {reason}; skipped"));
            }
            Event::Failed(err) => return Some(Stop::Unreadable(err)),
        }
    }
    None
}

/// End early: send what came before the stop (unless `--atomic`, which then sends nothing)
/// and say how much was sent.
async fn stopped(stop: Stop, batcher: &mut Batcher, sender: &mut Sender, atomic: bool) -> Error {
    if !atomic {
        batcher.flush();
        if let Err(err) = sender.send(&batcher.take()).await {
            return err.into();
        }
    }
    let sent = format!("{} notifications sent", sender.totals.sent);
    match stop {
        Stop::Invalid { line, reason } => {
            usage(format!("line {line}: {reason}; stopped (--strict), {sent}"))
        }
        Stop::Unreadable(err) => anyhow!(err)
            .context(format!("cannot read stdin ({sent})"))
            .into(),
    }
}
