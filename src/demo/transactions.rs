//! Step 6: notifications are transactional. Absence is shown without guessing how long to
//! wait: after each case a marker notification is committed, and since delivery follows commit
//! order, whatever had been delivered would have arrived before the marker.

use super::inbox::{self, Inbox};
use super::{Connections, Demo};
use crate::error::Result;
use anyhow::{anyhow, Context};
use sqlx::postgres::PgConnection;
use sqlx::{Connection, Executor, Postgres, Transaction};
use std::io::Write;

/// Run step 6; returns how many notifications of the rolled-back transaction arrived (none).
pub async fn run<W: Write>(
    demo: &mut Demo<W>,
    conns: &mut Connections,
    inbox: &mut impl Inbox,
) -> Result<u64> {
    demo.narrator.step(6, "Transactions")?;
    at_commit_only(demo, conns, inbox).await?;
    let rolled_back = rollback(demo, conns, inbox).await?;
    duplicates(demo, conns, inbox).await?;
    Ok(rolled_back)
}

/// Notifications inside a transaction arrive at COMMIT, in the order they were sent.
async fn at_commit_only<W: Write>(
    demo: &mut Demo<W>,
    conns: &mut Connections,
    inbox: &mut impl Inbox,
) -> Result<()> {
    let sent = ["in transaction 1", "in transaction 2"];
    demo.narrator
        .say("Notifications sent inside a transaction are held until it commits:")?;
    let tx = begin_with(demo, &mut conns.session, &sent).await?;
    demo.narrator
        .say("Before COMMIT, another session commits one of its own:")?;
    let early = marker(demo, &conns.pool, inbox, "committed by another session").await?;
    expect(&early, &[], "before COMMIT")?;
    demo.narrator.fact(&format!(
        "before COMMIT: 0 of {} arrived, though a later-sent notification from another session did",
        sent.len()
    ))?;
    end(demo, tx, End::Commit).await?;
    let delivered = marker(demo, &mut conns.session, inbox, "after the commit").await?;
    expect(&delivered, &sent, "after COMMIT")?;
    demo.narrator.fact(&format!(
        "at COMMIT: {} of {} arrived, in the order sent",
        delivered.len(),
        sent.len()
    ))
}

/// A rolled-back transaction's notifications never arrive. Returns how many did.
async fn rollback<W: Write>(
    demo: &mut Demo<W>,
    conns: &mut Connections,
    inbox: &mut impl Inbox,
) -> Result<u64> {
    demo.narrator
        .say("A transaction that rolls back sends nothing:")?;
    let tx = begin_with(demo, &mut conns.session, &["rolled back"]).await?;
    end(demo, tx, End::Rollback).await?;
    let arrived = marker(demo, &mut conns.session, inbox, "after the rollback").await?;
    expect(&arrived, &[], "after ROLLBACK")?;
    demo.narrator
        .fact("rollback: 0 of 1 notifications arrived; the one committed after the ROLLBACK did")?;
    Ok(arrived.len() as u64)
}

/// Identical (channel, payload) pairs in one transaction are delivered once.
async fn duplicates<W: Write>(
    demo: &mut Demo<W>,
    conns: &mut Connections,
    inbox: &mut impl Inbox,
) -> Result<()> {
    let sent = ["same", "same", "same", "different"];
    demo.narrator
        .say("Identical notifications in one transaction are folded into one:")?;
    let tx = begin_with(demo, &mut conns.session, &sent).await?;
    end(demo, tx, End::Commit).await?;
    let delivered = marker(demo, &mut conns.session, inbox, "after the duplicates").await?;
    expect(&delivered, &["same", "different"], "after the duplicates")?;
    demo.narrator.fact(&format!(
        "duplicates: {} sent in one transaction, {} arrived (\"same\" once, \"different\" once)",
        sent.len(),
        delivered.len()
    ))
}

/// How a demo transaction ends.
#[derive(Clone, Copy)]
enum End {
    Commit,
    Rollback,
}

/// BEGIN, then send `payloads` on the first channel inside the transaction.
async fn begin_with<'s, W: Write>(
    demo: &mut Demo<W>,
    session: &'s mut PgConnection,
    payloads: &[&str],
) -> Result<Transaction<'s, Postgres>> {
    demo.narrator.sql("BEGIN")?;
    let mut tx = session.begin().await.context("BEGIN failed")?;
    for payload in payloads {
        send(demo, &mut *tx, payload).await?;
    }
    Ok(tx)
}

/// COMMIT or ROLLBACK, narrated.
async fn end<W: Write>(demo: &mut Demo<W>, tx: Transaction<'_, Postgres>, end: End) -> Result<()> {
    match end {
        End::Commit => {
            demo.narrator.sql("COMMIT")?;
            tx.commit().await.context("COMMIT failed")?;
        }
        End::Rollback => {
            demo.narrator.sql("ROLLBACK")?;
            tx.rollback().await.context("ROLLBACK failed")?;
        }
    }
    Ok(())
}

/// Commit the notification `text` on `conn`, then receive until it arrives: since delivery
/// follows commit order, the payloads returned are everything delivered before it.
async fn marker<'c, W: Write>(
    demo: &mut Demo<W>,
    conn: impl Executor<'c, Database = Postgres>,
    inbox: &mut impl Inbox,
    text: &str,
) -> Result<Vec<String>> {
    send(demo, conn, text).await?;
    collect_until(demo, inbox, text).await
}

/// Narrate and send one notification on the first channel, on `conn`.
async fn send<'c, W: Write>(
    demo: &mut Demo<W>,
    conn: impl Executor<'c, Database = Postgres>,
    payload: &str,
) -> Result<()> {
    let channel = &demo.names.channels[0];
    demo.narrator
        .sql(&format!("SELECT pg_notify('{channel}', '{payload}')"))?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(channel.as_str())
        .bind(payload)
        .execute(conn)
        .await
        .context("pg_notify failed")?;
    Ok(())
}

/// Receive (and print) until `marker` arrives on the first channel; returns the payloads
/// that arrived there before it.
async fn collect_until<W: Write>(
    demo: &mut Demo<W>,
    inbox: &mut impl Inbox,
    marker: &str,
) -> Result<Vec<String>> {
    let limit = inbox::patience(demo.interval);
    let mut before = Vec::new();
    loop {
        let notification = inbox::next(inbox, limit, &format!("\"{marker}\"")).await?;
        demo.narrator.received(
            notification.channel(),
            notification.payload(),
            notification.process_id(),
        )?;
        if notification.channel() != demo.names.channels[0] {
            continue;
        }
        if notification.payload() == marker {
            return Ok(before);
        }
        before.push(notification.payload().to_string());
    }
}

/// Fail the demo, saying what arrived, when the server did not do what the demo claims.
fn expect(arrived: &[String], expected: &[&str], when: &str) -> Result<()> {
    if arrived
        .iter()
        .map(String::as_str)
        .eq(expected.iter().copied())
    {
        Ok(())
    } else {
        Err(anyhow!("{when}: expected {expected:?} to arrive, got {arrived:?}").into())
    }
}
