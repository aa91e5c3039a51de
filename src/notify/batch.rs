//! Grouping messages into transactions. One transaction per message would cap throughput at
//! the server's commit rate, so messages are batched; but PostgreSQL delivers identical
//! (channel, payload) pairs of one transaction only once, so a batch is cut before the first
//! repeat, which keeps "N lines in, N notifications out" exact.

use super::source::Message;
use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// Most messages per transaction when streaming.
pub const MAX_MESSAGES: usize = 1000;
/// Most payload bytes per transaction when streaming.
pub const MAX_BYTES: usize = 1 << 20;
/// The same for journal records: a batch is one journal row of up to `journal::sql::BATCH`
/// records, and the bigger it is, the less each record costs the server; listeners read them
/// from the journal anyway.
const JOURNAL_MESSAGES: usize = crate::journal::sql::BATCH as usize;
const JOURNAL_BYTES: usize = 8 << 20;

/// One transaction's worth of messages, in send order.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    pub messages: Vec<Message>,
    /// Messages that repeat an earlier (channel, payload) of this batch, which the server
    /// delivers only once (only `--atomic` batches have any).
    pub repeats: usize,
    bytes: usize,
}

impl Batch {
    /// A batch of exactly these messages (a one-shot send).
    pub fn of(messages: Vec<Message>) -> Self {
        let bytes = messages.iter().map(size).sum();
        Batch {
            messages,
            repeats: 0,
            bytes,
        }
    }

    /// Channel and payload bytes, to bound what one round trip carries.
    pub fn bytes(&self) -> usize {
        self.bytes
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

/// Turns a stream of messages into batches, closed in order.
pub struct Batcher {
    policy: Policy,
    /// The server folds identical pairs of a transaction (plain notifications; journal
    /// records never fold, each has its own position).
    folds: bool,
    open: Batch,
    /// Hashes of the open batch's pairs. A collision only cuts a batch early, which costs a
    /// transaction but never a notification, so the pairs themselves need not be kept.
    seen: HashSet<u64, BuildHasherDefault<Prehashed>>,
    /// Seeded per run, so no input can be crafted to collide; foldhash rather than the
    /// standard SipHash, which took a tenth of the reading thread's time on short lines.
    hasher: foldhash::fast::RandomState,
}

/// The set's own hasher for keys that are hashes already.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

impl Batcher {
    pub fn new(policy: Policy, folds: bool) -> Self {
        Batcher {
            policy,
            folds,
            open: Batch::default(),
            seen: HashSet::default(),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// Add the next message; returns the batch this closed, if any. A full batch is only cut
    /// between input lines, so that a line sent to several channels is never split.
    pub fn push(&mut self, message: Message) -> Option<Batch> {
        let mut closed = None;
        if !self.folds {
            if let Policy::Streaming = self.policy {
                if self
                    .open
                    .messages
                    .last()
                    .is_some_and(|m| m.line != message.line)
                    && self.full(&message)
                {
                    closed = self.flush();
                }
            }
            self.open.push(message);
            return closed;
        }
        let key = self.hasher.hash_one((&*message.channel, &message.payload));
        if let Policy::Streaming = self.policy {
            let new_line = self
                .open
                .messages
                .last()
                .is_some_and(|m| m.line != message.line);
            if (new_line && self.full(&message)) || self.seen.contains(&key) {
                closed = self.flush();
            }
        }
        // Atomic batches keep repeats, which the server folds: count them for the report (a
        // 64-bit hash collision would count one too many, never lose a notification).
        if !self.seen.insert(key) {
            self.open.repeats += 1;
        }
        self.open.push(message);
        closed
    }

    /// Whether `message` would take the open batch past its size limits.
    fn full(&self, message: &Message) -> bool {
        let (messages, bytes) = if self.folds {
            (MAX_MESSAGES, MAX_BYTES)
        } else {
            (JOURNAL_MESSAGES, JOURNAL_BYTES)
        };
        self.open.messages.len() >= messages || self.open.bytes + size(message) > bytes
    }

    /// Close the open batch, if it holds anything.
    pub fn flush(&mut self) -> Option<Batch> {
        self.seen.clear();
        Some(std::mem::take(&mut self.open)).filter(|b| !b.messages.is_empty())
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

    /// Every batch closed while pushing `messages` and flushing at the end.
    fn batches(policy: Policy, messages: impl IntoIterator<Item = Message>) -> Vec<Batch> {
        let mut batcher = Batcher::new(policy, true);
        let mut closed: Vec<Batch> = messages
            .into_iter()
            .filter_map(|m| batcher.push(m))
            .collect();
        closed.extend(batcher.flush());
        closed
    }

    fn lines(batches: &[Batch]) -> Vec<Vec<u64>> {
        batches
            .iter()
            .map(|b| b.messages.iter().map(|m| m.line).collect())
            .collect()
    }

    #[test]
    fn repeats_cut_the_batch() {
        let input = [(1, "x"), (2, "y"), (3, "x"), (4, "x"), (5, "z")];
        let got = batches(Policy::Streaming, input.map(|(l, p)| message(l, "c", p)));
        assert_eq!(lines(&got), [vec![1, 2], vec![3], vec![4, 5]]);
    }

    #[test]
    fn same_payload_on_other_channel_is_no_repeat() {
        let got = batches(
            Policy::Streaming,
            [message(1, "a", "x"), message(1, "b", "x")],
        );
        assert_eq!(lines(&got), [vec![1, 1]]);
    }

    #[test]
    fn size_cuts_only_between_lines() {
        let last = MAX_MESSAGES as u64;
        let input = (1..last)
            .map(|line| message(line, "a", &line.to_string()))
            .chain(["a", "b", "c"].map(|channel| message(last, channel, "last")))
            .chain([message(last + 1, "a", "next")]);
        let sizes: Vec<usize> = batches(Policy::Streaming, input)
            .iter()
            .map(|b| b.messages.len())
            .collect();
        assert_eq!(sizes, [MAX_MESSAGES + 2, 1]);
    }

    #[test]
    fn byte_limit_cuts() {
        let big = "x".repeat(7000);
        let input = (0..200).map(|line| message(line, "c", &format!("{line}{big}")));
        let got = batches(Policy::Streaming, input);
        assert!(got.len() > 1);
        assert!(got.iter().all(|b| b.bytes <= MAX_BYTES));
        assert_eq!(got.iter().map(|b| b.messages.len()).sum::<usize>(), 200);
    }

    #[test]
    fn journal_records_never_fold_so_repeats_do_not_cut() {
        let mut batcher = Batcher::new(Policy::Streaming, false);
        let mut closed: Vec<Batch> = (0..2500)
            .filter_map(|line| batcher.push(message(line, "c", "same")))
            .collect();
        // (and their batches are bigger: one journal row each)
        closed.extend(batcher.flush());
        let sizes: Vec<usize> = closed.iter().map(|b| b.messages.len()).collect();
        assert_eq!(sizes, [2500]);
        assert!(closed.iter().all(|b| b.repeats == 0));
    }

    #[test]
    fn atomic_never_cuts() {
        let got = batches(
            Policy::Atomic,
            (0..3000).map(|line| message(line, "c", "same")),
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].messages.len(), 3000);
    }
}
