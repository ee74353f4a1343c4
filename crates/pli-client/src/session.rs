//! A logged-in person, with their keys unlocked in memory, and what they do.

use futures_util::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures_util::StreamExt as _;
use pli_api::messages::{
    AcceptRequest, CertifyRequest, CreateOrg, DirectoryKey, DirectoryOrg, ExchangeDetail,
    ExchangePage, GrantUpload, InvitationInfo, InviteRequest, InviteResponse, LoginRequest,
    LoginResponse, Me, Members, MyGrants, NewCredentials, PostReceipt, PreloginRequest,
    PreloginResponse, PublicKeys, PublishKey, ReauthRequest, Removed, SetupRequest, TokenRequest,
    TotpCode, TotpSetupResponse,
};
use pli_api::{AccountStatus, Base64, ExchangeId, OrgId, UserId};
use pli_crypto::age::Identity;
use pli_crypto::bundle::KeyBundle;
use pli_crypto::cert::{
    OrgCertificate, OrgKeyCertificate, OrgKind, Role, TrustRoot, UserCertificate,
};
use pli_crypto::envelope::ObjectRef;
use pli_crypto::grant::OrgKey;
use pli_crypto::keys::UserKeys;
use pli_crypto::manifest::{Category, Manifest};
use pli_crypto::password::{self, KdfParams};
use pli_crypto::receipt::Receipt;
use pli_crypto::sign::{Signed, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::protocol::{self, VerifiedExchange, VerifiedReceipt};

mod admin;
mod send;

use crate::rt;
use crate::{Client, ClientError};
pub use admin::DirectoryEntry;
use pli_api::endpoints as ep;
pub use send::{PendingSend, PlannedFile};

/// Milliseconds since the Unix epoch (the browser's clock in WebAssembly, where
/// `SystemTime` is not available).
fn now_ms() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as u64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

fn random_id<K>() -> Result<pli_api::Id<K>, ClientError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| ClientError::verification(format!("no randomness: {e}")))?;
    Ok(pli_api::Id::from_random(bytes))
}

fn key32(value: &Base64) -> Result<[u8; 32], ClientError> {
    value
        .0
        .as_slice()
        .try_into()
        .map_err(|_| ClientError::verification("a key is not 32 bytes"))
}

async fn derive(password: String, kdf: KdfParams) -> Result<password::Credentials, ClientError> {
    rt::blocking(move || password::derive(password.as_bytes(), &kdf))
        .await?
        .map_err(ClientError::from)
}

fn kdf_wire(kdf: &KdfParams) -> pli_api::messages::Kdf {
    pli_api::messages::Kdf {
        m_cost_kib: kdf.m_cost_kib,
        t_cost: kdf.t_cost,
        p_cost: kdf.p_cost,
        salt: Base64(kdf.salt.to_vec()),
    }
}

fn kdf_from_wire(kdf: &pli_api::messages::Kdf) -> Result<KdfParams, ClientError> {
    let params = KdfParams {
        m_cost_kib: kdf.m_cost_kib,
        t_cost: kdf.t_cost,
        p_cost: kdf.p_cost,
        salt: kdf
            .salt
            .0
            .as_slice()
            .try_into()
            .map_err(|_| ClientError::verification("bad salt"))?,
    };
    params.validate()?;
    Ok(params)
}

/// New credentials for `password`, sealing `bundle`.
async fn new_credentials(
    password: &str,
    kdf: KdfParams,
    bundle: &KeyBundle,
) -> Result<NewCredentials, ClientError> {
    let credentials = derive(password.to_owned(), kdf).await?;
    Ok(NewCredentials {
        kdf: kdf_wire(&kdf),
        auth_key: Base64(credentials.auth_key.to_bytes().to_vec()),
        key_bundle: Base64(bundle.seal(&credentials.bundle_key)?),
    })
}

/// Where a file is read from: any async reader (a local file natively, a `Blob` in the
/// browser).
#[cfg(not(target_arch = "wasm32"))]
pub type Reader = Box<dyn AsyncRead + Unpin + Send>;
/// Where a file is read from: any async reader (a local file natively, a `Blob` in the
/// browser).
#[cfg(target_arch = "wasm32")]
pub type Reader = Box<dyn AsyncRead + Unpin>;

/// One file to send: a name, a media type, its size, and where to read it.
pub struct FileInput {
    /// The file's name (travels encrypted in the manifest).
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Its exact size in bytes.
    pub size: u64,
    /// Where to read it.
    pub reader: Reader,
}

impl FileInput {
    /// A file held in memory.
    pub fn from_bytes(name: &str, media_type: &str, bytes: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            media_type: media_type.into(),
            size: bytes.len() as u64,
            reader: Box::new(futures_util::io::Cursor::new(bytes)),
        }
    }
}

/// Which long step a [`Progress`] report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Encrypting (plaintext bytes).
    Encrypt,
    /// Uploading (ciphertext bytes acknowledged by the relay).
    Upload,
    /// Downloading and decrypting (ciphertext bytes received).
    Download,
}

/// Where a long step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Which step.
    pub phase: Phase,
    /// Bytes done.
    pub done: u64,
    /// Bytes in all.
    pub total: u64,
    /// Milliseconds spent on this step so far: reading and encrypting (the upload
    /// awaited excluded), or with a part on its way to the relay; 0 where not measured.
    /// Encrypting and uploading overlap, so a send takes about the larger of the two.
    pub busy_ms: u64,
}

impl std::fmt::Debug for FileInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileInput")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// How to send.
#[derive(Debug, Clone)]
pub struct SendOptions {
    /// Category.
    pub category: Category,
    /// Subject.
    pub subject: String,
    /// Message.
    pub message: String,
    /// Case reference.
    pub case_reference: String,
    /// Urgent?
    pub urgent: bool,
    /// Also encrypt to the sending organisation's key, so it can re-read what it sent.
    pub copy_to_sender: bool,
    /// The exchange this answers.
    pub in_reply_to: Option<ExchangeId>,
}

/// A verified, opened exchange.
#[derive(Debug, Clone)]
pub struct Received {
    /// The exchange as the relay describes it.
    pub detail: ExchangeDetail,
    /// Its verified envelope and sender.
    pub exchange: VerifiedExchange,
    /// Its decrypted manifest.
    pub manifest: Manifest,
    /// Its receipts that verified.
    pub receipts: Vec<VerifiedReceipt>,
    key: Identity,
}

/// The account and its organisation keys, as [`Session::fetch_account`] read them.
#[derive(Clone)]
pub struct Account {
    /// The account.
    pub me: Me,
    /// The organisation keys granted, verified; `None` when the account holds none to
    /// read (not active, or the platform's).
    pub org_keys: Option<BTreeMap<u32, OrgKey>>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("user", &self.me.user_id)
            .finish_non_exhaustive()
    }
}

/// Highest key generation seen per organisation, shared by a session's clones.
#[derive(Clone, Default)]
struct SeenGenerations(Arc<Mutex<BTreeMap<OrgId, u32>>>);

impl SeenGenerations {
    /// The highest generation seen for `org` (0: none).
    fn get(&self, org: &OrgId) -> u32 {
        let seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        seen.get(org).copied().unwrap_or(0)
    }

    /// Records `generation` for `org`, keeping the highest.
    fn saw(&self, org: OrgId, generation: u32) {
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = seen.entry(org).or_insert(generation);
        *entry = (*entry).max(generation);
    }
}

/// A logged-in person.
#[derive(Clone)]
pub struct Session {
    client: Client,
    /// The account.
    pub me: Me,
    /// The person's private keys.
    pub keys: UserKeys,
    /// The platform authority key (platform admin only).
    pub root_key: Option<SigningKey>,
    /// The pinned root of trust.
    pub trust: TrustRoot,
    /// The organisation's keys this person holds, by generation.
    pub org_keys: BTreeMap<u32, OrgKey>,
    /// Highest key generation seen per organisation (refuses rollbacks), shared by the
    /// session's clones and updated through `&self`, so that concurrent calls on one
    /// session (the web worker's) all record what they saw.
    seen_generations: SeenGenerations,
    kdf_for_new_accounts: KdfParams,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.me.user_id)
            .finish_non_exhaustive()
    }
}

/// The pinned root: the one configured, else the one the relay served first.
fn pin_root(
    pinned: Option<VerifyingKey>,
    served: Option<&Base64>,
) -> Result<TrustRoot, ClientError> {
    let served = served
        .map(|k| key32(k).and_then(|b| VerifyingKey::from_bytes(&b).map_err(ClientError::from)))
        .transpose()?;
    match (pinned, served) {
        (Some(pinned), Some(served)) if pinned != served => Err(ClientError::RootChanged),
        (Some(pinned), _) => Ok(TrustRoot(pinned)),
        (None, Some(served)) => Ok(TrustRoot(served)),
        (None, None) => Err(ClientError::verification("the platform is not set up")),
    }
}

impl Session {
    /// Sets up the platform with the one-time token: generates the root key, the
    /// admin's keys and the platform organisation, all here.
    pub async fn setup_platform(
        client: &Client,
        token: &str,
        email: &str,
        display_name: &str,
        password: &str,
        kdf: KdfParams,
    ) -> Result<Self, ClientError> {
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
            name: "Plateforme Pli".into(),
            code: "PLATFORM".into(),
            issued_at: now,
        };
        let cert = UserCertificate {
            user_id: info.user_id,
            org_id,
            role: Role::PlatformAdmin,
            display_name: display_name.into(),
            signing_key: keys.signing.verifying_key(),
            encryption_key: keys.encryption.to_recipient(),
            issued_at: now,
            issuer: root.verifying_key().fingerprint(),
        };
        let bundle = KeyBundle {
            user_id: info.user_id,
            keys: keys.clone(),
            root: Some(root.clone()),
        };
        let request = SetupRequest {
            token: token.into(),
            email: email.into(),
            display_name: display_name.into(),
            credentials: new_credentials(password, kdf, &bundle).await?,
            root_key: Base64(root.verifying_key().to_bytes().to_vec()),
            org_certificate: Signed::sign(&org, &root)?.to_wire(),
            user_certificate: Signed::sign(&cert, &root)?.to_wire(),
        };
        let response = Client::send(client.request_to(&ep::Setup {}).json(&request)).await?;
        let token = session_token(&response);
        let login: LoginResponse = response.json().await?;
        let client = client.with_token(token);
        Self::unlock(client, login.me, bundle, Some(root.verifying_key()), kdf).await
    }

    /// Creates the account an invitation is for (or gives a reset account new keys).
    pub async fn accept_invitation(
        client: &Client,
        token: &str,
        password: &str,
        kdf: KdfParams,
    ) -> Result<Self, ClientError> {
        let info: InvitationInfo = client
            .call(
                &ep::InvitationLookup {},
                &TokenRequest {
                    token: token.into(),
                },
            )
            .await?;
        let keys = UserKeys::generate()?;
        let bundle = KeyBundle {
            user_id: info.user_id,
            keys: keys.clone(),
            root: None,
        };
        let request = AcceptRequest {
            token: token.into(),
            credentials: new_credentials(password, kdf, &bundle).await?,
            keys: PublicKeys {
                signing_key: Base64(keys.signing.verifying_key().to_bytes().to_vec()),
                encryption_key: Base64(keys.encryption.to_recipient().to_bytes().to_vec()),
            },
        };
        let response =
            Client::send(client.request_to(&ep::AcceptInvitation {}).json(&request)).await?;
        let token = session_token(&response);
        let login: LoginResponse = response.json().await?;
        Self::unlock(client.with_token(token), login.me, bundle, None, kdf).await
    }

    /// Unlocks the keys of a session the relay already knows (a browser that reloaded
    /// its page keeps its cookie, not its keys): re-derives the bundle key from the
    /// password and opens the bundle.
    pub async fn resume(
        client: &Client,
        password: &str,
        pinned_root: Option<VerifyingKey>,
    ) -> Result<Self, ClientError> {
        let me: Me = client.fetch(&ep::GetMe {}).await?;
        let kdf = kdf_from_wire(&me.kdf)?;
        let credentials = derive(password.to_owned(), kdf).await?;
        let bundle = KeyBundle::open(&me.key_bundle.0, &credentials.bundle_key, &me.user_id)?;
        Self::unlock(client.clone(), me, bundle, pinned_root, kdf).await
    }

    /// Logs in: derives the auth key from the password with the relay's parameters,
    /// opens the key bundle, unlocks the organisation keys granted.
    pub async fn login(
        client: &Client,
        email: &str,
        password: &str,
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
        let credentials = derive(password.to_owned(), kdf).await?;
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
        Self::unlock(
            client.with_token(login.token.clone()),
            login.me,
            bundle,
            pinned_root,
            kdf,
        )
        .await
    }

    async fn unlock(
        client: Client,
        me: Me,
        bundle: KeyBundle,
        pinned_root: Option<VerifyingKey>,
        kdf: KdfParams,
    ) -> Result<Self, ClientError> {
        let trust = pin_root(pinned_root, me.root_key.as_ref())?;
        let mut session = Self {
            client,
            me,
            keys: bundle.keys,
            root_key: bundle.root,
            trust,
            org_keys: BTreeMap::new(),
            seen_generations: SeenGenerations::default(),
            kdf_for_new_accounts: kdf,
        };
        session.refresh_keys().await?;
        Ok(session)
    }

    /// The HTTP client with this session's token.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The session token.
    pub fn token(&self) -> Option<&str> {
        self.client.token()
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
            let key = OrgKey::open_grant(
                &grant.wrapped.0,
                &self.keys.encryption,
                &org,
                grant.generation,
                &key_cert.public_key,
            )?;
            org_keys.insert(grant.generation, key);
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
        let credentials = derive(password.to_owned(), kdf).await?;
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

    /// Logs out.
    pub async fn logout(&self) -> Result<(), ClientError> {
        self.client.act(&ep::Logout {}).await
    }

    // ----- administration -------------------------------------------------------------

    /// Creates an organisation (platform admin: signs its certificate with the root).
    pub async fn create_org(
        &self,
        kind: OrgKind,
        name: &str,
        code: &str,
    ) -> Result<OrgId, ClientError> {
        let root = self.root_key.as_ref().ok_or_else(|| {
            ClientError::verification("only the platform admin holds the root key")
        })?;
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
        };
        self.client.call(&ep::Invite { org: *org }, &request).await
    }

    /// The members of `org`.
    pub async fn members(&self, org: &OrgId) -> Result<Members, ClientError> {
        self.client.fetch(&ep::Members { org: *org }).await
    }

    /// Certifies a pending member's keys and grants them every organisation key held.
    /// The platform admin certifies organisation admins with the root key.
    pub async fn certify(&self, org: &OrgId, user: &UserId) -> Result<(), ClientError> {
        let members = self.members(org).await?;
        let member = members
            .members
            .iter()
            .find(|m| m.user_id == *user)
            .ok_or_else(|| ClientError::verification("no such member"))?;
        let (role, issuer) = match (&self.root_key, member.role) {
            (Some(root), Role::OrgAdmin) => (Role::OrgAdmin, root),
            (None, Role::Member) => (Role::Member, &self.keys.signing),
            _ => return Err(ClientError::verification("you cannot certify this member")),
        };
        let signing_key = VerifyingKey::from_bytes(&key32(&member.keys.signing_key)?)?;
        let encryption_key =
            pli_crypto::age::Recipient::from_bytes(key32(&member.keys.encryption_key)?);
        let cert = UserCertificate {
            user_id: member.user_id,
            org_id: *org,
            role,
            display_name: member.display_name.clone(),
            signing_key,
            encryption_key,
            issued_at: now_ms(),
            issuer: issuer.verifying_key().fingerprint(),
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

    fn grants_for(
        &self,
        user: &UserId,
        recipient: &pli_crypto::age::Recipient,
    ) -> Result<Vec<GrantUpload>, ClientError> {
        self.org_keys
            .values()
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
    ) -> Result<pli_crypto::age::Recipient, ClientError> {
        let signing = VerifyingKey::from_bytes(&key32(&member.keys.signing_key)?)?;
        let fingerprint = pli_crypto::sign::Fingerprint::of_signing_key(&signing).to_hex();
        let chain = self.client.fetch(&ep::Certificate { fingerprint }).await?;
        let cert = protocol::verify_chain(&self.trust, &chain)?;
        if cert.user_id != member.user_id || cert.org_id != *org {
            return Err(ClientError::verification(
                "a member's certificate does not match the member list",
            ));
        }
        Ok(cert.encryption_key)
    }

    /// Grants every organisation key generation this session holds to a certified member
    /// who lacks them (a second admin, whom the platform certified without keys).
    pub async fn grant_keys(&self, org: &OrgId, user: &UserId) -> Result<(), ClientError> {
        let members = self.members(org).await?;
        let member = members
            .members
            .iter()
            .find(|m| m.user_id == *user && m.status == AccountStatus::Active)
            .ok_or_else(|| ClientError::verification("no such certified member"))?;
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
        let generation = self.org_keys.keys().max().map_or(1, |g| g + 1);
        let key = OrgKey::generate(org, generation)?;
        let mut grants = Vec::new();
        for member in self
            .members(&org)
            .await?
            .members
            .iter()
            .filter(|m| m.status == AccountStatus::Active)
        {
            let recipient = self.certified_recipient(&org, member).await?;
            grants.push(GrantUpload {
                generation,
                user_id: member.user_id,
                wrapped: Base64(key.grant_to(&recipient)?),
            });
        }
        let cert = OrgKeyCertificate {
            org_id: org,
            generation,
            public_key: key.recipient(),
            issued_at: now_ms(),
            issuer: self.keys.signing.verifying_key().fingerprint(),
        };
        let request = PublishKey {
            certificate: Signed::sign(&cert, &self.keys.signing)?.to_wire(),
            grants,
        };
        self.client
            .submit(&ep::PublishKey { org }, &request)
            .await?;
        Ok((generation, key))
    }

    /// Removes a member.
    pub async fn remove_member(&self, org: &OrgId, user: &UserId) -> Result<Removed, ClientError> {
        self.client
            .fetch(&ep::RemoveMember {
                org: *org,
                user: *user,
            })
            .await
    }

    /// Issues a new account set-up link to a member who lost their password.
    pub async fn reset_member(
        &self,
        org: &OrgId,
        user: &UserId,
    ) -> Result<InviteResponse, ClientError> {
        self.client
            .fetch(&ep::ResetMember {
                org: *org,
                user: *user,
            })
            .await
    }

    // ----- sending ----------------------------------------------------------------------

    /// The recipient organisation's current key, verified to the root (and not older
    /// than any generation this session saw).
    pub async fn recipient_key(
        &self,
        org: &OrgId,
    ) -> Result<protocol::VerifiedOrgKey, ClientError> {
        let orgs: Vec<DirectoryOrg> = self.client.fetch(&ep::Directory {}).await?;
        let entry = orgs
            .iter()
            .find(|o| o.org_id == *org)
            .ok_or_else(|| ClientError::verification("unknown recipient"))?;
        self.verify_directory_entry(entry)
    }

    /// Verifies a directory entry to the root, refusing a generation older than one this
    /// session saw, and remembers the generation.
    fn verify_directory_entry(
        &self,
        entry: &DirectoryOrg,
    ) -> Result<protocol::VerifiedOrgKey, ClientError> {
        let org = entry.org_id;
        let at_least = self.seen_generations.get(&org);
        let verified = protocol::verify_directory_org(&self.trust, entry, at_least)?;
        self.seen_generations.saw(org, verified.key.generation);
        Ok(verified)
    }

    /// Uploads one part with its SHA-256, retrying network failures (the relay accepts
    /// a part again if it already has it).
    pub async fn put_part(
        &self,
        exchange: &ExchangeId,
        idx: u32,
        part: u32,
        bytes: &[u8],
    ) -> Result<(), ClientError> {
        put_part(
            &self.client,
            exchange,
            idx,
            part,
            bytes::Bytes::copy_from_slice(bytes),
        )
        .await
    }

    // ----- receiving --------------------------------------------------------------------

    /// A page of my organisation's inbox.
    pub async fn inbox(&self) -> Result<ExchangePage, ClientError> {
        self.client
            .fetch(&ep::Inbox {
                query: Default::default(),
            })
            .await
    }

    /// A page of my organisation's outbox.
    pub async fn outbox(&self) -> Result<ExchangePage, ClientError> {
        self.client
            .fetch(&ep::Outbox {
                query: Default::default(),
            })
            .await
    }

    /// Opens an exchange: verifies the envelope and sender to the root, downloads and
    /// checks the manifest against the envelope, decrypts it.
    pub async fn open(&self, id: &ExchangeId) -> Result<Received, ClientError> {
        let detail: ExchangeDetail = self.client.fetch(&ep::Exchange { id: *id }).await?;
        let exchange = protocol::verify_exchange(&self.trust, id, &detail)?;
        let generation =
            protocol::generation_for(&exchange.envelope, &self.me.org_id).ok_or_else(|| {
                ClientError::verification("this exchange is not encrypted for my organisation")
            })?;
        let key = self
            .org_keys
            .get(&generation)
            .ok_or_else(|| {
                ClientError::verification(format!("I hold no key of generation {generation}"))
            })?
            .identity
            .clone();
        let mut sealed = Vec::new();
        self.download_verified(id, 0, &exchange.envelope.manifest, &mut sealed)
            .await?;
        let manifest = Manifest::open(std::slice::from_ref(&key), &sealed)?;
        if manifest.exchange_id != *id || manifest.files.len() != exchange.envelope.files.len() {
            return Err(ClientError::verification(
                "the manifest does not belong to this exchange",
            ));
        }
        let receipts = detail
            .receipts
            .iter()
            .filter_map(|r| protocol::verify_receipt(&self.trust, &exchange, r).ok())
            .collect();
        Ok(Received {
            detail,
            exchange,
            manifest,
            receipts,
            key,
        })
    }

    /// Downloads an object, checking its size and SHA-256 against the envelope's.
    async fn download_verified(
        &self,
        id: &ExchangeId,
        idx: u32,
        expected: &ObjectRef,
        out: &mut Vec<u8>,
    ) -> Result<(), ClientError> {
        let response = Client::send(self.client.request_to(&ep::Download { id: *id, idx })).await?;
        let mut hash = Sha256::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            hash.update(&chunk);
            out.extend_from_slice(&chunk);
        }
        if out.len() as u64 != expected.size || <[u8; 32]>::from(hash.finalize()) != expected.sha256
        {
            return Err(ClientError::verification(
                "the object does not match the envelope",
            ));
        }
        Ok(())
    }

    /// Downloads, verifies and decrypts file `index` (0-based) into `out`, streaming: the
    /// ciphertext's SHA-256 and size are checked against the envelope and the plaintext's
    /// against the manifest. On error, what was written must be discarded.
    pub async fn download_file(
        &self,
        received: &Received,
        index: usize,
        out: &mut (dyn AsyncWrite + Unpin),
    ) -> Result<(), ClientError> {
        self.download_file_with_progress(received, index, out, &|_| {})
            .await
    }

    /// [`download_file`](Self::download_file), reporting progress.
    pub async fn download_file_with_progress(
        &self,
        received: &Received,
        index: usize,
        out: &mut (dyn AsyncWrite + Unpin),
        progress: &dyn Fn(Progress),
    ) -> Result<(), ClientError> {
        let id = received.exchange.envelope.exchange_id;
        let expected = received
            .exchange
            .envelope
            .files
            .get(index)
            .ok_or_else(|| ClientError::verification("no such file"))?;
        let entry = received
            .manifest
            .files
            .get(index)
            .ok_or_else(|| ClientError::verification("no such file"))?;
        let idx =
            u32::try_from(index + 1).map_err(|_| ClientError::verification("no such file"))?;
        let response = Client::send(self.client.request_to(&ep::Download { id, idx })).await?;
        let mut decryptor = pli_crypto::age::Decryptor::new(vec![received.key.clone()]);
        let mut plaintext = Vec::new();
        let mut plaintext_hash = Sha256::new();
        let mut written = 0u64;
        let mut received_bytes = 0u64;
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            received_bytes += chunk.len() as u64;
            decryptor.update(&chunk, &mut plaintext)?;
            plaintext_hash.update(&plaintext);
            out.write_all(&plaintext).await?;
            written += plaintext.len() as u64;
            zeroize::Zeroize::zeroize(&mut plaintext);
            plaintext.clear();
            progress(Progress {
                phase: Phase::Download,
                done: received_bytes,
                total: expected.size,
                busy_ms: 0,
            });
        }
        let summary = decryptor.finish(&mut plaintext)?;
        plaintext_hash.update(&plaintext);
        out.write_all(&plaintext).await?;
        out.flush().await?;
        written += plaintext.len() as u64;
        zeroize::Zeroize::zeroize(&mut plaintext);
        if summary.ciphertext_len != expected.size || summary.ciphertext_sha256 != expected.sha256 {
            return Err(ClientError::verification(
                "the file's ciphertext does not match the envelope",
            ));
        }
        if written != entry.size || <[u8; 32]>::from(plaintext_hash.finalize()) != entry.sha256 {
            return Err(ClientError::verification(
                "the decrypted file does not match the manifest",
            ));
        }
        Ok(())
    }

    /// Signs and sends the read receipt.
    pub async fn acknowledge(&self, received: &Received) -> Result<(), ClientError> {
        let receipt = Receipt {
            exchange_id: received.exchange.envelope.exchange_id,
            envelope_sha256: received.exchange.signed.sha256(),
            reader_user_id: self.me.user_id,
            reader_key: self.keys.signing.verifying_key().fingerprint(),
            reader_org_id: self.me.org_id,
            read_at: now_ms(),
        };
        let request = PostReceipt {
            receipt: Signed::sign(&receipt, &self.keys.signing)?.to_wire(),
        };
        self.client
            .submit(
                &ep::PostReceipt {
                    id: receipt.exchange_id,
                },
                &request,
            )
            .await
    }

    /// The KDF parameters this session uses for accounts it creates (tests use cheap ones).
    pub fn kdf_for_new_accounts(&self) -> KdfParams {
        self.kdf_for_new_accounts
    }
}

/// How many times a part is sent again after a network failure or a 503.
const PART_RETRIES: u32 = 9;

/// Uploads one part with its SHA-256, retrying network failures and 503s.
async fn put_part(
    client: &Client,
    exchange: &ExchangeId,
    idx: u32,
    part: u32,
    body: bytes::Bytes,
) -> Result<(), ClientError> {
    let digest = format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(&body)));
    let endpoint = ep::PutPart {
        id: *exchange,
        idx,
        part,
    };
    let mut attempt = 0u32;
    loop {
        let request = client
            .request_to(&endpoint)
            .header("content-digest", &digest)
            .body(body.clone());
        match Client::send(request).await {
            Ok(_) => return Ok(()),
            // A network cut or a relay restarting: wait and send the part again, for about
            // a minute in all (250 ms, doubling, at most 15 s apart).
            Err(ClientError::Http(_) | ClientError::Api { status: 503, .. })
                if attempt < PART_RETRIES =>
            {
                rt::sleep((250u64 << attempt).min(15_000)).await;
                attempt += 1;
            }
            Err(other) => return Err(other),
        }
    }
}

/// The session token from the `Set-Cookie` of a response (set-up and invitations log the
/// new account in with the cookie only).
fn session_token(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|cookie| {
            cookie
                .strip_prefix("__Host-pli_session=")
                .and_then(|rest| rest.split(';').next())
        })
        .map(str::to_owned)
}
