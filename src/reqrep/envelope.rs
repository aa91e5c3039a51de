//! The request/reply envelope: small JSON that anything able to run `pg_notify` can read and
//! write, so a responder may be `pgpubsub reply`, a SQL function or another client.
//!
//! A request, sent on the service channel:
//! `{"reply_to":"pgpubsub_reply_…","id":"1","body":"hello"}`.
//! A reply, sent on `reply_to`: `{"id":"1","body":"HELLO"}`, or an error reply
//! `{"id":"1","error":"what went wrong","status":3}` (`status`, the responder's exit status,
//! may be absent). Unknown fields are ignored, so the format can grow. With a key (see `auth`)
//! a request also carries `ts` and `mac`, and a reply `mac`.

use super::auth::{self, Key};
use crate::limits::{check_payload, MAX_PAYLOAD_BYTES};
use serde::{Deserialize, Serialize};

/// A request as it travels on the service channel.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Request {
    /// The requester's private channel; replies go there.
    pub reply_to: String,
    /// Tells this request's replies from late replies to an earlier one.
    pub id: String,
    /// The payload proper.
    pub body: String,
    /// With a key: when it was sent, in milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<u64>,
    /// With a key: the HMAC of the request's fields (see `auth`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

/// A reply as it travels on the reply channel.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Reply {
    /// The id of the request answered.
    pub id: String,
    /// The answer, when the responder succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Why the responder failed (for a command: the tail of its stderr).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The failed command's exit status, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
    /// With a key: the HMAC of the reply's fields (see `auth`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

/// What a reply says.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// Success, with this body.
    Body(String),
    /// Failure, with the responder's explanation and exit status.
    Error {
        message: String,
        status: Option<i32>,
    },
}

impl Request {
    /// Request `id` with `body` for the service on `channel`, its replies to go to `reply_to`;
    /// signed (and time-stamped) with `key` if there is one.
    pub fn new(channel: &str, reply_to: &str, id: u64, body: &str, key: Option<&Key>) -> Request {
        let mut request = Request {
            reply_to: reply_to.to_string(),
            id: id.to_string(),
            body: body.to_string(),
            ts: None,
            mac: None,
        };
        if let Some(key) = key {
            let ts = auth::now_ms();
            request.ts = Some(ts);
            request.mac = Some(key.sign(&request.fields(channel, ts)));
        }
        request
    }

    fn fields(&self, channel: &str, ts: u64) -> [String; 6] {
        [
            "pgpubsub-request-v1".into(),
            channel.into(),
            self.reply_to.clone(),
            self.id.clone(),
            ts.to_string(),
            self.body.clone(),
        ]
    }

    /// Check that the request was signed with `key` for `channel`; returns its time stamp.
    pub fn authenticate(&self, channel: &str, key: &Key) -> Result<u64, String> {
        let (Some(ts), Some(mac)) = (self.ts, &self.mac) else {
            return Err("it is not signed (the requester needs the same --key-file)".into());
        };
        if !key.verify(&self.fields(channel, ts), mac) {
            return Err("its signature does not match the key (--key-file)".into());
        }
        Ok(ts)
    }

    /// The request as notification text, or why it cannot be sent.
    pub fn encode(&self) -> Result<String, String> {
        let text = serde_json::to_string(self).expect("strings always serialize");
        check_payload(&text).map_err(|_| {
            format!(
                "the request is {} bytes in its envelope; a notification holds at most \
                 {MAX_PAYLOAD_BYTES}",
                text.len()
            )
        })?;
        Ok(text)
    }

    /// Read a request, or say why `text` is not one.
    pub fn decode(text: &str) -> Result<Request, String> {
        serde_json::from_str(text).map_err(|e| format!("not a request envelope ({e})"))
    }
}

impl Reply {
    /// The reply to `request` carrying `answer`, as notification text, signed with `key` if
    /// there is one. An answer too big for one notification becomes an error reply that says
    /// so.
    pub fn encode(request: &Request, answer: Answer, key: Option<&Key>) -> String {
        let (body, error, status) = match answer {
            Answer::Body(body) => (Some(body), None, None),
            Answer::Error { message, status } => (None, Some(message), status),
        };
        let text = Reply::signed(request, body, error, status, key);
        if check_payload(&text).is_ok() {
            return text;
        }
        let too_big = format!(
            "the reply is {} bytes in its envelope; a notification holds at most \
             {MAX_PAYLOAD_BYTES}",
            text.len()
        );
        Reply::signed(request, None, Some(too_big), None, key)
    }

    fn signed(
        request: &Request,
        body: Option<String>,
        error: Option<String>,
        status: Option<i32>,
        key: Option<&Key>,
    ) -> String {
        let mut reply = Reply {
            id: request.id.clone(),
            body,
            error,
            status,
            mac: None,
        };
        if let Some(key) = key {
            reply.mac = Some(key.sign(&reply.fields(&request.reply_to)));
        }
        serde_json::to_string(&reply).expect("strings always serialize")
    }

    fn fields(&self, reply_to: &str) -> [String; 6] {
        let (kind, text) = match (&self.error, &self.body) {
            (Some(error), _) => ("error", error.as_str()),
            (None, body) => ("body", body.as_deref().unwrap_or_default()),
        };
        [
            "pgpubsub-reply-v1".into(),
            reply_to.into(),
            self.id.clone(),
            kind.into(),
            text.into(),
            self.status.map_or(String::new(), |s| s.to_string()),
        ]
    }

    /// Whether the reply, received on `reply_to`, was signed with `key`.
    pub fn authentic(&self, reply_to: &str, key: &Key) -> bool {
        let fields = self.fields(reply_to);
        self.mac
            .as_ref()
            .is_some_and(|mac| key.verify(&fields, mac))
    }

    /// Read a reply, or say why `text` is not one.
    pub fn decode(text: &str) -> Result<Reply, String> {
        let reply: Reply =
            serde_json::from_str(text).map_err(|e| format!("not a reply envelope ({e})"))?;
        if reply.body.is_none() && reply.error.is_none() {
            return Err("a reply envelope without \"body\" or \"error\"".to_string());
        }
        Ok(reply)
    }

    /// What the reply says (an error wins over a body, should a responder send both).
    pub fn answer(self) -> Answer {
        match (self.error, self.body) {
            (Some(message), _) => Answer::Error {
                message,
                status: self.status,
            },
            (None, body) => Answer::Body(body.unwrap_or_default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: &str, key: Option<&Key>) -> Request {
        Request::new("svc", "r", 7, body, key)
    }

    fn key(text: &str) -> Key {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, text).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        Key::read(&path).unwrap()
    }

    #[test]
    fn request_round_trip_and_documented_shape() {
        let request = request("a\"b\n", None);
        let text = request.encode().unwrap();
        assert_eq!(text, r#"{"reply_to":"r","id":"7","body":"a\"b\n"}"#);
        assert_eq!(Request::decode(&text).unwrap(), request);
        assert!(Request::decode("hello").is_err());
        assert!(Request::decode(r#"{"id":"1","body":""}"#).is_err());
    }

    #[test]
    fn replies_ok_error_and_unknown_fields() {
        let to = request("", None);
        assert_eq!(
            Reply::encode(&to, Answer::Body("X".into()), None),
            r#"{"id":"7","body":"X"}"#
        );
        let error = Reply::encode(
            &to,
            Answer::Error {
                message: "boom".into(),
                status: Some(3),
            },
            None,
        );
        assert_eq!(error, r#"{"id":"7","error":"boom","status":3}"#);
        let decoded = Reply::decode(r#"{"id":"3","body":"y","extra":1}"#).unwrap();
        assert_eq!(decoded.answer(), Answer::Body("y".into()));
        assert!(Reply::decode(r#"{"id":"4"}"#).is_err());
    }

    #[test]
    fn limits_count_the_envelope() {
        let to = request("", None);
        let big = Reply::encode(&to, Answer::Body("x".repeat(7990)), None);
        let Answer::Error { message, status } = Reply::decode(&big).unwrap().answer() else {
            panic!("an oversized reply must become an error reply");
        };
        assert!(message.contains("at most 7999"), "{message}");
        assert_eq!(status, None);
        assert!(request(&"x".repeat(7990), None).encode().is_err());
    }

    #[test]
    fn signed_requests_and_replies_verify_only_with_their_key_and_fields() {
        let k = key("0123456789abcdef0123");
        let signed = request("hello", Some(&k));
        let text = signed.encode().unwrap();
        let received = Request::decode(&text).unwrap();
        assert!(received.ts.is_some());
        assert!(received.authenticate("svc", &k).is_ok());
        // Another service, another key, a changed body or no signature: refused.
        assert!(received.authenticate("other", &k).is_err());
        assert!(received
            .authenticate("svc", &key("another key, 16+ bytes"))
            .is_err());
        let mut changed = Request::decode(&text).unwrap();
        changed.body = "rm -rf".into();
        assert!(changed.authenticate("svc", &k).is_err());
        assert!(request("hello", None).authenticate("svc", &k).is_err());

        let reply = Reply::encode(&received, Answer::Body("HELLO".into()), Some(&k));
        let reply = Reply::decode(&reply).unwrap();
        assert!(reply.authentic("r", &k));
        assert!(!reply.authentic("another_reply_channel", &k));
        let forged = Reply::decode(r#"{"id":"7","body":"SPOOFED"}"#).unwrap();
        assert!(!forged.authentic("r", &k));
        let mut error = reply;
        error.error = Some("HELLO".into());
        assert!(
            !error.authentic("r", &k),
            "a body must not pass as an error"
        );
    }
}
