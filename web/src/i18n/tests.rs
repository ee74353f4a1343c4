//! The catalogues checked natively: what a browser test would only catch page by page.

use std::collections::HashSet;

use pli_api::{AccountStatus, Category, ErrorCode, InvitationKind, OrgKind, Role};

use super::{
    CATALOGUES, Form, Key, Lang, PLURALS, PluralKey, attempts_hint_in, error_key, fill, form,
    is_key, is_plural_key, key, lookup, password_strength_in, plural_key, size_in,
};

const LANGS: [Lang; 2] = [Lang::Fr, Lang::En];

/// Whether `key` has a non-empty text in both languages.
fn has_both_texts(key: Key) -> bool {
    LANGS
        .iter()
        .all(|lang| lookup(*lang, key.as_str()).is_some_and(|text| !text.trim().is_empty()))
}

#[test]
fn every_error_code_has_a_french_and_an_english_text() {
    let missing: Vec<&str> = ErrorCode::ALL
        .iter()
        .filter(|code| {
            let key = error_key(**code);
            // error_key falls back to error.unknown: only Unknown itself may use it.
            (key == key!("error.unknown") && **code != ErrorCode::Unknown) || !has_both_texts(key)
        })
        .map(|code| code.as_str())
        .collect();
    assert!(missing.is_empty(), "error codes without text: {missing:?}");
}

#[test]
fn every_word_of_the_api_has_a_french_and_an_english_text() {
    let mut keys: Vec<Key> = Vec::new();
    keys.extend(Category::ALL.iter().map(|c| super::category(*c)));
    keys.extend(Category::ALL.iter().map(|c| super::compose_category(*c)));
    keys.extend(Role::ALL.iter().map(|r| super::role(*r)));
    keys.extend(Role::ALL.iter().map(|r| super::admin_role(*r)));
    keys.extend(AccountStatus::ALL.iter().map(|s| super::account_status(*s)));
    keys.extend(
        InvitationKind::ALL
            .iter()
            .map(|k| super::invitation_kind(*k)),
    );
    keys.extend(OrgKind::ALL.iter().map(|k| super::org_kind(*k)));
    keys.extend(
        pli_api::messages::ProConnectFailure::ALL
            .iter()
            .map(|f| super::proconnect_failure(*f)),
    );
    let missing: Vec<&str> = keys
        .iter()
        .filter(|key| !has_both_texts(**key))
        .map(|key| key.as_str())
        .collect();
    assert!(missing.is_empty(), "API words without text: {missing:?}");
    // Each value has its own key: a copy-paste slip in a match would show one word twice.
    let distinct: HashSet<&str> = keys.iter().map(|key| key.as_str()).collect();
    assert_eq!(distinct.len(), keys.len(), "two values share a key");
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
    for (key, fr, en) in PLURALS.iter().flat_map(|c| c.iter()) {
        assert!(
            seen.insert(*key),
            "{key} is defined twice (plain or plural)"
        );
        for text in fr.iter().chain(en) {
            assert!(!text.trim().is_empty(), "{key} has an empty form");
        }
    }
}

#[test]
fn every_plural_has_both_forms_with_the_count_in_both_languages() {
    for (key, fr, en) in PLURALS.iter().flat_map(|c| c.iter()) {
        for text in fr.iter().chain(en) {
            assert!(text.contains("{count}"), "{key}: {text:?} lacks {{count}}");
        }
        assert_ne!(fr[0], fr[1], "{key}: the French forms are the same");
        assert_ne!(en[0], en[1], "{key}: the English forms are the same");
    }
    // Hand-written plurals are gone from the catalogues.
    for (key, fr, en) in CATALOGUES.iter().flat_map(|c| c.iter()) {
        assert!(
            !(fr.contains("(s)") || en.contains("(s)")),
            "{key} writes a plural with (s): make it a plural entry"
        );
    }
}

#[test]
fn french_says_one_for_zero_and_one_english_for_one_alone() {
    assert_eq!(form(Lang::Fr, 0), Form::One);
    assert_eq!(form(Lang::Fr, 1), Form::One);
    assert_eq!(form(Lang::Fr, 2), Form::Other);
    assert_eq!(form(Lang::En, 0), Form::Other);
    assert_eq!(form(Lang::En, 1), Form::One);
    assert_eq!(form(Lang::En, 2), Form::Other);
    assert_eq!(form(Lang::Fr, u64::MAX), Form::Other);
}

#[test]
fn plural_texts_read_right_for_zero_one_and_two() {
    let files = plural_key!("exchange.expired.files");
    let text = |lang, count| fill(&files.text(lang, count), &[("size", "1 Mo")]);
    assert_eq!(text(Lang::Fr, 0), "0 fichier, 1 Mo — supprimé");
    assert_eq!(text(Lang::Fr, 1), "1 fichier, 1 Mo — supprimé");
    assert_eq!(text(Lang::Fr, 2), "2 fichiers, 1 Mo — supprimés");
    assert_eq!(text(Lang::En, 0), "0 files, 1 Mo — deleted");
    assert_eq!(text(Lang::En, 1), "1 file, 1 Mo — deleted");
    assert_eq!(text(Lang::En, 2), "2 files, 1 Mo — deleted");
}

#[test]
fn keys_are_checked_by_the_const_functions() {
    assert!(is_key("compose.title"));
    assert!(!is_key("compose.titel"));
    assert!(
        !is_key("exchange.expired.files"),
        "a plural key is not a plain one"
    );
    assert!(is_plural_key("exchange.expired.files"));
    assert!(!is_plural_key("compose.title"));
    assert_eq!(Key::checked("compose.titel"), None);
    assert_eq!(PluralKey::checked("compose.title"), None);
    assert_eq!(key!("nav.inbox").as_str(), "nav.inbox");
    assert_eq!(key!("nav.inbox").text(Lang::En), "Inbox");
    // At run time, from data: only keys the catalogues have.
    assert_eq!(
        Key::find(&format!("admin.audit.action.{}", "login.failed")),
        Some(key!("admin.audit.action.login.failed"))
    );
    assert_eq!(Key::find("admin.audit.action.teapot"), None);
}

#[test]
fn error_texts_are_the_ones_for_their_own_code() {
    assert_eq!(
        error_key(ErrorCode::InvalidCredentials).text(Lang::Fr),
        "Adresse électronique, mot de passe ou clé de compte incorrect."
    );
    assert_eq!(
        error_key(ErrorCode::InvalidCredentials).text(Lang::En),
        "Wrong e-mail address, password or account key."
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

#[test]
fn every_password_warning_and_suggestion_has_its_own_texts() {
    use pli_strength::{Suggestion, Warning};
    let mut keys: Vec<Key> = Warning::ALL.map(super::password_warning).to_vec();
    keys.extend(Suggestion::ALL.map(super::password_suggestion));
    assert!(keys.iter().all(|key| has_both_texts(*key)));
    let distinct: HashSet<&str> = keys.iter().map(|key| key.as_str()).collect();
    assert_eq!(distinct.len(), keys.len(), "two values share a key");
}

#[test]
fn the_password_hint_says_why_in_french_and_english() {
    use pli_strength::{Suggestion, Warning, WeakPassword, check_length};
    let word = Err(WeakPassword::Guessable {
        score: 1,
        warning: Some(Warning::CommonWord),
        suggestions: vec![Suggestion::AddWords],
    });
    assert_eq!(
        password_strength_in(Lang::Fr, &word),
        "Trop facile à deviner\u{a0}: c'est un mot courant. Ajoutez des mots peu communs."
    );
    assert_eq!(
        password_strength_in(Lang::En, &word),
        "Too easy to guess: it is a common word. Add uncommon words."
    );
    // Before the estimator is loaded, the length alone; one character missing reads in
    // the singular in both languages.
    let short = |lang, password| password_strength_in(lang, &check_length(password));
    assert_eq!(
        short(Lang::Fr, "motdepasse"),
        "Encore 2 caractères au moins."
    );
    assert_eq!(
        short(Lang::Fr, "motdepasse1"),
        "Encore 1 caractère au moins."
    );
    assert_eq!(short(Lang::En, "motdepasse1"), "At least 1 more character.");
}

/// What the page shows as the person types, from the estimator module's own check (run
/// natively here: the web app's module does not link zxcvbn).
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_password_hint_says_what_the_estimate_found() {
    use pli_strength::check_new_password;
    let context = ["marie.dupont@tribunal-lyon.fr", "Marie Dupont"];
    let hint = |lang, password| password_strength_in(lang, &check_new_password(password, &context));
    assert_eq!(
        hint(Lang::Fr, "motdepasse"),
        "Encore 2 caractères au moins."
    );
    assert_eq!(
        hint(Lang::En, "motdepasse12"),
        "Too easy to guess: it resembles a very common password. Add uncommon words."
    );
    assert_eq!(
        hint(Lang::Fr, "motdepasse123"),
        "Trop facile à deviner\u{a0}: il ressemble à un mot de passe très utilisé. Ajoutez des mots peu communs."
    );
    assert_eq!(
        hint(Lang::Fr, "Mariedupont1980"),
        "Trop facile à deviner\u{a0}: il reprend votre nom, votre adresse électronique ou le nom de votre service. Ajoutez des mots peu communs. Les majuscules n'aident pas beaucoup."
    );
    assert_eq!(
        hint(Lang::Fr, "aaaaaaaaaaaa"),
        "Trop facile à deviner\u{a0}: il répète des caractères ou des groupes de caractères. Ajoutez des mots peu communs. Évitez de répéter des mots ou des caractères."
    );
    assert_eq!(
        hint(Lang::Fr, "une phrase de passe assez longue"),
        "Difficile à deviner\u{a0}: ce mot de passe convient."
    );
    assert_eq!(
        hint(Lang::Fr, "motdepasse1"),
        "Encore 1 caractère au moins."
    );
}

#[test]
fn a_throttled_login_says_the_real_wait_and_warns_before_the_last_attempt() {
    use pli_api::messages::Attempts;
    let wait = |s| Attempts {
        retry_after_s: Some(s),
        ..Attempts::default()
    };
    assert_eq!(
        attempts_hint_in(Lang::Fr, &wait(14 * 60 + 5)).as_deref(),
        Some("Réessayez dans 15 minutes.")
    );
    assert_eq!(
        attempts_hint_in(Lang::Fr, &wait(61)).as_deref(),
        Some("Réessayez dans 2 minutes.")
    );
    assert_eq!(
        attempts_hint_in(Lang::Fr, &wait(1)).as_deref(),
        Some("Réessayez dans 1 seconde.")
    );
    assert_eq!(
        attempts_hint_in(Lang::En, &wait(60)).as_deref(),
        Some("Try again in 1 minute.")
    );
    let left = |n| Attempts {
        attempts_left: Some(n),
        lockout_s: Some(900),
        ..Attempts::default()
    };
    assert_eq!(attempts_hint_in(Lang::Fr, &left(3)), None, "no alarm early");
    assert_eq!(
        attempts_hint_in(Lang::Fr, &left(1)).as_deref(),
        Some(
            "Attention\u{a0}: il vous reste 1 essai\u{a0}; ensuite, la connexion depuis cet appareil sera suspendue pendant 15 minutes."
        )
    );
    assert!(
        attempts_hint_in(Lang::Fr, &left(2))
            .unwrap()
            .contains("2 essais")
    );
    assert_eq!(
        attempts_hint_in(Lang::Fr, &left(0)).as_deref(),
        Some(
            "C'était le dernier essai\u{a0}: la connexion depuis cet appareil est suspendue pendant 15 minutes."
        )
    );
    assert_eq!(attempts_hint_in(Lang::Fr, &Attempts::default()), None);
}
