//! Browser end-to-end tests: the five journeys of the web app in real headless Chromium
//! against the real relay (see the `pli_e2e` harness).

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

mod account;
mod admin;
mod exchange;
mod files;
mod journeys;
mod lockout;
mod lying;
mod lying_directory;
mod mailbox;
mod post_quantum;
mod proconnect;
mod resume_safety;
mod save;
mod smoke;
mod upload;
