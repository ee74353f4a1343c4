//! The exchange envelope: the only plaintext the relay keeps about an exchange, signed by
//! the sender, binding the SHA-256 and size of every ciphertext object.
//!
//! Two formats, both read ([`Hashing`]): format 1 (`pli/v1/envelope`) binds the SHA-256
//! of each object's whole ciphertext; format 2 (`pli/v2/envelope`, what clients sign
//! since December 2026) binds the SHA-256 of each object's [`PartList`]: the SHA-256 of
//! each of its parts, the very hashes every part's `Content-Digest` carries. The relay
//! checks each part's hash as it arrives, so it needs no second hash of the whole object,
//! and a sender hashes each part once (in the browser, with WebCrypto's native digest on
//! whole parts, where a streaming hash over the whole ciphertext runs in WebAssembly).

use pli_api::{ExchangeId, OrgId, UserId};
use sha2::{Digest as _, Sha256};

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

/// What an envelope's [`ObjectRef::sha256`] is the SHA-256 of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hashing {
    /// Format 1: of the object's whole ciphertext (envelopes signed before December
    /// 2026, and by older clients: still read and still accepted).
    Whole,
    /// Format 2: of the object's [`PartList`], its ciphertext cut in parts of
    /// `part_size` bytes (the last one shorter).
    Parts {
        /// The size of every part but the last, in bytes (the relay's, 16 MiB).
        part_size: u64,
    },
}

/// The smallest part size a [`Hashing::Parts`] envelope may declare.
pub const MIN_PART_SIZE: u64 = 64 * 1024;
/// The largest part size a [`Hashing::Parts`] envelope may declare: a recipient holds a
/// whole part before decrypting it, so a sender cannot make it hold more (the relay's
/// parts are 16 MiB).
pub const MAX_PART_SIZE: u64 = 64 << 20;
/// The most parts one object may have (4 TiB in parts of 16 MiB).
pub const MAX_PARTS: usize = 1 << 18;

/// Whether a [`Hashing::Parts`] envelope may declare parts of `part_size` bytes (from
/// [`MIN_PART_SIZE`] to [`MAX_PART_SIZE`]).
pub fn part_size_allowed(part_size: u64) -> bool {
    (MIN_PART_SIZE..=MAX_PART_SIZE).contains(&part_size)
}

impl Hashing {
    /// A hasher that computes, from an object's ciphertext fed in order, the [`ObjectRef`]
    /// an envelope of this format binds for it.
    pub fn hasher(self) -> ObjectHasher {
        match self {
            Self::Whole => ObjectHasher::Whole {
                hash: Sha256::new(),
                size: 0,
            },
            Self::Parts { part_size } => ObjectHasher::Parts(PartHasher::new(part_size)),
        }
    }
}

/// The SHA-256 of each part of one ciphertext object, in order: an envelope of format 2
/// binds its SHA-256 ([`ObjectRef::sha256`]). Encoded as `pli/v2/part-list`, then the part
/// size (`u64`), the object's size (`u64`) and the list of hashes; the count must be the
/// object's size divided by the part size, rounded up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartList {
    /// The size of every part but the last.
    pub part_size: u64,
    /// The object's size in bytes.
    pub size: u64,
    /// Each part's SHA-256, in order.
    pub parts: Vec<[u8; 32]>,
}

impl PartList {
    /// The reference an envelope of format 2 binds for this object: its size and this
    /// list's SHA-256. Refuses a list whose count does not match the sizes.
    pub fn object_ref(&self) -> Result<ObjectRef, Error> {
        Ok(ObjectRef {
            size: self.size,
            sha256: crate::sha256(&self.to_canonical()?),
        })
    }
}

/// How many parts of `part_size` bytes an object of `size` bytes has, if the part size
/// is one a format 2 envelope may declare.
fn part_count(part_size: u64, size: u64) -> Option<u64> {
    part_size_allowed(part_size).then(|| size.div_ceil(part_size))
}

impl Canonical for PartList {
    const DOMAIN: Domain = Domain::PartList;

    fn encode_fields(&self, e: &mut Encoder) {
        e.check(
            part_count(self.part_size, self.size) == Some(self.parts.len() as u64),
            "the part count does not match the sizes",
        );
        e.u64(self.part_size);
        e.u64(self.size);
        e.count(self.parts.len(), MAX_PARTS, "parts");
        self.parts.iter().for_each(|hash| e.fixed(hash));
    }

    fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
        let part_size = d.u64()?;
        let size = d.u64()?;
        let count = d.count(MAX_PARTS, "parts")?;
        if part_count(part_size, size) != Some(count as u64) {
            return Err(d.error("the part count does not match the sizes"));
        }
        let parts = (0..count)
            .map(|_| d.fixed::<32>())
            .collect::<Result<_, _>>()?;
        Ok(Self {
            part_size,
            size,
            parts,
        })
    }
}

/// Hashes a ciphertext object fed in order into the [`ObjectRef`] an envelope binds for
/// it, in either format ([`Hashing::hasher`]).
#[derive(Debug, Clone)]
pub enum ObjectHasher {
    /// Format 1: the whole ciphertext's SHA-256.
    Whole {
        /// The running hash.
        hash: Sha256,
        /// Bytes so far.
        size: u64,
    },
    /// Format 2: each part's SHA-256.
    Parts(PartHasher),
}

impl ObjectHasher {
    /// Hashes the next bytes of the object.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Whole { hash, size } => {
                hash.update(bytes);
                *size = size.saturating_add(bytes.len() as u64);
            }
            Self::Parts(parts) => parts.update(bytes),
        }
    }

    /// The object's reference, once every byte went through
    /// [`update`](Self::update).
    pub fn finish(self) -> Result<ObjectRef, Error> {
        match self {
            Self::Whole { hash, size } => Ok(ObjectRef {
                size,
                sha256: hash.finalize().into(),
            }),
            Self::Parts(mut parts) => {
                if parts.in_part > 0 {
                    parts.close_part();
                }
                parts.list.object_ref()
            }
        }
    }
}

/// The state of a format 2 [`ObjectHasher`]: the parts hashed so far and the one under
/// way.
#[derive(Debug, Clone)]
pub struct PartHasher {
    part_size: u64,
    in_part: u64,
    current: Sha256,
    list: PartList,
}

impl PartHasher {
    fn new(part_size: u64) -> Self {
        Self {
            part_size: part_size.max(1),
            in_part: 0,
            current: Sha256::new(),
            list: PartList {
                part_size,
                size: 0,
                parts: Vec::new(),
            },
        }
    }

    fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let room = usize::try_from(self.part_size - self.in_part)
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            let (head, rest) = bytes.split_at(room);
            self.current.update(head);
            self.in_part += head.len() as u64;
            self.list.size = self.list.size.saturating_add(head.len() as u64);
            if self.in_part == self.part_size {
                self.close_part();
            }
            bytes = rest;
        }
    }

    fn close_part(&mut self) {
        let hash = std::mem::take(&mut self.current).finalize().into();
        self.list.parts.push(hash);
        self.in_part = 0;
    }
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
    /// What each object's SHA-256 covers: the format of the envelope.
    pub hashing: Hashing,
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
    const LATER: Option<Domain> = Some(Domain::EnvelopeParts);

    fn domain(&self) -> Domain {
        match self.hashing {
            Hashing::Whole => Domain::Envelope,
            Hashing::Parts { .. } => Domain::EnvelopeParts,
        }
    }

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
        if let Hashing::Parts { part_size } = self.hashing {
            e.check(part_size_allowed(part_size), "part size out of range");
            e.u64(part_size);
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
        let hashing = if d.domain() == Domain::EnvelopeParts {
            let part_size = d.u64()?;
            if !part_size_allowed(part_size) {
                return Err(d.error("part size out of range"));
            }
            Hashing::Parts { part_size }
        } else {
            Hashing::Whole
        };
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
            hashing,
            manifest,
            files,
            preview,
        })
    }
}
