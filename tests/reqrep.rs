//! `pgpubsub request` and `pgpubsub reply` against a real server: answers, errors, timeouts,
//! scatter/gather, 50 requesters at once without cross-talk, a plpgsql responder speaking the
//! documented envelope, skipped garbage, oversized replies, reconnection and a graceful stop.

mod common;

use common::*;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// A running `pgpubsub -v reply`, stopped with SIGTERM when dropped (also when a test fails).
struct Responder {
    child: Child,
    stderr: Receiver<String>,
}

impl Responder {
    /// Start `reply CHANNEL ARGS` on `url` and wait until it answers requests.
    fn start_at(url: &str, channel: &str, args: &[&str]) -> Responder {
        let mut child = clean(Command::new(BIN))
            .env("DATABASE_URL", url)
            .args(["-v", "reply", channel])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = lines(child.stderr.take().unwrap());
        let responder = Responder { child, stderr };
        responder.until("answering requests on channel");
        responder
    }

    fn start(channel: &str, args: &[&str]) -> Responder {
        Responder::start_at(url(), channel, args)
    }

    /// Wait for a stderr line containing `needle`; returns it.
    fn until(&self, needle: &str) -> String {
        line_with(&self.stderr, needle)
    }

    fn signal(&self, signal: i32) {
        // SAFETY: signalling our own child, not yet reaped.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.signal(libc::SIGTERM);
            let _ = self.child.wait();
        }
    }
}

/// `pgpubsub request ARGS` on the test server: exit code, stdout, stderr.
fn request(args: &[&str]) -> (Option<i32>, String, String) {
    let out = pgpubsub().arg("request").args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_command_answers_a_request() {
    let svc = channel("svc");
    let _responder = Responder::start(&svc, &["--exec", "tr a-z A-Z"]);
    let (code, out, err) = request(&[&svc, "hello"]);
    assert_eq!((code, out.as_str()), (Some(0), "HELLO\n"), "{err}");
}

#[test]
fn fifty_concurrent_requesters_each_get_their_own_answer() {
    let svc = channel("many");
    let _responder = Responder::start(&svc, &["--exec", "tr a-z A-Z", "--concurrency", "8"]);
    let requesters: Vec<Child> = (0..50)
        .map(|i| {
            clean(Command::new(BIN))
                .env("DATABASE_URL", url())
                .args(["request", "--timeout", "60s", &svc, &format!("req {i} abc")])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, requester) in requesters.into_iter().enumerate() {
        let out = requester.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "requester {i}: {err}");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            format!("REQ {i} ABC\n")
        );
    }
}

#[test]
fn a_failing_command_makes_the_requester_exit_1_with_the_error() {
    let svc = channel("fail");
    let _responder = Responder::start(
        &svc,
        &["--exec", "cat >/dev/null; echo 'bad input' >&2; exit 3"],
    );
    let (code, out, err) = request(&[&svc, "x"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("exit status 3") && err.contains("bad input"),
        "{err}"
    );
}

#[test]
fn no_responder_is_exit_3_after_the_timeout() {
    let svc = channel("nobody");
    let started = Instant::now();
    let (code, out, err) = request(&["--timeout", "300ms", &svc, "anyone?"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(out.is_empty());
    assert!(err.contains("no reply within 300ms"), "{err}");
}

#[test]
fn replies_2_gathers_both_responders() {
    let svc = channel("census");
    let _one = Responder::start(&svc, &["--exec", "echo one"]);
    let _two = Responder::start(&svc, &["--exec", "echo two"]);
    let (code, out, err) = request(&["--replies", "2", &svc]);
    assert_eq!(code, Some(0), "{err}");
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    assert_eq!(lines, ["one", "two"]);
    // Two replies are not three: asking for more than there are is a timeout.
    let (code, out, err) = request(&["--replies", "3", "--timeout", "2s", &svc]);
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(out.lines().count(), 2);
    assert!(err.contains("2 of 3 replies within 2s"), "{err}");
}

#[test]
fn a_plpgsql_responder_answers_through_the_envelope() {
    let svc = channel("plpgsql");
    let function = format!("answer_{svc}");
    // The README's responder: read the envelope, answer on reply_to with one pg_notify.
    psql(&format!(
        "CREATE FUNCTION {function}(request jsonb) RETURNS void LANGUAGE plpgsql AS $$
         BEGIN
           IF request->>'body' = '' THEN RAISE EXCEPTION 'empty request'; END IF;
           PERFORM pg_notify(request->>'reply_to',
             json_build_object('id', request->'id', 'body', upper(request->>'body'))::text);
         END $$"
    ));
    let query = format!("SELECT {function}($1::jsonb)");
    let _responder = Responder::start(&svc, &["--sql", &query]);
    let (code, out, err) = request(&[&svc, "hello"]);
    assert_eq!((code, out.as_str()), (Some(0), "HELLO\n"), "{err}");
    let (code, _, err) = request(&[&svc, ""]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("empty request"), "{err}");
}

#[test]
fn requests_outside_the_envelope_are_reported_and_skipped() {
    let svc = channel("garbage");
    let responder = Responder::start(&svc, &["--exec", "cat"]);
    send_notifications(url(), &[(&svc, "not json")]);
    responder.until("not a request envelope");
    let (code, out, err) = request(&[&svc, "still here"]);
    assert_eq!((code, out.as_str()), (Some(0), "still here\n"), "{err}");
}

#[test]
fn a_reply_too_big_for_a_notification_becomes_an_error_reply() {
    let svc = channel("big");
    let _responder = Responder::start(&svc, &["--exec", "head -c 9000 /dev/zero | tr '\\0' x"]);
    let (code, out, err) = request(&[&svc]);
    assert_eq!(code, Some(1), "{err}");
    assert!(out.is_empty());
    assert!(err.contains("at most 7999"), "{err}");
}

#[test]
fn stdin_lines_are_one_request_each() {
    let svc = channel("lines");
    let _responder = Responder::start(&svc, &["--exec", "tr a-z A-Z"]);
    let out = pgpubsub()
        .args(["request", &svc, "-"])
        .write_stdin("a\nb\nc\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "A\nB\nC\n");
}

#[test]
fn the_responder_reconnects_after_its_backend_is_killed() {
    let svc = channel("reco");
    let app = format!("reco_{}", std::process::id());
    let url = format!("{}?application_name={app}", url());
    let responder = Responder::start_at(&url, &svc, &["--exec", "cat"]);
    assert!(kill_backends(common::url(), &app) >= 1);
    responder.until("reconnected after");
    let (code, out, err) = request(&[&svc, "again"]);
    assert_eq!((code, out.as_str()), (Some(0), "again\n"), "{err}");
}

#[test]
fn the_responder_keepalive_finds_a_backend_that_stopped_answering() {
    // A stopped backend keeps its TCP connection open: only a query can tell it is gone.
    let svc = channel("replyalive");
    let app = format!("replyalive_{}", std::process::id());
    let url = format!("{}?application_name={app}", url());
    let responder = Responder::start_at(
        &url,
        &svc,
        &[
            "--exec",
            "cat",
            "--keepalive",
            "300ms",
            "--reconnect-max",
            "200ms",
        ],
    );
    let lost = with_listening_backend_frozen(&app, || responder.until("connection lost"));
    assert!(lost.contains("keepalive"), "{lost}");
    responder.until("reconnected after");
    let (code, out, err) = request(&[&svc, "again"]);
    assert_eq!((code, out.as_str()), (Some(0), "again\n"), "{err}");
}

#[test]
fn a_transaction_mode_pooler_is_named_not_waited_out() {
    // Replies could never arrive through it: say so, as listen does, instead of exit 3.
    let svc = channel("txpool");
    assert_refuses_a_transaction_mode_pooler(&["request", "--timeout", "2s", &svc, "hello"]);
}

#[test]
fn sigterm_finishes_the_requests_in_progress() {
    let svc = channel("graceful");
    let dir = tempfile::tempdir().unwrap();
    let started = dir.path().join("started");
    let command = format!("touch '{}'; sleep 0.5; cat", started.display());
    let mut responder = Responder::start(&svc, &["--exec", &command]);
    let requester = clean(Command::new(BIN))
        .env("DATABASE_URL", url())
        .args(["request", &svc, "in flight"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the command to start", || started.exists());
    responder.signal(libc::SIGTERM);
    assert_eq!(responder.child.wait().unwrap(), killed_by(libc::SIGTERM));
    let out = requester.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "in flight\n");
}
