//! Configuration: an optional TOML file, then `PLI_*` environment variables, which win.
//!
//! | variable | file key | default |
//! |---|---|---|
//! | `PLI_CONFIG` | — | no file |
//! | `PLI_LISTEN` | `listen` | `127.0.0.1:8080` |
//! | `PLI_PUBLIC_URL` | `public_url` | `http://<listen>` |
//! | `PLI_DATA_DIR` | `data_dir` | `./data` |
//! | `PLI_DATABASE_URL` | `database_url` | `sqlite://<data_dir>/pli.db`, created on first run |
//! | `PLI_WEB_DIR` | `web_dir` | none (API only) |
//! | `PLI_SMTP_URL` | `smtp_url` | none (no e-mail) — `smtp://host:port` |
//! | `PLI_SMTP_FROM` | `smtp_from` | `Pli <pli@localhost>` |
//! | `PLI_LOG_FORMAT` | `log_format` | `json` (or `pretty`) |
//! | `PLI_METRICS_TOKEN` | `metrics_token` | none: no `/metrics` — else the bearer token (≥ 32 characters) the monitoring presents |
//! | `PLI_REQUIRE_POST_QUANTUM` | `require_post_quantum` | `false` — `true`: an X25519 organisation key generation is refused (`post_quantum_required`) |
//! | `PLI_OIDC_ISSUER` | — | none: no ProConnect — else the OpenID provider's issuer URL (ProConnect's, discovered at `/.well-known/openid-configuration`; https, or http on loopback for tests) |
//! | `PLI_OIDC_CLIENT_ID`, `PLI_OIDC_CLIENT_SECRET` | — | Pli's client at the provider (needed with the issuer) |
//! | `PLI_OIDC_SCOPES` | — | `openid given_name usual_name email uid siret idp_id` (ProConnect's) |
//! | `PLI_OIDC_ACR_VALUES` | — | `eidas1` (space-separated: the levels accepted, the first asked for) |
//! | `PLI_TRUSTED_PROXIES` | `trusted_proxies` | none: `X-Forwarded-For` ignored — else the proxies' address ranges, comma-separated (`10.0.0.0/8,fd00::/8`) |
//!
//! Timeouts and limits have file keys only, in a `[limits]` section (see [`Limits`] for
//! every key and its default). An explicitly configured database URL is used as given: a
//! SQLite file is created only for the default one, so a typo never silently starts an
//! empty database.
//!
//! Slow and idle clients, with their defaults (the caps count per replica):
//!
//! ```toml
//! [limits]
//! header_read_seconds = 30           # a request head, and a keep-alive connection's idleness (> 20)
//! body_idle_seconds = 30             # a body silent this long: too_slow (408)
//! body_min_bytes_per_second = 65536  # slower on average, after the grace: too_slow; 0: off
//! body_grace_seconds = 30
//! uploads_per_account = 4            # part uploads at once; past it busy (503, Retry-After: 1)
//! uploads_total = 64
//! events_per_account = 8             # live-event streams at once; past it busy
//! events_poll_seconds = 3            # a stream reads the events table at least this often
//! proconnect_flow_seconds = 600      # a ProConnect sign-in must come back within this
//! proconnect_ticket_seconds = 600    # then the keys must be unlocked within this
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::Deserialize;

use crate::auth::address::IpRange;

/// The relay's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen (port 0 picks a free port).
    pub listen: SocketAddr,
    /// The origin browsers use (`https://pli.example.fr`): CSRF checks and links in e-mails.
    pub public_url: String,
    /// Local state: the SQLite database by default, the blob folder, the server key.
    pub data_dir: PathBuf,
    /// The database URL (`sqlite://…` or `postgres://…`).
    pub database_url: String,
    /// The built web app to serve, if any.
    pub web_dir: Option<PathBuf>,
    /// The SMTP server for notifications (`smtp://host:port`), if any.
    pub smtp_url: Option<String>,
    /// The notifications' sender.
    pub smtp_from: String,
    /// `json` or `pretty`.
    pub log_format: String,
    /// The proxies whose `X-Forwarded-For` is believed (the client is the right-most
    /// address not among them); empty: the socket peer is the client.
    pub trusted_proxies: Vec<IpRange>,
    /// The bearer token `/metrics` asks for; none: `/metrics` is off.
    pub metrics_token: Option<String>,
    /// Refuse X25519 organisation key generations: every new one is post-quantum (an
    /// organisation whose active members do not all have post-quantum keys cannot
    /// rotate until they do).
    pub require_post_quantum: bool,
    /// Timeouts and limits.
    pub limits: Limits,
    /// An S3-compatible bucket for ciphertext instead of the data folder (the `[s3]`
    /// section of the file; needs the `s3` build feature), so replicas share storage.
    pub s3: Option<toml::Table>,
    /// The key directory's transparency log.
    pub log: LogConfig,
    /// ProConnect (OpenID Connect) sign-in, if configured.
    pub oidc: Option<OidcConfig>,
}

/// Pli as a relying party of ProConnect (`PLI_OIDC_*`): the redirect URI it registers is
/// `<public_url>/api/proconnect/callback`, the post-logout one `<public_url>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// The issuer (discovery at `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    /// The client id.
    pub client_id: String,
    /// The client secret (sent in the token request's body, as ProConnect expects).
    pub client_secret: ClientSecret,
    /// The scopes asked for (`openid` first).
    pub scopes: Vec<String>,
    /// The authentication levels accepted (`acr`), the first asked for.
    pub acr_values: Vec<String>,
}

/// A secret that never shows in a `Debug` print (the configuration is printed at start).
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(pub String);

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret(…)")
    }
}

impl OidcConfig {
    fn from_env(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Option<Self>> {
        let Some(issuer) = get("PLI_OIDC_ISSUER") else {
            if get("PLI_OIDC_CLIENT_ID").is_some() {
                bail!("PLI_OIDC_CLIENT_ID is set without PLI_OIDC_ISSUER");
            }
            return Ok(None);
        };
        let issuer = issuer.trim().to_owned();
        let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"]
            .iter()
            .any(|prefix| issuer.starts_with(prefix));
        if !(issuer.starts_with("https://") || loopback) {
            bail!("PLI_OIDC_ISSUER must be an https:// URL (http only on loopback, for tests)");
        }
        let client_id = get("PLI_OIDC_CLIENT_ID")
            .context("PLI_OIDC_CLIENT_ID is needed with PLI_OIDC_ISSUER")?;
        let client_secret = get("PLI_OIDC_CLIENT_SECRET")
            .context("PLI_OIDC_CLIENT_SECRET is needed with PLI_OIDC_ISSUER")?;
        let words = |name: &str, default: &str| -> Vec<String> {
            get(name)
                .unwrap_or_else(|| default.to_owned())
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        };
        let scopes = words(
            "PLI_OIDC_SCOPES",
            "openid given_name usual_name email uid siret idp_id",
        );
        if scopes.first().map(String::as_str) != Some("openid") {
            bail!("PLI_OIDC_SCOPES must begin with openid");
        }
        let acr_values = words("PLI_OIDC_ACR_VALUES", "eidas1");
        if acr_values.is_empty() {
            bail!("PLI_OIDC_ACR_VALUES must name at least one level (eidas1)");
        }
        Ok(Some(Self {
            issuer,
            client_id,
            client_secret: ClientSecret(client_secret),
            scopes,
            acr_values,
        }))
    }
}

/// The transparency log's origin and witnesses (`PLI_LOG_ORIGIN`, `PLI_WITNESSES`,
/// `PLI_WITNESS_QUORUM`, `PLI_WITNESSES_RETIRING`). What the platform authority signs at
/// set-up as the log's policy; changing the witnesses or the quorum afterwards needs a
/// new policy signed by the authority (on the platform page), until which the relay
/// still needs the former witnesses' cosignatures: those it no longer proposes stay in
/// `PLI_WITNESSES_RETIRING` until the new policy is in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// The checkpoints' origin line (and the log key's name).
    pub origin: String,
    /// The witnesses, each `VKEY@URL`: its signed-note `cosignature/v1` verifier key and
    /// the URL its `add-checkpoint` lives under.
    pub witnesses: Vec<WitnessEndpoint>,
    /// Witnesses the relay still asks to cosign but no longer proposes: those of the
    /// policy in force that a new policy drops, until the authority signs it.
    pub retiring: Vec<WitnessEndpoint>,
    /// How many witnesses must cosign (all of them by default).
    pub quorum: u8,
    /// How old cosignatures may be for clients to accept a checkpoint (seconds).
    pub max_age_s: u32,
    /// How often the relay asks its witnesses to cosign again when nothing changed.
    pub refresh_seconds: u64,
}

/// A witness the relay asks to cosign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessEndpoint {
    /// Its signed-note verifier key (`name+id+key`, type `cosignature/v1`).
    pub vkey: String,
    /// Its base URL (`add-checkpoint` is appended).
    pub url: String,
}

impl LogConfig {
    fn from_env(get: impl Fn(&str) -> Option<String>, public_url: &str) -> anyhow::Result<Self> {
        let host = public_url
            .split_once("://")
            .map_or(public_url, |(_, rest)| rest);
        let origin = get("PLI_LOG_ORIGIN").unwrap_or_else(|| format!("{host}/annuaire"));
        if !pli_crypto::statement::is_note_key_name(&origin) {
            bail!("PLI_LOG_ORIGIN {origin:?} must have no space and no '+'");
        }
        let witnesses = witness_list(&get, "PLI_WITNESSES")?;
        let retiring = witness_list(&get, "PLI_WITNESSES_RETIRING")?;
        let all = u8::try_from(witnesses.len()).context("PLI_WITNESSES: too many witnesses")?;
        let quorum = match get("PLI_WITNESS_QUORUM") {
            Some(text) => text
                .parse::<u8>()
                .ok()
                .filter(|q| *q <= all)
                .with_context(|| format!("PLI_WITNESS_QUORUM must be 0 to {all}"))?,
            None => all,
        };
        Ok(Self {
            origin,
            witnesses,
            retiring,
            quorum,
            max_age_s: 86_400,
            refresh_seconds: 3_600,
        })
    }
}

/// The witnesses of the variable `name`, each `VKEY@URL`, separated by commas.
fn witness_list(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> anyhow::Result<Vec<WitnessEndpoint>> {
    let mut witnesses = Vec::new();
    for item in get(name).unwrap_or_default().split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (vkey, url) = item
            .split_once('@')
            .with_context(|| format!("{name}: {item:?} is not VKEY@URL"))?;
        pli_log::note::parse_verifier_key(vkey, pli_log::note::COSIGNATURE_V1)
            .with_context(|| format!("{name}: {vkey:?}"))?;
        witnesses.push(WitnessEndpoint {
            vkey: vkey.to_owned(),
            url: url.trim_end_matches('/').to_owned(),
        });
    }
    Ok(witnesses)
}

/// Timeouts and limits, with their defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// A session ends after this long without a request.
    pub session_idle_minutes: u64,
    /// A session ends this long after login, whatever happens.
    pub session_absolute_hours: u64,
    /// Sensitive operations need a password proof this recent.
    pub reauth_minutes: u64,
    /// Invitation links expire after this long.
    pub invitation_hours: u64,
    /// Exchanges expire after this many days unless the organisation says otherwise.
    pub retention_days: u64,
    /// An upload not completed after this long is abandoned and purged.
    pub abandoned_upload_hours: u64,
    /// How often expiry and cleanup run.
    pub cleanup_interval_seconds: u64,
    /// The largest exchange, in bytes (all objects).
    pub max_exchange_bytes: u64,
    /// The most bytes an organisation may have stored at once.
    pub org_quota_bytes: u64,
    /// Failed logins allowed per account and client address per window.
    pub login_failures_per_account: u64,
    /// Failed logins allowed per client address per window.
    pub login_failures_per_address: u64,
    /// The login throttling window.
    pub login_window_minutes: u64,
    /// Password hashes (Argon2id, 19 MiB each) computed at once; a login or password
    /// change past this answers `busy` at once instead of queueing.
    pub password_hashes: usize,
    /// A connection must send a whole request head (the request line and headers) within
    /// this many seconds of opening, and of its previous answer: a keep-alive connection
    /// idle this long is closed. Keep it above the clients' own idle limit
    /// (`pli_client::IDLE_CONNECTION`, 20 s), or a request sent as the relay closes its
    /// connection fails (a proxy in front, such as nginx, has its own).
    pub header_read_seconds: u64,
    /// A request body that sends nothing for this many seconds is cut (`too_slow`, 408).
    pub body_idle_seconds: u64,
    /// A request body must arrive at this average rate at least, counted after
    /// `body_grace_seconds` (so a 16 MiB part may take 30 s + 256 s at the defaults);
    /// slower, it is cut (`too_slow`, 408). 0: no rate is asked.
    pub body_min_bytes_per_second: u64,
    /// The grace before `body_min_bytes_per_second` counts.
    pub body_grace_seconds: u64,
    /// Part uploads one account may have in progress at once (per replica); past it
    /// `busy` (503, retry in a second) at once.
    pub uploads_per_account: usize,
    /// Part uploads in progress at once on a replica, all accounts together; past it
    /// `busy` at once.
    pub uploads_total: usize,
    /// Live-event streams (`/api/events`) one account may hold open at once (per
    /// replica); past it `busy` at once.
    pub events_per_account: usize,
    /// How often a live-event stream reads the events table when nothing woke it: what
    /// an event waits at most if its wake-up was lost (on PostgreSQL, other replicas'
    /// events wake it at once: `replicas`), and how soon a stream notices its session
    /// ended.
    pub events_poll_seconds: u64,
    /// A ProConnect sign-in must come back within this many seconds of its start.
    pub proconnect_flow_seconds: u64,
    /// After ProConnect, the keys must be unlocked within this many seconds.
    pub proconnect_ticket_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            reauth_minutes: 5,
            invitation_hours: 72,
            retention_days: 30,
            abandoned_upload_hours: 24,
            cleanup_interval_seconds: 300,
            max_exchange_bytes: 100 * (1 << 30),
            org_quota_bytes: 2 * (1 << 40),
            login_failures_per_account: 5,
            login_failures_per_address: 100,
            login_window_minutes: 15,
            password_hashes: 8,
            header_read_seconds: 30,
            body_idle_seconds: 30,
            body_min_bytes_per_second: 64 * 1024,
            body_grace_seconds: 30,
            uploads_per_account: 4,
            uploads_total: 64,
            events_per_account: 8,
            events_poll_seconds: 3,
            proconnect_flow_seconds: 600,
            proconnect_ticket_seconds: 600,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    public_url: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    web_dir: Option<PathBuf>,
    smtp_url: Option<String>,
    smtp_from: Option<String>,
    log_format: Option<String>,
    trusted_proxies: Option<Vec<String>>,
    metrics_token: Option<String>,
    require_post_quantum: Option<bool>,
    #[serde(default)]
    limits: Limits,
    s3: Option<toml::Table>,
}

impl Config {
    /// Reads the configuration from `env` (normally `std::env::vars()`), and from the file
    /// `PLI_CONFIG` names, if any.
    pub fn from_env(env: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<Self> {
        let env: std::collections::HashMap<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("PLI_"))
            .collect();
        let file = match env.get("PLI_CONFIG") {
            Some(path) => read_file(Path::new(path))?,
            None => FileConfig::default(),
        };
        let get = |name: &str| env.get(name).filter(|v| !v.is_empty()).cloned();

        let listen_text = get("PLI_LISTEN")
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let listen: SocketAddr = listen_text
            .parse()
            .with_context(|| format!("PLI_LISTEN {listen_text:?} is not an address:port"))?;
        let data_dir = get("PLI_DATA_DIR")
            .map(PathBuf::from)
            .or(file.data_dir)
            .unwrap_or_else(|| "data".into());
        let database_url = match get("PLI_DATABASE_URL").or(file.database_url) {
            Some(url) => {
                if !(url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://"))
                {
                    bail!("PLI_DATABASE_URL must start with sqlite: or postgres://");
                }
                url
            }
            None => format!("sqlite://{}?mode=rwc", data_dir.join("pli.db").display()),
        };
        let public_url = get("PLI_PUBLIC_URL")
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        let public_url = public_url.trim_end_matches('/').to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("PLI_PUBLIC_URL must start with http:// or https://");
        }
        let log_format = get("PLI_LOG_FORMAT")
            .or(file.log_format)
            .unwrap_or_else(|| "json".to_owned());
        if log_format != "json" && log_format != "pretty" {
            bail!("PLI_LOG_FORMAT must be json or pretty");
        }
        if get("PLI_TRUST_PROXY").is_some() {
            bail!(
                "PLI_TRUST_PROXY is replaced by PLI_TRUSTED_PROXIES: the address ranges of the proxies whose X-Forwarded-For to believe (e.g. 10.0.0.0/8)"
            );
        }
        let trusted_proxies = match get("PLI_TRUSTED_PROXIES") {
            Some(list) => list
                .split(',')
                .filter(|r| !r.trim().is_empty())
                .map(str::parse)
                .collect::<Result<Vec<IpRange>, _>>()
                .context("PLI_TRUSTED_PROXIES")?,
            None => file
                .trusted_proxies
                .unwrap_or_default()
                .iter()
                .map(|r| r.parse())
                .collect::<Result<Vec<IpRange>, _>>()
                .context("trusted_proxies")?,
        };
        let metrics_token = get("PLI_METRICS_TOKEN").or(file.metrics_token);
        if metrics_token.as_ref().is_some_and(|t| t.trim().len() < 32) {
            bail!("PLI_METRICS_TOKEN must be at least 32 characters (e.g. openssl rand -hex 32)");
        }
        let require_post_quantum = match get("PLI_REQUIRE_POST_QUANTUM").as_deref() {
            None => file.require_post_quantum.unwrap_or(false),
            Some("true") => true,
            Some("false") => false,
            Some(_) => bail!("PLI_REQUIRE_POST_QUANTUM must be true or false"),
        };
        let oidc = OidcConfig::from_env(get)?;
        let log = LogConfig::from_env(get, &public_url)?;
        Ok(Self {
            oidc,
            log,
            listen,
            public_url,
            data_dir,
            database_url,
            web_dir: get("PLI_WEB_DIR").map(PathBuf::from).or(file.web_dir),
            smtp_url: get("PLI_SMTP_URL").or(file.smtp_url),
            smtp_from: get("PLI_SMTP_FROM")
                .or(file.smtp_from)
                .unwrap_or_else(|| "Pli <pli@localhost>".to_owned()),
            log_format,
            trusted_proxies,
            metrics_token,
            require_post_quantum,
            limits: file.limits,
            s3: file.s3,
        })
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid configuration in {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_are_the_embedded_setup() {
        let config = Config::from_env(env(&[])).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database_url, "sqlite://data/pli.db?mode=rwc");
        assert_eq!(config.public_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn environment_wins_over_the_file_and_bad_values_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pli.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\n[limits]\nretention_days = 7\n",
        )
        .unwrap();
        let path = path.display().to_string();
        let config =
            Config::from_env(env(&[("PLI_CONFIG", &path), ("PLI_DATA_DIR", "/srv/pli")])).unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.limits.retention_days, 7);
        assert_eq!(config.database_url, "sqlite:///srv/pli/pli.db?mode=rwc");
        let config =
            Config::from_env(env(&[("PLI_CONFIG", &path), ("PLI_LISTEN", "127.0.0.1:0")])).unwrap();
        assert_eq!(config.listen.port(), 0);

        assert!(!config.require_post_quantum);
        let required = Config::from_env(env(&[("PLI_REQUIRE_POST_QUANTUM", "true")])).unwrap();
        assert!(required.require_post_quantum);
        assert!(Config::from_env(env(&[("PLI_REQUIRE_POST_QUANTUM", "oui")])).is_err());
        assert!(Config::from_env(env(&[("PLI_DATABASE_URL", "mysql://x")])).is_err());
        assert!(Config::from_env(env(&[("PLI_LISTEN", "localhost")])).is_err());
        std::fs::write(dir.path().join("bad.toml"), "lisen = 1\n").unwrap();
        let bad = dir.path().join("bad.toml").display().to_string();
        assert!(Config::from_env(env(&[("PLI_CONFIG", &bad)])).is_err());
    }

    /// Issue 9: the witnesses a new policy drops stay asked, as retiring, until the
    /// platform authority signs it; the quorum is judged against the proposed ones only.
    #[test]
    fn retiring_witnesses_are_read_apart_from_the_proposed_ones() {
        let vkey = |name: &str, n: u8| {
            pli_log::note::NoteKey::new(name, &[n; 32])
                .unwrap()
                .verifier_key(pli_log::note::COSIGNATURE_V1)
                .unwrap()
        };
        let proposed = format!(
            "{}@http://w2.test/, {}@http://w3.test",
            vkey("w2.test", 2),
            vkey("w3.test", 3)
        );
        let retiring = format!("{}@http://w1.test", vkey("w1.test", 1));
        let config = Config::from_env(env(&[
            ("PLI_WITNESSES", &proposed),
            ("PLI_WITNESSES_RETIRING", &retiring),
            ("PLI_WITNESS_QUORUM", "1"),
        ]))
        .unwrap();
        let urls = |list: &[WitnessEndpoint]| -> Vec<String> {
            list.iter().map(|w| w.url.clone()).collect()
        };
        assert_eq!(
            urls(&config.log.witnesses),
            ["http://w2.test", "http://w3.test"]
        );
        assert_eq!(urls(&config.log.retiring), ["http://w1.test"]);
        assert_eq!(config.log.quorum, 1);
        let too_many = Config::from_env(env(&[
            ("PLI_WITNESSES_RETIRING", &retiring),
            ("PLI_WITNESS_QUORUM", "1"),
        ]));
        assert!(too_many.is_err(), "a quorum of retiring witnesses");
        let bad = Config::from_env(env(&[("PLI_WITNESSES_RETIRING", "w1.test@http://w1")]));
        assert!(bad.is_err());
    }
}
