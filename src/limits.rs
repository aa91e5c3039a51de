//! The server's rules for channels and payloads, in one place, so that every subcommand
//! refuses bad input before sending anything (the server would otherwise truncate a long
//! LISTEN name silently, or fail a whole batch on one long payload).

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
}
