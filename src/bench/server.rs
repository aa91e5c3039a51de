//! What the report says about the server: its version and the settings that change NOTIFY's
//! numbers most (a commit that notifies holds a database-wide lock until its commit record is
//! flushed, so `synchronous_commit` and `fsync` move both latency and throughput; the queue's
//! size decides how long a stalled listener can be tolerated: fixed before PostgreSQL 17, the
//! setting `max_notify_queue_pages` from 17 on).

use crate::limits::QueueLimit;
use anyhow::Context;
use serde::Serialize;
use sqlx::postgres::PgConnection;

/// The server as the run found it.
#[derive(Debug, Clone, Serialize)]
pub struct ServerFacts {
    pub version: String,
    pub synchronous_commit: String,
    pub fsync: String,
    /// The setting that sizes the notification queue, PostgreSQL 17 and later; `None` before,
    /// where the size is fixed.
    pub max_notify_queue_pages: Option<i64>,
    /// The notification queue's size in bytes (what `peak_queue_usage` is a fraction of).
    pub notify_queue_bytes: i64,
}

impl ServerFacts {
    /// Read them on `conn` (any session: they are the server's, or this role's, defaults).
    pub async fn read(conn: &mut PgConnection) -> anyhow::Result<Self> {
        let (version, synchronous_commit, fsync, pages, block_size) = sqlx::query_as(
            "SELECT current_setting('server_version'), current_setting('synchronous_commit'), \
             current_setting('fsync'), current_setting('max_notify_queue_pages', true)::int8, \
             current_setting('block_size')::int8",
        )
        .fetch_one(conn)
        .await
        .context("cannot read the server's version and settings")?;
        Ok(ServerFacts {
            version,
            synchronous_commit,
            fsync,
            max_notify_queue_pages: pages,
            notify_queue_bytes: QueueLimit::new(pages, block_size).max_bytes,
        })
    }

    /// One line for the human report.
    pub fn describe(&self) -> String {
        format!(
            "PostgreSQL {}, synchronous_commit {}, fsync {}, notify queue {}",
            self.version,
            self.synchronous_commit,
            self.fsync,
            QueueLimit {
                max_bytes: self.notify_queue_bytes,
                max_notify_queue_pages: self.max_notify_queue_pages,
            }
            .describe()
        )
    }
}
