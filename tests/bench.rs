//! `pgpubsub bench` against a real server: exact counts, the loss check failing when a listener's
//! backend is killed or stalled, the open-loop rate and its latency from the schedule, Ctrl-C's
//! partial report, the documented JSON fields, and usage errors.
//!
//! Runs that are disturbed mid-flight get a database of their own, so that the backends a test
//! stops or kills (found in pg_stat_activity by database and application_name) are its own.

mod common;

use common::*;
use predicates::prelude::*;
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const LISTENER: &str = "pgpubsub-bench-listener";
const SENDER: &str = "pgpubsub-bench-sender";

/// Every field `bench --help` documents for `--json`, as a jq path.
const JSON_FIELDS: &[&str] = &[
    ".workload.senders",
    ".workload.listeners",
    ".workload.channels",
    ".workload.payload_size",
    ".workload.batch",
    ".workload.messages",
    ".workload.duration_s",
    ".workload.rate",
    ".workload.warmup_s",
    ".server_version",
    ".interrupted",
    ".drain_timed_out",
    ".duration_s",
    ".sent",
    ".expected",
    ".received",
    ".lost",
    ".duplicated",
    ".out_of_order",
    ".unexpected",
    ".send_rate.total",
    ".send_rate.mb_per_s",
    ".send_rate.per_connection.min",
    ".send_rate.per_connection.avg",
    ".send_rate.per_connection.max",
    ".receive_rate.total",
    ".receive_rate.mb_per_s",
    ".receive_rate.per_connection.min",
    ".receive_rate.per_connection.avg",
    ".receive_rate.per_connection.max",
    ".latency_us.min",
    ".latency_us.p50",
    ".latency_us.p90",
    ".latency_us.p99",
    ".latency_us.p99_9",
    ".latency_us.max",
    ".latency_us.mean",
    ".peak_queue_usage",
    ".warmup.sent",
    ".warmup.received",
    ".errors",
    ".workload.idle_listeners",
    ".workload.stalled_listener",
    ".workload.writers",
    ".workload.notify_every",
    ".server.version",
    ".server.synchronous_commit",
    ".server.fsync",
    ".server.max_notify_queue_pages",
    ".server.notify_queue_bytes",
    ".sender_lag_us.min",
    ".sender_lag_us.p50",
    ".sender_lag_us.p99",
    ".sender_lag_us.max",
    ".schedule_kept",
    ".sender_sessions",
    ".stalled_listener",
    ".writers",
];

const IDLE: &str = "pgpubsub-bench-idle";
const STALLED: &str = "pgpubsub-bench-stalled";

fn json(stdout: &[u8]) -> Value {
    serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(stdout)))
}

/// Run to success and parse the JSON report.
fn succeed(cmd: &mut assert_cmd::Command) -> (Value, Vec<u8>) {
    let stdout = cmd.assert().success().get_output().stdout.clone();
    (json(&stdout), stdout)
}

/// Wait until no session of pgpubsub bench is left in `db`, and no table of its.
fn assert_nothing_left(db: &str) {
    wait_for(&format!(
        "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity \
         WHERE datname = '{db}' AND application_name LIKE 'pgpubsub-bench-%')"
    ));
    let tables = psql_at(
        &url_with_db(db),
        "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'pgpubsub_bench%'",
    );
    assert_eq!(tables.trim(), "0", "bench left a table behind in {db}");
}

/// A number in a JSON report.
fn float(report: &Value, pointer: &str) -> f64 {
    report
        .pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{pointer} is not a number: {report}"))
}

fn count(report: &Value, field: &str) -> u64 {
    report[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} is not a count: {report}"))
}

/// A database of its own for one disturbed run; returns its name.
fn own_database(stem: &str) -> String {
    let name = channel(stem);
    psql(&format!("CREATE DATABASE {name}"));
    name
}

/// `pgpubsub bench -d DB ARGS... --json`, running in the background.
fn spawn_bench(db: &str, args: &[&str]) -> Child {
    let mut cmd = clean(Command::new(BIN));
    cmd.env("DATABASE_URL", url())
        .args(["bench", "-d", db, "--json"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().expect("cannot run pgpubsub bench")
}

/// Poll psql on the shared server until `sql` returns a non-empty result; returns it.
fn wait_for(sql: &str) -> String {
    wait_at(url(), sql)
}

/// Poll psql on `url` until `sql` returns a non-empty result; returns it.
fn wait_at(url: &str, sql: &str) -> String {
    let mut out = String::new();
    wait_until(sql, || {
        out = psql_at(url, sql).trim().to_string();
        !out.is_empty()
    });
    out
}

/// The backend pid of a bench connection of `db`, once its sender has started sending.
fn backend_once_sending(db: &str, application: &str) -> i32 {
    wait_for(&format!(
        "SELECT 1 FROM pg_stat_activity WHERE datname = '{db}' \
         AND application_name = '{SENDER}' AND query LIKE '%pg_notify%'"
    ));
    wait_for(&format!(
        "SELECT pid FROM pg_stat_activity WHERE datname = '{db}' \
         AND application_name = '{application}' ORDER BY pid LIMIT 1"
    ))
    .parse()
    .unwrap()
}

/// Send a signal to a local process (a server backend or pgpubsub).
fn signal(pid: i32, sig: i32) {
    // SAFETY: a plain syscall; the test runs as root or as the server's owner.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "cannot signal {pid}");
}

/// A server backend stopped with SIGSTOP until this is dropped, so that a failing assertion
/// never leaves the shared server with a frozen backend.
struct Stopped(i32);

impl Stopped {
    fn new(pid: i32) -> Self {
        signal(pid, libc::SIGSTOP);
        Stopped(pid)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        // SAFETY: a plain syscall; failing here (during a panic) must not panic again.
        unsafe { libc::kill(self.0, libc::SIGCONT) };
    }
}

/// Wait for a background run; returns its exit code, JSON report and stderr.
fn finish(child: Child) -> (std::process::ExitStatus, Value, String) {
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    (out.status, json(&out.stdout), stderr)
}

/// A scenario: `pgpubsub bench -d DB --json ARGS...` in a database of its own, with `during(DB)`
/// run while it runs; asserts that it succeeds and leaves no session or table behind, and
/// returns its report.
fn scenario(stem: &str, args: &[&str], during: impl FnOnce(&str)) -> Value {
    let db = own_database(stem);
    let child = spawn_bench(&db, args);
    during(&db);
    let (code, report, stderr) = finish(child);
    assert_eq!(code, exited(0), "{stderr}\n{report}");
    assert_nothing_left(&db);
    report
}

/// `pgpubsub bench ARGS...` on the shared server, run to success; its stdout.
fn bench_output(args: &[&str]) -> Vec<u8> {
    pgpubsub()
        .arg("bench")
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

#[test]
fn small_run_counts_exactly_and_json_has_every_documented_field() {
    let (report, out) = succeed(pgpubsub().args([
        "bench",
        "--senders",
        "2",
        "--listeners",
        "2",
        "--channels",
        "3",
        "--batch",
        "7",
        "--messages",
        "5000",
        "--json",
    ]));
    assert_eq!(count(&report, "sent"), 5000, "{report}");
    assert_eq!(count(&report, "expected"), 10000, "{report}");
    assert_eq!(count(&report, "received"), 10000, "{report}");
    for field in ["lost", "duplicated", "out_of_order", "unexpected"] {
        assert_eq!(count(&report, field), 0, "{field}: {report}");
    }
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(report["interrupted"], false);
    assert_eq!(report["workload"]["channels"], 3);
    // Without a rate each sender waits for its commits on one session.
    assert_eq!(count(&report, "sender_sessions"), 2, "{report}");
    let latency = &report["latency_us"];
    assert!(latency["min"].as_u64().unwrap() <= latency["p50"].as_u64().unwrap());
    assert!(latency["p99"].as_u64().unwrap() <= latency["max"].as_u64().unwrap());
    assert!(report["send_rate"]["total"].as_f64().unwrap() > 0.0);
    // The queue's size is the server's: set by max_notify_queue_pages on 17+, fixed before.
    let (pages, bytes) = expected_queue_limit(url());
    assert_eq!(
        report["server"]["max_notify_queue_pages"],
        serde_json::json!(pages)
    );
    assert_eq!(report["server"]["notify_queue_bytes"], bytes, "{report}");

    // jq parses it and finds every documented field; the help documents every one of them.
    let help = pgpubsub()
        .args(["bench", "--help"])
        .output()
        .unwrap()
        .stdout;
    let help = String::from_utf8(help).unwrap();
    let mut jq = Command::new("jq")
        .arg("-e")
        .arg(format!(
            "[{}] | all(. != \"missing\")",
            JSON_FIELDS
                .iter()
                .map(|path| format!("(try ({path} | tostring) catch \"missing\")"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cannot run jq");
    std::io::Write::write_all(jq.stdin.as_mut().unwrap(), &out).unwrap();
    let jq = jq.wait_with_output().unwrap();
    assert!(
        jq.status.success(),
        "jq: {}",
        String::from_utf8_lossy(&jq.stdout)
    );
    for path in JSON_FIELDS {
        let field = path.rsplit('.').next().unwrap();
        assert!(help.contains(field), "--help does not document {field}");
        let mut value = &report;
        for key in path.trim_start_matches('.').split('.') {
            value = value
                .get(key)
                .unwrap_or_else(|| panic!("{path} missing: {report}"));
        }
    }
}

#[test]
fn table_reports_warmup_and_delivery_without_color_when_piped() {
    pgpubsub()
        .args([
            "bench",
            "--messages",
            "2000",
            "--warmup",
            "300ms",
            "--batch",
            "10",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(r"(?m)^sent +2000 ")
                .unwrap()
                .and(predicate::str::contains("of 2000 expected"))
                .and(predicate::str::contains("warmup"))
                .and(predicate::str::contains("exactly once, in order"))
                .and(predicate::str::contains("p99.9"))
                .and(predicate::str::contains(queue_described(url())))
                .and(predicate::str::contains("\x1b[").not()),
        );
}

#[test]
fn killed_listener_backend_is_reported_as_loss() {
    let db = own_database("bench_kill");
    let child = spawn_bench(
        &db,
        &["--listeners", "2", "--rate", "1000/s", "--duration", "3s"],
    );
    let victim = backend_once_sending(&db, LISTENER);
    assert_eq!(
        psql(&format!("SELECT pg_terminate_backend({victim})")).trim(),
        "t"
    );
    let (code, report, stderr) = finish(child);
    assert_eq!(code, exited(1), "{stderr}\n{report}");
    let lost = count(&report, "lost");
    assert!(lost > 0, "{report}");
    // The other listener got everything; what the killed one missed is exactly the loss.
    assert_eq!(
        lost,
        count(&report, "expected") - count(&report, "received")
    );
    assert!(count(&report, "received") >= count(&report, "sent"));
    assert!(stderr.contains("delivery failed"), "{stderr}");
    assert!(
        report["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("listener"),
        "{report}"
    );
}

#[test]
fn rate_is_kept_and_latency_counts_from_the_schedule() {
    // A commit waiting in SyncRep holds the NOTIFY commit lock, so every notifying commit of the
    // server waits behind it: the sender's sessions get stuck however many it opens, and an
    // open-loop benchmark must show the stall in the latency of each notification due
    // meanwhile. synchronous_standby_names is server-wide: this test has a server of its own.
    let server = start_sandbox(&[]);
    let url = server.url.as_str();
    psql_at(url, "CREATE TABLE bench_stall (id int)");
    psql_at(url, "ALTER SYSTEM SET synchronous_standby_names = 'nobody'");
    psql_at(url, "SELECT pg_reload_conf()");
    wait_at(
        url,
        "SELECT 1 WHERE current_setting('synchronous_standby_names') = 'nobody'",
    );
    // A modest rate and time to spare, so that a sender on a loaded machine (CI runs releases
    // side by side) still catches up after the stall, however long the machine makes it.
    let child = spawn_bench(url, &["--rate", "200/s", "--duration", "6s"]);
    wait_at(
        url,
        &format!(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = '{SENDER}' \
             AND query LIKE '%pg_notify%'"
        ),
    );
    // The sandbox runs with synchronous_commit off; the holder asks for it back, writes a row
    // and notifies, so its commit waits for a standby that never comes.
    let mut holder = psql_session(
        url,
        &[
            "SET synchronous_commit = on",
            "BEGIN",
            "INSERT INTO bench_stall VALUES (1)",
            "NOTIFY bench_stall",
            "COMMIT",
        ],
    );
    wait_at(
        url,
        "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'SyncRep'",
    );
    // The stall's length, not a wait for a condition.
    std::thread::sleep(Duration::from_millis(500));
    psql_at(url, "ALTER SYSTEM RESET synchronous_standby_names");
    psql_at(url, "SELECT pg_reload_conf()");
    assert!(
        holder.wait().unwrap().success(),
        "the holder's commit failed"
    );
    let (code, report, stderr) = finish(child);
    assert_eq!(code, exited(0), "{stderr}\n{report}");
    let sent = count(&report, "sent");
    assert!((1176..=1224).contains(&sent), "sent {sent}: {report}");
    assert_eq!(count(&report, "received"), sent);
    assert!(report["duration_s"].as_f64().unwrap() >= 5.9, "{report}");
    let p99 = report["latency_us"]["p99"].as_u64().unwrap();
    assert!(p99 >= 300_000, "p99 {p99} µs hides the stall: {report}");
    // While its session was stuck the sender went on in others, until they were stuck too.
    let sessions = count(&report, "sender_sessions");
    assert!(sessions > 1, "{sessions} sessions: {report}");
    assert!(
        stderr.contains("the senders fell behind their schedule"),
        "{stderr}"
    );
}

#[test]
fn ctrl_c_prints_a_partial_report() {
    let db = own_database("bench_int");
    let child = spawn_bench(&db, &["--rate", "1000/s", "--duration", "60s"]);
    backend_once_sending(&db, SENDER);
    signal(child.id() as i32, libc::SIGINT);
    let (code, report, stderr) = finish(child);
    assert_eq!(code, killed_by(libc::SIGINT), "{stderr}\n{report}");
    assert_eq!(report["interrupted"], true);
    let sent = count(&report, "sent");
    assert!(sent > 0 && sent < 60_000, "{report}");
    assert_eq!(count(&report, "received"), sent, "{report}");
    assert_eq!(count(&report, "lost"), 0, "{report}");
}

#[test]
fn stalled_listener_is_waited_for_then_what_never_came_is_lost() {
    if shared_sandbox().is_none() {
        return; // backends of an external server may not be ours to signal
    }
    // Caught up within the drain timeout: counted to the last message.
    let db = own_database("bench_drain");
    // At 3000/s the sending lasts a second, so the listener is stopped while it goes on.
    let child = spawn_bench(&db, &["--messages", "3000", "--rate", "3000/s"]);
    let listener = backend_once_sending(&db, LISTENER);
    let stalled = Stopped::new(listener);
    wait_for(&format!(
        "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity \
         WHERE datname = '{db}' AND application_name = '{SENDER}')"
    ));
    drop(stalled);
    let (code, report, stderr) = finish(child);
    assert_eq!(code, exited(0), "{stderr}\n{report}");
    assert_eq!(count(&report, "received"), 3000, "{report}");
    assert_eq!(report["drain_timed_out"], false);

    // Never caught up: the drain timeout ends the wait and the rest is lost.
    let db = own_database("bench_drain");
    let child = spawn_bench(
        &db,
        &[
            "--messages",
            "3000",
            "--rate",
            "3000/s",
            "--drain-timeout",
            "1s",
        ],
    );
    let listener = backend_once_sending(&db, LISTENER);
    let stalled = Stopped::new(listener);
    let (code, report, stderr) = finish(child);
    drop(stalled);
    assert_eq!(code, exited(1), "{stderr}\n{report}");
    assert_eq!(report["drain_timed_out"], true, "{report}");
    assert_eq!(
        count(&report, "lost"),
        3000 - count(&report, "received"),
        "{report}"
    );
    assert!(count(&report, "lost") > 0, "{report}");
}

#[test]
fn a_closed_stdout_does_not_hide_loss() {
    if shared_sandbox().is_none() {
        return; // backends of an external server may not be ours to signal
    }
    let db = own_database("bench_closed");
    let mut child = spawn_bench(
        &db,
        &[
            "--messages",
            "2000",
            "--rate",
            "2000/s",
            "--drain-timeout",
            "500ms",
        ],
    );
    drop(child.stdout.take());
    let stalled = Stopped::new(backend_once_sending(&db, LISTENER));
    let out = child.wait_with_output().unwrap();
    drop(stalled);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("delivery failed"), "{stderr}");
}

#[test]
fn ephemeral_runs_on_a_throwaway_server() {
    let (report, _) =
        succeed(pgpubsub_bare().args(["bench", "--ephemeral", "--messages", "1000", "--json"]));
    assert_eq!(count(&report, "received"), 1000, "{report}");
    // The binaries the tests run (PGPUBSUB_BIN_DIR, when set): the release is theirs.
    assert_eq!(
        report["server_version"],
        binaries_version(&server_bindir()),
        "{report}"
    );
}

#[test]
fn idle_and_stalled_listeners_grow_the_queue_and_leave_nothing_behind() {
    let args = [
        "--idle-listeners",
        "3",
        "--stalled-listener",
        "--rate",
        "2000/s",
        "--duration",
        "2s",
    ];
    let report = scenario("bench_stall", &args, |db| {
        // While it runs: three idle listeners, and a listener idle in its open transaction.
        wait_for(&format!(
            "SELECT 1 WHERE (SELECT count(*) FROM pg_stat_activity \
             WHERE datname = '{db}' AND application_name = '{IDLE}') = 3"
        ));
        wait_for(&format!(
            "SELECT 1 FROM pg_stat_activity WHERE datname = '{db}' \
             AND application_name = '{STALLED}' AND state = 'idle in transaction'"
        ));
    });
    assert_eq!(report["workload"]["idle_listeners"], 3);
    assert_eq!(report["workload"]["stalled_listener"], true);
    assert_eq!(count(&report, "received"), count(&report, "sent"));
    let stalled = &report["stalled_listener"];
    assert!(float(stalled, "/growth_per_s") > 0.0, "{report}");
    assert!(
        float(stalled, "/queue_usage_end") > float(stalled, "/queue_usage_start"),
        "{report}"
    );
    assert!(float(stalled, "/time_to_full_s") > 0.0, "{report}");
    assert_eq!(stalled["released"], true, "{report}");
}

#[test]
fn writers_compare_the_write_path_with_and_without_notify_and_drop_their_table() {
    let args = [
        "--writers",
        "2",
        "--notify-every",
        "3",
        "--duration",
        "500ms",
    ];
    let report = scenario("bench_writers", &args, |db| {
        // The table's name reaches the SQL quoted, as every name does.
        wait_for(&format!(
            "SELECT 1 FROM pg_stat_activity WHERE datname = '{db}' \
             AND query LIKE '%INSERT INTO \"pgpubsub_bench_%_writes\" %'"
        ));
    });
    let writers = &report["writers"];
    assert_eq!(writers["sessions"], 2, "{report}");
    assert_eq!(writers["notify_every"], 3, "{report}");
    for phase in ["without_notify", "with_notify"] {
        assert!(
            float(writers, &format!("/{phase}/commits_per_s")) > 0.0,
            "{report}"
        );
        assert!(
            float(writers, &format!("/{phase}/latency_p50_us")) > 0.0,
            "{report}"
        );
        assert!(
            float(writers, &format!("/{phase}/latency_p99_us"))
                >= float(writers, &format!("/{phase}/latency_p50_us")),
            "{report}"
        );
    }
    let ratio = float(writers, "/commit_rate_ratio");
    let rates = float(writers, "/with_notify/commits_per_s")
        / float(writers, "/without_notify/commits_per_s");
    assert!((ratio - rates).abs() < 1e-6, "{report}");
    // Every third transaction of each writer notified, and every notification arrived.
    let commits = float(writers, "/with_notify/commits") as u64;
    let sent = count(&report, "sent");
    assert!(
        sent * 3 >= commits && sent * 3 <= commits + 2 * 3,
        "{report}"
    );
    assert_eq!(count(&report, "received"), sent, "{report}");

    // The CSV spectrum gains both phases' commit latency.
    let rows = csv_rows(&bench_output(&[
        "--writers",
        "1",
        "--duration",
        "200ms",
        "--csv",
    ]));
    assert_eq!(
        rows[0],
        [
            "percentile",
            "latency_us",
            "sender_lag_us",
            "commit_without_notify_us",
            "commit_with_notify_us"
        ]
    );
    assert!(rows[1..]
        .iter()
        .all(|r| r[3].parse::<u64>().is_ok() && r[4].parse::<u64>().is_ok()));
}

#[test]
fn sweep_gives_one_row_per_step_as_json_and_as_csv() {
    let args = [
        "--sweep",
        "500..1k",
        "--duration",
        "300ms",
        "--p99-target",
        "5s",
        "--idle-listeners",
        "1",
    ];
    let report = scenario("bench_sweep", &args, |_| {});
    let steps = report["steps"].as_array().expect("steps");
    let targets: Vec<f64> = steps
        .iter()
        .map(|s| s["target_rate"].as_f64().unwrap())
        .collect();
    assert_eq!(targets, [500.0, 1000.0], "{report}");
    assert_eq!(report["p99_target_us"], 5_000_000);
    for step in steps {
        assert_eq!(step["lost"], 0, "{report}");
        assert!(step["achieved_rate"].as_f64().unwrap() > 0.0, "{report}");
        assert!(step["met_target"].is_boolean(), "{report}");
    }
    assert!(report["server"]["fsync"].is_string(), "{report}");

    let rows = csv_rows(&bench_output(&[
        "--sweep",
        "250..1000",
        "--duration",
        "200ms",
        "--csv",
    ]));
    assert_eq!(rows[0][0], "target_rate");
    assert_eq!(rows.len(), 4, "{rows:?}");
    let rates: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(rates, ["250", "500", "1000"]);
}

/// Parse CSV of plain fields: every row as wide as the header.
fn csv_rows(out: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8(out.to_vec()).unwrap();
    let rows: Vec<Vec<String>> = text
        .lines()
        .map(|line| line.split(',').map(str::to_string).collect())
        .collect();
    for row in &rows {
        assert_eq!(row.len(), rows[0].len(), "ragged CSV:\n{text}");
    }
    rows
}

#[test]
fn csv_gives_the_percentile_spectrum_and_the_chart_fits_80_columns() {
    let rows = csv_rows(&bench_output(&[
        "--messages",
        "2000",
        "--rate",
        "4000/s",
        "--csv",
    ]));
    assert_eq!(rows[0], ["percentile", "latency_us", "sender_lag_us"]);
    let latencies: Vec<u64> = rows[1..].iter().map(|r| r[1].parse().unwrap()).collect();
    assert!(latencies.len() > 10, "{rows:?}");
    assert!(latencies.windows(2).all(|w| w[0] <= w[1]), "{rows:?}");
    assert!(
        rows[1..].iter().all(|r| r[2].parse::<u64>().is_ok()),
        "{rows:?}"
    );

    let out = bench_output(&["--messages", "2000", "--rate", "4000/s"]);
    let table = String::from_utf8(out).unwrap();
    assert!(table.contains("synchronous_commit"), "{table}");
    assert!(table.contains("sender lag"), "{table}");
    let chart: Vec<&str> = table
        .lines()
        .filter(|l| l.contains('│') || l.contains('└'))
        .collect();
    assert!(chart.len() >= 5, "{table}");
    for line in chart {
        assert!(
            line.chars().count() <= 80,
            "wider than 80 columns: {line:?}"
        );
    }
}

#[test]
fn bad_workloads_are_usage_errors() {
    for (args, says) in [
        (&["--payload-size", "10"][..], "--payload-size"),
        (&["--payload-size", "8000"][..], "7999"),
        (&["--rate", "fast"][..], "--rate"),
        (&["--messages", "1", "--senders", "2"][..], "--senders"),
        (&["--messages", "10", "--duration", "1s"][..], "--duration"),
        (&["--ephemeral", "-d", "x"][..], "--ephemeral"),
        (&["--duration", "0s"][..], "--duration"),
        (&["--notify-every", "2"][..], "--writers"),
        (&["--p99-target", "1s"][..], "--sweep"),
        // Not ignored when a flag they need conflicts with one given (clap drops `requires`).
        (&["--p99-target", "10ms", "--messages", "10"][..], "--sweep"),
        (&["--notify-every", "5", "--senders", "2"][..], "--writers"),
        (&["--senders", "-1"][..], "whole number"),
        (&["--sweep", "2k..1k"][..], "--sweep"),
        (&["--sweep", "1k"][..], "--sweep"),
        (&["--json", "--csv"][..], "--csv"),
        (&["--writers", "2", "--rate", "5"][..], "--rate"),
    ] {
        pgpubsub()
            .arg("bench")
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
}
