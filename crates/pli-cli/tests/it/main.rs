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
//!
//! [`harness`] runs the commands and makes keys and data.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on the first unexpected value"
)]

mod failures;
mod harness;
mod interop;
mod keygen;
mod typage;
mod usage;
mod witness;
