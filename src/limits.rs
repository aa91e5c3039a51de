//! The server's rules for channels and payloads, in one place, so that every subcommand
//! refuses bad input before sending anything (the server would otherwise truncate a long
//! LISTEN name silently, or fail a whole batch on one long payload); and the size of the
//! notification queue, which depends on the server's version.

use serde::Serialize;

/// Longest channel name in bytes (NAMEDATALEN - 1). `LISTEN` truncates longer names silently;
/// `pg_notify` rejects them.
pub const MAX_CHANNEL_BYTES: usize = 63;

/// Longest payload in bytes, in the database encoding (the server requires < 8000).
pub const MAX_PAYLOAD_BYTES: usize = 7999;

/// Check a channel name: 1 to 63 bytes, no NUL.
pub fn check_channel(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("channel name is empty".to_string());
    }
    if name.len() > MAX_CHANNEL_BYTES {
        return Err(format!(
            "channel name {:?} is {} bytes; PostgreSQL allows at most {MAX_CHANNEL_BYTES}",
            name,
            name.len()
        ));
    }
    if name.contains('\0') {
        return Err(format!("channel name {name:?} contains a NUL byte"));
    }
    Ok(())
}

/// Check a payload: at most 7999 bytes, no NUL (PostgreSQL text cannot hold one).
pub fn check_payload(payload: &str) -> Result<(), String> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(format!(
            "payload is {} bytes; PostgreSQL allows at most {MAX_PAYLOAD_BYTES}",
            payload.len()
        ));
    }
    check_nul(payload)
}

/// Check a text for NUL (PostgreSQL text cannot hold one); the only limit of a journal payload.
pub fn check_nul(payload: &str) -> Result<(), String> {
    if payload.contains('\0') {
        return Err("payload contains a NUL byte".to_string());
    }
    Ok(())
}

/// The notification queue's size in pages before PostgreSQL 17, where it was fixed: half of the
/// queue's 2^21 SLRU pages, 8 GB with the default 8 kB block size. PostgreSQL 17 made it the
/// setting `max_notify_queue_pages` (default 1048576, the same 8 GB).
pub const QUEUE_PAGES_BEFORE_17: i64 = 1 << 20;

/// How large the notification queue may grow on a server (NOTIFY fails when it is full).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QueueLimit {
    /// The limit in bytes: pages × `block_size`.
    pub max_bytes: i64,
    /// `max_notify_queue_pages` on PostgreSQL 17 and later; `None` before, where the limit is
    /// fixed at [`QUEUE_PAGES_BEFORE_17`] pages.
    pub max_notify_queue_pages: Option<i64>,
}

impl QueueLimit {
    /// The limit a server sets with `max_notify_queue_pages` (`None` where the setting does not
    /// exist) and `block_size`.
    pub fn new(max_notify_queue_pages: Option<i64>, block_size: i64) -> Self {
        QueueLimit {
            max_bytes: max_notify_queue_pages.unwrap_or(QUEUE_PAGES_BEFORE_17) * block_size,
            max_notify_queue_pages,
        }
    }

    /// `8 GB (max_notify_queue_pages 1048576)`, or `8 GB (fixed before PostgreSQL 17)`.
    pub fn describe(&self) -> String {
        match self.max_notify_queue_pages {
            Some(pages) => format!(
                "{} (max_notify_queue_pages {pages})",
                bytes_human(self.max_bytes)
            ),
            None => format!(
                "{} (fixed before PostgreSQL 17)",
                bytes_human(self.max_bytes)
            ),
        }
    }
}

/// A size in GB or MB (powers of 1024, as PostgreSQL's own units), one decimal at most.
pub fn bytes_human(bytes: i64) -> String {
    const GB: f64 = 1024.0 * 1024.0 * 1024.0;
    const MB: f64 = 1024.0 * 1024.0;
    let b = bytes as f64;
    let (value, unit) = if b >= GB {
        (b / GB, "GB")
    } else {
        (b / MB, "MB")
    };
    let text = format!("{value:.1}");
    format!("{} {unit}", text.strip_suffix(".0").unwrap_or(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_bounds_are_bytes() {
        assert!(check_channel("").is_err());
        assert!(check_channel(&"a".repeat(63)).is_ok());
        assert!(check_channel(&"a".repeat(64)).is_err());
        // 21 three-byte characters are 63 bytes; 22 are 66.
        assert!(check_channel(&"€".repeat(21)).is_ok());
        assert!(check_channel(&"€".repeat(22)).is_err());
    }

    #[test]
    fn payload_bounds() {
        assert!(check_payload(&"x".repeat(7999)).is_ok());
        assert!(check_payload(&"x".repeat(8000)).is_err());
        assert!(check_payload("a\0b").is_err());
    }

    #[test]
    fn queue_limit_by_version() {
        let before_17 = QueueLimit::new(None, 8192);
        assert_eq!(before_17.max_bytes, 8 << 30);
        assert_eq!(before_17.describe(), "8 GB (fixed before PostgreSQL 17)");
        let set = QueueLimit::new(Some(2048), 8192);
        assert_eq!(set.max_bytes, 16 << 20);
        assert_eq!(set.describe(), "16 MB (max_notify_queue_pages 2048)");
        assert_eq!(bytes_human(3 * 1024 * 1024 / 2), "1.5 MB");
        assert_eq!(
            QueueLimit::new(None, 32768).describe(),
            "32 GB (fixed before PostgreSQL 17)"
        );
    }
}
