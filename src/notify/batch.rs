//! Grouping messages into transactions. One transaction per message would cap throughput at
//! the server's commit rate, so messages are batched; but PostgreSQL delivers identical
//! (channel, payload) pairs of one transaction only once, so a batch is cut before the first
//! repeat, which keeps "N lines in, N notifications out" exact.

use super::source::Message;
use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};

/// Most messages per transaction when streaming.
pub const MAX_MESSAGES: usize = 1000;
/// Most payload bytes per transaction when streaming.
pub const MAX_BYTES: usize = 1 << 20;

/// One transaction's worth of messages, in send order.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    pub messages: Vec<Message>,
    bytes: usize,
}

impl Batch {
    /// A batch of exactly these messages (a one-shot send).
    pub fn of(messages: Vec<Message>) -> Self {
        let bytes = messages.iter().map(size).sum();
        Batch { messages, bytes }
    }

    /// The input line of the first message, for "first line not sent" reports.
    pub fn first_line(&self) -> Option<u64> {
        self.messages.first().map(|m| m.line)
    }

    fn push(&mut self, message: Message) {
        self.bytes += size(&message);
        self.messages.push(message);
    }
}

fn size(message: &Message) -> usize {
    message.channel.len() + message.payload.len()
}

/// When a batch is cut.
#[derive(Debug, Clone, Copy)]
pub enum Policy {
    /// At the size limits, at a repeated pair, and whenever told to flush.
    Streaming,
    /// Never: everything is one transaction and repeats fold (`--atomic`).
    Atomic,
}

/// Turns a stream of messages into closed batches, ready to send in order.
pub struct Batcher {
    policy: Policy,
    open: Batch,
    /// Hashes of the open batch's pairs. A collision only cuts a batch early, which costs a
    /// transaction but never a notification, so the pairs themselves need not be kept.
    seen: HashSet<u64>,
    hasher: RandomState,
    ready: Vec<Batch>,
    ready_bytes: usize,
}

impl Batcher {
    pub fn new(policy: Policy) -> Self {
        Batcher {
            policy,
            open: Batch::default(),
            seen: HashSet::new(),
            hasher: RandomState::new(),
            ready: Vec::new(),
            ready_bytes: 0,
        }
    }

    /// Add the next message. A full batch is only cut between input lines, so that a line sent
    /// to several channels is never split across transactions.
    pub fn push(&mut self, message: Message) {
        if let Policy::Streaming = self.policy {
            let key = self.hasher.hash_one((&*message.channel, &message.payload));
            let new_line = self
                .open
                .messages
                .last()
                .is_some_and(|m| m.line != message.line);
            let full = self.open.messages.len() >= MAX_MESSAGES
                || self.open.bytes + size(&message) > MAX_BYTES;
            if (new_line && full) || self.seen.contains(&key) {
                self.flush();
            }
            self.seen.insert(key);
        }
        self.open.push(message);
    }

    /// Close the open batch, if any, so that it is sent with the next [`Batcher::take`].
    pub fn flush(&mut self) {
        if !self.open.messages.is_empty() {
            self.ready_bytes += self.open.bytes;
            self.ready.push(std::mem::take(&mut self.open));
            self.seen.clear();
        }
    }

    /// Payload bytes and messages in closed batches, to bound what one round trip carries.
    pub fn ready_size(&self) -> (usize, usize) {
        let messages = self.ready.iter().map(|b| b.messages.len()).sum();
        (messages, self.ready_bytes)
    }

    /// The closed batches, oldest first.
    pub fn take(&mut self) -> Vec<Batch> {
        self.ready_bytes = 0;
        std::mem::take(&mut self.ready)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(line: u64, channel: &str, payload: &str) -> Message {
        Message {
            line,
            channel: channel.into(),
            payload: payload.to_string(),
        }
    }

    fn lines(batches: &[Batch]) -> Vec<Vec<u64>> {
        batches
            .iter()
            .map(|b| b.messages.iter().map(|m| m.line).collect())
            .collect()
    }

    #[test]
    fn repeats_cut_the_batch() {
        let mut batcher = Batcher::new(Policy::Streaming);
        for (line, payload) in [(1, "x"), (2, "y"), (3, "x"), (4, "x"), (5, "z")] {
            batcher.push(message(line, "c", payload));
        }
        batcher.flush();
        assert_eq!(lines(&batcher.take()), [vec![1, 2], vec![3], vec![4, 5]]);
    }

    #[test]
    fn same_payload_on_other_channel_is_no_repeat() {
        let mut batcher = Batcher::new(Policy::Streaming);
        batcher.push(message(1, "a", "x"));
        batcher.push(message(1, "b", "x"));
        batcher.flush();
        assert_eq!(lines(&batcher.take()), [vec![1, 1]]);
    }

    #[test]
    fn size_cuts_only_between_lines() {
        let mut batcher = Batcher::new(Policy::Streaming);
        for line in 0..MAX_MESSAGES as u64 - 1 {
            batcher.push(message(line, "a", &line.to_string()));
        }
        let last = MAX_MESSAGES as u64;
        for channel in ["a", "b", "c"] {
            batcher.push(message(last, channel, "last"));
        }
        batcher.push(message(last + 1, "a", "next"));
        batcher.flush();
        let sizes: Vec<usize> = batcher.take().iter().map(|b| b.messages.len()).collect();
        assert_eq!(sizes, [MAX_MESSAGES + 2, 1]);
    }

    #[test]
    fn byte_limit_cuts() {
        let mut batcher = Batcher::new(Policy::Streaming);
        let big = "x".repeat(7000);
        for line in 0..200 {
            batcher.push(message(line, "c", &format!("{line}{big}")));
        }
        batcher.flush();
        let batches = batcher.take();
        assert!(batches.len() > 1);
        assert!(batches.iter().all(|b| b.bytes <= MAX_BYTES));
        assert_eq!(batches.iter().map(|b| b.messages.len()).sum::<usize>(), 200);
    }

    #[test]
    fn atomic_never_cuts() {
        let mut batcher = Batcher::new(Policy::Atomic);
        for line in 0..3000 {
            batcher.push(message(line, "c", "same"));
        }
        assert_eq!(batcher.ready_size(), (0, 0));
        batcher.flush();
        assert_eq!(batcher.ready_size(), (3000, 3000 * 5));
        assert_eq!(batcher.take().len(), 1);
    }
}
