//! Streaming stdin. Reading, checking, batching and rendering SQL run on their own thread while
//! the previous round trip is on the wire; the sender takes whatever rounds are ready when it is
//! free. So a slow producer sees each line sent as soon as it is read (the reader hands over at
//! every pause in the input) and a fast one gets full transactions, many per round trip.
//! Sent rounds go back to the reading thread to be freed there: freeing thousands of messages
//! allocated on another thread took the sender 0.3-3 ms per round, about a tenth of a fast
//! stream's time, during which the server had nothing to do.

use super::batch::{Batcher, Policy};
use super::report::counted;
use super::send::{Round, Sender};
use super::source::{self, Decoder, Event, Framing, Input};
use super::sql::Dialect;
use crate::error::{usage, warn, Error, Exit, Result};
use anyhow::anyhow;
use std::ops::ControlFlow;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Rounds that may wait for the sender; past that, reading stops and the producer blocks.
const QUEUED: usize = 4;

/// How stdin is read and sent.
#[derive(Debug)]
pub struct Stream {
    pub dialect: Arc<Dialect>,
    pub framing: Framing,
    pub decoder: Decoder,
    pub policy: Policy,
    pub strict: bool,
}

/// What the reading thread hands to the sender, in input order.
enum Item {
    /// Batches ready to send.
    Round(Round),
    /// An invalid line, skipped.
    Skipped { line: u64, reason: String },
    /// Reading stopped here: what came before is in earlier rounds (unless `--atomic`).
    Stop(Stop),
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
    let stream_dialect = stream.dialect.clone();
    let (tx, mut rx) = mpsc::channel(QUEUED);
    let (spent_tx, spent) = std::sync::mpsc::channel();
    // A plain thread, not the runtime's: exiting must never wait for a producer that is quiet.
    std::thread::spawn(move || produce(std::io::stdin(), &stream, &tx, &spent));
    while let Some(item) = rx.recv().await {
        let mut round = Round::new(&stream_dialect);
        let mut stop = take(item, &mut round, sender);
        while stop.is_none() && !round.is_full() {
            match rx.try_recv() {
                Ok(item) => stop = take(item, &mut round, sender),
                Err(_) => break,
            }
        }
        sender.send(&round).await?;
        // Once reading has ended there is no one to free it but us; that is fine then.
        let _ = spent_tx.send(round);
        if let Some(stop) = stop {
            return Err(stopped(stop, sender));
        }
    }
    match sender.totals.skipped {
        0 => Ok(Exit::Success),
        skipped => Err(usage(format!(
            "{} skipped; {} sent",
            counted(skipped, "invalid input line"),
            counted(sender.totals.sent, "notification")
        ))),
    }
}

/// Add `item` to `round`; report skipped lines; return a stop.
fn take(item: Item, round: &mut Round, sender: &mut Sender) -> Option<Stop> {
    match item {
        Item::Round(more) => round.append(more),
        Item::Skipped { line, reason } => {
            sender.totals.skipped += 1;
            warn(format!("line {line}: {reason}; skipped"));
        }
        Item::Stop(stop) => return Some(stop),
    }
    None
}

fn stopped(stop: Stop, sender: &Sender) -> Error {
    let sent = format!("{} sent", counted(sender.totals.sent, "notification"));
    match stop {
        Stop::Invalid { line, reason } => {
            usage(format!("line {line}: {reason}; stopped (--strict), {sent}"))
        }
        Stop::Unreadable(err) => anyhow!(err)
            .context(format!("cannot read stdin ({sent})"))
            .into(),
    }
}

/// The reading thread: input to rounds, handed over at every pause and whenever one is full;
/// the sender's `spent` rounds are freed here, between hand-overs.
fn produce(
    input: impl source::Ready,
    stream: &Stream,
    tx: &mpsc::Sender<Item>,
    spent: &std::sync::mpsc::Receiver<Round>,
) {
    let streaming = matches!(stream.policy, Policy::Streaming);
    let mut batcher = Batcher::new(stream.policy, stream.decoder.folds());
    let mut round = Round::new(&stream.dialect);
    let hand_over = |round: &mut Round| {
        spent.try_iter().for_each(drop);
        if round.is_empty() {
            ControlFlow::Continue(())
        } else {
            let full = std::mem::replace(round, Round::new(&stream.dialect));
            send(tx, Item::Round(full))
        }
    };
    let mut stop = None;
    source::read(input, stream.framing, &stream.decoder, |input| {
        let event = match input {
            Input::Pause => {
                if streaming {
                    round.extend(batcher.flush());
                }
                return hand_over(&mut round);
            }
            Input::Event(event) => event,
        };
        match event {
            Event::Message(message) => round.extend(batcher.push(message)),
            Event::Invalid { line, reason } if !stream.strict => {
                return send(tx, Item::Skipped { line, reason });
            }
            Event::Invalid { line, reason } => stop = Some(Stop::Invalid { line, reason }),
            Event::Failed(err) => stop = Some(Stop::Unreadable(err)),
        }
        match stop {
            Some(_) => ControlFlow::Break(()),
            None if round.is_full() => hand_over(&mut round),
            None => ControlFlow::Continue(()),
        }
    });
    // At the end of input, or at a stop: all is sent, except under --atomic when stopped.
    if streaming || stop.is_none() {
        round.extend(batcher.flush());
        if hand_over(&mut round).is_break() {
            return;
        }
    }
    if let Some(stop) = stop {
        let _ = send(tx, Item::Stop(stop));
    }
}

fn send(tx: &mpsc::Sender<Item>, item: Item) -> ControlFlow<()> {
    match tx.blocking_send(item) {
        Ok(()) => ControlFlow::Continue(()),
        Err(_) => ControlFlow::Break(()),
    }
}
