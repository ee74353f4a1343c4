//! The key directory as a client sees it: the log's entries replayed in order into who
//! holds which key. Every entry is verified when it is replayed, against the pinned root
//! and the state the entries before it made: a member's certificate by an admin of
//! their organisation who was not removed before it, a key generation by such an admin
//! and one more than the last, a revocation by such an admin or the root. An entry that
//! breaks a rule is kept aside ([`Directory::refused`]) and changes nothing: a relay
//! that slips in a key signed by a removed admin gets it ignored, and `pli monitor`
//! reports it.
//!
//! What the directory answers is what a client may act on: an organisation's **latest**
//! key generation, if not suspended; whether a person's certificate is their current one
//! and not revoked.

use std::collections::BTreeMap;

use pli_api::{OrgId, Role, UserId};
use pli_crypto::cert::{OrgCertificate, OrgKeyCertificate, TrustRoot, UserCertificate};
use pli_crypto::codec::Canonical;
use pli_crypto::sign::{Fingerprint, Signed, VerifyingKey};
use pli_crypto::statement::{LogPolicy, Revocation, Revoked};
use serde::{Deserialize, Serialize};

use crate::entry::Entry;
use crate::frontier::Frontier;

mod views;

pub use views::{KeyView, Mismatch, OrgView, PersonView, PolicyView, Refused};

/// The directory replayed from the log's first `frontier.size()` entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    #[serde(with = "crate::hex")]
    root: [u8; 32],
    frontier: Frontier,
    orgs: BTreeMap<OrgId, OrgView>,
    /// By the hexadecimal fingerprint of the signing key (a JSON map's keys are strings).
    people: BTreeMap<String, PersonView>,
    current: BTreeMap<UserId, String>,
    #[serde(with = "crate::hex::option")]
    policy: Option<[u8; 32]>,
    /// The policy in force (absent from a directory a device kept from before policy
    /// changes: [`Directory::needs_replay`]).
    #[serde(default)]
    policy_view: Option<PolicyView>,
    refused: Vec<Refused>,
    /// Its refusals say which were attempts on an organisation's keys
    /// ([`Refused::aimed_at`]); false in a directory a device kept from before.
    #[serde(default)]
    classified: bool,
}

/// Why the replay refused an entry, and whether it was because nobody entitled signed it:
/// its signer is not, or no longer, allowed to make that change, or its signature does
/// not verify. That is what an attack on an organisation's keys looks like, unlike an
/// entry that comes twice, too late or out of order (two admins rotating at once).
struct Why {
    text: String,
    unentitled: bool,
}

impl From<String> for Why {
    fn from(text: String) -> Self {
        Self {
            text,
            unentitled: false,
        }
    }
}

impl From<&str> for Why {
    fn from(text: &str) -> Self {
        text.to_owned().into()
    }
}

/// A refusal because nobody entitled signed the entry.
fn unentitled(error: impl std::fmt::Display) -> Why {
    Why {
        text: error.to_string(),
        unentitled: true,
    }
}

type Rule = Result<(), Why>;

impl Directory {
    /// An empty directory for the platform whose root is `root`.
    pub fn new(root: &TrustRoot) -> Self {
        Self {
            root: root.0.to_bytes(),
            frontier: Frontier::default(),
            orgs: BTreeMap::new(),
            people: BTreeMap::new(),
            current: BTreeMap::new(),
            policy: None,
            policy_view: None,
            refused: Vec::new(),
            classified: true,
        }
    }

    /// The number of entries replayed.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The Merkle root of the entries replayed.
    pub fn root_hash(&self) -> [u8; 32] {
        self.frontier.root().0
    }

    /// Whether this directory was built for `root`.
    pub fn is_for(&self, root: &TrustRoot) -> bool {
        self.root == root.0.to_bytes()
    }

    /// The entries that broke a rule.
    pub fn refused(&self) -> &[Refused] {
        &self.refused
    }

    /// The entries about `org` that the replay refused because nobody entitled signed
    /// them (a key published by a removed admin, say), which the relay logged all the
    /// same: attempts on its keys.
    pub fn refused_about<'a>(&'a self, org: &'a OrgId) -> impl Iterator<Item = &'a Refused> {
        self.refused
            .iter()
            .filter(move |r| r.aimed_at.as_ref() == Some(org))
    }

    /// SHA-256 of the policy in force, if the log holds one.
    pub fn policy(&self) -> Option<[u8; 32]> {
        self.policy
    }

    /// The policy in force, if the log holds one.
    pub fn policy_view(&self) -> Option<&PolicyView> {
        self.policy_view.as_ref()
    }

    /// Whether this directory was kept by a version that did not record the policy in
    /// force (a policy change cannot be judged against it) or which refusals were
    /// attempts on an organisation's keys: it is replayed from the log's first entry.
    pub fn needs_replay(&self) -> bool {
        (self.policy.is_some() && self.policy_view.is_none()) || !self.classified
    }

    /// An organisation.
    pub fn org(&self, org: &OrgId) -> Option<&OrgView> {
        self.orgs.get(org)
    }

    /// The organisations.
    pub fn orgs(&self) -> impl Iterator<Item = (&OrgId, &OrgView)> {
        self.orgs.iter()
    }

    /// A person's certificate, by its signing key.
    pub fn person(&self, signing_key: &Fingerprint) -> Option<&PersonView> {
        self.people.get(&signing_key.to_hex())
    }

    /// A person's current certificate.
    pub fn current(&self, user: &UserId) -> Option<&PersonView> {
        self.current.get(user).and_then(|key| self.people.get(key))
    }

    /// Every certificate the log holds of `user`, in the order it certified them: after a
    /// reset, the earlier keys' certificates are there too, `replaced_at` the new ones.
    pub fn certificates_of(&self, user: &UserId) -> Vec<&PersonView> {
        let mut all: Vec<&PersonView> = self
            .people
            .values()
            .filter(|person| person.user_id == *user)
            .collect();
        all.sort_by_key(|person| person.index);
        all
    }

    /// Every person the log certified, by their latest certificate (revoked or not: an
    /// audit log names people who have left too).
    pub fn people(&self) -> impl Iterator<Item = &PersonView> {
        self.current.values().filter_map(|key| self.people.get(key))
    }

    /// Replays the next leaf as the log holds it: one that is not a directory statement
    /// is set aside like any entry that breaks a rule (it is in the witnessed log for
    /// good: refusing the whole log for it would lock every client out for ever).
    pub fn apply_leaf(&mut self, leaf: &[u8]) {
        match Entry::from_leaf(leaf) {
            Ok(entry) => self.apply(&entry),
            Err(error) => {
                let index = self.frontier.size();
                self.frontier.push(tlog_tiles::record_hash(leaf));
                self.refused.push(Refused {
                    index,
                    why: error.to_string(),
                    aimed_at: None,
                });
            }
        }
    }

    /// Replays the next entry.
    pub fn apply(&mut self, entry: &Entry) {
        let index = self.frontier.size();
        self.frontier.push(entry.leaf_hash());
        let root = match VerifyingKey::from_bytes(&self.root) {
            Ok(key) => TrustRoot(key),
            Err(_) => return,
        };
        let outcome = match entry {
            Entry::Org(cert) => self.org_certified(&root, cert),
            Entry::Person(cert) => self.person_certified(&root, cert, index),
            Entry::OrgKey(cert) => self.key_published(cert, index),
            Entry::Revocation(revocation) => self.revoked(&root, revocation, index),
            Entry::Policy(policy) => self.policy_signed(&root, policy, index),
        };
        if let Err(why) = outcome {
            self.refused.push(Refused {
                index,
                aimed_at: why.unentitled.then(|| entry.org_id()).flatten(),
                why: why.text,
            });
        }
    }

    /// Whether `cert` is the latest generation of its organisation's key, and usable at
    /// `now` (milliseconds): not suspended, not expired.
    pub fn check_org_key(
        &self,
        cert: &Signed<OrgKeyCertificate>,
        now: u64,
    ) -> Result<(), Mismatch> {
        let served =
            OrgKeyCertificate::from_canonical(cert.data()).map_err(|_| Mismatch::NotInLog)?;
        let org = self.orgs.get(&served.org_id).ok_or(Mismatch::NoKey)?;
        let latest = org.keys.last().ok_or(Mismatch::NoKey)?;
        if latest.certificate == cert.sha256() {
            if latest.suspended_at.is_some() {
                return Err(Mismatch::Suspended {
                    generation: latest.generation,
                });
            }
            if latest.expires_at.is_some_and(|end| now >= end) {
                return Err(Mismatch::Expired);
            }
            return Ok(());
        }
        if org.keys.iter().any(|k| k.certificate == cert.sha256()) {
            return Err(Mismatch::Outdated {
                served: served.generation,
                latest: latest.generation,
            });
        }
        Err(Mismatch::NotInLog)
    }

    /// Whether `cert` is in the log as its person's current, unrevoked certificate, not
    /// expired at `now` (milliseconds).
    pub fn check_person(
        &self,
        cert: &Signed<UserCertificate>,
        now: u64,
    ) -> Result<&PersonView, Mismatch> {
        let decoded =
            UserCertificate::from_canonical(cert.data()).map_err(|_| Mismatch::NotInLog)?;
        let person = self
            .people
            .get(&decoded.signing_key.fingerprint().to_hex())
            .filter(|p| p.certificate == cert.sha256())
            .ok_or(Mismatch::NotInLog)?;
        if !person.is_valid() {
            Err(Mismatch::Revoked)
        } else if person.expired_at(now) {
            Err(Mismatch::Expired)
        } else {
            Ok(person)
        }
    }

    /// Whether `cert` is in the log (valid or not now): for a past signature.
    pub fn was_certified(&self, cert: &Signed<UserCertificate>) -> bool {
        UserCertificate::from_canonical(cert.data()).is_ok_and(|decoded| {
            self.people
                .get(&decoded.signing_key.fingerprint().to_hex())
                .is_some_and(|p| {
                    let hash = cert.sha256();
                    p.certificate == hash || p.earlier_certificates.contains(&hash)
                })
        })
    }

    /// The key of the admin of `org` whose signing key is `issuer`, if their certificate
    /// is current, unrevoked, and was not expired when they signed (`signed_at`).
    fn active_admin(
        &self,
        issuer: &Fingerprint,
        org: &OrgId,
        signed_at: u64,
    ) -> Result<VerifyingKey, Why> {
        let admin = self
            .people
            .get(&issuer.to_hex())
            .ok_or_else(|| unentitled("its issuer is not in the log"))?;
        if admin.role != Role::OrgAdmin || admin.org_id != *org {
            return Err(unentitled("its issuer is not an admin of the organisation"));
        }
        if !admin.is_valid() {
            return Err(unentitled(
                "its issuer's certificate was revoked or replaced before it",
            ));
        }
        if admin.expired_at(signed_at) {
            return Err(unentitled(
                "its issuer's certificate had expired when it was signed",
            ));
        }
        VerifyingKey::from_bytes(&admin.signing_key).map_err(unentitled)
    }

    fn org_certified(&mut self, root: &TrustRoot, cert: &Signed<OrgCertificate>) -> Rule {
        let org = root.verify_org(cert).map_err(unentitled)?;
        let view = self.orgs.entry(org.org_id).or_insert_with(|| OrgView {
            kind: org.kind,
            name: org.name.clone(),
            keys: Vec::new(),
        });
        view.kind = org.kind;
        view.name = org.name;
        Ok(())
    }

    fn person_certified(
        &mut self,
        root: &TrustRoot,
        cert: &Signed<UserCertificate>,
        index: u64,
    ) -> Rule {
        let unverified = UserCertificate::from_canonical(cert.data()).map_err(|e| e.to_string())?;
        let person = if unverified.role == Role::Member {
            let admin =
                self.active_admin(&unverified.issuer, &unverified.org_id, unverified.issued_at)?;
            cert.verify(&admin).map_err(unentitled)?
        } else {
            root.verify_admin(cert).map_err(unentitled)?
        };
        if !self.orgs.contains_key(&person.org_id) {
            return Err("its organisation is not in the log".into());
        }
        let key = person.signing_key.fingerprint().to_hex();
        if let Some(existing) = self.people.get_mut(&key) {
            return recertified(existing, &person, cert.sha256());
        }
        if let Some(previous) = self
            .current
            .insert(person.user_id, key.clone())
            .and_then(|previous| self.people.get_mut(&previous))
        {
            previous.replaced_at.get_or_insert(index);
        }
        self.people.insert(
            key,
            PersonView {
                user_id: person.user_id,
                org_id: person.org_id,
                role: person.role,
                service: person.service,
                signing_key: person.signing_key.to_bytes(),
                certificate: cert.sha256(),
                index,
                revoked_at: None,
                replaced_at: None,
                expires_at: person.expires_at,
                display_name: person.display_name.clone(),
                issued_at: person.issued_at,
                earlier_certificates: Vec::new(),
            },
        );
        Ok(())
    }

    fn key_published(&mut self, cert: &Signed<OrgKeyCertificate>, index: u64) -> Rule {
        let unverified =
            OrgKeyCertificate::from_canonical(cert.data()).map_err(|e| e.to_string())?;
        let admin =
            self.active_admin(&unverified.issuer, &unverified.org_id, unverified.issued_at)?;
        let key = cert.verify(&admin).map_err(unentitled)?;
        let org = self
            .orgs
            .get_mut(&key.org_id)
            .ok_or("its organisation is not in the log")?;
        let next = org
            .keys
            .last()
            .map_or(1, |k| k.generation.saturating_add(1));
        if key.generation != next {
            return Err(format!(
                "generation {} published where {next} was next",
                key.generation
            )
            .into());
        }
        org.keys.push(KeyView {
            generation: key.generation,
            certificate: cert.sha256(),
            index,
            suspended_at: None,
            expires_at: key.expires_at,
        });
        Ok(())
    }

    fn revoked(&mut self, root: &TrustRoot, signed: &Signed<Revocation>, index: u64) -> Rule {
        let unverified = Revocation::from_canonical(signed.data()).map_err(|e| e.to_string())?;
        let by_root = unverified.issuer == root.fingerprint();
        let revocation = if by_root {
            signed.verify(&root.0).map_err(unentitled)?
        } else {
            let admin =
                self.active_admin(&unverified.issuer, &unverified.org_id, unverified.issued_at)?;
            signed.verify(&admin).map_err(unentitled)?
        };
        match revocation.subject {
            Revoked::Person { user_id, key } => {
                let person = self
                    .people
                    .get_mut(&key.to_hex())
                    .filter(|p| p.user_id == user_id && p.org_id == revocation.org_id)
                    .ok_or("it revokes a certificate the log does not hold")?;
                if person.role != Role::Member && !by_root {
                    return Err(unentitled("only the platform authority removes an admin"));
                }
                if person.revoked_at.is_some() {
                    return Err("it revokes a certificate already revoked".into());
                }
                person.revoked_at = Some(index);
            }
            Revoked::OrgKey { generation } => {
                let key = self
                    .orgs
                    .get_mut(&revocation.org_id)
                    .and_then(|org| org.keys.iter_mut().find(|k| k.generation == generation))
                    .ok_or("it suspends a key generation the log does not hold")?;
                key.suspended_at.get_or_insert(index);
            }
        }
        Ok(())
    }

    /// The log's policy, signed by the root: the first one, or a change that keeps the
    /// log, comes later and names a quorum of 1 to its number of witnesses
    /// ([`LogPolicy::check_succession`]). From this entry on, checkpoints are judged by
    /// it.
    fn policy_signed(&mut self, root: &TrustRoot, signed: &Signed<LogPolicy>, index: u64) -> Rule {
        let policy = signed.verify(&root.0).map_err(unentitled)?;
        if let Some(previous) = &self.policy_view {
            let previous = LogPolicy {
                origin: previous.origin.clone(),
                log_key: VerifyingKey::from_bytes(&previous.log_key).map_err(|e| e.to_string())?,
                witnesses: Vec::new(),
                quorum: 0,
                max_age_s: 0,
                issued_at: previous.issued_at,
            };
            policy.check_succession(&previous)?;
        }
        self.policy = Some(signed.sha256());
        self.policy_view = Some(PolicyView {
            origin: policy.origin,
            log_key: policy.log_key.to_bytes(),
            issued_at: policy.issued_at,
            index,
        });
        Ok(())
    }
}

/// A new certificate of a signing key the log already holds: the same person, in the same
/// organisation and role, whose certificate is current and unrevoked, certified again
/// later — their encryption key moved to post-quantum, or the certificate renewed (a
/// different name is allowed: the admin signed it). Anything else is refused: a key
/// certified to someone else or as a program's rather than a person's (or the reverse),
/// a revoked or replaced one brought back, or an earlier
/// certificate served again (which would take a person back to their X25519 key).
fn recertified(existing: &mut PersonView, person: &UserCertificate, hash: [u8; 32]) -> Rule {
    if existing.user_id != person.user_id
        || existing.org_id != person.org_id
        || existing.role != person.role
    {
        return Err("this signing key is already certified to another person or role".into());
    }
    if existing.service != person.service {
        return Err(
            "this signing key is already certified as a person's, or as a program's: \
             the mark cannot change"
                .into(),
        );
    }
    if !existing.is_valid() {
        return Err("this signing key's certificate was revoked or replaced".into());
    }
    if existing.certificate == hash || existing.earlier_certificates.contains(&hash) {
        return Err("this certificate is already in the log".into());
    }
    if person.issued_at <= existing.issued_at {
        return Err("a certificate of this key issued later is already in the log".into());
    }
    existing.earlier_certificates.push(existing.certificate);
    existing.certificate = hash;
    existing.issued_at = person.issued_at;
    existing.expires_at = person.expires_at;
    existing.display_name.clone_from(&person.display_name);
    Ok(())
}
