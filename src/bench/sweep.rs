//! `--sweep FROM..TO`: where does latency turn? One short open-loop run per rate, doubling from
//! FROM to TO (TO itself last when doubling does not land on it), each on channels of its own,
//! one row per step; with `--p99-target`, the highest rate that met it.

use super::report::Report;
use super::server::ServerFacts;
use super::workload::Workload;
use super::{measure_run, SweepPlan};
use crate::app::Context;
use crate::connect::ConnSettings;
use crate::error::{Error, Result};
use crate::signals::Signal;
use serde::Serialize;

/// A step meets the target only if it also sent (nearly) at its rate: a step whose senders fell
/// behind measured a lower load than it claims.
const ACHIEVED_SHARE: f64 = 0.95;

/// The sweep's outcome.
#[derive(Debug, Serialize)]
pub struct SweepReport {
    pub server_version: String,
    pub server: ServerFacts,
    pub interrupted: bool,
    pub p99_target_us: Option<u64>,
    /// The highest target rate whose step met `p99_target_us` without loss.
    pub highest_rate_meeting_target: Option<f64>,
    #[serde(rename = "steps")]
    pub rows: Vec<Step>,
    /// Each step's full report (for the verdict).
    #[serde(skip)]
    pub steps: Vec<Report>,
}

/// One step, as a row.
#[derive(Debug, Serialize)]
pub struct Step {
    pub target_rate: f64,
    pub achieved_rate: f64,
    pub p50_us: Option<u64>,
    pub p90_us: Option<u64>,
    pub p99_us: Option<u64>,
    pub p99_9_us: Option<u64>,
    pub max_us: Option<u64>,
    pub lost: u64,
    pub sender_lag_p99_us: Option<u64>,
    pub met_target: Option<bool>,
}

/// The step rates: FROM, doubling while within TO, then TO.
pub fn rates(plan: &SweepPlan) -> Vec<f64> {
    let mut rates: Vec<f64> = std::iter::successors(Some(plan.from), |r| Some(r * 2.0))
        .take_while(|r| *r <= plan.to * (1.0 + 1e-9))
        .collect();
    if rates
        .last()
        .is_some_and(|last| *last < plan.to * (1.0 - 1e-9))
    {
        rates.push(plan.to);
    }
    rates
}

/// Run every step; a signal ends the sweep with the steps done so far (with none done, it
/// abandons it: [`Error::Stopped`]).
pub async fn run(
    workload: &Workload,
    plan: &SweepPlan,
    settings: &ConnSettings,
    ctx: &mut Context,
) -> Result<(SweepReport, Option<Signal>)> {
    let mut steps = Vec::new();
    let mut signal = None;
    for (i, rate) in rates(plan).into_iter().enumerate() {
        match measure_run(&workload.at_rate(rate, i), settings, ctx).await {
            Ok((report, caught)) => {
                steps.push(report);
                signal = caught;
            }
            Err(Error::Stopped(caught)) => signal = Some(caught),
            Err(err) => return Err(err),
        }
        if signal.is_some() {
            break;
        }
    }
    let Some(first) = steps.first() else {
        return Err(Error::Stopped(signal.unwrap_or(Signal::Interrupt)));
    };
    let target = plan.p99_target.map(|t| t.as_micros() as u64);
    let rows: Vec<Step> = steps.iter().map(|r| Step::new(r, target)).collect();
    Ok((
        SweepReport {
            server_version: first.run.server_version.clone(),
            server: first.run.server.clone(),
            interrupted: signal.is_some(),
            p99_target_us: target,
            highest_rate_meeting_target: rows
                .iter()
                .filter(|row| row.met_target == Some(true))
                .map(|row| row.target_rate)
                .reduce(f64::max),
            rows,
            steps,
        },
        signal,
    ))
}

impl Step {
    fn new(r: &Report, target: Option<u64>) -> Self {
        let target_rate = r.workload.rate.unwrap_or(0.0);
        let achieved_rate = r.send_rate.total;
        Step {
            target_rate,
            achieved_rate,
            p50_us: r.latency_us.p50,
            p90_us: r.latency_us.p90,
            p99_us: r.latency_us.p99,
            p99_9_us: r.latency_us.p99_9,
            max_us: r.latency_us.max,
            lost: r.lost,
            sender_lag_p99_us: r.sender_lag_us.p99,
            met_target: target.map(|target| {
                r.latency_us.p99.is_some_and(|p99| p99 <= target)
                    && !r.failed_delivery()
                    && achieved_rate >= target_rate * ACHIEVED_SHARE
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_double_and_end_at_the_top() {
        let plan = |from, to| SweepPlan {
            from,
            to,
            p99_target: None,
        };
        assert_eq!(
            rates(&plan(1000.0, 8000.0)),
            [1000.0, 2000.0, 4000.0, 8000.0]
        );
        assert_eq!(
            rates(&plan(1000.0, 5000.0)),
            [1000.0, 2000.0, 4000.0, 5000.0]
        );
        assert_eq!(rates(&plan(500.0, 500.0)), [500.0]);
    }
}
