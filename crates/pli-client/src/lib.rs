//! A Pli client: everything a person's software does around the relay.
//!
//! * [`protocol`]: pure functions — build and verify certificates, envelopes, receipts —
//!   with no I/O, so the same rules hold in the web app.
//! * [`file_name`]: the names a received file is saved under (the web app's and the
//!   CLI's), safe on every system and distinct within an exchange.
//! * [`Client`]: the HTTP transport (reqwest), and [`Session`], a logged-in person with
//!   their unlocked keys in memory: set up the platform, administer an organisation,
//!   send an exchange (encrypting and uploading part by part), receive one (verifying
//!   the sender's signature and every hash while decrypting), acknowledge it. Every
//!   password chosen passes `pli-strength`'s rule first: zxcvbn's estimate with the
//!   `strength` feature (on by default), the length alone without it (the web app's
//!   worker, whose page runs the estimator from a module of its own before asking).
//!
//! The relay is never trusted: keys come from certificates verified to the pinned root;
//! envelopes are verified before anything is shown as coming from their sender.

#![forbid(unsafe_code)]
#![cfg_attr(
    target_arch = "wasm32",
    allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "JavaScript times are f64 milliseconds"
    )
)]

mod error;
pub mod file_name;
mod http;
pub mod protocol;
mod rt;
mod session;

pub use error::ClientError;
pub use http::Client;
#[cfg(not(target_arch = "wasm32"))]
pub use http::IDLE_CONNECTION;
#[cfg(target_arch = "wasm32")]
pub use rt::use_pool;
pub use rt::{CipherPool, Output, PoolHasher, PoolRun, SEAL_RUN, open_here, seal_here};
pub use session::{
    Account, DirectoryEntry, FileInput, KnownLog, MonitorReport, OnPlan, PASSWORD_ONLY_UNTIL_MS,
    PendingSend, Phase, PlanKept, PlannedFile, PolicyChange, PostQuantumProgress, Progress, Reader,
    Received, SendOptions, Session, password_only_accepted, plan_kept,
};
