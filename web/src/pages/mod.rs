//! The pages, and the small components they share.

pub mod account;
pub mod admin;
pub mod auth;
pub mod compose;
pub mod dialog;
pub mod exchange;
pub mod inbox;
pub mod kit;
pub mod log_policy;
pub mod manage;
pub mod passkeys;
pub mod platform;
pub mod resume;
pub mod root_key;

use leptos::prelude::*;

use crate::i18n::{self, Key, t};
use crate::protocol::{ProgressReport, WorkerError};

/// An error message, announced to screen readers.
#[component]
pub fn ErrorBox(#[prop(into)] error: Signal<Option<WorkerError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let text = i18n::error_text(&e);
            view! { <div class="alert error" role="alert"><p>{text}</p></div> }
        })
    }
}

/// A progress bar with its label and percentage (and, for tests and benches, how many
/// runs of chunks the worker's pool has sealed or opened: `data-pooled`).
#[component]
pub fn ProgressBar(label: Key, report: ReadSignal<Option<ProgressReport>>) -> impl IntoView {
    move || {
        report.get().map(|r| {
            let percent = (r.done.min(r.total) * 100)
                .checked_div(r.total)
                .unwrap_or(100);
            view! {
                <div class="progress">
                    <label>
                        <span>{move || t(label)} " — " {percent} " %"</span>
                        <progress max="100" value=percent.to_string()
                            data-pooled=r.pooled.to_string()>{percent} " %"</progress>
                    </label>
                </div>
            }
        })
    }
}

/// Hands `blob` to the browser as a download named `name` (a small file the page holds:
/// an audit log, a root file), released a minute later.
pub(crate) fn save_blob(blob: &web_sys::Blob, name: &str) -> Result<(), WorkerError> {
    use wasm_bindgen::JsCast as _;
    let failed =
        |e: wasm_bindgen::JsValue| WorkerError::new(pli_api::ErrorCode::Io, format!("{e:?}"));
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(failed)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| WorkerError::new(pli_api::ErrorCode::Internal, "no document"))?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(failed)?
        .dyn_into()
        .map_err(|_| WorkerError::new(pli_api::ErrorCode::Internal, "not a link"))?;
    link.set_href(&url);
    link.set_download(name);
    if let Some(body) = document.body() {
        let _ = body.append_child(&link);
    }
    link.click();
    link.remove();
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    Ok(())
}

/// The QR code of `text` as an SVG path (one unit per module, a four-module quiet zone
/// included in the view box): drawn in the page, nothing fetched, within the CSP.
fn qr_path(text: &str) -> Option<(i32, String)> {
    let code = qrcodegen::QrCode::encode_text(text, qrcodegen::QrCodeEcc::Medium).ok()?;
    let size = code.size();
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if code.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + 4, y + 4));
            }
        }
    }
    Some((size + 8, path))
}

/// A QR code of `text`, with `label` for screen readers (the kit's account key, a
/// two-factor enrolment).
#[component]
pub fn QrCode(
    text: String,
    class: &'static str,
    testid: &'static str,
    label: Key,
) -> impl IntoView {
    qr_path(&text).map(|(size, path)| {
        view! {
            <svg class=class data-testid=testid role="img" viewBox=format!("0 0 {size} {size}")
                aria-label=move || t(label)>
                <rect width="100%" height="100%" fill="#fff" />
                <path d=path fill="#000" />
            </svg>
        }
    })
}
