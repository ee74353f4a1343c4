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
