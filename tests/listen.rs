//! `pgpubsub listen` against a real server: channel names, every output format byte for byte,
//! flushing, stop conditions and exit codes, reconnection across killed backends and server
//! restarts, and a 100 000-notification burst. Notifications are sent by psql or sqlx, never
//! by pgpubsub itself. Tests wait on conditions (readiness lines, counts), not on sleeps.

mod common;

use common::*;
use sqlx::{Connection, PgConnection};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::Duration;

/// A running `pgpubsub listen`, past its readiness line.
struct Listen {
    child: Child,
    stderr: Receiver<String>,
    /// Stderr lines read so far and not yet matched by `stderr_until`.
    seen: std::cell::RefCell<Vec<String>>,
}

/// Start `pgpubsub -v listen ARGS` against `url` and wait until it listens.
fn listen_at(url: &str, args: &[&str]) -> Listen {
    let mut cmd = clean(Command::new(BIN));
    cmd.env("DATABASE_URL", url)
        .args(["-v", "listen"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("cannot run pgpubsub listen");
    let stderr = lines(child.stderr.take().unwrap());
    let listen = Listen {
        child,
        stderr,
        seen: Default::default(),
    };
    listen.stderr_until("listening on");
    listen
}

/// `listen_at` the shared test server.
fn listen(args: &[&str]) -> Listen {
    listen_at(url(), args)
}

impl Listen {
    /// Wait for a stderr line containing `needle`; returns it.
    fn stderr_until(&self, needle: &str) -> String {
        let mut seen = self.seen.borrow_mut();
        if let Some(i) = seen.iter().position(|l| l.contains(needle)) {
            return seen.drain(..=i).next_back().unwrap();
        }
        seen.clear();
        loop {
            let line = self
                .stderr
                .recv_timeout(WAIT_LIMIT)
                .unwrap_or_else(|_| panic!("no stderr line with {needle:?}"));
            if line.contains(needle) {
                return line;
            }
            seen.push(line);
        }
    }

    /// Take stdout to read it line by line while the listener runs.
    fn stdout_lines(&mut self) -> Receiver<String> {
        lines(self.take_stdout())
    }

    fn take_stdout(&mut self) -> ChildStdout {
        self.child.stdout.take().unwrap()
    }

    /// Wait for the exit; returns the status, all of stdout and the rest of stderr.
    fn finish(mut self) -> (ExitStatus, Vec<u8>, String) {
        let mut out = Vec::new();
        if let Some(mut stdout) = self.child.stdout.take() {
            stdout.read_to_end(&mut out).unwrap();
        }
        let status = self.child.wait().unwrap();
        // Until EOF: the reader thread may not have passed on the last lines yet.
        let mut err = self.seen.take();
        err.extend(self.stderr.iter());
        (status, out, err.join("\n"))
    }

    /// Wait until the listener has exited (`what` it exits upon), without reading its stdout.
    fn wait_exit(&mut self, what: &str) {
        wait_until(what, || self.child.try_wait().unwrap().is_some());
    }

    fn signal(&self, signal: i32) {
        // SAFETY: signalling a child we spawned and have not reaped.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }
}

/// Send notifications with sqlx (exact bytes, one transaction, in this order).
fn notify_at(url: &str, notes: &[(&str, &str)]) {
    send_notifications(url, notes)
}

fn notify(notes: &[(&str, &str)]) {
    notify_at(url(), notes)
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Undo the piped text format's escaping.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next() {
            Some('n') => '\n',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('\\') => '\\',
            other => panic!("bad escape \\{other:?} in {text:?}"),
        });
    }
    out
}

/// Payloads that break naive tools; all distinct (the server folds identical ones).
fn nasty_payloads() -> Vec<String> {
    vec![
        "plain".into(),
        String::new(),
        "line\nbreak\nand\r\ncrlf".into(),
        "tab\there\t".into(),
        "back\\slash\\n not a newline\\".into(),
        r#"quotes " and ' and `"#.into(),
        "emoji 🎉 and ü and 漢字".into(),
        "\u{1b}[31mred\u{1b}[0m \u{7}bell \u{7f}del \u{9b}csi".into(),
        "{\"id\": 1, \"nested\": {\"a\": [1, 2]}}".into(),
        "x".repeat(7999),
        "€".repeat(2666), // 7998 bytes of multibyte text
    ]
}

/// Listen on a fresh channel with ARGS and `-c`, send the nasty payloads, return stdout.
fn receive_nasty(args: &[&str]) -> (String, Vec<String>, Vec<u8>) {
    let ch = channel("fmt");
    let payloads = nasty_payloads();
    let count = payloads.len().to_string();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-c", &count, &ch]);
    let listener = listen(&all);
    let notes: Vec<(&str, &str)> = payloads.iter().map(|p| (ch.as_str(), p.as_str())).collect();
    notify(&notes);
    let (status, out, err) = listener.finish();
    assert!(status.success(), "listen failed: {err}");
    (ch, payloads, out)
}

#[test]
fn piped_text_is_one_escaped_line_per_notification() {
    let (ch, payloads, out) = receive_nasty(&[]);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), payloads.len(), "one line per record: {text:?}");
    for (line, payload) in lines.iter().zip(&payloads) {
        let (c, p) = line
            .split_once('\t')
            .expect("a tab between channel and payload");
        assert!(!p.contains('\t'));
        assert_eq!(c, ch);
        assert_eq!(unescape(p), *payload);
    }
}

#[test]
fn json_payloads_come_out_byte_identical_through_jq() {
    let (ch, payloads, out) = receive_nasty(&["--json"]);
    let mut jq = Command::new("jq")
        .args([
            "-j",
            r#".channel + "\u0000" + .payload + "\u0000" + (.pid|tostring) + "\u0000""#,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("jq");
    jq.stdin.take().unwrap().write_all_and_close(&out);
    let decoded = jq.wait_with_output().unwrap();
    assert!(decoded.status.success());
    let fields: Vec<&[u8]> = decoded.stdout.split(|&b| b == 0).collect();
    for (i, payload) in payloads.iter().enumerate() {
        assert_eq!(fields[3 * i], ch.as_bytes());
        assert_eq!(fields[3 * i + 1], payload.as_bytes());
        assert!(fields[3 * i + 2].iter().all(u8::is_ascii_digit));
    }
    // Every record has the agreed fields and a UTC RFC 3339 time with microseconds.
    let first: serde_json::Value =
        serde_json::from_slice(out.split(|&b| b == b'\n').next().unwrap()).unwrap();
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4, "{first}");
    let time = first["received_at"].as_str().unwrap();
    assert!(
        humantime::parse_rfc3339(time).is_ok() && time.len() == 27,
        "{time}"
    );
}

#[test]
fn payload_json_embeds_json_payloads_as_values() {
    let ch = channel("pjson");
    let listener = listen(&["--json", "--payload-json", "-c", "2", &ch]);
    notify(&[
        (&ch, "{\"id\": 7,\n \"tags\": [\"a\"]}"),
        (&ch, "{not json"),
    ]);
    let (status, out, _) = listener.finish();
    assert!(status.success());
    let jq = |filter: &str| {
        let mut jq = Command::new("jq")
            .args(["-c", filter])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        jq.stdin.take().unwrap().write_all_and_close(&out);
        String::from_utf8(jq.wait_with_output().unwrap().stdout).unwrap()
    };
    assert_eq!(jq(".payload.id?"), "7\n");
    assert_eq!(jq(".payload | type"), "\"object\"\n\"string\"\n");
}

#[test]
fn template_and_raw_with_nul_terminators_are_exact() {
    let (ch, payloads, out) = receive_nasty(&["--format", "{channel}|{pid}|{payload}", "-0"]);
    let records: Vec<&[u8]> = out.split(|&b| b == 0).collect();
    assert_eq!(records.len(), payloads.len() + 1, "NUL-terminated records");
    for (record, payload) in records.iter().zip(&payloads) {
        let text = std::str::from_utf8(record).unwrap();
        let mut parts = text.splitn(3, '|');
        assert_eq!(parts.next(), Some(ch.as_str()));
        assert!(parts.next().unwrap().parse::<u32>().is_ok());
        assert_eq!(parts.next(), Some(payload.as_str()));
    }

    let (_, payloads, out) = receive_nasty(&["--raw", "-0"]);
    let expected: Vec<u8> = payloads
        .iter()
        .flat_map(|p| [p.as_bytes(), b"\0"].concat())
        .collect();
    assert_eq!(out, expected);
}

/// `pgpubsub listen ARGS` with no server configured exits 2 saying `message`: the input is
/// refused before any connection is tried.
fn refused(args: &[&str], message: &str) {
    pgpubsub_bare()
        .arg("listen")
        .args(args)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(message));
}

#[test]
fn bad_templates_are_usage_errors() {
    refused(&["--format", "{chan}", "c"], "unknown placeholder {chan}");
    refused(&["--format", "{payload", "c"], "without a closing }");
}

#[test]
fn channel_names_keep_case_quotes_spaces_and_multibyte() {
    let stem = channel("n");
    let names = [
        format!("Foo{stem}"),
        format!("foo{stem}"),
        format!("with space {stem}"),
        format!("quo\"te'{stem}"),
        // 63 bytes exactly, in two- and three-byte characters.
        format!("{}{}", "é".repeat(31), "x"),
        "€".repeat(21),
    ];
    assert_eq!(names[4].len(), 63);
    assert_eq!(names[5].len(), 63);
    let mut args: Vec<&str> = vec!["--json", "-c", "7"];
    args.extend(names.iter().map(String::as_str));
    args.push(&names[0]); // duplicates are folded
    let listener = listen(&args);
    let hint = listener.stderr_until("has capitals");
    assert!(hint.contains(&format!("\"foo{stem}\"")), "{hint}");
    let notes: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), n.as_str())).collect();
    notify(&notes);
    // An unquoted NOTIFY from psql is folded to lower case.
    psql(&format!("NOTIFY Foo{stem}, 'folded'"));
    let (status, out, _) = listener.finish();
    assert!(status.success());
    let got: Vec<(String, String)> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["channel"].as_str().unwrap().into(),
                v["payload"].as_str().unwrap().into(),
            )
        })
        .collect();
    let mut expected: Vec<(String, String)> =
        names.iter().map(|n| (n.clone(), n.clone())).collect();
    expected.push((format!("foo{stem}"), "folded".into()));
    assert_eq!(got, expected);
}

#[test]
fn bad_channel_names_are_refused_before_connecting() {
    refused(&["ok", ""], "channel name is empty");
    // 64 bytes: LISTEN would silently truncate it.
    refused(&[&"é".repeat(32)], "is 64 bytes");
}

#[test]
fn a_thousand_channels_on_one_connection() {
    let stem = channel("many");
    let (app, url) = app_url("many");
    let names: Vec<String> = (0..1000).map(|i| format!("{stem}_{i}")).collect();
    let mut args: Vec<&str> = vec!["-c", "1000", "-d", &url];
    args.extend(names.iter().map(String::as_str));
    let listener = listen(&args);
    // The start-up probe connection goes away; the listener is one connection.
    let sessions =
        format!("SELECT count(*) FROM pg_stat_activity WHERE application_name = '{app}'");
    wait_until("a single listening connection", || {
        psql(&sessions).trim() == "1"
    });
    psql(&format!(
        "SELECT pg_notify('{stem}_' || i, 'p' || i) FROM generate_series(0, 999) AS i"
    ));
    let (status, out, _) = listener.finish();
    assert!(status.success());
    let got: Vec<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let expected: Vec<String> = (0..1000).map(|i| format!("{stem}_{i}\tp{i}")).collect();
    assert_eq!(got, expected);
}

/// A unique application_name and a URL of the shared server that sets it, so that a test can
/// find its listener's backend in pg_stat_activity.
fn app_url(stem: &str) -> (String, String) {
    let app = format!("{stem}_{}", std::process::id());
    let url = format!("{}?application_name={app}", url());
    (app, url)
}

#[test]
fn a_single_notification_reaches_a_pipe_without_further_traffic() {
    let ch = channel("flush");
    let mut listener = listen(&[&ch]);
    let out = listener.stdout_lines();
    notify(&[(&ch, "first")]);
    // Nothing else is sent: if the output waited for a full buffer, this would never come.
    assert_eq!(
        out.recv_timeout(WAIT_LIMIT).unwrap(),
        format!("{ch}\tfirst")
    );
    notify(&[(&ch, "second")]);
    assert_eq!(
        out.recv_timeout(WAIT_LIMIT).unwrap(),
        format!("{ch}\tsecond")
    );
    listener.signal(libc::SIGINT);
    let (status, _, _) = listener.finish();
    assert_eq!(status, killed_by(libc::SIGINT));
}

#[test]
fn timeout_before_count_exits_3_and_without_count_exits_0() {
    let ch = channel("timeout");
    let listener = listen(&["-c", "2", "--timeout", "3s", &ch]);
    notify(&[(&ch, "only one")]);
    let (status, out, err) = listener.finish();
    assert_eq!(status.code(), Some(3), "{err}");
    assert_eq!(out, format!("{ch}\tonly one\n").as_bytes());
    assert!(err.contains("--timeout reached after 1 of 2"), "{err}");

    // --timeout counts from the start, connecting included: room to connect on a busy machine.
    let (status, _, _) = listen(&["--timeout", "2s", &ch]).finish();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn idle_timeout_counts_from_the_last_notification() {
    let ch = channel("idle");
    let mut listener = listen(&["-c", "3", "--idle-timeout", "3s", &ch]);
    let out = listener.stdout_lines();
    for i in 0..2 {
        notify(&[(&ch, &i.to_string())]);
        out.recv_timeout(WAIT_LIMIT).unwrap();
    }
    let (status, _, err) = listener.finish();
    assert_eq!(status.code(), Some(3), "{err}");
    assert!(err.contains("--idle-timeout reached after 2 of 3"), "{err}");
}

#[test]
fn count_stops_exactly_after_n() {
    let ch = channel("count");
    let listener = listen(&["--raw", "-c", "3", &ch]);
    notify(&[(&ch, "1"), (&ch, "2"), (&ch, "3"), (&ch, "4"), (&ch, "5")]);
    let (status, out, _) = listener.finish();
    assert_eq!(status.code(), Some(0));
    assert_eq!(out, b"1\n2\n3\n");
}

#[test]
fn closed_stdout_exits_0_quietly() {
    // Like `| head -1`: the reader goes away after one line, and no further notification
    // comes that could fail a write; the listener must notice and end anyway.
    let ch = channel("head");
    let mut listener = listen(&[&ch]);
    let mut first = BufReader::new(listener.take_stdout());
    notify(&[(&ch, "one")]);
    let mut line = String::new();
    first.read_line(&mut line).unwrap();
    assert_eq!(line, format!("{ch}\tone\n"));
    drop(first);
    listener.wait_exit("the listener to exit once its stdout closed");
    let (status, _, err) = listener.finish();
    assert_eq!(status.code(), Some(0));
    let messages: Vec<&str> = err
        .lines()
        .filter(|l| !l.contains("connecting to") && !l.starts_with("  "))
        .collect();
    assert!(
        messages.is_empty(),
        "no message for a closed stdout: {messages:?}"
    );
}

#[test]
fn sigterm_writes_out_everything_received_then_ends_by_sigterm() {
    // The listener is frozen while the server delivers N notifications into its socket; it
    // gets SIGTERM and is thawed: all N were delivered, so all N must be printed.
    let ch = channel("term");
    let (app, url) = app_url("term");
    let listener = listen(&["--raw", "-d", &url, &ch]);
    let expected = deliver_while_frozen(&listener, &app, &ch);
    listener.signal(libc::SIGTERM);
    listener.signal(libc::SIGCONT);
    let (status, out, err) = listener.finish();
    assert_eq!(status, killed_by(libc::SIGTERM), "{err}");
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

#[test]
fn a_stop_signal_ends_a_listener_whose_stdout_no_one_reads() {
    // Nothing reads the listener's stdout: once the pipe is full its write blocks for ever, and
    // SIGTERM must still end it (after the grace, saying so), by SIGTERM.
    let ch = channel("unread");
    let mut listener = listen(&["--raw", &ch]);
    let line = "x".repeat(1000);
    let notes: Vec<(&str, String)> = (0..200)
        .map(|i| (ch.as_str(), format!("{i}{line}")))
        .collect();
    let notes: Vec<(&str, &str)> = notes.iter().map(|(c, p)| (*c, p.as_str())).collect();
    notify(&notes);
    let wchan = format!("/proc/{}/wchan", listener.child.id());
    wait_until("the listener to block writing its stdout", || {
        std::fs::read_to_string(&wchan).is_ok_and(|w| w.contains("pipe_write"))
    });
    listener.signal(libc::SIGTERM);
    listener.wait_exit("SIGTERM to end a listener blocked on its stdout");
    let (status, _, err) = listener.finish();
    assert_eq!(status, killed_by(libc::SIGTERM), "{err}");
    assert!(err.contains("stdout has not been read for 2s"), "{err}");
}

#[test]
fn timeout_writes_out_everything_received_before_it() {
    // The listener is frozen while the server delivers N notifications into its socket, and
    // thawed only after its --timeout has passed: all N arrived before the timeout, so all N
    // must be printed, and they satisfy --count (exit 0, not 3).
    let ch = channel("timeout_drain");
    let (app, url) = app_url("tdrain");
    let count = DELIVERED.to_string();
    // Long enough to freeze the listener well before it, even on a loaded machine.
    let timeout = Duration::from_secs(10);
    let flag = format!("{}s", timeout.as_secs());
    let listener = listen(&["--raw", "-c", &count, "--timeout", &flag, "-d", &url, &ch]);
    // The listener's clock started before it said it was listening.
    let past_timeout = std::time::Instant::now() + timeout + Duration::from_millis(500);
    let expected = deliver_while_frozen(&listener, &app, &ch);
    // A sleep is the condition here: time passing while the listener cannot run.
    std::thread::sleep(past_timeout.saturating_duration_since(std::time::Instant::now()));
    listener.signal(libc::SIGCONT);
    let (status, out, err) = listener.finish();
    assert_eq!(status.code(), Some(0), "{err}");
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

/// How many notifications [`deliver_while_frozen`] sends: about 32 kB, well within any socket
/// receive buffer.
const DELIVERED: usize = 1000;

/// Freeze `listener` (whose application_name is `app`, printing `--raw`) and have the server
/// deliver [`DELIVERED`] notifications on `ch` into its socket; returns what it must print for them.
/// The caller thaws it with SIGCONT.
fn deliver_while_frozen(listener: &Listen, app: &str, ch: &str) -> String {
    let port = psql(&format!(
        "SELECT client_port FROM pg_stat_activity WHERE application_name = '{app}' \
         AND query ILIKE '%listen%'"
    ));
    listener.signal(libc::SIGSTOP);
    const N: usize = DELIVERED;
    psql(&format!(
        "SELECT pg_notify('{ch}', lpad(i::text, 5, '0')) FROM generate_series(1, {N}) AS i"
    ));
    // NotificationResponse: type, length, pid, channel and payload with their NULs.
    let bytes = N * (1 + 4 + 4 + ch.len() + 1 + 5 + 1);
    wait_until("every notification in the listener's socket", || {
        socket_backlog(port.trim()) >= bytes
    });
    (1..=N).map(|i| format!("{i:05}\n")).collect()
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
fn a_burst_of_100_000_arrives_once_and_in_order() {
    let ch = channel("burst");
    let listener = listen(&["--raw", "-c", "100000", &ch]);
    psql(&format!(
        "SELECT pg_notify('{ch}', i::text) FROM generate_series(1, 100000) AS i"
    ));
    let (status, out, err) = listener.finish();
    assert!(status.success(), "{err}");
    let got: Vec<u64> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(got.len(), 100_000);
    assert!(
        got.iter().zip(1..).all(|(&g, i)| g == i),
        "out of order or duplicated"
    );
}

#[test]
fn exec_runs_a_command_per_notification_in_order_and_survives_failures() {
    let ch = channel("exec");
    let script = r#"p=$(cat); printf '%s|%s|%s\n' "$PGPUBSUB_CHANNEL" "$PGPUBSUB_PID" "$p"; [ "$p" != fail ]"#;
    let listener = listen(&["--exec", script, "-c", "3", &ch]);
    notify(&[(&ch, "one"), (&ch, "fail"), (&ch, "three\nlines")]);
    let (status, out, err) = listener.finish();
    assert!(status.success(), "{err}");
    assert!(
        err.contains("--exec: command failed (exit status: 1)"),
        "{err}"
    );
    let text = String::from_utf8(out).unwrap();
    let payloads: Vec<&str> = text.split('\n').filter(|l| !l.is_empty()).collect();
    assert_eq!(payloads.len(), 4, "{text}");
    assert!(payloads[0].starts_with(&format!("{ch}|")) && payloads[0].ends_with("|one"));
    assert!(payloads[1].ends_with("|fail"));
    assert!(payloads[2].ends_with("|three") && payloads[3] == "lines");
}

#[test]
fn a_stop_signal_lets_the_running_exec_finish_and_starts_no_more() {
    // A handler may take long: after SIGTERM the one running finishes, but the notifications
    // that wait are not each given a command of their own before the listener stops.
    let ch = channel("exec_stop");
    let mut listener = listen(&["--exec", "cat; echo; sleep 3", &ch]);
    let out = listener.stdout_lines();
    let notes: Vec<(String, String)> = (1..=5).map(|i| (ch.clone(), i.to_string())).collect();
    send_notifications(url(), &notes);
    assert_eq!(out.recv_timeout(WAIT_LIMIT).unwrap(), "1");
    listener.signal(libc::SIGTERM);
    let (status, _, err) = listener.finish();
    assert_eq!(status, killed_by(libc::SIGTERM), "{err}");
    let handled: Vec<String> = out.iter().collect();
    assert!(
        handled.is_empty(),
        "commands started after SIGTERM: {handled:?}"
    );
    assert!(
        err.contains("4 notifications already received were not handed to --exec"),
        "{err}"
    );
}

#[test]
fn no_reconnect_exits_1_on_connection_loss() {
    let ch = channel("noreco");
    let (app, url) = app_url("noreco");
    let listener = listen(&["--no-reconnect", "--json", "--events", "-d", &url, &ch]);
    assert!(kill_backends(common::url(), &app) >= 1);
    let (status, out, err) = listener.finish();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("connection lost (--no-reconnect)"), "{err}");
    // The event stream says so too: it is how a consumer of --events learns of every loss.
    let out = String::from_utf8(out).unwrap();
    let last = out.lines().last().unwrap_or_default();
    assert!(last.contains("\"event\":\"disconnected\""), "{out}");
}

#[test]
fn text_the_server_cannot_deliver_costs_a_gap_not_the_listener() {
    // In a SQL_ASCII database a payload can hold bytes that are not UTF-8; the listener's
    // backend then dies converting it. pgpubsub reports the gap and keeps listening.
    let db = format!("ascii_{}", std::process::id());
    psql(&format!(
        "CREATE DATABASE {db} ENCODING SQL_ASCII LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
    ));
    let url = url_with_db(&db);
    let ch = channel("ascii");
    let mut listener = listen(&["-d", &url, "--json", "--events", &ch]);
    let out = listener.stdout_lines();
    assert!(out
        .recv_timeout(WAIT_LIMIT)
        .unwrap()
        .contains("\"listening\""));
    psql_at(&url, &format!("SELECT pg_notify('{ch}', E'bad \\xff')"));
    listener.stderr_until("reconnected after");
    assert!(out
        .recv_timeout(WAIT_LIMIT)
        .unwrap()
        .contains("\"disconnected\""));
    assert!(out
        .recv_timeout(WAIT_LIMIT)
        .unwrap()
        .contains("\"reconnected\""));
    notify_at(&url, &[(&ch, "still here")]);
    let line = out.recv_timeout(WAIT_LIMIT).unwrap();
    assert!(line.contains("still here"), "{line}");
    listener.signal(libc::SIGINT);
    assert_eq!(listener.finish().0, killed_by(libc::SIGINT));
}

/// A sender that keeps notifying `channel` with increasing numbers, one per transaction, and
/// reconnects when its connection dies; `sent` is the last number known committed.
struct Sender {
    /// The highest number whose send has begun: any larger number began later.
    begun: Arc<AtomicU64>,
    /// Numbers whose send failed: they may or may not have reached the server.
    failed: Arc<std::sync::Mutex<Vec<u64>>>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Sender {
    fn start(url: &str, channel: &str) -> Sender {
        let begun = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (url, channel) = (url.to_string(), channel.to_string());
        let (b, f, st) = (begun.clone(), failed.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            block_on(async {
                let mut next = 1u64;
                let mut conn: Option<PgConnection> = None;
                while !st.load(Ordering::SeqCst) {
                    if conn.is_none() {
                        conn = PgConnection::connect(&url).await.ok();
                        if conn.is_none() {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        }
                    }
                    b.store(next, Ordering::SeqCst);
                    let sent = sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(&channel)
                        .bind(next.to_string())
                        .execute(conn.as_mut().unwrap())
                        .await;
                    match sent {
                        Ok(_) => {}
                        Err(_) => {
                            // This number may or may not have been sent.
                            f.lock().unwrap().push(next);
                            conn = None;
                        }
                    }
                    next += 1;
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            })
        });
        Sender {
            begun,
            failed,
            stop,
            thread,
        }
    }

    /// Stop sending; returns the last number begun and the numbers whose send failed.
    fn stop(self) -> (u64, Vec<u64>) {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap();
        let failed = self.failed.lock().unwrap().clone();
        (self.begun.load(Ordering::SeqCst), failed)
    }
}

#[test]
fn survives_20_killed_backends_and_2_server_restarts_reporting_every_gap() {
    let mut server = start_sandbox(&[]);
    let port = port_of(&server.url).to_string();
    let app = format!("gaps_{}", std::process::id());
    let url = format!("{}?application_name={app}", server.url);
    let ch = channel("gaps");
    let mut listener = listen_at(&url, &["--reconnect-max", "500ms", &ch]);
    let out = listener.stdout_lines();
    let sender = Sender::start(&server.url, &ch);
    let mut received: Vec<u64> = Vec::new();
    // Read output until a number >= `target` arrives.
    let read_until = |target: u64, received: &mut Vec<u64>| loop {
        let line = out
            .recv_timeout(WAIT_LIMIT)
            .expect("listener output stalled");
        let (c, n) = line.split_once('\t').unwrap();
        assert_eq!(c, ch);
        let n: u64 = n.parse().unwrap();
        received.push(n);
        if n >= target {
            return;
        }
    };
    // Windows (after, upto]: every number in one began after the listener said it was
    // listening again, and arrived no later than `upto`, which that same session delivered.
    let mut windows = Vec::new();
    let mut gaps = 0;
    for round in 0..22 {
        let after = sender.begun.load(Ordering::SeqCst);
        read_until(after + 5, &mut received);
        windows.push((after, *received.last().unwrap()));
        if round % 11 == 10 {
            stop_sandbox(&server);
            server = start_sandbox(&["--port", &port]);
        } else {
            assert!(kill_backends(&server.url, &app) >= 1);
        }
        listener.stderr_until("connection lost");
        listener.stderr_until("reconnected after");
        gaps += 1;
    }
    let after = sender.begun.load(Ordering::SeqCst);
    read_until(after + 5, &mut received);
    windows.push((after, *received.last().unwrap()));
    let (last, failed) = sender.stop();
    listener.signal(libc::SIGTERM);
    let (status, _, err) = listener.finish();
    assert_eq!(status, killed_by(libc::SIGTERM), "{err}");
    received.extend(
        out.iter()
            .map(|l| l.split_once('\t').unwrap().1.parse::<u64>().unwrap()),
    );

    assert_eq!(gaps, 22);
    assert!(
        received.windows(2).all(|w| w[0] < w[1]),
        "duplicates or disorder"
    );
    for (after, upto) in windows {
        // A failed send may never have reached the server: only acknowledged ones must arrive.
        for n in (after + 1..=upto).filter(|n| !failed.contains(n)) {
            assert!(
                received.binary_search(&n).is_ok(),
                "{n} was sent while listening but lost"
            );
        }
    }
    assert!(*received.last().unwrap() <= last);
    stop_sandbox(&server);
}

/// `write_all` then close, for feeding a child's stdin.
trait WriteAllAndClose {
    fn write_all_and_close(self, data: &[u8]);
}

impl WriteAllAndClose for std::process::ChildStdin {
    fn write_all_and_close(mut self, data: &[u8]) {
        std::io::Write::write_all(&mut self, data).unwrap();
    }
}

#[test]
fn keepalive_finds_a_backend_that_stopped_answering() {
    // A stopped backend keeps its TCP connection open: only a query can tell it is gone.
    let ch = channel("keepalive");
    let (app, url) = app_url("keepalive");
    let mut listener = listen(&["--keepalive", "300ms", "-d", &url, &ch]);
    let out = listener.stdout_lines();
    let lost = with_listening_backend_frozen(&app, || listener.stderr_until("connection lost"));
    assert!(lost.contains("keepalive"), "{lost}");
    listener.stderr_until("reconnected after");
    notify(&[(&ch, "after the gap")]);
    assert_eq!(
        out.recv_timeout(WAIT_LIMIT).unwrap(),
        format!("{ch}\tafter the gap")
    );
    listener.signal(libc::SIGINT);
    assert_eq!(listener.finish().0, killed_by(libc::SIGINT));
}

#[test]
fn a_hot_standby_is_refused_with_a_clear_error() {
    let pair = Pair::start();
    let outcome = pgpubsub_bare()
        .args(["listen", "-d", &pair.standby.url, "jobs"])
        .timeout(WAIT_LIMIT)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&outcome.stderr);
    assert_eq!(outcome.status.code(), Some(1), "{err}");
    assert!(err.contains("hot standby"), "{err}");
}

#[test]
fn a_terminal_gets_a_readable_line_with_escape_sequences_defused() {
    let ch = channel("tty");
    let command = format!("{BIN} -v listen --color never -c 1 {ch}");
    let mut script = clean(Command::new("script"));
    script
        .args(["-qfec", &command, "/dev/null"])
        .env("DATABASE_URL", url())
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let mut child = script.spawn().expect("script (util-linux)");
    let out = lines(child.stdout.take().unwrap());
    while !out
        .recv_timeout(WAIT_LIMIT)
        .unwrap()
        .contains("listening on")
    {}
    notify(&[(&ch, "a\u{1b}[2Jb\nc\u{9b}d")]);
    let rest: Vec<String> = out.iter().collect();
    assert!(child.wait().unwrap().success());
    let text = rest.join("\n");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{9b}'),
        "{text:?}"
    );
    let line = rest.iter().find(|l| l.contains(&ch)).expect("a record");
    assert!(line.contains(r"a\u{1b}[2Jb\nc\u{9b}d"), "{line:?}");
    assert!(
        line.contains(" [") && line.contains("] "),
        "sender pid: {line:?}"
    );
}

#[test]
fn a_terminal_gets_events_with_escape_sequences_defused() {
    // `--events` records carry channel names and the server's reasons for a lost connection:
    // on a terminal they go through the sanitizer like every record.
    let ch = format!("{}\u{9b}31m", channel("ttyevents"));
    let command = format!("{BIN} listen --color never --json --events --timeout 1s \"$CH\"");
    let mut script = clean(Command::new("script"));
    script
        .args(["-qfec", &command, "/dev/null"])
        .env("DATABASE_URL", url())
        .env("CH", &ch)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let output = script.output().expect("script (util-linux)");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!text.contains('\u{9b}'), "{text:?}");
    // Sanitized as a value, before encoding: the record is still JSON, and says the escape.
    let line = text
        .lines()
        .find(|l| l.contains("\"event\""))
        .unwrap_or_else(|| panic!("no event in {text:?}"));
    let event: serde_json::Value = serde_json::from_str(line.trim_end_matches('\r'))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"));
    assert_eq!(event["event"], "listening");
    assert_eq!(
        event["channels"][0],
        ch.replace('\u{9b}', r"\u{9b}"),
        "{line:?}"
    );
}

#[test]
fn a_transaction_mode_pooler_is_refused_with_a_clear_error() {
    assert_refuses_a_transaction_mode_pooler(&["listen", &channel("txpool")]);
}

#[test]
fn a_session_mode_pooler_delivers() {
    let Some(pool) = pooler("session") else {
        return;
    };
    let ch = channel("sessionpool");
    let mut listener = listen_at(&pool.url, &[&ch]);
    let out = listener.stdout_lines();
    notify_at(url(), &[(&ch, "through the pool")]);
    assert_eq!(
        out.recv_timeout(WAIT_LIMIT).unwrap(),
        format!("{ch}\tthrough the pool")
    );
    listener.signal(libc::SIGINT);
    assert_eq!(listener.finish().0, killed_by(libc::SIGINT));
}

#[test]
fn ctrl_c_ends_a_shell_loop_around_listen() {
    // `while :; do pgpubsub listen c; done` in its own process group, as a terminal runs it:
    // Ctrl-C signals the whole group. bash stops the loop only if its child died of SIGINT;
    // a child that exits 130 (having "handled" it) makes the loop go round again.
    let ch = channel("loop");
    let script = format!("while :; do '{BIN}' listen --json --events '{ch}'; done");
    let mut cmd = clean(Command::new("bash"));
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd.args(["-c", &script])
        .env("DATABASE_URL", url())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut shell = cmd.spawn().unwrap();
    let out = lines(shell.stdout.take().unwrap());
    let listening = out.recv_timeout(WAIT_LIMIT).unwrap();
    assert!(listening.contains("\"event\":\"listening\""), "{listening}");
    // SAFETY: signalling the process group of our own child.
    unsafe { libc::kill(-(shell.id() as i32), libc::SIGINT) };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = shell.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            // SAFETY: as above; the loop did not stop, so end it before failing.
            unsafe { libc::kill(-(shell.id() as i32), libc::SIGKILL) };
            let _ = shell.wait();
            panic!("the shell loop went on after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status, killed_by(libc::SIGINT));
}

/// A listener whose `--exec` command is running and has started a grandchild (its pid too).
fn running_a_grandchild(stem: &str) -> (Listen, i32) {
    let ch = channel(stem);
    let grandchild = Grandchild::new();
    let listener = listen(&["--exec", &grandchild.command, &ch]);
    notify(&[(&ch, "x")]);
    let pid = grandchild.pid();
    (listener, pid)
}

#[test]
fn a_stop_signal_says_what_it_waits_for_and_a_second_ends_the_command_group() {
    let (mut listener, sleep) = running_a_grandchild("exec_orphan");
    listener.signal(libc::SIGTERM);
    listener.stderr_until("waiting for the running --exec command");
    assert!(alive(sleep), "the first signal must let the command run");
    listener.signal(libc::SIGTERM);
    listener.stderr_until("ended the running command");
    listener.wait_exit("the second signal");
    let (status, _, err) = listener.finish();
    assert_eq!(status, killed_by(libc::SIGTERM), "{err}");
    wait_until("the command's child to be gone", || !alive(sleep));
}

#[test]
fn closing_the_terminal_sighup_ends_the_running_command_group_at_once() {
    // The command runs in a process group of its own, so the terminal's SIGHUP never reaches
    // it: pgpubsub must pass it on, or the command runs on under init with no terminal.
    let (mut listener, sleep) = running_a_grandchild("exec_hangup");
    listener.signal(libc::SIGHUP);
    let said = listener.stderr_until("ended the running command (process group");
    assert!(said.contains(": SIGHUP, then SIGKILL"), "{said}");
    listener.wait_exit("SIGHUP");
    let (status, _, err) = listener.finish();
    assert_eq!(status, killed_by(libc::SIGHUP), "{err}");
    wait_until("the command's child to be gone", || !alive(sleep));
}

#[test]
fn a_ctrl_c_at_the_terminal_lets_the_running_exec_finish() {
    // A terminal sends Ctrl-C to its whole foreground process group: the command runs in a
    // group of its own, so it finishes (as documented) while the listener stops.
    let ch = channel("exec_ctrlc");
    let dir = tempfile::tempdir().unwrap();
    let started = dir.path().join("started");
    let command = format!("touch '{}'; sleep 0.5; echo finished", started.display());
    let mut cmd = clean(Command::new(BIN));
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd.env("DATABASE_URL", url())
        .args(["-v", "listen", "--exec", &command, &ch])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stderr = lines(child.stderr.take().unwrap());
    line_with(&stderr, "listening on");
    let mut listener = Listen {
        child,
        stderr,
        seen: Default::default(),
    };
    notify(&[(&ch, "x")]);
    wait_until("the command to start", || started.exists());
    // SAFETY: signalling the process group of our own child, as a terminal does.
    unsafe { libc::kill(-(listener.child.id() as i32), libc::SIGINT) };
    listener.wait_exit("Ctrl-C");
    let (status, out, err) = listener.finish();
    assert_eq!(status, killed_by(libc::SIGINT), "{err}");
    assert_eq!(String::from_utf8(out).unwrap(), "finished\n", "{err}");
}

#[test]
fn timeout_0_means_no_limit_as_for_every_time_limit() {
    let ch = channel("timeout0");
    let mut listener = listen(&["--timeout", "0", "--idle-timeout", "0", "-c", "1", &ch]);
    let out = listener.stdout_lines();
    notify(&[(&ch, "still listening")]);
    assert_eq!(
        out.recv_timeout(WAIT_LIMIT).unwrap(),
        format!("{ch}\tstill listening")
    );
    let (status, _, err) = listener.finish();
    assert!(status.success(), "{err}");
}

#[test]
fn timeout_bounds_the_whole_run_connecting_included() {
    // Something that accepts TCP connections and never answers like PostgreSQL.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let held = std::thread::spawn(move || {
        let conns: Vec<_> = silent.incoming().take(4).collect();
        std::thread::sleep(Duration::from_secs(20));
        drop(conns);
    });
    let started = std::time::Instant::now();
    let out = pgpubsub_bare()
        .args([
            "listen",
            "--timeout",
            "1s",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "c",
        ])
        .timeout(WAIT_LIMIT)
        .output()
        .unwrap();
    let took = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("--timeout 1s reached before the connection was made"),
        "{err}"
    );
    // The connect timeout (10 s by default) did not decide it.
    assert!(took < Duration::from_secs(8), "took {took:?}");
    drop(held);
}

#[test]
fn a_template_that_ends_in_a_newline_gets_no_second_one() {
    let ch = channel("template_nl");
    let mut listener = listen(&["--format", "{channel}:{payload}\\n", "-c", "2", &ch]);
    let out = listener.take_stdout();
    notify(&[(&ch, "a"), (&ch, "b")]);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut BufReader::new(out), &mut text).unwrap();
    assert_eq!(text, format!("{ch}:a\n{ch}:b\n"));
    assert!(listener.finish().0.success());
}

#[test]
fn ready_file_and_sd_notify_say_when_listening_has_begun() {
    // The README's snippet, made safe: notify only once the listener holds the channel.
    let ch = channel("ready");
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    std::fs::write(&ready, "stale").unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    let child = clean(Command::new(BIN))
        .env("DATABASE_URL", url())
        .env("NOTIFY_SOCKET", &socket_path)
        .args(["listen", "-c", "1", "--ready-file"])
        .arg(&ready)
        .arg(&ch)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    socket.set_read_timeout(Some(WAIT_LIMIT)).unwrap();
    let mut datagram = [0u8; 64];
    let n = socket
        .recv(&mut datagram)
        .expect("READY=1 from the listener");
    assert_eq!(&datagram[..n], b"READY=1");
    let pid = std::fs::read_to_string(&ready).unwrap();
    assert_eq!(
        pid.trim(),
        child.id().to_string(),
        "a stale ready file was kept"
    );
    notify(&[(&ch, "hello")]);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{ch}\thello\n")
    );
}

#[test]
fn a_terminal_sees_that_listen_is_listening_before_any_notification() {
    let ch = channel("ttyready");
    let command = format!("{BIN} listen --color never -c 1 {ch}");
    let mut script = clean(Command::new("script"));
    script
        .args(["-qfec", &command, "/dev/null"])
        .env("DATABASE_URL", url())
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let mut child = script.spawn().expect("script (util-linux)");
    let out = lines(child.stdout.take().unwrap());
    let first = line_with(&out, "listening on");
    assert!(first.contains(&ch) && first.contains("Ctrl-C"), "{first}");
    notify(&[(&ch, "x")]);
    assert!(child.wait().unwrap().success());
}

#[test]
fn quiet_keeps_warnings_and_notes_off_stderr_but_not_errors() {
    let ch = format!("Quiet_{}", channel("q"));
    let out = pgpubsub()
        .args(["-q", "listen", "--timeout", "3s", &ch])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "the capitals warning is a warning"
    );
    let out = pgpubsub().args(["--quiet", "listen", ""]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("channel name is empty"));
}
