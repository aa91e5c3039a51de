//! `pgpubsub listen`: notifications from one dedicated connection to stdout (or to `--exec`),
//! until a stop condition. The loop owns reconnection because LISTEN has no memory: whatever is
//! sent while we are away is gone, so a gap must never be hidden. Every lost connection is
//! reported with its downtime, and every notification already received is written out before
//! any exit (`--exec` starts no command after a stop: those are counted on stderr instead).

mod exec;
mod gap;
mod plan;

use crate::app::Context;
use crate::connect::ConnSettings;
use crate::error::{note, status, stdout_error, warn, Error, Exit, Result};
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
    listener.run(session, &mut ctx.signals).await
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
}

/// After a connection loss: listen again on a new session, or stop.
enum Flow {
    Resume(Session),
    Stop(Exit),
}

impl<W: Write> Listener<W> {
    async fn run(&mut self, mut session: Session, signals: &mut Signals) -> Result<Exit> {
        let stop = tokio::time::sleep_until(self.next_stop());
        tokio::pin!(stop);
        let keepalive = tokio::time::sleep(self.plan.upkeep.keepalive.unwrap_or(NEVER));
        tokio::pin!(keepalive);
        let closed = stdout_closed();
        tokio::pin!(closed);
        loop {
            if self.count_reached() {
                return self.finish(Exit::Success);
            }
            let step = tokio::select! {
                biased;
                signal = signals.recv() => Step::Signal(signal),
                _ = &mut stop => Step::StopTimer,
                received = session.recv() => Step::Received(received),
                // Only when nothing else is ready: the moment to flush a batch.
                _ = std::future::ready(()), if self.out.dirty() => Step::Idle,
                _ = &mut keepalive => Step::Keepalive,
                _ = &mut closed => return Err(Error::StdoutClosed),
            };
            let lost = match step {
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
                    self.handle_all(&batch, now, signals).await?;
                    self.take_ready(&mut session, now, signals).await?
                }
                Step::Received(Item::Lost(failure)) => Some(failure),
                // Only sent after Session::stop; were it ever seen here, the next recv reports
                // the session as lost, which is safe.
                Step::Received(Item::Drained) => None,
                Step::Idle => {
                    self.out.flush().map_err(stdout_error)?;
                    None
                }
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
            if let Some(stop) = self.stopping {
                // What arrived before the stop was received in time.
                self.drain(&mut session, signals).await?;
                let exit = match stop {
                    Stop::Signal(signal) => signal.exit(),
                    Stop::Limit(limit) => self.stopped_by(limit),
                };
                return self.finish(exit);
            }
            if let Some(failure) = lost {
                match self
                    .reconnect(session, failure, signals, stop.as_mut())
                    .await?
                {
                    Flow::Resume(new) => session = new,
                    Flow::Stop(exit) => return self.finish(exit),
                }
            }
        }
    }

    /// Hand one notification to `--exec` (a stop signal that comes while the command runs
    /// makes the run stop once it is done).
    async fn exec(&mut self, notification: &PgNotification, signals: &mut Signals) {
        let Handler::Exec(command) = &self.plan.handler else {
            return;
        };
        self.received += 1;
        let (channel, payload) = (notification.channel(), notification.payload());
        let pid = notification.process_id();
        if let Some(signal) = exec::run(command, channel, payload, pid, signals).await {
            self.stopping = Some(Stop::Signal(signal));
        }
        // Busy handling is not idle: --idle-timeout counts from here.
        self.last_notification = Instant::now();
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
            batch.len().min(count.saturating_sub(self.received) as usize)
        });
        let batch = &batch[..wanted];
        if let Handler::Print(printer) = &mut self.plan.handler {
            for notification in batch {
                let record = Record {
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
            self.stopping = self.stopping.or_else(|| {
                let signal = signals.recv().now_or_never().map(Stop::Signal);
                signal.or_else(|| self.stop_due().map(Stop::Limit))
            });
            if self.stopping.is_some() {
                self.unhandled += (batch.len() - i) as u64;
                break;
            }
            self.exec(notification, signals).await;
        }
        Ok(())
    }

    /// Handle the batches that are ready now, up to MAX_READY, without a trip through the
    /// select loop for each. Returns the failure if the connection was found lost.
    async fn take_ready(
        &mut self,
        session: &mut Session,
        now: SystemTime,
        signals: &mut Signals,
    ) -> Result<Option<Failure>> {
        for _ in 0..MAX_READY {
            if self.count_reached() || self.stopping.is_some() {
                break;
            }
            match session.ready() {
                Some(Item::Batch(batch)) => self.handle_all(&batch, now, signals).await?,
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
    async fn drain(&mut self, session: &mut Session, signals: &mut Signals) -> Result<()> {
        session.stop();
        let until = Instant::now() + DRAIN_LIMIT;
        let now = SystemTime::now();
        while !self.count_reached() {
            match tokio::time::timeout_at(until, session.recv()).await {
                Ok(Item::Batch(batch)) if matches!(self.plan.handler, Handler::Exec(_)) => {
                    self.unhandled += batch.len() as u64
                }
                Ok(Item::Batch(batch)) => self.handle_all(&batch, now, signals).await?,
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
    /// the --on-gap hook before anything the new session receives is handled.
    async fn reconnect(
        &mut self,
        lost: Session,
        failure: Failure,
        signals: &mut Signals,
        mut stop: Pin<&mut Sleep>,
    ) -> Result<Flow> {
        drop(lost);
        self.out.flush().map_err(stdout_error)?;
        let reason = format!("{failure:#}");
        self.event(&Event::Disconnected { reason: &reason })?;
        if !self.plan.reconnect {
            return Err(failure.context("connection lost (--no-reconnect)").into());
        }
        let (session, down) = {
            let reopening = session::reopen(
                &self.settings,
                &self.plan.channels,
                self.plan.upkeep,
                &failure,
                self.verbose,
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
        if let Some(hook) = &self.plan.on_gap {
            if let Some(exit) = gap::run(hook, down, &reason, signals).await? {
                return Ok(Flow::Stop(exit));
            }
        }
        Ok(Flow::Resume(session))
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

    fn finish(&mut self, exit: Exit) -> Result<Exit> {
        self.out.flush().map_err(stdout_error)?;
        Ok(exit)
    }
}
