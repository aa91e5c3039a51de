//! The demo's concurrent producer: a task on the pool that sends one batch every interval,
//! one notification per channel in a single statement, so each batch is one transaction and
//! takes the server's notify lock once. Every notification carries its own sequence number
//! (`{"payload": n}`), which is what lets the demo account for each one on the other side.

use anyhow::{Context, Result};
use sqlx::postgres::PgPool;
use sqlx::AssertSqlSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running producer. Dropping it aborts the task (Ctrl-C); [`Producer::stop`] ends it
/// between batches and tells exactly how many notifications were committed.
pub struct Producer {
    sent: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<u64>>,
}

/// The statement a batch uses: `pg_notify` over a `VALUES` list of bind parameters, one row
/// per channel, so the whole batch is one round trip and one transaction.
pub fn statement(channels: usize) -> String {
    let rows: Vec<String> = (0..channels)
        .map(|i| format!("(${}::text, ${}::bigint)", 2 * i + 1, 2 * i + 2))
        .collect();
    format!(
        "SELECT pg_notify(channel, json_build_object('payload', n)::text) \
         FROM (VALUES {}) AS batch(channel, n)",
        rows.join(", ")
    )
}

impl Producer {
    /// Start sending on `channels` every `interval`, the first batch at once.
    pub fn start(pool: PgPool, channels: Vec<String>, interval: Duration) -> Producer {
        let sent = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(pool, channels, interval, sent.clone(), stopped));
        Producer { sent, stop, task }
    }

    /// How many notifications have been committed so far: every one numbered up to this has
    /// been sent (they are numbered 1, 2, 3...).
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// Stop after the batch in flight, if any, and return the total committed.
    pub async fn stop(mut self) -> Result<u64> {
        let _ = self.stop.send(true);
        (&mut self.task).await.context("the producer task failed")?
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run(
    pool: PgPool,
    channels: Vec<String>,
    interval: Duration,
    sent: Arc<AtomicU64>,
    mut stopped: watch::Receiver<bool>,
) -> Result<u64> {
    let sql = statement(channels.len());
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = stopped.changed() => return Ok(sent.load(Ordering::SeqCst)),
            _ = ticks.tick() => {}
        }
        let first = sent.load(Ordering::SeqCst) + 1;
        let mut query = sqlx::query(AssertSqlSafe(sql.clone()));
        for (n, channel) in (first..).zip(&channels) {
            query = query.bind(channel.as_str()).bind(n as i64);
        }
        query
            .execute(&pool)
            .await
            .context("the producer could not send its batch")?;
        sent.fetch_add(channels.len() as u64, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_values_row_per_channel() {
        assert_eq!(
            statement(2),
            "SELECT pg_notify(channel, json_build_object('payload', n)::text) \
             FROM (VALUES ($1::text, $2::bigint), ($3::text, $4::bigint)) AS batch(channel, n)"
        );
    }
}
