//! My account: fingerprints, two-factor authentication (required for admins).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use pli_api::messages::TotpSetupResponse;

use super::ErrorBox;
use super::auth::MyFingerprints;
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
    let (setup, set_setup) = signal(None::<TotpSetupResponse>);
    let (code, set_code) = signal(String::new());
    let (error, set_error) = signal(None::<WorkerError>);
    let start = move |_| {
        leptos::task::spawn_local(async move {
            match crate::bridge::call(crate::protocol::TotpSetup).await {
                Ok(s) => set_setup.set(Some(s)),
                Err(e) => set_error.set(Some(e)),
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
        <section class="card">
            <h1>{move || t!("nav.settings")}</h1>
            <MyFingerprints />
            <p><a href=crate::app::Route::Kit.href() data-testid="account-kit">{move || t!("account.kit")}</a></p>
        </section>
        <section class="card">
            <h2>{move || t!("totp.title")}</h2>
            {(admin && !enabled).then(|| view! { <p class="alert warning">{move || t!("totp.required")}</p> })}
            {if enabled {
                view! { <p class="ok">{move || t!("totp.enabled")}</p> }.into_any()
            } else {
                view! {
                    <Show when=move || setup.get().is_none()>
                        <button type="button" class="primary" data-testid="totp-start" on:click=start>{move || t!("totp.start")}</button>
                    </Show>
                    {move || setup.get().map(|s| view! {
                        <p>{move || t!("totp.scan")}</p>
                        <p><span>{move || t!("totp.secret")}</span> " : " <code class="secret" id="totp-secret">{grouped(&s.secret)}</code></p>
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
