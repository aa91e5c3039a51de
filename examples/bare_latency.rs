//! The baseline for `benches/latency.sh`: the least a Rust program can do to measure
//! LISTEN/NOTIFY latency with sqlx, so that `pgpubsub bench`'s latency can be held against it.
//! One `PgListener`; one sender on an OS thread of its own that sends `SELECT pg_notify(...)`
//! at a fixed rate, waiting for each deadline with its own precise timer (a nanosleep with the
//! timer slack lowered, then a spin); latency counts from the *actual* send, so the probe's own
//! lateness never shows in its latency. That lateness (actual send - schedule) is printed beside
//! it as the lag, with the rate actually achieved, so that a busy machine can be told from a
//! slow server.
//!
//! Usage: bare_latency URL RATE COUNT   (RATE per second; prints one JSON line of percentiles
//! in microseconds when every notification has arrived)

use hdrhistogram::Histogram;
use sqlx::postgres::{PgConnection, PgListener};
use sqlx::Connection;
use std::time::{Duration, Instant};

const CHANNEL: &str = "bare_latency";

/// Payloads are padded to the size `pgpubsub bench` sends by default.
const PAYLOAD_BYTES: usize = 64;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, rate, count] = args.as_slice() else {
        eprintln!("usage: bare_latency URL RATE COUNT");
        std::process::exit(2);
    };
    let rate: f64 = rate.parse()?;
    let count: u64 = count.parse()?;
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    let epoch = Instant::now();
    let sender = {
        let url = url.clone();
        std::thread::spawn(move || send(&url, rate, count, epoch))
    };
    let mut latency = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3)?;
    for _ in 0..count {
        let notification = listener.recv().await?;
        let arrived = epoch.elapsed().as_nanos() as u64;
        let sent: u64 = notification
            .payload()
            .split(':')
            .next()
            .and_then(|nanos| nanos.parse().ok())
            .ok_or("a payload that is not ours")?;
        latency.saturating_record(arrived.saturating_sub(sent) / 1000);
    }
    let (lag, sending) = sender.join().map_err(|_| "the sender panicked")??;
    println!(
        "{{\"received\":{},\"p50_us\":{},\"p90_us\":{},\"p99_us\":{},\"p99_9_us\":{},\"max_us\":{},\"lag_p50_us\":{},\"lag_p99_us\":{},\"achieved_rate\":{:.0}}}",
        latency.len(),
        latency.value_at_quantile(0.5),
        latency.value_at_quantile(0.9),
        latency.value_at_quantile(0.99),
        latency.value_at_quantile(0.999),
        latency.max(),
        lag.value_at_quantile(0.5),
        lag.value_at_quantile(0.99),
        count as f64 / sending.as_secs_f64(),
    );
    Ok(())
}

/// Send `count` notifications at `rate`, each stamped with its actual send time; returns how
/// late the sends were (microseconds) and how long sending took (a sender that fell behind
/// sent at a lower rate than asked).
fn send(
    url: &str,
    rate: f64,
    count: u64,
    epoch: Instant,
) -> Result<(Histogram<u64>, Duration), String> {
    #[cfg(target_os = "linux")]
    // SAFETY: sets this thread's timer slack to 1 ns; no memory is involved.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let mut conn = PgConnection::connect(url)
            .await
            .map_err(|e| e.to_string())?;
        let interval = Duration::from_secs_f64(1.0 / rate);
        let start = Instant::now();
        let mut payload = String::with_capacity(PAYLOAD_BYTES);
        let mut lag =
            Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).map_err(|e| e.to_string())?;
        for n in 0..count {
            let due = start + interval * n as u32;
            wait_until(due);
            lag.saturating_record(due.elapsed().as_micros() as u64);
            payload.clear();
            payload.push_str(&format!("{}:", epoch.elapsed().as_nanos()));
            payload.extend(std::iter::repeat_n('.', PAYLOAD_BYTES - payload.len()));
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(&payload)
                .execute(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok((lag, start.elapsed()))
    })
}

/// Sleep to within 50 µs of `due`, then spin.
fn wait_until(due: Instant) {
    loop {
        let left = due.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        if left > Duration::from_micros(50) {
            std::thread::sleep(left - Duration::from_micros(50));
        } else {
            std::hint::spin_loop();
        }
    }
}
