//! Integration tests of the `pli` binary, run as a user would run it.
//!
//! * [`interop`]: files and keys go both ways between `pli` and the reference `age` and
//!   `age-keygen` commands (the Debian `age` package), binary and armored.
//! * [`failures`]: every failure exits with status 1, says what went wrong on one line,
//!   and leaves no output file (nor temporary file) behind.
//! * [`keygen`]: the identity file's format and protection.
//! * [`usage`]: recipients files, identity files, standard input and output.
//! * [`typage`]: the post-quantum hybrid keys and files go both ways between `pli` and
//!   typage (the npm package `age-encryption`), which `typage.mjs` runs under node.
//! * [`witness`]: `pli witness`'s key file, and a witness served, killed and restarted.
//! * [`network`]: the networked commands against a real relay: login, directory, send,
//!   inbox, receive, outbox, ack; a send killed and resumed; wrong credentials and
//!   another platform root refused with their statuses.
//! * [`watch`]: `pli watch`, the folder hand-off: an outbox folder's files sent once, an
//!   inbox folder filled and acknowledged once, a watcher killed midway and run again, a
//!   watcher left running, and a second one of the same folder refused.
//! * [`service`]: a service account enrolled with `pli service enrol`, certified, sending
//!   and receiving with no person's password, then removed and refused.
//! * [`browser`]: `pli` and the web app in headless Chromium on either side of an
//!   exchange, both ways: the sender verified, the bytes intact, the receipt seen.
//!
//! * [`monitor`]: `pli monitor` run again and again, as from cron: new entries listed
//!   once, status 3 on an entry no admin of the organisation signed.
//!
//! [`harness`] runs the commands and makes keys and data.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on the first unexpected value"
)]

mod browser;
mod failures;
mod harness;
mod interop;
mod keygen;
mod monitor;
mod network;
mod service;
mod typage;
mod usage;
mod watch;
mod witness;
