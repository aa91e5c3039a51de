//! The health model: one [`Snapshot`] (and the previous one, with `--watch`) judged into what
//! an operator needs: how full the queue is and how fast it fills, who may be holding it back,
//! who holds the NOTIFY commit lock and who waits for it, and a verdict a monitor can branch on.
//! Field names are serialized as they are, for `--json`: they are documented and must not
//! change.

use super::probe::{Server, Session, Snapshot, Visibility};
use crate::error::Exit;
use crate::limits::QueueLimit;
use serde::Serialize;
use std::time::{Duration, SystemTime};

/// The thresholds that turn facts into a verdict.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Queue usage (a fraction, 0 to 1) above which the server is degraded.
    pub warn: f64,
    /// How long a session may sit idle in a transaction before it is a suspect.
    pub idle_threshold: Duration,
    /// A journal whose oldest record is older than this is not being pruned.
    pub journal_age: Option<Duration>,
    /// A consumer whose oldest unread record is older than this has fallen behind.
    pub consumer_lag: Option<Duration>,
}

/// The queue reading of the previous refresh, for the growth rate.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    /// When it was read.
    pub at: SystemTime,
    /// `pg_notification_queue_usage()` then.
    pub usage: f64,
}

/// Healthy or not, as `status`'s exit status says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Exit 0: nothing below needs attention.
    Healthy,
    /// Exit 4: at least one reason.
    Degraded,
    /// `--watch` only: this refresh could not read the server (the reason says why); the next
    /// one tries again.
    Unknown,
}

impl Verdict {
    /// The exit status that reports this verdict.
    pub fn exit(self) -> Exit {
        match self {
            Verdict::Healthy => Exit::Success,
            Verdict::Degraded => Exit::Degraded,
            Verdict::Unknown => Exit::Failure,
        }
    }
}

/// Everything one refresh found, judged.
#[derive(Debug, Serialize)]
pub struct Health {
    /// When the snapshot was taken (RFC 3339, UTC).
    pub time: String,
    pub verdict: Verdict,
    /// Why the verdict is degraded, one phrase each (empty when healthy).
    pub reasons: Vec<String>,
    /// Version and the settings that matter for NOTIFY.
    pub server: Server,
    /// How full the notification queue is, and how fast it fills.
    pub queue: Queue,
    /// Sessions that may be holding the queue back (only while it is not empty).
    pub suspects: Vec<Suspect>,
    /// Who holds the NOTIFY commit lock and who waits for it.
    pub commit_lock: CommitLock,
    /// What this role may see of other sessions.
    pub visibility: Visibility,
    /// The journals of durable channels, with their consumers' lag.
    pub journals: Vec<crate::journal::report::Report>,
    /// What this report cannot tell, in words.
    pub notes: Vec<String>,
    /// This refresh's queue reading, for the next refresh's growth rate.
    #[serde(skip)]
    pub reading: Reading,
}

/// A refresh that could not read the server: only `time`, `verdict` ("unknown") and
/// `reasons` (the error).
#[derive(Debug, Serialize)]
pub struct Unknown {
    /// When the refresh was tried.
    pub time: String,
    /// Always [`Verdict::Unknown`].
    pub verdict: Verdict,
    /// The error, as one line.
    pub reasons: Vec<String>,
}

impl Unknown {
    /// The refresh at `at` that failed with `err`.
    pub fn new(at: SystemTime, err: &anyhow::Error) -> Unknown {
        Unknown {
            time: timestamp(at),
            verdict: Verdict::Unknown,
            reasons: vec![format!("{err:#}")],
        }
    }
}

/// RFC 3339 in UTC with milliseconds: several `--watch` refreshes may share a second.
fn timestamp(at: SystemTime) -> String {
    humantime::format_rfc3339_millis(at).to_string()
}

/// The notification queue.
#[derive(Debug, Serialize)]
pub struct Queue {
    /// `pg_notification_queue_usage()`: fraction in use, 0 to 1.
    pub usage: f64,
    /// How large it may grow: `max_bytes`, and `max_notify_queue_pages` (17+) that sets it.
    #[serde(flatten)]
    pub limit: QueueLimit,
    /// Change of `usage` per second since the previous refresh (`--watch` only).
    pub growth_per_s: Option<f64>,
    /// Seconds until full at that rate (only while it grows).
    pub full_in_s: Option<f64>,
}

/// A session that may be holding the queue back, and why it is suspected.
#[derive(Debug, Serialize)]
pub struct Suspect {
    /// `client_write` (blocked sending to a client that does not read) or
    /// `idle_in_transaction` (a session receives notifications only between transactions).
    pub reason: SuspectReason,
    /// The session, its fields inline.
    #[serde(flatten)]
    pub session: Session,
}

/// Why a session is suspected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuspectReason {
    /// Blocked sending to a client that does not read.
    ClientWrite,
    /// Idle in a transaction past the threshold.
    IdleInTransaction,
}

/// The database-wide lock every notifying commit takes until its commit is flushed (and,
/// with synchronous replication, acknowledged).
#[derive(Debug, Serialize)]
pub struct CommitLock {
    /// The session holding it; its wait (e.g. IPC/SyncRep, IO/WALWrite) is why others wait.
    pub holder: Option<Session>,
    /// Sessions waiting for it (wait_event_type Lock, wait_event object).
    pub waiters: Vec<Session>,
}

impl Health {
    /// Judge `snapshot` taken at `at`; `previous` gives the growth rate.
    pub fn judge(
        snapshot: Snapshot,
        at: SystemTime,
        previous: Option<Reading>,
        limits: &Limits,
    ) -> Health {
        let reading = Reading {
            at,
            usage: snapshot.usage,
        };
        let queue = queue(&snapshot, reading, previous);
        let suspects = suspects(&snapshot);
        let mut holders = snapshot.holders.into_iter();
        let commit_lock = CommitLock {
            holder: holders.next(),
            waiters: snapshot.waiters,
        };
        let mut reasons = reasons(&snapshot.server, &queue, &suspects, &commit_lock, limits);
        reasons.extend(journal_reasons(&snapshot.journals, limits));
        let mut notes = notes(&snapshot.visibility);
        notes.extend(snapshot.journal_errors);
        Health {
            time: timestamp(at),
            verdict: if reasons.is_empty() {
                Verdict::Healthy
            } else {
                Verdict::Degraded
            },
            notes,
            reasons,
            journals: snapshot.journals,
            server: snapshot.server,
            queue,
            suspects,
            commit_lock,
            visibility: snapshot.visibility,
            reading,
        }
    }
}

fn queue(snapshot: &Snapshot, now: Reading, previous: Option<Reading>) -> Queue {
    let growth_per_s = previous.and_then(|before| {
        let seconds = now.at.duration_since(before.at).ok()?.as_secs_f64();
        (seconds > 0.0).then(|| (now.usage - before.usage) / seconds)
    });
    Queue {
        usage: now.usage,
        limit: snapshot.limit,
        growth_per_s,
        full_in_s: growth_per_s
            .filter(|g| *g > 0.0)
            .map(|g| (1.0 - now.usage).max(0.0) / g),
    }
}

/// The candidates are suspects only while the queue holds something: an empty queue is held
/// back by nobody, whatever a session is doing.
fn suspects(snapshot: &Snapshot) -> Vec<Suspect> {
    if snapshot.usage <= 0.0 {
        return Vec::new();
    }
    snapshot
        .candidates
        .iter()
        .map(|session| Suspect {
            reason: if session.wait_event.as_deref() == Some("ClientWrite") {
                SuspectReason::ClientWrite
            } else {
                SuspectReason::IdleInTransaction
            },
            session: session.clone(),
        })
        .collect()
}

/// What the journals say: one kept too long (nobody prunes it, so it grows without bound),
/// and consumers that fell behind.
fn journal_reasons(journals: &[crate::journal::report::Report], limits: &Limits) -> Vec<String> {
    use crate::journal::report::ago;
    let over = |seconds: f64, limit: Option<Duration>| {
        limit.is_some_and(|limit| seconds > limit.as_secs_f64())
    };
    let mut reasons = Vec::new();
    for journal in journals {
        let name = crate::pg::quote::ident(&journal.schema);
        if let Some(age) = journal
            .oldest_age_s
            .filter(|age| over(*age, limits.journal_age))
        {
            reasons.push(format!(
                "journal {name} keeps records {} old: nothing prunes it, so it grows without \
                 bound (pgpubsub journal prune --older-than ...)",
                ago(age)
            ));
        }
        for consumer in &journal.consumers {
            if over(consumer.lag_s, limits.consumer_lag) {
                reasons.push(format!(
                    "consumer {:?} of journal {name} is {} behind ({})",
                    consumer.name,
                    ago(consumer.lag_s),
                    crate::notify::counted(consumer.lag_records as u64, "record")
                ));
            }
        }
    }
    reasons
}

fn reasons(
    server: &Server,
    queue: &Queue,
    suspects: &[Suspect],
    lock: &CommitLock,
    limits: &Limits,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if server.in_recovery {
        reasons.push("the server is a standby: LISTEN/NOTIFY cannot run here".to_string());
    }
    if queue.usage > limits.warn {
        reasons.push(format!(
            "queue {} full (warn at {})",
            percent(queue.usage),
            percent(limits.warn)
        ));
    }
    match suspects.len() {
        0 => {}
        1 => reasons.push(format!(
            "session {} may be holding the queue back",
            suspects[0].session.pid
        )),
        n => reasons.push(format!("{n} sessions may be holding the queue back")),
    }
    match lock.waiters.len() {
        0 => {}
        n => reasons.push(format!(
            "{n} session{} wait{} for the NOTIFY commit lock",
            if n == 1 { "" } else { "s" },
            if n == 1 { "s" } else { "" }
        )),
    }
    reasons
}

fn notes(visibility: &Visibility) -> Vec<String> {
    let mut notes = Vec::new();
    if !visibility.all_sessions {
        notes.push(format!(
            "role \"{}\" is not a member of pg_read_all_stats: the state, wait and query of {} \
             session{} of other roles are hidden, so suspects among them cannot be named \
             (the commit lock's pids are still shown)",
            visibility.role,
            visibility.hidden_sessions,
            if visibility.hidden_sessions == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    notes
}

/// A fraction as a percentage with enough digits to show that a small usage is not zero.
pub fn percent(fraction: f64) -> String {
    let pct = fraction * 100.0;
    if pct == 0.0 || pct >= 1.0 {
        return format!("{}%", trim(format!("{pct:.1}")));
    }
    // Two significant digits: 0.37%, 0.0012%.
    let decimals = (1 - pct.log10().floor() as i32).clamp(1, 9) as usize;
    format!("{}%", trim(format!("{pct:.decimals$}")))
}

/// A decimal number without trailing zeros (and without a trailing point).
pub fn trim(number: String) -> String {
    if number.contains('.') {
        number
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        number
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_show_small_usage() {
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.5), "50%");
        assert_eq!(percent(0.625), "62.5%");
        assert_eq!(percent(0.0037), "0.37%");
        assert_eq!(percent(0.000012), "0.0012%");
        assert_eq!(percent(1.0), "100%");
    }
}
