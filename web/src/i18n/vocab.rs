//! The keys for the words of the API: total functions of its enums, so that a text never
//! depends on a key built with `format!` (the unit tests check that every value has its
//! texts in both languages).
//!
//! The catalogues name each notion with one word, in both languages:
//!
//! | notion | français | English |
//! |---|---|---|
//! | one sealed sending (files and message) | pli | exchange |
//! | a court's or a Département's unit on the platform | service | service |
//! | the key shared by a service's members | clé du service | service key |
//! | what unlocks a person's keys with the password | clé de compte | account key |
//! | the printed page that carries it | kit de secours | recovery kit |
//! | TOTP | double authentification | two-factor authentication (turn on / off) |
//! | the key that certifies services and administrators | clé racine (de la plateforme) | (platform) root key |
//! | its fingerprint | empreinte de la plateforme | platform fingerprint |
//! | a new key replacing the current one | renouveler la clé | renew the key |
//! | the computer or phone in use | appareil | device |
//! | sending, as a noun | envoi | sending, transfer |
//!
//! French texts put a no-break space (`\u{a0}`) before « : ; ? ! » and inside « », and
//! write the straight apostrophe '; English texts quote with “ ”.

use pli_api::{AccountStatus, Category, ErrorCode, InvitationKind, OrgKind, Role};
use pli_strength::{Suggestion, Warning};

use super::{Key, key};

/// How an exchange's category reads on the exchange page.
pub const fn category(category: Category) -> Key {
    match category {
        Category::Signalement => key!("exchange.category.signalement"),
        Category::Rapport => key!("exchange.category.rapport"),
        Category::Decision => key!("exchange.category.decision"),
        Category::DemandeEvaluation => key!("exchange.category.demande_evaluation"),
        Category::Autre => key!("exchange.category.autre"),
    }
}

/// How a category reads in the send form's list (more explicit in English).
pub const fn compose_category(category: Category) -> Key {
    match category {
        Category::Signalement => key!("compose.category.signalement"),
        Category::Rapport => key!("compose.category.rapport"),
        Category::Decision => key!("compose.category.decision"),
        Category::DemandeEvaluation => key!("compose.category.demande_evaluation"),
        Category::Autre => key!("compose.category.autre"),
    }
}

/// A role at the end of a sentence, with its preposition (« … en tant qu'administrateur du
/// service », "… as a service administrator"): French elides « que » before a vowel, so the
/// sentence cannot hold it.
pub const fn role(role: Role) -> Key {
    match role {
        Role::Member => key!("role.member"),
        Role::OrgAdmin => key!("role.org_admin"),
        Role::PlatformAdmin => key!("role.platform_admin"),
    }
}

/// A role as the admin pages' tables and audit log show it.
pub const fn admin_role(role: Role) -> Key {
    match role {
        Role::Member => key!("admin.role.member"),
        Role::OrgAdmin => key!("admin.role.org_admin"),
        Role::PlatformAdmin => key!("admin.role.platform_admin"),
    }
}

/// An account's status in the members table.
pub const fn account_status(status: AccountStatus) -> Key {
    match status {
        AccountStatus::Pending => key!("admin.status.pending"),
        AccountStatus::Active => key!("admin.status.active"),
        AccountStatus::Removed => key!("admin.status.removed"),
    }
}

/// An invitation's kind in the invitations table.
pub const fn invitation_kind(kind: InvitationKind) -> Key {
    match kind {
        InvitationKind::Setup => key!("admin.invitation.setup"),
        InvitationKind::Join => key!("admin.invitation.join"),
        InvitationKind::Reset => key!("admin.invitation.reset"),
    }
}

/// An organisation's kind.
pub const fn org_kind(kind: OrgKind) -> Key {
    match kind {
        OrgKind::Court => key!("platform.kind.court"),
        OrgKind::Departement => key!("platform.kind.departement"),
        OrgKind::Platform => key!("platform.kind.platform"),
    }
}

/// Why a ProConnect sign-in did not go through, as the login page says it.
pub const fn proconnect_failure(failure: pli_api::messages::ProConnectFailure) -> Key {
    use pli_api::messages::ProConnectFailure as F;
    match failure {
        F::Unavailable => key!("proconnect.failure.unavailable"),
        F::Busy => key!("proconnect.failure.busy"),
        F::StateUnknown => key!("proconnect.failure.state_unknown"),
        F::StateExpired => key!("proconnect.failure.state_expired"),
        F::BrowserMismatch => key!("proconnect.failure.browser_mismatch"),
        F::ProviderRefused => key!("proconnect.failure.provider_refused"),
        F::CodeRefused => key!("proconnect.failure.code_refused"),
        F::TokenInvalid => key!("proconnect.failure.token_invalid"),
        F::NonceMismatch => key!("proconnect.failure.nonce_mismatch"),
        F::AcrInsufficient => key!("proconnect.failure.acr_insufficient"),
        F::SiretRefused => key!("proconnect.failure.siret_refused"),
        F::UnknownAccount => key!("proconnect.failure.unknown_account"),
        F::LinkedElsewhere => key!("proconnect.failure.linked_elsewhere"),
    }
}

/// Why a new password is easy to guess, as the end of "Trop facile à deviner : …".
pub const fn password_warning(warning: Warning) -> Key {
    match warning {
        Warning::CommonPassword => key!("password.warning.common_password"),
        Warning::CommonWord => key!("password.warning.common_word"),
        Warning::Name => key!("password.warning.name"),
        Warning::PersonalDetails => key!("password.warning.personal_details"),
        Warning::KeyboardPattern => key!("password.warning.keyboard_pattern"),
        Warning::Repeat => key!("password.warning.repeat"),
        Warning::Sequence => key!("password.warning.sequence"),
        Warning::Date => key!("password.warning.date"),
    }
}

/// What would make a new password harder to guess, as a sentence.
pub const fn password_suggestion(suggestion: Suggestion) -> Key {
    match suggestion {
        Suggestion::AddWords => key!("password.suggestion.add_words"),
        Suggestion::Capitals => key!("password.suggestion.capitals"),
        Suggestion::Reversed => key!("password.suggestion.reversed"),
        Suggestion::Substitutions => key!("password.suggestion.substitutions"),
        Suggestion::AvoidKeyboardPatterns => key!("password.suggestion.avoid_keyboard_patterns"),
        Suggestion::AvoidRepeats => key!("password.suggestion.avoid_repeats"),
        Suggestion::AvoidSequences => key!("password.suggestion.avoid_sequences"),
        Suggestion::AvoidDates => key!("password.suggestion.avoid_dates"),
    }
}

/// The catalogue key that explains `code`: `error.<code>`, or `error.unknown` for a code
/// without its own text (the unit tests check that there is none).
pub fn error_key(code: ErrorCode) -> Key {
    Key::find(&format!("error.{code}")).unwrap_or(key!("error.unknown"))
}
