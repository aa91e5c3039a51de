//! `pgpubsub listen`: notifications from one dedicated connection to stdout (or to `--exec`),
//! until a stop condition. The loop owns reconnection because LISTEN has no memory: whatever is
//! sent while we are away is gone, so a gap must never be hidden. Every lost connection is
//! reported with its downtime, and every notification already received is written out before
//! any exit (`--exec` starts no command after a stop: those are counted on stderr instead).

mod durable;
mod exec;
mod gap;
mod plan;

use crate::app::Context;
use crate::connect::ConnSettings;
use crate::error::{note, status, stdout_error, warn, Error, Exit, Result};
use crate::journal::{Fault, Reader};
use crate::output::{stdout_closed, Event, Record, Sink};
use crate::ready;
use crate::session::{self, Failure, Item, Session};
use crate::signals::{Signal, Signals};
use anyhow::anyhow;
use futures::FutureExt;
pub use plan::{channels, Handler, Hook, Settings, Upkeep};
use sqlx::postgres::PgNotification;
use std::io::Write;
use std::pin::Pin;
use std::time::{Duration, SystemTime};
use tokio::time::{Instant, Sleep};

/// Most batches handled between two looks at signals and timers.
const MAX_READY: usize = 8;
/// How long a stop (a signal, a timeout) may keep us writing out what had already arrived.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);
/// "Never", for timers that are off (far enough to be never, near enough not to overflow).
const NEVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Run `pgpubsub listen` to its exit status.
pub async fn run(plan: Settings, settings: ConnSettings, ctx: &mut Context) -> Result<Exit> {
    let started = Instant::now();
    let verbose = ctx.verbose;
    ready::reset(plan.ready_file.as_deref()).map_err(|e| anyhow!("--ready-file: {e}"))?;
    let opening = Session::open(&settings, &plan.channels, plan.upkeep.ping_limit());
    // --timeout bounds the whole run, connecting included.
    let deadline = started + plan.timeout.unwrap_or(NEVER);
    let session = match ctx
        .guard(tokio::time::timeout_at(deadline, opening).map(Ok::<_, Error>))
        .await?
    {
        Ok(opened) => opened?,
        Err(_) => {
            return Err(anyhow!(
                "--timeout {} reached before the connection was made (each host may take \
                 --connect-timeout)",
                humantime::format_duration(plan.timeout.unwrap_or_default())
            )
            .into())
        }
    };
    if verbose {
        session.passed.iter().for_each(note);
        note(format!(
            "listening on {} channel(s) on {}",
            plan.channels.len(),
            session.host
        ));
    } else {
        status(listening_line(&plan.channels, &session.host));
    }
    ready::announce(plan.ready_file.as_deref()).map_err(|e| anyhow!("--ready-file: {e}"))?;
    let durable = plan.durable.clone();
    let mut listener = Listener {
        plan,
        settings,
        verbose,
        out: Sink::new(ctx.stdout()),
        received: 0,
        started,
        last_notification: started,
        stopping: None,
        unhandled: 0,
    };
    let channels = listener.plan.channels.clone();
    listener.event(&Event::Listening {
        channels: &channels,
    })?;
    let reader = match durable {
        Some(journal) => {
            let opened = ctx.guard(durable::open(&session, journal, verbose)).await?;
            Some(opened)
        }
        None => None,
    };
    listener.run(session, reader, &mut ctx.signals).await
}

/// What a person at a terminal sees once every channel is held.
fn listening_line(channels: &[String], host: &str) -> String {
    const SHOWN: usize = 5;
    let mut names = channels[..channels.len().min(SHOWN)].join(", ");
    if channels.len() > SHOWN {
        names.push_str(&format!(" and {} more", channels.len() - SHOWN));
    }
    format!("listening on {names} on {host} (Ctrl-C to stop)")
}

/// The state of one `listen` run.
struct Listener<W: Write> {
    plan: Settings,
    settings: ConnSettings,
    verbose: bool,
    out: Sink<W>,
    received: u64,
    started: Instant,
    last_notification: Instant,
    /// Set once the run must end; what is already received is still written out.
    stopping: Option<Stop>,
    /// Received notifications that `--exec` was not given because the run was stopping.
    unhandled: u64,
}

/// Why the run ends.
#[derive(Clone, Copy)]
enum Stop {
    Signal(Signal),
    /// `--timeout` or `--idle-timeout`, as the flag is written.
    Limit(&'static str),
}

/// What woke the loop.
enum Step {
    Signal(Signal),
    StopTimer,
    Received(Item),
    Idle,
    Keepalive,
    /// `--durable`: time to check live records against the journal and move the floor.
    Settle,
}

/// After a connection loss: listen again on a new session, or stop.
enum Flow {
    Resume(Box<Session>),
    Stop(Exit),
}

impl<W: Write> Listener<W> {
    async fn run(
        &mut self,
        mut session: Session,
        mut reader: Option<Reader>,
        signals: &mut Signals,
    ) -> Result<Exit> {
        let stop = tokio::time::sleep_until(self.next_stop());
        tokio::pin!(stop);
        let keepalive = tokio::time::sleep(self.plan.upkeep.keepalive.unwrap_or(NEVER));
        tokio::pin!(keepalive);
        let closed = stdout_closed();
        tokio::pin!(closed);
        let settle = tokio::time::sleep(NEVER);
        tokio::pin!(settle);
        let mut lost = match &mut reader {
            Some(reader) => self.catch_up(reader, signals, None).await?,
            None => None,
        };
        loop {
            if let Some(stop) = self.stopping {
                // What arrived before the stop was received in time.
                self.drain(&mut session, reader.as_mut(), signals).await?;
                let exit = match stop {
                    Stop::Signal(signal) => signal.exit(),
                    Stop::Limit(limit) => self.stopped_by(limit),
                };
                return self.finish(exit, reader.as_mut(), signals).await;
            }
            if let Some(failure) = lost.take() {
                match self
                    .reconnect(session, reader.as_mut(), failure, signals, stop.as_mut())
                    .await?
                {
                    Flow::Resume(new) => session = *new,
                    Flow::Stop(exit) => return self.finish(exit, reader.as_mut(), signals).await,
                }
                continue;
            }
            if self.count_reached() {
                return self.finish(Exit::Success, reader.as_mut(), signals).await;
            }
            let settle_at = reader.as_ref().and_then(Reader::next_read);
            if let Some(at) = settle_at {
                if settle.deadline() != at {
                    settle.as_mut().reset(at);
                }
            }
            let step = tokio::select! {
                biased;
                signal = signals.recv() => Step::Signal(signal),
                _ = &mut stop => Step::StopTimer,
                received = session.recv() => Step::Received(received),
                // Only when nothing else is ready: the moment to flush a batch.
                _ = std::future::ready(()), if self.out.dirty() => Step::Idle,
                _ = &mut settle, if settle_at.is_some() => Step::Settle,
                _ = &mut keepalive => Step::Keepalive,
                _ = &mut closed => return Err(Error::StdoutClosed),
            };
            lost = match step {
                Step::Signal(signal) => {
                    self.stopping = Some(Stop::Signal(signal));
                    None
                }
                Step::StopTimer => {
                    self.stopping = self.stop_due().map(Stop::Limit);
                    stop.as_mut().reset(self.next_stop());
                    None
                }
                Step::Received(Item::Batch(batch)) => {
                    self.last_notification = Instant::now();
                    let now = SystemTime::now();
                    match self
                        .handle_batch(&batch, now, reader.as_mut(), signals)
                        .await?
                    {
                        None => {
                            self.take_ready(&mut session, now, reader.as_mut(), signals)
                                .await?
                        }
                        lost => lost,
                    }
                }
                Step::Received(Item::Lost(failure)) => Some(failure),
                // Only sent after Session::stop; were it ever seen here, the next recv reports
                // the session as lost, which is safe.
                Step::Received(Item::Drained) => None,
                Step::Idle => {
                    self.out.flush().map_err(stdout_error)?;
                    None
                }
                Step::Settle => match reader.as_mut() {
                    Some(reader) => {
                        let mut out = durable::Out::new(self, signals);
                        durable::lost(reader.settle(&mut out).await)?
                    }
                    None => None,
                },
                Step::Keepalive => {
                    let limit = self.plan.upkeep.ping_limit();
                    if self.last_notification.elapsed() >= limit {
                        session.ping();
                    }
                    let next = self.last_notification.max(Instant::now()) + limit;
                    keepalive.as_mut().reset(next);
                    None
                }
            };
        }
    }

    /// Print one record, or hand it to `--exec`; whether it was handled. A stop signal that
    /// comes while a command runs makes the run stop once it is done. A command that fails is
    /// reported and listening goes on, except for a durable consumer: its position must not
    /// pass the record, so the run ends (exit 1) and the record comes again at the next start.
    async fn handle(&mut self, record: &Record<'_>, signals: &mut Signals) -> Result<bool> {
        self.received += 1;
        match &mut self.plan.handler {
            Handler::Print(printer) => {
                printer
                    .record(&mut self.out, record)
                    .map_err(stdout_error)?;
            }
            Handler::Exec(command) => {
                let ran = exec::run(command, record, signals).await;
                // Busy handling is not idle: --idle-timeout counts from here.
                self.last_notification = Instant::now();
                if let Some(signal) = ran.stop {
                    self.stopping = Some(Stop::Signal(signal));
                    // Ended by a second signal, or failed while stopping: not handled, and
                    // the run ends by the signal.
                    return Ok(ran.ok);
                }
                let consumer = self.plan.durable.as_ref().and_then(|d| d.consumer.as_ref());
                if let (false, Some(name), Some(position)) = (ran.ok, consumer, record.position) {
                    return Err(anyhow::anyhow!(
                        "--exec failed for the record at position {position}; stopping so that \
                         consumer {name:?} does not store a position past it (it is delivered \
                         again at the next start)"
                    )
                    .into());
                }
            }
        }
        Ok(true)
    }

    /// Whether the run must look for a stop before handing on the next record: `--exec`
    /// commands may take any time, so a stop (signal, timer) must not wait for more of them.
    fn stop_before_exec(&mut self, signals: &mut Signals) -> bool {
        let Handler::Exec(_) = self.plan.handler else {
            return false;
        };
        self.stopping = self.stopping.or_else(|| {
            let signal = signals.recv().now_or_never().map(Stop::Signal);
            signal.or_else(|| self.stop_due().map(Stop::Limit))
        });
        self.stopping.is_some()
    }

    /// A batch from the session: plain notifications handled, or a durable listener's handed
    /// to the journal reader. Returns the failure if the journal's connection was lost.
    async fn handle_batch(
        &mut self,
        batch: &[PgNotification],
        now: SystemTime,
        reader: Option<&mut Reader>,
        signals: &mut Signals,
    ) -> Result<Option<Failure>> {
        let Some(reader) = reader else {
            self.handle_all(batch, now, signals).await?;
            return Ok(None);
        };
        let mut out = durable::Out::new(self, signals);
        for (i, notification) in batch.iter().enumerate() {
            if out.refuses() {
                out.unhandled((batch.len() - i) as u64);
                break;
            }
            if let Some(failure) = durable::lost(reader.live(notification, &mut out).await)? {
                return Ok(Some(failure));
            }
        }
        Ok(None)
    }

    /// Handle a batch of notifications, all received at `now` (they arrived together), up to
    /// --count. Printing is the hot path: one tight loop over the batch, nothing awaited.
    /// `--exec` looks for a stop (signal, timer) before each command, since commands may take
    /// any time: once stopping, the rest of the batch is left unhandled.
    async fn handle_all(
        &mut self,
        batch: &[PgNotification],
        now: SystemTime,
        signals: &mut Signals,
    ) -> Result<()> {
        let wanted = self.plan.count.map_or(batch.len(), |count| {
            batch
                .len()
                .min(count.saturating_sub(self.received) as usize)
        });
        let batch = &batch[..wanted];
        if let Handler::Print(printer) = &mut self.plan.handler {
            for notification in batch {
                let record = Record {
                    position: None,
                    channel: notification.channel(),
                    payload: notification.payload(),
                    pid: notification.process_id(),
                    received_at: now,
                };
                printer
                    .record(&mut self.out, &record)
                    .map_err(stdout_error)?;
            }
            self.received += batch.len() as u64;
            return Ok(());
        }
        for (i, notification) in batch.iter().enumerate() {
            if self.stop_before_exec(signals) {
                self.unhandled += (batch.len() - i) as u64;
                break;
            }
            let record = Record {
                position: None,
                channel: notification.channel(),
                payload: notification.payload(),
                pid: notification.process_id(),
                received_at: now,
            };
            self.handle(&record, signals).await?;
        }
        Ok(())
    }

    /// Handle the batches that are ready now, up to MAX_READY, without a trip through the
    /// select loop for each. Returns the failure if the connection was found lost.
    async fn take_ready(
        &mut self,
        session: &mut Session,
        now: SystemTime,
        mut reader: Option<&mut Reader>,
        signals: &mut Signals,
    ) -> Result<Option<Failure>> {
        for _ in 0..MAX_READY {
            if self.count_reached() || self.stopping.is_some() {
                break;
            }
            match session.ready() {
                Some(Item::Batch(batch)) => {
                    let lost = self
                        .handle_batch(&batch, now, reader.as_deref_mut(), signals)
                        .await?;
                    if lost.is_some() {
                        return Ok(lost);
                    }
                }
                Some(Item::Lost(failure)) => return Ok(Some(failure)),
                Some(Item::Drained) | None => break,
            }
        }
        Ok(None)
    }

    /// On a stop (a signal, --timeout, --idle-timeout): stop reading, and write out what has
    /// already arrived (in our buffers or the socket's). `--exec` starts no new command, since
    /// a handler may take any time and a stop must stop; how many notifications it did not
    /// get is said instead.
    async fn drain(
        &mut self,
        session: &mut Session,
        mut reader: Option<&mut Reader>,
        signals: &mut Signals,
    ) -> Result<()> {
        session.stop();
        let until = Instant::now() + DRAIN_LIMIT;
        let now = SystemTime::now();
        while !self.count_reached() {
            match tokio::time::timeout_at(until, session.recv()).await {
                Ok(Item::Batch(batch)) if matches!(self.plan.handler, Handler::Exec(_)) => {
                    self.unhandled += batch.len() as u64
                }
                Ok(Item::Batch(batch)) => {
                    let reader = reader.as_deref_mut();
                    if self
                        .handle_batch(&batch, now, reader, signals)
                        .await?
                        .is_some()
                    {
                        break;
                    }
                }
                _ => break,
            }
        }
        let wanted = self.plan.count.map_or(u64::MAX, |n| n - self.received);
        match self.unhandled.min(wanted) {
            0 => {}
            1 => warn("1 notification already received was not handed to --exec"),
            n => warn(format!(
                "{n} notifications already received were not handed to --exec"
            )),
        }
        Ok(())
    }

    /// The connection is gone (everything it delivered has been handled): report the gap and
    /// open a new session with capped exponential backoff (unless --no-reconnect), then run
    /// the --on-gap hook before anything the new session receives is handled. A durable
    /// listener instead replays from the journal what it missed (before anything new, in
    /// position order) and says so.
    async fn reconnect(
        &mut self,
        lost: Session,
        mut reader: Option<&mut Reader>,
        failure: Failure,
        signals: &mut Signals,
        mut stop: Pin<&mut Sleep>,
    ) -> Result<Flow> {
        drop(lost);
        self.out.flush().map_err(stdout_error)?;
        let mut failure = failure;
        loop {
            let reason = format!("{failure:#}");
            self.event(&Event::Disconnected { reason: &reason })?;
            if !self.plan.reconnect {
                return Err(failure.context("connection lost (--no-reconnect)").into());
            }
            let gap = match reader {
                Some(_) => "replaying what was missed from the journal",
                None => session::LOST,
            };
            let (session, down) = {
                let reopening = session::reopen(
                    &self.settings,
                    &self.plan.channels,
                    self.plan.upkeep,
                    &failure,
                    self.verbose,
                    gap,
                );
                tokio::pin!(reopening);
                loop {
                    tokio::select! {
                        biased;
                        signal = signals.recv() => return Ok(Flow::Stop(signal.exit())),
                        _ = &mut stop => {
                            if let Some(limit) = self.stop_due() {
                                return Ok(Flow::Stop(self.stopped_by(limit)));
                            }
                            stop.as_mut().reset(self.next_stop());
                        }
                        reopened = &mut reopening => break reopened,
                    }
                }
            };
            self.event(&Event::Reconnected {
                down_ms: down.as_millis(),
                host: &session.host,
            })?;
            if let Some(reader) = reader.as_deref_mut() {
                let caught_up = async {
                    reader.reconnect(&session.settings).await?;
                    Ok(())
                };
                let replayed = match durable::lost(caught_up.await)? {
                    Some(again) => Err(again),
                    None => match self.catch_up(reader, signals, Some(down)).await? {
                        Some(again) => Err(again),
                        None => Ok(()),
                    },
                };
                match replayed {
                    Ok(()) => return Ok(Flow::Resume(Box::new(session))),
                    Err(again) => {
                        failure = again;
                        continue;
                    }
                }
            }
            if let Some(hook) = &self.plan.on_gap {
                if let Some(exit) = gap::run(hook, down, &reason, signals).await? {
                    return Ok(Flow::Stop(exit));
                }
            }
            return Ok(Flow::Resume(Box::new(session)));
        }
    }

    /// Replay from the journal what the reader has not read yet, in position order, and say
    /// so (`caught_up`; after a reconnect, with the gap's length). The failure if the
    /// journal's connection was lost meanwhile.
    async fn catch_up(
        &mut self,
        reader: &mut Reader,
        signals: &mut Signals,
        down: Option<std::time::Duration>,
    ) -> Result<Option<Failure>> {
        let mut out = durable::Out::new(self, signals);
        let replayed = match durable::caught_up(reader.catch_up(&mut out).await)? {
            Ok(replayed) => replayed,
            Err(failure) => return Ok(Some(failure)),
        };
        self.out.flush().map_err(stdout_error)?;
        if let Some(down) = down {
            note(format!(
                "replayed {} missed during the {} gap",
                crate::notify::counted(replayed, "record"),
                humantime::format_duration(std::time::Duration::from_millis(
                    down.as_millis() as u64
                ))
            ));
        } else if self.verbose || replayed > 0 {
            note(format!(
                "replayed {} from the journal; now live",
                crate::notify::counted(replayed, "record")
            ));
        }
        self.event(&Event::CaughtUp {
            replayed,
            down_ms: down.map(|d| d.as_millis()),
        })?;
        Ok(None)
    }

    fn count_reached(&self) -> bool {
        self.plan.count.is_some_and(|n| self.received >= n)
    }

    /// When the next stop condition (--timeout, --idle-timeout) may be due.
    fn next_stop(&self) -> Instant {
        let timeout = self.plan.timeout.map(|t| self.started + t);
        let idle = self.plan.idle_timeout.map(|t| self.last_notification + t);
        [timeout, idle]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or_else(|| Instant::now() + NEVER)
    }

    /// Which stop condition (`--timeout`, `--idle-timeout`) has been reached, if any.
    fn stop_due(&self) -> Option<&'static str> {
        let now = Instant::now();
        if self.plan.timeout.is_some_and(|t| now >= self.started + t) {
            Some("--timeout")
        } else if self
            .plan
            .idle_timeout
            .is_some_and(|t| now >= self.last_notification + t)
        {
            Some("--idle-timeout")
        } else {
            None
        }
    }

    /// The exit status once `limit` (a flag) has stopped the run: a timeout if --count was
    /// asked for and is still short, saying so.
    fn stopped_by(&self, limit: &str) -> Exit {
        match self.plan.count {
            Some(count) if !self.count_reached() => {
                note(format!(
                    "{limit} reached after {} of {count} notifications",
                    self.received
                ));
                Exit::Timeout
            }
            _ => Exit::Success,
        }
    }

    /// Write an `--events` record (and flush it: events are rare and worth seeing at once).
    fn event(&mut self, event: &Event) -> Result<()> {
        let Handler::Print(printer) = &mut self.plan.handler else {
            return Ok(());
        };
        if self.plan.events {
            printer.event(&mut self.out, event).map_err(stdout_error)?;
            self.out.flush().map_err(stdout_error)?;
        }
        Ok(())
    }

    /// End the run: write out what is buffered and, for a durable consumer, store how far it
    /// got (bounded: a server that does not answer is not waited for).
    async fn finish(
        &mut self,
        exit: Exit,
        reader: Option<&mut Reader>,
        signals: &mut Signals,
    ) -> Result<Exit> {
        self.out.flush().map_err(stdout_error)?;
        if let Some(reader) = reader {
            let mut out = durable::Out::new(self, signals);
            match tokio::time::timeout(DRAIN_LIMIT, reader.finish(&mut out)).await {
                Ok(Ok(())) => {}
                Ok(Err(Fault::Fatal(err))) => return Err(err),
                Ok(Err(Fault::Lost(err))) => {
                    warn(format!("cannot store the consumer's position: {err:#}"))
                }
                Err(_) => warn(format!(
                    "cannot store the consumer's position: the server did not answer within {}",
                    humantime::format_duration(DRAIN_LIMIT)
                )),
            }
        }
        Ok(exit)
    }
}
