//! What the administration and mailbox pages read and change, each call through its
//! typed endpoint; and the directory, fetched once and verified entry by entry.

use pli_api::endpoints as ep;
use pli_api::messages::{
    AuditEntry, AuditQuery, ChainVerification, DirectoryKey, DirectoryOrg, ExchangeDetail,
    ExchangePage, ExchangeQuery, OrgSummary, ResetRequest, Retention, SecondFactorPolicy, TotpCode,
    TotpSetupResponse,
};
use pli_api::{ExchangeId, OrgId, SecondFactor, UserId};

use super::Session;
use super::*;
use crate::ClientError;
use crate::protocol::{self};
use pli_api::messages::Revoke;
use pli_crypto::keys::EncryptionKey;
use pli_crypto::statement::{Revocation, Revoked};

impl Session {
    /// Every organisation (platform admin).
    pub async fn list_orgs(&self) -> Result<Vec<OrgSummary>, ClientError> {
        self.client.fetch(&ep::ListOrgs {}).await
    }

    /// Sets how long an organisation's exchanges are kept.
    pub async fn set_retention(&self, org: &OrgId, retention_days: u64) -> Result<(), ClientError> {
        self.client
            .submit(
                &ep::SetRetention { org: *org },
                &Retention { retention_days },
            )
            .await
    }

    /// Sets the organisation's SIRET numbers and whether its people must sign in with
    /// ProConnect (adding a SIRET or relaxing the rule needs a recent password proof).
    pub async fn set_proconnect(
        &self,
        org: &OrgId,
        policy: &pli_api::messages::ProConnectPolicy,
    ) -> Result<(), ClientError> {
        self.client
            .submit(&ep::SetProConnect { org: *org }, policy)
            .await
    }

    /// Sets whether an organisation's members must use two-factor authentication (relaxing
    /// it needs a recent password proof).
    pub async fn set_second_factor(
        &self,
        org: &OrgId,
        second_factor: SecondFactor,
    ) -> Result<(), ClientError> {
        self.client
            .submit(
                &ep::SetSecondFactor { org: *org },
                &SecondFactorPolicy { second_factor },
            )
            .await
    }

    /// Withdraws an invitation not used yet.
    pub async fn withdraw_invitation(&self, org: &OrgId, user: &UserId) -> Result<(), ClientError> {
        self.client
            .act(&ep::WithdrawInvitation {
                org: *org,
                user: *user,
            })
            .await
    }

    /// Suspends a key generation: new uploads to it are refused. The suspension is a
    /// revocation signed by this admin (the root's, for the platform admin), which the
    /// relay appends to the transparency log.
    pub async fn suspend_key(&self, org: &OrgId, generation: u32) -> Result<(), ClientError> {
        let revocation = self.revocation(org, Revoked::OrgKey { generation })?;
        self.client
            .submit(
                &ep::SuspendKey {
                    org: *org,
                    generation,
                },
                &Revoke {
                    revocation: Some(revocation),
                },
            )
            .await?;
        self.confirm_logged(
            &format!("the suspension of key generation {generation}"),
            |log| {
                log.org(org)
                    .and_then(|view| view.keys.iter().find(|k| k.generation == generation))
                    .is_some_and(|key| key.suspended_at.is_some())
            },
        )
        .await
    }

    /// After the relay acknowledged a directory change this admin signed (a suspension, a
    /// removal, a new key generation): verifies the log again and requires the change in
    /// it. A relay that acknowledges such a change and leaves it out of the log would
    /// otherwise go unnoticed: everyone would go on encrypting to the suspended key, the
    /// removed member would keep their certificate (and be granted the next key), the new
    /// generation would stay hidden. The relay publishes a checkpoint holding a change
    /// before it answers, so the change must be there now.
    async fn confirm_logged(
        &self,
        what: &str,
        holds: impl FnOnce(&pli_log::Directory) -> bool,
    ) -> Result<(), ClientError> {
        self.sync_log().await?;
        if self.directory_log().as_ref().is_some_and(holds) {
            Ok(())
        } else {
            Err(ClientError::LogInconsistent(format!(
                "the relay acknowledged {what}, but its log does not hold it: the relay may \
                 be hiding it"
            )))
        }
    }

    /// A revocation of `subject` in `org`, signed by this admin (or by the root, which
    /// the platform admin holds).
    fn revocation(
        &self,
        org: &OrgId,
        subject: Revoked,
    ) -> Result<pli_api::SignedObject, ClientError> {
        let key = if self.me.role == Role::PlatformAdmin {
            self.root()?
        } else {
            &self.keys.signing
        };
        let revocation = Revocation {
            org_id: *org,
            subject,
            issued_at: now_ms(),
            issuer: key.verifying_key().fingerprint(),
        };
        Ok(Signed::sign(&revocation, key)?.to_wire())
    }

    /// An organisation's key generations (for its members).
    pub async fn org_keys(&self, org: &OrgId) -> Result<Vec<DirectoryKey>, ClientError> {
        self.client.fetch(&ep::OrgKeys { org: *org }).await
    }

    /// A page of an organisation's audit log.
    pub async fn org_audit(
        &self,
        org: &OrgId,
        query: AuditQuery,
    ) -> Result<Vec<AuditEntry>, ClientError> {
        self.client.fetch(&ep::OrgAudit { org: *org, query }).await
    }

    /// A page of the platform's audit log.
    pub async fn platform_audit(&self, query: AuditQuery) -> Result<Vec<AuditEntry>, ClientError> {
        self.client.fetch(&ep::PlatformAudit { query }).await
    }

    /// The relay's check of an organisation's audit chain.
    pub async fn verify_audit(&self, org: &OrgId) -> Result<ChainVerification, ClientError> {
        self.client.fetch(&ep::VerifyAudit { org: *org }).await
    }

    /// An exchange as the relay describes it (nothing verified: see [`Session::open`]).
    pub async fn exchange(&self, id: &ExchangeId) -> Result<ExchangeDetail, ClientError> {
        self.client.fetch(&ep::Exchange { id: *id }).await
    }

    /// The directory as the relay serves it (nothing verified: see
    /// [`Session::verified_directory`]).
    pub async fn directory(&self) -> Result<Vec<DirectoryOrg>, ClientError> {
        self.client.fetch(&ep::Directory {}).await
    }

    /// A page of my organisation's inbox.
    pub async fn inbox_page(&self, query: ExchangeQuery) -> Result<ExchangePage, ClientError> {
        self.client.fetch(&ep::Inbox { query }).await
    }

    /// A page of my organisation's outbox.
    pub async fn outbox_page(&self, query: ExchangeQuery) -> Result<ExchangePage, ClientError> {
        self.client.fetch(&ep::Outbox { query }).await
    }

    /// Starts TOTP enrolment: the secret to give an authenticator.
    pub async fn totp_setup(&self) -> Result<TotpSetupResponse, ClientError> {
        self.client.fetch(&ep::TotpSetup {}).await
    }

    /// Turns TOTP on with a first code (then [`Session::refresh_keys`] re-reads the
    /// account).
    pub async fn totp_confirm(&self, code: &str) -> Result<(), ClientError> {
        self.client
            .submit(
                &ep::TotpConfirm {},
                &TotpCode {
                    code: code.to_owned(),
                },
            )
            .await
    }

    /// Turns TOTP off (members only) after a recent password proof ([`Session::reauth`]
    /// with the password and a current code; then [`Session::refresh_keys`] re-reads the
    /// account).
    pub async fn totp_disable(&self) -> Result<(), ClientError> {
        self.client.act(&ep::TotpDisable {}).await
    }
}

// ----- administration: members, grants, key generations ----------------------------------

impl Session {
    /// Creates an organisation (platform admin: signs its certificate with the root).
    pub async fn create_org(
        &self,
        kind: OrgKind,
        name: &str,
        code: &str,
    ) -> Result<OrgId, ClientError> {
        let root = self.root()?;
        let org = OrgCertificate {
            org_id: random_id()?,
            kind,
            name: name.into(),
            code: code.into(),
            issued_at: now_ms(),
        };
        self.client
            .call(
                &ep::CreateOrg {},
                &CreateOrg {
                    certificate: Signed::sign(&org, root)?.to_wire(),
                },
            )
            .await?;
        Ok(org.org_id)
    }

    /// Invites someone to `org`.
    pub async fn invite(
        &self,
        org: &OrgId,
        email: &str,
        display_name: &str,
        role: Role,
    ) -> Result<InviteResponse, ClientError> {
        let request = InviteRequest {
            email: email.into(),
            display_name: display_name.into(),
            role,
            service: false,
        };
        self.send_invitation(org, &request).await
    }

    /// Invites a service account into `org` (an organisation admin): a program's own
    /// member account, which `pli service enrol` creates on the integrating machine from
    /// the link; `email` is the address of the people who run it. It is certified like a
    /// member once enrolled.
    pub async fn invite_service(
        &self,
        org: &OrgId,
        email: &str,
        display_name: &str,
    ) -> Result<InviteResponse, ClientError> {
        let request = InviteRequest {
            email: email.into(),
            display_name: display_name.into(),
            role: Role::Member,
            service: true,
        };
        self.send_invitation(org, &request).await
    }

    async fn send_invitation(
        &self,
        org: &OrgId,
        request: &InviteRequest,
    ) -> Result<InviteResponse, ClientError> {
        let invited: InviteResponse = self.client.call(&ep::Invite { org: *org }, request).await?;
        Ok(self.pinned_link(invited))
    }

    /// A one-time link with the root this session trusts in its fragment (the relay's
    /// link, and its e-mail, carry none: they are the relay's word).
    fn pinned_link(&self, response: InviteResponse) -> InviteResponse {
        InviteResponse {
            link: RootPin::of(&self.trust.0).in_link(&response.link),
            ..response
        }
    }

    /// The members of `org`.
    pub async fn members(&self, org: &OrgId) -> Result<Members, ClientError> {
        self.client.fetch(&ep::Members { org: *org }).await
    }

    /// Certifies a pending member's keys and grants them every organisation key held.
    /// The platform admin certifies organisation admins with the root key.
    pub async fn certify(&self, org: &OrgId, user: &UserId) -> Result<(), ClientError> {
        self.certify_shown(org, user, None).await
    }

    /// [`Session::certify`], once the admin was shown whether the member is a service
    /// account (`service`): refused if the relay now lists them otherwise, since the
    /// certificate signs that mark.
    pub async fn certify_shown(
        &self,
        org: &OrgId,
        user: &UserId,
        service: Option<bool>,
    ) -> Result<(), ClientError> {
        self.sync_log().await?;
        let members = self.members(org).await?;
        let member = members
            .members
            .iter()
            .find(|m| m.user_id == *user)
            .ok_or_else(|| ClientError::verification("no such member"))?;
        if service.is_some_and(|shown| shown != member.service) {
            return Err(ClientError::verification(
                "the relay now lists this member otherwise than the page showed \
                 (a person's account or a program's): certify again from a fresh list",
            ));
        }
        let (role, issuer) = match (self.me.role, member.role) {
            (Role::PlatformAdmin, Role::OrgAdmin) => (Role::OrgAdmin, self.root()?),
            (Role::OrgAdmin, Role::Member) => (Role::Member, &self.keys.signing),
            _ => return Err(ClientError::verification("you cannot certify this member")),
        };
        let signing_key = VerifyingKey::from_bytes(&key32(&member.keys.signing_key)?)?;
        let encryption_key = EncryptionKey::from_bytes(&member.keys.encryption_key.0)?;
        let cert = UserCertificate {
            user_id: member.user_id,
            org_id: *org,
            role,
            // As the relay lists the account, and the admin sees it (« logiciel »); the
            // relay refuses a certificate that says otherwise.
            service: member.service,
            display_name: member.display_name.clone(),
            signing_key,
            encryption_key: encryption_key.clone(),
            issued_at: now_ms(),
            issuer: issuer.verifying_key().fingerprint(),
            expires_at: Some(now_ms().saturating_add(pli_crypto::cert::VALIDITY_MS)),
        };
        let grants = if role == Role::Member {
            self.grants_for(&member.user_id, &encryption_key)?
        } else {
            Vec::new()
        };
        let request = CertifyRequest {
            certificate: Signed::sign(&cert, issuer)?.to_wire(),
            grants,
        };
        self.client
            .submit(
                &ep::Certify {
                    org: *org,
                    user: *user,
                },
                &request,
            )
            .await
    }

    /// The grants of every generation this session holds to `recipient`. A post-quantum
    /// generation is not granted to an X25519 key (it would be no safer than X25519):
    /// a rotation made while such a member was active stays X25519
    /// ([`publish_org_key`](Self::publish_org_key)), so only a member certified later with
    /// keys from before the migration misses one.
    fn grants_for(
        &self,
        user: &UserId,
        recipient: &EncryptionKey,
    ) -> Result<Vec<GrantUpload>, ClientError> {
        self.org_keys
            .values()
            .filter(|key| key.may_be_granted_to(recipient))
            .map(|key| {
                Ok(GrantUpload {
                    generation: key.generation,
                    user_id: *user,
                    wrapped: Base64(key.grant_to(recipient)?),
                })
            })
            .collect()
    }

    /// A member's encryption key, from their certificate verified to the root (never from
    /// the member list alone, which the relay could alter).
    async fn certified_recipient(
        &self,
        org: &OrgId,
        member: &pli_api::messages::MemberSummary,
    ) -> Result<EncryptionKey, ClientError> {
        Ok(self
            .certified_certificate(org, member)
            .await?
            .encryption_key)
    }

    /// A member's current certificate, verified to the root and held by the log as their
    /// current one, not revoked, not expired.
    pub(super) async fn certified_certificate(
        &self,
        org: &OrgId,
        member: &pli_api::messages::MemberSummary,
    ) -> Result<UserCertificate, ClientError> {
        self.logged_certificate(org, member, false).await
    }

    /// The same, expired or not (what a renewal starts from).
    pub(super) async fn certified_certificate_even_expired(
        &self,
        org: &OrgId,
        member: &pli_api::messages::MemberSummary,
    ) -> Result<UserCertificate, ClientError> {
        self.logged_certificate(org, member, true).await
    }

    async fn logged_certificate(
        &self,
        org: &OrgId,
        member: &pli_api::messages::MemberSummary,
        expired_too: bool,
    ) -> Result<UserCertificate, ClientError> {
        let signing = VerifyingKey::from_bytes(&key32(&member.keys.signing_key)?)?;
        let fingerprint = pli_crypto::sign::Fingerprint::of_signing_key(&signing).to_hex();
        let chain = self.client.fetch(&ep::Certificate { fingerprint }).await?;
        let cert = protocol::verify_chain(&self.trust, &chain)?;
        if cert.user_id != member.user_id || cert.org_id != *org {
            return Err(ClientError::verification(
                "a member's certificate does not match the member list",
            ));
        }
        // And the log holds it as their current certificate, not revoked: a relay cannot
        // keep a removed member (or their old keys) among those an organisation key is
        // granted to.
        let directory = self
            .directory_log()
            .ok_or_else(|| ClientError::LogInconsistent("the log was not verified yet".into()))?;
        let signed = Signed::<pli_crypto::cert::UserCertificate>::from_wire(&chain.certificate)?;
        match directory.check_person(&signed, now_ms()) {
            Ok(_) => Ok(cert),
            Err(pli_log::Mismatch::Expired) if expired_too => Ok(cert),
            Err(mismatch) => Err(ClientError::KeyNotLatest(mismatch)),
        }
    }

    /// A certified member of `org`, as the member list says, after reading the log (what
    /// is done to them is then checked against it).
    pub(super) async fn active_member(
        &self,
        org: &OrgId,
        user: &UserId,
    ) -> Result<pli_api::messages::MemberSummary, ClientError> {
        self.sync_log().await?;
        self.members(org)
            .await?
            .members
            .into_iter()
            .find(|m| m.user_id == *user && m.status == AccountStatus::Active)
            .ok_or_else(|| ClientError::verification("no such certified member"))
    }

    /// Grants every organisation key generation this session holds to a certified member
    /// who lacks them (a second admin, whom the platform certified without keys).
    pub async fn grant_keys(&self, org: &OrgId, user: &UserId) -> Result<(), ClientError> {
        let member = &self.active_member(org, user).await?;
        let recipient = self.certified_recipient(org, member).await?;
        let grants = self.grants_for(user, &recipient)?;
        self.client
            .submit(
                &ep::Grant {
                    org: *org,
                    user: *user,
                },
                &grants,
            )
            .await
    }

    /// Publishes a new key generation for my organisation (the first, or a rotation),
    /// granted to every active member after verifying their certificates to the root.
    pub async fn rotate_org_key(&mut self) -> Result<u32, ClientError> {
        let (generation, key) = self.publish_org_key().await?;
        self.org_keys.insert(generation, key);
        Ok(generation)
    }

    /// What [`rotate_org_key`](Self::rotate_org_key) does, without changing the session:
    /// returns the generation published and its key, to add to
    /// [`org_keys`](Self::org_keys).
    pub async fn publish_org_key(&self) -> Result<(u32, OrgKey), ClientError> {
        let org = self.me.org_id;
        self.sync_log().await?;
        let generation = self.org_keys.keys().max().map_or(1, |g| g + 1);
        let mut recipients = Vec::new();
        for member in self
            .members(&org)
            .await?
            .members
            .iter()
            .filter(|m| m.status == AccountStatus::Active)
        {
            recipients.push((
                member.user_id,
                self.certified_recipient(&org, member).await?,
            ));
        }
        // Post-quantum once every member it is granted to has a post-quantum key: wrapped
        // to an X25519 key, a post-quantum key would be no safer than X25519.
        let key = if recipients.iter().all(|(_, key)| key.is_post_quantum()) {
            OrgKey::generate(org, generation)?
        } else {
            OrgKey::generate_classic(org, generation)?
        };
        let grants = recipients
            .iter()
            .map(|(user_id, recipient)| {
                Ok(GrantUpload {
                    generation,
                    user_id: *user_id,
                    wrapped: Base64(key.grant_to(recipient)?),
                })
            })
            .collect::<Result<Vec<_>, ClientError>>()?;
        let cert = OrgKeyCertificate {
            org_id: org,
            generation,
            public_key: key.public_key(),
            issued_at: now_ms(),
            issuer: self.keys.signing.verifying_key().fingerprint(),
            expires_at: Some(now_ms().saturating_add(pli_crypto::cert::VALIDITY_MS)),
        };
        let certificate = Signed::sign(&cert, &self.keys.signing)?;
        let published = certificate.sha256();
        let request = PublishKey {
            certificate: certificate.to_wire(),
            grants,
        };
        self.client
            .submit(&ep::PublishKey { org }, &request)
            .await?;
        self.confirm_logged(&format!("key generation {generation}"), |log| {
            log.org(&org)
                .and_then(|view| view.keys.last())
                .is_some_and(|latest| latest.certificate == published)
        })
        .await?;
        Ok((generation, key))
    }

    /// Removes a member.
    pub async fn remove_member(&self, org: &OrgId, user: &UserId) -> Result<Removed, ClientError> {
        // A certified person is removed by a signed revocation of their current
        // certificate, as the transparency log holds it.
        self.sync_log().await?;
        let certified = self
            .directory_log()
            .and_then(|log| log.current(user).cloned())
            .filter(|person| person.is_valid());
        let revoked_key = certified
            .map(|person| VerifyingKey::from_bytes(&person.signing_key).map(|k| k.fingerprint()))
            .transpose()?;
        let revocation = match &revoked_key {
            Some(key) => Some(self.revocation(
                org,
                Revoked::Person {
                    user_id: *user,
                    key: *key,
                },
            )?),
            None => None,
        };
        let removed = self
            .client
            .call(
                &ep::RemoveMember {
                    org: *org,
                    user: *user,
                },
                &Revoke { revocation },
            )
            .await?;
        match &revoked_key {
            Some(key) => {
                self.confirm_logged("the revocation of the member's certificate", |log| {
                    log.person(key)
                        .is_some_and(|person| person.revoked_at.is_some())
                })
                .await?;
            }
            // Never certified: nothing of theirs is in the log.
            None => self.sync_log().await?,
        }
        Ok(removed)
    }

    /// Issues a new account set-up link to a member who lost their password. Their
    /// two-factor authentication stays (accepting the link asks a current code of it)
    /// unless `clear_second_factor`: they lost their authenticator app too. Either way
    /// the member is told by e-mail who issued it, and the audit log says so.
    pub async fn reset_member(
        &self,
        org: &OrgId,
        user: &UserId,
        clear_second_factor: bool,
    ) -> Result<InviteResponse, ClientError> {
        let reset: InviteResponse = self
            .client
            .call(
                &ep::ResetMember {
                    org: *org,
                    user: *user,
                },
                &ResetRequest {
                    clear_second_factor,
                },
            )
            .await?;
        Ok(self.pinned_link(reset))
    }
}
