//! Steps 1 to 5: one listener on several channels, a concurrent producer, `recv()`, what
//! happens while the listener is busy, and the stream interface raced against a timer. They
//! end with the accounting: the producer's total against what arrived, number by number.

use super::inbox::{self, within, Inbox};
use super::ledger::Ledger;
use super::producer::{self, Producer};
use super::Demo;
use crate::error::Result;
use anyhow::{anyhow, Context};
use futures::StreamExt;
use sqlx::postgres::{PgListener, PgNotification, PgPool};
use std::io::Write;

/// What the accounting found, for the summary.
pub struct Delivery {
    /// Notifications the producer committed.
    pub sent: u64,
    /// Distinct ones that arrived.
    pub received: u64,
    /// Ones that arrived after the listener had been busy.
    pub late: u64,
}

/// How many busy rounds the buffering step tries before saying the producer is stuck.
const MAX_BUSY_ROUNDS: u32 = 10;

/// Run steps 1 to 5 and hand over the listener, now a stream, for the steps that follow.
pub async fn run<W: Write>(demo: &mut Demo<W>, pool: &PgPool) -> Result<(impl Inbox, Delivery)> {
    let mut listener = listen(demo, pool).await?;
    let producer = produce(demo, pool)?;
    let mut ledger = Ledger::default();
    receive_three(demo, &mut listener, &mut ledger).await?;
    let late = busy_listener(demo, &mut listener, &producer, &mut ledger).await?;
    let mut inbox = listener.into_stream();
    stream_with_timeout(demo, &mut inbox, &mut ledger).await?;
    let sent = account(demo, &mut inbox, producer, &mut ledger).await?;
    let delivery = Delivery {
        sent,
        received: ledger.received(),
        late,
    };
    Ok((inbox, delivery))
}

/// Step 1: a dedicated connection that listens on every channel.
async fn listen<W: Write>(demo: &mut Demo<W>, pool: &PgPool) -> Result<PgListener> {
    let n = &mut demo.narrator;
    n.step(1, "One dedicated listener connection, several channels")?;
    n.say("A listener keeps one connection for itself: notifications arrive on the session that")?;
    n.say(
        "ran LISTEN, between its queries. sqlx: PgListener::connect_with(&pool), then listen_all.",
    )?;
    let mut listener = PgListener::connect_with(pool)
        .await
        .context("cannot open the listener connection")?;
    let channels = demo.names.channels.iter().map(String::as_str);
    listener
        .listen_all(channels)
        .await
        .context("LISTEN failed")?;
    let sql: Vec<String> = demo
        .names
        .channels
        .iter()
        .map(|c| format!("LISTEN {};", crate::pg::quote::ident(c)))
        .collect();
    n.sql(&sql.join(" "))?;
    n.say(&format!(
        "Listening on {}. Channel names are case-sensitive when quoted, as here.",
        demo.names.channels.join(", ")
    ))?;
    Ok(listener)
}

/// Step 2: the producer starts, on its own pooled connection.
fn produce<W: Write>(demo: &mut Demo<W>, pool: &PgPool) -> Result<Producer> {
    let n = &mut demo.narrator;
    n.step(2, "A concurrent producer")?;
    n.say(&format!(
        "A separate task sends, every {}, one notification per channel in ONE statement:",
        humantime::format_duration(demo.interval)
    ))?;
    n.sql(&producer::statement(demo.names.channels.len()))?;
    n.say("One statement is one transaction: the server takes its notify lock once per batch,")?;
    n.say("which is what makes batching fast. Each payload carries a sequence number n,")?;
    n.say("so every notification can be accounted for at the end.")?;
    Ok(Producer::start(
        pool.clone(),
        demo.names.channels.to_vec(),
        demo.interval,
    ))
}

/// Step 3: three notifications with `recv()`, printed as they arrive.
async fn receive_three<W: Write>(
    demo: &mut Demo<W>,
    listener: &mut PgListener,
    ledger: &mut Ledger,
) -> Result<()> {
    demo.narrator.step(3, "Receiving with recv()")?;
    demo.narrator
        .say("listener.recv().await waits for the next notification on any channel:")?;
    let limit = inbox::patience(demo.interval);
    for _ in 0..3 {
        let notification = within(limit, "a producer notification", listener.recv()).await?;
        arrived(demo, ledger, &notification)?;
    }
    demo.narrator
        .say("Each one names its channel, its payload and the server process that sent it.")?;
    Ok(())
}

/// Step 4: the listener's connection runs a query while the producer keeps sending; nothing
/// is lost, it arrives when the connection is idle again. Returns how many arrived late.
async fn busy_listener<W: Write>(
    demo: &mut Demo<W>,
    listener: &mut PgListener,
    producer: &Producer,
    ledger: &mut Ledger,
) -> Result<u64> {
    let busy = demo.interval * 5 / 2;
    let seconds = busy.as_secs_f64();
    let n = &mut demo.narrator;
    n.step(4, "Buffering: a busy listener loses nothing")?;
    n.say("The listener's own connection now runs a query, so it reads no notifications:")?;
    n.sql(&format!("SELECT pg_sleep({seconds})"))?;
    let received_before = ledger.highest();
    // A notification can arrive before its sender hears that the statement completed.
    let sent_before = producer.sent().max(received_before);
    // Stay busy until the producer has sent something meanwhile (on a slow machine one
    // round may not be enough); each round is the same query.
    let mut rounds = 0;
    while producer.sent() <= sent_before {
        if rounds == MAX_BUSY_ROUNDS {
            return Err(
                anyhow!("the producer sent nothing for {rounds} rounds of pg_sleep").into(),
            );
        }
        sqlx::query("SELECT pg_sleep($1)")
            .bind(seconds)
            .execute(&mut *listener)
            .await
            .context("pg_sleep on the listener connection failed")?;
        rounds += 1;
    }
    let sent_now = producer.sent();
    if rounds > 1 {
        n.say(&format!(
            "(It ran {rounds} times: the producer had not sent anything yet.)"
        ))?;
    }
    n.say(&format!(
        "Meanwhile the producer sent {} notifications (up to n={sent_now}). Now the listener is idle:",
        sent_now - sent_before
    ))?;
    let limit = inbox::patience(demo.interval);
    let mut late = 0;
    while ledger.missing(sent_now) > 0 {
        let notification =
            within(limit, "the notifications sent meanwhile", listener.recv()).await?;
        if arrived(demo, ledger, &notification)?.is_some_and(|n| n > received_before) {
            late += 1;
        }
    }
    demo.narrator.fact(&format!(
        "buffered: {late} notifications waited while the listener was busy and arrived afterwards, none lost"
    ))?;
    demo.narrator.say(
        "The server queues them for a busy session and delivers them once it is idle; a slow \
         reader slows delivery, it does not lose notifications.",
    )?;
    Ok(late)
}

/// Step 5: `into_stream()` raced against a timer with `tokio::select!`.
async fn stream_with_timeout<W: Write>(
    demo: &mut Demo<W>,
    inbox: &mut impl Inbox,
    ledger: &mut Ledger,
) -> Result<()> {
    let n = &mut demo.narrator;
    n.step(5, "The stream interface with a timeout")?;
    n.say(&format!(
        "listener.into_stream() is a Stream; tokio::select! races it against a {} timer:",
        humantime::format_duration(demo.listen_for)
    ))?;
    let timer = tokio::time::sleep(demo.listen_for);
    tokio::pin!(timer);
    let mut in_window = 0;
    loop {
        tokio::select! {
            _ = &mut timer => break,
            next = inbox.next() => {
                let notification = next
                    .ok_or_else(|| anyhow!("the notification stream ended"))?
                    .context("the notification stream failed")?;
                arrived(demo, ledger, &notification)?;
                in_window += 1;
            }
        }
    }
    demo.narrator.say(&format!(
        "The timer won after {}: {in_window} notifications arrived in the window.",
        humantime::format_duration(demo.listen_for)
    ))
}

/// Stop the producer and check, number by number, that everything it sent arrived once and
/// in order. Returns how many it sent.
async fn account<W: Write>(
    demo: &mut Demo<W>,
    inbox: &mut impl Inbox,
    producer: Producer,
    ledger: &mut Ledger,
) -> Result<u64> {
    let sent = producer.stop().await?;
    let statements = sent / demo.names.channels.len() as u64;
    demo.narrator.say(&format!(
        "The producer is stopped: it sent {sent} notifications in {statements} statements."
    ))?;
    let limit = inbox::patience(demo.interval);
    while ledger.missing(sent) > 0 {
        let notification = inbox::next(inbox, limit, "the producer's last notifications").await?;
        arrived(demo, ledger, &notification)?;
    }
    let (duplicates, reordered) = (ledger.duplicates(), ledger.out_of_order());
    if duplicates > 0 || reordered > 0 || ledger.received() != sent {
        return Err(anyhow!(
            "of {sent} notifications sent, {} arrived, {duplicates} twice, {reordered} out of order",
            ledger.received()
        )
        .into());
    }
    demo.narrator.fact(&format!(
        "delivery: {sent} sent, {sent} received, 0 missing, 0 duplicated, all in the order sent"
    ))?;
    Ok(sent)
}

/// Print a notification and account for it; returns its number if it is the producer's.
fn arrived<W: Write>(
    demo: &mut Demo<W>,
    ledger: &mut Ledger,
    notification: &PgNotification,
) -> Result<Option<u64>> {
    demo.narrator.received(
        notification.channel(),
        notification.payload(),
        notification.process_id(),
    )?;
    Ok(ledger.record(notification.payload()))
}
