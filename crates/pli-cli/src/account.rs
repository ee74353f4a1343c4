//! The account the networked commands act as: how they obtain an unlocked
//! [`Session`] ([`Unlock`], implemented today by [`Person`], a person's password and
//! account key read from the environment), `pli login`, `pli logout`, `pli whoami`, and
//! [`with_session`], which every other networked command runs in.
//!
//! Every command opens its own relay session and ends it before returning: no session
//! outlives a command, so no token is ever kept on disk.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use pli_client::protocol::RootPin;
use pli_client::{Client, ClientError, Session};
use pli_crypto::account_key::AccountKey;
use pli_crypto::sign::VerifyingKey;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::output::Output;
use crate::profile::{self, Profile};
use crate::service::Service;

/// How the command line obtains an unlocked session: a person's credentials from the
/// environment ([`Person`]), or a service account's from its credential file
/// ([`crate::service::Service`]); [`Account`] is whichever this run has.
pub(crate) trait Unlock {
    /// The account's address, as the profile records it.
    fn email(&self) -> &str;

    /// Logs in to the relay of `client` and unlocks the account's keys; `root` is the
    /// platform root pinned (none at the first login: the one the bundle sealed).
    async fn unlock(
        &self,
        client: &Client,
        root: Option<VerifyingKey>,
    ) -> Result<Session, ClientError>;
}

/// A person's credentials, from the environment (`PLI_EMAIL`, `PLI_PASSWORD`,
/// `PLI_ACCOUNT_KEY` — the kit de secours's key —, and `PLI_TOTP` if two-factor is on),
/// never from the command line, where other users of the machine could read them.
pub(crate) struct Person {
    email: String,
    password: Zeroizing<String>,
    account_key: AccountKey,
    totp: Option<String>,
}

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Person")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

fn env(name: &str) -> Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set"))
}

impl Person {
    /// Reads the credentials from the environment.
    pub(crate) fn from_env() -> Result<Self> {
        Ok(Self {
            email: env("PLI_EMAIL")?,
            password: Zeroizing::new(env("PLI_PASSWORD")?),
            account_key: AccountKey::parse(&env("PLI_ACCOUNT_KEY")?)
                .map_err(|e| anyhow::anyhow!("PLI_ACCOUNT_KEY: {e}"))?,
            totp: std::env::var("PLI_TOTP").ok().filter(|t| !t.is_empty()),
        })
    }
}

impl Unlock for Person {
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
            &self.password,
            Some(&self.account_key),
            self.totp.as_deref(),
            root,
        )
        .await
    }
}

/// The account of this run: a person's if `PLI_PASSWORD` is set, else the service
/// account whose credential is at `PLI_SERVICE_CREDENTIAL` or in the profile directory.
#[derive(Debug)]
pub(crate) enum Account {
    Person(Person),
    Service(Service),
}

impl Account {
    /// Reads it from the environment, or the service credential of `home`.
    pub(crate) fn find(home: &Path) -> Result<Self> {
        if std::env::var_os("PLI_PASSWORD").is_none() {
            let path = crate::service::credential_path(home);
            if let Some(service) = Service::load(&path)? {
                return Ok(Self::Service(service));
            }
        }
        Person::from_env()
            .map(Self::Person)
            .context("no account: set PLI_EMAIL, PLI_PASSWORD and PLI_ACCOUNT_KEY, or enrol a service account (pli service enrol)")
    }
}

impl Unlock for Account {
    fn email(&self) -> &str {
        match self {
            Self::Person(person) => person.email(),
            Self::Service(service) => service.email(),
        }
    }

    async fn unlock(
        &self,
        client: &Client,
        root: Option<VerifyingKey>,
    ) -> Result<Session, ClientError> {
        match self {
            Self::Person(person) => person.unlock(client, root).await,
            Self::Service(service) => service.unlock(client, root).await,
        }
    }
}

/// A single-threaded runtime for one command.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Runs `command` with a session of the profile's account: reads the profile, logs in
/// from the environment (refusing a relay whose root or log is not the one pinned),
/// saves what was verified of the log, ends the relay session.
pub(crate) fn with_session<T>(
    command: impl AsyncFnOnce(&Session, &Path) -> Result<T>,
) -> Result<T> {
    let home = profile::home()?;
    let mut profile = profile::load(&home)?;
    let account = Account::find(&home)?;
    if account.email() != profile.email {
        bail!(
            "the account is {} but the profile is {}'s: run pli login again",
            account.email(),
            profile.email
        );
    }
    let mut client = Client::new(&profile.url);
    if let Some(known) = &profile.known_log {
        client = client.with_known_log(known.clone());
    }
    let root = profile.root()?;
    runtime()?.block_on(async {
        let session = account
            .unlock(&client, Some(root))
            .await
            .context("cannot log in")?;
        let outcome = command(&session, &home).await;
        // What was verified of the log stands whatever the command's outcome.
        let saved = match session.known_log() {
            Some(known) => {
                profile.known_log = Some(known);
                profile::save(&home, &profile)
            }
            None => Ok(()),
        };
        // The session ends with the command (if the relay cannot be told, it expires).
        let _ = session.logout().await;
        let value = outcome?;
        saved?;
        Ok(value)
    })
}

/// A relay's address as given on the command line: `https://`, or `http://` to this
/// machine only (a relay on loopback, for tests and development). Over plain `http://`
/// to anywhere else the session's token would cross the network in the clear.
pub(crate) fn relay_url(raw: &str) -> Result<String, String> {
    let url = raw.trim_end_matches('/');
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{raw} is not an address (https://pli.example.fr)"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    };
    let loopback = host == "localhost"
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    match scheme.to_ascii_lowercase().as_str() {
        "https" if !host.is_empty() => Ok(url.to_owned()),
        "http" if loopback => Ok(url.to_owned()),
        "http" => Err(format!(
            "{raw}: use https:// (http:// only to this machine: localhost, 127.0.0.1, [::1]), \
             or the session's token would cross the network in the clear"
        )),
        _ => Err(format!("{raw} is not an https:// address")),
    }
}

/// `pli login` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct LoginArgs {
    /// The relay's address (https://pli.example.fr; http:// only to this machine).
    #[arg(long, value_parser = relay_url)]
    url: String,
    /// The platform root's fingerprint, as the platform's administrator gave it (64
    /// hexadecimal digits, or the first 32 shown by the web app); without it, the root
    /// sealed in the account's key bundle.
    #[arg(long, value_name = "FINGERPRINT")]
    root: Option<String>,
    #[command(flatten)]
    output: Output,
}

/// What `pli login` and `pli whoami` print.
#[derive(Debug, Serialize)]
struct Whoami {
    url: String,
    email: String,
    name: String,
    user_id: String,
    status: String,
    organisation: WhoamiOrg,
    root_fingerprint: String,
}

#[derive(Debug, Serialize)]
struct WhoamiOrg {
    id: String,
    name: String,
    kind: String,
    role: String,
}

fn whoami_of(session: &Session, url: &str) -> Whoami {
    let me = &session.me;
    Whoami {
        url: url.to_owned(),
        email: me.email.clone(),
        name: me.display_name.clone(),
        user_id: me.user_id.to_string(),
        status: me.status.to_string(),
        organisation: WhoamiOrg {
            id: me.org_id.to_string(),
            name: me.org_name.clone(),
            kind: me.org_kind.to_string(),
            role: me.role.to_string(),
        },
        root_fingerprint: session.trust.0.fingerprint().to_hex(),
    }
}

fn print_whoami(output: &Output, who: &Whoami) -> Result<()> {
    output.print(who, || {
        format!(
            "{} <{}>\n{} ({}) — {}\nroot {}\nrelay {}\n",
            who.name,
            who.email,
            who.organisation.name,
            who.organisation.kind,
            who.organisation.role,
            who.root_fingerprint,
            who.url
        )
    })
}

/// The root the relay serves, if it is the one `pin` names.
async fn pinned_root(client: &Client, pin: &RootPin) -> Result<VerifyingKey> {
    let served: pli_api::messages::RootKey = client
        .fetch(&pli_api::endpoints::Root {})
        .await
        .context("cannot read the relay's platform root")?;
    let key = served
        .root_key
        .and_then(|k| <[u8; 32]>::try_from(k.0).ok())
        .map(|k| VerifyingKey::from_bytes(&k))
        .transpose()
        .map_err(ClientError::from)?
        .context("the relay's platform is not set up")?;
    if !pin.matches(&key) {
        return Err(ClientError::RootChanged).context(format!(
            "the relay's platform root is {}, not the one given",
            key.fingerprint().to_hex()
        ));
    }
    Ok(key)
}

/// `pli login`: logs in from the environment, pins the root, saves the profile.
pub(crate) fn login(args: LoginArgs) -> Result<()> {
    let home = profile::home()?;
    let pin = args
        .root
        .as_deref()
        .map(RootPin::parse)
        .transpose()
        .context("--root")?;
    let account = Account::find(&home)?;
    let url = args.url;
    let client = Client::new(&url);
    let (profile, who) = runtime()?.block_on(async {
        // A root given is checked before logging in, and handed to the login: an account
        // whose bundle holds no root yet seals this one, never one the relay chose.
        let root = match &pin {
            Some(pin) => Some(pinned_root(&client, pin).await?),
            None => None,
        };
        let session = account
            .unlock(&client, root)
            .await
            .context("cannot log in")?;
        let profile = Profile::new(&url, account.email(), &session.trust.0, session.known_log());
        let who = whoami_of(&session, &url);
        let _ = session.logout().await;
        anyhow::Ok((profile, who))
    })?;
    profile::save(&home, &profile)?;
    print_whoami(&args.output, &who)
}

/// `pli logout` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct LogoutArgs {
    /// Also abandon the interrupted sends still pending (the relay erases what it
    /// received of them); without it, logging out with sends pending is refused.
    #[arg(long)]
    abandon: bool,
}

/// `pli logout`: removes the profile (and, with `--abandon`, the pending sends).
pub(crate) fn logout(args: LogoutArgs) -> Result<()> {
    let home = profile::home()?;
    let pending = crate::send::pending_plans(&home)?;
    if !pending.is_empty() {
        if !args.abandon {
            bail!(
                "{} interrupted send(s) pending: run the same pli send again to finish, or \
                 pli logout --abandon",
                pending.len()
            );
        }
        with_session(async |session, _| {
            for path in &pending {
                crate::send::abandon(session, path).await?;
            }
            Ok(())
        })?;
    }
    if !profile::remove(&home)? {
        bail!("not logged in");
    }
    Ok(())
}

/// `pli whoami` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct WhoamiArgs {
    #[command(flatten)]
    output: Output,
}

/// `pli whoami`: the account, its organisation and role, as the relay says now.
pub(crate) fn whoami(args: WhoamiArgs) -> Result<()> {
    let url = profile::load(&profile::home()?)?.url;
    let who = with_session(async |session, _| Ok(whoami_of(session, &url)))?;
    print_whoami(&args.output, &who)
}

#[cfg(test)]
mod tests {
    use super::relay_url;

    #[test]
    fn a_relay_is_reached_over_https_or_on_this_machine_only() {
        for (given, kept) in [
            ("https://pli.example.fr/", "https://pli.example.fr"),
            ("https://pli.example.fr:8443", "https://pli.example.fr:8443"),
            ("http://127.0.0.1:41234", "http://127.0.0.1:41234"),
            ("http://localhost:8080/", "http://localhost:8080"),
            ("http://[::1]:8080", "http://[::1]:8080"),
        ] {
            assert_eq!(relay_url(given).as_deref(), Ok(kept), "{given}");
        }
        for refused in [
            "http://pli.example.fr",
            "http://127.0.0.1.example.fr",
            "http://localhost.example.fr:80",
            "https://",
            "file:///etc/passwd",
        ] {
            assert!(relay_url(refused).is_err(), "{refused}");
        }
    }
}
