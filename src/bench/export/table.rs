//! The human table: the report's figures aligned, the latency spectrum as a chart, delivery
//! failures shown prominently; colored when `colored` says so (decided once at start). The
//! server's version string is the server's to choose: shown sanitized.

use crate::bench::chart;
use crate::bench::report::{
    micros, number, Latency, Rate, Report, StalledFigures, WorkloadInfo, WritersFigures,
};
use crate::bench::sweep::SweepReport;
use crate::output::sanitize;
use colored::Colorize;
use hdrhistogram::Histogram;
use std::io::{self, Write};
use std::time::Duration;

/// The human table and its chart; colored when `colored` says so (decided once at start).
pub fn run(r: &Report, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "{:<16} {}",
        "pgpubsub bench".bold(),
        sanitize(&r.run.server.describe())
    )?;
    writeln!(out, "{:<16} {}", "workload", workload_text(&r.workload))?;
    if r.workload.warmup_s > 0.0 {
        writeln!(
            out,
            "warmup           {} sent, {} received (checked for loss, not in the figures below)",
            r.warmup.sent, r.warmup.received
        )?;
    }
    if let Some(writers) = &r.writers {
        writers_lines(out, writers)?;
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
    latency_line(out, "latency", &r.latency_us)?;
    if r.schedule_kept.is_some() {
        latency_line(out, "sender lag", &r.sender_lag_us)?;
        writeln!(
            out,
            "{:<16} {:>16}   for {} sender(s)",
            "sender sessions", r.sender_sessions, r.workload.senders
        )?;
    }
    if let Some(warning) = r.schedule_warning() {
        writeln!(out, "{}", warning.yellow().bold())?;
    }
    let queue = r
        .run
        .peak_queue_usage
        .map_or("not sampled".to_string(), percent);
    writeln!(out, "{:<16} {:>16}   peak", "queue usage", queue)?;
    if let Some(stalled) = &r.stalled_listener {
        stalled_lines(out, stalled)?;
    }
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
    if !r.latency.is_empty() {
        writeln!(out)?;
        let rows = spectrum_rows(&r.latency);
        for line in chart::bars(
            "latency by percentile (log scale)",
            &rows,
            chart::width(),
            micros,
        ) {
            writeln!(out, "{line}")?;
        }
    }
    out.flush()
}

/// The workload in one line.
fn workload_text(w: &WorkloadInfo) -> String {
    let limit = match (w.messages, w.duration_s) {
        (Some(n), _) => format!("{n} messages"),
        (_, Some(s)) => format!("{}", humantime::format_duration(Duration::from_secs_f64(s))),
        _ => String::new(),
    };
    let rate = w.rate.map_or("as fast as possible".to_string(), |r| {
        format!("{} msg/s", number(r))
    });
    let mut text = match w.writers {
        Some(writers) => format!(
            "{writers} writer(s), {} listener(s), {} channel(s), {}-byte payloads, {limit} per phase",
            w.listeners, w.channels, w.payload_size
        ),
        None => format!(
            "{} sender(s), {} listener(s), {} channel(s), {}-byte payloads, batch {}, {limit}, {rate}",
            w.senders, w.listeners, w.channels, w.payload_size, w.batch
        ),
    };
    if w.idle_listeners > 0 {
        text.push_str(&format!(", {} idle listener(s)", w.idle_listeners));
    }
    if w.stalled_listener {
        text.push_str(", a stalled listener");
    }
    text
}

/// The writers' two phases side by side, and their ratio.
fn writers_lines(out: &mut impl Write, w: &WritersFigures) -> io::Result<()> {
    writeln!(
        out,
        "{:<16} {:>12} {:>12} {:>12}   {}",
        "write path",
        "commits/s",
        "p50",
        "p99",
        format!(
            "{} session(s), NOTIFY in every {} transaction(s)",
            w.sessions, w.notify_every
        )
        .dimmed()
    )?;
    for (name, phase) in [
        ("without NOTIFY", &w.without_notify),
        ("with NOTIFY", &w.with_notify),
    ] {
        writeln!(
            out,
            "{name:<16} {:>12} {:>12} {:>12}",
            number(phase.commits_per_s),
            phase.latency_p50_us.map_or("-".to_string(), micros),
            phase.latency_p99_us.map_or("-".to_string(), micros),
        )?;
    }
    let ratio = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{r:.2}x"));
    writeln!(
        out,
        "{:<16} {:>12} {:>12} {:>12}",
        "with / without",
        ratio(w.commit_rate_ratio),
        ratio(w.p50_ratio),
        ratio(w.p99_ratio)
    )
}

/// What the stalled listener did to the queue.
fn stalled_lines(out: &mut impl Write, s: &StalledFigures) -> io::Result<()> {
    let growth = match (s.growth_per_s, s.queue_usage_start, s.queue_usage_end) {
        (Some(growth), Some(start), Some(end)) => format!(
            "{}/s while sending ({} to {})",
            percent(growth),
            percent(start),
            percent(end)
        ),
        _ => "not measured (too short a run)".to_string(),
    };
    writeln!(out, "{:<16} {growth}", "queue growth")?;
    let full = s
        .time_to_full_s
        .map_or("never at this rate".to_string(), |secs| {
            humantime::format_duration(Duration::from_secs(secs as u64)).to_string()
        });
    writeln!(out, "{:<16} {full}", "queue full in")?;
    let released = match s.released {
        Some(true) => "released; its session is gone".to_string(),
        Some(false) => "NOT released: its session is still on the server"
            .red()
            .bold()
            .to_string(),
        None => "not released (the run was cut short)".to_string(),
    };
    let after = s.queue_usage_after.map_or(String::new(), |u| {
        format!(", queue usage after: {}", percent(u))
    });
    writeln!(out, "{:<16} {released}{after}", "stalled listener")
}

/// A fraction as a percentage with room for the small ones a queue shows.
fn percent(fraction: f64) -> String {
    format!("{:.4}%", fraction * 100.0)
}

/// The percentile spectrum's rows: label and value.
fn spectrum_rows(h: &Histogram<u64>) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> = [50.0, 90.0, 99.0, 99.9, 99.99]
        .iter()
        .map(|p| (format!("p{p}"), h.value_at_quantile(p / 100.0)))
        .collect();
    rows.insert(0, ("min".to_string(), h.min()));
    rows.push(("max".to_string(), h.max()));
    rows.into_iter()
        .map(|(label, us)| (format!("{label} {}", micros(us)), us))
        .collect()
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

fn latency_line(out: &mut impl Write, name: &str, l: &Latency) -> io::Result<()> {
    let Some(min) = l.min else {
        return writeln!(out, "{name:<16} {:>16}", "none measured");
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
    writeln!(out, "{name:<16} {}", text.join("  "))
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

/// The table, the latency-vs-rate chart, and the verdict on the target.
pub fn sweep(sweep: &SweepReport, out: &mut impl Write) -> io::Result<()> {
    let first = &sweep.steps[0];
    writeln!(
        out,
        "pgpubsub bench --sweep   {}",
        crate::output::sanitize(&sweep.server.describe())
    )?;
    writeln!(
        out,
        "{} sender(s), {} listener(s), batch {}, {}-byte payloads, {} per step",
        first.workload.senders,
        first.workload.listeners,
        first.workload.batch,
        first.workload.payload_size,
        humantime::format_duration(std::time::Duration::from_secs_f64(
            first.workload.duration_s.unwrap_or(0.0)
        ))
    )?;
    writeln!(
        out,
        "{:>12} {:>12} {:>10} {:>10} {:>10} {:>8} {:>10}",
        "target/s", "achieved/s", "p50", "p99", "p99.9", "lost", "lag p99"
    )?;
    let opt = |us: Option<u64>| us.map_or("-".to_string(), micros);
    for row in &sweep.rows {
        let mark = match row.met_target {
            Some(true) => "  ok",
            Some(false) => "  missed",
            None => "",
        };
        writeln!(
            out,
            "{:>12} {:>12} {:>10} {:>10} {:>10} {:>8} {:>10}{mark}",
            number(row.target_rate),
            number(row.achieved_rate),
            opt(row.p50_us),
            opt(row.p99_us),
            opt(row.p99_9_us),
            row.lost,
            opt(row.sender_lag_p99_us),
        )?;
    }
    if let Some(target) = sweep.p99_target_us {
        let verdict = sweep
            .highest_rate_meeting_target
            .map_or("no step met it".to_string(), |rate| {
                format!("{} msg/s is the highest rate that met it", number(rate))
            });
        writeln!(out, "p99 target {}: {verdict}", micros(target))?;
    }
    if sweep.interrupted {
        writeln!(out, "interrupted: the steps done so far")?;
    }
    let spans: Vec<(String, u64, u64)> = sweep
        .rows
        .iter()
        .filter_map(|row| {
            Some((
                format!("{}/s", number(row.target_rate)),
                row.p50_us?,
                row.p99_us?,
            ))
        })
        .collect();
    if !spans.is_empty() {
        writeln!(out)?;
        let title = "latency by rate: █ to p50, ░ to p99 (log scale)";
        for line in chart::spans(title, &spans, chart::width(), micros) {
            writeln!(out, "{line}")?;
        }
    }
    out.flush()
}
