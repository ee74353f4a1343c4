//! The read receipt: the reader signs that they opened an exchange, naming the envelope
//! by the SHA-256 of its signed bytes.

use pli_api::{ExchangeId, OrgId, UserId};

use crate::Error;
use crate::codec::{Canonical, Decoder, Domain, Encoder};
use crate::sign::Fingerprint;

/// What a reader signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The exchange read.
    pub exchange_id: ExchangeId,
    /// SHA-256 of the envelope's signed bytes, as the reader verified it.
    pub envelope_sha256: [u8; 32],
    /// Who read it.
    pub reader_user_id: UserId,
    /// The fingerprint of the signing key that signs this receipt.
    pub reader_key: Fingerprint,
    /// The reader's organisation.
    pub reader_org_id: OrgId,
    /// When (milliseconds since the Unix epoch).
    pub read_at: u64,
}

impl Canonical for Receipt {
    const DOMAIN: Domain = Domain::Receipt;

    fn encode_fields(&self, e: &mut Encoder) {
        e.id(&self.exchange_id);
        e.fixed(&self.envelope_sha256);
        e.id(&self.reader_user_id);
        e.fixed(&self.reader_key.0);
        e.id(&self.reader_org_id);
        e.u64(self.read_at);
    }

    fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
        Ok(Self {
            exchange_id: d.id()?,
            envelope_sha256: d.fixed::<32>()?,
            reader_user_id: d.id()?,
            reader_key: Fingerprint(d.fixed::<32>()?),
            reader_org_id: d.id()?,
            read_at: d.u64()?,
        })
    }
}
