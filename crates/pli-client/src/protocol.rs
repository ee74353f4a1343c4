//! The protocol's rules, as pure functions: what a client must verify before it encrypts
//! to a key, before it shows an exchange as coming from its sender, before it shows a
//! receipt. Shared by the CLI, the tests and (compiled to WebAssembly) the web app.

use std::collections::BTreeMap;

use pli_api::messages::{
    CertificateChain, DirectoryKey, DirectoryOrg, ExchangeDetail, ExchangePage, ExchangeSummary,
    ReceiptEntry,
};
use pli_api::{ExchangeId, ExchangeState, OrgId};
use pli_crypto::age::AnyRecipient;
use pli_crypto::cert::{OrgCertificate, OrgKeyCertificate, Role, TrustRoot, UserCertificate};
use pli_crypto::envelope::{Envelope, Priority};
use pli_crypto::grant::OrgKey;
use pli_crypto::manifest::Category;
use pli_crypto::preview::Preview;
use pli_crypto::receipt::Receipt;
use pli_crypto::sign::{Fingerprint, Signed};

use serde::{Deserialize, Serialize};

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
    /// The key to encrypt to (a post-quantum one checked as FIPS 203 requires).
    pub fn recipient(&self) -> Result<AnyRecipient, ClientError> {
        Ok(self.key.public_key.recipient()?)
    }

    /// The key's fingerprint, to compare out of band.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of_encryption_key(&self.key.public_key)
    }

    /// Whether what is encrypted to it resists a quantum computer.
    pub fn is_post_quantum(&self) -> bool {
        self.key.public_key.is_post_quantum()
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

/// The organisations' names as the platform root certified them: an entry whose
/// certificate does not verify, or names another organisation than the entry's id, is
/// left out (a relay cannot rename an organisation for the people reading its plis).
pub fn certified_org_names(root: &TrustRoot, orgs: &[DirectoryOrg]) -> Vec<(OrgId, String)> {
    orgs.iter()
        .filter_map(|org| {
            let certificate = root.verify_org(&signed(&org.certificate).ok()?).ok()?;
            (certificate.org_id == org.org_id).then_some((org.org_id, certificate.name))
        })
        .collect()
}

/// One key generation of an organisation's history, verified up to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedGeneration {
    /// The key's certificate.
    pub key: OrgKeyCertificate,
    /// The certificate of the admin who issued it.
    pub issuer: UserCertificate,
}

/// Verifies one generation of `org`'s key history: the issuing admin's certificate by the
/// root (an organisation admin of `org`), the key's certificate by that admin, for `org`
/// and the generation the relay lists it as.
pub fn verify_generation(
    root: &TrustRoot,
    org: &OrgId,
    entry: &DirectoryKey,
) -> Result<VerifiedGeneration, ClientError> {
    let refused = |why: &str| {
        ClientError::verification(format!("key generation {}: {why}", entry.generation))
    };
    let admin = root
        .verify_admin(&signed::<UserCertificate>(&entry.issuer_certificate)?)
        .map_err(|e| refused(&format!("its issuer's certificate does not verify: {e}")))?;
    let key = signed::<OrgKeyCertificate>(&entry.certificate)?
        .verify(&admin.signing_key)
        .map_err(|e| refused(&format!("its certificate does not verify: {e}")))?;
    let consistent = key.issuer == admin.signing_key.fingerprint()
        && admin.role == Role::OrgAdmin
        && admin.org_id == *org
        && key.org_id == *org
        && key.generation == entry.generation;
    if !consistent {
        return Err(refused(
            "its certificates name another issuer, organisation or generation",
        ));
    }
    Ok(VerifiedGeneration { key, issuer: admin })
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
    if detail.summary.envelope.is_none() {
        return Err(ClientError::verification("the exchange is not delivered"));
    }
    if detail.summary.exchange_id != *id {
        return Err(ClientError::verification(
            "the envelope does not describe this exchange or its sender",
        ));
    }
    let chain = detail
        .sender
        .as_ref()
        .ok_or_else(|| ClientError::verification("the sender's certificate is missing"))?;
    verify_envelope(&verify_chain(root, chain)?, &detail.summary)
}

/// Verifies the envelope of a delivered exchange as signed by `sender` (certified to the
/// root already), and that it says what the relay's description says: this exchange,
/// this sender, these two organisations.
fn verify_envelope(
    sender: &UserCertificate,
    summary: &ExchangeSummary,
) -> Result<VerifiedExchange, ClientError> {
    let wire = summary
        .envelope
        .as_ref()
        .ok_or_else(|| ClientError::verification("the exchange is not delivered"))?;
    let signed = signed::<Envelope>(wire)?;
    let envelope = signed.verify(&sender.signing_key).map_err(|e| {
        ClientError::verification(format!("the envelope's signature does not verify: {e}"))
    })?;
    // Everything the relay's row says that the envelope says too must agree: a list
    // shows these beside what the sender sealed.
    let ciphertext = envelope
        .objects()
        .try_fold(0u64, |sum, object| sum.checked_add(object.size));
    let consistent = envelope.exchange_id == summary.exchange_id
        && envelope.sender_user_id == sender.user_id
        && envelope.sender_org_id == sender.org_id
        && envelope.sender_key == sender.signing_key.fingerprint()
        && summary.sender_user_id == envelope.sender_user_id
        && summary.sender_org_id == envelope.sender_org_id
        && summary.recipient_org_id == envelope.recipient_org_id
        && summary.urgent == (envelope.priority == Priority::Urgent)
        && summary.in_reply_to == envelope.in_reply_to
        && summary.created_at == envelope.created_at
        && summary.expires_at == envelope.expires_at
        && usize::try_from(summary.file_count).ok() == Some(envelope.files.len())
        && ciphertext == Some(summary.total_size);
    if !consistent {
        return Err(ClientError::verification(
            "the envelope does not describe this exchange or its sender",
        ));
    }
    Ok(VerifiedExchange {
        signed,
        envelope,
        sender: sender.clone(),
    })
}

/// Which list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mailbox {
    /// Exchanges delivered to my organisation.
    Inbox,
    /// Exchanges my organisation sent.
    Outbox,
}

/// A page of a mailbox as a person's software shows it: each row with what its sender
/// sealed for lists, verified and decrypted here ([`verify_listing`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedPage {
    /// The rows, in the relay's order (urgent first, newest first).
    pub rows: Vec<ListedExchange>,
    /// Where the next page starts; none on the last page.
    pub next_cursor: Option<String>,
}

/// One row of a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedExchange {
    /// The relay's description, without the envelope (verified here, then dropped).
    pub summary: ExchangeSummary,
    /// What the sender sealed for the list, as far as it verified.
    pub preview: Listed,
}

/// What a row can say beyond the relay's word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Listed {
    /// The envelope verified (signed by its sender, certified to the root) and its
    /// preview decrypted.
    Read(ListedPreview),
    /// Not delivered yet: no envelope, no preview.
    Pending,
    /// The envelope verified, but no preview can be read here: the exchange was sent
    /// before previews existed, or for a key generation this person does not hold.
    Sealed {
        /// The sender's certified name.
        sender_name: String,
        /// The sender is a service account (a program), as its certificate says.
        #[serde(default)]
        sender_service: bool,
    },
    /// The envelope, its sender or its preview did not verify: only the relay's word is
    /// left, and the list must say so.
    Unverified,
}

/// A decrypted, verified preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedPreview {
    /// The sender's certified name.
    pub sender_name: String,
    /// The sender is a service account (a program), as its certificate says.
    #[serde(default)]
    pub sender_service: bool,
    /// Category.
    pub category: Category,
    /// Subject line.
    pub subject: String,
    /// Case reference, possibly empty.
    pub case_reference: String,
    /// The files' plaintext sizes added up, in bytes.
    pub size: u64,
}

/// Verifies a page of `mailbox`: each distinct sender's chain once, each row's envelope
/// against it and against the relay's description, that the row belongs in this mailbox
/// of `my_org` (delivered to it, or sent by it), then decrypts each preview with
/// `org_keys` (my organisation's, by generation). A row that does not verify is
/// [`Listed::Unverified`]; the page itself never fails.
pub fn verify_listing(
    root: &TrustRoot,
    page: ExchangePage,
    mailbox: Mailbox,
    my_org: &OrgId,
    org_keys: &BTreeMap<u32, OrgKey>,
) -> ListedPage {
    let senders: Vec<UserCertificate> = page
        .senders
        .iter()
        .filter_map(|chain| verify_chain(root, chain).ok())
        .collect();
    let rows = page
        .exchanges
        .into_iter()
        .map(|mut summary| {
            let preview = listed(&senders, &summary, mailbox, my_org, org_keys);
            summary.envelope = None;
            ListedExchange { summary, preview }
        })
        .collect();
    ListedPage {
        rows,
        next_cursor: page.next_cursor,
    }
}

fn listed(
    senders: &[UserCertificate],
    summary: &ExchangeSummary,
    mailbox: Mailbox,
    my_org: &OrgId,
    org_keys: &BTreeMap<u32, OrgKey>,
) -> Listed {
    // A row of another mailbox or organisation (an envelope the relay holds for others,
    // or one of my outbox's shown as received) is the relay's doing.
    let belongs = match mailbox {
        Mailbox::Inbox => summary.recipient_org_id == *my_org,
        Mailbox::Outbox => summary.sender_org_id == *my_org,
    };
    if !belongs {
        return Listed::Unverified;
    }
    if summary.envelope.is_none() {
        // Only my own upload has no envelope yet; a delivered row without one hides it.
        return if mailbox == Mailbox::Outbox && summary.state == ExchangeState::Uploading {
            Listed::Pending
        } else {
            Listed::Unverified
        };
    }
    // A person may hold several certificates (keys renewed): the envelope names its key.
    let verified = senders
        .iter()
        .filter(|cert| cert.user_id == summary.sender_user_id)
        .find_map(|cert| verify_envelope(cert, summary).ok());
    let Some(exchange) = verified else {
        return Listed::Unverified;
    };
    let sender_name = exchange.sender.display_name;
    let sender_service = exchange.sender.service;
    let key = generation_for(&exchange.envelope, my_org).and_then(|g| org_keys.get(&g));
    let (Some(sealed), Some(key)) = (&exchange.envelope.preview, key) else {
        // Sent before previews existed, not copied to the sender's organisation, or for a
        // generation this person does not hold.
        return Listed::Sealed {
            sender_name,
            sender_service,
        };
    };
    match Preview::open(std::slice::from_ref(&key.identity), sealed) {
        Ok(preview) if preview.exchange_id == summary.exchange_id => Listed::Read(ListedPreview {
            sender_name,
            sender_service,
            category: preview.category,
            subject: preview.subject,
            case_reference: preview.case_reference,
            size: preview.size,
        }),
        _ => Listed::Unverified,
    }
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

/// A one-time link (set-up, invitation, reset) as an administrator's client writes it:
/// `…#/invitation/TOKEN?root=FINGERPRINT`. The relay's own link (and its e-mail) has no
/// `root`: the person is then asked for the fingerprint their administrator reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeLink {
    /// The token, the link's last path segment.
    pub token: String,
    /// The root pinned, if the link carries one.
    pub root: Option<RootPin>,
}

impl OneTimeLink {
    /// Reads a link, or the part of its fragment after the route's prefix.
    pub fn parse(link: &str) -> Result<Self, ClientError> {
        let last = link.rsplit('/').next().unwrap_or(link);
        let (token, root) = match last.split_once("?root=") {
            Some((token, root)) => (token, Some(RootPin::parse(root)?)),
            None => (last, None),
        };
        if token.is_empty() {
            return Err(ClientError::verification("the link has no token"));
        }
        Ok(Self {
            token: token.to_owned(),
            root,
        })
    }
}

/// The platform root a person was told to trust, out of the relay's reach: the full
/// fingerprint an administrator's client writes into a one-time link's fragment
/// (`…#/invitation/TOKEN?root=64 hex digits`), or the first 32 digits, as the pages
/// show it, read over the phone and typed in. A relay that serves another root to a
/// browser that has never seen the platform is refused ([`ClientError::RootChanged`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootPin(Vec<u8>);

impl RootPin {
    /// The pin of a root key (what a link carries).
    pub fn of(root: &pli_crypto::sign::VerifyingKey) -> Self {
        Self(root.fingerprint().0.to_vec())
    }

    /// Reads a fingerprint: 64 hexadecimal digits, or at least the 32 shown (spaces
    /// ignored, either case).
    pub fn parse(text: &str) -> Result<Self, ClientError> {
        let digits: Vec<u8> = text
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .map(|b| match b {
                b'0'..=b'9' => Ok(b - b'0'),
                b'a'..=b'f' => Ok(b - b'a' + 10),
                b'A'..=b'F' => Ok(b - b'A' + 10),
                _ => Err(ClientError::verification(
                    "a root fingerprint is hexadecimal",
                )),
            })
            .collect::<Result<_, _>>()?;
        if !digits.len().is_multiple_of(2) || !(32..=64).contains(&digits.len()) {
            return Err(ClientError::verification(
                "a root fingerprint has 32 to 64 hexadecimal digits",
            ));
        }
        Ok(Self(
            digits
                .chunks(2)
                .map(|pair| pair.iter().fold(0u8, |v, d| v << 4 | d))
                .collect(),
        ))
    }

    /// The pin as a link carries it (64 lowercase digits).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether `root` is the root pinned.
    pub fn matches(&self, root: &pli_crypto::sign::VerifyingKey) -> bool {
        root.fingerprint().0.starts_with(&self.0)
    }

    /// `link` with the pin in its fragment, so that the browser opening it trusts this
    /// root and no other.
    pub fn in_link(&self, link: &str) -> String {
        format!("{link}?root={}", self.to_hex())
    }
}

/// The transparency log's policy the relay proposes, as the platform authority signs it
/// at set-up (every key checked to be an Ed25519 key, every name a note key name).
pub fn log_policy(
    proposal: &pli_api::messages::LogProposal,
    issued_at: u64,
) -> Result<pli_crypto::statement::LogPolicy, ClientError> {
    use pli_crypto::sign::VerifyingKey;
    use pli_crypto::statement::{LogPolicy, WitnessKey};
    let key = |bytes: &pli_api::Base64| -> Result<VerifyingKey, ClientError> {
        let bytes: [u8; 32] = bytes
            .0
            .as_slice()
            .try_into()
            .map_err(|_| ClientError::verification("a log key is not 32 bytes"))?;
        Ok(VerifyingKey::from_bytes(&bytes)?)
    };
    let witnesses = proposal
        .witnesses
        .iter()
        .map(|w| {
            Ok(WitnessKey {
                name: w.name.clone(),
                key: key(&w.key)?,
            })
        })
        .collect::<Result<Vec<_>, ClientError>>()?;
    let policy = LogPolicy {
        origin: proposal.origin.clone(),
        log_key: key(&proposal.log_key)?,
        witnesses,
        quorum: proposal.quorum,
        max_age_s: proposal.max_age_s,
        issued_at,
    };
    // Encoding and decoding applies every rule of a policy (names, quorum).
    let bytes = pli_crypto::codec::Canonical::to_canonical(&policy)?;
    pli_crypto::codec::Canonical::from_canonical(&bytes).map_err(ClientError::from)
}

/// How long after a person's keys were renewed (by a reset, then certified again) what
/// they send says so to its readers: 30 days.
pub const KEYS_RENEWED_SHOWN_MS: u64 = 30 * 24 * 3_600_000;

/// When `sender`, the certificate an exchange was verified with, holds keys that replaced
/// earlier keys of the same person (a reset), as `directory` — the log as verified —
/// holds them, and it was issued less than [`KEYS_RENEWED_SHOWN_MS`] before `now`: its
/// date, for the page to say « Les clés de … ont été renouvelées le … ». A reset lets
/// whoever used its link sign as the person; their correspondents should know the keys
/// changed. `None` for a person's first keys, for keys the log does not hold, and once
/// the renewal is old.
pub fn keys_renewed(
    directory: &pli_log::Directory,
    sender: &UserCertificate,
    now: u64,
) -> Option<u64> {
    let signing_key = sender.signing_key.to_bytes();
    let this = directory.person(&sender.signing_key.fingerprint())?;
    if this.user_id != sender.user_id {
        return None;
    }
    let renewed = directory
        .certificates_of(&sender.user_id)
        .iter()
        .any(|earlier| earlier.index < this.index && earlier.signing_key != signing_key);
    (renewed && now.saturating_sub(sender.issued_at) < KEYS_RENEWED_SHOWN_MS)
        .then_some(sender.issued_at)
}

#[cfg(test)]
mod tests {
    use pli_api::messages::{DirectoryKey, DirectoryOrg};
    use pli_api::{Id, OrgId, OrgKind, UserId};
    use pli_crypto::age::Identity;
    use pli_crypto::cert::{OrgCertificate, OrgKeyCertificate, Role, TrustRoot, UserCertificate};
    use pli_crypto::sign::{Signed, SigningKey};

    use super::{RootPin, certified_org_names, verify_generation};

    #[test]
    fn a_root_pin_from_a_link_or_typed_from_the_screen_matches_that_root_only() {
        let root = SigningKey::generate().unwrap().verifying_key();
        let other = SigningKey::generate().unwrap().verifying_key();
        let pin = RootPin::of(&root);
        let link = pin.in_link("https://pli.test/#/invitation/abc");
        let from_link = RootPin::parse(link.rsplit("?root=").next().unwrap()).unwrap();
        assert_eq!(from_link, pin);
        assert!(from_link.matches(&root) && !from_link.matches(&other));
        // The 32 digits the pages show (eight groups), typed in lower case.
        let shown = root.fingerprint().to_string().to_lowercase();
        assert_eq!(shown.len(), 39);
        let typed = RootPin::parse(&shown).unwrap();
        assert!(typed.matches(&root) && !typed.matches(&other));
        for bad in ["", "12 34", "zz", &shown[..38], &"0".repeat(66)] {
            assert!(RootPin::parse(bad).is_err(), "{bad:?}");
        }
        let parsed = super::OneTimeLink::parse(&link).unwrap();
        assert_eq!((parsed.token.as_str(), parsed.root), ("abc", Some(pin)));
        let bare = super::OneTimeLink::parse("https://pli.test/#/invitation/abc").unwrap();
        assert_eq!((bare.token.as_str(), bare.root), ("abc", None));
        assert!(super::OneTimeLink::parse("abc?root=nothex").is_err());
    }

    fn id<K>(n: u8) -> Id<K> {
        Id::from_random([n; 16])
    }

    struct Platform {
        root: SigningKey,
    }

    impl Platform {
        fn new() -> Self {
            Self {
                root: SigningKey::generate().unwrap(),
            }
        }

        fn trust(&self) -> TrustRoot {
            TrustRoot(self.root.verifying_key())
        }

        /// A directory entry for `org`, its certificate signed by `signer`.
        fn org(&self, org: OrgId, name: &str, signer: &SigningKey) -> DirectoryOrg {
            let cert = OrgCertificate {
                org_id: org,
                kind: OrgKind::Court,
                name: name.into(),
                code: "TJ".into(),
                issued_at: 1,
            };
            DirectoryOrg {
                org_id: org,
                kind: OrgKind::Court,
                name: "what the relay says".into(),
                certificate: Signed::sign(&cert, signer).unwrap().to_wire(),
                key: None,
            }
        }

        /// An admin of `org` certified by the root with `role`, and their signing key.
        fn admin(&self, org: OrgId, role: Role) -> (UserCertificate, SigningKey) {
            let signing = SigningKey::generate().unwrap();
            let cert = UserCertificate {
                user_id: UserId::from_random([9; 16]),
                org_id: org,
                role,
                service: false,
                display_name: "Chef de greffe".into(),
                signing_key: signing.verifying_key(),
                encryption_key: Identity::generate().unwrap().to_recipient().into(),
                issued_at: 1,
                issuer: self.root.verifying_key().fingerprint(),
                expires_at: None,
            };
            (cert, signing)
        }
    }

    /// Generation `generation` of `org`'s key, certified by `admin`.
    fn key_entry(
        admin: &(UserCertificate, SigningKey),
        root: &SigningKey,
        org: OrgId,
        generation: u32,
        listed_as: u32,
    ) -> DirectoryKey {
        let cert = OrgKeyCertificate {
            org_id: org,
            generation,
            public_key: Identity::generate().unwrap().to_recipient().into(),
            issued_at: 2,
            issuer: admin.1.verifying_key().fingerprint(),
            expires_at: None,
        };
        DirectoryKey {
            generation: listed_as,
            certificate: Signed::sign(&cert, &admin.1).unwrap().to_wire(),
            issuer_certificate: Signed::sign(&admin.0, root).unwrap().to_wire(),
            suspended: false,
        }
    }

    #[test]
    fn org_names_are_the_certified_ones_and_forged_or_moved_entries_are_left_out() {
        let platform = Platform::new();
        let impostor = SigningKey::generate().unwrap();
        let (meaux, melun, forged) = (id(1), id(2), id(3));
        let mut moved = platform.org(id(4), "Tribunal de Blois", &platform.root);
        moved.org_id = id(5); // the relay serves another organisation's certificate
        let names = certified_org_names(
            &platform.trust(),
            &[
                platform.org(meaux, "Tribunal judiciaire de Meaux", &platform.root),
                platform.org(melun, "Tribunal judiciaire de Melun", &platform.root),
                platform.org(forged, "Faux tribunal", &impostor),
                moved,
            ],
        );
        assert_eq!(
            names,
            vec![
                (meaux, "Tribunal judiciaire de Meaux".to_owned()),
                (melun, "Tribunal judiciaire de Melun".to_owned()),
            ]
        );
    }

    #[test]
    fn a_key_generation_verifies_only_from_an_admin_of_its_organisation() {
        let platform = Platform::new();
        let (org, other) = (id(1), id(2));
        let admin = platform.admin(org, Role::OrgAdmin);
        let good = key_entry(&admin, &platform.root, org, 3, 3);
        let verified = verify_generation(&platform.trust(), &org, &good).unwrap();
        assert_eq!(verified.issuer.display_name, "Chef de greffe");
        assert_eq!(verified.key.generation, 3);

        // An admin of another organisation, the platform admin, a relay listing the key as
        // another generation, an admin the root never certified: each refused.
        let foreign = platform.admin(other, Role::OrgAdmin);
        let platform_admin = platform.admin(org, Role::PlatformAdmin);
        let rogue_root = SigningKey::generate().unwrap();
        for (why, entry) in [
            (
                "admin of another organisation",
                key_entry(&foreign, &platform.root, org, 3, 3),
            ),
            (
                "platform admin",
                key_entry(&platform_admin, &platform.root, org, 3, 3),
            ),
            (
                "listed as another generation",
                key_entry(&admin, &platform.root, org, 3, 4),
            ),
            (
                "admin not certified by the root",
                key_entry(&admin, &rogue_root, org, 3, 3),
            ),
        ] {
            assert!(
                verify_generation(&platform.trust(), &org, &entry).is_err(),
                "{why} accepted"
            );
        }
    }

    /// A person's certificate, signed by `issuer`, for new keys issued at `issued_at`.
    fn person(
        user_id: UserId,
        org_id: OrgId,
        role: Role,
        issuer: &SigningKey,
        issued_at: u64,
    ) -> (Signed<UserCertificate>, SigningKey) {
        let signing = SigningKey::generate().unwrap();
        let cert = UserCertificate {
            user_id,
            org_id,
            role,
            service: false,
            display_name: "Greffier Martin".into(),
            signing_key: signing.verifying_key(),
            encryption_key: Identity::generate().unwrap().to_recipient().into(),
            issued_at,
            issuer: issuer.verifying_key().fingerprint(),
            expires_at: None,
        };
        (Signed::sign(&cert, issuer).unwrap(), signing)
    }

    #[test]
    fn renewed_keys_are_told_for_thirty_days_and_first_keys_never() {
        use pli_log::{Directory, Entry};

        use super::{KEYS_RENEWED_SHOWN_MS, keys_renewed};

        const DAY: u64 = 24 * 3_600_000;
        let platform = Platform::new();
        let org: OrgId = id(1);
        let org_cert = OrgCertificate {
            org_id: org,
            kind: OrgKind::Court,
            name: "Tribunal judiciaire de Meaux".into(),
            code: "TJ".into(),
            issued_at: 1,
        };
        let (admin, admin_key) = person(id(2), org, Role::OrgAdmin, &platform.root, 1);
        let member: UserId = id(3);
        let (first, _) = person(member, org, Role::Member, &admin_key, 10 * DAY);
        let (renewed, _) = person(member, org, Role::Member, &admin_key, 100 * DAY);
        let (unlogged, _) = person(member, org, Role::Member, &admin_key, 101 * DAY);
        let mut directory = Directory::new(&platform.trust());
        for entry in [
            Entry::Org(Signed::sign(&org_cert, &platform.root).unwrap()),
            Entry::Person(admin.clone()),
            Entry::Person(first.clone()),
        ] {
            directory.apply(&entry);
        }
        let cert =
            |signed: &Signed<UserCertificate>| signed.verify(&admin_key.verifying_key()).unwrap();
        // First keys: nothing to tell, however recent.
        assert_eq!(keys_renewed(&directory, &cert(&first), 10 * DAY + 1), None);

        // A reset, then a new certification: what the new keys sign says so, for 30 days.
        directory.apply(&Entry::Person(renewed.clone()));
        assert!(directory.refused().is_empty(), "{:?}", directory.refused());
        let new = cert(&renewed);
        assert_eq!(keys_renewed(&directory, &new, 100 * DAY), Some(100 * DAY));
        assert_eq!(
            keys_renewed(&directory, &new, 100 * DAY + KEYS_RENEWED_SHOWN_MS - 1),
            Some(100 * DAY)
        );
        assert_eq!(
            keys_renewed(&directory, &new, 100 * DAY + KEYS_RENEWED_SHOWN_MS),
            None
        );
        // What the earlier keys signed, and keys the log does not hold, tell nothing.
        assert_eq!(keys_renewed(&directory, &cert(&first), 100 * DAY), None);
        assert_eq!(keys_renewed(&directory, &cert(&unlogged), 101 * DAY), None);
        assert_eq!(
            directory
                .certificates_of(&member)
                .iter()
                .map(|p| p.replaced_at.is_some())
                .collect::<Vec<_>>(),
            [true, false]
        );
    }
}
