//! Exchanges: creation, upload progress, completion, lists, details, receipts.

use serde::{Deserialize, Serialize};

use super::CertificateChain;

use crate::{ExchangeId, ExchangeState, OrgId, SignedObject, UserId};

/// `POST /api/exchanges` (with an `Idempotency-Key` header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateExchange {
    /// The receiving organisation.
    pub recipient_org_id: OrgId,
    /// Its key generation the objects are encrypted to.
    pub recipient_generation: u32,
    /// The sender organisation's key generation the objects are also encrypted to.
    #[serde(default)]
    pub sender_generation: Option<u32>,
    /// Urgent?
    #[serde(default)]
    pub urgent: bool,
    /// Ciphertext sizes: the manifest's first, then each file's.
    pub sizes: Vec<u64>,
    /// The exchange this answers.
    #[serde(default)]
    pub in_reply_to: Option<ExchangeId>,
}

/// The exchange created (or found again by its Idempotency-Key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeCreated {
    /// Id, to put in the envelope.
    pub exchange_id: ExchangeId,
    /// Creation time, to put in the envelope.
    pub created_at: u64,
    /// Expiry, to put in the envelope.
    pub expires_at: u64,
    /// Bytes per part (all parts full but each object's last).
    pub part_size: u64,
    /// Upload progress.
    pub objects: Vec<ObjectProgress>,
}

/// One object's upload progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectProgress {
    /// 0 for the manifest.
    pub idx: u32,
    /// Declared size.
    pub size: u64,
    /// Number of parts.
    pub part_count: u32,
    /// Parts stored (the next to send is this one).
    pub parts_stored: u32,
}

/// `GET /api/exchanges/{id}/objects/{idx}/parts`: the SHA-256 the relay checked each part
/// of a delivered object against as it arrived. A recipient checks this list against the
/// object's reference in a format 2 envelope (`pli_crypto::envelope::PartList`), then
/// each part of the download against it before decrypting any of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartHashes {
    /// The size of every part but the last.
    pub part_size: u64,
    /// Each part's SHA-256 in order, end to end (32 bytes each).
    pub sha256: crate::Base64,
}

/// `POST /api/exchanges/{id}/complete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompleteExchange {
    /// The envelope, signed by the sender.
    pub envelope: SignedObject,
}

/// An exchange as listed and described.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeSummary {
    /// Id.
    pub exchange_id: ExchangeId,
    /// Sending organisation.
    pub sender_org_id: OrgId,
    /// Sender.
    pub sender_user_id: UserId,
    /// Receiving organisation.
    pub recipient_org_id: OrgId,
    /// Where it stands.
    pub state: ExchangeState,
    /// Urgent?
    pub urgent: bool,
    /// Number of files (objects minus the manifest).
    pub file_count: u32,
    /// Ciphertext bytes.
    pub total_size: u64,
    /// Creation time.
    pub created_at: u64,
    /// Delivery time.
    pub delivered_at: Option<u64>,
    /// Expiry.
    pub expires_at: u64,
    /// First read receipt's time.
    pub first_read_at: Option<u64>,
    /// The exchange this answers.
    pub in_reply_to: Option<ExchangeId>,
    /// The signed envelope, once delivered: it carries the sealed preview a list shows
    /// (subject, category, case reference, plaintext size), which only the two
    /// organisations' members can read and the sender's signature vouches for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<SignedObject>,
}

/// A page of exchanges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangePage {
    /// Urgent first, newest first.
    pub exchanges: Vec<ExchangeSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// The certificate chain of each sender of a delivered row, once each: what verifies
    /// the envelopes (and so the previews) of the page.
    #[serde(default)]
    pub senders: Vec<CertificateChain>,
}

/// An exchange with what a party needs to verify and open it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeDetail {
    /// The listing fields, with the signed envelope once delivered.
    pub summary: ExchangeSummary,
    /// The sender's certificate chain (to verify the envelope).
    pub sender: Option<CertificateChain>,
    /// Read receipts, each with its reader's certificate chain.
    pub receipts: Vec<ReceiptEntry>,
}

/// One read receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptEntry {
    /// The reader.
    pub user_id: UserId,
    /// The signed receipt.
    pub receipt: SignedObject,
    /// The reader's certificate chain.
    pub reader: Option<CertificateChain>,
}

/// `POST /api/exchanges/{id}/receipts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostReceipt {
    /// The signed receipt.
    pub receipt: SignedObject,
}

/// The query of the inbox and outbox: `?cursor=&limit=&urgent=&unread=&counterpart=`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeQuery {
    /// Where the previous page ended ([`ExchangePage::next_cursor`]).
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size.
    #[serde(default)]
    pub limit: Option<u32>,
    /// Only urgent (or only not urgent) exchanges.
    #[serde(default)]
    pub urgent: Option<bool>,
    /// Only unread (or only read) exchanges.
    #[serde(default)]
    pub unread: Option<bool>,
    /// Only exchanges with this organisation.
    #[serde(default)]
    pub counterpart: Option<OrgId>,
}
