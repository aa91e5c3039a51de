//! Accounting for the producer's notifications. Each carries its sequence number, so the
//! listener side can prove what the demo claims: every committed notification arrived, once,
//! in the order it was sent, rather than "some notifications arrived".

use serde::Deserialize;
use std::collections::BTreeSet;

/// The producer's payload, `{"payload": n}`, decoded.
#[derive(Debug, Deserialize)]
struct Tick {
    payload: u64,
}

/// What has arrived of the producer's numbered notifications.
#[derive(Debug, Default)]
pub struct Ledger {
    seen: BTreeSet<u64>,
    duplicates: u64,
    out_of_order: u64,
    highest: u64,
}

impl Ledger {
    /// Record a notification if it is one of the producer's; returns its number if it was.
    pub fn record(&mut self, payload: &str) -> Option<u64> {
        let n = serde_json::from_str::<Tick>(payload).ok()?.payload;
        if !self.seen.insert(n) {
            self.duplicates += 1;
        } else if n < self.highest {
            self.out_of_order += 1;
        }
        self.highest = self.highest.max(n);
        Some(n)
    }

    /// The highest number received so far.
    pub fn highest(&self) -> u64 {
        self.highest
    }

    /// How many of the notifications numbered 1..=`sent` have not arrived.
    pub fn missing(&self, sent: u64) -> u64 {
        sent - self.seen.range(1..=sent).count() as u64
    }

    /// Distinct notifications received.
    pub fn received(&self) -> u64 {
        self.seen.len() as u64
    }

    /// Notifications that arrived a second time.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Notifications that arrived after a higher-numbered one.
    pub fn out_of_order(&self) -> u64 {
        self.out_of_order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_missing_duplicates_and_reordering() {
        let mut ledger = Ledger::default();
        for payload in [
            r#"{"payload" : 1}"#,
            r#"{"payload" : 3}"#,
            r#"{"payload" : 2}"#,
            r#"{"payload" : 3}"#,
        ] {
            assert!(ledger.record(payload).is_some());
        }
        assert_eq!(ledger.record("in transaction 1"), None);
        assert_eq!(ledger.received(), 3);
        assert_eq!(ledger.missing(3), 0);
        assert_eq!(ledger.missing(5), 2);
        assert_eq!(ledger.duplicates(), 1);
        assert_eq!(ledger.out_of_order(), 1);
        assert_eq!(ledger.highest(), 3);
    }
}
