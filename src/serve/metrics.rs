//! What `GET /metrics` reports, in Prometheus' text format: counters kept with relaxed atomics
//! by whoever does the work (the hub, each response, the publish handler), read only here.

use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The server's counters and gauges.
#[derive(Default)]
pub struct Metrics {
    /// Open event streams.
    pub subscribers: AtomicU64,
    /// Channels the database session listens on.
    pub channels: AtomicU64,
    /// Whether the database session is up.
    pub session_up: AtomicBool,
    /// Notifications the database session received.
    pub received: AtomicU64,
    /// Notifications handed to subscribers' connections (one per subscriber).
    pub delivered: AtomicU64,
    /// Notifications subscribers lost when they were cut off for falling behind.
    pub dropped: AtomicU64,
    /// Subscribers cut off for falling behind.
    pub cut_off: AtomicU64,
    /// Streams opened since the start.
    pub subscriptions: AtomicU64,
    /// Requests refused (401, 403, 400, 413, 503).
    pub refused: AtomicU64,
    /// Times the database session was lost and opened again.
    pub reconnects: AtomicU64,
    /// Notifications sent with `POST /notify`.
    pub published: AtomicU64,
}

impl Metrics {
    /// Add one to `counter`.
    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Everything, in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let rows: [(&str, &str, &str, u64); 11] = [
            (
                "subscribers",
                "gauge",
                "Open event streams.",
                get(&self.subscribers),
            ),
            (
                "channels",
                "gauge",
                "Channels the database session listens on.",
                get(&self.channels),
            ),
            (
                "session_up",
                "gauge",
                "1 while the database session listens, 0 while it reconnects.",
                u64::from(self.session_up.load(Ordering::Relaxed)),
            ),
            (
                "notifications_received_total",
                "counter",
                "Notifications received from the database.",
                get(&self.received),
            ),
            (
                "notifications_delivered_total",
                "counter",
                "Notifications written to subscribers (one per subscriber).",
                get(&self.delivered),
            ),
            (
                "notifications_dropped_total",
                "counter",
                "Notifications lost by subscribers cut off for falling behind.",
                get(&self.dropped),
            ),
            (
                "subscribers_cut_off_total",
                "counter",
                "Subscribers cut off for falling behind.",
                get(&self.cut_off),
            ),
            (
                "subscriptions_total",
                "counter",
                "Event streams opened.",
                get(&self.subscriptions),
            ),
            (
                "requests_refused_total",
                "counter",
                "Requests refused (bad request, unauthenticated, forbidden, too large, full).",
                get(&self.refused),
            ),
            (
                "reconnects_total",
                "counter",
                "Times the database session was lost and opened again.",
                get(&self.reconnects),
            ),
            (
                "published_total",
                "counter",
                "Notifications sent with POST /notify.",
                get(&self.published),
            ),
        ];
        let mut text = String::new();
        for (name, kind, help, value) in rows {
            let _ = write!(
                text,
                "# HELP pgpubsub_serve_{name} {help}\n# TYPE pgpubsub_serve_{name} {kind}\npgpubsub_serve_{name} {value}\n"
            );
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_help_type_and_value() {
        let metrics = Metrics::default();
        Metrics::count(&metrics.published);
        let text = metrics.render();
        assert!(text.contains("\npgpubsub_serve_published_total 1\n"));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 33);
        for row in lines.chunks(3) {
            assert!(row[0].starts_with("# HELP pgpubsub_serve_"));
            assert!(row[1].starts_with("# TYPE pgpubsub_serve_"));
            assert!(row[2].starts_with("pgpubsub_serve_"));
        }
    }
}
