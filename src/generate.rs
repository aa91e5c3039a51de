//! Shell completions and man pages, generated from the clap definition by the hidden
//! `pgpubsub generate completions|man DIR`. Generated, then committed: what users install can
//! never drift from the real options, because a test regenerates and compares.

use crate::error::{Exit, Result};
use anyhow::Context;
use clap_complete::Shell;
use clap_mangen::Man;
use roff::{roman, Roff};
use std::path::Path;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub enum What {
    /// bash, zsh, fish, elvish and PowerShell completion scripts.
    Completions,
    /// `pgpubsub.1` and one page per subcommand.
    Man,
}

/// Write the `what` files for the command line `cli` into `dir` (created if missing).
pub fn run(cli: clap::Command, what: What, dir: &Path) -> Result<Exit> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let written = match what {
        What::Completions => [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::Elvish,
            Shell::PowerShell,
        ]
        .into_iter()
        .try_for_each(|shell| {
            clap_complete::generate_to(shell, &mut cli.clone(), "pgpubsub", dir).map(drop)
        }),
        What::Man => man_pages(cli, dir),
    };
    written.with_context(|| format!("cannot write into {}", dir.display()))?;
    Ok(Exit::Success)
}

/// `pgpubsub.1` and `pgpubsub-SUBCOMMAND.1` for every visible subcommand (and nested one).
fn man_pages(cli: clap::Command, dir: &Path) -> std::io::Result<()> {
    let mut root = cli.disable_help_subcommand(true);
    root.build();
    // Nested subcommands (`trigger add`) get pages of their own, where their options are.
    let pages = std::iter::once(root.clone()).chain(
        root.get_subcommands()
            .filter(|s| !s.is_hide_set())
            .flat_map(|s| std::iter::once(s).chain(s.get_subcommands()))
            .cloned(),
    );
    for cmd in pages {
        let man = Man::new(cmd.clone());
        let mut page = Vec::new();
        man.render_title(&mut page)?;
        man.render_name_section(&mut page)?;
        page.extend(synopsis(&cmd).to_roff().bytes());
        man.render_description_section(&mut page)?;
        man.render_options_section(&mut page)?;
        if cmd.has_subcommands() {
            man.render_subcommands_section(&mut page)?;
        }
        let after_help = cmd
            .get_after_long_help()
            .or(cmd.get_after_help())
            .map(|h| h.to_string());
        page.extend(
            sections(after_help.as_deref().unwrap_or(""))
                .to_roff()
                .bytes(),
        );
        man.render_version_section(&mut page)?;
        std::fs::write(dir.join(man.get_filename()), page)?;
    }
    Ok(())
}

/// SYNOPSIS with what each option takes (`--count N`) and repeatable arguments marked
/// (`CHANNEL...`), which clap_mangen's own leaves out.
fn synopsis(cmd: &clap::Command) -> Roff {
    let mut words = vec![cmd.get_bin_name().unwrap_or(cmd.get_name()).to_string()];
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let value = arg
            .get_value_names()
            .and_then(|names| names.first())
            .map(|name| name.to_string())
            .filter(|_| arg.get_action().takes_values());
        let repeated = arg.get_num_args().is_some_and(|n| n.max_values() > 1);
        let word = if arg.is_positional() {
            let name = format!("<{}>", value.unwrap_or_else(|| arg.get_id().to_string()));
            let name = if repeated { format!("{name}...") } else { name };
            if arg.is_required_set() {
                name
            } else {
                format!("[{name}]")
            }
        } else {
            let flag = match (arg.get_short(), arg.get_long()) {
                (Some(s), Some(l)) => format!("-{s}|--{l}"),
                (Some(s), None) => format!("-{s}"),
                (None, Some(l)) => format!("--{l}"),
                (None, None) => continue,
            };
            match value {
                Some(value) => format!("[{flag} {value}]"),
                None => format!("[{flag}]"),
            }
        };
        words.push(word);
    }
    if cmd.has_subcommands() {
        words.push("<COMMAND>".to_string());
    }
    let mut roff = Roff::new();
    roff.control("SH", ["SYNOPSIS"])
        .control("nh", [])
        .text([roman(words.join(" "))])
        .control("hy", []);
    roff
}

/// The `--help` epilogue as man sections: each blank-line separated block whose first line is
/// `Heading:` becomes section HEADING; the other blocks together make the one NOTES section.
/// Examples keep their lines as written; elsewhere `  term  description` rows (continued by
/// deeper-indented lines) become tagged paragraphs, which man aligns at any width, `  - ` lines
/// bullets, other `  ` lines lines of their own, and the rest filled text.
fn sections(after_help: &str) -> Roff {
    let mut sections: Vec<(String, Roff)> = Vec::new();
    for block in after_help.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let (heading, body) = match block.split_once('\n') {
            Some((first, body)) if first.ends_with(':') && !first.starts_with(' ') => {
                (first.trim_end_matches(':').to_uppercase(), body)
            }
            _ if block.ends_with(':') && !block.contains('\n') => continue,
            _ => ("NOTES".to_string(), block),
        };
        let mut roff = Roff::new();
        if heading == "EXAMPLES" {
            roff.control("nf", []);
            for line in body.lines() {
                roff.text([roman(line)]);
            }
            roff.control("fi", []);
        } else {
            render_body(&mut roff, body);
        }
        match sections.iter_mut().find(|(h, _)| *h == heading) {
            Some((_, existing)) => {
                existing.control("PP", []);
                existing.extend([roff]);
            }
            None => sections.push((heading, roff)),
        }
    }
    let mut page = Roff::new();
    for (heading, roff) in sections {
        page.control("SH", [heading.as_str()]);
        page.extend([roff]);
    }
    page
}

/// One section's text: tagged rows, bullets and filled paragraphs (see [`sections`]).
fn render_body(roff: &mut Roff, body: &str) {
    // One indent for all rows of a table (its longest term and two spaces), so that every
    // description starts in the same column.
    let width = body
        .lines()
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.trim().split_once("  "))
        .map(|(term, _)| term.chars().count() + 2)
        .max()
        .unwrap_or(0)
        .min(24);
    let tag_width = format!("{width}n");
    let mut text = String::new();
    // Whether `text` continues a paragraph (rather than a row or bullet).
    let mut paragraph = false;
    let flush = |roff: &mut Roff, text: &mut String| {
        if !text.is_empty() {
            roff.text([roman(std::mem::take(text))]);
        }
    };
    for line in body.lines() {
        let indent = line.len() - line.trim_start().len();
        let content = line.trim();
        let row = indent == 2 && (content.starts_with("- ") || content.contains("  "));
        if !row && indent <= 2 && !paragraph {
            flush(roff, &mut text);
            roff.control("PP", []);
            paragraph = true;
        } else if !row && indent == 2 {
            // A list item without a description (bench's JSON fields): its own line.
            flush(roff, &mut text);
            roff.control("br", []);
        } else if row {
            flush(roff, &mut text);
            paragraph = false;
            if let Some(bullet) = content.strip_prefix("- ") {
                roff.control("IP", ["\\(bu", "2"]);
                text.push_str(bullet);
                continue;
            }
            if let Some((term, description)) = content.split_once("  ") {
                roff.control("TP", [tag_width.as_str()]).text([roman(term)]);
                text.push_str(description.trim_start());
            }
            continue;
        }
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(content);
    }
    flush(roff, &mut text);
}
