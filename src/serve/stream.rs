//! One subscriber's side of the fan-out: a bounded queue of SSE frames that the hub fills and
//! the HTTP response drains. The hub never waits for a subscriber: when a queue is full the
//! subscriber is cut off (its queue replaced by one final event saying how many notifications
//! it lost), so a slow reader can delay neither the others nor the database session. The
//! response takes everything queued in one write, which is what keeps a fast stream cheap.

use super::metrics::Metrics;
use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use tokio::sync::{mpsc, Notify};

/// A subscriber's id, unique for the life of the server.
pub type SubId = u64;

/// Most bytes handed to the connection in one piece.
const CHUNK: usize = 64 * 1024;

/// What the hub and the response share about one subscriber.
pub struct Sub {
    pub id: SubId,
    /// The channels it asked for, in its order.
    pub channels: Vec<String>,
    queue: Mutex<Queue>,
    /// Most frames queued before the subscriber is cut off.
    capacity: usize,
    /// The hub's mark of the last batch that reached this subscriber (the hub's alone).
    pub stamp: AtomicU64,
    /// Ends the connection outright (a subscriber that does not even read its final event).
    pub kill: Arc<Notify>,
    /// Pieces handed to the connection so far: whether a stuck reader still makes progress.
    pub progress: AtomicU64,
    /// The last frame has been handed to the connection.
    pub finished: AtomicBool,
}

#[derive(Default)]
struct Queue {
    /// Each frame, and whether it is a notification (rather than an event).
    frames: VecDeque<(Bytes, bool)>,
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
    /// Its queue was full: it lost this many notifications and must be cut off.
    Full(u64),
    /// It has ended already.
    Ended,
}

impl Sub {
    pub fn new(id: SubId, channels: Vec<String>, capacity: usize, kill: Arc<Notify>) -> Sub {
        Sub {
            id,
            channels,
            queue: Mutex::new(Queue::default()),
            capacity,
            stamp: AtomicU64::new(0),
            kill,
            progress: AtomicU64::new(0),
            finished: AtomicBool::new(false),
        }
    }

    /// Queue `frames` (notifications that arrived together), unless the subscriber still has
    /// a whole buffer of earlier ones to take: then it is too far behind. A burst is taken
    /// whole whatever its size, so the queue holds at most a buffer plus one batch.
    pub fn offer(&self, frames: impl ExactSizeIterator<Item = Bytes>) -> Offer {
        let mut queue = self.lock();
        if queue.ended {
            return Offer::Ended;
        }
        let n = frames.len();
        if queue.frames.len() >= self.capacity {
            return Offer::Full((queue.frames.len() + n) as u64);
        }
        queue.frames.extend(frames.map(|f| (f, true)));
        wake(queue)
    }

    /// Queue an event (not a notification: it never overflows the queue).
    pub fn event(&self, frame: Bytes) {
        let mut queue = self.lock();
        if !queue.ended {
            queue.frames.push_back((frame, false));
            wake(queue);
        }
    }

    /// Queue a keep-alive comment, unless something is queued already (then the stream is
    /// not idle, or its reader is stuck and more would only pile up).
    pub fn heartbeat(&self, comment: Bytes) {
        let mut queue = self.lock();
        if !queue.ended && queue.frames.is_empty() {
            queue.frames.push_back((comment, false));
            wake(queue);
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
            std::mem::take(&mut queue.frames).len() as u64
        } else {
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
        if !queue.frames.is_empty() {
            let (chunk, notifications) = take_chunk(&mut queue.frames);
            drop(queue);
            self.sub.progress.fetch_add(1, Ordering::Relaxed);
            self.metrics
                .delivered
                .fetch_add(notifications, Ordering::Relaxed);
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        if let Some(last) = queue.last.take() {
            drop(queue);
            self.done = true;
            self.sub.finished.store(true, Ordering::Relaxed);
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

/// Everything queued (up to [`CHUNK`] bytes, at least one frame) as one piece, and how many
/// notifications that was. One frame is handed over as it is, without a copy.
fn take_chunk(frames: &mut VecDeque<(Bytes, bool)>) -> (Bytes, u64) {
    let (first, notification) = frames.pop_front().expect("not empty");
    let mut notifications = u64::from(notification);
    if frames.is_empty() || first.len() >= CHUNK {
        return (first, notifications);
    }
    let mut chunk = BytesMut::with_capacity(CHUNK.min(first.len() * (frames.len() + 1)));
    chunk.extend_from_slice(&first);
    while let Some((next, notification)) = frames.front() {
        if chunk.len() + next.len() > CHUNK {
            break;
        }
        chunk.extend_from_slice(next);
        notifications += u64::from(*notification);
        frames.pop_front();
    }
    (chunk.freeze(), notifications)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscriber_a_whole_buffer_behind_is_refused() {
        let sub = Sub::new(1, vec!["c".into()], 3, Arc::default());
        let frame = || Bytes::from_static(b"data: x\n\n");
        assert_eq!(sub.offer([frame(), frame()].into_iter()), Offer::Queued);
        assert_eq!(sub.offer([frame(), frame()].into_iter()), Offer::Queued);
        assert_eq!(sub.offer([frame(), frame()].into_iter()), Offer::Full(6));
        assert_eq!(sub.end(Bytes::from_static(b"end"), true), 4);
        assert_eq!(sub.offer([frame()].into_iter()), Offer::Ended);
    }

    #[test]
    fn chunks_join_frames_up_to_the_limit() {
        let mut frames: VecDeque<(Bytes, bool)> = (0..3)
            .map(|_| (Bytes::from(vec![b'x'; 30_000]), true))
            .collect();
        let (chunk, taken) = take_chunk(&mut frames);
        assert_eq!((chunk.len(), taken), (60_000, 2));
        let (chunk, taken) = take_chunk(&mut frames);
        assert_eq!((chunk.len(), taken), (30_000, 1));
    }
}
