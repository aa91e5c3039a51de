//! `pgpubsub bench`: how fast is LISTEN/NOTIFY on this server, at what latency, and does
//! anything get lost? Every connection is opened and subscribed before the clock starts; then
//! senders run their schedule (each on a thread of its own, so that they keep it to the
//! microsecond), listeners check every notification, and the run waits (bounded by the drain
//! timeout) until each listener has everything that was committed, so a listener that falls
//! behind is counted to the last message instead of being cut off.
//!
//! Submodules: `workload` (what to send, senders and their schedule), `schedule` (precise
//! waits on dedicated threads), `measure` (listeners, queue sampler), `sessions` (idle and
//! stalled listeners), `writers` (the write-path scenario), `sweep` (one run per rate),
//! `server` (version and settings), `report` (figures, table, JSON, CSV), `chart` (terminal
//! pictures).

mod chart;
mod export;
mod lanes;
mod measure;
mod report;
mod schedule;
mod server;
mod sessions;
mod sweep;
mod workload;
mod writers;

use crate::app::Context;
use crate::connect::ConnSettings;
use crate::ephemeral::{Config, Server};
use crate::error::{self, note, stdout_error, Error, Exit, Result};
use crate::signals::{Signal, Signals};
use anyhow::{anyhow, Context as _};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lanes::{Lane, Lanes, Opening};
use measure::{Listener, ListenerResult, Sample};
use report::{Outcome, Report, RunFacts};
use server::ServerFacts;
use sessions::Stalled;
use sqlx::postgres::{PgConnection, PgListener};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use workload::{BatchBuffers, Clock, Sender, SenderResult, Start, Workload};
pub use writers::WritersPlan;

/// How sender connections show up in `pg_stat_activity`.
const SENDER_APPLICATION: &str = "pgpubsub-bench-sender";

/// How writer connections show up in `pg_stat_activity`.
const WRITER_APPLICATION: &str = "pgpubsub-bench-writer";

/// How often the progress bar and the drain condition are looked at.
const TICK: Duration = Duration::from_millis(20);

/// `bench` as asked for, free of how it was asked (flags): what `app` resolves the command
/// line into.
#[derive(Debug, Clone)]
pub struct Settings {
    pub senders: u32,
    pub listeners: u32,
    pub channels: u32,
    pub payload_size: usize,
    pub batch: u32,
    pub messages: Option<u64>,
    pub duration: Option<Duration>,
    pub rate: Option<f64>,
    pub warmup: Option<Duration>,
    pub drain_timeout: Duration,
    pub idle_listeners: u32,
    pub stalled_listener: bool,
    pub writers: Option<WritersPlan>,
    pub sweep: Option<SweepPlan>,
    pub format: Format,
    /// The server to measure; `None` starts a throwaway one for the run.
    pub server: Option<ConnSettings>,
    /// The throwaway server to start when `server` is `None`.
    pub throwaway: Config,
}

/// `--sweep FROM..TO`, doubling, and what a step must meet.
#[derive(Debug, Clone, Copy)]
pub struct SweepPlan {
    pub from: f64,
    pub to: f64,
    pub p99_target: Option<Duration>,
}

pub use export::Format;

/// Run the benchmark, print its report, and turn its verdict into the exit status. A stop
/// signal before the clock starts abandons the run ([`Error::Stopped`]); after, it ends the
/// run early with a partial report.
pub async fn run(settings: &Settings, ctx: &mut Context) -> Result<Exit> {
    let workload = Workload::resolve(settings)?;
    let (conn, throwaway) = match &settings.server {
        Some(conn) => (conn.clone(), None),
        None => {
            let server = ctx.guard(Server::start(&settings.throwaway)).await?;
            (server.settings(), Some(server))
        }
    };
    if ctx.verbose {
        note(conn.describe());
    }
    let outcome = match &settings.sweep {
        Some(plan) => sweep::run(&workload, plan, &conn, ctx)
            .await
            .map(|(report, signal)| (Printed::Sweep(report), signal)),
        None => measure_run(&workload, &conn, ctx)
            .await
            .map(|(report, signal)| (Printed::Run(Box::new(report)), signal)),
    };
    if let Some(server) = throwaway {
        server.stop()?;
    }
    let (report, signal) = outcome?;
    // A closed stdout (`| head -1`) is not a failure, but it must not hide one either.
    match report
        .print(settings.format, ctx.terminal(), &mut ctx.stdout())
        .map_err(stdout_error)
    {
        Ok(()) | Err(Error::StdoutClosed) => Ok(report.verdict(signal)),
        Err(err) => Err(err),
    }
}

/// What a run ends with: one measurement, or one per step of a sweep.
enum Printed {
    Run(Box<Report>),
    Sweep(sweep::SweepReport),
}

impl Printed {
    fn print(&self, format: Format, terminal: bool, out: &mut impl Write) -> std::io::Result<()> {
        let exporter = export::exporter(format, terminal);
        match self {
            Printed::Run(report) => exporter.run(report, out),
            Printed::Sweep(sweep) => exporter.sweep(sweep, out),
        }
    }

    /// Errors and failed delivery are failures (said once more on stderr, for when stdout
    /// goes to a file); otherwise a Ctrl-C run ends with the signal's status.
    fn verdict(&self, signal: Option<Signal>) -> Exit {
        let reports: Vec<&Report> = match self {
            Printed::Run(report) => vec![report],
            Printed::Sweep(sweep) => sweep.steps.iter().collect(),
        };
        let steps = matches!(self, Printed::Sweep(_));
        for report in &reports {
            report.warnings(steps).into_iter().for_each(error::warn);
        }
        if let Some(report) = reports.iter().find(|r| r.failed_delivery()) {
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
        if reports.iter().any(|r| !r.run.errors.is_empty()) {
            return Exit::Failure;
        }
        signal.map_or(Exit::Success, Signal::exit)
    }
}

/// One measurement: connect everything (a signal here abandons the run: [`Error::Stopped`]),
/// run it, and clean up what the scenario created whatever happened.
async fn measure_run(
    workload: &Workload,
    settings: &ConnSettings,
    ctx: &mut Context,
) -> Result<(Report, Option<Signal>)> {
    // The first connection goes through the usual path, so that an unreachable server or a
    // wrong password reads exactly as for every other subcommand.
    let connected = ctx
        .guard(async { settings.select().await.map_err(anyhow::Error::from) })
        .await?;
    // Every other connection goes to the host selection chose.
    let (mut control, settings) = (connected.conn, &connected.settings);
    let server = ServerFacts::read(&mut control).await?;
    let table = match workload.writers {
        Some(_) => {
            let table = writers::table_name(workload);
            writers::create_table(&mut control, &table).await?;
            Some(table)
        }
        None => None,
    };
    let outcome = measure_with(workload, settings, server, &mut control, ctx).await;
    if let Some(table) = table {
        writers::drop_table(&mut control, &table).await?;
    }
    outcome
}

/// Open the connections, run, and release the stalled listener.
async fn measure_with(
    workload: &Workload,
    settings: &ConnSettings,
    server: ServerFacts,
    control: &mut PgConnection,
    ctx: &mut Context,
) -> Result<(Report, Option<Signal>)> {
    let connections = ctx.guard(Connections::open(workload, settings)).await?;
    let (mut outcome, stalled, signal) = connections
        .start(workload, server)
        .finish(workload, &mut ctx.signals)
        .await?;
    if let Some(stalled) = stalled {
        outcome.run.stalled_released = Some(stalled.release(control).await?);
        outcome.run.queue_usage_after = Some(measure::queue_usage(control).await?);
    }
    Ok((Report::new(workload, outcome), signal))
}

/// A sender (or writer) on a thread of its own, connected and waiting for the clock to start.
struct SenderThread {
    go: oneshot::Sender<Start>,
    done: oneshot::Receiver<Option<SenderResult>>,
}

impl SenderThread {
    /// Start the thread, connect there, and return once connected (or why not).
    async fn spawn(id: u32, workload: Arc<Workload>, settings: &ConnSettings) -> Result<Self> {
        let writing = workload.writers.is_some();
        let application = match workload.writers {
            Some(_) => WRITER_APPLICATION,
            None => SENDER_APPLICATION,
        };
        let settings = settings.with_application_name(application);
        let opening = Opening {
            settings: settings.clone(),
            runtime: tokio::runtime::Handle::current(),
        };
        let (ready_tx, ready) = oneshot::channel();
        let (go, start_rx) = oneshot::channel::<Start>();
        let done = schedule::spawn_dedicated(format!("bench-sender-{id}"), move || async move {
            let conn = match open_sender(&settings, writing).await {
                Ok(conn) => {
                    let _ = ready_tx.send(Ok(()));
                    conn
                }
                Err(err) => {
                    let _ = ready_tx.send(Err(err));
                    return None;
                }
            };
            let start = start_rx.await.ok()?;
            Some(run_sender(id, conn, workload, start, opening).await)
        })
        .context("cannot start a sender thread")?;
        match ready.await {
            Ok(Ok(())) => Ok(SenderThread { go, done }),
            Ok(Err(err)) => Err(anyhow!("sender: {err}").into()),
            Err(_) => Err(anyhow!("a sender thread failed to start").into()),
        }
    }
}

/// A sender's (or a writer's) first session, ready to send.
async fn open_sender(settings: &ConnSettings, writing: bool) -> anyhow::Result<PgConnection> {
    let mut conn = settings.connect().await?;
    if !writing {
        workload::prepare(&mut conn)
            .await
            .map_err(|err| anyhow!(settings.explain(&err)))?;
    }
    Ok(conn)
}

/// A sender's (or a writer's) whole run, on its own thread.
async fn run_sender(
    id: u32,
    conn: PgConnection,
    workload: Arc<Workload>,
    start: Start,
    opening: Opening,
) -> SenderResult {
    match workload.writers {
        Some(plan) => {
            let writer = writers::Writer {
                id,
                conn,
                plan,
                start,
                workload,
            };
            writer.run().await
        }
        None => {
            let first = Lane {
                id: 0,
                conn,
                buffers: BatchBuffers::new(&workload),
            };
            let sender = Sender {
                id,
                lanes: Lanes::new(id, first, opening, start.progress.clone()),
                start,
                workload,
            };
            sender.run().await
        }
    }
}

/// Every connection of a run, open and subscribed before the clock starts.
struct Connections {
    sampler: PgConnection,
    listeners: Vec<PgListener>,
    idle: Vec<PgListener>,
    stalled: Option<Stalled>,
    senders: Vec<SenderThread>,
}

impl Connections {
    async fn open(workload: &Workload, settings: &ConnSettings) -> Result<Self> {
        let sampler = settings.connect().await.map_err(anyhow::Error::from)?;
        let listeners = futures::future::try_join_all(
            (0..workload.listeners).map(|_| measure::subscribe(settings, &workload.channels)),
        )
        .await?;
        let idle =
            sessions::idle_listeners(settings, &workload.run_id, workload.idle_listeners).await?;
        let stalled = match workload.stalled_listener {
            true => Some(Stalled::open(settings, &workload.channels).await?),
            false => None,
        };
        let shared = Arc::new(workload.clone());
        let senders = futures::future::try_join_all(
            (0..workload.senders).map(|id| SenderThread::spawn(id, shared.clone(), settings)),
        )
        .await?;
        Ok(Connections {
            sampler,
            listeners,
            idle,
            stalled,
            senders,
        })
    }

    /// Start the clock and every task: listeners, the queue sampler, then the senders.
    fn start(self, workload: &Workload, server: ServerFacts) -> Running {
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
        let sampler = tokio::spawn(measure::sample_queue(self.sampler, listening));
        let sent = Arc::new(AtomicU64::new(0));
        let senders = self
            .senders
            .into_iter()
            .map(|thread| {
                let _ = thread.go.send(Start {
                    clock,
                    progress: sent.clone(),
                    stop: sending.clone(),
                });
                thread.done
            })
            .collect();
        Running {
            server,
            measure_start,
            listeners,
            unique,
            sampler,
            idle: self.idle,
            stalled: self.stalled,
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
    server: ServerFacts,
    measure_start: Instant,
    listeners: Vec<JoinHandle<ListenerResult>>,
    /// Distinct notifications received, per listener.
    unique: Vec<Arc<AtomicU64>>,
    sampler: JoinHandle<anyhow::Result<Vec<Sample>>>,
    /// Held open (and closed) with the run.
    idle: Vec<PgListener>,
    stalled: Option<Stalled>,
    senders: Vec<oneshot::Receiver<Option<SenderResult>>>,
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
    ) -> Result<(Outcome, Option<Stalled>, Option<Signal>)> {
        let senders = self.send(signals).await?;
        let send_end = Instant::now();
        let due: u64 = senders.iter().map(SenderResult::total).sum();
        let drain_timed_out = self.drain(workload, due, signals).await;
        self.progress.finish();
        let _ = self.stop_listening.send(true);
        self.collect(senders, send_end, drain_timed_out).await
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
        results
            .into_iter()
            .map(|result| match result {
                Ok(Some(result)) => Ok(result),
                _ => Err(anyhow!("a sender thread failed").into()),
            })
            .collect()
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

    /// Gather what every task recorded; the stalled listener is handed back for release.
    async fn collect(
        self,
        senders: Vec<SenderResult>,
        send_end: Instant,
        drain_timed_out: bool,
    ) -> Result<(Outcome, Option<Stalled>, Option<Signal>)> {
        let listeners: Vec<ListenerResult> = futures::future::join_all(self.listeners)
            .await
            .into_iter()
            .collect::<Result<_, _>>()
            .context("a listener task failed")?;
        drop(self.idle);
        let mut errors: Vec<String> = senders
            .iter()
            .filter_map(|s| s.error.clone())
            .chain(listeners.iter().filter_map(|l| l.error.clone()))
            .collect();
        let queue = match self.sampler.await.context("the queue sampler failed")? {
            Ok(samples) => samples,
            Err(err) => {
                errors.push(format!("{err:#}"));
                Vec::new()
            }
        };
        let outcome = Outcome {
            run: RunFacts {
                server_version: self.server.version.clone(),
                server: self.server,
                interrupted: self.signal.is_some(),
                drain_timed_out,
                peak_queue_usage: queue.iter().map(|s| s.usage).reduce(f64::max),
                stalled_released: None,
                queue_usage_after: None,
                errors,
            },
            measure_start: self.measure_start,
            send_end,
            queue,
            senders,
            listeners,
        };
        Ok((outcome, self.stalled, self.signal))
    }

    /// Distinct notifications received so far, over all listeners.
    fn received(&self) -> u64 {
        self.unique.iter().map(|n| n.load(Ordering::Relaxed)).sum()
    }
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
