//! Step 6: notifications are transactional. Absence is shown without guessing how long to
//! wait: after each case a marker notification is committed, and since delivery follows commit
//! order, whatever had been delivered would have arrived before the marker.

use super::inbox::{self, Inbox};
use super::narrate::Narrator;
use super::{Connections, Demo};
use crate::error::Result;
use anyhow::{anyhow, Context};
use sqlx::{Connection, Executor, Postgres};
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
    let channel = demo.names.channels[0].clone();
    let sent = ["in transaction 1", "in transaction 2"];
    let n = &mut demo.narrator;
    n.say("Notifications sent inside a transaction are held until it commits:")?;
    n.sql("BEGIN")?;
    let mut tx = conns.session.begin().await.context("BEGIN failed")?;
    for payload in sent {
        send(n, &mut *tx, &channel, payload).await?;
    }
    n.say("Before COMMIT, another session commits one of its own:")?;
    let marker = "committed by another session";
    send(n, &conns.pool, &channel, marker).await?;
    let early = collect_until(demo, inbox, &channel, marker).await?;
    expect(&early, &[], "before COMMIT")?;
    demo.narrator.fact(&format!(
        "before COMMIT: 0 of {} arrived, though a later-sent notification from another session did",
        sent.len()
    ))?;
    demo.narrator.sql("COMMIT")?;
    tx.commit().await.context("COMMIT failed")?;
    let marker = "after the commit";
    send(&mut demo.narrator, &mut conns.session, &channel, marker).await?;
    let delivered = collect_until(demo, inbox, &channel, marker).await?;
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
    let channel = demo.names.channels[0].clone();
    let n = &mut demo.narrator;
    n.say("A transaction that rolls back sends nothing:")?;
    n.sql("BEGIN")?;
    let mut tx = conns.session.begin().await.context("BEGIN failed")?;
    send(n, &mut *tx, &channel, "rolled back").await?;
    n.sql("ROLLBACK")?;
    tx.rollback().await.context("ROLLBACK failed")?;
    let marker = "after the rollback";
    send(n, &mut conns.session, &channel, marker).await?;
    let arrived = collect_until(demo, inbox, &channel, marker).await?;
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
    let channel = demo.names.channels[0].clone();
    let sent = ["same", "same", "same", "different"];
    let n = &mut demo.narrator;
    n.say("Identical notifications in one transaction are folded into one:")?;
    n.sql("BEGIN")?;
    let mut tx = conns.session.begin().await.context("BEGIN failed")?;
    for payload in sent {
        send(n, &mut *tx, &channel, payload).await?;
    }
    n.sql("COMMIT")?;
    tx.commit().await.context("COMMIT failed")?;
    let marker = "after the duplicates";
    send(n, &mut conns.session, &channel, marker).await?;
    let delivered = collect_until(demo, inbox, &channel, marker).await?;
    expect(&delivered, &["same", "different"], "after the duplicates")?;
    demo.narrator.fact(&format!(
        "duplicates: {} sent in one transaction, {} arrived (\"same\" once, \"different\" once)",
        sent.len(),
        delivered.len()
    ))
}

/// Narrate and send one notification on `conn`.
async fn send<'c, W: Write>(
    narrator: &mut Narrator<W>,
    conn: impl Executor<'c, Database = Postgres>,
    channel: &str,
    payload: &str,
) -> Result<()> {
    narrator.sql(&format!("SELECT pg_notify('{channel}', '{payload}')"))?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(channel)
        .bind(payload)
        .execute(conn)
        .await
        .context("pg_notify failed")?;
    Ok(())
}

/// Receive (and print) until `marker` arrives on `channel`; returns the payloads before it.
async fn collect_until<W: Write>(
    demo: &mut Demo<W>,
    inbox: &mut impl Inbox,
    channel: &str,
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
        if notification.channel() != channel {
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
