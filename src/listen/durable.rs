//! `listen --durable`: the listener's side of the journal reader. The reader decides which
//! records to hand on (and never skips one); this adapter hands each to the listener's printer
//! or command exactly as a live notification is handed, with its position, and tells the
//! reader when the run is stopping.

use super::{Listener, Stop};
use crate::error::{note, stdout_error, Error, Result};
use crate::journal::{self, Deliver, Fault, Opening, Reader};
use crate::output::Record;
use crate::session::{Failure, Session};
use crate::signals::Signals;
use futures::FutureExt;
use std::io::Write;
use std::time::SystemTime;

/// How many records a long read hands on between two looks at the clock and the signals.
const LOOK_EVERY: u32 = 1024;

/// Open the journal reader on the listening session's server and say where it starts.
pub async fn open(session: &Session, plan: journal::Plan, verbose: bool) -> Result<Reader> {
    let consumer = plan.consumer.clone();
    let (reader, opening) =
        Reader::open(&session.settings, plan)
            .await
            .map_err(|fault| match fault {
                Fault::Fatal(err) => err,
                Fault::Lost(err) => Error::from(err.context("cannot read the journal")),
            })?;
    let said = match (&consumer, opening) {
        (Some(name), Opening::Resumed { position }) => Some(format!(
            "consumer {name:?}: resuming after position {position}"
        )),
        (Some(name), Opening::Registered { position }) => Some(format!(
            "consumer {name:?}: starting after position {position}; its progress is stored \
             from now on"
        )),
        (_, Opening::Started { position }) if verbose => {
            Some(format!("reading the journal after position {position}"))
        }
        _ => None,
    };
    if let Some(text) = said {
        note(text);
    }
    Ok(reader)
}

/// A lost journal connection as the listener's failure (to reconnect from); any other fault
/// ends the run.
pub fn lost<T>(result: std::result::Result<T, Fault>) -> Result<Option<Failure>> {
    match result {
        Ok(_) => Ok(None),
        Err(Fault::Lost(failure)) => Ok(Some(failure)),
        Err(Fault::Fatal(err)) => Err(err),
    }
}

/// A catch-up's count, or the failure that interrupted it.
pub fn caught_up(
    result: std::result::Result<u64, Fault>,
) -> Result<std::result::Result<u64, Failure>> {
    match result {
        Ok(replayed) => Ok(Ok(replayed)),
        Err(Fault::Lost(failure)) => Ok(Err(failure)),
        Err(Fault::Fatal(err)) => Err(err),
    }
}

/// The listener as the reader's destination.
pub struct Out<'a, W: Write> {
    listener: &'a mut Listener<W>,
    signals: &'a mut Signals,
    /// When the records of this read were received (looked at again every LOOK_EVERY).
    now: SystemTime,
    handed: u32,
}

impl<'a, W: Write> Out<'a, W> {
    pub fn new(listener: &'a mut Listener<W>, signals: &'a mut Signals) -> Self {
        Out {
            listener,
            signals,
            now: SystemTime::now(),
            handed: 0,
        }
    }

    /// The run is stopping, or --count is reached: read no further.
    pub fn stopped(&self) -> bool {
        self.listener.count_reached() || self.listener.stopping.is_some()
    }

    /// `n` records received were not handed to a command (the run is stopping): counted, to
    /// be said at the end.
    pub fn unhandled(&mut self, n: u64) {
        if !self.listener.count_reached() {
            self.listener.unhandled += n;
        }
    }

    /// No record at hand may be handed on any more: --count is reached, or the run is stopping
    /// and records go to --exec (a stop starts no new command; printing what was received
    /// goes on).
    pub fn refuses(&self) -> bool {
        let exec = matches!(self.listener.plan.handler, super::Handler::Exec(_));
        self.listener.count_reached() || (exec && self.listener.stopping.is_some())
    }
}

impl<W: Write> Deliver for Out<'_, W> {
    /// Once the run is stopping, records at hand are still printed (as a plain listener writes
    /// out what it received), but no new command starts.
    async fn deliver(&mut self, record: &journal::Record<'_>) -> Result<bool> {
        if self.refuses() {
            return Ok(false);
        }
        self.handed += 1;
        if self.handed.is_multiple_of(LOOK_EVERY) {
            // A catch-up of millions of records must still stop at a signal.
            self.now = SystemTime::now();
            if let Some(signal) = self.signals.recv().now_or_never() {
                self.listener.stopping = Some(Stop::Signal(signal));
                return Ok(false);
            }
        }
        if self.listener.stop_before_exec(self.signals) {
            self.listener.unhandled += 1;
            return Ok(false);
        }
        let record = Record {
            position: Some(record.position),
            channel: record.channel,
            payload: record.payload,
            pid: record.pid as u32,
            received_at: self.now,
        };
        self.listener.handle(&record, self.signals).await
    }

    fn done(&self) -> bool {
        self.stopped()
    }

    fn flush(&mut self) -> Result<()> {
        self.listener.out.flush().map_err(stdout_error)
    }
}
