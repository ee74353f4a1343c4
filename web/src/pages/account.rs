//! My account: fingerprints and the kit, the password (changed after proving the
//! current one, with the rule shown before typing), two-factor authentication (required
//! for admins, and for members when their organisation says so; the secret as a QR code
//! and in groups), passkeys (`passkeys.rs`), and the open sessions, each of which can be
//! ended.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use pli_api::messages::TotpSetupResponse;

use super::ErrorBox;
use super::auth::{Messages, MyFingerprints, NewPassword, Submit, check_passwords, last_error};
use super::dialog::{Reauth, ReauthDialog, report};
use crate::app::{Auth, Ctx, me};
use crate::i18n::t;
use crate::protocol::WorkerError;

#[component]
pub fn Account() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let account = me(&ctx);
    let enabled = account.as_ref().is_some_and(|m| m.totp_enabled);
    let admin = account
        .as_ref()
        .is_some_and(|m| m.role != pli_api::Role::Member);
    // Required of every admin, and of members when their organisation says so.
    let required = admin || account.as_ref().is_some_and(|m| m.totp_required);
    let (setup, set_setup) = signal(None::<TotpSetupResponse>);
    let (code, set_code) = signal(String::new());
    let (error, set_error) = signal(None::<WorkerError>);
    // Enrolling asks for a recent password proof, even the first time (a stolen session
    // must not tie the account to someone else's authenticator).
    let gate = Reauth::new();
    let start = move |_| {
        set_error.set(None);
        leptos::task::spawn_local(async move {
            match gate.call(crate::protocol::TotpSetup).await {
                Ok(s) => set_setup.set(Some(s)),
                Err(e) => report(set_error, e),
            }
        });
    };
    let confirm = move |ev: SubmitEvent| {
        ev.prevent_default();
        leptos::task::spawn_local(async move {
            match crate::bridge::call(crate::protocol::TotpConfirm {
                code: code.get_untracked(),
            })
            .await
            {
                Ok(me) => ctx.auth.set(Auth::Ready(Box::new(me))),
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    view! {
        <ReauthDialog gate=gate />
        <section class="card">
            <h1>{move || t!("nav.settings")}</h1>
            <MyFingerprints />
            <p><a href=crate::app::Route::Kit.href() data-testid="account-kit">{move || t!("account.kit")}</a></p>
        </section>
        <section class="card">
            <h2 id="totp-title" tabindex="-1">{move || t!("totp.title")}</h2>
            {(admin && !enabled).then(|| view! { <p class="alert warning">{move || t!("totp.required")}</p> })}
            {(!admin && required && !enabled).then(|| view! {
                <p class="alert warning" data-testid="totp-required-org">{move || t!("totp.required.org")}</p>
            })}
            {if enabled {
                view! {
                    <p class="ok">{move || t!("totp.enabled")}</p>
                    {if required {
                        (!admin).then(|| view! { <p class="hint" data-testid="totp-mandatory">{move || t!("totp.off.mandatory")}</p> }).into_any()
                    } else {
                        view! { <TotpOff /> }.into_any()
                    }}
                }
                .into_any()
            } else {
                view! {
                    <Show when=move || setup.get().is_none()>
                        <button type="button" class="primary" data-testid="totp-start" on:click=start>{move || t!("totp.start")}</button>
                    </Show>
                    {move || setup.get().map(|s| view! {
                        <p>{move || t!("totp.scan")}</p>
                        <div class="totp-enrol">
                            <super::QrCode text=s.uri.clone() class="totp-qr" testid="totp-qr" label=crate::i18n::key!("totp.qr") />
                            <p><span>{move || t!("totp.secret")}</span> " " <code class="secret" id="totp-secret">{grouped(&s.secret)}</code></p>
                        </div>
                        <form on:submit=confirm>
                            <div class="field">
                                <label for="totp-code">{move || t!("totp.code")}</label>
                                <input id="totp-code" class="short" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required
                                    prop:value=code on:input=move |ev| set_code.set(event_target_value(&ev)) />
                            </div>
                            <button type="submit" class="primary" data-testid="totp-confirm">{move || t!("totp.confirm")}</button>
                        </form>
                    })}
                }.into_any()
            }}
            <ErrorBox error=error />
        </section>
        <super::passkeys::Passkeys gate=gate />
        <PasswordChange totp=enabled />
        <Sessions />
    }
}

/// Turning two-factor authentication off (a member only): the password and a current
/// code, proved again on the spot, then the account re-read (the page then offers to turn
/// it on again, with a new secret).
#[component]
fn TotpOff() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<WorkerError>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        set_busy.set(true);
        set_error.set(None);
        leptos::task::spawn_local(async move {
            let request = crate::protocol::TotpDisable {
                password: password.get_untracked(),
                totp: code.get_untracked().trim().to_owned(),
            };
            match crate::bridge::call(request).await {
                Ok(me) => {
                    password.set(String::new());
                    ctx.auth.set(Auth::Ready(Box::new(me)));
                    crate::pages::dialog::focus_later("totp-title");
                }
                Err(e) => set_error.set(Some(super::dialog::password_only(e))),
            }
            set_busy.set(false);
        });
    };
    view! {
        <details class="totp-off" data-testid="totp-off">
            <summary>{move || t!("totp.off.title")}</summary>
            <p class="hint">{move || t!("totp.off.lead")}</p>
            <form on:submit=submit>
                <div class="field">
                    <label for="totp-off-password">{move || t!("totp.off.password")}</label>
                    <input id="totp-off-password" type="password" autocomplete="current-password" required
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="totp-off-code">{move || t!("totp.code")}</label>
                    <input id="totp-off-code" class="short" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required
                        prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
                </div>
                <ErrorBox error=error />
                <button type="submit" class="danger" data-testid="totp-off-submit" disabled=busy>{move || t!("totp.off.submit")}</button>
            </form>
        </details>
    }
}

/// Changing the password: the current one (and the second factor) first, then the new
/// one twice, judged as it is typed by the rule shown before it.
#[component]
fn PasswordChange(totp: bool) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let current = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let (done, set_done) = signal(false);
    let change: Submit<()> = Action::new_unsync(move |(): &()| {
        let checked = check_passwords(
            password.get_untracked(),
            repeat.get_untracked(),
            context_for_rule(&ctx),
        );
        let request = crate::protocol::ChangePassword {
            current: current.get_untracked(),
            totp: Some(code.get_untracked()).filter(|c| !c.trim().is_empty()),
            new: password.get_untracked(),
        };
        async move {
            checked.await?;
            crate::bridge::call(request).await?;
            for field in [current, code, password, repeat] {
                field.set(String::new());
            }
            set_done.set(true);
            Ok(())
        }
    });
    let error = last_error(change);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        set_done.set(false);
        change.dispatch(());
    };
    view! {
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title">{move || t!("account.password.title")}</h2>
            <form on:submit=submit data-testid="password-change">
                <div class="field">
                    <label for="current-password">{move || t!("account.password.current")}</label>
                    <input id="current-password" type="password" autocomplete="current-password" required
                        prop:value=move || current.get() on:input=move |ev| current.set(event_target_value(&ev)) />
                </div>
                {totp.then(|| view! {
                    <div class="field">
                        <label for="password-totp">{move || t!("login.totp")}</label>
                        <input id="password-totp" class="short" inputmode="numeric" autocomplete="one-time-code"
                            pattern="[0-9]{6}" maxlength="6" required
                            prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
                    </div>
                })}
                <NewPassword password=password repeat=repeat context=Signal::derive(move || context_for_rule(&ctx)) />
                <Messages error=error />
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || change.pending().get()
                        data-testid="password-submit">{move || t!("account.password.submit")}</button>
                    <span role="status" class="ok">
                        {move || done.get().then(|| view! {
                            <span data-testid="password-changed">{move || t!("account.password.done")}</span>
                        })}
                    </span>
                </div>
            </form>
        </section>
    }
}

/// What the rule counts against a new password: the person's address, name and
/// organisation.
fn context_for_rule(ctx: &Ctx) -> Vec<String> {
    me(ctx)
        .map(|m| vec![m.email, m.display_name, m.org_name])
        .unwrap_or_default()
}

/// My open sessions: this one, and the others to end.
#[component]
fn Sessions() -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let listed = LocalResource::new(move || {
        version.track();
        crate::bridge::call(crate::protocol::MySessions)
    });
    let (error, set_error) = signal(None::<WorkerError>);
    let end = move |id: String| {
        set_error.set(None);
        leptos::task::spawn_local(async move {
            match crate::bridge::call(crate::protocol::EndSession { id }).await {
                Ok(()) => version.update(|v| *v += 1),
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    let rows = move || {
        let sessions = listed.get()?.ok()?;
        Some(view! {
            <div class="table-wrap">
                <table class="stack sessions" data-testid="sessions">
                    <caption>{move || t!("account.sessions.caption")}</caption>
                    <thead><tr>
                        <th scope="col">{move || t!("account.sessions.device")}</th>
                        <th scope="col">{move || t!("account.sessions.opened")}</th>
                        <th scope="col">{move || t!("account.sessions.seen")}</th>
                        <th scope="col">{move || t!("admin.members.actions")}</th>
                    </tr></thead>
                    <tbody>
                        {sessions.into_iter().map(|s| {
                            let device = if s.device.is_empty() {
                                None
                            } else {
                                Some(s.device.clone())
                            };
                            let id = s.id.clone();
                            let (opened, seen) = (s.created_at, s.last_seen_at);
                            view! {
                                <tr data-testid=if s.current { "session-current" } else { "session-other" }>
                                    <th scope="row" data-label=move || t!("account.sessions.device")>
                                        {move || device.clone().unwrap_or_else(|| t!("account.sessions.unknown"))}
                                    </th>
                                    <td data-label=move || t!("account.sessions.opened")>{move || crate::i18n::datetime(opened)}</td>
                                    <td data-label=move || t!("account.sessions.seen")>{move || crate::i18n::datetime(seen)}</td>
                                    <td class="row-actions" data-label=move || t!("admin.members.actions")>
                                        {if s.current {
                                            view! { <span class="badge">{move || t!("account.sessions.this")}</span> }.into_any()
                                        } else {
                                            let id = id.clone();
                                            view! {
                                                <button type="button" data-testid="session-end" on:click=move |_| end(id.clone())>
                                                    {move || t!("account.sessions.end")}
                                                </button>
                                            }.into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        })
    };
    view! {
        <section class="card" aria-labelledby="sessions-title">
            <h2 id="sessions-title">{move || t!("account.sessions.title")}</h2>
            <p class="hint">{move || t!("account.sessions.help")}</p>
            {rows}
            <ErrorBox error=Signal::derive(move || error.get().or_else(|| listed.get().and_then(Result::err))) />
        </section>
    }
}

/// The TOTP secret in groups of four, easier to type into an app by hand (apps ignore
/// the spaces).
fn grouped(secret: &str) -> String {
    secret
        .chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}
