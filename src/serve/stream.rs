//! One subscriber's side of the fan-out: a bounded queue of SSE frames that the hub fills and
//! the HTTP response drains. The hub never waits for a subscriber: when a queue is full the
//! subscriber is cut off (its queue replaced by one final event saying how many notifications
//! it lost), so a slow reader can delay neither the others nor the database session. What is
//! queued are pieces of the hub's rendered batches (a run of consecutive frames of one batch is
//! one shared piece, not a copy per subscriber), and the response takes what is queued in as
//! few writes as it can: that is what keeps a fast stream cheap.

use super::metrics::Metrics;
use super::net::Wire;
use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use tokio::sync::mpsc;

/// A subscriber's id, unique for the life of the server.
pub type SubId = u64;

/// Most bytes handed to the connection in one piece when small pieces are joined.
const CHUNK: usize = 64 * 1024;
/// A piece at least this large goes to the connection as it is (hyper writes several with
/// one vectored write); smaller ones are joined, to spare a chunk header each.
const LARGE: usize = 4 * 1024;

/// Rendered frames: `notifications` notification frames (0 for an event or a comment).
pub struct Piece {
    pub bytes: Bytes,
    pub notifications: u32,
}

/// What the hub and the response share about one subscriber.
pub struct Sub {
    pub id: SubId,
    /// The channels it asked for, in its order.
    pub channels: Vec<String>,
    queue: Mutex<Queue>,
    /// Notifications still queued when more arrive: the subscriber is then cut off.
    capacity: usize,
    /// The hub's mark of the last batch that reached this subscriber (the hub's alone).
    pub stamp: AtomicU64,
    /// The connection it goes out on.
    pub wire: Arc<Wire>,
}

#[derive(Default)]
struct Queue {
    pieces: VecDeque<Piece>,
    /// Notifications in `pieces`.
    notifications: usize,
    /// While a reconnecting client's missed records are replayed, live ones wait here (they
    /// count towards its buffer).
    held: Option<Vec<Piece>>,
    /// The last frame, after which the stream ends.
    last: Option<Bytes>,
    /// Set once the stream may not take any more frames.
    ended: bool,
    waker: Option<Waker>,
}

/// What happened when frames were offered to a subscriber.
#[derive(Debug, PartialEq, Eq)]
pub enum Offer {
    Queued,
    /// It still had a whole buffer to take: it lost this many notifications and must be cut
    /// off.
    Full(u64),
    /// It has ended already.
    Ended,
}

impl Sub {
    pub fn new(id: SubId, channels: Vec<String>, capacity: usize, wire: Arc<Wire>) -> Sub {
        Sub {
            id,
            channels,
            queue: Mutex::new(Queue::default()),
            capacity,
            stamp: AtomicU64::new(0),
            wire,
        }
    }

    /// Queue `pieces` (notifications that arrived together), unless the subscriber still has
    /// a whole buffer of earlier ones to take: then it is too far behind. A burst is taken
    /// whole whatever its size, so the queue holds at most a buffer plus one batch.
    pub fn offer(&self, pieces: impl Iterator<Item = Piece>) -> Offer {
        let mut queue = self.lock();
        if queue.ended {
            return Offer::Ended;
        }
        let held = queue.held.as_ref().map_or(0, |h| count(h));
        if queue.notifications + held >= self.capacity {
            let arriving: usize = pieces.map(|p| p.notifications as usize).sum();
            return Offer::Full((queue.notifications + held + arriving) as u64);
        }
        if let Some(held) = &mut queue.held {
            held.extend(pieces);
            return Offer::Queued;
        }
        for piece in pieces {
            queue.notifications += piece.notifications as usize;
            queue.pieces.push_back(piece);
        }
        wake(queue)
    }

    /// Hold live notifications back (until [`Sub::release`]) while missed ones are replayed.
    pub fn hold(&self) {
        self.lock().held.get_or_insert_with(Vec::new);
    }

    /// Queue replayed notifications: they go before what is held, whatever the backlog (the
    /// replay waits for room itself).
    pub fn replay(&self, pieces: impl Iterator<Item = Piece>) {
        let mut queue = self.lock();
        if queue.ended {
            return;
        }
        for piece in pieces {
            queue.notifications += piece.notifications as usize;
            queue.pieces.push_back(piece);
        }
        wake(queue);
    }

    /// The replay is done: queue `event`, then what was held.
    pub fn release(&self, event: Bytes) {
        let mut queue = self.lock();
        let held = queue.held.take().unwrap_or_default();
        if queue.ended {
            return;
        }
        queue.pieces.push_back(Piece {
            bytes: event,
            notifications: 0,
        });
        for piece in held {
            queue.notifications += piece.notifications as usize;
            queue.pieces.push_back(piece);
        }
        wake(queue);
    }

    /// Notifications queued (and held) and not yet taken.
    pub fn backlog(&self) -> usize {
        let queue = self.lock();
        queue.notifications + queue.held.as_ref().map_or(0, |h| count(h))
    }

    /// Notifications queued before it is cut off.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether its stream has ended (or must).
    pub fn ended(&self) -> bool {
        self.lock().ended
    }

    /// Queue an event (not a notification: it never overflows the queue).
    pub fn event(&self, frame: Bytes) {
        let mut queue = self.lock();
        if !queue.ended {
            queue.pieces.push_back(Piece {
                bytes: frame,
                notifications: 0,
            });
            wake(queue);
        }
    }

    /// Queue a keep-alive comment, unless something is queued already (then the stream is
    /// not idle, or its reader is stuck and more would only pile up).
    pub fn heartbeat(&self, comment: Bytes) {
        let queue = self.lock();
        if queue.pieces.is_empty() {
            drop(queue);
            self.event(comment);
        }
    }

    /// End the stream with `frame`: after what is queued, or, with `discard`, instead of it
    /// (returns how many queued notifications were discarded).
    pub fn end(&self, frame: Bytes, discard: bool) -> u64 {
        let mut queue = self.lock();
        if queue.ended {
            return 0;
        }
        let discarded = if discard {
            queue.pieces.clear();
            let held = queue.held.take().map_or(0, |h| count(&h));
            (std::mem::take(&mut queue.notifications) + held) as u64
        } else {
            queue.held = None;
            0
        };
        queue.last = Some(frame);
        queue.ended = true;
        wake(queue);
        discarded
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The notifications in `pieces`.
fn count(pieces: &[Piece]) -> usize {
    pieces.iter().map(|p| p.notifications as usize).sum()
}

/// Wake the response after queueing, outside the lock.
fn wake(mut queue: std::sync::MutexGuard<'_, Queue>) -> Offer {
    let waker = queue.waker.take();
    drop(queue);
    if let Some(waker) = waker {
        waker.wake();
    }
    Offer::Queued
}

/// The response body of `GET /listen`: the subscriber's frames as they come. Dropping it (the
/// client went away, or the stream ended) unsubscribes.
pub struct Stream {
    sub: Arc<Sub>,
    gone: mpsc::UnboundedSender<SubId>,
    metrics: Arc<Metrics>,
    done: bool,
}

impl Stream {
    /// The body for `sub`, counted in `metrics.subscribers` already (until it is dropped);
    /// `gone` is told its id when the body is dropped.
    pub fn new(sub: Arc<Sub>, gone: mpsc::UnboundedSender<SubId>, metrics: Arc<Metrics>) -> Self {
        Stream {
            sub,
            gone,
            metrics,
            done: false,
        }
    }
}

impl Body for Stream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let mut queue = self.sub.lock();
        if let Some((chunk, notifications)) = take(&mut queue) {
            drop(queue);
            self.metrics
                .delivered
                .fetch_add(notifications, Ordering::Relaxed);
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        if let Some(last) = queue.last.take() {
            drop(queue);
            self.done = true;
            return Poll::Ready(Some(Ok(Frame::data(last))));
        }
        if !queue
            .waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            queue.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.metrics.subscribers.fetch_sub(1, Ordering::Relaxed);
        let _ = self.gone.send(self.sub.id);
    }
}

/// What to hand to the connection next, and how many notifications it holds: a large piece
/// as it is (no copy), else the small pieces that follow, joined up to [`CHUNK`] bytes.
fn take(queue: &mut Queue) -> Option<(Bytes, u64)> {
    let first = queue.pieces.pop_front()?;
    let mut notifications = u64::from(first.notifications);
    let joinable = |p: &Piece, len: usize| p.bytes.len() < LARGE && len + p.bytes.len() <= CHUNK;
    let chunk = match queue.pieces.front() {
        Some(next) if first.bytes.len() < LARGE && joinable(next, first.bytes.len()) => {
            let mut chunk = BytesMut::with_capacity(CHUNK.min(LARGE * 4));
            chunk.extend_from_slice(&first.bytes);
            while let Some(next) = queue.pieces.front() {
                if !joinable(next, chunk.len()) {
                    break;
                }
                chunk.extend_from_slice(&next.bytes);
                notifications += u64::from(next.notifications);
                queue.pieces.pop_front();
            }
            chunk.freeze()
        }
        _ => first.bytes,
    };
    queue.notifications -= notifications as usize;
    Some((chunk, notifications))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(len: usize, notifications: u32) -> Piece {
        Piece {
            bytes: Bytes::from(vec![b'x'; len]),
            notifications,
        }
    }

    #[test]
    fn a_subscriber_a_whole_buffer_behind_is_refused() {
        let wire = Arc::new(Wire::new(([127, 0, 0, 1], 1).into()));
        let sub = Sub::new(1, vec!["c".into()], 3, wire);
        assert_eq!(sub.offer([piece(9, 2)].into_iter()), Offer::Queued);
        assert_eq!(sub.offer([piece(9, 2)].into_iter()), Offer::Queued);
        assert_eq!(
            sub.offer([piece(9, 1), piece(9, 1)].into_iter()),
            Offer::Full(6)
        );
        assert_eq!(sub.end(Bytes::from_static(b"end"), true), 4);
        assert_eq!(sub.offer([piece(9, 1)].into_iter()), Offer::Ended);
    }

    #[test]
    fn small_pieces_are_joined_and_large_ones_go_as_they_are() {
        let mut queue = Queue::default();
        for p in [
            piece(100, 1),
            piece(200, 2),
            piece(0, 0),
            piece(5000, 30),
            piece(100, 1),
        ] {
            queue.notifications += p.notifications as usize;
            queue.pieces.push_back(p);
        }
        assert_eq!(take(&mut queue).map(|(b, n)| (b.len(), n)), Some((300, 3)));
        assert_eq!(
            take(&mut queue).map(|(b, n)| (b.len(), n)),
            Some((5000, 30))
        );
        assert_eq!(take(&mut queue).map(|(b, n)| (b.len(), n)), Some((100, 1)));
        assert_eq!(queue.notifications, 0);
        assert!(take(&mut queue).is_none());
    }
}
