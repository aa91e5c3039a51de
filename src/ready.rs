//! Saying "listening now" to whoever started pgpubsub. A notification sent before LISTEN is
//! lost, so `pgpubsub listen jobs & pgpubsub notify jobs hello` races; a script needs to know
//! the moment every channel is held. `--ready-file PATH` creates PATH then (replacing an old
//! one at start, so a stale file never says ready), and under systemd (`Type=notify`, with
//! `NOTIFY_SOCKET` set) the service manager is sent `READY=1`, as `sd_notify(3)` does.

use std::io;
use std::path::Path;

/// Before connecting: remove a ready file left by an earlier run.
pub fn reset(file: Option<&Path>) -> io::Result<()> {
    match file.map(std::fs::remove_file) {
        Some(Err(e)) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Listening: create the ready file (written whole under another name, then renamed, so that
/// whoever sees it sees it complete: it holds our pid) and tell systemd.
pub fn announce(file: Option<&Path>) -> io::Result<()> {
    if let Some(path) = file {
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        std::fs::write(&partial, format!("{}\n", std::process::id()))?;
        std::fs::rename(&partial, path)?;
    }
    sd_notify("READY=1")
}

/// Send `state` to the service manager's socket, if there is one (`NOTIFY_SOCKET`: a path,
/// or `@name` in the abstract namespace).
fn sd_notify(state: &str) -> io::Result<()> {
    use std::os::unix::net::{SocketAddr, UnixDatagram};
    let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(());
    };
    let socket = socket.to_string_lossy();
    let address = match socket.strip_prefix('@') {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            SocketAddr::from_abstract_name(name.as_bytes())?
        }
        None => SocketAddr::from_pathname(socket.as_ref())?,
    };
    UnixDatagram::unbound()?.send_to_addr(state.as_bytes(), &address)?;
    Ok(())
}
