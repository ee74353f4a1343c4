//! The worker's answers about receiving: opening an exchange (its keys stay here, for the
//! downloads and the receipt) and acknowledging it.

use pli_api::ErrorCode;
use pli_api::ExchangeId;
use pli_client::Received;

use super::{answer, session, with_state};
use crate::protocol::{Acknowledge, Open, Opened, OpenedFile, ReadBy, WorkerError};

/// Opens an exchange (verifying it) and keeps it for its downloads.
pub(super) async fn open(r: Open) -> Result<String, WorkerError> {
    let session = session()?;
    let received = session.open(&r.exchange_id).await?;
    // Opening verified the sender to the root already; a log that cannot be verified
    // now leaves out the note that their keys were renewed, not the exchange.
    let renewed = session.sender_keys_renewed(&received).await.ok().flatten();
    let opened = opened(&received, renewed);
    with_state(|s| s.opened.insert(r.exchange_id, received))?;
    answer(&r, &opened)
}

/// Signs and posts the read receipt of an opened exchange.
pub(super) async fn acknowledge(r: Acknowledge) -> Result<String, WorkerError> {
    let received = opened_exchange(&r.exchange_id)?;
    session()?.acknowledge(&received).await?;
    answer(&r, &())
}

/// An exchange this worker opened (its keys stay here, for downloads and receipts).
pub(super) fn opened_exchange(id: &ExchangeId) -> Result<Received, WorkerError> {
    with_state(|s| s.opened.get(id).cloned())?
        .ok_or_else(|| WorkerError::new(ErrorCode::BadRequest, "open the exchange first"))
}

/// An opened exchange, as the page shows it.
fn opened(received: &Received, sender_keys_renewed_at: Option<u64>) -> Opened {
    Opened {
        summary: received.detail.summary.clone(),
        sender_name: received.exchange.sender.display_name.clone(),
        sender_org_id: received.exchange.sender.org_id,
        sender_fingerprint: received
            .exchange
            .sender
            .signing_key
            .fingerprint()
            .to_string(),
        sender_service: received.exchange.sender.service,
        sender_keys_renewed_at,
        category: received.manifest.category,
        subject: received.manifest.subject.clone(),
        message: received.manifest.message.clone(),
        case_reference: received.manifest.case_reference.clone(),
        files: received
            .manifest
            .files
            .iter()
            .map(|f| OpenedFile {
                name: f.name.clone(),
                size: f.size,
                media_type: f.media_type.clone(),
            })
            .collect(),
        receipts: received
            .receipts
            .iter()
            .map(|r| ReadBy {
                name: r.reader.display_name.clone(),
                org_id: r.reader.org_id,
                read_at: r.receipt.read_at,
                service: r.reader.service,
            })
            .collect(),
    }
}
