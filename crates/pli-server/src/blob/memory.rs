//! [`MemoryBlobs`]: blobs in a map, for tests.
//!
//! It holds every blob in memory by nature, but it verifies like the others: it consumes
//! the body chunk by chunk, stops reading as soon as the body is longer than declared, and
//! stores nothing unless the length and SHA-256 match.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};

use super::{
    BlobError, BlobKey, BlobStore, ByteStream, Expected, Listed, Verifier, clamp_range,
    ensure_blob, next_chunk,
};

/// Blobs in memory: key → (bytes, when written in milliseconds since the Unix epoch).
#[derive(Default)]
pub struct MemoryBlobs {
    blobs: Mutex<BTreeMap<String, (Bytes, u64)>>,
}

impl fmt::Debug for MemoryBlobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryBlobs")
            .field("blobs", &self.lock().len())
            .finish()
    }
}

impl MemoryBlobs {
    /// The map. A panic while it was held cannot leave it half-updated (every change is
    /// one insert or remove), so a poisoned lock is used as is.
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, (Bytes, u64)>> {
        self.blobs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl BlobStore for MemoryBlobs {
    async fn put(
        &self,
        key: &BlobKey,
        mut body: ByteStream,
        expected: Expected,
    ) -> Result<(), BlobError> {
        ensure_blob(key)?;
        let mut verifier = Verifier::new(expected);
        let mut data = BytesMut::new();
        while let Some(chunk) = next_chunk(&mut body).await? {
            verifier.update(&chunk)?;
            data.extend_from_slice(&chunk);
        }
        drop(body);
        verifier.finish()?;
        self.lock()
            .insert(key.as_str().to_owned(), (data.freeze(), crate::now_ms()));
        Ok(())
    }

    async fn get(&self, key: &BlobKey, range: Option<(u64, u64)>) -> Result<ByteStream, BlobError> {
        ensure_blob(key)?;
        let data = self
            .lock()
            .get(key.as_str())
            .map(|(data, _)| data.clone())
            .ok_or(BlobError::NotFound)?;
        let (start, end) = clamp_range(range, u64::try_from(data.len()).unwrap_or(u64::MAX));
        let start = usize::try_from(start).map_err(|e| BlobError::Backend(e.to_string()))?;
        let end = usize::try_from(end).map_err(|e| BlobError::Backend(e.to_string()))?;
        let slice = data.slice(start..end);
        Ok(Box::pin(futures_util::stream::once(
            async move { Ok(slice) },
        )))
    }

    async fn size(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        ensure_blob(key)?;
        Ok(self
            .lock()
            .get(key.as_str())
            .map(|(data, _)| u64::try_from(data.len()).unwrap_or(u64::MAX)))
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        ensure_blob(key)?;
        self.lock().remove(key.as_str());
        Ok(())
    }

    async fn delete_prefix(&self, prefix: &BlobKey) -> Result<(), BlobError> {
        self.lock()
            .retain(|key, _| !key.starts_with(prefix.as_str()));
        Ok(())
    }

    async fn list(&self, prefix: &BlobKey) -> Result<Vec<Listed>, BlobError> {
        let blobs = self.lock();
        Ok(blobs
            .range(prefix.as_str().to_owned()..)
            .take_while(|(key, _)| key.starts_with(prefix.as_str()))
            .filter_map(|(key, (data, modified_ms))| {
                Some(Listed {
                    key: BlobKey::parse(key)?,
                    size: u64::try_from(data.len()).ok()?,
                    modified_ms: *modified_ms,
                })
            })
            .collect())
    }

    async fn check(&self) -> Result<(), BlobError> {
        Ok(())
    }
}
