//! A person's session: setting up the platform, accepting an invitation, logging in or
//! unlocking a session the relay still knows, re-reading the account and its keys,
//! two-factor enrolment, logging out. Every password chosen here (set-up, invitation or
//! reset, change) passes [`check_new_password`] first, with what an attacker would know
//! of the person; a password only sealed again (logging in) is not judged.

use pli_strength::Verdict;

use super::*;

/// The new-password rule as this build enforces it: `pli_strength::check_new_password`
/// (zxcvbn's estimate) with the `strength` feature; without it, the length alone
/// (`pli_strength::check_length`). The web app builds without it, so that zxcvbn stays
/// out of its one module: its page runs the estimator, from a module of its own, before
/// asking the worker.
pub(super) fn check_new_password(password: &str, context: &[&str]) -> Verdict {
    #[cfg(feature = "strength")]
    return pli_strength::check_new_password(password, context);
    #[cfg(not(feature = "strength"))]
    {
        let _ = context;
        pli_strength::check_length(password)
    }
}

/// The platform organisation's name, certified at set-up.
const PLATFORM_NAME: &str = "Plateforme Pli";

impl Session {
    /// Sets up the platform with the one-time token: generates the root key, the
    /// admin's keys and the platform organisation, all here. A password that does not
    /// pass [`check_new_password`] is refused before the relay is asked anything.
    pub async fn setup_platform(
        client: &Client,
        token: &str,
        email: &str,
        display_name: &str,
        password: &str,
        kdf: KdfParams,
    ) -> Result<Self, ClientError> {
        // The platform's name is among the service's own words.
        check_new_password(password, &[email, display_name])?;
        let info: InvitationInfo = client
            .call(
                &ep::SetupLookup {},
                &TokenRequest {
                    token: token.into(),
                },
            )
            .await?;
        let root = SigningKey::generate()?;
        let keys = UserKeys::generate()?;
        let org_id: OrgId = random_id()?;
        let now = now_ms();
        let org = OrgCertificate {
            org_id,
            kind: OrgKind::Platform,
            name: PLATFORM_NAME.into(),
            code: "PLATFORM".into(),
            issued_at: now,
        };
        let cert = UserCertificate {
            user_id: info.user_id,
            org_id,
            role: Role::PlatformAdmin,
            service: false,
            display_name: display_name.into(),
            signing_key: keys.signing.verifying_key(),
            encryption_key: keys.public().encryption,
            issued_at: now,
            issuer: root.verifying_key().fingerprint(),
            expires_at: Some(now.saturating_add(pli_crypto::cert::VALIDITY_MS)),
        };
        let bundle = KeyBundle {
            user_id: info.user_id,
            keys: keys.clone(),
            // The root is never sealed for the relay: the session holds it, the browser
            // keeps it, and the authority saves it as a root file (`authority.rs`).
            root: None,
            trusted_root: Some(root.verifying_key()),
        };
        // The log's policy: what this relay is configured with, signed by the new root.
        // The authority decides here which witnesses its platform's clients will require.
        let proposal = client.fetch(&ep::LogProposal {}).await?;
        let policy = protocol::log_policy(&proposal, now)?;
        let account_key = AccountKey::generate()?;
        let request = SetupRequest {
            token: token.into(),
            email: email.into(),
            display_name: display_name.into(),
            credentials: new_credentials(password, &account_key, kdf, &bundle).await?,
            root_key: Base64(root.verifying_key().to_bytes().to_vec()),
            org_certificate: Signed::sign(&org, &root)?.to_wire(),
            user_certificate: Signed::sign(&cert, &root)?.to_wire(),
            log_policy: Signed::sign(&policy, &root)?.to_wire(),
        };
        let response = Client::send(client.request_to(&ep::Setup {}).json(&request)).await?;
        let token = session_token(&response);
        let login: LoginResponse = response.json().await?;
        let client = client.with_token(token);
        let mut session = Self::unlock(
            client,
            login.me,
            bundle,
            Some(root.verifying_key()),
            kdf,
            Some(account_key),
        )
        .await?;
        session.root_key = Some(root);
        session.kit_due = true;
        Ok(session)
    }

    /// Creates the account an invitation is for (or gives a reset account new keys).
    /// `root` is the platform root the link (or the administrator, by phone) named: the
    /// relay's is refused unless it is that one, then sealed into the new bundle. A
    /// password that does not pass [`check_new_password`] (with the invitation's address,
    /// name and organisation) is refused before any key is made.
    ///
    /// A reset keeps the account's two-factor authentication (unless the admin said it
    /// was lost too): `totp` is then a current code of it, which the relay checks as at
    /// login (`totp_required` without one, `totp_invalid` for a wrong one, and the link
    /// stays usable). The link's lookup says beforehand whether it is asked
    /// (`InvitationInfo::totp_required`).
    pub async fn accept_invitation(
        client: &Client,
        token: &str,
        password: &str,
        kdf: KdfParams,
        root: &RootPin,
        totp: Option<&str>,
    ) -> Result<Self, ClientError> {
        Self::accept_invitation_with_keys(
            client,
            token,
            password,
            kdf,
            root,
            totp,
            UserKeys::generate()?,
        )
        .await
    }

    /// [`accept_invitation`](Self::accept_invitation) with keys the caller made: tests
    /// make X25519 ones, as versions before post-quantum keys did, to show such accounts
    /// move to post-quantum keys.
    pub async fn accept_invitation_with_keys(
        client: &Client,
        token: &str,
        password: &str,
        kdf: KdfParams,
        root: &RootPin,
        totp: Option<&str>,
        keys: UserKeys,
    ) -> Result<Self, ClientError> {
        let info: InvitationInfo = client
            .call(
                &ep::InvitationLookup {},
                &TokenRequest {
                    token: token.into(),
                },
            )
            .await?;
        check_new_password(
            password,
            &[
                &info.email,
                &info.display_name,
                info.org_name.as_deref().unwrap_or_default(),
            ],
        )?;
        let served: pli_api::messages::RootKey = client.fetch(&ep::Root {}).await?;
        let served = served_root(served.root_key.as_ref())?
            .ok_or_else(|| ClientError::verification("the platform is not set up"))?;
        if !root.matches(&served) {
            return Err(ClientError::RootChanged);
        }
        let bundle = KeyBundle {
            user_id: info.user_id,
            keys: keys.clone(),
            root: None,
            trusted_root: Some(served),
        };
        let account_key = AccountKey::generate()?;
        let request = AcceptRequest {
            token: token.into(),
            credentials: new_credentials(password, &account_key, kdf, &bundle).await?,
            keys: PublicKeys {
                signing_key: Base64(keys.signing.verifying_key().to_bytes().to_vec()),
                encryption_key: Base64(keys.public().encryption.to_bytes()),
            },
            totp: totp.map(str::to_owned),
        };
        let response =
            Client::send(client.request_to(&ep::AcceptInvitation {}).json(&request)).await?;
        let token = session_token(&response);
        let login: LoginResponse = response.json().await?;
        let mut session = Self::unlock(
            client.with_token(token),
            login.me,
            bundle,
            None,
            kdf,
            Some(account_key),
        )
        .await?;
        session.kit_due = true;
        Ok(session)
    }

    /// Unlocks the keys of a session the relay already knows (a browser that reloaded
    /// its page keeps its cookie, not its keys): re-derives the bundle key from the
    /// password and the account key, and opens the bundle of `me`, the account as the
    /// caller just read it (`GET /api/me`, which it needed to find the account key).
    pub async fn resume(
        client: &Client,
        me: Me,
        password: &str,
        account_key: Option<&AccountKey>,
        pinned_root: Option<VerifyingKey>,
    ) -> Result<Self, ClientError> {
        let kdf = kdf_from_wire(&me.kdf)?;
        let credentials = derive(password.to_owned(), account_key.cloned(), kdf).await?;
        let bundle = KeyBundle::open(&me.key_bundle.0, &credentials.bundle_key, &me.user_id)?;
        Self::unlock(
            client.clone(),
            me,
            bundle,
            pinned_root,
            kdf,
            account_key.cloned(),
        )
        .await
    }

    /// Logs in: derives the auth key from the password and the account key with the
    /// relay's parameters, opens the key bundle, unlocks the organisation keys granted.
    ///
    /// An account created before account keys (the relay's parameters say version 1)
    /// logs in with the password alone, then moves to an account key at once: a new key
    /// is drawn, the bundle sealed again, and [`kit_due`](Self::kit_due) says the person
    /// must be handed their kit. A client holding an account key never derives from the
    /// password alone, whatever the relay says (see `pli_crypto::password::derive`).
    pub async fn login(
        client: &Client,
        email: &str,
        password: &str,
        account_key: Option<&AccountKey>,
        totp: Option<&str>,
        pinned_root: Option<VerifyingKey>,
    ) -> Result<Self, ClientError> {
        let prelogin: PreloginResponse = client
            .call(
                &ep::Prelogin {},
                &PreloginRequest {
                    email: email.into(),
                },
            )
            .await?;
        let kdf = kdf_from_wire(&prelogin.kdf)?;
        let credentials = derive(password.to_owned(), account_key.cloned(), kdf).await?;
        let request = LoginRequest {
            email: email.into(),
            auth_key: Base64(credentials.auth_key.to_bytes().to_vec()),
            totp: totp.map(str::to_owned),
            // Natively the token travels as a bearer; in the browser, only in the HttpOnly cookie.
            bearer: cfg!(not(target_arch = "wasm32")),
        };
        let login: LoginResponse = client.call(&ep::Login {}, &request).await?;
        let bundle = KeyBundle::open(
            &login.me.key_bundle.0,
            &credentials.bundle_key,
            &login.me.user_id,
        )?;
        let root_sealed = bundle.trusted_root.is_some();
        let mut session = Self::unlock(
            client.with_token(login.token.clone()),
            login.me,
            bundle,
            pinned_root,
            kdf,
            account_key.cloned(),
        )
        .await?;
        match session.account_key.clone() {
            None => session.move_to_account_key(password).await?,
            // A bundle sealed before it held the trusted root: the root just pinned
            // (the relay's, on this one occasion) goes in.
            Some(key) if !root_sealed => session.set_password(password, &key).await?,
            Some(_) => {}
        }
        Ok(session)
    }

    /// Gives an account created before account keys one: the same keys, sealed again
    /// under the password and a new account key, with a fresh salt.
    async fn move_to_account_key(&mut self, password: &str) -> Result<(), ClientError> {
        let account_key = AccountKey::generate()?;
        self.set_password(password, &account_key).await?;
        self.account_key = Some(account_key);
        self.kit_due = true;
        Ok(())
    }

    /// Changes the password (the keys stay; the account key too), if the new one passes
    /// [`check_new_password`]. The relay asks for a recent proof of the old one
    /// ([`reauth`](Self::reauth)) and ends the person's other sessions.
    pub async fn change_password(&mut self, password: &str) -> Result<(), ClientError> {
        check_new_password(
            password,
            &[&self.me.email, &self.me.display_name, &self.me.org_name],
        )?;
        let account_key = self
            .account_key
            .clone()
            .ok_or(ClientError::Crypto(pli_crypto::Error::AccountKeyNeeded))?;
        self.set_password(password, &account_key).await
    }

    /// Seals the bundle under a new password (the root stays in it only for an account
    /// whose bundle still held it: [`Session::root_on_relay`]).
    pub(super) async fn set_password(
        &mut self,
        password: &str,
        account_key: &AccountKey,
    ) -> Result<(), ClientError> {
        let bundle = KeyBundle {
            user_id: self.me.user_id,
            keys: self.keys.clone(),
            root: self.root_key.clone().filter(|_| self.root_on_relay),
            trusted_root: Some(self.trust.0),
        };
        let kdf = KdfParams {
            salt: KdfParams::generate()?.salt,
            ..self.kdf_for_new_accounts
        };
        let credentials = new_credentials(password, account_key, kdf, &bundle).await?;
        self.client
            .submit(&ep::ChangePassword {}, &PasswordChange { credentials })
            .await?;
        self.me = self.client.fetch(&ep::GetMe {}).await?;
        Ok(())
    }

    pub(super) async fn unlock(
        client: Client,
        me: Me,
        bundle: KeyBundle,
        pinned_root: Option<VerifyingKey>,
        kdf: KdfParams,
        account_key: Option<AccountKey>,
    ) -> Result<Self, ClientError> {
        // The root sealed in the bundle is the person's own word; one given by the caller
        // (a pin kept by an older page, the CLI's configuration) must agree with it.
        let pinned = match (bundle.trusted_root, pinned_root) {
            (Some(sealed), Some(given)) if sealed != given => {
                return Err(Box::pin(refused_relay(&client, ClientError::RootChanged)).await);
            }
            (sealed, given) => sealed.or(given),
        };
        let trust = match pin_root(pinned, me.root_key.as_ref()) {
            Ok(trust) => trust,
            Err(error) => return Err(Box::pin(refused_relay(&client, error)).await),
        };
        let log = log::SharedLog::seeded(client.known_log());
        let mut session = Self {
            client,
            me,
            keys: bundle.keys,
            later: Vec::new(),
            root_on_relay: bundle.root.is_some(),
            root_key: bundle.root,
            trust,
            org_keys: BTreeMap::new(),
            seen_generations: SeenGenerations::default(),
            log,
            kdf_for_new_accounts: kdf,
            account_key,
            kit_due: false,
        };
        session.open_later_identities()?;
        session.refresh_keys().await?;
        if let Err(error) = session.sync_log().await {
            return Err(Box::pin(refused_relay(&session.client, error)).await);
        }
        // Moving to a post-quantum key never stands in the way of a login: if asking
        // fails (the relay busy), the next login asks again. Nothing it asks for opens
        // anything before an admin certifies it, so the keys just read stand.
        let _ = session.ask_for_post_quantum_key().await;
        Ok(session)
    }

    /// Re-reads the account and unlocks every organisation key granted, each checked
    /// against its certificate (verified to the root).
    pub async fn refresh_keys(&mut self) -> Result<(), ClientError> {
        let account = self.fetch_account().await?;
        self.set_account(account);
        Ok(())
    }

    /// What [`refresh_keys`](Self::refresh_keys) reads, without changing the session:
    /// the account and the organisation keys granted to it, verified. Apply it with
    /// [`set_account`](Self::set_account).
    pub async fn fetch_account(&self) -> Result<Account, ClientError> {
        let me: Me = self.client.fetch(&ep::GetMe {}).await?;
        let org_keys = if me.status != AccountStatus::Active || me.org_kind == OrgKind::Platform {
            None
        } else {
            Some(self.granted_keys(&me).await?)
        };
        Ok(Account { me, org_keys })
    }

    /// Takes in an account read by [`fetch_account`](Self::fetch_account).
    pub fn set_account(&mut self, account: Account) {
        self.me = account.me;
        if let Some(org_keys) = account.org_keys {
            self.org_keys = org_keys;
        }
    }

    /// The organisation keys granted to `me`, each checked against its certificate.
    async fn granted_keys(&self, me: &Me) -> Result<BTreeMap<u32, OrgKey>, ClientError> {
        let org = me.org_id;
        let directory: Vec<DirectoryKey> = self.client.fetch(&ep::OrgKeys { org }).await?;
        let grants: MyGrants = self.client.fetch(&ep::MyGrants {}).await?;
        let own_org = self.own_org_entry(&org).await?;
        let mut org_keys = BTreeMap::new();
        for grant in grants.grants.iter().filter(|g| g.org_id == org) {
            let Some(entry) = directory.iter().find(|k| k.generation == grant.generation) else {
                continue;
            };
            let key_cert = self
                .trust
                .verify_org_key(
                    &Signed::<OrgCertificate>::from_wire(&own_org.certificate)?,
                    &Signed::<OrgKeyCertificate>::from_wire(&entry.certificate)?,
                    &Signed::<UserCertificate>::from_wire(&entry.issuer_certificate)?,
                )
                .map_err(|e| {
                    ClientError::verification(format!("my organisation's key does not verify: {e}"))
                })?
                .1;
            // Granted to the bundle's key or to a later one (a post-quantum key asked for
            // since): each is tried.
            let mut opened = Err(ClientError::verification("no key of mine opens a grant"));
            for identity in self.identities() {
                opened = OrgKey::open_grant(
                    &grant.wrapped.0,
                    identity,
                    &org,
                    grant.generation,
                    &key_cert.public_key,
                )
                .map_err(ClientError::from);
                if opened.is_ok() {
                    break;
                }
            }
            org_keys.insert(grant.generation, opened?);
        }
        Ok(org_keys)
    }

    async fn own_org_entry(&self, org: &OrgId) -> Result<DirectoryOrg, ClientError> {
        let orgs: Vec<DirectoryOrg> = self.client.fetch(&ep::Directory {}).await?;
        orgs.into_iter()
            .find(|o| o.org_id == *org)
            .ok_or_else(|| ClientError::verification("my organisation is not in the directory"))
    }

    /// Proves the password again (before a sensitive operation).
    pub async fn reauth(&self, password: &str, totp: Option<&str>) -> Result<(), ClientError> {
        let kdf = kdf_from_wire(&self.me.kdf)?;
        let credentials = derive(password.to_owned(), self.account_key.clone(), kdf).await?;
        let request = ReauthRequest {
            auth_key: Base64(credentials.auth_key.to_bytes().to_vec()),
            totp: totp.map(str::to_owned),
        };
        self.client.submit(&ep::Reauth {}, &request).await
    }

    /// Turns TOTP on; `code_for` computes a code from the base32 secret (an authenticator).
    pub async fn enable_totp(
        &mut self,
        code_for: impl Fn(&str) -> String,
    ) -> Result<String, ClientError> {
        let setup: TotpSetupResponse = self.client.fetch(&ep::TotpSetup {}).await?;
        self.client
            .submit(
                &ep::TotpConfirm {},
                &TotpCode {
                    code: code_for(&setup.secret),
                },
            )
            .await?;
        self.me = self.client.fetch(&ep::GetMe {}).await?;
        Ok(setup.secret)
    }

    /// Logs out; if the session began with ProConnect, the URL a browser goes to next to
    /// end the ProConnect session too.
    pub async fn logout(&self) -> Result<Option<String>, ClientError> {
        Ok(self.client.fetch(&ep::Logout {}).await?.proconnect_logout)
    }

    /// My open sessions, most recently used first (this one marked `current`).
    pub async fn sessions(&self) -> Result<Vec<pli_api::messages::SessionInfo>, ClientError> {
        self.client.fetch(&ep::MySessions {}).await
    }

    /// Ends one of my sessions (`not_found` if it names none of them).
    pub async fn end_session(&self, id: &str) -> Result<(), ClientError> {
        self.client.act(&ep::EndSession { id: id.into() }).await
    }
}

/// `error`, after ending the relay's session if it says the relay lied (another root, a
/// log that does not hold together, a witness policy the root did not sign): the session
/// it opened is never used, and a reloaded page then asks for a login again instead of
/// offering to unlock into it (and meeting the same lie). Any other error (the relay
/// busy, the network) leaves the session alone.
async fn refused_relay(client: &Client, error: ClientError) -> ClientError {
    use pli_api::ErrorCode as E;
    if matches!(
        error.code(),
        E::RootChanged | E::LogInconsistent | E::LogPolicyRefused | E::LogPolicyInvalid
    ) {
        let _ = client.fetch(&ep::Logout {}).await;
    }
    error
}
