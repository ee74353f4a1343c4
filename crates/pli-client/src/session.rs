//! A logged-in person, with their keys unlocked in memory, and what they do.

use futures_util::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::StreamExt as _;
use pli_api::messages::{
    AcceptRequest, CertifyRequest, CreateOrg, DirectoryKey, DirectoryOrg, ExchangeDetail,
    ExchangePage, GrantUpload, InvitationInfo, InviteRequest, InviteResponse, LoginRequest,
    LoginResponse, Me, Members, MyGrants, NewCredentials, PasswordChange, PostReceipt,
    PreloginRequest, PreloginResponse, PublicKeys, PublishKey, ReauthRequest, Removed,
    SetupRequest, TokenRequest, TotpCode, TotpSetupResponse,
};
use pli_api::{AccountStatus, Base64, ExchangeId, OrgId};
use pli_crypto::account_key::AccountKey;
use pli_crypto::age::AnyIdentity;
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

use crate::protocol::{self, RootPin, VerifiedExchange, VerifiedReceipt};

mod admin;
mod auth;
mod authority;
mod directory;
mod log;
mod monitor;
mod passkey;
pub use log::{KnownLog, PolicyChange};
pub use monitor::MonitorReport;
mod plan;
mod receive;
mod send;
mod upgrade;
mod upload;
pub use upgrade::PostQuantumProgress;

use crate::rt;
use crate::{Client, ClientError};
pub use directory::DirectoryEntry;
pub use plan::{PendingSend, PlannedFile};
use pli_api::endpoints as ep;

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

/// Until when (ms since the epoch: 2027-03-01T00:00Z) a client without an account key
/// believes a relay that says an account is from before account keys (version 1, the
/// password alone) — the window for such accounts to move to one at a login. After it,
/// such a claim is refused: a relay that makes it to a new device, whose person left the
/// account key empty, would otherwise get a verifier of the password alone to guess at.
/// A date fixed in the client, because the relay is the one not to be believed.
pub const PASSWORD_ONLY_UNTIL_MS: u64 = 1_803_859_200_000;

/// Whether the password alone may still open an account at `now` (see
/// [`PASSWORD_ONLY_UNTIL_MS`]).
pub fn password_only_accepted(now: u64) -> bool {
    now < PASSWORD_ONLY_UNTIL_MS
}

/// Refuses a derivation from the password alone (what the relay's parameters ask) once
/// the window for such accounts has ended. (With an account key, `password::derive`
/// refuses it anyway.)
fn believe_password_only(
    holds_account_key: bool,
    secrets: password::Secrets,
    now: u64,
) -> Result<(), ClientError> {
    if !holds_account_key && secrets == password::Secrets::Password && !password_only_accepted(now)
    {
        return Err(ClientError::PasswordOnlyEnded);
    }
    Ok(())
}

/// Derives the auth key and the bundle key off the event loop (Argon2id takes a while).
async fn derive(
    password: String,
    account_key: Option<AccountKey>,
    kdf: KdfParams,
) -> Result<password::Credentials, ClientError> {
    believe_password_only(account_key.is_some(), kdf.secrets, now_ms())?;
    rt::blocking(move || password::derive(password.as_bytes(), account_key.as_ref(), &kdf))
        .await?
        .map_err(ClientError::from)
}

fn kdf_from_wire(kdf: &pli_api::messages::Kdf) -> Result<KdfParams, ClientError> {
    KdfParams::from_wire(kdf).map_err(|e| {
        ClientError::verification(format!("the relay's key derivation parameters: {e}"))
    })
}

/// What the relay stores for a new password: the parameters, the auth key, and the
/// bundle sealed with the bundle key. Always version 2: the password and `account_key`.
async fn new_credentials(
    password: &str,
    account_key: &AccountKey,
    kdf: KdfParams,
    bundle: &KeyBundle,
) -> Result<NewCredentials, ClientError> {
    let kdf = KdfParams {
        secrets: password::Secrets::PasswordAndAccountKey,
        ..kdf
    };
    let credentials = derive(password.to_owned(), Some(account_key.clone()), kdf).await?;
    Ok(NewCredentials {
        kdf: kdf.to_wire(),
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

/// Keeps a send's sealed plan (see [`Session::send_resumable`]). The send waits for the
/// future it returns before anything the plan covers leaves: resolve it only once the
/// plan is kept where a resume will find it (written to disk, stored by the page).
pub type OnPlan<'a> = dyn Fn(&[u8]) -> PlanKept + 'a;

/// What [`OnPlan`] returns: ready once the plan it was handed is kept.
pub type PlanKept = futures_util::future::LocalBoxFuture<'static, ()>;

/// The [`PlanKept`] of a keeper that kept the plan before returning.
pub fn plan_kept() -> PlanKept {
    Box::pin(std::future::ready(()))
}

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
    key: AnyIdentity,
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
    /// The person's private keys, as their bundle holds them.
    pub keys: UserKeys,
    /// Encryption identities made after the bundle was sealed (the move to a post-quantum
    /// key), oldest first: see `upgrade.rs`.
    later: Vec<AnyIdentity>,
    /// The platform root (the platform admin, on a device that holds it: see
    /// `authority.rs`).
    pub root_key: Option<SigningKey>,
    /// The person's key bundle on the relay still holds the root (set up before it left
    /// the relay).
    root_on_relay: bool,
    /// The pinned root of trust.
    pub trust: TrustRoot,
    /// The organisation's keys this person holds, by generation.
    pub org_keys: BTreeMap<u32, OrgKey>,
    /// Highest key generation seen per organisation (refuses rollbacks), shared by the
    /// session's clones and updated through `&self`, so that concurrent calls on one
    /// session (the web worker's) all record what they saw.
    seen_generations: SeenGenerations,
    /// The key directory replayed from the transparency log, shared by the clones.
    log: log::SharedLog,
    kdf_for_new_accounts: KdfParams,
    /// The person's account key (none for an account created before account keys,
    /// until [`Session::login`] moves it to one).
    account_key: Option<AccountKey>,
    /// The account key was just created (a new account, or an old one moved to account
    /// keys): the person has not been handed their kit yet.
    kit_due: bool,
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
    match (pinned, served_root(served)?) {
        (Some(pinned), Some(served)) if pinned != served => Err(ClientError::RootChanged),
        (Some(pinned), _) => Ok(TrustRoot(pinned)),
        (None, Some(served)) => Ok(TrustRoot(served)),
        (None, None) => Err(ClientError::verification("the platform is not set up")),
    }
}

/// The root key the relay serves (in `Me` or from its root endpoint), if set up.
fn served_root(served: Option<&Base64>) -> Result<Option<VerifyingKey>, ClientError> {
    served
        .map(|k| key32(k).and_then(|b| VerifyingKey::from_bytes(&b).map_err(ClientError::from)))
        .transpose()
}

impl Session {
    /// The HTTP client with this session's token.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The session token.
    pub fn token(&self) -> Option<&str> {
        self.client.token()
    }

    /// The KDF parameters this session uses for accounts it creates (tests use cheap ones).
    pub fn kdf_for_new_accounts(&self) -> KdfParams {
        self.kdf_for_new_accounts
    }

    /// The person's account key, to keep on this device and to print on their kit.
    pub fn account_key(&self) -> Option<&AccountKey> {
        self.account_key.as_ref()
    }

    /// Whether the account key was created by this session (a new account, or an old
    /// one moved to account keys at this login): the person must be handed their kit.
    pub fn kit_due(&self) -> bool {
        self.kit_due
    }
}

/// How many times [`idempotent`] sends a request again.
const RETRIES: u32 = 9;

/// The longest wait a relay's `Retry-After` gets between two attempts.
const MAX_WAIT_MS: u64 = 60_000;

/// Uploads one part with its SHA-256 (`sha256`, the caller's), sent again as
/// [`idempotent`] says: the relay accepts a part it already has with the same digest.
///
/// In the browser reqwest copies the part into a JavaScript `ArrayBuffer` before `fetch`
/// copies it again. Calling `fetch` here instead was measured twice (README, « Where the
/// cores go »): with a view into WebAssembly memory (as [`rt::sha256`] hands WebCrypto),
/// 6 % faster, but the view is detached if anything grows the memory before the browser
/// copies the body (WebKit copies it only when loading starts: an empty part); with a
/// JavaScript buffer kept from part to part, no faster than reqwest. Either way the
/// request must be aborted once answered, as reqwest's `Response` does when dropped: an
/// answer left unread keeps Chromium's copy of the body until it is collected.
async fn put_part(
    client: &Client,
    exchange: &ExchangeId,
    idx: u32,
    part: u32,
    body: bytes::Bytes,
    sha256: &[u8; 32],
) -> Result<(), ClientError> {
    let digest = pli_api::upload::content_digest(sha256);
    let endpoint = ep::PutPart {
        id: *exchange,
        idx,
        part,
    };
    idempotent(|| {
        Client::send(
            client
                .request_to(&endpoint)
                .header("content-digest", &digest)
                .body(body.clone()),
        )
    })
    .await
    .map(drop)
}

/// Runs `attempt` (a request the relay carries out once however often it comes: a part,
/// an exchange's completion with the same envelope) until it is answered, sending it
/// again, at most [`RETRIES`] times, after a network failure (the request or its answer
/// lost, or cut short: the relay may have carried it out), a body the relay cut for
/// arriving too slowly (408 `too_slow`), a 503 (`busy`: the account's or the relay's
/// upload slots are all taken; `unavailable`) or a reverse proxy's 502 or 504 (it lost
/// the relay, or gave up waiting for it: the relay may still carry the request out). It
/// waits 250 ms, doubling, at most 15 s apart, or longer if the relay's `Retry-After`
/// says so: about a minute of waits in all. `attempt` reads the answer's body itself (a
/// body cut short is a lost answer).
async fn idempotent<T, A>(mut attempt: impl FnMut() -> A) -> Result<T, ClientError>
where
    A: std::future::Future<Output = Result<T, ClientError>>,
{
    let mut retries = 0u32;
    loop {
        match attempt().await {
            Err(error) if retries < RETRIES && worth_retrying(&error) => {
                let asked = error
                    .retry_after_s()
                    .map_or(0, |s| s.saturating_mul(1000).min(MAX_WAIT_MS));
                rt::sleep((250u64 << retries).min(15_000).max(asked)).await;
                retries += 1;
            }
            outcome => return outcome,
        }
    }
}

/// Whether [`idempotent`] sends a request again after `error`: a failure of the network
/// or of the relay's availability, not one of the request itself (a request reqwest
/// could not build fails the same way each time).
fn worth_retrying(error: &ClientError) -> bool {
    match error {
        ClientError::Http(error) => !error.is_builder(),
        ClientError::Api { status, .. } => matches!(status, 408 | 502 | 503 | 504),
        _ => false,
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

#[cfg(test)]
mod tests {
    use pli_crypto::password::Secrets;

    use super::{PASSWORD_ONLY_UNTIL_MS, believe_password_only, worth_retrying};
    use crate::ClientError;

    /// A relay busy, restarting or behind a failing gateway gets the request again; one
    /// that refused it, or failed for good, does not (nor does a reading failure of ours).
    #[test]
    fn only_what_may_pass_next_time_is_sent_again() {
        let api = |status| ClientError::from_answer(status, None, String::new());
        for status in [408, 502, 503, 504] {
            assert!(worth_retrying(&api(status)), "{status}");
        }
        assert!(!worth_retrying(&ClientError::Unreadable(
            std::io::Error::other("cut")
        )));
        for status in [400, 401, 403, 404, 409, 413, 500, 507] {
            assert!(!worth_retrying(&api(status)), "{status}");
        }
    }

    /// The relay's word that an account opens with the password alone is believed until
    /// the window ends, never after; an account key, or version 2, is never in question.
    #[test]
    fn the_password_alone_is_believed_until_the_window_ends() {
        let before = PASSWORD_ONLY_UNTIL_MS - 1;
        let after = PASSWORD_ONLY_UNTIL_MS;
        assert!(believe_password_only(false, Secrets::Password, before).is_ok());
        assert!(matches!(
            believe_password_only(false, Secrets::Password, after),
            Err(ClientError::PasswordOnlyEnded)
        ));
        for now in [before, after] {
            assert!(believe_password_only(false, Secrets::PasswordAndAccountKey, now).is_ok());
            assert!(believe_password_only(true, Secrets::PasswordAndAccountKey, now).is_ok());
        }
    }
}
