//! Moving people made before post-quantum keys to them (issue 10), keeping their signing
//! key (`pli_crypto::upgrade` says why the new identity is sealed apart from the bundle).
//!
//! 1. At a login, a person whose certified encryption key is X25519 makes a hybrid
//!    identity and asks for it ([`Session::ask_for_post_quantum_key`], from `unlock`).
//! 2. An admin certifies it ([`Session::certify_key_upgrade`]: the request verified
//!    against the person's certificate as the log holds it) — the platform authority for
//!    an organisation's admins.
//! 3. Once every active member of an organisation has a post-quantum key, its next
//!    generation is post-quantum ([`Session::move_to_post_quantum`] rotates to it).
//!
//! Nothing is granted again: what the X25519 key opened (earlier generations' grants,
//! interrupted sends) it still opens, from the bundle.

use pli_api::UserId;
use pli_api::messages::{KeyUpgradeRequest, MemberSummary};
use pli_crypto::age::{AnyIdentity, HybridIdentity};
use pli_crypto::upgrade::{KeyUpgrade, LaterIdentities};

use super::*;

/// What [`Session::move_to_post_quantum`] did, and what it waits for.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PostQuantumProgress {
    /// Members whose post-quantum key this call certified (names).
    pub certified: Vec<String>,
    /// Active members still on X25519 who have not asked for a post-quantum key: they
    /// will at their next login (names).
    pub waiting_for_login: Vec<String>,
    /// Admins whose post-quantum key only the platform authority can certify (names).
    pub waiting_for_platform: Vec<String>,
    /// The post-quantum generation published, if every active member was ready.
    pub rotated: Option<u32>,
    /// The organisation's current generation was already post-quantum.
    pub already_post_quantum: bool,
}

impl Session {
    /// Every encryption identity this person holds, the bundle's first: what opens their
    /// grants and what they sealed to themselves.
    pub(super) fn identities(&self) -> impl Iterator<Item = &AnyIdentity> {
        std::iter::once(&self.keys.encryption).chain(self.later.iter())
    }

    /// The identity to seal new things to oneself with: the latest made.
    pub(super) fn newest_identity(&self) -> &AnyIdentity {
        self.later.last().unwrap_or(&self.keys.encryption)
    }

    /// Whether this person's newest key is post-quantum (asked for, or certified).
    pub fn has_post_quantum_key(&self) -> bool {
        self.newest_identity().is_post_quantum()
    }

    /// Opens the identities the relay keeps for this person beside their bundle.
    pub(super) fn open_later_identities(&mut self) -> Result<(), ClientError> {
        self.later = match &self.me.later_identities {
            None => Vec::new(),
            Some(sealed) => {
                LaterIdentities::open(&sealed.0, &self.keys.signing, &self.me.user_id)
                    .map_err(|_| {
                        ClientError::verification(
                            "my post-quantum key kept by the relay does not open",
                        )
                    })?
                    .identities
            }
        };
        Ok(())
    }

    /// At a login: a certified person of an organisation (not the platform's) whose key is
    /// X25519 and who has not asked yet makes a post-quantum identity, seals it and asks
    /// for it. Failing leaves everything as it was (the next login asks again).
    pub(super) async fn ask_for_post_quantum_key(&mut self) -> Result<(), ClientError> {
        if self.me.status != AccountStatus::Active
            || self.me.org_kind == OrgKind::Platform
            || self.me.key_upgrade.is_some()
            || self.has_post_quantum_key()
        {
            return Ok(());
        }
        let identity = AnyIdentity::Hybrid(HybridIdentity::generate()?);
        let later = LaterIdentities {
            user_id: self.me.user_id,
            identities: vec![identity.clone()],
        };
        let upgrade = KeyUpgrade {
            user_id: self.me.user_id,
            org_id: self.me.org_id,
            encryption_key: identity.to_recipient().into(),
            issued_at: now_ms(),
        };
        let request = KeyUpgradeRequest {
            upgrade: Signed::sign(&upgrade, &self.keys.signing)?.to_wire(),
            later_identities: Base64(later.seal(&self.keys.signing)?),
        };
        match self.client.submit(&ep::PutKeyUpgrade {}, &request).await {
            // Another device of theirs asked first: its identity is the one.
            Ok(()) | Err(ClientError::Api { status: 409, .. }) => {}
            Err(other) => return Err(other),
        }
        self.me = self.client.fetch(&ep::GetMe {}).await?;
        self.open_later_identities()
    }

    /// Certifies an active member's move to a post-quantum key: the request they signed
    /// is verified against their certificate as the log holds it (a relay that swapped the
    /// key cannot sign for them), then their signing key is certified again with the new
    /// key (an organisation's admin by the platform authority, with the root).
    pub async fn certify_key_upgrade(&self, org: &OrgId, user: &UserId) -> Result<(), ClientError> {
        let member = &self.active_member(org, user).await?;
        self.certify_member_upgrade(org, member).await
    }

    /// Renews an active member's certificate (same keys, two more years; the platform
    /// authority renews an organisation's admins): before it expires, or after.
    pub async fn renew_certificate(&self, org: &OrgId, user: &UserId) -> Result<(), ClientError> {
        let member = &self.active_member(org, user).await?;
        let current = self.certified_certificate_even_expired(org, member).await?;
        let key = current.encryption_key.clone();
        self.certify_again(org, member, current, key).await
    }

    async fn certify_member_upgrade(
        &self,
        org: &OrgId,
        member: &MemberSummary,
    ) -> Result<(), ClientError> {
        let wire = member
            .key_upgrade
            .as_ref()
            .ok_or_else(|| ClientError::verification("this member asked for no new key"))?;
        let current = self.certified_certificate(org, member).await?;
        let upgrade = Signed::<KeyUpgrade>::from_wire(wire)?
            .verify(&current.signing_key)
            .map_err(|e| {
                ClientError::verification(format!(
                    "a member's request for a post-quantum key is not theirs: {e}"
                ))
            })?;
        if upgrade.user_id != member.user_id || upgrade.org_id != *org {
            return Err(ClientError::verification(
                "a member's request for a post-quantum key names someone else",
            ));
        }
        self.certify_again(org, member, current, upgrade.encryption_key)
            .await
    }

    /// Certifies `member`'s signing key again, `current` (their logged certificate) with
    /// `key`: their post-quantum key, or the same key for a renewal.
    async fn certify_again(
        &self,
        org: &OrgId,
        member: &MemberSummary,
        current: UserCertificate,
        key: pli_crypto::keys::EncryptionKey,
    ) -> Result<(), ClientError> {
        let issuer = match (self.me.role, member.role) {
            (Role::PlatformAdmin, Role::OrgAdmin) => self.root()?,
            (Role::OrgAdmin, Role::Member) => &self.keys.signing,
            _ => return Err(ClientError::verification("you cannot certify this member")),
        };
        let now = now_ms().max(current.issued_at.saturating_add(1));
        // `..current` keeps the service account mark: the relay refuses a change of it
        // for the same signing key, and so does the directory's log.
        let cert = UserCertificate {
            encryption_key: key,
            issued_at: now,
            issuer: issuer.verifying_key().fingerprint(),
            expires_at: Some(now.saturating_add(pli_crypto::cert::VALIDITY_MS)),
            ..current
        };
        let request = CertifyRequest {
            certificate: Signed::sign(&cert, issuer)?.to_wire(),
            grants: Vec::new(),
        };
        self.client
            .submit(
                &ep::Certify {
                    org: *org,
                    user: member.user_id,
                },
                &request,
            )
            .await
    }

    /// « Passer aux clés post-quantiques » (an organisation's admin, for their own
    /// organisation): certifies every member's pending post-quantum key, then, if every
    /// active member has one and the current generation is X25519 (or there is none),
    /// rotates to a post-quantum generation. Says who it still waits for.
    pub async fn move_to_post_quantum(&mut self) -> Result<PostQuantumProgress, ClientError> {
        let (progress, published) = self.advance_to_post_quantum().await?;
        if let Some((generation, key)) = published {
            self.org_keys.insert(generation, key);
        }
        Ok(progress)
    }

    /// What [`move_to_post_quantum`](Self::move_to_post_quantum) does, without changing
    /// the session: also returns the generation published and its key, to add to
    /// [`org_keys`](Self::org_keys).
    pub async fn advance_to_post_quantum(
        &self,
    ) -> Result<(PostQuantumProgress, Option<(u32, OrgKey)>), ClientError> {
        let org = self.me.org_id;
        let mut progress = PostQuantumProgress::default();
        self.sync_log().await?;
        for member in self.members(&org).await?.members {
            if member.status != AccountStatus::Active || member.key_upgrade.is_none() {
                continue;
            }
            if member.role == Role::Member {
                self.certify_member_upgrade(&org, &member).await?;
                progress.certified.push(member.display_name.clone());
            }
        }
        // What was just certified, the log now holds: read it before judging anyone.
        self.sync_log().await?;
        let mut ready = true;
        for member in self.members(&org).await?.members {
            if member.status != AccountStatus::Active {
                continue;
            }
            if self
                .certified_certificate(&org, &member)
                .await?
                .encryption_key
                .is_post_quantum()
            {
                continue;
            }
            ready = false;
            if member.key_upgrade.is_some() {
                progress.waiting_for_platform.push(member.display_name);
            } else {
                progress.waiting_for_login.push(member.display_name);
            }
        }
        let current = self
            .org_keys
            .iter()
            .next_back()
            .map(|(_, key)| key.identity.is_post_quantum());
        progress.already_post_quantum = current == Some(true);
        let mut published = None;
        if ready && !progress.already_post_quantum {
            let (generation, key) = self.publish_org_key().await?;
            progress.rotated = Some(generation);
            published = Some((generation, key));
        }
        Ok((progress, published))
    }
}
