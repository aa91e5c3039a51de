//! Sockets: binding, TLS, one task per connection speaking HTTP/1.1 (hyper), and the way
//! connections end: when the client goes, when its stream was cut off and it does not read
//! its final event, or at shutdown (gracefully, then outright after a grace period).

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// How long a client may take to send its request head (or finish a TLS handshake).
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Most bytes hyper buffers per connection beyond what the socket takes; the subscriber's own
/// queue holds the rest, where its limit applies.
const MAX_BUFFER: usize = 64 * 1024;

/// What a response knows of the connection it goes out on (each request carries it): how much
/// has been written to it, whether it is closed, and how to close it outright.
pub struct Wire {
    /// The client's address, for messages.
    pub peer: SocketAddr,
    written: AtomicU64,
    closed: AtomicBool,
    kill: Notify,
}

impl Wire {
    pub fn new(peer: SocketAddr) -> Wire {
        Wire {
            peer,
            written: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            kill: Notify::new(),
        }
    }

    /// Bytes written to the connection so far (whether its reader still reads).
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Whether the connection has ended.
    pub fn closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Close the connection now, whatever it is doing.
    pub fn kill(&self) {
        self.kill.notify_one();
    }
}

/// A connection's I/O, counting what is written into its [`Wire`].
struct Counted<I> {
    io: I,
    wire: Arc<Wire>,
}

impl<I: hyper::rt::Read + Unpin> hyper::rt::Read for Counted<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<I: hyper::rt::Write + Unpin> hyper::rt::Write for Counted<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.io).poll_write(cx, buf);
        self.count(&written);
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.count(&written);
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

impl<I> Counted<I> {
    fn count(&self, written: &Poll<std::io::Result<usize>>) {
        if let Poll::Ready(Ok(n)) = written {
            self.wire.written.fetch_add(*n as u64, Ordering::Relaxed);
        }
    }
}

/// Marks the wire closed when the connection task ends, however it ends.
struct Closing(Arc<Wire>);

impl Drop for Closing {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Relaxed);
    }
}

/// A TLS configuration from a PEM certificate chain and its private key.
pub fn tls(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect())
        .map_err(|e| format!("--tls-cert {}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "--tls-cert {}: no certificate in it",
            cert.display()
        ));
    }
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("--tls-key {}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, private)
        .map_err(|e| {
            format!(
                "--tls-cert {} and --tls-key {}: {e}",
                cert.display(),
                key.display()
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Raise the soft limit on open files to the hard limit (each subscriber holds a socket);
/// returns the limit now in force.
pub fn raise_open_files() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    limit.rlim_cur
}

/// Bind every address (resolving names), or say which one could not be bound.
pub async fn bind(addresses: &[String]) -> Result<Vec<TcpListener>, String> {
    let mut listeners = Vec::new();
    for address in addresses {
        let resolved: Vec<SocketAddr> = tokio::net::lookup_host(address)
            .await
            .map_err(|e| format!("--bind {address}: {e}"))?
            .collect();
        if resolved.is_empty() {
            return Err(format!("--bind {address}: the name has no address"));
        }
        for addr in resolved {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
            listeners.push(listener);
        }
    }
    Ok(listeners)
}

/// The running server's connections.
pub struct Server {
    tasks: JoinSet<()>,
    stop: watch::Sender<bool>,
}

impl Server {
    /// Accept connections on `listeners` (with TLS if given) and serve `router` on each.
    pub fn start(listeners: Vec<TcpListener>, tls: Option<TlsAcceptor>, router: Router) -> Server {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for listener in listeners {
            tasks.spawn(accept(
                listener,
                tls.clone(),
                router.clone(),
                stopped.clone(),
            ));
        }
        Server { tasks, stop }
    }

    /// Stop accepting, let every connection finish its response (streams have their final
    /// event queued by now), and close what is still open after `grace`.
    pub async fn stop(mut self, grace: Duration) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(grace, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        self.tasks.shutdown().await;
    }
}

/// Accept until stopped, one task per connection; then wait for them (each ends gracefully
/// when told to stop, or is aborted with this task).
async fn accept(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    mut stopped: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        match accepted {
            Ok((socket, peer)) => {
                connections.spawn(connection(
                    socket,
                    peer,
                    tls.clone(),
                    router.clone(),
                    stopped.clone(),
                ));
            }
            // Out of file descriptors (or another passing failure): wait a moment rather
            // than spin; connections that end free descriptors.
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

/// Serve one connection until it ends, is killed, or the server stops.
async fn connection(
    socket: TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    router: Router,
    stopped: watch::Receiver<bool>,
) {
    let _ = socket.set_nodelay(true);
    let wire = Arc::new(Wire::new(peer));
    let _closing = Closing(wire.clone());
    let counted = |io| Counted {
        io,
        wire: wire.clone(),
    };
    match tls {
        None => http(counted(TokioIo::new(socket)), router, &wire, stopped).await,
        Some(acceptor) => {
            let Ok(Ok(socket)) = tokio::time::timeout(HEAD_TIMEOUT, acceptor.accept(socket)).await
            else {
                return;
            };
            let io = Counted {
                io: TokioIo::new(socket),
                wire: wire.clone(),
            };
            http(io, router, &wire, stopped).await
        }
    }
}

/// HTTP/1.1 on `io`: each request goes to `router`, carrying this connection's [`Wire`].
async fn http<I>(io: I, router: Router, wire: &Arc<Wire>, mut stopped: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let carried = wire.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(carried.clone());
        tower_service::Service::call(&mut router.clone(), request)
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_buf_size(MAX_BUFFER)
        .serve_connection(io, service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = wire.kill.notified() => return,
        _ = stopped.changed() => connection.as_mut().graceful_shutdown(),
    }
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = wire.kill.notified() => {}
    }
}
