//! The dispatcher: global settings resolved once (color, verbosity), signal handlers
//! installed before any work starts, then one subcommand runs to an [`Exit`].

use crate::cli::{BenchArgs, Cli, ColorChoice, Command};
use crate::connect::ConnSettings;
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
            .guard(conninfo::run(&args.conn, cli.verbose, &mut stdout))
            .await
        {
            Ok(result) => result,
            Err(signal) => Ok(signal.exit()),
        },
        Command::Generate(args) => generate::run(&args),
        Command::Listen(args) => listen::run(&args, cli.verbose, &mut signals, &mut stdout).await,
        Command::Notify(args) => notify::run(&args, cli.verbose, &mut signals).await,
        Command::Bench(args) => {
            let settings = bench_settings(&args)?;
            bench::run(&settings, cli.verbose, &mut signals, &mut stdout).await
        }
        Command::Demo(args) => demo::run(&args, cli.verbose, &mut signals, &mut stdout).await,
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

/// `bench`'s flags as its settings; the connection settings are resolved here too (unless the
/// run is on a throwaway server), so that a bad one is reported before anything starts.
fn bench_settings(args: &BenchArgs) -> Result<bench::Settings> {
    Ok(bench::Settings {
        senders: args.senders,
        listeners: args.listeners,
        channels: args.channels,
        payload_size: args.payload_size,
        batch: args.batch,
        messages: args.messages,
        duration: args.duration,
        rate: args.rate,
        warmup: args.warmup,
        drain_timeout: args.drain_timeout,
        idle_listeners: args.idle_listeners,
        stalled_listener: args.stalled_listener,
        writers: args.writers.map(|sessions| bench::WritersPlan {
            sessions,
            notify_every: args.notify_every,
        }),
        sweep: args.sweep.map(|(from, to)| bench::SweepPlan {
            from,
            to,
            p99_target: args.p99_target,
        }),
        format: match (args.json, args.csv) {
            (true, _) => bench::Format::Json,
            (_, true) => bench::Format::Csv,
            _ => bench::Format::Table,
        },
        server: match args.ephemeral {
            true => None,
            false => Some(ConnSettings::resolve(&args.conn)?),
        },
    })
}
