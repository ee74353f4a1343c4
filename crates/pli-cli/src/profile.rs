//! The profile `pli login` saves and every networked command reads: which relay, which
//! account, the platform root pinned, and what was last verified of the key directory's
//! log. It lives in `$PLI_HOME` (by default `$XDG_CONFIG_HOME/pli`, else `~/.config/pli`),
//! in `profile.json`, mode 0600, always replaced whole (a temporary file renamed over it).
//!
//! **No secret is ever written here**: no password, account key or session token. The
//! sealed plans of interrupted sends (`sends/<exchange id>.plan`) are kept next to it;
//! they open with the person's own keys only.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use pli_client::KnownLog;
use pli_crypto::sign::VerifyingKey;
use serde::{Deserialize, Serialize};

/// The profile's format version.
const VERSION: u8 = 1;

/// The profile's file name in the profile directory.
const FILE: &str = "profile.json";

/// What `pli login` saves.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Profile {
    /// [`VERSION`].
    pub(crate) version: u8,
    /// The relay's address.
    pub(crate) url: String,
    /// The account's address (the credentials in the environment must be for it).
    pub(crate) email: String,
    /// The platform root key pinned (Ed25519, base64): a relay serving another is refused.
    pub(crate) root_key: String,
    /// The root's fingerprint, for people reading the file.
    pub(crate) root_fingerprint: String,
    /// What was last verified of the key directory's log: the relay's must extend it.
    pub(crate) known_log: Option<KnownLog>,
}

impl Profile {
    /// A profile for `email` at `url`, trusting `root`.
    pub(crate) fn new(
        url: &str,
        email: &str,
        root: &VerifyingKey,
        known: Option<KnownLog>,
    ) -> Self {
        Self {
            version: VERSION,
            url: url.to_owned(),
            email: email.to_owned(),
            root_key: base64::engine::general_purpose::STANDARD.encode(root.to_bytes()),
            root_fingerprint: root.fingerprint().to_hex(),
            known_log: known,
        }
    }

    /// The root pinned.
    pub(crate) fn root(&self) -> Result<VerifyingKey> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.root_key)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .context("the profile's root key is not 32 bytes of base64")?;
        VerifyingKey::from_bytes(&bytes).context("the profile's root key is not a public key")
    }
}

/// The profile directory: `$PLI_HOME`, else `$XDG_CONFIG_HOME/pli`, else `~/.config/pli`.
pub(crate) fn home() -> Result<PathBuf> {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(home) = set("PLI_HOME") {
        return Ok(PathBuf::from(home));
    }
    if let Some(config) = set("XDG_CONFIG_HOME") {
        return Ok(PathBuf::from(config).join("pli"));
    }
    let home = set("HOME").context("neither PLI_HOME nor HOME is set")?;
    Ok(PathBuf::from(home).join(".config").join("pli"))
}

/// The folder of the sealed plans of interrupted sends.
pub(crate) fn sends_dir(home: &Path) -> PathBuf {
    home.join("sends")
}

/// Reads the profile of `home`.
pub(crate) fn load(home: &Path) -> Result<Profile> {
    let path = home.join(FILE);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            bail!("not logged in (no {}): run pli login first", path.display())
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let profile: Profile = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a pli profile", path.display()))?;
    if profile.version != VERSION {
        bail!(
            "{} is a profile of version {}, this pli reads version {VERSION}",
            path.display(),
            profile.version
        );
    }
    Ok(profile)
}

/// Saves `profile` in `home` (created, mode 0700, if needed).
pub(crate) fn save(home: &Path, profile: &Profile) -> Result<()> {
    create_private_dir(home)?;
    write_private(&home.join(FILE), &serde_json::to_vec_pretty(profile)?)
}

/// Removes the profile of `home`; whether there was one.
pub(crate) fn remove(home: &Path) -> Result<bool> {
    let path = home.join(FILE);
    match fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
}

/// Creates `dir` and its parents, the last readable by its owner only.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

/// Writes `bytes` to `path`, which must not exist: a temporary file of the same folder
/// (mode 0600), written, synced, then linked there only if nothing took the name since.
pub(crate) fn write_private_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist_noclobber(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Replaces `path` with `bytes` at once: a temporary file of the same folder (mode 0600),
/// written, synced, then renamed over it. A reader sees the old file or the new one.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    // `tempfile` creates its files with mode 0600.
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
