//! Durable channels in `serve` (`--durable CHANNEL`): the journal's reader (`crate::journal`,
//! the very one `listen --durable` drives) runs in a task of its own beside the hub. The hub
//! hands it every notification of a durable channel; it hands back records, each once, none
//! skipped (a record whose transaction commits late is still delivered), with the reader's
//! floor: every position up to it was handed on before. That floor is the resume point a
//! subscriber gets in each event's id, so a client reconnecting with Last-Event-ID is replayed,
//! by a reader of its own, everything after it: at least once (records between the floor and
//! the last one it saw may come again; their position tells them apart), never fewer.

use super::stream::Sub;
use crate::connect::ConnSettings;
use crate::error::Error;
use crate::journal::{self, Deliver, Fault, Reader};
use crate::session::Failure;
use sqlx::postgres::PgNotification;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Semaphore};

/// Records handed to the hub at once.
const CHUNK: usize = 256;
/// Replays of reconnecting clients run at once (each is a connection of its own).
const REPLAYS: usize = 4;

/// A journal record, owned.
#[derive(Debug, Clone)]
pub struct Record {
    pub position: i64,
    pub channel: String,
    pub payload: String,
    pub pid: u32,
}

/// What the hub asks of the journal task.
pub enum Ask {
    /// A notification of a durable channel, in arrival order.
    Live(PgNotification),
    /// The listening session was lost and opened again on `on`: read what was missed.
    Reopened(Box<ConnSettings>),
}

/// What the journal task tells the hub.
pub enum Told {
    /// Records to fan out; everything up to `floor` had been handed on before them.
    Records { records: Vec<Record>, floor: i64 },
    /// The catch-up after a reconnect is done (its records were told before it).
    CaughtUp,
    /// The journal's connection is lost: the hub opens the session again, then says so.
    Lost(Failure),
    /// The journal cannot be read (dropped, or of another layout): serve stops.
    Fatal(Error),
    /// A reconnecting client's replay: records to queue for it (they come before any live one).
    Replay {
        sub: Arc<Sub>,
        records: Vec<Record>,
        floor: i64,
    },
    /// Its replay is done (`Err`: it could not be read, with why).
    Replayed {
        sub: Arc<Sub>,
        replayed: Result<u64, String>,
    },
}

/// The journal task's handle in the hub.
pub struct Journal {
    asks: mpsc::UnboundedSender<Ask>,
    told: mpsc::Sender<Told>,
    plan: journal::Plan,
    replays: Arc<Semaphore>,
}

impl Journal {
    /// Open the reader for `plan` (its channels: every durable channel; from now) on the
    /// listening session's server, and start its task; what it tells goes to `told`, and
    /// where it started is returned.
    pub async fn start(
        on: &ConnSettings,
        plan: journal::Plan,
        told: mpsc::Sender<Told>,
    ) -> Result<(Journal, i64), Error> {
        let (reader, _) = Reader::open(on, plan.clone())
            .await
            .map_err(|fault| match fault {
                Fault::Fatal(err) => err,
                Fault::Lost(err) => Error::from(err.context("cannot read the journal")),
            })?;
        let floor = reader.floor();
        let (asks, asked) = mpsc::unbounded_channel();
        tokio::spawn(read(reader, asked, told.clone()));
        let journal = Journal {
            asks,
            told,
            plan,
            replays: Arc::new(Semaphore::new(REPLAYS)),
        };
        Ok((journal, floor))
    }

    pub fn ask(&self, ask: Ask) {
        let _ = self.asks.send(ask);
    }

    /// Replay to `sub` what its channels among the durable ones got after `after`, from a
    /// reader of its own on `on`.
    pub fn replay(&self, on: ConnSettings, sub: Arc<Sub>, channels: Vec<String>, after: i64) {
        let plan = journal::Plan {
            channels,
            consumer: None,
            since: Some(journal::Since::After(after)),
            ..self.plan.clone()
        };
        let (told, replays) = (self.told.clone(), self.replays.clone());
        tokio::spawn(async move {
            let Ok(_slot) = replays.acquire().await else {
                return;
            };
            let replayed = replay(&on, plan, sub.clone(), &told).await;
            let _ = told.send(Told::Replayed { sub, replayed }).await;
        });
    }
}

/// The main reader's task: live notifications, periodic settling reads, and the catch-up
/// after each reconnect.
async fn read(
    mut reader: Reader,
    mut asked: mpsc::UnboundedReceiver<Ask>,
    told: mpsc::Sender<Told>,
) {
    let mut out = Out::new(told.clone(), None);
    loop {
        let next = reader.next_read();
        let ask = tokio::select! {
            ask = asked.recv() => match ask {
                Some(ask) => Some(ask),
                None => return,
            },
            _ = sleep_until(next), if next.is_some() => None,
        };
        out.floor = reader.floor();
        let done = match ask {
            Some(Ask::Live(notification)) => {
                reader.live(&notification, &mut out).await.map(|_| None)
            }
            Some(Ask::Reopened(on)) => match reader.reconnect(&on).await {
                Ok(()) => reader.catch_up(&mut out).await.map(Some),
                Err(fault) => Err(fault),
            },
            None => reader.settle(&mut out).await.map(|_| None),
        };
        let said = match done {
            Ok(caught_up) => out.send().await.then_some(caught_up),
            Err(fault) => {
                out.records.clear();
                let told_of = match fault {
                    Fault::Lost(failure) => Told::Lost(failure),
                    Fault::Fatal(err) => Told::Fatal(err),
                };
                let _ = told.send(told_of).await;
                Some(None)
            }
        };
        match said {
            None => return,
            Some(Some(_)) => {
                if told.send(Told::CaughtUp).await.is_err() {
                    return;
                }
            }
            Some(None) => {}
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// One client's replay: open a reader from `after`, read it all, hand it over in chunks (each
/// once the client has room), and close it.
async fn replay(
    on: &ConnSettings,
    plan: journal::Plan,
    sub: Arc<Sub>,
    told: &mpsc::Sender<Told>,
) -> Result<u64, String> {
    let (mut reader, _) = Reader::open(on, plan).await.map_err(|fault| match fault {
        Fault::Fatal(err) => err.to_string(),
        Fault::Lost(err) => format!("{err:#}"),
    })?;
    let mut out = Out::new(told.clone(), Some(sub));
    out.floor = reader.floor();
    let replayed = reader
        .catch_up(&mut out)
        .await
        .map_err(|fault| match fault {
            Fault::Fatal(err) => err.to_string(),
            Fault::Lost(err) => format!("{err:#}"),
        })?;
    out.send().await;
    Ok(replayed)
}

/// Where a reader hands its records: to the hub, in chunks.
struct Out {
    told: mpsc::Sender<Told>,
    records: Vec<Record>,
    /// The reader's floor before the read that hands these over.
    floor: i64,
    /// For a replay: the client it is for (and whose room it waits for).
    sub: Option<Arc<Sub>>,
}

/// How long a replay waits between looks at a client that has no room.
const ROOM_WAIT: Duration = Duration::from_millis(20);

impl Out {
    fn new(told: mpsc::Sender<Told>, sub: Option<Arc<Sub>>) -> Out {
        Out {
            told,
            records: Vec::new(),
            floor: 0,
            sub,
        }
    }

    /// Hand over what is collected; false once the hub is gone.
    async fn send(&mut self) -> bool {
        if self.records.is_empty() {
            return true;
        }
        let records = std::mem::take(&mut self.records);
        let told = match &self.sub {
            None => Told::Records {
                records,
                floor: self.floor,
            },
            Some(sub) => {
                // A replay goes at the client's pace: it is not cut off for being behind.
                while sub.backlog() > sub.capacity() / 2 && !sub.ended() {
                    tokio::time::sleep(ROOM_WAIT).await;
                }
                Told::Replay {
                    sub: sub.clone(),
                    records,
                    floor: self.floor,
                }
            }
        };
        self.told.send(told).await.is_ok()
    }
}

impl Deliver for Out {
    async fn deliver(&mut self, record: &journal::Record<'_>) -> Result<bool, Error> {
        self.records.push(Record {
            position: record.position,
            channel: record.channel.to_string(),
            payload: record.payload.to_string(),
            pid: record.pid as u32,
        });
        if self.records.len() >= CHUNK {
            self.send().await;
        }
        Ok(true)
    }

    fn done(&self) -> bool {
        self.sub.as_ref().is_some_and(|sub| sub.ended())
    }

    fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }
}
