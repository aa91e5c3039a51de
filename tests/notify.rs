//! `pgpubsub notify` against a real server, with a real listener (sqlx's PgListener) counting
//! what arrives. "Nothing else arrived" is proven without sleeping: after the command under test,
//! psql sends a sentinel on the same channel, and notifications arrive in commit order, so
//! anything the command committed arrives before the sentinel.

mod common;

use common::*;
use predicates::prelude::*;
use sqlx::postgres::PgListener;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long any single expected notification may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(30);
const SENTINEL: &str = "--sentinel--";
/// How soon a line of a slow producer must be delivered to count as sent at once.
const SENT_AT_ONCE: Duration = Duration::from_secs(3);

/// A listener on `channels` of the server at `url`, driven from synchronous tests.
struct Listener {
    runtime: tokio::runtime::Runtime,
    /// Always `Some` until dropped (inside the runtime, which sqlx needs for its cleanup).
    listener: Option<PgListener>,
    url: String,
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _runtime = self.runtime.enter();
        self.listener.take();
    }
}

impl Listener {
    fn new(url: &str, channels: &[&str]) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(async {
            let mut listener = PgListener::connect(url).await.unwrap();
            listener.listen_all(channels.iter().copied()).await.unwrap();
            listener
        });
        Listener {
            runtime,
            listener: Some(listener),
            url: url.to_string(),
        }
    }

    /// The next notification as (channel, payload); panics after PATIENCE.
    fn next(&mut self) -> (String, String) {
        self.next_within(PATIENCE)
    }

    /// The next notification as (channel, payload); panics after `limit`.
    fn next_within(&mut self, limit: Duration) -> (String, String) {
        let listener = self.listener.as_mut().unwrap();
        let received = self
            .runtime
            .block_on(async { tokio::time::timeout(limit, listener.recv()).await })
            .unwrap_or_else(|_| panic!("no notification arrived within {limit:?}"))
            .unwrap();
        (
            received.channel().to_string(),
            received.payload().to_string(),
        )
    }

    /// The next `n` notifications.
    fn take(&mut self, n: usize) -> Vec<(String, String)> {
        (0..n).map(|_| self.next()).collect()
    }

    /// Everything that arrives on `channel` before a sentinel sent there now by psql.
    fn drain(&mut self, channel: &str) -> Vec<(String, String)> {
        psql_at(
            &self.url,
            &format!("SELECT pg_notify('{channel}', '{SENTINEL}')"),
        );
        let mut got = Vec::new();
        loop {
            let next = self.next();
            if next == (channel.to_string(), SENTINEL.to_string()) {
                return got;
            }
            got.push(next);
        }
    }
}

/// The shared server's listener on `channels`.
fn listen(channels: &[&str]) -> Listener {
    Listener::new(url(), channels)
}

fn pairs(channel: &str, payloads: impl IntoIterator<Item = String>) -> Vec<(String, String)> {
    payloads
        .into_iter()
        .map(|p| (channel.to_string(), p))
        .collect()
}

/// `pgpubsub notify ARGS` refused as bad usage (exit 2) with `message` on stderr.
fn refused(args: &[&str], message: &str) {
    pgpubsub()
        .arg("notify")
        .args(args)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(message));
}

/// `pgpubsub notify ARGS` fed `input` on stdin.
fn notify_stdin(args: &[&str], input: impl Into<Vec<u8>>) -> assert_cmd::assert::Assert {
    pgpubsub()
        .arg("notify")
        .args(args)
        .write_stdin(input.into())
        .assert()
}

/// `pgpubsub notify ARGS` with `stdin` as it is (not a pipe, as assert_cmd would make it).
fn notify_from(args: &[&str], stdin: impl Into<Stdio>) -> std::process::Output {
    clean(Command::new(BIN))
        .env("DATABASE_URL", url())
        .arg("notify")
        .args(args)
        .stdin(stdin)
        .output()
        .unwrap()
}

/// `pgpubsub notify -v ARGS` against `url`, its stdin a pipe the test writes to.
fn spawn_notify(url: &str, args: &[&str]) -> Child {
    clean(Command::new(BIN))
        .env("DATABASE_URL", url)
        .args(["notify", "-v"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn write_lines(child: &mut Child, lines: std::ops::RangeInclusive<u32>) {
    let text: String = lines.map(|i| format!("{i}\n")).collect();
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

fn numbers(lines: std::ops::RangeInclusive<u32>) -> Vec<String> {
    lines.map(|i| i.to_string()).collect()
}

#[test]
fn one_shot_keeps_names_and_payloads_literally() {
    let stem = channel("x");
    let names = [
        format!("MixedCase_{stem}"),
        format!("we\"ird'; DROP TABLE t; --{stem}"),
        format!("ünï €{stem}"),
        format!("{stem}{}", "l".repeat(63 - stem.len())),
    ];
    assert_eq!(names[3].len(), 63);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut listener = listen(&refs);
    let payload = "'); SELECT pg_terminate_backend(pg_backend_pid()); -- \\ \"ü\"";
    for name in &names {
        pgpubsub()
            .args(["notify", name, payload])
            .assert()
            .success();
    }
    assert!(notify_from(&[&names[0]], Stdio::null()).status.success());
    let mut expected: Vec<(String, String)> = names
        .iter()
        .map(|n| (n.clone(), payload.to_string()))
        .collect();
    expected.push((names[0].clone(), String::new()));
    assert_eq!(listener.take(expected.len()), expected);
    // Folded case would be another channel: nothing arrived there, nothing more here.
    assert_eq!(listener.drain(&names[0]), []);
}

#[test]
fn also_sends_the_payload_to_every_channel() {
    let (a, b, c) = (channel("also_a"), channel("also_b"), channel("also_c"));
    let mut listener = listen(&[&a, &b, &c]);
    pgpubsub()
        .args(["notify", &a, "p", "--also", &b, "--also", &c])
        .assert()
        .success();
    let want = [a.clone(), b.clone(), c.clone()].map(|ch| (ch, "p".to_string()));
    assert_eq!(listener.take(3), want);
    refused(&[&a, "p", "--also", &a], "named twice");
    assert_eq!(listener.drain(&a), []);
}

#[test]
fn limits_are_enforced_before_sending() {
    let ch = channel("limits");
    let mut listener = listen(&[&ch]);
    let max = "p".repeat(7999);
    pgpubsub().args(["notify", &ch, &max]).assert().success();
    assert_eq!(listener.next(), (ch.clone(), max.clone()));

    let too_long = "p".repeat(8000);
    refused(&[&ch, &too_long], "8000 bytes");
    let long_channel = "c".repeat(64);
    // The valid first channel gets nothing either: a one-shot is all or nothing.
    let message = format!("\"{long_channel}\" is 64 bytes");
    refused(&[&ch, "p", "--also", &long_channel], &message);
    refused(&[&ch, "{not json", "--json"], "not JSON");
    assert_eq!(listener.drain(&ch), []);
}

#[test]
fn file_payload_is_sent_byte_for_byte() {
    let ch = channel("file");
    let mut listener = listen(&[&ch]);
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    let content = format!("line one\r\n\ttwo ü\n{}", "f".repeat(7999 - 18));
    assert_eq!(content.len(), 7999);
    std::fs::write(&good, &content).unwrap();
    let bad = dir.path().join("bad");
    std::fs::write(&bad, "b".repeat(8000)).unwrap();
    pgpubsub()
        .args(["notify", &ch, "--file", good.to_str().unwrap()])
        .assert()
        .success();
    pgpubsub()
        .args(["notify", &ch, "--file", bad.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--file").and(predicate::str::contains("8000 bytes")));
    assert_eq!(listener.drain(&ch), [(ch.clone(), content)]);
}

#[test]
fn streaming_skips_bad_lines_by_number_and_sends_the_rest() {
    let ch = channel("badline");
    let mut listener = listen(&[&ch]);
    let mut input = format!("one\n{}\nthree\n", "x".repeat(8000)).into_bytes();
    input.extend(b"\xc3\nfive");
    notify_stdin(&[&ch, "-"], input).code(2).stderr(
        predicate::str::contains("line 2: payload is 8000 bytes")
            .and(predicate::str::contains("line 4: not valid UTF-8"))
            .and(predicate::str::contains(
                "2 invalid input lines skipped; 3 notifications sent",
            )),
    );
    let want = pairs(&ch, ["one", "three", "five"].map(String::from));
    assert_eq!(listener.drain(&ch), want);
}

#[test]
fn strict_stops_at_the_first_bad_line() {
    let ch = channel("strict");
    let mut listener = listen(&[&ch]);
    notify_stdin(
        &[&ch, "--stdin", "--json", "--strict"],
        "1\n{\"a\":2}\noops\n4\n",
    )
    .code(2)
    .stderr(
        predicate::str::contains("line 3: payload is not JSON").and(predicate::str::contains(
            "stopped (--strict), 2 notifications sent",
        )),
    );
    assert_eq!(
        listener.drain(&ch),
        pairs(&ch, ["1", "{\"a\":2}"].map(String::from))
    );
}

#[test]
fn pipelined_transactions_send_every_text_literally() {
    let (odd, plain) = (channel("lit'er\"al\\"), channel("plain"));
    let mut listener = listen(&[&odd, &plain]);
    let texts = [
        "it's",
        "back\\slash\\",
        "\"quoted\"",
        "{a,b}",
        "NULL",
        "",
        "$1 $2",
        "E'x'",
        "'); DROP TABLE t; --",
        "  ünï  ",
    ];
    // Repeats cut the input into three transactions, sent in one round trip.
    let input: String = texts.repeat(3).iter().map(|t| format!("{t}\n")).collect();
    notify_stdin(&[&odd, "-", "--also", &plain], input)
        .success()
        .stderr(predicate::str::is_empty());
    // Lone-message transactions take the other form of the statement.
    notify_stdin(&[&plain, "-"], "it's\nit's\n").success();
    let mut want: Vec<(String, String)> = texts
        .repeat(3)
        .iter()
        .flat_map(|t| [(odd.clone(), t.to_string()), (plain.clone(), t.to_string())])
        .collect();
    want.extend(pairs(&plain, ["it's", "it's"].map(String::from)));
    assert_eq!(listener.drain(&plain), want);
}

#[test]
fn one_channel_transactions_send_every_text_literally() {
    let ch = channel("one");
    let mut listener = listen(&[&ch]);
    let texts = [
        "it's",
        "",
        "back\\slash\\",
        "\\n",
        "{a,b}",
        "NULL",
        "E'x'",
        "\t",
        "  ünï  ",
        "",
    ];
    // Repeats cut each input into transactions sent in one round trip: newline-joined payloads
    // for lines, and the array form when a payload holds a newline (NUL-separated input).
    let lines: String = texts.repeat(3).iter().map(|t| format!("{t}\n")).collect();
    notify_stdin(&[&ch, "-"], lines).success();
    let with_newlines = ["a\nb", "\n", "", "c"].repeat(3);
    notify_stdin(&[&ch, "-", "-0"], with_newlines.join("\0")).success();
    let want = texts
        .repeat(3)
        .into_iter()
        .chain(with_newlines)
        .map(String::from);
    assert_eq!(listener.drain(&ch), pairs(&ch, want));
}

#[test]
fn records_framing_and_empty_lines() {
    let ch = channel("framing");
    let mut listener = listen(&[&ch]);
    notify_stdin(&[&ch, "-"], "a\r\n\nb").success();
    notify_stdin(&[&ch, "-", "--skip-empty"], "c\n\nd\n").success();
    notify_stdin(&[&ch, "-", "-0"], "e\nf\r\0\0g").success();
    let want = ["a", "", "b", "c", "d", "e\nf\r", "", "g"].map(String::from);
    assert_eq!(listener.drain(&ch), pairs(&ch, want));
}

#[test]
fn identical_lines_are_all_delivered() {
    let ch = channel("same");
    let mut listener = listen(&[&ch]);
    notify_stdin(&[&ch, "-", "-v"], "x\n".repeat(10_000))
        .success()
        .stderr(predicate::str::contains(
            "sent 10000 notifications in 10000 transactions",
        ));
    let got = listener.drain(&ch);
    assert_eq!(got.len(), 10_000);
    assert!(got.iter().all(|(_, p)| p == "x"));
}

#[test]
fn atomic_is_one_transaction_where_repeats_fold() {
    let ch = channel("atomic");
    let mut listener = listen(&[&ch]);
    notify_stdin(&[&ch, "-", "--atomic", "-v"], "x\nx\ny\nx\n")
        .success()
        .stderr(predicate::str::contains("in 1 transaction,"))
        .stderr(predicate::str::contains(
            "4 notifications sent in one transaction, 2 distinct",
        ));
    assert_eq!(
        listener.drain(&ch),
        pairs(&ch, ["x", "y"].map(String::from))
    );
    // The report says what listeners get, not only what was sent.
    notify_stdin(&[&ch, "-", "--atomic"], "same\n".repeat(10_000))
        .success()
        .stderr(predicate::str::contains(
            "10000 notifications sent in one transaction, 1 distinct",
        ));
    assert_eq!(listener.drain(&ch), pairs(&ch, ["same".to_string()]));
    // All or nothing: a bad line under --strict leaves everything unsent.
    notify_stdin(&[&ch, "-", "--atomic", "--strict"], &b"a\nb\n\xff\n"[..])
        .code(2)
        .stderr(predicate::str::contains(
            "line 3: not valid UTF-8; stopped (--strict), 0 notifications sent",
        ));
    assert_eq!(listener.drain(&ch), []);
}

#[test]
fn distinct_lines_arrive_exactly_and_in_order() {
    let ch = channel("order");
    let mut listener = listen(&[&ch]);
    let input: String = (1..=100_000).map(|i| format!("{i}\n")).collect();
    notify_stdin(&[&ch, "-", "-v"], input)
        .success()
        .stderr(predicate::str::contains("sent 100000 notifications"));
    assert_eq!(listener.drain(&ch), pairs(&ch, numbers(1..=100_000)));
}

#[test]
fn a_slow_producer_gets_each_line_sent_at_once() {
    let ch = channel("slow");
    let mut listener = listen(&[&ch]);
    let mut child = spawn_notify(url(), &[&ch, "-"]);
    for i in 1..=5 {
        let written = Instant::now();
        write_lines(&mut child, i..=i);
        // Delivered with stdin still open and nothing more written: no waiting for a batch
        // (which would never come). Normally a few milliseconds; the bound only has to tell
        // "sent at once" from "held back", on a loaded machine.
        assert_eq!(
            listener.next_within(SENT_AT_ONCE),
            (ch.clone(), i.to_string()),
            "line {i}"
        );
        std::thread::sleep(Duration::from_millis(200).saturating_sub(written.elapsed()));
    }
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    assert_eq!(listener.drain(&ch), []);
}

#[test]
fn ctrl_c_reports_what_was_committed() {
    let ch = channel("sigint");
    let mut listener = listen(&[&ch]);
    let mut child = spawn_notify(url(), &[&ch, "-"]);
    write_lines(&mut child, 1..=3);
    assert_eq!(listener.take(3), pairs(&ch, numbers(1..=3)));
    // Keep stdin open (waiting would close it): the signal, not the end of input, stops it.
    let _stdin = child.stdin.take();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status, killed_by(libc::SIGINT), "{stderr}");
    // The listener may see a commit before notify reads its acknowledgement: then those 3 are
    // reported as in doubt, never as committed-unseen or as lost.
    let report = stderr
        .lines()
        .find_map(|l| l.strip_prefix("pgpubsub: interrupted: "))
        .unwrap_or_else(|| panic!("no report: {stderr}"));
    let numbers: Vec<u64> = report
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(
        numbers == [3] || numbers == [0, 3],
        "3 committed, or 3 in doubt: {report}"
    );
}

#[test]
fn from_json_bridges_two_servers_byte_for_byte() {
    let (a, b) = (channel("Bridge_A"), channel("bridge \"b\""));
    let payloads = [
        "plain".to_string(),
        String::new(),
        "tab\there, newline\nthere, quote \" and backslash \\ and 'single'".to_string(),
        "ünïcödé €".to_string(),
        "{\"looks\": [\"like\", \"json\"]}".to_string(),
        "x".repeat(7999),
    ];
    // Receive them on server A, as `listen --json` would, and write its NDJSON.
    let mut on_a = listen(&[&a, &b]);
    let notes: Vec<(&str, &str)> = payloads
        .iter()
        .enumerate()
        .map(|(i, payload)| {
            (
                if i % 2 == 0 { a.as_str() } else { b.as_str() },
                payload.as_str(),
            )
        })
        .collect();
    send_notifications(url(), &notes);
    let received = on_a.take(payloads.len());
    let mut ndjson = String::new();
    for (i, (channel, payload)) in received.iter().enumerate() {
        let line = serde_json::json!({
            "channel": channel, "payload": payload, "pid": 4242,
            "received_at": "2026-01-01T00:00:00.000000Z",
        });
        ndjson.push_str(&format!("{line}\n"));
        if i == 1 {
            ndjson.push_str(&format!(
                "{}\n",
                serde_json::json!({"event": "gap", "channel": channel})
            ));
        }
    }
    ndjson.push_str(&format!(
        "{}\n",
        r#"{"channel":"CH","payload": {"n": 1.50, "s": "a b"} }"#.replace("CH", &a)
    ));

    let server_b = start_sandbox(&[]);
    let mut on_b = Listener::new(&server_b.url, &[&a, &b]);
    pgpubsub()
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .args(["notify", "--from-json", "-d", &server_b.url])
        .write_stdin(ndjson)
        .assert()
        .success();
    let mut want = received;
    want.push((a.clone(), r#"{"n":1.50,"s":"a b"}"#.to_string()));
    let mut got = on_b.take(want.len());
    got.extend(on_b.drain(&a));
    assert_eq!(got, want);
}

/// `notify -v CHANNEL -` streaming into a new sandbox: lines 1..=n written and seen by a
/// listener there, then the server stopped while notify waits for more input.
fn stream_into_stopped_server(ch: &str, n: u32) -> (Sandbox, Child) {
    let server = start_sandbox(&[]);
    let mut listener = Listener::new(&server.url, &[ch]);
    let mut child = spawn_notify(&server.url, &[ch, "-"]);
    write_lines(&mut child, 1..=n);
    assert_eq!(listener.take(n as usize), pairs(ch, numbers(1..=n)));
    drop(listener);
    stop_sandbox(&server);
    (server, child)
}

/// Write `lines`, close stdin and wait: the exit code and stderr.
fn finish(mut child: Child, lines: std::ops::RangeInclusive<u32>) -> (Option<i32>, String) {
    write_lines(&mut child, lines);
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_server_restart_mid_stream_loses_and_invents_nothing() {
    let ch = channel("restart");
    let (server, child) = stream_into_stopped_server(&ch, 50_000);
    let port = port_of(&server.url).to_string();
    let restarted = start_sandbox(&["--port", &port]);
    assert_eq!(restarted.url, server.url);
    let mut after = Listener::new(&restarted.url, &[&ch]);
    let (code, stderr) = finish(child, 50_001..=100_000);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("reconnecting to resend"), "{stderr}");
    // 50 000 seen by the first listener plus exactly what the second sees.
    assert_eq!(after.drain(&ch), pairs(&ch, numbers(50_001..=100_000)));
    assert!(stderr.contains("sent 100000 notifications"), "{stderr}");
}

#[test]
fn a_server_that_stays_down_is_reported_with_counts() {
    let ch = channel("down");
    let (_server, child) = stream_into_stopped_server(&ch, 1000);
    let (code, stderr) = finish(child, 1001..=2000);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("1000 notifications committed; input line 1001 and later not sent"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_server_fails_before_reading_input() {
    pgpubsub()
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/postgres")
        .args(["notify", "c", "-"])
        .write_stdin("never read\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("could not connect"));
}

#[test]
fn stream_flags_need_stdin() {
    refused(&["c", "p", "--atomic"], "--atomic applies only to stdin");
    refused(&["--from-json", "c"], "cannot be used with");
    pgpubsub()
        .args(["notify", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--also").and(predicate::str::contains("Exit status")));
}

/// NOTIFY needs no session, so a transaction-mode pooler must not stop it. There a prepared
/// statement can be missing or already exist (left by an earlier client in the session the
/// pooler lends), which every stream after the first meets: it must quietly switch to
/// statements written out in full and still deliver everything, in order, every text
/// literally (here in all three statement forms: lines, one channel with newlines, several
/// channels).
#[test]
fn streams_and_one_shots_pass_through_a_transaction_mode_pooler() {
    let Some(pool) = pooler("transaction") else {
        return;
    };
    let (ch, other) = (channel("txpool"), channel("txpool_also"));
    let mut listener = listen(&[&ch, &other]);
    let lines: Vec<String> = (1..=20_000).map(|n| n.to_string()).collect();
    for _ in 0..2 {
        notify_stdin(&["-d", &pool.url, &ch, "-"], lines.join("\n"))
            .success()
            .stderr("");
    }
    // Repeats cut these into several transactions, which go pipelined in one round trip.
    let texts = ["it's", "a\nb", "back\\slash", "{x,y}", "NULL", "", "ünï"].repeat(3);
    notify_stdin(&["-d", &pool.url, &ch, "-", "-0", "-v"], texts.join("\0"))
        .success()
        .stderr(predicate::str::contains("warning").not());
    notify_stdin(
        &["-d", &pool.url, &ch, "-", "-0", "--also", &other],
        texts.join("\0"),
    )
    .success();
    for payload in ["one", "two"] {
        pgpubsub()
            .args(["notify", "-d", &pool.url, &ch, payload])
            .assert()
            .success();
    }
    let mut expected = pairs(&ch, lines.iter().chain(&lines).cloned());
    expected.extend(pairs(&ch, texts.iter().map(|t| t.to_string())));
    for text in &texts {
        expected.extend([&ch, &other].map(|c| (c.clone(), text.to_string())));
    }
    expected.extend(pairs(&ch, ["one", "two"].map(String::from)));
    let got = listener.drain(&ch);
    assert!(got == expected, "lost, reordered or altered");
}

#[test]
fn piped_stdin_without_payload_is_refused_and_nothing_is_sent() {
    let ch = channel("pipe");
    let mut listener = listen(&[&ch]);
    // `echo hi | pgpubsub notify chan` would drop "hi": refused, with the three choices.
    notify_stdin(&[&ch], "hi\n")
        .code(2)
        .stderr(predicate::str::contains(
            "`-` for one notification per line",
        ))
        .stderr(predicate::str::contains("`--file -` for all of stdin"))
        .stderr(predicate::str::contains("'' for an empty payload"));
    // A regular file as stdin too.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "from a file\n").unwrap();
    let out = notify_from(&[&ch], std::fs::File::open(file.path()).unwrap());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(listener.drain(&ch), []);
    // /dev/null (cron, `< /dev/null`) keeps meaning an empty payload; so does an explicit ''.
    assert!(notify_from(&[&ch], Stdio::null()).status.success());
    notify_stdin(&[&ch, ""], "ignored\n").success();
    // `--file -`: all of stdin as one payload.
    notify_stdin(&[&ch, "--file", "-"], "a\nb\n").success();
    assert_eq!(
        listener.drain(&ch),
        pairs(&ch, ["", "", "a\nb\n"].map(String::from))
    );
}

#[test]
fn a_huge_line_is_refused_while_streaming_in_bounded_memory() {
    // 200 MB without a newline: refused by its length as it streams, not held whole.
    let ch = channel("huge");
    let mut child = clean(Command::new(BIN))
        .env("DATABASE_URL", url())
        .args(["notify", &ch, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let errors = lines(child.stderr.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..200 {
        stdin.write_all(&chunk).unwrap();
    }
    stdin.write_all(b"\nfine\n").unwrap();
    let refused = line_with(&errors, "line 1");
    assert!(refused.contains("209715200 bytes"), "{refused}");
    // Still running (stdin open): its peak memory so far.
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let peak_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    drop(stdin);
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(2));
    assert!(
        peak_kb < 64 * 1024,
        "peak memory {peak_kb} kB for one long line"
    );
}
