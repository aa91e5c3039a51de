//! The baseline for `benches/listen.sh`: the least a Rust program can do to receive
//! notifications with sqlx (a `PgListener` recv loop that only counts), so that the benchmark
//! can show what `pgpubsub listen` costs on top of it.
//!
//! Usage: bare_listener URL CHANNEL COUNT   (prints "listening" on stderr when ready)

use sqlx::postgres::PgListener;

#[tokio::main]
async fn main() -> Result<(), sqlx::Error> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, channel, count] = args.as_slice() else {
        eprintln!("usage: bare_listener URL CHANNEL COUNT");
        std::process::exit(2);
    };
    let count: u64 = count.parse().expect("COUNT must be a number");
    let mut listener = PgListener::connect(url).await?;
    listener.listen(channel).await?;
    eprintln!("listening");
    let mut bytes = 0usize;
    for _ in 0..count {
        bytes += listener.recv().await?.payload().len();
    }
    eprintln!("received {count} notifications, {bytes} payload bytes");
    Ok(())
}
