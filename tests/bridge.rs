//! `pgpubsub listen --json -d A | pgpubsub notify --from-json -d B`: the two subcommands fit
//! together, so one server's notifications are republished on another byte for byte.
//! Payloads are sent on A and received on B by sqlx, independently of pgpubsub.

mod common;

use common::*;
use sqlx::postgres::PgListener;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Payloads that break naive tools, all distinct, in both channels of the bridge.
fn payloads() -> Vec<String> {
    vec![
        "plain".into(),
        String::new(),
        "line\nbreak\r\ncrlf\ttab".into(),
        r#"back\slash \n quotes " ' `"#.into(),
        "emoji 🎉 ü 漢字 \u{1b}[31mred\u{1b}[0m \u{7}".into(),
        "{\"id\": 1,  \"spaced\": [1, 2]}".into(),
        "x".repeat(7999),
    ]
}

#[test]
fn listen_json_into_notify_from_json_bridges_two_databases_byte_for_byte() {
    let db_b = format!("bridge_b_{}", std::process::id());
    psql(&format!("CREATE DATABASE {db_b}"));
    let (url_a, url_b) = (url().to_string(), url_with_db(&db_b));
    let channels = [channel("Bridge One"), channel("bridge_two")];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _context = runtime.enter(); // the sqlx listener needs it when dropped

    // The receiver on B listens before anything is sent.
    let mut receiver = runtime.block_on(async {
        let mut listener = PgListener::connect(&url_b).await.unwrap();
        listener
            .listen_all(channels.iter().map(String::as_str))
            .await
            .unwrap();
        listener
    });

    let mut listen = clean(Command::new(BIN))
        .args(["-v", "listen", "--json", "-d", &url_a])
        .args(&channels)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let notify = clean(Command::new(BIN))
        .args(["notify", "--from-json", "-d", &url_b])
        .stdin(listen.stdout.take().unwrap())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(listen.stderr.take().unwrap()).lines();
    while !stderr.next().unwrap().unwrap().contains("listening on") {}

    let sent: Vec<(String, String)> = channels
        .iter()
        .flat_map(|c| payloads().into_iter().map(move |p| (c.clone(), p)))
        .collect();
    send_notifications(&url_a, &sent);

    let received: Vec<(String, String)> = runtime.block_on(async {
        let mut got = Vec::new();
        while got.len() < sent.len() {
            let note = tokio::time::timeout(Duration::from_secs(60), receiver.try_recv())
                .await
                .expect("the bridge stalled")
                .unwrap()
                .expect("receiver lost its connection");
            got.push((note.channel().to_string(), note.payload().to_string()));
        }
        got
    });
    assert_eq!(received, sent);

    // Stopping the listener ends the bridge: notify sees end of input and exits 0.
    // SAFETY: signalling our own child.
    unsafe { libc::kill(listen.id() as i32, libc::SIGTERM) };
    assert_eq!(listen.wait().unwrap(), killed_by(libc::SIGTERM));
    let out = notify.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
