//! The sealed plan of a send: what finishing an upload needs once the exchange exists
//! (the encryption seeds, the manifest's and envelope's fields), sealed to the sender's
//! own key and handed to the caller, so that a send cut off by a reload or a crash can be
//! resumed ([`super::Session::resume_send`]) or abandoned.

use pli_api::{Base64, ExchangeId, OrgId, UserId};
use pli_crypto::age::EncryptionSeed;
use pli_crypto::manifest::{Category, FileEntry, Manifest};
use serde::{Deserialize, Serialize};

use crate::ClientError;

/// What finishing an upload needs, once the exchange is created: sealed to the sender's
/// own key, it is the only thing a caller keeps to resume after a restart.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Plan {
    /// 1.
    pub(super) version: u8,
    /// The sender (a plan is refused in anyone else's session).
    pub(super) user_id: UserId,
    pub(super) exchange_id: ExchangeId,
    pub(super) created_at: u64,
    pub(super) expires_at: u64,
    pub(super) part_size: u64,
    pub(super) recipient_org_id: OrgId,
    pub(super) recipient_generation: u32,
    pub(super) sender_generation: Option<u32>,
    /// Index in [`Category::ALL`].
    pub(super) category: u8,
    pub(super) subject: String,
    pub(super) message: String,
    pub(super) case_reference: String,
    pub(super) urgent: bool,
    pub(super) in_reply_to: Option<ExchangeId>,
    pub(super) files: Vec<PlannedFile>,
    /// One [`EncryptionSeed`] per object: the manifest's first, then each file's.
    pub(super) seeds: Vec<Base64>,
}

impl Drop for Plan {
    fn drop(&mut self) {
        for seed in &mut self.seeds {
            zeroize::Zeroize::zeroize(&mut seed.0);
        }
    }
}

/// A file of an interrupted send.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedFile {
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type.
    pub media_type: String,
}

impl std::fmt::Debug for PlannedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlannedFile")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// What the sealed plan of an interrupted send says, for the person deciding to resume
/// or abandon it.
#[derive(Clone)]
pub struct PendingSend {
    /// The exchange being uploaded.
    pub exchange_id: ExchangeId,
    /// Its recipient.
    pub recipient_org_id: OrgId,
    /// Its subject.
    pub subject: String,
    /// Its files, in order: the same ones must be picked again.
    pub files: Vec<PlannedFile>,
}

impl std::fmt::Debug for PendingSend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSend")
            .field("exchange_id", &self.exchange_id)
            .finish_non_exhaustive()
    }
}

impl Plan {
    /// The manifest, with the files' plaintext hashes (zeros where not known yet).
    pub(super) fn manifest(&self, hashes: &[[u8; 32]]) -> Result<Manifest, ClientError> {
        let category = Category::ALL
            .get(usize::from(self.category))
            .copied()
            .ok_or_else(|| ClientError::verification("unknown category"))?;
        Ok(Manifest {
            exchange_id: self.exchange_id,
            category,
            subject: self.subject.clone(),
            message: self.message.clone(),
            case_reference: self.case_reference.clone(),
            files: self
                .files
                .iter()
                .enumerate()
                .map(|(i, f)| FileEntry {
                    name: f.name.clone(),
                    size: f.size,
                    media_type: f.media_type.clone(),
                    sha256: hashes.get(i).copied().unwrap_or([0; 32]),
                })
                .collect(),
        })
    }

    pub(super) fn seed(&self, index: usize) -> Result<EncryptionSeed, ClientError> {
        let bytes = self
            .seeds
            .get(index)
            .ok_or_else(|| ClientError::verification("this interrupted send is damaged"))?;
        Ok(EncryptionSeed::from_bytes(&bytes.0)?)
    }
}
