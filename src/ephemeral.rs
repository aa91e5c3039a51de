//! A throwaway PostgreSQL server: found on this machine, created in a temporary directory,
//! reachable over a private Unix socket and a free loopback port, and removed with all its
//! data when dropped. It serves `demo`, `bench --ephemeral`, `sandbox` and the test suite.
//!
//! The server refuses to run as root, so under root it runs as the `postgres` OS user. It is a
//! direct child in its own process group (Ctrl-C in the terminal reaches pgpubsub only, which
//! then stops it) and is told to quit if pgpubsub dies without cleaning up.

use crate::connect::ConnSettings;
use crate::unix_user::{self, User};
use anyhow::{anyhow, bail, Context, Result};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Row};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The superuser and database of every throwaway server.
const SUPERUSER: &str = "postgres";
/// How long a fresh server may take to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a stopping server may take before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A certificate and key to serve TLS with.
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// What kind of throwaway server to start.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Serve TLS on the TCP port (`ssl=on`) with these files.
    pub tls: Option<Tls>,
    /// Listen on this TCP port instead of a free one (e.g. to stand in for a restarted server).
    pub port: Option<u16>,
    /// Run the server binaries in this directory instead of the ones found on this machine.
    pub bin_dir: Option<BinDir>,
    /// Server settings given on its command line (`postgres -c NAME=VALUE`), after pgpubsub's
    /// own, so they win.
    pub settings: Vec<(String, String)>,
}

/// A directory of PostgreSQL server binaries named by the user, and what named it (for errors).
#[derive(Debug, Clone)]
pub struct BinDir {
    pub path: PathBuf,
    /// Named by [`BIN_DIR_ENV`] rather than by `--bin-dir`.
    pub from_env: bool,
}

impl BinDir {
    /// What named the directory, as the user wrote it.
    pub fn source(&self) -> &'static str {
        match self.from_env {
            true => BIN_DIR_ENV,
            false => "--bin-dir",
        }
    }
}

/// The environment variable that names the server binaries of every throwaway server (sandbox,
/// demo, `bench --ephemeral`, the test suite) when `--bin-dir` does not.
pub const BIN_DIR_ENV: &str = "PGPUBSUB_BIN_DIR";

/// A running throwaway server. Dropping it stops the server and deletes its directory.
pub struct Server {
    // Field order is drop order: the process must be gone before its directory is removed.
    process: ServerProcess,
    dir: TempDir,
    port: u16,
    version: String,
}

impl Server {
    /// Create, start and wait for a new server. On any failure (or if the future is dropped,
    /// e.g. on Ctrl-C) everything created so far is removed.
    pub async fn start(config: &Config) -> Result<Server> {
        let bindir = match &config.bin_dir {
            Some(named) => check_bindir(named)?,
            None => find_bindir()?,
        };
        let owner = server_owner()?;
        let dir = tempfile::Builder::new()
            .prefix("pgpubsub-")
            .tempdir()
            .context("cannot create a temporary directory for the throwaway server")?;
        if let Some(user) = &owner {
            std::os::unix::fs::chown(dir.path(), Some(user.uid), Some(user.gid))
                .context("cannot hand the temporary directory to the postgres user")?;
        }
        let data = dir.path().join("data");
        initdb(&bindir, &data, owner.as_ref()).await?;
        configure(&data, config, owner.as_ref())?;

        // A free port can be taken by someone else between our probe and the server's bind:
        // try a few, and tell a bind failure from any other.
        let mut last_error = None;
        let attempts = if config.port.is_some() { 1 } else { 5 };
        for _ in 0..attempts {
            let port = match config.port {
                Some(port) => port,
                None => free_port()?,
            };
            let process = ServerProcess::spawn(&bindir, dir.path(), port, config, owner.as_ref())?;
            match wait_ready(process, dir.path(), port).await {
                Ok((process, version)) => {
                    return Ok(Server {
                        process,
                        dir,
                        port,
                        version,
                    })
                }
                Err(StartError::PortTaken(err)) => last_error = Some(err),
                Err(StartError::Failed(err)) => return Err(err),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow!("no free port")))
    }

    /// A URL any client (psql, pgpubsub, sqlx) can use: TCP on 127.0.0.1, as the superuser.
    pub fn url(&self) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{SUPERUSER}", self.port)
    }

    /// Connection settings for pgpubsub itself (TCP, as the superuser).
    pub fn settings(&self) -> ConnSettings {
        let options = PgConnectOptions::new_without_pgpass()
            .host("127.0.0.1")
            .port(self.port)
            .username(SUPERUSER)
            .database(SUPERUSER)
            .application_name("pgpubsub");
        ConnSettings::for_options(options, format!("127.0.0.1:{}", self.port))
    }

    /// The temporary directory holding the data directory, socket and log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's version, e.g. "15.18".
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Whether the server has exited by itself (crashed, or killed by someone else).
    pub fn exited(&mut self) -> bool {
        matches!(self.process.try_wait(), Ok(Some(_)))
    }

    /// Stop the server and remove its directory (if someone has not already), reporting
    /// anything that went wrong.
    pub fn stop(self) -> Result<()> {
        let Server { process, dir, .. } = self;
        process.stop()?;
        let path = dir.path().to_path_buf();
        match dir.close() {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            closed => closed.with_context(|| format!("cannot remove {}", path.display())),
        }
    }
}

/// The postmaster process. Dropping it stops it (fast shutdown, then kill).
struct ServerProcess {
    child: Option<Child>,
}

impl ServerProcess {
    fn spawn(
        bindir: &Path,
        dir: &Path,
        port: u16,
        config: &Config,
        owner: Option<&User>,
    ) -> Result<Self> {
        let log = std::fs::File::create(dir.join("postgres.log"))
            .context("cannot create the server log")?;
        let mut cmd = std::process::Command::new(bindir.join("postgres"));
        cmd.arg("-D")
            .arg(dir.join("data"))
            .arg("-k")
            .arg(dir)
            .args(["-p", &port.to_string(), "-h", "127.0.0.1"])
            .args(
                config
                    .settings
                    .iter()
                    .flat_map(|(name, value)| ["-c".to_string(), format!("{name}={value}")]),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0);
        if let Some(user) = owner {
            cmd.uid(user.uid).gid(user.gid);
        }
        // SAFETY: prctl is async-signal-safe; it runs in the child between fork and exec.
        // PDEATHSIG fires when the spawning thread ends; pgpubsub spawns from the runtime's
        // long-lived threads, so in practice that is when pgpubsub itself dies.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .map_err(|err| cannot_run(&bindir.join("postgres"), owner, err))?;
        Ok(ServerProcess { child: Some(child) })
    }

    fn try_wait(&mut self) -> Result<Option<std::process::ExitStatus>> {
        match &mut self.child {
            Some(child) => Ok(child.try_wait()?),
            None => Ok(None),
        }
    }

    /// Ask for a fast shutdown (SIGINT), wait, and kill if it takes too long.
    fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        // SAFETY: kill with a valid pid of our own child.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        child.kill()?;
        child.wait()?;
        bail!("the throwaway server did not stop within {STOP_TIMEOUT:?} and was killed")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// Why a start attempt failed: a lost race for the port is worth retrying, the rest is not.
enum StartError {
    PortTaken(anyhow::Error),
    Failed(anyhow::Error),
}

/// Poll until the server accepts a connection on its socket (a condition, not a fixed sleep),
/// or until it exits, in which case its log says why.
async fn wait_ready(
    mut process: ServerProcess,
    dir: &Path,
    port: u16,
) -> Result<(ServerProcess, String), StartError> {
    let options = PgConnectOptions::new_without_pgpass()
        .socket(dir)
        .port(port)
        .username(SUPERUSER)
        .database(SUPERUSER);
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Some(status) = process.try_wait().map_err(StartError::Failed)? {
            let log = log_tail(dir);
            let err = anyhow!("the throwaway server exited ({status}) while starting: {log}");
            return Err(
                if log.contains("could not bind") || log.contains("already in use") {
                    StartError::PortTaken(err)
                } else {
                    StartError::Failed(err)
                },
            );
        }
        if let Ok(mut conn) = PgConnection::connect_with(&options).await {
            let version = server_version(&mut conn)
                .await
                .map_err(StartError::Failed)?;
            let _ = conn.close().await;
            return Ok((process, version));
        }
        if Instant::now() > deadline {
            return Err(StartError::Failed(anyhow!(
                "the throwaway server did not accept connections within {READY_TIMEOUT:?}: {}",
                log_tail(dir)
            )));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn server_version(conn: &mut PgConnection) -> Result<String> {
    let row = sqlx::query("SHOW server_version").fetch_one(conn).await?;
    Ok(row.try_get::<String, _>(0)?)
}

/// The last lines of the server log, joined into one line for an error message.
fn log_tail(dir: &Path) -> String {
    let log = std::fs::read_to_string(dir.join("postgres.log")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..].join(" / ")
}

async fn initdb(bindir: &Path, data: &Path, owner: Option<&User>) -> Result<()> {
    let mut cmd = tokio::process::Command::new(bindir.join("initdb"));
    cmd.arg("-D")
        .arg(data)
        .args([
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ])
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if let Some(user) = owner {
        cmd.uid(user.uid).gid(user.gid);
    }
    let out = cmd
        .output()
        .await
        .map_err(|err| cannot_run(&bindir.join("initdb"), owner, err))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        bail!(
            "initdb failed ({}): {}",
            out.status,
            stderr.trim().replace('\n', " / ")
        );
    }
    Ok(())
}

/// Why a server binary did not start, with the usual cause under root spelled out.
fn cannot_run(binary: &Path, owner: Option<&User>, err: std::io::Error) -> anyhow::Error {
    let mut text = format!("cannot run {}: {err}", binary.display());
    if owner.is_some() && err.kind() == std::io::ErrorKind::PermissionDenied {
        text.push_str(
            "; the server runs as the postgres OS user, which must be able to read and run it: \
             every directory above it has to be open to others (chmod o+rx)",
        );
    }
    anyhow!(text)
}

/// Authentication and server settings. The superuser, and anyone on the private socket, is
/// trusted; other roles (made by tests or users with a password) must use it over TCP, so that
/// password handling can be tried for real. The superuser may also replicate, so that a
/// streaming standby can be made of it (`pg_basebackup -R`, as the failover tests and
/// benchmark do). Durability is off: nothing here is worth an fsync.
fn configure(data: &Path, config: &Config, owner: Option<&User>) -> Result<()> {
    let hba = "\
local all all trust
local replication postgres trust
host replication postgres 127.0.0.1/32 trust
host all postgres 127.0.0.1/32 trust
host all postgres ::1/128 trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
";
    std::fs::write(data.join("pg_hba.conf"), hba).context("cannot write pg_hba.conf")?;
    let mut conf = String::from(
        "\n# pgpubsub throwaway server\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n\
         max_connections = 200\nlisten_addresses = '127.0.0.1'\n",
    );
    if let Some(tls) = &config.tls {
        for (from, name, mode) in [
            (&tls.cert, "server.crt", 0o644),
            (&tls.key, "server.key", 0o600),
        ] {
            let to = data.join(name);
            std::fs::copy(from, &to).with_context(|| format!("cannot read {}", from.display()))?;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode))?;
            if let Some(user) = owner {
                std::os::unix::fs::chown(&to, Some(user.uid), Some(user.gid))?;
            }
        }
        conf.push_str("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
    }
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("postgresql.conf"))?;
    std::io::Write::write_all(&mut file, conf.as_bytes())?;
    Ok(())
}

/// Under root, the OS user to run the server as; otherwise the current user runs it.
fn server_owner() -> Result<Option<User>> {
    if !unix_user::is_root() {
        return Ok(None);
    }
    unix_user::by_name("postgres").map(Some).ok_or_else(|| {
        anyhow!(
            "PostgreSQL refuses to run as root and there is no 'postgres' OS user to run it as: \
             create one (useradd --system postgres) or run pgpubsub as a regular user"
        )
    })
}

/// The binaries the user named: the directory must hold `initdb` and `postgres`.
fn check_bindir(named: &BinDir) -> Result<PathBuf> {
    let (path, source) = (&named.path, named.source());
    if !path.is_dir() {
        bail!(
            "{source} {}: no such directory; give the bin directory of a PostgreSQL \
             installation (the one holding initdb and postgres, e.g. /usr/lib/postgresql/17/bin)",
            path.display()
        );
    }
    let missing: Vec<&str> = ["initdb", "postgres"]
        .into_iter()
        .filter(|name| !path.join(name).is_file())
        .collect();
    if !missing.is_empty() {
        bail!(
            "{source} {}: no PostgreSQL server binaries there ({} missing); give the bin \
             directory of a PostgreSQL installation (the one holding initdb and postgres, e.g. \
             /usr/lib/postgresql/17/bin)",
            path.display(),
            missing.join(" and ")
        );
    }
    Ok(path.clone())
}

/// Where `initdb` and `postgres` live: PATH, then `pg_config --bindir`, then the newest
/// `/usr/lib/postgresql/*/bin` (Debian and Ubuntu keep them off PATH).
fn find_bindir() -> Result<PathBuf> {
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let candidates = path_dirs
        .into_iter()
        .chain(pg_config_bindir())
        .chain(debian_bindirs());
    for dir in candidates {
        if dir.join("initdb").is_file() && dir.join("postgres").is_file() {
            return Ok(dir);
        }
    }
    bail!(
        "PostgreSQL server binaries (initdb, postgres) not found on PATH, via pg_config or in \
         /usr/lib/postgresql/*/bin: install the PostgreSQL server (Debian/Ubuntu: apt-get install \
         postgresql; Fedora: dnf install postgresql-server; macOS: brew install postgresql) or add \
         its bin directory to PATH"
    )
}

fn pg_config_bindir() -> Option<PathBuf> {
    let out = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn debian_bindirs() -> Vec<PathBuf> {
    let mut versions: Vec<(f64, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<f64>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.total_cmp(&a.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

/// A loopback port nobody listens on right now.
fn free_port() -> Result<u16> {
    let probe =
        std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free TCP port")?;
    Ok(probe.local_addr()?.port())
}
