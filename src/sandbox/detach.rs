//! `sandbox --detach` and `sandbox --stop`. A detached sandbox is pgpubsub itself, re-run as a
//! hidden supervisor in a session of its own (no terminal to lose, no Ctrl-C from the shell
//! that started it): it starts the server, hands the `export` line back through a pipe, lets go
//! of that pipe (so `eval "$(pgpubsub sandbox --detach)"` returns), and then watches the server
//! like a foreground sandbox does, until `--stop` sends it SIGTERM, `--idle-stop` fires, or its
//! directory disappears. Its pid is in its directory, where `--stop` finds it. A supervisor
//! killed outright (SIGKILL) takes its server with it but leaves the directory: `--stop DIR`
//! removes what is left.

use crate::connect::ConnSettings;
use crate::error::{note, usage, Exit, Result};
use anyhow::{anyhow, Context};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The hidden flag that makes `pgpubsub sandbox` the detached supervisor.
pub const SUPERVISE_FLAG: &str = "--supervise";
/// The supervisor's pid, in the sandbox's directory.
const PID_FILE: &str = "supervisor.pid";
/// How long `--stop` waits for the supervisor to stop the server and remove its files.
const STOP_LIMIT: Duration = Duration::from_secs(30);

/// Start the supervisor with `args` (the sandbox's own flags), relay what it says while the
/// server starts, and return once it has let go: exit 0 after the `export` line, else its
/// failure.
pub fn spawn(args: &[OsString], out: &mut impl Write) -> Result<Exit> {
    let exe = std::env::current_exe().context("cannot find the pgpubsub executable")?;
    let mut cmd = Command::new(exe);
    cmd.arg("sandbox")
        .arg(SUPERVISE_FLAG)
        .args(args)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setsid is async-signal-safe; it runs in the child between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().context("cannot start the sandbox supervisor")?;
    let stderr = child.stderr.take().expect("piped");
    let relay = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = BufReader::new(stderr).read_to_string(&mut text);
        let _ = std::io::stderr().write_all(text.as_bytes());
    });
    let mut export = String::new();
    let _ = BufReader::new(child.stdout.take().expect("piped")).read_line(&mut export);
    let _ = relay.join();
    if !export.starts_with("export ") {
        // The supervisor failed and has said why on the relayed stderr.
        child
            .wait()
            .context("cannot wait for the sandbox supervisor")?;
        return Ok(Exit::Failure);
    }
    out.write_all(export.as_bytes())
        .and_then(|()| out.flush())
        .map_err(crate::error::stdout_error)?;
    Ok(Exit::Success)
}

/// In the supervisor, once the server runs: record our pid where `--stop` looks.
pub fn write_pid(dir: &Path) -> Result<()> {
    std::fs::write(dir.join(PID_FILE), format!("{}\n", std::process::id()))
        .with_context(|| format!("cannot write {}", dir.join(PID_FILE).display()))?;
    Ok(())
}

/// In the supervisor, after the announcement: let go of the pipes to the starting process, so
/// that it (and a `$(...)` around it) can finish.
pub fn release_stdio() -> Result<()> {
    // SAFETY: plain fd calls on a path literal and the standard descriptors.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null < 0 {
            return Err(
                anyhow!("cannot open /dev/null: {}", std::io::Error::last_os_error()).into(),
            );
        }
        libc::dup2(null, libc::STDOUT_FILENO);
        libc::dup2(null, libc::STDERR_FILENO);
        libc::close(null);
    }
    Ok(())
}

/// `sandbox --stop [URL|DIR]`: find the detached sandbox, ask its supervisor to stop, and wait
/// until the server is gone and its directory removed; or, its supervisor gone, remove what it
/// left.
pub async fn stop(target: Option<&str>) -> Result<Exit> {
    let target = match target {
        Some(target) => target.to_string(),
        None => std::env::var("DATABASE_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .ok_or_else(|| {
                usage("--stop needs the URL or directory of the sandbox (or DATABASE_URL)")
            })?,
    };
    let dir = locate(&target).await?;
    let Some(pid) = supervisor(&dir)? else {
        return remove_orphan(&dir).await;
    };
    // SAFETY: kill with a pid just checked to be a pgpubsub sandbox supervisor.
    if unsafe { libc::kill(pid, libc::SIGTERM) } != 0 {
        return Err(anyhow!(
            "cannot signal the sandbox supervisor (pid {pid}): {}",
            std::io::Error::last_os_error()
        )
        .into());
    }
    let deadline = Instant::now() + STOP_LIMIT;
    while dir.exists() || running(pid) {
        if !running(pid) {
            // Gone without removing its directory: killed outright (SIGKILL) while we looked,
            // which a loaded machine may deliver after the check above.
            return remove_orphan(&dir).await;
        }
        if Instant::now() > deadline {
            return Err(anyhow!(
                "the sandbox supervisor (pid {pid}) did not stop within {}",
                humantime::format_duration(STOP_LIMIT)
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    note(format!("sandbox stopped; {} removed", dir.display()));
    Ok(Exit::Success)
}

/// The sandbox directory named by `target`: the directory itself or its `data` directory, or
/// a URL of the server, which is asked for its data directory.
async fn locate(target: &str) -> Result<PathBuf> {
    let path = Path::new(target);
    if path.is_dir() {
        return [path, path.parent().unwrap_or(path)]
            .into_iter()
            .find(|dir| dir.join(PID_FILE).is_file())
            .map(Path::to_path_buf)
            .ok_or_else(|| {
                usage(format!(
                    "{target} is not the directory of a detached sandbox"
                ))
            });
    }
    if !target.contains("://") && !target.contains('=') {
        // Not a URL or conninfo string: a directory, and there is none.
        return Err(usage(format!(
            "{target}: no such directory (give the directory or the URL that the sandbox \
             printed)"
        )));
    }
    let settings = ConnSettings::for_target(target)?;
    let mut conn = settings.connect().await.map_err(anyhow::Error::from)?;
    let data: String = sqlx::query_scalar("SELECT current_setting('data_directory')")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| anyhow!(settings.explain(&e)))?;
    let dir = Path::new(&data).parent().unwrap_or(Path::new("/"));
    if !dir.join(PID_FILE).is_file() {
        return Err(usage(format!(
            "the server at {target} is not a detached pgpubsub sandbox (no {PID_FILE} next to \
             its data directory {data})"
        )));
    }
    Ok(dir.to_path_buf())
}

/// The supervisor's pid from `dir`, if it is a running pgpubsub sandbox supervisor (a pid file
/// can outlive its process, and pids are reused).
fn supervisor(dir: &Path) -> Result<Option<i32>> {
    let file = dir.join(PID_FILE);
    let pid: i32 = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .trim()
        .parse()
        .map_err(|_| anyhow!("{} does not hold a pid", file.display()))?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let is_supervisor = cmdline
        .split(|&b| b == 0)
        .any(|arg| arg == SUPERVISE_FLAG.as_bytes());
    Ok((is_supervisor && running(pid)).then_some(pid))
}

/// A sandbox whose supervisor is gone (SIGKILL leaves it no time to clean up): its server got
/// SIGQUIT when the supervisor died, so wait until that has ended it, then remove the directory.
async fn remove_orphan(dir: &Path) -> Result<Exit> {
    let deadline = Instant::now() + STOP_LIMIT;
    while let Some(pid) = postmaster(dir) {
        if Instant::now() > deadline {
            return Err(anyhow!(
                "the sandbox supervisor is gone but its server (pid {pid}) still runs; stop it \
                 with: pg_ctl stop -D {}",
                dir.join("data").display()
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    match std::fs::remove_dir_all(dir) {
        // The supervisor removed it on its way out, between our two looks (its directory
        // goes first, then the process): stopped as asked.
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            note(format!("sandbox stopped; {} removed", dir.display()));
            return Ok(Exit::Success);
        }
        removed => removed.with_context(|| format!("cannot remove {}", dir.display()))?,
    }
    note(format!(
        "the sandbox supervisor was no longer running; {} removed",
        dir.display()
    ));
    Ok(Exit::Success)
}

/// The pid of the sandbox's server, if it still runs: the postmaster named in its pid file, if
/// that pid is a running postgres. Erring on the safe side: a reused pid that is another postgres
/// only makes `--stop` wait and then refuse, never remove a running server's files.
fn postmaster(dir: &Path) -> Option<i32> {
    let pid: i32 = std::fs::read_to_string(dir.join("data/postmaster.pid"))
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let is_postgres = cmdline.windows(b"postgres".len()).any(|w| w == b"postgres");
    (is_postgres && running(pid)).then_some(pid)
}

/// Whether `pid` runs (a zombie, exited and waiting for its new parent to reap it, does not).
fn running(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesized command name, which may itself hold ") ".
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}
