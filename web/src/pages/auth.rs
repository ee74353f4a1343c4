//! Logging in, setting up the platform, accepting an invitation, unlocking the keys after
//! a reload, and waiting for certification.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use pli_api::ErrorCode;
use pli_api::messages::{InvitationInfo, Me};

use super::dialog::Dialog;
use super::{ErrorBox, remember_root};
use crate::app::{Auth, Ctx, Route, navigate};
use crate::i18n::{self, fill, t};
use crate::protocol::{Fingerprints, WorkerError};

fn after_login(ctx: Ctx, me: Me) {
    ctx.auth.set(Auth::Ready(Box::new(me.clone())));
    leptos::task::spawn_local(remember_root());
    // A page asked for a log-in (the session had ended, a bookmarked exchange): stay on
    // it. From the login form or a one-time link, go home.
    if !matches!(
        ctx.route.get_untracked(),
        Route::Login | Route::Setup(_) | Route::Invitation(_)
    ) {
        return;
    }
    let next = if me.role == pli_api::Role::PlatformAdmin {
        Route::Platform
    } else {
        Route::Inbox
    };
    navigate(&next);
}

/// Password rules checked before anything is sent to the worker.
fn check_passwords(password: &str, repeat: &str) -> Result<(), WorkerError> {
    if password.chars().count() < 12 {
        return Err(WorkerError::new(ErrorCode::PasswordTooShort, ""));
    }
    if password != repeat {
        return Err(WorkerError::new(ErrorCode::PasswordMismatch, ""));
    }
    Ok(())
}

/// A password error, in words.
fn password_error(error: &WorkerError) -> Option<String> {
    matches!(
        error.code,
        ErrorCode::PasswordTooShort | ErrorCode::PasswordMismatch
    )
    .then(|| crate::i18n::error(error.code))
}

#[component]
fn Messages(error: ReadSignal<Option<WorkerError>>) -> impl IntoView {
    move || match error.get() {
        Some(e) if password_error(&e).is_some() => Some(
            view! { <div class="alert error" role="alert"><p>{password_error(&e)}</p></div> }
                .into_any(),
        ),
        Some(_) => Some(view! { <ErrorBox error=error /> }.into_any()),
        None => None,
    }
}

#[component]
pub fn Login() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (email, set_email) = signal(String::new());
    let (password, set_password) = signal(String::new());
    let (totp, set_totp) = signal(String::new());
    let (need_totp, set_need_totp) = signal(false);
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<WorkerError>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        set_busy.set(true);
        set_error.set(None);
        leptos::task::spawn_local(async move {
            let totp = totp.get_untracked();
            let request = crate::protocol::Login {
                email: email.get_untracked(),
                password: password.get_untracked(),
                totp: if totp.is_empty() { None } else { Some(totp) },
                pinned_root: super::pinned_root(),
            };
            match crate::bridge::call(request).await {
                Ok(me) => after_login(ctx, me),
                Err(e) => {
                    if e.code == ErrorCode::TotpRequired {
                        set_need_totp.set(true);
                    }
                    set_error.set(Some(e));
                }
            }
            set_busy.set(false);
        });
    };
    view! {
        <section class="card narrow">
            <h1>{move || t!("login.title")}</h1>
            <p class="lead">{move || t!("app.tagline")}</p>
            <form on:submit=submit>
                <div class="field">
                    <label for="login-email">{move || t!("login.email")}</label>
                    <input id="login-email" type="email" autocomplete="username" required
                        prop:value=email on:input=move |ev| set_email.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="login-password">{move || t!("login.password")}</label>
                    <input id="login-password" type="password" autocomplete="current-password" required
                        prop:value=password on:input=move |ev| set_password.set(event_target_value(&ev)) />
                </div>
                <Show when=move || need_totp.get()>
                    <div class="field">
                        <label for="login-totp">{move || t!("login.totp")}</label>
                        <input id="login-totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required
                            prop:value=totp on:input=move |ev| set_totp.set(event_target_value(&ev)) />
                    </div>
                </Show>
                <Messages error=error />
                {move || error.get().filter(|e| e.code == ErrorCode::InvalidCredentials).map(|_| view! {
                    <p class="hint" data-testid="forgot-password">{move || t!("login.forgot")}</p>
                })}
                <button type="submit" class="primary" disabled=busy>{move || t!("login.submit")}</button>
                <Show when=move || busy.get()>
                    <p role="status" class="hint">{move || t!("login.deriving")}</p>
                </Show>
            </form>
        </section>
    }
}

#[component]
pub fn Unlock(me: Me) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (password, set_password) = signal(String::new());
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<WorkerError>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        set_busy.set(true);
        set_error.set(None);
        leptos::task::spawn_local(async move {
            let request = crate::protocol::Unlock {
                password: password.get_untracked(),
                pinned_root: super::pinned_root(),
            };
            match crate::bridge::call(request).await {
                Ok(me) => ctx.auth.set(Auth::Ready(Box::new(me))),
                Err(e) => set_error.set(Some(e)),
            }
            set_busy.set(false);
        });
    };
    let other = move |_| {
        leptos::task::spawn_local(async move {
            let _ = crate::bridge::call(crate::protocol::Logout).await;
            ctx.auth.set(Auth::Anonymous);
        });
    };
    view! {
        <section class="card narrow">
            <h1>{move || t!("unlock.title")}</h1>
            <p>{move || t!("unlock.help")}</p>
            <p class="who"><strong>{me.display_name.clone()}</strong> " — " {me.email.clone()}</p>
            <form on:submit=submit>
                <input type="email" autocomplete="username" hidden prop:value=me.email.clone() />
                <div class="field">
                    <label for="unlock-password">{move || t!("login.password")}</label>
                    <input id="unlock-password" type="password" autocomplete="current-password" required
                        prop:value=password on:input=move |ev| set_password.set(event_target_value(&ev)) />
                </div>
                <ErrorBox error=error />
                <button type="submit" class="primary" disabled=busy>{move || t!("unlock.submit")}</button>
            </form>
            <button type="button" class="link" on:click=other>{move || t!("unlock.other")}</button>
        </section>
    }
}

/// A form to choose a password twice.
#[component]
fn NewPassword(password: RwSignal<String>, repeat: RwSignal<String>) -> impl IntoView {
    view! {
        <div class="field">
            <label for="new-password">{move || t!("password.new")}</label>
            <input id="new-password" type="password" autocomplete="new-password" required minlength="12"
                aria-describedby="password-rules"
                prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
            <p id="password-rules" class="hint">{move || t!("password.rules")}</p>
        </div>
        <div class="field">
            <label for="repeat-password">{move || t!("password.repeat")}</label>
            <input id="repeat-password" type="password" autocomplete="new-password" required
                prop:value=move || repeat.get() on:input=move |ev| repeat.set(event_target_value(&ev)) />
        </div>
    }
}

#[component]
pub fn Setup(token: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (email, set_email) = signal(String::new());
    let (name, set_name) = signal(String::new());
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<WorkerError>);
    let token_for_lookup = token.clone();
    leptos::task::spawn_local(async move {
        if let Err(e) = crate::bridge::call(crate::protocol::LookupSetup {
            token: token_for_lookup,
        })
        .await
        {
            set_error.set(Some(e));
        }
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Err(e) = check_passwords(&password.get_untracked(), &repeat.get_untracked()) {
            set_error.set(Some(e));
            return;
        }
        set_busy.set(true);
        set_error.set(None);
        let token = token.clone();
        leptos::task::spawn_local(async move {
            let request = crate::protocol::Setup {
                token,
                email: email.get_untracked(),
                display_name: name.get_untracked(),
                password: password.get_untracked(),
            };
            match crate::bridge::call(request).await {
                Ok(me) => after_login(ctx, me),
                Err(e) => set_error.set(Some(e)),
            }
            set_busy.set(false);
        });
    };
    view! {
        <section class="card narrow">
            <h1>{move || t!("setup.title")}</h1>
            <p>{move || t!("setup.help")}</p>
            <form on:submit=submit>
                <div class="field">
                    <label for="setup-name">{move || t!("setup.name")}</label>
                    <input id="setup-name" autocomplete="name" required
                        prop:value=name on:input=move |ev| set_name.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="setup-email">{move || t!("login.email")}</label>
                    <input id="setup-email" type="email" autocomplete="username" required
                        prop:value=email on:input=move |ev| set_email.set(event_target_value(&ev)) />
                </div>
                <NewPassword password=password repeat=repeat />
                <Messages error=error />
                <button type="submit" class="primary" disabled=busy>{move || t!("setup.submit")}</button>
                <Show when=move || busy.get()>
                    <p role="status" class="hint">{move || t!("setup.generating")}</p>
                </Show>
            </form>
        </section>
    }
}

#[component]
pub fn Invitation(token: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (info, set_info) = signal(None::<InvitationInfo>);
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<WorkerError>);
    let token_for_lookup = token.clone();
    leptos::task::spawn_local(async move {
        match crate::bridge::call(crate::protocol::LookupInvitation {
            token: token_for_lookup,
        })
        .await
        {
            Ok(i) => set_info.set(Some(i)),
            Err(e) => set_error.set(Some(e)),
        }
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Err(e) = check_passwords(&password.get_untracked(), &repeat.get_untracked()) {
            set_error.set(Some(e));
            return;
        }
        set_busy.set(true);
        set_error.set(None);
        let token = token.clone();
        leptos::task::spawn_local(async move {
            let request = crate::protocol::Accept {
                token,
                password: password.get_untracked(),
            };
            match crate::bridge::call(request).await {
                Ok(me) => after_login(ctx, me),
                Err(e) => set_error.set(Some(e)),
            }
            set_busy.set(false);
        });
    };
    let intro = move || {
        info.get().map(|i| {
            let org = i.org_name.clone().unwrap_or_default();
            let text = if i.kind == pli_api::InvitationKind::Reset {
                fill(&t!("invitation.reset"), &[("org", &org)])
            } else {
                fill(
                    &t!("invitation.intro"),
                    &[("org", &org), ("role", &t(i18n::role(i.role)))],
                )
            };
            view! {
                <p>{text}</p>
                <p class="who"><strong>{i.display_name.clone()}</strong> " — " {i.email.clone()}</p>
            }
        })
    };
    view! {
        <section class="card narrow">
            <h1>{move || {
                let reset = info.get().is_some_and(|i| i.kind == pli_api::InvitationKind::Reset);
                if reset { t!("invitation.reset.title") } else { t!("invitation.title") }
            }}</h1>
            {intro}
            <Show when=move || info.get().is_some()>
                <form on:submit=submit.clone()>
                    <input type="email" autocomplete="username" hidden prop:value=move || info.get().map(|i| i.email).unwrap_or_default() />
                    <NewPassword password=password repeat=repeat />
                    <button type="submit" class="primary" disabled=busy>{move || t!("invitation.submit")}</button>
                    <Show when=move || busy.get()>
                        <p role="status" class="hint">{move || t!("setup.generating")}</p>
                    </Show>
                </form>
            </Show>
            <Messages error=error />
        </section>
    }
}

/// Shows my fingerprints (to read to an administrator).
#[component]
pub fn MyFingerprints() -> impl IntoView {
    let (prints, set_prints) = signal(None::<Fingerprints>);
    leptos::task::spawn_local(async move {
        if let Ok(p) = crate::bridge::call(crate::protocol::MyFingerprints).await {
            set_prints.set(Some(p));
        }
    });
    move || {
        prints.get().map(|p| {
            view! {
                <dl class="fingerprints">
                    <dt>{move || t!("fingerprint.mine.signing")}</dt>
                    <dd><code data-testid="my-signing-fingerprint">{p.signing.clone()}</code></dd>
                    <dt>{move || t!("fingerprint.mine.encryption")}</dt>
                    <dd><code data-testid="my-encryption-fingerprint">{p.encryption.clone()}</code></dd>
                    <dt>{move || t!("fingerprint.root")}</dt>
                    <dd><code>{p.root.clone()}</code></dd>
                </dl>
                <p class="hint">{move || t!("fingerprint.help")}</p>
            }
        })
    }
}

#[component]
pub fn Pending() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (error, set_error) = signal(None::<WorkerError>);
    let refresh = move |_| {
        leptos::task::spawn_local(async move {
            match crate::bridge::call(crate::protocol::Refresh).await {
                Ok(me) => ctx.auth.set(Auth::Ready(Box::new(me))),
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card narrow">
            <h1>{move || t!("pending.title")}</h1>
            <p>{move || t!("pending.help")}</p>
            <MyFingerprints />
            <ErrorBox error=error />
            <button type="button" class="primary" data-testid="pending-refresh" on:click=refresh>{move || t!("pending.refresh")}</button>
        </section>
    }
}

/// Asked over the page when the relay ended the session (logged out elsewhere, timed
/// out, access removed): the password (and TOTP code) opens a new session for the same
/// account and the page stays as it was, its forms filled in; whatever failed can be
/// done again. Another account can log in instead, from the login page.
#[component]
pub fn SessionEnded() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let open = ctx.session_ended;
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let (need_totp, set_need_totp) = signal(false);
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<WorkerError>);
    let who = move || match ctx.auth.get() {
        Auth::Ready(me) | Auth::Locked(me) => Some(*me),
        _ => None,
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(before) = who() else {
            return;
        };
        set_busy.set(true);
        set_error.set(None);
        leptos::task::spawn_local(async move {
            let totp = code.get_untracked();
            let request = crate::protocol::Login {
                email: before.email,
                password: password.get_untracked(),
                totp: if totp.is_empty() { None } else { Some(totp) },
                pinned_root: super::pinned_root(),
            };
            match crate::bridge::call(request).await {
                Ok(me) => {
                    password.set(String::new());
                    code.set(String::new());
                    set_need_totp.set(false);
                    // The same account as before: leave the page untouched.
                    if !matches!(ctx.auth.get_untracked(), Auth::Ready(ref m) if **m == me) {
                        ctx.auth.set(Auth::Ready(Box::new(me)));
                    }
                    open.set(false);
                    ctx.restored.update(|n| *n += 1);
                }
                Err(e) => {
                    if e.code == ErrorCode::TotpRequired {
                        set_need_totp.set(true);
                    }
                    set_error.set(Some(e));
                }
            }
            set_busy.set(false);
        });
    };
    let other = move |_| {
        leptos::task::spawn_local(async move {
            let _ = crate::bridge::call(crate::protocol::Logout).await;
            open.set(false);
            ctx.auth.set(Auth::Anonymous);
            navigate(&Route::Login);
        });
    };
    let closed = Callback::new(move |()| set_error.set(None));
    view! {
        <Dialog open=open labelled_by="session-ended-title".to_owned() on_close=closed>
            <form on:submit=submit data-testid="session-ended">
                <h2 id="session-ended-title">{move || t!("session.ended.title")}</h2>
                <p>{move || t!("session.ended.help")}</p>
                {move || who().map(|me| view! {
                    <p class="who"><strong>{me.display_name.clone()}</strong> " — " {me.email.clone()}</p>
                })}
                <input type="email" autocomplete="username" hidden
                    prop:value=move || who().map(|me| me.email).unwrap_or_default() />
                <div class="field">
                    <label for="relogin-password">{move || t!("login.password")}</label>
                    <input id="relogin-password" type="password" autocomplete="current-password" required
                        autofocus prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev)) />
                </div>
                <Show when=move || need_totp.get()>
                    <div class="field">
                        <label for="relogin-totp">{move || t!("login.totp")}</label>
                        <input id="relogin-totp" inputmode="numeric" autocomplete="one-time-code"
                            pattern="[0-9]{6}" required prop:value=move || code.get()
                            on:input=move |ev| code.set(event_target_value(&ev)) />
                    </div>
                </Show>
                {move || match error.get() {
                    // Not a mistake: the code is simply asked for now.
                    Some(e) if e.code == ErrorCode::TotpRequired => Some(view! {
                        <p class="hint" role="status">{move || crate::i18n::error(ErrorCode::TotpRequired)}</p>
                    }.into_any()),
                    Some(e) if e.code == ErrorCode::InvalidCredentials => Some(view! {
                        <div class="alert error" role="alert" data-testid="relogin-refused">
                            <p>{move || t!("session.ended.refused")}</p>
                        </div>
                    }.into_any()),
                    Some(_) => Some(view! { <ErrorBox error=error /> }.into_any()),
                    None => None,
                }}
                <Show when=move || busy.get()>
                    <p role="status" class="hint">{move || t!("login.deriving")}</p>
                </Show>
                <div class="actions">
                    <button type="submit" class="primary" disabled=busy data-testid="relogin-submit">
                        {move || t!("session.ended.submit")}
                    </button>
                    <button type="button" class="link" data-testid="relogin-other" on:click=other>
                        {move || t!("session.ended.other")}
                    </button>
                </div>
            </form>
        </Dialog>
    }
}
