//! The snapshot-safe journal reader: every record of the chosen channels exactly once per run,
//! none ever skipped, and a position below which everything is settled, for a consumer to store.
//!
//! The reader works in **batches** (journal rows, numbered by a sequence; see `sql`) and hands
//! on **records** (a batch holds one or up to `BATCH`, at positions `batch * BATCH + i`).
//!
//! Why a batch number alone cannot be trusted: it is taken when a row is inserted, not when its
//! transaction commits, so rows become visible out of order. A reader that has seen batch 11
//! cannot conclude that 10 will never appear: 10's transaction may commit a moment (or an hour)
//! later. So the reader keeps three things:
//!
//! - the **floor** F: every batch up to F is settled (its records handled, or it will never
//!   hold a record of ours). It only moves over batches that are settled, and it is what a
//!   consumer stores, as a position (with `skip`: the records of the next batch already
//!   handled when a run stopped inside it, so that a restart does not repeat them).
//! - the **gaps**: batches up to the highest seen that were not visible when last read: a
//!   transaction still in flight, or one that rolled back, or a pruned row. They are read again
//!   until they show up or are known to stay empty.
//! - what was **handled** above the floor (with a hash of its content): a record can reach us
//!   twice, live by its notification and again by a read; only one is handed on.
//!
//! When is an empty batch known to stay empty? Every read is one statement whose first row
//! carries its snapshot and the sequence's last value L, read after the snapshot was taken.
//! Rows take their transaction id before their batch number (the column order of the journal),
//! so every transaction that took a number up to L has an id below the `xmax` B of the *next*
//! read's snapshot. Once a later snapshot's `xmin` reaches B, all those transactions have ended
//! (PostgreSQL's "everything below xmin is final", as PgQ and Marten use it), and a batch up to
//! L that is still not visible never will be. A long transaction elsewhere therefore holds the
//! floor back (the stored position), never live delivery.
//!
//! A listener that starts "now" has one more rule: records that were in flight when it started
//! are new to it, though their batches are below where it starts. It keeps that moment (the
//! sequence value, then a snapshot) as a baseline, and once every transaction of that moment
//! has ended, reads once the rows below the baseline that its snapshot could not see.
//!
//! Live notifications are hints, not proof: any session can NOTIFY any channel. A record that
//! arrived live is checked against the journal when its batch is read; a notification that
//! claimed a position with other content, or a position that stays empty, is reported, and the
//! journal's record is what counts.

use super::copy::{int4, int8, text, text_array, Parser};
use super::ranges::Ranges;
use super::sql::{batch_of, end_of, Names, BATCH, MARKER, VERSION};
use crate::connect::ConnSettings;
use crate::error::{usage, warn, Error};
use crate::pg::quote::literal;
use anyhow::anyhow;
use futures::TryStreamExt;
use sqlx::postgres::{PgConnection, PgNotification};
use sqlx::AssertSqlSafe;
use std::collections::BTreeMap;
use std::future::Future;
use std::hash::BuildHasher;
use std::time::Duration;
use tokio::time::Instant;

/// Most rows of one read past the highest batch seen, and about the most records (a read stops
/// after the row that reaches it): a catch-up of millions of records is read in chunks, so
/// that the floor (and a consumer's stored position) moves as it goes.
const CHUNK: i64 = 10_000;
const CHUNK_RECORDS: i64 = 100_000;
/// Least time between two stores of a consumer's position during a catch-up: each is a
/// commit, and a restart repeats only what was handled since the last one.
const STORE_EVERY: Duration = Duration::from_millis(100);
/// Most gap ranges named in a read; past that, the read starts at the lowest gap instead.
const MAX_GAP_RANGES: usize = 256;
/// A read's first row has no journal row in its first seven columns (batch, count, channel,
/// payload, channels, payloads, pid), only the read's snapshot and sequence value after them.
const NO_ROW: &str = "NULL::bigint, NULL::integer, NULL::text, NULL::text, NULL::text[], \
                      NULL::text[], NULL::integer";
/// How soon after live records a read checks them against the journal and moves the floor.
const SETTLE_AFTER: Duration = Duration::from_millis(100);
/// Longest wait between reads while gaps wait for their transactions to end.
const MAX_WAIT: Duration = Duration::from_secs(2);

/// One record of the journal, as the reader hands it over.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub position: i64,
    pub channel: &'a str,
    pub payload: &'a str,
    /// The publishing session's backend process.
    pub pid: i32,
}

/// Where the reader's records go (listen's printer or command).
pub trait Deliver {
    /// Handle one record; whether it was handled (a stopping run hands no more to a command).
    fn deliver(&mut self, record: &Record<'_>) -> impl Future<Output = Result<bool, Error>>;
    /// The run is ending (a stop, --count reached): read no further.
    fn done(&self) -> bool;
    /// Write out what was handled, before the floor that covers it is stored.
    fn flush(&mut self) -> Result<(), Error>;
}

/// Why a read failed.
#[derive(Debug)]
pub enum Fault {
    /// The connection is gone: reconnect (host selection again) and read on.
    Lost(anyhow::Error),
    /// Anything else ends the run.
    Fatal(Error),
}

impl From<Error> for Fault {
    fn from(err: Error) -> Self {
        Fault::Fatal(err)
    }
}

/// Where a listener starts reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Since {
    /// With records published from now on (and those in flight now).
    Now,
    /// After this position (0: the whole journal).
    After(i64),
    /// With records published in the last DURATION.
    Ago(Duration),
}

/// What the reader is asked to read.
#[derive(Debug, Clone)]
pub struct Plan {
    pub names: Names,
    pub channels: Vec<String>,
    /// `--consumer NAME`: resume from its stored position and store progress.
    pub consumer: Option<String>,
    /// `--since`; for a consumer, a reset of its position.
    pub since: Option<Since>,
}

/// How the reader started, for the listener to say.
#[derive(Debug, Clone)]
pub enum Opening {
    /// From the position stored for the consumer.
    Resumed { position: i64 },
    /// A new consumer, or one reset by --since, from this position.
    Registered { position: i64 },
    /// An ad-hoc reader from this position.
    Started { position: i64 },
}

/// The moment a listener started "now": the sequence value, then a snapshot (its xmax bounds
/// every transaction that took a batch number up to it).
#[derive(Debug, Clone)]
struct Baseline {
    batch: i64,
    snapshot: String,
    xmax: u64,
}

/// The reader's knowledge of the journal (in batches, but `skip`); see the module doc.
#[derive(Debug, Default)]
struct State {
    floor: i64,
    /// Records up to this position were handled, though the floor is below their batch.
    skip: i64,
    /// Every batch up to here was in a read (visible, or a gap).
    scanned: i64,
    /// Every batch up to here is final: what is not visible now never will be.
    resolved: i64,
    gaps: Ranges,
    /// Batches handled above the floor (and below the baseline while it stands): their
    /// content hashed.
    handled: BTreeMap<i64, u64>,
    baseline: Option<Baseline>,
    /// The previous read's sequence value, waiting for the next read's xmax.
    unfinished: Option<i64>,
    /// Sequence values with the xmax that bounds their transactions.
    checkpoints: Vec<(i64, u64)>,
    /// The highest snapshot xmin a read has seen: transactions below it have ended.
    xmin_seen: u64,
}

/// What one read found.
#[derive(Debug, Default, Clone, Copy)]
pub struct Read {
    /// Records handed on.
    pub delivered: u64,
    /// The read stopped at its chunk size: more records follow.
    pub more: bool,
}

/// The journal reader of one listener: a connection of its own (beside the listening one, on
/// the same server) and the state above.
pub struct Reader {
    plan: Plan,
    conn: PgConnection,
    /// The channels, as a SQL array literal.
    mine: String,
    state: State,
    hasher: foldhash::fast::RandomState,
    /// Live records handled since the last read.
    unverified: bool,
    last_read: Instant,
    wait: Duration,
    /// The position last stored for the consumer, and when.
    stored: Option<i64>,
    last_store: Instant,
}

impl Reader {
    /// Connect on the listening session's server (`on`), check the journal, and settle where
    /// to start: the consumer's stored position (taking its lock), `--since`, or now.
    pub async fn open(on: &ConnSettings, plan: Plan) -> Result<(Reader, Opening), Fault> {
        let conn = connect(on).await?;
        let mine = format!(
            "ARRAY[{}]::text[]",
            plan.channels
                .iter()
                .map(|c| literal(c))
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut reader = Reader {
            plan,
            conn,
            mine,
            state: State::default(),
            hasher: foldhash::fast::RandomState::default(),
            unverified: false,
            last_read: Instant::now(),
            wait: SETTLE_AFTER,
            stored: None,
            last_store: Instant::now(),
        };
        check(&mut reader.conn, &reader.plan.names).await?;
        let opening = reader.start().await?;
        Ok((reader, opening))
    }

    /// After the listening session was lost and reopened on `on`: a new connection there,
    /// the consumer's lock again, and a check that the server still has every batch read
    /// (after a failover to a standby that had not received the last commits, it has not).
    pub async fn reconnect(&mut self, on: &ConnSettings) -> Result<(), Fault> {
        self.conn = connect(on).await?;
        check(&mut self.conn, &self.plan.names).await?;
        if self.plan.consumer.is_some() {
            self.lock().await?;
        }
        let last = self.last_value().await?;
        let state = &mut self.state;
        if last < state.scanned {
            warn(format!(
                "the server's journal ends at position {}, but this listener had read up to \
                 {}: the last commits were lost (a failover to a standby that had not received \
                 them?); reading on from there",
                through(last),
                through(state.scanned)
            ));
            state.scanned = last;
            state.floor = state.floor.min(last);
            state.skip = state.skip.min(through(last));
            state.resolved = state.resolved.min(last);
            state.gaps.remove_above(last);
            state.handled.retain(|&p, _| p <= last);
            state.checkpoints.clear();
            state.unfinished = None;
        }
        Ok(())
    }

    /// Read everything published since the floor, in position order (a catch-up at start or
    /// after a reconnect); how many records were handed on.
    pub async fn catch_up(&mut self, out: &mut impl Deliver) -> Result<u64, Fault> {
        let mut delivered = 0;
        loop {
            let read = self.read(out, true).await?;
            delivered += read.delivered;
            if self.last_store.elapsed() >= STORE_EVERY || !read.more {
                self.store(out).await?;
            }
            if !read.more || out.done() {
                return Ok(delivered);
            }
        }
    }

    /// Handle a notification of the journal's channels: a record it carries is handed on at
    /// once unless already handled; one it only names is read from the journal.
    pub async fn live(
        &mut self,
        notification: &PgNotification,
        out: &mut impl Deliver,
    ) -> Result<(), Fault> {
        match super::wire::parse(notification.payload()) {
            Some(super::wire::Wire::Record { position, payload }) if position % BATCH == 0 => {
                let batch = batch_of(position);
                let record = Record {
                    position,
                    channel: notification.channel(),
                    payload,
                    pid: notification.process_id() as i32,
                };
                let hash = self.hasher.hash_one((record.channel, record.payload));
                if self.state.is_handled(batch, hash) || self.state.skipped(position) {
                    return Ok(());
                }
                if self.state.handled.contains_key(&batch) {
                    forged_content(position, record.channel);
                }
                if out.deliver(&record).await? {
                    self.state.handled.insert(batch, hash);
                    self.unverified = true;
                }
                Ok(())
            }
            Some(super::wire::Wire::Position(last) | super::wire::Wire::Range(_, last))
                if self.state.covers(batch_of(last)) =>
            {
                // A read since has seen these records (a burst of bulk transactions wakes the
                // listener once per transaction; one read takes them all).
                Ok(())
            }
            Some(super::wire::Wire::Position(_) | super::wire::Wire::Range(..)) => {
                self.read_all(out).await
            }
            _ => {
                warn(format!(
                    "a notification on durable channel {:?} did not come from the journal \
                     (any session can NOTIFY any channel); skipped",
                    notification.channel()
                ));
                Ok(())
            }
        }
    }

    /// The position up to which everything is settled (handed on, or never one of ours): what
    /// a consumer stores, and what `serve` gives its subscribers as where a reconnect resumes.
    pub fn floor(&self) -> i64 {
        self.state.position()
    }

    /// When the next read is due: soon after live records (to check them and move the
    /// floor), with a growing wait while gaps or a baseline wait for transactions to end, and
    /// for a consumer at least every STORE_EVERY while its floor moves (reads that records
    /// bring about do not postpone that).
    pub fn next_read(&self) -> Option<Instant> {
        let state = &self.state;
        let unstored = self.plan.consumer.is_some() && self.stored != Some(state.position());
        let store = unstored.then(|| self.last_store + STORE_EVERY);
        let read = if self.unverified {
            Some(self.last_read + SETTLE_AFTER)
        } else if !state.gaps.is_empty() || state.baseline.is_some() || !state.handled.is_empty() {
            Some(self.last_read + self.wait)
        } else {
            None
        };
        read.into_iter().chain(store).min()
    }

    /// Read until everything visible now is read (or the run stops).
    async fn read_all(&mut self, out: &mut impl Deliver) -> Result<(), Fault> {
        while self.read(out, true).await?.more && !out.done() {}
        Ok(())
    }

    /// The periodic read: records not yet handled are handed on, the floor moves, and a
    /// consumer's floor is stored (after `out` is flushed).
    pub async fn settle(&mut self, out: &mut impl Deliver) -> Result<(), Fault> {
        let floor = self.state.position();
        self.read_all(out).await?;
        self.wait = if self.state.position() == floor {
            (self.wait * 2).min(MAX_WAIT)
        } else {
            SETTLE_AFTER
        };
        self.store(out).await
    }

    /// At a stop: one read that hands nothing on, only to move the floor over what was
    /// handled, then store it (a consumer then repeats as little as possible).
    pub async fn finish(&mut self, out: &mut impl Deliver) -> Result<(), Fault> {
        if self.plan.consumer.is_none() {
            return Ok(());
        }
        self.read(out, false).await?;
        self.store(out).await
    }

    /// Store the consumer's position (and baseline) if it moved; `out` is flushed first, so no
    /// position is stored before its record is written.
    async fn store(&mut self, out: &mut impl Deliver) -> Result<(), Fault> {
        let Some(name) = &self.plan.consumer else {
            return Ok(());
        };
        if self.stored == Some(self.state.position()) {
            return Ok(());
        }
        out.flush()?;
        let name = name.clone();
        self.persist(&name).await?;
        self.last_store = Instant::now();
        Ok(())
    }

    /// One read: from the gaps and the highest position seen, up to CHUNK rows further, in one
    /// statement (one snapshot); with the baseline's own read once it can be settled.
    /// `deliver` false: hand nothing on (at a stop), only settle what was handled.
    async fn read(&mut self, out: &mut impl Deliver, deliver: bool) -> Result<Read, Fault> {
        self.last_read = Instant::now();
        self.unverified = false;
        let (sql, fallback) = self.read_sql();
        let mut read = self.copy(&sql, out, deliver, fallback).await?;
        let ready = self
            .state
            .baseline
            .as_ref()
            .is_some_and(|b| b.xmax <= self.state.xmin_seen);
        if deliver && ready && !out.done() {
            let sql = self.baseline_sql();
            read.delivered += self.copy(&sql, out, deliver, None).await?.delivered;
            if !out.done() {
                self.state.baseline = None;
                self.state.prune(None);
            }
        }
        Ok(read)
    }

    /// The statement of one read, and the batch it reads from when it could not name the
    /// gaps one by one (then it reads everything from the lowest).
    fn read_sql(&self) -> (String, Option<i64>) {
        let Names { sequence, .. } = &self.plan.names;
        let mut parts = vec![format!(
            "SELECT {NO_ROW}, pg_catalog.pg_current_snapshot()::text, \
             pg_catalog.pg_sequence_last_value({}::regclass)",
            literal(sequence)
        )];
        let state = &self.state;
        let mut from = state.scanned;
        let mut fallback = None;
        if state.gaps.len() > MAX_GAP_RANGES {
            from = state.gaps.first().unwrap_or(from + 1) - 1;
            fallback = Some(from);
        } else if !state.gaps.is_empty() {
            let ranges: Vec<String> = state
                .gaps
                .iter()
                .map(|(a, b)| format!("j.batch BETWEEN {a} AND {b}"))
                .collect();
            parts.push(self.rows_sql(&ranges.join(" OR "), Rows::All));
        }
        parts.push(self.rows_sql(&format!("j.batch > {from}"), Rows::Chunk));
        (
            format!(
                "COPY ({}) TO STDOUT (FORMAT binary)",
                parts.join(" UNION ALL ")
            ),
            fallback,
        )
    }

    /// A read's rows (`where`: which), in batch order, each with its count and, when it holds
    /// a record of ours, its content (the rest of the row is not sent).
    fn rows_sql(&self, r#where: &str, rows: Rows) -> String {
        let (journal, mine) = (&self.plan.names.journal, &self.mine);
        let content = ["channel", "payload", "channels", "payloads", "pid"]
            .map(|c| format!("CASE WHEN j.o THEN j.{c} END"))
            .join(", ");
        let (window, limit, outer) = match rows {
            Rows::All => ("", String::new(), String::new()),
            Rows::Ours => ("", String::new(), "WHERE j.o ".to_string()),
            Rows::Chunk => (
                ", sum(j.count) OVER (ORDER BY j.batch) - j.count AS before",
                format!(" ORDER BY j.batch LIMIT {CHUNK}"),
                format!("WHERE j.before < {CHUNK_RECORDS} "),
            ),
        };
        format!(
            "(SELECT j.batch, j.count, {content}, NULL::text, NULL::bigint FROM (SELECT j.*, \
             coalesce(j.channel = ANY({mine}), j.channels && {mine}, false) AS o{window} \
             FROM {journal} j WHERE {where}{limit}) j {outer}ORDER BY j.batch)"
        )
    }

    /// The baseline's read: rows with records of ours at or below its batch that its snapshot
    /// could not see (in flight when the listener started).
    fn baseline_sql(&self) -> String {
        let Some(baseline) = &self.state.baseline else {
            unreachable!("only read with a baseline");
        };
        format!(
            "COPY (SELECT {NO_ROW}, NULL::text, NULL::bigint UNION ALL {}) \
             TO STDOUT (FORMAT binary)",
            self.rows_sql(
                &format!(
                    "j.batch <= {} AND NOT pg_catalog.pg_visible_in_snapshot(j.xid, \
                     {}::pg_catalog.pg_snapshot)",
                    baseline.batch,
                    literal(&baseline.snapshot)
                ),
                Rows::Ours
            )
        )
    }

    /// Run one read's COPY and take in its rows as they come.
    async fn copy(
        &mut self,
        sql: &str,
        out: &mut impl Deliver,
        deliver: bool,
        fallback: Option<i64>,
    ) -> Result<Read, Fault> {
        let hasher = &self.hasher;
        let state = &mut self.state;
        let names = &self.plan.names;
        let mine = &self.plan.channels;
        let mut stream = self
            .conn
            .copy_out_raw(sql)
            .await
            .map_err(|e| fault(e, names))?;
        let mut parser = Parser::<9>::default();
        let mut pass = Pass::new(state.scanned, fallback);
        let mut stopped = false;
        while let Some(chunk) = stream.try_next().await.map_err(|e| fault(e, names))? {
            if stopped {
                // The rest of the read is not wanted, but must be read off the connection
                // before it can run the next statement.
                continue;
            }
            parser.push(&chunk);
            while let Some(fields) = parser.next().map_err(garbled)? {
                let Some(batch) = int8(fields[0]) else {
                    if let (Some(snapshot), last) =
                        (text(fields[7]).map_err(garbled)?, int8(fields[8]))
                    {
                        state.header(snapshot, last.unwrap_or(0))?;
                    }
                    continue;
                };
                pass.row(state, batch, int4(fields[1]).unwrap_or(1));
                let Some(row) = Row::read(&fields, batch)? else {
                    state.not_ours(batch);
                    continue;
                };
                let hash = row.hash(hasher, &fields);
                if state.is_handled(batch, hash) {
                    continue;
                }
                if state.handled.contains_key(&batch) && deliver {
                    forged_content(batch * BATCH, row.first_channel());
                }
                let mut records = row.records(mine)?;
                records.retain(|r| !state.skipped(r.position));
                let mut handed = 0;
                for record in &records {
                    if !deliver || !out.deliver(record).await? {
                        break;
                    }
                    handed += 1;
                    if out.done() {
                        break;
                    }
                }
                pass.read.delivered += handed as u64;
                if handed < records.len() {
                    // Not all handled (a stop, or a read that hands nothing on): the floor
                    // stays below this batch, and the rest of the read waits for the next run.
                    pass.unhandled = Some(batch);
                    pass.partial = handed.checked_sub(1).map(|last| records[last].position);
                    stopped = true;
                    break;
                }
                pass.handled.push((batch, hash));
                if out.done() {
                    stopped = true;
                    break;
                }
            }
        }
        if stopped {
            state.prune(pass.unhandled);
            if let Some(batch) = pass.unhandled {
                // The next read starts at that batch again.
                state.scanned = state.scanned.min(batch - 1);
                state.gaps.remove_above(batch - 1);
            }
            if let Some(position) = pass.partial {
                if state.floor == batch_of(position) - 1 {
                    state.skip = state.skip.max(position);
                }
            }
            return Ok(pass.keep_handled(state));
        }
        Ok(pass.finish(state))
    }

    /// The sequence's last value (0 before the first batch).
    async fn last_value(&mut self) -> Result<i64, Fault> {
        let names = &self.plan.names;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT pg_catalog.pg_sequence_last_value($1::regclass)")
                .bind(&names.sequence)
                .fetch_one(&mut self.conn)
                .await
                .map_err(|e| fault(e, names))?;
        Ok(last.unwrap_or(0))
    }

    /// Settle where to start, and say how.
    async fn start(&mut self) -> Result<Opening, Fault> {
        let name = self.plan.consumer.clone();
        let stored = match &name {
            Some(name) => {
                self.lock().await?;
                self.stored_position(name).await?
            }
            None => None,
        };
        let opening = match (stored, self.plan.since.clone()) {
            (Some((position, baseline)), None) => {
                self.state.begin(position, baseline);
                self.stored = Some(position);
                Opening::Resumed { position }
            }
            (_, since) => {
                let position = self.since(since.unwrap_or(Since::Now)).await?;
                match name {
                    Some(_) => Opening::Registered { position },
                    None => Opening::Started { position },
                }
            }
        };
        if let Some(name) = &name {
            if matches!(opening, Opening::Registered { .. }) {
                self.persist(name).await?;
            }
        }
        Ok(opening)
    }

    /// Begin at `since`: a position, a time, or now (with a baseline); the position it
    /// begins after.
    async fn since(&mut self, since: Since) -> Result<i64, Fault> {
        let names = self.plan.names.clone();
        let position = match since {
            Since::After(position) => position,
            Since::Ago(ago) => {
                let first: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT min(batch) FROM {} WHERE published_at >= pg_catalog.now() - $1",
                    names.journal
                )))
                .bind(ago)
                .fetch_one(&mut self.conn)
                .await
                .map_err(|e| fault(e, &names))?;
                match first {
                    Some(first) => through(first - 1),
                    None => through(self.last_value().await?),
                }
            }
            Since::Now => {
                let batch = self.last_value().await?;
                let snapshot: String =
                    sqlx::query_scalar("SELECT pg_catalog.pg_current_snapshot()::text")
                        .fetch_one(&mut self.conn)
                        .await
                        .map_err(|e| fault(e, &names))?;
                let (_, xmax) = snapshot_bounds(&snapshot)?;
                self.state.begin(
                    through(batch),
                    Some(Baseline {
                        batch,
                        snapshot,
                        xmax,
                    }),
                );
                return Ok(through(batch));
            }
        };
        self.state.begin(position, None);
        Ok(position)
    }

    /// The consumer's stored position and baseline, if it has one.
    async fn stored_position(
        &mut self,
        name: &str,
    ) -> Result<Option<(i64, Option<Baseline>)>, Fault> {
        let names = &self.plan.names;
        let row: Option<(i64, Option<i64>, Option<String>)> =
            sqlx::query_as(AssertSqlSafe(format!(
                "SELECT \"position\", baseline_batch, baseline_snapshot::text FROM {} \
             WHERE name = $1",
                names.consumers
            )))
            .bind(name)
            .fetch_optional(&mut self.conn)
            .await
            .map_err(|e| fault(e, names))?;
        let Some((position, baseline_batch, snapshot)) = row else {
            return Ok(None);
        };
        let baseline = match (baseline_batch, snapshot) {
            (Some(batch), Some(snapshot)) => Some(Baseline {
                batch,
                xmax: snapshot_bounds(&snapshot)?.1,
                snapshot,
            }),
            _ => None,
        };
        Ok(Some((position, baseline)))
    }

    /// Store the consumer `name`'s position and baseline as they stand (creating it if new).
    async fn persist(&mut self, name: &str) -> Result<(), Fault> {
        let position = self.state.position();
        let baseline = self.state.baseline.as_ref();
        upsert(&mut self.conn, &self.plan, name, position, baseline).await?;
        self.stored = Some(position);
        Ok(())
    }

    /// Take the consumer's lock: two listeners under one name would each deliver everything
    /// and race to store the position.
    async fn lock(&mut self) -> Result<(), Fault> {
        let names = &self.plan.names;
        let name = self.plan.consumer.as_deref().unwrap_or_default();
        let key = format!("pgpubsub consumer {}.{}", names.schema, name);
        let (locked, holder): (bool, Option<i32>) = sqlx::query_as(
            "WITH k AS (SELECT pg_catalog.hashtextextended($1, 0) AS key) \
             SELECT pg_catalog.pg_try_advisory_lock(k.key), \
                    (SELECT l.pid FROM pg_catalog.pg_locks l WHERE l.locktype = 'advisory' \
                       AND l.granted AND l.objsubid = 1 \
                       AND l.classid::bigint = (k.key >> 32) & 4294967295 \
                       AND l.objid::bigint = k.key & 4294967295 \
                       AND l.pid <> pg_catalog.pg_backend_pid() LIMIT 1) \
             FROM k",
        )
        .bind(&key)
        .fetch_one(&mut self.conn)
        .await
        .map_err(|e| fault(e, names))?;
        if locked {
            return Ok(());
        }
        let by = holder.map_or(String::new(), |pid| format!(" (server process {pid})"));
        Err(Fault::Fatal(usage(format!(
            "consumer {name:?} is in use by another listener{by}: two listeners under one name \
             would each deliver everything; give each its own --consumer"
        ))))
    }
}

/// Refuse a schema without a journal, or with one of another layout (also for `trigger add
/// --durable`, whose trigger would otherwise fail at the application's first write).
pub async fn check(conn: &mut PgConnection, names: &Names) -> Result<(), Fault> {
    let comment: Option<Option<String>> = sqlx::query_scalar(
        "SELECT pg_catalog.obj_description(c, 'pg_class') \
         FROM pg_catalog.to_regclass($1) AS c WHERE c IS NOT NULL",
    )
    .bind(&names.journal)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| fault(e, names))?;
    let schema = &names.quoted_schema;
    match comment {
        None => Err(Fault::Fatal(usage(format!(
            "there is no journal in schema {schema}: create it with `pgpubsub journal init{}`",
            schema_flag(&names.schema)
        )))),
        Some(Some(c)) if c == Names::table_comment() => Ok(()),
        Some(Some(c)) if c.starts_with(MARKER) => Err(Fault::Fatal(
            anyhow!(
                "the journal in schema {schema} has another layout than this pgpubsub reads \
                 (version {VERSION}): {c}"
            )
            .into(),
        )),
        Some(_) => Err(Fault::Fatal(usage(format!(
            "{schema}.journal is not a pgpubsub journal"
        )))),
    }
}

/// Which rows a read's part returns.
#[derive(Clone, Copy)]
enum Rows {
    /// All that match.
    All,
    /// Those with a record of ours.
    Ours,
    /// Those past a batch, up to CHUNK rows and about CHUNK_RECORDS records.
    Chunk,
}

/// One read's walk over its rows (in batch order: gaps first, then everything after the
/// highest batch seen).
struct Pass {
    /// Where the part past the highest batch seen starts.
    from: i64,
    /// The previous row past `from`.
    previous: i64,
    /// Rows past `from`, and the records they hold.
    rows: i64,
    records: i64,
    /// Set when the read named no gaps but started at the lowest.
    fallback: bool,
    /// The first batch of ours this read did not hand on whole: the floor must stay below it.
    unhandled: Option<i64>,
    /// The last record of that batch that was handed on.
    partial: Option<i64>,
    /// The batches this read handed on (batch, hash), kept once the floor is known: most are
    /// below it by then (a catch-up of millions need not pass through the map).
    handled: Vec<(i64, u64)>,
    read: Read,
}

impl Pass {
    fn new(scanned: i64, fallback: Option<i64>) -> Pass {
        let from = fallback.unwrap_or(scanned);
        Pass {
            from,
            previous: from,
            rows: 0,
            records: 0,
            fallback: fallback.is_some(),
            unhandled: None,
            partial: None,
            handled: Vec::new(),
            read: Read::default(),
        }
    }

    /// Batch `p` (of `count` records) is visible: not a gap any more; batches skipped before
    /// it are gaps.
    fn row(&mut self, state: &mut State, p: i64, count: i32) {
        if p <= self.from {
            state.gaps.remove(p);
            return;
        }
        self.rows += 1;
        self.records += i64::from(count);
        if p > state.scanned {
            let lo = (self.previous + 1).max(state.scanned + 1);
            state.add_gaps(lo, p - 1);
            state.scanned = p;
        } else {
            state.gaps.remove(p);
        }
        self.previous = p;
    }

    /// After the last row: what this read proves settled.
    fn finish(mut self, state: &mut State) -> Read {
        self.read.more = self.rows >= CHUNK || self.records >= CHUNK_RECORDS;
        if !self.read.more {
            // Everything visible past the highest batch was read: what is final and
            // empty up to `resolved` stays empty.
            if state.resolved > state.scanned {
                state.empty(state.scanned + 1, state.resolved);
                state.scanned = state.resolved;
            }
        }
        // Every gap up to here was named in this read (or read through): a final one that did
        // not show up stays empty.
        let through = if self.fallback && self.read.more {
            self.previous
        } else {
            i64::MAX
        };
        let settled = state.resolved.min(through);
        for (a, b) in state.gaps.remove_through(settled) {
            state.empty(a, b);
        }
        state.prune(self.unhandled);
        self.keep_handled(state)
    }

    /// Remember the records handed on that the floor has not passed (live copies of them may
    /// still come).
    fn keep_handled(self, state: &mut State) -> Read {
        for (batch, hash) in self.handled {
            if !state.is_handled(batch, hash) {
                state.handled.insert(batch, hash);
            }
        }
        self.read
    }
}

impl State {
    /// Start after `position` (every record up to it settled), with a baseline if starting now.
    /// A position inside a batch starts at that batch, skipping its records up to there.
    fn begin(&mut self, position: i64, baseline: Option<Baseline>) {
        let floor = (batch_of(position + 1) - 1).max(0);
        *self = State {
            floor,
            skip: if position == through(floor) {
                -1
            } else {
                position
            },
            scanned: floor,
            resolved: floor,
            baseline,
            ..State::default()
        };
    }

    /// A read's first row: its snapshot and the sequence value read after it.
    fn header(&mut self, snapshot: &str, last: i64) -> Result<(), Fault> {
        let (xmin, xmax) = snapshot_bounds(snapshot)?;
        if let Some(previous) = self.unfinished.replace(last) {
            self.checkpoints.push((previous, xmax));
        }
        self.xmin_seen = self.xmin_seen.max(xmin);
        let settled = self
            .checkpoints
            .iter()
            .filter(|(_, bound)| *bound <= xmin)
            .map(|(batch, _)| *batch)
            .max();
        self.checkpoints.retain(|(_, bound)| *bound > xmin);
        if let Some(settled) = settled {
            self.resolved = self.resolved.max(settled);
        }
        Ok(())
    }

    /// Where a consumer resumes: every record up to this position is settled.
    fn position(&self) -> i64 {
        through(self.floor).max(self.skip)
    }

    /// Whether a read has already seen every batch up to `last` (none is a gap still).
    fn covers(&self, last: i64) -> bool {
        last <= self.scanned && self.gaps.first().is_none_or(|gap| gap > last)
    }

    /// Whether the record at `position` is one of those `skip` says were handled (only its
    /// own batch: records in flight below a baseline are not).
    fn skipped(&self, position: i64) -> bool {
        batch_of(position) == batch_of(self.skip) && position <= self.skip
    }

    /// Whether `batch` (its content hashed) was handled already.
    fn is_handled(&self, batch: i64, hash: u64) -> bool {
        let below_baseline = self.baseline.as_ref().is_some_and(|b| batch <= b.batch);
        match self.handled.get(&batch) {
            Some(&seen) => seen == hash,
            None => batch <= self.floor && !below_baseline,
        }
    }

    /// Batches `lo..=hi` were skipped by a read: gaps, unless already known empty.
    fn add_gaps(&mut self, lo: i64, hi: i64) {
        let lo_open = lo.max(self.resolved + 1);
        if lo <= hi.min(self.resolved) {
            self.empty(lo, hi.min(self.resolved));
        }
        self.gaps.insert(lo_open, hi);
    }

    /// Batches `lo..=hi` hold no record and never will: a record that arrived live with one
    /// of them was not the journal's.
    fn empty(&mut self, lo: i64, hi: i64) {
        let claimed: Vec<i64> = self.handled.range(lo..=hi).map(|(&p, _)| p).collect();
        for batch in claimed {
            warn(format!(
                "a notification claimed journal position {}, which holds no record of these \
                 channels: it was not sent by publish() (any session can NOTIFY any channel)",
                batch * BATCH
            ));
            self.handled.remove(&batch);
        }
    }

    /// The journal holds batch `p`, with no record of our channels.
    fn not_ours(&mut self, p: i64) {
        if self.handled.remove(&p).is_some() {
            warn(format!(
                "a notification claimed journal position {}, which holds a record of another \
                 channel: it was not sent by publish() (any session can NOTIFY any channel)",
                p * BATCH
            ));
        }
    }

    /// Move the floor over what is settled (but not to `unhandled`, a record read but not
    /// handed on), and forget what it passed.
    fn prune(&mut self, unhandled: Option<i64>) {
        let top = self.gaps.first().map_or(self.scanned, |g| g - 1);
        let top = unhandled.map_or(top, |p| top.min(p - 1));
        self.floor = self.floor.max(top);
        let keep_below = self.baseline.as_ref().map_or(i64::MIN, |b| b.batch);
        let floor = self.floor;
        self.handled.retain(|&p, _| p > floor || p <= keep_below);
    }
}

/// One journal row with records of ours, as a read returns it: a batch of one record keeps it
/// in `channel` and `payload`, a bigger one in `payloads`, with one `channel` or `channels`.
struct Row<'a> {
    batch: i64,
    channel: Option<&'a str>,
    payload: Option<&'a str>,
    channels: Option<Vec<&'a str>>,
    payloads: Option<Vec<&'a str>>,
    pid: i32,
}

impl<'a> Row<'a> {
    /// The row in a read's fields; `None` when it holds no record of ours (its content was not
    /// sent).
    fn read(fields: &super::copy::Fields<'a, 9>, batch: i64) -> Result<Option<Row<'a>>, Fault> {
        let Some(pid) = int4(fields[6]) else {
            return Ok(None);
        };
        Ok(Some(Row {
            batch,
            channel: text(fields[2]).map_err(garbled)?,
            payload: text(fields[3]).map_err(garbled)?,
            channels: text_array(fields[4]).map_err(garbled)?,
            payloads: text_array(fields[5]).map_err(garbled)?,
            pid,
        }))
    }

    /// Its content, hashed: for a batch of one, as a live record of it is hashed.
    fn hash(&self, hasher: &impl BuildHasher, fields: &super::copy::Fields<'_, 9>) -> u64 {
        match (self.channel, self.payload) {
            (Some(channel), Some(payload)) => hasher.hash_one((channel, payload)),
            _ => hasher.hash_one((fields[2], fields[4], fields[5])),
        }
    }

    /// The first record's channel, to name in a warning.
    fn first_channel(&self) -> &str {
        self.channel
            .or_else(|| self.channels.as_ref()?.first().copied())
            .unwrap_or_default()
    }

    /// Its records on `mine`, in order.
    fn records(&self, mine: &[String]) -> Result<Vec<Record<'a>>, Fault> {
        let first = self.batch * BATCH;
        let record = |i: usize, channel: &'a str, payload: &'a str| Record {
            position: first + i as i64,
            channel,
            payload,
            pid: self.pid,
        };
        let records = match (&self.payloads, self.channel, &self.channels) {
            (None, Some(channel), None) => {
                let payload = self
                    .payload
                    .ok_or_else(|| garbled(anyhow!("a row without payload")))?;
                vec![record(0, channel, payload)]
            }
            (Some(payloads), Some(channel), None) => payloads
                .iter()
                .enumerate()
                .map(|(i, payload)| record(i, channel, payload))
                .collect(),
            (Some(payloads), None, Some(channels)) if channels.len() == payloads.len() => payloads
                .iter()
                .zip(channels)
                .enumerate()
                .filter(|(_, (_, channel))| mine.iter().any(|m| m == *channel))
                .map(|(i, (payload, channel))| record(i, channel, payload))
                .collect(),
            _ => {
                return Err(garbled(anyhow!(
                    "journal batch {} is not laid out as this pgpubsub writes it",
                    self.batch
                )))
            }
        };
        Ok(records)
    }
}

/// Batches up to `batch` as a position: the end of that batch, or 0 for none (batches are
/// numbered from 1, so nothing comes before position 0).
fn through(batch: i64) -> i64 {
    if batch <= 0 {
        0
    } else {
        end_of(batch)
    }
}

/// A record that arrived live under `position` differs from the journal's record there.
fn forged_content(position: i64, channel: &str) {
    warn(format!(
        "two records claimed journal position {position} on channel {channel:?}: a \
         notification not sent by publish() (any session can NOTIFY any channel); the \
         journal's record is delivered too"
    ));
}

/// A snapshot's xmin and xmax (`xmin:xmax:xip,...`).
fn snapshot_bounds(snapshot: &str) -> Result<(u64, u64), Fault> {
    let mut parts = snapshot.split(':');
    let mut next = || parts.next().and_then(|p| p.parse::<u64>().ok());
    match (next(), next()) {
        (Some(xmin), Some(xmax)) => Ok((xmin, xmax)),
        _ => Err(Fault::Fatal(
            anyhow!("cannot read the server's snapshot {snapshot:?}").into(),
        )),
    }
}

/// `--schema S` as a command line needs it, when S is not the default.
pub fn schema_flag(schema: &str) -> String {
    if schema == super::sql::DEFAULT_SCHEMA {
        String::new()
    } else {
        format!(" --schema {}", crate::pg::quote::ident(schema))
    }
}

/// The reader's own connection on `on`, set so that a read's UNION ALL returns its parts in
/// order (a parallel plan could interleave them).
async fn connect(on: &ConnSettings) -> Result<PgConnection, Fault> {
    let mut conn = on.connect().await.map_err(|e| Fault::Lost(anyhow!(e)))?;
    sqlx::raw_sql("SET max_parallel_workers_per_gather = 0")
        .execute(&mut conn)
        .await
        .map_err(|e| Fault::Lost(anyhow!(on.explain(&e))))?;
    Ok(conn)
}

/// Store a consumer's position (creating it if new).
async fn upsert(
    conn: &mut PgConnection,
    plan: &Plan,
    name: &str,
    position: i64,
    baseline: Option<&Baseline>,
) -> Result<(), Fault> {
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO {} AS c (name, channels, \"position\", baseline_batch, baseline_snapshot) \
         VALUES ($1, $2, $3, $4, $5::pg_catalog.pg_snapshot) \
         ON CONFLICT (name) DO UPDATE SET channels = EXCLUDED.channels, \
           \"position\" = EXCLUDED.\"position\", \
           baseline_batch = EXCLUDED.baseline_batch, \
           baseline_snapshot = EXCLUDED.baseline_snapshot, updated_at = pg_catalog.now()",
        plan.names.consumers
    )))
    .bind(name)
    .bind(&plan.channels)
    .bind(position)
    .bind(baseline.map(|b| b.batch))
    .bind(baseline.map(|b| b.snapshot.as_str()))
    .execute(&mut *conn)
    .await
    .map_err(|e| fault(e, &plan.names))?;
    Ok(())
}

/// A failed statement as a fault: a lost connection (or a server shutting down, or the
/// connection's own failures) to reconnect from; anything else (the journal dropped, a missing
/// privilege) ends the run, saying what was refused.
fn fault(err: sqlx::Error, names: &Names) -> Fault {
    match &err {
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if code.starts_with("08") || code.starts_with("57") || code.starts_with("53") {
                Fault::Lost(anyhow!("{}", db.message()))
            } else if code == "42501" {
                Fault::Fatal(
                    anyhow!(
                        "{} (a durable listener needs USAGE on schema {schema}, SELECT on \
                         {schema}.journal and its sequence, and with --consumer INSERT and \
                         UPDATE on {schema}.consumers)",
                        db.message(),
                        schema = names.quoted_schema,
                    )
                    .into(),
                )
            } else {
                Fault::Fatal(anyhow!("reading the journal: {}", db.message()).into())
            }
        }
        _ => Fault::Lost(anyhow!("{err}")),
    }
}

/// COPY data that cannot be read: nothing a reconnect would mend.
fn garbled(err: anyhow::Error) -> Fault {
    Fault::Fatal(err.context("reading the journal").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(floor: i64) -> State {
        let mut state = State::default();
        state.begin(end_of(floor), None);
        state
    }

    #[test]
    fn a_gap_holds_the_floor_until_it_is_read_or_final() {
        let mut state = at(0);
        state.header("100:100:", 0).unwrap();
        let mut pass = Pass::new(state.scanned, None);
        // Positions 1 and 3 are visible; 2 is in flight.
        pass.row(&mut state, 1, 1);
        pass.row(&mut state, 3, 1);
        pass.finish(&mut state);
        assert_eq!(state.floor, 1);
        assert!(state.gaps.contains(2));
        // The next read sees 2: the floor passes 3.
        state.header("105:106:", 3).unwrap();
        let mut pass = Pass::new(state.scanned, None);
        pass.row(&mut state, 2, 1);
        pass.finish(&mut state);
        assert_eq!(state.floor, 3);
        assert!(state.gaps.is_empty());
    }

    #[test]
    fn a_gap_is_empty_once_every_transaction_that_took_it_has_ended() {
        let mut state = at(0);
        // First read: sequence at 2 (read after a snapshot with xmax 10).
        state.header("9:10:9", 2).unwrap();
        let mut pass = Pass::new(state.scanned, None);
        pass.row(&mut state, 1, 1);
        pass.finish(&mut state);
        assert_eq!((state.floor, state.scanned), (1, 1));
        // Second read: xmax 12 bounds the transactions that took positions up to 2, but xid
        // 11 may still run (xmin 11): position 2 is not settled yet.
        state.header("11:12:11", 2).unwrap();
        Pass::new(state.scanned, None).finish(&mut state);
        assert_eq!(state.floor, 1);
        // Third read: xmin 12: every transaction below 12 has ended; 2 rolled back.
        state.header("12:12:", 2).unwrap();
        Pass::new(state.scanned, None).finish(&mut state);
        assert_eq!(state.floor, 2);
    }

    #[test]
    fn records_are_handled_once_and_forgeries_are_not_silent() {
        let mut state = at(10);
        state.handled.insert(11, 7);
        assert!(state.is_handled(11, 7));
        assert!(
            !state.is_handled(11, 8),
            "other content under the same position"
        );
        assert!(state.is_handled(9, 1), "below the floor");
        state.baseline = Some(Baseline {
            batch: 10,
            snapshot: "5:6:".into(),
            xmax: 6,
        });
        assert!(
            !state.is_handled(9, 1),
            "in flight when the listener started"
        );
    }

    #[test]
    fn a_run_stopped_inside_a_batch_resumes_inside_it() {
        // Stored inside batch 3: batch 2 is settled, batch 3's records up to 30004 are not
        // handed on again.
        let state = {
            let mut state = State::default();
            state.begin(30_004, None);
            state
        };
        assert_eq!(
            (state.floor, state.skip, state.position()),
            (2, 30_004, 30_004)
        );
        // Stored at a batch's end: that batch is settled.
        assert_eq!(at(3).position(), end_of(3));
        let mut beginning = State::default();
        beginning.begin(0, None);
        assert_eq!((beginning.floor, beginning.position()), (0, 0));
    }

    #[test]
    fn snapshots_parse() {
        assert_eq!(snapshot_bounds("10:20:12,15").unwrap(), (10, 20));
        assert!(snapshot_bounds("nonsense").is_err());
    }
}
