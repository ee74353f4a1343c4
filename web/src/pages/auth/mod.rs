//! Logging in ([`login`]: the login form, unlocking the keys after a reload, logging in
//! again when the relay ended the session), the one-time links ([`link`]: setting up the
//! platform, accepting an invitation or a reset), and waiting for certification
//! ([`waiting`]).
//!
//! Each form's submission is a Leptos [`Action`]: its `pending()` is the form's busy
//! state and the error of its last run is the form's message, so that a form cannot be
//! busy and failed at once, nor show the error of an attempt before the one running.

pub mod link;
pub mod login;
pub mod waiting;

use leptos::prelude::*;
use pli_api::ErrorCode;
use pli_strength::{WeakPassword, check_length};

pub use self::link::{Invitation, Setup};
pub use self::login::{Login, SessionEnded, Unlock};
pub use self::waiting::{MyFingerprints, Pending};
use super::ErrorBox;
use crate::app::{Auth, Ctx, Route, navigate};
use crate::i18n::{key, t};
use crate::protocol::{SignedIn, WorkerError};
use crate::strength::{self, Unavailable};

/// Logs out. A session that began with ProConnect goes on to end the ProConnect session
/// too (its end-session page, which comes back to Pli's front page): true when the page
/// is leaving for it, and the caller has nothing more to do.
pub async fn log_out() -> bool {
    let next = crate::bridge::call(crate::protocol::Logout)
        .await
        .ok()
        .flatten();
    match (next, web_sys::window()) {
        (Some(url), Some(window)) => window.location().assign(&url).is_ok(),
        _ => false,
    }
}

/// A form's submission.
pub(crate) type Submit<I> = Action<I, Result<(), WorkerError>>;

/// The error the last run of `action` ended with, hidden while it runs again.
pub(crate) fn last_error<I: Send + Sync + 'static>(
    action: Submit<I>,
) -> Signal<Option<WorkerError>> {
    Signal::derive(move || {
        if action.pending().get() {
            None
        } else {
            action.value().get().and_then(Result::err)
        }
    })
}

fn after_login(ctx: Ctx, signed: SignedIn) {
    let me = signed.me;
    ctx.auth.set(Auth::Ready(Box::new(me.clone())));
    // A new account key: the kit de secours before anything else.
    if signed.kit_due {
        navigate(&Route::Kit);
        return;
    }
    // A page asked for a log-in (the session had ended, a bookmarked exchange): stay on
    // it. From the login form or a one-time link, go home.
    if !matches!(
        ctx.route.get_untracked(),
        Route::Login | Route::Setup(_) | Route::Invitation(_)
    ) {
        return;
    }
    navigate(&Route::home(me.role));
}

/// The rules a new password must pass, checked before anything is sent to the worker
/// (which, built without zxcvbn, checks the length only): the length, then zxcvbn's
/// estimate with what the page knows of the person (their address, name and
/// organisation), then the repeat. The estimate waits for the estimator module, up to
/// [`strength::SUBMIT_TIMEOUT`]; a module that cannot be loaded refuses the submission
/// (`password_check_unavailable`): a password is never accepted unjudged.
pub(crate) async fn check_passwords(
    password: String,
    repeat: String,
    context: Vec<String>,
) -> Result<(), WorkerError> {
    let refused = |weak: WeakPassword| WorkerError::new(weak.code(), weak.to_string());
    let unavailable =
        |Unavailable(detail)| WorkerError::new(ErrorCode::PasswordCheckUnavailable, detail);
    check_length(&password).map_err(refused)?;
    let estimator = strength::load_within(strength::SUBMIT_TIMEOUT)
        .await
        .map_err(unavailable)?;
    estimator
        .check(&password, &context)
        .map_err(unavailable)?
        .map_err(refused)?;
    if password != repeat {
        return Err(WorkerError::new(ErrorCode::PasswordMismatch, ""));
    }
    Ok(())
}

/// A password error, in words.
fn password_error(error: &WorkerError) -> Option<String> {
    matches!(
        error.code,
        ErrorCode::PasswordTooShort
            | ErrorCode::PasswordWeak
            | ErrorCode::PasswordCheckUnavailable
            | ErrorCode::PasswordMismatch
    )
    .then(|| crate::i18n::error(error.code))
}

#[component]
pub(crate) fn Messages(error: Signal<Option<WorkerError>>) -> impl IntoView {
    move || match error.get() {
        Some(e) if password_error(&e).is_some() => Some(
            view! { <div class="alert error" role="alert"><p>{password_error(&e)}</p></div> }
                .into_any(),
        ),
        Some(_) => Some(view! { <ErrorBox error=error /> }.into_any()),
        None => None,
    }
}

/// A form to choose a password twice: the rule before anything is typed, and under the
/// field, as it is typed, whether the password passes it and, if not, why (read out
/// politely by screen readers). `context` is what the page knows of the person, as the
/// submission will check it.
///
/// The estimator module starts loading when the form is shown. Until it is there (or if
/// it cannot be loaded) the hint says only how many characters are missing, and nothing
/// once there are enough; the submission waits for it (see `check_passwords`).
#[component]
pub(crate) fn NewPassword(
    password: RwSignal<String>,
    repeat: RwSignal<String>,
    #[prop(into)] context: Signal<Vec<String>>,
    /// A root file's passphrase rather than the account's password: its own labels
    /// and field names (so that a password manager does not take it for the password).
    #[prop(optional)]
    passphrase: bool,
) -> impl IntoView {
    let estimator = LocalResource::new(strength::load);
    let strength = move || {
        let password = password.get();
        if password.is_empty() {
            return String::new();
        }
        if let Err(short) = check_length(&password) {
            return crate::i18n::password_strength(&Err(short));
        }
        match estimator.get() {
            Some(Ok(estimator)) => estimator
                .check(&password, &context.get())
                .map(|verdict| crate::i18n::password_strength(&verdict))
                .unwrap_or_default(),
            // Still loading, or it could not load: nothing more to say until it is.
            Some(Err(_)) | None => String::new(),
        }
    };
    let (id, labels, autocomplete) = if passphrase {
        (
            "root-passphrase",
            [
                key!("root.passphrase"),
                key!("root.passphrase.rules"),
                key!("root.passphrase.repeat"),
            ],
            "off",
        )
    } else {
        (
            "new-password",
            [
                key!("password.new"),
                key!("password.rules"),
                key!("password.repeat"),
            ],
            "new-password",
        )
    };
    let [label, rules, again] = labels;
    let repeat_id = if passphrase {
        "root-passphrase-repeat"
    } else {
        "repeat-password"
    };
    view! {
        <div class="field">
            <label for=id>{move || t(label)}</label>
            <input id=id type="password" autocomplete=autocomplete required minlength="12"
                aria-describedby=format!("{id}-rules {id}-strength")
                prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
            <p id=format!("{id}-rules") class="hint">{move || t(rules)}</p>
            <p id=format!("{id}-strength") class="hint" data-testid=if passphrase { "passphrase-strength" } else { "password-strength" }
                aria-live="polite">{strength}</p>
        </div>
        <div class="field">
            <label for=repeat_id>{move || t(again)}</label>
            <input id=repeat_id type="password" autocomplete=autocomplete required
                prop:value=move || repeat.get() on:input=move |ev| repeat.set(event_target_value(&ev)) />
        </div>
    }
}
