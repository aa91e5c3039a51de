//! The request/reply envelope: small JSON that anything able to run `pg_notify` can read and
//! write, so a responder may be `pgpubsub reply`, a SQL function or another client.
//!
//! A request, sent on the service channel:
//! `{"reply_to":"pgpubsub_reply_…","id":"1","body":"hello"}`.
//! A reply, sent on `reply_to`: `{"id":"1","body":"HELLO"}`, or an error reply
//! `{"id":"1","error":"what went wrong","status":3}` (`status`, the responder's exit status,
//! may be absent). Unknown fields are ignored, so the format can grow.

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
    /// The reply to request `id` carrying `answer`, as notification text. An answer too big for
    /// one notification becomes an error reply that says so.
    pub fn encode(id: &str, answer: Answer) -> String {
        let (body, error, status) = match answer {
            Answer::Body(body) => (Some(body), None, None),
            Answer::Error { message, status } => (None, Some(message), status),
        };
        let reply = Reply {
            id: id.to_string(),
            body,
            error,
            status,
        };
        let text = serde_json::to_string(&reply).expect("strings always serialize");
        if check_payload(&text).is_ok() {
            return text;
        }
        let too_big = Reply {
            id: id.to_string(),
            body: None,
            error: Some(format!(
                "the reply is {} bytes in its envelope; a notification holds at most \
                 {MAX_PAYLOAD_BYTES}",
                text.len()
            )),
            status: None,
        };
        serde_json::to_string(&too_big).expect("strings always serialize")
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

    #[test]
    fn request_round_trip_and_documented_shape() {
        let request = Request {
            reply_to: "r".into(),
            id: "7".into(),
            body: "a\"b\n".into(),
        };
        let text = request.encode().unwrap();
        assert_eq!(text, r#"{"reply_to":"r","id":"7","body":"a\"b\n"}"#);
        assert_eq!(Request::decode(&text).unwrap(), request);
        assert!(Request::decode("hello").is_err());
        assert!(Request::decode(r#"{"id":"1","body":""}"#).is_err());
    }

    #[test]
    fn replies_ok_error_and_unknown_fields() {
        assert_eq!(
            Reply::encode("1", Answer::Body("X".into())),
            r#"{"id":"1","body":"X"}"#
        );
        let error = Reply::encode(
            "2",
            Answer::Error {
                message: "boom".into(),
                status: Some(3),
            },
        );
        assert_eq!(error, r#"{"id":"2","error":"boom","status":3}"#);
        let decoded = Reply::decode(r#"{"id":"3","body":"y","extra":1}"#).unwrap();
        assert_eq!(decoded.answer(), Answer::Body("y".into()));
        assert!(Reply::decode(r#"{"id":"4"}"#).is_err());
    }

    #[test]
    fn limits_count_the_envelope() {
        let big = Reply::encode("1", Answer::Body("x".repeat(7990)));
        let Answer::Error { message, status } = Reply::decode(&big).unwrap().answer() else {
            panic!("an oversized reply must become an error reply");
        };
        assert!(message.contains("at most 7999"), "{message}");
        assert_eq!(status, None);
        let request = Request {
            reply_to: "r".into(),
            id: "1".into(),
            body: "x".repeat(7990),
        };
        assert!(request.encode().is_err());
    }
}
