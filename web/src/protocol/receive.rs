//! The payloads of receiving: the inbox and outbox pages, the organisations' certified
//! names, opening, acknowledging and downloading an exchange, with the views of an opened
//! exchange the worker answers.

use pli_api::messages::ExchangeQuery;
use pli_api::{Category, ExchangeId};
use serde::{Deserialize, Serialize};

/// A page of the inbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inbox {
    /// Which exchanges.
    pub query: ExchangeQuery,
}

/// A page of the outbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outbox {
    /// Which exchanges.
    pub query: ExchangeQuery,
}

/// No arguments: the certified names of the directory's organisations.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrgNames;

/// An exchange to describe.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExchangeOf {
    /// Its id.
    pub id: ExchangeId,
}

/// An exchange to open.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Open {
    /// Its id.
    pub exchange_id: ExchangeId,
}

/// An opened exchange to acknowledge.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Acknowledge {
    /// Its id.
    pub exchange_id: ExchangeId,
}

/// A file of an opened exchange to decrypt.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Download {
    /// The exchange.
    pub exchange_id: ExchangeId,
    /// The file's index in its manifest.
    pub index: usize,
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
    /// The sender is a service account (a program, not a person), as its signed
    /// certificate says.
    #[serde(default)]
    pub sender_service: bool,
    /// When the keys that signed it replaced earlier keys of the sender (a reset), if
    /// that was recent (`pli_client::protocol::keys_renewed`).
    #[serde(default)]
    pub sender_keys_renewed_at: Option<u64>,
    /// Category.
    pub category: Category,
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
    /// The reader is a service account (a program acknowledged it), as their verified
    /// certificate says.
    pub service: bool,
}
