//! The sending side: what to send (the resolved workload), how each payload identifies itself,
//! and the sender loop that keeps a batch/rate schedule. Open-loop rates stamp each batch with
//! its *scheduled* time, so a stalled server shows up as latency instead of being hidden by a
//! sender that simply waited (coordinated omission).

use super::lanes::{Lane, Lanes, SendDone};
use super::measure::latency_histogram;
use super::schedule;
use super::writers::{WriterResult, WritersPlan};
use super::Settings;
use crate::error::{usage, Result};
use crate::limits::MAX_PAYLOAD_BYTES;
use futures::future::LocalBoxFuture;
use futures::FutureExt;
use hdrhistogram::Histogram;
use sqlx::postgres::PgConnection;
use sqlx::{Executor, SqlSafeStr};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Notifications sent when neither --messages nor --duration is given.
const DEFAULT_MESSAGES: u64 = 100_000;

/// How long each phase of `--writers` lasts unless --duration says.
const DEFAULT_WRITERS_PHASE: Duration = Duration::from_secs(5);

/// How long each step of `--sweep` lasts unless --duration says.
const DEFAULT_SWEEP_STEP: Duration = Duration::from_secs(2);

/// Longest header: sender (8 hex digits), lane (2), sequence and timestamp (16 each), four
/// colons.
pub const HEADER_BYTES: usize = 8 + 2 + 16 + 16 + 4;

/// One statement, hence one transaction, per batch: the server sends a batch in send order.
const SEND_BATCH: &str =
    "SELECT count(pg_notify(c, p)) FROM unnest($1::text[], $2::text[]) AS t(c, p)";

/// A batch of one, without the arrays: the shortest round trip, for latency runs.
const SEND_ONE: &str = "SELECT pg_notify($1, $2)";

/// Parse the send statements on a new session ahead of its first send: a send is written by
/// its first poll and afterwards only read (see `lanes`), so a statement still to be parsed
/// would leave its Bind waiting for the next look, and the session would seem busy.
pub async fn prepare(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    for statement in [SEND_ONE, SEND_BATCH] {
        conn.prepare(statement.into_sql_str()).await?;
    }
    Ok(())
}

/// When the measured phase ends.
#[derive(Debug, Clone, Copy)]
pub enum Limit {
    /// This many notifications over all senders.
    Messages(u64),
    /// Sending stops after this long.
    Duration(Duration),
}

/// The benchmark as asked for, checked once before anything connects.
#[derive(Debug, Clone)]
pub struct Workload {
    pub senders: u32,
    pub listeners: u32,
    pub channels: Vec<String>,
    pub payload_size: usize,
    pub batch: u32,
    pub limit: Limit,
    /// Notifications per second over all senders; `None` is as fast as possible.
    pub rate: Option<f64>,
    pub warmup: Duration,
    pub drain_timeout: Duration,
    /// Sessions listening on channels no one notifies (each one the server must wake).
    pub idle_listeners: u32,
    /// One listener that stops reading, its session held in an open transaction.
    pub stalled_listener: bool,
    /// The write-path scenario: writers instead of senders.
    pub writers: Option<WritersPlan>,
    /// The run's unique stem, for channel and table names.
    pub run_id: String,
}

impl Workload {
    /// Resolve the settings; channel names are unique to this run so that concurrent runs (and
    /// other users of the server) never see each other's notifications.
    pub fn resolve(settings: &Settings) -> Result<Self> {
        if settings.payload_size < HEADER_BYTES {
            return Err(usage(format!(
                "--payload-size must be at least {HEADER_BYTES} bytes: each payload carries its \
                 sender, sequence number and send time"
            )));
        }
        // Writers' phases and sweep steps are timed; a plain run counts messages by default.
        let timed = match (settings.writers, settings.sweep) {
            (Some(_), _) => Some(DEFAULT_WRITERS_PHASE),
            (None, Some(_)) => Some(DEFAULT_SWEEP_STEP),
            (None, None) => None,
        };
        let limit = match (settings.messages, settings.duration, timed) {
            (_, Some(duration), _) if duration.is_zero() => {
                return Err(usage("--duration must be longer than 0s"))
            }
            (_, Some(duration), _) => Limit::Duration(duration),
            (None, None, Some(duration)) => Limit::Duration(duration),
            (Some(messages), None, _) => Limit::Messages(messages),
            (None, None, None) => Limit::Messages(DEFAULT_MESSAGES),
        };
        if let Limit::Messages(messages) = limit {
            if messages < u64::from(settings.senders) {
                return Err(usage(format!(
                    "--messages {messages} is fewer than --senders {}: every sender must send",
                    settings.senders
                )));
            }
        }
        let run_id = unique_run_id();
        Ok(Workload {
            senders: settings
                .writers
                .map_or(settings.senders, |plan| plan.sessions),
            listeners: settings.listeners,
            channels: channel_names(&run_id, settings.channels),
            payload_size: settings.payload_size,
            batch: settings.batch,
            limit,
            rate: settings.rate,
            warmup: settings.warmup.unwrap_or_default(),
            drain_timeout: settings.drain_timeout,
            idle_listeners: settings.idle_listeners,
            stalled_listener: settings.stalled_listener,
            writers: settings.writers,
            run_id,
        })
    }

    /// The same workload at another rate, on channels of its own (one step of a sweep, so
    /// that a step never receives what an earlier one left in flight).
    pub fn at_rate(&self, rate: f64, step: usize) -> Workload {
        let run_id = format!("{}_s{step}", self.run_id);
        Workload {
            rate: Some(rate),
            channels: channel_names(&run_id, self.channels.len() as u32),
            run_id,
            ..self.clone()
        }
    }

    /// How long each timed phase (a writers' phase, a sweep step) lasts.
    pub fn phase_length(&self) -> Duration {
        match self.limit {
            Limit::Duration(duration) => duration,
            Limit::Messages(_) => DEFAULT_WRITERS_PHASE,
        }
    }

    /// The measured-phase quota of sender `id`: the total split as evenly as possible.
    fn quota(&self, id: u32) -> Option<u64> {
        match self.limit {
            Limit::Messages(total) => {
                let senders = u64::from(self.senders);
                Some(total / senders + u64::from(u64::from(id) < total % senders))
            }
            Limit::Duration(_) => None,
        }
    }
}

/// The channels of a run: `pgpubsub_bench_<run>_<i>`.
fn channel_names(run_id: &str, count: u32) -> Vec<String> {
    (0..count)
        .map(|i| format!("pgpubsub_bench_{run_id}_{i}"))
        .collect()
}

/// Process id and clock, in hex: distinct for runs on this machine and very likely elsewhere.
fn unique_run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("{:x}_{:x}", std::process::id(), nanos as u32)
}

/// The run's time origin, shared by senders and listeners (one process, one monotonic clock),
/// so that a payload's timestamp is a plain offset.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub epoch: Instant,
}

impl Clock {
    /// Nanoseconds from the epoch to `at`.
    pub fn nanos(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.epoch).as_nanos() as u64
    }

    /// When the measured phase starts (after the warmup).
    pub fn measure_start(&self, workload: &Workload) -> Instant {
        self.epoch + workload.warmup
    }
}

/// What pads a payload to its size.
static PADDING: [u8; MAX_PAYLOAD_BYTES] = [b'.'; MAX_PAYLOAD_BYTES];

/// Who sent a notification: the sender, and the lane (session) it went out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub sender: u32,
    pub lane: u8,
}

/// A payload: `sender:lane:seq:nanos:` in hex, padded with `.` to exactly `size` bytes,
/// written over `into` (whose allocation is reused batch after batch).
pub fn encode(from: Origin, seq: u64, nanos: u64, size: usize, into: &mut String) {
    into.clear();
    for field in [u64::from(from.sender), u64::from(from.lane), seq, nanos] {
        push_hex(into, field);
        into.push(':');
    }
    let pad = size.saturating_sub(into.len());
    into.push_str(std::str::from_utf8(&PADDING[..pad]).expect("dots are UTF-8"));
}

/// `value` in lowercase hex without leading zeros (hand-rolled: this runs once per field of
/// every notification sent).
fn push_hex(into: &mut String, value: u64) {
    let digits = (64 - value.leading_zeros()).div_ceil(4).max(1);
    for shift in (0..digits).rev() {
        let nibble = (value >> (shift * 4)) & 0xf;
        into.push(char::from_digit(nibble as u32, 16).expect("a nibble is a hex digit"));
    }
}

/// The identity a listener reads back from a payload, if it is one of ours: who sent it, its
/// sequence number and its send time.
pub fn decode(payload: &str) -> Option<(Origin, u64, u64)> {
    let mut rest = payload.as_bytes();
    let mut field = || {
        let end = rest.iter().position(|&b| b == b':')?;
        if end == 0 || end > 16 {
            return None;
        }
        let mut value = 0u64;
        for &digit in &rest[..end] {
            value = value << 4 | u64::from(char::from(digit).to_digit(16)?);
        }
        rest = &rest[end + 1..];
        Some(value)
    };
    let sender = u32::try_from(field()?).ok()?;
    let lane = u8::try_from(field()?).ok()?;
    Some((Origin { sender, lane }, field()?, field()?))
}

/// What one sender did.
#[derive(Debug)]
pub struct SenderResult {
    /// Notifications committed in the measured phase.
    pub sent: u64,
    /// Notifications committed during the warmup.
    pub warmup_sent: u64,
    /// From the start of the measured phase to its last commit.
    pub elapsed: Duration,
    /// How late each measured batch left (actual send - schedule), in microseconds; empty
    /// without a rate.
    pub lag: Histogram<u64>,
    /// Sessions it sent on (more than one when a rate needed them).
    pub sessions: usize,
    /// A writer's commits, both phases (`--writers` only).
    pub writes: Option<WriterResult>,
    /// Why it stopped early, if it did.
    pub error: Option<String>,
}

impl SenderResult {
    /// Nothing sent yet.
    pub fn new() -> Self {
        SenderResult {
            sent: 0,
            warmup_sent: 0,
            elapsed: Duration::ZERO,
            lag: latency_histogram(),
            sessions: 1,
            writes: None,
            error: None,
        }
    }

    /// Every notification it committed: what each listener must receive from it.
    pub fn total(&self) -> u64 {
        self.sent + self.warmup_sent
    }
}

/// What every sending session (sender or writer) gets from the run when the clock starts.
pub struct Start {
    pub clock: Clock,
    /// Notifications committed by all senders, for the progress bar.
    pub progress: Arc<AtomicU64>,
    /// Becomes true on Ctrl-C: finish the batch in flight, then stop.
    pub stop: watch::Receiver<bool>,
}

/// A sender's sessions and what it shares with the run.
pub struct Sender {
    pub id: u32,
    pub lanes: Lanes,
    pub workload: Arc<Workload>,
    pub start: Start,
}

/// The arrays a batch is bound from, reused batch after batch so that sending allocates
/// nothing per notification (one set per lane: a send in flight owns its lane's).
#[derive(Clone)]
pub struct BatchBuffers {
    /// The channels in turn, long enough that any batch is one slice of it.
    channel_cycle: Arc<[String]>,
    payloads: Vec<String>,
}

impl BatchBuffers {
    pub fn new(workload: &Workload) -> Self {
        let batch = workload.batch as usize;
        let channels = &workload.channels;
        BatchBuffers {
            channel_cycle: (0..batch + channels.len())
                .map(|i| channels[i % channels.len()].clone())
                .collect(),
            payloads: vec![String::with_capacity(workload.payload_size); batch],
        }
    }
}

/// One phase of sending: from `origin`, until `until` or `quota`, whichever comes first.
struct Phase {
    origin: Instant,
    until: Option<Instant>,
    quota: Option<u64>,
    /// Whether the lag of its batches is recorded (the measured phase).
    measured: bool,
}

impl Sender {
    /// Send the warmup, then the measured phase, then wait for what is in flight; an error
    /// ends sending and is reported.
    pub async fn run(mut self) -> SenderResult {
        let mut result = SenderResult::new();
        let mut seq = 0;
        let start = self.start.clock.measure_start(&self.workload);
        let warmup = Phase {
            origin: self.start.clock.epoch,
            until: Some(start),
            quota: None,
            measured: false,
        };
        let measured = Phase {
            origin: start,
            until: match self.workload.limit {
                Limit::Duration(duration) => Some(start + duration),
                Limit::Messages(_) => None,
            },
            quota: self.workload.quota(self.id),
            measured: true,
        };
        let mut outcome = Ok(());
        for phase in [warmup, measured] {
            if outcome.is_ok() && (phase.measured || !self.workload.warmup.is_zero()) {
                outcome = self.phase(&phase, &mut seq, &mut result.lag).await;
            }
        }
        if outcome.is_ok() {
            outcome = self.lanes.drain().await;
        }
        result.elapsed = start.elapsed();
        result.error = outcome.err();
        result.sent = self.lanes.committed.measured;
        result.warmup_sent = self.lanes.committed.warmup;
        result.sessions = self.lanes.sessions();
        result
    }

    /// Send batches on schedule, each on a free lane, without waiting for them to commit.
    async fn phase(
        &mut self,
        phase: &Phase,
        seq: &mut u64,
        lag: &mut Histogram<u64>,
    ) -> Result<(), String> {
        let batch = u64::from(self.workload.batch);
        // Each sender keeps its share of the total rate, one batch per interval.
        let interval = self.workload.rate.map(|rate| {
            Duration::from_secs_f64(batch as f64 * f64::from(self.workload.senders) / rate)
        });
        let mut scheduled = 0;
        for n in 0u32.. {
            let count = phase
                .quota
                .map_or(batch, |quota| batch.min(quota - scheduled));
            let due = interval.map(|every| phase.origin + every * n);
            // A timed phase ends when its time is up, even for a sender that fell behind its
            // schedule (what it never sent shows as a lower achieved rate and in its lag).
            let now = Instant::now();
            if count == 0
                || *self.start.stop.borrow()
                || phase
                    .until
                    .is_some_and(|until| due.map_or(now, |due| due.max(now)) >= until)
            {
                break;
            }
            if let Some(due) = due {
                // Collect what landed meanwhile, so that at the deadline a lane is at hand.
                self.lanes.harvest().await?;
                if schedule::wait_until(due, &mut self.start.stop)
                    .await
                    .is_err()
                {
                    break;
                }
            }
            // Without a rate, one session sends as fast as its commits come back.
            let mut lane = self.lanes.free(due.is_some()).await?;
            if let (Some(due), true) = (due, phase.measured) {
                lag.saturating_record(micros_since(due));
            }
            let nanos = self.start.clock.nanos(due.unwrap_or_else(Instant::now));
            let from = Origin {
                sender: self.id,
                lane: lane.id,
            };
            fill(
                &mut lane.buffers,
                from,
                *seq,
                count as usize,
                nanos,
                &self.workload,
            );
            self.lanes
                .send(count, phase.measured, send(lane, *seq, count as usize))?;
            *seq += count;
            scheduled += count;
        }
        Ok(())
    }
}

/// Write the payloads of the batch starting at `first` into `buffers`.
fn fill(
    buffers: &mut BatchBuffers,
    from: Origin,
    first: u64,
    len: usize,
    nanos: u64,
    workload: &Workload,
) {
    let size = workload.payload_size;
    for (seq, payload) in (first..).zip(&mut buffers.payloads[..len]) {
        encode(from, seq, nanos, size, payload);
    }
}

/// The statement that sends the batch of `len` starting at `first`, filled into `lane`'s
/// buffers: a future that owns the lane until the server has answered.
fn send(mut lane: Lane, first: u64, len: usize) -> LocalBoxFuture<'static, SendDone> {
    async move {
        let buffers = &lane.buffers;
        let channel_count = buffers.channel_cycle.len() - buffers.payloads.len();
        let first_channel = (first % channel_count as u64) as usize;
        let channels = &buffers.channel_cycle[first_channel..first_channel + len];
        let payloads = &buffers.payloads[..len];
        let statement = if len == 1 {
            sqlx::query(SEND_ONE).bind(&channels[0]).bind(&payloads[0])
        } else {
            sqlx::query(SEND_BATCH).bind(channels).bind(payloads)
        };
        let outcome = statement.execute(&mut lane.conn).await.map(drop);
        (lane, outcome)
    }
    .boxed_local()
}

/// Whole microseconds from `at` until now (0 if `at` is still ahead).
fn micros_since(at: Instant) -> u64 {
    Instant::now().saturating_duration_since(at).as_micros() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_at_exact_size() {
        for (sender, lane, seq, nanos) in [
            (0, 0, 0, 0),
            (u32::MAX, u8::MAX, u64::MAX, u64::MAX),
            (3, 2, 77, 123_456),
        ] {
            let from = Origin { sender, lane };
            for size in [HEADER_BYTES, MAX_PAYLOAD_BYTES] {
                let mut payload = "left over from an earlier, longer batch".repeat(10);
                encode(from, seq, nanos, size, &mut payload);
                assert_eq!(payload.len(), size);
                assert_eq!(decode(&payload), Some((from, seq, nanos)));
            }
        }
        assert_eq!(decode("hello"), None);
        assert_eq!(decode("1:0:2:3"), None);
        assert_eq!(decode("100000000:0:2:3:"), None);
        assert_eq!(decode("1:100:2:3:"), None);
        assert_eq!(decode("1:0::3:"), None);
        assert_eq!(decode("1:0:x:3:"), None);
        assert_eq!(decode("1:0:11112222333344445:3:"), None);
        let mut payload = String::new();
        let from = Origin {
            sender: 0xab,
            lane: 1,
        };
        encode(from, 0x10, 0xfff, 0, &mut payload);
        assert_eq!(payload, "ab:1:10:fff:");
    }
}
