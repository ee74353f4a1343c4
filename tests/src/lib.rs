//! The harness of the browser end-to-end tests: a relay serving the built web app (see
//! `pli_server::testing`), chromedriver and a fresh headless Chromium per test (driven by
//! fantoccini), screenshots of every page, and axe-core accessibility checks.
//!
//! Chromium (`/usr/bin/chromium`) and chromedriver come from Debian (`cargo xtask test`
//! installs them); axe-core comes from npm (`PLI_AXE_JS`, or the copy `cargo xtask test`
//! installs under `target/tools/npm`). Screenshots go to `target/e2e-screenshots/`.

#![allow(
    clippy::print_stderr,
    reason = "the harness tells the test output where screenshots are"
)]

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

/// The people the journeys start from (shared with the chaos driver).
pub use pli_chaos::cast;

pub use pli_server::testing::{Backend, TestServer};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A running chromedriver, killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver leads a process group of its own, Chromium's processes included:
        // end them all, so that a test that failed before closing leaves no browser.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start() -> anyhow::Result<Self> {
        let port = pli_testkit::free_port()?;
        let child = Command::new(
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()),
        )
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start chromedriver (Debian package chromium-driver)")?;
        let driver = Self { child, port };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(20) {
                bail!("chromedriver did not start");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(driver)
    }
}

/// One headless Chromium, its profile and download folders, and the relay it talks to.
#[allow(missing_debug_implementations, reason = "holds a WebDriver session")]
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    /// The relay's base URL.
    pub base: String,
    /// Where downloads land.
    pub downloads: tempfile::TempDir,
    /// Which test this is (names screenshots).
    pub name: String,
    profile: tempfile::TempDir,
    _driver: Driver,
    shots: u32,
}

impl Browser {
    /// A fresh browser for test `name`, pointed at `base`.
    pub async fn open(base: &str, name: &str) -> anyhow::Result<Self> {
        let driver = Driver::start().await?;
        let profile = tempfile::tempdir()?;
        let downloads = tempfile::tempdir()?;
        let capabilities = serde_json::json!({
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--window-size=1280,1000", format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": {
                    "download.default_directory": downloads.path().display().to_string(),
                    "download.prompt_for_download": false,
                    "profile.default_content_settings.popups": 0,
                },
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            bail!("capabilities");
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .context("cannot open a Chromium session")?;
        Ok(Self {
            client,
            base: base.to_owned(),
            downloads,
            name: name.to_owned(),
            profile,
            _driver: driver,
            shots: 0,
        })
    }

    /// A fresh browser for test `name`, pointed at `base`, where `person` logged in with
    /// the journeys' [`cast::PASSWORD`] and their account key (a fresh browser does not
    /// keep it, so the login form asks for it) and no TOTP code: for members, not for the
    /// admins, whose log-in asks for one.
    pub async fn logged_in(base: &str, name: &str, person: &cast::Person) -> anyhow::Result<Self> {
        let browser = Self::open(base, name).await?;
        browser
            .log_in(
                &person.email,
                cast::PASSWORD,
                Some(&person.account_key()),
                None,
            )
            .await?;
        Ok(browser)
    }

    /// Runs a Chromium DevTools command through chromedriver (`goog/cdp/execute`).
    pub async fn devtools(
        &self,
        command: &str,
        params: serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let session = self
            .client
            .session_id()
            .await?
            .context("no WebDriver session")?;
        let url = format!(
            "http://127.0.0.1:{}/session/{session}/goog/cdp/execute",
            self._driver.port
        );
        let body = serde_json::json!({ "cmd": command, "params": params });
        let answer = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await?;
        let status = answer.status();
        let text = answer.text().await?;
        if !status.is_success() {
            bail!("{command}: {status} {text}");
        }
        let value: serde_json::Value = serde_json::from_str(&text)?;
        Ok(value.get("value").cloned().unwrap_or_default())
    }

    /// Gives this browser a platform authenticator that verifies its user and has the
    /// PRF extension (Chromium's virtual authenticator), as a laptop with a fingerprint
    /// reader would; answers its id.
    pub async fn add_passkey_authenticator(&self) -> anyhow::Result<String> {
        self.devtools("WebAuthn.enable", serde_json::json!({}))
            .await?;
        let added = self
            .devtools(
                "WebAuthn.addVirtualAuthenticator",
                serde_json::json!({ "options": {
                    "protocol": "ctap2",
                    "ctap2Version": "ctap2_1",
                    "transport": "internal",
                    "hasResidentKey": true,
                    "hasUserVerification": true,
                    "isUserVerified": true,
                    "hasPrf": true,
                    "automaticPresenceSimulation": true,
                } }),
            )
            .await?;
        added
            .get("authenticatorId")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .context("no authenticator id")
    }

    /// Forgets what this site keeps in the browser (IndexedDB, local storage), as a new
    /// device would not have it; the virtual authenticators stay.
    pub async fn forget_site_data(&self) -> anyhow::Result<()> {
        self.devtools(
            "Storage.clearDataForOrigin",
            serde_json::json!({ "origin": self.base, "storageTypes": "indexeddb,local_storage,cache_storage,service_workers" }),
        )
        .await?;
        Ok(())
    }

    /// Its profile folder (named on the command line of its browser process).
    pub fn profile(&self) -> &Path {
        self.profile.path()
    }

    /// Goes to `fragment` (`#/login`…) on the relay.
    pub async fn goto(&self, fragment: &str) -> anyhow::Result<()> {
        self.client
            .goto(&format!("{}/{fragment}", self.base))
            .await?;
        Ok(())
    }

    /// Goes to `url`, anywhere (another site: an identity provider), as if typed in the
    /// address bar.
    pub async fn visit(&self, url: &str) -> anyhow::Result<()> {
        self.client.goto(url).await?;
        Ok(())
    }

    /// The address the browser is at.
    pub async fn url(&self) -> anyhow::Result<String> {
        Ok(self.client.current_url().await?.to_string())
    }

    /// Waits (up to `timeout`) for an element matching `css` and returns it.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> anyhow::Result<Element> {
        let started = Instant::now();
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                return Ok(element);
            }
            if started.elapsed() > timeout {
                let text = self.client.find(Locator::Css("body")).await.ok();
                let body = match text {
                    Some(body) => body.text().await.unwrap_or_default(),
                    None => String::new(),
                };
                bail!("no element {css} after {timeout:?}; page says:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The text of the first element matching `css`, once it is there.
    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        Ok(self.find(css).await?.text().await?)
    }

    /// Waits for `css` with the default timeout (30 s: Argon2id in WebAssembly is slow).
    pub async fn find(&self, css: &str) -> anyhow::Result<Element> {
        self.wait_for(css, Duration::from_secs(30)).await
    }

    /// Whether the page holds an element matching `css` now (shown or not), without
    /// waiting: to check that something is absent once the page has shown what comes
    /// with its absence ([`Browser::find`] would wait 30 s for it).
    pub async fn has(&self, css: &str) -> anyhow::Result<bool> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    /// Whether no element matching `css` appears in the page for `during`: what must
    /// never be shown (a gated page's content), where [`Browser::has`] would only say it
    /// is not there yet.
    pub async fn never_has(&self, css: &str, during: Duration) -> anyhow::Result<bool> {
        let started = Instant::now();
        while started.elapsed() < during {
            if self.has(css).await? {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(!self.has(css).await?)
    }

    /// Waits until the page's text contains `text`.
    pub async fn wait_for_text(&self, text: &str, timeout: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            let body = self.client.find(Locator::Css("body")).await?.text().await?;
            if body.contains(text) {
                return Ok(());
            }
            if started.elapsed() > timeout {
                bail!("the page never said {text:?}; it says:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Types into the field matching `css` (after clearing it).
    pub async fn fill(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let field = self.find(css).await?;
        field.clear().await?;
        field.send_keys(text).await?;
        Ok(())
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.find(css).await?.click().await?;
        Ok(())
    }

    /// Chooses, in the `<select>` matching `css`, the first option whose text contains
    /// `label`, as a person would (the page sees a `change` event).
    pub async fn select(&self, css: &str, label: &str) -> anyhow::Result<()> {
        self.find(css).await?;
        // The options may still be loading (the directory, verified by the worker).
        let started = Instant::now();
        loop {
            let chosen = self
                .client
                .execute(
                    "const [css, label] = arguments; const select = document.querySelector(css);\
                     const option = [...select.options].find(o => !o.disabled && o.text.includes(label));\
                     if (!option) { return false; }\
                     select.value = option.value;\
                     select.dispatchEvent(new Event('change', { bubbles: true })); return true;",
                    vec![css.into(), label.into()],
                )
                .await?;
            if chosen == serde_json::Value::Bool(true) {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("no option {label:?} in {css} after 30 s");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Attaches `files` to the file input matching `css`, as a person picking them would
    /// (Chromium needs absolute, canonical paths).
    pub async fn attach(&self, css: &str, files: &[&Path]) -> anyhow::Result<()> {
        let paths: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        self.find(css).await?.send_keys(&paths.join("\n")).await?;
        Ok(())
    }

    /// On the send page: attaches `files`, chooses the service whose name contains
    /// `recipient` and waits until the worker verified its key, then the category and the
    /// subject. The rest of the form is left to the test.
    pub async fn fill_send_form(
        &self,
        files: &[&Path],
        recipient: &str,
        category: &str,
        subject: &str,
    ) -> anyhow::Result<()> {
        self.attach("[data-testid=file-input]", files).await?;
        self.select("#recipient", recipient).await?;
        self.find("[data-testid=recipient-fingerprint]").await?;
        self.select("#category", category).await?;
        self.fill("#subject", subject).await
    }

    /// Runs `script` in the page and returns its result.
    pub async fn run(&self, script: &str) -> anyhow::Result<serde_json::Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// Logs in on the login page as `email`, typing the account key when this browser
    /// asks for it (its first log-in) and the TOTP code when one is asked, and waits until
    /// the whole interface is shown.
    pub async fn log_in(
        &self,
        email: &str,
        password: &str,
        account_key: Option<&str>,
        totp: Option<&str>,
    ) -> anyhow::Result<()> {
        self.submit_log_in(email, password, account_key, totp)
            .await?;
        // Logged in: the page leaves the login form, and the door (the login page's
        // module, `web/src/door.rs`) has stepped aside for the whole interface.
        let started = Instant::now();
        while self.client.find(Locator::Css("#login-email")).await.is_ok()
            || self
                .client
                .find(Locator::Css("[data-testid=entering]"))
                .await
                .is_ok()
        {
            if started.elapsed() > Duration::from_secs(60) {
                let body = self.client.find(Locator::Css("body")).await?.text().await?;
                bail!("{email} could not log in; the page says:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        Ok(())
    }

    /// The log-in's typing and clicks alone ([`Self::log_in`] without its wait): for a
    /// test whose log-in must not reach the interface. Says whether the account key was
    /// asked for and typed.
    pub async fn submit_log_in(
        &self,
        email: &str,
        password: &str,
        account_key: Option<&str>,
        totp: Option<&str>,
    ) -> anyhow::Result<KeyTyped> {
        self.goto("#/login").await?;
        self.fill("#login-email", email).await?;
        self.fill("#login-password", password).await?;
        self.click("form button[type=submit]").await?;
        let mut typed = KeyTyped::No;
        if let Some(key) = account_key
            && self.asks_account_key().await?
        {
            self.fill("#login-account-key", key).await?;
            self.click("form button[type=submit]").await?;
            typed = KeyTyped::Yes;
        }
        if let Some(code) = totp {
            self.fill("#login-totp", code).await?;
            self.click("form button[type=submit]").await?;
        }
        Ok(typed)
    }

    /// Whether the login form asks for the account key (this browser does not keep it):
    /// waits until it does, or until the page leaves the form or says something else.
    async fn asks_account_key(&self) -> anyhow::Result<bool> {
        let started = Instant::now();
        loop {
            if self
                .client
                .find(Locator::Css("#login-account-key"))
                .await
                .is_ok()
            {
                return Ok(true);
            }
            let leaving = self
                .client
                .find(Locator::Css("#login-email"))
                .await
                .is_err();
            let said = self.client.find(Locator::Css("form .alert")).await.is_ok();
            if leaving || started.elapsed() > Duration::from_secs(60) {
                return Ok(false);
            }
            if said {
                // The field and the message come in one update; give the field its turn.
                tokio::time::sleep(Duration::from_millis(300)).await;
                return Ok(self
                    .client
                    .find(Locator::Css("#login-account-key"))
                    .await
                    .is_ok());
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// On the kit de secours shown after a set-up, an invitation, a reset or the move of
    /// an old account: reads the account key, keeps a screenshot, checks the page, and
    /// says the kit is put away. Returns the key as the kit writes it.
    pub async fn keep_kit(&mut self) -> anyhow::Result<String> {
        let key = self
            .wait_for("[data-testid=account-key]", Duration::from_secs(60))
            .await?
            .text()
            .await?;
        self.find("[data-testid=kit-qr]").await?;
        self.record("kit").await?;
        self.click("[data-testid=kit-done]").await?;
        Ok(key)
    }

    /// Saves a screenshot as `target/e2e-screenshots/<test>-<n>-<label>.png`.
    pub async fn screenshot(&mut self, label: &str) -> anyhow::Result<PathBuf> {
        self.shots += 1;
        let dir = root().join("target/e2e-screenshots");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{}-{:02}-{label}.png", self.name, self.shots));
        std::fs::write(&path, self.client.screenshot().await?)?;
        Ok(path)
    }

    /// Runs axe-core on the current page; fails with the violations if there are any.
    pub async fn check_accessibility(&self, page: &str) -> anyhow::Result<()> {
        let axe = std::fs::read_to_string(axe_path()?)?;
        let script = format!(
            "{axe}\n;const done = arguments[arguments.length - 1];\
             axe.run(document, {{ resultTypes: ['violations'] }}).then(r => done(JSON.stringify(r.violations.map(v => \
             ({{ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5) }})))));"
        );
        let result = self.client.execute_async(&script, vec![]).await?;
        let violations: Vec<serde_json::Value> =
            serde_json::from_str(result.as_str().unwrap_or("[]"))?;
        if !violations.is_empty() {
            bail!(
                "accessibility violations on {page}:\n{}",
                serde_json::to_string_pretty(&violations)?
            );
        }
        Ok(())
    }

    /// A screenshot and an accessibility check of the page now shown.
    pub async fn record(&mut self, label: &str) -> anyhow::Result<()> {
        self.screenshot(label).await?;
        self.check_accessibility(label).await
    }

    /// Waits for a completed download and returns its path.
    pub async fn downloaded(&self, name: &str, timeout: Duration) -> anyhow::Result<PathBuf> {
        let path = self.downloads.path().join(name);
        let started = Instant::now();
        loop {
            let partial = std::fs::read_dir(self.downloads.path())?
                .flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".crdownload"));
            if path.is_file() && !partial {
                return Ok(path);
            }
            if started.elapsed() > timeout {
                let seen: Vec<String> = std::fs::read_dir(self.downloads.path())?
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                bail!("{name} was not downloaded within {timeout:?}; the folder holds {seen:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Clicks "Enregistrer" on file `index` of the exchange on screen, with the browser's
    /// downloads as the destination, as in browsers without the File System Access
    /// picker: headless Chromium has the picker but nobody to answer it (it fails as
    /// closed, and the page then offers « Télécharger plutôt », which `tests/e2e/files.rs`
    /// covers); here the picker is taken away so that saving goes straight to the
    /// service-worker stream.
    pub async fn click_save(&self, index: usize) -> anyhow::Result<()> {
        self.run("window.showSaveFilePicker = undefined; return true;")
            .await?;
        self.click(&format!("[data-testid=save-file-{index}]"))
            .await
    }

    /// Makes the page's `showSaveFilePicker` answer with a file of the site's private file
    /// system (OPFS), named as the page suggests, made as the picker makes the file a
    /// person chose: the first way to save, as Chromium offers it, without the dialog
    /// headless Chromium has nobody to answer. The page hands it to its worker, which
    /// writes it as it would a file on the person's disk ([`Browser::private_files`]
    /// reads what the site's private file system holds).
    pub async fn picker_to_private_files(&self) -> anyhow::Result<()> {
        self.run(
            "window.showSaveFilePicker = async (options) => \
               (await navigator.storage.getDirectory()) \
                 .getFileHandle(options.suggestedName, { create: true }); \
             return true;",
        )
        .await?;
        Ok(())
    }

    /// The files of the site's private file system, by name, with their sizes, as the
    /// page sees them.
    pub async fn private_files(&self) -> anyhow::Result<Vec<(String, u64)>> {
        let listed = self
            .run(
                "return (async () => { \
                   const files = []; \
                   for await (const [name, handle] of (await navigator.storage.getDirectory()).entries()) { \
                     files.push([name, handle.kind === 'file' ? (await handle.getFile()).size : -1]); \
                   } \
                   return JSON.stringify(files.sort()); \
                 })();",
            )
            .await?;
        let listed = listed.as_str().unwrap_or("[]");
        Ok(serde_json::from_str(listed)?)
    }

    /// Where Chromium keeps, under this browser's profile, the private files of `size`
    /// bytes (each as a plain file under a name of its own): to read a large one without
    /// the page.
    pub fn private_files_on_disk(&self, size: u64) -> anyhow::Result<Vec<PathBuf>> {
        files_under(&self.profile.path().join("Default/File System"), |len| {
            len == size
        })
    }

    /// Saves file `index` of the exchange on screen, checks that the page says it was
    /// saved, and returns (and removes) what landed in the downloads folder as `name`.
    pub async fn save_file(&self, index: usize, name: &str) -> anyhow::Result<Vec<u8>> {
        self.click_save(index).await?;
        let outcome = self
            .wait_for(
                &format!("[data-testid=saved-{index}], [data-testid=save-error-{index}]"),
                Duration::from_secs(300),
            )
            .await?;
        if outcome.attr("data-testid").await?.as_deref() != Some(&format!("saved-{index}")) {
            bail!("file {index} was not saved: {}", outcome.text().await?);
        }
        let path = self.downloaded(name, Duration::from_secs(300)).await?;
        let bytes = read(&path)?;
        std::fs::remove_file(&path)?;
        Ok(bytes)
    }

    /// Closes the browser.
    pub async fn close(self) -> anyhow::Result<()> {
        self.client.close().await?;
        Ok(())
    }
}

/// The files under `folder`, at any depth, whose length `keep` accepts, sorted by path; a
/// folder that is not there holds none.
pub fn files_under(folder: &Path, keep: impl Fn(u64) -> bool) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut folders = vec![folder.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {}", folder.display())),
        };
        for entry in entries {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                folders.push(entry.path());
            } else if kind.is_file() && keep(entry.metadata()?.len()) {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// axe-core's `axe.min.js`.
pub fn axe_path() -> anyhow::Result<PathBuf> {
    let path = match std::env::var_os("PLI_AXE_JS") {
        Some(path) => PathBuf::from(path),
        None => root().join("target/tools/npm/node_modules/axe-core/axe.min.js"),
    };
    if !path.is_file() {
        bail!(
            "axe-core is missing at {}: run the tests through `cargo xtask test`, which installs it",
            path.display()
        );
    }
    Ok(path)
}

/// Whether [`Browser::submit_log_in`] typed the account key: the form asked for it (a
/// browser's first log-in) and the caller gave one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTyped {
    Yes,
    No,
}

/// Starts a relay serving the built web app.
pub async fn relay(backend: Backend) -> anyhow::Result<TestServer> {
    let web = pli_server::testing::web_dist()?;
    pli_server::testing::spawn(backend, move |config| config.web_dir = Some(web)).await
}

/// A relay (SQLite) with the web app, behind a [`Proxy`](pli_server::testing::proxy::Proxy)
/// that is its `public_url`: browsers go through the proxy, which can hold, fake or
/// watch their requests.
pub async fn relay_behind_proxy() -> anyhow::Result<(TestServer, pli_server::testing::proxy::Proxy)>
{
    let bound = pli_server::testing::proxy::Proxy::bind().await?;
    let web = pli_server::testing::web_dist()?;
    let public = bound.base.clone();
    let server = pli_server::testing::spawn(Backend::Sqlite, move |config| {
        config.web_dir = Some(web);
        config.public_url = public;
    })
    .await?;
    let proxy = bound.forward_to(&server.base)?;
    Ok((server, proxy))
}

/// A relay with the web app, served as `http://localhost:<port>` (its `public_url`: the
/// address browsers must use) — passkeys need a domain name, not an IP address.
pub async fn relay_on_localhost(backend: Backend) -> anyhow::Result<TestServer> {
    let web = pli_server::testing::web_dist()?;
    pli_server::testing::spawn(backend, move |config| {
        config.web_dir = Some(web);
        config.public_url = "http://localhost".into();
    })
    .await
}

/// A relay (SQLite) serving a copy of the built web app that `change` has changed, given
/// the copy's folder (kept in the returned folder); `change` returns the files it changed.
/// Whoever changes a file on the server changes its precompressed copies as well: this
/// removes them, else the relay would serve the untouched file.
pub async fn relay_serving_changed_copy(
    change: impl FnOnce(&Path) -> anyhow::Result<Vec<PathBuf>>,
) -> anyhow::Result<(TestServer, tempfile::TempDir)> {
    let web = tempfile::tempdir()?;
    copy_dir(&pli_server::testing::web_dist()?, web.path())?;
    for file in change(web.path())? {
        remove_precompressed(&file)?;
    }
    let web_dir = web.path().to_path_buf();
    let server = pli_server::testing::spawn(Backend::Sqlite, move |config| {
        config.web_dir = Some(web_dir);
    })
    .await?;
    Ok((server, web))
}

/// Removes the brotli and gzip copies the bundle keeps beside `file`, if any.
fn remove_precompressed(file: &Path) -> anyhow::Result<()> {
    for suffix in ["br", "gz"] {
        let mut copy = file.to_path_buf().into_os_string();
        copy.push(format!(".{suffix}"));
        let copy = PathBuf::from(copy);
        match std::fs::remove_file(&copy) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error).with_context(|| format!("cannot remove {}", copy.display()));
            }
        }
    }
    Ok(())
}

/// Copies the folder `from` into `to`, recursively.
fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        let target = to.join(path.file_name().context("a file without a name")?);
        if path.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            std::fs::copy(&path, &target).with_context(|| format!("{}", path.display()))?;
        }
    }
    Ok(())
}

/// Asks `probe` every 100 ms until it answers `Ok`, and returns what it gave; once
/// `within` has passed, fails the test with its last `Err`: what it saw instead, in words.
/// The waits of the tests that watch a page change.
pub async fn until<T, F, Fut>(within: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let started = Instant::now();
    loop {
        match probe().await {
            Ok(done) => return done,
            Err(seen) => assert!(started.elapsed() < within, "{seen}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Reads a file the test wrote or downloaded.
pub fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}
