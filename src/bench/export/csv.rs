//! CSV for plotting: a header, then one row per percentile of a run (latency, sender lag and
//! the writers' commit latency, in microseconds), or one row per step of a sweep.

use crate::bench::report::Report;
use crate::bench::sweep::SweepReport;
use std::io::{self, Write};

/// The percentiles the CSV spectrum gives, one row each.
const CSV_PERCENTILES: [f64; 13] = [
    0.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 100.0,
];

/// One CSV row per percentile: latency and sender lag, in microseconds (lag empty without a
/// rate); a header row first.
pub fn run(r: &Report, out: &mut impl Write) -> io::Result<()> {
    let mut columns = vec![("latency_us", &r.latency), ("sender_lag_us", &r.lag)];
    if let Some(w) = &r.writers {
        columns.push(("commit_without_notify_us", &w.without_notify.latency));
        columns.push(("commit_with_notify_us", &w.with_notify.latency));
    }
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    writeln!(out, "percentile,{}", names.join(","))?;
    for p in CSV_PERCENTILES {
        let values: Vec<String> = columns
            .iter()
            .map(|(_, h)| match h.is_empty() {
                true => String::new(),
                false => h.value_at_quantile(p / 100.0).to_string(),
            })
            .collect();
        writeln!(out, "{p},{}", values.join(","))?;
    }
    out.flush()
}

/// One CSV row per step, a header first.
pub fn sweep(sweep: &SweepReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "target_rate,achieved_rate,p50_us,p90_us,p99_us,p99_9_us,max_us,lost,sender_lag_p99_us"
    )?;
    let opt = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
    for row in &sweep.rows {
        writeln!(
            out,
            "{},{:.1},{},{},{},{},{},{},{}",
            row.target_rate,
            row.achieved_rate,
            opt(row.p50_us),
            opt(row.p90_us),
            opt(row.p99_us),
            opt(row.p99_9_us),
            opt(row.max_us),
            row.lost,
            opt(row.sender_lag_p99_us)
        )?;
    }
    out.flush()
}
