//! pli-log's tests: a directory replayed from signed statements, checkpoints and their
//! cosignatures, a witness's rule.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub,
    reason = "tests fail loudly on the first unexpected value"
)]

mod directory;
mod fixture;
mod note;
mod witness;
