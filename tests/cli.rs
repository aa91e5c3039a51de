//! The command line itself: help pages, exit codes of usage errors, unbuilt subcommands.

mod common;

use common::*;
use predicates::prelude::*;

const SUBCOMMANDS: [&str; 7] = [
    "listen", "notify", "bench", "demo", "conninfo", "sandbox", "status",
];

#[test]
fn every_help_page_has_options_examples_and_exit_codes() {
    let root = pgpubsub_bare()
        .arg("--help")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let root = String::from_utf8(root).unwrap();
    for sub in SUBCOMMANDS {
        assert!(root.contains(sub), "root help lacks {sub}");
    }
    for expected in [
        "Examples:",
        "Exit status:",
        "130",
        "DATABASE_URL",
        "PGPASSFILE",
    ] {
        assert!(root.contains(expected), "root help lacks {expected}");
    }
    for sub in SUBCOMMANDS {
        let help = pgpubsub_bare()
            .args([sub, "--help"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let help = String::from_utf8(help).unwrap();
        assert!(
            help.contains("Examples:") && help.contains("Exit status:"),
            "{sub} --help:\n{help}"
        );
        assert!(
            help.contains(&format!("pgpubsub {sub}")),
            "{sub} --help has no example of itself"
        );
        if sub != "sandbox" {
            for flag in [
                "-d, --dbname",
                "-h, --host",
                "-p, --port",
                "-U, --username",
                "--connect-timeout",
                "-W, --password",
            ] {
                assert!(help.contains(flag), "{sub} --help lacks {flag}");
            }
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    pgpubsub_bare().assert().code(2);
    pgpubsub_bare().arg("no-such-command").assert().code(2);
    pgpubsub_bare()
        .args(["conninfo", "--port", "99999"])
        .assert()
        .code(2);
    pgpubsub_bare()
        .args(["sandbox", "--ssl-cert", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--ssl-key"));
}

#[test]
fn version_is_printed() {
    pgpubsub_bare()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "pgpubsub {}",
            env!("CARGO_PKG_VERSION")
        )));
}

/// What a terminal shows for `pgpubsub ARGS` (run under script(1), so pgpubsub writes to a
/// terminal and would color), with `env` set.
fn on_terminal(args: &str, env: &[(&str, &str)]) -> String {
    let mut cmd = clean(std::process::Command::new("script"));
    cmd.args(["-qec", &format!("{BIN} {args}"), "/dev/null"])
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::null());
    for (name, value) in env {
        cmd.env(name, value);
    }
    String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
}

#[test]
fn clap_help_and_errors_honour_color_never_and_no_color() {
    // On a terminal clap colors by default: the checks below can fail.
    assert!(on_terminal("listen --help", &[]).contains('\x1b'));
    assert!(on_terminal("-h", &[]).contains('\x1b'));
    for (args, env) in [
        ("--color never listen --help", &[][..]),
        ("--color=never -h", &[]),
        ("listen --color never", &[]),
        ("listen --help", &[("NO_COLOR", "1")]),
        ("-h", &[("NO_COLOR", "1")]),
    ] {
        let screen = on_terminal(args, env);
        assert!(screen.contains("Usage:"), "{args}: {screen}");
        assert!(
            !screen.contains('\x1b'),
            "{args} {env:?} colored: {screen:?}"
        );
    }
}

#[test]
fn connection_options_before_the_subcommand_get_a_hint() {
    pgpubsub_bare()
        .arg("-h")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "-h is --host, as in psql; for help use --help",
        ));
    pgpubsub_bare()
        .args(["-d", "mydb", "listen", "jobs"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "connection options go after the subcommand: pgpubsub listen -d mydb jobs",
        ));
    pgpubsub_bare()
        .args(["-p", "5433", "notify", "jobs", "a b"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "go after the subcommand: pgpubsub notify -p 5433 jobs 'a b'",
        ));
    // A subcommand without connection options gets clap's error alone.
    pgpubsub_bare()
        .args(["sandbox", "-d", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("tip: connection").not());
}

#[test]
fn negative_and_zero_values_are_refused_in_plain_words() {
    // clap's own hint for a value that starts with '-' is "use -- -1", which leads astray.
    for (args, says) in [
        (
            &["listen", "--count", "-1", "c"][..],
            "must be a positive whole number",
        ),
        (
            &["listen", "--timeout", "-5s", "c"][..],
            "must not be negative",
        ),
        (
            &["listen", "--keepalive", "-1s", "c"][..],
            "must not be negative",
        ),
        (
            &["request", "--replies", "-2", "c"][..],
            "must be a positive whole number",
        ),
        (
            &["reply", "--concurrency", "-3", "c", "--exec", "cat"][..],
            "from 1 to 1000",
        ),
        (&["status", "--watch", "-2s"][..], "must not be negative"),
        (&["status", "--watch", "0"][..], "must be greater than zero"),
        (
            &["sandbox", "--port", "0"][..],
            "a TCP port from 1 to 65535",
        ),
        (&["demo", "--interval", "-1s"][..], "must not be negative"),
    ] {
        let out = pgpubsub_bare().args(args).assert().code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("-- -"), "{args:?}: {err}");
    }
}

#[test]
fn a_url_query_without_an_equals_sign_is_named_plainly() {
    let out = pgpubsub_bare()
        .args(["conninfo", "-d", "postgres://h/db?sslmode"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("missing \"=\" after \"sslmode\""), "{err}");
    assert!(!err.contains("Ok("), "{err}");
}

#[test]
fn sandbox_stop_of_a_missing_directory_says_so_without_connecting() {
    let out = pgpubsub_bare()
        .args(["sandbox", "--stop", "/nonexistent/pgpubsub-sandbox"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("no such directory"), "{err}");
    assert!(!err.contains("5432"), "{err}");
}
