//! The key directory as a transparency log.
//!
//! Every change to the directory (an organisation certified, a person certified, an
//! organisation key published, a person removed or a key suspended, the log's policy) is
//! one signed statement, appended to an append-only Merkle log (RFC 6962 hashing, C2SP
//! `tlog-checkpoint` checkpoints as C2SP `signed-note`s). The relay keeps the log and
//! signs checkpoints; independent witnesses cosign a checkpoint only if it extends the
//! last one they cosigned; clients accept a checkpoint only with the policy's quorum of
//! fresh cosignatures, check that the entries they are served are exactly the ones it
//! signs, and replay them into a [`Directory`] before using any key.
//!
//! No I/O: the relay, `pli witness` and the clients bring the bytes.

pub mod directory;
pub mod entry;
pub mod frontier;
mod hex;
pub mod monitor;
pub mod note;
pub mod witness;

pub use directory::{Directory, Mismatch, PolicyView};
pub use entry::Entry;
pub use frontier::Frontier;
pub use note::{VerifiedCheckpoint, verify_checkpoint};

/// What can go wrong reading the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An entry is not a directory statement.
    #[error("log entry: {0}")]
    Entry(&'static str),
    /// A checkpoint note is malformed or its signatures do not verify.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// Fewer witnesses cosigned than the policy requires.
    #[error("{got} witness cosignatures where the policy requires {need}")]
    Quorum {
        /// Valid cosignatures from distinct witnesses.
        got: usize,
        /// The policy's quorum.
        need: usize,
    },
    /// The witnesses' cosignatures are older than the policy allows.
    #[error("the witnesses last cosigned {age_s} s ago")]
    Stale {
        /// The age of the quorum's oldest cosignature.
        age_s: u64,
    },
}
