//! `pgpubsub status` against real servers in the two states it exists to explain: a listener
//! that stopped reading while a sender fills the queue, and commits piling up behind the NOTIFY
//! commit lock (made deterministic with a synchronous standby that does not exist). Both change
//! server-wide state, so each runs on a server of its own; the rest use the shared one. Every
//! wait is for a condition the server reports, never a bare sleep.

mod common;

use common::*;
use serde_json::Value;
use sqlx::{Connection, PgConnection};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;

/// `pgpubsub ARGS...` against `url`, with a clean environment.
fn pgpubsub_at(url: &str) -> assert_cmd::Command {
    let mut cmd = pgpubsub_bare();
    cmd.env("DATABASE_URL", url);
    cmd
}

/// Run `status --json ARGS` against `url`; returns its exit code and the object it printed.
fn status_json(url: &str, args: &[&str]) -> (i32, Value) {
    let out = pgpubsub_at(url)
        .args(["status", "--json"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let report = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("status --json printed no object ({e}): {stdout:?}"));
    (out.status.code().unwrap_or(-1), report)
}

/// Run `status` (the screen) against `url`, expecting exit `code`; returns what it printed.
fn status_screen(url: &str, code: i32) -> String {
    let out = pgpubsub_at(url).arg("status").assert().code(code);
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

fn signal(pid: u32, signal: i32) {
    // SAFETY: signalling a process this test spawned.
    unsafe { libc::kill(pid as i32, signal) };
}

/// The pids of `pg_stat_activity` rows matching `condition`, ordered.
fn pids_where(url: &str, condition: &str) -> Vec<i64> {
    psql_at(
        url,
        &format!("SELECT pid FROM pg_stat_activity WHERE {condition} ORDER BY pid"),
    )
    .lines()
    .map(|l| l.parse().unwrap())
    .collect()
}

/// `status ARGS` against `url` in the background, with `env` set; the lines of its stdout.
fn watch(url: &str, env: &[(&str, &str)], args: &[&str]) -> (Child, Receiver<String>) {
    let mut child = clean(Command::new(BIN))
        .env("DATABASE_URL", url)
        .envs(env.iter().copied())
        .arg("status")
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = lines(child.stdout.take().unwrap());
    (child, out)
}

/// The next refresh a watch printed.
fn next_line(lines: &Receiver<String>) -> String {
    lines.recv_timeout(WAIT_LIMIT).expect("no refresh")
}

/// The next refresh of a `--watch --json`.
fn next_report(lines: &Receiver<String>) -> Value {
    serde_json::from_str(&next_line(lines)).unwrap()
}

fn pids(sessions: &Value) -> Vec<i64> {
    let mut pids: Vec<i64> = sessions
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["pid"].as_i64().unwrap())
        .collect();
    pids.sort();
    pids
}

#[test]
fn a_healthy_server_exits_0_with_the_documented_fields() {
    let (code, report) = status_json(url(), &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["verdict"], "healthy");
    assert_eq!(report["reasons"], serde_json::json!([]));
    for (object, fields) in [
        (
            "server",
            &[
                "version",
                "in_recovery",
                "synchronous_commit",
                "synchronous_standby_names",
                "fsync",
            ][..],
        ),
        (
            "queue",
            &[
                "usage",
                "max_bytes",
                "max_notify_queue_pages",
                "growth_per_s",
                "full_in_s",
            ],
        ),
        ("commit_lock", &["holder", "waiters"]),
        ("visibility", &["role", "all_sessions", "hidden_sessions"]),
    ] {
        for field in fields {
            assert!(
                report[object].get(field).is_some(),
                "no {object}.{field} in {report:#}"
            );
        }
    }
    assert!(report["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(report["server"]["in_recovery"], false);
    assert_eq!(report["visibility"]["all_sessions"], true);
    assert!(report["suspects"].as_array().unwrap().is_empty());
    // The queue's size is the server's: max_notify_queue_pages on 17+, fixed before.
    let (pages, bytes) = expected_queue_limit(url());
    assert_eq!(
        report["queue"]["max_notify_queue_pages"],
        serde_json::json!(pages)
    );
    assert_eq!(report["queue"]["max_bytes"], bytes, "{report:#}");

    pgpubsub()
        .args(["status", "--warn", "101%"])
        .assert()
        .code(2);
    let screen = status_screen(url(), 0);
    assert!(screen.starts_with("NOTIFY health: healthy"), "{screen}");
    for part in ["Queue", "NOTIFY commit lock", "synchronous_commit", "fsync"] {
        assert!(screen.contains(part), "no {part} in:\n{screen}");
    }
    let queue = format!("Queue: 0% used of {}\n", queue_described(url()));
    assert!(screen.contains(&queue), "no {queue:?} in:\n{screen}");
}

/// The queue's size follows max_notify_queue_pages from PostgreSQL 17 on, and usage is a
/// fraction of it: 200 notifications of 7999 bytes (about a page each) held back by a busy
/// listener fill about a tenth of a 2048-page queue. Before 17 the setting does not exist and
/// the sandbox refuses it in the server's words.
#[test]
fn the_queue_size_is_the_one_max_notify_queue_pages_sets() {
    let (pages, _) = expected_queue_limit(url());
    if pages.is_none() {
        let out = pgpubsub_bare()
            .args(["sandbox", "--set", "max_notify_queue_pages=2048"])
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("unrecognized configuration parameter \"max_notify_queue_pages\""),
            "{stderr}"
        );
        return;
    }
    let sandbox = start_sandbox(&["--set", "max_notify_queue_pages=2048"]);
    let ch = channel("fill");
    let mut busy = psql_session(
        &sandbox.url,
        &[&format!("LISTEN \"{ch}\""), "SELECT pg_sleep(300)"],
    );
    wait_until("the listener to be busy", || {
        psql_at(
            &sandbox.url,
            "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(300)'",
        )
        .trim()
            == "1"
    });
    let payloads: String = (0..200)
        .map(|i| format!("{i:04}{}\n", "x".repeat(7995)))
        .collect();
    pgpubsub_at(&sandbox.url)
        .args(["notify", &ch, "-"])
        .write_stdin(payloads)
        .assert()
        .success();
    let (_, report) = status_json(&sandbox.url, &["--warn", "100%"]);
    assert_eq!(
        report["queue"]["max_notify_queue_pages"], 2048,
        "{report:#}"
    );
    assert_eq!(report["queue"]["max_bytes"], 2048 * 8192, "{report:#}");
    let usage = report["queue"]["usage"].as_f64().unwrap();
    assert!((0.05..0.2).contains(&usage), "{report:#}");
    let screen = status_screen(&sandbox.url, 0);
    assert!(
        screen.contains("used of 16 MB (max_notify_queue_pages 2048)"),
        "{screen}"
    );
    let _ = busy.kill();
    let _ = busy.wait();
    stop_sandbox(&sandbox);
}

/// A `pgpubsub listen` on `chan`, past its readiness line and its first keepalive query, whose
/// server session is named `app`; its stdout is drained by a thread (which reads nothing while
/// the process is stopped).
fn stoppable_listener(url: &str, chan: &str, app: &str) -> Child {
    let mut listener = clean(Command::new(BIN))
        .env("DATABASE_URL", url)
        .env("PGAPPNAME", app)
        .args(["-v", "listen", "--keepalive", "1s", chan])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = lines(listener.stderr.take().unwrap());
    while !stderr
        .recv_timeout(WAIT_LIMIT)
        .expect("listen ended")
        .contains("listening on")
    {}
    let mut stdout = listener.stdout.take().unwrap();
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    // A keepalive has answered: the session's last statement is no longer the setup's.
    wait_until("the listener's first keepalive", || {
        !pids_where(
            url,
            &format!(
                "application_name = '{app}' AND state = 'idle' \
                 AND query_start > backend_start + interval '1 s'"
            ),
        )
        .is_empty()
    });
    listener
}

/// A session that listens on `chan`, then sits idle in a transaction whose last statement was
/// another LISTEN: it receives nothing until the transaction ends. Returns it and its pid.
fn idle_in_transaction_listener(
    runtime: &tokio::runtime::Runtime,
    url: &str,
) -> (PgConnection, i64) {
    runtime.block_on(async {
        let mut conn = PgConnection::connect(url).await.unwrap();
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        for sql in [
            "LISTEN status_stalled",
            "BEGIN",
            "LISTEN status_stalled_too",
        ] {
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        }
        (conn, i64::from(pid))
    })
}

/// Find the suspect with `pid` in a `--json` report.
fn suspect(report: &Value, pid: i64) -> &Value {
    report["suspects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["pid"] == pid)
        .unwrap_or_else(|| panic!("pid {pid} is not a suspect: {report:#}"))
}

#[test]
fn listeners_that_stop_reading_are_named_and_exit_4_until_they_drain() {
    // Filling the queue is server-wide: this test has a server of its own.
    let server = start_sandbox(&[]);
    let url = server.url.as_str();
    let chan = "status_stalled";
    let app = channel("stalled_listener");
    let mut listener = stoppable_listener(url, chan, &app);
    let stopped = pids_where(url, &format!("application_name = '{app}'"))[0];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (in_transaction, idle) = idle_in_transaction_listener(&runtime, url);

    signal(listener.id(), libc::SIGSTOP);
    // Fill until the stopped listener's server session blocks writing to its client.
    let payload = "x".repeat(7000);
    let batch: Vec<(&str, String)> = (0..500).map(|i| (chan, format!("{payload}{i}"))).collect();
    wait_until("the listener's session to block in ClientWrite", || {
        send_notifications(url, &batch);
        !pids_where(
            url,
            &format!("pid = {stopped} AND wait_event = 'ClientWrite'"),
        )
        .is_empty()
    });

    let threshold = ["--idle-threshold", "100ms"];
    let mut report = Value::Null;
    wait_until("both sessions to be suspects", || {
        let code;
        (code, report) = status_json(url, &threshold);
        assert_eq!(code, 4, "{report:#}");
        report["suspects"].as_array().unwrap().len() == 2
    });
    assert_eq!(report["verdict"], "degraded");
    assert!(
        report["queue"]["usage"].as_f64().unwrap() > 0.0,
        "{report:#}"
    );
    let client_write = suspect(&report, stopped);
    assert_eq!(client_write["reason"], "client_write");
    assert_eq!(client_write["application_name"], app.as_str());
    assert_eq!(client_write["wait_event"], "ClientWrite");
    // pgpubsub's own listener is recognised as one, after its delivery proof and keepalives.
    assert_eq!(client_write["last_ran_listen"], true, "{report:#}");
    let in_tx = suspect(&report, idle);
    assert_eq!(in_tx["reason"], "idle_in_transaction");
    assert_eq!(in_tx["state"], "idle in transaction");
    assert_eq!(in_tx["last_ran_listen"], true);
    let (_, warned) = status_json(url, &["--warn", "0"]);
    assert!(
        warned["reasons"][0].as_str().unwrap().starts_with("queue "),
        "{warned:#}"
    );
    // The default threshold (10s) is not reached yet: only the stopped client is suspected.
    let (_, default) = status_json(url, &[]);
    assert_eq!(pids(&default["suspects"]), vec![stopped], "{default:#}");
    let screen = status_screen(url, 4);
    assert!(screen.contains(&format!("pid {stopped}")), "{screen}");
    assert!(
        screen.contains("does not show which sessions LISTEN"),
        "{screen}"
    );

    watch_sees_the_queue_grow(url, &batch);

    signal(listener.id(), libc::SIGCONT);
    runtime.block_on(in_transaction.close()).unwrap();
    wait_until("status to be healthy once the listeners drained", || {
        pgpubsub_at(url)
            .arg("status")
            .output()
            .unwrap()
            .status
            .code()
            == Some(0)
    });
    signal(listener.id(), libc::SIGINT);
    listener.wait().unwrap();
    stop_sandbox(&server);
}

/// With --watch, a queue that keeps filling shows a growth rate and a time until full.
fn watch_sees_the_queue_grow(url: &str, batch: &[(&str, String)]) {
    let (mut watch, reports) = watch(url, &[], &["--watch", "300ms", "--json"]);
    let next = || next_report(&reports);
    assert_eq!(next()["queue"]["growth_per_s"], Value::Null);
    let mut report = Value::Null;
    wait_until("a refresh that saw the queue grow", || {
        send_notifications(url, batch);
        report = next();
        report["queue"]["growth_per_s"].as_f64().unwrap() > 0.0
    });
    let full_in = report["queue"]["full_in_s"].as_f64().unwrap();
    assert!(full_in > 0.0, "{report:#}");
    signal(watch.id(), libc::SIGINT);
    watch.wait().unwrap();
}

#[test]
fn commits_piled_up_behind_the_notify_lock_name_the_holder_its_wait_and_the_waiters() {
    // synchronous_standby_names is server-wide: this test has a server of its own.
    let server = start_sandbox(&[]);
    let url = server.url.as_str();
    psql_at(url, "CREATE TABLE status_lock_test (id int)");
    psql_at(url, "CREATE ROLE status_watcher LOGIN PASSWORD 'pw'");
    psql_at(url, "ALTER SYSTEM SET synchronous_standby_names = 'nobody'");
    psql_at(url, "SELECT pg_reload_conf()");
    wait_until("the reload to take effect", || {
        psql_at(url, "SHOW synchronous_standby_names").trim() == "nobody"
    });
    // The sandbox runs with synchronous_commit off; this transaction asks for it back, writes
    // a row and notifies, so its commit waits in SyncRep for a standby that never comes.
    let mut holder = psql_session(
        url,
        &[
            "SET application_name = 'status_lock_holder'",
            "SET synchronous_commit = on",
            "BEGIN",
            "INSERT INTO status_lock_test VALUES (1)",
            "NOTIFY status_lock, 'holder'",
            "COMMIT",
        ],
    );
    wait_until("the holder to wait in SyncRep", || {
        !pids_where(url, "wait_event = 'SyncRep'").is_empty()
    });
    let holder_pid = pids_where(url, "wait_event = 'SyncRep'")[0];
    let mut waiters: Vec<Child> = ["a", "b"]
        .iter()
        .map(|p| {
            // Secrets in a literal and in a comment, which --show-queries must never print.
            let query = format!(
                "SELECT 'postgresql://app:S3cret@db/app' AS dsn, \
                 pg_notify('status_lock', '{p}') /* token S3cret */"
            );
            psql_session(url, &[&query])
        })
        .collect();
    wait_until("two sessions to wait for the lock", || {
        pids_where(url, "wait_event_type = 'Lock' AND wait_event = 'object'").len() == 2
    });
    let waiter_pids = pids_where(url, "wait_event_type = 'Lock' AND wait_event = 'object'");

    let (code, report) = status_json(url, &[]);
    assert_eq!(code, 4, "{report:#}");
    let lock = &report["commit_lock"];
    assert_eq!(lock["holder"]["pid"], holder_pid, "{report:#}");
    assert_eq!(lock["holder"]["wait_event"], "SyncRep");
    assert_eq!(lock["holder"]["application_name"], "status_lock_holder");
    assert_eq!(pids(&lock["waiters"]), waiter_pids);
    for waiter in lock["waiters"].as_array().unwrap() {
        assert_eq!(waiter["wait_event"], "object");
        assert_eq!(waiter["query"], Value::Null, "query text shown unasked");
    }
    assert!(report["reasons"][0]
        .as_str()
        .unwrap()
        .contains("2 sessions wait for the NOTIFY commit lock"));
    assert_eq!(report["server"]["synchronous_standby_names"], "nobody");
    let (_, shown) = status_json(url, &["--show-queries"]);
    assert_eq!(shown["commit_lock"]["holder"]["query"], "COMMIT");
    for waiter in shown["commit_lock"]["waiters"].as_array().unwrap() {
        assert_eq!(
            waiter["query"], "SELECT $1 AS dsn, pg_notify($2, $3) /*…*/",
            "{shown:#}"
        );
    }
    let out = pgpubsub_at(url)
        .args(["status", "--show-queries"])
        .assert()
        .code(4);
    let screen = String::from_utf8_lossy(&out.get_output().stdout);
    assert!(screen.contains("pg_notify($2, $3)"), "{screen}");
    assert!(
        !screen.contains("S3cret") && !shown.to_string().contains("S3cret"),
        "{screen}"
    );
    let screen = status_screen(url, 4);
    assert!(
        screen.contains(&format!("held by pid {holder_pid}")) && screen.contains("SyncRep"),
        "{screen}"
    );
    assert!(screen.contains("2 waiting"), "{screen}");

    // A role without pg_read_all_stats still sees who holds the lock and who waits (pg_locks
    // is public), though not what they wait on.
    let mut watcher = url::Url::parse(url).unwrap();
    watcher.set_username("status_watcher").unwrap();
    watcher.set_password(Some("pw")).unwrap();
    let (code, limited) = status_json(watcher.as_str(), &[]);
    assert_eq!(code, 4, "{limited:#}");
    assert_eq!(limited["commit_lock"]["holder"]["pid"], holder_pid);
    assert_eq!(limited["commit_lock"]["holder"]["wait_event"], Value::Null);
    assert_eq!(pids(&limited["commit_lock"]["waiters"]), waiter_pids);
    assert_eq!(limited["visibility"]["all_sessions"], false);

    psql_at(url, "ALTER SYSTEM RESET synchronous_standby_names");
    psql_at(url, "SELECT pg_reload_conf()");
    for child in std::iter::once(&mut holder).chain(waiters.iter_mut()) {
        let status = child.wait().unwrap();
        assert!(status.success(), "a notifying transaction failed: {status}");
    }
    assert_eq!(
        psql_at(url, "SELECT count(*) FROM status_lock_test").trim(),
        "1"
    );
    pgpubsub_at(url).arg("status").assert().code(0);
    stop_sandbox(&server);
}

#[test]
fn a_role_without_pg_read_all_stats_gets_a_report_and_a_note() {
    let role = channel("status_role");
    psql(&format!("CREATE ROLE {role} LOGIN PASSWORD 'pw'"));
    let mut as_role = url::Url::parse(url()).unwrap();
    as_role.set_username(&role).unwrap();
    as_role.set_password(Some("pw")).unwrap();
    let (code, report) = status_json(as_role.as_str(), &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["visibility"]["role"], role.as_str());
    assert_eq!(report["visibility"]["all_sessions"], false);
    assert!(report["notes"][0]
        .as_str()
        .unwrap()
        .contains("not a member of pg_read_all_stats"));
    let screen = status_screen(as_role.as_str(), 0);
    assert!(screen.contains("Note: role"), "{screen}");
    assert!(screen.contains("NOTIFY commit lock"), "{screen}");
    assert!(!screen.contains("pw"), "{screen}");
}

#[test]
fn watch_json_prints_an_object_per_refresh_until_sigint() {
    let (mut watch, reports) = watch(url(), &[], &["--watch", "200ms", "--json"]);
    let mut times = Vec::new();
    for _ in 0..3 {
        let report = next_report(&reports);
        assert_eq!(report["verdict"], "healthy");
        times.push(report["time"].as_str().unwrap().to_string());
    }
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    signal(watch.id(), libc::SIGINT);
    let status = watch.wait().unwrap();
    assert_eq!(status, killed_by(libc::SIGINT));
    for rest in reports.iter() {
        serde_json::from_str::<Value>(&rest).expect("a partial object");
    }
}

#[test]
fn piped_watch_prints_one_line_per_refresh() {
    let (mut watch, lines) = watch(url(), &[], &["--watch", "100ms"]);
    let first = next_line(&lines);
    let second = next_line(&lines);
    signal(watch.id(), libc::SIGTERM);
    watch.wait().unwrap();
    assert!(first.contains(" healthy queue 0%"), "{first}");
    assert!(!first.contains("/s)"), "a rate from one reading: {first}");
    assert!(second.contains(" healthy queue 0% (+0%/s)"), "{second}");
}

#[test]
fn watch_on_a_terminal_redraws_in_place_until_ctrl_c() {
    let command = format!("{BIN} status --color never --watch 200ms");
    let mut script = clean(Command::new("script"))
        .args(["-qfec", &command, "/dev/null"])
        .env("DATABASE_URL", url())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script (util-linux)");
    let mut stdout = script.stdout.take().unwrap();
    let mut screen = Vec::new();
    let frames = |screen: &[u8]| String::from_utf8_lossy(screen).matches("\x1b[H").count();
    while frames(&screen) < 3 {
        let mut buf = [0u8; 4096];
        let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
        assert!(n > 0, "{}", String::from_utf8_lossy(&screen));
        screen.extend_from_slice(&buf[..n]);
    }
    // Ctrl-C typed on the terminal.
    std::io::Write::write_all(script.stdin.as_mut().unwrap(), b"\x03").unwrap();
    let status = script.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status}");
    let screen = String::from_utf8_lossy(&screen);
    let frame = screen.split("\x1b[H").nth(2).unwrap();
    assert!(
        frame.starts_with("NOTIFY health: healthy\x1b[K"),
        "{frame:?}"
    );
    assert!(
        frame.contains("\x1b[J"),
        "what the last frame left is not cleared"
    );
}

#[test]
fn watch_survives_a_killed_session_and_a_server_restart_saying_unknown_meanwhile() {
    // The server is stopped and started again: a server of its own.
    let server = start_sandbox(&[]);
    let port = port_of(&server.url).to_string();
    let app = channel("status_watch");
    let (mut watch, reports) = watch(
        &server.url,
        &[("PGAPPNAME", &app)],
        &["--watch", "100ms", "--json"],
    );
    let next = || next_report(&reports);
    assert_eq!(next()["verdict"], "healthy");
    let first = pids_where(&server.url, &format!("application_name = '{app}'"));
    psql_at(
        &server.url,
        &format!("SELECT pg_terminate_backend({})", first[0]),
    );
    wait_until("status to reconnect", || {
        let now = pids_where(&server.url, &format!("application_name = '{app}'"));
        !now.is_empty() && now != first
    });
    // Reconnected within the same refresh: nothing but healthy reports.
    while let Ok(line) = reports.try_recv() {
        let report: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(report["verdict"], "healthy", "{report:#}");
    }
    assert_eq!(next()["verdict"], "healthy");

    stop_sandbox(&server);
    let mut unknown = next();
    while unknown["verdict"] == "healthy" {
        unknown = next();
    }
    assert_eq!(unknown["verdict"], "unknown", "{unknown:#}");
    assert!(
        unknown["reasons"][0]
            .as_str()
            .unwrap()
            .contains("could not connect"),
        "{unknown:#}"
    );
    let restarted = start_sandbox(&["--port", &port]);
    while next()["verdict"] != "healthy" {}
    signal(watch.id(), libc::SIGINT);
    watch.wait().unwrap();
    stop_sandbox(&restarted);
}

#[test]
fn a_standby_is_degraded_because_listen_and_notify_cannot_run_there() {
    let pair = Pair::start();
    let (code, report) = status_json(&pair.standby.url, &[]);
    assert_eq!(code, 4, "{report:#}");
    assert_eq!(report["server"]["in_recovery"], true);
    assert!(
        report["reasons"][0].as_str().unwrap().contains("standby"),
        "{report:#}"
    );
    let screen = status_screen(&pair.standby.url, 4);
    assert!(
        screen.contains("standby: LISTEN/NOTIFY cannot run here"),
        "{screen}"
    );
    // The primary of the pair is fine.
    status_screen(&pair.primary.url, 0);
}
