//! A sender's sessions ("lanes"). An open-loop sender must leave at its scheduled time even
//! while its previous commit is still on its way back: waiting for it would turn the server's
//! (or the machine's) hiccup into sender lag, and the schedule, not the server, would set the
//! pace. sqlx cannot pipeline statements on one connection, so a sender that finds its
//! session busy at a deadline opens another (up to `MAX_LANES`), and otherwise sends on the
//! lowest free one. Sessions are only added when the schedule demands it, so a slow rate keeps
//! one. PostgreSQL orders notifications by commit,
//! which is session order within a lane but not across lanes: each payload names its lane, and
//! listeners check order per lane.

use super::workload::{prepare, BatchBuffers};
use crate::connect::ConnSettings;
use futures::future::LocalBoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use sqlx::postgres::PgConnection;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::runtime::Handle;

/// Most sessions one sender opens. A second one takes the sends due while a commit is slow;
/// more would each add a backend contending for the NOTIFY commit lock, and on a small machine
/// that convoy costs more than it saves (measured on 2 cores at 5000/s: p99 0.36-0.54 ms with
/// two sessions, 0.9-2.4 ms with eight, 1.3-2.5 ms with one waiting for each commit).
pub const MAX_LANES: usize = 2;

/// One session of a sender, with the buffers its statement is bound from (a send in flight
/// owns them until it lands).
pub struct Lane {
    pub id: u8,
    pub conn: PgConnection,
    pub buffers: BatchBuffers,
}

/// What came back: a send that committed or failed, or a new session.
enum Landed {
    Sent {
        lane: Lane,
        count: u64,
        measured: bool,
        outcome: Result<(), sqlx::Error>,
    },
    /// A new session, or `None` if it could not be opened.
    Opened(Option<Lane>),
}

/// How a sender opens more sessions: its connection settings, and the runtime that does the
/// work.
pub struct Opening {
    pub settings: ConnSettings,
    pub runtime: Handle,
}

/// Notifications committed, by phase.
#[derive(Debug, Default, Clone, Copy)]
pub struct Committed {
    pub warmup: u64,
    pub measured: u64,
}

/// A sender's sessions and its sends in flight.
pub struct Lanes {
    sender: u32,
    opening: Opening,
    /// What a new lane's buffers start as.
    template: BatchBuffers,
    /// Notifications committed by all senders, for the progress bar.
    progress: Arc<AtomicU64>,
    idle: Vec<Lane>,
    in_flight: FuturesUnordered<LocalBoxFuture<'static, Landed>>,
    /// Sessions open or opening.
    opened: usize,
    /// Set once opening a session failed: the sender goes on with those it has.
    cannot_grow: bool,
    pub committed: Committed,
}

impl Lanes {
    /// A sender with its first session; more are opened on `opener`.
    pub fn new(sender: u32, first: Lane, opening: Opening, progress: Arc<AtomicU64>) -> Self {
        Lanes {
            sender,
            opening,
            template: first.buffers.clone(),
            progress,
            idle: vec![first],
            in_flight: FuturesUnordered::new(),
            opened: 1,
            cannot_grow: false,
            committed: Committed::default(),
        }
    }

    /// How many sessions the sender opened.
    pub fn sessions(&self) -> usize {
        self.opened
    }

    /// A free session. When all are busy, open another if `grow` allows it, then wait for the
    /// first send (or the new session) to land.
    pub async fn free(&mut self, grow: bool) -> Result<Lane, String> {
        if self.idle.is_empty() {
            self.harvest().await?;
        }
        if self.idle.is_empty() && grow && !self.cannot_grow && self.opened < MAX_LANES {
            self.open();
        }
        while self.idle.is_empty() {
            let landed = self
                .in_flight
                .next()
                .await
                .expect("a busy lane is in flight");
            self.land(landed)?;
        }
        // The lowest free lane: the first session does the work whenever it can, and the
        // others only take what it cannot, so the server keeps as few backends busy (and
        // contending for the NOTIFY commit lock) as the schedule allows.
        let lowest = (0..self.idle.len())
            .min_by_key(|&i| self.idle[i].id)
            .expect("a lane is idle");
        Ok(self.idle.swap_remove(lowest))
    }

    /// Start `send` on its lane and hand it to the server at once (its first poll writes and
    /// flushes the statement; the answer is collected later).
    pub fn send(
        &mut self,
        count: u64,
        measured: bool,
        send: LocalBoxFuture<'static, SendDone>,
    ) -> Result<(), String> {
        self.in_flight.push(
            send.map(move |(lane, outcome)| Landed::Sent {
                lane,
                count,
                measured,
                outcome,
            })
            .boxed_local(),
        );
        self.take_landed()
    }

    /// Wait until every send in flight has landed.
    pub async fn drain(&mut self) -> Result<(), String> {
        while let Some(landed) = self.in_flight.next().await {
            self.land(landed)?;
        }
        Ok(())
    }

    /// Collect every send that has landed, without waiting for one: yield once so that the
    /// runtime reads what the sockets have, then take what is ready.
    pub async fn harvest(&mut self) -> Result<(), String> {
        if self.in_flight.is_empty() {
            return Ok(());
        }
        tokio::task::yield_now().await;
        self.take_landed()
    }

    /// Poll every send in flight once (a new one writes its statement), taking those that
    /// landed.
    fn take_landed(&mut self) -> Result<(), String> {
        while let Some(Some(landed)) = self.in_flight.next().now_or_never() {
            self.land(landed)?;
        }
        Ok(())
    }

    /// Open one more session in the background, on the run's main runtime (authenticating
    /// takes milliseconds of CPU that must not delay this thread's sends); it joins the idle
    /// ones when it lands.
    fn open(&mut self) {
        let id = self.opened as u8;
        let settings = self.opening.settings.clone();
        let buffers = self.template.clone();
        self.opened += 1;
        let connecting = self.opening.runtime.spawn(async move {
            let mut conn = settings.connect().await.ok()?;
            prepare(&mut conn).await.ok()?;
            Some(conn)
        });
        self.in_flight.push(
            async move {
                let conn = connecting.await.ok().flatten();
                Landed::Opened(conn.map(|conn| Lane { id, conn, buffers }))
            }
            .boxed_local(),
        );
    }

    /// Account for what landed.
    fn land(&mut self, landed: Landed) -> Result<(), String> {
        match landed {
            Landed::Sent {
                lane,
                count,
                measured,
                outcome,
            } => {
                outcome.map_err(|err| format!("sender {}: {err}", self.sender))?;
                match measured {
                    true => self.committed.measured += count,
                    false => self.committed.warmup += count,
                }
                self.progress.fetch_add(count, Ordering::Relaxed);
                self.idle.push(lane);
            }
            Landed::Opened(Some(lane)) => self.idle.push(lane),
            Landed::Opened(None) => {
                self.opened -= 1;
                self.cannot_grow = true;
            }
        }
        Ok(())
    }
}

/// What a send gives back: its lane, and whether the statement committed.
pub type SendDone = (Lane, Result<(), sqlx::Error>);
