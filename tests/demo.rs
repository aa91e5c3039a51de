//! `pgpubsub demo`: the whole walkthrough, fast (small --interval/--listen-for), on a throwaway
//! server and on the shared test server. The narrated facts are checked against the
//! notifications the demo printed as they arrived, not just against its own summary lines;
//! Ctrl-C and the existing-database run must leave nothing behind.

mod common;

use common::*;
use predicates::prelude::*;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

const FAST: [&str; 4] = ["--interval", "100ms", "--listen-for", "500ms"];

/// A received-notification line, `   <- CHANNEL PAYLOAD  (from pid N)`, split up.
fn received(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim_start().strip_prefix("<- ")?;
    let (rest, _pid) = rest.rsplit_once("  (from pid ")?;
    rest.split_once(' ')
}

/// The producer's numbers among the received lines of `text`, in arrival order.
fn producer_numbers(text: &str) -> Vec<u64> {
    text.lines()
        .filter_map(received)
        .filter_map(|(_, payload)| serde_json::from_str::<serde_json::Value>(payload).ok())
        .filter_map(|v| v.get("payload")?.as_u64())
        .collect()
}

/// The text between the line starting with `from` and the next line starting with `to`.
fn section<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let start = text.find(&format!("\n{from}")).expect(from);
    let end = start + 1 + text[start + 1..].find(&format!("\n{to}")).expect(to);
    &text[start..end]
}

/// The number just before `suffix` on the line containing `prefix ... suffix`.
fn number_in(text: &str, prefix: &str, suffix: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.contains(prefix))
        .unwrap_or_else(|| panic!("no line with {prefix:?} in:\n{text}"));
    let after = &line[line.find(prefix).unwrap() + prefix.len()..];
    after[..after.find(suffix).expect(suffix)]
        .trim()
        .parse()
        .unwrap()
}

/// Check, from what the demo printed as it arrived, every fact the acceptance asks for.
fn check_narrated_facts(out: &str) {
    // Every sent notification accounted for: exactly 1..=sent, each once, in order.
    let sent = number_in(out, "The producer is stopped: it sent ", " notifications");
    let numbers = producer_numbers(out);
    assert!(sent >= 6, "the producer sent only {sent}:\n{out}");
    assert_eq!(numbers, (1..=sent).collect::<Vec<_>>(), "{out}");
    assert!(out.contains(&format!(
        "delivery: {sent} sent, {sent} received, 0 missing, 0 duplicated"
    )));

    // Buffered ones counted: the late arrivals printed in step 4 are the number it claims.
    let busy = section(out, "4. ", "5. ");
    let late = number_in(busy, "buffered: ", " notifications waited");
    assert!(late > 0, "{busy}");
    assert_eq!(producer_numbers(busy).len() as u64, late, "{busy}");
    let meanwhile = number_in(busy, "Meanwhile the producer sent ", " notifications");
    assert!(late >= meanwhile && meanwhile > 0, "{busy}");

    // Transactions: held until COMMIT, rolled-back ones absent, duplicates folded.
    let tx = section(out, "6. ", "7. ");
    let payloads: Vec<&str> = tx.lines().filter_map(received).map(|(_, p)| p).collect();
    assert_eq!(
        payloads,
        [
            "committed by another session",
            "in transaction 1",
            "in transaction 2",
            "after the commit",
            "after the rollback",
            "same",
            "different",
            "after the duplicates",
        ],
        "{tx}"
    );
    assert!(tx.contains("> SELECT pg_notify('"), "{tx}");
    assert!(tx.contains("'rolled back')"), "{tx}");

    // Trigger events decoded, in the order the rows changed.
    let decoded: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("decoded: RowEvent "))
        .collect();
    assert_eq!(decoded.len(), 5, "{out}");
    for (event, (op, id)) in decoded.iter().zip([
        ("Insert", 1),
        ("Insert", 2),
        ("Insert", 3),
        ("Update", 2),
        ("Delete", 1),
    ]) {
        assert!(
            event.contains(&format!("operation: {op}, id: {id} }}")),
            "{event}"
        );
    }
    assert!(out.contains("What you saw"));
    assert!(out.contains("pgpubsub sandbox") || out.contains("cargo run -- sandbox"));
}

/// The throwaway server's directory, from the demo's stderr note.
fn throwaway_dir(stderr: &str) -> PathBuf {
    let line = stderr
        .lines()
        .find(|l| l.contains("log in "))
        .unwrap_or_else(|| panic!("no throwaway server note in: {stderr}"));
    PathBuf::from(line.split("log in ").nth(1).unwrap().trim_end_matches(')'))
}

/// Run the whole demo fast with `cmd`, check its narrated facts, return stdout and stderr.
fn fast_demo(mut cmd: assert_cmd::Command) -> (String, String) {
    let output = cmd
        .arg("demo")
        .args(FAST)
        .timeout(Duration::from_secs(120))
        .assert()
        .success()
        .get_output()
        .clone();
    let out = String::from_utf8(output.stdout).unwrap();
    check_narrated_facts(&out);
    (out, String::from_utf8(output.stderr).unwrap())
}

#[test]
fn runs_to_completion_on_a_throwaway_server() {
    // As `cargo run -- demo` runs it: the commands to try next must work from there too.
    let mut cmd = pgpubsub_bare();
    cmd.env("CARGO_PKG_NAME", "pgpubsub");
    let (out, err) = fast_demo(cmd);
    assert!(out.contains("cargo run -- sandbox"), "{out}");
    assert!(out.contains("Using a throwaway PostgreSQL"), "{out}");
    assert!(out.contains("LISTEN \"chan0\"; LISTEN \"chan1\"; LISTEN \"chan2\";"));
    // Piped, so plain.
    assert!(!out.contains('\x1b'), "colors on a pipe");
    assert!(err.contains("no connection settings given"), "{err}");
    // The binaries the tests run (PGPUBSUB_BIN_DIR, when set): the release is theirs.
    let release = format!(
        "throwaway PostgreSQL {} on",
        binaries_version(&server_bindir())
    );
    assert!(err.contains(&release), "{release:?} in {err}");
    let dir = throwaway_dir(&err);
    assert!(err.contains(&format!("{} removed", dir.display())), "{err}");
    assert!(!dir.exists(), "{} left behind", dir.display());
}

/// The demo drops what it created itself rather than leaving it to the end of its session,
/// which removes temporary objects too and so would hide a missing DROP. To tell the two
/// apart, the demo runs in a database of its own where an event trigger records every object
/// a command drops: session cleanup runs no command and fires no event trigger.
#[test]
fn existing_database_keeps_nothing_the_demo_created() {
    let db = format!("demo_drops_{}", std::process::id());
    psql(&format!("CREATE DATABASE {db}"));
    let db_url = url_with_db(&db);
    psql_at(
        &db_url,
        "CREATE TABLE dropped (object text);
         CREATE FUNCTION record_drops() RETURNS event_trigger LANGUAGE plpgsql AS $$
         BEGIN
             INSERT INTO dropped
             SELECT object_type || ' ' || object_identity FROM pg_event_trigger_dropped_objects();
         END $$;
         CREATE EVENT TRIGGER record_drops ON sql_drop EXECUTE FUNCTION record_drops();",
    );
    let mut cmd = pgpubsub_bare();
    cmd.env("DATABASE_URL", &db_url);
    let (out, err) = fast_demo(cmd);
    assert!(!err.contains("throwaway"), "{err}");
    // Cleanup dropped the objects itself (no warning that it had to leave it to the server).
    assert!(!err.contains("warning"), "{err}");
    assert!(!out.contains("Using a throwaway"), "{out}");
    // Channels of its own on a shared server.
    let pid = output_pid(&out);
    assert!(
        out.contains(&format!("LISTEN \"pgpubsub_demo_{pid}_chan0\";")),
        "{out}"
    );

    // The objects existed (their events were decoded), were dropped by the demo's own DROP
    // commands, and none is left.
    let created = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Created temporary table "))
        .expect("no created-objects line");
    let names: Vec<&str> = created
        .trim_end_matches('.')
        .split(", ")
        .map(|part| part.rsplit([' ', '.']).next().unwrap())
        .collect();
    let [table, trigger, function] = names[..] else {
        panic!("{created}")
    };
    assert!(out.contains(&format!("\"table\" : \"{table}\"")), "{out}");
    let dropped = psql_at(&db_url, "SELECT object FROM dropped");
    for (kind, name) in [
        ("table", table),
        ("trigger", trigger),
        ("function", function),
    ] {
        assert!(
            dropped
                .lines()
                .any(|l| l.starts_with(&format!("{kind} ")) && l.contains(name)),
            "no DROP of {kind} {name} recorded; dropped: {dropped}"
        );
    }
    let left = psql_at(
        &db_url,
        &format!(
            "SELECT (SELECT count(*) FROM pg_class WHERE relname = '{table}')
                  + (SELECT count(*) FROM pg_trigger WHERE tgname = '{trigger}')
                  + (SELECT count(*) FROM pg_proc WHERE proname = '{function}')"
        ),
    );
    assert_eq!(
        left.trim(),
        "0",
        "left behind: {table}, {trigger} or {function}"
    );
}

/// The process id the demo's names carry (`pgpubsub_demo_items_PID`).
fn output_pid(out: &str) -> String {
    let at = out.find("pgpubsub_demo_items_").expect("no table name") + 20;
    out[at..].chars().take_while(char::is_ascii_digit).collect()
}

/// A demo on a throwaway server, stopped in the middle of its stream step (which would
/// otherwise last ten minutes).
struct MidDemo {
    child: std::process::Child,
    /// Kept open (unread) so the demo can write; `None` once closed.
    stdout: Option<BufReader<std::process::ChildStdout>>,
    stderr: BufReader<std::process::ChildStderr>,
    dir: PathBuf,
    postmaster: i32,
}

impl MidDemo {
    /// Start it and wait for the readiness condition: a notification arrived in step 5.
    fn start() -> MidDemo {
        let mut child = clean(Command::new(BIN))
            .args(["--color", "always", "demo", "--interval", "100ms"])
            .args(["--listen-for", "10m"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut notes = String::new();
        while !notes.contains("log in ") {
            assert_ne!(stderr.read_line(&mut notes).unwrap(), 0, "{notes}");
        }
        let dir = throwaway_dir(&notes);
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut seen = String::new();
        let mut in_stream_step = false;
        loop {
            let mut line = String::new();
            assert_ne!(stdout.read_line(&mut line).unwrap(), 0, "{seen}");
            seen.push_str(&line);
            in_stream_step |= line.contains("The stream interface");
            if in_stream_step && line.contains("<-") {
                break;
            }
        }
        assert!(seen.contains("\x1b["), "--color always gave no colors");
        let postmaster = postmaster_pid(&dir);
        assert!(alive(postmaster));
        MidDemo {
            child,
            stdout: Some(stdout),
            stderr,
            dir,
            postmaster,
        }
    }

    /// Wait for the exit code; check the server and its directory are gone; return stderr.
    fn finish(mut self, expected: std::process::ExitStatus) -> String {
        let status = self.child.wait().unwrap();
        assert_eq!(status, expected);
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).unwrap();
        assert!(rest.contains("removed"), "{rest}");
        assert!(!self.dir.exists(), "{} left behind", self.dir.display());
        assert_postmaster_gone(self.postmaster);
        rest
    }
}

fn stop_mid_demo(signal: i32) {
    let demo = MidDemo::start();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(demo.child.id() as i32, signal) };
    let stderr = demo.finish(killed_by(signal));
    assert!(stderr.contains("interrupted: cleaning up"), "{stderr}");
}

#[test]
fn ctrl_c_mid_demo_removes_the_server_then_ends_by_sigint() {
    stop_mid_demo(libc::SIGINT);
}

#[test]
fn sigterm_mid_demo_removes_the_server_then_ends_by_sigterm() {
    stop_mid_demo(libc::SIGTERM);
}

#[test]
fn closed_stdout_ends_the_demo_quietly_and_removes_the_server() {
    let mut demo = MidDemo::start();
    // Like `| head`: the reader goes away; the next notification's line cannot be written.
    demo.stdout = None;
    let stderr = demo.finish(exited(0));
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn connection_settings_mean_no_throwaway_server() {
    // A flag names a server: the demo uses it (and fails on it) instead of starting one.
    pgpubsub_bare()
        .args(["demo", "-h", "127.0.0.1", "-p", "1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("could not connect to 127.0.0.1:1"))
        .stderr(predicate::str::contains("throwaway").not());
    // So does the environment.
    pgpubsub_bare()
        .arg("demo")
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", "1")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("could not connect to 127.0.0.1:1"))
        .stderr(predicate::str::contains("throwaway").not());
}

#[test]
fn durations_are_checked_before_anything_starts() {
    for bad in ["0s", "soon", "2 fortnights"] {
        pgpubsub_bare()
            .args(["demo", "--interval", bad])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--interval"));
    }
    pgpubsub_bare()
        .args(["demo", "--listen-for", "0ms"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("greater than zero"));
    pgpubsub_bare()
        .args(["demo", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--listen-for <DURATION>"))
        .stdout(predicate::str::contains("130  stopped by SIGINT"));
}
