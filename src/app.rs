//! The dispatcher: global settings resolved once (color, verbosity), signal handlers
//! installed before any work starts, then one subcommand runs to an [`Exit`].

use crate::cli::{
    BenchArgs, Cli, ColorChoice, Command, ReplyArgs, RequestArgs, TriggerAction, TriggerArgs,
    TriggerEvent,
};
use crate::connect::ConnSettings;
use crate::error::{note, usage, Exit, Result};
use crate::limits::check_channel;
use crate::pg::quote::{parse_list, TableName};
use crate::pg::trigger::Event;
use crate::reqrep::{reply, request};
use crate::signals::Signals;
use crate::{bench, conninfo, demo, generate, listen, notify, sandbox, status, trigger};
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
        Command::Bench(args) => {
            let settings = bench_settings(&args)?;
            bench::run(&settings, cli.verbose, &mut signals, &mut stdout).await
        }
        Command::Demo(args) => demo::run(&args, cli.verbose, &mut signals, &mut stdout).await,
        Command::Request(args) => {
            let settings = request_settings(&args, cli.verbose, stdout.is_terminal())?;
            let conn = conn_settings(&args.conn, "request", cli.verbose)?;
            request::run(&settings, &conn, &mut signals, &mut stdout).await
        }
        Command::Reply(args) => {
            let settings = reply_settings(&args, cli.verbose)?;
            let conn = conn_settings(&args.conn, "reply", cli.verbose)?;
            reply::run(&settings, &conn, &mut signals).await
        }
        Command::Trigger(args) => {
            let settings = trigger_settings(&args, stdout.is_terminal())?;
            let conn = conn_settings(trigger_conn(&args), "trigger", cli.verbose)?;
            match signals
                .guard(trigger::run(&settings, &conn, &mut stdout))
                .await
            {
                Ok(result) => result,
                Err(signal) => Ok(signal.exit()),
            }
        }
        Command::Status(args) => {
            let settings = status_settings(&args);
            let conn = conn_settings(&args.conn, "status", cli.verbose)?;
            status::run(&settings, &conn, &mut signals, &mut stdout).await
        }
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

/// Resolve connection flags for `command`, which LISTENs or NOTIFYs (so standbys are passed
/// over), saying where they lead with --verbose.
fn conn_settings(
    args: &crate::cli::ConnArgs,
    command: &str,
    verbose: bool,
) -> Result<ConnSettings> {
    let settings = ConnSettings::resolve(args)?.for_notifications(command)?;
    if verbose {
        note(settings.describe());
    }
    Ok(settings)
}

fn request_settings(
    args: &RequestArgs,
    verbose: bool,
    terminal: bool,
) -> Result<request::Settings> {
    check_channel(&args.channel).map_err(usage)?;
    let bodies = match (&args.file, args.payload.as_deref()) {
        (Some(path), _) => request::Bodies::One(notify::read_file(path)?),
        (None, Some("-")) => request::Bodies::Lines,
        (None, payload) => request::Bodies::One(payload.unwrap_or_default().to_string()),
    };
    Ok(request::Settings {
        channel: args.channel.clone(),
        bodies,
        timeout: args.timeout,
        replies: args.replies,
        terminal,
        verbose,
    })
}

fn reply_settings(args: &ReplyArgs, verbose: bool) -> Result<reply::Settings> {
    check_channel(&args.channel).map_err(usage)?;
    let handler = match (&args.exec, &args.sql) {
        (Some(command), _) => reply::Handler::Exec(command.clone()),
        (None, Some(query)) => reply::Handler::Sql(query.clone()),
        (None, None) => unreachable!("clap requires --exec or --sql"),
    };
    Ok(reply::Settings {
        channel: args.channel.clone(),
        handler,
        concurrency: args.concurrency as usize,
        verbose,
    })
}

fn trigger_conn(args: &TriggerArgs) -> &crate::cli::ConnArgs {
    match &args.action {
        TriggerAction::Add(a) => &a.conn,
        TriggerAction::List(a) => &a.conn,
        TriggerAction::Remove(a) => &a.conn,
    }
}

fn trigger_settings(args: &TriggerArgs, terminal: bool) -> Result<trigger::Settings> {
    let table = |text: &str| TableName::parse(text).map_err(usage);
    let channel = |c: &Option<String>| -> Result<Option<String>> {
        if let Some(c) = c {
            check_channel(c).map_err(usage)?;
        }
        Ok(c.clone())
    };
    let action = match &args.action {
        TriggerAction::Add(a) => {
            let mut events: Vec<Event> = a
                .events
                .iter()
                .map(|e| match e {
                    TriggerEvent::Insert => Event::Insert,
                    TriggerEvent::Update => Event::Update,
                    TriggerEvent::Delete => Event::Delete,
                    TriggerEvent::Truncate => Event::Truncate,
                })
                .collect();
            events.sort();
            events.dedup();
            trigger::Action::Add(trigger::Add {
                table: table(&a.table)?,
                channel: channel(&a.channel)?,
                events,
                columns: a
                    .columns
                    .as_deref()
                    .map(|c| parse_list(c, ',').map_err(|e| usage(format!("--columns: {e}"))))
                    .transpose()?,
                allow_no_key: a.allow_no_key,
                dry_run: a.dry_run,
            })
        }
        TriggerAction::List(a) => trigger::Action::List {
            table: a.table.as_deref().map(table).transpose()?,
            json: a.json,
        },
        TriggerAction::Remove(a) => trigger::Action::Remove {
            table: table(&a.table)?,
            channel: channel(&a.channel)?,
            dry_run: a.dry_run,
        },
    };
    Ok(trigger::Settings { action, terminal })
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
            false => Some(ConnSettings::resolve(&args.conn)?.for_notifications("bench")?),
        },
    })
}
