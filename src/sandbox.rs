//! `pgpubsub sandbox`: a throwaway server kept alive until Ctrl-C/SIGTERM, so that a newcomer
//! can try `listen` and `notify` in two terminals with nothing but PostgreSQL's binaries.
//! Stdout gets only the `export DATABASE_URL=...` line (easy to capture); the rest is on stderr.
//! With `--detach` the same code runs in a background supervisor (see `detach`).

mod detach;

use crate::cli::SandboxArgs;
use crate::connect::ConnSettings;
use crate::ephemeral::{Config, Server, Tls};
use crate::error::{note, stdout_error, Exit, Result};
use crate::signals::Signals;
use sqlx::postgres::PgConnection;
use std::ffi::OsString;
use std::io::Write;
use std::time::Duration;
use tokio::time::Instant;

/// Start the server, announce it, watch it until it should stop, remove it.
pub async fn run(args: &SandboxArgs, signals: &mut Signals, out: &mut impl Write) -> Result<Exit> {
    if let Some(target) = &args.stop {
        return detach::stop(target.as_deref()).await;
    }
    if args.detach {
        return detach::spawn(&supervisor_args(args)?, out);
    }
    let tls = match (&args.ssl_cert, &args.ssl_key) {
        (Some(cert), Some(key)) => Some(Tls {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    let config = Config {
        tls,
        port: args.port,
    };
    let mut server = match signals.guard(Server::start(&config)).await {
        Ok(started) => started?,
        Err(signal) => return Ok(signal.exit()),
    };
    let announced = announce(&server, args, out);
    let stop = match announced {
        Ok(()) => Ok(watch(&mut server, args.idle_stop, signals).await),
        Err(err) => Err(err),
    };
    let dir = server.dir().display().to_string();
    server.stop()?;
    note(format!("throwaway server stopped; {dir} removed"));
    stop
}

/// The flags a detached sandbox's supervisor needs, with paths made absolute (it runs in /).
fn supervisor_args(args: &SandboxArgs) -> Result<Vec<OsString>> {
    let mut out: Vec<OsString> = Vec::new();
    if let Some(port) = args.port {
        out.extend(["--port".into(), port.to_string().into()]);
    }
    for (flag, path) in [("--ssl-cert", &args.ssl_cert), ("--ssl-key", &args.ssl_key)] {
        if let Some(path) = path {
            out.extend([
                flag.into(),
                std::path::absolute(path)
                    .map_err(anyhow::Error::from)?
                    .into_os_string(),
            ]);
        }
    }
    if let Some(idle) = args.idle_stop {
        out.extend([
            "--idle-stop".into(),
            humantime::format_duration(idle).to_string().into(),
        ]);
    }
    Ok(out)
}

fn announce(server: &Server, args: &SandboxArgs, out: &mut impl Write) -> Result<()> {
    if args.supervise {
        detach::write_pid(server.dir())?;
    }
    writeln!(out, "export DATABASE_URL={}", server.url())
        .and_then(|()| out.flush())
        .map_err(stdout_error)?;
    note(format!(
        "throwaway PostgreSQL {} on 127.0.0.1:{} (data, socket and log in {})",
        server.version(),
        server.port(),
        server.dir().display()
    ));
    note(format!("connect with: psql {}", server.url()));
    if let Some(idle) = args.idle_stop {
        note(format!(
            "it stops by itself after {} with no client connected",
            humantime::format_duration(idle)
        ));
    }
    if args.supervise {
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
async fn watch(server: &mut Server, idle_stop: Option<Duration>, signals: &mut Signals) -> Exit {
    let mut idle = idle_stop.map(|limit| Idle::new(server.settings(), limit));
    loop {
        tokio::select! {
            signal = signals.recv() => return signal.exit(),
            () = tokio::time::sleep(TICK) => {}
        }
        if !server.dir().join("data").is_dir() {
            note("the data directory was removed; stopping the server");
            return Exit::Failure;
        }
        if server.exited() {
            note("the server exited by itself");
            return Exit::Failure;
        }
        if let Some(idle) = &mut idle {
            if idle.expired().await {
                note(format!(
                    "no client for {} (--idle-stop); stopping",
                    humantime::format_duration(idle.limit)
                ));
                return Exit::Success;
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
