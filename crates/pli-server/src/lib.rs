//! Pli's relay server: accounts, organisations, the key directory, and exchanges of
//! ciphertext with resumable uploads, on SQLite or PostgreSQL.
//!
//! The relay stores ciphertext and signed envelopes. It never holds a private key (it
//! links `pli-crypto` without the `secret` feature), never sees a plaintext, a file name,
//! a subject, a password or a session token in the clear (tokens are stored hashed).
//!
//! `main.rs` is thin: [`config::Config`] from the environment, then
//! [`app::Application::build`] binds the listener and [`app::Application::run_until`]
//! serves [`routes::router`].

#![forbid(unsafe_code)]

pub mod app;
pub mod audit;
pub mod auth;
pub mod blob;
pub mod changes;
pub mod config;
pub mod error;
pub mod log;
pub mod mail;
pub mod maintenance;
pub mod metrics;
pub mod pace;
pub mod proconnect;
pub mod replicas;
pub mod routes;
pub mod slots;
pub mod store;
pub mod testing;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
