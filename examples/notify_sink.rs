//! A bare sqlx listener, the baseline's stand-in for `pgpubsub bench --listeners 1`: it LISTENs
//! on one channel of `DATABASE_URL` and drains it, so that pgbench in `benches/bench.sh` runs
//! against a server that also feeds one listener. It does nothing with the notifications but
//! count them: whatever `pgpubsub bench` does beyond this is the benchmark's own overhead.
//!
//! Prints `listening` once subscribed; when stdin closes, prints the count and exits.

use sqlx::postgres::PgListener;
use tokio::io::AsyncReadExt;

#[tokio::main]
async fn main() -> Result<(), sqlx::Error> {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL is required");
    let channel = std::env::args().nth(1).expect("usage: notify_sink CHANNEL");
    let mut listener = PgListener::connect(&url).await?;
    listener.listen(&channel).await?;
    println!("listening");
    let mut count: u64 = 0;
    let mut stdin = tokio::io::stdin();
    let mut buf = [0u8; 64];
    loop {
        tokio::select! {
            received = listener.recv() => {
                received?;
                count += 1;
            }
            read = stdin.read(&mut buf) => {
                if matches!(read, Ok(0) | Err(_)) {
                    break;
                }
            }
        }
    }
    println!("{count}");
    Ok(())
}
