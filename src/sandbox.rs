//! `pgpubsub sandbox`: a throwaway server kept alive until Ctrl-C/SIGTERM, so that a newcomer
//! can try `listen` and `notify` in two terminals with nothing but PostgreSQL's binaries.
//! Stdout gets only the `export DATABASE_URL=...` line (easy to capture); the rest is on stderr.

use crate::app::Context;
use crate::ephemeral::{Config, Server};
use crate::error::{note, stdout_error, Error, Exit, Result};
use std::io::Write;

/// Start the server (as `config` says), announce it, wait for a stop signal, remove it. It
/// only ever ends by that signal (or a failure).
pub async fn run(config: &Config, ctx: &mut Context) -> Result<Exit> {
    let server = ctx.throwaway(config).await?;
    let stopped = match announce(&server, &mut ctx.stdout()) {
        Ok(()) => Err(Error::Stopped(ctx.signals.recv().await)),
        Err(err) => Err(err),
    };
    Context::remove(server)?;
    stopped
}

fn announce(server: &Server, out: &mut impl Write) -> Result<()> {
    writeln!(out, "export DATABASE_URL={}", server.url())
        .and_then(|()| out.flush())
        .map_err(stdout_error)?;
    note(format!("connect with: psql {}", server.url()));
    note("stop it with Ctrl-C: the server and all its data are then removed");
    Ok(())
}
