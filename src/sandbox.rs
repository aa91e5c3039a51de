//! `pgpubsub sandbox`: a throwaway server kept alive until Ctrl-C/SIGTERM, so that a newcomer
//! can try `listen` and `notify` in two terminals with nothing but PostgreSQL's binaries.
//! Stdout gets only the `export DATABASE_URL=...` line (easy to capture); the rest is on stderr.
//! With `--detach` the same code runs in a background supervisor (see `detach`).

mod detach;

use crate::app::Context;
use crate::connect::ConnSettings;
use crate::ephemeral::{Config, Server};
use crate::error::{note, stdout_error, Error, Exit, Result};
use crate::signals::Signals;
use sqlx::postgres::PgConnection;
use std::ffi::OsString;
use std::io::Write;
use std::time::Duration;
use tokio::time::Instant;

/// What `sandbox` is asked to do, settled from the flags by `app`.
pub struct Settings {
    /// The server to start.
    pub config: Config,
    /// Stop by itself after this long with no client connected.
    pub idle_stop: Option<Duration>,
    pub mode: Mode,
}

/// How the sandbox runs.
pub enum Mode {
    /// In the foreground until a stop signal.
    Foreground,
    /// `--detach`: start a supervisor in the background, print its export line, return.
    Detach,
    /// Internal: be the supervisor of a detached sandbox.
    Supervise,
    /// `--stop [URL|DIR]`: stop a detached sandbox (default: DATABASE_URL's).
    Stop(Option<String>),
}

/// Start the server, announce it, watch it until it should stop, remove it.
pub async fn run(settings: &Settings, ctx: &mut Context) -> Result<Exit> {
    match &settings.mode {
        Mode::Stop(target) => return detach::stop(target.as_deref()).await,
        Mode::Detach => return detach::spawn(&supervisor_args(settings)?, &mut ctx.stdout()),
        Mode::Foreground | Mode::Supervise => {}
    }
    let mut server = ctx.throwaway(&settings.config).await?;
    let announced = announce(&server, settings, &mut ctx.stdout());
    let stop = match announced {
        Ok(()) => watch(&mut server, settings.idle_stop, &mut ctx.signals).await,
        Err(err) => Err(err),
    };
    Context::remove(server)?;
    stop
}

/// The flags a detached sandbox's supervisor needs, with paths made absolute (it runs in /).
fn supervisor_args(settings: &Settings) -> Result<Vec<OsString>> {
    let mut out: Vec<OsString> = Vec::new();
    if let Some(port) = settings.config.port {
        out.extend(["--port".into(), port.to_string().into()]);
    }
    if let Some(tls) = &settings.config.tls {
        for (flag, path) in [("--ssl-cert", &tls.cert), ("--ssl-key", &tls.key)] {
            out.extend([
                flag.into(),
                std::path::absolute(path)
                    .map_err(anyhow::Error::from)?
                    .into_os_string(),
            ]);
        }
    }
    for (name, value) in &settings.config.settings {
        out.extend(["--set".into(), format!("{name}={value}").into()]);
    }
    // A directory PGPUBSUB_BIN_DIR names reaches the supervisor in its environment.
    if let Some(bin_dir) = settings.config.bin_dir.as_ref().filter(|b| !b.from_env) {
        out.extend([
            "--bin-dir".into(),
            std::path::absolute(&bin_dir.path)
                .map_err(anyhow::Error::from)?
                .into_os_string(),
        ]);
    }
    if let Some(idle) = settings.idle_stop {
        out.extend([
            "--idle-stop".into(),
            humantime::format_duration(idle).to_string().into(),
        ]);
    }
    Ok(out)
}

fn announce(server: &Server, settings: &Settings, out: &mut impl Write) -> Result<()> {
    let supervise = matches!(settings.mode, Mode::Supervise);
    if supervise {
        detach::write_pid(server.dir())?;
    }
    writeln!(out, "export DATABASE_URL={}", server.url())
        .and_then(|()| out.flush())
        .map_err(stdout_error)?;
    note(format!("connect with: psql {}", server.url()));
    if let Some(idle) = settings.idle_stop {
        note(format!(
            "it stops by itself after {} with no client connected",
            humantime::format_duration(idle)
        ));
    }
    if supervise {
        note(format!(
            "running in the background; stop it with: pgpubsub sandbox --stop {}",
            server.url()
        ));
        detach::release_stdio()?;
    } else {
        note("stop it with Ctrl-C: the server and all its data are then removed");
    }
    Ok(())
}

/// How often the server is looked at: its process, its directory, its clients.
const TICK: Duration = Duration::from_millis(100);

/// Wait until the server should stop: a stop signal; --idle-stop with no client for that
/// long; its data directory removed (a sandbox never outlives its files); or the server
/// gone by itself.
async fn watch(
    server: &mut Server,
    idle_stop: Option<Duration>,
    signals: &mut Signals,
) -> Result<Exit> {
    let mut idle = idle_stop.map(|limit| Idle::new(server.settings(), limit));
    loop {
        tokio::select! {
            signal = signals.recv() => return Err(Error::Stopped(signal)),
            () = tokio::time::sleep(TICK) => {}
        }
        if !server.dir().join("data").is_dir() {
            note("the data directory was removed; stopping the server");
            return Ok(Exit::Failure);
        }
        if server.exited() {
            note("the server exited by itself");
            return Ok(Exit::Failure);
        }
        if let Some(idle) = &mut idle {
            if idle.expired().await {
                note(format!(
                    "no client for {} (--idle-stop); stopping",
                    humantime::format_duration(idle.limit)
                ));
                return Ok(Exit::Success);
            }
        }
    }
}

/// `--idle-stop`: since when no client has been connected, seen from a connection of our own.
struct Idle {
    settings: ConnSettings,
    conn: Option<PgConnection>,
    limit: Duration,
    since: Instant,
}

impl Idle {
    fn new(settings: ConnSettings, limit: Duration) -> Self {
        Idle {
            settings: settings.with_application_name("pgpubsub sandbox"),
            conn: None,
            limit,
            since: Instant::now(),
        }
    }

    /// Whether no client has been connected for the whole limit. Unknown (our own connection
    /// failing) counts as not idle.
    async fn expired(&mut self) -> bool {
        match self.clients().await {
            Some(0) => self.since.elapsed() >= self.limit,
            _ => {
                self.since = Instant::now();
                false
            }
        }
    }

    /// Client sessions other than ours.
    async fn clients(&mut self) -> Option<i64> {
        if self.conn.is_none() {
            self.conn = self.settings.connect().await.ok();
        }
        let conn = self.conn.as_mut()?;
        let count = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
        )
        .fetch_one(conn)
        .await;
        if count.is_err() {
            self.conn = None;
        }
        count.ok()
    }
}
