//! The journal of `pli watch`: what was handed over from or into a folder, kept in the
//! folder itself, in `DIR/.pli-journal/` (mode 0700; a dot-folder, so the watcher never
//! takes it for a file to send). One small JSON entry per file or exchange, each replaced
//! whole (a temporary file renamed over it) before the step it announces starts, and the
//! sealed plans of the sends under way (`<key>.plan`, which only the account's own keys
//! open). A lock on `DIR/.pli-journal/lock` keeps a second watcher of the same folder
//! out. Nothing secret is written: the entries hold file names, hashes and exchange ids.
//! Entries that no longer serve are removed (the outbox's after `--remember` days, the
//! inbox's once their exchange is no longer unread): the journal does not grow for ever.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::profile;

/// The journal's folder in the watched folder.
pub(crate) const FOLDER: &str = ".pli-journal";

/// The journal of one watched folder, held (locked) for as long as it lives.
#[derive(Debug)]
pub(crate) struct Journal {
    dir: PathBuf,
    /// Locked: released when the process ends, however it ends.
    _lock: fs::File,
}

impl Journal {
    /// Opens (creating it if needed) and locks the journal of `folder`.
    pub(crate) fn open(folder: &Path) -> Result<Self> {
        let dir = folder.join(FOLDER);
        profile::create_private_dir(&dir)?;
        let path = dir.join("lock");
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                bail!("another pli watch is at work on {}", folder.display())
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        Ok(Self { dir, _lock: lock })
    }

    /// The entry `key`, if there is one.
    pub(crate) fn read<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let path = self.entry(key);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .with_context(|| format!("{} is not an entry of pli watch's journal", path.display()))
    }

    /// Writes the entry `key` in place of the one there was, at once.
    pub(crate) fn write<T: Serialize>(&self, key: &str, entry: &T) -> Result<()> {
        profile::write_private(&self.entry(key), &serde_json::to_vec_pretty(entry)?)
    }

    /// Removes the entry `key` and the plan beside it, if they are there.
    pub(crate) fn remove(&self, key: &str) -> Result<()> {
        self.remove_plan(key)?;
        let path = self.entry(key);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
        }
    }

    /// Removes the plan of entry `key`, if it is there.
    pub(crate) fn remove_plan(&self, key: &str) -> Result<()> {
        crate::send::forget_plan(&self.plan(key))
    }

    /// The keys of every entry.
    pub(crate) fn keys(&self) -> Result<Vec<String>> {
        let mut keys = Vec::new();
        let entries = fs::read_dir(&self.dir)
            .with_context(|| format!("cannot read {}", self.dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "json")
                && let Some(key) = path.file_stem().and_then(|s| s.to_str())
            {
                keys.push(key.to_owned());
            }
        }
        keys.sort();
        Ok(keys)
    }

    /// Where the sealed plan of the send of entry `key` is kept.
    pub(crate) fn plan(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.plan"))
    }

    fn entry(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }
}
