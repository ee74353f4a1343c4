//! The exchange envelope: the only plaintext the relay keeps about an exchange, signed by
//! the sender, binding the SHA-256 and size of every ciphertext object.

use pli_api::{ExchangeId, OrgId, UserId};

use crate::Error;
use crate::codec::{Canonical, Decoder, Domain, Encoder};
use crate::preview::MAX_SEALED_LEN;
use crate::sign::Fingerprint;

/// The most files one exchange carries.
pub const MAX_FILES: usize = 256;

/// How urgent an exchange is (the relay sees it and lists urgent ones first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    /// Routine.
    Normal,
    /// Urgent (a signalement about a child in danger).
    Urgent,
}

/// One ciphertext object: an age file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectRef {
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256.
    pub sha256: [u8; 32],
}

/// What the sender signs about an exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The exchange.
    pub exchange_id: ExchangeId,
    /// Who sent it.
    pub sender_user_id: UserId,
    /// The fingerprint of the signing key that signs this envelope.
    pub sender_key: Fingerprint,
    /// The sending organisation.
    pub sender_org_id: OrgId,
    /// The sending organisation's key generation the objects are also encrypted to (so the
    /// service can re-read what it sent), if any.
    pub sender_generation: Option<u32>,
    /// The receiving organisation.
    pub recipient_org_id: OrgId,
    /// The receiving organisation's key generation the objects are encrypted to.
    pub recipient_generation: u32,
    /// Normal or urgent.
    pub priority: Priority,
    /// When it was sent (milliseconds since the Unix epoch).
    pub created_at: u64,
    /// When it expires and is purged (milliseconds since the Unix epoch).
    pub expires_at: u64,
    /// The exchange this one answers, if any.
    pub in_reply_to: Option<ExchangeId>,
    /// The encrypted manifest.
    pub manifest: ObjectRef,
    /// The encrypted files, in the manifest's order.
    pub files: Vec<ObjectRef>,
    /// The sealed [`Preview`](crate::preview::Preview) lists show, encrypted to the
    /// manifest's keys (at most [`MAX_SEALED_LEN`] bytes); none in an envelope signed
    /// before previews existed, or completing a send resumed from a plan sealed before
    /// them (the relay accepts both). It is the last field and has no marker, so a field
    /// added after it needs a marker of its own (or a new format version).
    pub preview: Option<Vec<u8>>,
}

impl Envelope {
    /// Every object: the manifest first, then the files.
    pub fn objects(&self) -> impl Iterator<Item = &ObjectRef> {
        std::iter::once(&self.manifest).chain(&self.files)
    }
}

fn encode_object(e: &mut Encoder, object: &ObjectRef) {
    e.u64(object.size);
    e.fixed(&object.sha256);
}

fn decode_object(d: &mut Decoder<'_>) -> Result<ObjectRef, Error> {
    Ok(ObjectRef {
        size: d.u64()?,
        sha256: d.fixed::<32>()?,
    })
}

impl Canonical for Envelope {
    const DOMAIN: Domain = Domain::Envelope;

    fn encode_fields(&self, e: &mut Encoder) {
        e.id(&self.exchange_id);
        e.id(&self.sender_user_id);
        e.fixed(&self.sender_key.0);
        e.id(&self.sender_org_id);
        e.present(self.sender_generation.is_some());
        if let Some(generation) = self.sender_generation {
            e.u32(generation);
        }
        e.id(&self.recipient_org_id);
        e.u32(self.recipient_generation);
        e.u8(match self.priority {
            Priority::Normal => 0,
            Priority::Urgent => 1,
        });
        e.u64(self.created_at);
        e.u64(self.expires_at);
        e.present(self.in_reply_to.is_some());
        if let Some(id) = &self.in_reply_to {
            e.id(id);
        }
        e.check(
            self.manifest.size <= crate::manifest::MAX_SEALED_LEN,
            "manifest too large",
        );
        encode_object(e, &self.manifest);
        e.count(self.files.len(), MAX_FILES, "files");
        self.files.iter().for_each(|file| encode_object(e, file));
        // Last and without a marker, so that an envelope signed before previews existed
        // still decodes (and still encodes to the bytes that were signed).
        if let Some(preview) = &self.preview {
            e.bytes(preview, MAX_SEALED_LEN, "preview");
        }
    }

    fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
        let exchange_id = d.id()?;
        let sender_user_id = d.id()?;
        let sender_key = Fingerprint(d.fixed::<32>()?);
        let sender_org_id = d.id()?;
        let sender_generation = if d.present()? { Some(d.u32()?) } else { None };
        let recipient_org_id = d.id()?;
        let recipient_generation = d.u32()?;
        let priority = match d.u8()? {
            0 => Priority::Normal,
            1 => Priority::Urgent,
            _ => return Err(d.error("unknown priority")),
        };
        let created_at = d.u64()?;
        let expires_at = d.u64()?;
        if expires_at <= created_at {
            return Err(d.error("expires before it is created"));
        }
        let in_reply_to = if d.present()? { Some(d.id()?) } else { None };
        let manifest = decode_object(d)?;
        if manifest.size > crate::manifest::MAX_SEALED_LEN {
            return Err(d.error("manifest too large"));
        }
        let count = d.count(MAX_FILES, "files")?;
        if count == 0 {
            return Err(d.error("an exchange carries at least one file"));
        }
        let files = (0..count)
            .map(|_| decode_object(d))
            .collect::<Result<_, _>>()?;
        let preview = if d.at_end() {
            None
        } else {
            Some(d.bytes(MAX_SEALED_LEN, "preview")?.to_vec())
        };
        Ok(Self {
            exchange_id,
            sender_user_id,
            sender_key,
            sender_org_id,
            sender_generation,
            recipient_org_id,
            recipient_generation,
            priority,
            created_at,
            expires_at,
            in_reply_to,
            manifest,
            files,
            preview,
        })
    }
}
