//! `pgpubsub serve`: one listening session fanned out to any number of HTTP subscribers as
//! server-sent events, with publishing, access rules, health and metrics. Every LISTENing
//! session costs the whole database (up to PostgreSQL 18 each notifying commit wakes every
//! listening backend) and a browser cannot LISTEN at all, so many readers share one session
//! here; `session` keeps it (the very rules `listen` follows), `hub` fans it out, `durable`
//! reads durable channels through the journal, `http` decides who may do what, `net` owns the
//! sockets.

mod access;
mod durable;
mod http;
mod hub;
mod metrics;
mod net;
mod stream;

use crate::app::Context;
use crate::connect::ConnSettings;
use crate::error::{note, usage, warn, Exit, Result};
use crate::session::{Session, Upkeep};
pub use access::{AuthFiles, Patterns};
use std::path::PathBuf;
use std::time::Duration;

/// Everything `serve` is asked to do, decided from the flags.
pub struct Settings {
    /// `--bind`: addresses to listen on (HOST:PORT).
    pub bind: Vec<String>,
    /// `--channel`: the channels served at all.
    pub channels: Patterns,
    pub auth: AuthFiles,
    /// `--tls-cert` and `--tls-key`.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub allow_origin: Vec<String>,
    pub allow_publish: bool,
    pub max_subscribers: u64,
    /// Notifications queued per subscriber before it is cut off.
    pub buffer: usize,
    pub heartbeat: Duration,
    pub payload_json: bool,
    pub upkeep: Upkeep,
    /// `--durable`: channels read through the journal (schema `journal`).
    pub durable: Option<(Vec<String>, crate::journal::Names)>,
    pub verbose: bool,
}

/// Serve until SIGINT/SIGTERM: then every stream ends with a `shutdown` event, the session
/// is closed, and the run ends by the signal.
pub async fn run(settings: Settings, conn: ConnSettings, ctx: &mut Context) -> Result<Exit> {
    let auth = access::Auth::load(&settings.auth).map_err(usage)?;
    for path in access::Auth::exposed(&settings.auth) {
        warn(format!(
            "{} holds secrets but other users may read it (chmod 600 it)",
            path.display()
        ));
    }
    let tls = match &settings.tls {
        Some((cert, key)) => Some(net::tls(cert, key).map_err(usage)?),
        None => None,
    };
    let listeners = net::bind(&settings.bind)
        .await
        .map_err(anyhow::Error::msg)?;
    let addresses: Vec<std::net::SocketAddr> = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .collect();
    if !auth.required() {
        if let Some(open) = addresses.iter().find(|a| !a.ip().is_loopback()) {
            return Err(usage(format!(
                "refusing to serve on {open} without authentication: anyone who can reach it \
                 could read (and publish to) the channels; give --tokens FILE and/or \
                 --jwt-secret/--jwt-public-key, or bind to a loopback address"
            )));
        }
    }
    let open_files = net::raise_open_files();
    if settings.max_subscribers + 64 > open_files {
        warn(format!(
            "--max-subscribers {} is above what the open-file limit ({open_files}) allows; raise \
             it (ulimit -n) or expect refused connections",
            settings.max_subscribers
        ));
    }
    let always: &[String] = settings.durable.as_ref().map_or(&[], |(c, _)| c);
    let session = ctx
        .guard(Session::open(&conn, always, settings.upkeep.ping_limit()))
        .await?;
    if settings.verbose {
        session.passed.iter().for_each(note);
    }
    let host = session.host.clone();
    let durable = match &settings.durable {
        Some((channels, names)) => Some(
            ctx.guard(start_journal(&session, channels, names, settings.verbose))
                .await?,
        ),
        None => None,
    };
    let (hub, failed) = hub::Hub::start(
        session,
        conn,
        hub::Plan {
            upkeep: settings.upkeep,
            buffer: settings.buffer,
            max_subscribers: settings.max_subscribers,
            heartbeat: settings.heartbeat,
            payload_json: settings.payload_json,
            verbose: settings.verbose,
        },
        durable,
    );
    let scheme = if tls.is_some() { "https" } else { "http" };
    let router = http::router(http::App {
        hub: hub.clone(),
        served: settings.channels.clone(),
        auth,
        allow_publish: settings.allow_publish,
        allow_origin: settings.allow_origin.clone(),
    });
    let server = net::Server::start(listeners, tls, router);
    for address in &addresses {
        note(format!(
            "serving {scheme}://{address}/ (channels {}) from the database session on {host}",
            settings.channels.as_slice().join(" ")
        ));
    }
    let ended = tokio::select! {
        signal = ctx.signals.recv() => Ok(signal),
        Ok(err) = failed => Err(err),
    };
    let reason = match &ended {
        Ok(signal) => format!("the server is stopping ({})", signal.name()),
        Err(err) => format!("the server is stopping: {err}"),
    };
    hub.shutdown(&reason).await;
    server.stop(hub::FINAL_GRACE).await;
    Ok(ended?.exit())
}

/// Open the journal's reader for the durable channels (from now) on the session's server.
async fn start_journal(
    session: &Session,
    channels: &[String],
    names: &crate::journal::Names,
    verbose: bool,
) -> Result<hub::Durable> {
    let plan = crate::journal::Plan {
        names: names.clone(),
        channels: channels.to_vec(),
        consumer: None,
        since: None,
    };
    let (told, told_rx) = tokio::sync::mpsc::channel(16);
    let (journal, floor) = durable::Journal::start(&session.settings, plan, told).await?;
    if verbose {
        note(format!(
            "durable channels {} read from the journal after position {floor}",
            channels.join(" ")
        ));
    }
    Ok(hub::Durable {
        journal,
        told: told_rx,
        channels: channels.to_vec(),
        floor,
    })
}
