//! The browser's side of the catalogues: the language as a signal, and lookups that
//! re-run when it changes.

use std::cell::RefCell;

use leptos::prelude::*;
use pli_api::ErrorCode;
use pli_strength::WeakPassword;

use super::{Count, Key, Lang, PluralKey, error_key, lookup, password_strength_in, size_in};

thread_local! {
    // Reference-counted, not owned by whichever component first asked: it lives as long
    // as the page.
    static LANG: RefCell<Option<ArcRwSignal<Lang>>> = const { RefCell::new(None) };
}

/// Where this browser remembers the language chosen (not a secret, not per person: the
/// choice of whoever uses this browser, as a public service's site remembers it).
const LANG_STORAGE_KEY: &str = "pli.lang";

/// The language signal (created on first use, with the language this browser chose last).
pub fn lang() -> ArcRwSignal<Lang> {
    LANG.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| ArcRwSignal::new(remembered_lang().unwrap_or_default()))
            .clone()
    })
}

/// Switches the interface to `lang` and remembers it for the next visits.
pub fn choose_lang(chosen: Lang) {
    lang().set(chosen);
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(LANG_STORAGE_KEY, chosen.code());
    }
}

fn remembered_lang() -> Option<Lang> {
    let storage = web_sys::window()?.local_storage().ok()??;
    match storage.get_item(LANG_STORAGE_KEY).ok()??.as_str() {
        "en" => Some(Lang::En),
        "fr" => Some(Lang::Fr),
        _ => None,
    }
}

/// The text for `key` in the current language (reactive: re-read when the language
/// changes). Keys written in the source go through [`t!`](super::t), which checks them
/// when the app is built.
pub fn t(key: Key) -> String {
    let key = key.as_str();
    lookup(lang().get(), key).map_or_else(|| key.to_owned(), str::to_owned)
}

/// The plural text for `key` and `count` in the current language, `{count}` filled
/// (reactive). Called through [`tn!`](super::tn).
pub fn tn(key: PluralKey, count: impl Count) -> String {
    key.text(lang().get(), count.count())
}

/// The explanation for an error code from the relay or the worker.
pub fn error(code: ErrorCode) -> String {
    error_key(code).text(lang().get()).to_owned()
}

/// An error as a person reads it: its code's text and, for a login, the real wait or
/// the attempts left ([`super::attempts_hint_in`]).
pub fn error_text(error: &crate::protocol::WorkerError) -> String {
    let lang = lang().get();
    let text = error_key(error.code).text(lang);
    match super::attempts_hint_in(lang, &error.attempts) {
        Some(hint) => format!("{text} {hint}"),
        None => text.to_owned(),
    }
}

/// The hint under a new password (see [`password_strength_in`]).
pub fn password_strength(checked: &Result<(), WeakPassword>) -> String {
    password_strength_in(lang().get(), checked)
}

/// A size in human units (octets in French).
pub fn size(bytes: u64) -> String {
    size_in(lang().get(), bytes)
}

/// A date and time from milliseconds since the Unix epoch, in the browser's time zone.
pub fn datetime(ms: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    let locale = if lang().get() == Lang::Fr {
        "fr-FR"
    } else {
        "en-GB"
    };
    date.to_locale_string(locale, &wasm_bindgen::JsValue::UNDEFINED)
        .into()
}
