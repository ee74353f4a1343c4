//! What the page and the worker say to each other.
//!
//! A request is a JavaScript object `{ id, op, args, files? }` where `args` is JSON and
//! `files` an array of `File`s; the worker answers with objects `{ id, kind, data?,
//! bytes? }`: `progress` (JSON [`ProgressReport`]), `chunk` (an `ArrayBuffer` of a file
//! being saved, transferred, acknowledged by the page with an `ack` request so that at
//! most [`WINDOW`] bytes are in flight), then exactly one `ok` (JSON result) or `err`
//! (JSON [`WorkerError`]). A `cancel` request (`args` `{"id": n}`) aborts the `send`
//! request `n`, which then answers `err` with the code `cancelled` after asking the relay
//! to delete the upload it had begun. A `stop_download` message (answered by nothing, like
//! `ack`) makes the `download` request of the same id end with an error at its next
//! chunk: the page could not write the file, or the person cancelled.

use pli_api::{ErrorCode, OrgKind};
use serde::{Deserialize, Serialize};

/// Bytes of decrypted file in flight between the worker and the page at most.
pub const WINDOW: u64 = 8 * 1024 * 1024;

/// A failure, with a stable code the interface translates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerError {
    /// The relay's error code, or one the worker or the page raised itself.
    pub code: ErrorCode,
    /// Details in English (for the console and bug reports).
    pub detail: String,
}

impl WorkerError {
    /// A local error.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }
}

impl From<pli_client::ClientError> for WorkerError {
    fn from(error: pli_client::ClientError) -> Self {
        Self {
            code: error.code(),
            detail: error.to_string(),
        }
    }
}

/// Where a long step stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressReport {
    /// `encrypt`, `upload`, `download`, `derive`.
    pub phase: String,
    /// Bytes done.
    pub done: u64,
    /// Bytes in all.
    pub total: u64,
    /// Milliseconds spent on this step so far (see `pli_client::Progress`); the page
    /// shows it to `cargo xtask bench web` as the progress bar's `data-busy-ms`.
    #[serde(default)]
    pub busy_ms: u64,
    /// Phase `plan`: the sealed plan of the send (base64), to keep until it ends and to
    /// resume it with after a reload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
}

/// An interrupted send, as the worker read its sealed plan (op `pending`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The exchange being uploaded.
    pub exchange_id: pli_api::ExchangeId,
    /// Its recipient.
    pub recipient: pli_api::OrgId,
    /// Its subject.
    pub subject: String,
    /// Its files, to pick again.
    pub files: Vec<PendingFile>,
}

/// A file of an interrupted send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingFile {
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

/// An organisation one can send to, as verified by the worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// Id.
    pub org_id: pli_api::OrgId,
    /// Certified name.
    pub name: String,
    /// Court or Département.
    pub kind: OrgKind,
    /// Key generation.
    pub generation: Option<u32>,
    /// Key fingerprint, to compare out of band.
    pub fingerprint: Option<String>,
    /// Why it cannot be used, if it cannot (no key, suspended, or a key that does not
    /// verify).
    pub problem: Option<ErrorCode>,
}

/// An opened exchange, as the interface shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opened {
    /// The relay's description.
    pub summary: pli_api::messages::ExchangeSummary,
    /// Verified sender's name.
    pub sender_name: String,
    /// Verified sender's organisation id.
    pub sender_org_id: pli_api::OrgId,
    /// Sender's signing key fingerprint.
    pub sender_fingerprint: String,
    /// Category code: `signalement`, `rapport`, `decision`, `demande_evaluation`, `autre`.
    pub category: String,
    /// Subject.
    pub subject: String,
    /// Message.
    pub message: String,
    /// Case reference.
    pub case_reference: String,
    /// The files.
    pub files: Vec<OpenedFile>,
    /// Verified read receipts.
    pub receipts: Vec<ReadBy>,
}

/// One file of an opened exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedFile {
    /// Name as sent (sanitised before saving).
    pub name: String,
    /// Plaintext size.
    pub size: u64,
    /// Media type.
    pub media_type: String,
}

/// Who read an exchange, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadBy {
    /// The reader's certified name.
    pub name: String,
    /// Their organisation.
    pub org_id: pli_api::OrgId,
    /// When (ms since the Unix epoch), as they signed it.
    pub read_at: u64,
}

/// Fingerprints to compare out of band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprints {
    /// My signing key.
    pub signing: String,
    /// My encryption key.
    pub encryption: String,
    /// The platform root.
    pub root: String,
}
