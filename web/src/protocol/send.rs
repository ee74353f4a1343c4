//! The payloads of sending: the verified recipients, a new exchange, and an interrupted
//! send's sealed plan (read, resumed or abandoned), with the views the worker answers.

use pli_api::{Category, ErrorCode, ExchangeId, OrgId, OrgKind};
use serde::{Deserialize, Serialize};

/// No arguments: the verified recipients.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recipients;

/// A new exchange (its files go alongside the request).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendExchange {
    /// The recipient organisation.
    pub recipient: OrgId,
    /// Category.
    pub category: Category,
    /// Subject.
    pub subject: String,
    /// Message.
    pub message: String,
    /// Case reference.
    pub case_reference: String,
    /// Urgent.
    pub urgent: bool,
    /// The exchange this one answers.
    pub in_reply_to: Option<ExchangeId>,
}

/// A sealed plan (base64) to read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadPlan {
    /// The plan.
    pub plan: String,
}

/// A sealed plan (base64) to resume (its files go alongside the request).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resume {
    /// The plan.
    pub plan: String,
}

/// A sealed plan (base64) to erase from the relay.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Abandon {
    /// The plan.
    pub plan: String,
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
    /// How many of the log's entries about it were refused (signed by nobody entitled).
    pub refused_in_log: usize,
}
