//! The protocol's rules, as pure functions: what a client must verify before it encrypts
//! to a key, before it shows an exchange as coming from its sender, before it shows a
//! receipt. Shared by the CLI, the tests and (compiled to WebAssembly) the web app.

use pli_api::messages::{CertificateChain, DirectoryOrg, ExchangeDetail, ReceiptEntry};
use pli_api::{ExchangeId, OrgId};
use pli_crypto::age::Recipient;
use pli_crypto::cert::{OrgCertificate, OrgKeyCertificate, TrustRoot, UserCertificate};
use pli_crypto::envelope::Envelope;
use pli_crypto::receipt::Receipt;
use pli_crypto::sign::{Fingerprint, Signed};

use crate::ClientError;

fn signed<T>(wire: &pli_api::SignedObject) -> Result<Signed<T>, ClientError> {
    Signed::from_wire(wire).map_err(ClientError::from)
}

/// An organisation key a client may encrypt to: certified up to the pinned root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedOrgKey {
    /// The organisation, as certified by the root.
    pub org: OrgCertificate,
    /// Its key generation, as certified by one of its admins.
    pub key: OrgKeyCertificate,
}

impl VerifiedOrgKey {
    /// The key to encrypt to.
    pub fn recipient(&self) -> Recipient {
        self.key.public_key
    }

    /// The key's fingerprint, to compare out of band.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of_recipient(&self.key.public_key)
    }
}

/// Verifies a directory entry to the root: the organisation's certificate, its key's,
/// and the issuing admin's. Refuses a suspended key, and a generation lower than
/// `at_least` (a relay rolling a key back).
pub fn verify_directory_org(
    root: &TrustRoot,
    entry: &DirectoryOrg,
    at_least: u32,
) -> Result<VerifiedOrgKey, ClientError> {
    let key = entry.key.as_ref().ok_or(ClientError::NoKey)?;
    let (org, cert) = root
        .verify_org_key(
            &signed(&entry.certificate)?,
            &signed(&key.certificate)?,
            &signed(&key.issuer_certificate)?,
        )
        .map_err(|e| {
            ClientError::verification(format!("the organisation's key does not verify: {e}"))
        })?;
    if org.org_id != entry.org_id || cert.generation != key.generation {
        return Err(ClientError::verification(
            "the directory entry does not match its certificates",
        ));
    }
    if key.suspended {
        return Err(ClientError::KeySuspended);
    }
    if cert.generation < at_least {
        return Err(ClientError::verification(format!(
            "the relay serves key generation {} but generation {at_least} was seen before: refusing a rolled-back key",
            cert.generation
        )));
    }
    Ok(VerifiedOrgKey { org, key: cert })
}

/// Verifies a person's certificate chain to the root.
pub fn verify_chain(
    root: &TrustRoot,
    chain: &CertificateChain,
) -> Result<UserCertificate, ClientError> {
    let issuer = chain
        .issuer
        .as_ref()
        .map(signed::<UserCertificate>)
        .transpose()?;
    root.verify_user(&signed(&chain.certificate)?, issuer.as_ref())
        .map_err(|e| ClientError::verification(format!("the certificate does not verify: {e}")))
}

/// An exchange whose envelope verified: the sender is who the certificate says.
#[derive(Debug, Clone)]
pub struct VerifiedExchange {
    /// The envelope as signed.
    pub signed: Signed<Envelope>,
    /// Its content.
    pub envelope: Envelope,
    /// The sender, certified to the root.
    pub sender: UserCertificate,
}

/// Verifies an exchange's envelope: the sender's certificate to the root, the signature,
/// and that the envelope names this exchange and this sender.
pub fn verify_exchange(
    root: &TrustRoot,
    id: &ExchangeId,
    detail: &ExchangeDetail,
) -> Result<VerifiedExchange, ClientError> {
    let wire = detail
        .envelope
        .as_ref()
        .ok_or_else(|| ClientError::verification("the exchange is not delivered"))?;
    let chain = detail
        .sender
        .as_ref()
        .ok_or_else(|| ClientError::verification("the sender's certificate is missing"))?;
    let sender = verify_chain(root, chain)?;
    let signed = signed::<Envelope>(wire)?;
    let envelope = signed.verify(&sender.signing_key).map_err(|e| {
        ClientError::verification(format!("the envelope's signature does not verify: {e}"))
    })?;
    let consistent = envelope.exchange_id == *id
        && envelope.sender_user_id == sender.user_id
        && envelope.sender_org_id == sender.org_id
        && envelope.sender_key == sender.signing_key.fingerprint()
        && detail.summary.exchange_id == *id
        && detail.summary.sender_org_id == envelope.sender_org_id
        && detail.summary.recipient_org_id == envelope.recipient_org_id;
    if !consistent {
        return Err(ClientError::verification(
            "the envelope does not describe this exchange or its sender",
        ));
    }
    Ok(VerifiedExchange {
        signed,
        envelope,
        sender,
    })
}

/// A read receipt that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReceipt {
    /// What the reader signed.
    pub receipt: Receipt,
    /// The reader, certified to the root.
    pub reader: UserCertificate,
}

/// Verifies a read receipt against the envelope it must name.
pub fn verify_receipt(
    root: &TrustRoot,
    exchange: &VerifiedExchange,
    entry: &ReceiptEntry,
) -> Result<VerifiedReceipt, ClientError> {
    let chain = entry
        .reader
        .as_ref()
        .ok_or_else(|| ClientError::verification("the reader's certificate is missing"))?;
    let reader = verify_chain(root, chain)?;
    let receipt = signed::<Receipt>(&entry.receipt)?
        .verify(&reader.signing_key)
        .map_err(|e| {
            ClientError::verification(format!("the receipt's signature does not verify: {e}"))
        })?;
    let consistent = receipt.exchange_id == exchange.envelope.exchange_id
        && receipt.envelope_sha256 == exchange.signed.sha256()
        && receipt.reader_user_id == reader.user_id
        && receipt.reader_key == reader.signing_key.fingerprint()
        && receipt.reader_org_id == reader.org_id
        && reader.org_id == exchange.envelope.recipient_org_id;
    if !consistent {
        return Err(ClientError::verification(
            "the receipt does not name this exchange, or its reader is not a recipient",
        ));
    }
    Ok(VerifiedReceipt { receipt, reader })
}

/// The key generation an organisation must use to open `envelope`.
pub fn generation_for(envelope: &Envelope, org: &OrgId) -> Option<u32> {
    if envelope.recipient_org_id == *org {
        Some(envelope.recipient_generation)
    } else if envelope.sender_org_id == *org {
        envelope.sender_generation
    } else {
        None
    }
}
