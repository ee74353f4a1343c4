//! Waiting for certification: the person's own key fingerprints, to read to an
//! administrator over the phone, and a button to look again.

use leptos::prelude::*;

use super::ErrorBox;
use crate::app::{Auth, Ctx};
use crate::i18n::t;
use crate::protocol::{self, WorkerError};

/// Shows my fingerprints (to read to an administrator).
#[component]
pub fn MyFingerprints() -> impl IntoView {
    let prints = LocalResource::new(|| crate::bridge::call(protocol::MyFingerprints));
    move || {
        prints.get().and_then(Result::ok).map(|p| {
            view! {
                <dl class="fingerprints">
                    <dt>{move || t!("fingerprint.mine.signing")}</dt>
                    <dd><code data-testid="my-signing-fingerprint">{p.signing.clone()}</code></dd>
                    <dt>{move || t!("fingerprint.mine.encryption")}</dt>
                    <dd><code data-testid="my-encryption-fingerprint">{p.encryption.clone()}</code></dd>
                    <dt>{move || t!("fingerprint.root")}</dt>
                    <dd><code data-testid="my-root-fingerprint">{p.root.clone()}</code></dd>
                </dl>
                <p class="hint">{move || t!("fingerprint.help.many")}</p>
            }
        })
    }
}

#[component]
pub fn Pending() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let refresh: Action<(), Result<(), WorkerError>> = Action::new_unsync(move |()| async move {
        let me = crate::bridge::call(protocol::Refresh).await?;
        ctx.auth.set(Auth::Ready(Box::new(me)));
        Ok(())
    });
    view! {
        <section class="card narrow">
            <h1>{move || t!("pending.title")}</h1>
            <p>{move || t!("pending.help")}</p>
            <MyFingerprints />
            <ErrorBox error=super::last_error(refresh) />
            <button type="button" class="primary" data-testid="pending-refresh"
                disabled=refresh.pending() on:click=move |_| { refresh.dispatch(()); }>{move || t!("pending.refresh")}</button>
        </section>
    }
}
