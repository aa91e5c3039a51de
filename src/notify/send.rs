//! Committing batches, one transaction each, in input order, and counting only what the server
//! acknowledged. A lone batch goes as one bound statement; several ready batches go in one
//! simple-query round trip (sqlx does not pipeline), which is what lets one-per-transaction
//! input (repeated lines) beat a client that waits for each commit. That round trip's SQL is
//! rendered while the batches are gathered (on the reading thread), so the connection never
//! waits for it.
//!
//! One connection on purpose: a second one running transaction N+1 while N commits (commits
//! still in input order) was measured slower on 2 cores (0.52 against 0.86 of pgbench's rate in
//! the same run): it needs two round trips per transaction instead of one per round, and both
//! backends compete with the reading thread for the same cores.

use super::batch::Batch;
use super::report::{counted, Totals};
use super::sql::{Dialect, Statements};
use crate::connect::{pooler_symptom, ConnSettings};
use crate::error::{note, warn};
use anyhow::anyhow;
use futures::TryStreamExt;
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Either};
use std::borrow::Cow;
use std::sync::Arc;

/// Statements per pipelined transaction (BEGIN, SELECT, COMMIT): each one completes with one
/// CommandComplete, so every third completion is an acknowledged commit.
const STATEMENTS_PER_TRANSACTION: usize = 3;

/// Most notifications one round trip carries (many small transactions, or a few full ones).
const ROUND_TRIP_MESSAGES: usize = 8192;
/// Most payload bytes one round trip carries.
const ROUND_TRIP_BYTES: usize = 4 << 20;

/// Batches to send in one round trip, in order, with their pipelined SQL.
#[derive(Debug)]
pub struct Round {
    dialect: Arc<Dialect>,
    batches: Vec<Batch>,
    sql: String,
    messages: usize,
    bytes: usize,
}

impl Extend<Batch> for Round {
    /// Add the next batches, rendering them now.
    fn extend<I: IntoIterator<Item = Batch>>(&mut self, batches: I) {
        for batch in batches {
            self.dialect
                .render(&mut self.sql, &batch, Statements::Prepared);
            self.messages += batch.messages.len();
            self.bytes += batch.bytes();
            self.batches.push(batch);
        }
    }
}

impl Round {
    /// An empty round of `dialect`'s statements.
    pub fn new(dialect: &Arc<Dialect>) -> Self {
        Round {
            dialect: dialect.clone(),
            batches: Vec::new(),
            sql: String::new(),
            messages: 0,
            bytes: 0,
        }
    }

    /// Add the batches of a later round.
    pub fn append(&mut self, later: Round) {
        if self.is_empty() {
            *self = later;
            return;
        }
        self.sql.push_str(&later.sql);
        self.messages += later.messages;
        self.bytes += later.bytes;
        self.batches.extend(later.batches);
    }

    /// Whether the round is as big as one round trip should be.
    pub fn is_full(&self) -> bool {
        self.messages >= ROUND_TRIP_MESSAGES || self.bytes >= ROUND_TRIP_BYTES
    }

    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }
}

/// A connection that commits batches and keeps the totals honest.
pub struct Sender {
    settings: ConnSettings,
    dialect: Arc<Dialect>,
    conn: PgConnection,
    /// Whether this connection has the statements pipelined round trips EXECUTE (prepared on
    /// first need, so a one-shot send costs no extra round trip).
    prepared: bool,
    /// Prepared until prepared statements turn out to come and go between round trips.
    statements: Statements,
    /// Whether to say so when that happens.
    verbose: bool,
    pub totals: Totals,
}

impl Sender {
    /// Connect once up front, so a wrong target fails before any input is read.
    pub async fn connect(
        settings: ConnSettings,
        dialect: Arc<Dialect>,
        verbose: bool,
    ) -> anyhow::Result<Self> {
        let conn = settings.connect().await?;
        Ok(Sender {
            settings,
            dialect,
            conn,
            prepared: false,
            statements: Statements::Prepared,
            verbose,
            totals: Totals::new(),
        })
    }

    /// Commit the round's batches in order. After a failure, reconnect and resend what was not
    /// acknowledged, once; a second failure is the error, naming the first unsent line.
    pub async fn send(&mut self, round: &Round) -> anyhow::Result<()> {
        let mut rest = round.batches.as_slice();
        let mut sql = Some(round.sql.as_str()).filter(|_| self.statements == Statements::Prepared);
        let mut retried = false;
        loop {
            let (done, result) = self.attempt(rest, sql.take()).await;
            rest = &rest[done..];
            let Err(err) = result else {
                return Ok(());
            };
            if self.statements == Statements::Prepared && self.give_up_prepared(&err).await {
                continue;
            }
            let first = rest.first().and_then(Batch::first_line).unwrap_or_default();
            let reason = self.settings.explain(&err);
            if retried {
                return Err(anyhow!(reason).context(self.totals.unsent(first)));
            }
            retried = true;
            let pending = rest.iter().map(|b| b.messages.len() as u64).sum();
            warn(format!(
                "sending failed ({reason}); reconnecting to resend {} once",
                counted(pending, "notification")
            ));
            // Host selection runs again: after a failover the resend reaches the new primary.
            self.conn = match self.settings.connect().await {
                Ok(conn) => conn,
                Err(err) => return Err(anyhow!(err).context(self.totals.unsent(first))),
            };
            self.prepared = false;
        }
    }

    /// After `err`, switch to statements written out in full if it says prepared statements
    /// come and go between transactions (a transaction-mode pooler), and end the failed
    /// transaction; whether the unacknowledged batches can simply be sent again, which does
    /// not use up the one resend after a real failure.
    async fn give_up_prepared(&mut self, err: &sqlx::Error) -> bool {
        let Some(message) = pooler_symptom(err) else {
            return false;
        };
        self.statements = Statements::Inline;
        if self.verbose {
            note(format!(
                "{message}: prepared statements come and go between transactions here (a \
                 transaction-mode pooler?); sending statements written out in full"
            ));
        }
        // The failed EXECUTE left its transaction block open, or there is none to end.
        sqlx::raw_sql("ROLLBACK")
            .execute(&mut self.conn)
            .await
            .is_ok()
    }

    /// One round trip (`sql` is `batches` rendered, if at hand): how many batches were
    /// acknowledged, and how it ended.
    async fn attempt(
        &mut self,
        batches: &[Batch],
        sql: Option<&str>,
    ) -> (usize, Result<(), sqlx::Error>) {
        self.totals.in_flight = batches.iter().map(|b| b.messages.len() as u64).sum();
        let outcome = match batches {
            [] => (0, Ok(())),
            [batch] => match self.dialect.bound(batch).execute(&mut self.conn).await {
                Ok(_) => {
                    self.totals.committed(batch);
                    (1, Ok(()))
                }
                Err(err) => (0, Err(err)),
            },
            _ => {
                let sql = sql.map_or_else(
                    || Cow::Owned(self.dialect.render_all(batches, self.statements)),
                    Cow::Borrowed,
                );
                self.pipelined(batches, &sql).await
            }
        };
        self.totals.in_flight = 0;
        outcome
    }

    /// Several transactions in one simple query, counted as their COMMITs complete.
    async fn pipelined(
        &mut self,
        batches: &[Batch],
        sql: &str,
    ) -> (usize, Result<(), sqlx::Error>) {
        if !self.prepared && self.statements == Statements::Prepared {
            let prepare =
                sqlx::raw_sql(AssertSqlSafe(self.dialect.prepare())).execute(&mut self.conn);
            if let Err(err) = prepare.await {
                return (0, Err(err));
            }
            self.prepared = true;
        }
        let mut results = sqlx::raw_sql(AssertSqlSafe(sql)).fetch_many(&mut self.conn);
        let (mut done, mut completions) = (0, 0);
        loop {
            match results.try_next().await {
                Ok(Some(Either::Left(_))) => {
                    completions += 1;
                    if completions % STATEMENTS_PER_TRANSACTION == 0 {
                        self.totals.committed(&batches[done]);
                        self.totals.in_flight -= batches[done].messages.len() as u64;
                        done += 1;
                    }
                }
                Ok(Some(Either::Right(_))) => {}
                Ok(None) if done == batches.len() => return (done, Ok(())),
                Ok(None) => {
                    let text = format!("{done} of {} transactions acknowledged", batches.len());
                    return (done, Err(sqlx::Error::Protocol(text)));
                }
                Err(err) => return (done, Err(err)),
            }
        }
    }
}
