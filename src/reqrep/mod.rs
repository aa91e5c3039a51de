//! `pgpubsub request` and `pgpubsub reply`: request/reply over LISTEN/NOTIFY, through a small
//! documented JSON envelope (see `envelope`) so that other clients and SQL functions can take
//! either side.

mod envelope;
pub mod reply;
pub mod request;
