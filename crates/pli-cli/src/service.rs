//! Service accounts: a case-management program's own member account, for software that
//! sends and receives without a person at the keyboard.
//!
//! An organisation admin issues a service account's link (« Compte de service » on the
//! members page, or `Session::invite_service`); on the integrating machine, `pli service
//! enrol` reads it from `PLI_LINK` and makes everything there: the account's keys, an
//! account key, and a secret of 256 random bits that stands for the password. The relay
//! keeps only what it keeps of a person (its Argon2id hash of the derived auth key, the
//! bundle sealed under the secret and the account key), so neither the relay nor the admin
//! ever holds the credential, and no person's password is written anywhere. The admin
//! then certifies the account like a member, comparing the signing key's fingerprint
//! `enrol` prints.
//!
//! The credential (address, secret, account key) is written to one file, mode 0600:
//! `PLI_SERVICE_CREDENTIAL` if set (for example a path under systemd's
//! `$CREDENTIALS_DIRECTORY`, so the file can be kept encrypted at rest with
//! `systemd-creds`), else `service.json` in the profile directory. Every networked
//! command uses it when `PLI_PASSWORD` is not set ([`crate::account::Account`]).
//!
//! Revoking it is the admin's: removing the account ends its sessions and revokes its
//! certificate in the key directory's log; a reset issues a new link, and enrolling
//! again replaces the secret and keys (the old credential stops working at once).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use pli_api::messages::{InvitationInfo, TokenRequest};
use pli_client::protocol::{OneTimeLink, RootPin};
use pli_client::{Client, ClientError, Session};
use pli_crypto::account_key::AccountKey;
use pli_crypto::password::KdfParams;
use pli_crypto::sign::VerifyingKey;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::account::{Unlock, relay_url, runtime};
use crate::output::Output;
use crate::profile::{self, Profile};

/// The credential file's format version.
const VERSION: u8 = 1;

/// The credential's file name in the profile directory (without `PLI_SERVICE_CREDENTIAL`).
const FILE: &str = "service.json";

/// What the credential file holds.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Credential {
    version: u8,
    email: String,
    /// The secret that stands for the password (base64url, 256 bits).
    secret: String,
    /// The account key (`PLI1-…`).
    account_key: String,
}

impl Drop for Credential {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        self.secret.zeroize();
        self.account_key.zeroize();
    }
}

/// Where the service account's credential is: `PLI_SERVICE_CREDENTIAL`, else
/// `service.json` in the profile directory `home`.
pub(crate) fn credential_path(home: &Path) -> PathBuf {
    std::env::var_os("PLI_SERVICE_CREDENTIAL")
        .filter(|v| !v.is_empty())
        .map_or_else(|| home.join(FILE), PathBuf::from)
}

/// A service account's credential, read from its file.
pub(crate) struct Service {
    email: String,
    secret: Zeroizing<String>,
    account_key: AccountKey,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

impl Service {
    /// The credential at `path`, if there is one.
    pub(crate) fn load(path: &Path) -> Result<Option<Self>> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => Zeroizing::new(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        // As ssh does with a private key: a credential others can read is refused.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                bail!(
                    "{} can be read by others (mode {:o}): chmod 600 it, and ask the admin \
                     for a reset if it may have been copied",
                    path.display(),
                    mode & 0o777
                );
            }
        }
        let mut credential: Credential = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a pli service credential", path.display()))?;
        if credential.version != VERSION {
            bail!(
                "{} is a service credential of version {}, this pli reads version {VERSION}",
                path.display(),
                credential.version
            );
        }
        let account_key = AccountKey::parse(&credential.account_key)
            .map_err(|e| anyhow::anyhow!("{}: its account key: {e}", path.display()))?;
        Ok(Some(Self {
            email: std::mem::take(&mut credential.email),
            secret: Zeroizing::new(std::mem::take(&mut credential.secret)),
            account_key,
        }))
    }
}

impl Unlock for Service {
    fn email(&self) -> &str {
        &self.email
    }

    async fn unlock(
        &self,
        client: &Client,
        root: Option<VerifyingKey>,
    ) -> Result<Session, ClientError> {
        Session::login(
            client,
            &self.email,
            &self.secret,
            Some(&self.account_key),
            None,
            root,
        )
        .await
    }
}

/// `pli service` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct ServiceArgs {
    #[command(subcommand)]
    command: ServiceCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ServiceCommand {
    /// Create the service account an organisation admin issued a link for (read from
    /// PLI_LINK): its keys, account key and secret are made here and written to its
    /// credential file (PLI_SERVICE_CREDENTIAL, else service.json in PLI_HOME, mode
    /// 0600); prints the signing key's fingerprint for the admin to compare when
    /// certifying it.
    Enrol(EnrolArgs),
}

/// `pli service enrol` arguments.
#[derive(Debug, clap::Args)]
struct EnrolArgs {
    /// The relay's address (https://pli.example.fr; http:// only to this machine).
    #[arg(long, value_parser = relay_url)]
    url: String,
    /// The platform root's fingerprint, if the link carries none (a link copied from
    /// the admin's page carries it).
    #[arg(long, value_name = "FINGERPRINT")]
    root: Option<String>,
    #[command(flatten)]
    output: Output,
}

/// What `pli service enrol` prints.
#[derive(Debug, Serialize)]
struct Enrolled {
    email: String,
    name: String,
    user_id: String,
    organisation: String,
    /// 64 hexadecimal digits.
    signing_fingerprint: String,
    /// As the admin's page shows it (its first 16 bytes, in groups of four digits).
    signing_fingerprint_shown: String,
    credential: String,
    status: String,
}

/// Runs `pli service …`.
pub(crate) fn run(args: ServiceArgs) -> Result<()> {
    match args.command {
        ServiceCommand::Enrol(args) => enrol(args),
    }
}

fn enrol(args: EnrolArgs) -> Result<()> {
    let home = profile::home()?;
    let path = credential_path(&home);
    if path.exists() {
        bail!(
            "a service credential is already at {}: a machine holds one service account \
             (set PLI_SERVICE_CREDENTIAL to another path, or remove that file if its \
             account was removed, or reset and this is the new link)",
            path.display()
        );
    }
    // The profile directory holds one account's profile: not another's.
    if let Ok(existing) = profile::load(&home) {
        bail!(
            "{} holds the profile of {}: enrol the service account with another PLI_HOME",
            home.display(),
            existing.email
        );
    }
    let link = Zeroizing::new(std::env::var("PLI_LINK").context("PLI_LINK is not set")?);
    let link = OneTimeLink::parse(link.trim()).context("PLI_LINK")?;
    let given = args
        .root
        .as_deref()
        .map(RootPin::parse)
        .transpose()
        .context("--root")?;
    let root = match (link.root, given) {
        (Some(linked), Some(given)) if linked != given => {
            bail!("the link pins another platform root than --root")
        }
        (Some(root), _) | (None, Some(root)) => root,
        (None, None) => bail!(
            "the link carries no platform root: give --root FINGERPRINT, as the platform's \
             administrator published it"
        ),
    };
    // The credential's folder is made before the link is spent.
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        profile::create_private_dir(dir)?;
    }
    let mut secret = Zeroizing::new([0u8; 32]);
    getrandom::fill(secret.as_mut_slice()).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let secret = Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(*secret));
    let client = Client::new(&args.url);
    let (enrolled, profile) = runtime()?.block_on(async {
        let info: InvitationInfo = client
            .call(
                &pli_api::endpoints::InvitationLookup {},
                &TokenRequest {
                    token: link.token.clone(),
                },
            )
            .await
            .context("cannot read the link")?;
        if !info.service {
            bail!("this link is a person's: open it in a web browser");
        }
        let kdf = KdfParams::generate().map_err(ClientError::from)?;
        let session = Session::accept_invitation(&client, &link.token, &secret, kdf, &root, None)
            .await
            .context("cannot enrol the service account")?;
        let account_key = session
            .account_key()
            .context("the new account has no account key")?
            .to_text();
        let credential = Credential {
            version: VERSION,
            email: session.me.email.clone(),
            secret: secret.to_string(),
            account_key: account_key.to_string(),
        };
        let written = serde_json::to_vec_pretty(&credential)
            .map(Zeroizing::new)
            .map_err(anyhow::Error::from)
            .and_then(|bytes| profile::write_private_new(&path, &bytes));
        if let Err(error) = written {
            let _ = session.logout().await;
            return Err(error.context(
                "the account was created but its credential could not be written: ask the \
                 admin for a reset link and enrol again",
            ));
        }
        let me = &session.me;
        let fingerprint = session.keys.signing.verifying_key().fingerprint();
        let enrolled = Enrolled {
            email: me.email.clone(),
            name: me.display_name.clone(),
            user_id: me.user_id.to_string(),
            organisation: me.org_name.clone(),
            signing_fingerprint: fingerprint.to_hex(),
            signing_fingerprint_shown: fingerprint.to_string(),
            credential: path.display().to_string(),
            status: me.status.to_string(),
        };
        let profile = Profile::new(&args.url, &me.email, &session.trust.0, session.known_log());
        let _ = session.logout().await;
        anyhow::Ok((enrolled, profile))
    })?;
    profile::save(&home, &profile)?;
    args.output.print(&enrolled, || {
        format!(
            "{} <{}> — {}\nsigning key {} ({})\ncredential {}\n\
             Ask an admin of {} to certify this account, comparing the fingerprint above.\n",
            enrolled.name,
            enrolled.email,
            enrolled.organisation,
            enrolled.signing_fingerprint_shown,
            enrolled.signing_fingerprint,
            enrolled.credential,
            enrolled.organisation
        )
    })
}
