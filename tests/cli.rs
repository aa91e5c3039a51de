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
