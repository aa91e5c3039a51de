//! `pgpubsub request`: send a request and print the reply. The private reply channel is
//! listened on before the request is sent, on the same connection, so no reply can come too
//! early to be seen. A request is never resent: once sent it may have been acted upon.

use super::envelope::{Answer, Reply, Request};
use crate::app::Context;
use crate::connect::ConnSettings;
use crate::error::{note, stdout_error, warn, Error, Exit, Result};
use crate::notify::source::{self, Decoder, Event, Framing, Input};
use crate::session;
use crate::term::sanitize;
use anyhow::anyhow;
use sqlx::postgres::PgListener;
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
        Bodies::One(body) => Some(envelope(&reply_to, 1, body).map_err(Error::Usage)?),
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

fn envelope(reply_to: &str, id: u64, body: &str) -> Result<String, String> {
    Request {
        reply_to: reply_to.to_string(),
        id: id.to_string(),
        body: body.to_string(),
    }
    .encode()
}

/// One connection that listens on the reply channel and sends the requests.
struct Asker<'a> {
    settings: &'a Settings,
    conn: ConnSettings,
    listener: PgListener,
    reply_to: String,
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
        })
    }

    /// Send request `id` and gather its replies: the request's exit status.
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
        let mut exit = Exit::Success;
        for got in 1..=wanted {
            let reply = match tokio::time::timeout_at(deadline, self.reply(id)).await {
                Ok(reply) => reply?,
                Err(_) => {
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
            exit = first_failure(exit, self.print(reply, out)?);
        }
        Ok(exit)
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
                    match envelope(&self.reply_to, id, &message.payload) {
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

    /// The next reply to request `id`; anything else on the reply channel is reported and
    /// passed over.
    async fn reply(&mut self, id: u64) -> Result<Reply> {
        loop {
            let notification = match self.listener.try_recv().await {
                Ok(Some(notification)) => notification,
                Ok(None) => return Err(lost("the server closed the connection")),
                Err(e) => return Err(lost(&self.conn.explain(&e))),
            };
            match Reply::decode(notification.payload()) {
                Ok(reply) if reply.id == id.to_string() => return Ok(reply),
                Ok(reply) => warn(format!(
                    "ignored a late reply to request {}",
                    sanitize(&reply.id)
                )),
                Err(reason) => warn(format!(
                    "ignored a notification on the reply channel from pid {}: {}",
                    notification.process_id(),
                    sanitize(&reason)
                )),
            }
        }
    }

    /// Print a reply: a body on stdout (a newline added unless it ends with one), an error on
    /// stderr. Returns the reply's status.
    fn print(&self, reply: Reply, out: &mut impl Write) -> Result<Exit> {
        match reply.answer() {
            Answer::Body(body) => {
                let shown = if self.settings.terminal {
                    sanitize(&body)
                } else {
                    body.as_str().into()
                };
                let newline = if shown.ends_with('\n') { "" } else { "\n" };
                write!(out, "{shown}{newline}")
                    .and_then(|()| out.flush())
                    .map_err(stdout_error)?;
                Ok(Exit::Success)
            }
            Answer::Error { message, status } => {
                let status = status.map_or(String::new(), |s| format!(" (exit status {s})"));
                note(format!(
                    "the responder on {} failed{status}: {}",
                    sanitize(&self.settings.channel),
                    sanitize(message.trim_end())
                ));
                Ok(Exit::Failure)
            }
        }
    }

    fn timed_out(&self, got: u64) -> String {
        let limit = humantime::format_duration(self.settings.timeout);
        let channel = sanitize(&self.settings.channel);
        match self.settings.replies {
            1 => format!(
                "no reply within {limit} on channel {channel} (is a responder running, e.g. \
                 `pgpubsub reply {channel} --exec CMD`?)"
            ),
            wanted => format!("{got} of {wanted} replies within {limit} on channel {channel}"),
        }
    }
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
