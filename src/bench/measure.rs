//! The receiving side: listeners that time every notification into an HDR histogram and check,
//! per sender, that each sequence number arrives exactly once and in order; and the sampler of
//! the server's notification queue. A listener never reconnects: a notification missed while
//! it was away is exactly what the benchmark must count as lost.

use super::workload::{decode, Clock};
use crate::connect::ConnSettings;
use anyhow::Context;
use hdrhistogram::Histogram;
use sqlx::postgres::{PgConnection, PgListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How listener connections show up in `pg_stat_activity`.
pub const LISTENER_APPLICATION: &str = "pgpubsub-bench-listener";

/// How often the queue usage is sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// Longest latency told apart, in microseconds: an hour (longer ones count as an hour).
const LATENCY_CEILING_US: u64 = 3_600_000_000;

/// A latency histogram in microseconds, 3 significant digits, fixed bounds: recording never
/// allocates on the hot path and merging listeners' histograms never fails.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_CEILING_US, 3).expect("the bounds are valid")
}

/// Which sequence numbers of one sender a listener has seen.
#[derive(Debug, Default)]
pub struct SeqTracker {
    seen: Vec<u64>,
    /// The highest seen per lane: commit order is session order, so order is only promised
    /// within a lane.
    highest: Vec<Option<u64>>,
    /// Distinct sequence numbers received.
    pub unique: u64,
}

/// How a received sequence number relates to those before it.
#[derive(Debug, PartialEq, Eq)]
pub enum Arrival {
    InOrder,
    OutOfOrder,
    Duplicate,
}

impl SeqTracker {
    /// Record `seq`, sent on `lane`, and classify it.
    pub fn record(&mut self, seq: u64, lane: u8) -> Arrival {
        let (word, bit) = ((seq / 64) as usize, 1u64 << (seq % 64));
        if word >= self.seen.len() {
            self.seen.resize(word + 1, 0);
        }
        if self.seen[word] & bit != 0 {
            return Arrival::Duplicate;
        }
        self.seen[word] |= bit;
        self.unique += 1;
        let lane = usize::from(lane);
        if lane >= self.highest.len() {
            self.highest.resize(lane + 1, None);
        }
        let highest = &mut self.highest[lane];
        let late = highest.is_some_and(|highest| seq < highest);
        *highest = Some(highest.map_or(seq, |highest| highest.max(seq)));
        if late {
            Arrival::OutOfOrder
        } else {
            Arrival::InOrder
        }
    }
}

/// What one listener saw.
#[derive(Debug)]
pub struct ListenerResult {
    /// Notifications sent in the measured phase that arrived (first arrivals only).
    pub received: u64,
    /// Warmup notifications that arrived (first arrivals only).
    pub warmup_received: u64,
    /// End-to-end latency of measured notifications, in microseconds.
    pub latency: Histogram<u64>,
    /// Per sender id.
    pub senders: Vec<SeqTracker>,
    pub duplicated: u64,
    pub out_of_order: u64,
    /// Notifications on our channels that no sender of this run sent.
    pub unexpected: u64,
    /// When the last measured notification arrived.
    pub last_arrival: Option<Instant>,
    /// Why it stopped listening early, if it did.
    pub error: Option<String>,
}

impl ListenerResult {
    /// Nothing received yet from any of `senders` senders.
    pub fn new(senders: u32) -> Self {
        ListenerResult {
            received: 0,
            warmup_received: 0,
            latency: latency_histogram(),
            senders: (0..senders).map(|_| SeqTracker::default()).collect(),
            duplicated: 0,
            out_of_order: 0,
            unexpected: 0,
            last_arrival: None,
            error: None,
        }
    }
}

/// A listener connection, subscribed and ready, with what it shares with the run.
pub struct Listener {
    pub id: u32,
    pub listener: PgListener,
    pub clock: Clock,
    pub measure_start: Instant,
    /// Distinct notifications received so far, watched while draining.
    pub unique: Arc<AtomicU64>,
    /// Becomes true when the run is over.
    pub stop: watch::Receiver<bool>,
}

/// Connect and LISTEN on every channel; returns once the server has confirmed.
pub async fn subscribe(settings: &ConnSettings, channels: &[String]) -> anyhow::Result<PgListener> {
    let settings = settings.with_application_name(LISTENER_APPLICATION);
    settings
        .listener(channels)
        .await
        .map_err(|err| anyhow::anyhow!("listener: {}", settings.explain(&err)))
}

impl Listener {
    /// Receive until told to stop or the connection is lost.
    pub async fn run(mut self, senders: u32) -> ListenerResult {
        let mut result = ListenerResult::new(senders);
        // One select for the whole run rather than one per notification: when the stop comes,
        // the receiving loop is dropped and what it recorded stays in `result`.
        let mut stop = self.stop.clone();
        tokio::select! {
            _ = stop.changed() => {}
            error = self.receive(senders, &mut result) => result.error = Some(error),
        }
        result
    }

    /// Receive and check notifications until the connection fails; returns why it did.
    async fn receive(&mut self, senders: u32, result: &mut ListenerResult) -> String {
        let measure_from = self.clock.nanos(self.measure_start);
        loop {
            let notification = match self.listener.try_recv().await {
                Ok(Some(notification)) => notification,
                Ok(None) => return format!("listener {}: connection lost", self.id),
                Err(err) => return format!("listener {}: {err}", self.id),
            };
            let now = Instant::now();
            let Some((from, seq, sent_at)) =
                decode(notification.payload()).filter(|(from, ..)| from.sender < senders)
            else {
                result.unexpected += 1;
                continue;
            };
            match result.senders[from.sender as usize].record(seq, from.lane) {
                Arrival::Duplicate => {
                    result.duplicated += 1;
                    continue;
                }
                Arrival::OutOfOrder => result.out_of_order += 1,
                Arrival::InOrder => {}
            }
            self.unique.fetch_add(1, Ordering::Relaxed);
            if sent_at < measure_from {
                result.warmup_received += 1;
            } else {
                result.received += 1;
                result.last_arrival = Some(now);
                let micros = self.clock.nanos(now).saturating_sub(sent_at) / 1000;
                result.latency.saturating_record(micros);
            }
        }
    }
}

/// One reading of the server's notification queue.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub at: Instant,
    /// `pg_notification_queue_usage()`: the fraction of the queue in use, 0 to 1.
    pub usage: f64,
}

/// Poll `pg_notification_queue_usage()` until told to stop; returns every reading.
pub async fn sample_queue(
    mut conn: PgConnection,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Vec<Sample>> {
    let mut samples = Vec::new();
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = tick.tick() => {}
        }
        samples.push(Sample {
            usage: queue_usage(&mut conn).await?,
            at: Instant::now(),
        });
    }
    Ok(samples)
}

/// The fraction of the server's notification queue in use now.
pub async fn queue_usage(conn: &mut PgConnection) -> anyhow::Result<f64> {
    sqlx::query_scalar("SELECT pg_notification_queue_usage()")
        .fetch_one(conn)
        .await
        .context("cannot sample pg_notification_queue_usage()")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_are_classified() {
        let mut tracker = SeqTracker::default();
        assert_eq!(tracker.record(0, 0), Arrival::InOrder);
        assert_eq!(tracker.record(2, 0), Arrival::InOrder);
        assert_eq!(tracker.record(1, 0), Arrival::OutOfOrder);
        assert_eq!(tracker.record(2, 0), Arrival::Duplicate);
        assert_eq!(tracker.record(200, 0), Arrival::InOrder);
        // Another lane's commits may overtake: order is kept per lane.
        assert_eq!(tracker.record(150, 1), Arrival::InOrder);
        assert_eq!(tracker.record(151, 1), Arrival::InOrder);
        assert_eq!(tracker.record(149, 1), Arrival::OutOfOrder);
        assert_eq!(tracker.record(2, 1), Arrival::Duplicate);
        assert_eq!(tracker.unique, 7);
    }
}
