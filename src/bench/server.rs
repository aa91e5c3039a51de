//! What the report says about the server: its version and the settings that change NOTIFY's
//! numbers most (a commit that notifies holds a database-wide lock until its commit record is
//! flushed, so `synchronous_commit` and `fsync` move both latency and throughput; the queue's
//! size decides how long a stalled listener can be tolerated).

use anyhow::Context;
use serde::Serialize;
use sqlx::postgres::PgConnection;

/// The server as the run found it.
#[derive(Debug, Clone, Serialize)]
pub struct ServerFacts {
    pub version: String,
    pub synchronous_commit: String,
    pub fsync: String,
    /// PostgreSQL 17 and later; `None` where the setting does not exist (the queue is then a
    /// fixed 8 GB). A number, as every numeric setting is in pgpubsub's JSON.
    pub max_notify_queue_pages: Option<i64>,
}

impl ServerFacts {
    /// Read them on `conn` (any session: they are the server's, or this role's, defaults).
    pub async fn read(conn: &mut PgConnection) -> anyhow::Result<Self> {
        let (version, synchronous_commit, fsync, max_notify_queue_pages) = sqlx::query_as(
            "SELECT current_setting('server_version'), current_setting('synchronous_commit'), \
             current_setting('fsync'), current_setting('max_notify_queue_pages', true)::int8",
        )
        .fetch_one(conn)
        .await
        .context("cannot read the server's version and settings")?;
        Ok(ServerFacts {
            version,
            synchronous_commit,
            fsync,
            max_notify_queue_pages,
        })
    }

    /// One line for the human report.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "PostgreSQL {}, synchronous_commit {}, fsync {}",
            self.version, self.synchronous_commit, self.fsync
        );
        if let Some(pages) = self.max_notify_queue_pages {
            text.push_str(&format!(", max_notify_queue_pages {pages}"));
        }
        text
    }
}
