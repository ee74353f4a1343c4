//! The preview: what a list shows of an exchange before it is opened (category, subject,
//! case reference, the files' plaintext size), so that a clerk can tell thirty plis apart
//! without opening each one (which signs a read receipt).
//!
//! It is a copy of the manifest's first fields, encrypted to the same keys (the recipient
//! organisation's and, by default, the sender organisation's) and carried *inside* the
//! signed envelope: the relay keeps it with the envelope and serves it with each listed
//! row, it cannot read it, and it cannot swap or forge one — age alone does not say who
//! encrypted (anyone holding the public key can), the sender's signature over the
//! envelope does. The preview names its exchange as well, so a preview copied into
//! another envelope by its own sender is refused too.

use pli_api::ExchangeId;

use crate::Error;
use crate::codec::{Canonical, Decoder, Domain, Encoder};
use crate::manifest::{
    Category, MAX_CASE_REFERENCE_LEN, MAX_SUBJECT_LEN, decode_category, encode_category,
};

/// The longest sealed preview an envelope carries, in bytes: the plaintext
/// ([`PADDED_LEN`]) with an age header for a few recipients, with room for larger
/// (post-quantum) stanzas.
pub const MAX_SEALED_LEN: usize = 8 * 1024;

/// Every preview's encoding is padded with zeros to exactly this many bytes, so that its
/// ciphertext's length tells the relay nothing of the subject's or the case reference's:
/// the longest subject and case reference fill it.
pub const PADDED_LEN: usize = 656;

/// The encoding's length without the padding's bytes (its length prefix included).
fn unpadded_len(subject: &str, case_reference: &str) -> usize {
    Domain::Preview.prefix().len() + 16 + 1 + 4 + subject.len() + 4 + case_reference.len() + 8 + 4
}

/// The listed description of an exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The exchange it belongs to.
    pub exchange_id: ExchangeId,
    /// Category.
    pub category: Category,
    /// Subject line.
    pub subject: String,
    /// The case reference (numéro de dossier), possibly empty.
    pub case_reference: String,
    /// The files' plaintext sizes added up, in bytes.
    pub size: u64,
}

impl Canonical for Preview {
    const DOMAIN: Domain = Domain::Preview;

    fn encode_fields(&self, e: &mut Encoder) {
        e.id(&self.exchange_id);
        encode_category(e, self.category);
        e.str(&self.subject, MAX_SUBJECT_LEN, "subject");
        e.str(
            &self.case_reference,
            MAX_CASE_REFERENCE_LEN,
            "case reference",
        );
        e.u64(self.size);
        let padding = PADDED_LEN.saturating_sub(unpadded_len(&self.subject, &self.case_reference));
        e.bytes(&vec![0; padding], PADDED_LEN, "padding");
    }

    fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
        let preview = Self {
            exchange_id: d.id()?,
            category: decode_category(d)?,
            subject: d.str(MAX_SUBJECT_LEN, "subject")?,
            case_reference: d.str(MAX_CASE_REFERENCE_LEN, "case reference")?,
            size: d.u64()?,
        };
        let padding = d.bytes(PADDED_LEN, "padding")?;
        let expected =
            PADDED_LEN.saturating_sub(unpadded_len(&preview.subject, &preview.case_reference));
        if padding.len() != expected || padding.iter().any(|b| *b != 0) {
            return Err(d.error("the padding is not the zeros it must be"));
        }
        Ok(preview)
    }
}

#[cfg(feature = "secret")]
impl Preview {
    /// Encrypts the preview to `recipients` (the manifest's).
    pub fn seal<R: Clone + Into<crate::age::AnyRecipient>>(
        &self,
        recipients: &[R],
    ) -> Result<Vec<u8>, Error> {
        let (sealed, _) =
            crate::age::encrypt_to_vec_allowing_mix(recipients, &self.to_canonical()?)?;
        if sealed.len() > MAX_SEALED_LEN {
            return Err(Error::OutOfRange("preview"));
        }
        Ok(sealed)
    }

    /// Decrypts and decodes a preview.
    pub fn open<I: Clone + Into<crate::age::AnyIdentity>>(
        identities: &[I],
        sealed: &[u8],
    ) -> Result<Self, Error> {
        if sealed.len() > MAX_SEALED_LEN {
            return Err(Error::OutOfRange("preview"));
        }
        let plaintext = zeroize::Zeroizing::new(crate::age::decrypt_to_vec(identities, sealed)?);
        Self::from_canonical(&plaintext)
    }
}
