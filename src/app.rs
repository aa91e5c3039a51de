//! The dispatcher: global settings resolved once (color, verbosity), signal handlers
//! installed before any work starts, then one subcommand runs to an [`Exit`].

use crate::cli::{Cli, ColorChoice, Command};
use crate::error::{Exit, Result};
use crate::signals::Signals;
use crate::{bench, conninfo, demo, generate, listen, notify, sandbox};
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
            .guard(conninfo::run((&args.conn).into(), cli.verbose, &mut stdout))
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
    }
}

impl From<&crate::cli::ConnArgs> for crate::connect::Flags {
    fn from(args: &crate::cli::ConnArgs) -> Self {
        crate::connect::Flags {
            dbname: args.dbname.clone(),
            host: args.host.clone(),
            port: args.port.map(|p| p.to_string()),
            user: args.username.clone(),
            connect_timeout: args.connect_timeout,
            prompt: args.password,
        }
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
