//! `pgpubsub sandbox`: a URL psql can use, and nothing left behind after SIGTERM, SIGINT or
//! SIGHUP (the terminal it ran in was closed).

mod common;

use common::*;
use predicates::prelude::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn stop_with(signal: i32) {
    let mut child = clean(Command::new(BIN))
        .arg("sandbox")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("export DATABASE_URL=")
        .expect(&line)
        .to_string();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut note = String::new();
    stderr.read_line(&mut note).unwrap();
    let dir = std::path::PathBuf::from(
        note.split("log in ")
            .nth(1)
            .unwrap()
            .trim_end()
            .trim_end_matches(')'),
    );

    assert_eq!(psql_at(&url, "SELECT 40 + 2").trim(), "42");
    let postmaster = postmaster_pid(&dir);
    assert!(alive(postmaster));

    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, signal) };
    let status = child.wait().unwrap();
    assert_eq!(status, killed_by(signal));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(rest.contains("removed"), "{rest}");
    assert!(!dir.exists(), "{} left behind", dir.display());
    assert_postmaster_gone(postmaster);
}

#[test]
fn sigterm_removes_server_and_directory() {
    stop_with(libc::SIGTERM);
}

#[test]
fn sigint_removes_server_and_directory() {
    stop_with(libc::SIGINT);
}

#[test]
fn closing_the_terminal_sighup_removes_server_and_directory() {
    stop_with(libc::SIGHUP);
}

#[test]
fn a_stopped_sandbox_can_be_replaced_on_the_same_port() {
    let first = start_sandbox(&[]);
    let port = port_of(&first.url).to_string();
    stop_sandbox(&first);
    assert!(!first.dir.exists());
    let second = start_sandbox(&["--port", &port]);
    assert_eq!(second.url, first.url);
    assert_eq!(psql_at(&second.url, "SELECT 1").trim(), "1");
    stop_sandbox(&second);
}

/// Without PostgreSQL's binaries, `sandbox` says in one line what to install. The binaries are
/// hidden for real: a private mount namespace puts an empty tmpfs over /usr/lib/postgresql,
/// and PATH holds an empty directory (so neither initdb nor pg_config is found).
#[test]
fn missing_server_binaries_give_one_line_saying_what_to_install() {
    let usable = Command::new("unshare")
        .args(["-rm", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !usable {
        eprintln!("skipped: this machine allows no mount namespaces (unshare -rm)");
        return;
    }
    let empty = tempfile::tempdir().unwrap();
    let script = "[ ! -d /usr/lib/postgresql ] || mount -t tmpfs none /usr/lib/postgresql \
                  || exit 97; PATH=\"$1\" exec \"$0\" sandbox";
    // Should the binaries be found after all, the sandbox would run until stopped.
    let out = clean(Command::new("timeout"))
        .env_remove(common::BIN_DIR_ENV)
        .args(["30", "unshare", "-rm", "sh", "-c", script, BIN])
        .arg(empty.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("pgpubsub: PostgreSQL server binaries (initdb, postgres) not found")
            && stderr.contains("apt-get install postgresql"),
        "{stderr}"
    );
}

/// `--bin-dir` runs the server binaries it names, and wins over PGPUBSUB_BIN_DIR; `--set`
/// settings reach the server; a detached sandbox's supervisor (which runs in /) finds a
/// relative directory.
#[test]
fn bin_dir_and_set_choose_the_binaries_and_settings_the_sandbox_runs() {
    let bindir = server_bindir();
    let empty = tempfile::tempdir().unwrap();
    let mut cmd = clean(Command::new(BIN));
    cmd.env(BIN_DIR_ENV, empty.path())
        .current_dir(bindir.parent().unwrap())
        .args(["sandbox", "--detach", "--bin-dir"])
        .arg(bindir.file_name().unwrap())
        .args(["--set", "cluster_name=pgpubsub it's"]);
    let (url, _, stderr) = detached(cmd);
    let url = url.as_str();
    let version = binaries_version(&bindir);
    assert_eq!(psql_at(url, "SHOW server_version").trim(), version);
    assert!(
        stderr.contains(&format!("throwaway PostgreSQL {version} on")),
        "{stderr}"
    );
    assert_eq!(psql_at(url, "SHOW cluster_name").trim(), "pgpubsub it's");
    run_ok(clean(Command::new(BIN)).args(["sandbox", "--stop", url]));
}

/// A directory without the server binaries, by flag or variable, is one line naming it and
/// what is missing; --bin-dir is refused where no throwaway server would use it.
#[test]
fn a_bin_dir_without_server_binaries_is_named_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().display().to_string();
    let half = dir.path().join("half");
    std::fs::create_dir(&half).unwrap();
    std::fs::write(half.join("postgres"), "").unwrap();
    let half = half.display().to_string();
    let cases = [
        (
            vec!["--bin-dir", &empty],
            None,
            format!("--bin-dir {empty}: no PostgreSQL server binaries there (initdb and postgres missing)"),
        ),
        (
            vec![],
            Some(&empty),
            format!("{BIN_DIR_ENV} {empty}: no PostgreSQL server binaries there"),
        ),
        (
            vec!["--bin-dir", &half],
            None,
            format!("--bin-dir {half}: no PostgreSQL server binaries there (initdb missing)"),
        ),
        (
            vec!["--bin-dir", "/no/such/dir"],
            None,
            "--bin-dir /no/such/dir: no such directory".to_string(),
        ),
    ];
    for (args, env, expected) in cases {
        let mut cmd = clean(Command::new(BIN));
        cmd.arg("sandbox").args(&args).stdin(Stdio::null());
        if let Some(env) = env {
            cmd.env(BIN_DIR_ENV, env);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!("pgpubsub: {expected}")),
            "{expected:?} in {stderr}"
        );
    }
    pgpubsub()
        .args(["demo", "--bin-dir", &empty, "-d", url()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--bin-dir is for the demo's throwaway server",
        ));
    pgpubsub_bare()
        .args(["bench", "--bin-dir", &empty])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--ephemeral"));
}

/// A detached sandbox: its URL and directory, from `pgpubsub sandbox --detach ARGS`, which
/// must have returned with the server still running.
fn detach(args: &[&str]) -> (String, std::path::PathBuf) {
    let mut cmd = clean(Command::new(BIN));
    cmd.args(["sandbox", "--detach"]).args(args);
    let (url, dir, _) = detached(cmd);
    (url, dir)
}

/// Run `cmd`, a `pgpubsub sandbox --detach`, which must return with the server running: its
/// URL, its directory and what it said on stderr.
fn detached(mut cmd: Command) -> (String, std::path::PathBuf, String) {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let url = stdout
        .strip_prefix("export DATABASE_URL=")
        .and_then(|rest| rest.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("one export line: {stdout:?}"))
        .to_string();
    // From what it said, not from a query: a client would hold off --idle-stop, and on a
    // loaded machine a short one may already have fired.
    let dir = stderr
        .split("(data, socket and log in ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no directory in: {stderr}"));
    let dir = std::path::PathBuf::from(dir);
    assert!(dir.join("data").is_dir(), "{stderr}");
    (url, dir, stderr)
}

/// Whether `pid` runs: a zombie (exited, not yet reaped by its new parent) does not.
fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
        !state.starts_with('Z') && !state.starts_with('X')
    })
}

/// The pid of the supervisor that keeps the sandbox in `dir`.
fn supervisor_pid(dir: &std::path::Path) -> i32 {
    std::fs::read_to_string(dir.join("supervisor.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Wait (bounded) until the sandbox in `dir` is gone: no directory, no server, no supervisor.
fn assert_gone(dir: &std::path::Path, postmaster: i32, supervisor: i32) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while (dir.exists() || running(postmaster) || running(supervisor))
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!dir.exists(), "{} still exists", dir.display());
    assert!(!running(postmaster), "postgres {postmaster} still running");
    assert!(
        !running(supervisor),
        "supervisor {supervisor} still running"
    );
}

#[test]
fn a_detached_sandbox_serves_until_stopped_by_url_or_directory() {
    for by_dir in [false, true] {
        let (url, dir) = detach(&[]);
        assert_eq!(psql_at(&url, "SELECT 40 + 2").trim(), "42");
        let (postmaster, supervisor) = (postmaster_pid(&dir), supervisor_pid(&dir));
        assert!(running(postmaster) && running(supervisor));
        let target = if by_dir {
            dir.display().to_string()
        } else {
            url.clone()
        };
        run_ok(clean(Command::new(BIN)).args(["sandbox", "--stop", &target]));
        // --stop returns once everything is gone.
        assert!(!dir.exists() && !running(postmaster) && !running(supervisor));
        assert_gone(&dir, postmaster, supervisor);
    }
}

#[test]
fn idle_stop_stops_a_detached_sandbox_once_the_last_client_leaves() {
    // Long enough for the client below to connect in time on a loaded machine.
    let (url, dir) = detach(&["--idle-stop", "3s"]);
    let (postmaster, supervisor) = (postmaster_pid(&dir), supervisor_pid(&dir));
    // A client connected for twice the idle limit keeps it alive: its query succeeds.
    let client = clean(Command::new("psql"))
        .args(["-X", "-q", "-d", &url, "-c", "SELECT pg_sleep(6)"])
        .output()
        .unwrap();
    assert!(
        client.status.success(),
        "stopped while a client was connected: {}",
        String::from_utf8_lossy(&client.stderr)
    );
    assert_gone(&dir, postmaster, supervisor);
}

#[test]
fn a_detached_sandbox_never_outlives_its_directory() {
    let (_url, dir) = detach(&[]);
    let (postmaster, supervisor) = (postmaster_pid(&dir), supervisor_pid(&dir));
    std::fs::remove_dir_all(dir.join("data")).unwrap();
    assert_gone(&dir, postmaster, supervisor);
}

#[test]
fn stop_removes_what_a_killed_supervisor_left() {
    let (_url, dir) = detach(&[]);
    let (postmaster, supervisor) = (postmaster_pid(&dir), supervisor_pid(&dir));
    // SIGKILL leaves the supervisor no time to clean up; its server dies with it.
    // SAFETY: a plain syscall on the supervisor this test started.
    assert_eq!(unsafe { libc::kill(supervisor, libc::SIGKILL) }, 0);
    let out = clean(Command::new(BIN))
        .args(["sandbox", "--stop"])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("no longer running") && stderr.contains("removed"),
        "{stderr}"
    );
    // --stop returns once everything is gone.
    assert!(!dir.exists() && !running(postmaster) && !running(supervisor));
}
