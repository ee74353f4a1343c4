//! The conformance suite: one set of checks that every [`BlobStore`] passes.
//!
//! [`suite`] runs every check against one store; the tests at the bottom run it against
//! each implementation: [`LocalBlobs`] in a temporary folder, [`MemoryBlobs`], and
//! [`ObjectStoreBlobs`] over `object_store`'s `InMemory` and `LocalFileSystem`. The checks
//! use disjoint keys, so they share one store. A few checks only make sense where blobs
//! are not held in memory (bounded buffering) or on a local disk (temporary files).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::{StreamExt as _, TryStreamExt as _};
use sha2::{Digest as _, Sha256};

use super::local::LocalBlobs;
use super::memory::MemoryBlobs;
use super::objects::ObjectStoreBlobs;
use super::{BlobError, BlobKey, BlobStore, ByteStream, Expected};

/// Larger than one multipart chunk of [`ObjectStoreBlobs`] (5 MiB), and not a multiple of
/// any chunk size.
const LARGE: usize = 5 * 1024 * 1024 + 3;

/// A hang guard for checks that must end on their own; not a timing.
const HANG_GUARD: Duration = Duration::from_secs(120);

fn key(text: &str) -> BlobKey {
    BlobKey::parse(text).unwrap_or_else(|| panic!("{text:?} is a valid key"))
}

/// `len` pseudo-random bytes, different for each `seed`.
fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

fn expected(data: &[u8]) -> Expected {
    Expected {
        len: data.len() as u64,
        sha256: Sha256::digest(data).into(),
    }
}

/// `data` as a body cut into uneven chunks (one byte, a few, 64 KiB, odd sizes).
fn chunked(data: &[u8]) -> ByteStream {
    const SIZES: [usize; 8] = [1, 7, 4093, 65536, 13, 100_003, 2, 777_777];
    let data = Bytes::copy_from_slice(data);
    let mut chunks = Vec::new();
    let mut start = 0;
    for size in SIZES.iter().cycle() {
        if start >= data.len() {
            break;
        }
        let end = (start + size).min(data.len());
        chunks.push(Ok(data.slice(start..end)));
        start = end;
    }
    Box::pin(futures_util::stream::iter(chunks))
}

/// `data`, then the body fails as if the client went away.
fn interrupted_after(data: &[u8]) -> ByteStream {
    let failure = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "the client went away");
    Box::pin(chunked(data).chain(futures_util::stream::iter([Err(failure)])))
}

async fn put(store: &dyn BlobStore, key: &BlobKey, data: &[u8]) -> Result<(), BlobError> {
    store.put(key, chunked(data), expected(data)).await
}

async fn collect(stream: ByteStream) -> Vec<u8> {
    let chunks: Vec<Bytes> = stream
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("reading a blob: {e}"));
    chunks.concat()
}

async fn get(store: &dyn BlobStore, key: &BlobKey, range: Option<(u64, u64)>) -> Vec<u8> {
    match store.get(key, range).await {
        Ok(stream) => collect(stream).await,
        Err(e) => panic!("get {key} {range:?}: {e}"),
    }
}

/// The blob at `key` is exactly `data`, or there is none.
async fn assert_blob(store: &dyn BlobStore, key: &BlobKey, data: Option<&[u8]>, context: &str) {
    match data {
        Some(data) => {
            assert_eq!(
                store.size(key).await.unwrap(),
                Some(data.len() as u64),
                "{context}: size of {key}"
            );
            assert!(
                get(store, key, None).await == data,
                "{context}: content of {key}"
            );
        }
        None => {
            assert_eq!(
                store.size(key).await.unwrap(),
                None,
                "{context}: {key} should not exist"
            );
            assert!(
                matches!(store.get(key, None).await, Err(BlobError::NotFound)),
                "{context}: get {key}"
            );
            let listed = store.list(key).await.unwrap();
            assert!(
                listed.iter().all(|l| &l.key != key),
                "{context}: {key} is listed"
            );
        }
    }
}

/// Every check, against one store.
async fn suite(store: &dyn BlobStore) {
    check(store).await;
    round_trip(store).await;
    overwrite(store).await;
    ranges(store).await;
    missing(store).await;
    too_long_is_detected_while_streaming(store).await;
    too_short(store).await;
    digest_mismatch(store).await;
    interrupted(store).await;
    cancelled(store).await;
    delete_is_idempotent(store).await;
    delete_prefix(store).await;
    list(store).await;
    prefixes_are_not_blobs(store).await;
}

async fn check(store: &dyn BlobStore) {
    store.check().await.unwrap();
    store.check().await.unwrap();
}

async fn round_trip(store: &dyn BlobStore) {
    for (seed, len) in [0, 1, 64 * 1024, LARGE].into_iter().enumerate() {
        let key = key(&format!("r/{len}"));
        let data = data(len, seed as u64);
        put(store, &key, &data)
            .await
            .unwrap_or_else(|e| panic!("put {len} bytes: {e}"));
        assert_blob(store, &key, Some(&data), "round trip").await;
    }
}

async fn overwrite(store: &dyn BlobStore) {
    let key = key("o/0");
    put(store, &key, &data(100, 1)).await.unwrap();
    let second = data(LARGE, 2);
    put(store, &key, &second).await.unwrap();
    assert_blob(store, &key, Some(&second), "overwrite with larger").await;
    let third = data(10, 3);
    put(store, &key, &third).await.unwrap();
    assert_blob(store, &key, Some(&third), "overwrite with smaller").await;
}

async fn ranges(store: &dyn BlobStore) {
    let key = key("g/0");
    let blob = data(1000, 4);
    put(store, &key, &blob).await.unwrap();
    let cases: [((u64, u64), std::ops::Range<usize>); 9] = [
        ((0, 1000), 0..1000),
        ((0, 10), 0..10),         // start
        ((400, 600), 400..600),   // middle
        ((990, 1000), 990..1000), // end
        ((990, 5000), 990..1000), // end clamped
        ((500, 500), 0..0),       // empty
        ((600, 500), 0..0),       // inverted: empty
        ((1000, 2000), 0..0),     // starts at the end
        ((5000, u64::MAX), 0..0), // starts past the end
    ];
    for (range, want) in cases {
        let got = get(store, &key, Some(range)).await;
        assert!(
            got == blob[want.clone()],
            "range {range:?}: got {} bytes, want {want:?}",
            got.len()
        );
    }

    // Ranges of an empty blob, and across the chunks of a large one.
    let empty = self::key("g/1");
    put(store, &empty, &[]).await.unwrap();
    assert!(get(store, &empty, Some((0, 10))).await.is_empty());
    assert!(get(store, &empty, None).await.is_empty());
    let large_key = self::key("g/2");
    let large = data(LARGE, 5);
    put(store, &large_key, &large).await.unwrap();
    let chunk = 5 * 1024 * 1024;
    let got = get(
        store,
        &large_key,
        Some((chunk as u64 - 10, LARGE as u64 + 10)),
    )
    .await;
    assert!(got == large[chunk - 10..], "range across a chunk boundary");
    let got = get(store, &large_key, Some((1, LARGE as u64 - 1))).await;
    assert!(
        got == large[1..LARGE - 1],
        "all but the first and last byte"
    );
}

async fn missing(store: &dyn BlobStore) {
    let key = key("m/0");
    assert_eq!(store.size(&key).await.unwrap(), None);
    for range in [None, Some((0, 10)), Some((5, 5)), Some((100, 200))] {
        assert!(
            matches!(store.get(&key, range).await, Err(BlobError::NotFound)),
            "get missing {range:?}"
        );
    }
    assert!(store.list(&self::key("m/")).await.unwrap().is_empty());
}

/// A body that does not end: 64 KiB chunks, counting how many were read. Past 256 MiB it
/// fails instead, so that a put that does not stop reading fails the check (with
/// `Interrupted`) rather than filling the memory.
fn endless(reads: Arc<AtomicUsize>) -> ByteStream {
    static CHUNK: [u8; 64 * 1024] = [7; 64 * 1024];
    Box::pin(futures_util::stream::repeat_with(move || {
        if reads.fetch_add(1, Ordering::SeqCst) < 4 * 1024 {
            Ok(Bytes::from_static(&CHUNK))
        } else {
            Err(std::io::Error::other(
                "read 256 MiB past the declared length",
            ))
        }
    }))
}

async fn too_long_is_detected_while_streaming(store: &dyn BlobStore) {
    for (key, len) in [
        (key("l/0"), 0),
        (key("l/1"), 1000),
        (key("l/2"), LARGE as u64),
    ] {
        let reads = Arc::new(AtomicUsize::new(0));
        let put = store.put(
            &key,
            endless(reads.clone()),
            Expected {
                len,
                sha256: [0; 32],
            },
        );
        let result = tokio::time::timeout(HANG_GUARD, put)
            .await
            .expect("put stops reading an endless body");
        assert!(
            matches!(result, Err(BlobError::TooLong)),
            "{len} declared: {result:?}"
        );
        // Reading stops at the first chunk that goes past the declared length.
        let reads = reads.load(Ordering::SeqCst) as u64;
        assert_eq!(reads, len / (64 * 1024) + 1, "{len} declared: chunks read");
        assert_blob(store, &key, None, "too long").await;
    }

    // One byte too many, in the last chunk.
    let key = key("l/3");
    let blob = data(LARGE, 6);
    let result = store
        .put(&key, chunked(&blob), expected(&blob[..LARGE - 1]))
        .await;
    assert!(
        matches!(result, Err(BlobError::TooLong)),
        "one byte too many: {result:?}"
    );
    assert_blob(store, &key, None, "one byte too many").await;
}

async fn too_short(store: &dyn BlobStore) {
    for (seed, len) in [(7, 1000), (8, LARGE)] {
        let key = key(&format!("s/{len}"));
        let before = data(len, seed);
        let blob = data(len, seed + 100);
        for target in [None, Some(&before)] {
            if let Some(before) = target {
                put(store, &key, before).await.unwrap();
            }
            let result = store
                .put(&key, chunked(&blob[..len - 1]), expected(&blob))
                .await;
            assert!(
                matches!(result, Err(BlobError::TooShort)),
                "{len} bytes: {result:?}"
            );
            let result = store.put(&key, chunked(&[]), expected(&blob)).await;
            assert!(
                matches!(result, Err(BlobError::TooShort)),
                "{len} bytes, empty body: {result:?}"
            );
            assert_blob(store, &key, target.map(Vec::as_slice), "too short").await;
        }
    }
}

async fn digest_mismatch(store: &dyn BlobStore) {
    for (seed, len) in [(9, 1), (10, 1000), (11, LARGE)] {
        let key = key(&format!("d/{len}"));
        let before = data(len, seed);
        let mut blob = before.clone();
        // The same length, one bit changed at the very end.
        if let Some(last) = blob.last_mut() {
            *last ^= 1;
        }
        for target in [None, Some(&before)] {
            if let Some(before) = target {
                put(store, &key, before).await.unwrap();
            }
            let result = store.put(&key, chunked(&blob), expected(&before)).await;
            assert!(
                matches!(result, Err(BlobError::DigestMismatch)),
                "{len} bytes: {result:?}"
            );
            assert_blob(store, &key, target.map(Vec::as_slice), "digest mismatch").await;
        }
    }
}

async fn interrupted(store: &dyn BlobStore) {
    for (seed, len) in [(12, 1000), (13, LARGE + 6 * 1024 * 1024)] {
        let key = key(&format!("i/{len}"));
        let before = data(100, seed);
        let blob = data(len, seed + 100);
        for target in [None, Some(&before)] {
            if let Some(before) = target {
                put(store, &key, before).await.unwrap();
            }
            // Half of it, or (when large) more than two multipart chunks.
            let sent = if len > LARGE {
                LARGE + 5 * 1024 * 1024
            } else {
                len / 2
            };
            let result = store
                .put(&key, interrupted_after(&blob[..sent]), expected(&blob))
                .await;
            assert!(
                matches!(result, Err(BlobError::Interrupted(_))),
                "{len} bytes: {result:?}"
            );
            assert_blob(store, &key, target.map(Vec::as_slice), "interrupted").await;
        }
    }
}

/// A put dropped half-way (its request was cancelled) leaves nothing visible.
async fn cancelled(store: &dyn BlobStore) {
    for (seed, len) in [(14, 1000), (15, 2 * LARGE)] {
        let key = key(&format!("c/{len}"));
        let blob = data(len, seed);
        let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(1);
        let body: ByteStream = Box::pin(futures_util::stream::unfold(
            receiver,
            |mut receiver| async move { receiver.recv().await.map(|chunk| (chunk, receiver)) },
        ));
        let mut put = store.put(&key, body, expected(&blob));
        // More than one multipart chunk when large; each send returns once the put has
        // taken the chunk before (the channel holds one).
        let sent = if len > LARGE {
            LARGE + 1024 * 1024
        } else {
            len / 2
        };
        // The last, empty chunk only makes sure the put has taken the one before.
        let chunks = blob[..sent]
            .chunks(64 * 1024)
            .map(Bytes::copy_from_slice)
            .chain([Bytes::new()]);
        for chunk in chunks {
            tokio::select! {
                result = &mut put => panic!("the put ended with half a body: {result:?}"),
                sent = sender.send(Ok(chunk)) => sent.unwrap(),
            }
        }
        drop(put);
        drop(sender);
        assert_blob(store, &key, None, "cancelled").await;
    }
}

async fn delete_is_idempotent(store: &dyn BlobStore) {
    let key = key("e/0");
    store.delete(&key).await.unwrap();
    put(store, &key, &data(10, 16)).await.unwrap();
    store.delete(&key).await.unwrap();
    assert_blob(store, &key, None, "deleted").await;
    store.delete(&key).await.unwrap();
    store.delete(&self::key("e/never/0")).await.unwrap();
}

async fn keys_under(store: &dyn BlobStore, prefix: &str) -> Vec<String> {
    store
        .list(&key(prefix))
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.key.to_string())
        .collect()
}

async fn delete_prefix(store: &dyn BlobStore) {
    let all = [
        "p/aa/0/0",
        "p/aaa/0/0",
        "p/aaa/0/1",
        "p/aaa/1/0",
        "p/aab/0/0",
        "p/b/0",
        "p/b/1",
        "pp/aaa/0/0",
    ];
    for (seed, key) in all.iter().enumerate() {
        put(store, &self::key(key), &data(seed + 1, seed as u64))
            .await
            .unwrap();
    }
    assert_eq!(keys_under(store, "p/").await, all[..7]);

    // A folder: exactly what is under it.
    store.delete_prefix(&key("p/aaa/")).await.unwrap();
    assert_eq!(
        keys_under(store, "p/").await,
        ["p/aa/0/0", "p/aab/0/0", "p/b/0", "p/b/1"]
    );
    assert_eq!(keys_under(store, "pp/").await, ["pp/aaa/0/0"]);
    for gone in ["p/aaa/0/0", "p/aaa/0/1", "p/aaa/1/0"] {
        assert_blob(store, &key(gone), None, "delete_prefix").await;
    }
    // Again, and a prefix with nothing under it: not an error.
    store.delete_prefix(&key("p/aaa/")).await.unwrap();
    store.delete_prefix(&key("p/zzz/")).await.unwrap();
    store.delete_prefix(&key("nothing/here/")).await.unwrap();

    // Without a trailing `/`, keys match as strings.
    store.delete_prefix(&key("p/aa")).await.unwrap();
    assert_eq!(keys_under(store, "p/").await, ["p/b/0", "p/b/1"]);
    store.delete_prefix(&key("p/b/1")).await.unwrap();
    assert_eq!(keys_under(store, "p/").await, ["p/b/0"]);
    store.delete_prefix(&key("p/")).await.unwrap();
    assert!(keys_under(store, "p/").await.is_empty());
    assert_eq!(keys_under(store, "pp/").await, ["pp/aaa/0/0"]);
    store.delete_prefix(&key("pp/")).await.unwrap();
}

async fn list(store: &dyn BlobStore) {
    let before = crate::now_ms();
    let all = [
        ("t/a/0", 10),
        ("t/a/1", 20),
        ("t/a/10/0", 0),
        ("t/ab/0", 30),
        ("t/b/0", LARGE),
    ];
    for (seed, (key, len)) in all.iter().enumerate() {
        put(store, &self::key(key), &data(*len, seed as u64))
            .await
            .unwrap();
    }
    let after = crate::now_ms();

    let listed = store.list(&key("t/")).await.unwrap();
    let got: Vec<(String, u64)> = listed.iter().map(|l| (l.key.to_string(), l.size)).collect();
    let want: Vec<(String, u64)> = all
        .iter()
        .map(|(k, len)| ((*k).to_owned(), *len as u64))
        .collect();
    assert_eq!(got, want);
    for listed in &listed {
        // File systems keep coarse times: allow two seconds either way.
        assert!(
            listed.modified_ms + 2000 >= before && listed.modified_ms <= after + 2000,
            "{} modified at {} (written between {before} and {after})",
            listed.key,
            listed.modified_ms
        );
    }

    assert_eq!(
        keys_under(store, "t/a/").await,
        ["t/a/0", "t/a/1", "t/a/10/0"]
    );
    assert_eq!(
        keys_under(store, "t/a").await,
        ["t/a/0", "t/a/1", "t/a/10/0", "t/ab/0"]
    );
    assert_eq!(keys_under(store, "t/a/1").await, ["t/a/1", "t/a/10/0"]);
    assert_eq!(keys_under(store, "t/a/1/").await, Vec::<String>::new());
    assert_eq!(keys_under(store, "t/b/0").await, ["t/b/0"]);
    assert_eq!(keys_under(store, "t/c/").await, Vec::<String>::new());
    assert_eq!(keys_under(store, "u/").await, Vec::<String>::new());
    store.delete_prefix(&key("t/")).await.unwrap();
}

async fn prefixes_are_not_blobs(store: &dyn BlobStore) {
    let prefix = key("n/");
    let result = store.put(&prefix, chunked(b"abc"), expected(b"abc")).await;
    assert!(
        matches!(result, Err(BlobError::Backend(_))),
        "put at a prefix: {result:?}"
    );
    assert!(matches!(
        store.get(&prefix, None).await,
        Err(BlobError::Backend(_))
    ));
    assert!(matches!(
        store.size(&prefix).await,
        Err(BlobError::Backend(_))
    ));
    assert!(matches!(
        store.delete(&prefix).await,
        Err(BlobError::Backend(_))
    ));
    assert!(store.list(&prefix).await.unwrap().is_empty());
}

/// Reading a body of `chunks` chunks of 64 KiB through `put` never holds more than
/// `max_held` of them at once.
async fn bounded_memory(store: &dyn BlobStore, chunks: usize, max_held: usize) {
    /// A chunk that counts how many chunks are alive.
    struct Counted {
        data: Vec<u8>,
        live: Arc<AtomicUsize>,
    }
    impl AsRef<[u8]> for Counted {
        fn as_ref(&self) -> &[u8] {
            &self.data
        }
    }
    impl Drop for Counted {
        fn drop(&mut self) {
            self.live.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let chunk = |i: usize| vec![u8::try_from(i % 251).unwrap(); 64 * 1024];
    let mut hasher = Sha256::new();
    for i in 0..chunks {
        hasher.update(chunk(i));
    }
    let expected = Expected {
        len: (chunks * 64 * 1024) as u64,
        sha256: hasher.finalize().into(),
    };

    let live = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let body: ByteStream = {
        let (live, most) = (live.clone(), most.clone());
        Box::pin(futures_util::stream::iter(0..chunks).map(move |i| {
            let now = live.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            Ok(Bytes::from_owner(Counted {
                data: chunk(i),
                live: live.clone(),
            }))
        }))
    };
    let key = key("b/0");
    store.put(&key, body, expected).await.unwrap();
    let most = most.load(Ordering::SeqCst);
    assert!(
        most <= max_held,
        "{most} chunks of 64 KiB held at once (at most {max_held} expected)"
    );
    assert_eq!(store.size(&key).await.unwrap(), Some(expected.len));
    store.delete(&key).await.unwrap();
}

/// The files in a folder.
fn files_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn keys_are_only_what_the_server_makes() {
    for valid in ["x", "x/", "x/abc/0/1", "x/abc/", "p-q/0-1", "0"] {
        assert!(BlobKey::parse(valid).is_some(), "{valid:?} should parse");
    }
    let invalid = [
        "", "/", "//", "/x", "/x/a", "x//a", "x//", "x/a//", "..", ".", "x/..", "x/../a", "../x",
        "x/./a", "X", "x/A", "x/Abc/0", "x/a b", "x\\a", "x/a_b", "x/a.b", "x/é", "x/a\0", "x/a\n",
        " x",
    ];
    for invalid in invalid {
        assert!(
            BlobKey::parse(invalid).is_none(),
            "{invalid:?} should be refused"
        );
    }
    assert!(key("x/a/").is_prefix());
    assert!(!key("x/a").is_prefix());

    let exchange = pli_api::ExchangeId::from_random([0xab; 16]);
    let part = BlobKey::part(&exchange, 3, 17, &[0xab; 32]);
    assert!(
        part.as_str()
            .ends_with(&format!("/3/17-{}", "ab".repeat(32)))
    );
    let legacy = BlobKey::legacy_part(&exchange, 3, 17);
    assert_eq!(BlobKey::parse(legacy.as_str()), Some(legacy.clone()));
    assert_eq!(BlobKey::parse(part.as_str()), Some(part.clone()));
    assert!(!part.is_prefix());
    let prefix = BlobKey::exchange_prefix(&exchange);
    assert_eq!(BlobKey::parse(prefix.as_str()), Some(prefix.clone()));
    assert!(prefix.is_prefix() && part.as_str().starts_with(prefix.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBlobs::new(dir.path().to_path_buf()).unwrap();
    suite(&store).await;
    // The batch filling and the batch being hashed and written (1 MiB each, 16 chunks of
    // 64 KiB), and the chunk in hand.
    bounded_memory(&store, 640, 2 * (super::local::BATCH / (64 * 1024)) + 2).await;
    // Every failed, interrupted and cancelled put removed its temporary file.
    assert_eq!(files_in(&dir.path().join("tmp")), Vec::<String>::new());
    // Opening again finds the blobs.
    let again = LocalBlobs::new(dir.path().to_path_buf()).unwrap();
    assert_eq!(again.size(&key("r/1")).await.unwrap(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_blobs_cleanup_tmp() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBlobs::new(dir.path().to_path_buf()).unwrap();
    let tmp = dir.path().join("tmp");
    let stale = std::fs::File::create(tmp.join("put-stale")).unwrap();
    stale
        .set_modified(SystemTime::now() - Duration::from_secs(2 * 3600))
        .unwrap();
    drop(stale);
    std::fs::write(tmp.join("put-fresh"), b"in flight").unwrap();
    assert_eq!(store.cleanup_tmp(3_600_000).await.unwrap(), 1);
    assert_eq!(files_in(&tmp), ["put-fresh"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_blobs_ignore_foreign_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBlobs::new(dir.path().to_path_buf()).unwrap();
    put(&store, &key("x/a/0"), b"abc").await.unwrap();
    std::fs::write(dir.path().join("blobs/x/a/Notes.TXT"), b"not a blob").unwrap();
    assert_eq!(keys_under(&store, "x/").await, ["x/a/0"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_blobs() {
    suite(&MemoryBlobs::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_store_in_memory() {
    suite(&ObjectStoreBlobs::new(Arc::new(
        object_store::memory::InMemory::new(),
    )))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_store_local_file_system() {
    let dir = tempfile::tempdir().unwrap();
    let local = object_store::local::LocalFileSystem::new_with_prefix(dir.path()).unwrap();
    let store = ObjectStoreBlobs::new(Arc::new(local));
    suite(&store).await;
    // One chunk filling and two uploading, of 80 chunks of 64 KiB each, and a few more.
    bounded_memory(&store, 640, 3 * 80 + 8).await;
}

#[cfg(feature = "s3")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_store_s3_server() {
    use crate::testing::s3::S3Server;
    if !S3Server::available() {
        return;
    }
    let server = S3Server::start().await.unwrap();
    let store = ObjectStoreBlobs::s3(&server.config(Some("/relay/"))).unwrap();
    suite(&store).await;
    // As over `LocalFileSystem`: parts of 5 MiB (S3's least), one filling, two uploading.
    bounded_memory(&store, 640, 3 * 80 + 8).await;
    put(&store, &key("r/kept"), b"kept").await.unwrap();
    // Everything the relay wrote is under its prefix.
    let objects = server.objects().await.unwrap();
    let keys: Vec<&str> = objects.iter().map(|(k, _)| k.as_str()).collect();
    assert!(keys.contains(&"relay/r/kept"), "{keys:?}");
    assert!(keys.iter().all(|k| k.starts_with("relay/")), "{keys:?}");
}

/// `InMemory`, watching multipart uploads: how many parts are in flight at once (each
/// takes a moment), and how many uploads were aborted.
#[derive(Debug, Default)]
struct Watched {
    inner: object_store::memory::InMemory,
    counts: Arc<UploadCounts>,
}

#[derive(Debug, Default)]
struct UploadCounts {
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    aborted: AtomicUsize,
}

#[derive(Debug)]
struct WatchedUpload {
    inner: Box<dyn object_store::MultipartUpload>,
    counts: Arc<UploadCounts>,
}

impl std::fmt::Display for Watched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Watched({})", self.inner)
    }
}

#[async_trait::async_trait]
impl object_store::ObjectStore for Watched {
    async fn put_opts(
        &self,
        location: &object_store::path::Path,
        payload: object_store::PutPayload,
        opts: object_store::PutOptions,
    ) -> object_store::Result<object_store::PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &object_store::path::Path,
        opts: object_store::PutMultipartOptions,
    ) -> object_store::Result<Box<dyn object_store::MultipartUpload>> {
        let inner = self.inner.put_multipart_opts(location, opts).await?;
        Ok(Box::new(WatchedUpload {
            inner,
            counts: self.counts.clone(),
        }))
    }

    async fn get_opts(
        &self,
        location: &object_store::path::Path,
        options: object_store::GetOptions,
    ) -> object_store::Result<object_store::GetResult> {
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: futures_util::stream::BoxStream<
            'static,
            object_store::Result<object_store::path::Path>,
        >,
    ) -> futures_util::stream::BoxStream<'static, object_store::Result<object_store::path::Path>>
    {
        self.inner.delete_stream(locations)
    }

    fn list(
        &self,
        prefix: Option<&object_store::path::Path>,
    ) -> futures_util::stream::BoxStream<'static, object_store::Result<object_store::ObjectMeta>>
    {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&object_store::path::Path>,
    ) -> object_store::Result<object_store::ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &object_store::path::Path,
        to: &object_store::path::Path,
        options: object_store::CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[async_trait::async_trait]
impl object_store::MultipartUpload for WatchedUpload {
    fn put_part(&mut self, data: object_store::PutPayload) -> object_store::UploadPart {
        let counts = self.counts.clone();
        let now = counts.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        counts.most_in_flight.fetch_max(now, Ordering::SeqCst);
        let part = self.inner.put_part(data);
        Box::pin(async move {
            // Slower than the body, so that parts would pile up if nothing held them back.
            tokio::time::sleep(Duration::from_millis(100)).await;
            let result = part.await;
            counts.in_flight.fetch_sub(1, Ordering::SeqCst);
            result
        })
    }

    async fn complete(&mut self) -> object_store::Result<object_store::PutResult> {
        self.inner.complete().await
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        self.counts.aborted.fetch_add(1, Ordering::SeqCst);
        self.inner.abort().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_store_multipart_uploads_are_bounded_and_aborted() {
    let watched = Arc::new(Watched::default());
    let counts = watched.counts.clone();
    suite(&ObjectStoreBlobs::new(watched)).await;
    // Large bodies that failed: too long, too short, digest mismatch, interrupted.
    let aborted = counts.aborted.load(Ordering::SeqCst);
    assert!(aborted >= 10, "{aborted} uploads aborted");

    let watched = Arc::new(Watched::default());
    let counts = watched.counts.clone();
    let store = ObjectStoreBlobs::new(watched);

    // Eight full parts: two uploading while the next fills, and the last one on finishing.
    let blob = data(8 * 5 * 1024 * 1024 + 1, 17);
    put(&store, &key("w/0"), &blob).await.unwrap();
    let most = counts.most_in_flight.load(Ordering::SeqCst);
    assert!(most <= 3, "{most} parts in flight at once");
    assert_blob(&store, &key("w/0"), Some(&blob), "watched").await;

    // A put that fails aborts its upload before it returns.
    let result = store
        .put(
            &key("w/1"),
            chunked(&blob),
            Expected {
                sha256: [0; 32],
                ..expected(&blob)
            },
        )
        .await;
    assert!(
        matches!(result, Err(BlobError::DigestMismatch)),
        "{result:?}"
    );
    assert_eq!(counts.aborted.load(Ordering::SeqCst), 1);

    // A cancelled put aborts its upload in the background: wait for it (bounded).
    let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(1);
    let body: ByteStream = Box::pin(futures_util::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|chunk| (chunk, receiver)) },
    ));
    let cancelled = key("w/2");
    let mut put = store.put(&cancelled, body, expected(&blob));
    let chunks = blob[..LARGE + 1024 * 1024]
        .chunks(64 * 1024)
        .map(Bytes::copy_from_slice)
        .chain([Bytes::new()]);
    for chunk in chunks {
        tokio::select! {
            result = &mut put => panic!("the put ended with half a body: {result:?}"),
            sent = sender.send(Ok(chunk)) => sent.unwrap(),
        }
    }
    drop(put);
    for _ in 0..1000 {
        if counts.aborted.load(Ordering::SeqCst) == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(counts.aborted.load(Ordering::SeqCst), 2);
    assert_blob(&store, &cancelled, None, "cancelled").await;
}
