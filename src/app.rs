//! The dispatcher: global settings resolved once (color, verbosity), signal handlers
//! installed before any work starts, then one subcommand runs to an [`Exit`].

use crate::cli::{Cli, ColorChoice, Command};
use crate::connect::ConnSettings;
use crate::error::{Exit, Result};
use crate::signals::Signals;
use crate::{bench, conninfo, demo, generate, listen, notify, sandbox, status};
use anyhow::Context;
use std::io::IsTerminal;

/// Run the parsed command line to completion.
pub fn run(cli: Cli) -> Result<Exit> {
    init_color(cli.color);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(dispatch(cli))
}

async fn dispatch(cli: Cli) -> Result<Exit> {
    let mut signals = Signals::install()?;
    let mut stdout = std::io::stdout().lock();
    match cli.command {
        Command::Sandbox(args) => sandbox::run(&args, &mut signals, &mut stdout).await,
        Command::Conninfo(args) => match signals
            .guard(conninfo::run(&args.conn, cli.verbose, &mut stdout))
            .await
        {
            Ok(result) => result,
            Err(signal) => Ok(signal.exit()),
        },
        Command::Generate(args) => generate::run(&args),
        Command::Listen(args) => listen::run(&args, cli.verbose, &mut signals, &mut stdout).await,
        Command::Notify(args) => notify::run(&args, cli.verbose, &mut signals).await,
        Command::Bench(args) => bench::run(&args, cli.verbose, &mut signals, &mut stdout).await,
        Command::Demo(args) => demo::run(&args, cli.verbose, &mut signals, &mut stdout).await,
        Command::Status(args) => {
            let settings = status_settings(&args);
            let conn = ConnSettings::resolve(&args.conn)?;
            status::run(&settings, &conn, cli.verbose, &mut signals, &mut stdout).await
        }
    }
}

/// `status`'s settings from its flags.
fn status_settings(args: &crate::cli::StatusArgs) -> status::Settings {
    status::Settings {
        watch: args.watch,
        json: args.json,
        show_queries: args.show_queries,
        limits: status::Limits {
            warn: args.warn,
            idle_threshold: args.idle_threshold,
        },
        terminal: std::io::stdout().is_terminal(),
    }
}

/// Decide once whether anything pgpubsub prints may be colored.
fn init_color(choice: ColorChoice) {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    };
    colored::control::set_override(on);
}
