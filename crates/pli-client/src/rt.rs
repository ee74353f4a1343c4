//! What differs between a native runtime (tokio) and the browser (the JavaScript event
//! loop): running CPU-heavy work, sleeping, and running a task in the background.

use std::future::Future;

use crate::ClientError;

/// Runs CPU-heavy work (Argon2id) without blocking the async runtime: on a blocking
/// thread natively; directly in the browser, where it already runs in a Web Worker.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ClientError> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| ClientError::verification(e.to_string()))
    }
    #[cfg(target_arch = "wasm32")]
    {
        Ok(work())
    }
}

/// The SHA-256 of `bytes`, whole (a part: up to 64 MiB). Natively `sha2`'s, with the
/// CPU's SHA extensions. In the browser WebCrypto's, native code, three times faster than
/// `sha2` compiled to WebAssembly (which has no SHA instructions): a send's hash of each
/// part (its `Content-Digest`, the envelope's part list and the plan's record), and a
/// download's of each part before it is decrypted. Only the file's own hash (the manifest's) streams, in WebAssembly
/// ([`FileHash`]: on a helper of the pool).
/// Where WebCrypto is missing, `sha2` there too.
pub(crate) async fn sha256(bytes: &[u8]) -> [u8; 32] {
    #[cfg(target_arch = "wasm32")]
    if let Some(digest) = web_crypto::sha256(bytes).await {
        return digest;
    }
    <sha2::Sha256 as sha2::Digest>::digest(bytes).into()
}

#[cfg(target_arch = "wasm32")]
mod web_crypto {
    use js_sys::{Function, Promise, Reflect, Uint8Array};
    use wasm_bindgen::JsCast as _;
    use wasm_bindgen_futures::JsFuture;

    /// `crypto.subtle.digest("SHA-256", bytes)`, or `None` where it is missing or fails.
    ///
    /// WebCrypto is handed a view of `bytes` where they are, in the module's memory: it
    /// copies its input before it returns the promise (WebCrypto, « get a copy of the
    /// bytes held by the data parameter »), and nothing runs in between that could grow
    /// the memory and detach the view. A JavaScript buffer of our own to copy into would
    /// cost a copy more, and 16 MiB kept (one per call would be garbage outside V8's
    /// heap, collected late).
    pub(super) async fn sha256(bytes: &[u8]) -> Option<[u8; 32]> {
        let length = u32::try_from(bytes.len()).ok()?;
        let offset = u32::try_from(bytes.as_ptr() as usize).ok()?;
        let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
        let subtle = Reflect::get(&crypto, &"subtle".into()).ok()?;
        let digest: Function = Reflect::get(&subtle, &"digest".into())
            .ok()?
            .dyn_into()
            .ok()?;
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().dyn_into().ok()?;
        let view = Uint8Array::new_with_byte_offset_and_length(&memory.buffer(), offset, length);
        let promise: Promise = digest
            .call2(&subtle, &"SHA-256".into(), &view)
            .ok()?
            .dyn_into()
            .ok()?;
        let result = Uint8Array::new(&JsFuture::from(promise).await.ok()?);
        let mut hash = [0u8; 32];
        (result.length() == 32).then(|| result.copy_to(&mut hash))?;
        Some(hash)
    }
}

/// A run of chunks being sealed or opened (`Send` natively, where it is done already; the
/// browser has one thread): the ciphertext, or the plaintext, wiped wherever it is
/// dropped (a download failed or cancelled with runs under way).
#[cfg(not(target_arch = "wasm32"))]
pub type PoolRun = std::pin::Pin<Box<dyn Future<Output = Result<Output, ClientError>> + Send>>;
/// A run of chunks being sealed or opened (`Send` natively, where it is done already; the
/// browser has one thread): the ciphertext, or the plaintext, wiped wherever it is
/// dropped (a download failed or cancelled with runs under way).
#[cfg(target_arch = "wasm32")]
pub type PoolRun = std::pin::Pin<Box<dyn Future<Output = Result<Output, ClientError>>>>;

/// What a run gives.
pub type Output = zeroize::Zeroizing<Vec<u8>>;

/// How much plaintext a send seals at a time (the last run of an object may be
/// shorter): a run of chunks reserved from the object's encryptor and sealed where the
/// runtime seals (in the browser, a Web Worker of the pool: [`CipherPool`]), several
/// under way at once. Progress is reported after each. (A download's runs of chunks to
/// open are shorter: see `receive.rs`, `Opened::RUN`.)
pub const SEAL_RUN: usize = 4 << 20;

/// Where runs of chunks are sealed (a send's) or opened (a download's) when not on the
/// caller's thread: in the browser, a pool of Web Workers, one per core (`pli-web`'s
/// worker installs its own with [`use_pool`]). STREAM chunks are independent, so runs
/// done side by side and put back in order give the bytes one encryptor or decryptor
/// would.
pub trait CipherPool {
    /// How many runs may be under way at once.
    fn width(&self) -> usize;

    /// Seals `plaintext` under `run`. The plaintext is taken (copied, or sealed) before
    /// this returns: the caller may reuse its buffer at once.
    fn seal(&self, run: pli_crypto::age::Reserved, plaintext: &[u8]) -> PoolRun;

    /// Opens `ciphertext` under `lent`, giving its plaintext only if every chunk
    /// authenticates. The ciphertext is taken before this returns.
    fn open(&self, lent: pli_crypto::age::Lent, ciphertext: &[u8]) -> PoolRun;

    /// Starts a SHA-256 computed away from the caller's thread, if a helper is ready
    /// (`None`: the caller hashes itself).
    fn hasher(&self) -> Option<Box<dyn PoolHasher>>;

    /// Whether a helper is starting (none may be ready yet: the first send after the
    /// keys are unlocked).
    fn starting(&self) -> bool;
}

/// A SHA-256 that a [`CipherPool`] computes away from the caller's thread: a send's
/// plaintext hash, so that the worker reading the file does not spend a third of its
/// time in `sha2` (WebAssembly has no SHA instructions, and WebCrypto's digest does not
/// stream).
pub trait PoolHasher {
    /// Hashes `bytes` after everything given before. They are taken (copied) before this
    /// returns; the future ends, with an empty output, once they are hashed.
    fn update(&mut self, bytes: &[u8]) -> PoolRun;

    /// The SHA-256 of everything given, once every update is hashed (32 bytes).
    fn finish(self: Box<Self>) -> PoolRun;
}

/// The SHA-256 of a file being sent (the manifest's), computed where the runtime hashes
/// best: in the browser by a helper of the pool ([`CipherPool::hasher`]), at most
/// [`HASHING`] updates under way; here otherwise. Where is decided at the first update
/// (a hash cannot move once begun).
pub(crate) struct FileHash {
    here: sha2::Sha256,
    #[cfg(target_arch = "wasm32")]
    away: Away,
}

/// Where a [`FileHash`] is computed, in the browser.
#[cfg(target_arch = "wasm32")]
enum Away {
    /// Not decided: nothing hashed yet.
    Undecided,
    /// Here.
    No,
    /// By a helper, with the updates still under way.
    Yes(Box<dyn PoolHasher>, std::collections::VecDeque<PoolRun>),
}

/// How many updates of a [`FileHash`] may be under way away from the caller: each holds a
/// copy of a run of plaintext, so memory stays bounded if the helper falls behind.
#[cfg(target_arch = "wasm32")]
const HASHING: usize = 4;

/// How long a [`FileHash`] waits at its first update for a helper still starting (one
/// starts in some tens of milliseconds; hashing a 1 GiB file here takes seconds).
#[cfg(target_arch = "wasm32")]
const HELPER_WAIT_MS: u64 = 1000;

impl FileHash {
    /// A new hash.
    pub(crate) fn new() -> Self {
        Self {
            here: sha2::Digest::new(),
            #[cfg(target_arch = "wasm32")]
            away: Away::Undecided,
        }
    }

    /// Hashes `bytes` after everything given before.
    pub(crate) async fn update(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        #[cfg(target_arch = "wasm32")]
        if matches!(self.away, Away::Undecided) {
            self.away = match pool_hasher().await {
                Some(hasher) => Away::Yes(hasher, std::collections::VecDeque::new()),
                None => Away::No,
            };
        }
        #[cfg(target_arch = "wasm32")]
        if let Away::Yes(hasher, under_way) = &mut self.away {
            while under_way.len() >= HASHING {
                if let Some(update) = under_way.pop_front() {
                    update.await?;
                }
            }
            under_way.push_back(hasher.update(bytes));
            return Ok(());
        }
        sha2::Digest::update(&mut self.here, bytes);
        Ok(())
    }

    /// The SHA-256 of everything given.
    pub(crate) async fn finish(self) -> Result<[u8; 32], ClientError> {
        #[cfg(target_arch = "wasm32")]
        if let Away::Yes(hasher, under_way) = self.away {
            for update in under_way {
                update.await?;
            }
            let digest = hasher.finish().await?;
            return <[u8; 32]>::try_from(digest.as_slice()).map_err(|_| {
                ClientError::Io(std::io::Error::other(
                    "a cipher worker gave a hash of the wrong length",
                ))
            });
        }
        Ok(sha2::Digest::finalize(self.here).into())
    }
}

#[cfg(target_arch = "wasm32")]
thread_local! {
    static POOL: std::cell::RefCell<Option<std::rc::Rc<dyn CipherPool>>> =
        const { std::cell::RefCell::new(None) };
}

/// Makes the sends and downloads of this thread (the browser's worker) seal and open
/// their runs with `pool`.
#[cfg(target_arch = "wasm32")]
pub fn use_pool(pool: std::rc::Rc<dyn CipherPool>) {
    POOL.with(|s| *s.borrow_mut() = Some(pool));
}

/// The pool installed with [`use_pool`], if any.
#[cfg(target_arch = "wasm32")]
fn pool() -> Option<std::rc::Rc<dyn CipherPool>> {
    POOL.with(|s| s.borrow().clone())
}

/// A hasher from the installed pool: waits up to [`HELPER_WAIT_MS`] while a helper is
/// starting; `None` if there is no pool or no helper.
#[cfg(target_arch = "wasm32")]
async fn pool_hasher() -> Option<Box<dyn PoolHasher>> {
    let pool = pool()?;
    let mut waited = 0;
    loop {
        if let Some(hasher) = pool.hasher() {
            return Some(hasher);
        }
        if waited >= HELPER_WAIT_MS || !pool.starting() {
            return None;
        }
        sleep(10).await;
        waited += 10;
    }
}

/// How many runs a send or a download keeps under way: the installed pool's width in the
/// browser; one natively, where each run is done on every core at once (`pli-crypto`'s
/// `parallel` feature).
pub(crate) fn pool_width() -> usize {
    #[cfg(target_arch = "wasm32")]
    if let Some(pool) = pool() {
        return pool.width().max(1);
    }
    1
}

/// Seals `plaintext` under `run`: with the installed pool, or here and now.
pub(crate) fn seal(run: pli_crypto::age::Reserved, plaintext: &[u8]) -> PoolRun {
    #[cfg(target_arch = "wasm32")]
    if let Some(pool) = pool() {
        return pool.seal(run, plaintext);
    }
    Box::pin(std::future::ready(seal_here(run, plaintext)))
}

/// Opens `ciphertext` under `lent`: with the installed pool, or here and now.
pub(crate) fn open(lent: pli_crypto::age::Lent, ciphertext: &[u8]) -> PoolRun {
    #[cfg(target_arch = "wasm32")]
    if let Some(pool) = pool() {
        return pool.open(lent, ciphertext);
    }
    Box::pin(std::future::ready(open_here(lent, ciphertext)))
}

/// Seals `plaintext` under `run` on this thread (natively, on every core).
pub fn seal_here(run: pli_crypto::age::Reserved, plaintext: &[u8]) -> Result<Output, ClientError> {
    let mut out = Output::new(Vec::with_capacity(run.ciphertext_len()));
    run.seal(plaintext, &mut out)?;
    Ok(out)
}

/// Opens `ciphertext` under `lent` on this thread (natively, on every core).
pub fn open_here(lent: pli_crypto::age::Lent, ciphertext: &[u8]) -> Result<Output, ClientError> {
    let mut out = Output::new(Vec::with_capacity(lent.plaintext_len()));
    lent.open(ciphertext, &mut out)?;
    Ok(out)
}

/// Waits `ms` milliseconds.
pub(crate) async fn sleep(ms: u64) {
    #[cfg(not(target_arch = "wasm32"))]
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    #[cfg(target_arch = "wasm32")]
    gloo_timers::future::TimeoutFuture::new(u32::try_from(ms).unwrap_or(u32::MAX)).await;
}

/// A monotonic clock in milliseconds (for the busy times progress reports carry).
pub(crate) fn now_ms() -> f64 {
    #[cfg(not(target_arch = "wasm32"))]
    {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_secs_f64()
            * 1000.0
    }
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now()
    }
}

/// `Send` natively; nothing in the browser, which has one thread.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send> MaybeSend for T {}
/// `Send` natively; nothing in the browser, which has one thread.
#[cfg(target_arch = "wasm32")]
pub(crate) trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T> MaybeSend for T {}

/// Starts `task` now, in the background, and returns a future of its result: an upload
/// proceeds while the caller encrypts the next part.
pub(crate) fn spawn<T: MaybeSend + 'static>(
    task: impl Future<Output = T> + MaybeSend + 'static,
) -> impl Future<Output = Result<T, ClientError>> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let handle = tokio::spawn(task);
        async move {
            handle
                .await
                .map_err(|e| ClientError::verification(e.to_string()))
        }
    }
    #[cfg(target_arch = "wasm32")]
    {
        let (remote, handle) = futures_util::FutureExt::remote_handle(task);
        wasm_bindgen_futures::spawn_local(remote);
        async move { Ok(handle.await) }
    }
}
