//! The dispatcher and the one config layer between clap and the rooms: global settings resolved
//! once (color, verbosity), each subcommand's flags turned into that room's plain `Settings`
//! (no room sees a clap type), and the [`Context`] every subcommand gets: the signal handlers
//! (installed before any work starts), verbosity, stdout and the throwaway-server start.

use crate::cli::{
    BenchArgs, Cli, ColorChoice, Command, ConnArgs, DemoArgs, Generated, JournalAction,
    JournalArgs, ListenArgs, NotifyArgs, ReplyArgs, RequestArgs, SandboxArgs, ServeArgs, SinceArg,
    TriggerAction, TriggerArgs, TriggerEvent, UpkeepArgs,
};
use crate::connect::{self, ConnSettings};
use crate::ephemeral::{BinDir, Config, Server, Tls, BIN_DIR_ENV};
use crate::error::{note, usage, Error, Exit, Result};
use crate::limits::check_channel;
use crate::output::{Format, Printer, Template};
use crate::pg::quote::{parse_list, TableName};
use crate::pg::trigger::Event;
use crate::reqrep::{reply, request};
use crate::signals::Signals;
use crate::{
    bench, conninfo, demo, generate, journal, listen, notify, output, sandbox, serve, status,
    trigger,
};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, CommandFactory, FromArgMatches};
use std::ffi::OsString;
use std::future::Future;

/// Parse the command line. Clap's own errors and help honour `--color` and NO_COLOR like
/// everything else, and a connection option given before the subcommand (`pgpubsub -d mydb
/// listen jobs`, or `pgpubsub -h` meant as psql's host) is refused with a hint saying where it
/// goes. Exits (2, or 0 for --help/--version) when there is nothing to run.
pub fn parse() -> Cli {
    let args: Vec<OsString> = std::env::args_os().collect();
    let mut cmd = Cli::command().color(clap_color(&args));
    let parsed = cmd
        .try_get_matches_from_mut(&args)
        .and_then(|matches| Cli::from_arg_matches(&matches));
    parsed.unwrap_or_else(|err| hinted(err, &args).exit())
}

/// `--color` (the last one given, before `--`), else NO_COLOR or TERM=dumb, for clap's output.
fn clap_color(args: &[OsString]) -> clap::ColorChoice {
    let mut choice = None;
    let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(word) = words.next() {
        let value = match word.as_ref() {
            "--" => break,
            "--color" => words.next().map(|v| v.into_owned()),
            other => other.strip_prefix("--color=").map(str::to_string),
        };
        choice = value.or(choice);
    }
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
        || std::env::var("TERM").is_ok_and(|t| t == "dumb");
    match choice.as_deref() {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ if no_color => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    }
}

/// `err`, with a tip when it is a connection option placed before the subcommand.
fn hinted(mut err: clap::Error, args: &[OsString]) -> clap::Error {
    if err.kind() != ErrorKind::UnknownArgument {
        return err;
    }
    let Some(ContextValue::String(flag)) = err.get(ContextKind::InvalidArg) else {
        return err;
    };
    let flag = flag.split('=').next().unwrap_or_default().to_string();
    let conn = ConnArgs::augment_args(clap::Command::new("conn"));
    let is_conn = conn.get_arguments().any(|arg| {
        arg.get_short().is_some_and(|s| flag == format!("-{s}"))
            || arg.get_long().is_some_and(|l| flag == format!("--{l}"))
    });
    let words: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let subcommands: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    let sub = words.iter().position(|w| subcommands.contains(w));
    let at = words.iter().position(|w| w.starts_with(&flag));
    if !is_conn || at.zip(sub).is_some_and(|(at, sub)| at > sub) {
        return err;
    }
    let mut tips = Vec::new();
    if flag == "-h" {
        tips.push("-h is --host, as in psql; for help use --help".into());
    }
    tips.push(match sub {
        Some(sub) => {
            let moved: Vec<&str> = std::iter::once(words[sub].as_str())
                .chain(words[1..sub].iter().map(String::as_str))
                .chain(words[sub + 1..].iter().map(String::as_str))
                .collect();
            format!(
                "connection options go after the subcommand: pgpubsub {}",
                shell_words(&moved)
            )
        }
        None => "connection options go after the subcommand, e.g. pgpubsub listen -h HOST jobs"
            .to_string(),
    });
    err.insert(
        ContextKind::Suggested,
        ContextValue::StyledStrs(tips.into_iter().map(|t: String| t.into()).collect()),
    );
    err
}

/// Words as a shell command line, quoted where the shell would split or expand them.
fn shell_words(words: &[&str]) -> String {
    let plain = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_alphanumeric() || "-_./:=,@%+".contains(c))
    };
    let quoted: Vec<String> = words
        .iter()
        .map(|w| {
            if plain(w) {
                w.to_string()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect();
    quoted.join(" ")
}

/// Run the parsed command line to completion.
pub fn run(cli: Cli) -> Result<Exit> {
    output::messages::set_quiet(cli.quiet);
    output::color::init_color(match cli.color {
        ColorChoice::Auto => None,
        ColorChoice::Always => Some(true),
        ColorChoice::Never => Some(false),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::Error::new(e).context("cannot start the async runtime"))?;
    runtime.block_on(dispatch(cli))
}

/// What every subcommand needs besides its settings.
pub struct Context {
    /// SIGINT/SIGTERM, caught from before the first connection.
    pub signals: Signals,
    /// `--verbose`: say on stderr what is being done.
    pub verbose: bool,
}

impl Context {
    /// Stdout, locked for this thread (records are written whole, never interleaved), and
    /// watched so that a stop signal still ends a run whose stdout no one reads.
    pub fn stdout(&self) -> crate::output::stdout::Stdout {
        crate::output::stdout::Stdout::lock()
    }

    /// Whether stdout is a terminal (a human layout, sanitized text).
    pub fn terminal(&self) -> bool {
        output::color::stdout_terminal()
    }

    /// Run `work` unless a stop signal comes first. On a signal `work` is dropped (its guards
    /// clean up) and the result is [`Error::Stopped`], which ends the command by that signal.
    pub async fn guard<T, E: Into<Error>>(
        &mut self,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T> {
        match self.signals.guard(work).await {
            Ok(done) => done.map_err(Into::into),
            Err(signal) => Err(Error::Stopped(signal)),
        }
    }

    /// Start a throwaway server (interruptible) and say where it is; with --verbose also how
    /// pgpubsub connects to it. Remove it with [`Context::remove`].
    pub async fn throwaway(&mut self, config: &Config) -> Result<Server> {
        let server = self.guard(Server::start(config)).await?;
        note(format!(
            "throwaway PostgreSQL {} on 127.0.0.1:{} (data, socket and log in {})",
            server.version(),
            server.port(),
            server.dir().display()
        ));
        if self.verbose {
            note(server.settings().describe());
        }
        Ok(server)
    }

    /// Stop a throwaway server and remove its directory, saying so.
    pub fn remove(server: Server) -> Result<()> {
        let dir = server.dir().display().to_string();
        server.stop()?;
        note(format!("throwaway server stopped; {dir} removed"));
        Ok(())
    }
}

async fn dispatch(cli: Cli) -> Result<Exit> {
    let mut ctx = Context {
        signals: Signals::install()?,
        verbose: cli.verbose,
    };
    let verbose = cli.verbose;
    match cli.command {
        Command::Listen(args) => {
            let settings = listen_settings(&args, ctx.terminal())?;
            let conn = conn_settings(&args.conn, "listen", verbose)?;
            listen::run(settings, conn, &mut ctx).await
        }
        Command::Notify(args) => {
            let plan = notify::Plan::new(notify_settings(&args)?)?;
            let conn = conn_settings(&args.conn, "notify", verbose)?;
            notify::run(plan, conn, &mut ctx).await
        }
        Command::Demo(args) => demo::run(demo_settings(args, verbose)?, &mut ctx).await,
        Command::Sandbox(args) => sandbox::run(&sandbox_settings(args), &mut ctx).await,
        Command::Generate(args) => {
            let what = match args.what {
                Generated::Completions => generate::What::Completions,
                Generated::Man => generate::What::Man,
            };
            generate::run(Cli::command(), what, &args.dir)
        }
        Command::Conninfo(args) => {
            let mut stdout = ctx.stdout();
            ctx.guard(conninfo::run((&args.conn).into(), verbose, &mut stdout))
                .await
        }
        Command::Bench(args) => {
            let settings = bench_settings(&args)?;
            bench::run(&settings, &mut ctx).await
        }
        Command::Request(args) => {
            let settings = request_settings(&args, verbose, ctx.terminal())?;
            let conn = conn_settings(&args.conn, "request", verbose)?;
            request::run(&settings, &conn, &mut ctx).await
        }
        Command::Reply(args) => {
            let settings = reply_settings(&args, verbose)?;
            let conn = conn_settings(&args.conn, "reply", verbose)?;
            reply::run(&settings, &conn, &mut ctx).await
        }
        Command::Trigger(args) => {
            let settings = trigger_settings(&args, ctx.terminal())?;
            let conn = conn_settings(trigger_conn(&args), "trigger", verbose)?;
            let mut stdout = ctx.stdout();
            ctx.guard(trigger::run(&settings, &conn, &mut stdout)).await
        }
        Command::Journal(args) => {
            let (settings, conn) = journal_settings(&args, ctx.terminal())?;
            let conn = conn_settings(conn, "journal", verbose)?;
            let mut stdout = ctx.stdout();
            ctx.guard(journal::run(&settings, &conn, &mut stdout)).await
        }
        Command::Status(args) => {
            let settings = status_settings(&args, ctx.terminal());
            let conn = conn_settings(&args.conn, "status", verbose)?;
            status::run(&settings, &conn, &mut ctx).await
        }
        Command::Serve(args) => {
            let settings = serve_settings(args, verbose)?;
            let conn = conn_settings(&settings.1, "serve", verbose)?;
            serve::run(settings.0, conn, &mut ctx).await
        }
    }
}

/// `serve`'s flags (and its connection flags, resolved by the caller).
fn serve_settings(args: ServeArgs, verbose: bool) -> Result<(serve::Settings, ConnArgs)> {
    let channels =
        serve::Patterns::new(args.channels).map_err(|e| usage(format!("--channel: {e}")))?;
    let mut durable: Vec<String> = Vec::new();
    for channel in &args.durable {
        check_channel(channel).map_err(|e| usage(format!("--durable: {e}")))?;
        if !channels.matches(channel) {
            return Err(usage(format!(
                "--durable {channel:?} is not served: no --channel pattern matches it"
            )));
        }
        if !durable.contains(channel) {
            durable.push(channel.clone());
        }
    }
    Ok((
        serve::Settings {
            bind: args.bind,
            channels,
            auth: serve::AuthFiles {
                tokens: args.tokens,
                jwt_secret: args.jwt_secret,
                jwt_public_key: args.jwt_public_key,
                jwt_audience: args.jwt_audience,
                jwt_leeway: args.jwt_leeway,
            },
            tls: args.tls_cert.zip(args.tls_key),
            allow_origin: args.allow_origin,
            allow_publish: args.allow_publish,
            max_subscribers: args.max_subscribers,
            buffer: args.buffer as usize,
            heartbeat: args.heartbeat,
            payload_json: args.payload_json,
            upkeep: upkeep(&args.upkeep),
            durable: (!durable.is_empty())
                .then(|| (durable, journal::Names::new(&args.journal.journal_schema))),
            verbose,
        },
        args.conn,
    ))
}

impl From<&ConnArgs> for crate::connect::Flags {
    fn from(args: &ConnArgs) -> Self {
        crate::connect::Flags {
            dbname: args.dbname.clone(),
            host: args.host.clone(),
            port: args.port.clone(),
            user: args.username.clone(),
            connect_timeout: args.connect_timeout,
            prompt: args.password,
        }
    }
}

/// Resolve connection flags for `command`, which LISTENs or NOTIFYs (so standbys are passed
/// over), saying where they lead with --verbose.
fn conn_settings(args: &ConnArgs, command: &str, verbose: bool) -> Result<ConnSettings> {
    let settings = ConnSettings::resolve(args)?.for_notifications(command)?;
    if verbose {
        note(settings.describe());
    }
    Ok(settings)
}

/// A time limit as given: 0 means no limit (as libpq's connect_timeout does).
fn limit(duration: std::time::Duration) -> Option<std::time::Duration> {
    (!duration.is_zero()).then_some(duration)
}

/// "No limit", for limits that are plain durations: far enough to be never, near enough not
/// to overflow an Instant.
const NO_LIMIT: std::time::Duration = std::time::Duration::from_secs(100 * 365 * 24 * 3600);

/// `listen`'s flags; `terminal` when stdout is a TTY (human layout, sanitizing).
fn listen_settings(args: &ListenArgs, terminal: bool) -> Result<listen::Settings> {
    let handler = match &args.exec {
        Some(command) => listen::Handler::Exec(command.clone()),
        None => {
            let format = if args.json {
                Format::Json {
                    payload_json: args.payload_json,
                }
            } else if let Some(template) = &args.format {
                Format::Template(Template::parse(template, args.durable).map_err(usage)?)
            } else if args.raw {
                Format::Raw
            } else {
                Format::Text
            };
            listen::Handler::Print(Printer::new(format, args.null, terminal))
        }
    };
    let channels = listen::channels(&args.channels)?;
    Ok(listen::Settings {
        durable: durable_plan(args, &channels)?,
        channels,
        handler,
        events: args.events,
        count: args.count,
        timeout: args.timeout.and_then(limit),
        idle_timeout: args.idle_timeout.and_then(limit),
        reconnect: !args.no_reconnect,
        upkeep: upkeep(&args.upkeep),
        on_gap: args.on_gap.clone().map(|command| listen::Hook {
            command,
            required: args.on_gap_required,
        }),
        ready_file: args.ready_file.clone(),
    })
}

/// `listen --durable`'s plan: which journal, which consumer, where to start.
fn durable_plan(args: &ListenArgs, channels: &[String]) -> Result<Option<journal::Plan>> {
    if !args.durable {
        return Ok(None);
    }
    if args.consumer.as_deref() == Some("") {
        return Err(usage("--consumer: the name is empty"));
    }
    Ok(Some(journal::Plan {
        names: journal::Names::new(&args.journal.journal_schema),
        channels: channels.to_vec(),
        consumer: args.consumer.clone(),
        since: args.since.as_ref().map(|since| match since {
            SinceArg::After(position) => journal::Since::After(*position),
            SinceArg::Ago(ago) => journal::Since::Ago(*ago),
        }),
    }))
}

/// `journal`'s flags, and the connection flags of its action.
fn journal_settings(args: &JournalArgs, terminal: bool) -> Result<(journal::Settings, &ConnArgs)> {
    let (schema, action, conn) = match &args.action {
        JournalAction::Init(a) => (
            &a.schema,
            journal::Action::Init { dry_run: a.dry_run },
            &a.conn,
        ),
        JournalAction::Drop(a) => (
            &a.schema,
            journal::Action::Drop { dry_run: a.dry_run },
            &a.conn,
        ),
        JournalAction::Prune(a) => (
            &a.schema,
            journal::Action::Prune {
                older_than: a.older_than,
                force: a.force,
                dry_run: a.dry_run,
            },
            &a.conn,
        ),
        JournalAction::Status(a) => (&a.schema, journal::Action::Status { json: a.json }, &a.conn),
        JournalAction::Forget(a) => (
            &a.schema,
            journal::Action::Forget {
                consumers: a.consumers.clone(),
            },
            &a.conn,
        ),
    };
    if schema.is_empty() {
        return Err(usage("--schema: the name is empty"));
    }
    Ok((
        journal::Settings {
            names: journal::Names::new(schema),
            action,
            terminal,
        },
        conn,
    ))
}

/// `notify`'s flags: where the payloads come from, and the stream-only flags refused for a
/// one-shot.
fn notify_settings(args: &NotifyArgs) -> Result<notify::Settings> {
    let input = match (
        args.from_json,
        args.stdin,
        &args.file,
        args.payload.as_deref(),
    ) {
        (true, ..) => notify::Input::Records,
        (_, true, ..) | (.., Some("-")) => notify::Input::Lines,
        (_, _, Some(path), _) => notify::Input::File(path.clone()),
        (_, _, None, Some(payload)) => notify::Input::Payload(payload.to_string()),
        (_, _, None, None) if notify::stdin_has_data() => {
            return Err(usage(
                "no PAYLOAD given, and stdin is a pipe or file whose input would be dropped: \
                 give `-` for one notification per line, `--file -` for all of stdin as one \
                 payload, or '' for an empty payload",
            ))
        }
        (_, _, None, None) => notify::Input::Payload(String::new()),
    };
    if matches!(input, notify::Input::Payload(_) | notify::Input::File(_)) {
        let stream_only = [
            ("--null", args.null),
            ("--skip-empty", args.skip_empty),
            ("--strict", args.strict),
            ("--atomic", args.atomic),
        ];
        if let Some((flag, _)) = stream_only.iter().find(|(_, set)| *set) {
            return Err(usage(format!(
                "{flag} applies only to stdin (PAYLOAD `-`, --stdin or --from-json)"
            )));
        }
    }
    Ok(notify::Settings {
        channels: args.channel.iter().chain(&args.also).cloned().collect(),
        input,
        json: args.json,
        null: args.null,
        skip_empty: args.skip_empty,
        strict: args.strict,
        atomic: args.atomic,
        durable: args
            .durable
            .then(|| journal::Names::new(&args.journal.journal_schema)),
    })
}

/// `demo`'s flags: the user's server if any connection setting names one, else a throwaway.
fn demo_settings(args: DemoArgs, verbose: bool) -> Result<demo::Settings> {
    let conn = if connect::target_given(&args.conn) {
        if args.bin_dir.is_some() {
            return Err(usage(
                "--bin-dir is for the demo's throwaway server, which it starts only without \
                 connection settings (-d/-h/-p/-U, DATABASE_URL, PGHOST, PGHOSTADDR, PGPORT, \
                 PGDATABASE, PGUSER)",
            ));
        }
        Some(conn_settings(&args.conn, "demo", verbose)?)
    } else {
        None
    };
    // `cargo run` sets CARGO_PKG_NAME for the program it runs; an installed pgpubsub has none.
    let from_cargo = std::env::var("CARGO_PKG_NAME").is_ok_and(|name| name == "pgpubsub");
    Ok(demo::Settings {
        interval: args.interval,
        listen_for: args.listen_for,
        conn,
        throwaway: Config {
            bin_dir: bin_dir(args.bin_dir),
            ..Config::default()
        },
        invocation: if from_cargo {
            "cargo run --"
        } else {
            "pgpubsub"
        },
    })
}

/// The server binaries a throwaway server runs: `--bin-dir`, else `PGPUBSUB_BIN_DIR`, else
/// none named (the server looks for them on this machine).
fn bin_dir(flag: Option<std::path::PathBuf>) -> Option<BinDir> {
    let (path, from_env) = match flag {
        Some(path) => (path, false),
        None => (
            std::env::var_os(BIN_DIR_ENV)
                .filter(|dir| !dir.is_empty())?
                .into(),
            true,
        ),
    };
    Some(BinDir { path, from_env })
}

/// `sandbox`'s flags: the throwaway server to start, and how to run it.
fn sandbox_settings(args: SandboxArgs) -> sandbox::Settings {
    let mode = match (args.stop, args.detach, args.supervise) {
        (Some(target), ..) => sandbox::Mode::Stop(target),
        (None, true, _) => sandbox::Mode::Detach,
        (None, false, true) => sandbox::Mode::Supervise,
        (None, false, false) => sandbox::Mode::Foreground,
    };
    sandbox::Settings {
        config: Config {
            tls: match (args.ssl_cert, args.ssl_key) {
                (Some(cert), Some(key)) => Some(Tls { cert, key }),
                _ => None,
            },
            port: args.port,
            bin_dir: bin_dir(args.bin_dir),
            settings: args.settings,
        },
        idle_stop: args.idle_stop,
        mode,
    }
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
        timeout: limit(args.timeout).unwrap_or(NO_LIMIT),
        replies: args.replies,
        key: key(&args.key)?,
        grace: args.grace,
        terminal,
        verbose,
    })
}

/// `--key-file` (or PGPUBSUB_KEY_FILE), read and checked.
fn key(args: &crate::cli::KeyArgs) -> Result<Option<crate::reqrep::Key>> {
    let path = args
        .key_file
        .as_deref()
        .filter(|p| !p.as_os_str().is_empty());
    path.map(|p| crate::reqrep::Key::read(p).map_err(usage))
        .transpose()
}

/// `--keepalive` (0 is off) and `--reconnect-max`, as `listen` and `reply` share them.
fn upkeep(args: &UpkeepArgs) -> listen::Upkeep {
    listen::Upkeep {
        keepalive: (!args.keepalive.is_zero()).then_some(args.keepalive),
        reconnect_max: args.reconnect_max,
    }
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
        upkeep: upkeep(&args.upkeep),
        key: key(&args.key)?.map(std::sync::Arc::new),
        ready_file: args.ready_file.clone(),
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
            trigger::Action::Add(Box::new(trigger::Add {
                table: table(&a.table)?,
                channel: channel(&a.channel)?,
                events,
                columns: a
                    .columns
                    .as_deref()
                    .map(|c| parse_list(c, ',').map_err(|e| usage(format!("--columns: {e}"))))
                    .transpose()?,
                allow_no_key: a.allow_no_key,
                journal: a
                    .durable
                    .then(|| journal::Names::new(&a.journal.journal_schema)),
                dry_run: a.dry_run,
            }))
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
fn status_settings(args: &crate::cli::StatusArgs, terminal: bool) -> status::Settings {
    status::Settings {
        watch: args.watch,
        json: args.json,
        show_queries: args.show_queries,
        limits: status::Limits {
            warn: args.warn,
            idle_threshold: args.idle_threshold,
            journal_age: (!args.journal_age.is_zero()).then_some(args.journal_age),
            consumer_lag: (!args.consumer_lag.is_zero()).then_some(args.consumer_lag),
        },
        terminal,
    }
}
/// `bench`'s flags as its settings; the connection settings are resolved here too (unless the
/// run is on a throwaway server), so that a bad one is reported before anything starts.
fn bench_settings(args: &BenchArgs) -> Result<bench::Settings> {
    // clap drops a `requires` when the required flag conflicts with one given, so these are
    // checked here: a flag that does not apply is refused, never silently ignored.
    if args.p99_target.is_some() && args.sweep.is_none() {
        return Err(usage("--p99-target applies only with --sweep FROM..TO"));
    }
    if args.notify_every.is_some() && args.writers.is_none() {
        return Err(usage("--notify-every applies only with --writers N"));
    }
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
        drain_timeout: limit(args.drain_timeout).unwrap_or(NO_LIMIT),
        idle_listeners: args.idle_listeners,
        stalled_listener: args.stalled_listener,
        writers: args.writers.map(|sessions| bench::WritersPlan {
            sessions,
            notify_every: args.notify_every.unwrap_or(1),
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
        throwaway: Config {
            bin_dir: bin_dir(args.bin_dir.clone()),
            ..Config::default()
        },
    })
}
