//! The room that owns the terminal: stdout (`stdout`, watched for a blocked write) and every
//! message on stderr (`messages`), the one sanitizer (`sanitize`, applied to values before they
//! are encoded), the color decision (`color`), JSON documents (`json`), tables and report text
//! (`table`), the human screens of `status` (`status`) and `demo` (`narrate`), and here the
//! notification records in every format. Other rooms hand over records and values; none of
//! them sanitizes or styles text itself.
//!
//! How a notification looks on stdout: the format is decided once at start; each record is
//! written whole into a buffer that is flushed when no further notification is ready, so a
//! lone notification reaches a pipe at once while a burst costs one write per buffer, not per
//! line. Piped output is exact (scripts see the payload's bytes, escaped only where a format
//! says so); terminal output is sanitized, since a payload is untrusted input and escape
//! sequences could rewrite the screen.

pub mod color;
pub mod json;
pub mod messages;
pub mod narrate;
mod sanitize;
pub mod status;
pub mod stdout;
pub mod table;

use colored::Colorize;
pub use sanitize::{sanitize, sanitize_json};
use std::borrow::Cow;
use std::io::{self, BufWriter, Write};
use std::time::SystemTime;

/// One notification as the printers see it.
pub struct Record<'a> {
    /// Its journal position (`listen --durable`).
    pub position: Option<i64>,
    pub channel: &'a str,
    pub payload: &'a str,
    pub pid: u32,
    pub received_at: SystemTime,
}

/// Something that happened to the connection, for `--events`; written as
/// `{"event":"reconnected","down_ms":...}` and so on.
#[derive(serde::Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Event<'a> {
    /// Every channel is listened to (at start).
    Listening { channels: &'a [String] },
    /// The connection was lost; notifications sent from now on are not received.
    Disconnected { reason: &'a str },
    /// Listening again, on `host` (host selection ran again: after a failover it is the new
    /// primary), after a gap of `down_ms` milliseconds.
    Reconnected { down_ms: u128, host: &'a str },
    /// `--durable`: the journal's records missed (since the stored position at start, or
    /// during the gap of `down_ms` after a reconnect) were replayed; live records follow.
    #[serde(rename = "caught_up")]
    CaughtUp {
        replayed: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        down_ms: Option<u128>,
    },
    /// `serve`: the client reconnected its stream (it sent Last-Event-ID), and what was sent
    /// to its channels while it was away is lost.
    Gap { reason: &'a str },
    /// `serve`: the subscriber fell a whole buffer behind; it lost `lost` notifications, and
    /// its stream ends here.
    Overflow { lost: u64 },
    /// `serve`: the server is stopping; the stream ends here.
    Shutdown { reason: &'a str },
    /// `serve`: the credential the stream was opened with has expired; the stream ends here.
    Expired,
}

impl Event<'_> {
    /// The record's `event` value (also the SSE event type `serve` gives it).
    pub fn name(&self) -> &'static str {
        match self {
            Event::Listening { .. } => "listening",
            Event::Disconnected { .. } => "disconnected",
            Event::Reconnected { .. } => "reconnected",
            Event::CaughtUp { .. } => "caught_up",
            Event::Gap { .. } => "gap",
            Event::Overflow { .. } => "overflow",
            Event::Shutdown { .. } => "shutdown",
            Event::Expired => "expired",
        }
    }
}

/// The record format chosen on the command line.
pub enum Format {
    /// `channel<TAB>payload` when piped, a colored line on a terminal.
    Text,
    /// One JSON object per record; `payload_json` embeds payloads that are JSON.
    Json { payload_json: bool },
    /// A user template.
    Template(Template),
    /// The payload only.
    Raw,
}

/// Writes records in one format, ending each with `terminator`.
pub struct Printer {
    format: Format,
    terminator: u8,
    /// Output goes to a terminal: sanitize untrusted text and use the human text layout.
    terminal: bool,
    /// Consecutive notifications usually share channel, sender and (batched) receive time.
    channel: Memo<String>,
    pid: Memo<u32>,
    time: Memo<SystemTime>,
    /// `--json`: everything after the payload, `,"pid":…,"received_at":"…"}`.
    tail: Memo<(u32, SystemTime)>,
}

impl Printer {
    /// A printer for `format`; `null` ends records with NUL; `terminal` when stdout is a TTY.
    pub fn new(format: Format, null: bool, terminal: bool) -> Self {
        Printer {
            format,
            terminator: if null { b'\0' } else { b'\n' },
            terminal,
            channel: Memo::default(),
            pid: Memo::default(),
            time: Memo::default(),
            tail: Memo::default(),
        }
    }

    /// Write one notification as one record.
    pub fn record(&mut self, out: &mut impl Write, r: &Record) -> io::Result<()> {
        let terminal = self.terminal;
        let payload = for_screen(r.payload, terminal);
        match &self.format {
            Format::Text if terminal => {
                let time = stamp(&mut self.time, &r.received_at)?;
                terminal_line(out, r, time, &payload)?
            }
            Format::Text => {
                let channel = self
                    .channel
                    .get(r.channel, |c, buf| write_escaped(buf, c))?;
                out.write_all(channel)?;
                out.write_all(b"\t")?;
                write_escaped(out, &payload)?;
            }
            Format::Json { payload_json } => {
                // Three writes a record: what comes before the payload (the same for every
                // record of a channel), the payload, and what comes after it (the same while
                // sender and receive time are).
                let head = self.channel.get(r.channel, |c, buf| {
                    buf.write_all(b"\"channel\":")?;
                    json_string(buf, &for_screen(c, terminal))?;
                    buf.write_all(b",\"payload\":")
                })?;
                match r.position {
                    Some(position) => write!(out, "{{\"position\":{position},")?,
                    None => out.write_all(b"{")?,
                }
                out.write_all(head)?;
                if *payload_json && is_json(&payload) {
                    json_value(out, &payload)?;
                } else {
                    json_string(out, &payload)?;
                }
                let tail = self.tail.get(&(r.pid, r.received_at), |(pid, at), buf| {
                    let at = humantime::format_rfc3339_micros(*at);
                    write!(buf, ",\"pid\":{pid},\"received_at\":\"{at}\"}}")
                })?;
                out.write_all(tail)?;
            }
            Format::Template(template) => {
                let channel = for_screen(r.channel, terminal);
                let time = stamp(&mut self.time, &r.received_at)?;
                let pid = self.pid.get(&r.pid, |pid, buf| write!(buf, "{pid}"))?;
                template.write(out, &channel, &payload, pid, time, r.position)?;
                if template.ends_with(self.terminator) {
                    // The template ends its records itself: `--format '{payload}\n'`.
                    return Ok(());
                }
            }
            Format::Raw => out.write_all(payload.as_bytes())?,
        }
        out.write_all(&[self.terminator])
    }

    /// Write a connection event as a JSON record (`--events` requires `--json`). Its strings
    /// (channel names, the server's reason for a loss) are untrusted like any record's, and
    /// JSON escapes neither C1 controls nor bidirectional overrides: on a terminal they are
    /// sanitized as values, before encoding, so that the record is still JSON.
    pub fn event(&self, out: &mut impl Write, event: &Event) -> io::Result<()> {
        json::document(out, event, self.terminal)?;
        out.write_all(&[self.terminator])
    }
}

/// A receive time as records show it (RFC 3339, UTC, microseconds), rendered once per time.
fn stamp<'m>(memo: &'m mut Memo<SystemTime>, at: &SystemTime) -> io::Result<&'m [u8]> {
    memo.get(at, |at, buf| {
        write!(buf, "{}", humantime::format_rfc3339_micros(*at))
    })
}

/// The human layout: `16:45:32.123456 channel [pid] payload`, time and pid dimmed (with
/// `#position` after the pid for a journal record).
fn terminal_line(out: &mut impl Write, r: &Record, time: &[u8], payload: &str) -> io::Result<()> {
    let position = r.position.map_or(String::new(), |p| format!(" #{p}"));
    write!(
        out,
        "{} {} {} {payload}",
        String::from_utf8_lossy(&time[11..26]).dimmed(),
        sanitize(r.channel).bold().cyan(),
        format!("[{}]{position}", r.pid).dimmed(),
    )
}

/// The bytes rendered for the last key, reused while the key repeats: rendering channel,
/// pid and time for every record would cost more than everything else put together.
struct Memo<K> {
    key: Option<K>,
    bytes: Vec<u8>,
}

impl<K> Default for Memo<K> {
    fn default() -> Self {
        Memo {
            key: None,
            bytes: Vec::new(),
        }
    }
}

impl<K> Memo<K> {
    fn get<Q>(
        &mut self,
        key: &Q,
        render: impl FnOnce(&Q, &mut Vec<u8>) -> io::Result<()>,
    ) -> io::Result<&[u8]>
    where
        Q: ?Sized + PartialEq + ToOwned<Owned = K>,
        K: std::borrow::Borrow<Q>,
    {
        if self.key.as_ref().map(|k| k.borrow()) != Some(key) {
            self.key = None;
            self.bytes.clear();
            render(key, &mut self.bytes)?;
            self.key = Some(key.to_owned());
        }
        Ok(&self.bytes)
    }
}

/// Write a reply body (`request`) as one record: a final newline is added unless it ends with
/// one; on a terminal it is sanitized, that final newline left out of it (it ends the line, it
/// is not shown as `\n`); piped, exact.
pub fn body(out: &mut impl Write, body: &str, terminal: bool) -> io::Result<()> {
    let line = body.strip_suffix('\n').unwrap_or(body);
    writeln!(out, "{}", for_screen(line, terminal))?;
    out.flush()
}

/// Untrusted text as it may be shown: sanitized on a terminal, exact otherwise.
fn for_screen(text: &str, terminal: bool) -> Cow<'_, str> {
    if terminal {
        sanitize(text)
    } else {
        Cow::Borrowed(text)
    }
}

/// The piped text format's escaping: `\`, newline, tab and CR become `\\`, `\n`, `\t`, `\r`,
/// so that one record is always one line with exactly one tab.
fn write_escaped(out: &mut impl Write, text: &str) -> io::Result<()> {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\t' => b"\\t",
            b'\r' => b"\\r",
            _ => continue,
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(escape)?;
        start = i + 1;
    }
    out.write_all(&bytes[start..])
}

/// `text` as a JSON string. Most payloads need no escape at all: a branch-free scan (which the
/// compiler vectorizes) finds that out, and the text is copied whole; only text that needs one
/// goes through serde_json's escaper, which looks at it a byte at a time.
fn json_string(out: &mut impl Write, text: &str) -> io::Result<()> {
    if needs_escape(text.as_bytes()) {
        return serde_json::to_writer(out, text).map_err(io::Error::from);
    }
    out.write_all(b"\"")?;
    out.write_all(text.as_bytes())?;
    out.write_all(b"\"")
}

/// Whether JSON must escape something in `bytes`: a control character, `"` or `\`. Longer
/// text is scanned without an early exit, 16 bytes a step, so that it compiles to vector
/// compares.
fn needs_escape(bytes: &[u8]) -> bool {
    let flag = |b: u8| (b < 0x20) as u8 | (b == b'"') as u8 | (b == b'\\') as u8;
    if bytes.len() < 32 {
        // Short payloads (the common case) cost less one byte at a time.
        return bytes.iter().any(|&b| flag(b) != 0);
    }
    let mut chunks = bytes.chunks_exact(16);
    let mut any = 0u8;
    for chunk in &mut chunks {
        any |= chunk.iter().fold(0, |acc, &b| acc | flag(b));
    }
    any |= chunks.remainder().iter().fold(0, |acc, &b| acc | flag(b));
    any != 0
}

/// Whether `text` is one complete JSON value (checked without building it).
fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// Embed valid JSON as is, but on one line: outside strings CR and LF are mere whitespace, and
/// inside strings JSON forbids them raw, so turning them into spaces keeps the value intact.
fn json_value(out: &mut impl Write, json: &str) -> io::Result<()> {
    if json.contains(['\n', '\r']) {
        out.write_all(json.replace(['\n', '\r'], " ").as_bytes())
    } else {
        out.write_all(json.as_bytes())
    }
}

/// A parsed `--format` template.
pub struct Template(Vec<Piece>);

enum Piece {
    Text(String),
    Channel,
    Payload,
    Pid,
    Time,
    Position,
}

impl Template {
    /// Parse TEMPLATE: `{channel}`, `{payload}`, `{pid}`, `{time}`, `{position}` (only when
    /// records have one: `durable`); `{{` and `}}` for braces; `\n`, `\t`, `\r`, `\0`, `\\`
    /// escapes. Anything else is an error (exit 2), so that a typo does not silently print a
    /// literal.
    pub fn parse(template: &str, durable: bool) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = template.chars();
        while let Some(c) = chars.next() {
            let doubled = chars.clone().next() == Some(c);
            match c {
                '\\' => text.push(escape(chars.next())?),
                '{' | '}' if doubled => {
                    chars.next();
                    text.push(c);
                }
                '}' => return Err("--format: a lone } (write }} for a literal brace)".into()),
                '{' => {
                    let rest = chars.as_str();
                    let end = rest.find('}').ok_or("--format: { without a closing }")?;
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(placeholder(&rest[..end], durable)?);
                    chars = rest[end + 1..].chars();
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Template(pieces))
    }

    /// Whether the template's last character is `byte` (it then ends each record itself).
    fn ends_with(&self, byte: u8) -> bool {
        matches!(self.0.last(), Some(Piece::Text(text)) if text.as_bytes().last() == Some(&byte))
    }

    fn write(
        &self,
        out: &mut impl Write,
        channel: &str,
        payload: &str,
        pid: &[u8],
        time: &[u8],
        position: Option<i64>,
    ) -> io::Result<()> {
        for piece in &self.0 {
            match piece {
                Piece::Text(text) => out.write_all(text.as_bytes())?,
                Piece::Channel => out.write_all(channel.as_bytes())?,
                Piece::Payload => out.write_all(payload.as_bytes())?,
                Piece::Pid => out.write_all(pid)?,
                Piece::Time => out.write_all(time)?,
                Piece::Position => {
                    if let Some(position) = position {
                        write!(out, "{position}")?
                    }
                }
            }
        }
        Ok(())
    }
}

/// The character a template escape (`\\` then `c`) stands for.
fn escape(c: Option<char>) -> Result<char, String> {
    match c {
        Some('n') => Ok('\n'),
        Some('t') => Ok('\t'),
        Some('r') => Ok('\r'),
        Some('0') => Ok('\0'),
        Some('\\') => Ok('\\'),
        other => Err(format!(
            "--format: unknown escape \\{} (use \\n \\t \\r \\0 \\\\)",
            other.map(String::from).unwrap_or_default()
        )),
    }
}

/// The value a template placeholder `{name}` stands for.
fn placeholder(name: &str, durable: bool) -> Result<Piece, String> {
    match name {
        "channel" => Ok(Piece::Channel),
        "payload" => Ok(Piece::Payload),
        "pid" => Ok(Piece::Pid),
        "time" => Ok(Piece::Time),
        "position" if durable => Ok(Piece::Position),
        "position" => {
            Err("--format: {position} needs --durable (only journal records have one)".into())
        }
        name => Err(format!(
            "--format: unknown placeholder {{{name}}} \
             (use {{channel}} {{payload}} {{pid}} {{time}} {{position}}, or {{{{ for a brace)"
        )),
    }
}

/// Resolves when the reader of stdout has gone away (a pipe whose reader exited), so that
/// `pgpubsub listen jobs | head -1` ends with `head` instead of at the next notification.
/// Stdout that cannot be watched (a file, /dev/null) never resolves: it cannot close that way.
pub async fn stdout_closed() {
    use tokio::io::{unix::AsyncFd, Interest};
    // SAFETY: fd 1 is open (or the registration fails) and stays the same stdout for the
    // life of the process: nothing closes or replaces it.
    let stdout = unsafe { std::os::fd::BorrowedFd::borrow_raw(1) };
    match unsafe { AsyncFd::register_with_interest(stdout, Interest::ERROR) } {
        Ok(watch) => {
            let _ = watch.ready(Interest::ERROR).await;
        }
        Err(_) => std::future::pending().await,
    }
}

/// Stdout with a large buffer that the caller flushes when idle. It remembers whether anything
/// is unflushed, since the standard stdout's own line buffer may hold a partial record.
pub struct Sink<W: Write> {
    inner: BufWriter<W>,
    dirty: bool,
}

impl<W: Write> Sink<W> {
    /// Wrap `out` (typically locked stdout).
    pub fn new(out: W) -> Self {
        Sink {
            inner: BufWriter::with_capacity(64 * 1024, out),
            dirty: false,
        }
    }

    /// Whether something written has not been flushed yet.
    pub fn dirty(&self) -> bool {
        self.dirty
    }
}

impl<W: Write> Write for Sink<W> {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.dirty = true;
        self.inner.write(buf)
    }

    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.dirty = true;
        self.inner.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()?;
        self.dirty = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(format: Format, terminal: bool, payload: &str) -> String {
        let mut printer = Printer::new(format, false, terminal);
        let record = Record {
            position: None,
            channel: "ch",
            payload,
            pid: 42,
            received_at: SystemTime::UNIX_EPOCH,
        };
        let mut out = Vec::new();
        printer.record(&mut out, &record).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn piped_text_escapes_separators() {
        assert_eq!(
            render(Format::Text, false, "a\tb\nc\\d\re"),
            "ch\ta\\tb\\nc\\\\d\\re\n"
        );
    }

    #[test]
    fn terminal_output_is_sanitized() {
        colored::control::set_override(false);
        let line = render(Format::Raw, true, "x\u{1b}[2Jy\u{9b}z\u{202e}");
        assert_eq!(line, "x\\u{1b}[2Jy\\u{9b}z\\u{202e}\n");
    }

    #[test]
    fn payload_json_embeds_only_valid_json_on_one_line() {
        let json = Format::Json { payload_json: true };
        assert!(render(json, false, "{\n\"id\": 1}")
            .starts_with("{\"channel\":\"ch\",\"payload\":{ \"id\": 1},"));
        let json = Format::Json { payload_json: true };
        assert!(render(json, false, "{not json").contains("\"payload\":\"{not json\""));
    }

    #[test]
    fn json_strings_take_the_fast_path_only_when_nothing_needs_escaping() {
        for text in [
            "plain é ✓",
            "",
            "q\"uote",
            "back\\slash",
            "nl\n",
            "\u{1}",
            "\u{7f}",
        ] {
            let mut fast = Vec::new();
            json_string(&mut fast, text).unwrap();
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                serde_json::to_string(text).unwrap()
            );
        }
        assert!(!needs_escape("plain é ✓ \u{7f}".as_bytes()));
        assert!(needs_escape(b"a\"b") && needs_escape(b"\\") && needs_escape(b"\x1f"));
        // Long text takes the chunked scan: an escape anywhere in it, or in its remainder.
        for at in [0, 15, 16, 40, 49] {
            let mut long = vec![b'x'; 50];
            long[at] = b'"';
            assert!(needs_escape(&long), "at {at}");
        }
        assert!(!needs_escape(&[b'x'; 50]));
    }

    #[test]
    fn json_has_the_agreed_fields() {
        let line = render(
            Format::Json {
                payload_json: false,
            },
            false,
            "p",
        );
        assert_eq!(
            line,
            "{\"channel\":\"ch\",\"payload\":\"p\",\"pid\":42,\"received_at\":\"1970-01-01T00:00:00.000000Z\"}\n"
        );
    }

    #[test]
    fn an_events_name_is_its_records_event_field() {
        let channels = ["c".to_string()];
        for event in [
            Event::Listening {
                channels: &channels,
            },
            Event::Disconnected { reason: "r" },
            Event::Reconnected {
                down_ms: 1,
                host: "h",
            },
            Event::Gap { reason: "r" },
            Event::Overflow { lost: 2 },
            Event::Shutdown { reason: "r" },
            Event::Expired,
        ] {
            let json = serde_json::to_value(&event).unwrap();
            assert_eq!(json["event"], event.name());
        }
    }

    #[test]
    fn memo_renders_again_only_for_a_new_key() {
        let mut memo: Memo<String> = Memo::default();
        let mut renders = 0;
        for key in ["a", "a", "b", "a"] {
            let bytes = memo
                .get(key, |k, buf| {
                    renders += 1;
                    buf.write_all(k.as_bytes())
                })
                .unwrap();
            assert_eq!(bytes, key.as_bytes());
        }
        assert_eq!(renders, 3);
    }

    #[test]
    fn template_placeholders_and_escapes() {
        let t = Template::parse("{{{channel}}}\\t{pid}:{payload}\\\\", false).unwrap();
        assert_eq!(render(Format::Template(t), false, "p"), "{ch}\t42:p\\\n");
        // A template that ends in the terminator is not given a second one.
        let t = Template::parse("{channel} {payload}\\n", false).unwrap();
        assert_eq!(render(Format::Template(t), false, "p"), "ch p\n");
        for bad in ["{chan}", "{payload", "}", "\\q", "x\\"] {
            assert!(
                Template::parse(bad, false).is_err(),
                "{bad} should be refused"
            );
        }
    }
}
