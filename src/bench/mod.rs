//! `pgpubsub bench`: how fast is LISTEN/NOTIFY on this server, at what latency, and does
//! anything get lost? Every connection is opened and subscribed before the clock starts; then
//! senders run their schedule, listeners check every notification, and the run waits (bounded by
//! the drain timeout) until each listener has everything that was committed, so a listener that
//! falls behind is counted to the last message instead of being cut off.
//!
//! Submodules: `workload` (senders and their schedule), `measure` (listeners, queue sampler),
//! `report` (figures, table, JSON).

mod measure;
mod report;
pub mod workload;

use crate::cli::BenchArgs;
use crate::connect::ConnSettings;
use crate::ephemeral::{Config, Server};
use crate::error::{self, note, stdout_error, Error, Exit, Result};
use crate::signals::{Signal, Signals};
use anyhow::{anyhow, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use measure::{Listener, ListenerResult};
use report::{Outcome, Report, RunFacts};
use sqlx::postgres::{PgConnection, PgListener};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use workload::{BatchBuffers, Clock, Sender, SenderResult, Workload};

/// How sender connections show up in `pg_stat_activity`.
const SENDER_APPLICATION: &str = "pgpubsub-bench-sender";

/// How often the progress bar and the drain condition are looked at.
const TICK: Duration = Duration::from_millis(20);

/// Run the benchmark, print its report, and turn its verdict into the exit status.
pub async fn run(
    args: &BenchArgs,
    verbose: bool,
    signals: &mut Signals,
    out: &mut impl Write,
) -> Result<Exit> {
    let workload = Workload::resolve(args)?;
    let server = if args.ephemeral {
        match signals.guard(Server::start(&Config::default())).await {
            Ok(started) => Some(started?),
            Err(signal) => return Ok(signal.exit()),
        }
    } else {
        None
    };
    let settings = match &server {
        Some(server) => server.settings(),
        None => ConnSettings::resolve(&args.conn)?.for_notifications("bench")?,
    };
    if verbose {
        note(settings.describe());
    }
    let outcome = measure_run(&workload, &settings, signals).await;
    if let Some(server) = server {
        server.stop()?;
    }
    let (report, signal) = match outcome? {
        Ok(done) => done,
        Err(signal) => return Ok(signal.exit()),
    };
    let printed = if args.json {
        report::print_json(&report, out)
    } else {
        report::print_table(&report, out)
    };
    // A closed stdout (`| head -1`) is not a failure, but it must not hide one either.
    match printed.map_err(stdout_error) {
        Ok(()) | Err(Error::StdoutClosed) => Ok(verdict(&report, signal)),
        Err(err) => Err(err),
    }
}

/// Errors and failed delivery are failures (said once more on stderr, for when stdout goes
/// to a file); otherwise a Ctrl-C run ends with the signal's status.
fn verdict(report: &Report, signal: Option<Signal>) -> Exit {
    for err in &report.run.errors {
        error::warn(err);
    }
    if report.failed_delivery() {
        return error::report(
            &anyhow!(
                "delivery failed: {} lost, {} duplicated, {} out of order, {} unexpected",
                report.lost,
                report.duplicated,
                report.out_of_order,
                report.unexpected
            )
            .into(),
        );
    }
    if !report.run.errors.is_empty() {
        return Exit::Failure;
    }
    signal.map_or(Exit::Success, Signal::exit)
}

/// Connect everything (a signal here abandons the run), then run it.
async fn measure_run(
    workload: &Workload,
    settings: &ConnSettings,
    signals: &mut Signals,
) -> Result<Result<(Report, Option<Signal>), Signal>> {
    let connections = match signals.guard(Connections::open(workload, settings)).await {
        Ok(connections) => connections?,
        Err(signal) => return Ok(Err(signal)),
    };
    let (outcome, signal) = connections
        .start(workload)
        .finish(workload, signals)
        .await?;
    Ok(Ok((Report::new(workload, outcome), signal)))
}

/// Every connection of a run, open and subscribed before the clock starts.
struct Connections {
    control: PgConnection,
    server_version: String,
    listeners: Vec<PgListener>,
    senders: Vec<PgConnection>,
}

impl Connections {
    async fn open(workload: &Workload, settings: &ConnSettings) -> Result<Self> {
        // The first connection goes through the usual path, so that an unreachable server or
        // a wrong password reads exactly as for every other subcommand.
        let connected = settings.select().await.map_err(anyhow::Error::from)?;
        // Every other connection goes to the host selection chose.
        let (mut control, settings) = (connected.conn, &connected.settings);
        let server_version: String = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&mut control)
            .await
            .context("cannot read the server version")?;
        let listeners = futures::future::try_join_all(
            (0..workload.listeners).map(|_| measure::subscribe(settings, &workload.channels)),
        )
        .await?;
        let senders =
            futures::future::try_join_all((0..workload.senders).map(|_| connect_sender(settings)))
                .await?;
        Ok(Connections {
            control,
            server_version,
            listeners,
            senders,
        })
    }

    /// Start the clock and every task: listeners, the queue sampler, then the senders.
    fn start(self, workload: &Workload) -> Running {
        let clock = Clock {
            epoch: Instant::now(),
        };
        let measure_start = clock.measure_start(workload);
        let (stop_listening, listening) = watch::channel(false);
        let (stop_sending, sending) = watch::channel(false);
        let unique: Vec<Arc<AtomicU64>> = (0..workload.listeners)
            .map(|_| Arc::new(AtomicU64::new(0)))
            .collect();
        let listeners = self
            .listeners
            .into_iter()
            .zip(&unique)
            .zip(0..)
            .map(|((listener, unique), id)| {
                let listener = Listener {
                    id,
                    listener,
                    clock,
                    measure_start,
                    unique: unique.clone(),
                    stop: listening.clone(),
                };
                tokio::spawn(listener.run(workload.senders))
            })
            .collect();
        let sampler = tokio::spawn(measure::sample_queue(self.control, listening));
        let shared = Arc::new(workload.clone());
        let sent = Arc::new(AtomicU64::new(0));
        let senders = self
            .senders
            .into_iter()
            .zip(0..)
            .map(|(conn, id)| {
                let sender = Sender {
                    id,
                    conn,
                    workload: shared.clone(),
                    clock,
                    progress: sent.clone(),
                    stop: sending.clone(),
                    buffers: BatchBuffers::new(workload),
                };
                tokio::spawn(sender.run())
            })
            .collect();
        Running {
            server_version: self.server_version,
            measure_start,
            listeners,
            unique,
            sampler,
            senders,
            sent,
            stop_sending,
            stop_listening,
            progress: Progress::new(),
            tick: tokio::time::interval(TICK),
            signal: None,
        }
    }
}

/// A run in flight: its tasks, and what they share with the orchestration.
struct Running {
    server_version: String,
    measure_start: Instant,
    listeners: Vec<JoinHandle<ListenerResult>>,
    /// Distinct notifications received, per listener.
    unique: Vec<Arc<AtomicU64>>,
    sampler: JoinHandle<anyhow::Result<f64>>,
    senders: Vec<JoinHandle<SenderResult>>,
    /// Notifications committed, over all senders.
    sent: Arc<AtomicU64>,
    stop_sending: watch::Sender<bool>,
    stop_listening: watch::Sender<bool>,
    progress: Progress,
    tick: tokio::time::Interval,
    /// The first stop signal caught.
    signal: Option<Signal>,
}

impl Running {
    /// Send, drain, collect. Ctrl-C stops sending; another one (or one during the drain) stops
    /// waiting for listeners.
    async fn finish(
        mut self,
        workload: &Workload,
        signals: &mut Signals,
    ) -> Result<(Outcome, Option<Signal>)> {
        let senders = self.send(signals).await?;
        let due: u64 = senders.iter().map(SenderResult::total).sum();
        let drain_timed_out = self.drain(workload, due, signals).await;
        self.progress.finish();
        let _ = self.stop_listening.send(true);
        self.collect(senders, drain_timed_out).await
    }

    /// Wait for the senders to finish, stopping them on the first signal.
    async fn send(&mut self, signals: &mut Signals) -> Result<Vec<SenderResult>> {
        let all_sent = futures::future::join_all(std::mem::take(&mut self.senders));
        tokio::pin!(all_sent);
        let results = loop {
            tokio::select! {
                results = &mut all_sent => break results,
                caught = signals.recv(), if self.signal.is_none() => {
                    self.signal = Some(caught);
                    let _ = self.stop_sending.send(true);
                }
                _ = self.tick.tick() => self
                    .progress
                    .sending(self.sent.load(Ordering::Relaxed), self.received()),
            }
        };
        Ok(results
            .into_iter()
            .collect::<Result<_, _>>()
            .context("a sender task failed")?)
    }

    /// Wait until every listener that is still connected has all `due` notifications, the
    /// drain timeout passes (returns true) or a signal comes.
    async fn drain(&mut self, workload: &Workload, due: u64, signals: &mut Signals) -> bool {
        let deadline = Instant::now() + workload.drain_timeout;
        loop {
            let done = self
                .listeners
                .iter()
                .zip(&self.unique)
                .all(|(task, n)| task.is_finished() || n.load(Ordering::Relaxed) >= due);
            if done {
                return false;
            }
            self.progress
                .draining(self.received(), due * u64::from(workload.listeners));
            tokio::select! {
                () = tokio::time::sleep_until(deadline.into()) => return true,
                caught = signals.recv() => {
                    self.signal.get_or_insert(caught);
                    return false;
                }
                _ = self.tick.tick() => {}
            }
        }
    }

    /// Gather what every task recorded.
    async fn collect(
        self,
        senders: Vec<SenderResult>,
        drain_timed_out: bool,
    ) -> Result<(Outcome, Option<Signal>)> {
        let listeners: Vec<ListenerResult> = futures::future::join_all(self.listeners)
            .await
            .into_iter()
            .collect::<Result<_, _>>()
            .context("a listener task failed")?;
        let mut errors: Vec<String> = senders
            .iter()
            .filter_map(|s| s.error.clone())
            .chain(listeners.iter().filter_map(|l| l.error.clone()))
            .collect();
        let peak_queue_usage = match self.sampler.await.context("the queue sampler failed")? {
            Ok(peak) => Some(peak),
            Err(err) => {
                errors.push(format!("{err:#}"));
                None
            }
        };
        let outcome = Outcome {
            run: RunFacts {
                server_version: self.server_version,
                interrupted: self.signal.is_some(),
                drain_timed_out,
                peak_queue_usage,
                errors,
            },
            measure_start: self.measure_start,
            senders,
            listeners,
        };
        Ok((outcome, self.signal))
    }

    /// Distinct notifications received so far, over all listeners.
    fn received(&self) -> u64 {
        self.unique.iter().map(|n| n.load(Ordering::Relaxed)).sum()
    }
}

/// A sender connection, named so that it can be told apart in `pg_stat_activity`.
async fn connect_sender(settings: &ConnSettings) -> Result<PgConnection> {
    settings
        .with_application_name(SENDER_APPLICATION)
        .connect()
        .await
        .map_err(|err| anyhow!("sender: {err}").into())
}

/// The progress line on stderr; hidden unless stderr is a terminal.
struct Progress(ProgressBar);

impl Progress {
    fn new() -> Self {
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                    .expect("the template is valid"),
            );
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress(bar)
    }

    fn sending(&self, sent: u64, received: u64) {
        self.0
            .set_message(format!("sending: {sent} sent, {received} received"));
        self.0.tick();
    }

    fn draining(&self, received: u64, due: u64) {
        self.0.set_message(format!(
            "draining: {received} of {due} received (Ctrl-C stops waiting)"
        ));
        self.0.tick();
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
