//! The hub's side of durable channels: notifications of durable channels go to the journal's
//! reader (`serve::durable`) instead of straight to subscribers; what the reader hands back is
//! fanned out like any notification, with its position, and an id that says where a reconnect
//! resumes. A reconnecting client (Last-Event-ID) is replayed what it missed before anything
//! live; after the session's own reconnect, durable channels get a `caught_up` instead of a gap.

use super::{Fanout, Member, Note};
use crate::output::Event;
use crate::serve::durable::{Ask, Record, Told};
use crate::serve::stream::{Piece, Sub};
use sqlx::postgres::PgNotification;
use std::sync::Arc;

impl Fanout {
    /// Hand the notifications of durable channels to the journal's reader; the plain ones are
    /// returned, in order.
    pub(super) fn divert_durable(&self, batch: Vec<PgNotification>) -> Vec<PgNotification> {
        let Some(durable) = &self.durable else {
            return batch;
        };
        let (durable_ones, plain): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .partition(|n| durable.channels.iter().any(|c| c == n.channel()));
        for notification in durable_ones {
            durable.journal.ask(Ask::Live(notification));
        }
        plain
    }

    /// What the journal's reader (or a client's replay) tells.
    pub(super) fn told(&mut self, told: Told) {
        match told {
            Told::Records { records, floor } => {
                if let Some(durable) = &mut self.durable {
                    durable.floor = durable.floor.max(floor);
                }
                let notes: Vec<Note> = records.iter().map(Note::from).collect();
                let offered = self.fan_out(&notes, Some(floor));
                if let Some((_, counts)) = &mut self.catching_up {
                    for (id, n) in offered {
                        *counts.entry(id).or_default() += n;
                    }
                }
            }
            Told::CaughtUp => self.caught_up(),
            Told::Lost(failure) => {
                if self.session.is_some() {
                    self.lost(failure);
                }
            }
            Told::Fatal(err) => {
                if let Some(failed) = self.failed.take() {
                    let _ = failed.send(err);
                }
            }
            Told::Replay {
                sub,
                records,
                floor,
            } => {
                let notes: Vec<Note> = records.iter().map(Note::from).collect();
                let (bytes, _) = self.render(&notes, Some(floor));
                sub.replay(std::iter::once(Piece {
                    bytes,
                    notifications: notes.len() as u32,
                }));
            }
            Told::Replayed { sub, replayed } => {
                let frame = match replayed {
                    Ok(replayed) => self.event(&Event::CaughtUp {
                        replayed,
                        down_ms: None,
                    }),
                    Err(why) => self.event(&Event::Gap {
                        reason: &format!(
                            "what its durable channels got while it was away could not be \
                             replayed: {why}"
                        ),
                    }),
                };
                sub.release(frame);
            }
        }
    }

    /// The reader has replayed what durable channels missed during the session's gap: each
    /// subscriber of one is told how many of them it got, and how long the gap was.
    fn caught_up(&mut self) {
        let Some((down, counts)) = self.catching_up.take() else {
            return;
        };
        let receiving = |m: &&Member| m.unconfirmed == 0 && !m.durable.is_empty();
        let subs: Vec<Arc<Sub>> = self
            .members
            .values()
            .filter(receiving)
            .map(|m| m.sub.clone())
            .collect();
        for sub in subs {
            let frame = self.event(&Event::CaughtUp {
                replayed: counts.get(&sub.id).copied().unwrap_or(0),
                down_ms: Some(down.as_millis()),
            });
            sub.event(frame);
        }
    }

    /// Start replaying to `sub` what its `durable` channels got after `after`.
    pub(super) fn replay(&mut self, sub: &Arc<Sub>, durable: Vec<String>, after: i64) {
        match (&self.durable, &self.session) {
            (Some(journal), Some(session)) => {
                let on = (*session.settings).clone();
                journal.journal.replay(on, sub.clone(), durable, after);
            }
            _ => {
                let frame = self.event(&Event::Gap {
                    reason: "the database session is down: what this stream missed could not \
                             be replayed",
                });
                sub.release(frame);
            }
        }
    }
}

/// What a client's Last-Event-ID asks of a stream on `durable` (of `sub`'s channels): the
/// position to replay its durable channels after (`POSITION:FLOOR` resumes after FLOOR, a plain
/// number after itself), and whether it has lost notifications for good (its plain channels,
/// or an id that is not a position).
pub(super) fn resume(
    sub: &Sub,
    durable: &[String],
    last_event_id: Option<&str>,
) -> (Option<i64>, bool) {
    let Some(id) = last_event_id else {
        return (None, false);
    };
    let plain = durable.len() < sub.channels.len();
    if durable.is_empty() {
        return (None, plain);
    }
    let after = id
        .rsplit(':')
        .next()
        .and_then(|floor| floor.trim().parse::<i64>().ok())
        .filter(|after| *after >= 0);
    (after, plain || after.is_none())
}

impl<'a> From<&'a PgNotification> for Note<'a> {
    fn from(n: &'a PgNotification) -> Self {
        Note {
            channel: n.channel(),
            payload: n.payload(),
            pid: n.process_id(),
            position: None,
        }
    }
}

impl<'a> From<&'a Record> for Note<'a> {
    fn from(r: &'a Record) -> Self {
        Note {
            channel: &r.channel,
            payload: &r.payload,
            pid: r.pid,
            position: Some(r.position),
        }
    }
}
