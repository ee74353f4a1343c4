//! What this browser keeps between sessions, in IndexedDB (database `pli`), each record
//! sealed with AES-256-GCM under a WebCrypto key that is *not extractable* — kept in the
//! same database, usable by this origin's scripts, never readable as bytes by anyone,
//! and nothing the relay ever sees:
//! - the account keys (store `account-keys`, one record per address), so that the kit de
//!   secours is needed once per device; clearing the site's data forgets them, and the
//!   kit is then asked for again;
//! - what this device verified of the key directory's transparency log (store
//!   `known-logs`, one record per address, sealed with the address as additional data),
//!   so that a relay cannot show it an older log at the next login; clearing the site's
//!   data forgets it, and the checkpoint the person signed and the relay keeps is then
//!   all that stands (see `pli-client`'s `session/log.rs`);
//! - the platform root, for the platform authority (store `root-keys`, one record per
//!   address, the root first sealed to the person's own encryption key, so that a copy
//!   of this browser's storage yields nothing without the password and account key), and
//!   whether it was saved as a root file (`pli-client`'s `session/authority.rs`).

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use pli_api::ErrorCode;
use pli_crypto::account_key::AccountKey;
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    CryptoKey, IdbDatabase, IdbObjectStore, IdbOpenDbRequest, IdbRequest, IdbTransactionMode,
};

use crate::protocol::WorkerError;

const DATABASE: &str = "pli";
const KEYS: &str = "account-keys";
const LOGS: &str = "known-logs";
const ROOTS: &str = "root-keys";
const WRAPPING: &str = "wrapping-key";

fn failed(what: &str) -> impl Fn(JsValue) -> WorkerError + '_ {
    move |e| WorkerError::new(ErrorCode::Io, format!("{what}: {e:?}"))
}

/// Resolves when `request` succeeds (or fails).
async fn done(request: &IdbRequest) -> Result<JsValue, WorkerError> {
    let promise = Promise::new(&mut |resolve, reject| {
        let ok = resolve.clone();
        let on_success =
            wasm_bindgen::closure::Closure::once_into_js(move |event: web_sys::Event| {
                let result = event
                    .target()
                    .and_then(|t| t.dyn_into::<IdbRequest>().ok())
                    .and_then(|r| r.result().ok())
                    .unwrap_or(JsValue::UNDEFINED);
                let _ = ok.call1(&JsValue::NULL, &result);
            });
        let on_error = wasm_bindgen::closure::Closure::once_into_js(move |event: JsValue| {
            let _ = reject.call1(&JsValue::NULL, &event);
        });
        request.set_onsuccess(Some(on_success.unchecked_ref()));
        request.set_onerror(Some(on_error.unchecked_ref()));
    });
    JsFuture::from(promise).await.map_err(failed("IndexedDB"))
}

async fn open() -> Result<IdbDatabase, WorkerError> {
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let factory = scope
        .indexed_db()
        .map_err(failed("IndexedDB"))?
        .ok_or_else(|| WorkerError::new(ErrorCode::Io, "no IndexedDB in this browser"))?;
    // Version 2 added the known logs' store, version 3 the roots'; opening creates any
    // store missing.
    let request: IdbOpenDbRequest = factory.open_with_u32(DATABASE, 3).map_err(failed("open"))?;
    let upgrade = wasm_bindgen::closure::Closure::once_into_js(move |event: web_sys::Event| {
        if let Some(db) = event
            .target()
            .and_then(|t| t.dyn_into::<IdbRequest>().ok())
            .and_then(|r| r.result().ok())
            .and_then(|r| r.dyn_into::<IdbDatabase>().ok())
        {
            for store in [KEYS, LOGS, ROOTS, WRAPPING] {
                if !db.object_store_names().contains(store) {
                    let _ = db.create_object_store(store);
                }
            }
        }
    });
    request.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    done(&request).await?.dyn_into().map_err(failed("open"))
}

fn store(
    db: &IdbDatabase,
    name: &str,
    mode: IdbTransactionMode,
) -> Result<IdbObjectStore, WorkerError> {
    db.transaction_with_str_and_mode(name, mode)
        .and_then(|t| t.object_store(name))
        .map_err(failed("IndexedDB"))
}

fn subtle() -> Result<web_sys::SubtleCrypto, WorkerError> {
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    Ok(scope.crypto().map_err(failed("WebCrypto"))?.subtle())
}

/// The browser's wrapping key, made on first use — by one tab only when several start at
/// once.
async fn wrapping_key(db: &IdbDatabase) -> Result<CryptoKey, WorkerError> {
    let found = done(
        &store(db, WRAPPING, IdbTransactionMode::Readonly)?
            .get(&JsValue::from_str("key"))
            .map_err(failed("IndexedDB"))?,
    )
    .await?;
    if let Ok(key) = found.dyn_into::<CryptoKey>() {
        return Ok(key);
    }
    let params = web_sys::AesKeyGenParams::new("AES-GCM", 256);
    let usages = Array::of2(&"encrypt".into(), &"decrypt".into());
    let key: CryptoKey = JsFuture::from(
        subtle()?
            .generate_key_with_object(&params, false, &usages)
            .map_err(failed("WebCrypto"))?,
    )
    .await
    .map_err(failed("WebCrypto"))?
    .dyn_into()
    .map_err(failed("WebCrypto"))?;
    // `add`, not `put`: another tab (or this browser's other worker) may have made one
    // since the read above. Theirs stays the browser's key — what they sealed opens —
    // and this one is dropped unused.
    let added = done(
        &store(db, WRAPPING, IdbTransactionMode::Readwrite)?
            .add_with_key(&key, &JsValue::from_str("key"))
            .map_err(failed("IndexedDB"))?,
    )
    .await;
    if added.is_ok() {
        return Ok(key);
    }
    done(
        &store(db, WRAPPING, IdbTransactionMode::Readonly)?
            .get(&JsValue::from_str("key"))
            .map_err(failed("IndexedDB"))?,
    )
    .await?
    .dyn_into::<CryptoKey>()
    .map_err(failed("the browser's wrapping key"))
}

/// Seals `plain` under the browser's wrapping key (with `aad` as additional data) and
/// stores it as `key` in `store_name`.
async fn seal_put(
    store_name: &str,
    key: &str,
    aad: &[u8],
    plain: &[u8],
) -> Result<(), WorkerError> {
    let db = open().await?;
    let wrapping = wrapping_key(&db).await?;
    let mut iv = [0u8; 12];
    getrandom::fill(&mut iv).map_err(|e| WorkerError::new(ErrorCode::Io, e.to_string()))?;
    let params = web_sys::AesGcmParams::new("AES-GCM", &Uint8Array::from(iv.as_slice()));
    if !aad.is_empty() {
        params.set_additional_data(&Uint8Array::from(aad));
    }
    let plain = Uint8Array::from(plain);
    let sealed = JsFuture::from(
        subtle()?
            .encrypt_with_object_and_buffer_source(&params, &wrapping, &plain)
            .map_err(failed("WebCrypto"))?,
    )
    .await
    .map_err(failed("WebCrypto"))?;
    plain.fill(0, 0, plain.length());
    let record = Object::new();
    Reflect::set(&record, &"iv".into(), &Uint8Array::from(iv.as_slice()))
        .map_err(failed("record"))?;
    Reflect::set(&record, &"sealed".into(), &sealed).map_err(failed("record"))?;
    done(
        &store(&db, store_name, IdbTransactionMode::Readwrite)?
            .put_with_key(&record, &JsValue::from_str(key))
            .map_err(failed("IndexedDB"))?,
    )
    .await?;
    Ok(())
}

/// Opens the record `key` of `store_name` sealed by [`seal_put`] with the same `aad`
/// (none, or one that no longer opens: `None`).
async fn open_get(
    store_name: &str,
    key: &str,
    aad: &[u8],
) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, WorkerError> {
    let db = open().await?;
    let record = done(
        &store(&db, store_name, IdbTransactionMode::Readonly)?
            .get(&JsValue::from_str(key))
            .map_err(failed("IndexedDB"))?,
    )
    .await?;
    if record.is_undefined() || record.is_null() {
        return Ok(None);
    }
    let (Ok(iv), Ok(sealed)) = (
        Reflect::get(&record, &"iv".into()),
        Reflect::get(&record, &"sealed".into()),
    ) else {
        return Ok(None);
    };
    let wrapping = wrapping_key(&db).await?;
    let Ok(iv) = iv.dyn_into::<Uint8Array>() else {
        return Ok(None);
    };
    let params = web_sys::AesGcmParams::new("AES-GCM", &iv);
    if !aad.is_empty() {
        params.set_additional_data(&Uint8Array::from(aad));
    }
    let Ok(promise) = subtle()?.decrypt_with_object_and_buffer_source(
        &params,
        &wrapping,
        &sealed.unchecked_into::<Object>(),
    ) else {
        return Ok(None);
    };
    let Ok(plain) = JsFuture::from(promise).await else {
        return Ok(None);
    };
    Ok(Some(zeroize::Zeroizing::new(
        Uint8Array::new(&plain).to_vec(),
    )))
}

/// Keeps `key` as the account key of `email` on this browser.
pub(super) async fn remember(email: &str, key: &AccountKey) -> Result<(), WorkerError> {
    seal_put(KEYS, &normalised(email), &[], key.to_bytes().as_slice()).await
}

/// The account key of `email` this browser keeps, if any (a record that no longer opens
/// counts as none: the kit is asked for).
pub(super) async fn recall(email: &str) -> Result<Option<AccountKey>, WorkerError> {
    let bytes = open_get(KEYS, &normalised(email), &[]).await?;
    Ok(bytes.and_then(|bytes| {
        <[u8; 16]>::try_from(bytes.as_slice())
            .ok()
            .map(AccountKey::from_bytes)
    }))
}

fn normalised(email: &str) -> String {
    email.trim().to_lowercase()
}

fn log_aad(email: &str) -> Vec<u8> {
    format!("pli/known-log/{}", normalised(email)).into_bytes()
}

/// Keeps what this device verified of the directory's log for `email`.
pub(super) async fn remember_log(
    email: &str,
    known: &pli_client::KnownLog,
) -> Result<(), WorkerError> {
    let json = serde_json::to_vec(known)
        .map_err(|e| WorkerError::new(ErrorCode::Internal, e.to_string()))?;
    seal_put(LOGS, &normalised(email), &log_aad(email), &json).await
}

/// What this device verified of the directory's log for `email`, if it kept it.
pub(super) async fn recall_log(email: &str) -> Result<Option<pli_client::KnownLog>, WorkerError> {
    let bytes = open_get(LOGS, &normalised(email), &log_aad(email)).await?;
    Ok(bytes.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

fn root_aad(email: &str, what: &str) -> Vec<u8> {
    format!("pli/{what}/{}", normalised(email)).into_bytes()
}

/// Keeps the platform root of `email`, already sealed to their own key.
pub(super) async fn remember_root(email: &str, sealed: &[u8]) -> Result<(), WorkerError> {
    let email = normalised(email);
    seal_put(ROOTS, &email, &root_aad(&email, "root"), sealed).await
}

/// The platform root of `email` this browser keeps (still sealed to their own key).
pub(super) async fn recall_root(
    email: &str,
) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, WorkerError> {
    let email = normalised(email);
    open_get(ROOTS, &email, &root_aad(&email, "root")).await
}

/// Records that the root of `email` was saved as a root file (or came from one).
pub(super) async fn remember_root_saved(email: &str) -> Result<(), WorkerError> {
    let email = normalised(email);
    let key = format!("{email}#saved");
    seal_put(ROOTS, &key, &root_aad(&email, "root-saved"), &[1]).await
}

/// Whether the root of `email` was saved as a root file from this browser (or came
/// from one).
pub(super) async fn root_saved(email: &str) -> bool {
    let email = normalised(email);
    let key = format!("{email}#saved");
    matches!(
        open_get(ROOTS, &key, &root_aad(&email, "root-saved")).await,
        Ok(Some(bytes)) if bytes.as_slice() == [1]
    )
}
