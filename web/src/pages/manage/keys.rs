//! The key history (each generation verified by the worker up to the pinned root),
//! suspension and rotation.

use leptos::prelude::*;
use pli_api::{ErrorCode, OrgId};

use super::super::ErrorBox;
use super::super::dialog::{ConfirmDialog, Reauth, focus_later};
use crate::i18n::{self, fill, key, t};
use crate::protocol::WorkerError;

/// One key generation as shown: what verified up to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyRow {
    generation: u32,
    /// Fingerprint of the organisation key, if its certificate verified.
    fingerprint: Option<String>,
    /// The admin who issued it.
    issuer: Option<String>,
    issued_at: Option<u64>,
    /// Post-quantum (MLKEM768-X25519) rather than X25519, if it verified.
    post_quantum: Option<bool>,
    suspended: bool,
}

/// One generation as the worker verified it (`pli_client::protocol::verify_generation`).
fn key_row(key: crate::protocol::KeyGeneration) -> KeyRow {
    let verified = key.verified;
    KeyRow {
        generation: key.generation,
        fingerprint: verified.as_ref().map(|v| v.fingerprint.clone()),
        issuer: verified.as_ref().map(|v| v.issuer.clone()),
        issued_at: verified.as_ref().map(|v| v.issued_at),
        post_quantum: verified.as_ref().map(|v| v.post_quantum),
        suspended: key.suspended,
    }
}

/// A change to the organisation's keys: asked (the generation of a rotation is not
/// known yet) and done (the new generation, or the one suspended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyChange {
    Rotated(u32),
    Suspended(u32),
}

/// The organisation's key generations; suspension; rotation (organisation admin).
#[component]
pub fn KeysPanel(
    org: OrgId,
    version: RwSignal<u32>,
    /// The rotation dialog; absent on the platform page (the platform admin cannot rotate).
    #[prop(optional)]
    rotate: Option<RwSignal<bool>>,
) -> impl IntoView {
    let gate = expect_context::<Reauth>();
    let history = LocalResource::new(move || {
        version.track();
        async move {
            let list = crate::bridge::call(crate::protocol::KeyHistory { org }).await?;
            let mut rows: Vec<KeyRow> = list.into_iter().map(key_row).collect();
            rows.sort_by_key(|r| std::cmp::Reverse(r.generation));
            Ok::<_, WorkerError>(rows)
        }
    });
    let keys = Signal::derive(move || history.get().and_then(Result::ok));
    let to_suspend = RwSignal::new(None::<u32>);
    let suspend_open = RwSignal::new(false);
    // Rotating and suspending, one at a time: `pending()` disables both.
    let change: Action<KeyChange, Result<KeyChange, WorkerError>> =
        Action::new_unsync(move |change: &KeyChange| {
            let change = *change;
            async move {
                let done = match change {
                    KeyChange::Rotated(_) => gate
                        .call(crate::protocol::Rotate)
                        .await
                        .map(KeyChange::Rotated),
                    KeyChange::Suspended(generation) => gate
                        .call(crate::protocol::SuspendKey { org, generation })
                        .await
                        .map(|_| change),
                };
                if done.is_ok() {
                    version.update(|v| *v += 1);
                }
                // Asked from the member list's advice at the top of the page too: the
                // outcome, or the refusal just below it, is brought into view.
                if !matches!(&done, Err(e) if e.code == ErrorCode::Cancelled) {
                    focus_later("keys-outcome");
                }
                done
            }
        });
    let busy = change.pending();
    // The history's error, else the last change's (a cancelled confirmation says nothing).
    let error = Signal::derive(move || {
        history.get().and_then(Result::err).or_else(|| {
            change
                .value()
                .get()
                .and_then(Result::err)
                .filter(|e| e.code != ErrorCode::Cancelled)
        })
    });
    let has_key = move || keys.get().is_some_and(|k| !k.is_empty());
    let next_generation = move || {
        keys.get()
            .and_then(|k| k.iter().map(|r| r.generation).max())
            .unwrap_or(0)
            + 1
    };
    let do_rotate = Callback::new(move |()| {
        change.dispatch(KeyChange::Rotated(0));
    });
    let do_suspend = Callback::new(move |()| {
        if let Some(generation) = to_suspend.get_untracked() {
            change.dispatch(KeyChange::Suspended(generation));
        }
    });

    let outcome = move || {
        match change.value().get()?.ok()? {
        KeyChange::Rotated(generation) => {
            let fingerprint = keys
                .get()
                .and_then(|k| k.into_iter().find(|r| r.generation == generation))
                .and_then(|r| r.fingerprint)
                .unwrap_or_else(|| "—".into());
            Some(view! {
                <div class="alert info" data-testid="rotated">
                    <p>{move || fill(&t!("admin.keys.rotated"), &[("generation", &generation.to_string())])}</p>
                    <p>{move || t!("admin.keys.fingerprint.label")} " " <code>{fingerprint.clone()}</code></p>
                </div>
            }
            .into_any())
        }
        KeyChange::Suspended(generation) => Some(
            view! {
                <p class="alert info">{move || fill(&t!("admin.keys.suspended.done"), &[("generation", &generation.to_string())])}</p>
            }
            .into_any(),
        ),
    }
    };

    let rows = move || {
        let list = keys.get()?;
        let current = list
            .iter()
            .filter(|r| !r.suspended)
            .map(|r| r.generation)
            .max();
        Some(if list.is_empty() {
            view! { <p>{move || t!("admin.keys.empty")}</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="stack keys">
                        <caption>{move || t!("admin.keys.caption")}</caption>
                        <thead><tr>
                            <th scope="col">{move || t!("admin.keys.generation")}</th>
                            <th scope="col">{move || t!("admin.keys.fingerprint")}</th>
                            <th scope="col">{move || t!("admin.keys.issuer")}</th>
                            <th scope="col">{move || t!("admin.keys.date")}</th>
                            <th scope="col">{move || t!("admin.keys.state")}</th>
                            <th scope="col">{move || t!("admin.members.actions")}</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|r| {
                                let g = r.generation;
                                let state = if r.suspended {
                                    ("badge warning", key!("admin.keys.suspended"))
                                } else if Some(g) == current {
                                    ("badge verified", key!("admin.keys.current"))
                                } else {
                                    ("badge neutral", key!("admin.keys.previous"))
                                };
                                let verified = r.fingerprint.is_some();
                                view! {
                                    <tr data-testid=format!("key-{g}")>
                                        <th scope="row" data-label=move || t!("admin.keys.generation")>{g}</th>
                                        <td data-label=move || t!("admin.keys.fingerprint")>
                                            {match r.fingerprint.clone() {
                                                Some(f) => view! { <code>{f}</code> }.into_any(),
                                                None => view! { <span class="badge urgent">{move || t!("admin.keys.unverified")}</span> }.into_any(),
                                            }}
                                        </td>
                                        <td data-label=move || t!("admin.keys.issuer")>{r.issuer.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td data-label=move || t!("admin.keys.date")>
                                            {move || r.issued_at.map(i18n::datetime).unwrap_or_else(|| "—".into())}
                                        </td>
                                        <td data-label=move || t!("admin.keys.state")>
                                            <span class=state.0>{move || t(state.1)}</span>
                                            {match r.post_quantum {
                                                Some(true) => Some(view! {
                                                    " " <span class="badge verified" data-testid=format!("key-{g}-post-quantum")>{move || t!("admin.keys.post_quantum")}</span>
                                                }.into_any()),
                                                Some(false) => Some(view! {
                                                    " " <span class="badge neutral" data-testid=format!("key-{g}-classic")>{move || t!("admin.keys.classic")}</span>
                                                    {(Some(g) == current).then(|| view! { <p class="hint">{move || t!("admin.keys.classic.help")}</p> })}
                                                }.into_any()),
                                                None => None,
                                            }}
                                            {(!verified).then(|| view! { <p class="hint">{move || t!("admin.keys.unverified.help")}</p> })}
                                        </td>
                                        <td class="row-actions" data-label=move || t!("admin.members.actions")>
                                            {(!r.suspended).then(|| view! {
                                                <button type="button" class="danger" disabled=busy
                                                    data-testid=format!("suspend-{g}")
                                                    on:click=move |_| {
                                                        to_suspend.set(Some(g));
                                                        suspend_open.set(true);
                                                    }>
                                                    {move || t!("admin.keys.suspend")}
                                                    <span class="visually-hidden">" " {move || fill(&t!("admin.keys.generation.n"), &[("generation", &g.to_string())])}</span>
                                                </button>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
            .into_any()
        })
    };

    let suspend_title = Signal::derive(move || {
        fill(
            &t!("admin.keys.suspend.title"),
            &[("generation", &to_suspend.get().unwrap_or(0).to_string())],
        )
    });
    let rotate_title = Signal::derive(move || {
        if has_key() {
            t!("admin.keys.rotate.title")
        } else {
            t!("admin.keys.create.title")
        }
    });
    view! {
        <div id="keys-outcome" tabindex="-1" role="status">{outcome}</div>
        <ErrorBox error=error />
        {move || rotate.map(|open| view! {
            {move || (!has_key() && keys.get().is_some()).then(|| view! {
                <p class="alert warning">{move || t!("admin.keys.none")}</p>
            })}
            <div class="actions">
                <button type="button" class="primary" data-testid="rotate-key" disabled=busy
                    on:click=move |_| open.set(true)>
                    {move || if has_key() { t!("admin.keys.rotate") } else { t!("admin.keys.create") }}
                </button>
                <Show when=move || busy.get()>
                    <span role="status" class="hint">{move || t!("admin.keys.working")}</span>
                </Show>
            </div>
        })}
        {rows}
        {rotate.map(|open| view! {
            <ConfirmDialog open=open id="rotate" title=rotate_title confirm=key!("admin.keys.rotate.confirm")
                testid="rotate-confirm" on_confirm=do_rotate>
                <p>{move || fill(&t!("admin.keys.rotate.help"), &[("generation", &next_generation().to_string())])}</p>
            </ConfirmDialog>
        })}
        <ConfirmDialog open=suspend_open id="suspend" title=suspend_title confirm=key!("admin.keys.suspend.confirm")
            danger=true testid="suspend-confirm" on_confirm=do_suspend>
            <p>{move || t!("admin.keys.suspend.help")}</p>
        </ConfirmDialog>
    }
}
