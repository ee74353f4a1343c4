//! pli-server's integration tests: the real server on port 0, on a fresh SQLite file and
//! on a fresh PostgreSQL database, driven through its HTTP API by the real client (which
//! does the cryptography as a person's software would). Tests read as stories.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::large_futures,
    unreachable_pub,
    reason = "tests fail loudly on the first unexpected value"
)]

mod authority;
mod authz;
mod canary;
mod chaos;
mod faults;
mod harness;
mod listing;
mod login_answers;
mod lying;
mod passkeys;
mod precompress;
mod proconnect;
mod replicas;
mod resume;
mod security;
mod sessions;
mod store;
mod stories;
mod upgrade;
