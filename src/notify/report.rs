//! What was done, in numbers a script can trust: only acknowledged commits count as sent, and a
//! failure names the first input line that was not sent.

use super::batch::Batch;
use super::source::COMMAND_LINE;
use std::time::Instant;

/// Running totals of one `notify` run.
#[derive(Debug)]
pub struct Totals {
    /// Notifications in transactions the server acknowledged as committed.
    pub sent: u64,
    /// Of those, the ones the server delivers: identical pairs of one transaction count once.
    pub distinct: u64,
    /// Acknowledged transactions.
    pub transactions: u64,
    /// Input lines skipped as invalid.
    pub skipped: u64,
    /// Notifications handed to the server whose commit is not acknowledged yet.
    pub in_flight: u64,
    started: Instant,
}

impl Totals {
    pub fn new() -> Self {
        Totals {
            sent: 0,
            distinct: 0,
            transactions: 0,
            skipped: 0,
            in_flight: 0,
            started: Instant::now(),
        }
    }

    /// Count `batch` as committed: the server acknowledged its transaction.
    pub fn committed(&mut self, batch: &Batch) {
        self.sent += batch.messages.len() as u64;
        self.distinct += (batch.messages.len() - batch.repeats) as u64;
        self.transactions += 1;
    }

    /// The `-v` closing line.
    pub fn summary(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64();
        format!(
            "sent {} in {}, skipped {}, in {:.3}s ({:.0}/s)",
            counted(self.sent, "notification"),
            counted(self.transactions, "transaction"),
            counted(self.skipped, "invalid line"),
            secs,
            self.sent as f64 / secs.max(1e-9)
        )
    }

    /// What `--atomic` folded, when it folded anything: listeners get fewer notifications than
    /// were sent, and a report of the sent count alone would hide that.
    pub fn folded(&self) -> Option<String> {
        (self.distinct < self.sent).then(|| {
            format!(
                "{} sent in one transaction, {} distinct: PostgreSQL delivers identical \
                 (channel, payload) pairs of a transaction once, so listeners get {}",
                counted(self.sent, "notification"),
                self.distinct,
                self.distinct
            )
        })
    }

    /// What is known after a stop signal: the acknowledged count, and what may be in doubt.
    pub fn interrupted(&self) -> String {
        let mut text = format!(
            "interrupted: {} committed",
            counted(self.sent, "notification")
        );
        if self.in_flight > 0 {
            text.push_str(&format!(
                "; {} more were being sent and may or may not be committed",
                self.in_flight
            ));
        }
        text
    }

    /// The context of a send that failed for good: what was committed and what was not.
    pub fn unsent(&self, first_line: u64) -> String {
        if first_line == COMMAND_LINE {
            return format!(
                "not sent ({} committed)",
                counted(self.sent, "notification")
            );
        }
        format!(
            "{} committed; input line {first_line} and later not sent",
            counted(self.sent, "notification")
        )
    }
}

/// `1 notification`, `2 notifications`: the totals are read by people.
pub fn counted(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsent_names_count_and_line() {
        let mut totals = Totals::new();
        totals.sent = 5;
        assert_eq!(
            totals.unsent(6),
            "5 notifications committed; input line 6 and later not sent"
        );
        assert_eq!(
            totals.unsent(COMMAND_LINE),
            "not sent (5 notifications committed)"
        );
        totals.sent = 1;
        assert_eq!(
            totals.unsent(2),
            "1 notification committed; input line 2 and later not sent"
        );
        totals.in_flight = 2;
        assert!(totals.interrupted().contains("2 more were being sent"));
    }
}
