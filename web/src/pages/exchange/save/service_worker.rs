//! The second way to save: the browser's download manager, fed through the service
//! worker (`/sw.js`), kept awake while the download runs. Two `MessagePort`s go to the
//! service worker: one stays with the page (the download registered, started, cancelled
//! in the browser, expired), the other goes on to the decrypting worker, which streams the
//! chunks there itself and ends the stream once the whole file verified (the page is not
//! on the way of every chunk).

use pli_api::ErrorCode;
use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::{Chunks, Control, OnProgress, Saved, Target, click, download, js_error, wait_for};
use crate::protocol::WorkerError;

/// How long the service worker may take to take a download in hand.
const SERVICE_WORKER_TIMEOUT_MS: u32 = 20_000;

/// How often the page pings the service worker during a download, so that the browser
/// does not stop it as idle.
const KEEPALIVE_MS: i32 = 10_000;

/// The downloads' scope, which boot.js registers the service worker for: it controls no
/// page, only the navigations to `/__download/<id>`.
const SCOPE: &str = "/__download/";

/// How often, and how many times more, [`service_worker`] looks for the downloads' active
/// service worker when there is none yet (2 s in all).
const ACTIVATION_POLL_MS: u32 = 100;
const ACTIVATION_POLLS: u32 = 20;

/// The active service worker of the downloads' scope, if this browser has one running
/// for Pli. One registered moments ago (a first visit, the first load after the scope
/// changed) is let become active, for a moment at most.
pub(super) async fn service_worker() -> Option<web_sys::ServiceWorker> {
    let navigator = web_sys::window()?.navigator();
    let container = Reflect::get(&navigator, &"serviceWorker".into()).ok()?;
    if container.is_undefined() || container.is_null() {
        return None;
    }
    let container: web_sys::ServiceWorkerContainer = container.unchecked_into();
    for poll in 0..=ACTIVATION_POLLS {
        if poll > 0 {
            gloo_timers::future::TimeoutFuture::new(ACTIVATION_POLL_MS).await;
        }
        let found = JsFuture::from(container.get_registration_with_document_url(SCOPE))
            .await
            .ok()?;
        if found.is_undefined() {
            continue;
        }
        let registration: web_sys::ServiceWorkerRegistration = found.unchecked_into();
        // Only the downloads' own: a registration of before for the whole app (scope
        // "/", which boot.js removes) matches the path too until it is gone, and the
        // download's navigation would not reach it.
        if !registration.scope().ends_with(SCOPE) {
            continue;
        }
        if let Some(active) = registration.active() {
            return Some(active);
        }
    }
    None
}

/// What the service worker said about a download.
#[derive(Debug, Default)]
struct WorkerSide {
    /// The download is registered under its id.
    ready: bool,
    /// The service worker reads the chunks on the second port (`version` 2): the
    /// decrypting worker streams there itself. An older one, still active after an
    /// update, reads the first port only: the page forwards the chunks there.
    direct: bool,
    /// The browser asked for it: the download started.
    started: bool,
    /// The person cancelled it in the browser, or it was never asked for in time.
    gone: bool,
    /// The stream ended whole (`done` taken: the browser has the whole file).
    closed: bool,
}

pub(super) async fn through_service_worker(
    worker: &web_sys::ServiceWorker,
    target: &Target,
    control: &Control,
    on_progress: OnProgress,
) -> Result<Saved, WorkerError> {
    let channel = web_sys::MessageChannel::new().map_err(|e| js_error(ErrorCode::Internal, &e))?;
    let chunks = web_sys::MessageChannel::new().map_err(|e| js_error(ErrorCode::Internal, &e))?;
    let port = channel.port1();
    let side = Rc::new(RefCell::new(WorkerSide::default()));
    let on_message = {
        let side = side.clone();
        let control = control.clone();
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let data = event.data();
            let kind = Reflect::get(&data, &"type".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            match kind.as_str() {
                "ready" => {
                    let version = Reflect::get(&data, &"version".into())
                        .ok()
                        .and_then(|v| v.as_f64());
                    let mut side = side.borrow_mut();
                    side.ready = true;
                    side.direct = version.is_some_and(|v| v >= 2.0);
                }
                "started" => side.borrow_mut().started = true,
                "closed" => side.borrow_mut().closed = true,
                // Only from an older service worker (a newer one acknowledges to the
                // decrypting worker itself).
                "ack" => {
                    let bytes = Reflect::get(&data, &"bytes".into())
                        .ok()
                        .and_then(|v| v.as_f64())
                        .unwrap_or(0.0);
                    control.acknowledge(bytes as u64);
                }
                // The person cancelled the download in the browser.
                "cancelled" => {
                    side.borrow_mut().gone = true;
                    control.cancel();
                }
                // The browser never asked for it.
                "expired" => side.borrow_mut().gone = true,
                _ => {}
            }
        })
    };
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));

    let id = random_id();
    let message = Object::new();
    let _ = Reflect::set(&message, &"type".into(), &"pli-download".into());
    let _ = Reflect::set(&message, &"id".into(), &id.as_str().into());
    let _ = Reflect::set(&message, &"name".into(), &target.name.as_str().into());
    let _ = Reflect::set(&message, &"size".into(), &(target.size as f64).into());
    let sent = worker
        .post_message_with_transferable(&message, &Array::of2(&channel.port2(), &chunks.port2()));
    let outcome = match sent {
        Err(error) => Err(js_error(ErrorCode::Internal, &error)),
        Ok(()) => {
            let keepalive = KeepAlive::start(worker.clone());
            let outcome = stream_through(
                &side,
                &id,
                target,
                control,
                on_progress,
                &port,
                chunks.port1(),
            )
            .await;
            drop(keepalive);
            outcome
        }
    };
    // Not after a saving that ended whole: the file the browser has is verified and kept,
    // whatever was clicked meanwhile.
    if !matches!(outcome, Ok(Saved::ToDownloads)) {
        let _ = crate::port::post(&port, "abort", None);
    }
    port.set_onmessage(None);
    drop(on_message);
    outcome
}

async fn stream_through(
    side: &RefCell<WorkerSide>,
    id: &str,
    target: &Target,
    control: &Control,
    on_progress: OnProgress,
    port: &web_sys::MessagePort,
    to_stream: web_sys::MessagePort,
) -> Result<Saved, WorkerError> {
    if !wait_for(|| side.borrow().ready, SERVICE_WORKER_TIMEOUT_MS).await {
        return Err(WorkerError::new(
            ErrorCode::SaveBlocked,
            "the service worker did not answer",
        ));
    }
    // A navigation the service worker answers with an attachment: the browser downloads
    // it and the page stays. (No frame: the Content-Security-Policy allows none.)
    navigate_to(&format!("{SCOPE}{id}"));
    if !wait_for(
        || side.borrow().started || side.borrow().gone,
        SERVICE_WORKER_TIMEOUT_MS,
    )
    .await
        || side.borrow().gone
    {
        if control.cancelled() {
            return Ok(Saved::Cancelled);
        }
        return Err(WorkerError::new(
            ErrorCode::SaveBlocked,
            "the browser did not start the download",
        ));
    }
    // The worker ends the stream once the whole file verified, unless the person cancelled
    // (the button, which stops it, or the browser's download, which tells it): it then
    // fails the stream, so that the browser keeps no file. With an older service worker,
    // the page forwards the chunks and ends the stream itself.
    let direct = side.borrow().direct;
    let chunks = if direct {
        Chunks::Worker(crate::bridge::Destination::ServiceWorker(to_stream))
    } else {
        let forward = port.clone();
        Chunks::Page(Box::new(move |chunk| {
            let _ = crate::port::post(&forward, "chunk", Some(&chunk));
        }))
    };
    let result = download(target, control, on_progress, chunks).await;
    match result {
        Ok(()) if side.borrow().gone => Ok(Saved::Cancelled),
        // Cancelled after the last chunk, the page ending the stream: it is not ended,
        // so the browser keeps no file (the caller aborts it).
        Ok(()) if !direct && control.cancelled() => Ok(Saved::Cancelled),
        Ok(()) if !direct => {
            let _ = crate::port::post(port, "done", None);
            Ok(Saved::ToDownloads)
        }
        // Said saved once the service worker says it ended the stream whole.
        Ok(()) => {
            let ended = || side.borrow().closed || side.borrow().gone;
            let _ = wait_for(ended, SERVICE_WORKER_TIMEOUT_MS).await;
            let side = side.borrow();
            match (side.closed, side.gone) {
                (true, _) => Ok(Saved::ToDownloads),
                (false, true) => Ok(Saved::Cancelled),
                (false, false) => Err(WorkerError::new(
                    ErrorCode::SaveBlocked,
                    "the service worker did not end the download",
                )),
            }
        }
        Err(_) if control.cancelled() || side.borrow().gone => Ok(Saved::Cancelled),
        Err(error) if error.code == ErrorCode::Cancelled => Ok(Saved::Cancelled),
        Err(error) => Err(error),
    }
}

/// Pings the service worker while it streams a download; stops when dropped.
struct KeepAlive {
    timer: i32,
    _tick: Closure<dyn FnMut()>,
}

impl KeepAlive {
    fn start(worker: web_sys::ServiceWorker) -> Option<Self> {
        let tick = Closure::<dyn FnMut()>::new(move || {
            let message = Object::new();
            let _ = Reflect::set(&message, &"type".into(), &"pli-keepalive".into());
            let _ = worker.post_message(&message);
        });
        let timer = web_sys::window()?
            .set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                KEEPALIVE_MS,
            )
            .ok()?;
        Some(Self { timer, _tick: tick })
    }
}

impl Drop for KeepAlive {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            window.clear_interval_with_handle(self.timer);
        }
    }
}

/// Navigates to `href` through a temporary link (the browser keeps the page when the
/// answer is an attachment).
fn navigate_to(href: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(link) = document.create_element("a") {
        let _ = link.set_attribute("href", href);
        let _ = link.set_attribute("rel", "noopener");
        click(&document, &link);
    }
}

/// An unguessable download id.
fn random_id() -> String {
    let uuid = web_sys::window()
        .and_then(|w| Reflect::get(&w, &"crypto".into()).ok())
        .and_then(|crypto| {
            let random = Reflect::get(&crypto, &"randomUUID".into())
                .ok()?
                .dyn_into::<Function>()
                .ok()?;
            random.call0(&crypto).ok()?.as_string()
        });
    uuid.unwrap_or_else(|| {
        (0..4)
            .map(|_| {
                format!(
                    "{:08x}",
                    (js_sys::Math::random() * f64::from(u32::MAX)) as u32
                )
            })
            .collect()
    })
}
