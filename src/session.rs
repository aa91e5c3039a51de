//! One listening connection, from connect to verified LISTEN to its loss: the session that
//! `listen`, `reply` and `request` (and anything else that LISTENs) drive, so all follow one set
//! of rules. A session never reconnects by itself (sqlx's `PgListener` would, hiding the gap):
//! when it is lost its last item says why, and the caller opens a new one, so every gap is seen,
//! timed and reported.
//!
//! The connection is read by a task of its own that hands notifications over a small bounded
//! channel: parsing runs beside the printing, and when stdout blocks, the channel fills, the
//! task stops reading, and the backlog stays in the server's queue instead of our memory.
//!
//! The set of channels may change while the session lives ([`Session::listen`],
//! [`Session::unlisten`]): `serve` listens on a channel only while a subscriber wants it. The
//! reader task runs those statements between reads, so they are ordered with the notifications
//! it hands over, and the keepalive query always names a channel the session still holds.

use crate::connect::{ConnSettings, POOLER_HINT};
use crate::error::{note, warn};
use anyhow::anyhow;
use sqlx::postgres::{PgConnection, PgListener, PgNotification};
use sqlx::{AssertSqlSafe, Connection};
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Notify};

/// Why a session could not be opened or was lost, in one human line.
pub type Failure = anyhow::Error;

/// What the reader hands over.
pub enum Item {
    /// Notifications that were ready together, in arrival order.
    Batch(Vec<PgNotification>),
    /// The connection is gone; the last item.
    Lost(Failure),
    /// After [`Session::stop`]: everything already received has been handed over; the last
    /// item.
    Drained,
}

/// Most notifications in one hand-over. Each hand-over costs a wake-up of the printer (a
/// futex call on another core), so a drained backlog goes faster in large batches: 1024 made
/// the drain of 1 000 000 queued notifications 10-15 % faster than 256 (benches/listen.sh).
const BATCH: usize = 1024;
/// Most payload bytes in one hand-over: with the count alone, batches of 8 kB payloads would
/// hold 8 MB each.
const BATCH_BYTES: usize = 256 * 1024;
/// Batches read ahead of the printer. Few: they bound our memory when stdout blocks (at most
/// (READ_AHEAD + 2) batches of BATCH_BYTES, plus one payload), yet keep the reader busy under
/// load.
const READ_AHEAD: usize = 4;

/// A live connection listening on every channel, read by its own task.
pub struct Session {
    items: mpsc::Receiver<Item>,
    requests: Arc<Requests>,
    changes: mpsc::UnboundedSender<Change>,
    reader: tokio::task::JoinHandle<()>,
    /// The host that host selection chose, as messages name it.
    pub host: String,
    /// The settings in use on that host, for connections beside the listening one.
    pub settings: Box<ConnSettings>,
    /// The hosts passed over before it, with why (for `--verbose`).
    pub passed: Vec<String>,
}

/// What the printer may ask of the reader.
#[derive(Default)]
struct Requests {
    ping: Notify,
    stop: Notify,
}

/// A change to the channels a live session listens on, run by the reader between reads.
enum Change {
    /// LISTEN, then say so (the sender is dropped unanswered if the session is lost first).
    Listen(String, oneshot::Sender<()>),
    Unlisten(String),
}

impl Session {
    /// Connect, refuse setups where LISTEN silently receives nothing, LISTEN on `channels` (none
    /// yet is allowed: see [`Session::listen`]), check that the server really holds them, and
    /// start reading. A keepalive query asked for with [`Session::ping`] must answer within
    /// `ping_limit`.
    pub async fn open(
        settings: &ConnSettings,
        channels: &[String],
        ping_limit: Duration,
    ) -> Result<Session, Failure> {
        let (listener, early, on, passed) = listen(settings, channels).await?;
        let (tx, items) = mpsc::channel(READ_AHEAD);
        if !early.is_empty() {
            // Room is certain: the channel is new and READ_AHEAD is at least one.
            let _ = tx.try_send(Item::Batch(early));
        }
        let requests = Arc::new(Requests::default());
        let (changes, changes_rx) = mpsc::unbounded_channel();
        let reader = Reader {
            listener,
            tx,
            requests: requests.clone(),
            changes: changes_rx,
            held: channels.to_vec(),
            ping_limit,
            settings: on.clone(),
        };
        let reader = tokio::spawn(reader.read());
        Ok(Session {
            items,
            requests,
            changes,
            reader,
            host: on.endpoint().to_string(),
            settings: Box::new(on),
            passed,
        })
    }

    /// The next item, waiting for it. Cancel-safe.
    pub async fn recv(&mut self) -> Item {
        self.items
            .recv()
            .await
            .unwrap_or_else(|| Item::Lost(anyhow!("the connection reader stopped")))
    }

    /// The next item if one is ready, without waiting.
    pub fn ready(&mut self) -> Option<Item> {
        self.items.try_recv().ok()
    }

    /// Ask for a keepalive query: a half-open TCP connection looks idle forever otherwise. A
    /// failure comes back as the session's last item.
    pub fn ping(&self) {
        self.requests.ping.notify_one();
    }

    /// Stop reading: hand over what has already arrived (including what waits in the
    /// socket), then [`Item::Drained`].
    pub fn stop(&self) {
        self.requests.stop.notify_one();
    }

    /// LISTEN on `channel` too. The answer comes once the server has confirmed it, so that
    /// whatever commits after that is received; it never comes if the session is lost first
    /// (a session opened after the loss listens on whatever its caller names). A failure is
    /// the session's last item.
    pub fn listen(&self, channel: &str) -> oneshot::Receiver<()> {
        let (done, answer) = oneshot::channel();
        let _ = self.changes.send(Change::Listen(channel.to_string(), done));
        answer
    }

    /// UNLISTEN `channel`: nothing sent to it is received once the server has run it.
    pub fn unlisten(&self, channel: &str) {
        let _ = self.changes.send(Change::Unlisten(channel.to_string()));
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// How a listening connection is watched and replaced (`--keepalive`, `--reconnect-max`): the
/// same for every room that listens.
#[derive(Debug, Clone, Copy)]
pub struct Upkeep {
    /// Idle time before a keepalive query; `None` when off.
    pub keepalive: Option<Duration>,
    /// Longest wait between reconnection attempts.
    pub reconnect_max: Duration,
}

/// The keepalive interval when keepalive is off; a session still needs one.
const NO_KEEPALIVE: Duration = Duration::from_secs(3600);

impl Upkeep {
    /// How long an idle connection waits before a keepalive query, and how long that query
    /// may take to answer.
    pub fn ping_limit(&self) -> Duration {
        self.keepalive.unwrap_or(NO_KEEPALIVE)
    }
}

/// What `reopen` says of a plain session's gap: PostgreSQL kept nothing for us.
pub const LOST: &str = "notifications sent while disconnected are lost";

/// First wait before a reconnection attempt after a failed one; it doubles up to the maximum.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// After `failure` lost a session: report it, then open a new session on `channels`, with
/// capped exponential backoff (up to `upkeep.reconnect_max`), saying once per new kind of
/// failure why not yet, and finally how long the gap was and, in `gap`'s words, what became of
/// what was sent meanwhile. Returns the new session and the downtime. Cancel-safe: callers
/// race it against their signals and timers. Shared by every room that listens (`listen`,
/// `reply`), so all of them follow one set of reconnection rules.
pub async fn reopen(
    settings: &ConnSettings,
    channels: &[String],
    upkeep: Upkeep,
    failure: &Failure,
    verbose: bool,
    gap: &str,
) -> (Session, Duration) {
    let max = upkeep.reconnect_max;
    let down_since = tokio::time::Instant::now();
    warn(format!("connection lost: {failure:#}; reconnecting"));
    let mut delay = Duration::ZERO;
    let mut last_error = String::new();
    loop {
        tokio::time::sleep(delay).await;
        match Session::open(settings, channels, upkeep.ping_limit()).await {
            Ok(session) => {
                let down = down_since.elapsed();
                if verbose {
                    session.passed.iter().for_each(note);
                }
                note(format!(
                    "reconnected after {} to {}; {gap}",
                    humantime::format_duration(Duration::from_millis(down.as_millis() as u64)),
                    session.host
                ));
                return (session, down);
            }
            Err(err) => {
                let text = format!("{err:#}");
                if text != last_error || verbose {
                    note(format!("still disconnected: {text}"));
                    last_error = text;
                }
                delay = (delay * 2).clamp(FIRST_BACKOFF, max.max(FIRST_BACKOFF));
            }
        }
    }
}

/// How long the delivery probe may take; on a direct connection it arrives within
/// milliseconds.
const PROBE_LIMIT: Duration = Duration::from_secs(5);

/// The listening connection, verified; the notifications for `channels` that arrived while
/// it was being verified, in order; the settings in use on the chosen host; the hosts passed
/// over.
pub type Listening = (PgListener, Vec<PgNotification>, ConnSettings, Vec<String>);

/// Open the listening connection on the host that selection chooses (from scratch, every
/// time: after a failover that is the new primary) and verify it: not a standby, every
/// channel held, delivery proven end to end (so a transaction-mode pooler is named rather
/// than waited out). Also what `request` listens for its replies with.
pub async fn listen(settings: &ConnSettings, channels: &[String]) -> Result<Listening, Failure> {
    // A plain connection first: it fails fast with psql-like words (the pool used below would
    // retry a refused connection until its timeout and then only say "timed out"). Its
    // queries are unnamed statements, so a pooler that lends the same server connection to
    // both does not see two statements of one name before the probe can tell what it is.
    let connected = settings.select().await?;
    let (mut probe, settings) = (connected.conn, &connected.settings);
    let explain = |e: sqlx::Error| anyhow!(settings.explain(&e));
    let standby: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .persistent(false)
        .fetch_one(&mut probe)
        .await
        .map_err(explain)?;
    if standby {
        return Err(anyhow!(
            "the server is a hot standby (pg_is_in_recovery() is true): standbys refuse \
             LISTEN; connect to the primary"
        ));
    }
    let mut listener = settings.listener(channels).await.map_err(explain)?;
    let held: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_listening_channels() AS c WHERE c = ANY($1)")
            .bind(channels)
            .persistent(false)
            .fetch_one(&mut listener)
            .await
            .map_err(explain)?;
    if held != channels.len() as i64 {
        return Err(anyhow!(
            "after LISTEN the server holds {held} of {} channels: {POOLER_HINT}",
            channels.len()
        ));
    }
    let early = probe_delivery(&mut listener, &mut probe, settings).await?;
    let _ = probe.close().await;
    // The proof ended with an UNLISTEN: make LISTEN the last statement again.
    if !channels.is_empty() {
        sqlx::raw_sql(AssertSqlSafe(alive(channels)))
            .execute(&mut listener)
            .await
            .map_err(explain)?;
    }
    Ok((listener, early, connected.settings, connected.passed))
}

/// Prove delivery end to end: a notification sent from another connection must reach this
/// one. A transaction-mode pooler can pass every query check (the server connection it lends
/// for them may be the very one that ran LISTEN) and still deliver nothing to a client that
/// sits idle between transactions, which a listener always does. Notifications on the user's
/// channels that come first are kept, in order.
async fn probe_delivery(
    listener: &mut PgListener,
    probe: &mut PgConnection,
    settings: &ConnSettings,
) -> Result<Vec<PgNotification>, Failure> {
    static PROBES: AtomicU32 = AtomicU32::new(0);
    let explain = |e: sqlx::Error| anyhow!(settings.explain(&e));
    let channel = format!(
        "pgpubsub_probe_{}_{}",
        std::process::id(),
        PROBES.fetch_add(1, Ordering::Relaxed)
    );
    listener.listen(&channel).await.map_err(explain)?;
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(&channel)
        .persistent(false)
        .execute(&mut *probe)
        .await
        .map_err(|e| match e {
            // The sending connection got the notification itself: it was lent the server
            // session that ran LISTEN.
            sqlx::Error::Protocol(text) if text.contains("NotificationResponse") => anyhow!(
                "the test notification came back to the connection that sent it: {POOLER_HINT}"
            ),
            e => explain(e),
        })?;
    let mut early = Vec::new();
    let arrival = async {
        loop {
            match gone(listener.try_recv().await, settings)? {
                n if n.channel() == channel => return Ok::<_, Failure>(()),
                n => early.push(n),
            }
        }
    };
    match tokio::time::timeout(PROBE_LIMIT, arrival).await {
        Ok(arrived) => arrived?,
        Err(_) => {
            return Err(anyhow!(
                "a test notification sent from a second connection did not arrive within {}: \
                 {POOLER_HINT}",
                humantime::format_duration(PROBE_LIMIT)
            ))
        }
    }
    listener.unlisten(&channel).await.map_err(explain)?;
    Ok(early)
}

/// The keepalive statement for a session holding `channels`: a LISTEN on one it already
/// holds is a no-op for the server, but a round trip that proves the connection alive, and it
/// leaves LISTEN as the session's last statement in `pg_stat_activity`, where `pgpubsub
/// status` (and anyone) recognises a listener by it. A session that holds none has nothing to
/// be recognised by, and a plain query proves it alive.
fn alive(channels: &[String]) -> String {
    match channels.first() {
        Some(channel) => format!("LISTEN {}", crate::pg::quote::ident(channel)),
        None => "SELECT 1".to_string(),
    }
}

/// The reader task's state: the connection, where items go, and the channels it holds.
struct Reader {
    listener: PgListener,
    tx: mpsc::Sender<Item>,
    requests: Arc<Requests>,
    changes: mpsc::UnboundedReceiver<Change>,
    held: Vec<String>,
    ping_limit: Duration,
    settings: ConnSettings,
}

impl Reader {
    /// Notifications into `tx` until the connection is lost or a stop is asked for (either
    /// is the last item), or the session is dropped.
    async fn read(mut self) {
        let requests = self.requests.clone();
        // Registered once and renewed only when they fire.
        let pinged = requests.ping.notified();
        let stopped = requests.stop.notified();
        tokio::pin!(pinged, stopped);
        let last = loop {
            let listener = &mut self.listener;
            let first = tokio::select! {
                biased;
                _ = &mut stopped => break drain(listener, &self.tx, &self.settings).await,
                received = listener.try_recv() => received,
                _ = &mut pinged => {
                    pinged.set(requests.ping.notified());
                    let alive = alive(&self.held);
                    match keepalive(listener, &alive, self.ping_limit, &self.settings).await {
                        Ok(()) => continue,
                        Err(failure) => break Item::Lost(failure),
                    }
                }
                change = self.changes.recv() => {
                    // None: the session is being dropped, and this task with it.
                    let Some(change) = change else { return };
                    match self.change(change).await {
                        Ok(()) => continue,
                        Err(failure) => break Item::Lost(failure),
                    }
                }
            };
            let (batch, lost) = batch_from(first, &mut self.listener, &self.settings);
            if !batch.is_empty() && self.tx.send(Item::Batch(batch)).await.is_err() {
                return;
            }
            if let Some(failure) = lost {
                break Item::Lost(failure);
            }
        };
        if let Item::Lost(_) = last {
            // Notifications that arrived during a query were buffered: they come before the
            // loss.
            let buffered: Vec<_> = std::iter::from_fn(|| self.listener.next_buffered()).collect();
            if !buffered.is_empty() && self.tx.send(Item::Batch(buffered)).await.is_err() {
                return;
            }
        }
        let _ = self.tx.send(last).await;
    }

    /// Run one LISTEN or UNLISTEN. Notifications arriving meanwhile are buffered by the
    /// listener and handed over next, in order.
    async fn change(&mut self, change: Change) -> Result<(), Failure> {
        let (statement, done) = match change {
            Change::Listen(channel, done) => {
                let statement = format!("LISTEN {}", crate::pg::quote::ident(&channel));
                if !self.held.contains(&channel) {
                    self.held.push(channel);
                }
                (statement, Some(done))
            }
            Change::Unlisten(channel) => {
                self.held.retain(|held| *held != channel);
                (
                    format!("UNLISTEN {}", crate::pg::quote::ident(&channel)),
                    None,
                )
            }
        };
        sqlx::raw_sql(AssertSqlSafe(statement))
            .execute(&mut self.listener)
            .await
            .map_err(|e| anyhow!(self.settings.explain(&e)))?;
        if let Some(done) = done {
            let _ = done.send(());
        }
        Ok(())
    }
}

/// A notification, or why there is none: the connection is gone.
fn gone(
    received: Result<Option<PgNotification>, sqlx::Error>,
    settings: &ConnSettings,
) -> Result<PgNotification, Failure> {
    match received {
        Ok(Some(notification)) => Ok(notification),
        Ok(None) => Err(anyhow!("the server closed the connection")),
        Err(e) => Err(anyhow!(settings.explain(&e))),
    }
}

/// Add to `batch` the notifications that are ready now, up to BATCH or BATCH_BYTES of
/// payload; the failure if the connection turned out to be gone.
fn collect(
    listener: &mut PgListener,
    batch: &mut Vec<PgNotification>,
    settings: &ConnSettings,
) -> Option<Failure> {
    let mut bytes: usize = batch.iter().map(|n| n.payload().len()).sum();
    while batch.len() < BATCH && bytes < BATCH_BYTES {
        match ready(listener).map(|received| gone(received, settings)) {
            Some(Ok(notification)) => {
                bytes += notification.payload().len();
                batch.push(notification);
            }
            Some(Err(failure)) => return Some(failure),
            None => return None,
        }
    }
    None
}

/// A batch that starts with what `first` received, with whatever else is ready after it; the
/// failure if the connection turned out to be gone.
fn batch_from(
    first: Result<Option<PgNotification>, sqlx::Error>,
    listener: &mut PgListener,
    settings: &ConnSettings,
) -> (Vec<PgNotification>, Option<Failure>) {
    let mut batch = Vec::new();
    let lost = match gone(first, settings) {
        Ok(notification) => {
            batch.push(notification);
            collect(listener, &mut batch, settings)
        }
        Err(failure) => Some(failure),
    };
    (batch, lost)
}

/// How long a drain waits for more: long enough for one turn of the runtime's reactor, which
/// is what learns that bytes wait in the socket. Until it has, a read does not even try.
const SETTLE: Duration = Duration::from_millis(10);

/// Hand over everything already received, in our buffers or the socket's; the last item.
/// Waiting [`SETTLE`] for each next batch matters: bytes that came while the process could
/// not run (stopped, or starved of CPU) are unknown to the reactor until its next turn, so a
/// mere look would report the socket empty and drop them.
async fn drain(
    listener: &mut PgListener,
    tx: &mpsc::Sender<Item>,
    settings: &ConnSettings,
) -> Item {
    loop {
        let Ok(first) = tokio::time::timeout(SETTLE, listener.try_recv()).await else {
            return Item::Drained;
        };
        let (batch, lost) = batch_from(first, listener, settings);
        if !batch.is_empty() && tx.send(Item::Batch(batch)).await.is_err() {
            return Item::Drained;
        }
        if let Some(failure) = lost {
            return Item::Lost(failure);
        }
    }
}

/// The next notification if it can be had without waiting (already read, or in the socket).
/// Dropping the pending future loses nothing: sqlx reads whole messages or none.
fn ready(listener: &mut PgListener) -> Option<Result<Option<PgNotification>, sqlx::Error>> {
    let mut next = std::pin::pin!(listener.try_recv());
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    match next.as_mut().poll(&mut cx) {
        Poll::Ready(result) => Some(result),
        Poll::Pending => None,
    }
}

/// One cheap statement (`alive`, a [`relisten`]) that must answer within `limit`.
/// Notifications arriving meanwhile are buffered by the listener, not lost.
async fn keepalive(
    listener: &mut PgListener,
    alive: &str,
    limit: Duration,
    settings: &ConnSettings,
) -> Result<(), Failure> {
    let query = sqlx::raw_sql(AssertSqlSafe(alive)).execute(&mut *listener);
    match tokio::time::timeout(limit, query).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(anyhow!(settings.explain(&e))),
        Err(_) => Err(anyhow!(
            "the server did not answer a keepalive query within {}",
            humantime::format_duration(limit)
        )),
    }
}
