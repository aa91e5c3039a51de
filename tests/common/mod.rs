//! The test harness: one real PostgreSQL server per test binary, and commands with a clean
//! environment.
//!
//! The server is `PGPUBSUB_TEST_DATABASE_URL` when set; otherwise the harness runs the real
//! `pgpubsub sandbox` (dogfooding it) and stops it with SIGTERM when the test binary exits, so
//! the sandbox removes its server and directory. Tests never inherit PG*, DATABASE_URL or
//! NO_COLOR from the developer's shell, and every test uses its own channel names.
//!
//! `PGPUBSUB_BIN_DIR` names the PostgreSQL server binaries every test server runs (read here
//! only, and handed to every command the harness builds: the shared sandbox, the sandboxes,
//! standbys and throwaway servers of single tests); unset, the ones on this machine. A failing
//! test says which PostgreSQL release it ran against.
#![allow(dead_code)] // each test binary uses a different part of the harness

use std::io::BufRead;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a test waits for a condition or a line before it fails (a bound for a loaded
/// machine, never a pace: waits end as soon as what they wait for happens).
pub const WAIT_LIMIT: Duration = Duration::from_secs(60);

/// Poll `condition` until it holds (server-side states have no event to wait on); fail the
/// test naming `what` after [`WAIT_LIMIT`].
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT_LIMIT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The next line of `lines` that contains `needle` (earlier lines are dropped); fail the test
/// after [`WAIT_LIMIT`].
pub fn line_with(lines: &Receiver<String>, needle: &str) -> String {
    let deadline = Instant::now() + WAIT_LIMIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return line,
            Ok(_) => continue,
            Err(_) => panic!("no line with {needle:?} within {WAIT_LIMIT:?}"),
        }
    }
}

/// Run `cmd` to success, failing the test with its stderr otherwise; returns its stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The pgpubsub binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_pgpubsub");

static SANDBOX_PIDS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// The shared test server: `PGPUBSUB_TEST_DATABASE_URL`, else a sandbox started on first use.
enum Shared {
    External(String),
    Sandbox(Sandbox),
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| match std::env::var("PGPUBSUB_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Shared::External(url),
        _ => Shared::Sandbox(start_sandbox(&[])),
    })
}

/// The URL of the shared test server.
pub fn url() -> &'static str {
    match shared() {
        Shared::External(url) => url,
        Shared::Sandbox(sandbox) => &sandbox.url,
    }
}

/// The shared server's URL with another database.
pub fn url_with_db(db: &str) -> String {
    let mut url = url::Url::parse(url()).unwrap();
    url.set_path(db);
    url.to_string()
}

/// A loopback TCP port nothing listens on (free a moment ago).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether the tests run as root, where PostgreSQL and PgBouncer must run as `postgres`.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The shared sandbox, when the tests run on one (tests of Unix sockets need its directory).
pub fn shared_sandbox() -> Option<&'static Sandbox> {
    match shared() {
        Shared::External(_) => None,
        Shared::Sandbox(sandbox) => Some(sandbox),
    }
}

/// The TCP port of a `postgres://...:PORT/...` URL.
pub fn port_of(url: &str) -> u16 {
    url::Url::parse(url).unwrap().port().unwrap_or(5432)
}

/// The host of a `postgres://...` URL.
pub fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .host_str()
        .unwrap()
        .to_string()
}

/// A `pgpubsub sandbox` run by a test: its URL, directory and process.
pub struct Sandbox {
    pub url: String,
    pub dir: PathBuf,
    pub pid: i32,
}

/// Start `pgpubsub sandbox` with `args` and wait for its export line. The process gets
/// SIGTERM when this test binary exits (or dies), so it always cleans up after itself.
pub fn start_sandbox(args: &[&str]) -> Sandbox {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let (tx, rx) = std::sync::mpsc::channel();
    // The parent-death signal follows the spawning thread, so spawn from a thread that lives
    // as long as the test binary.
    std::thread::spawn(move || {
        let mut cmd = clean(Command::new(BIN));
        cmd.arg("sandbox")
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: prctl is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("cannot run pgpubsub sandbox");
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let Some(url) = line.trim().strip_prefix("export DATABASE_URL=") else {
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut err);
            panic!("pgpubsub sandbox did not start: {err}");
        };
        let mut note = String::new();
        stderr.read_line(&mut note).unwrap();
        let dir = note
            .split("log in ")
            .nth(1)
            .unwrap()
            .trim_end()
            .trim_end_matches(')');
        let pid = child.id() as i32;
        tx.send(Sandbox {
            url: url.to_string(),
            dir: dir.into(),
            pid,
        })
        .unwrap();
        // Keep draining stderr so the sandbox never blocks on it; then reap it.
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        let _ = child.wait();
    });
    let sandbox = rx.recv().expect("sandbox thread failed");
    register_for_exit(sandbox.pid);
    sandbox
}

/// Stop a sandbox (SIGTERM) and wait until it has removed its server, freeing its port; a
/// later `start_sandbox(&["--port", ...])` then stands in for a restarted server.
pub fn stop_sandbox(sandbox: &Sandbox) {
    // SAFETY: signalling a process we spawned.
    unsafe { libc::kill(sandbox.pid, libc::SIGTERM) };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    // The spawning thread reaps it, after which signal 0 fails.
    while unsafe { libc::kill(sandbox.pid, 0) } == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "sandbox {} did not stop",
            sandbox.pid
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// SIGTERM every sandbox still running when the test binary exits, and wait for it to clean up.
fn register_for_exit(pid: i32) {
    extern "C" fn stop_sandboxes() {
        let pids = std::mem::take(&mut *SANDBOX_PIDS.lock().unwrap_or_else(|e| e.into_inner()));
        for pid in pids {
            // SAFETY: plain syscalls on a pid we spawned; a pid already reaped just fails.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
                let mut status = 0;
                libc::waitpid(pid, &mut status, 0);
            }
        }
    }
    let mut pids = SANDBOX_PIDS.lock().unwrap();
    if pids.is_empty() {
        // SAFETY: registering a plain extern "C" function.
        unsafe { libc::atexit(stop_sandboxes) };
    }
    pids.push(pid);
}

/// A command with the environment emptied but for PATH, a private empty HOME and the server
/// binaries the tests run ([`BIN_DIR_ENV`]).
pub fn clean(mut cmd: Command) -> Command {
    name_the_release_on_failure();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", empty_home());
    if let Some(dir) = named_bin_dir() {
        cmd.env(BIN_DIR_ENV, dir);
    }
    cmd
}

/// The variable naming the PostgreSQL server binaries (initdb, postgres) the tests run: the
/// one pgpubsub's throwaway servers honour, so every server a test starts runs them.
pub const BIN_DIR_ENV: &str = "PGPUBSUB_BIN_DIR";

/// The directory [`BIN_DIR_ENV`] names, if any; the one place the harness reads it.
pub fn named_bin_dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        std::env::var_os(BIN_DIR_ENV)
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
    })
    .as_deref()
}

/// Make every failing test of this binary say which PostgreSQL release it ran against (the
/// same tests run against several), after its own panic message.
fn name_the_release_on_failure() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let release = match std::env::var("PGPUBSUB_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => "the server of PGPUBSUB_TEST_DATABASE_URL".to_string(),
            _ => server_release(),
        };
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            previous(info);
            eprintln!("(this test ran against {release})");
        }));
    });
}

/// `PostgreSQL 18.4 in DIR`: what the server binaries the tests run say of themselves.
fn server_release() -> String {
    let bindir = server_bindir();
    format!(
        "PostgreSQL {} in {}",
        binaries_version(&bindir),
        bindir.display()
    )
}

/// What `DIR/postgres --version` says the release is: `18.4`, `15.18 (Debian 15.18-0+deb12u1)`
/// (as `SHOW server_version` will).
pub fn binaries_version(bindir: &Path) -> String {
    let said = Command::new(bindir.join("postgres"))
        .arg("--version")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_default();
    said.split_once("(PostgreSQL) ")
        .map_or("(unknown release)", |(_, version)| version)
        .to_string()
}

fn empty_home() -> &'static Path {
    static HOME: OnceLock<tempfile::TempDir> = OnceLock::new();
    HOME.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// `pgpubsub ARGS...` with a clean environment and DATABASE_URL pointing at the test server.
pub fn pgpubsub() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::from_std(clean(Command::new(BIN)));
    cmd.env("DATABASE_URL", url());
    cmd
}

/// `pgpubsub ARGS...` with a clean environment and no connection settings at all.
pub fn pgpubsub_bare() -> assert_cmd::Command {
    assert_cmd::Command::from_std(clean(Command::new(BIN)))
}

/// A channel name no other test (or test run) uses.
pub fn channel(stem: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{stem}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// Run SQL with psql (a real, independent peer) against the test server; returns stdout.
pub fn psql(sql: &str) -> String {
    psql_at(url(), sql)
}

/// Run SQL with psql against `url`; panics with psql's stderr on failure.
pub fn psql_at(url: &str, sql: &str) -> String {
    run_ok(clean(Command::new("psql")).args([
        "-X",
        "-q",
        "-A",
        "-t",
        "-v",
        "ON_ERROR_STOP=1",
        "-d",
        url,
        "-c",
        sql,
    ]))
}

/// The `name<TAB>value` fields printed by `pgpubsub conninfo`.
pub fn conninfo_field(stdout: &[u8], name: &str) -> String {
    String::from_utf8_lossy(stdout)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}\t")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {name} in conninfo output"))
}

/// Whether process `pid` exists.
pub fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// The postmaster of the throwaway server whose directory is `dir`.
pub fn postmaster_pid(dir: &Path) -> i32 {
    std::fs::read_to_string(dir.join("data/postmaster.pid"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Assert that `postmaster` is gone, allowing the kernel a moment to reap it (it is the child
/// of the pgpubsub process that just exited).
pub fn assert_postmaster_gone(postmaster: i32) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while alive(postmaster) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(!alive(postmaster), "postgres {postmaster} still running");
}

/// Send `notes` (channel, payload) on `url` with sqlx, independently of pgpubsub, in one
/// transaction: in send order, and the callers' pairs are distinct, so none is folded.
pub fn send_notifications<C: AsRef<str>, P: AsRef<str>>(url: &str, notes: &[(C, P)]) {
    use sqlx::Connection;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        for (channel, payload) in notes {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(channel.as_ref())
                .bind(payload.as_ref())
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    })
}

/// PgBouncer in front of the shared server, stopped on drop. Pool modes are what LISTEN and
/// NOTIFY meet in production, so the tests use the real thing.
pub struct Pooler {
    pub url: String,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Drop for Pooler {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start PgBouncer with `pool_mode`, or `None` (with a note) where it is not installed; CI
/// installs it, and there its absence is a failure.
pub fn pooler(pool_mode: &str) -> Option<Pooler> {
    let Some(binary) = [
        "/usr/sbin/pgbouncer",
        "/usr/bin/pgbouncer",
        "/usr/local/bin/pgbouncer",
    ]
    .into_iter()
    .find(|p| Path::new(p).is_file()) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "pgbouncer is not installed"
        );
        // Past cargo's capture of test output (which takes eprintln!), so that it is seen.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"skipped: pgbouncer is not installed\n",
        );
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let readable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(dir.path(), readable).unwrap();
    let port = free_port();
    let users = dir.path().join("users.txt");
    std::fs::write(&users, "\"postgres\" \"\"\n").unwrap();
    let ini = dir.path().join("pgbouncer.ini");
    std::fs::write(
        &ini,
        format!(
            "[databases]\n* = host={} port={}\n[pgbouncer]\nlisten_addr = 127.0.0.1\n\
             listen_port = {port}\nauth_type = trust\nauth_file = {}\npool_mode = {pool_mode}\n\
             unix_socket_dir =\nignore_startup_parameters = extra_float_digits\n",
            host_of(url()),
            port_of(url()),
            users.display()
        ),
    )
    .unwrap();
    // PgBouncer refuses to run as root; the files above are world-readable.
    let mut cmd = as_server_owner(Command::new(binary));
    cmd.arg(&ini).stdout(Stdio::null()).stderr(Stdio::null());
    let child = cmd.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "pgbouncer did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut pooled = url::Url::parse(url()).unwrap();
    pooled.set_port(Some(port)).unwrap();
    Some(Pooler {
        url: pooled.to_string(),
        child,
        _dir: dir,
    })
}

/// A role that must authenticate with a password over TCP.
pub fn password_role() -> &'static (String, String) {
    static ROLE: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    ROLE.get_or_init(|| {
        let role = format!("pw_role_{}", std::process::id());
        let password = format!("Sekr1t-{}", std::process::id());
        psql(&format!("CREATE ROLE {role} LOGIN PASSWORD '{password}'"));
        (role, password)
    })
}

/// Terminate the backend(s) with this application_name; returns how many.
pub fn kill_backends(url: &str, app: &str) -> u32 {
    psql_at(
        url,
        &format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = '{app}'"
        ),
    )
    .trim()
    .parse()
    .unwrap()
}

/// Run `pgpubsub ARGS -d URL` through a transaction-mode PgBouncer (where LISTEN receives
/// nothing) and check that it is refused: exit 1 and one line on stderr naming the pooler.
/// Without pgbouncer, [`pooler`] says the check is skipped.
pub fn assert_refuses_a_transaction_mode_pooler(args: &[&str]) {
    let Some(pool) = pooler("transaction") else {
        return;
    };
    let out = pgpubsub_bare()
        .args(args)
        .args(["-d", &pool.url])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("transaction-mode pooler"), "{stderr}");
}

/// Freeze (SIGSTOP) the shared server's backend that listens for application `app`: a server
/// that stopped answering while its TCP connection stays open, which only a query can tell.
/// `meanwhile` runs while it is frozen (waiting for the client to notice); then, even if that
/// panics, the backend is continued.
pub fn with_listening_backend_frozen<T>(app: &str, meanwhile: impl FnOnce() -> T) -> T {
    let backend: i32 = psql(&format!(
        "SELECT pid FROM pg_stat_activity WHERE application_name = '{app}' AND query ILIKE '%listen%'"
    ))
    .trim()
    .parse()
    .unwrap();
    struct Thaw(i32);
    impl Drop for Thaw {
        fn drop(&mut self) {
            // SAFETY: the backend stopped below; continuing it has no preconditions.
            unsafe { libc::kill(self.0, libc::SIGCONT) };
        }
    }
    // SAFETY: the backend serves only the caller's client; `Thaw` continues it.
    unsafe { libc::kill(backend, libc::SIGSTOP) };
    let _thaw = Thaw(backend);
    meanwhile()
}

/// How a process ends when a stop signal killed it. pgpubsub cleans up after SIGINT/SIGTERM
/// and then ends by that same signal, so that a parent (a shell loop) sees the signal.
pub fn killed_by(signal: i32) -> std::process::ExitStatus {
    std::os::unix::process::ExitStatusExt::from_raw(signal)
}

/// How a process ends when it exits with `code`.
pub fn exited(code: i32) -> std::process::ExitStatus {
    std::os::unix::process::ExitStatusExt::from_raw(code << 8)
}

/// Start `cmd` with stdout and stderr piped, each read line by line by a thread.
pub fn spawn_with_lines(
    mut cmd: Command,
) -> (
    std::process::Child,
    std::sync::mpsc::Receiver<String>,
    std::sync::mpsc::Receiver<String>,
) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = lines(child.stdout.take().unwrap());
    let err = lines(child.stderr.take().unwrap());
    (child, out, err)
}

/// The lines of a pipe, read by a thread (for waiting on a child's output with a timeout).
pub fn lines(pipe: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The directory of the PostgreSQL server binaries the tests run: [`BIN_DIR_ENV`], else where
/// `pg_config` says, else the newest `/usr/lib/postgresql/*/bin`.
pub fn server_bindir() -> PathBuf {
    if let Some(dir) = named_bin_dir() {
        return dir.to_path_buf();
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        .filter(|dir| dir.join("postgres").is_file());
    from_pg_config.unwrap_or_else(|| {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .expect("no PostgreSQL server binaries")
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|dir| dir.join("postgres").is_file())
            .collect();
        dirs.sort();
        dirs.pop().expect("no PostgreSQL server binaries")
    })
}

/// The `postgres` OS user's uid and gid, which server processes run as under root.
fn postgres_ids() -> (u32, u32) {
    static IDS: OnceLock<(u32, u32)> = OnceLock::new();
    *IDS.get_or_init(|| {
        let id = |flag| {
            let out = Command::new("id")
                .args([flag, "postgres"])
                .output()
                .unwrap();
            String::from_utf8(out.stdout)
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        };
        (id("-u"), id("-g"))
    })
}

/// A command that runs as the `postgres` OS user when the tests run as root (PostgreSQL
/// refuses root).
fn as_server_owner(mut cmd: Command) -> Command {
    if is_root() {
        let (uid, gid) = postgres_ids();
        cmd.uid(uid).gid(gid);
    }
    cmd
}

/// The notification queue's size a server at `url` must report, by its version: on PostgreSQL
/// 17 and later `max_notify_queue_pages` (returned) × `block_size`; before, a fixed 2^20 pages
/// (no setting). The same test is then right on every release.
pub fn expected_queue_limit(url: &str) -> (Option<i64>, i64) {
    let number = |sql: &str| -> i64 { psql_at(url, sql).trim().parse().unwrap() };
    let block_size = number("SHOW block_size");
    if number("SHOW server_version_num") >= 170000 {
        let pages = number("SHOW max_notify_queue_pages");
        (Some(pages), pages * block_size)
    } else {
        (None, (1 << 20) * block_size)
    }
}

/// How `status` and `bench` describe the queue's size on the server at `url`:
/// `8 GB (max_notify_queue_pages 1048576)` on 17+, `8 GB (fixed before PostgreSQL 17)` before.
pub fn queue_described(url: &str) -> String {
    let (pages, bytes) = expected_queue_limit(url);
    let size = match bytes % (1 << 30) {
        0 => format!("{} GB", bytes >> 30),
        _ => format!("{} MB", bytes >> 20),
    };
    match pages {
        Some(pages) => format!("{size} (max_notify_queue_pages {pages})"),
        None => format!("{size} (fixed before PostgreSQL 17)"),
    }
}

/// Whether `url` answers a query.
pub fn answers(url: &str) -> bool {
    clean(Command::new("psql"))
        .args(["-X", "-q", "-A", "-t", "-d", url, "-c", "SELECT 1"])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Wait (up to 60 s) until `url` answers a query.
pub fn wait_until_answers(url: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !answers(url) {
        assert!(std::time::Instant::now() < deadline, "{url} never answered");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A streaming standby of a sandbox: a base backup started as a hot standby on a port of its
/// own, root-safe like the sandbox (the server runs as `postgres` under root). Dropping it
/// stops the server and removes its directory.
pub struct Standby {
    pub url: String,
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: std::process::Child,
}

impl Drop for Standby {
    fn drop(&mut self) {
        // SAFETY: signalling our own child: a fast shutdown, then reap it.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let _ = self.child.wait();
    }
}

/// Make and start a standby of the server on `primary_port` with its socket in `socket_dir`
/// (a sandbox or a standby made of one: their hba lets the superuser replicate over the
/// socket), on `port` or a free one, and wait until it answers queries.
pub fn start_standby(socket_dir: &Path, primary_port: u16, port: Option<u16>) -> Standby {
    let bindir = server_bindir();
    let dir = tempfile::tempdir().unwrap();
    if is_root() {
        let (uid, gid) = postgres_ids();
        std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
    }
    let data = dir.path().join("data");
    base_backup(socket_dir, primary_port, &data);
    let port = port.unwrap_or_else(free_port);
    let log = std::fs::File::create(dir.path().join("postgres.log")).unwrap();
    let mut cmd = as_server_owner(Command::new(bindir.join("postgres")));
    cmd.arg("-D")
        .arg(&data)
        .arg("-k")
        .arg(dir.path())
        .args(["-p", &port.to_string(), "-h", "127.0.0.1"])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .process_group(0);
    // SAFETY: prctl is async-signal-safe. The server quits if the test binary dies.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT);
            Ok(())
        });
    }
    let child = cmd.spawn().expect("cannot start the standby");
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    wait_until_answers(&url);
    Standby {
        url,
        port,
        dir,
        child,
    }
}

/// What a base backup leaves out of a running server's data directory (as pg_basebackup does):
/// the running server's own files, and directories whose contents are rebuilt at start or
/// copied separately (the WAL), which are created empty.
const NOT_BACKED_UP: &[&str] = &[
    "postmaster.pid",
    "postmaster.opts",
    "standby.signal",
    "recovery.signal",
    "backup_label",
    "tablespace_map",
];
const BACKED_UP_EMPTY: &[&str] = &[
    "pg_wal",
    "pg_replslot",
    "pg_dynshmem",
    "pg_notify",
    "pg_serial",
    "pg_snapshots",
    "pg_stat_tmp",
    "pg_subtrans",
];

/// A base backup of the running server on `port` (socket in `socket_dir`) into `data`, set up
/// to stream from it as a hot standby: PostgreSQL's own low-level backup API
/// (`pg_backup_start`, a copy of the data directory, `pg_backup_stop`'s backup label, then the
/// WAL), which works for every release from 15 on, where Debian's pg_basebackup refuses a
/// server newer than itself.
fn base_backup(socket_dir: &Path, port: u16, data: &Path) {
    use sqlx::{Connection, Row};
    let options = sqlx::postgres::PgConnectOptions::new_without_pgpass()
        .socket(socket_dir)
        .port(port)
        .username("postgres")
        .database("postgres");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect_with(&options).await.unwrap();
        let source: String = sqlx::query_scalar("SHOW data_directory")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let source = PathBuf::from(source);
        sqlx::query("SELECT pg_backup_start('pgpubsub test standby', true)")
            .execute(&mut conn)
            .await
            .unwrap();
        copy_tree(&source, data, true);
        let stop = sqlx::query("SELECT labelfile, spcmapfile FROM pg_backup_stop(false)")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let label: String = stop.get(0);
        let map: Option<String> = stop.get(1);
        write_owned(&data.join("backup_label"), &label);
        if let Some(map) = map.filter(|m| !m.is_empty()) {
            write_owned(&data.join("tablespace_map"), &map);
        }
        // Everything up to the backup's end is in the source's WAL files now.
        copy_tree(&source.join("pg_wal"), &data.join("pg_wal"), false);
        let _ = conn.close().await;
    });
    write_owned(&data.join("standby.signal"), "");
    let mut auto = std::fs::read_to_string(data.join("postgresql.auto.conf")).unwrap_or_default();
    auto.push_str(&format!(
        "primary_conninfo = 'host={} port={port} user=postgres application_name=standby'\n",
        socket_dir.display()
    ));
    write_owned(&data.join("postgresql.auto.conf"), &auto);
}

/// Copy the directory `from` to `to` (files keep their modes; directories are 0700, as
/// PostgreSQL wants its data directory), owned by the server's OS user. At the top of a data
/// directory (`top`), what [`NOT_BACKED_UP`] names is skipped and [`BACKED_UP_EMPTY`] comes
/// out empty. A file that vanishes while copied (the server removes temporary files) is
/// skipped.
fn copy_tree(from: &Path, to: &Path, top: bool) {
    use std::os::unix::fs::DirBuilderExt;
    if !to.is_dir() {
        std::fs::DirBuilder::new().mode(0o700).create(to).unwrap();
        own(to);
    }
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if top && NOT_BACKED_UP.contains(&name_str.as_ref()) {
            continue;
        }
        let (source, target) = (entry.path(), to.join(&name));
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => {
                if top && BACKED_UP_EMPTY.contains(&name_str.as_ref()) {
                    std::fs::DirBuilder::new()
                        .mode(0o700)
                        .create(&target)
                        .unwrap();
                    own(&target);
                } else {
                    copy_tree(&source, &target, false);
                }
            }
            Ok(kind) if kind.is_file() => match std::fs::copy(&source, &target) {
                Ok(_) => own(&target),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => panic!("cannot copy {}: {err}", source.display()),
            },
            _ => {}
        }
    }
}

/// Write `text` to `path`, owned by the server's OS user.
fn write_owned(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    own(path);
}

/// Hand `path` to the `postgres` OS user when the tests run as root (the server runs as it).
fn own(path: &Path) {
    if is_root() {
        let (uid, gid) = postgres_ids();
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
    }
}

/// A primary (a sandbox of its own) and a streaming standby of it, for tests that stop and
/// promote servers. Both are torn down on drop.
pub struct Pair {
    pub primary: Sandbox,
    pub standby: Standby,
}

impl Pair {
    /// Start both and wait until the standby is replaying the primary's WAL.
    pub fn start() -> Pair {
        let primary = start_sandbox(&[]);
        let standby = start_standby(&primary.dir, port_of(&primary.url), None);
        let recovering = psql_at(&standby.url, "SELECT pg_is_in_recovery()");
        assert_eq!(recovering.trim(), "t", "the standby is not in recovery");
        Pair { primary, standby }
    }

    /// Stop the primary as a crash would (`pg_ctl stop -m immediate`: SIGQUIT).
    pub fn crash_primary(&self) {
        let postmaster = postmaster_pid(&self.primary.dir);
        // SAFETY: signalling the primary's postmaster, a process of this test run.
        unsafe { libc::kill(postmaster, libc::SIGQUIT) };
        assert_postmaster_gone(postmaster);
    }

    /// Promote the standby (`pg_ctl promote`), returning once it accepts writes.
    pub fn promote(&self) {
        let promoted = psql_at(&self.standby.url, "SELECT pg_promote(true, 60)");
        assert_eq!(promoted.trim(), "t", "promotion failed");
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        stop_sandbox(&self.primary);
    }
}

/// psql running `commands` (one `-c` each, in one session) in the background.
pub fn psql_session(url: &str, commands: &[&str]) -> std::process::Child {
    let mut cmd = clean(Command::new("psql"));
    cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url]);
    for command in commands {
        cmd.args(["-c", command]);
    }
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    cmd.spawn().expect("cannot run psql")
}

/// An `--exec` command whose shell starts a grandchild (`sleep`) and writes down its pid, so
/// that a test can check that ending the command ends everything it started: ending the shell
/// alone would orphan the grandchild.
pub struct Grandchild {
    _dir: tempfile::TempDir,
    pidfile: PathBuf,
    /// The command to hand to `--exec`.
    pub command: String,
}

impl Grandchild {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let command = format!("sleep 1000 & echo $! > '{}'; wait", pidfile.display());
        Grandchild {
            _dir: dir,
            pidfile,
            command,
        }
    }

    /// The grandchild's pid, once a run of the command has started it.
    pub fn pid(&self) -> i32 {
        wait_until("the command to start", || {
            std::fs::read_to_string(&self.pidfile).is_ok_and(|p| p.ends_with('\n'))
        });
        std::fs::read_to_string(&self.pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }
}

/// Run the shell command line `command` on a terminal of its own (under `script`, stdout a
/// tty), against the test server, with `env` added; what it wrote there, once it is done.
pub fn on_a_terminal(command: &str, env: &[(&str, &str)]) -> std::process::Output {
    let mut script = clean(Command::new("script"));
    script
        .args(["-qfec", command, "/dev/null"])
        .env("DATABASE_URL", url())
        .stdin(Stdio::null());
    for (name, value) in env {
        script.env(name, value);
    }
    script.output().expect("script (util-linux)")
}
