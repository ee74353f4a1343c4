//! Every string the interface shows, in French (the default) and English.
//!
//! Strings live in catalogues, one file per area of the app: each entry is
//! `(key, french, english)`. Components never hard-code text: they call [`t`] with a key
//! (or [`error`] with an error code). A key missing from the catalogues shows as the key
//! itself, so it is visible in the screenshots and caught by the browser tests.

use std::cell::RefCell;
use std::collections::HashMap;

use leptos::prelude::*;

mod admin;
mod auth;
mod common;
mod compose;
mod errors;
mod exchange;
mod inbox;
mod platform;

/// The interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Français (default).
    #[default]
    Fr,
    /// English.
    En,
}

impl Lang {
    /// The `lang` attribute value.
    pub fn code(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::En => "en",
        }
    }
}

type Entry = (&'static str, &'static str, &'static str);

const CATALOGUES: &[&[Entry]] = &[
    common::ENTRIES,
    auth::ENTRIES,
    errors::ENTRIES,
    inbox::ENTRIES,
    exchange::ENTRIES,
    compose::ENTRIES,
    admin::ENTRIES,
    platform::ENTRIES,
];

thread_local! {
    // Reference-counted, not owned by whichever component first asked: it lives as long
    // as the page.
    static LANG: RefCell<Option<ArcRwSignal<Lang>>> = const { RefCell::new(None) };
    static INDEX: HashMap<&'static str, (&'static str, &'static str)> =
        CATALOGUES.iter().flat_map(|c| c.iter()).map(|(k, fr, en)| (*k, (*fr, *en))).collect();
}

/// The language signal (created on first use).
pub fn lang() -> ArcRwSignal<Lang> {
    LANG.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| ArcRwSignal::new(Lang::default()))
            .clone()
    })
}

/// The text for `key` in the current language (reactive: re-read when the language
/// changes).
pub fn t(key: &str) -> String {
    let lang = lang().get();
    INDEX.with(|index| match index.get(key) {
        Some((fr, en)) => (if lang == Lang::Fr { *fr } else { *en }).to_owned(),
        None => key.to_owned(),
    })
}

/// The explanation for an error code from the relay or the worker.
pub fn error(code: &str) -> String {
    let key = format!("error.{code}");
    let text = t(&key);
    if text == key {
        t("error.unknown")
    } else {
        text
    }
}

/// `{name}`-style substitution.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

/// A size in human units (octets in French).
pub fn size(bytes: u64) -> String {
    let (unit, divisor) = match bytes {
        b if b >= 1 << 30 => (
            if lang().get() == Lang::Fr { "Go" } else { "GB" },
            (1u64 << 30) as f64,
        ),
        b if b >= 1 << 20 => (
            if lang().get() == Lang::Fr { "Mo" } else { "MB" },
            (1u64 << 20) as f64,
        ),
        b if b >= 1 << 10 => (if lang().get() == Lang::Fr { "ko" } else { "kB" }, 1024.0),
        _ => (if lang().get() == Lang::Fr { "o" } else { "B" }, 1.0),
    };
    let value = bytes as f64 / divisor;
    let text = if divisor == 1.0 {
        format!("{bytes}")
    } else {
        format!("{value:.1}")
    };
    let text = if lang().get() == Lang::Fr {
        text.replace('.', ",")
    } else {
        text
    };
    format!("{text} {unit}")
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
