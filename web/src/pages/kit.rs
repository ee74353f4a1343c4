//! The kit de secours: the account key a person needs, with their password, to open
//! their keys on a new device — shown once when it is made (a new account, or an
//! account moved to account keys), and again from « Mon compte ». A page to print (or
//! save as PDF) and keep somewhere safe, away from the password: the address of the
//! platform, the account, the key in large type and as a QR code, and the platform
//! root's fingerprint to check the platform against.

use leptos::prelude::*;

use crate::app::{Auth, Ctx, Route, navigate};
use crate::i18n::t;
use crate::protocol::{Kit, KitView};

/// The kit page.
#[component]
pub fn KitPage() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let kit = LocalResource::new(|| crate::bridge::call(Kit));
    let print = |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    let done = move |_| {
        if let Auth::Ready(me) = ctx.auth.get_untracked() {
            navigate(&Route::home(me.role));
        }
    };
    let sheet = move |kit: KitView| {
        let qr = view! { <super::QrCode text=kit.account_key.clone() class="kit-qr" testid="kit-qr" label=crate::i18n::key!("kit.qr") /> };
        view! {
            <div class="kit-sheet" data-testid="kit">
                <p class="kit-brand">"Pli — " {move || t!("kit.title")}</p>
                <dl class="kit-facts">
                    <dt>{move || t!("kit.address")}</dt>
                    <dd><code>{kit.address.clone()}</code></dd>
                    <dt>{move || t!("kit.account")}</dt>
                    <dd>{kit.display_name.clone()} " — " {kit.email.clone()} " (" {kit.org_name.clone()} ")"</dd>
                    <dt>{move || t!("kit.key")}</dt>
                    <dd><code class="kit-key" data-testid="account-key">{kit.account_key.clone()}</code></dd>
                    <dt>{move || t!("kit.root")}</dt>
                    <dd><code data-testid="kit-root">{kit.root_fingerprint.clone()}</code></dd>
                </dl>
                {qr}
                <p class="kit-password">{move || t!("kit.password")}</p>
            </div>
        }
    };
    view! {
        <section class="card kit" aria-labelledby="kit-title">
            <h1 id="kit-title">{move || t!("kit.title")}</h1>
            <p class="lead">{move || t!("kit.lead")}</p>
            <Transition fallback=|| view! { <p class="hint" role="status">{move || t!("state.loading")}</p> }>
                {move || Suspend::new(async move {
                    match kit.await {
                        Ok(kit) => sheet(kit).into_any(),
                        Err(e) => view! {
                            <div class="alert error" role="alert"><p>{crate::i18n::error(e.code)}</p></div>
                        }.into_any(),
                    }
                })}
            </Transition>
            <ul class="kit-advice">
                <li>{move || t!("kit.advice.print")}</li>
                <li>{move || t!("kit.advice.apart")}</li>
                <li>{move || t!("kit.advice.lost")}</li>
            </ul>
            <div class="actions no-print">
                <button type="button" data-testid="kit-print" on:click=print>{move || t!("kit.print")}</button>
                <button type="button" class="primary" data-testid="kit-done" on:click=done>{move || t!("kit.done")}</button>
            </div>
        </section>
    }
}
