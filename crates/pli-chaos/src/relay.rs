//! The relay binary as a process of its own, on one data folder, port and server key:
//! started, killed with SIGKILL, started again. Its output goes to `relay.out` and
//! `relay.log` (appended across restarts), in the data folder unless told
//! [another](Relay::log_elsewhere): a run that fills the relay's disk keeps its log off it.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The relay's server key, the same at every start (it seals the TOTP secrets).
pub const SERVER_KEY: [u8; 32] = [42; 32];

/// A relay process (or none, between a kill and the next start).
#[derive(Debug)]
pub struct Relay {
    binary: PathBuf,
    dir: PathBuf,
    /// Where `relay.out` and `relay.log` go.
    logs: PathBuf,
    port: u16,
    database_url: Option<String>,
    child: Option<Child>,
    http: reqwest::Client,
}

impl Relay {
    /// A relay to run from `binary` with its data in `dir`, on SQLite there unless
    /// `database_url` names another database; not started yet.
    pub fn new(binary: &Path, dir: &Path, database_url: Option<String>) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Self {
            binary: binary.to_owned(),
            dir: dir.to_owned(),
            logs: dir.to_owned(),
            port: pli_testkit::free_port()?,
            database_url,
            child: None,
            http: reqwest::Client::new(),
        })
    }

    /// Its output goes to `dir` from the next start on, not to the data folder.
    pub fn log_elsewhere(&mut self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        dir.clone_into(&mut self.logs);
        Ok(())
    }

    /// The relay's log (JSON lines, appended across restarts).
    pub fn log_path(&self) -> PathBuf {
        self.logs.join("relay.log")
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The running process's id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The data folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The database URL the relay uses.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.dir.join("pli.db").display()))
    }

    /// Starts the binary (with the configuration file `config`, if any) without waiting.
    pub fn spawn(&mut self, config: Option<&Path>) -> Result<()> {
        if self.child.is_some() {
            bail!("the relay is already running");
        }
        let append = |name: &str| -> Result<std::fs::File> {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.logs.join(name))
                .with_context(|| format!("cannot open {name}"))
        };
        let mut command = pli_testkit::relay_command(&self.binary, self.port, &self.dir);
        if let Some(config) = config {
            command.env("PLI_CONFIG", config);
        }
        if let Some(url) = &self.database_url {
            command.env("PLI_DATABASE_URL", url);
        }
        command
            .env("PLI_SERVER_KEY", STANDARD.encode(SERVER_KEY))
            .env("PLI_LOG_FORMAT", "json")
            .stdout(append("relay.out")?)
            .stderr(append("relay.log")?);
        self.child = Some(
            command
                .spawn()
                .with_context(|| format!("cannot start {}", self.binary.display()))?,
        );
        Ok(())
    }

    /// Starts the binary and waits until it answers `/healthz` (30 s at most).
    pub async fn start(&mut self, config: Option<&Path>) -> Result<()> {
        self.spawn(config)?;
        self.wait_healthy().await
    }

    /// Waits until the running relay answers `/healthz`.
    pub async fn wait_healthy(&mut self) -> Result<()> {
        let url = format!("{}/healthz", self.base());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = self.http.get(&url).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait().context("cannot watch the relay")?
            {
                self.child = None;
                bail!("the relay exited at start ({status}):\n{}", self.log_tail());
            }
            if Instant::now() > deadline {
                bail!("the relay did not start within 30 s:\n{}", self.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// SIGKILL (what `Child::kill` sends on unix), and waits for the process to be gone.
    pub fn kill(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().context("cannot kill the relay")?;
            child.wait().context("cannot wait for the killed relay")?;
        }
        Ok(())
    }

    /// Kills the relay the moment `path` no longer exists, or after `patience`; whether
    /// it was gone by then.
    pub async fn kill_when_gone(&mut self, path: &Path, patience: Duration) -> Result<bool> {
        let Some(mut child) = self.child.take() else {
            bail!("the relay is not running");
        };
        let watched = path.to_owned();
        tokio::task::spawn_blocking(move || -> Result<bool> {
            let deadline = Instant::now() + patience;
            while watched.exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_micros(20));
            }
            child.kill().context("cannot kill the relay")?;
            child.wait().context("cannot wait for the killed relay")?;
            Ok(!watched.exists())
        })
        .await
        .context("the watching thread failed")?
    }

    /// The one-time set-up token the relay printed at its first start.
    pub fn setup_token(&self) -> Result<String> {
        let out = std::fs::read_to_string(self.logs.join("relay.out"))
            .context("cannot read the relay's output")?;
        let (_, rest) = out
            .split_once("#/setup/")
            .context("the relay printed no set-up link")?;
        rest.split_whitespace()
            .next()
            .map(str::to_owned)
            .context("an empty set-up link")
    }

    /// The last lines of the relay's log.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines
            .get(lines.len().saturating_sub(30)..)
            .unwrap_or_default()
            .join("\n")
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// Files under `dir`, recursively (0 if it does not exist): temporary files left, blobs.
pub fn count_files(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| {
                    let path = entry.path();
                    if path.is_dir() { count_files(&path) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Sets the modification time of every file under `dir` to `age` ago (nothing if it
/// does not exist), so that a maintenance pass treats them as past its grace.
pub fn age_files(dir: &Path, age: Duration) -> std::io::Result<()> {
    let then = SystemTime::now() - age;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            age_files(&path, age)?;
        } else if let Ok(file) = std::fs::File::options().write(true).open(&path) {
            file.set_modified(then)?;
        }
    }
    Ok(())
}
