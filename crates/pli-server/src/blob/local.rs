//! [`LocalBlobs`]: blobs as files in a folder on the relay's own disk.
//!
//! Layout under the root: `blobs/<key>` holds each blob (a key's `/` are folders), `tmp/`
//! holds uploads in progress. A put streams into a new file in `tmp/`, counting bytes as
//! they arrive and hashing and writing them in batches of about 1 MiB on a blocking thread
//! (the next batch fills meanwhile), with an `fdatasync` started every 4 MiB so that
//! writeback overlaps the upload; only once the length and SHA-256 match does it fsync the
//! file, rename it into `blobs/` and fsync the folder: a blob is either absent, or complete
//! and durable. Memory per put: the batch filling and the batch being written. A failed or
//! cancelled put deletes its temporary file; a crash may leave one, which
//! [`LocalBlobs::cleanup_tmp`] removes later.

use std::io::{ErrorKind, IoSlice, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use sha2::{Digest as _, Sha256};
use tokio::fs::{File, OpenOptions};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};
use tokio_util::io::ReaderStream;

use super::{
    BlobError, BlobKey, BlobStore, ByteStream, Expected, Listed, Verifier, clamp_range,
    ensure_blob, next_chunk,
};

/// The size of the chunks a get streams.
const READ_CHUNK: usize = 64 * 1024;

/// Bytes of a put's body gathered before they are hashed and written by one blocking call
/// (per body frame, the calls' overhead and the small writes cost more than the hashing).
pub(super) const BATCH: usize = 1 << 20;

/// Bytes written between two `fdatasync`s started during a put, on another thread, so that
/// the writeback of a part overlaps its later writes instead of all waiting for the final
/// sync (which still comes before the blob is published).
const SYNC_EVERY: u64 = 4 << 20;

/// Blobs in a folder: `root/blobs/<key>`, uploads in progress in `root/tmp/`.
#[derive(Debug, Clone)]
pub struct LocalBlobs {
    blobs: PathBuf,
    tmp: PathBuf,
}

impl LocalBlobs {
    /// Opens (creating them if needed) the folders `root/blobs` and `root/tmp`.
    pub fn new(root: PathBuf) -> Result<Self, BlobError> {
        let blobs = root.join("blobs");
        let tmp = root.join("tmp");
        for dir in [&blobs, &tmp] {
            std::fs::create_dir_all(dir).map_err(|e| io_error(dir, &e))?;
        }
        Ok(Self { blobs, tmp })
    }

    /// Deletes the temporary files last written more than `older_than_ms` milliseconds ago:
    /// uploads a crash or a kill interrupted. Returns how many were deleted. Choose an age
    /// far longer than any upload of one part may stall.
    pub async fn cleanup_tmp(&self, older_than_ms: u64) -> Result<u64, BlobError> {
        let cutoff = SystemTime::now()
            .checked_sub(Duration::from_millis(older_than_ms))
            .unwrap_or(UNIX_EPOCH);
        let mut entries = tokio::fs::read_dir(&self.tmp)
            .await
            .map_err(|e| io_error(&self.tmp, &e))?;
        let mut deleted = 0;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| io_error(&self.tmp, &e))?
        {
            let path = entry.path();
            let Ok(metadata) = entry.metadata().await else {
                continue; // Gone meanwhile.
            };
            let stale = metadata
                .modified()
                .map(|modified| modified < cutoff)
                .unwrap_or(false);
            if metadata.is_file() && stale {
                match tokio::fs::remove_file(&path).await {
                    Ok(()) => deleted += 1,
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(io_error(&path, &e)),
                }
            }
        }
        Ok(deleted)
    }

    /// Where the blob `key` lives.
    fn path(&self, key: &BlobKey) -> Result<PathBuf, BlobError> {
        ensure_blob(key)?;
        Ok(self.blobs.join(key.as_str()))
    }

    /// Creates a new, uniquely named file in `tmp/`, removed again when the guard drops.
    async fn create_temp(&self, purpose: &str) -> Result<(TempPath, File), BlobError> {
        loop {
            let nonce =
                getrandom::u64().map_err(|e| BlobError::Backend(format!("no randomness: {e}")))?;
            let path = self.tmp.join(format!("{purpose}-{nonce:016x}"));
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .await
            {
                Ok(file) => return Ok((TempPath(Some(path)), file)),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_error(&path, &e)),
            }
        }
    }

    /// Moves the complete, synced file `temp` to `dest` and makes the move durable.
    async fn publish(&self, temp: &Path, dest: &Path) -> Result<(), BlobError> {
        let parent = dest
            .parent()
            .ok_or_else(|| BlobError::Backend(format!("{} has no folder", dest.display())))?;
        // A concurrent `delete_prefix` may remove the folder between its creation and the
        // rename: then create it again, once.
        let mut attempts = 0;
        loop {
            attempts += 1;
            self.create_dirs(parent).await?;
            match tokio::fs::rename(temp, dest).await {
                Ok(()) => break,
                Err(e) if e.kind() == ErrorKind::NotFound && attempts < 2 => {}
                Err(e) => return Err(io_error(dest, &e)),
            }
        }
        sync_dir(parent).await
    }

    /// Removes the folders above the deleted blob `path` that it left empty (a part that
    /// arrived after its send was cancelled, an orphan swept), up to its key's first
    /// segment (`x/`), which stays: an exchange's folder goes with its last blob, as
    /// `delete_prefix` removes it whole. A folder not empty (another blob, a put that
    /// just made it) stops the climb; a put whose folder goes between its creation and
    /// its rename makes it again ([`publish`](Self::publish)).
    async fn remove_empty_folders(&self, path: &Path) {
        let Ok(relative) = path.strip_prefix(&self.blobs) else {
            return;
        };
        let mut folders: Vec<&Path> = relative.ancestors().skip(1).collect();
        // The last two are the key's first segment and the empty path (`blobs/` itself).
        folders.truncate(folders.len().saturating_sub(2));
        for folder in folders {
            if tokio::fs::remove_dir(self.blobs.join(folder))
                .await
                .is_err()
            {
                return;
            }
        }
    }

    /// Creates `dir` (under `blobs/`) and the folders above it, syncing each new folder's
    /// parent so that its entry survives a crash.
    async fn create_dirs(&self, dir: &Path) -> Result<(), BlobError> {
        if tokio::fs::metadata(dir).await.is_ok_and(|m| m.is_dir()) {
            return Ok(());
        }
        let relative = dir.strip_prefix(&self.blobs).map_err(|_| {
            BlobError::Backend(format!("{} is outside the blob folder", dir.display()))
        })?;
        // A folder made here may go before the next one is made in it (a `delete` that
        // emptied it, a `delete_prefix`): then start again from the top, a few times.
        let mut attempts = 0;
        'again: loop {
            attempts += 1;
            let mut current = self.blobs.clone();
            for component in relative.components() {
                let parent = current.clone();
                current.push(component);
                match tokio::fs::create_dir(&current).await {
                    Ok(()) => sync_dir(&parent).await?,
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                    Err(e) if e.kind() == ErrorKind::NotFound && attempts < 3 => continue 'again,
                    Err(e) => return Err(io_error(&current, &e)),
                }
            }
            return Ok(());
        }
    }
}

#[async_trait]
impl BlobStore for LocalBlobs {
    async fn put(
        &self,
        key: &BlobKey,
        mut body: ByteStream,
        expected: Expected,
    ) -> Result<(), BlobError> {
        let dest = self.path(key)?;
        let (temp, file) = self.create_temp("put").await?;
        let mut verifier = Verifier::new(expected);
        let mut writer = Batches::new(file.into_std().await, verifier.take_hasher(), temp.path());
        // Chunks are counted as they arrive (too long stops the read at once), gathered
        // into a batch of about `BATCH` bytes, and each batch is hashed and written by one
        // blocking call while the next one fills.
        let mut batch: Vec<Bytes> = Vec::new();
        let mut batch_len = 0;
        loop {
            let chunk = next_chunk(&mut body).await?;
            let end = chunk.is_none();
            if let Some(chunk) = chunk {
                verifier.count(chunk.len())?;
                if !chunk.is_empty() {
                    batch_len += chunk.len();
                    batch.push(chunk);
                }
            }
            if batch_len >= BATCH || (end && !batch.is_empty()) {
                writer.send(std::mem::take(&mut batch)).await?;
                batch_len = 0;
            }
            if end {
                break;
            }
        }
        drop(body);
        let (file, hasher) = writer.finish().await?;
        verifier.finish_with(hasher)?;
        let path = temp.path().to_path_buf();
        blocking(move || file.sync_all().map_err(|e| io_error(&path, &e))).await?;
        self.publish(temp.path(), &dest).await?;
        temp.keep();
        Ok(())
    }

    async fn get(&self, key: &BlobKey, range: Option<(u64, u64)>) -> Result<ByteStream, BlobError> {
        let path = self.path(key)?;
        let mut file = File::open(&path).await.map_err(|e| read_error(&path, &e))?;
        let metadata = file.metadata().await.map_err(|e| io_error(&path, &e))?;
        if !metadata.is_file() {
            return Err(BlobError::NotFound);
        }
        let (start, end) = clamp_range(range, metadata.len());
        if start > 0 {
            file.seek(SeekFrom::Start(start))
                .await
                .map_err(|e| io_error(&path, &e))?;
        }
        Ok(Box::pin(ReaderStream::with_capacity(
            file.take(end - start),
            READ_CHUNK,
        )))
    }

    async fn size(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        let path = self.path(key)?;
        match tokio::fs::metadata(&path).await {
            Ok(metadata) if metadata.is_file() => Ok(Some(metadata.len())),
            Ok(_) => Ok(None),
            Err(e) => match read_error(&path, &e) {
                BlobError::NotFound => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        let path = self.path(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(e) => match read_error(&path, &e) {
                BlobError::NotFound => {}
                other => return Err(other),
            },
        }
        self.remove_empty_folders(&path).await;
        Ok(())
    }

    async fn delete_prefix(&self, prefix: &BlobKey) -> Result<(), BlobError> {
        let (dir, name_prefix) = split_prefix(&self.blobs, prefix);
        if name_prefix.is_empty() {
            // `x/<exchange>/`: one folder.
            return remove_tree(&dir).await;
        }
        let mut entries = match tokio::fs::read_dir(&dir).await {
            Ok(entries) => entries,
            Err(e) if is_missing(&e) => return Ok(()),
            Err(e) => return Err(io_error(&dir, &e)),
        };
        while let Some(entry) = entries.next_entry().await.map_err(|e| io_error(&dir, &e))? {
            if entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.starts_with(name_prefix))
            {
                remove_tree(&entry.path()).await?;
            }
        }
        Ok(())
    }

    async fn list(&self, prefix: &BlobKey) -> Result<Vec<Listed>, BlobError> {
        let blobs = self.blobs.clone();
        let prefix = prefix.clone();
        tokio::task::spawn_blocking(move || list_blocking(&blobs, &prefix))
            .await
            .map_err(|e| BlobError::Backend(format!("listing blobs: {e}")))?
    }

    async fn check(&self) -> Result<(), BlobError> {
        let (temp, mut file) = self.create_temp("check").await?;
        file.write_all(b"ok")
            .await
            .map_err(|e| io_error(temp.path(), &e))?;
        file.flush().await.map_err(|e| io_error(temp.path(), &e))?;
        drop(file);
        tokio::fs::remove_file(temp.path())
            .await
            .map_err(|e| io_error(temp.path(), &e))?;
        temp.keep();
        Ok(())
    }
}

/// A put's temporary file being written in batches: at most one batch being hashed and
/// written on a blocking thread (while the next one fills) and one `fdatasync` running.
struct Batches {
    path: PathBuf,
    state: BatchState,
    /// Bytes written since the last `fdatasync` started.
    unsynced: u64,
    syncing: Option<tokio::task::JoinHandle<Result<(), BlobError>>>,
}

/// The file and the part's hasher: here, or with the blocking call writing a batch.
enum BatchState {
    Idle(std::fs::File, Sha256),
    Writing(tokio::task::JoinHandle<Result<(std::fs::File, Sha256), BlobError>>),
    Gone,
}

impl Batches {
    fn new(file: std::fs::File, hasher: Sha256, path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            state: BatchState::Idle(file, hasher),
            unsynced: 0,
            syncing: None,
        }
    }

    /// The file and hasher once the batch being written (if any) is.
    async fn idle(&mut self) -> Result<(std::fs::File, Sha256), BlobError> {
        match std::mem::replace(&mut self.state, BatchState::Gone) {
            BatchState::Idle(file, hasher) => Ok((file, hasher)),
            BatchState::Writing(job) => joined(job).await,
            BatchState::Gone => Err(BlobError::Backend("the put's file is gone".to_owned())),
        }
    }

    /// Hashes and writes `batch` on a blocking thread, once the previous batch is written;
    /// starts an `fdatasync` every [`SYNC_EVERY`] bytes unless one is still running.
    async fn send(&mut self, batch: Vec<Bytes>) -> Result<(), BlobError> {
        let (file, mut hasher) = self.idle().await?;
        let len: usize = batch.iter().map(Bytes::len).sum();
        self.unsynced = self.unsynced.saturating_add(len as u64);
        if self.unsynced >= SYNC_EVERY && self.syncing.as_ref().is_none_or(|s| s.is_finished()) {
            if let Some(previous) = self.syncing.take() {
                joined(previous).await?;
            }
            let clone = file.try_clone().map_err(|e| io_error(&self.path, &e))?;
            let path = self.path.clone();
            self.syncing = Some(tokio::task::spawn_blocking(move || {
                clone.sync_data().map_err(|e| io_error(&path, &e))
            }));
            self.unsynced = 0;
        }
        let path = self.path.clone();
        self.state = BatchState::Writing(tokio::task::spawn_blocking(move || {
            let mut file = file;
            for chunk in &batch {
                hasher.update(chunk);
            }
            write_all_vectored(&mut file, &batch).map_err(|e| io_error(&path, &e))?;
            Ok((file, hasher))
        }));
        Ok(())
    }

    /// The file, every batch written (not yet synced as a whole), and the part's hasher.
    async fn finish(mut self) -> Result<(std::fs::File, Sha256), BlobError> {
        let idle = self.idle().await?;
        if let Some(syncing) = self.syncing.take() {
            joined(syncing).await?;
        }
        Ok(idle)
    }
}

/// Writes every byte of `chunks`, with as few `writev` calls as the kernel allows.
fn write_all_vectored(file: &mut std::fs::File, chunks: &[Bytes]) -> std::io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = chunks.iter().map(|c| IoSlice::new(c)).collect();
    let mut slices = slices.as_mut_slice();
    while !slices.is_empty() {
        match file.write_vectored(slices) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(written) => IoSlice::advance_slices(&mut slices, written),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A blocking call's result; a call that panicked or was cancelled is a backend failure.
async fn joined<T>(job: tokio::task::JoinHandle<Result<T, BlobError>>) -> Result<T, BlobError> {
    job.await
        .map_err(|e| BlobError::Backend(format!("blocking write: {e}")))?
}

/// Runs `work` on a blocking thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BlobError> + Send + 'static,
) -> Result<T, BlobError> {
    joined(tokio::task::spawn_blocking(work)).await
}

/// A temporary file, deleted when this drops unless [`kept`](Self::keep) (because it was
/// renamed or deleted already). Covers errors and cancelled puts alike.
#[derive(Debug)]
struct TempPath(Option<PathBuf>);

impl TempPath {
    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }

    fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            // One unlink, synchronously: it must happen even when the put's task is being
            // cancelled, and a crash before it is what `cleanup_tmp` is for.
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The folder to look in for `prefix`, and the start of the names to match there (empty
/// when `prefix` ends with `/`).
fn split_prefix<'a>(blobs: &Path, prefix: &'a BlobKey) -> (PathBuf, &'a str) {
    match prefix.as_str().rsplit_once('/') {
        Some((dir, name_prefix)) => (blobs.join(dir), name_prefix),
        None => (blobs.to_path_buf(), prefix.as_str()),
    }
}

/// Removes a file or a whole folder; a missing one is not an error.
async fn remove_tree(path: &Path) -> Result<(), BlobError> {
    let result = match tokio::fs::symlink_metadata(path).await {
        Ok(metadata) if metadata.is_dir() => tokio::fs::remove_dir_all(path).await,
        Ok(_) => tokio::fs::remove_file(path).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) if is_missing(&e) => Ok(()),
        Err(e) => Err(io_error(path, &e)),
    }
}

/// Every blob under `blobs/` whose key starts with `prefix`, sorted by key.
fn list_blocking(blobs: &Path, prefix: &BlobKey) -> Result<Vec<Listed>, BlobError> {
    let (dir, name_prefix) = split_prefix(blobs, prefix);
    let key_of = |path: &Path| -> Option<String> {
        let relative = path.strip_prefix(blobs).ok()?;
        let segments: Option<Vec<&str>> = relative
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect();
        Some(segments?.join("/"))
    };
    let mut pending = Vec::new();
    match std::fs::read_dir(&dir) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry.map_err(|e| io_error(&dir, &e))?;
                if entry
                    .file_name()
                    .to_str()
                    .is_some_and(|name| name.starts_with(name_prefix))
                {
                    pending.push(entry.path());
                }
            }
        }
        Err(e) if is_missing(&e) => return Ok(Vec::new()),
        Err(e) => return Err(io_error(&dir, &e)),
    }
    let mut listed = Vec::new();
    while let Some(path) = pending.pop() {
        let metadata = match std::fs::symlink_metadata(&path) {
            Ok(metadata) => metadata,
            Err(e) if is_missing(&e) => continue, // Deleted meanwhile.
            Err(e) => return Err(io_error(&path, &e)),
        };
        if metadata.is_dir() {
            match std::fs::read_dir(&path) {
                Ok(entries) => {
                    for entry in entries {
                        pending.push(entry.map_err(|e| io_error(&path, &e))?.path());
                    }
                }
                Err(e) if is_missing(&e) => {}
                Err(e) => return Err(io_error(&path, &e)),
            }
        } else if metadata.is_file() {
            let Some(key) = key_of(&path).and_then(|key| BlobKey::parse(&key)) else {
                continue; // Not a file this store wrote.
            };
            if key.is_prefix() {
                continue;
            }
            let modified_ms = metadata
                .modified()
                .ok()
                .and_then(|modified| modified.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |since| {
                    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
                });
            listed.push(Listed {
                key,
                size: metadata.len(),
                modified_ms,
            });
        }
    }
    listed.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(listed)
}

/// Fsyncs a folder, so that the entries just created or renamed in it are durable.
async fn sync_dir(dir: &Path) -> Result<(), BlobError> {
    let handle = File::open(dir).await.map_err(|e| io_error(dir, &e))?;
    handle.sync_all().await.map_err(|e| io_error(dir, &e))
}

/// Whether an error means "there is nothing there".
fn is_missing(error: &std::io::Error) -> bool {
    matches!(error.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory)
}

/// An error reading `path`: missing is [`BlobError::NotFound`].
fn read_error(path: &Path, error: &std::io::Error) -> BlobError {
    if is_missing(error) {
        BlobError::NotFound
    } else {
        io_error(path, error)
    }
}

/// An I/O error on `path`: out of space or quota is [`BlobError::Full`].
fn io_error(path: &Path, error: &std::io::Error) -> BlobError {
    match error.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => BlobError::Full,
        _ => BlobError::Backend(format!("{}: {error}", path.display())),
    }
}
