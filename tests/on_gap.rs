//! `listen --on-gap CMD` against a real server: the test kills the listener's backend and
//! checks that the hook runs once per reconnect, with PGPUBSUB_DOWN_MS and PGPUBSUB_REASON,
//! and before anything received on the new connection is printed.

mod common;

use common::*;
use std::process::{Child, Command};
use std::sync::mpsc::Receiver;

/// A listener that gets SIGTERM when dropped, so a failing test leaves no process behind.
struct Listener(Child);

impl Listener {
    fn stop(&mut self) -> std::process::ExitStatus {
        // SAFETY: signalling our own child, not yet reaped.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        self.0.wait().unwrap()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            self.stop();
        }
    }
}

/// `pgpubsub listen ARGS` with its backend named `app`; returns the child, stdout and stderr
/// lines, once it listens.
fn listen(app: &str, args: &[&str]) -> (Listener, Receiver<String>, Receiver<String>) {
    let mut cmd = clean(Command::new(BIN));
    cmd.env("DATABASE_URL", format!("{}?application_name={app}", url()))
        .args(["-v", "listen", "--reconnect-max", "200ms"])
        .args(args);
    let (child, out, err) = spawn_with_lines(cmd);
    line_with(&err, "listening on");
    (Listener(child), out, err)
}

#[test]
fn the_hook_runs_once_per_reconnect_before_anything_new_is_printed() {
    let ch = channel("gap");
    let app = format!("ongap_{}", std::process::id());
    // The hook sends a notification itself, then waits, then prints: were listen to print
    // what the new connection received before the hook finished, "after" would come first.
    let hook = format!(
        "psql -X -q -d '{}' -c \"NOTIFY {ch}, 'after'\" && sleep 0.3 && \
         echo \"gap|$PGPUBSUB_DOWN_MS|$PGPUBSUB_REASON\"",
        url()
    );
    let (mut child, out, err) = listen(&app, &["--on-gap", &hook, &ch]);
    send_notifications(url(), &[(&ch, "before")]);
    assert_eq!(
        out.recv_timeout(WAIT_LIMIT).unwrap(),
        format!("{ch}\tbefore")
    );
    for _ in 0..2 {
        assert!(kill_backends(url(), &app) >= 1);
        let lost = line_with(&err, "connection lost: ");
        line_with(&err, "reconnected after");
        let gap = out.recv_timeout(WAIT_LIMIT).unwrap();
        let fields: Vec<&str> = gap.splitn(3, '|').collect();
        assert_eq!(fields[0], "gap", "the hook's line comes first: {gap}");
        fields[1]
            .parse::<u64>()
            .expect("PGPUBSUB_DOWN_MS is milliseconds");
        assert!(
            !fields[2].is_empty() && lost.contains(fields[2]),
            "PGPUBSUB_REASON is the reported cause: {gap} / {lost}"
        );
        assert_eq!(
            out.recv_timeout(WAIT_LIMIT).unwrap(),
            format!("{ch}\tafter")
        );
    }
    assert_eq!(child.stop(), killed_by(libc::SIGTERM));
    let rest: Vec<String> = out.iter().collect();
    assert!(rest.is_empty(), "no further hook run: {rest:?}");
}

#[test]
fn a_failing_hook_is_reported_and_stops_the_listener_only_when_required() {
    let ch = channel("gapfail");
    let app = format!("ongapfail_{}", std::process::id());
    let (mut child, _out, err) = listen(&app, &["--on-gap", "exit 7", &ch]);
    assert!(kill_backends(url(), &app) >= 1);
    let warning = line_with(&err, "--on-gap");
    assert!(
        warning.contains("7") && warning.contains("listening on"),
        "{warning}"
    );
    assert!(
        kill_backends(url(), &app) >= 1,
        "still listening after a failed hook"
    );
    line_with(&err, "--on-gap");
    assert_eq!(child.stop(), killed_by(libc::SIGTERM));

    let app = format!("ongapreq_{}", std::process::id());
    let (mut child, _out, err) = listen(&app, &["--on-gap", "exit 7", "--on-gap-required", &ch]);
    assert!(kill_backends(url(), &app) >= 1);
    let error = line_with(&err, "--on-gap");
    assert!(error.contains("--on-gap-required"), "{error}");
    assert_eq!(child.0.wait().unwrap().code(), Some(1));
}
