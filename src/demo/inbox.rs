//! Waiting for notifications that must come. The demo never waits forever: when something it
//! is about to claim does not arrive within a generous limit, it fails and says what was
//! missing, instead of hanging or quietly narrating less.

use anyhow::{anyhow, Context};
use futures::{Stream, StreamExt};
use sqlx::postgres::PgNotification;
use std::future::Future;
use std::time::Duration;

/// The listener as a stream (after `PgListener::into_stream`), as the later steps use it.
pub trait Inbox: Stream<Item = Result<PgNotification, sqlx::Error>> + Unpin {}

impl<S: Stream<Item = Result<PgNotification, sqlx::Error>> + Unpin> Inbox for S {}

/// How long to wait for a notification that is due before calling it lost: a few producer
/// intervals plus room for a slow, loaded machine.
pub fn patience(interval: Duration) -> Duration {
    interval * 3 + Duration::from_secs(10)
}

/// Await `receive` for at most `limit`; `what` names the awaited thing in the error.
pub async fn within<T>(
    limit: Duration,
    what: &str,
    receive: impl Future<Output = Result<T, sqlx::Error>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(limit, receive).await {
        Ok(received) => received.with_context(|| format!("failed while waiting for {what}")),
        Err(_) => Err(anyhow!(
            "{what} did not arrive within {}",
            humantime::format_duration(limit)
        )),
    }
}

/// The next notification from `inbox`, within `limit`.
pub async fn next(
    inbox: &mut impl Inbox,
    limit: Duration,
    what: &str,
) -> anyhow::Result<PgNotification> {
    within(limit, what, async {
        match inbox.next().await {
            Some(received) => received,
            None => Err(sqlx::Error::Protocol(
                "the notification stream ended".to_string(),
            )),
        }
    })
    .await
}
