//! The scenario sessions that do not take part in the measurement but change it: idle
//! listeners (on PostgreSQL 18 and older every listening session of the database is woken for
//! every notifying commit, whatever its channels) and a stalled listener (a session in an open
//! transaction reads nothing, so the notification queue cannot be trimmed past it and grows
//! until it is full, when every NOTIFY fails).

use crate::connect::ConnSettings;
use anyhow::{anyhow, Context};
use sqlx::postgres::{PgConnection, PgListener};
use std::time::{Duration, Instant};

/// How idle listener connections show up in `pg_stat_activity`.
pub const IDLE_APPLICATION: &str = "pgpubsub-bench-idle";

/// How the stalled listener's connection shows up in `pg_stat_activity`.
pub const STALLED_APPLICATION: &str = "pgpubsub-bench-stalled";

/// How long the end of a released session is waited for.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(5);

/// Open `count` sessions, each listening on a channel of its own that no one notifies.
pub async fn idle_listeners(
    settings: &ConnSettings,
    run_id: &str,
    count: u32,
) -> anyhow::Result<Vec<PgListener>> {
    let settings = settings.with_application_name(IDLE_APPLICATION);
    futures::future::try_join_all((0..count).map(|i| {
        let channel = [format!("pgpubsub_bench_{run_id}_idle_{i}")];
        let settings = &settings;
        async move {
            settings
                .listener(&channel)
                .await
                .map_err(|err| anyhow!("idle listener: {}", settings.explain(&err)))
        }
    }))
    .await
}

/// A listener on the run's channels whose session sits in an open transaction.
pub struct Stalled {
    listener: PgListener,
    pid: i32,
}

impl Stalled {
    /// Listen on `channels`, then open a transaction and leave it open.
    pub async fn open(settings: &ConnSettings, channels: &[String]) -> anyhow::Result<Self> {
        let settings = settings.with_application_name(STALLED_APPLICATION);
        let mut listener = settings
            .listener(channels)
            .await
            .map_err(|err| anyhow!("stalled listener: {}", settings.explain(&err)))?;
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut listener)
            .await
            .context("stalled listener")?;
        sqlx::raw_sql("BEGIN; SELECT 1")
            .execute(&mut listener)
            .await
            .context("stalled listener: cannot open its transaction")?;
        Ok(Stalled { listener, pid })
    }

    /// End the session (its transaction with it) and wait until the server has let it go;
    /// returns whether it did within the timeout.
    pub async fn release(self, control: &mut PgConnection) -> anyhow::Result<bool> {
        drop(self.listener);
        let deadline = Instant::now() + RELEASE_TIMEOUT;
        loop {
            let present: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)")
                    .bind(self.pid)
                    .fetch_one(&mut *control)
                    .await
                    .context("cannot check that the stalled listener was released")?;
            if !present {
                return Ok(true);
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
