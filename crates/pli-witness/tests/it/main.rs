//! pli-witness's tests: a real witness on 127.0.0.1:0 driven over HTTP as a log drives
//! it (C2SP `tlog-witness`), its state across restarts, its key file.
//!
//! * [`add_checkpoint`]: what the witness cosigns, and how it refuses the rest.
//! * [`state`]: what it remembers across a restart, and that it never goes back.
//! * [`key`]: the key file.
//!
//! [`harness`] builds a small log with `tlog_tiles` and starts witnesses.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub,
    reason = "tests fail loudly on the first unexpected value"
)]

mod add_checkpoint;
mod harness;
mod key;
mod server;
mod state;
