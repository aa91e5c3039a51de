//! pgpubsub: PostgreSQL LISTEN/NOTIFY as a first-class pub/sub from the shell.
//!
//! `main` only parses, runs and turns the outcome into an exit code (or, after a stop signal,
//! into ending by that signal); everything else lives in the modules below, one concern each
//! (see `app` for the dispatcher).

mod app;
mod bench;
mod cli;
mod connect;
mod conninfo;
mod demo;
mod ephemeral;
mod error;
mod generate;
mod job;
mod journal;
mod limits;
mod listen;
mod notify;
mod output;
mod pg;
mod ready;
mod reqrep;
mod sandbox;
mod serve;
mod session;
mod signals;
mod status;
mod trigger;
mod unix_user;

fn main() -> std::process::ExitCode {
    let cli = app::parse();
    let exit = match app::run(cli) {
        Ok(exit) => exit,
        Err(err) => error::report(&err),
    };
    signals::end_by(exit);
    exit.into()
}
