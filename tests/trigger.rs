//! `pgpubsub trigger add|list|remove` against a real server: every event as `listen --json`
//! delivers it, from a table whose schema, name and columns need quoting; the fallback for rows
//! too long to notify; transactions; `--dry-run` as a migration; removal that leaves other
//! people's triggers alone; and the errors. Each test has its own schema, table and channel,
//! because the server is shared with the other tests of this binary.

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

/// A schema of this test's own, named to need quoting, with `table` in it: mixed case, a space,
/// and a column whose name holds both quote characters.
struct Fixture {
    schema: String,
    table: String,
    /// The table as the command line takes it: `"Schema"."Table"`.
    arg: String,
    /// The same, for SQL.
    sql: String,
}

const QUOTED_COLUMN: &str = "it's \"q\"";

impl Fixture {
    fn new(stem: &str) -> Fixture {
        let schema = format!("Trig {}", channel(stem));
        let table = format!("Orders_{}", channel("t"));
        let quoted = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let sql = format!("{}.{}", quoted(&schema), quoted(&table));
        psql(&format!(
            "CREATE SCHEMA {}; CREATE TABLE {sql} (id int PRIMARY KEY, {} text, note text)",
            quoted(&schema),
            quoted(QUOTED_COLUMN)
        ));
        Fixture {
            schema,
            table,
            arg: sql.clone(),
            sql,
        }
    }

    /// `trigger add` on this table with `args`; must succeed.
    fn add(&self, args: &[&str]) {
        pgpubsub()
            .args(["trigger", "add", &self.arg])
            .args(args)
            .assert()
            .success();
    }

    /// Triggers on this table and functions in this schema, with their comments: what the
    /// catalog holds of this fixture (other tests' objects are elsewhere).
    fn catalog(&self) -> String {
        psql(&format!(
            "SELECT 'trigger', t.tgname, pg_get_triggerdef(t.oid),
                    obj_description(t.oid, 'pg_trigger')
             FROM pg_trigger t WHERE t.tgrelid = '{table}'::regclass AND NOT t.tgisinternal
             UNION ALL
             SELECT 'function', p.proname, p.prosrc, obj_description(p.oid, 'pg_proc')
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = '{schema}'
             ORDER BY 1, 2",
            table = self.sql.replace('\'', "''"),
            schema = self.schema.replace('\'', "''"),
        ))
    }

    /// The pgpubsub objects of this fixture (their COMMENT marks them).
    fn pgpubsub_objects(&self) -> Vec<String> {
        self.catalog()
            .lines()
            .filter(|l| l.contains("pgpubsub trigger "))
            .map(String::from)
            .collect()
    }
}

/// `pgpubsub listen --json --payload-json -c COUNT CHANNEL`, past its readiness line.
struct Listener {
    child: Child,
    stdout: Receiver<String>,
}

fn listen(channel: &str, count: usize) -> Listener {
    let mut child = clean(Command::new(BIN))
        .env("DATABASE_URL", url())
        .args([
            "-v",
            "listen",
            "--json",
            "--payload-json",
            "--timeout",
            "60s",
        ])
        .args(["-c", &count.to_string(), channel])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = lines(child.stderr.take().unwrap());
    loop {
        let line = stderr
            .recv_timeout(WAIT_LIMIT)
            .expect("listen never listened");
        if line.contains("listening on") {
            break;
        }
    }
    let stdout = lines(child.stdout.take().unwrap());
    Listener { child, stdout }
}

impl Listener {
    /// The payloads of every event, once `-c` is reached and the listener exited 0.
    fn payloads(mut self) -> Vec<Value> {
        let status = self.child.wait().unwrap();
        assert!(status.success(), "listen exited {status}");
        self.stdout
            .iter()
            .map(|line| serde_json::from_str::<Value>(&line).unwrap()["payload"].clone())
            .collect()
    }
}

#[test]
fn every_event_arrives_as_documented_json_from_a_table_that_needs_quoting() {
    let f = Fixture::new("Events");
    let ch = channel("trigger_events");
    f.add(&["--channel", &ch]);
    let listener = listen(&ch, 4);
    let t = &f.sql;
    let c = "\"it's \"\"q\"\"\"";
    psql(&format!(
        "INSERT INTO {t} (id, {c}, note) VALUES (1, 'a', 'x')"
    ));
    psql(&format!("UPDATE {t} SET {c} = 'b' WHERE id = 1"));
    psql(&format!("DELETE FROM {t} WHERE id = 1"));
    psql(&format!("TRUNCATE {t}"));
    let (s, tb) = (&f.schema, &f.table);
    let row = |v: &str| json!({"id": 1, QUOTED_COLUMN: v, "note": "x"});
    assert_eq!(
        listener.payloads(),
        [
            json!({"schema": s, "table": tb, "op": "INSERT", "new": row("a")}),
            json!({"schema": s, "table": tb, "op": "UPDATE", "new": row("b"), "old": row("a")}),
            json!({"schema": s, "table": tb, "op": "DELETE", "old": row("b")}),
            json!({"schema": s, "table": tb, "op": "TRUNCATE"}),
        ]
    );
}

#[test]
fn columns_limit_what_is_sent_and_the_default_channel_is_the_table() {
    let f = Fixture::new("Columns");
    f.add(&["--columns", "id,\"it's \"\"q\"\"\"", "--events", "insert"]);
    let listener = listen(&f.table, 1);
    psql(&format!(
        "INSERT INTO {} VALUES (7, 'kept', 'left out')",
        f.sql
    ));
    assert_eq!(
        listener.payloads(),
        [json!({"schema": f.schema, "table": f.table, "op": "INSERT",
                "new": {"id": 7, QUOTED_COLUMN: "kept"}})]
    );
}

#[test]
fn a_row_too_long_to_notify_is_written_and_announced_by_its_key() {
    let f = Fixture::new("Long");
    let ch = channel("trigger_long");
    f.add(&["--channel", &ch, "--events", "insert,update"]);
    let listener = listen(&ch, 3);
    // 10 000 ASCII bytes; then 3000 characters that are 9000 bytes: the limit is in bytes.
    psql(&format!(
        "INSERT INTO {t} (id, note) VALUES (1, repeat('x', 10000));
         INSERT INTO {t} (id, note) VALUES (2, repeat('€', 3000));
         UPDATE {t} SET note = 'short' WHERE id = 2",
        t = f.sql
    ));
    assert_eq!(psql(&format!("SELECT count(*) FROM {}", f.sql)).trim(), "2");
    let (s, tb) = (&f.schema, &f.table);
    assert_eq!(
        listener.payloads(),
        [
            json!({"schema": s, "table": tb, "op": "INSERT", "new": {"id": 1}, "truncated": true}),
            json!({"schema": s, "table": tb, "op": "INSERT", "new": {"id": 2}, "truncated": true}),
            json!({"schema": s, "table": tb, "op": "UPDATE", "new": {"id": 2}, "old": {"id": 2},
                   "truncated": true}),
        ]
    );
}

#[test]
fn a_rollback_sends_nothing_and_a_multi_row_insert_one_event_per_row_in_order() {
    let f = Fixture::new("Tx");
    let ch = channel("trigger_tx");
    f.add(&["--channel", &ch, "--columns", "id"]);
    let listener = listen(&ch, 3);
    psql(&format!(
        "BEGIN; INSERT INTO {t} (id) VALUES (100); ROLLBACK;
         INSERT INTO {t} (id) VALUES (3), (1), (2)",
        t = f.sql
    ));
    let ids: Vec<Value> = listener
        .payloads()
        .iter()
        .map(|p| p["new"]["id"].clone())
        .collect();
    assert_eq!(ids, [json!(3), json!(1), json!(2)]);
}

/// Run `sql` as a script with psql, as a migration tool would.
fn psql_script(sql: &str) {
    let mut child = clean(Command::new("psql"))
        .env("PGOPTIONS", "-c client_min_messages=warning")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url(), "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "psql failed on:\n{sql}");
}

#[test]
fn dry_run_changes_nothing_and_prints_the_sql_that_installs_the_same_trigger() {
    let f = Fixture::new("Dry");
    let before = f.catalog();
    let out = pgpubsub()
        .args(["trigger", "add", &f.arg, "--dry-run", "--columns", "id"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(f.catalog(), before, "--dry-run changed the catalog");
    let sql = String::from_utf8(out.stdout).unwrap();
    assert!(
        sql.starts_with("BEGIN;\n") && sql.ends_with("COMMIT;\n"),
        "{sql}"
    );

    psql_script(&sql);
    let by_psql = f.catalog();
    assert_eq!(f.pgpubsub_objects().len(), 3, "{by_psql}");
    pgpubsub()
        .args(["trigger", "remove", &f.arg])
        .assert()
        .success();
    assert_eq!(f.catalog(), before);
    f.add(&["--columns", "id"]);
    assert_eq!(f.catalog(), by_psql);
    // The script is a migration: running it again (over the trigger) is harmless.
    psql_script(&sql);
    assert_eq!(f.catalog(), by_psql);
}

#[test]
fn add_again_replaces_and_list_shows_what_was_asked() {
    let f = Fixture::new("Again");
    let ch = channel("trigger_again");
    f.add(&["--channel", &ch]);
    f.add(&[
        "--channel",
        &ch,
        "--events",
        "delete,insert",
        "--columns",
        "ID",
    ]);
    let out = pgpubsub()
        .args(["trigger", "list", "--json", &f.arg])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let listed: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let entry = &listed[0];
    assert_eq!(entry["schema"], json!(f.schema));
    assert_eq!(entry["table"], json!(f.table));
    assert_eq!(entry["channel"], json!(ch));
    assert_eq!(entry["events"], json!(["insert", "delete"]));
    assert_eq!(entry["columns"], json!(["id"]));
    assert_eq!(entry["key"], json!(["id"]));
    // The TRUNCATE trigger of the first `add` is gone: one trigger, one function.
    assert_eq!(f.pgpubsub_objects().len(), 2, "{}", f.catalog());
    let text = pgpubsub()
        .args(["trigger", "list", &f.arg])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).unwrap();
    assert!(text.starts_with("TABLE"), "{text}");
    assert!(text.contains(&format!("{ch}  insert,delete  id")), "{text}");
}

#[test]
fn remove_drops_only_what_pgpubsub_made() {
    let f = Fixture::new("Remove");
    psql(&format!(
        "CREATE FUNCTION \"{s}\".audit() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
         CREATE TRIGGER audit AFTER INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION \"{s}\".audit();
         COMMENT ON TRIGGER audit ON {t} IS 'mine'",
        s = f.schema,
        t = f.sql
    ));
    let mine = f.catalog();
    let (a, b) = (channel("trigger_rm_a"), channel("trigger_rm_b"));
    f.add(&["--channel", &a]);
    f.add(&["--channel", &b, "--events", "insert"]);
    assert_eq!(f.pgpubsub_objects().len(), 5, "{}", f.catalog());
    pgpubsub()
        .args(["trigger", "remove", &f.arg, "--channel", &a])
        .assert()
        .success();
    assert_eq!(f.pgpubsub_objects().len(), 2, "{}", f.catalog());
    pgpubsub()
        .args(["trigger", "remove", &f.arg])
        .assert()
        .success();
    assert_eq!(
        f.catalog(),
        mine,
        "pgpubsub's objects left, or the user's touched"
    );
    pgpubsub()
        .args(["trigger", "remove", &f.arg])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("has no pgpubsub trigger"));
}

#[test]
fn a_role_that_does_not_own_the_table_is_told_so_and_nothing_is_installed() {
    let f = Fixture::new("Owner");
    let role = channel("trigger_role");
    // Every privilege on the table and its schema, TRIGGER included: only ownership is missing.
    psql(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD 'pw';
         GRANT USAGE, CREATE ON SCHEMA \"{s}\" TO {role};
         GRANT ALL ON {t} TO {role}",
        s = f.schema,
        t = f.sql
    ));
    let before = f.catalog();
    let mut as_role = url::Url::parse(url()).unwrap();
    as_role.set_username(&role).unwrap();
    as_role.set_password(Some("pw")).unwrap();
    pgpubsub()
        .env("DATABASE_URL", as_role.as_str())
        .args(["trigger", "add", &f.arg])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(format!(
            "must be the owner of table {} (owned by",
            f.sql
        )));
    assert_eq!(f.catalog(), before);
    // Looking is not changing: any role may list.
    pgpubsub()
        .env("DATABASE_URL", as_role.as_str())
        .args(["trigger", "list", &f.arg])
        .assert()
        .success();
}

#[test]
fn mistakes_are_explained_and_change_nothing() {
    let f = Fixture::new("Errors");
    psql(&format!(
        "CREATE TABLE \"{s}\".nokey (a int); CREATE VIEW \"{s}\".v AS SELECT 1 AS a",
        s = f.schema
    ));
    // A trigger of the user's under the name pgpubsub would use for channel `theirs`.
    psql(&format!(
        "CREATE FUNCTION \"{s}\".f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
         CREATE TRIGGER pgpubsub_row_theirs AFTER INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION \"{s}\".f()",
        s = f.schema,
        t = f.sql
    ));
    let before = f.catalog();
    let nokey = format!("\"{}\".nokey", f.schema);
    let view = format!("\"{}\".v", f.schema);
    let long = "c".repeat(64);
    let cases: [(&[&str], &str); 7] = [
        (
            &[&f.arg, "--channel", "theirs"],
            "trigger pgpubsub_row_theirs already exists and was not made by pgpubsub",
        ),
        (&[&format!("\"{}\".missing", f.schema)], "does not exist"),
        (
            &[&f.arg, "--columns", "id,nope"],
            "column \"nope\" of table",
        ),
        (&[&f.arg, "--channel", &long], "is 64 bytes"),
        (&[&nokey], "has no primary key"),
        (&[&view], "is not a table"),
        (&[&f.arg, "--columns", "\"open"], "--columns: unterminated"),
    ];
    for (args, message) in cases {
        pgpubsub()
            .args(["trigger", "add"])
            .args(args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(message));
    }
    assert_eq!(f.catalog(), before);
    // Opting in installs a trigger whose over-long rows come without a key.
    let ch = channel("trigger_nokey");
    pgpubsub()
        .args(["trigger", "add", &nokey, "--allow-no-key", "--channel", &ch])
        .assert()
        .success();
    let listener = listen(&ch, 1);
    psql(&format!(
        "ALTER TABLE {nokey} ADD b text; INSERT INTO {nokey} VALUES (1, repeat('x', 9000))"
    ));
    assert_eq!(
        listener.payloads(),
        [json!({"schema": f.schema, "table": "nokey", "op": "INSERT", "truncated": true})]
    );
}

#[test]
fn a_standby_is_refused_for_changes_and_still_listed() {
    let pair = Pair::start();
    psql_at(
        &pair.primary.url,
        "CREATE TABLE standby_t (id int PRIMARY KEY)",
    );
    // The table must have reached the standby before it is asked about.
    while psql_at(
        &pair.standby.url,
        "SELECT to_regclass('standby_t') IS NOT NULL",
    )
    .trim()
        != "t"
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let standby = &pair.standby;
    pgpubsub()
        .env("DATABASE_URL", &standby.url)
        .args(["trigger", "add", "standby_t"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "the server is a standby (read-only): connect to the primary",
        ));
    pgpubsub()
        .env("DATABASE_URL", &standby.url)
        .args(["trigger", "list"])
        .assert()
        .success();
}

#[test]
fn a_partitioned_table_names_itself_and_the_partition_for_every_event() {
    let table = format!("parted_{}", std::process::id());
    psql(&format!(
        "CREATE TABLE {table} (id int PRIMARY KEY) PARTITION BY RANGE (id);
         CREATE TABLE {table}_low PARTITION OF {table} FOR VALUES FROM (0) TO (100)"
    ));
    let ch = channel("parted");
    pgpubsub()
        .args(["trigger", "add", &table, "--channel", &ch])
        .assert()
        .success();
    let listener = listen(&ch, 3);
    psql(&format!("INSERT INTO {table} VALUES (1)"));
    psql(&format!("DELETE FROM {table} WHERE id = 1"));
    psql(&format!("TRUNCATE {table}"));
    let low = format!("{table}_low");
    assert_eq!(
        listener.payloads(),
        [
            json!({"schema": "public", "table": table, "partition": low, "op": "INSERT",
                   "new": {"id": 1}}),
            json!({"schema": "public", "table": table, "partition": low, "op": "DELETE",
                   "old": {"id": 1}}),
            json!({"schema": "public", "table": table, "partition": null, "op": "TRUNCATE"}),
        ]
    );
    psql(&format!("DROP TABLE {table}"));
}

#[test]
fn list_json_on_a_terminal_sanitizes_names_as_values_and_stays_json() {
    // Anyone who may create a table chooses its name: on a terminal it must not act.
    let table = format!("evil_{}_\u{1b}]0;owned\u{7}", std::process::id());
    let quoted = format!("\"{table}\"");
    psql(&format!("CREATE TABLE {quoted} (id int PRIMARY KEY)"));
    let ch = channel("evil");
    pgpubsub()
        .args(["trigger", "add", &quoted, "--channel", &ch])
        .assert()
        .success();
    let command = format!("{BIN} trigger list --json \"$T\"");
    let out = on_a_terminal(&command, &[("T", &quoted)]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    let line: Value =
        serde_json::from_str(text.trim_end()).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    assert_eq!(
        line["table"],
        table
            .replace('\u{1b}', r"\u{1b}")
            .replace('\u{7}', r"\u{7}")
    );
    psql(&format!("DROP TABLE {quoted}"));
}
