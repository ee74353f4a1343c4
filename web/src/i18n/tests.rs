//! The catalogues checked natively: what a browser test would only catch page by page.

use std::collections::HashSet;

use pli_api::ErrorCode;

use super::{CATALOGUES, Lang, error_key, fill, lookup, size_in};

#[test]
fn every_error_code_has_a_french_and_an_english_text() {
    let missing: Vec<&str> = ErrorCode::ALL
        .iter()
        .filter(|code| {
            let key = error_key(**code);
            [Lang::Fr, Lang::En]
                .iter()
                .any(|lang| lookup(*lang, &key).is_none_or(str::is_empty))
        })
        .map(|code| code.as_str())
        .collect();
    assert!(missing.is_empty(), "error codes without text: {missing:?}");
}

#[test]
fn no_key_is_defined_twice_and_no_text_is_empty() {
    let mut seen = HashSet::new();
    for (key, fr, en) in CATALOGUES.iter().flat_map(|c| c.iter()) {
        assert!(seen.insert(*key), "{key} is defined twice");
        assert!(
            !fr.trim().is_empty() && !en.trim().is_empty(),
            "{key} has an empty text"
        );
    }
}

#[test]
fn error_texts_are_the_ones_for_their_own_code() {
    assert_eq!(
        lookup(Lang::Fr, &error_key(ErrorCode::InvalidCredentials)),
        Some("Adresse électronique, mot de passe ou clé de compte incorrect.")
    );
    assert_eq!(
        lookup(Lang::En, &error_key(ErrorCode::InvalidCredentials)),
        Some("Wrong e-mail address, password or account key.")
    );
    assert_eq!(lookup(Lang::Fr, "no.such.key"), None);
}

#[test]
fn sizes_read_as_french_and_english_people_write_them() {
    assert_eq!(size_in(Lang::Fr, 410), "410 o");
    assert_eq!(size_in(Lang::En, 410), "410 B");
    assert_eq!(size_in(Lang::Fr, 1536), "1,5 ko");
    assert_eq!(size_in(Lang::En, 3 << 20), "3.0 MB");
    assert_eq!(size_in(Lang::Fr, 5 << 30), "5,0 Go");
}

#[test]
fn fill_replaces_every_named_value() {
    assert_eq!(
        fill("{n} fichiers pour {who}", &[("n", "3"), ("who", "Meaux")]),
        "3 fichiers pour Meaux"
    );
}
