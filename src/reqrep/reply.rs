//! `pgpubsub reply`: answer every request on a channel, by a shell command or a SQL query.
//! Requests are untrusted (any role that can connect may notify any channel), so a body only
//! ever reaches a command on its stdin, and a query as a bind parameter, never inside the
//! command or SQL text. With a key (`--key-file`) only requests signed with it are run, and
//! replies are signed. The listening connection follows `listen`'s reconnection rules (its
//! very session and reopen code); replies go out on a few connections of their own.

use super::auth::{self, Key, Seen};
use super::envelope::{Answer, Reply, Request};
use crate::app::Context;
use crate::connect::ConnSettings;
use crate::error::{note, status, warn, Error, Exit, Result};
use crate::job::{self, Job};
use crate::limits::check_channel;
use crate::ready;
use crate::session::{self, Item, Session, Upkeep};
use crate::signals::Signal;
use anyhow::anyhow;
use sqlx::postgres::{PgConnection, PgNotification};
use sqlx::AssertSqlSafe;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How a request is answered.
#[derive(Debug, Clone)]
pub enum Handler {
    /// `sh -c CMD`, body on stdin; its stdout is the reply, its failure an error reply.
    Exec(String),
    /// A query run with the whole request envelope as `$1`; it answers by itself (e.g. a
    /// plpgsql function calling `pg_notify`); its error becomes an error reply.
    Sql(String),
}

/// Everything `reply` needs, decided from the flags.
#[derive(Debug)]
pub struct Settings {
    pub channel: String,
    pub handler: Handler,
    /// Requests handled at once; more wait in the server's queue.
    pub concurrency: usize,
    /// Keepalive and reconnection backoff, as for `listen`.
    pub upkeep: Upkeep,
    /// Only requests signed with this key are answered, and replies are signed with it.
    pub key: Option<Arc<Key>>,
    /// Created once requests are listened for (see `ready`).
    pub ready_file: Option<std::path::PathBuf>,
    pub verbose: bool,
}

/// How much of a failed command's stderr goes into its error reply.
const STDERR_TAIL: usize = 1000;

/// Answer requests until SIGINT/SIGTERM, then finish those in progress and exit 130/143.
pub async fn run(settings: &Settings, conn: &ConnSettings, ctx: &mut Context) -> Result<Exit> {
    let channels = [settings.channel.clone()];
    let upkeep = settings.upkeep;
    let ready_file = settings.ready_file.as_deref();
    ready::reset(ready_file).map_err(|e| anyhow!("--ready-file: {e}"))?;
    let mut session = ctx
        .guard(Session::open(conn, &channels, upkeep.ping_limit()))
        .await?;
    let answering = format!("answering requests on channel {}", settings.channel);
    if settings.verbose {
        note(answering);
    } else {
        status(format!("{answering} (Ctrl-C to stop)"));
    }
    ready::announce(ready_file).map_err(|e| anyhow!("--ready-file: {e}"))?;
    let responder = Arc::new(Responder {
        handler: settings.handler.clone(),
        channel: settings.channel.clone(),
        conns: Conns::new(conn.clone()),
        key: settings.key.clone(),
        verbose: settings.verbose,
    });
    let mut seen = Seen::default();
    let slots = Arc::new(Semaphore::new(settings.concurrency));
    let mut tasks = JoinSet::new();
    let signal = 'serve: loop {
        let item = tokio::select! {
            biased;
            signal = ctx.signals.recv() => break signal,
            item = session.recv() => item,
            () = tokio::time::sleep(upkeep.ping_limit()), if upkeep.keepalive.is_some() => {
                session.ping();
                continue;
            }
        };
        match item {
            Item::Batch(batch) => {
                for notification in batch {
                    let Some(request) = admit(&notification, settings, &mut seen) else {
                        continue;
                    };
                    let slot = tokio::select! {
                        biased;
                        signal = ctx.signals.recv() => break 'serve signal,
                        slot = slots.clone().acquire_owned() => slot.expect("never closed"),
                    };
                    let responder = responder.clone();
                    tasks.spawn(async move {
                        responder.answer(request).await;
                        drop(slot);
                    });
                }
            }
            Item::Lost(failure) => {
                drop(session);
                let reopening = session::reopen(
                    conn,
                    &channels,
                    upkeep,
                    &failure,
                    settings.verbose,
                    session::LOST,
                );
                session = match ctx.guard(async { Ok::<_, Error>(reopening.await) }).await {
                    Ok((session, _down)) => session,
                    Err(Error::Stopped(signal)) => break signal,
                    Err(err) => return Err(err),
                };
            }
            Item::Drained => {}
        }
        while tasks.try_join_next().is_some() {}
    };
    finish(tasks, signal, ctx).await
}

/// Wait for the requests in progress to be answered; a second signal ends their commands'
/// process groups and stops at once.
async fn finish(mut tasks: JoinSet<()>, signal: Signal, ctx: &mut Context) -> Result<Exit> {
    while tasks.try_join_next().is_some() {}
    if signal.lets_commands_finish() {
        match tasks.len() {
            0 => {}
            1 => note("stopping: finishing the request in progress; a second signal ends it"),
            n => note(format!(
                "stopping: finishing {n} requests in progress; a second signal ends them"
            )),
        }
    }
    let forced = tokio::select! {
        biased;
        forced = ctx.signals.forced_after(signal) => Some(forced),
        () = async { while tasks.join_next().await.is_some() {} } => None,
    };
    if let Some(forced) = forced {
        if let Some(ended) = job::end_all(forced).await {
            note(ended);
        }
    }
    // Either way the run ends by the first signal.
    Ok(signal.exit())
}

/// The request in `notification` if it is one that may be run: an envelope, with a reply
/// channel a reply can be sent on, and with a key signed with it, recent and not seen before.
/// Otherwise `None`, after reporting why.
fn admit(notification: &PgNotification, settings: &Settings, seen: &mut Seen) -> Option<Request> {
    let checked = Request::decode(notification.payload()).and_then(|request| {
        check_channel(&request.reply_to).map_err(|e| format!("its reply_to is unusable: {e}"))?;
        if let Some(key) = &settings.key {
            let ts = request.authenticate(&settings.channel, key)?;
            seen.admit(&request.reply_to, &request.id, ts, auth::now_ms())?;
        }
        Ok(request)
    });
    match checked {
        Ok(request) => Some(request),
        Err(reason) => {
            warn(format!(
                "skipped a request from pid {} on channel {}: {}",
                notification.process_id(),
                notification.channel(),
                reason
            ));
            None
        }
    }
}

/// What every request task shares.
struct Responder {
    handler: Handler,
    channel: String,
    conns: Conns,
    key: Option<Arc<Key>>,
    verbose: bool,
}

impl Responder {
    /// Handle one request to the end: run the handler, send the reply, report failures.
    async fn answer(&self, request: Request) {
        let started = tokio::time::Instant::now();
        let outcome = match &self.handler {
            Handler::Exec(command) => {
                let answer = self.exec(command, &request).await;
                let text = Reply::encode(&request, answer, self.key.as_deref());
                self.send(&request.reply_to, &text).await
            }
            Handler::Sql(query) => self.sql(query, &request).await,
        };
        match outcome {
            Ok(()) if self.verbose => note(format!(
                "answered request {} in {:.3} ms",
                request.id,
                started.elapsed().as_secs_f64() * 1e3
            )),
            Ok(()) => {}
            Err(err) => warn(format!(
                "request {} on {}: {err:#}",
                request.id, request.reply_to
            )),
        }
    }

    /// Run the command with the body on stdin; its stdout, or an error answer.
    async fn exec(&self, command: &str, request: &Request) -> Answer {
        let mut cmd = job::shell(command);
        cmd.env("PGPUBSUB_CHANNEL", &self.channel)
            .env("PGPUBSUB_REQUEST_ID", &request.id)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // A body fits in a pipe's buffer, so writing it cannot wait for the command.
        let job = match Job::start(cmd, Some(request.body.as_bytes())).await {
            Ok(job) => job,
            Err(err) => return failed(format!("the responder cannot run sh: {err}"), None),
        };
        let output = match job.output().await {
            Ok(output) => output,
            Err(err) => return failed(format!("cannot wait for the command: {err}"), None),
        };
        if !output.status.success() {
            let tail = tail(&output.stderr);
            warn(format!(
                "request {}: command failed ({}): {}",
                request.id, output.status, tail
            ));
            let message = if tail.is_empty() {
                format!("command failed ({})", output.status)
            } else {
                tail
            };
            return failed(message, output.status.code());
        }
        match String::from_utf8(output.stdout) {
            Ok(body) => Answer::Body(body),
            Err(_) => failed("the command's output is not valid UTF-8".to_string(), None),
        }
    }

    /// Run the query with the request envelope as `$1`; an error is sent back as an error
    /// reply.
    async fn sql(&self, query: &str, request: &Request) -> anyhow::Result<()> {
        let envelope = serde_json::to_string(request).expect("strings always serialize");
        let mut conn = self.conns.take().await?;
        // The operator's own SQL text; the untrusted request is only ever the parameter.
        let ran = sqlx::query(AssertSqlSafe(query.to_string()))
            .bind(envelope)
            .execute(&mut conn)
            .await;
        match ran {
            Ok(_) => {
                self.conns.give(conn);
                Ok(())
            }
            Err(sqlx::Error::Database(db)) => {
                self.conns.give(conn);
                let message = format!("query failed: {}", db.message());
                warn(format!("request {}: {}", request.id, message));
                let text = Reply::encode(request, failed(message, None), self.key.as_deref());
                self.send(&request.reply_to, &text).await
            }
            Err(err) => Err(anyhow!(self.conns.settings.explain(&err))),
        }
    }

    /// Send a reply on `reply_to`.
    async fn send(&self, reply_to: &str, text: &str) -> anyhow::Result<()> {
        let mut conn = self.conns.take().await?;
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(reply_to)
            .bind(text)
            .execute(&mut conn)
            .await
            .map_err(|e| anyhow!("cannot send the reply: {}", self.conns.settings.explain(&e)))?;
        self.conns.give(conn);
        Ok(())
    }
}

fn failed(message: String, status: Option<i32>) -> Answer {
    Answer::Error { message, status }
}

/// The end of a command's stderr: its last STDERR_TAIL bytes (from a character boundary),
/// without surrounding whitespace.
fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let mut start = text.len().saturating_sub(STDERR_TAIL);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].trim().to_string()
}

/// The connections replies and queries go out on: one per request in progress at most, kept
/// for the next request, dropped when they fail (the next request opens a new one).
struct Conns {
    settings: ConnSettings,
    idle: Mutex<Vec<PgConnection>>,
}

impl Conns {
    fn new(settings: ConnSettings) -> Self {
        Conns {
            settings,
            idle: Mutex::new(Vec::new()),
        }
    }

    async fn take(&self) -> anyhow::Result<PgConnection> {
        let idle = self.idle.lock().expect("never poisoned").pop();
        match idle {
            Some(conn) => Ok(conn),
            None => Ok(self.settings.connect().await?),
        }
    }

    fn give(&self, conn: PgConnection) {
        self.idle.lock().expect("never poisoned").push(conn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stderr_tail_is_the_end_cut_at_a_character() {
        assert_eq!(tail(b"  one\ntwo\n"), "one\ntwo");
        let long = format!("{}{}", "é".repeat(STDERR_TAIL), "end");
        let cut = tail(long.as_bytes());
        assert!(cut.len() <= STDERR_TAIL && cut.ends_with("end"), "{cut}");
    }
}
