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
        man.render_synopsis_section(&mut page)?;
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

/// The `--help` epilogue as man sections: each blank-line separated block whose first line is
/// `Heading:` becomes section HEADING, its lines kept as written (examples and tables are
/// aligned by hand, and filling would scramble them); other blocks are filled NOTES.
fn sections(after_help: &str) -> Roff {
    let mut roff = Roff::new();
    for block in after_help.split("\n\n").filter(|b| !b.trim().is_empty()) {
        match block.split_once('\n') {
            Some((first, body)) if first.ends_with(':') => {
                roff.control("SH", [first.trim_end_matches(':').to_uppercase().as_str()])
                    .control("nf", []);
                for line in body.lines() {
                    roff.text([roman(line)]);
                }
                roff.control("fi", []);
            }
            // A plain paragraph: let man fill it.
            _ => {
                roff.control("SH", ["NOTES"])
                    .text([roman(block.replace('\n', " "))]);
            }
        }
    }
    roff
}
