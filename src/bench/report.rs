//! The results: computed once from what the senders and listeners recorded, then printed as a
//! human table or as JSON whose field names are a stable interface (documented in `--help`
//! and README). Every figure is a count or a ratio of measured counts and times.

use super::measure::{latency_histogram, ListenerResult};
use super::workload::{Limit, SenderResult, Workload};
use colored::Colorize;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::io::{self, Write};
use std::time::{Duration, Instant};

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
    pub warmup: Warmup,
}

/// What the run itself tells, as opposed to the figures derived from the counts.
#[derive(Debug, Serialize)]
pub struct RunFacts {
    pub server_version: String,
    pub interrupted: bool,
    pub drain_timed_out: bool,
    pub peak_queue_usage: Option<f64>,
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

/// The raw outcome of a run, before any figure is derived.
pub struct Outcome {
    pub run: RunFacts,
    pub measure_start: Instant,
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
        let arrival = |l: &ListenerResult| {
            l.last_arrival.map_or(Duration::ZERO, |at| {
                at.saturating_duration_since(measure_start)
            })
        };
        let receive_window = listeners.iter().map(arrival).max().unwrap_or_default();
        let size = workload.payload_size;
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
            latency_us: Latency::new(listeners.iter().map(|l| &l.latency)),
            warmup: Warmup {
                sent: senders.iter().map(|s| s.warmup_sent).sum(),
                received: sum(|l| l.warmup_received),
            },
        }
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

impl Latency {
    fn new<'a>(histograms: impl Iterator<Item = &'a Histogram<u64>>) -> Latency {
        let mut all = latency_histogram();
        for h in histograms {
            all.add(h)
                .expect("histograms of the same bounds always add");
        }
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

/// One JSON object on one line.
pub fn print_json(report: &Report, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer(&mut *out, report)?;
    writeln!(out)?;
    out.flush()
}

/// The human table; colored when `colored` says so (decided once at start).
pub fn print_table(r: &Report, out: &mut impl Write) -> io::Result<()> {
    let w = &r.workload;
    let limit = match (w.messages, w.duration_s) {
        (Some(n), _) => format!("{n} messages"),
        (_, Some(s)) => format!("{}", humantime::format_duration(Duration::from_secs_f64(s))),
        _ => String::new(),
    };
    let rate = w.rate.map_or("as fast as possible".to_string(), |r| {
        format!("{} msg/s", number(r))
    });
    writeln!(
        out,
        "{} PostgreSQL {}: {} sender(s), {} listener(s), {} channel(s), {}-byte payloads, batch {}, {limit}, {rate}",
        "pgpubsub bench".bold(),
        r.run.server_version,
        w.senders,
        w.listeners,
        w.channels,
        w.payload_size,
        w.batch,
    )?;
    if w.warmup_s > 0.0 {
        writeln!(
            out,
            "warmup           {} sent, {} received (checked for loss, not in the figures below)",
            r.warmup.sent, r.warmup.received
        )?;
    }
    writeln!(
        out,
        "{:<16} {:>16}   {}",
        "",
        "total",
        "per connection min / avg / max".dimmed()
    )?;
    writeln!(
        out,
        "{:<16} {:>16}   in {:.3} s",
        "sent", r.sent, r.duration_s
    )?;
    rate_line(out, "send rate", &r.send_rate)?;
    writeln!(
        out,
        "{:<16} {:>16}   of {} expected",
        "received", r.received, r.expected
    )?;
    rate_line(out, "receive rate", &r.receive_rate)?;
    latency_line(out, &r.latency_us)?;
    let queue = r
        .run
        .peak_queue_usage
        .map_or("not sampled".to_string(), |q| format!("{:.4}%", q * 100.0));
    writeln!(out, "{:<16} {:>16}   peak", "queue usage", queue)?;
    delivery_line(out, r)?;
    if r.run.interrupted {
        writeln!(out, "{}", "interrupted: partial report".yellow().bold())?;
    }
    if r.run.drain_timed_out {
        writeln!(
            out,
            "{}",
            "drain timed out: some listeners never caught up"
                .yellow()
                .bold()
        )?;
    }
    out.flush()
}

fn rate_line(out: &mut impl Write, name: &str, rate: &Rate) -> io::Result<()> {
    let s = &rate.per_connection;
    writeln!(
        out,
        "{name:<16} {:>16}   {} / {} / {} msg/s   {:.2} MB/s",
        format!("{} msg/s", number(rate.total)),
        number(s.min),
        number(s.avg),
        number(s.max),
        rate.mb_per_s
    )
}

fn latency_line(out: &mut impl Write, l: &Latency) -> io::Result<()> {
    let Some(min) = l.min else {
        return writeln!(out, "{:<16} {:>16}", "latency", "none measured");
    };
    let fields = [
        ("min", Some(min)),
        ("p50", l.p50),
        ("p90", l.p90),
        ("p99", l.p99),
        ("p99.9", l.p99_9),
        ("max", l.max),
    ];
    let text: Vec<String> = fields
        .iter()
        .map(|(name, us)| format!("{name} {}", micros(us.unwrap_or(0))))
        .collect();
    writeln!(out, "{:<16} {}", "latency", text.join("  "))
}

fn delivery_line(out: &mut impl Write, r: &Report) -> io::Result<()> {
    let counts = format!(
        "lost {}, duplicated {}, out of order {}, unexpected {}",
        r.lost, r.duplicated, r.out_of_order, r.unexpected
    );
    if r.failed_delivery() {
        writeln!(
            out,
            "{} {}",
            "DELIVERY FAILED:".red().bold(),
            counts.red().bold()
        )
    } else {
        writeln!(
            out,
            "{:<16} {}",
            "delivery",
            format!("exactly once, in order ({counts})").green()
        )
    }
}

/// A rate with thousands separators and no false precision.
fn number(value: f64) -> String {
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
fn micros(us: u64) -> String {
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
        };
        let start = Instant::now();
        let sender = || SenderResult {
            sent: 5,
            warmup_sent: 0,
            elapsed: Duration::from_secs(1),
            error: None,
        };
        let listener = |missing: &[u64]| {
            let mut result = ListenerResult::new(2);
            for (id, tracker) in result.senders.iter_mut().enumerate() {
                for seq in (0..5).filter(|seq| id == 0 || !missing.contains(seq)) {
                    tracker.record(seq);
                    result.received += 1;
                    result.latency.record(100 + seq).unwrap();
                }
            }
            result.last_arrival = Some(start + Duration::from_millis(500));
            result
        };
        let mut lossy = listener(&[2, 3, 4]);
        assert_eq!(lossy.senders[1].record(1), Arrival::Duplicate);
        lossy.duplicated += 1;
        let report = Report::new(
            &workload,
            Outcome {
                run: RunFacts {
                    server_version: "15.0".to_string(),
                    interrupted: false,
                    drain_timed_out: true,
                    peak_queue_usage: Some(0.0),
                    errors: Vec::new(),
                },
                measure_start: start,
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
        print_table(&report, &mut table).unwrap();
        let table = String::from_utf8(table).unwrap();
        assert!(table.contains("DELIVERY FAILED:"), "{table}");
        assert!(
            table.contains("lost 3, duplicated 1, out of order 0"),
            "{table}"
        );
        assert!(table.contains("drain timed out"), "{table}");
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
