//! Authenticated requests and replies with a shared key. PostgreSQL has no permission on NOTIFY:
//! any session of the database can read a request on the service channel, learn its `reply_to`
//! and answer first, or send requests of its own. A channel name is no secret, so authenticity
//! needs a key: with `--key-file` on both sides every request and reply carries an HMAC-SHA256
//! (`mac`) over its fields, and a message without a valid one is reported and ignored.
//!
//! The MAC covers, as netstrings (`LEN:BYTES,`, LEN in decimal bytes, UTF-8), so that no two
//! field lists give the same input:
//! - request: `pgpubsub-request-v1`, the service channel, `reply_to`, `id`, `ts`, `body`;
//! - reply: `pgpubsub-reply-v1`, `reply_to`, `id`, `body` or `error`, its text, `status` (or
//!   empty).
//!
//! A request also carries `ts`, its send time in milliseconds since the Unix epoch: a responder
//! refuses one older or newer than [`WINDOW`], and one it has already seen within it, so a
//! request read off the channel cannot be replayed to run the command again. A reply is bound
//! to its request by `reply_to` (fresh for every requester) and `id`.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The shortest key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 16;

/// How far a request's `ts` may be from the responder's clock, either way.
pub const WINDOW: Duration = Duration::from_secs(300);

/// A shared key, read from a file only its owner can read.
pub struct Key(Vec<u8>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(***)")
    }
}

impl Key {
    /// Read the key in `path`: the file's bytes without a final line break, at least
    /// [`MIN_KEY_BYTES`] of them, in a file that group and others cannot read (as ssh
    /// requires of a private key).
    pub fn read(path: &Path) -> Result<Key, String> {
        use std::os::unix::fs::PermissionsExt;
        let shown = path.display();
        let meta = std::fs::metadata(path).map_err(|e| format!("--key-file {shown}: {e}"))?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(format!(
                "--key-file {shown}: group or others may read it; a key must be private \
                 (chmod 600 {shown})"
            ));
        }
        let mut bytes = std::fs::read(path).map_err(|e| format!("--key-file {shown}: {e}"))?;
        for end in [b'\n', b'\r'] {
            if bytes.last() == Some(&end) {
                bytes.pop();
            }
        }
        if bytes.len() < MIN_KEY_BYTES {
            return Err(format!(
                "--key-file {shown}: the key is {} bytes; use at least {MIN_KEY_BYTES} (e.g. \
                 `openssl rand -hex 32 > {shown}`)",
                bytes.len()
            ));
        }
        Ok(Key(bytes))
    }

    /// The MAC of `fields`, in lowercase hex.
    pub fn sign(&self, fields: &[impl AsRef<str>]) -> String {
        let mac = self.mac(fields).finalize().into_bytes();
        mac.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether `mac` (hex) is the MAC of `fields`; compared in constant time.
    pub fn verify(&self, fields: &[impl AsRef<str>], mac: &str) -> bool {
        match unhex(mac) {
            Some(bytes) => self.mac(fields).verify_slice(&bytes).is_ok(),
            None => false,
        }
    }

    fn mac(&self, fields: &[impl AsRef<str>]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key size");
        for field in fields.iter().map(AsRef::as_ref) {
            mac.update(format!("{}:", field.len()).as_bytes());
            mac.update(field.as_bytes());
            mac.update(b",");
        }
        mac
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// Now, in milliseconds since the Unix epoch (a request's `ts`).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The requests a responder has accepted within [`WINDOW`], to refuse a replay.
#[derive(Default)]
pub struct Seen(HashMap<(String, String), u64>);

impl Seen {
    /// Accept a request (`reply_to`, `id`) sent at `ts` if it is within the window of `now`
    /// and new; otherwise why not.
    pub fn admit(&mut self, reply_to: &str, id: &str, ts: u64, now: u64) -> Result<(), String> {
        let window = WINDOW.as_millis() as u64;
        if ts.abs_diff(now) > window {
            return Err(format!(
                "its time stamp is {} s from this clock (more than {} s: a replay, or clocks \
                 that disagree)",
                ts.abs_diff(now) / 1000,
                WINDOW.as_secs()
            ));
        }
        self.0.retain(|_, &mut seen| seen.abs_diff(now) <= window);
        let key = (reply_to.to_string(), id.to_string());
        if self.0.contains_key(&key) {
            return Err("a replay of a request already answered".to_string());
        }
        self.0.insert(key, ts);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key(b"0123456789abcdef0123".to_vec())
    }

    #[test]
    fn the_mac_is_hmac_sha256_over_netstrings() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let jefe = Key(b"Jefe".to_vec());
        let mut mac = Hmac::<Sha256>::new_from_slice(&jefe.0).unwrap();
        mac.update(b"what do ya want for nothing?");
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            expected,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // The fields are framed, so moving a byte from one field to the next changes the MAC.
        let k = key();
        assert_ne!(k.sign(&["ab", "c"]), k.sign(&["a", "bc"]));
        assert!(k.verify(&["ab", "c"], &k.sign(&["ab", "c"])));
        assert!(!k.verify(&["ab", "c"], &k.sign(&["a", "bc"])));
        assert!(!k.verify(&["ab", "c"], "not hex"));
        let other = Key(b"another key of 16+ bytes".to_vec());
        assert!(!other.verify(&["ab", "c"], &k.sign(&["ab", "c"])));
    }

    #[test]
    fn replays_and_stale_requests_are_refused() {
        let mut seen = Seen::default();
        let now = 1_000_000_000;
        assert!(seen.admit("r", "1", now, now).is_ok());
        assert!(seen
            .admit("r", "1", now, now + 1)
            .unwrap_err()
            .contains("replay"));
        assert!(seen.admit("r", "2", now, now + 1).is_ok());
        let old = now - WINDOW.as_millis() as u64 - 1;
        assert!(seen
            .admit("r", "3", old, now)
            .unwrap_err()
            .contains("time stamp"));
    }

    #[test]
    fn key_files_must_be_private_and_long_enough() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "0123456789abcdef\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(Key::read(&path).unwrap_err().contains("chmod 600"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(Key::read(&path).unwrap().0, b"0123456789abcdef");
        std::fs::write(&path, "short\n").unwrap();
        assert!(Key::read(&path).unwrap_err().contains("at least 16"));
    }
}
