//! Durable channels against real servers: the journal's life (init as a role with CREATE on one
//! schema only, drop leaving nothing behind, hostile names), the reader's promises (records
//! whose transactions commit out of position order, seconds apart, delivered live and by a
//! catch-up; a consumer killed ten times delivering every record; a listener cut off while
//! 10 000 records are published replaying them in order; a failover to a promoted standby),
//! prune keeping what a consumer needs, the at-least-once bridge through `--exec`, and what a
//! forged notification cannot do. Every test uses a journal in a schema of its own.

mod common;

use common::*;
use serde_json::Value;
use sqlx::{Connection, PgConnection};
use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Duration;

/// A schema no other test uses, with a journal in it.
fn journal() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let schema = format!(
        "j{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    pgpubsub()
        .args(["journal", "init", "--schema", &schema])
        .assert()
        .success();
    schema
}

/// `"schema"` for SQL.
fn quoted(schema: &str) -> String {
    format!("\"{}\"", schema.replace('"', "\"\""))
}

/// Publish `payloads` on `channel` through `publish()`, one transaction each, with psql;
/// returns their positions.
fn publish(schema: &str, channel: &str, payloads: &[&str]) -> Vec<i64> {
    let calls: Vec<String> = payloads
        .iter()
        .map(|p| {
            format!(
                "SELECT {}.publish('{}', '{}');",
                quoted(schema),
                channel.replace('\'', "''"),
                p.replace('\'', "''")
            )
        })
        .collect();
    psql(&calls.join(" "))
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect()
}

/// The position a consumer stores once it has handled the whole batch holding `position`
/// (the journal numbers records `batch * 10000 + i`): the end of that batch.
fn settled(position: i64) -> i64 {
    position / 10_000 * 10_000 + 9_999
}

/// A stored consumer position.
fn stored(schema: &str, consumer: &str) -> Option<i64> {
    let out = psql(&format!(
        "SELECT position FROM {}.consumers WHERE name = '{consumer}'",
        quoted(schema)
    ));
    out.trim().parse().ok()
}

/// `pgpubsub listen --durable --journal-schema S --json --events ARGS` at `url`, with its
/// stdout and stderr as lines.
fn durable_at(
    url: &str,
    schema: &str,
    args: &[&str],
) -> (Child, Receiver<String>, Receiver<String>) {
    let mut cmd = clean(Command::new(BIN));
    cmd.env("DATABASE_URL", url)
        .args([
            "listen",
            "--durable",
            "--journal-schema",
            schema,
            "--json",
            "--events",
        ])
        .args(args);
    spawn_with_lines(cmd)
}

fn durable(schema: &str, args: &[&str]) -> (Child, Receiver<String>, Receiver<String>) {
    durable_at(url(), schema, args)
}

/// The next JSON line of `out` (failing after the harness's wait limit).
fn next_json(out: &Receiver<String>) -> Value {
    let line = out
        .recv_timeout(WAIT_LIMIT)
        .unwrap_or_else(|_| panic!("no line within {WAIT_LIMIT:?}"));
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

/// Read JSON lines until an event named `event`; returns the records (position, payload)
/// before it, and the event.
fn records_until(out: &Receiver<String>, event: &str) -> (Vec<(i64, String)>, Value) {
    let mut records = Vec::new();
    loop {
        let value = next_json(out);
        match value.get("event").and_then(Value::as_str) {
            Some(name) if name == event => return (records, value),
            Some(_) => {}
            None => records.push(record(&value)),
        }
    }
}

/// `n` records from `out` (events skipped).
fn records(out: &Receiver<String>, n: usize) -> Vec<(i64, String)> {
    let mut records = Vec::new();
    while records.len() < n {
        let value = next_json(out);
        if value.get("event").is_none() {
            records.push(record(&value));
        }
    }
    records
}

fn record(value: &Value) -> (i64, String) {
    (
        value["position"].as_i64().expect("a position"),
        value["payload"].as_str().expect("a payload").to_string(),
    )
}

fn signal(child: &Child, signal: i32) {
    // SAFETY: signalling a child this test spawned.
    unsafe { libc::kill(child.id() as i32, signal) };
}

/// A transaction held open on its own connection (and thread) after publishing one record,
/// committed when told: a publisher whose position is taken long before its commit.
struct Held {
    position: i64,
    commit: std::sync::mpsc::Sender<()>,
    done: std::thread::JoinHandle<()>,
}

fn hold(schema: &str, channel: &str, payload: &str) -> Held {
    let (url, schema, channel, payload) = (
        url().to_string(),
        schema.to_string(),
        channel.to_string(),
        payload.to_string(),
    );
    let (position_tx, position_rx) = std::sync::mpsc::channel();
    let (commit, commit_rx) = std::sync::mpsc::channel::<()>();
    let done = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut conn = PgConnection::connect(&url).await.unwrap();
            let mut tx = conn.begin().await.unwrap();
            let position: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT {}.publish($1, $2)",
                quoted(&schema)
            )))
            .bind(&channel)
            .bind(&payload)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            position_tx.send(position).unwrap();
            let _ = commit_rx.recv();
            tx.commit().await.unwrap();
        })
    });
    Held {
        position: position_rx.recv().unwrap(),
        commit,
        done,
    }
}

impl Held {
    fn commit(self) {
        self.commit.send(()).unwrap();
        self.done.join().unwrap();
    }
}

#[test]
fn records_committed_out_of_position_order_are_delivered_live_and_by_a_catch_up() {
    let schema = journal();
    let ch = channel("ooo");
    let (mut live, live_out, _) = durable(&schema, &[&ch]);
    records_until(&live_out, "caught_up");

    // The lower position is taken first and committed last, seconds later.
    let low = hold(&schema, &ch, "low");
    let high = publish(&schema, &ch, &["high"])[0];
    assert!(low.position < high);
    assert_eq!(records(&live_out, 1), [(high, "high".to_string())]);

    // A consumer that starts now reads the journal from the beginning: it sees "high" and
    // passes position `low` while that transaction is still open.
    let (mut catching, catching_out, _) = durable(
        &schema,
        &["--consumer", "late", "--since", "beginning", &ch],
    );
    let (replayed, caught_up) = records_until(&catching_out, "caught_up");
    assert_eq!(replayed, [(high, "high".to_string())]);
    assert_eq!(caught_up["replayed"], 1);
    // Its stored position stays below the open transaction's record, whatever it has read.
    std::thread::sleep(Duration::from_secs(2));
    assert!(stored(&schema, "late").unwrap() < low.position);

    let position = low.position;
    low.commit();
    assert_eq!(records(&live_out, 1), [(position, "low".to_string())]);
    assert_eq!(records(&catching_out, 1), [(position, "low".to_string())]);
    wait_until("the consumer to store a position past both records", || {
        stored(&schema, "late").is_some_and(|p| p >= high)
    });
    for child in [&mut live, &mut catching] {
        signal(child, libc::SIGTERM);
        assert_eq!(child.wait().unwrap(), killed_by(libc::SIGTERM));
    }
}

#[test]
fn a_consumer_killed_ten_times_delivers_every_record_repeating_only_what_it_had_not_stored() {
    let schema = journal();
    let ch = channel("kill");
    let total = 6000;
    // The publisher: batches of 100 while the consumer is killed and started again.
    let publisher = {
        let schema = schema.clone();
        let ch = ch.clone();
        std::thread::spawn(move || {
            for batch in 0..total / 100 {
                let input: String = (0..100).map(|i| format!("{}\n", batch * 100 + i)).collect();
                let mut cmd = pgpubsub();
                cmd.args(["notify", "--durable", "--journal-schema", &schema, &ch, "-"])
                    .write_stdin(input)
                    .assert()
                    .success();
                std::thread::sleep(Duration::from_millis(80));
            }
        })
    };
    let mut seen: BTreeMap<i64, u32> = BTreeMap::new();
    let mut duplicates = 0;
    let mut since = vec!["--since", "beginning"];
    let mut stored_at_kill: Option<i64> = None;
    for _ in 0..10 {
        let mut args = vec!["--consumer", "killed"];
        args.extend(&since);
        args.push(&ch);
        let (mut child, out, _) = durable(&schema, &args);
        since.clear();
        // Mid-stream: a while after its first record (or, with nothing left to read, after a
        // longer while), SIGKILL.
        let started = std::time::Instant::now();
        let mut first: Option<std::time::Instant> = None;
        while first.map_or(started.elapsed() < Duration::from_secs(3), |at| {
            at.elapsed() < Duration::from_millis(300)
        }) {
            let Ok(line) = out.recv_timeout(Duration::from_millis(20)) else {
                continue;
            };
            let value: Value = serde_json::from_str(&line).unwrap();
            if value.get("event").is_some() {
                continue;
            }
            first.get_or_insert_with(std::time::Instant::now);
            let (position, _) = record(&value);
            let count = seen.entry(position).or_default();
            *count += 1;
            if *count > 1 {
                duplicates += 1;
                // Only what was not stored comes again.
                assert!(
                    stored_at_kill.is_none_or(|s| position > s),
                    "position {position} repeated though {stored_at_kill:?} was stored"
                );
            }
        }
        signal(&child, libc::SIGKILL);
        child.wait().unwrap();
        // What was stored at the kill; lines already written stay counted above.
        while let Ok(line) = out.recv_timeout(Duration::from_millis(200)) {
            if let Ok(value) = serde_json::from_str::<Value>(&line) {
                if value.get("event").is_none() {
                    *seen.entry(record(&value).0).or_default() += 1;
                }
            }
        }
        stored_at_kill = stored(&schema, "killed");
        eprintln!(
            "kill: stored {stored_at_kill:?}, seen up to {:?}",
            seen.keys().next_back()
        );
    }
    publisher.join().unwrap();
    // The last run reads to the end.
    let (mut child, out, _) = durable(&schema, &["--consumer", "killed", &ch]);
    let published: BTreeSet<i64> = psql(&format!(
        "SELECT position FROM {}.records WHERE channel = '{ch}'",
        quoted(&schema)
    ))
    .lines()
    .map(|l| l.parse().unwrap())
    .collect();
    assert_eq!(published.len(), total);
    while !published.iter().all(|p| seen.contains_key(p)) {
        let value = next_json(&out);
        if value.get("event").is_none() {
            let position = record(&value).0;
            let count = seen.entry(position).or_default();
            *count += 1;
            if *count > 1 {
                duplicates += 1;
                assert!(stored_at_kill.is_none_or(|s| position > s));
            }
        }
    }
    signal(&child, libc::SIGTERM);
    assert_eq!(child.wait().unwrap(), killed_by(libc::SIGTERM));
    assert_eq!(
        seen.len(),
        total,
        "records outside the journal were delivered"
    );
    eprintln!("{total} records, 10 kills: {duplicates} delivered twice, none lost");
}

#[test]
fn a_listener_cut_off_while_10000_records_are_published_replays_them_in_order_then_goes_live() {
    let schema = journal();
    let ch = channel("down");
    let app = format!("down_{}", std::process::id());
    let mut cmd = clean(Command::new(BIN));
    cmd.env("DATABASE_URL", format!("{}?application_name={app}", url()))
        .args([
            "listen",
            "--durable",
            "--journal-schema",
            &schema,
            "--json",
            "--events",
            "--reconnect-max",
            "200ms",
            &ch,
        ]);
    let (mut child, out, _) = spawn_with_lines(cmd);
    records_until(&out, "caught_up");
    // Frozen, its sessions killed: everything sent now is lost to LISTEN.
    signal(&child, libc::SIGSTOP);
    let mut killed = 0;
    wait_until("both sessions to be killed", || {
        killed += kill_backends(url(), &app);
        killed >= 2
    });
    let input: String = (1..=10_000).map(|i| format!("{i}\n")).collect();
    pgpubsub()
        .args(["notify", "--durable", "--journal-schema", &schema, &ch, "-"])
        .write_stdin(input)
        .assert()
        .success();
    signal(&child, libc::SIGCONT);
    let (replayed, caught_up) = records_until(&out, "caught_up");
    assert_eq!(caught_up["replayed"], 10_000);
    assert!(caught_up["down_ms"].as_u64().is_some());
    let payloads: Vec<String> = replayed.iter().map(|(_, p)| p.clone()).collect();
    let expected: Vec<String> = (1..=10_000).map(|i| i.to_string()).collect();
    assert_eq!(payloads, expected, "replayed out of order or incomplete");
    assert!(replayed.windows(2).all(|w| w[0].0 < w[1].0));
    // Live again.
    let next = publish(&schema, &ch, &["live"])[0];
    assert_eq!(records(&out, 1), [(next, "live".to_string())]);
    signal(&child, libc::SIGTERM);
    child.wait().unwrap();
}

#[test]
fn a_consumer_stopped_while_records_are_published_resumes_where_it_left_off() {
    let schema = journal();
    let ch = channel("resume");
    let (mut child, out, err) = durable(&schema, &["--consumer", "c", &ch]);
    records_until(&out, "caught_up");
    line_with(&err, "consumer \"c\": starting after position 0");
    let first = publish(&schema, &ch, &["one"])[0];
    assert_eq!(records(&out, 1), [(first, "one".to_string())]);
    signal(&child, libc::SIGTERM);
    assert_eq!(child.wait().unwrap(), killed_by(libc::SIGTERM));
    assert_eq!(
        stored(&schema, "c"),
        Some(settled(first)),
        "a clean stop stores the position"
    );
    let later = publish(&schema, &ch, &["two", "three"]);
    let (mut child, out, err) = durable(&schema, &["--consumer", "c", &ch]);
    line_with(&err, &format!("resuming after position {}", settled(first)));
    let (replayed, _) = records_until(&out, "caught_up");
    assert_eq!(
        replayed,
        [
            (later[0], "two".to_string()),
            (later[1], "three".to_string())
        ]
    );
    // Two listeners under one name would both deliver everything: the second is refused.
    let second = pgpubsub()
        .args([
            "listen",
            "--durable",
            "--journal-schema",
            &schema,
            "--consumer",
            "c",
            &ch,
        ])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("in use by another listener"));
    signal(&child, libc::SIGTERM);
    child.wait().unwrap();
}

#[test]
fn the_failover_pair_replays_on_the_promoted_standby_what_the_listener_missed() {
    let pair = Pair::start();
    let primary = pair.primary.url.clone();
    let schema = "failover";
    run_ok(
        clean(Command::new(BIN))
            .env("DATABASE_URL", &primary)
            .args(["journal", "init", "--schema", schema]),
    );
    let app = format!("failover_{}", std::process::id());
    let both = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/postgres?application_name={app}",
        port_of(&primary),
        pair.standby.port
    );
    let (mut child, out, _) = durable_at(
        &both,
        schema,
        &["--reconnect-max", "200ms", "--since", "beginning", "chan"],
    );
    records_until(&out, "caught_up");
    // Frozen and cut off (so no notification reaches it) while records are published and
    // replicated; then the primary crashes.
    signal(&child, libc::SIGSTOP);
    let mut killed = 0;
    wait_until("both sessions to be killed", || {
        killed += kill_backends(&primary, &app);
        killed >= 2
    });
    let insert = |url: &str, from: i32, to: i32| {
        psql_at(
            url,
            &format!("SELECT count({schema}.publish('chan', g::text)) FROM generate_series({from}, {to}) g"),
        )
    };
    insert(&primary, 1, 100);
    let last = psql_at(
        &primary,
        &format!("SELECT max(position) FROM {schema}.records"),
    );
    // The catalogs first: the table may not have reached the standby yet.
    wait_until("the standby to replay the journal", || {
        let exists = format!("SELECT to_regclass('{schema}.journal') IS NOT NULL");
        psql_at(&pair.standby.url, &exists).trim() == "t"
    });
    wait_until("the standby to replay the records", || {
        psql_at(
            &pair.standby.url,
            &format!("SELECT max(position) FROM {schema}.records"),
        ) == last
    });
    pair.crash_primary();
    pair.promote();
    insert(&pair.standby.url, 101, 150);
    signal(&child, libc::SIGCONT);
    let (replayed, caught_up) = records_until(&out, "caught_up");
    let payloads: Vec<String> = replayed.iter().map(|(_, p)| p.clone()).collect();
    let expected: Vec<String> = (1..=150).map(|i| i.to_string()).collect();
    assert_eq!(payloads, expected);
    assert_eq!(caught_up["replayed"], 150);
    signal(&child, libc::SIGTERM);
    child.wait().unwrap();
}

#[test]
fn prune_keeps_what_an_unfinished_consumer_needs() {
    let schema = journal();
    let ch = channel("prune");
    let positions = publish(&schema, &ch, &["1", "2", "3", "4", "5", "6"]);
    // The consumer handles three records and stops (-c 3): its position is the third.
    pgpubsub()
        .args([
            "listen",
            "--durable",
            "--journal-schema",
            &schema,
            "--consumer",
            "slow",
            "--since",
            "beginning",
            "-c",
            "3",
            &ch,
        ])
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    assert_eq!(stored(&schema, "slow"), Some(settled(positions[2])));
    let out = pgpubsub()
        .args([
            "journal",
            "prune",
            "--schema",
            &schema,
            "--older-than",
            "0s",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(said.contains("pruned 3 records"), "{said}");
    assert!(
        said.contains("kept 3 older records that consumer \"slow\""),
        "{said}"
    );
    let (mut child, out, _) = durable(&schema, &["--consumer", "slow", &ch]);
    let (replayed, _) = records_until(&out, "caught_up");
    assert_eq!(
        replayed.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
        positions[3..]
    );
    signal(&child, libc::SIGTERM);
    child.wait().unwrap();
    // Once it has read everything, prune takes the rest; --force would not wait for it.
    pgpubsub()
        .args([
            "journal",
            "prune",
            "--schema",
            &schema,
            "--older-than",
            "0s",
        ])
        .assert()
        .success();
    let left = psql(&format!("SELECT count(*) FROM {}.journal", quoted(&schema)));
    assert_eq!(left.trim(), "0");
}

#[test]
fn init_needs_only_create_on_one_schema_and_drop_leaves_nothing_behind() {
    let role = format!("jr_{}", std::process::id());
    let schema = format!("js_{}", std::process::id());
    psql(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}'; CREATE SCHEMA {schema}; \
         GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}; \
         CREATE TABLE {schema}.theirs (id int)"
    ));
    let as_role = url_with_role(&role);
    let run = |args: &[&str]| {
        let mut cmd = pgpubsub_bare();
        cmd.env("DATABASE_URL", &as_role).args(args);
        cmd
    };
    run(&["journal", "init", "--schema", &schema])
        .assert()
        .success();
    run(&["journal", "init", "--schema", &schema])
        .assert()
        .success()
        .stderr(predicates::str::contains("up to date"));
    // Creating a schema needs CREATE on the database, which the role lacks: said plainly.
    run(&["journal", "init", "--schema", &format!("{schema}_new")])
        .assert()
        .failure()
        .stderr(predicates::str::contains("permission denied"));
    run(&[
        "notify",
        "--durable",
        "--journal-schema",
        &schema,
        "c",
        "by the role",
    ])
    .assert()
    .success();
    run(&[
        "listen",
        "--durable",
        "--journal-schema",
        &schema,
        "--since",
        "beginning",
        "-c",
        "1",
        "c",
    ])
    .timeout(Duration::from_secs(60))
    .assert()
    .success()
    .stdout("c\tby the role\n");
    run(&["journal", "drop", "--schema", &schema])
        .assert()
        .success();
    // The schema stays (pgpubsub did not create it), with the role's own table; nothing of
    // the journal's is left.
    let left = psql(&format!(
        "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = '{schema}'"
    ));
    assert_eq!(left.trim(), "theirs");
    let functions = psql(&format!(
        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE nspname = '{schema}'"
    ));
    assert_eq!(functions.trim(), "0");

    // A schema pgpubsub created goes with the journal.
    let own = journal();
    publish(&own, "c", &["x"]);
    pgpubsub()
        .args(["journal", "drop", "--schema", &own])
        .assert()
        .success();
    let schemas = psql(&format!(
        "SELECT count(*) FROM pg_namespace WHERE nspname = '{own}'"
    ));
    assert_eq!(schemas.trim(), "0");
}

/// The shared server's URL as another role (whose password is `pw-ROLE`).
fn url_with_role(role: &str) -> String {
    let mut url = url::Url::parse(url()).unwrap();
    url.set_username(role).unwrap();
    url.set_password(Some(&format!("pw-{role}"))).unwrap();
    url.to_string()
}

#[test]
fn hostile_schema_and_channel_names_are_only_names() {
    let schema = format!("we\"ird; DROP TABLE x; -- {}", std::process::id());
    pgpubsub()
        .args(["journal", "init", "--schema", &schema])
        .assert()
        .success();
    let ch = "ch \"q\" ; $1 '\\ ü";
    let (mut child, out, _) = durable(&schema, &[ch]);
    records_until(&out, "caught_up");
    pgpubsub()
        .args([
            "notify",
            "--durable",
            "--journal-schema",
            &schema,
            ch,
            "it's $1 \"x\"",
        ])
        .assert()
        .success();
    let value = next_json(&out);
    assert_eq!(value["channel"], ch);
    assert_eq!(value["payload"], "it's $1 \"x\"");
    signal(&child, libc::SIGTERM);
    child.wait().unwrap();
    pgpubsub()
        .args(["journal", "drop", "--schema", &schema])
        .assert()
        .success();
}

#[test]
fn journal_status_on_a_terminal_shows_a_hostile_schema_inert_in_both_forms() {
    // Anyone who may create a schema chooses its name: on a terminal it must not act, and the
    // JSON form must stay JSON (sanitized as a value, before encoding).
    let schema = format!("j_{}_\u{1b}]0;owned\u{7}", std::process::id());
    pgpubsub()
        .args(["journal", "init", "--schema", &schema])
        .assert()
        .success();
    let on_a_terminal = |json: &str| {
        let command = format!("{BIN} journal status --schema \"$S\" {json}");
        let out = on_a_terminal(&command, &[("S", &schema)]);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "{text}");
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        text
    };
    let json: Value = serde_json::from_str(on_a_terminal("--json").trim_end()).unwrap();
    let shown = schema
        .replace('\u{1b}', r"\u{1b}")
        .replace('\u{7}', r"\u{7}");
    assert_eq!(json["schema"], shown);
    assert!(on_a_terminal("").contains(r"]0;owned\u{7}"));
    // Piped, the JSON is exact.
    let piped = pgpubsub()
        .args(["journal", "status", "--schema", &schema, "--json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&piped.stdout).unwrap();
    assert_eq!(json["schema"], schema);
    pgpubsub()
        .args(["journal", "drop", "--schema", &schema])
        .assert()
        .success();
}

#[test]
fn the_exec_bridge_stores_a_position_only_after_the_command_succeeded() {
    let schema = journal();
    let ch = channel("bridge");
    let dir = tempfile::tempdir().unwrap();
    let broker = dir.path().join("broker.log");
    let gate = dir.path().join("down");
    // A stand-in for `kcat -P`: appends position and payload, and fails while "down" exists.
    let command = format!(
        "test -e {gate} && exit 1; printf '%s %s\\n' \"$PGPUBSUB_POSITION\" \"$(cat)\" >> {broker}",
        gate = gate.display(),
        broker = broker.display()
    );
    let positions = publish(&schema, &ch, &["a", "b"]);
    let bridge = |extra: &[&str]| {
        let mut cmd = pgpubsub();
        cmd.args([
            "listen",
            "--durable",
            "--journal-schema",
            &schema,
            "--consumer",
            "to-broker",
        ])
        .args(extra)
        .args(["--exec", &command, &ch])
        .timeout(Duration::from_secs(60));
        cmd
    };
    bridge(&["--since", "beginning", "-c", "2"])
        .assert()
        .success();
    assert_eq!(stored(&schema, "to-broker"), Some(settled(positions[1])));
    // The broker is down: the command fails, the run ends (exit 1) and the position stays.
    std::fs::write(&gate, "").unwrap();
    let third = publish(&schema, &ch, &["c"])[0];
    bridge(&[])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(format!(
            "--exec failed for the record at position {third}"
        )));
    assert_eq!(stored(&schema, "to-broker"), Some(settled(positions[1])));
    // Back up: the record is delivered again, once.
    std::fs::remove_file(&gate).unwrap();
    bridge(&["-c", "1"]).assert().success();
    let log = std::fs::read_to_string(&broker).unwrap();
    assert_eq!(
        log,
        format!("{} a\n{} b\n{third} c\n", positions[0], positions[1])
    );
    assert_eq!(stored(&schema, "to-broker"), Some(settled(third)));
}

#[test]
fn a_forged_notification_cannot_hide_a_record_and_is_reported() {
    let schema = journal();
    let ch = channel("forged");
    let (mut child, out, err) = durable(&schema, &[&ch]);
    records_until(&out, "caught_up");
    // Not from the journal at all: reported, not delivered.
    send_notifications(url(), &[(&ch, "hello")]);
    line_with(&err, "did not come from the journal");
    // A forgery that claims the next record's position, then the real record.
    let next: i64 = psql(&format!(
        "SELECT (coalesce(pg_sequence_last_value('{}.journal_batch'), 0) + 1) * 10000",
        quoted(&schema)
    ))
    .trim()
    .parse()
    .unwrap();
    send_notifications(url(), &[(&ch, format!("{next}:fake").as_str())]);
    let real = publish(&schema, &ch, &["real"])[0];
    assert_eq!(real, next);
    let got = records(&out, 2);
    assert_eq!(
        got,
        [(next, "fake".to_string()), (next, "real".to_string())]
    );
    line_with(
        &err,
        &format!("two records claimed journal position {next}"),
    );
    signal(&child, libc::SIGTERM);
    child.wait().unwrap();
}

#[test]
fn long_payloads_and_durable_triggers_carry_whole_rows() {
    let schema = journal();
    let table = format!("rows_{}", std::process::id());
    psql(&format!(
        "CREATE TABLE {table} (id int PRIMARY KEY, body text)"
    ));
    pgpubsub()
        .args([
            "trigger",
            "add",
            &table,
            "--durable",
            "--journal-schema",
            &schema,
            "--events",
            "insert",
        ])
        .assert()
        .success();
    let (mut child, out, _) = durable(&schema, &[&table]);
    records_until(&out, "caught_up");
    psql(&format!(
        "INSERT INTO {table} VALUES (1, repeat('x', 20000)), (2, 'short')"
    ));
    let rows = records(&out, 2);
    let first: Value = serde_json::from_str(&rows[0].1).unwrap();
    assert_eq!(first["new"]["body"].as_str().unwrap().len(), 20_000);
    assert!(first.get("truncated").is_none());
    let long = "y".repeat(10_000);
    pgpubsub()
        .args([
            "notify",
            "--durable",
            "--journal-schema",
            &schema,
            &table,
            &long,
        ])
        .assert()
        .success();
    assert_eq!(records(&out, 1)[0].1, long);
    // Dropping the journal is refused while the trigger writes into it.
    pgpubsub()
        .args(["journal", "drop", "--schema", &schema])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "durable triggers still write into the journal",
        ));
    signal(&child, libc::SIGTERM);
    child.wait().unwrap();
}

#[test]
fn a_record_in_flight_when_a_listener_starts_is_delivered() {
    let schema = journal();
    let ch = channel("inflight");
    let held = hold(&schema, &ch, "in flight");
    let later = publish(&schema, &ch, &["later"])[0];
    let (mut child, out, _) = durable(&schema, &[&ch]);
    records_until(&out, "caught_up");
    let position = held.position;
    held.commit();
    assert_eq!(records(&out, 1), [(position, "in flight".to_string())]);
    assert!(position < later);
    signal(&child, libc::SIGTERM);
    child.wait().unwrap();
}

#[test]
fn journal_status_and_the_health_report_show_consumers_falling_behind() {
    let schema = journal();
    let ch = channel("lag");
    publish(&schema, &ch, &["1", "2"]);
    pgpubsub()
        .args([
            "listen",
            "--durable",
            "--journal-schema",
            &schema,
            "--consumer",
            "behind",
            "--since",
            "beginning",
            "-c",
            "1",
            &ch,
        ])
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    let out = pgpubsub()
        .args(["journal", "status", "--schema", &schema, "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let status: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(status["records"], 2);
    assert_eq!(status["consumers"][0]["name"], "behind");
    assert_eq!(status["consumers"][0]["lag_records"], 1);
    std::thread::sleep(Duration::from_millis(1100));
    pgpubsub()
        .args(["status", "--consumer-lag", "1s"])
        .assert()
        .code(4)
        .stdout(predicates::str::contains("consumer \"behind\" of journal"));
}

#[test]
fn a_durable_stream_keeps_every_byte_in_order_across_channels() {
    let schema = journal();
    let (a, b) = (channel("bytes_a"), channel("bytes_b"));
    let payloads = [
        "tab\there",
        "back\\slash \\n not a newline",
        "new\nline and\r\ncrlf",
        "",
        "ü € 🦀 'quote' \"double\"",
        "\\.",
    ];
    let input: String = payloads.iter().map(|p| format!("{p}\0")).collect();
    pgpubsub()
        .args([
            "notify",
            "--durable",
            "--journal-schema",
            &schema,
            "-0",
            &a,
            "--also",
            &b,
            "-",
        ])
        .write_stdin(input)
        .assert()
        .success();
    let out = pgpubsub()
        .args([
            "listen",
            "--durable",
            "--journal-schema",
            &schema,
            "--since",
            "beginning",
            "--json",
            "-c",
            "12",
            &a,
            &b,
        ])
        .timeout(Duration::from_secs(60))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let got: Vec<(i64, String, String)> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let (position, payload) = record(&v);
            (
                position,
                v["channel"].as_str().unwrap().to_string(),
                payload,
            )
        })
        .collect();
    let expected: Vec<(String, String)> = payloads
        .iter()
        .flat_map(|p| [(a.clone(), p.to_string()), (b.clone(), p.to_string())])
        .collect();
    assert_eq!(
        got.iter()
            .map(|(_, c, p)| (c.clone(), p.clone()))
            .collect::<Vec<_>>(),
        expected
    );
    assert!(
        got.windows(2).all(|w| w[0].0 < w[1].0),
        "positions follow the input"
    );
}

#[test]
fn a_stop_writes_out_every_record_already_received() {
    // Frozen while the server delivers N records' notifications into its socket; then SIGTERM
    // and thawed: all N arrived before the stop, so all N are printed, as a plain listener does.
    let schema = journal();
    let ch = channel("stop");
    let app = format!("dstop_{}", std::process::id());
    let mut cmd = clean(Command::new(BIN));
    cmd.env("DATABASE_URL", format!("{}?application_name={app}", url()))
        .args([
            "-v",
            "listen",
            "--durable",
            "--journal-schema",
            &schema,
            "--raw",
            &ch,
        ]);
    let (mut child, out, err) = spawn_with_lines(cmd);
    line_with(&err, "now live");
    let port = psql(&format!(
        "SELECT client_port FROM pg_stat_activity WHERE application_name = '{app}' \
         AND query ILIKE 'listen%'"
    ));
    signal(&child, libc::SIGSTOP);
    const N: usize = 500;
    let positions: Vec<i64> = psql(&format!(
        "SELECT {}.publish('{ch}', lpad(i::text, 5, '0')) FROM generate_series(1, {N}) AS i",
        quoted(&schema)
    ))
    .lines()
    .map(|l| l.parse().unwrap())
    .collect();
    // NotificationResponse: type, length, pid, channel and `POSITION:PAYLOAD`, with their NULs.
    let bytes: usize = positions
        .iter()
        .map(|p| 1 + 4 + 4 + ch.len() + 1 + p.to_string().len() + 1 + 5 + 1)
        .sum();
    wait_until("every notification in the listener's socket", || {
        socket_backlog(port.trim()) >= bytes
    });
    signal(&child, libc::SIGTERM);
    signal(&child, libc::SIGCONT);
    assert_eq!(child.wait().unwrap(), killed_by(libc::SIGTERM));
    let printed: Vec<String> = out.iter().collect();
    let expected: Vec<String> = (1..=N).map(|i| format!("{i:05}")).collect();
    assert_eq!(printed, expected);
}

/// Bytes waiting in the receive queue of the local TCP socket connected from `port`.
fn socket_backlog(port: &str) -> usize {
    let out = Command::new("ss")
        .args([
            "-Htn",
            "state",
            "established",
            &format!("( sport = :{port} )"),
        ])
        .output()
        .expect("ss");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .next()
        .map_or(0, |recv_q| recv_q.parse().unwrap())
}

#[test]
fn a_consumer_that_stops_inside_a_batch_resumes_inside_it() {
    let schema = journal();
    let ch = channel("inside");
    // One notify --durable run: its five records are one batch (one journal row).
    pgpubsub()
        .args(["notify", "--durable", "--journal-schema", &schema, &ch, "-"])
        .write_stdin("1\n2\n3\n4\n5\n")
        .assert()
        .success();
    // listen --durable --json ARGS CHANNEL, run to its end: the records it wrote.
    let read = |args: &[&str]| -> Vec<(i64, String)> {
        let out = pgpubsub()
            .args(["listen", "--durable", "--journal-schema", &schema, "--json"])
            .args(args)
            .arg(&ch)
            .timeout(Duration::from_secs(60))
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|line| record(&serde_json::from_str(line).unwrap()))
            .collect()
    };
    let first = read(&["--consumer", "inside", "--since", "beginning", "-c", "2"]);
    let batch = first[0].0;
    assert_eq!(
        first,
        [(batch, "1".to_string()), (batch + 1, "2".to_string())]
    );
    assert_eq!(stored(&schema, "inside"), Some(batch + 1));
    // Resumed inside the batch: nothing repeated, nothing skipped.
    assert_eq!(
        read(&["--consumer", "inside", "-c", "2"]),
        [(batch + 2, "3".to_string()), (batch + 3, "4".to_string())]
    );
    assert_eq!(
        read(&["--consumer", "inside", "-c", "1"]),
        [(batch + 4, "5".to_string())]
    );
    assert_eq!(stored(&schema, "inside"), Some(settled(batch)));
    // An ad-hoc reader started after a position inside the batch.
    assert_eq!(
        read(&["--since", &(batch + 2).to_string(), "-c", "2"]),
        [(batch + 3, "4".to_string()), (batch + 4, "5".to_string())]
    );
}

#[test]
fn init_refuses_a_journal_of_another_layout_and_says_how_to_replace_it() {
    let schema = journal();
    psql(&format!(
        "COMMENT ON TABLE {}.journal IS 'pgpubsub journal {{\"version\":1}}'",
        quoted(&schema)
    ));
    pgpubsub()
        .args(["journal", "init", "--schema", &schema])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("has another layout"))
        .stderr(predicates::str::contains("pgpubsub journal drop --schema"));
}
