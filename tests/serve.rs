//! `pgpubsub serve` as its users meet it: curl streams and posts, raw HTTP for what curl would
//! smooth over (header injection, a reader that never reads), tokens and JWTs good and bad,
//! the database session killed mid-stream, SIGTERM, TLS, and the viewer in a real headless
//! Chromium. Notifications are sent by sqlx or `pgpubsub notify`, never by the server under
//! test. Tests wait on conditions (events, metrics), not on sleeps.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A running `pgpubsub serve` on a free loopback port.
struct Serve {
    child: Child,
    port: u16,
    stderr: Receiver<String>,
    /// Its database session's application_name (so a test can kill that backend alone).
    app: String,
    /// What it said on stderr before it served.
    said: Vec<String>,
}

impl Serve {
    /// Start `pgpubsub serve --bind 127.0.0.1:0 ARGS` and wait until it serves.
    fn start(args: &[&str]) -> Serve {
        Serve::start_at(url(), args)
    }

    /// `start` on the database of `base` (a URL).
    fn start_at(base: &str, args: &[&str]) -> Serve {
        let app = channel("serve_app");
        let mut db = url::Url::parse(base).unwrap();
        db.query_pairs_mut().append_pair("application_name", &app);
        let mut cmd = clean(Command::new(BIN));
        cmd.args(["serve", "--bind", "127.0.0.1:0", "-d", db.as_str()])
            .args(args);
        let (child, _stdout, stderr) = spawn_with_lines(cmd);
        let mut said = Vec::new();
        let line = loop {
            let line = stderr
                .recv_timeout(WAIT_LIMIT)
                .unwrap_or_else(|_| panic!("serve did not start: {said:?}"));
            if line.contains("serving") {
                break line;
            }
            said.push(line);
        };
        let port = line
            .split("://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("serve did not start: {line}"));
        Serve {
            child,
            port,
            stderr,
            app,
            said,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// One metric's value from `GET /metrics`.
    fn metric(&self, name: &str) -> u64 {
        let page = get(self.port, "/metrics", &[]);
        page.body
            .lines()
            .find_map(|l| l.strip_prefix(&format!("pgpubsub_serve_{name} ")))
            .unwrap_or_else(|| panic!("no metric {name} in {}", page.body))
            .parse()
            .unwrap()
    }

    /// Send `signal` and wait for the process to end.
    fn stop(&mut self, signal: i32) -> ExitStatus {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, signal) };
        wait_for_exit(&mut self.child)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Wait (up to the harness's limit) for `child` to end.
fn wait_for_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + WAIT_LIMIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "process {} did not exit",
            child.id()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An HTTP response, read whole.
struct Response {
    status: u16,
    head: String,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    }
}

/// Send `raw` (a whole HTTP/1.1 request, exactly as given) and read the response to the end
/// (requests say `Connection: close`).
fn send_raw(port: u16, raw: &[u8]) -> Response {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket.set_read_timeout(Some(WAIT_LIMIT)).unwrap();
    socket.write_all(raw).unwrap();
    let mut bytes = Vec::new();
    socket.read_to_end(&mut bytes).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    Response {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// `method path` with `headers` and `body`.
fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let mut raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    raw.push_str("\r\n");
    let mut raw = raw.into_bytes();
    raw.extend_from_slice(body);
    send_raw(port, &raw)
}

fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> Response {
    request(port, "GET", path, headers, b"")
}

/// A GET /listen that is refused: its response (the stream of a success would never end,
/// so the status line is all this reads before giving up on it).
fn refused(port: u16, path: &str, headers: &[(&str, &str)]) -> Response {
    let response = get(port, path, headers);
    assert_ne!(response.status, 200, "{path} was accepted");
    response
}

/// `/listen?channel=...` for these channels, percent-encoded.
fn listen_path(channels: &[&str]) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(channels.iter().map(|c| ("channel", *c)))
        .finish();
    format!("/listen?{query}")
}

/// One server-sent event.
#[derive(Debug, Default)]
struct Sse {
    id: Option<String>,
    event: String,
    data: String,
}

impl Sse {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("{e}: {:?}", self.data))
    }
}

/// `curl -N` reading a stream, its lines parsed into events.
struct Curl {
    child: Child,
    lines: Receiver<String>,
    /// The response head's lines (curl -i prints them first).
    head: Vec<String>,
}

impl Curl {
    /// `curl -i -N EXTRA URL`, past the response head.
    fn start(url: &str, extra: &[&str]) -> Curl {
        let mut cmd = clean(Command::new("curl"));
        cmd.args(["-isSN", "--no-buffer"]).args(extra).arg(url);
        let (child, lines, _stderr) = spawn_with_lines(cmd);
        let mut head = Vec::new();
        loop {
            let line = lines.recv_timeout(WAIT_LIMIT).expect("no response head");
            let line = line.trim_end_matches('\r').to_string();
            if line.is_empty() {
                break;
            }
            head.push(line);
        }
        Curl { child, lines, head }
    }

    /// A response header's value.
    fn header(&self, name: &str) -> Option<&str> {
        self.head.iter().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    /// A stream that has begun: its `listening` event was read.
    fn listening(url: &str, extra: &[&str]) -> Curl {
        let curl = Curl::start(url, extra);
        let first = curl.next_of(&["listening"]);
        assert!(first.id.is_some(), "{first:?}");
        curl
    }

    /// The next event (comments are skipped).
    fn next(&self) -> Sse {
        let deadline = Instant::now() + WAIT_LIMIT;
        let mut event = Sse::default();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no complete event within {WAIT_LIMIT:?}: {event:?}"));
            if line.is_empty() {
                if event.data.is_empty() && event.event.is_empty() {
                    continue;
                }
                if event.event.is_empty() {
                    event.event = "message".into();
                }
                return event;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(": ").unwrap_or((&line, ""));
            match field {
                "id" => event.id = Some(value.into()),
                "event" => event.event = value.into(),
                "data" => {
                    assert!(event.data.is_empty(), "two data lines in one event: {line}");
                    event.data = value.into()
                }
                other => panic!("unexpected field {other:?} in {line:?}"),
            }
        }
    }

    /// The next event of one of these types (others are skipped).
    fn next_of(&self, types: &[&str]) -> Sse {
        loop {
            let event = self.next();
            if types.contains(&event.event.as_str()) {
                return event;
            }
        }
    }

    /// The next notification's record.
    fn record(&self) -> serde_json::Value {
        let event = self.next();
        assert_eq!(event.event, "message", "{event:?}");
        event.json()
    }
}

impl Drop for Curl {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `pgpubsub notify CHANNEL PAYLOAD`.
fn notify(channel: &str, payload: &str) {
    pgpubsub()
        .args(["notify", channel, payload])
        .assert()
        .success();
}

/// A child process that is killed if the test ends before it does (a failing assertion
/// must not leave a listener behind).
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `pgpubsub -v listen ARGS` started, past its readiness line; its stdout lines.
fn listen(args: &[&str]) -> (Reaped, Receiver<String>) {
    let mut cmd = clean(Command::new(BIN));
    cmd.env("DATABASE_URL", url())
        .args(["-v", "listen"])
        .args(args);
    let (child, stdout, stderr) = spawn_with_lines(cmd);
    let child = Reaped(child);
    line_with(&stderr, "listening on");
    (child, stdout)
}

#[test]
fn a_round_trip_with_curl_carries_the_record_listen_json_writes() {
    let serve = Serve::start(&["--channel", "rt_*"]);
    let chan = channel("rt");
    let (mut listener, listened) = listen(&["--json", "-c", "1", &chan]);
    let mut head = Curl::start(&serve.url(&listen_path(&[&chan])), &[]);
    assert!(head.head[0].starts_with("HTTP/1.1 200"), "{:?}", head.head);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    assert_eq!(head.header("cache-control"), Some("no-store"));
    let listening = head.next_of(&["listening"]);
    assert_eq!(listening.id.as_deref(), Some("live"));
    assert_eq!(listening.json()["channels"], serde_json::json!([chan]));
    notify(&chan, "line one\nline \"two\" é");
    let record = head.record();
    let printed: serde_json::Value =
        serde_json::from_str(&listened.recv_timeout(WAIT_LIMIT).unwrap()).unwrap();
    assert!(wait_for_exit(&mut listener.0).success());
    let keys =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&record), keys(&printed), "{record} vs {printed}");
    for field in ["channel", "payload", "pid"] {
        assert_eq!(record[field], printed[field], "{field}");
    }
    assert_eq!(record["payload"], "line one\nline \"two\" é");
    head.child.kill().unwrap();
}

#[test]
fn two_channels_share_one_stream_in_commit_order() {
    let serve = Serve::start(&["--channel", "two_*"]);
    let (a, b) = (channel("two_a"), channel("two_b"));
    let stream = Curl::listening(&serve.url(&listen_path(&[&a, &b, &a])), &[]);
    send_notifications(url(), &[(&a, "1"), (&b, "2"), (&a, "3")]);
    send_notifications(url(), &[(&b, "4")]);
    let got: Vec<(String, String)> = (0..4)
        .map(|_| {
            let r = stream.record();
            (
                r["channel"].as_str().unwrap().into(),
                r["payload"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [(&a, "1"), (&b, "2"), (&a, "3"), (&b, "4")];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(c, p)| (c.to_string(), p.to_string()))
        .collect();
    assert_eq!(got, want);
    // One LISTEN per channel however many subscribers: a second stream shares them.
    let second = Curl::listening(&serve.url(&listen_path(&[&b])), &[]);
    assert_eq!(serve.metric("channels"), 2);
    drop(stream);
    wait_until("the first stream's channel to be unlistened", || {
        serve.metric("channels") == 1
    });
    let held = psql(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = '{}'",
        serve.app
    ));
    assert_eq!(held.trim(), "1", "one database session for all subscribers");
    drop(second);
}

#[test]
fn channels_outside_the_patterns_and_bad_names_are_refused() {
    let serve = Serve::start(&["--channel", "ok_*", "--channel", "exact"]);
    for (path, status, why) in [
        (listen_path(&["nope"]), 403, "not served"),
        (listen_path(&["ok_a", "nope"]), 403, "not served"),
        (listen_path(&["Exact"]), 403, "not served"),
        ("/listen".to_string(), 400, "no channel"),
        ("/listen?channels=ok_a".to_string(), 400, "no channel"),
        (listen_path(&[""]), 400, "empty"),
        (
            listen_path(&[&format!("ok_{}", "x".repeat(61))]),
            400,
            "at most 63",
        ),
        (listen_path(&["ok_\0"]), 400, "NUL"),
        (
            listen_path(
                &(0..101)
                    .map(|i| format!("ok_{i}"))
                    .collect::<Vec<_>>()
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            ),
            400,
            "at most 100 channels",
        ),
    ] {
        let response = refused(serve.port, &path, &[]);
        assert_eq!(response.status, status, "{path}: {}", response.body);
        assert!(response.body.contains(why), "{path}: {}", response.body);
    }
    assert!(serve.metric("requests_refused_total") >= 9);
    assert_eq!(get(serve.port, "/nowhere", &[]).status, 404);
}

#[test]
fn the_server_refuses_to_start_without_patterns_or_open_without_authentication() {
    pgpubsub().args(["serve"]).assert().code(2);
    pgpubsub()
        .args(["serve", "--channel", "*", "--bind", "0.0.0.0:0"])
        .timeout(WAIT_LIMIT)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("without authentication"));
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, "0123456789abcdef read=a\nshort read=b\n").unwrap();
    pgpubsub()
        .args(["serve", "--channel", "*", "--tokens"])
        .arg(&tokens)
        .timeout(WAIT_LIMIT)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "line 2: a token must be at least 16 bytes",
        ));
}

#[test]
fn hostile_channel_names_and_injection_in_the_query_stay_data() {
    let serve = Serve::start(&["--channel", "*"]);
    let hostile = format!("{}\r\nSet-Cookie: x=1\r\n\r\nevent: shutdown", channel("h"));
    let quoted = format!("{}\"; NOTIFY x; --", channel("q"));
    let stream = Curl::listening(&serve.url(&listen_path(&[&hostile, &quoted])), &[]);
    assert!(stream.header("set-cookie").is_none(), "{:?}", stream.head);
    send_notifications(
        url(),
        &[
            (&hostile, "\n\nevent: shutdown\ndata: {\"forged\":1}\n\n"),
            (&quoted, "\r\nid: 99"),
        ],
    );
    let first = stream.record();
    assert_eq!(first["channel"], hostile.as_str());
    assert_eq!(
        first["payload"],
        "\n\nevent: shutdown\ndata: {\"forged\":1}\n\n"
    );
    let second = stream.record();
    assert_eq!(second["channel"], quoted.as_str());
    assert_eq!(second["payload"], "\r\nid: 99");
    drop(stream);

    // A raw request whose query tries to end the head and add headers of its own: the
    // response head carries none of it.
    let raw = "GET /listen?channel=a%0D%0ASet-Cookie:%20x=1&channel=%0D%0A HTTP/1.1\r\n\
               Host: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let mut socket = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    socket.write_all(raw.as_bytes()).unwrap();
    let mut reader = BufReader::new(socket);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(!head.to_ascii_lowercase().contains("set-cookie"), "{head}");
    // A request line with a raw CR LF in it is not HTTP at all.
    let broken = send_raw(
        serve.port,
        b"GET /listen?channel=a\r\nSet-Cookie: x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(broken.status, 400, "{}", broken.head);
    assert!(broken.header("set-cookie").is_none());
}

#[test]
fn without_authentication_only_loopback_names_and_own_pages_are_served() {
    let serve = Serve::start(&["--channel", "*", "--allow-publish"]);
    let chan = channel("dns");
    // A page of attacker.example whose name was re-pointed at 127.0.0.1 (DNS rebinding).
    let raw = format!(
        "GET {} HTTP/1.1\r\nHost: attacker.example:8080\r\nConnection: close\r\n\r\n",
        listen_path(&[&chan])
    );
    let rebound = send_raw(serve.port, raw.as_bytes());
    assert_eq!(rebound.status, 421, "{}", rebound.body);
    let localhost = raw.replace("attacker.example", "localhost");
    let mut socket = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    socket.write_all(localhost.as_bytes()).unwrap();
    let mut status = String::new();
    BufReader::new(socket).read_line(&mut status).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    let forged = request(
        serve.port,
        "POST",
        &format!("/notify/{chan}"),
        &[("Origin", "http://attacker.example")],
        b"x",
    );
    assert_eq!(forged.status, 403, "{}", forged.body);
    let own = request(
        serve.port,
        "POST",
        &format!("/notify/{chan}"),
        &[("Origin", &format!("http://127.0.0.1:{}", serve.port))],
        b"x",
    );
    assert_eq!(own.status, 200, "{}", own.body);
}

#[test]
fn publishing_is_refused_unless_allowed_and_checked_like_notify() {
    let closed = Serve::start(&["--channel", "pub_*"]);
    let chan = channel("pub");
    let response = request(closed.port, "POST", &format!("/notify/{chan}"), &[], b"x");
    assert_eq!(response.status, 403, "{}", response.body);
    assert!(response.body.contains("--allow-publish"));

    let open = Serve::start(&["--channel", "pub_*", "--allow-publish"]);
    let stream = Curl::listening(&open.url(&listen_path(&[&chan])), &[]);
    let posted = clean(Command::new("curl"))
        .args(["-sS", "-f", "--data-binary", "{\"id\": 1}\nsecond line"])
        .arg(open.url(&format!("/notify/{chan}")))
        .output()
        .unwrap();
    assert!(posted.status.success(), "{posted:?}");
    assert_eq!(
        String::from_utf8_lossy(&posted.stdout).trim(),
        "{\"sent\":1}"
    );
    assert_eq!(stream.record()["payload"], "{\"id\": 1}\nsecond line");
    let max = "y".repeat(7999);
    let ok = request(
        open.port,
        "POST",
        &format!("/notify/{chan}"),
        &[],
        max.as_bytes(),
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(stream.record()["payload"].as_str().unwrap().len(), 7999);
    for (path, body, status) in [
        (format!("/notify/{chan}"), vec![b'z'; 8000], 413),
        (format!("/notify/{chan}"), vec![b'a', 0, b'b'], 400),
        (format!("/notify/{chan}"), vec![0xff, 0xfe], 400),
        ("/notify/elsewhere".to_string(), b"x".to_vec(), 403),
        (
            format!("/notify/pub_{}", "x".repeat(60)),
            b"x".to_vec(),
            400,
        ),
    ] {
        let response = request(open.port, "POST", &path, &[], &body);
        assert_eq!(response.status, status, "{path}: {}", response.body);
    }
    // A body over the limit is refused by its declared length, before it is read.
    let huge = send_raw(
        open.port,
        format!("POST /notify/{chan} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 100000000\r\n\r\n").as_bytes(),
    );
    assert_eq!(huge.status, 413);
    // Nothing refused was sent: the next notification is the next one posted.
    request(open.port, "POST", &format!("/notify/{chan}"), &[], b"last");
    assert_eq!(stream.record()["payload"], "last");
    assert_eq!(open.metric("published_total"), 3);
}

/// A token file in a directory of its own: `(directory, path)`.
fn token_file(lines: &str) -> (tempfile::TempDir, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.txt");
    std::fs::write(&path, lines).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    (dir, path)
}

#[test]
fn bearer_tokens_grant_their_own_channels() {
    let reader = "reader-token-0123456789abcdef";
    let writer = "writer-token-0123456789abcdef";
    let (_dir, tokens) = token_file(&format!(
        "# who may do what\n{reader} read=tok_a*\n{writer} read=tok_* publish=tok_b*\n"
    ));
    let serve = Serve::start(&[
        "--channel",
        "tok_*",
        "--allow-publish",
        "--tokens",
        tokens.to_str().unwrap(),
    ]);
    assert!(serve.said.is_empty(), "{:?}", serve.said);
    let (a, b) = (channel("tok_a"), channel("tok_b"));
    let missing = refused(serve.port, &listen_path(&[&a]), &[]);
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.header("www-authenticate").as_deref(),
        Some("Bearer realm=\"pgpubsub\"")
    );
    let wrong = refused(
        serve.port,
        &listen_path(&[&a]),
        &[("Authorization", "Bearer not-a-token-at-all")],
    );
    assert_eq!(wrong.status, 401);
    assert!(wrong
        .header("www-authenticate")
        .unwrap()
        .contains("invalid_token"));
    assert!(!wrong.body.contains("not-a-token"), "{}", wrong.body);
    let bearer = format!("Bearer {reader}");
    let lacking = refused(
        serve.port,
        &listen_path(&[&a, &b]),
        &[("Authorization", &bearer)],
    );
    assert_eq!(lacking.status, 403, "{}", lacking.body);
    // The header, or the query (for EventSource, which cannot send headers).
    let by_header = Curl::listening(
        &serve.url(&listen_path(&[&a])),
        &["-H", &format!("Authorization: {bearer}")],
    );
    let by_query = Curl::listening(
        &serve.url(&format!("{}&access_token={writer}", listen_path(&[&a, &b]))),
        &[],
    );
    // Publishing needs a publish grant for that channel.
    let post = |token: &str, chan: &str| {
        request(
            serve.port,
            "POST",
            &format!("/notify/{chan}"),
            &[("Authorization", &format!("Bearer {token}"))],
            b"p",
        )
        .status
    };
    assert_eq!(post(reader, &b), 403);
    assert_eq!(post(writer, &a), 403);
    assert_eq!(
        request(serve.port, "POST", &format!("/notify/{b}"), &[], b"p").status,
        401
    );
    assert_eq!(post(writer, &b), 200);
    // A token file others may read is served, with a warning.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o644)).unwrap();
    let exposed = Serve::start(&["--channel", "tok_*", "--tokens", tokens.to_str().unwrap()]);
    assert!(
        exposed
            .said
            .iter()
            .any(|l| l.contains("other users may read it")),
        "{:?}",
        exposed.said
    );
    notify(&a, "for both");
    assert_eq!(by_query.record()["channel"], b.as_str());
    assert_eq!(by_query.record()["payload"], "for both");
    assert_eq!(by_header.record()["payload"], "for both");
}

/// Seconds since the epoch, `offset` from now.
fn epoch(offset: i64) -> u64 {
    (SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + offset) as u64
}

fn jwt(
    alg: jsonwebtoken::Algorithm,
    key: &jsonwebtoken::EncodingKey,
    claims: serde_json::Value,
) -> String {
    jsonwebtoken::encode(&jsonwebtoken::Header::new(alg), &claims, key).unwrap()
}

#[test]
fn jwts_are_verified_and_their_expiry_ends_streams() {
    use jsonwebtoken::{Algorithm, EncodingKey};
    let dir = tempfile::tempdir().unwrap();
    let secret = "a-secret-of-at-least-thirty-two-bytes-0123456789";
    std::fs::write(dir.path().join("secret"), format!("{secret}\n")).unwrap();
    run_ok(
        Command::new("openssl")
            .args(["genrsa", "-out"])
            .arg(dir.path().join("rsa.pem"))
            .arg("2048"),
    );
    run_ok(
        Command::new("openssl")
            .args(["rsa", "-pubout", "-in"])
            .arg(dir.path().join("rsa.pem"))
            .arg("-out")
            .arg(dir.path().join("rsa.pub")),
    );
    let serve = Serve::start(&[
        "--channel",
        "jwt_*",
        "--jwt-secret",
        dir.path().join("secret").to_str().unwrap(),
        "--jwt-public-key",
        dir.path().join("rsa.pub").to_str().unwrap(),
        "--jwt-leeway",
        "0s",
    ]);
    let chan = channel("jwt_a");
    let hs = EncodingKey::from_secret(secret.as_bytes());
    let rsa =
        EncodingKey::from_rsa_pem(&std::fs::read(dir.path().join("rsa.pem")).unwrap()).unwrap();
    let other = EncodingKey::from_secret(b"another-secret-of-thirty-two-bytes-or-more!!");
    let claims =
        |exp: u64, channels: &[&str]| serde_json::json!({"exp": exp, "channels": channels});
    let status = |token: &str| {
        let response = get(
            serve.port,
            &format!("{}&access_token={token}", listen_path(&[&chan])),
            &[],
        );
        (response.status, response.body)
    };
    let cases = [
        (
            jwt(Algorithm::HS256, &hs, claims(epoch(-3600), &["jwt_*"])),
            401,
            "expired",
        ),
        (
            jwt(Algorithm::HS256, &other, claims(epoch(3600), &["jwt_*"])),
            401,
            "signature",
        ),
        (
            jwt(Algorithm::HS256, &hs, claims(epoch(3600), &["jwt_other"])),
            403,
            "may not read",
        ),
        (
            jwt(
                Algorithm::HS256,
                &hs,
                serde_json::json!({"channels": ["jwt_*"]}),
            ),
            401,
            "exp",
        ),
        (
            jwt(
                Algorithm::HS384,
                &EncodingKey::from_secret(secret.as_bytes()),
                claims(epoch(3600), &["jwt_*"]),
            ),
            401,
            "algorithm",
        ),
    ];
    for (token, want, why) in cases {
        let (got, body) = status(&token);
        assert_eq!(got, want, "{body}");
        assert!(body.contains(why), "{body}");
    }
    // An unsigned token ("alg": "none") with the right claims.
    let b64 = |v: serde_json::Value| {
        use base64_engine::encode;
        encode(v.to_string().as_bytes())
    };
    let unsigned = format!(
        "{}.{}.",
        b64(serde_json::json!({"alg":"none","typ":"JWT"})),
        b64(claims(epoch(3600), &["jwt_*"]))
    );
    assert_eq!(status(&unsigned).0, 401);
    // An RS256 token signed with the key whose public half the server has, tampered with.
    let good = jwt(Algorithm::RS256, &rsa, claims(epoch(3600), &["jwt_*"]));
    let mut parts: Vec<String> = good.split('.').map(String::from).collect();
    parts[1] = b64(claims(epoch(3600), &["*"]));
    assert_eq!(status(&parts.join(".")).0, 401);
    let stream = Curl::listening(
        &serve.url(&format!("{}&access_token={good}", listen_path(&[&chan]))),
        &[],
    );
    notify(&chan, "signed");
    assert_eq!(stream.record()["payload"], "signed");
    // A stream ends when its token expires.
    let brief = jwt(Algorithm::HS256, &hs, claims(epoch(2), &["jwt_*"]));
    let ending = Curl::listening(
        &serve.url(&format!("{}&access_token={brief}", listen_path(&[&chan]))),
        &["-H", &format!("Authorization: Bearer {brief}")],
    );
    let last = ending.next_of(&["expired"]);
    assert_eq!(last.json()["event"], "expired");
    let mut ending = ending;
    assert!(
        wait_for_exit(&mut ending.child).success(),
        "the response ends cleanly"
    );
    assert_eq!(status(&brief).0, 401);
}

/// Base64url without padding, as JWTs use it.
mod base64_engine {
    pub fn encode(bytes: &[u8]) -> String {
        const TABLE: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().fold(0u32, |n, &b| n << 8 | b as u32) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }
}

/// A subscriber on a raw socket (HTTP/1.1, `Connection: close`): `GET path`, nothing read yet.
fn subscriber(port: u16, path: &str) -> TcpStream {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        socket,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    socket.set_read_timeout(Some(WAIT_LIMIT)).unwrap();
    socket
}

/// The payloads of the notification records in a raw response, in order.
fn payloads(response: &str) -> Vec<String> {
    response
        .split('\n')
        .filter_map(|line| line.strip_prefix("data: {\"channel\""))
        .map(|rest| {
            let record: serde_json::Value =
                serde_json::from_str(&format!("{{\"channel\"{rest}")).unwrap();
            record["payload"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn a_slow_subscriber_is_cut_off_while_a_fast_one_gets_everything() {
    let serve = Serve::start(&["-v", "--channel", "slow_*", "--buffer", "2000"]);
    let chan = channel("slow");
    let path = listen_path(&[&chan]);
    // The fast one reads as fast as it can, on a thread of its own.
    let mut fast = subscriber(serve.port, &path);
    let fast = std::thread::spawn(move || {
        let mut text = Vec::new();
        fast.read_to_end(&mut text).unwrap();
        String::from_utf8(text).unwrap()
    });
    // The slow one never reads: its socket buffers fill, then its queue.
    let mut slow = subscriber(serve.port, &path);
    wait_until("both subscribers", || {
        serve.metric("subscribers") == 2 && serve.metric("channels") == 1
    });
    let (transactions, per) = (50, 100);
    // Sent on a thread of its own: the slow one reads as soon as it is cut off, well within
    // the grace a cut-off connection has to read its final event (it is closed after seconds
    // without a byte written, which the rest of the sending can take on a loaded machine).
    let sender = {
        let chan = chan.clone();
        std::thread::spawn(move || {
            let filler = "x".repeat(7000);
            for t in 0..transactions {
                let notes: Vec<(String, String)> = (0..per)
                    .map(|i| (chan.clone(), format!("{:06} {filler}", t * per + i)))
                    .collect();
                send_notifications(url(), &notes);
            }
        })
    };
    wait_until("a subscriber to be cut off", || {
        serve.metric("subscribers_cut_off_total") >= 1
    });
    // It can still read what it had been handed, in order, then its final event, which says
    // how many it lost; then its stream ends.
    let mut text = Vec::new();
    slow.read_to_end(&mut text).unwrap();
    sender.join().unwrap();
    let dropped = serve.metric("notifications_dropped_total");
    assert!(dropped > 2000, "it was cut off with {dropped} undelivered");
    let said = line_with(&serve.stderr, "cut off");
    assert!(
        said.ends_with(&format!(
            "({chan}): cut off, {dropped} notifications behind"
        )),
        "{said}"
    );
    let text = String::from_utf8_lossy(&text);
    let overflow = text.find("event: overflow").expect("no overflow event");
    let data = text[overflow..].lines().nth(1).unwrap();
    assert_eq!(
        data,
        format!("data: {{\"event\":\"overflow\",\"lost\":{dropped}}}")
    );
    let before = payloads(&text);
    assert!(before.len() + dropped as usize <= transactions * per);
    for (n, payload) in before.iter().enumerate() {
        assert_eq!(&payload[..6], format!("{n:06}"));
    }
    // The fast one got everything, in order, unhindered.
    let all = (transactions * per + before.len()) as u64;
    assert_eq!(
        serve.metric("subscribers_cut_off_total"),
        1,
        "the fast one was cut off too"
    );
    wait_until("the fast subscriber to get everything", || {
        serve.metric("notifications_delivered_total") >= all
    });
    assert_eq!(serve.metric("notifications_delivered_total"), all);
    assert_eq!(serve.metric("subscribers"), 1);
    let mut serve = serve;
    assert_eq!(serve.stop(libc::SIGTERM), killed_by(libc::SIGTERM));
    let fast = fast.join().unwrap();
    let got = payloads(&fast);
    assert_eq!(got.len(), transactions * per);
    for (n, payload) in got.iter().enumerate() {
        assert_eq!(&payload[..6], format!("{n:06}"), "lost or reordered");
    }
    assert!(fast.contains("event: shutdown"));
}

#[test]
fn the_database_session_killed_mid_stream_is_a_gap_for_every_subscriber() {
    let serve = Serve::start(&["--channel", "gap_*"]);
    let chan = channel("gap");
    let streams: Vec<Curl> = (0..2)
        .map(|_| Curl::listening(&serve.url(&listen_path(&[&chan])), &[]))
        .collect();
    notify(&chan, "before");
    for stream in &streams {
        assert_eq!(stream.record()["payload"], "before");
    }
    assert!(kill_backends(url(), &serve.app) >= 1);
    for stream in &streams {
        let lost = stream.next();
        assert_eq!(lost.event, "disconnected", "{lost:?}");
        let back = stream.next();
        assert_eq!(back.event, "reconnected", "{back:?}");
        assert!(back.json()["down_ms"].as_u64().is_some(), "{back:?}");
    }
    notify(&chan, "after");
    for stream in &streams {
        assert_eq!(stream.record()["payload"], "after");
    }
    assert_eq!(serve.metric("reconnects_total"), 1);
    assert_eq!(get(serve.port, "/healthz", &[]).status, 200);
    line_with(&serve.stderr, "reconnected after");
}

#[test]
fn a_client_reconnecting_with_last_event_id_is_told_of_its_gap() {
    let serve = Serve::start(&["--channel", "again_*"]);
    let chan = channel("again");
    let stream = Curl::start(
        &serve.url(&listen_path(&[&chan])),
        &["-H", "Last-Event-ID: live"],
    );
    let gap = stream.next();
    assert_eq!(gap.event, "gap");
    assert!(gap.json()["reason"].as_str().unwrap().contains("lost"));
    assert_eq!(stream.next().event, "listening");
}

#[test]
fn sigterm_ends_every_stream_with_a_final_event_and_closes_the_session() {
    let mut serve = Serve::start(&["--channel", "term_*"]);
    let chan = channel("term");
    let mut streams: Vec<Curl> = (0..3)
        .map(|_| Curl::listening(&serve.url(&listen_path(&[&chan])), &[]))
        .collect();
    let app = serve.app.clone();
    let backends = || {
        psql(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = '{app}'"
        ))
        .trim()
        .parse::<u32>()
        .unwrap()
    };
    assert_eq!(backends(), 1);
    assert_eq!(serve.stop(libc::SIGTERM), killed_by(libc::SIGTERM));
    for stream in &mut streams {
        let last = stream.next_of(&["shutdown"]);
        assert!(last.json()["reason"].as_str().unwrap().contains("SIGTERM"));
        // The response was ended properly (curl exits 0), not cut.
        assert!(wait_for_exit(&mut stream.child).success());
    }
    wait_until("the session's backend to go", || backends() == 0);
}

#[test]
fn health_metrics_and_the_subscriber_limit() {
    let serve = Serve::start(&["--channel", "lim_*", "--max-subscribers", "1"]);
    let chan = channel("lim");
    // Up from the first request on: the session listens before serve says it serves.
    let health = get(serve.port, "/healthz", &[]);
    assert_eq!(health.status, 200, "{}", health.body);
    let health: serde_json::Value = serde_json::from_str(&health.body).unwrap();
    assert_eq!(health["session"], "listening");
    let _one = Curl::listening(&serve.url(&listen_path(&[&chan])), &[]);
    let full = refused(serve.port, &listen_path(&[&chan]), &[]);
    assert_eq!(full.status, 503);
    assert_eq!(full.header("retry-after").as_deref(), Some("5"));
    let metrics = get(serve.port, "/metrics", &[]);
    assert!(metrics
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    for name in [
        "subscribers",
        "notifications_delivered_total",
        "notifications_dropped_total",
        "reconnects_total",
    ] {
        assert!(
            metrics
                .body
                .contains(&format!("# TYPE pgpubsub_serve_{name} ")),
            "{name}"
        );
    }
    assert_eq!(serve.metric("subscribers"), 1);
}

#[test]
fn cors_lets_the_allowed_origin_read() {
    let serve = Serve::start(&[
        "--channel",
        "cors_*",
        "--allow-origin",
        "https://app.example",
    ]);
    let chan = channel("cors");
    let preflight = request(
        serve.port,
        "OPTIONS",
        &listen_path(&[&chan]),
        &[
            ("Origin", "https://app.example"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "authorization"),
        ],
        b"",
    );
    assert_eq!(
        preflight.header("access-control-allow-origin").as_deref(),
        Some("https://app.example")
    );
    let stream = Curl::start(
        &serve.url(&listen_path(&[&chan])),
        &["-H", "Origin: https://app.example"],
    );
    assert_eq!(
        stream.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let other = refused(serve.port, "/listen", &[("Origin", "https://evil.example")]);
    assert!(other.header("access-control-allow-origin").is_none());
}

#[test]
fn tls_serves_the_same_stream() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    run_ok(
        Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
            ])
            .arg(&key)
            .arg("-out")
            .arg(&cert),
    );
    let serve = Serve::start(&[
        "--channel",
        "tls_*",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    let chan = channel("tls");
    let url = format!("https://localhost:{}{}", serve.port, listen_path(&[&chan]));
    let stream = Curl::listening(&url, &["--cacert", cert.to_str().unwrap()]);
    notify(&chan, "over TLS");
    assert_eq!(stream.record()["payload"], "over TLS");
    // Plain HTTP on the TLS port gets nothing.
    let plain = clean(Command::new("curl"))
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(serve.url("/healthz"))
        .output()
        .unwrap();
    assert_ne!(String::from_utf8_lossy(&plain.stdout), "200");
}

/// Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
/// JSON messages ending in NUL, on its fds 3 and 4), so no WebSocket client is needed.
struct Browser {
    child: Child,
    to: std::io::PipeWriter,
    from: Receiver<serde_json::Value>,
    next: u64,
    _profile: tempfile::TempDir,
}

/// Debian's chromium, or `None` (loudly) where it is not installed; CI installs it, and
/// there its absence is a failure.
fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is not installed"
        );
        // Past cargo's capture of test output (which takes eprintln!), so that it is seen.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"skipped: chromium is not installed (apt-get install chromium)\n",
        );
    }
    found
}

impl Browser {
    /// Start the browser on `url`.
    fn open(binary: &std::path::Path, url: &str) -> Browser {
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;
        let (commands, to) = std::io::pipe().unwrap();
        let (from, replies) = std::io::pipe().unwrap();
        let profile = tempfile::tempdir().unwrap();
        let mut cmd = clean(Command::new(binary));
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-pipe",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
        let (commands_fd, replies_fd) = (commands.as_raw_fd(), replies.as_raw_fd());
        // SAFETY: dup2 is async-signal-safe; it gives the child the two pipe ends as fds 3
        // and 4 (without close-on-exec), as --remote-debugging-pipe expects.
        unsafe {
            cmd.pre_exec(move || {
                if libc::dup2(commands_fd, 3) < 0 || libc::dup2(replies_fd, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("cannot start chromium");
        drop((commands, replies));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(from);
            loop {
                let mut message = Vec::new();
                match reader.read_until(0, &mut message) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        message.pop();
                        let Ok(value) = serde_json::from_slice(&message) else {
                            continue;
                        };
                        if tx.send(value).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Browser {
            child,
            to,
            from: rx,
            next: 0,
            _profile: profile,
        }
    }

    /// Send a command (to a page's `session`, if given) and return its result.
    fn call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: serde_json::Value,
    ) -> serde_json::Value {
        self.next += 1;
        let mut message = serde_json::json!({"id": self.next, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = session.into();
        }
        let mut bytes = message.to_string().into_bytes();
        bytes.push(0);
        self.to.write_all(&bytes).unwrap();
        let deadline = Instant::now() + WAIT_LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let reply = self
                .from
                .recv_timeout(left)
                .expect("chromium did not answer");
            if reply["id"] == self.next {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
    }

    /// A session on the first page target.
    fn page(&mut self) -> String {
        let deadline = Instant::now() + WAIT_LIMIT;
        let target = loop {
            let targets = self.call(None, "Target.getTargets", serde_json::json!({}));
            let page = targets["targetInfos"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["type"] == "page")
                .map(|t| t["targetId"].clone());
            if let Some(page) = page {
                break page;
            }
            assert!(Instant::now() < deadline, "chromium opened no page");
            std::thread::sleep(Duration::from_millis(50));
        };
        let attached = self.call(
            None,
            "Target.attachToTarget",
            serde_json::json!({"targetId": target, "flatten": true}),
        );
        attached["sessionId"].as_str().unwrap().to_string()
    }

    /// The value of a JavaScript expression in the page.
    fn eval(&mut self, session: &str, expression: &str) -> serde_json::Value {
        let result = self.call(
            Some(session),
            "Runtime.evaluate",
            serde_json::json!({"expression": expression, "returnByValue": true}),
        );
        result["result"]["value"].clone()
    }

    /// Wait until the page's text (`#id`'s) contains `needle`.
    fn wait_for_text(&mut self, session: &str, id: &str, needle: &str) {
        let expression = format!("(document.getElementById('{id}') || {{}}).innerText || ''");
        let deadline = Instant::now() + WAIT_LIMIT;
        loop {
            let text = self.eval(session, &expression);
            if text.as_str().is_some_and(|t| t.contains(needle)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "#{id} never showed {needle:?}: {text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_viewer_shows_notifications_and_gaps_in_a_real_browser() {
    let Some(binary) = chromium() else {
        return;
    };
    let serve = Serve::start(&["--channel", "view_*"]);
    let chan = channel("view");
    let mut browser = Browser::open(&binary, &serve.url(&format!("/?channel={chan}")));
    let page = browser.page();
    browser.wait_for_text(&page, "status", &format!("Listening on {chan}"));
    let payload = "<b id=\"injected\">not markup</b> from pgpubsub notify";
    notify(&chan, payload);
    browser.wait_for_text(&page, "events", payload);
    assert_eq!(
        browser.eval(&page, "document.getElementById('injected') === null"),
        true
    );
    // A JSON payload is shown pretty-printed.
    notify(&chan, "{\"id\":42}");
    browser.wait_for_text(&page, "events", "\"id\": 42");
    // The database session lost and back: the gap is marked where it happened.
    assert!(kill_backends(url(), &serve.app) >= 1);
    browser.wait_for_text(&page, "events", "gap begins");
    browser.wait_for_text(&page, "events", "gap ends");
    notify(&chan, "after the gap");
    browser.wait_for_text(&page, "events", "after the gap");
    // The form subscribes too, and a refusal says why.
    let refused = browser.eval(
        &page,
        "document.getElementById('channels').value = 'elsewhere'; \
         document.getElementById('connect').disabled = false; \
         document.getElementById('subscribe').requestSubmit(); true",
    );
    assert_eq!(refused, true);
    browser.wait_for_text(&page, "status", "403");
}

/// A journal of its own for a test: `pgpubsub journal init --schema S`; returns S.
fn journal(stem: &str) -> String {
    let schema = channel(stem);
    pgpubsub()
        .args(["journal", "init", "--schema", &schema])
        .assert()
        .success();
    schema
}

/// `SELECT schema.publish(channel, payload)` with psql: a record's position.
fn publish(schema: &str, chan: &str, payload: &str) -> i64 {
    psql(&format!(
        "SELECT \"{schema}\".publish('{chan}', '{payload}')"
    ))
    .trim()
    .parse()
    .unwrap()
}

/// A durable record: its position, its id's resume point, and its payload.
fn durable_record(event: &Sse) -> (i64, i64, String) {
    assert_eq!(event.event, "message", "{event:?}");
    let record = event.json();
    let position = record["position"].as_i64().unwrap();
    let id = event.id.as_deref().expect("a durable record has an id");
    let (p, floor) = id.split_once(':').expect("id POSITION:FLOOR");
    assert_eq!(p.parse::<i64>().unwrap(), position, "{id}");
    let floor: i64 = floor.parse().unwrap();
    assert!(floor < position, "{id}");
    (
        position,
        floor,
        record["payload"].as_str().unwrap().to_string(),
    )
}

#[test]
fn durable_channels_carry_positions_and_a_reconnect_replays_what_was_missed() {
    let schema = journal("serve_j");
    let chan = channel("dur");
    let plain = channel("dur_plain");
    let serve = Serve::start(&[
        "--channel",
        "dur_*",
        "--durable",
        &chan,
        "--journal-schema",
        &schema,
    ]);
    let first = Curl::start(&serve.url(&listen_path(&[&chan, &plain])), &[]);
    let listening = first.next_of(&["listening"]);
    listening
        .id
        .unwrap()
        .parse::<i64>()
        .expect("a stream's first id is a position");
    let sent: Vec<i64> = (1..=3)
        .map(|i| publish(&schema, &chan, &format!("r{i}")))
        .collect();
    let mut last_id = String::new();
    for (i, position) in sent.iter().enumerate() {
        let event = first.next();
        let (got, _, payload) = durable_record(&event);
        assert_eq!((got, payload), (*position, format!("r{}", i + 1)));
        last_id = event.id.unwrap();
    }
    drop(first);
    // Sent while the client is away: on its durable channel, and on its plain one.
    let missed: Vec<i64> = (4..=5)
        .map(|i| publish(&schema, &chan, &format!("r{i}")))
        .collect();
    send_notifications(url(), &[(&plain, "lost for good")]);
    let back = Curl::start(
        &serve.url(&listen_path(&[&chan, &plain])),
        &["-H", &format!("Last-Event-ID: {last_id}")],
    );
    assert_eq!(back.next().event, "gap", "its plain channel's loss is said");
    let listening = back.next();
    assert_eq!(listening.event, "listening");
    let resumed_after = last_id.split(':').nth(1).unwrap();
    assert_eq!(
        listening.id.as_deref(),
        Some(resumed_after),
        "cut now, it would resume there"
    );
    let mut replayed = Vec::new();
    let caught_up = loop {
        let event = back.next();
        if event.event == "caught_up" {
            break event;
        }
        replayed.push(durable_record(&event).0);
    };
    // At least once: everything after what it saw, in order; earlier ones may come again.
    let after: Vec<i64> = replayed.iter().copied().filter(|p| *p > sent[2]).collect();
    assert_eq!(after, missed, "replayed {replayed:?}");
    assert!(replayed
        .iter()
        .all(|p| sent.contains(p) || missed.contains(p)));
    assert_eq!(caught_up.json()["replayed"], replayed.len());
    // Then live.
    let live = publish(&schema, &chan, "r6");
    assert_eq!(durable_record(&back.next()).0, live);
}

#[test]
fn a_record_committed_late_below_a_clients_last_id_is_still_replayed() {
    let schema = journal("serve_late");
    let chan = channel("late");
    let serve = Serve::start(&[
        "--channel",
        "late_*",
        "--durable",
        &chan,
        "--journal-schema",
        &schema,
    ]);
    let watcher = Curl::listening(&serve.url(&listen_path(&[&chan])), &[]);
    let leaver = Curl::listening(&serve.url(&listen_path(&[&chan])), &[]);
    // A transaction takes a position, then waits for a lock the test holds.
    let key = std::process::id() as i64 + 7_000_000;
    let mut holder = clean(Command::new("psql"))
        .args(["-X", "-q", "-d", url()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    writeln!(
        holder.stdin.as_mut().unwrap(),
        "SELECT pg_advisory_lock({key});"
    )
    .unwrap();
    let lock_held = |granted: bool| {
        psql(&format!(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = {key} AND granted = {granted}"
        ))
        .trim()
            == "1"
    };
    wait_until("the test to hold the lock", || lock_held(true));
    let mut slow = psql_session(
        url(),
        &[&format!(
            "BEGIN; SELECT \"{schema}\".publish('{chan}', 'late'); SELECT pg_advisory_lock({key}); COMMIT;"
        )],
    );
    wait_until("the slow transaction to wait", || lock_held(false));
    let early = publish(&schema, &chan, "early");
    let seen = leaver.next();
    let (position, _, payload) = durable_record(&seen);
    assert_eq!((position, payload.as_str()), (early, "early"));
    drop(leaver);
    // The earlier position commits now, while that client is away.
    drop(holder.stdin.take());
    assert!(wait_for_exit(&mut holder).success());
    assert!(wait_for_exit(&mut slow).success());
    let (first, _, _) = durable_record(&watcher.next());
    let (late, _, payload) = durable_record(&watcher.next());
    assert_eq!((first, payload.as_str()), (early, "late"));
    assert!(late < early, "the late record has the lower position");
    // Reconnecting with the id of the last record it saw, it gets the late one too.
    let back = Curl::start(
        &serve.url(&listen_path(&[&chan])),
        &["-H", &format!("Last-Event-ID: {}", seen.id.unwrap())],
    );
    let mut replayed = Vec::new();
    loop {
        let event = back.next_of(&["message", "caught_up"]);
        if event.event == "caught_up" {
            break;
        }
        replayed.push(durable_record(&event).2);
    }
    assert!(replayed.contains(&"late".to_string()), "{replayed:?}");
}

#[test]
fn after_the_session_is_lost_durable_channels_catch_up_instead_of_a_gap() {
    // A database of its own: it refuses new connections for a while below.
    let db = channel("serve_cu_db");
    psql(&format!("CREATE DATABASE \"{db}\""));
    let at = url_with_db(&db);
    let schema = channel("serve_gap");
    pgpubsub()
        .args(["journal", "init", "--schema", &schema, "-d", &at])
        .assert()
        .success();
    let chan = channel("cu");
    let plain = channel("cu_plain");
    let mut serve = Serve::start_at(
        &at,
        &[
            "--channel",
            "cu_*",
            "--durable",
            &chan,
            "--journal-schema",
            &schema,
            "--reconnect-max",
            "200ms",
        ],
    );
    let durable = Curl::listening(&serve.url(&listen_path(&[&chan])), &[]);
    let mixed = Curl::listening(&serve.url(&listen_path(&[&plain, &chan])), &[]);
    // A session that stays: it publishes while serve cannot connect.
    let mut writer = clean(Command::new("psql"))
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", &at])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let written = lines(writer.stdout.take().unwrap());
    let mut say = |sql: &str| {
        writeln!(writer.stdin.as_mut().unwrap(), "{sql}\n\\echo done").unwrap();
        line_with(&written, "done");
    };
    say("SELECT 1;");
    psql(&format!("ALTER DATABASE \"{db}\" ALLOW_CONNECTIONS false"));
    assert!(kill_backends(url(), &serve.app) >= 1);
    assert_eq!(durable.next().event, "disconnected");
    // Sent while serve is away: only the journal has it.
    say(&format!("SELECT \"{schema}\".publish('{chan}', 'missed');"));
    say(&format!("ALTER DATABASE \"{db}\" ALLOW_CONNECTIONS true;"));
    let (_, _, payload) = durable_record(&durable.next());
    assert_eq!(payload, "missed");
    let caught_up = durable.next();
    assert_eq!(caught_up.event, "caught_up", "{caught_up:?}");
    assert_eq!(caught_up.json()["replayed"], 1);
    assert!(caught_up.json()["down_ms"].as_u64().is_some());
    // A stream with a plain channel too is told of the gap, and gets the record as well.
    let events: Vec<String> = (0..4).map(|_| mixed.next().event).collect();
    assert_eq!(
        events,
        ["disconnected", "reconnected", "message", "caught_up"]
    );
    say(&format!("SELECT \"{schema}\".publish('{chan}', 'after');"));
    assert_eq!(durable_record(&durable.next()).2, "after");
    drop(writer.stdin.take());
    let _ = writer.wait();
    serve.stop(libc::SIGTERM);
    psql(&format!("DROP DATABASE \"{db}\" WITH (FORCE)"));
}

#[test]
fn durable_channels_must_be_served_and_have_a_journal() {
    pgpubsub()
        .args(["serve", "--channel", "a_*", "--durable", "b_1"])
        .timeout(WAIT_LIMIT)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not served"));
    let out = pgpubsub()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--channel",
            "a_*",
            "--durable",
            "a_1",
        ])
        .args(["--journal-schema", "no_journal_here"])
        .timeout(WAIT_LIMIT)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("journal init"), "{stderr}");
}
