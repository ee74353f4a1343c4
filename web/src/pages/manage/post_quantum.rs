//! « Passer aux clés post-quantiques » (an organisation's admin): where the service stands
//! (members with a certified post-quantum key, requests to certify, the current
//! generation's kind) and the action that certifies the members' new keys and, once every
//! active member has one, renews the service key as post-quantum
//! (`pli_client::Session::advance_to_post_quantum`).

use leptos::prelude::*;
use pli_api::messages::{MemberSummary, Members};
use pli_api::{AccountStatus, ErrorCode, OrgId};
use pli_client::PostQuantumProgress;

use super::super::ErrorBox;
use super::super::dialog::{Reauth, focus_later};
use crate::i18n::{fill, t};
use crate::protocol::WorkerError;

/// Whether a member's listed encryption key is post-quantum (1,216 bytes, not 32): what
/// the relay lists, for display only — the action itself checks each certificate.
pub fn listed_post_quantum(member: &MemberSummary) -> bool {
    pli_crypto::keys::EncryptionKey::from_bytes(&member.keys.encryption_key.0)
        .is_ok_and(|key| key.is_post_quantum())
}

/// Active members, those with a post-quantum key, those who asked for one.
fn counts(members: &Members) -> (usize, usize, usize) {
    let active: Vec<&MemberSummary> = members
        .members
        .iter()
        .filter(|m| m.status == AccountStatus::Active)
        .collect();
    let ready = active.iter().filter(|m| listed_post_quantum(m)).count();
    let asked = active.iter().filter(|m| m.key_upgrade.is_some()).count();
    (active.len(), ready, asked)
}

/// The service's move to post-quantum keys.
#[component]
pub fn PostQuantumPanel(
    org: OrgId,
    members: Signal<Option<Members>>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let gate = expect_context::<Reauth>();
    let history = LocalResource::new(move || {
        version.track();
        crate::bridge::call(crate::protocol::KeyHistory { org })
    });
    // The current (highest) generation is post-quantum, if it verified.
    let current_post_quantum = Signal::derive(move || {
        history.get().and_then(Result::ok).map(|list| {
            list.iter()
                .max_by_key(|k| k.generation)
                .and_then(|k| k.verified.as_ref())
                .is_some_and(|v| v.post_quantum)
        })
    });
    let action: Action<(), Result<PostQuantumProgress, WorkerError>> =
        Action::new_unsync(move |()| async move {
            let progress = gate.call(crate::protocol::MoveToPostQuantum).await?;
            version.update(|v| *v += 1);
            focus_later("pq-outcome");
            Ok(progress)
        });
    let busy = action.pending();
    let error = Signal::derive(move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .filter(|e| e.code != ErrorCode::Cancelled)
    });
    let done = move || {
        let (active, ready, _) = members.get().map(|m| counts(&m))?;
        Some(current_post_quantum.get()? && ready == active)
    };
    let outcome = move || {
        let progress = action.value().get()?.ok()?;
        let names = |list: &[String]| list.join(", ");
        let mut lines = Vec::new();
        if !progress.certified.is_empty() {
            let text = fill(
                &t!("admin.pq.certified"),
                &[("names", &names(&progress.certified))],
            );
            lines.push(view! { <p data-testid="pq-certified">{text}</p> }.into_any());
        }
        if let Some(generation) = progress.rotated {
            let text = fill(
                &t!("admin.pq.rotated"),
                &[("generation", &generation.to_string())],
            );
            lines.push(view! { <p data-testid="pq-rotated">{text}</p> }.into_any());
        }
        if !progress.waiting_for_login.is_empty() {
            let text = fill(
                &t!("admin.pq.waiting_login"),
                &[("names", &names(&progress.waiting_for_login))],
            );
            lines.push(view! { <p data-testid="pq-waiting-login">{text}</p> }.into_any());
        }
        if !progress.waiting_for_platform.is_empty() {
            let text = fill(
                &t!("admin.pq.waiting_platform"),
                &[("names", &names(&progress.waiting_for_platform))],
            );
            lines.push(view! { <p data-testid="pq-waiting-platform">{text}</p> }.into_any());
        }
        if lines.is_empty() && !progress.already_post_quantum {
            lines.push(view! { <p>{move || t!("admin.pq.nothing")}</p> }.into_any());
        }
        Some(view! { <div class="alert info">{lines}</div> })
    };
    let status = move || {
        let (active, ready, asked) = members.get().map(|m| counts(&m))?;
        Some(fill(
            &t!("admin.pq.count"),
            &[
                ("ready", &ready.to_string()),
                ("active", &active.to_string()),
                ("asked", &asked.to_string()),
            ],
        ))
    };
    view! {
        <div id="pq-outcome" tabindex="-1" role="status">{outcome}</div>
        <ErrorBox error=error />
        {move || match done() {
            Some(true) => view! {
                <p class="alert info" data-testid="pq-done">
                    <span class="badge verified">{move || t!("admin.keys.post_quantum")}</span>
                    " " {move || t!("admin.pq.done")}
                </p>
            }
            .into_any(),
            _ => view! {
                <p class="hint">{move || t!("admin.pq.intro")}</p>
                <p data-testid="pq-status">{status}</p>
                <div class="actions">
                    <button type="button" class="primary" data-testid="move-to-post-quantum"
                        disabled=busy on:click=move |_| { action.dispatch(()); }>
                        {move || t!("admin.pq.move")}
                    </button>
                    <Show when=move || busy.get()>
                        <span role="status" class="hint">{move || t!("admin.pq.working")}</span>
                    </Show>
                </div>
            }
            .into_any(),
        }}
    }
}
