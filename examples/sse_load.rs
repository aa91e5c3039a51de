//! The load generator of `benches/serve.sh`: many server-sent-event subscribers of
//! `pgpubsub serve` in one process (plain HTTP/1.1 on tokio sockets, each stream's lines read
//! as they come), and the senders and baselines to measure them against.
//!
//! Usage:
//!   sse_load fanout HTTP DB CHANNEL SUBSCRIBERS RATE SECONDS
//!       SUBSCRIBERS streams of CHANNEL; once all listen, RATE notifications/s for SECONDS
//!       (`SELECT pg_notify`, one per transaction, each carrying its number and send time),
//!       and a plain sqlx PgListener on the same channel as the baseline. Checks that every
//!       subscriber receives every notification in order; prints JSON: the latency from the
//!       send to the last subscriber (p50, p99, max) beside the baseline's.
//!   sse_load throughput HTTP DB CHANNEL SUBSCRIBERS COUNT SENDER
//!       SUBSCRIBERS streams; once all listen, `sh -c SENDER` sends COUNT notifications to
//!       CHANNEL as fast as it goes (e.g. `seq 1 COUNT | pgpubsub notify CHANNEL -`); prints
//!       JSON: events delivered per second across all subscribers, from the sender's start to
//!       the last subscriber's last event, and the rate of a plain sqlx PgListener on the same
//!       channel (the baseline: how fast one LISTEN session receives them).
//!   sse_load idle HTTP CHANNELS SUBSCRIBERS
//!       SUBSCRIBERS streams spread over the comma-separated CHANNELS; prints "ready" once all
//!       listen, and holds them until stdin closes.
//!
//! HTTP is `http://127.0.0.1:PORT`; DB a postgres:// URL.

use sqlx::postgres::PgListener;
use sqlx::Connection;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How many connections are being opened at once.
const OPENING: usize = 64;

/// CPU time (user + system) this process has used, in ms.
fn cpu_ms() -> u64 {
    // SAFETY: getrusage only writes the struct given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let ms = |t: libc::timeval| t.tv_sec as u64 * 1000 + t.tv_usec as u64 / 1000;
    ms(usage.ru_utime) + ms(usage.ru_stime)
}

/// Nanoseconds since the process started: the one clock of senders and receivers.
fn now_ns() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

fn usage() -> ! {
    eprintln!(
        "usage: sse_load fanout HTTP DB CHANNEL SUBSCRIBERS RATE SECONDS\n       \
         sse_load throughput HTTP DB CHANNEL SUBSCRIBERS COUNT SENDER\n       \
         sse_load idle HTTP CHANNELS SUBSCRIBERS"
    );
    std::process::exit(2)
}

fn main() {
    now_ns();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let number = |s: &str| s.parse::<u64>().unwrap_or_else(|_| usage());
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["fanout", http, db, channel, subscribers, rate, seconds] => runtime.block_on(fanout(
            http,
            db,
            channel,
            number(subscribers) as usize,
            number(rate),
            number(seconds),
        )),
        ["throughput", http, db, channel, subscribers, count, sender] => {
            runtime.block_on(throughput(
                http,
                db,
                channel,
                number(subscribers) as usize,
                number(count),
                sender,
            ))
        }
        ["idle", http, channels, subscribers] => {
            runtime.block_on(idle(http, channels, number(subscribers) as usize))
        }
        _ => usage(),
    }
}

/// What a subscriber does with each line of its stream.
trait Lines: Send + 'static {
    fn line(&mut self, line: &[u8]);
    /// Whether the stream has what it waited for (the subscriber then hangs up).
    fn done(&self) -> bool {
        false
    }
}

/// Open `count` streams of `path` (OPENING at a time), each handled by `make(i)`; returns
/// once every one has received its `listening` event.
async fn subscribe<L: Lines>(
    http: &str,
    paths: impl Fn(usize) -> String,
    count: usize,
    make: impl Fn(usize) -> L,
) -> Vec<tokio::task::JoinHandle<L>> {
    let addr = http.trim_start_matches("http://").to_string();
    let listening = Arc::new(AtomicUsize::new(0));
    let opening = Arc::new(tokio::sync::Semaphore::new(OPENING));
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let permit = opening.clone().acquire_owned().await.unwrap();
        let (addr, path, listening) = (addr.clone(), paths(i), listening.clone());
        let lines = make(i);
        tasks.push(tokio::spawn(async move {
            stream(&addr, &path, lines, listening, permit).await
        }));
    }
    while listening.load(Ordering::Relaxed) < count {
        tokio::time::sleep(Duration::from_millis(10)).await;
        for task in &tasks {
            if task.is_finished() {
                eprintln!("a subscriber ended before it listened");
                std::process::exit(1);
            }
        }
    }
    tasks
}

/// One stream: connect, ask, and hand every line of the body to `lines` until it is done or
/// the server ends the stream. Chunk-size lines of the chunked encoding are lines of their
/// own (serve sends whole frames per chunk), which `lines` ignores.
async fn stream<L: Lines>(
    addr: &str,
    path: &str,
    mut lines: L,
    listening: Arc<AtomicUsize>,
    permit: tokio::sync::OwnedSemaphorePermit,
) -> L {
    let mut socket = match TcpStream::connect(addr).await {
        Ok(socket) => socket,
        Err(e) => {
            eprintln!("cannot connect to {addr}: {e}");
            std::process::exit(1);
        }
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut permit = Some(permit);
    let mut buf = vec![0u8; 16 * 1024];
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = match socket.read(&mut buf[filled..]).await {
            Ok(0) | Err(_) => return lines,
            Ok(n) => n,
        };
        filled += n;
        let mut start = 0;
        while let Some(end) = buf[start..filled].iter().position(|&b| b == b'\n') {
            let line = &buf[start..start + end];
            if permit.is_some() && line.starts_with(b"event: listening") {
                permit = None;
                listening.fetch_add(1, Ordering::Relaxed);
            }
            lines.line(line);
            start += end + 1;
        }
        buf.copy_within(start..filled, 0);
        filled -= start;
        if lines.done() {
            return lines;
        }
    }
}

/// The payload of a notification record line (`data: {"channel":…,"payload":"…",…}`).
fn payload(line: &[u8]) -> Option<&[u8]> {
    const KEY: &[u8] = b"\"payload\":\"";
    if !line.starts_with(b"data: {\"channel\"") {
        return None;
    }
    let at = line.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let end = line[at..].iter().position(|&b| b == b'"')?;
    Some(&line[at..at + end])
}

/// `N:T` (number, send time) from a payload.
fn stamped(payload: &[u8]) -> Option<(u64, u64)> {
    let text = std::str::from_utf8(payload).ok()?;
    let (n, t) = text.split_once(':')?;
    Some((n.parse().ok()?, t.parse().ok()?))
}

/// A fan-out subscriber: checks order, and records when each notification reached it.
struct Fan {
    next: u64,
    errors: u64,
    /// Latest arrival of each notification over all subscribers, in ns.
    last: Arc<Vec<AtomicU64>>,
}

impl Lines for Fan {
    fn line(&mut self, line: &[u8]) {
        let Some((n, _)) = payload(line).and_then(stamped) else {
            return;
        };
        if n != self.next {
            self.errors += 1;
        }
        self.next = n + 1;
        if let Some(slot) = self.last.get(n as usize) {
            slot.fetch_max(now_ns(), Ordering::Relaxed);
        }
    }

    fn done(&self) -> bool {
        self.next as usize == self.last.len()
    }
}

/// Percentiles (ms) of latencies in ns.
fn summary(mut ns: Vec<u64>) -> serde_json::Value {
    ns.sort_unstable();
    let at = |q: f64| {
        ns.get(((ns.len() as f64 * q).ceil() as usize).saturating_sub(1))
            .map(|v| *v as f64 / 1e6)
    };
    serde_json::json!({"p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": at(1.0), "count": ns.len()})
}

async fn fanout(http: &str, db: &str, channel: &str, subscribers: usize, rate: u64, seconds: u64) {
    let total = (rate * seconds) as usize;
    let last: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let path = format!("/listen?channel={channel}");
    let started = Instant::now();
    let tasks = subscribe(
        http,
        |_| path.clone(),
        subscribers,
        |_| Fan {
            next: 0,
            errors: 0,
            last: last.clone(),
        },
    )
    .await;
    eprintln!(
        "{subscribers} subscribers listening after {:.1}s",
        started.elapsed().as_secs_f64()
    );
    // The baseline: one plain LISTEN session on the same channel.
    let mut direct = PgListener::connect(db).await.unwrap();
    direct.listen(channel).await.unwrap();
    let direct_arrivals = tokio::spawn(async move {
        let mut arrivals = vec![0u64; total];
        for _ in 0..total {
            let n = direct.recv().await.unwrap();
            if let Some((i, _)) = stamped(n.payload().as_bytes()) {
                arrivals[i as usize] = now_ns();
            }
        }
        arrivals
    });
    let cpu_before = cpu_ms();
    let sent_at = send_paced(db, channel, rate, total).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut errors = 0;
    let mut complete = 0;
    for task in tasks {
        let left = deadline.saturating_duration_since(Instant::now());
        if let Ok(Ok(fan)) = tokio::time::timeout(left, task).await {
            errors += fan.errors;
            complete += usize::from(fan.done());
        }
    }
    let cpu = cpu_ms() - cpu_before;
    let direct = tokio::time::timeout(Duration::from_secs(10), direct_arrivals)
        .await
        .ok()
        .and_then(Result::ok);
    let latency: Vec<u64> = sent_at
        .iter()
        .zip(last.iter())
        .filter_map(|(s, l)| l.load(Ordering::Relaxed).checked_sub(*s))
        .collect();
    let baseline: Vec<u64> = match &direct {
        Some(arrivals) => sent_at
            .iter()
            .zip(arrivals)
            .filter_map(|(s, a)| a.checked_sub(*s))
            .collect(),
        None => Vec::new(),
    };
    let report = serde_json::json!({
        "subscribers": subscribers,
        "sent": total,
        "complete_subscribers": complete,
        "out_of_order": errors,
        "cpu_ms": cpu,
        "serve_last_subscriber": summary(latency),
        "direct_listen": summary(baseline),
    });
    println!("{report}");
}

/// Send `total` notifications at `rate`/s, one per transaction, each `N:SEND_NS`; returns
/// the send times.
async fn send_paced(db: &str, channel: &str, rate: u64, total: usize) -> Vec<u64> {
    let mut conn = sqlx::PgConnection::connect(db).await.unwrap();
    let period = Duration::from_nanos(1_000_000_000 / rate);
    let start = tokio::time::Instant::now();
    let mut sent = Vec::with_capacity(total);
    for i in 0..total {
        tokio::time::sleep_until(start + period * i as u32).await;
        let at = now_ns();
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(format!("{i}:{at}"))
            .execute(&mut conn)
            .await
            .unwrap();
        sent.push(at);
    }
    sent
}

/// A throughput subscriber: counts notification records until it has them all.
struct Count {
    seen: u64,
    want: u64,
    finished: Arc<AtomicU64>,
}

impl Lines for Count {
    fn line(&mut self, line: &[u8]) {
        if line.starts_with(b"data: {\"channel\"") {
            self.seen += 1;
            if self.seen == self.want {
                self.finished.fetch_max(now_ns(), Ordering::Relaxed);
            }
        }
    }

    fn done(&self) -> bool {
        self.seen >= self.want
    }
}

async fn throughput(
    http: &str,
    db: &str,
    channel: &str,
    subscribers: usize,
    count: u64,
    sender: &str,
) {
    let path = format!("/listen?channel={channel}");
    let finished = Arc::new(AtomicU64::new(0));
    let tasks = subscribe(
        http,
        |_| path.clone(),
        subscribers,
        |_| Count {
            seen: 0,
            want: count,
            finished: finished.clone(),
        },
    )
    .await;
    let mut direct = PgListener::connect(db).await.unwrap();
    direct.listen(channel).await.unwrap();
    let direct_done = tokio::spawn(async move {
        for _ in 0..count {
            direct.recv().await.unwrap();
        }
        now_ns()
    });
    let start = now_ns();
    let status = tokio::process::Command::new("sh")
        .args(["-c", sender])
        .status()
        .await
        .unwrap();
    assert!(status.success(), "the sender failed: {status}");
    let sent = now_ns();
    let mut delivered = 0;
    for task in tasks {
        if let Ok(Ok(counted)) = tokio::time::timeout(Duration::from_secs(120), task).await {
            delivered += counted.seen;
        }
    }
    let end = finished.load(Ordering::Relaxed);
    let direct_end = direct_done.await.unwrap();
    let seconds = (end.saturating_sub(start)) as f64 / 1e9;
    let report = serde_json::json!({
        "subscribers": subscribers,
        "sent": count,
        "delivered": delivered,
        "expected": count * subscribers as u64,
        "send_seconds": (sent - start) as f64 / 1e9,
        "seconds": seconds,
        "events_per_second": delivered as f64 / seconds,
        "direct_listen_per_second": count as f64 / ((direct_end - start) as f64 / 1e9),
    });
    println!("{report}");
}

/// An idle subscriber: only keeps its stream open.
struct Idle(Arc<AtomicBool>);

impl Lines for Idle {
    fn line(&mut self, _: &[u8]) {}

    fn done(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

async fn idle(http: &str, channels: &str, subscribers: usize) {
    let channels: Vec<&str> = channels.split(',').collect();
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = subscribe(
        http,
        |i| format!("/listen?channel={}", channels[i % channels.len()]),
        subscribers,
        |_| Idle(stop.clone()),
    )
    .await;
    println!("ready");
    let mut stdin = tokio::io::stdin();
    let mut sink = [0u8; 64];
    while let Ok(n) = stdin.read(&mut sink).await {
        if n == 0 {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.abort();
    }
}
