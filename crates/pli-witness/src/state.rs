//! What a witness remembers on disk: for each log, the size and root hash of the last
//! checkpoint it cosigned, in a JSON file named by the SHA-256 of the origin
//! (`<64 hex>.json`, the origin inside). A new state is written to a temporary file,
//! synced, renamed over the old one, and the folder synced, all before the cosignature
//! is returned: after a crash the witness remembers at least every checkpoint it
//! cosigned, so it never cosigns a fork of one.
//!
//! A crash after the rename but before the answer leaves the witness ahead of what the
//! log knows it cosigned. The log then gets 409 with the new size, and asks again from
//! it (C2SP: old size = new size, an empty proof, the same root): the witness cosigns
//! the same checkpoint again.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use pli_log::witness::LogState;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::WitnessError;

/// The lock file in the state folder.
const LOCK: &str = "lock";

/// One log's file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    /// The log's origin, checked when read back.
    origin: String,
    /// The size of the last checkpoint cosigned.
    size: u64,
    /// Its root hash, base64.
    hash: String,
}

/// The file of the log `origin` in `dir`.
pub fn path(dir: &Path, origin: &str) -> PathBuf {
    let digest = Sha256::digest(origin.as_bytes());
    let name: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{name}.json"))
}

/// Locks the state folder for this process (an advisory lock on `dir/lock`, released
/// when the file is closed).
pub(crate) fn lock(dir: &Path) -> anyhow::Result<File> {
    lock_file(&dir.join(LOCK))?.with_context(|| {
        format!(
            "another witness is using the state folder {}",
            dir.display()
        )
    })
}

/// An advisory lock on the file at `path` (made if missing) for this process, released
/// when the file is closed, the process killed included; `None` if another holds it.
/// (`pli send` locks its plans with it too.)
pub fn lock_file(path: &Path) -> anyhow::Result<Option<File>> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(fs::TryLockError::WouldBlock) => Ok(None),
        Err(fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// The size and root hash recorded for `origin` at `path`: size 0 and the empty tree's
/// root if there is no file yet.
pub(crate) fn load(path: &Path, origin: &str) -> anyhow::Result<(u64, [u8; 32])> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((0, tlog_tiles::EMPTY_HASH.0)),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let stored: Stored = serde_json::from_slice(&bytes)
        .with_context(|| format!("the state file {} is not valid", path.display()))?;
    if stored.origin != origin {
        bail!(
            "the state file {} is that of the log {:?}, not {origin:?}",
            path.display(),
            stored.origin
        );
    }
    let hash = base64::engine::general_purpose::STANDARD
        .decode(&stored.hash)
        .ok()
        .and_then(|hash| <[u8; 32]>::try_from(hash).ok())
        .with_context(|| format!("the state file {} has an invalid hash", path.display()))?;
    Ok((stored.size, hash))
}

/// Records `state` at `path` durably: a temporary file beside it, synced, renamed over
/// it, then the folder synced. The log's lock serialises writers of one file.
pub(crate) fn store(dir: &Path, path: &Path, state: &LogState) -> io::Result<()> {
    let stored = Stored {
        origin: state.origin.clone(),
        size: state.size,
        hash: base64::engine::general_purpose::STANDARD.encode(state.hash),
    };
    let mut bytes = serde_json::to_vec_pretty(&stored)?;
    bytes.push(b'\n');
    let temporary = path.with_extension("json.tmp");
    let mut file = File::create(&temporary)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temporary, path)?;
    sync_dir(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Elsewhere a folder cannot be opened as a file; the rename is as durable as the
/// platform makes it.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Now, in seconds since the Unix epoch (a cosignature's timestamp).
pub(crate) fn now() -> Result<u64, WitnessError> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| WitnessError::Internal("the clock is before 1970".into()))
}
