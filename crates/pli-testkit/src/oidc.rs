//! An OpenID Connect provider shaped like ProConnect (the French state's federation of
//! identity providers), for the tests of signing in with it: the npm package
//! `oidc-provider` (a certified implementation, installed by `cargo xtask test`, which
//! names its `node_modules` in `PLI_TEST_OIDC_NODE_MODULES`), run by node with
//! `oidc/provider.mjs` on a loopback port; stopped when dropped.
//!
//! What it shares with ProConnect: the scopes and claims (`given_name`, `usual_name`,
//! `email`, `uid`, `siret`, `idp_id`), the `eidas1` acr, RS256 signatures on the ID token
//! and on userinfo (answered as `application/jwt`), `client_secret_post`, PKCE, and
//! RP-initiated logout that returns to the relying party without asking. Its sign-in page
//! (titled "ProConnect (test)") has one field, `#login`, for an account's
//! [`id`](OidcAccount::id), and a button `#sign-in`; no password.

use std::io::{BufRead as _, BufReader, Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};

/// The variable naming the `node_modules` directory that holds `oidc-provider`.
pub const NODE_MODULES_VAR: &str = "PLI_TEST_OIDC_NODE_MODULES";

/// The provider's script, run by node.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/oidc/provider.mjs");

/// How long the provider may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// The one client (relying party) the provider knows: the relay.
#[derive(Debug, Clone)]
pub struct OidcClient {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`, sent in the token request's body (`client_secret_post`).
    pub client_secret: String,
    /// The one `redirect_uri` accepted.
    pub redirect_uri: String,
    /// The one `post_logout_redirect_uri` accepted.
    pub post_logout_redirect_uri: String,
}

/// An account one can sign in as, with ProConnect's claims.
#[derive(Debug, Clone)]
pub struct OidcAccount {
    /// What the sign-in page's `#login` field takes; also the `sub` claim.
    pub id: String,
    /// `email`.
    pub email: String,
    /// `given_name`.
    pub given_name: String,
    /// `usual_name` (ProConnect's family name).
    pub usual_name: String,
    /// `uid`: the account's identifier at its identity provider.
    pub uid: String,
    /// `siret`: the establishment the person works for.
    pub siret: String,
    /// `idp_id`: the identity provider the person signed in with.
    pub idp_id: String,
    /// The level the sign-in reaches (`acr`): `eidas1` if empty.
    pub acr: String,
}

/// A running provider.
#[derive(Debug)]
pub struct OidcProvider {
    /// `http://127.0.0.1:<port>`, without a trailing slash (its discovery document is at
    /// `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    child: Child,
    /// Held so that node sees its standard input close, and ends, when this process
    /// ends without dropping the provider (a test that aborts).
    _stdin: Option<ChildStdin>,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl OidcProvider {
    /// The `node_modules` directory holding `oidc-provider`: [`NODE_MODULES_VAR`] if set,
    /// else `target/tools/npm/node_modules` of this workspace if `cargo xtask test` has
    /// installed the package there.
    pub fn node_modules() -> anyhow::Result<PathBuf> {
        if let Some(dir) = std::env::var_os(NODE_MODULES_VAR) {
            return Ok(PathBuf::from(dir));
        }
        let installed =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/npm/node_modules");
        if installed.join("oidc-provider/package.json").is_file() {
            return Ok(installed);
        }
        bail!(
            "{NODE_MODULES_VAR} is not set and {} holds no oidc-provider: run the tests through \
             `cargo xtask test`, which installs it",
            installed.display()
        )
    }

    /// Starts the provider on a free loopback port with `client` and `accounts`, its
    /// output going to `log` (or nowhere); returns once it listens.
    pub fn start(
        node_modules: &Path,
        client: &OidcClient,
        accounts: &[OidcAccount],
        log: Option<&Path>,
    ) -> anyhow::Result<Self> {
        Self::start_on(crate::free_port()?, node_modules, client, accounts, log)
    }

    /// [`start`](Self::start) on `port`: the issuer (`http://127.0.0.1:<port>`) can be
    /// given to the relying party before the provider starts, which needs the relying
    /// party's redirect URI.
    pub fn start_on(
        port: u16,
        node_modules: &Path,
        client: &OidcClient,
        accounts: &[OidcAccount],
        log: Option<&Path>,
    ) -> anyhow::Result<Self> {
        if !node_modules.join("oidc-provider/package.json").is_file() {
            bail!(
                "{} holds no oidc-provider (`cargo xtask test` installs it)",
                node_modules.display()
            );
        }
        let input = config_json(port, node_modules, client, accounts)?;
        let log = match log {
            Some(path) => Some(Arc::new(Mutex::new(
                std::fs::File::create(path)
                    .with_context(|| format!("cannot create {}", path.display()))?,
            ))),
            None => None,
        };
        let mut child = Command::new("node")
            .arg(SCRIPT)
            .arg(&input)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot start node (the OpenID Connect provider runs on it)")?;
        let stdin = child.stdin.take();
        let (ready, listening) = mpsc::channel();
        let stderr_tail = Arc::new(Mutex::new(Vec::new()));
        if let Some(stdout) = child.stdout.take() {
            forward(stdout, log.clone(), None, Some(ready));
        }
        if let Some(stderr) = child.stderr.take() {
            forward(stderr, log, Some(Arc::clone(&stderr_tail)), None);
        }
        let mut provider = Self {
            issuer: format!("http://127.0.0.1:{port}"),
            child,
            _stdin: stdin,
        };
        match listening.recv_timeout(START_TIMEOUT) {
            Ok(line) if line == format!("listening {}", provider.issuer) => Ok(provider),
            Ok(line) => bail!("the OpenID Connect provider said `{line}`, not that it listens"),
            Err(mpsc::RecvTimeoutError::Timeout) => bail!(
                "the OpenID Connect provider did not listen within {} s",
                START_TIMEOUT.as_secs()
            ),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = provider.child.wait()?;
                // The reading thread may still hold the last lines: give it a moment.
                std::thread::sleep(Duration::from_millis(100));
                let tail = stderr_tail
                    .lock()
                    .map(|lines| lines.join("\n"))
                    .unwrap_or_default();
                bail!("the OpenID Connect provider ended as it started ({status}):\n{tail}")
            }
        }
    }

    /// The last authorization request the provider received and the last redirect it
    /// sent back to the client (`None` before any), which a browser test cannot read
    /// from Chromium: to replay a return, or alter a request, as an attacker between the
    /// browser and the relay would.
    pub fn last(&self) -> anyhow::Result<(Option<String>, Option<String>)> {
        let rest = self
            .issuer
            .strip_prefix("http://")
            .context("the issuer is http://")?;
        let mut stream = std::net::TcpStream::connect(rest)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        std::io::Write::write_all(
            &mut stream,
            format!("GET /test/last HTTP/1.0\r\nHost: {rest}\r\n\r\n").as_bytes(),
        )?;
        let mut answer = String::new();
        std::io::Read::read_to_string(&mut stream, &mut answer)?;
        let (_, body) = answer.split_once("\r\n\r\n").context("no body")?;
        let member = |name: &str| -> Option<String> {
            let (_, rest) = body.split_once(&format!("\"{name}\":\""))?;
            // URLs carry no quote or backslash (they are percent-encoded).
            rest.split_once('"').map(|(value, _)| value.to_owned())
        };
        Ok((member("authorize"), member("callback")))
    }

    /// `<issuer>/.well-known/openid-configuration`.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer)
    }
}

/// How many of node's last error lines a failed start reports.
const TAIL_LINES: usize = 40;

/// Reads `from` line by line on a thread of its own (so that node never blocks on a full
/// pipe): each line goes to `log`, into `tail` (its last [`TAIL_LINES`]) and, for the first
/// line only, to `first`.
fn forward(
    from: impl Read + Send + 'static,
    log: Option<Arc<Mutex<std::fs::File>>>,
    tail: Option<Arc<Mutex<Vec<String>>>>,
    mut first: Option<mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            if let Some(log) = &log
                && let Ok(mut file) = log.lock()
            {
                let _ = writeln!(file, "{line}");
            }
            if let Some(tail) = &tail
                && let Ok(mut lines) = tail.lock()
            {
                if lines.len() == TAIL_LINES {
                    lines.remove(0);
                }
                lines.push(line.clone());
            }
            if let Some(sender) = first.take() {
                let _ = sender.send(line);
            }
        }
    });
}

/// The script's input (see `oidc/provider.mjs`).
fn config_json(
    port: u16,
    node_modules: &Path,
    client: &OidcClient,
    accounts: &[OidcAccount],
) -> anyhow::Result<String> {
    let node_modules = node_modules
        .to_str()
        .with_context(|| format!("{} is not UTF-8", node_modules.display()))?;
    let accounts: Vec<String> = accounts
        .iter()
        .map(|account| {
            object(&[
                ("id", crate::json_string(&account.id)),
                ("email", crate::json_string(&account.email)),
                ("given_name", crate::json_string(&account.given_name)),
                ("usual_name", crate::json_string(&account.usual_name)),
                ("uid", crate::json_string(&account.uid)),
                ("siret", crate::json_string(&account.siret)),
                ("idp_id", crate::json_string(&account.idp_id)),
                ("acr", crate::json_string(&account.acr)),
            ])
        })
        .collect();
    let client = object(&[
        ("client_id", crate::json_string(&client.client_id)),
        ("client_secret", crate::json_string(&client.client_secret)),
        (
            "redirect_uris",
            format!("[{}]", crate::json_string(&client.redirect_uri)),
        ),
        (
            "post_logout_redirect_uris",
            format!("[{}]", crate::json_string(&client.post_logout_redirect_uri)),
        ),
    ]);
    Ok(object(&[
        ("port", port.to_string()),
        ("node_modules", crate::json_string(node_modules)),
        ("exit_with_stdin", "true".to_owned()),
        ("client", client),
        ("accounts", format!("[{}]", accounts.join(","))),
    ]))
}

/// A JSON object of keys and values already written as JSON.
fn object(members: &[(&str, String)]) -> String {
    let members: Vec<String> = members
        .iter()
        .map(|(key, value)| format!("{}:{value}", crate::json_string(key)))
        .collect();
    format!("{{{}}}", members.join(","))
}

#[cfg(test)]
mod tests {

    #[test]
    fn escapes_json_strings() {
        assert_eq!(
            crate::json_string("a\"b\\c\nd é"),
            "\"a\\\"b\\\\c\\u000ad é\""
        );
    }
}
