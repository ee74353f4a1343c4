//! « Mon compte »'s passkeys: the list (where each was added, when, its last login),
//! adding one (after a recent password proof: a stolen session must not add the thief's)
//! and removing one. Adding runs the browser's WebAuthn ceremony (`crate::passkey`), and
//! the worker seals this session's keys and account key under the passkey's PRF output.

use leptos::prelude::*;

use super::ErrorBox;
use super::dialog::{Reauth, report};
use crate::i18n::t;
use crate::protocol::{self, WorkerError};

/// Creates a passkey and hands it to the worker: the relay's options through the gate
/// (which asks the password again if the last proof is too old).
async fn add(gate: Reauth) -> Result<(), WorkerError> {
    let ceremony = gate.call(protocol::PasskeyBegin).await?;
    let created = crate::passkey::create(&ceremony.options).await?;
    gate.call(protocol::PasskeyAdd {
        ceremony: ceremony.ceremony,
        answer: created.json,
        credential_id: created.credential_id,
        prf: created.prf,
    })
    .await?;
    Ok(())
}

#[component]
pub fn Passkeys(gate: Reauth) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let listed = LocalResource::new(move || {
        version.track();
        crate::bridge::call(protocol::MyPasskeys)
    });
    let (error, set_error) = signal(None::<WorkerError>);
    let (busy, set_busy) = signal(false);
    let (added, set_added) = signal(false);
    let start = move |_| {
        set_error.set(None);
        set_added.set(false);
        set_busy.set(true);
        leptos::task::spawn_local(async move {
            match add(gate).await {
                Ok(()) => {
                    set_added.set(true);
                    version.update(|v| *v += 1);
                }
                Err(e) => report(set_error, e),
            }
            set_busy.set(false);
        });
    };
    let remove = move |id: String| {
        set_error.set(None);
        set_added.set(false);
        leptos::task::spawn_local(async move {
            match gate.call(protocol::RemovePasskey { id }).await {
                Ok(()) => version.update(|v| *v += 1),
                Err(e) => report(set_error, e),
            }
        });
    };
    let rows = move || {
        let passkeys = listed.get()?.ok()?;
        if passkeys.is_empty() {
            return Some(
                view! { <p class="hint" data-testid="passkeys-none">{move || t!("account.passkeys.none")}</p> }
                    .into_any(),
            );
        }
        Some(view! {
            <div class="table-wrap">
                <table class="stack passkeys" data-testid="passkeys">
                    <caption>{move || t!("account.passkeys.caption")}</caption>
                    <thead><tr>
                        <th scope="col">{move || t!("account.passkeys.device")}</th>
                        <th scope="col">{move || t!("account.passkeys.created")}</th>
                        <th scope="col">{move || t!("account.passkeys.used")}</th>
                        <th scope="col">{move || t!("admin.members.actions")}</th>
                    </tr></thead>
                    <tbody>
                        {passkeys.into_iter().map(|p| {
                            let device = (!p.device.is_empty()).then(|| p.device.clone());
                            let (created, used) = (p.created_at, p.last_used_at);
                            let id = p.id.clone();
                            view! {
                                <tr data-testid="passkey">
                                    <th scope="row" data-label=move || t!("account.passkeys.device")>
                                        {move || device.clone().unwrap_or_else(|| t!("account.sessions.unknown"))}
                                    </th>
                                    <td data-label=move || t!("account.passkeys.created")>{move || crate::i18n::datetime(created)}</td>
                                    <td data-label=move || t!("account.passkeys.used")>
                                        {move || used.map_or_else(|| t!("account.passkeys.never"), crate::i18n::datetime)}
                                    </td>
                                    <td class="row-actions" data-label=move || t!("admin.members.actions")>
                                        <button type="button" data-testid="passkey-remove" on:click=move |_| remove(id.clone())>
                                            {move || t!("account.passkeys.remove")}
                                        </button>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }.into_any())
    };
    view! {
        <section class="card" aria-labelledby="passkeys-title">
            <h2 id="passkeys-title">{move || t!("account.passkeys.title")}</h2>
            <p class="hint">{move || t!("account.passkeys.help")}</p>
            {rows}
            <button type="button" class="primary" data-testid="passkey-add" disabled=busy on:click=start>
                {move || t!("account.passkeys.add")}
            </button>
            <Show when=move || busy.get()>
                <p role="status" class="hint">{move || t!("account.passkeys.working")}</p>
            </Show>
            <Show when=move || added.get()>
                <p role="status" class="ok" data-testid="passkey-added">{move || t!("account.passkeys.added")}</p>
            </Show>
            <ErrorBox error=Signal::derive(move || error.get().or_else(|| listed.get().and_then(Result::err))) />
        </section>
    }
}
