//! The `--writers` scenario: what NOTIFY costs an application's write path. A notifying commit
//! takes a database-wide lock held until its commit record is flushed, so every other
//! notifying commit waits behind it. N sessions insert one row per transaction into a table
//! bench creates (and drops) as fast as they can, first with no notification, then with a
//! `pg_notify` in every K-th transaction; the same statement runs both ways (its notification
//! is switched by a parameter), so the difference between the phases is NOTIFY's alone.

use super::measure::latency_histogram;
use super::workload::{encode, Origin, SenderResult, Start, Workload};
use crate::pg::quote;
use anyhow::Context;
use hdrhistogram::Histogram;
use sqlx::postgres::PgConnection;
use sqlx::AssertSqlSafe;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The scenario as asked for.
#[derive(Debug, Clone, Copy)]
pub struct WritersPlan {
    pub sessions: u32,
    /// A notification in every K-th transaction of the second phase.
    pub notify_every: u32,
}

/// The run's table, `"pgpubsub_bench_<run>_writes"`, quoted as every name written into SQL is
/// (the run id is hex digits and `_` today, but the SQL should not depend on that).
pub fn table_name(workload: &Workload) -> String {
    quote::ident(&format!("pgpubsub_bench_{}_writes", workload.run_id))
}

/// Create the run's table (`table` as [`table_name`] quotes it).
pub async fn create_table(conn: &mut PgConnection, table: &str) -> anyhow::Result<()> {
    sqlx::raw_sql(AssertSqlSafe(format!(
        "CREATE TABLE {table} (writer integer NOT NULL, n bigint NOT NULL)"
    )))
    .execute(conn)
    .await
    .with_context(|| format!("cannot create the writers' table {table}"))?;
    Ok(())
}

/// Drop the run's table, if it is there.
pub async fn drop_table(conn: &mut PgConnection, table: &str) -> anyhow::Result<()> {
    sqlx::raw_sql(AssertSqlSafe(format!("DROP TABLE IF EXISTS {table}")))
        .execute(conn)
        .await
        .with_context(|| format!("cannot drop the writers' table {table}"))?;
    Ok(())
}

/// One phase's commits and how long each took (from sending the statement to its reply).
#[derive(Debug)]
pub struct Commits {
    pub commits: u64,
    pub elapsed: Duration,
    pub latency: Histogram<u64>,
}

impl Commits {
    fn new() -> Self {
        Commits {
            commits: 0,
            elapsed: Duration::ZERO,
            latency: latency_histogram(),
        }
    }
}

/// Both phases of one writer.
#[derive(Debug)]
pub struct WriterResult {
    pub without_notify: Commits,
    pub with_notify: Commits,
}

/// A writer session and what it shares with the run.
pub struct Writer {
    pub id: u32,
    pub conn: PgConnection,
    pub workload: Arc<Workload>,
    pub plan: WritersPlan,
    pub start: Start,
}

impl Writer {
    /// Write without notifying for one phase length, then with notifications; the warmup
    /// writes without notifying and is not counted.
    pub async fn run(mut self) -> SenderResult {
        let mut result = SenderResult::new();
        let mut without = Commits::new();
        let mut with = Commits::new();
        match self.phases(&mut without, &mut with).await {
            Ok(sent) => result.sent = sent,
            Err(err) => result.error = Some(err),
        }
        result.elapsed = with.elapsed;
        result.writes = Some(WriterResult {
            without_notify: without,
            with_notify: with,
        });
        result
    }

    /// The warmup, the phase without and the phase with notifications; returns the
    /// notifications committed.
    async fn phases(&mut self, without: &mut Commits, with: &mut Commits) -> Result<u64, String> {
        let start = self.start.clock.measure_start(&self.workload);
        let length = self.workload.phase_length();
        let statement = format!(
            "WITH w AS (INSERT INTO {} (writer, n) VALUES ($1, $2) RETURNING 1) \
             SELECT pg_notify($4, $5) FROM w WHERE $3",
            table_name(&self.workload)
        );
        self.phase(&statement, start, None, &mut Commits::new())
            .await?;
        self.phase(&statement, start + length, None, without)
            .await?;
        let every = self.plan.notify_every;
        self.phase(&statement, start + length * 2, Some(every), with)
            .await
    }

    /// Commit one row after another until `until`, notifying in every `notify_every`-th
    /// transaction; returns the notifications committed.
    async fn phase(
        &mut self,
        statement: &str,
        until: Instant,
        notify_every: Option<u32>,
        commits: &mut Commits,
    ) -> Result<u64, String> {
        let begun = Instant::now();
        let channels = &self.workload.channels;
        let mut payload = String::with_capacity(self.workload.payload_size);
        let mut notified = 0u64;
        let mut n = 0u64;
        while Instant::now() < until && !*self.start.stop.borrow() {
            let notify = notify_every.is_some_and(|every| n.is_multiple_of(u64::from(every)));
            let at = Instant::now();
            if notify {
                encode(
                    Origin {
                        sender: self.id,
                        lane: 0,
                    },
                    notified,
                    self.start.clock.nanos(at),
                    self.workload.payload_size,
                    &mut payload,
                );
            }
            let channel = &channels[(notified % channels.len() as u64) as usize];
            sqlx::query(AssertSqlSafe(statement.to_owned()))
                .bind(self.id as i32)
                .bind(n as i64)
                .bind(notify)
                .bind(channel)
                .bind(&payload)
                .execute(&mut self.conn)
                .await
                .map_err(|err| format!("writer {}: {err}", self.id))?;
            commits
                .latency
                .saturating_record(at.elapsed().as_micros() as u64);
            commits.commits += 1;
            n += 1;
            if notify {
                notified += 1;
                self.start.progress.fetch_add(1, Ordering::Relaxed);
            }
        }
        commits.elapsed = begun.elapsed();
        Ok(notified)
    }
}
