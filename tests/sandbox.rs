//! `pgpubsub sandbox`: a URL psql can use, and nothing left behind after SIGTERM or SIGINT.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn stop_with(signal: i32, expected_code: i32) {
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
    assert_eq!(status.code(), Some(expected_code));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(rest.contains("removed"), "{rest}");
    assert!(!dir.exists(), "{} left behind", dir.display());
    assert_postmaster_gone(postmaster);
}

#[test]
fn sigterm_removes_server_and_directory() {
    stop_with(libc::SIGTERM, 143);
}

#[test]
fn sigint_removes_server_and_directory() {
    stop_with(libc::SIGINT, 130);
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
