//! Committing batches, one transaction each, in input order, and counting only what the server
//! acknowledged. A lone batch goes as one bound statement; several ready batches go in one
//! simple-query round trip (sqlx does not pipeline), which is what lets one-per-transaction
//! input (repeated lines) beat a client that waits for each commit.

use super::batch::Batch;
use super::report::Totals;
use crate::connect::ConnSettings;
use crate::error::warn;
use anyhow::anyhow;
use futures::TryStreamExt;
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Either};

/// One batch as one statement. `ORDER BY n` makes the send order the input order.
const BOUND: &str = "SELECT pg_notify(c, p) \
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(c, p, n) ORDER BY n";

/// Statements per pipelined transaction (BEGIN, SELECT, COMMIT): each one completes with one
/// CommandComplete, so every third completion is an acknowledged commit.
const STATEMENTS_PER_TRANSACTION: usize = 3;

/// A connection that commits batches and keeps the totals honest.
pub struct Sender {
    settings: ConnSettings,
    conn: PgConnection,
    pub totals: Totals,
}

impl Sender {
    /// Connect once up front, so a wrong target fails before any input is read.
    pub async fn connect(settings: ConnSettings) -> anyhow::Result<Self> {
        let conn = settings.connect().await?;
        Ok(Sender {
            settings,
            conn,
            totals: Totals::new(),
        })
    }

    /// Commit `batches` in order. After a failure, reconnect and resend what was not
    /// acknowledged, once; a second failure is the error, naming the first unsent line.
    pub async fn send(&mut self, batches: &[Batch]) -> anyhow::Result<()> {
        let mut rest = batches;
        let mut retried = false;
        loop {
            let (done, result) = self.attempt(rest).await;
            rest = &rest[done..];
            let Err(err) = result else {
                return Ok(());
            };
            let first = rest.first().and_then(Batch::first_line).unwrap_or_default();
            let reason = self.settings.explain(&err);
            if retried {
                return Err(anyhow!(reason).context(self.totals.unsent(first)));
            }
            retried = true;
            let pending: usize = rest.iter().map(|b| b.messages.len()).sum();
            warn(format!(
                "sending failed ({reason}); reconnecting to resend {pending} notifications once"
            ));
            self.conn = match self.settings.connect().await {
                Ok(conn) => conn,
                Err(err) => return Err(anyhow!(err).context(self.totals.unsent(first))),
            };
        }
    }

    /// One round trip: how many batches were acknowledged, and how it ended.
    async fn attempt(&mut self, batches: &[Batch]) -> (usize, Result<(), sqlx::Error>) {
        self.totals.in_flight = batches.iter().map(|b| b.messages.len() as u64).sum();
        let outcome = match batches {
            [] => (0, Ok(())),
            [batch] => match bound(batch).execute(&mut self.conn).await {
                Ok(_) => {
                    self.totals.committed(batch);
                    (1, Ok(()))
                }
                Err(err) => (0, Err(err)),
            },
            _ => self.pipelined(batches).await,
        };
        self.totals.in_flight = 0;
        outcome
    }

    /// Several transactions in one simple query, counted as their COMMITs complete.
    async fn pipelined(&mut self, batches: &[Batch]) -> (usize, Result<(), sqlx::Error>) {
        let mut results = sqlx::raw_sql(AssertSqlSafe(render(batches))).fetch_many(&mut self.conn);
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

fn bound(batch: &Batch) -> sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let channels: Vec<&str> = batch.messages.iter().map(|m| &*m.channel).collect();
    let payloads: Vec<&str> = batch.messages.iter().map(|m| m.payload.as_str()).collect();
    sqlx::query(BOUND).bind(channels).bind(payloads)
}

/// `BEGIN; SELECT pg_notify(...); COMMIT;` per batch, with every text as an escaped literal.
fn render(batches: &[Batch]) -> String {
    let mut sql = String::new();
    for batch in batches {
        sql.push_str("BEGIN;SELECT pg_notify(");
        if let [message] = batch.messages.as_slice() {
            push_literal(&mut sql, &message.channel);
            sql.push(',');
            push_literal(&mut sql, &message.payload);
            sql.push(')');
        } else {
            sql.push_str("c,p) FROM unnest(");
            push_literal(&mut sql, &array(batch.messages.iter().map(|m| &*m.channel)));
            sql.push_str("::text[],");
            push_literal(&mut sql, &array(batch.messages.iter().map(|m| &*m.payload)));
            sql.push_str("::text[]) WITH ORDINALITY AS t(c,p,n) ORDER BY n");
        }
        sql.push_str(";COMMIT;");
    }
    sql
}

/// An `E'...'` literal: with backslashes and quotes doubled it means exactly `text`, whatever
/// `standard_conforming_strings` says, so no input can end it early.
fn push_literal(sql: &mut String, text: &str) {
    sql.reserve(text.len() + 3);
    sql.push_str("E'");
    for ch in text.chars() {
        match ch {
            '\'' => sql.push_str("''"),
            '\\' => sql.push_str("\\\\"),
            ch => sql.push(ch),
        }
    }
    sql.push('\'');
}

/// A text-array literal with every element quoted, so none is read as NULL or trimmed.
fn array<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut text = String::from("{");
    for (i, item) in items.enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push('"');
        for ch in item.chars() {
            if matches!(ch, '"' | '\\') {
                text.push('\\');
            }
            text.push(ch);
        }
        text.push('"');
    }
    text.push('}');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_double_quotes_and_backslashes() {
        let mut sql = String::new();
        push_literal(&mut sql, r"it's \'; DROP TABLE x; --");
        assert_eq!(sql, r"E'it''s \\''; DROP TABLE x; --'");
    }

    #[test]
    fn arrays_quote_every_element() {
        assert_eq!(
            array([r#"a"b"#, r"c\", "", "NULL", " {x} "].into_iter()),
            r#"{"a\"b","c\\","","NULL"," {x} "}"#
        );
    }
}
