//! The fan-out: one task owns the database session and every subscription. A channel is
//! LISTENed while at least one subscriber wants it; each notification is rendered once (the
//! record `listen --json` writes, as an SSE frame) and the same bytes are queued for every
//! subscriber of its channel, one lock per subscriber per batch. When the session is lost every
//! subscriber is told (`disconnected`), the session is opened again with `listen`'s rules
//! (backoff, host selection: after a failover, the new primary), every wanted channel is
//! LISTENed again, and every subscriber is told how long the gap was (`reconnected`).
//! Durable channels (`journal`) go through the journal's reader instead, and have no gaps.

mod journal;

use super::durable::{Journal, Told};
use super::metrics::Metrics;
use super::net::Wire;
use super::stream::{Offer, Piece, Stream, Sub, SubId};
use crate::connect::ConnSettings;
use crate::error::{note, Error};
use crate::output::{Event, Format, Printer, Record};
use crate::session::{self, Failure, Item, Session, Upkeep};
use bytes::{BufMut, Bytes, BytesMut};
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use sqlx::postgres::PgPool;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{mpsc, oneshot};

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// How long the connection of a stream that has to end (cut off, expired; at shutdown, any)
/// may go without a byte written to it before it is closed anyway.
pub const FINAL_GRACE: Duration = Duration::from_secs(2);

/// The SSE id of a stream's first event on plain channels: a client that reconnects sends it
/// back as Last-Event-ID, and is told of the gap. (On durable channels ids are positions.)
const LIVE_ID: &str = "live";

/// The journal's side of the hub (`--durable`): the reader's task, what it tells, and where it
/// stands.
pub struct Durable {
    pub journal: Journal,
    pub told: mpsc::Receiver<Told>,
    /// The durable channels: always listened on, every notification handed to the reader.
    pub channels: Vec<String>,
    /// The reader's floor: where a stream opened now resumes after a reconnect.
    pub floor: i64,
}

/// How the hub runs, decided from the flags.
pub struct Plan {
    pub upkeep: Upkeep,
    /// Most notifications queued per subscriber before it is cut off.
    pub buffer: usize,
    /// Most streams open at once.
    pub max_subscribers: u64,
    /// Interval of the comment lines that keep idle streams open through proxies.
    pub heartbeat: Duration,
    /// Embed payloads that are JSON as JSON values (as `listen --payload-json`).
    pub payload_json: bool,
    pub verbose: bool,
}

/// What the HTTP side sees of the hub: subscribe, health, the publishing pool.
#[derive(Clone)]
pub struct Hub {
    commands: mpsc::UnboundedSender<Command>,
    gone: mpsc::UnboundedSender<SubId>,
    pub metrics: Arc<Metrics>,
    shared: Arc<Shared>,
    buffer: usize,
    max_subscribers: u64,
}

/// State the hub publishes for the HTTP side.
#[derive(Default)]
struct Shared {
    next_id: AtomicU64,
    health: Mutex<Health>,
    /// Connections to the session's host for `POST /notify`; none while it is down.
    pool: Mutex<Option<PgPool>>,
}

/// The database session's state, for `GET /healthz`.
#[derive(Clone, Debug)]
pub struct Health {
    pub up: bool,
    /// Since when it is up (or down).
    pub since: Instant,
    /// Why it was lost, while it is down.
    pub reason: Option<String>,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            up: false,
            since: Instant::now(),
            reason: None,
        }
    }
}

enum Command {
    Subscribe {
        sub: Arc<Sub>,
        expires: Option<SystemTime>,
        /// The client's Last-Event-ID: it was here before and missed what came meanwhile.
        last_event_id: Option<String>,
    },
    Shutdown {
        reason: String,
        done: oneshot::Sender<()>,
    },
}

impl Hub {
    /// Start the hub on an open `session` (it owns it from now on), with the journal's side
    /// if there are durable channels; the receiver says why serve must stop, if it must.
    pub fn start(
        session: Session,
        conn: ConnSettings,
        plan: Plan,
        durable: Option<Durable>,
    ) -> (Hub, oneshot::Receiver<Error>) {
        let (failed, failure) = oneshot::channel();
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (gone, gone_rx) = mpsc::unbounded_channel();
        let metrics = Arc::new(Metrics::default());
        let shared = Arc::new(Shared::default());
        let hub = Hub {
            commands,
            gone,
            metrics: metrics.clone(),
            shared: shared.clone(),
            buffer: plan.buffer,
            max_subscribers: plan.max_subscribers,
        };
        let mut fanout = Fanout {
            conn,
            session: None,
            reopening: None,
            requests: 0,
            channels: Map::default(),
            members: Map::default(),
            printer: Printer::new(
                Format::Json {
                    payload_json: plan.payload_json,
                },
                false,
                false,
            ),
            buf: BytesMut::new(),
            listens: FuturesUnordered::new(),
            batches: 0,
            expiries: BinaryHeap::new(),
            metrics,
            shared,
            plan,
            durable,
            catching_up: None,
            failed: Some(failed),
        };
        // Before the task starts, so that /healthz says "up" from the first request on.
        fanout.opened(session);
        tokio::spawn(fanout.run(commands_rx, gone_rx));
        (hub, failure)
    }

    /// Subscribe to `channels` (already checked and allowed): the response body, which starts
    /// with a `listening` event once the session listens on all of them; `None` when the
    /// subscriber limit is reached. `wire` is the connection it goes out on.
    pub fn subscribe(
        &self,
        channels: Vec<String>,
        expires: Option<SystemTime>,
        last_event_id: Option<String>,
        wire: Arc<Wire>,
    ) -> Option<Stream> {
        let max = self.max_subscribers;
        self.metrics
            .subscribers
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()?;
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let sub = Arc::new(Sub::new(id, channels, self.buffer, wire));
        let stream = Stream::new(sub.clone(), self.gone.clone(), self.metrics.clone());
        Metrics::count(&self.metrics.subscriptions);
        let _ = self.commands.send(Command::Subscribe {
            sub,
            expires,
            last_event_id,
        });
        Some(stream)
    }

    /// End every stream with a `shutdown` event and stop; returns once every subscriber has
    /// its final event queued (and the session is dropped).
    pub async fn shutdown(&self, reason: &str) {
        let (done, finished) = oneshot::channel();
        let command = Command::Shutdown {
            reason: reason.to_string(),
            done,
        };
        if self.commands.send(command).is_ok() {
            let _ = finished.await;
        }
    }

    /// The database session's state.
    pub fn health(&self) -> Health {
        self.shared.health.lock().unwrap().clone()
    }

    /// A pool on the session's host, while the session is up.
    pub fn pool(&self) -> Option<PgPool> {
        self.shared.pool.lock().unwrap().clone()
    }
}

/// One channel's subscribers.
#[derive(Default)]
struct Chan {
    /// Subscribers receiving it.
    members: Map<SubId, Arc<Sub>>,
    /// Subscribers waiting for it (or another of theirs) to be listened on.
    waiting: Vec<SubId>,
    /// The session listens on it.
    listening: bool,
    /// The LISTEN asked for and not yet confirmed, by request number.
    requested: Option<u64>,
    /// A durable channel: listened on for the life of the server.
    permanent: bool,
}

/// A subscriber as the hub keeps it.
struct Member {
    sub: Arc<Sub>,
    /// Channels not yet listened on; it receives nothing until that is 0.
    unconfirmed: usize,
    /// Which of its channels are durable (the others are plain).
    durable: Vec<String>,
    /// A reconnecting client's resume point: what its durable channels got after it is
    /// replayed once it receives.
    replay_after: Option<i64>,
}

/// One notification or journal record to fan out.
struct Note<'a> {
    channel: &'a str,
    payload: &'a str,
    pid: u32,
    /// A journal record's position.
    position: Option<i64>,
}

/// A LISTEN's confirmation: channel, request number, and whether it came.
type Confirmation = BoxFuture<'static, (String, u64, bool)>;
/// A session being opened again: the session, the downtime, the channels it listens on.
type Reopening = Pin<Box<dyn Future<Output = (Session, Duration, Vec<String>)> + Send>>;

/// The hub task's state.
struct Fanout {
    conn: ConnSettings,
    plan: Plan,
    /// The live session; `None` while it is being opened again.
    session: Option<Session>,
    reopening: Option<Reopening>,
    /// LISTENs asked for so far: a confirmation counts only for the latest request of its
    /// channel (not for one from a lost session, or from before an UNLISTEN).
    requests: u64,
    channels: Map<String, Chan>,
    members: Map<SubId, Member>,
    printer: Printer,
    /// Where frames are rendered; each batch is split off it whole.
    buf: BytesMut,
    listens: FuturesUnordered<Confirmation>,
    /// Batches fanned out so far (marks which subscribers a batch has reached).
    batches: u64,
    /// Streams to end when their credential expires, earliest first.
    expiries: BinaryHeap<Reverse<(SystemTime, SubId)>>,
    metrics: Arc<Metrics>,
    shared: Arc<Shared>,
    durable: Option<Durable>,
    /// After a reconnect, until the reader has replayed what durable channels missed: the
    /// downtime, and what each subscriber got of it.
    catching_up: Option<(Duration, Map<SubId, u64>)>,
    /// Where a fatal journal error goes (serve then stops).
    failed: Option<oneshot::Sender<Error>>,
}

/// What woke the hub.
enum Wake {
    Command(Option<Command>),
    Gone(SubId),
    Confirmed((String, u64, bool)),
    Item(Item),
    Reopened(Box<(Session, Duration, Vec<String>)>),
    Told(Told),
    Heartbeat,
    Keepalive,
    Expiry,
}

impl Fanout {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut gone: mpsc::UnboundedReceiver<SubId>,
    ) {
        let mut heartbeat = tokio::time::interval(self.plan.heartbeat);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let keepalive = self.plan.upkeep.keepalive;
        let mut keepalive_tick = tokio::time::interval(self.plan.upkeep.ping_limit());
        let mut last_item = tokio::time::Instant::now();
        // The timer is set for the earliest expiry; it is set again whenever that changes
        // (or fired: the wall clock may have moved meanwhile).
        let mut earliest = None;
        let expiry = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(expiry);
        loop {
            let next = self.expiries.peek().map(|Reverse(next)| *next);
            if next != earliest {
                earliest = next;
                if let Some((at, _)) = next {
                    let left = at.duration_since(SystemTime::now()).unwrap_or_default();
                    expiry.as_mut().reset(tokio::time::Instant::now() + left);
                }
            }
            let wake = tokio::select! {
                biased;
                command = commands.recv() => Wake::Command(command),
                Some(id) = gone.recv() => Wake::Gone(id),
                Some(confirmed) = self.listens.next(), if !self.listens.is_empty() => {
                    Wake::Confirmed(confirmed)
                }
                item = recv(&mut self.session) => Wake::Item(item),
                reopened = reopened(&mut self.reopening) => Wake::Reopened(Box::new(reopened)),
                Some(told) = told(&mut self.durable) => Wake::Told(told),
                _ = heartbeat.tick() => Wake::Heartbeat,
                _ = keepalive_tick.tick(), if keepalive.is_some() => Wake::Keepalive,
                _ = &mut expiry, if !self.expiries.is_empty() => Wake::Expiry,
            };
            match wake {
                Wake::Command(Some(Command::Subscribe {
                    sub,
                    expires,
                    last_event_id,
                })) => self.subscribe(sub, expires, last_event_id),
                Wake::Command(Some(Command::Shutdown { reason, done })) => {
                    self.shutdown(&reason);
                    let _ = done.send(());
                    return;
                }
                Wake::Command(None) => return,
                Wake::Gone(id) => {
                    if let Some(member) = self.members.get(&id) {
                        self.say(&member.sub, "gone");
                    }
                    self.remove(id)
                }
                Wake::Confirmed((channel, request, true)) => self.confirmed(&channel, request),
                Wake::Confirmed(_) => {}
                Wake::Item(Item::Batch(batch)) => {
                    last_item = tokio::time::Instant::now();
                    let plain = self.divert_durable(batch);
                    let notes: Vec<Note> = plain.iter().map(Note::from).collect();
                    self.fan_out(&notes, None);
                }
                Wake::Told(told) => self.told(told),
                Wake::Item(Item::Lost(failure)) => self.lost(failure),
                Wake::Item(Item::Drained) => {}
                Wake::Reopened(reopened) => {
                    let (session, down, listening) = *reopened;
                    self.reopened(session, down, listening)
                }
                Wake::Heartbeat => self.heartbeat(),
                Wake::Keepalive => {
                    let limit = self.plan.upkeep.ping_limit();
                    if let Some(session) = &self.session {
                        if last_item.elapsed() >= limit {
                            session.ping();
                        }
                    }
                }
                Wake::Expiry => {
                    self.expire();
                    earliest = None;
                }
            }
        }
    }

    /// A session is open: publish it as the one in use. Every session is opened with the
    /// durable channels among its channels: they are listened on for good.
    fn opened(&mut self, session: Session) {
        if let Some(durable) = &self.durable {
            for channel in &durable.channels {
                let chan = self.channels.entry(channel.clone()).or_default();
                chan.permanent = true;
                chan.listening = true;
            }
        }
        *self.shared.pool.lock().unwrap() = Some(session.settings.pool(4));
        *self.shared.health.lock().unwrap() = Health {
            up: true,
            since: Instant::now(),
            reason: None,
        };
        self.metrics.session_up.store(true, Ordering::Relaxed);
        self.session = Some(session);
    }

    fn subscribe(
        &mut self,
        sub: Arc<Sub>,
        expires: Option<SystemTime>,
        last_event_id: Option<String>,
    ) {
        let durable: Vec<String> = match &self.durable {
            Some(d) => sub
                .channels
                .iter()
                .filter(|c| d.channels.contains(c))
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        let (replay_after, lost) = journal::resume(&sub, &durable, last_event_id.as_deref());
        if lost {
            let frame = self.event(&Event::Gap {
                reason: "this stream was reconnected: notifications sent to its plain channels \
                         while it was away are lost",
            });
            sub.event(frame);
        }
        if replay_after.is_some() {
            sub.hold();
        }
        if self.session.is_none() {
            let reason = self.shared.health.lock().unwrap().reason.clone();
            let frame = self.event(&Event::Disconnected {
                reason: reason
                    .as_deref()
                    .unwrap_or("the database session is being opened"),
            });
            sub.event(frame);
        }
        if let Some(at) = expires {
            self.expiries.push(Reverse((at, sub.id)));
        }
        let mut unconfirmed = 0;
        for channel in sub.channels.clone() {
            let chan = self.channels.entry(channel.clone()).or_default();
            if !chan.listening {
                unconfirmed += 1;
                chan.waiting.push(sub.id);
                if chan.requested.is_none() {
                    self.request_listen(&channel);
                }
            }
        }
        let id = sub.id;
        let member = Member {
            sub,
            unconfirmed,
            durable,
            replay_after,
        };
        self.members.insert(id, member);
        if unconfirmed == 0 {
            self.activate(id);
        }
    }

    /// Ask the session to LISTEN on `channel` (if there is a session; otherwise the next one
    /// will).
    fn request_listen(&mut self, channel: &str) {
        let Some(session) = &self.session else { return };
        self.requests += 1;
        let request = self.requests;
        if let Some(chan) = self.channels.get_mut(channel) {
            chan.requested = Some(request);
        }
        let answer = session.listen(channel);
        let channel = channel.to_string();
        self.listens
            .push(async move { (channel, request, answer.await.is_ok()) }.boxed());
    }

    /// The session confirmed LISTEN `request` on `channel`.
    fn confirmed(&mut self, channel: &str, request: u64) {
        match self.channels.get(channel) {
            Some(chan) if chan.requested == Some(request) => self.listening(channel),
            _ => {}
        }
    }

    /// The session listens on `channel`: its waiting subscribers may start.
    fn listening(&mut self, channel: &str) {
        let Some(chan) = self.channels.get_mut(channel) else {
            return;
        };
        chan.listening = true;
        chan.requested = None;
        let waiting = std::mem::take(&mut chan.waiting);
        self.count_channels();
        for id in waiting {
            let ready = self.members.get_mut(&id).is_some_and(|m| {
                m.unconfirmed -= 1;
                m.unconfirmed == 0
            });
            if ready {
                self.activate(id);
            }
        }
    }

    /// Every channel of subscriber `id` is listened on: it receives from now on, starting
    /// with a `listening` event (whose id, on durable channels, is where a reconnect resumes);
    /// a reconnecting client's replay starts now.
    fn activate(&mut self, id: SubId) {
        let Some(member) = self.members.get(&id) else {
            return;
        };
        let (sub, durable) = (member.sub.clone(), member.durable.clone());
        let replay_after = member.replay_after;
        self.say(&sub, "subscribed");
        for channel in &sub.channels {
            if let Some(chan) = self.channels.get_mut(channel) {
                chan.members.insert(id, sub.clone());
            }
        }
        // Where this stream resumes if it is cut before any record: where it asked to be
        // replayed from, else everything after the floor had been sent before it started.
        let id_field = match (&self.durable, durable.is_empty(), replay_after) {
            (Some(_), false, Some(after)) => after.to_string(),
            (Some(d), false, None) => d.floor.to_string(),
            _ => LIVE_ID.to_string(),
        };
        let frame = self.frame(
            Some(&id_field),
            &Event::Listening {
                channels: &sub.channels,
            },
        );
        sub.event(frame);
        if let Some(after) = replay_after {
            self.replay(&sub, durable, after);
        }
    }

    /// Subscriber `id` is gone (its response was dropped) or cut off: forget it, and stop
    /// listening on channels no one wants any more (durable ones stay).
    fn remove(&mut self, id: SubId) {
        let Some(member) = self.members.remove(&id) else {
            return;
        };
        for channel in &member.sub.channels {
            let Some(chan) = self.channels.get_mut(channel) else {
                continue;
            };
            chan.members.remove(&id);
            chan.waiting.retain(|w| *w != id);
            if chan.members.is_empty() && chan.waiting.is_empty() && !chan.permanent {
                let listened = chan.listening || chan.requested.is_some();
                self.channels.remove(channel);
                if let (true, Some(session)) = (listened, &self.session) {
                    session.unlisten(channel);
                }
            }
        }
        if let Some((_, counts)) = &mut self.catching_up {
            counts.remove(&id);
        }
        self.count_channels();
    }

    fn count_channels(&self) {
        let listening = self.channels.values().filter(|c| c.listening).count();
        self.metrics
            .channels
            .store(listening as u64, Ordering::Relaxed);
    }

    /// Render each note once (with `floor`, journal records get `id: POSITION:FLOOR`) into
    /// one buffer: the buffer, and where each note's frame ends in it.
    fn render(&mut self, notes: &[Note], floor: Option<i64>) -> (Bytes, Vec<usize>) {
        let received_at = SystemTime::now();
        let mut ends = Vec::with_capacity(notes.len());
        for note in notes {
            let record = Record {
                position: note.position,
                channel: note.channel,
                payload: note.payload,
                pid: note.pid,
                received_at,
            };
            let mut out = (&mut self.buf).writer();
            if let (Some(position), Some(floor)) = (note.position, floor) {
                let _ = writeln!(out, "id: {position}:{floor}");
            }
            let _ = out.write_all(b"data: ");
            let _ = self.printer.record(&mut out, &record);
            let _ = out.write_all(b"\n");
            ends.push(self.buf.len());
        }
        (self.buf.split().freeze(), ends)
    }

    /// Render each note once and queue it for every subscriber of its channel, in arrival
    /// order; cut off those that are too far behind. A subscriber is given each run of its
    /// frames as one shared piece of the rendered buffer. Returns how many notes each
    /// subscriber was offered (for a catch-up's count).
    fn fan_out(&mut self, notes: &[Note], floor: Option<i64>) -> Map<SubId, u64> {
        self.metrics
            .received
            .fetch_add(notes.len() as u64, Ordering::Relaxed);
        let (rendered, ends) = self.render(notes, floor);
        let piece = |from: usize, to: usize| Piece {
            bytes: rendered.slice(if from == 0 { 0 } else { ends[from - 1] }..ends[to - 1]),
            notifications: (to - from) as u32,
        };
        // Positions in the batch, by channel.
        let mut by_channel: Map<&str, Vec<usize>> = Map::default();
        for (i, note) in notes.iter().enumerate() {
            by_channel.entry(note.channel).or_default().push(i);
        }
        self.batches += 1;
        let stamp = self.batches;
        let mut full = Vec::new();
        let mut offered: Map<SubId, u64> = Map::default();
        for (channel, positions) in &by_channel {
            let Some(chan) = self.channels.get(*channel) else {
                continue;
            };
            for sub in chan.members.values() {
                let (offer, count) = if sub.channels.len() == 1 {
                    let offer = sub.offer(runs(positions).map(|(from, to)| piece(from, to)));
                    (offer, positions.len())
                } else if sub.stamp.swap(stamp, Ordering::Relaxed) != stamp {
                    // Several of its channels may be in this batch: in arrival order.
                    let mut mine: Vec<usize> = sub
                        .channels
                        .iter()
                        .filter_map(|c| by_channel.get(c.as_str()))
                        .flatten()
                        .copied()
                        .collect();
                    mine.sort_unstable();
                    let offer = sub.offer(runs(&mine).map(|(from, to)| piece(from, to)));
                    (offer, mine.len())
                } else {
                    continue;
                };
                match offer {
                    Offer::Full(lost) => full.push((sub.clone(), lost)),
                    _ => *offered.entry(sub.id).or_default() += count as u64,
                }
            }
        }
        for (sub, lost) in full {
            self.cut_off(&sub, lost);
        }
        offered
    }

    /// `sub` fell a whole buffer behind: replace what it has queued with an `overflow` event
    /// saying how many notifications it lost, and close its connection if it does not read
    /// even that.
    fn cut_off(&mut self, sub: &Sub, lost: u64) {
        self.say(sub, &format!("cut off, {lost} notifications behind"));
        let frame = self.event(&Event::Overflow { lost });
        sub.end(frame, true);
        self.metrics.dropped.fetch_add(lost, Ordering::Relaxed);
        Metrics::count(&self.metrics.cut_off);
        self.remove(sub.id);
        close_later(sub);
    }

    /// The session is lost: tell every subscriber, and start opening a new one.
    fn lost(&mut self, failure: Failure) {
        self.session = None;
        self.catching_up = None;
        *self.shared.pool.lock().unwrap() = None;
        let reason = format!("{failure:#}");
        *self.shared.health.lock().unwrap() = Health {
            up: false,
            since: Instant::now(),
            reason: Some(reason.clone()),
        };
        self.metrics.session_up.store(false, Ordering::Relaxed);
        for chan in self.channels.values_mut() {
            chan.listening = false;
            chan.requested = None;
        }
        self.count_channels();
        let frame = self.event(&Event::Disconnected { reason: &reason });
        self.to_all(&frame);
        let channels: Vec<String> = self.channels.keys().cloned().collect();
        let (conn, upkeep, verbose) = (self.conn.clone(), self.plan.upkeep, self.plan.verbose);
        self.reopening = Some(Box::pin(async move {
            let (session, down) =
                session::reopen(&conn, &channels, upkeep, &failure, verbose, session::LOST).await;
            (session, down, channels)
        }));
    }

    /// A new session listens on `listening` (the channels wanted when it was started): bring
    /// it up to date with what is wanted now, and tell every subscriber of a plain channel how
    /// long the gap was; durable channels get what they missed from the journal.
    fn reopened(&mut self, session: Session, down: Duration, listening: Vec<String>) {
        self.reopening = None;
        Metrics::count(&self.metrics.reconnects);
        let frame = self.event(&Event::Reconnected {
            down_ms: down.as_millis(),
            host: &session.host,
        });
        for channel in listening.iter().filter(|c| !self.channels.contains_key(*c)) {
            session.unlisten(channel);
        }
        if let Some(durable) = &self.durable {
            let on = Box::new((*session.settings).clone());
            durable.journal.ask(super::durable::Ask::Reopened(on));
            self.catching_up = Some((down, Map::default()));
        }
        self.opened(session);
        // Those receiving before the loss hear of the gap; the others start with `listening`.
        let plain = |m: &&Member| m.unconfirmed == 0 && m.durable.len() < m.sub.channels.len();
        for member in self.members.values().filter(plain) {
            member.sub.event(frame.clone());
        }
        let wanted: Vec<String> = self.channels.keys().cloned().collect();
        for channel in wanted {
            if listening.contains(&channel) {
                self.listening(&channel);
            } else {
                self.request_listen(&channel);
            }
        }
    }

    /// A comment line for every idle stream, so that proxies and browsers keep it open.
    fn heartbeat(&mut self) {
        let comment = Bytes::from_static(b":\n\n");
        for member in self.members.values() {
            member.sub.heartbeat(comment.clone());
        }
    }

    /// End the streams whose credential has expired.
    fn expire(&mut self) {
        let now = SystemTime::now();
        while let Some(Reverse((at, id))) = self.expiries.peek().copied() {
            if at > now {
                break;
            }
            self.expiries.pop();
            if let Some(member) = self.members.get(&id) {
                let sub = member.sub.clone();
                self.say(&sub, "its credential expired");
                let frame = self.event(&Event::Expired);
                sub.end(frame, false);
                self.remove(id);
                close_later(&sub);
            }
        }
    }

    /// End every stream with a `shutdown` event.
    fn shutdown(&mut self, reason: &str) {
        let frame = self.event(&Event::Shutdown { reason });
        for member in self.members.values() {
            member.sub.end(frame.clone(), false);
        }
        self.members.clear();
        self.channels.clear();
        self.session = None;
        *self.shared.pool.lock().unwrap() = None;
    }

    /// With --verbose, what happened to subscriber `sub`, on stderr.
    fn say(&self, sub: &Sub, what: &str) {
        if self.plan.verbose {
            note(format!(
                "subscriber {} from {} ({}): {what}",
                sub.id,
                sub.wire.peer,
                sub.channels.join(", ")
            ));
        }
    }

    /// Queue `frame` for every subscriber.
    fn to_all(&self, frame: &Bytes) {
        for member in self.members.values() {
            member.sub.event(frame.clone());
        }
    }

    /// An event as an SSE frame.
    fn event(&mut self, event: &Event) -> Bytes {
        self.frame(None, event)
    }

    /// `id: ID` (if any), `event: NAME`, and the event's record as `data:`.
    fn frame(&mut self, id: Option<&str>, event: &Event) -> Bytes {
        let mut out = (&mut self.buf).writer();
        if let Some(id) = id {
            let _ = writeln!(out, "id: {id}");
        }
        let _ = write!(out, "event: {}\ndata: ", event.name());
        let _ = self.printer.event(&mut out, event);
        let _ = out.write_all(b"\n");
        self.buf.split().freeze()
    }
}

/// The runs of consecutive positions in `positions` (ascending), as `from..to` ranges.
fn runs(positions: &[usize]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut rest = positions;
    std::iter::from_fn(move || {
        let (&first, _) = rest.split_first()?;
        let len = rest
            .iter()
            .enumerate()
            .take_while(|&(k, &p)| p == first + k)
            .count();
        rest = &rest[len..];
        Some((first, first + len))
    })
}

/// The next item of the session, or never while there is none.
async fn recv(session: &mut Option<Session>) -> Item {
    match session {
        Some(session) => session.recv().await,
        None => std::future::pending().await,
    }
}

/// What the journal's side tells, or never without durable channels.
async fn told(durable: &mut Option<Durable>) -> Option<Told> {
    match durable {
        Some(durable) => durable.told.recv().await,
        None => std::future::pending().await,
    }
}

/// The reopened session, or never while none is being opened.
async fn reopened(reopening: &mut Option<Reopening>) -> (Session, Duration, Vec<String>) {
    match reopening {
        Some(future) => future.await,
        None => std::future::pending().await,
    }
}

/// Close the connection of `sub` (whose stream must end) once nothing has been written to it
/// for [`FINAL_GRACE`]: a reader that still reads gets everything up to its final event.
fn close_later(sub: &Sub) {
    let wire = sub.wire.clone();
    tokio::spawn(async move {
        let mut seen = None;
        loop {
            tokio::time::sleep(FINAL_GRACE).await;
            if wire.closed() {
                return;
            }
            let written = Some(wire.written());
            if written == seen {
                wire.kill();
                return;
            }
            seen = written;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_consecutive_positions() {
        let all: Vec<(usize, usize)> = runs(&[0, 1, 2, 5, 7, 8]).collect();
        assert_eq!(all, [(0, 3), (5, 6), (7, 9)]);
        assert_eq!(runs(&[]).count(), 0);
    }
}
