//! The results: computed once from what the senders and listeners recorded, then handed to an
//! exporter (`export`: a human table with its charts, JSON whose field names are a stable
//! interface documented in `--help` and README, or CSV for plotting). Every figure is a count
//! or a ratio of measured counts and times.

use super::measure::{latency_histogram, ListenerResult, Sample};
use super::server::ServerFacts;
use super::workload::{Limit, SenderResult, Workload};
use super::writers::Commits;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::time::{Duration, Instant};

/// A sender lag (actual send - schedule) this small never counts against the schedule: it is
/// below what the listeners' own wake-up adds.
const LAG_ALLOWANCE_US: u64 = 100;

/// Everything a run found out.
#[derive(Debug, Serialize)]
pub struct Report {
    pub workload: WorkloadInfo,
    #[serde(flatten)]
    pub run: RunFacts,
    /// The measured sending time, in seconds.
    pub duration_s: f64,
    pub sent: u64,
    pub expected: u64,
    pub received: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub out_of_order: u64,
    pub unexpected: u64,
    pub send_rate: Rate,
    pub receive_rate: Rate,
    pub latency_us: Latency,
    /// How late senders left against their schedule (open loop only).
    pub sender_lag_us: Latency,
    /// Whether the senders kept their schedule; `None` without a rate.
    pub schedule_kept: Option<bool>,
    /// Sessions the senders sent on: one each, unless a rate needed more (see `lanes`).
    pub sender_sessions: usize,
    pub warmup: Warmup,
    pub stalled_listener: Option<StalledFigures>,
    pub writers: Option<WritersFigures>,
    /// The merged histograms, for the charts and the CSV.
    #[serde(skip)]
    pub latency: Histogram<u64>,
    #[serde(skip)]
    pub lag: Histogram<u64>,
}

/// What the run itself tells, as opposed to the figures derived from the counts.
#[derive(Debug, Serialize)]
pub struct RunFacts {
    pub server_version: String,
    pub server: ServerFacts,
    pub interrupted: bool,
    pub drain_timed_out: bool,
    pub peak_queue_usage: Option<f64>,
    /// Whether the stalled listener's session ended when released.
    #[serde(skip)]
    pub stalled_released: Option<bool>,
    /// The queue usage once the stalled listener was released.
    #[serde(skip)]
    pub queue_usage_after: Option<f64>,
    /// One line per connection (or the sampler) that failed.
    pub errors: Vec<String>,
}

/// The workload as asked for.
#[derive(Debug, Serialize)]
pub struct WorkloadInfo {
    pub senders: u32,
    pub listeners: u32,
    pub channels: usize,
    pub payload_size: usize,
    pub batch: u32,
    pub messages: Option<u64>,
    pub duration_s: Option<f64>,
    pub rate: Option<f64>,
    pub warmup_s: f64,
    pub idle_listeners: u32,
    pub stalled_listener: bool,
    /// Writer sessions (`--writers`), or `None`.
    pub writers: Option<u32>,
    pub notify_every: Option<u32>,
}

/// A rate over all connections of one side, and its spread over the connections.
#[derive(Debug, Serialize)]
pub struct Rate {
    pub total: f64,
    pub mb_per_s: f64,
    pub per_connection: Spread,
}

/// Minimum, mean and maximum over connections.
#[derive(Debug, Serialize)]
pub struct Spread {
    pub min: f64,
    pub avg: f64,
    pub max: f64,
}

/// End-to-end latency percentiles in microseconds; all `None` when nothing was measured.
#[derive(Debug, Serialize)]
pub struct Latency {
    pub min: Option<u64>,
    pub p50: Option<u64>,
    pub p90: Option<u64>,
    pub p99: Option<u64>,
    pub p99_9: Option<u64>,
    pub max: Option<u64>,
    pub mean: Option<f64>,
}

/// The warmup's counts (not in rates or latencies, but checked for loss).
#[derive(Debug, Serialize)]
pub struct Warmup {
    pub sent: u64,
    pub received: u64,
}

/// What the stalled listener did to the notification queue.
#[derive(Debug, Serialize)]
pub struct StalledFigures {
    /// `pg_notification_queue_usage()` when the measured phase started and when sending ended.
    pub queue_usage_start: Option<f64>,
    pub queue_usage_end: Option<f64>,
    /// Growth of the usage per second while sending (least squares over the samples).
    pub growth_per_s: Option<f64>,
    /// Seconds until the queue would be full at that growth; `None` when it did not grow.
    pub time_to_full_s: Option<f64>,
    /// Whether the stalled session was gone from the server within 5 s of its release.
    pub released: Option<bool>,
    /// The usage after the release.
    pub queue_usage_after: Option<f64>,
}

/// The write path with and without NOTIFY.
#[derive(Debug, Serialize)]
pub struct WritersFigures {
    pub sessions: u32,
    pub notify_every: u32,
    pub without_notify: CommitFigures,
    pub with_notify: CommitFigures,
    /// with / without: commits per second, and the commit latency percentiles.
    pub commit_rate_ratio: Option<f64>,
    pub p50_ratio: Option<f64>,
    pub p99_ratio: Option<f64>,
}

/// One writers' phase.
#[derive(Debug, Serialize)]
pub struct CommitFigures {
    pub commits: u64,
    pub commits_per_s: f64,
    pub latency_p50_us: Option<u64>,
    pub latency_p99_us: Option<u64>,
    /// The commit latencies of all writers, for the CSV.
    #[serde(skip)]
    pub latency: Histogram<u64>,
}

/// The raw outcome of a run, before any figure is derived.
pub struct Outcome {
    pub run: RunFacts,
    pub measure_start: Instant,
    /// When the last sender finished.
    pub send_end: Instant,
    pub queue: Vec<Sample>,
    pub senders: Vec<SenderResult>,
    pub listeners: Vec<ListenerResult>,
}

impl Report {
    /// Derive every figure from the raw outcome.
    pub fn new(workload: &Workload, outcome: Outcome) -> Report {
        let Outcome {
            run,
            senders,
            listeners,
            measure_start,
            send_end,
            queue,
        } = outcome;
        let sent: u64 = senders.iter().map(|s| s.sent).sum();
        let received: u64 = listeners.iter().map(|l| l.received).sum();
        let sum = |f: fn(&ListenerResult) -> u64| listeners.iter().map(f).sum::<u64>();
        // Everything every sender committed (warmup included) was due at every listener.
        let lost = listeners
            .iter()
            .map(|l| {
                senders
                    .iter()
                    .zip(&l.senders)
                    .map(|(s, seen)| s.total().saturating_sub(seen.unique))
                    .sum::<u64>()
            })
            .sum();
        let send_window = senders.iter().map(|s| s.elapsed).max().unwrap_or_default();
        // Writers notify only in their second phase.
        let notifying_from = match workload.writers {
            Some(_) => measure_start + workload.phase_length(),
            None => measure_start,
        };
        let arrival = |l: &ListenerResult| {
            l.last_arrival.map_or(Duration::ZERO, |at| {
                at.saturating_duration_since(notifying_from)
            })
        };
        let receive_window = listeners.iter().map(arrival).max().unwrap_or_default();
        let size = workload.payload_size;
        let latency = merged(listeners.iter().map(|l| &l.latency));
        let lag = merged(senders.iter().map(|s| &s.lag));
        let stalled_listener = workload
            .stalled_listener
            .then(|| StalledFigures::new(&run, &queue, measure_start, send_end));
        let writers = workload
            .writers
            .map(|plan| WritersFigures::new(plan.sessions, plan.notify_every, &senders));
        let latency_us = Latency::new(&latency);
        let sender_lag_us = Latency::new(&lag);
        let schedule_kept = schedule_kept(&latency_us, &sender_lag_us);
        Report {
            workload: WorkloadInfo::new(workload),
            run,
            duration_s: send_window.as_secs_f64(),
            sent,
            expected: sent * u64::from(workload.listeners),
            received,
            lost,
            duplicated: sum(|l| l.duplicated),
            out_of_order: sum(|l| l.out_of_order),
            unexpected: sum(|l| l.unexpected),
            send_rate: Rate::new(
                sent,
                send_window,
                senders.iter().map(|s| (s.sent, s.elapsed)),
                size,
            ),
            receive_rate: Rate::new(
                received,
                receive_window,
                listeners.iter().map(|l| (l.received, arrival(l))),
                size,
            ),
            latency_us,
            sender_lag_us,
            schedule_kept,
            sender_sessions: senders.iter().map(|s| s.sessions).sum(),
            warmup: Warmup {
                sent: senders.iter().map(|s| s.warmup_sent).sum(),
                received: sum(|l| l.warmup_received),
            },
            stalled_listener,
            writers,
            latency,
            lag,
        }
    }

    /// What to tell the reader when the senders could not keep their schedule.
    pub fn schedule_warning(&self) -> Option<String> {
        if self.schedule_kept != Some(false) {
            return None;
        }
        Some(format!(
            "the senders fell behind their schedule (lag p50 {}, p99 {}): the latency includes \
             time the client could not send; lower --rate, add --senders, or give the client \
             more CPU",
            micros(self.sender_lag_us.p50.unwrap_or(0)),
            micros(self.sender_lag_us.p99.unwrap_or(0))
        ))
    }

    /// What stderr says about this run besides a loss: failed connections, and senders that
    /// fell behind. A step of a sweep names itself (`step 16,000/s: ...`), so that one warning
    /// among several says which rate it is about.
    pub fn warnings(&self, step: bool) -> Vec<String> {
        let name = match self.workload.rate {
            Some(rate) if step => format!("step {}/s: ", number(rate)),
            _ => String::new(),
        };
        let errors = self.run.errors.iter().cloned();
        errors
            .chain(self.schedule_warning())
            .map(|warning| format!("{name}{warning}"))
            .collect()
    }

    /// Whether the loss check failed: anything but exactly-once, in-order delivery.
    pub fn failed_delivery(&self) -> bool {
        self.lost + self.duplicated + self.out_of_order + self.unexpected > 0
    }
}

impl WorkloadInfo {
    fn new(w: &Workload) -> Self {
        WorkloadInfo {
            senders: w.senders,
            listeners: w.listeners,
            channels: w.channels.len(),
            payload_size: w.payload_size,
            batch: w.batch,
            messages: match w.limit {
                Limit::Messages(n) => Some(n),
                Limit::Duration(_) => None,
            },
            duration_s: match w.limit {
                Limit::Duration(d) => Some(d.as_secs_f64()),
                Limit::Messages(_) => None,
            },
            rate: w.rate,
            warmup_s: w.warmup.as_secs_f64(),
            idle_listeners: w.idle_listeners,
            stalled_listener: w.stalled_listener,
            writers: w.writers.map(|plan| plan.sessions),
            notify_every: w.writers.map(|plan| plan.notify_every),
        }
    }
}

/// `count / window`, or 0 when nothing was timed.
fn per_second(count: u64, window: Duration) -> f64 {
    if window.is_zero() {
        0.0
    } else {
        count as f64 / window.as_secs_f64()
    }
}

impl Rate {
    fn new(
        count: u64,
        window: Duration,
        connections: impl Iterator<Item = (u64, Duration)>,
        payload_size: usize,
    ) -> Rate {
        let rates: Vec<f64> = connections.map(|(n, w)| per_second(n, w)).collect();
        let total = per_second(count, window);
        Rate {
            total,
            mb_per_s: total * payload_size as f64 / 1e6,
            per_connection: Spread {
                min: rates.iter().copied().reduce(f64::min).unwrap_or(0.0),
                avg: rates.iter().sum::<f64>() / rates.len().max(1) as f64,
                max: rates.iter().copied().fold(0.0, f64::max),
            },
        }
    }
}

/// One histogram of all of them.
fn merged<'a>(histograms: impl Iterator<Item = &'a Histogram<u64>>) -> Histogram<u64> {
    let mut all = latency_histogram();
    for h in histograms {
        all.add(h)
            .expect("histograms of the same bounds always add");
    }
    all
}

/// Kept unless the senders' p99 lag is above the allowance and above half the median latency
/// (then a good part of what reads as latency is the client's own lateness).
fn schedule_kept(latency: &Latency, lag: &Latency) -> Option<bool> {
    let lag_p99 = lag.p99?;
    let allowed = LAG_ALLOWANCE_US.max(latency.p50.unwrap_or(0) / 2);
    Some(lag_p99 <= allowed)
}

impl StalledFigures {
    fn new(run: &RunFacts, queue: &[Sample], from: Instant, to: Instant) -> Self {
        let sending: Vec<&Sample> = queue
            .iter()
            .filter(|s| s.at >= from && s.at <= to)
            .collect();
        let growth_per_s = slope(&sending, from);
        let queue_usage_end = sending.last().map(|s| s.usage);
        StalledFigures {
            queue_usage_start: sending.first().map(|s| s.usage),
            queue_usage_end,
            growth_per_s,
            time_to_full_s: match (growth_per_s, queue_usage_end) {
                (Some(growth), Some(end)) if growth > 0.0 => Some((1.0 - end) / growth),
                _ => None,
            },
            released: run.stalled_released,
            queue_usage_after: run.queue_usage_after,
        }
    }
}

/// The least-squares slope of usage over time, per second; `None` with fewer than 2 samples.
fn slope(samples: &[&Sample], origin: Instant) -> Option<f64> {
    if samples.len() < 2 {
        return None;
    }
    let points: Vec<(f64, f64)> = samples
        .iter()
        .map(|s| (s.at.duration_since(origin).as_secs_f64(), s.usage))
        .collect();
    let n = points.len() as f64;
    let (mean_t, mean_u) = points
        .iter()
        .fold((0.0, 0.0), |(t, u), p| (t + p.0 / n, u + p.1 / n));
    let (cov, var) = points.iter().fold((0.0, 0.0), |(c, v), (t, u)| {
        (c + (t - mean_t) * (u - mean_u), v + (t - mean_t).powi(2))
    });
    (var > 0.0).then(|| cov / var)
}

impl WritersFigures {
    fn new(sessions: u32, notify_every: u32, senders: &[SenderResult]) -> Self {
        let writes: Vec<_> = senders.iter().filter_map(|s| s.writes.as_ref()).collect();
        let without_notify = CommitFigures::new(writes.iter().map(|w| &w.without_notify));
        let with_notify = CommitFigures::new(writes.iter().map(|w| &w.with_notify));
        let ratio = |with: Option<f64>, without: Option<f64>| match (with, without) {
            (Some(with), Some(without)) if without > 0.0 => Some(with / without),
            _ => None,
        };
        let as_f64 = |us: Option<u64>| us.map(|us| us as f64);
        WritersFigures {
            sessions,
            notify_every,
            commit_rate_ratio: ratio(
                Some(with_notify.commits_per_s),
                Some(without_notify.commits_per_s),
            ),
            p50_ratio: ratio(
                as_f64(with_notify.latency_p50_us),
                as_f64(without_notify.latency_p50_us),
            ),
            p99_ratio: ratio(
                as_f64(with_notify.latency_p99_us),
                as_f64(without_notify.latency_p99_us),
            ),
            without_notify,
            with_notify,
        }
    }
}

impl CommitFigures {
    fn new<'a>(phases: impl Iterator<Item = &'a Commits> + Clone) -> Self {
        let commits = phases.clone().map(|p| p.commits).sum();
        let window = phases.clone().map(|p| p.elapsed).max().unwrap_or_default();
        let latency = merged(phases.map(|p| &p.latency));
        let figures = Latency::new(&latency);
        CommitFigures {
            commits,
            commits_per_s: per_second(commits, window),
            latency_p50_us: figures.p50,
            latency_p99_us: figures.p99,
            latency,
        }
    }
}

impl Latency {
    fn new(all: &Histogram<u64>) -> Latency {
        let measured = !all.is_empty();
        let q = |quantile: f64| measured.then(|| all.value_at_quantile(quantile));
        Latency {
            min: measured.then(|| all.min()),
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            p99_9: q(0.999),
            max: measured.then(|| all.max()),
            mean: measured.then(|| all.mean()),
        }
    }
}

/// A rate with thousands separators and no false precision.
pub fn number(value: f64) -> String {
    let digits = format!("{:.0}", value);
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

/// A latency in the unit that reads best.
pub fn micros(us: u64) -> String {
    match us {
        0..1_000 => format!("{us} µs"),
        1_000..1_000_000 => format!("{:.2} ms", us as f64 / 1e3),
        _ => format!("{:.2} s", us as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::super::measure::Arrival;
    use super::*;

    /// Two senders of 5 notifications each; the second listener missed three of sender 1's
    /// and got one twice.
    #[test]
    fn loss_is_counted_per_listener_and_sender_and_shown_prominently() {
        let workload = Workload {
            senders: 2,
            listeners: 2,
            channels: vec!["c".to_string()],
            payload_size: 64,
            batch: 1,
            limit: Limit::Messages(10),
            rate: None,
            warmup: Duration::ZERO,
            drain_timeout: Duration::from_secs(1),
            idle_listeners: 0,
            stalled_listener: true,
            writers: None,
            run_id: "test".to_string(),
        };
        let start = Instant::now();
        let sender = || SenderResult {
            sent: 5,
            elapsed: Duration::from_secs(1),
            ..SenderResult::new()
        };
        let listener = |missing: &[u64]| {
            let mut result = ListenerResult::new(2);
            for (id, tracker) in result.senders.iter_mut().enumerate() {
                for seq in (0..5).filter(|seq| id == 0 || !missing.contains(seq)) {
                    tracker.record(seq, 0);
                    result.received += 1;
                    result.latency.record(100 + seq).unwrap();
                }
            }
            result.last_arrival = Some(start + Duration::from_millis(500));
            result
        };
        let mut lossy = listener(&[2, 3, 4]);
        assert_eq!(lossy.senders[1].record(1, 0), Arrival::Duplicate);
        lossy.duplicated += 1;
        let report = Report::new(
            &workload,
            Outcome {
                run: RunFacts {
                    server_version: "15.0".to_string(),
                    server: ServerFacts {
                        version: "15.0".to_string(),
                        synchronous_commit: "on".to_string(),
                        fsync: "off".to_string(),
                        max_notify_queue_pages: None,
                        notify_queue_bytes: 8 << 30,
                    },
                    stalled_released: Some(true),
                    queue_usage_after: Some(0.0),
                    interrupted: false,
                    drain_timed_out: true,
                    peak_queue_usage: Some(0.0),
                    errors: Vec::new(),
                },
                measure_start: start,
                send_end: start + Duration::from_secs(2),
                queue: [0.0, 0.001, 0.002]
                    .iter()
                    .zip(0..)
                    .map(|(usage, i)| Sample {
                        at: start + Duration::from_secs(i),
                        usage: *usage,
                    })
                    .collect(),
                senders: vec![sender(), sender()],
                listeners: vec![listener(&[]), lossy],
            },
        );
        assert_eq!(
            (report.sent, report.expected, report.received),
            (10, 20, 17)
        );
        assert_eq!((report.lost, report.duplicated), (3, 1));
        assert!(report.failed_delivery());
        assert_eq!(report.send_rate.total, 10.0);
        assert_eq!(report.receive_rate.total, 34.0);
        assert_eq!(report.latency_us.max, Some(104));
        let mut table = Vec::new();
        super::super::export::table::run(&report, &mut table).unwrap();
        let table = String::from_utf8(table).unwrap();
        assert!(table.contains("DELIVERY FAILED:"), "{table}");
        assert!(
            table.contains("lost 3, duplicated 1, out of order 0"),
            "{table}"
        );
        assert!(table.contains("drain timed out"), "{table}");
        assert!(
            table.contains("synchronous_commit on, fsync off"),
            "{table}"
        );
        // The stalled listener's queue grew by 0.1 % a second: full in about 998 s.
        let stalled = report.stalled_listener.as_ref().unwrap();
        assert!((stalled.growth_per_s.unwrap() - 0.001).abs() < 1e-9);
        assert!((stalled.time_to_full_s.unwrap() - 998.0).abs() < 1e-6);
        assert!(table.contains("queue full in"), "{table}");
        // No rate: no sender lag, no verdict on the schedule.
        assert_eq!(report.schedule_kept, None);
        // A sweep step that fell behind says which step it is.
        let mut step = report;
        step.schedule_kept = Some(false);
        step.workload.rate = Some(16000.0);
        let warnings = step.warnings(true);
        assert!(
            warnings.iter().all(|w| w.starts_with("step 16,000/s: ")),
            "{warnings:?}"
        );
        assert!(
            warnings.iter().any(|w| w.contains("fell behind")),
            "{warnings:?}"
        );
        for line in table.lines() {
            assert!(line.chars().count() <= super::super::chart::MAX_WIDTH || !line.contains('│'));
        }
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(0.4), "0");
        assert_eq!(number(999.0), "999");
        assert_eq!(number(1234567.8), "1,234,568");
        assert_eq!(micros(999), "999 µs");
        assert_eq!(micros(1500), "1.50 ms");
        assert_eq!(micros(2_500_000), "2.50 s");
    }
}
