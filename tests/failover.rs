//! Host selection against a real primary and streaming standby: `target_session_attrs`
//! chooses the right server whichever is listed first, and a listener follows the primary
//! through a failover (primary crashed, standby promoted) without being restarted.

mod common;

use common::*;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::Duration;

/// A conninfo string naming both servers of `pair`, the standby first, plus `extra`.
fn standby_first(pair: &Pair, extra: &str) -> String {
    format!(
        "host=127.0.0.1,127.0.0.1 port={},{} user=postgres dbname=postgres {extra}",
        pair.standby.port,
        port_of(&pair.primary.url)
    )
}

/// The port `conninfo -d target` lands on.
fn conninfo_port(target: &str) -> String {
    let out = pgpubsub_bare()
        .args(["conninfo", "-d", target])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    conninfo_field(&out, "server_port")
}

/// A background `pgpubsub`, stopped with SIGINT when dropped (also when a test fails).
struct Running(Child);

impl Running {
    /// Stop it with SIGINT; its exit status.
    fn stop(mut self) -> std::process::ExitStatus {
        // SAFETY: signalling a child we spawned and have not reaped.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGINT) };
        self.0.wait().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `pgpubsub ARGS...` running in the background, its stdout and stderr read line by line.
fn spawn(args: &[&str]) -> (Running, Receiver<String>, Receiver<String>) {
    let mut cmd = clean(Command::new(BIN));
    cmd.args(args);
    let (child, out, err) = spawn_with_lines(cmd);
    (Running(child), out, err)
}

#[test]
fn target_session_attrs_choose_the_server_whichever_is_listed_first() {
    let pair = Pair::start();
    let (primary, standby) = (
        port_of(&pair.primary.url).to_string(),
        pair.standby.port.to_string(),
    );
    for (attrs, expected) in [
        ("read-write", &primary),
        ("primary", &primary),
        ("any", &standby),
        ("read-only", &standby),
        ("standby", &standby),
        ("prefer-standby", &standby),
    ] {
        let target = standby_first(&pair, &format!("target_session_attrs={attrs}"));
        assert_eq!(&conninfo_port(&target), expected, "{attrs}");
    }
    // The environment variable says the same.
    let out = pgpubsub_bare()
        .args(["conninfo", "-d", &standby_first(&pair, "")])
        .env("PGTARGETSESSIONATTRS", "read-write")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(conninfo_field(&out, "server_port"), primary);

    // listen and notify, given both hosts and no target_session_attrs, pass over the standby.
    let ch = channel("pair");
    let (listener, out, err) = spawn(&[
        "-v",
        "listen",
        "--json",
        "--events",
        "-d",
        &standby_first(&pair, ""),
        &ch,
    ]);
    line_with(&out, "\"listening\"");
    let said = line_with(&err, "passed over");
    assert!(
        said.contains(&format!("passed over 127.0.0.1:{standby}: is a standby")),
        "{said}"
    );
    pgpubsub_bare()
        .args([
            "notify",
            "-d",
            &standby_first(&pair, ""),
            &ch,
            "via-selection",
        ])
        .assert()
        .success();
    line_with(&out, "via-selection");
    assert_eq!(listener.stop(), killed_by(libc::SIGINT));

    // Asking listen for a standby is a usage error that says why.
    let err = pgpubsub_bare()
        .args([
            "listen",
            "-d",
            &standby_first(&pair, "target_session_attrs=standby"),
            &ch,
        ])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&err);
    assert!(err.contains("standbys refuse LISTEN"), "{err}");

    // Only the standby and a dead port: every host is listed with its reason, in order.
    let dead = free_port();
    let target = format!(
        "host=127.0.0.1,127.0.0.1 port={standby},{dead} user=postgres target_session_attrs=read-write"
    );
    let err = pgpubsub_bare()
        .args(["conninfo", "-d", &target])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&err);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[1].contains(&format!("127.0.0.1:{standby}: is a standby")),
        "{err}"
    );
    assert!(
        lines[2].contains(&format!("127.0.0.1:{dead}: connection refused")),
        "{err}"
    );
}

#[test]
fn listen_follows_the_primary_through_a_failover() {
    let pair = Pair::start();
    let (old, new) = (port_of(&pair.primary.url), pair.standby.port);
    let target = format!(
        "host=127.0.0.1,127.0.0.1 port={old},{new} user=postgres dbname=postgres \
         target_session_attrs=read-write"
    );
    let ch = channel("failover");
    let (listener, out, err) = spawn(&[
        "listen",
        "--json",
        "--events",
        "--reconnect-max",
        "500ms",
        "-d",
        &target,
        &ch,
    ]);
    line_with(&out, "\"listening\"");

    // A sender that keeps notifying with the same connection string, one process per
    // notification, so every send runs host selection.
    let sending = Arc::new(AtomicBool::new(true));
    let sender = {
        let (sending, target, ch) = (sending.clone(), target.clone(), ch.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            while sending.load(Ordering::Relaxed) {
                n += 1;
                let _ = clean(Command::new(BIN))
                    .args(["notify", "--connect-timeout", "1s", "-d", &target, &ch])
                    .arg(format!("n{n}"))
                    .stderr(Stdio::null())
                    .status();
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    line_with(&out, "\"payload\"");
    // A long-lived `notify -` stream, connected to the old primary (it connects before
    // reading anything) and idle there when the primary crashes.
    let stream_target = format!("{target} application_name=failover_stream");
    let mut stream = clean(Command::new(BIN))
        .args(["notify", "-d", &stream_target, &ch, "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stream_in = stream.stdin.take().unwrap();
    wait_until("notify - to connect", || {
        psql_at(
            &pair.primary.url,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'failover_stream'",
        )
        .trim()
            == "1"
    });

    pair.crash_primary();
    line_with(&out, "\"disconnected\"");
    pair.promote();
    let promoted = std::time::SystemTime::now();
    let reconnected = line_with(&out, "\"reconnected\"");
    assert!(
        reconnected.contains(&format!("\"host\":\"127.0.0.1:{new}\"")),
        "{reconnected}"
    );
    let first = line_with(&out, "\"payload\"");
    let received_at: serde_json::Value = serde_json::from_str(&first).unwrap();
    let received_at =
        humantime::parse_rfc3339(received_at["received_at"].as_str().unwrap()).unwrap();
    // Zero when it arrived before pg_promote's caller even heard back.
    let resumed = received_at.duration_since(promoted).unwrap_or_default();
    eprintln!("failover: first notification delivered {resumed:?} after promotion");
    // The benchmark (benches/failover.sh) measures this figure; here only a bound generous
    // enough for a loaded machine.
    assert!(resumed < Duration::from_secs(5), "{resumed:?}");
    let said = line_with(&err, "reconnected after");
    assert!(said.contains(&format!("to 127.0.0.1:{new}")), "{said}");
    sending.store(false, Ordering::Relaxed);
    sender.join().unwrap();

    // The stream's one resend after the failure goes through host selection too.
    let written = writeln!(stream_in, "stream-after");
    drop(stream_in);
    let stream = stream.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&stream.stderr);
    assert!(written.is_ok(), "notify - ended early: {said}");
    line_with(&out, "stream-after");
    assert_eq!(stream.status.code(), Some(0), "{said}");
    assert!(said.contains("reconnecting to resend"), "{said}");

    // notify with the same string reaches the new primary.
    pgpubsub_bare()
        .args(["notify", "-d", &target, &ch, "after-failover"])
        .assert()
        .success();
    line_with(&out, "after-failover");

    // The old primary comes back as a standby of the new one: it is passed over.
    let comeback = start_standby(pair.standby.dir.path(), new, Some(old));
    let out = pgpubsub_bare()
        .args(["-v", "conninfo", "-d", &target])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(conninfo_field(&out.stdout, "server_port"), new.to_string());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("passed over 127.0.0.1:{old}: is a standby")),
        "{stderr}"
    );
    drop(comeback);
    assert_eq!(listener.stop(), killed_by(libc::SIGINT));
}
