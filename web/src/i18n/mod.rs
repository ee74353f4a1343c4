//! Every string the interface shows, in French (the default) and English.
//!
//! Strings live in catalogues, one file per area of the app: each entry is
//! `(key, french, english)`. Components never hard-code text: they call [`t`] with a key
//! (or [`error`] with an [`ErrorCode`]). The catalogues and [`lookup`] are plain data and
//! compile natively, where unit tests check them (every error code has both texts, no
//! key twice, no empty text); the reactive part (the language signal, [`t`]) is the
//! browser's. A key missing from the catalogues shows as the key itself, so it is visible
//! in the screenshots and caught by the browser tests.

use std::collections::HashMap;

use pli_api::ErrorCode;

mod admin;
mod auth;
mod common;
mod compose;
mod errors;
mod exchange;
mod inbox;
mod platform;

#[cfg(target_arch = "wasm32")]
mod reactive;
#[cfg(target_arch = "wasm32")]
pub use reactive::*;

#[cfg(test)]
mod tests;

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
    admin::members::ENTRIES,
    admin::invitations::ENTRIES,
    admin::keys::ENTRIES,
    admin::retention::ENTRIES,
    admin::audit::ENTRIES,
    platform::ENTRIES,
];

thread_local! {
    static INDEX: HashMap<&'static str, (&'static str, &'static str)> =
        CATALOGUES.iter().flat_map(|c| c.iter()).map(|(k, fr, en)| (*k, (*fr, *en))).collect();
}

/// The text for `key` in `lang`, if the catalogues have it.
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    INDEX.with(|index| {
        index
            .get(key)
            .map(|(fr, en)| if lang == Lang::Fr { *fr } else { *en })
    })
}

/// The catalogue key that explains `code`.
pub fn error_key(code: ErrorCode) -> String {
    format!("error.{code}")
}

/// `{name}`-style substitution.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

/// A size in human units in `lang` (octets in French).
pub fn size_in(lang: Lang, bytes: u64) -> String {
    let fr = lang == Lang::Fr;
    let (unit, divisor) = match bytes {
        b if b >= 1 << 30 => (if fr { "Go" } else { "GB" }, (1u64 << 30) as f64),
        b if b >= 1 << 20 => (if fr { "Mo" } else { "MB" }, (1u64 << 20) as f64),
        b if b >= 1 << 10 => (if fr { "ko" } else { "kB" }, 1024.0),
        _ => (if fr { "o" } else { "B" }, 1.0),
    };
    let value = bytes as f64 / divisor;
    let text = if divisor == 1.0 {
        format!("{bytes}")
    } else {
        format!("{value:.1}")
    };
    let text = if fr { text.replace('.', ",") } else { text };
    format!("{text} {unit}")
}
