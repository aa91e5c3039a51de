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

/// A key file (mode 0600) in `dir`.
fn key_file(dir: &std::path::Path, key: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("key");
    std::fs::write(&path, key).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path.display().to_string()
}

/// A session that is no responder but reads every request on `svc` (NOTIFY has no
/// permissions) and answers on its `reply_to` at once, with a terminal escape in the body;
/// then it creates `sent`.
fn spoofer(svc: &str, sent: &std::path::Path) -> Child {
    let script = format!(
        r#"r=$(cat); to=$(printf %s "$r" | jq -r .reply_to); id=$(printf %s "$r" | jq -r .id);
           '{BIN}' notify "$to" "{{\"id\":\"$id\",\"body\":\"SPOOFED\\u001b]0;owned\\u0007\"}}";
           touch '{}'"#,
        sent.display()
    );
    let mut child = clean(Command::new(BIN))
        .env("DATABASE_URL", url())
        .args(["-v", "listen", "--exec", &script, svc])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    line_with(&lines(child.stderr.take().unwrap()), "listening on");
    child
}

/// A responder command that runs `command` once `file` exists.
fn after(file: &std::path::Path, command: &str) -> String {
    format!(
        "while [ ! -e '{}' ]; do sleep 0.02; done; {command}",
        file.display()
    )
}

fn stop(mut child: Child) {
    // SAFETY: signalling our own child, not yet reaped.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let _ = child.wait();
}

#[test]
fn with_a_key_a_forged_reply_is_refused_and_the_genuine_one_printed() {
    let svc = channel("forged");
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path(), "correct horse battery staple\n");
    let sent = dir.path().join("spoofed");
    let spoofer = spoofer(&svc, &sent);
    // The genuine responder answers after the spoofer, so the forgery arrives first.
    let _responder = Responder::start(
        &svc,
        &["--key-file", &key, "--exec", &after(&sent, "tr a-z A-Z")],
    );
    let (code, out, err) = request(&["--key-file", &key, &svc, "hello"]);
    stop(spoofer);
    assert_eq!((code, out.as_str()), (Some(0), "HELLO\n"), "{err}");
    assert!(err.contains("not signed with the key"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err:?}");
}

#[test]
fn without_a_key_different_replies_are_reported_and_none_printed() {
    let svc = channel("conflict");
    let dir = tempfile::tempdir().unwrap();
    let sent = dir.path().join("spoofed");
    let spoofer = spoofer(&svc, &sent);
    let _responder = Responder::start(&svc, &["--exec", &after(&sent, "tr a-z A-Z")]);
    let (code, out, err) = request(&["--grace", "5s", &svc, "hello"]);
    stop(spoofer);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(out, "", "a forgery may not reach stdout, even piped");
    assert!(err.contains("got different replies"), "{err}");
    assert!(err.contains("SPOOFED") && err.contains("HELLO"), "{err}");
    assert!(err.contains("--key-file"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err:?}");
}

#[test]
fn a_keyed_responder_runs_neither_unsigned_nor_replayed_requests() {
    let svc = channel("replay");
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path(), "0123456789abcdef0123456789abcdef");
    let runs = dir.path().join("runs");
    let command = format!("cat; echo run >> '{}'", runs.display());
    // The key from the environment works as --key-file does.
    let mut child = clean(Command::new(BIN))
        .env("DATABASE_URL", url())
        .env("PGPUBSUB_KEY_FILE", &key)
        .args(["-v", "reply", &svc, "--exec", &command])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = lines(child.stderr.take().unwrap());
    line_with(&stderr, "answering requests on channel");
    let responder = Responder { child, stderr };
    // Everyone on the database can read the signed request off the channel...
    let mut eavesdropper = clean(Command::new(BIN))
        .env("DATABASE_URL", url())
        .args(["-v", "listen", "--raw", "-c", "1", &svc])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    line_with(&lines(eavesdropper.stderr.take().unwrap()), "listening on");
    let (code, out, err) = request(&["--key-file", &key, &svc, "pay 10"]);
    assert_eq!((code, out.as_str()), (Some(0), "pay 10\n"), "{err}");
    let captured = eavesdropper.wait_with_output().unwrap().stdout;
    let captured = String::from_utf8(captured).unwrap();
    assert!(captured.contains("\"mac\":"), "{captured}");
    // ...but sending it again does not run the command again,
    send_notifications(url(), &[(&svc, captured.trim_end())]);
    responder.until("a replay of a request already answered");
    // nor does a request without the key.
    let (code, _, err) = request(&["--timeout", "1s", &svc, "pay 1000"]);
    assert_eq!(code, Some(3), "{err}");
    responder.until("not signed");
    assert_eq!(std::fs::read_to_string(&runs).unwrap(), "run\n");
}

#[test]
fn a_request_with_an_unusable_reply_to_is_skipped_before_its_command_runs() {
    let svc = channel("replyto");
    let dir = tempfile::tempdir().unwrap();
    let ran = dir.path().join("ran");
    let command = format!("touch '{}'; cat", ran.display());
    let responder = Responder::start(&svc, &["--exec", &command]);
    for reply_to in ["", &"x".repeat(65)] {
        let envelope = format!(r#"{{"reply_to":"{reply_to}","id":"1","body":"b"}}"#);
        send_notifications(url(), &[(&svc, &envelope)]);
        responder.until("its reply_to is unusable");
    }
    assert!(
        !ran.exists(),
        "the command ran for a request that cannot be answered"
    );
}

#[test]
fn an_idle_responder_says_nothing_about_requests_in_progress_when_stopped() {
    let svc = channel("idle");
    let mut responder = Responder::start(&svc, &["--exec", "cat", "--concurrency", "4"]);
    for body in ["a", "b", "c"] {
        let (code, _, err) = request(&[&svc, body]);
        assert_eq!(code, Some(0), "{err}");
    }
    responder.signal(libc::SIGTERM);
    assert_eq!(responder.child.wait().unwrap(), killed_by(libc::SIGTERM));
    let rest: Vec<String> = responder.stderr.iter().collect();
    assert!(!rest.iter().any(|l| l.contains("in progress")), "{rest:?}");
}

/// A responder answering a request (its requester still waiting) with a command that has
/// started a grandchild; the grandchild's pid.
fn answering_with_a_grandchild(stem: &str) -> (Responder, Child, i32) {
    let svc = channel(stem);
    let grandchild = Grandchild::new();
    let responder = Responder::start(&svc, &["--exec", &grandchild.command]);
    let requester = clean(Command::new(BIN))
        .env("DATABASE_URL", url())
        .args(["request", "--timeout", "60s", &svc, "x"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = grandchild.pid();
    (responder, requester, pid)
}

#[test]
fn a_second_signal_ends_the_running_command_and_all_it_started() {
    let (mut responder, requester, sleep) = answering_with_a_grandchild("orphan");
    responder.signal(libc::SIGTERM);
    responder.until("finishing the request in progress; a second signal ends it");
    responder.signal(libc::SIGTERM);
    assert_eq!(responder.child.wait().unwrap(), killed_by(libc::SIGTERM));
    wait_until("the command's child to be gone", || !alive(sleep));
    stop(requester);
}

#[test]
fn closing_the_terminal_sighup_ends_the_running_command_at_once() {
    let (mut responder, requester, sleep) = answering_with_a_grandchild("hangup");
    responder.signal(libc::SIGHUP);
    responder.until("ended the running command (process group");
    assert_eq!(responder.child.wait().unwrap(), killed_by(libc::SIGHUP));
    wait_until("the command's child to be gone", || !alive(sleep));
    stop(requester);
}

#[test]
fn a_ctrl_c_at_the_terminal_lets_the_running_command_finish() {
    // A terminal sends Ctrl-C to its whole foreground process group; the command runs in a
    // group of its own, so it finishes and its reply is sent before the responder ends.
    let svc = channel("ctrlc");
    let dir = tempfile::tempdir().unwrap();
    let started = dir.path().join("started");
    let command = format!("touch '{}'; sleep 0.5; cat", started.display());
    let mut cmd = clean(Command::new(BIN));
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .env("DATABASE_URL", url())
        .args(["-v", "reply", &svc, "--exec", &command])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = lines(child.stderr.take().unwrap());
    line_with(&stderr, "answering requests on channel");
    let mut responder = Responder { child, stderr };
    let requester = clean(Command::new(BIN))
        .env("DATABASE_URL", url())
        .args(["request", "--timeout", "60s", &svc, "in flight"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the command to start", || started.exists());
    // SAFETY: signalling the process group of our own child, as a terminal does.
    unsafe { libc::kill(-(responder.child.id() as i32), libc::SIGINT) };
    assert_eq!(responder.child.wait().unwrap(), killed_by(libc::SIGINT));
    let out = requester.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "in flight\n");
}

#[test]
fn a_plpgsql_responder_signs_its_replies_as_the_readme_shows() {
    // The README's construction, in plain SQL (no extension): a keyed requester accepts it.
    let svc = channel("plsigned");
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path(), "a key of at least 16 bytes\n");
    let (hmac, netstring, answer) = (
        format!("hmac_{svc}"),
        format!("netstring_{svc}"),
        format!("answer_{svc}"),
    );
    psql(&format!(
        "CREATE FUNCTION {hmac}(key bytea, msg bytea) RETURNS text LANGUAGE plpgsql AS $$
         DECLARE ipad bytea; opad bytea;
         BEGIN
           IF length(key) > 64 THEN key := sha256(key); END IF;
           key := key || decode(repeat('00', 64 - length(key)), 'hex');
           ipad := key; opad := key;
           FOR i IN 0..63 LOOP
             ipad := set_byte(ipad, i, get_byte(key, i) # 54);
             opad := set_byte(opad, i, get_byte(key, i) # 92);
           END LOOP;
           RETURN encode(sha256(opad || sha256(ipad || msg)), 'hex');
         END $$;
         CREATE FUNCTION {netstring}(t text) RETURNS text LANGUAGE sql IMMUTABLE
           AS $$ SELECT octet_length(t) || ':' || t || ',' $$;
         CREATE FUNCTION {answer}(request jsonb) RETURNS void LANGUAGE plpgsql AS $$
         DECLARE answer text := upper(request->>'body');
                 k bytea := convert_to('a key of at least 16 bytes', 'UTF8');
         BEGIN
           PERFORM pg_notify(request->>'reply_to', json_build_object('id', request->'id',
             'body', answer, 'mac', {hmac}(k, convert_to({netstring}('pgpubsub-reply-v1')
               || {netstring}(request->>'reply_to') || {netstring}(request->>'id')
               || {netstring}('body') || {netstring}(answer) || {netstring}(''), 'UTF8')))::text);
         END $$"
    ));
    let query = format!("SELECT {answer}($1::jsonb)");
    let _responder = Responder::start(&svc, &["--key-file", &key, "--sql", &query]);
    let (code, out, err) = request(&["--key-file", &key, &svc, "h€llo"]);
    assert_eq!((code, out.as_str()), (Some(0), "H€LLO\n"), "{err}");
}

#[test]
fn on_a_terminal_a_reply_ends_its_line_without_showing_its_newline() {
    let svc = channel("ttyreply");
    let _responder = Responder::start(&svc, &["--exec", "tr a-z A-Z"]);
    let command = format!("{BIN} request --color never {svc} 'hello\u{2028}there'");
    let out = on_a_terminal(&command, &[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    // The body's own newline ends the line; the line separator is shown escaped.
    assert_eq!(text.trim_end(), "HELLO\\u{2028}THERE", "{text:?}");
}
