//! Every string the interface shows, in French (the default) and English.
//!
//! Strings live in catalogues, one file per area of the app: each entry is
//! `(key, french, english)`, and each plural entry `(key, [french one, french other],
//! [english one, english other])`. Components never hard-code text and never spell a key
//! that the build has not checked:
//!
//! * [`t!`]`("compose.title")` is the text of a key written in the source. The macro looks
//!   the key up in the catalogues *at compile time* (a `const`, [`Key::checked`]): a typo,
//!   or a plural key, fails the build with `unknown i18n key: …`;
//! * [`tn!`]`("exchange.expired.files", count)` is a plural text with `{count}` filled,
//!   its form chosen by the language's CLDR rule ([`form`]); a key that is not plural
//!   fails the build;
//! * [`key!`]`("nav.inbox")` is a checked [`Key`], for keys that travel in variables and
//!   props; [`t`] takes one. Keys that depend on a value of the API are total functions of
//!   its enums ([`category`], [`role`], [`error_key`]…), checked by unit tests; keys named
//!   by data from the relay (audit actions) are found at run time with [`Key::find`],
//!   which returns `None` for a key the catalogues lack, so the caller shows the raw word.
//!
//! The catalogues and the lookups are plain data and compile natively, where unit tests
//! check them (every API word has both texts, no key twice, no empty text, plural forms in
//! both languages); the reactive part (the language signal, [`t`]) is the browser's.

use std::collections::HashMap;

use pli_strength::WeakPassword;

mod admin;
mod auth;
mod common;
mod compose;
mod errors;
mod exchange;
mod inbox;
mod keys;
mod macros;
mod platform;
mod proconnect;
mod vocab;

pub use keys::{is_key, is_plural_key};
pub(crate) use macros::{key, plural_key};
#[cfg(all(target_arch = "wasm32", feature = "page"))]
pub(crate) use macros::{t, tn};
pub use vocab::*;

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

/// A text that depends on a number: `(key, [french one, french other], [english one,
/// english other])`, each form with `{count}` where the number goes.
type PluralEntry = (&'static str, [&'static str; 2], [&'static str; 2]);

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
    admin::log_policy::ENTRIES,
    admin::post_quantum::ENTRIES,
    admin::retention::ENTRIES,
    admin::second_factor::ENTRIES,
    admin::audit::ENTRIES,
    platform::ENTRIES,
    proconnect::ENTRIES,
];

const PLURALS: &[&[PluralEntry]] = &[
    auth::PLURALS,
    exchange::PLURALS,
    inbox::PLURALS,
    compose::PLURALS,
    admin::members::PLURALS,
    admin::retention::PLURALS,
    admin::log_policy::PLURALS,
    admin::second_factor::PLURALS,
    admin::audit::PLURALS,
    platform::PLURALS,
];

thread_local! {
    static INDEX: HashMap<&'static str, (&'static str, &'static str)> =
        CATALOGUES.iter().flat_map(|c| c.iter()).map(|(k, fr, en)| (*k, (*fr, *en))).collect();
}

/// A key that the catalogues have a plain text for: made by [`key!`] (checked when the
/// app is built) or [`Key::find`] (checked at run time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key(&'static str);

impl Key {
    /// `key`, if the catalogues have a plain text for it. [`key!`] and [`t!`] call it in a
    /// `const`, so that an unknown key fails the build.
    pub const fn checked(key: &'static str) -> Option<Self> {
        if is_key(key) { Some(Self(key)) } else { None }
    }

    /// The key spelled `key` (built at run time from data), if the catalogues have it.
    pub fn find(key: &str) -> Option<Self> {
        INDEX.with(|index| index.get_key_value(key).map(|(key, _)| Self(key)))
    }

    /// The key as written in the catalogues.
    pub const fn as_str(self) -> &'static str {
        self.0
    }

    /// Its text in `lang`.
    pub fn text(self, lang: Lang) -> &'static str {
        lookup(lang, self.0).unwrap_or(self.0)
    }
}

/// A key that the catalogues have a plural text for: made by [`plural_key!`] or [`tn!`],
/// checked when the app is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PluralKey(&'static str);

impl PluralKey {
    /// `key`, if the catalogues have a plural text for it (see [`Key::checked`]).
    pub const fn checked(key: &'static str) -> Option<Self> {
        if is_plural_key(key) {
            Some(Self(key))
        } else {
            None
        }
    }

    /// The key as written in the catalogues.
    pub const fn as_str(self) -> &'static str {
        self.0
    }

    /// Its text in `lang` for `count`, `{count}` filled.
    pub fn text(self, lang: Lang, count: u64) -> String {
        let forms = PLURALS
            .iter()
            .flat_map(|c| c.iter())
            .find(|(name, _, _)| *name == self.0)
            .map(|(_, fr, en)| if lang == Lang::Fr { fr } else { en });
        let Some([one, other]) = forms else {
            return self.0.to_owned();
        };
        let template = match form(lang, count) {
            Form::One => one,
            Form::Other => other,
        };
        template.replace("{count}", &count.to_string())
    }
}

/// The two plural forms the catalogues write (CLDR's `one` and `other`; French and
/// English have no others for whole numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// "1 fichier", "0 fichier"; "1 file".
    One,
    /// "2 fichiers"; "0 files", "2 files".
    Other,
}

/// The form for `count` in `lang`, by CLDR's rules for whole numbers: French says `one`
/// for 0 and 1, English for 1 alone.
pub const fn form(lang: Lang, count: u64) -> Form {
    let one = match lang {
        Lang::Fr => count <= 1,
        Lang::En => count == 1,
    };
    if one { Form::One } else { Form::Other }
}

/// A number that a plural text counts (see [`tn!`]).
pub trait Count {
    /// The number, widened.
    fn count(self) -> u64;
}

impl Count for u64 {
    fn count(self) -> u64 {
        self
    }
}

impl Count for u32 {
    fn count(self) -> u64 {
        self.into()
    }
}

impl Count for usize {
    fn count(self) -> u64 {
        u64::try_from(self).unwrap_or(u64::MAX)
    }
}

/// The text for `key` in `lang`, if the catalogues have it.
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    INDEX.with(|index| {
        index
            .get(key)
            .map(|(fr, en)| if lang == Lang::Fr { *fr } else { *en })
    })
}

/// What the hint under a new password says, in `lang`, of what the rule found
/// (`pli_strength`'s `check_new_password`, or `check_length` alone): how many characters
/// are missing, or why it is too easy to guess and what would help (« Trop facile à
/// deviner : c'est un mot courant. Ajoutez des mots peu communs. »), or that it will do.
pub fn password_strength_in(lang: Lang, checked: &Result<(), WeakPassword>) -> String {
    let weak = match checked {
        Ok(()) => return key!("password.strength.good").text(lang).to_owned(),
        Err(weak) => weak,
    };
    match weak {
        WeakPassword::TooShort { missing } => {
            plural_key!("password.strength.short").text(lang, (*missing).count())
        }
        WeakPassword::Guessable {
            warning,
            suggestions,
            ..
        } => {
            let mut text = match warning {
                Some(warning) => fill(
                    key!("password.strength.weak_because").text(lang),
                    &[("reason", password_warning(*warning).text(lang))],
                ),
                None => key!("password.strength.weak").text(lang).to_owned(),
            };
            for suggestion in suggestions {
                text.push(' ');
                text.push_str(password_suggestion(*suggestion).text(lang));
            }
            text
        }
        other => error_key(other.code()).text(lang).to_owned(),
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

/// What a person is told about login throttling after `code`'s text: the real wait
/// (`rate_limited`), or, after a failed attempt, a warning when two or fewer are left.
pub fn attempts_hint_in(lang: Lang, attempts: &pli_api::messages::Attempts) -> Option<String> {
    let plural = |key: &'static str, count: u64| {
        PluralKey::checked(key).map_or_else(String::new, |k| k.text(lang, count))
    };
    if let Some(seconds) = attempts.retry_after_s {
        return Some(if seconds < 60 {
            plural("attempts.wait.seconds", seconds)
        } else {
            plural("attempts.wait.minutes", seconds.div_ceil(60))
        });
    }
    let (left, lockout) = (attempts.attempts_left?, attempts.lockout_s?);
    let minutes = lockout.div_ceil(60).to_string();
    match left {
        0 => lookup(lang, "attempts.none").map(|t| fill(t, &[("minutes", &minutes)])),
        1 | 2 => Some(fill(
            &plural("attempts.left", left),
            &[("minutes", &minutes)],
        )),
        _ => None,
    }
}
