//! Completions and man pages are generated from the clap definition and committed; these tests
//! fail when the committed files drift from what the current definition generates, and check
//! that the bash completion really completes.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const REGENERATE: &str =
    "cargo run -- generate completions completions && cargo run -- generate man man";

fn repo(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)
}

fn assert_fresh(kind: &str, committed: &Path) {
    let fresh = tempfile::tempdir().unwrap();
    pgpubsub_bare()
        .args(["generate", kind])
        .arg(fresh.path())
        .assert()
        .success();
    let names = |dir: &Path| {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names(fresh.path()),
        names(committed),
        "{} differs; regenerate with: {REGENERATE}",
        committed.display()
    );
    for name in names(fresh.path()) {
        let want = std::fs::read(fresh.path().join(&name)).unwrap();
        let have = std::fs::read(committed.join(&name)).unwrap();
        assert!(
            want == have,
            "{} is stale; regenerate with: {REGENERATE}",
            committed.join(&name).display()
        );
    }
}

#[test]
fn committed_completions_are_fresh() {
    assert_fresh("completions", &repo("completions"));
}

#[test]
fn committed_man_pages_are_fresh() {
    assert_fresh("man", &repo("man"));
}

/// What bash completion offers for the words typed so far.
fn complete(words: &[&str]) -> Vec<String> {
    let script = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}; \
         _pgpubsub pgpubsub \"${{COMP_WORDS[-1]}}\" \"${{COMP_WORDS[-2]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        repo("completions/pgpubsub.bash").display(),
        words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" "),
        words.len() - 1
    );
    run_ok(Command::new("bash").args(["--norc", "-c", &script]))
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_subcommands_and_their_options() {
    let status = Command::new("bash")
        .arg("-n")
        .arg(repo("completions/pgpubsub.bash"))
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(complete(&["pgpubsub", "li"]), ["listen"]);
    let options = complete(&["pgpubsub", "listen", "-"]);
    for option in [
        "--dbname",
        "--host",
        "--port",
        "--username",
        "--connect-timeout",
        "--help",
    ] {
        assert!(
            options.iter().any(|o| o == option),
            "{option} not offered: {options:?}"
        );
    }
}

/// `man -l PAGE | col -bx` at 80 columns (tabs expanded, to compare columns).
fn rendered(page: &str) -> String {
    run_ok(
        Command::new("sh")
            .args(["-c", "man -l \"$1\" | col -bx", "sh"])
            .arg(repo("man").join(page))
            .env("MANWIDTH", "80"),
    )
}

#[test]
fn man_pages_render_tables_aligned_at_80_columns() {
    let listen = rendered("pgpubsub-listen.1");
    // The output formats table: each description starts in one column, beside its term.
    let formats = listen.split("OUTPUT FORMATS").nth(1).unwrap();
    let column = |term: &str, description: &str| {
        let line = formats
            .lines()
            .find(|l| l.trim_start().starts_with(term))
            .unwrap_or_else(|| panic!("no {term} row:\n{listen}"));
        line.find(description)
            .unwrap_or_else(|| panic!("{term} row lacks {description:?}: {line:?}"))
    };
    assert_eq!(
        column("text (default)", "on a terminal"),
        column("--raw", "the payload only")
    );
    let table = formats.split("NOTES").next().unwrap();
    assert!(table.lines().all(|l| l.chars().count() <= 80), "{table}");
    // man justifies the synopsis: compare it with its runs of spaces made one.
    let synopsis = listen.split("SYNOPSIS").nth(1).unwrap();
    let synopsis = synopsis.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(synopsis.contains("<CHANNEL>...") && synopsis.contains("[-c|--count N]"));
    for page in std::fs::read_dir(repo("man")).unwrap() {
        let name = page.unwrap().file_name().into_string().unwrap();
        let text = rendered(&name);
        let notes = text.lines().filter(|l| *l == "NOTES").count();
        assert!(notes <= 1, "{name} has {notes} NOTES sections");
        // Every line fits, the verbatim EXAMPLES too (man cannot wrap those).
        for line in text.lines() {
            assert!(
                line.chars().count() <= 80,
                "{name} is wider than 80 columns: {line:?}"
            );
        }
    }
}
