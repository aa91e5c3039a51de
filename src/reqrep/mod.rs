//! `pgpubsub request` and `pgpubsub reply`: request/reply over LISTEN/NOTIFY, through a small
//! documented JSON envelope (see `envelope`) so that other clients and SQL functions can take
//! either side.

mod auth;
mod envelope;
pub use auth::Key;
pub mod reply;
pub mod request;
