//! [`ObjectStoreBlobs`]: blobs in any `object_store` backend, so that several relays can
//! share one S3-compatible bucket (with the `s3` feature: `ObjectStoreBlobs::s3`).
//!
//! A blob of at most 5 MiB is collected (at most that much memory) and written with one
//! atomic put once its length and SHA-256 match. A larger one goes through a multipart
//! upload fed by [`WriteMultipart`] in chunks of 5 MiB, with at most two chunks uploading
//! while the next one fills (so about 15 MiB per upload at most); the upload is
//! completed only once the whole body is verified, and aborted otherwise (also when the
//! put is cancelled). Object stores make an object visible only when its upload completes,
//! so a partial blob is never seen.
//!
//! Aborting is best effort: a crash may leave parts of an incomplete multipart upload in
//! the bucket (invisible, but billed). Give the bucket a lifecycle rule that aborts
//! incomplete multipart uploads after a day.

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::path::Path;
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt as _, PutPayloadMut, WriteMultipart,
};

use super::{
    BlobError, BlobKey, BlobStore, ByteStream, Expected, Listed, Verifier, empty_stream,
    ensure_blob, next_chunk,
};

/// The size of one part of a multipart upload (S3's minimum is 5 MiB; R2 wants every part
/// but the last to have the same size, which [`WriteMultipart`] does), and the largest
/// blob written with a single put.
const CHUNK_SIZE: usize = 5 * 1024 * 1024;

/// How many chunks of one upload may be in flight while the next one fills.
const MAX_CHUNKS_IN_FLIGHT: usize = 2;

/// Blobs in an [`ObjectStore`], each at the path equal to its key.
#[derive(Debug, Clone)]
pub struct ObjectStoreBlobs {
    store: Arc<dyn ObjectStore>,
}

impl ObjectStoreBlobs {
    /// Blobs in `store` (wrap it in an [`object_store::prefix::PrefixStore`] to share a
    /// bucket).
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    /// A multipart upload of a blob larger than one part.
    async fn put_multipart(
        &self,
        location: &Path,
        mut body: ByteStream,
        mut verifier: Verifier,
    ) -> Result<(), BlobError> {
        let upload = self.store.put_multipart(location).await.map_err(backend)?;
        let mut upload = PendingUpload(Some(WriteMultipart::new_with_chunk_size(
            upload, CHUNK_SIZE,
        )));
        let streamed = async {
            while let Some(chunk) = next_chunk(&mut body).await? {
                verifier.update(&chunk)?;
                let writer = upload.writer()?;
                writer
                    .wait_for_capacity(MAX_CHUNKS_IN_FLIGHT)
                    .await
                    .map_err(backend)?;
                writer.put(chunk);
            }
            verifier.finish()
        }
        .await;
        drop(body);
        match streamed {
            Ok(()) => upload.finish().await,
            Err(error) => {
                upload.abort().await;
                Err(error)
            }
        }
    }
}

#[cfg(feature = "s3")]
pub use s3::S3Config;

#[cfg(feature = "s3")]
mod s3 {
    use std::fmt;
    use std::sync::Arc;

    use object_store::aws::AmazonS3Builder;
    use object_store::prefix::PrefixStore;

    use super::ObjectStoreBlobs;
    use crate::blob::BlobError;

    /// Where an S3-compatible bucket is and how to reach it. Settings left out fall back
    /// to the standard `AWS_*` environment variables (so that instance, container and web
    /// identity credentials work), then to `object_store`'s defaults.
    #[derive(Clone, Default, serde::Deserialize)]
    #[serde(default, deny_unknown_fields)]
    pub struct S3Config {
        /// The bucket.
        pub bucket: String,
        /// A folder in the bucket under which every blob goes (`pli/`), if any.
        pub prefix: Option<String>,
        /// The region (`eu-west-3`).
        pub region: Option<String>,
        /// The endpoint of a non-AWS service (`https://s3.fr-par.scw.cloud`, MinIO's URL).
        pub endpoint: Option<String>,
        /// The access key id.
        pub access_key_id: Option<String>,
        /// The secret access key (never logged).
        pub secret_access_key: Option<String>,
        /// Whether a plain `http://` endpoint is allowed (a local MinIO).
        pub allow_http: bool,
    }

    impl fmt::Debug for S3Config {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("S3Config")
                .field("bucket", &self.bucket)
                .field("prefix", &self.prefix)
                .field("region", &self.region)
                .field("endpoint", &self.endpoint)
                .field("access_key_id", &self.access_key_id)
                .field(
                    "secret_access_key",
                    &self.secret_access_key.as_ref().map(|_| "<redacted>"),
                )
                .field("allow_http", &self.allow_http)
                .finish()
        }
    }

    impl ObjectStoreBlobs {
        /// Blobs in an S3-compatible bucket. Makes no request: a wrong setting shows in
        /// the first [`check`](crate::blob::BlobStore::check).
        pub fn s3(config: &S3Config) -> Result<Self, BlobError> {
            let mut builder = AmazonS3Builder::from_env().with_bucket_name(&config.bucket);
            if let Some(region) = &config.region {
                builder = builder.with_region(region);
            }
            if let Some(endpoint) = &config.endpoint {
                builder = builder.with_endpoint(endpoint);
            }
            if let Some(access_key_id) = &config.access_key_id {
                builder = builder.with_access_key_id(access_key_id);
            }
            if let Some(secret_access_key) = &config.secret_access_key {
                builder = builder.with_secret_access_key(secret_access_key);
            }
            if config.allow_http {
                builder = builder.with_allow_http(true);
            }
            let store = builder
                .build()
                .map_err(|e| BlobError::Backend(format!("S3 configuration: {e}")))?;
            Ok(
                match config
                    .prefix
                    .as_deref()
                    .map(|p| p.trim_matches('/'))
                    .filter(|p| !p.is_empty())
                {
                    Some(prefix) => Self::new(Arc::new(PrefixStore::new(store, prefix))),
                    None => Self::new(Arc::new(store)),
                },
            )
        }
    }
}

#[async_trait]
impl BlobStore for ObjectStoreBlobs {
    async fn put(
        &self,
        key: &BlobKey,
        mut body: ByteStream,
        expected: Expected,
    ) -> Result<(), BlobError> {
        let location = location(key)?;
        let mut verifier = Verifier::new(expected);
        if expected.len > u64::try_from(CHUNK_SIZE).unwrap_or(u64::MAX) {
            return self.put_multipart(&location, body, verifier).await;
        }
        let mut payload = PutPayloadMut::new();
        while let Some(chunk) = next_chunk(&mut body).await? {
            verifier.update(&chunk)?;
            payload.push(chunk);
        }
        drop(body);
        verifier.finish()?;
        self.store
            .put(&location, payload.freeze())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn get(&self, key: &BlobKey, range: Option<(u64, u64)>) -> Result<ByteStream, BlobError> {
        let location = location(key)?;
        let Some((start, end)) = range else {
            let result = self
                .store
                .get(&location)
                .await
                .map_err(not_found_or_backend)?;
            return Ok(Box::pin(
                result.into_stream().map_err(std::io::Error::other),
            ));
        };
        if start >= end {
            // Stores refuse empty ranges; the blob must still exist.
            self.store
                .head(&location)
                .await
                .map_err(not_found_or_backend)?;
            return Ok(empty_stream());
        }
        let options = GetOptions {
            range: Some(GetRange::Bounded(start..end)),
            ..GetOptions::default()
        };
        match self.store.get_opts(&location, options).await {
            Ok(result) => Ok(Box::pin(
                result.into_stream().map_err(std::io::Error::other),
            )),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound),
            // Stores refuse a range starting at or past the end (each with its own error):
            // that is an empty range here.
            Err(error) => match self.store.head(&location).await {
                Ok(meta) if meta.size <= start => Ok(empty_stream()),
                Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound),
                _ => Err(backend(error)),
            },
        }
    }

    async fn size(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        let location = location(key)?;
        match self.store.head(&location).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(backend(error)),
        }
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        let location = location(key)?;
        match self.store.delete(&location).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(backend(error)),
        }
    }

    async fn delete_prefix(&self, prefix: &BlobKey) -> Result<(), BlobError> {
        let locations: Vec<Path> = self
            .matching(prefix)
            .await?
            .into_iter()
            .map(|meta| meta.location)
            .collect();
        if locations.is_empty() {
            return Ok(());
        }
        let mut deleted = self
            .store
            .delete_stream(futures_util::stream::iter(locations.into_iter().map(Ok)).boxed());
        while let Some(result) = deleted.next().await {
            match result {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(backend(error)),
            }
        }
        Ok(())
    }

    async fn list(&self, prefix: &BlobKey) -> Result<Vec<Listed>, BlobError> {
        let mut listed: Vec<Listed> = self
            .matching(prefix)
            .await?
            .into_iter()
            .filter_map(|meta| {
                let key = BlobKey::parse(meta.location.as_ref()).filter(|key| !key.is_prefix())?;
                let modified_ms = u64::try_from(meta.last_modified.timestamp_millis()).unwrap_or(0);
                Some(Listed {
                    key,
                    size: meta.size,
                    modified_ms,
                })
            })
            .collect();
        listed.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(listed)
    }

    async fn check(&self) -> Result<(), BlobError> {
        // `_` keeps it out of the blob keys' namespace; the nonce, out of other relays' way.
        let nonce =
            getrandom::u64().map_err(|e| BlobError::Backend(format!("no randomness: {e}")))?;
        let location = Path::from_iter(["_check", &format!("{nonce:016x}")]);
        self.store
            .put(&location, bytes::Bytes::from_static(b"ok").into())
            .await
            .map_err(backend)?;
        match self.store.delete(&location).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(backend(error)),
        }
    }
}

impl ObjectStoreBlobs {
    /// Every object whose path starts with `prefix`, as a string.
    async fn matching(&self, prefix: &BlobKey) -> Result<Vec<object_store::ObjectMeta>, BlobError> {
        // The store lists by whole segments: list the folder, then match the last one.
        let folder = match prefix.as_str().rsplit_once('/') {
            Some((folder, _)) => {
                Some(Path::parse(folder).map_err(|e| BlobError::Backend(e.to_string()))?)
            }
            None => None,
        };
        let prefix = prefix.as_str().to_owned();
        let listing = self.store.list(folder.as_ref()).try_filter(move |meta| {
            let matches = meta.location.as_ref().starts_with(&prefix);
            async move { matches }
        });
        match listing.try_collect().await {
            Ok(found) => Ok(found),
            Err(object_store::Error::NotFound { .. }) => Ok(Vec::new()),
            Err(error) => Err(backend(error)),
        }
    }
}

/// A multipart upload that is aborted unless it was finished: also when the put is dropped
/// half-way (the client went away and the request was cancelled).
struct PendingUpload(Option<WriteMultipart>);

impl PendingUpload {
    fn writer(&mut self) -> Result<&mut WriteMultipart, BlobError> {
        self.0
            .as_mut()
            .ok_or_else(|| BlobError::Backend("multipart upload already ended".into()))
    }

    /// Completes the upload: the blob becomes visible.
    async fn finish(mut self) -> Result<(), BlobError> {
        let writer = self
            .0
            .take()
            .ok_or_else(|| BlobError::Backend("multipart upload already ended".into()))?;
        writer.finish().await.map_err(backend)?;
        Ok(())
    }

    /// Aborts the upload, dropping the parts uploaded so far.
    async fn abort(mut self) {
        if let Some(writer) = self.0.take()
            && let Err(error) = writer.abort().await
        {
            tracing::warn!(error = %error, "cannot abort a multipart upload");
        }
    }
}

impl Drop for PendingUpload {
    fn drop(&mut self) {
        if let Some(writer) = self.0.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                if let Err(error) = writer.abort().await {
                    tracing::warn!(error = %error, "cannot abort a cancelled multipart upload");
                }
            });
        }
    }
}

/// The object path of a blob.
fn location(key: &BlobKey) -> Result<Path, BlobError> {
    ensure_blob(key)?;
    Path::parse(key.as_str()).map_err(|e| BlobError::Backend(e.to_string()))
}

/// A store error where a missing object means [`BlobError::NotFound`].
fn not_found_or_backend(error: object_store::Error) -> BlobError {
    match error {
        object_store::Error::NotFound { .. } => BlobError::NotFound,
        error => backend(error),
    }
}

/// A store error: out of space or quota (a local disk) is [`BlobError::Full`].
fn backend(error: object_store::Error) -> BlobError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            )
        {
            return BlobError::Full;
        }
        source = current.source();
    }
    BlobError::Backend(error.to_string())
}
