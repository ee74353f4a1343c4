//! The key history (each generation verified by the worker up to the pinned root),
//! suspension and rotation.

use leptos::prelude::*;
use pli_api::OrgId;

use super::super::ErrorBox;
use super::super::dialog::{ConfirmDialog, Reauth, focus_later, report};
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
        suspended: key.suspended,
    }
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
    let keys = RwSignal::new(None::<Vec<KeyRow>>);
    let (error, set_error) = signal(None::<WorkerError>);
    let (busy, set_busy) = signal(false);
    let rotated = RwSignal::new(None::<u32>);
    let suspended = RwSignal::new(None::<u32>);
    let to_suspend = RwSignal::new(None::<u32>);
    let suspend_open = RwSignal::new(false);
    Effect::new(move |_| {
        version.track();
        leptos::task::spawn_local(async move {
            match crate::bridge::call(crate::protocol::KeyHistory { org }).await {
                Ok(list) => {
                    let mut rows: Vec<KeyRow> = list.into_iter().map(key_row).collect();
                    rows.sort_by_key(|r| std::cmp::Reverse(r.generation));
                    keys.set(Some(rows));
                }
                Err(e) => set_error.set(Some(e)),
            }
        });
    });
    let has_key = move || keys.get().is_some_and(|k| !k.is_empty());
    let next_generation = move || {
        keys.get()
            .and_then(|k| k.iter().map(|r| r.generation).max())
            .unwrap_or(0)
            + 1
    };
    let do_rotate = Callback::new(move |()| {
        set_busy.set(true);
        set_error.set(None);
        rotated.set(None);
        suspended.set(None);
        leptos::task::spawn_local(async move {
            match gate.call(crate::protocol::Rotate).await {
                Ok(generation) => {
                    rotated.set(Some(generation));
                    version.update(|v| *v += 1);
                    focus_later("keys-outcome");
                }
                Err(e) => report(set_error, e),
            }
            set_busy.set(false);
        });
    });
    let do_suspend = Callback::new(move |()| {
        let Some(generation) = to_suspend.get_untracked() else {
            return;
        };
        set_busy.set(true);
        set_error.set(None);
        rotated.set(None);
        suspended.set(None);
        leptos::task::spawn_local(async move {
            match gate
                .call(crate::protocol::SuspendKey { org, generation })
                .await
            {
                Ok(()) => {
                    suspended.set(Some(generation));
                    version.update(|v| *v += 1);
                    focus_later("keys-outcome");
                }
                Err(e) => report(set_error, e),
            }
            set_busy.set(false);
        });
    });

    let outcome = move || {
        if let Some(generation) = rotated.get() {
            let fingerprint = keys
                .get()
                .and_then(|k| k.into_iter().find(|r| r.generation == generation))
                .and_then(|r| r.fingerprint)
                .unwrap_or_else(|| "—".into());
            return Some(view! {
                <div class="alert info" data-testid="rotated">
                    <p>{move || fill(&t!("admin.keys.rotated"), &[("generation", &generation.to_string())])}</p>
                    <p>{move || t!("admin.keys.fingerprint.label")} " " <code>{fingerprint.clone()}</code></p>
                </div>
            }
            .into_any());
        }
        suspended.get().map(|generation| {
            view! {
                <p class="alert info">{move || fill(&t!("admin.keys.suspended.done"), &[("generation", &generation.to_string())])}</p>
            }
            .into_any()
        })
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
