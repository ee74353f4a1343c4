//! The key directory's statements that are not certificates: a revocation (a person
//! removed, an organisation key suspended) and the log's policy (which key signs its
//! checkpoints, which witnesses must cosign them).
//!
//! Both are signed like certificates (see [`crate::sign::Signed`]) and, with them, are
//! the entries of the directory's transparency log (`pli-log`): what the relay keeps
//! is only ever what an admin or the platform authority signed.

use pli_api::{OrgId, UserId};

use crate::Error;
use crate::cert::MAX_NAME_LEN;
use crate::codec::{Canonical, Decoder, Domain, Encoder};
use crate::sign::{Fingerprint, VerifyingKey};

/// What a [`Revocation`] ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// A person's certificate, named by its signing key: they were removed from the
    /// organisation (an admin's removal also ends every statement they sign after it).
    Person {
        /// The account.
        user_id: UserId,
        /// The signing key of the certificate revoked.
        key: Fingerprint,
    },
    /// One generation of the organisation's key: nothing more is encrypted to it (what
    /// was encrypted stays readable by the members holding it).
    OrgKey {
        /// The generation suspended.
        generation: u32,
    },
}

/// A signed end: a person's certificate revoked or an organisation key suspended, by an
/// admin of the organisation or by the platform authority. Once in the log, nothing
/// takes it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// The organisation the subject belongs to.
    pub org_id: OrgId,
    /// What ends.
    pub subject: Revoked,
    /// When it was signed (milliseconds since the Unix epoch).
    pub issued_at: u64,
    /// The fingerprint of the signing key that issued it.
    pub issuer: Fingerprint,
}

impl Canonical for Revocation {
    const DOMAIN: Domain = Domain::Revocation;

    fn encode_fields(&self, e: &mut Encoder) {
        e.id(&self.org_id);
        match self.subject {
            Revoked::Person { user_id, key } => {
                e.u8(1);
                e.id(&user_id);
                e.fixed(&key.0);
            }
            Revoked::OrgKey { generation } => {
                e.u8(2);
                e.u32(generation);
            }
        }
        e.u64(self.issued_at);
        e.fixed(&self.issuer.0);
    }

    fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
        let org_id = d.id()?;
        let subject = match d.u8()? {
            1 => Revoked::Person {
                user_id: d.id()?,
                key: Fingerprint(d.fixed::<32>()?),
            },
            2 => {
                let generation = d.u32()?;
                if generation == 0 {
                    return Err(d.error("key generations start at 1"));
                }
                Revoked::OrgKey { generation }
            }
            _ => return Err(d.error("unknown revocation subject")),
        };
        Ok(Self {
            org_id,
            subject,
            issued_at: d.u64()?,
            issuer: Fingerprint(d.fixed::<32>()?),
        })
    }
}

/// Longest checkpoint origin, in bytes.
pub const MAX_ORIGIN_LEN: usize = 200;
/// Most witnesses a policy names.
pub const MAX_WITNESSES: usize = 16;

/// A witness a policy names: its key name (as in its cosignatures' lines) and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessKey {
    /// The name, a C2SP signed-note key name (no spaces, no `+`).
    pub name: String,
    /// Its Ed25519 key (C2SP `cosignature/v1`).
    pub key: VerifyingKey,
}

/// Whether `name` may be a C2SP signed-note key name: not empty, no Unicode space, no
/// `+`.
pub fn is_note_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// The key directory log's policy, signed by the platform authority: a client accepts a
/// checkpoint only if the log's key signed it and at least `quorum` of these witnesses
/// cosigned it, the newest cosignature no older than `max_age_s`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPolicy {
    /// The checkpoints' origin line (C2SP `tlog-checkpoint`).
    pub origin: String,
    /// The relay's checkpoint key (Ed25519, C2SP `signed-note`).
    pub log_key: VerifyingKey,
    /// The witnesses.
    pub witnesses: Vec<WitnessKey>,
    /// How many distinct witnesses must cosign.
    pub quorum: u8,
    /// How old, in seconds, the newest cosignature may be.
    pub max_age_s: u32,
    /// When it was signed (milliseconds since the Unix epoch).
    pub issued_at: u64,
}

impl Canonical for LogPolicy {
    const DOMAIN: Domain = Domain::LogPolicy;

    fn encode_fields(&self, e: &mut Encoder) {
        e.str(&self.origin, MAX_ORIGIN_LEN, "log origin");
        e.fixed(&self.log_key.to_bytes());
        e.count(self.witnesses.len(), MAX_WITNESSES, "witnesses");
        for witness in &self.witnesses {
            e.str(&witness.name, MAX_NAME_LEN, "witness name");
            e.fixed(&witness.key.to_bytes());
        }
        e.u8(self.quorum);
        e.u32(self.max_age_s);
        e.u64(self.issued_at);
    }

    fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
        let origin = d.str(MAX_ORIGIN_LEN, "log origin")?;
        if origin.is_empty() || origin.contains('\n') {
            return Err(d.error("a log origin is one non-empty line"));
        }
        let log_key = VerifyingKey::from_bytes(&d.fixed::<32>()?)?;
        let count = d.count(MAX_WITNESSES, "witnesses")?;
        let mut witnesses = Vec::with_capacity(count);
        for _ in 0..count {
            let name = d.str(MAX_NAME_LEN, "witness name")?;
            if !is_note_key_name(&name) || witnesses.iter().any(|w: &WitnessKey| w.name == name) {
                return Err(d.error("a witness name is empty, has a space or a '+', or is twice"));
            }
            let key = VerifyingKey::from_bytes(&d.fixed::<32>()?)?;
            witnesses.push(WitnessKey { name, key });
        }
        let quorum = d.u8()?;
        if usize::from(quorum) > witnesses.len() {
            return Err(d.error("the quorum is larger than the witnesses named"));
        }
        Ok(Self {
            origin,
            log_key,
            witnesses,
            quorum,
            max_age_s: d.u32()?,
            issued_at: d.u64()?,
        })
    }
}

impl LogPolicy {
    /// Why `self` cannot replace `previous` as the log's policy, if it cannot: a change
    /// keeps the log (its origin and key), is signed later, and names a quorum it can
    /// reach, of at least one witness (the first policy of a platform set up without
    /// witnesses may have a quorum of 0; a change never goes back to none).
    pub fn check_succession(&self, previous: &LogPolicy) -> Result<(), &'static str> {
        if self.origin != previous.origin || self.log_key != previous.log_key {
            return Err("a new log policy must keep the log's origin and key");
        }
        if self.issued_at <= previous.issued_at {
            return Err("a new log policy must be signed after the one it replaces");
        }
        self.check_quorum()
    }

    /// Whether the quorum is at least 1 and no more than the witnesses named.
    pub fn check_quorum(&self) -> Result<(), &'static str> {
        if self.quorum == 0 || usize::from(self.quorum) > self.witnesses.len() {
            return Err("a log policy's quorum must be 1 to the number of its witnesses");
        }
        Ok(())
    }
}

/// The last checkpoint of the directory's log a person verified, signed by them. The relay
/// keeps it for them: at their next login, on any device, the log must extend it (a
/// relay cannot show them an older or forked log without the signature failing, and
/// dropping it is noticed by any device that remembers a later one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenCheckpoint {
    /// The person.
    pub user_id: UserId,
    /// The log's origin.
    pub origin: String,
    /// The number of entries verified.
    pub size: u64,
    /// The tree's root hash at that size.
    pub root: [u8; 32],
    /// When (milliseconds since the Unix epoch).
    pub seen_at: u64,
}

impl Canonical for SeenCheckpoint {
    const DOMAIN: Domain = Domain::SeenCheckpoint;

    fn encode_fields(&self, e: &mut Encoder) {
        e.id(&self.user_id);
        e.str(&self.origin, MAX_ORIGIN_LEN, "log origin");
        e.u64(self.size);
        e.fixed(&self.root);
        e.u64(self.seen_at);
    }

    fn decode_fields(d: &mut Decoder<'_>) -> Result<Self, Error> {
        Ok(Self {
            user_id: d.id()?,
            origin: d.str(MAX_ORIGIN_LEN, "log origin")?,
            size: d.u64()?,
            root: d.fixed::<32>()?,
            seen_at: d.u64()?,
        })
    }
}

#[cfg(all(test, feature = "secret"))]
mod tests {
    use super::*;
    use crate::sign::{Signed, SigningKey};

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    #[test]
    fn a_revocation_round_trips_and_refuses_generation_zero() {
        let root = key();
        for subject in [
            Revoked::Person {
                user_id: UserId::from_bytes([1; 16]),
                key: Fingerprint([2; 32]),
            },
            Revoked::OrgKey { generation: 3 },
        ] {
            let revocation = Revocation {
                org_id: OrgId::from_bytes([3; 16]),
                subject,
                issued_at: 42,
                issuer: root.verifying_key().fingerprint(),
            };
            let signed = Signed::sign(&revocation, &root).unwrap();
            assert_eq!(signed.verify(&root.verifying_key()).unwrap(), revocation);
        }
        let zero = Revocation {
            org_id: OrgId::from_bytes([3; 16]),
            subject: Revoked::OrgKey { generation: 0 },
            issued_at: 42,
            issuer: Fingerprint([0; 32]),
        };
        let bytes = zero.to_canonical().unwrap();
        assert!(Revocation::from_canonical(&bytes).is_err());
    }

    #[test]
    fn a_policy_refuses_a_quorum_it_cannot_reach_and_bad_names() {
        let policy = |names: &[&str], quorum| LogPolicy {
            origin: "pli.example.fr/annuaire".into(),
            log_key: key().verifying_key(),
            witnesses: names
                .iter()
                .map(|name| WitnessKey {
                    name: (*name).into(),
                    key: key().verifying_key(),
                })
                .collect(),
            quorum,
            max_age_s: 86_400,
            issued_at: 1,
        };
        let good = policy(&["w1.example", "w2.example"], 2);
        let bytes = good.to_canonical().unwrap();
        assert_eq!(LogPolicy::from_canonical(&bytes).unwrap(), good);
        for bad in [
            policy(&["w1.example"], 2),
            policy(&["w 1"], 1),
            policy(&["w+1"], 1),
            policy(&["w1", "w1"], 1),
        ] {
            let bytes = bad.to_canonical().unwrap();
            assert!(LogPolicy::from_canonical(&bytes).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_policy_change_keeps_the_log_comes_later_and_has_a_reachable_quorum() {
        let witness = |name: &str| WitnessKey {
            name: name.into(),
            key: key().verifying_key(),
        };
        let first = LogPolicy {
            origin: "pli.example.fr/annuaire".into(),
            log_key: key().verifying_key(),
            witnesses: vec![witness("w1"), witness("w2")],
            quorum: 2,
            max_age_s: 86_400,
            issued_at: 10,
        };
        let next = LogPolicy {
            witnesses: vec![witness("w2"), witness("w3"), witness("w4")],
            quorum: 2,
            issued_at: 11,
            ..first.clone()
        };
        assert_eq!(next.check_succession(&first), Ok(()));
        let other_key = SigningKey::from_bytes(&[8; 32]).verifying_key();
        for bad in [
            LogPolicy {
                origin: "ailleurs.example/annuaire".into(),
                ..next.clone()
            },
            LogPolicy {
                log_key: other_key,
                ..next.clone()
            },
            LogPolicy {
                issued_at: 10,
                ..next.clone()
            },
            LogPolicy {
                quorum: 0,
                ..next.clone()
            },
            LogPolicy {
                quorum: 4,
                ..next.clone()
            },
        ] {
            assert!(bad.check_succession(&first).is_err(), "{bad:?}");
        }
    }
}
