//! The manifest: what an exchange says and carries (subject, message, category, case
//! reference, and each file's name, size, media type and plaintext SHA-256). It travels
//! only as an age object, encrypted like the files.

use pli_api::ExchangeId;

use crate::Error;
use crate::codec::{Canonical, Decoder, Domain, Encoder};
use crate::envelope::MAX_FILES;

/// Longest subject, in bytes of UTF-8.
pub const MAX_SUBJECT_LEN: usize = 500;
/// Longest message, in bytes of UTF-8.
pub const MAX_MESSAGE_LEN: usize = 50_000;
/// Longest case reference, in bytes of UTF-8.
pub const MAX_CASE_REFERENCE_LEN: usize = 100;
/// Longest file name, in bytes of UTF-8.
pub const MAX_FILE_NAME_LEN: usize = 255;
/// Longest media type, in bytes.
pub const MAX_MEDIA_TYPE_LEN: usize = 127;
/// The largest sealed manifest anyone makes, stores or reads (1 MiB): the longest
/// canonical manifest (about 180 kB: the message, 256 files with the longest names and
/// media types) sealed to a handful of recipients fits several times over, so a sender
/// (or a relay) declaring or streaming more is refused before anything is read.
pub const MAX_SEALED_LEN: u64 = 1 << 20;

// The vocabulary is pli-api's; its canonical encoding, a byte, is this module's.
pub use pli_api::Category;

/// A category's canonical byte (shared with the preview).
pub(crate) fn encode_category(e: &mut Encoder, category: Category) {
    e.u8(match category {
        Category::Signalement => 1,
        Category::Rapport => 2,
        Category::Decision => 3,
        Category::DemandeEvaluation => 4,
        Category::Autre => 5,
    });
}

/// A category from its canonical byte.
pub(crate) fn decode_category(d: &mut Decoder<'_>) -> Result<Category, Error> {
    Ok(match d.u8()? {
        1 => Category::Signalement,
        2 => Category::Rapport,
        3 => Category::Decision,
        4 => Category::DemandeEvaluation,
        5 => Category::Autre,
        _ => return Err(d.error("unknown category")),
    })
}

/// One file of an exchange, as the sender described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// The file's name as the sender had it (sanitised by the receiving client on save).
    pub name: String,
    /// Plaintext size in bytes.
    pub size: u64,
    /// The media type the sender's browser reported (`application/pdf`, …).
    pub media_type: String,
    /// SHA-256 of the plaintext.
    pub sha256: [u8; 32],
}

/// The encrypted description of an exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The exchange it belongs to.
    pub exchange_id: ExchangeId,
    /// Category.
    pub category: Category,
    /// Subject line.
    pub subject: String,
    /// Free text.
    pub message: String,
    /// The case reference (numéro de dossier), possibly empty.
    pub case_reference: String,
    /// The files, in the envelope's order.
    pub files: Vec<FileEntry>,
}

impl Canonical for Manifest {
    const DOMAIN: Domain = Domain::Manifest;

    fn encode_fields(&self, e: &mut Encoder) {
        e.id(&self.exchange_id);
        encode_category(e, self.category);
        e.str(&self.subject, MAX_SUBJECT_LEN, "subject");
        e.str(&self.message, MAX_MESSAGE_LEN, "message");
        e.str(
            &self.case_reference,
            MAX_CASE_REFERENCE_LEN,
            "case reference",
        );
        e.count(self.files.len(), MAX_FILES, "files");
        for file in &self.files {
            e.str(&file.name, MAX_FILE_NAME_LEN, "file name");
            e.u64(file.size);
            e.str(&file.media_type, MAX_MEDIA_TYPE_LEN, "media type");
            e.fixed(&file.sha256);
        }
    }

    fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
        let exchange_id = d.id()?;
        let category = decode_category(d)?;
        let subject = d.str(MAX_SUBJECT_LEN, "subject")?;
        let message = d.str(MAX_MESSAGE_LEN, "message")?;
        let case_reference = d.str(MAX_CASE_REFERENCE_LEN, "case reference")?;
        let count = d.count(MAX_FILES, "files")?;
        let files = (0..count)
            .map(|_| {
                Ok(FileEntry {
                    name: d.str(MAX_FILE_NAME_LEN, "file name")?,
                    size: d.u64()?,
                    media_type: d.str(MAX_MEDIA_TYPE_LEN, "media type")?,
                    sha256: d.fixed::<32>()?,
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok(Self {
            exchange_id,
            category,
            subject,
            message,
            case_reference,
            files,
        })
    }
}

#[cfg(feature = "secret")]
impl Manifest {
    /// Encrypts the manifest to `recipients` (the recipient organisation's key and, by
    /// default, the sender organisation's). They may mix post-quantum and X25519 keys
    /// (an exchange between an organisation that has moved to post-quantum keys and one
    /// that has not: [`EncryptionSeed::new_allowing_mix`](crate::age::EncryptionSeed::new_allowing_mix)).
    pub fn seal<R: Clone + Into<crate::age::AnyRecipient>>(
        &self,
        recipients: &[R],
    ) -> Result<(Vec<u8>, crate::age::EncryptSummary), Error> {
        crate::age::encrypt_to_vec_allowing_mix(recipients, &self.to_canonical()?)
    }

    /// Decrypts and decodes a manifest.
    pub fn open<I: Clone + Into<crate::age::AnyIdentity>>(
        identities: &[I],
        ciphertext: &[u8],
    ) -> Result<Self, Error> {
        let plaintext =
            zeroize::Zeroizing::new(crate::age::decrypt_to_vec(identities, ciphertext)?);
        Self::from_canonical(&plaintext)
    }
}
