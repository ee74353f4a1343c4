//! The audit log: its pages, its hash-chain verification and its export.

use pli_api::ErrorCode;
use pli_api::endpoints::{Endpoint, ExportAudit};
use std::collections::HashMap;

use leptos::prelude::*;
use pli_api::OrgId;
use pli_api::messages::{AuditEntry, AuditQuery, ChainVerification};
use wasm_bindgen::JsCast as _;
use wasm_bindgen_futures::JsFuture;

use super::super::ErrorBox;
use crate::i18n::{self, Key, fill, key, t, tn};
use crate::protocol::WorkerError;

use super::*;

pub use crate::protocol::AuditSource;

/// Entries shown at a time.
const PAGE: u64 = 50;

async fn audit_page(
    source: AuditSource,
    after: u64,
    limit: u64,
) -> Result<Vec<AuditEntry>, WorkerError> {
    let query = AuditQuery {
        after: Some(after),
        limit: Some(u32::try_from(limit).unwrap_or(u32::MAX)),
    };
    crate::bridge::call(crate::protocol::Audit { source, query }).await
}

/// The latest entries, newest first: from the verified count when there is one, else by
/// reading the chain to its end.
async fn latest_entries(
    source: AuditSource,
    count: Option<u64>,
) -> Result<Vec<AuditEntry>, WorkerError> {
    let mut entries = if let Some(count) = count {
        audit_page(source, count.saturating_sub(PAGE), PAGE).await?
    } else {
        let mut kept: Vec<AuditEntry> = Vec::new();
        let mut after = 0;
        loop {
            let batch = audit_page(source, after, 1000).await?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            let full = batch.len() >= 1000;
            kept.extend(batch);
            let excess = kept.len().saturating_sub(PAGE as usize);
            kept.drain(..excess);
            if !full {
                break;
            }
        }
        kept
    };
    entries.sort_by_key(|e| std::cmp::Reverse(e.seq));
    Ok(entries)
}

/// Saves the organisation's whole audit log (JSON lines) as a file. It is not secret
/// content, so the page fetches it itself with the session cookie.
async fn export_audit(org: OrgId) -> Result<(), WorkerError> {
    let failed = |e: wasm_bindgen::JsValue| WorkerError::new(ErrorCode::Io, format!("{e:?}"));
    let window =
        web_sys::window().ok_or_else(|| WorkerError::new(ErrorCode::Internal, "no window"))?;
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str(&Endpoint::path(&ExportAudit { org })))
            .await
            .map_err(|_| WorkerError::new(ErrorCode::Network, "fetch failed"))?
            .dyn_into()
            .map_err(failed)?;
    if !response.ok() {
        let text = JsFuture::from(response.text().map_err(failed)?)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        let code = serde_json::from_str::<pli_api::messages::ErrorBody>(&text)
            .map_or(ErrorCode::Unavailable, |b| b.error.code);
        return Err(WorkerError::new(code, text));
    }
    let blob: web_sys::Blob = JsFuture::from(response.blob().map_err(failed)?)
        .await
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    crate::pages::save_blob(&blob, &format!("audit-{org}.jsonl"))?;
    Ok(())
}

/// An entry's object, in words.
fn object_text(entry: &AuditEntry, names: &HashMap<String, String>) -> String {
    let id = entry.object_id.as_str();
    let named = |key: Key| {
        names
            .get(id)
            .cloned()
            .unwrap_or_else(|| fill(&t(key), &[("id", &short(id))]))
    };
    match entry.object_type.as_str() {
        "user" => named(key!("admin.audit.object.user")),
        "organisation" => named(key!("admin.audit.object.organisation")),
        "exchange" => fill(&t!("admin.audit.object.exchange"), &[("id", &short(id))]),
        "log_entry" => fill(&t!("admin.audit.object.log_entry"), &[("id", id)]),
        "org_key" => match id.split_once('/') {
            Some((org, generation)) => format!(
                "{} — {}",
                names.get(org).cloned().unwrap_or_else(|| short(org)),
                fill(
                    &t!("admin.keys.generation.n"),
                    &[("generation", generation)]
                )
            ),
            None => fill(&t!("admin.keys.generation.n"), &[("generation", id)]),
        },
        other => format!("{other} {}", short(id)),
    }
}

/// A fingerprint the relay logged as hex, in the form the pages show (`B087 31C8 …`, the
/// first 16 bytes), so that it can be compared at a glance with the key history.
fn display_fingerprint(hex: &str) -> String {
    let digits: Vec<char> = hex.chars().collect();
    if digits.len() < 32 || !digits.iter().all(char::is_ascii_hexdigit) {
        return hex.to_owned();
    }
    digits
        .chunks(4)
        .take(8)
        .map(|group| group.iter().collect::<String>().to_uppercase())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An entry's detail (ids and sizes only): `key: value` pairs, in words where possible.
fn detail_text(detail: &str, names: &HashMap<String, String>) -> String {
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(detail) {
        Ok(map) => map
            .iter()
            .filter_map(|(k, v)| {
                let raw = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                if raw.is_empty() {
                    return None;
                }
                let value = match k.as_str() {
                    "bytes" => raw.parse().map_or_else(|_| raw.clone(), i18n::size),
                    "role" => raw
                        .parse()
                        .map_or_else(|_| raw.clone(), |role| t(i18n::admin_role(role))),
                    "kind" => raw
                        .parse()
                        .map_or_else(|_| raw.clone(), |kind| t(i18n::org_kind(kind))),
                    "urgent" => match raw.as_str() {
                        "true" => t!("admin.audit.urgent.true"),
                        "false" => t!("admin.audit.urgent.false"),
                        _ => raw,
                    },
                    "fingerprint" => display_fingerprint(&raw),
                    _ => names.get(&raw).cloned().unwrap_or(raw),
                };
                let name = word_text("admin.audit.detail", k);
                Some(fill(
                    &t!("admin.audit.detail.pair"),
                    &[("name", &name), ("value", &value)],
                ))
            })
            .collect::<Vec<_>>()
            .join(" ; "),
        Err(_) => detail.to_owned(),
    }
}

/// The latest audit entries, with the chain verification (organisations) and export.
#[component]
pub fn AuditLog(
    source: AuditSource,
    /// Ids (users, organisations) to names.
    names: Signal<HashMap<String, String>>,
    version: RwSignal<u32>,
) -> impl IntoView {
    // Everyone the key directory's log certified, for ids outside `names` (a sender of
    // another organisation, the platform admin, someone who has left).
    let certified = RwSignal::new(HashMap::<String, String>::new());
    leptos::task::spawn_local(async move {
        if let Ok(list) = crate::bridge::call(crate::protocol::DirectoryNames).await {
            certified.set(list.into_iter().collect());
        }
    });
    let names = Signal::derive(move || {
        let mut all = certified.get();
        all.extend(names.get());
        all
    });
    let entries = RwSignal::new(None::<Vec<AuditEntry>>);
    let verification = RwSignal::new(None::<ChainVerification>);
    let (error, set_error) = signal(None::<WorkerError>);
    let (busy, set_busy) = signal(false);
    let load = move || {
        set_error.set(None);
        leptos::task::spawn_local(async move {
            let count = if let AuditSource::Org(org) = source {
                match crate::bridge::call(crate::protocol::VerifyAudit { org }).await {
                    Ok(v) => {
                        let count = v.entries;
                        verification.set(Some(v));
                        Some(count)
                    }
                    Err(e) => {
                        set_error.set(Some(e));
                        None
                    }
                }
            } else {
                None
            };
            match latest_entries(source, count).await {
                Ok(list) => entries.set(Some(list)),
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    Effect::new(move |_| {
        version.track();
        load();
    });
    let older = move |_| {
        let Some(oldest) = entries
            .get_untracked()
            .and_then(|e| e.iter().map(|x| x.seq).min())
        else {
            return;
        };
        let before = oldest.saturating_sub(1);
        let after = before.saturating_sub(PAGE);
        set_busy.set(true);
        leptos::task::spawn_local(async move {
            match audit_page(source, after, before - after).await {
                Ok(mut more) => {
                    more.sort_by_key(|e| std::cmp::Reverse(e.seq));
                    entries.update(|e| {
                        if let Some(e) = e {
                            e.extend(more);
                        }
                    });
                }
                Err(e) => set_error.set(Some(e)),
            }
            set_busy.set(false);
        });
    };
    let export = move |_| {
        if let AuditSource::Org(org) = source {
            set_error.set(None);
            leptos::task::spawn_local(async move {
                if let Err(e) = export_audit(org).await {
                    set_error.set(Some(e));
                }
            });
        }
    };

    let status = move || {
        verification.get().map(|v| {
            let head = v.head.to_string();
            if v.valid {
                view! {
                    <div class="audit-status alert info" data-testid="audit-status" data-valid="true">
                        <p><span class="badge verified">{move || t!("admin.audit.valid")}</span> " "
                            {move || tn!("admin.audit.valid.detail", v.entries)}</p>
                        <p class="hint">{move || t!("admin.audit.head")} " " <code>{head.clone()}</code></p>
                    </div>
                }
                .into_any()
            } else {
                let seq = v.first_bad_seq.unwrap_or(0).to_string();
                view! {
                    <div class="audit-status alert error" role="alert" data-testid="audit-status" data-valid="false">
                        <p><strong>{move || fill(&t!("admin.audit.broken"), &[("seq", &seq)])}</strong></p>
                        <p>{move || t!("admin.audit.broken.help")}</p>
                        <p class="hint">{move || t!("admin.audit.head")} " " <code>{head.clone()}</code></p>
                    </div>
                }
                .into_any()
            }
        })
    };

    let table = move || {
        let list = entries.get()?;
        let names = names.get();
        let first_bad = verification.get().and_then(|v| v.first_bad_seq);
        let more = list.iter().map(|e| e.seq).min().is_some_and(|s| s > 1);
        Some(if list.is_empty() {
            view! { <p>{move || t!("admin.audit.empty")}</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="stack audit">
                        <caption>{move || t!("admin.audit.caption")}</caption>
                        <thead><tr>
                            <th scope="col">{move || t!("admin.audit.seq")}</th>
                            <th scope="col">{move || t!("admin.audit.date")}</th>
                            <th scope="col">{move || t!("admin.audit.actor")}</th>
                            <th scope="col">{move || t!("admin.audit.action")}</th>
                            <th scope="col">{move || t!("admin.audit.object")}</th>
                            <th scope="col">{move || t!("admin.audit.detail")}</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|e| {
                                let actor = match &e.actor {
                                    Some(id) => {
                                        let id = id.clone();
                                        let name = names.get(&id).cloned();
                                        // Members by `names`, anyone else certified by the log; an
                                        // account never certified (a pending one) by its id.
                                        let unknown = key!("admin.audit.object.user");
                                        Signal::derive(move || name.clone().unwrap_or_else(|| fill(&t(unknown), &[("id", &short(&id))])))
                                    }
                                    None => Signal::derive(|| t!("admin.audit.system")),
                                };
                                let action = e.action.clone();
                                let object = { let names = names.clone(); let e = e.clone(); move || object_text(&e, &names) };
                                let detail = { let names = names.clone(); let d = e.detail.clone(); move || if d == "{}" { String::new() } else { detail_text(&d, &names) } };
                                let at = e.at;
                                view! {
                                    <tr data-action=e.action.clone() class:broken=first_bad.is_some_and(|b| e.seq >= b)>
                                        <th scope="row" data-label=move || t!("admin.audit.seq")>{e.seq}</th>
                                        <td data-label=move || t!("admin.audit.date")>{move || i18n::datetime(at)}</td>
                                        <td data-label=move || t!("admin.audit.actor")>{move || actor.get()}</td>
                                        <td data-label=move || t!("admin.audit.action")>{move || word_text("admin.audit.action", &action)}</td>
                                        <td data-label=move || t!("admin.audit.object")>{object}</td>
                                        <td data-label=move || t!("admin.audit.detail")><span class="detail">{detail}</span></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                {more.then(|| view! {
                    <div class="actions">
                        <button type="button" on:click=older disabled=busy data-testid="audit-older">
                            {move || t!("admin.audit.older")}
                        </button>
                    </div>
                })}
            }
            .into_any()
        })
    };

    view! {
        {status}
        <ErrorBox error=error />
        <div class="actions">
            <button type="button" on:click=move |_| load() data-testid="audit-refresh">
                {move || if matches!(source, AuditSource::Org(_)) { t!("admin.audit.verify") } else { t!("admin.audit.refresh") }}
            </button>
            {matches!(source, AuditSource::Org(_)).then(|| view! {
                <button type="button" on:click=export data-testid="audit-export">{move || t!("admin.audit.export")}</button>
            })}
        </div>
        {table}
    }
}
