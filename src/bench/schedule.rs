//! Keeping an open-loop schedule to the microsecond. tokio's timer wakes with 1 ms granularity,
//! so a sender that slept with it alone would leave up to a millisecond late, and since latency
//! counts from the schedule, that lateness would read as the server's. So a sender sleeps with
//! tokio only until shortly before its deadline (still answering Ctrl-C), then finishes the wait
//! precisely: a nanosleep with the thread's timer slack lowered, then a short spin. Each sender
//! runs on an OS thread of its own with a single-threaded runtime, so that listeners, the queue
//! sampler and the progress line never delay a send, and blocking that thread harms no one.

use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};

/// How long before a deadline the coarse tokio sleep ends (its granularity, plus a margin).
const COARSE_MARGIN: Duration = Duration::from_millis(2);

/// The last stretch before a deadline, spun rather than slept (a nanosleep may wake some tens
/// of microseconds late; a longer spin would take CPU from the listeners on a small machine).
const SPIN: Duration = Duration::from_micros(40);

/// The wait was cut short by the stop signal.
#[derive(Debug)]
pub struct Stopped;

/// Wait until `due`, within microseconds, unless `stop` changes first. Blocks the thread for
/// the last stretch: call it only from a sender's own thread.
pub async fn wait_until(due: Instant, stop: &mut watch::Receiver<bool>) -> Result<(), Stopped> {
    if let Some(coarse) = due.checked_sub(COARSE_MARGIN) {
        if coarse > Instant::now() {
            tokio::select! {
                () = tokio::time::sleep_until(coarse.into()) => {}
                _ = stop.changed() => return Err(Stopped),
            }
        }
    }
    finish_wait(due);
    Ok(())
}

/// Sleep, then spin, until `due`.
fn finish_wait(due: Instant) {
    loop {
        let left = due.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        if left > SPIN {
            std::thread::sleep(left - SPIN);
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Run `work` to completion on a new OS thread with a runtime of its own; its output comes
/// back on the returned channel (closed without a value if the runtime could not start).
pub fn spawn_dedicated<W, F, T>(name: String, work: W) -> std::io::Result<oneshot::Receiver<T>>
where
    W: FnOnce() -> F + Send + 'static,
    F: Future<Output = T>,
    T: Send + 'static,
{
    let (done, result) = oneshot::channel();
    std::thread::Builder::new().name(name).spawn(move || {
        precise_sleeps();
        if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            let _ = done.send(runtime.block_on(work()));
        }
    })?;
    Ok(result)
}

/// Ask the kernel to wake this thread's sleeps on time rather than up to 50 µs late (Linux
/// coalesces timers by that much by default).
fn precise_sleeps() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK takes one integer argument and affects only this thread.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_end_at_the_deadline_not_a_millisecond_later() {
        let (_keep, mut stop) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut lags = Vec::new();
        for _ in 0..20 {
            let due = Instant::now() + Duration::from_micros(2_500);
            runtime.block_on(wait_until(due, &mut stop)).unwrap();
            let now = Instant::now();
            assert!(now >= due, "woke before the deadline");
            lags.push(now - due);
        }
        lags.sort();
        // The median, so that a preempted wait on a busy machine does not fail the test;
        // tokio's timer alone is late by up to a millisecond.
        assert!(lags[10] < Duration::from_micros(500), "{lags:?}");
    }

    #[test]
    fn a_stop_cuts_the_wait_short() {
        let (stop_tx, mut stop) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        stop_tx.send(true).unwrap();
        let due = Instant::now() + Duration::from_secs(60);
        assert!(runtime.block_on(wait_until(due, &mut stop)).is_err());
    }
}
