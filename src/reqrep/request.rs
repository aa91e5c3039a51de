//! `pgpubsub request`: send a request and print the reply. The reply channel (a fresh random
//! name) is listened on before the request is sent, on the same connection, so no reply can
//! come too early to be seen. A request is never resent: once sent it may have been acted upon.
//!
//! The reply channel is not private: every session of the database can read the request and
//! answer on it. With a key (`--key-file`) only replies signed with it count; without one, a
//! short grace period after the replies asked for shows whether someone else answered too, and
//! different answers to one request are reported instead of printing the first.

use super::auth::Key;
use super::envelope::{Answer, Reply, Request};
use crate::app::Context;
use crate::connect::ConnSettings;
use crate::error::{note, stdout_error, warn, Error, Exit, Result};
use crate::notify::source::{self, Decoder, Event, Framing, Input};
use crate::output;
use crate::session;
use anyhow::anyhow;
use sqlx::postgres::PgListener;
use std::collections::HashSet;
use std::hash::BuildHasher;
use std::io::Write;
use std::ops::ControlFlow;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Where request bodies come from.
#[derive(Debug)]
pub enum Bodies {
    /// One request with this body (PAYLOAD, --file, or empty).
    One(String),
    /// One request per line of stdin (PAYLOAD `-`), each in turn.
    Lines,
}

/// Everything `request` needs, decided from the flags.
#[derive(Debug)]
pub struct Settings {
    /// The service channel requests are sent on.
    pub channel: String,
    pub bodies: Bodies,
    /// How long to wait for the replies to one request.
    pub timeout: Duration,
    /// How many replies to gather per request.
    pub replies: u64,
    /// Requests are signed, and only replies signed with this key count.
    pub key: Option<Key>,
    /// Without a key: how long to wait, once the replies asked for are in, for other replies
    /// that would contradict them.
    pub grace: Duration,
    /// Stdout is a terminal: reply bodies are sanitized.
    pub terminal: bool,
    /// Report each round trip's time on stderr.
    pub verbose: bool,
}

/// Run `pgpubsub request` to its exit status: that of the first request that did not succeed
/// (3 no reply in time, 1 an error reply, 2 an invalid input line), else 0.
pub async fn run(settings: &Settings, conn: &ConnSettings, ctx: &mut Context) -> Result<Exit> {
    let reply_to = fresh_channel();
    let first = match &settings.bodies {
        Bodies::One(body) => Some(envelope(settings, &reply_to, 1, body).map_err(Error::Usage)?),
        Bodies::Lines => None,
    };
    let mut asker = ctx.guard(Asker::open(settings, conn, reply_to)).await?;
    let mut out = ctx.stdout();
    let work = async {
        match first {
            Some(text) => asker.ask(1, &text, &mut out).await,
            None => asker.ask_lines(&mut out).await,
        }
    };
    ctx.guard(work).await
}

/// A request channel name no one else uses: random, from the standard library's hasher keys.
fn fresh_channel() -> String {
    let random = std::collections::hash_map::RandomState::new()
        .hash_one((std::process::id(), std::time::SystemTime::now()));
    format!("pgpubsub_reply_{random:016x}")
}

fn envelope(settings: &Settings, reply_to: &str, id: u64, body: &str) -> Result<String, String> {
    let key = settings.key.as_ref();
    Request::new(&settings.channel, reply_to, id, body, key).encode()
}

/// A reply to the request asked, and the server process that sent it.
struct Received {
    reply: Reply,
    pid: u32,
}

/// One connection that listens on the reply channel and sends the requests.
struct Asker<'a> {
    settings: &'a Settings,
    conn: ConnSettings,
    listener: PgListener,
    reply_to: String,
    /// With a key: replies refused for want of a valid signature.
    unsigned: u64,
    /// With a key: the signatures of the replies taken, so that a copy counts once.
    macs: HashSet<String>,
}

impl<'a> Asker<'a> {
    async fn open(
        settings: &'a Settings,
        conn: &'a ConnSettings,
        reply_to: String,
    ) -> Result<Asker<'a>> {
        // listen's own checks, so that a setup where no reply could ever arrive (a standby, a
        // transaction-mode pooler) fails at once in listen's words, not after --timeout.
        // Nothing arrives on a fresh reply channel before a request names it: no early ones.
        let (listener, _early, conn, passed) =
            session::listen(conn, std::slice::from_ref(&reply_to)).await?;
        if settings.verbose {
            passed.iter().for_each(note);
        }
        Ok(Asker {
            settings,
            conn,
            listener,
            reply_to,
            unsigned: 0,
            macs: HashSet::new(),
        })
    }

    /// Send request `id` and gather its replies: the request's exit status. With a key each
    /// reply is printed as it arrives; without one they are held until the grace period after
    /// the last one asked for has shown that no one else answered differently.
    async fn ask(&mut self, id: u64, text: &str, out: &mut impl Write) -> Result<Exit> {
        let started = Instant::now();
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(&self.settings.channel)
            .bind(text)
            .execute(&mut self.listener)
            .await
            .map_err(|e| anyhow!("cannot send the request: {}", self.conn.explain(&e)))?;
        let deadline = started + self.settings.timeout;
        let wanted = self.settings.replies;
        let signed = self.settings.key.is_some();
        let mut held = Vec::new();
        let mut exit = Exit::Success;
        for got in 1..=wanted {
            let received = match tokio::time::timeout_at(deadline, self.reply(id)).await {
                Ok(received) => received?,
                Err(_) => {
                    for received in held {
                        exit = first_failure(exit, self.print(received, out)?);
                    }
                    note(self.timed_out(got - 1));
                    return Ok(first_failure(exit, Exit::Timeout));
                }
            };
            if self.settings.verbose {
                note(format!(
                    "reply {got}/{wanted} to request {id} in {:.3} ms",
                    started.elapsed().as_secs_f64() * 1e3
                ));
            }
            if signed {
                exit = first_failure(exit, self.print(received, out)?);
            } else {
                held.push(received);
            }
        }
        if signed {
            return Ok(exit);
        }
        let others = self.others(id).await?;
        if let Some(conflict) = conflict(id, &self.settings.channel, wanted, &held, &others) {
            note(conflict);
            return Ok(Exit::Failure);
        }
        for received in held {
            exit = first_failure(exit, self.print(received, out)?);
        }
        Ok(exit)
    }

    /// Without a key: the further replies to request `id` within the grace period.
    async fn others(&mut self, id: u64) -> Result<Vec<Received>> {
        let until = Instant::now() + self.settings.grace;
        let mut others = Vec::new();
        while let Ok(received) = tokio::time::timeout_at(until, self.reply(id)).await {
            others.push(received?);
        }
        Ok(others)
    }

    /// Send one request per line of stdin, each after the previous one's replies.
    async fn ask_lines(&mut self, out: &mut impl Write) -> Result<Exit> {
        let (tx, mut rx) = mpsc::channel(16);
        let decoder = Decoder::Payloads {
            channels: vec![self.settings.channel.as_str().into()],
            skip_empty: false,
            json: false,
            durable: false,
        };
        // A plain thread: exiting must never wait for a quiet stdin.
        std::thread::spawn(move || {
            source::read(
                std::io::stdin(),
                Framing::Newline,
                &decoder,
                |input| match input {
                    Input::Event(event) => match tx.blocking_send(event) {
                        Ok(()) => ControlFlow::Continue(()),
                        Err(_) => ControlFlow::Break(()),
                    },
                    Input::Pause => ControlFlow::Continue(()),
                },
            )
        });
        let mut exit = Exit::Success;
        let mut id = 0;
        while let Some(event) = rx.recv().await {
            let status = match event {
                Event::Message(message) => {
                    id += 1;
                    match envelope(self.settings, &self.reply_to, id, &message.payload) {
                        Ok(text) => self.ask(id, &text, out).await?,
                        Err(reason) => skipped(message.line, &reason),
                    }
                }
                Event::Invalid { line, reason } => skipped(line, &reason),
                Event::Failed(err) => return Err(anyhow!("cannot read stdin: {err}").into()),
            };
            exit = first_failure(exit, status);
        }
        Ok(exit)
    }

    /// The next reply to request `id`; anything else on the reply channel (late replies to an
    /// earlier request, garbage, with a key: replies not signed with it) is reported and passed
    /// over.
    async fn reply(&mut self, id: u64) -> Result<Received> {
        loop {
            let notification = match self.listener.try_recv().await {
                Ok(Some(notification)) => notification,
                Ok(None) => return Err(lost("the server closed the connection")),
                Err(e) => return Err(lost(&self.conn.explain(&e))),
            };
            let pid = notification.process_id();
            let reply = match Reply::decode(notification.payload()) {
                Ok(reply) => reply,
                Err(reason) => {
                    warn(format!(
                        "ignored a notification on the reply channel from pid {pid}: {}",
                        reason
                    ));
                    continue;
                }
            };
            if let Some(key) = &self.settings.key {
                if !reply.authentic(&self.reply_to, key) {
                    self.unsigned += 1;
                    warn(format!(
                        "ignored a reply from pid {pid} that is not signed with the key \
                         (--key-file): a forgery, or a responder without the same key"
                    ));
                    continue;
                }
                if !self.macs.insert(reply.mac.clone().unwrap_or_default()) {
                    // A signed reply sent again (by anyone who read it): counted once.
                    continue;
                }
            }
            if reply.id == id.to_string() {
                return Ok(Received { reply, pid });
            }
            warn(format!("ignored a late reply to request {}", reply.id));
        }
    }

    /// Print a reply: a body on stdout (a newline added unless it ends with one), an error on
    /// stderr. Returns the reply's status.
    fn print(&self, received: Received, out: &mut impl Write) -> Result<Exit> {
        match received.reply.answer() {
            Answer::Body(body) => {
                output::body(out, &body, self.settings.terminal).map_err(stdout_error)?;
                Ok(Exit::Success)
            }
            Answer::Error { message, status } => {
                let status = status.map_or(String::new(), |s| format!(" (exit status {s})"));
                note(format!(
                    "the responder on {} failed{status}: {}",
                    self.settings.channel,
                    message.trim_end()
                ));
                Ok(Exit::Failure)
            }
        }
    }

    fn timed_out(&self, got: u64) -> String {
        let limit = humantime::format_duration(self.settings.timeout);
        let channel = &self.settings.channel;
        let missing = match self.settings.replies {
            1 => format!(
                "no reply within {limit} on channel {channel} (is a responder running, e.g. \
                 `pgpubsub reply {channel} --exec CMD`?)"
            ),
            wanted => format!("{got} of {wanted} replies within {limit} on channel {channel}"),
        };
        match self.unsigned {
            0 => missing,
            n => format!(
                "{missing}; {n} reply(ies) not signed with the key were ignored (does the \
                 responder use the same --key-file?)"
            ),
        }
    }
}

/// Without a key: if a reply came within the grace period that none of the `held` ones says,
/// someone else answered, and which answer is genuine cannot be told. What to say then.
fn conflict(
    id: u64,
    channel: &str,
    wanted: u64,
    held: &[Received],
    others: &[Received],
) -> Option<String> {
    let differs = |other: &&Received| !held.iter().any(|h| h.reply == other.reply);
    if !others.iter().any(|o| differs(&o)) {
        return None;
    }
    let mut text = format!(
        "request {id} on channel {} got different replies where {wanted} was asked for, so \
         none is printed: any session of the database can answer a request; give `request` \
         and `reply` the same --key-file to accept only authentic replies",
        channel
    );
    for received in held.iter().chain(others) {
        let (kind, shown) = match &received.reply {
            Reply {
                error: Some(error), ..
            } => ("error", error.as_str()),
            Reply { body, .. } => ("body", body.as_deref().unwrap_or_default()),
        };
        let shown: String = shown.chars().take(200).collect();
        text.push_str(&format!("\n  from pid {}: {kind} {shown:?}", received.pid));
    }
    Some(text)
}

/// The connection died while a reply was awaited: the request may have been acted upon, so it
/// is not resent.
fn lost(reason: &str) -> Error {
    anyhow!("connection lost while waiting for a reply ({reason}); the request is not resent")
        .into()
}

fn skipped(line: u64, reason: &str) -> Exit {
    warn(format!("line {line}: {reason}; skipped"));
    Exit::Usage
}

/// The overall status: the first one that was not success.
fn first_failure(so_far: Exit, next: Exit) -> Exit {
    if so_far == Exit::Success {
        next
    } else {
        so_far
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_channels_are_valid_and_fresh() {
        let (a, b) = (fresh_channel(), fresh_channel());
        assert_ne!(a, b);
        crate::limits::check_channel(&a).unwrap();
    }
}
