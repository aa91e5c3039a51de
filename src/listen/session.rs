//! One listening connection, from connect to verified LISTEN. A session never reconnects by
//! itself (sqlx's `PgListener` would, hiding the gap): when it is lost the caller drops it and
//! opens a new one, so every gap is seen, timed and reported.

use crate::connect::ConnSettings;
use anyhow::anyhow;
use sqlx::postgres::{PgListener, PgNotification, PgPoolOptions};
use sqlx::Connection;
use std::time::Duration;

/// A live connection listening on every channel.
pub struct Session {
    listener: PgListener,
}

/// Why a session could not be opened or was lost, in one human line.
pub type Failure = anyhow::Error;

impl Session {
    /// Connect, refuse setups where LISTEN silently receives nothing, LISTEN on `channels`
    /// and check that the server really holds them.
    pub async fn open(settings: &ConnSettings, channels: &[String]) -> Result<Session, Failure> {
        // A plain connection first: it fails fast with psql-like words (the pool used below
        // would retry a refused connection until its timeout and then only say "timed out").
        let mut probe = settings.connect().await?;
        let standby: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
            .fetch_one(&mut probe)
            .await
            .map_err(|e| anyhow!(settings.explain(&e)))?;
        let _ = probe.close().await;
        if standby {
            return Err(anyhow!(
                "the server is a hot standby (pg_is_in_recovery() is true): standbys refuse \
                 LISTEN; connect to the primary"
            ));
        }
        // PgListener needs a pool; one of a single connection that it never gets back.
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_lazy_with(settings.options().clone());
        let explain = |e: sqlx::Error| anyhow!(settings.explain(&e));
        let mut listener = PgListener::connect_with(&pool).await.map_err(explain)?;
        listener.eager_reconnect(false);
        listener.ignore_pool_close_event(true);
        listener
            .listen_all(channels.iter().map(String::as_str))
            .await
            .map_err(explain)?;
        let held: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_listening_channels() AS c WHERE c = ANY($1)",
        )
        .bind(channels)
        .fetch_one(&mut listener)
        .await
        .map_err(explain)?;
        if held != channels.len() as i64 {
            return Err(anyhow!(
                "after LISTEN the server holds {held} of {} channels: is a transaction-mode \
                 pooler (e.g. PgBouncer pool_mode=transaction) in between? LISTEN needs a \
                 session; connect to the server directly or through a session-mode pool",
                channels.len()
            ));
        }
        Ok(Session { listener })
    }

    /// The next notification; `Err` when the connection is gone (closed, reset, killed).
    /// Cancel-safe: dropping the future loses nothing.
    pub async fn recv(&mut self, settings: &ConnSettings) -> Result<PgNotification, Failure> {
        match self.listener.try_recv().await {
            Ok(Some(notification)) => Ok(notification),
            Ok(None) => Err(anyhow!("the server closed the connection")),
            Err(e) => Err(anyhow!(settings.explain(&e))),
        }
    }

    /// A notification already received but not yet returned, without waiting.
    pub fn buffered(&mut self) -> Option<PgNotification> {
        self.listener.next_buffered()
    }

    /// Check that the server still answers within `limit` (a half-open TCP connection looks
    /// idle forever otherwise). Notifications arriving meanwhile are buffered, not lost.
    pub async fn ping(&mut self, limit: Duration, settings: &ConnSettings) -> Result<(), Failure> {
        match tokio::time::timeout(limit, sqlx::query("SELECT 1").execute(&mut self.listener)).await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(anyhow!(settings.explain(&e))),
            Err(_) => Err(anyhow!(
                "the server did not answer a keepalive query within {}",
                humantime::format_duration(limit)
            )),
        }
    }
}
