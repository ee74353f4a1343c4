//! The macros that check a key when the app is built: each looks it up in a `const`, so an
//! unknown key (or a plural key where a plain one is wanted, and the reverse) is a compile
//! error that names it, e.g. `unknown i18n key: compose.titel`.

/// A checked [`Key`](crate::i18n::Key): `key!("nav.inbox")`.
macro_rules! key {
    ($key:literal) => {{
        const KEY: $crate::i18n::Key = match $crate::i18n::Key::checked($key) {
            Some(key) => key,
            None if $crate::i18n::is_plural_key($key) => {
                panic!(concat!(
                    "plural i18n key used as a plain one (use tn!): ",
                    $key
                ))
            }
            None => panic!(concat!("unknown i18n key: ", $key)),
        };
        KEY
    }};
}

/// A checked [`PluralKey`](crate::i18n::PluralKey): `plural_key!("exchange.expired.files")`.
macro_rules! plural_key {
    ($key:literal) => {{
        const KEY: $crate::i18n::PluralKey = match $crate::i18n::PluralKey::checked($key) {
            Some(key) => key,
            None if $crate::i18n::is_key($key) => {
                panic!(concat!(
                    "plain i18n key used as a plural one (use t!): ",
                    $key
                ))
            }
            None => panic!(concat!("unknown plural i18n key: ", $key)),
        };
        KEY
    }};
}

/// The text of a key checked at build time, in the current language (reactive):
/// `t!("compose.title")`.
#[cfg(all(target_arch = "wasm32", feature = "page"))]
macro_rules! t {
    ($key:literal) => {
        $crate::i18n::t($crate::i18n::key!($key))
    };
}

/// The plural text of a key checked at build time for `count` (a `u64`, `u32` or
/// `usize`), `{count}` filled, in the current language (reactive):
/// `tn!("exchange.expired.files", files)`.
#[cfg(all(target_arch = "wasm32", feature = "page"))]
macro_rules! tn {
    ($key:literal, $count:expr) => {
        $crate::i18n::tn($crate::i18n::plural_key!($key), $count)
    };
}

pub(crate) use key;
pub(crate) use plural_key;
#[cfg(all(target_arch = "wasm32", feature = "page"))]
pub(crate) use {t, tn};
