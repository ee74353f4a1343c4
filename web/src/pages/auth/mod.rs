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
use pli_strength::check_new_password;

pub use self::link::{Invitation, Setup};
pub use self::login::{Login, SessionEnded, Unlock};
pub use self::waiting::{MyFingerprints, Pending};
use super::ErrorBox;
use crate::app::{Auth, Ctx, Route, navigate};
use crate::i18n::t;
use crate::protocol::{SignedIn, WorkerError};

/// A form's submission.
type Submit<I> = Action<I, Result<(), WorkerError>>;

/// The error the last run of `action` ended with, hidden while it runs again.
fn last_error<I: Send + Sync + 'static>(action: Submit<I>) -> Signal<Option<WorkerError>> {
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

/// The rules a new password must pass, checked before anything is sent to the worker:
/// the worker's own ([`check_new_password`], with what the page knows of the person:
/// their address, name and organisation), then the repeat.
fn check_passwords(password: &str, repeat: &str, context: &[String]) -> Result<(), WorkerError> {
    let context: Vec<&str> = context.iter().map(String::as_str).collect();
    check_new_password(password, &context)
        .map_err(|weak| WorkerError::new(weak.code(), weak.to_string()))?;
    if password != repeat {
        return Err(WorkerError::new(ErrorCode::PasswordMismatch, ""));
    }
    Ok(())
}

/// A password error, in words.
fn password_error(error: &WorkerError) -> Option<String> {
    matches!(
        error.code,
        ErrorCode::PasswordTooShort | ErrorCode::PasswordWeak | ErrorCode::PasswordMismatch
    )
    .then(|| crate::i18n::error(error.code))
}

#[component]
fn Messages(error: Signal<Option<WorkerError>>) -> impl IntoView {
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
/// worker will check it.
#[component]
fn NewPassword(
    password: RwSignal<String>,
    repeat: RwSignal<String>,
    #[prop(into)] context: Signal<Vec<String>>,
) -> impl IntoView {
    let strength = move || {
        let password = password.get();
        if password.is_empty() {
            return String::new();
        }
        let context = context.get();
        let context: Vec<&str> = context.iter().map(String::as_str).collect();
        crate::i18n::password_strength(&check_new_password(&password, &context))
    };
    view! {
        <div class="field">
            <label for="new-password">{move || t!("password.new")}</label>
            <input id="new-password" type="password" autocomplete="new-password" required minlength="12"
                aria-describedby="password-rules password-strength"
                prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
            <p id="password-rules" class="hint">{move || t!("password.rules")}</p>
            <p id="password-strength" class="hint" data-testid="password-strength" aria-live="polite">{strength}</p>
        </div>
        <div class="field">
            <label for="repeat-password">{move || t!("password.repeat")}</label>
            <input id="repeat-password" type="password" autocomplete="new-password" required
                prop:value=move || repeat.get() on:input=move |ev| repeat.set(event_target_value(&ev)) />
        </div>
    }
}
