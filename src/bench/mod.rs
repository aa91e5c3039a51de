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
use crate::error::{self, note, stdout_error, Exit, Result};
use crate::signals::{Signal, Signals};
use anyhow::{anyhow, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use measure::{Listener, ListenerResult};
use report::{Outcome, Report};
use sqlx::postgres::{PgConnection, PgListener};
use sqlx::Connection;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use workload::{Clock, Sender, SenderResult, Workload};

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
        None => ConnSettings::resolve(&args.conn)?,
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
    if args.json {
        report::print_json(&report, out)
    } else {
        report::print_table(&report, out)
    }
    .map_err(stdout_error)?;
    Ok(verdict(&report, signal))
}

/// Errors and failed delivery are failures (said once more on stderr, for when stdout goes
/// to a file); otherwise a Ctrl-C run ends with the signal's status.
fn verdict(report: &Report, signal: Option<Signal>) -> Exit {
    for err in &report.errors {
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
    if !report.errors.is_empty() {
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
    let (outcome, signal) = connections.run(workload, signals).await?;
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
        let mut control = settings.connect().await.map_err(anyhow::Error::from)?;
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

    /// Start the clock, send, drain, collect. Ctrl-C stops sending; another one (or one during
    /// the drain) stops waiting for listeners.
    async fn run(
        self,
        workload: &Workload,
        signals: &mut Signals,
    ) -> Result<(Outcome, Option<Signal>)> {
        let shared = Arc::new(workload.clone());
        let clock = Clock {
            epoch: Instant::now(),
        };
        let measure_start = clock.measure_start(workload);
        let (stop_listening, listening) = watch::channel(false);
        let (stop_sending, sending) = watch::channel(false);
        let unique: Vec<Arc<AtomicU64>> = (0..workload.listeners)
            .map(|_| Arc::new(AtomicU64::new(0)))
            .collect();
        let listeners: Vec<JoinHandle<ListenerResult>> = self
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
        let sampler = tokio::spawn(measure::sample_queue(self.control, listening.clone()));
        let sent = Arc::new(AtomicU64::new(0));
        let senders = self.senders.into_iter().zip(0..).map(|(conn, id)| {
            tokio::spawn(
                Sender {
                    id,
                    conn,
                    workload: shared.clone(),
                    clock,
                    progress: sent.clone(),
                    stop: sending.clone(),
                }
                .run(),
            )
        });
        let progress = Progress::new();
        let count = |counters: &[Arc<AtomicU64>]| -> u64 {
            counters.iter().map(|c| c.load(Ordering::Relaxed)).sum()
        };

        let mut signal = None;
        let all_sent = futures::future::join_all(senders);
        tokio::pin!(all_sent);
        let mut tick = tokio::time::interval(TICK);
        let sender_results = loop {
            tokio::select! {
                results = &mut all_sent => break results,
                caught = signals.recv(), if signal.is_none() => {
                    signal = Some(caught);
                    let _ = stop_sending.send(true);
                }
                _ = tick.tick() => progress.sending(sent.load(Ordering::Relaxed), count(&unique)),
            }
        };
        let sender_results: Vec<SenderResult> = sender_results
            .into_iter()
            .collect::<Result<_, _>>()
            .context("a sender task failed")?;

        let due: u64 = sender_results.iter().map(SenderResult::total).sum();
        let deadline = Instant::now() + workload.drain_timeout;
        let drain_timed_out = loop {
            let done = listeners
                .iter()
                .zip(&unique)
                .all(|(task, n)| task.is_finished() || n.load(Ordering::Relaxed) >= due);
            if done {
                break false;
            }
            progress.draining(count(&unique), due * u64::from(workload.listeners));
            tokio::select! {
                () = tokio::time::sleep_until(deadline.into()) => break true,
                caught = signals.recv() => {
                    signal.get_or_insert(caught);
                    break false;
                }
                _ = tick.tick() => {}
            }
        };
        progress.finish();
        let _ = stop_listening.send(true);

        let listener_results: Vec<ListenerResult> = futures::future::join_all(listeners)
            .await
            .into_iter()
            .collect::<Result<_, _>>()
            .context("a listener task failed")?;
        let mut errors: Vec<String> = sender_results
            .iter()
            .filter_map(|s| s.error.clone())
            .chain(listener_results.iter().filter_map(|l| l.error.clone()))
            .collect();
        let peak_queue_usage = match sampler.await.context("the queue sampler failed")? {
            Ok(peak) => Some(peak),
            Err(err) => {
                errors.push(format!("{err:#}"));
                None
            }
        };
        let outcome = Outcome {
            server_version: self.server_version,
            measure_start,
            senders: sender_results,
            listeners: listener_results,
            peak_queue_usage,
            interrupted: signal.is_some(),
            drain_timed_out,
            errors,
        };
        Ok((outcome, signal))
    }
}

/// A sender connection, named so that it can be told apart in `pg_stat_activity`.
async fn connect_sender(settings: &ConnSettings) -> Result<PgConnection> {
    let options = settings
        .options()
        .clone()
        .application_name(SENDER_APPLICATION);
    PgConnection::connect_with(&options)
        .await
        .map_err(|err| anyhow!("sender: {}", settings.explain(&err)).into())
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
