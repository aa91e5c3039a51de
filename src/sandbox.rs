//! `pgpubsub sandbox`: a throwaway server kept alive until Ctrl-C/SIGTERM, so that a newcomer
//! can try `listen` and `notify` in two terminals with nothing but PostgreSQL's binaries.
//! Stdout gets only the `export DATABASE_URL=...` line (easy to capture); the rest is on stderr.

use crate::cli::SandboxArgs;
use crate::ephemeral::{Config, Server, Tls};
use crate::error::{note, stdout_error, Exit, Result};
use crate::signals::Signals;
use std::io::Write;

/// Start the server, announce it, wait for a stop signal, remove it.
pub async fn run(args: &SandboxArgs, signals: &mut Signals, out: &mut impl Write) -> Result<Exit> {
    let tls = match (&args.ssl_cert, &args.ssl_key) {
        (Some(cert), Some(key)) => Some(Tls {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    let config = Config {
        tls,
        port: args.port,
    };
    let server = match signals.guard(Server::start(&config)).await {
        Ok(started) => started?,
        Err(signal) => return Ok(signal.exit()),
    };
    let announced = announce(&server, out);
    let stop = match announced {
        Ok(()) => Ok(signals.recv().await.exit()),
        Err(err) => Err(err),
    };
    let dir = server.dir().display().to_string();
    server.stop()?;
    note(format!("throwaway server stopped; {dir} removed"));
    stop
}

fn announce(server: &Server, out: &mut impl Write) -> Result<()> {
    writeln!(out, "export DATABASE_URL={}", server.url())
        .and_then(|()| out.flush())
        .map_err(stdout_error)?;
    note(format!(
        "throwaway PostgreSQL {} on 127.0.0.1:{} (data, socket and log in {})",
        server.version(),
        server.port(),
        server.dir().display()
    ));
    note(format!("connect with: psql {}", server.url()));
    note("stop it with Ctrl-C: the server and all its data are then removed");
    Ok(())
}
