//! Input records: stdin split into lines (or NUL-terminated records) and turned into messages,
//! each checked against the server's limits. The reader also says where the input pauses (no
//! complete record is waiting and nothing more can be read at once): that is what tells the
//! batcher to send now rather than wait for a full batch. Running out of buffered input is not
//! a pause while the pipe holds more: cutting a batch there cost a fast stream 6 % more
//! transactions.

use crate::limits::{check_channel, check_nul, check_payload, MAX_PAYLOAD_BYTES};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::Arc;

/// The line number of messages that come from the command line rather than from stdin.
pub const COMMAND_LINE: u64 = 0;

/// What ends an input record.
#[derive(Debug, Clone, Copy)]
pub enum Framing {
    /// `\n`, with a `\r` before it dropped too.
    Newline,
    /// A NUL byte (`-0/--null`).
    Nul,
}

/// One notification to send, and the input line it came from (for reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub line: u64,
    pub channel: Arc<str>,
    pub payload: String,
}

/// What the reader hands over, in input order.
#[derive(Debug)]
pub enum Input {
    /// Something read.
    Event(Event),
    /// No complete record is waiting and no more input is ready: whatever is pending should
    /// go now.
    Pause,
}

/// Input that can say whether reading it would return at once.
pub trait Ready: Read {
    fn ready(&self) -> bool;
}

impl Ready for std::io::Stdin {
    fn ready(&self) -> bool {
        let mut fd = libc::pollfd {
            fd: self.as_fd().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd and a zero timeout: this only asks, never waits. End of
        // input and errors count as ready, so the next read reports them.
        unsafe { libc::poll(&mut fd, 1, 0) != 0 }
    }
}

/// Bytes in memory are all there at once.
impl Ready for &[u8] {
    fn ready(&self) -> bool {
        true
    }
}

/// What a record turned into.
#[derive(Debug)]
pub enum Event {
    /// A valid notification.
    Message(Message),
    /// A line that cannot be sent, and why.
    Invalid { line: u64, reason: String },
    /// Stdin itself failed; nothing after this is read.
    Failed(std::io::Error),
}

/// How a record becomes messages.
#[derive(Debug, Clone)]
pub enum Decoder {
    /// Each record is a payload for these channels.
    Payloads {
        channels: Vec<Arc<str>>,
        skip_empty: bool,
        json: bool,
        /// Journal records: no notification limit on the payload.
        durable: bool,
    },
    /// Each record is a `listen --json` object naming its own channel.
    Records { json: bool, durable: bool },
}

/// Longest record kept in memory. Far above any valid one (a `--from-json` line escapes a
/// 7999-byte payload at most six-fold), so a longer record is refused by its length, counted
/// while the rest of it is read and dropped: one huge line costs no more memory than this.
const MAX_RECORD: usize = 64 * 1024;

impl Decoder {
    /// Whether the server folds identical (channel, payload) pairs of one transaction: it does
    /// for notifications, never for journal records.
    pub fn folds(&self) -> bool {
        match self {
            Decoder::Payloads { durable, .. } | Decoder::Records { durable, .. } => !durable,
        }
    }

    /// The longest record kept whole: [`MAX_RECORD`] for notifications; a journal record has
    /// no payload limit of its own (PostgreSQL's text type bounds it).
    fn max_record(&self) -> usize {
        if self.folds() {
            MAX_RECORD
        } else {
            usize::MAX
        }
    }

    /// Turn record `line` into events appended to `out` (none for a skipped record). A record
    /// longer than [`Decoder::max_record`] arrives cut, with its whole length in `length`.
    pub fn decode(&self, line: u64, bytes: Vec<u8>, length: usize, out: &mut Vec<Event>) {
        let invalid = |reason: String| Event::Invalid { line, reason };
        if length > bytes.len() {
            out.push(invalid(format!(
                "the line is {length} bytes; a payload is at most {MAX_PAYLOAD_BYTES} bytes"
            )));
            return;
        }
        let Ok(text) = String::from_utf8(bytes) else {
            out.push(invalid("not valid UTF-8".to_string()));
            return;
        };
        match self {
            Decoder::Payloads {
                channels,
                skip_empty,
                json,
                durable,
            } => {
                if text.is_empty() && *skip_empty {
                    return;
                }
                let checked = check_text(&text, *durable).and_then(|()| check_json(&text, *json));
                if let Err(reason) = checked {
                    out.push(invalid(reason));
                    return;
                }
                // The last channel takes the text itself: one copy fewer in the usual case.
                let (last, others) = channels.split_last().expect("at least one channel");
                let message = |channel: &Arc<str>, payload| {
                    Event::Message(Message {
                        line,
                        channel: channel.clone(),
                        payload,
                    })
                };
                out.extend(others.iter().map(|channel| message(channel, text.clone())));
                out.push(message(last, text));
            }
            Decoder::Records { json, durable } => {
                if text.trim().is_empty() {
                    return;
                }
                match record(&text, *json, *durable) {
                    Ok(Some((channel, payload))) => out.push(Event::Message(Message {
                        line,
                        channel: channel.into(),
                        payload,
                    })),
                    Ok(None) => {}
                    Err(reason) => out.push(invalid(reason)),
                }
            }
        }
    }
}

/// A payload's limits: PostgreSQL's for a notification, or only those of `text` (no NUL) for
/// a journal record.
pub fn check_text(payload: &str, durable: bool) -> Result<(), String> {
    if durable {
        check_nul(payload)
    } else {
        check_payload(payload)
    }
}

/// With `--json`, a payload must parse as JSON.
pub fn check_json(payload: &str, required: bool) -> Result<(), String> {
    if !required {
        return Ok(());
    }
    serde_json::from_str::<serde::de::IgnoredAny>(payload)
        .map(|_| ())
        .map_err(|e| format!("payload is not JSON ({e})"))
}

/// The fields of a `listen --json` line that matter here; the others are ignored.
#[derive(Deserialize)]
struct Record<'a> {
    channel: Option<String>,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
    #[serde(borrow)]
    event: Option<&'a RawValue>,
}

/// Channel and payload of one NDJSON line, or `None` for an event line (a listener's gap).
fn record(text: &str, json: bool, durable: bool) -> Result<Option<(String, String)>, String> {
    let record: Record = serde_json::from_str(text).map_err(|e| unreadable(text, &e))?;
    if record.event.is_some() {
        return Ok(None);
    }
    let channel = record.channel.ok_or("no \"channel\" string")?;
    let raw = record.payload.ok_or("no \"payload\"")?.get();
    let payload = if raw.starts_with('"') {
        serde_json::from_str(raw).map_err(|e| format!("bad payload string ({e})"))?
    } else {
        compact(raw)
    };
    check_channel(&channel)?;
    check_text(&payload, durable)?;
    check_json(&payload, json)?;
    Ok(Some((channel, payload)))
}

/// Why a line is not a record, in the user's terms: not JSON, not an object, a key given twice,
/// or a field of the wrong type.
fn unreadable(text: &str, err: &serde_json::Error) -> String {
    let object = match serde_json::from_str::<serde_json::Value>(text) {
        Err(e) => return format!("not JSON ({e})"),
        Ok(serde_json::Value::Object(object)) => object,
        Ok(_) => return "not a JSON object: expected {\"channel\":…,\"payload\":…}".into(),
    };
    let message = err.to_string();
    if let Some(field) = message.strip_prefix("duplicate field `") {
        let field = field.split('`').next().unwrap_or_default();
        return format!("the key \"{field}\" is given twice");
    }
    match object.get("channel") {
        Some(channel) if !channel.is_string() => {
            format!("\"channel\" must be a string, not {channel}")
        }
        _ => format!("not a record ({message})"),
    }
}

/// Valid JSON text without the whitespace between tokens, numbers and key order untouched.
fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for ch in json.chars() {
        if in_string {
            out.push(ch);
            match ch {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if !ch.is_ascii_whitespace() {
            in_string = ch == '"';
            out.push(ch);
        }
    }
    out
}

/// Read `input` to its end (or until `sink` breaks), handing each event and each pause to
/// `sink`.
pub fn read(
    input: impl Ready,
    framing: Framing,
    decoder: &Decoder,
    mut sink: impl FnMut(Input) -> ControlFlow<()>,
) {
    let end = match framing {
        Framing::Newline => b'\n',
        Framing::Nul => b'\0',
    };
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let mut events = Vec::new();
    let mut line = 0;
    loop {
        let mut record = Vec::new();
        match read_record(&mut reader, end, decoder.max_record(), &mut record) {
            Ok((0, _)) => return,
            Ok((mut length, terminated)) => {
                line += 1;
                if length == record.len() {
                    strip_end(&mut record, framing);
                    length = record.len();
                } else if terminated {
                    length -= 1;
                }
                decoder.decode(line, record, length, &mut events);
            }
            Err(e) => events.push(Event::Failed(e)),
        }
        let failed = matches!(events.last(), Some(Event::Failed(_)));
        for event in events.drain(..) {
            if sink(Input::Event(event)).is_break() {
                return;
            }
        }
        let paused = !reader.buffer().contains(&end) && !reader.get_ref().ready();
        if failed || (paused && sink(Input::Pause).is_break()) {
            return;
        }
    }
}

/// Read one record, through its `end` byte or to the end of input, into `record`, keeping at
/// most `max` bytes of it; returns its whole length (0 at the end of input) and
/// whether it ended with `end`.
fn read_record(
    reader: &mut impl BufRead,
    end: u8,
    max: usize,
    record: &mut Vec<u8>,
) -> std::io::Result<(usize, bool)> {
    let mut length = 0;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok((length, false));
        }
        let (taken, done) = match memchr::memchr(end, buf) {
            Some(at) => (at + 1, true),
            None => (buf.len(), false),
        };
        let room = max.saturating_sub(record.len());
        record.extend_from_slice(&buf[..taken.min(room)]);
        length += taken;
        reader.consume(taken);
        if done {
            return Ok((length, true));
        }
    }
}

fn strip_end(record: &mut Vec<u8>, framing: Framing) {
    match framing {
        Framing::Newline => {
            if record.last() == Some(&b'\n') {
                record.pop();
                if record.last() == Some(&b'\r') {
                    record.pop();
                }
            }
        }
        Framing::Nul => {
            if record.last() == Some(&b'\0') {
                record.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payloads() -> Decoder {
        Decoder::Payloads {
            channels: vec!["c".into()],
            skip_empty: false,
            json: false,
            durable: false,
        }
    }

    /// Every event read from `input`.
    fn events(input: &'static [u8], framing: Framing, decoder: Decoder) -> Vec<Event> {
        let mut all = Vec::new();
        read(input, framing, &decoder, |input| {
            if let Input::Event(event) = input {
                all.push(event);
            }
            ControlFlow::Continue(())
        });
        all
    }

    fn described(events: &[Event]) -> Vec<String> {
        events
            .iter()
            .map(|e| match e {
                Event::Message(m) => format!("{}:{}:{}", m.line, m.channel, m.payload),
                Event::Invalid { line, .. } => format!("{line}:invalid"),
                Event::Failed(e) => format!("failed {e}"),
            })
            .collect()
    }

    #[test]
    fn lines_crlf_empty_and_unterminated_last() {
        let got = events(b"a\r\n\nb\r\nlast", Framing::Newline, payloads());
        assert_eq!(described(&got), ["1:c:a", "2:c:", "3:c:b", "4:c:last"]);
    }

    #[test]
    fn nul_records_keep_newlines_and_carriage_returns() {
        let got = events(b"a\nb\r\0\0c", Framing::Nul, payloads());
        assert_eq!(described(&got), ["1:c:a\nb\r", "2:c:", "3:c:c"]);
    }

    #[test]
    fn skip_empty_keeps_line_numbers() {
        let decoder = Decoder::Payloads {
            channels: vec!["x".into(), "y".into()],
            skip_empty: true,
            json: false,
            durable: false,
        };
        let got = events(b"\na\n", Framing::Newline, decoder);
        assert_eq!(described(&got), ["2:x:a", "2:y:a"]);
    }

    #[test]
    fn invalid_lines_are_numbered() {
        let decoder = Decoder::Payloads {
            channels: vec!["c".into()],
            skip_empty: false,
            json: true,
            durable: false,
        };
        let got = events(b"{}\nnope\n\xff\n[1]\n", Framing::Newline, decoder);
        assert_eq!(
            described(&got),
            ["1:c:{}", "2:invalid", "3:invalid", "4:c:[1]"]
        );
    }

    #[test]
    fn records_take_strings_raw_values_and_skip_events() {
        let input = br#"{"channel":"A","payload":"x\ny","pid":1}
{"event":"gap","channel":"A"}
{"channel":"B","payload": { "k" : [1, 2.50, "a b"] }}

{"channel":"C"}
{"payload":"p"}
not json
{"channel":1,"payload":"p"}
{"channel":"A","channel":"B","payload":"p"}
[1]
"#;
        let got = events(
            input,
            Framing::Newline,
            Decoder::Records {
                json: false,
                durable: false,
            },
        );
        assert_eq!(
            described(&got),
            [
                "1:A:x\ny",
                r#"3:B:{"k":[1,2.50,"a b"]}"#,
                "5:invalid",
                "6:invalid",
                "7:invalid",
                "8:invalid",
                "9:invalid",
                "10:invalid"
            ]
        );
        let reasons: Vec<String> = got
            .iter()
            .filter_map(|e| match e {
                Event::Invalid { reason, .. } => Some(reason.clone()),
                _ => None,
            })
            .collect();
        assert!(reasons[2].starts_with("not JSON"), "{reasons:?}");
        assert_eq!(reasons[3], "\"channel\" must be a string, not 1");
        assert_eq!(reasons[4], "the key \"channel\" is given twice");
        assert!(reasons[5].starts_with("not a JSON object"), "{reasons:?}");
    }

    #[test]
    fn a_line_past_any_payload_is_refused_by_its_length_in_bounded_memory() {
        let mut input = vec![b'x'; MAX_RECORD * 4];
        input.extend_from_slice(b"\nok\n");
        let input: &'static [u8] = input.leak();
        let got = events(input, Framing::Newline, payloads());
        assert_eq!(described(&got), ["1:invalid", "2:c:ok"]);
        let Event::Invalid { reason, .. } = &got[0] else {
            unreachable!()
        };
        assert!(
            reason.contains(&format!("is {} bytes", MAX_RECORD * 4)),
            "{reason}"
        );
    }

    #[test]
    fn compact_keeps_string_whitespace_and_escapes() {
        assert_eq!(
            compact(r#" { "a\" b" : "c \\" , "d" : null } "#),
            r#"{"a\" b":"c \\","d":null}"#
        );
    }
}
