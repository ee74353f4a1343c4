//! Organisation administration (journey 4), for the organisation's admins: members and
//! their certification, invitations, removal and password-loss resets, the organisation
//! key (rotation, history, suspension), whether members must use two-factor
//! authentication, how long exchanges are kept, and the audit log.

use std::collections::HashMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use pli_api::messages::Members;
use pli_api::{OrgId, SecondFactor};

use super::ErrorBox;
use super::dialog::{Reauth, ReauthDialog, report};
use super::manage::{
    AuditLog, AuditSource, InviteForm, KeysPanel, MembersList, MembersPanel, PostQuantumPanel,
    ProConnectForm, members_of,
};
use crate::app::{Ctx, me};
use crate::i18n::{key, t, tn};
use crate::protocol::WorkerError;

#[component]
pub fn Admin() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let Some(account) = me(&ctx).filter(|m| m.role == pli_api::Role::OrgAdmin) else {
        return view! {
            <section class="card">
                <h1>{move || t!("nav.admin")}</h1>
                <p class="alert warning">{move || t!("admin.only")}</p>
            </section>
        }
        .into_any();
    };
    let org = account.org_id;
    let gate = Reauth::new();
    provide_context(gate);
    let version = RwSignal::new(0_u32);
    let MembersList { members, error } = members_of(org, version);
    let rotate = RwSignal::new(false);
    let (me_id, me_name) = (account.user_id.to_string(), account.display_name.clone());
    let (org_id, org_name) = (org.to_string(), account.org_name.clone());
    let names = Signal::derive(move || {
        let mut names: HashMap<String, String> = members
            .get()
            .map(|m| {
                m.members
                    .iter()
                    .map(|m| (m.user_id.to_string(), m.display_name.clone()))
                    .chain(
                        m.invitations
                            .iter()
                            .map(|i| (i.user_id.to_string(), i.display_name.clone())),
                    )
                    .collect()
            })
            .unwrap_or_default();
        names.insert(me_id.clone(), me_name.clone());
        names.insert(org_id.clone(), org_name.clone());
        names
    });
    let title = account.org_name.clone();
    view! {
        <ReauthDialog gate=gate />
        <section class="card admin-head">
            <h1>{move || t!("admin.title")}</h1>
            <p class="lead">{title}</p>
            <p>{move || t!("admin.intro")}</p>
            // A service without a key cannot receive anything: the first thing to do.
            <Show when=move || members.get().is_some_and(|m| m.generations.is_empty())>
                <div class="alert warning" data-testid="no-key">
                    <p>{move || t!("admin.keys.none")}</p>
                    <div class="actions">
                        <button type="button" class="primary" data-testid="create-key-now"
                            on:click=move |_| rotate.set(true)>
                            {move || t!("admin.keys.create")}
                        </button>
                    </div>
                </div>
            </Show>
            <ErrorBox error=error />
        </section>
        <section class="card" aria-labelledby="admin-members-title">
            <div class="section-head">
                <h2 id="admin-members-title">{move || t!("admin.members.title")}</h2>
                <button type="button" class="link" on:click=move |_| version.update(|v| *v += 1)
                    data-testid="members-refresh">
                    {move || t!("admin.refresh")}
                </button>
            </div>
            <MembersPanel org=org platform=false members=members version=version rotate=rotate />
        </section>
        <section class="card" aria-labelledby="admin-invite-title">
            <h2 id="admin-invite-title">{move || t!("admin.invite.title")}</h2>
            <p class="hint">{move || t!("admin.invite.help")}</p>
            <InviteForm org=org role=pli_api::Role::Member version=version submit_label=key!("admin.invite.submit") members=members />
        </section>
        <section class="card" aria-labelledby="admin-keys-title">
            <h2 id="admin-keys-title">{move || t!("admin.keys.title")}</h2>
            <p class="hint">{move || t!("admin.keys.intro")}</p>
            <KeysPanel org=org version=version rotate=rotate />
        </section>
        <section class="card" aria-labelledby="admin-pq-title">
            <h2 id="admin-pq-title">{move || t!("admin.pq.title")}</h2>
            <PostQuantumPanel org=org members=members version=version />
        </section>
        <section class="card" aria-labelledby="admin-second-factor-title">
            <h2 id="admin-second-factor-title">{move || t!("admin.second_factor.title")}</h2>
            <SecondFactorForm org=org members=members version=version />
        </section>
        <section class="card" aria-labelledby="admin-proconnect-title">
            <h2 id="admin-proconnect-title">{move || t!("admin.proconnect.title")}</h2>
            <ProConnectForm org=org members=members version=version />
        </section>
        <section class="card" aria-labelledby="admin-retention-title">
            <h2 id="admin-retention-title">{move || t!("admin.retention.title")}</h2>
            <RetentionForm org=org version=version />
        </section>
        <section class="card" aria-labelledby="admin-audit-title">
            <h2 id="admin-audit-title">{move || t!("admin.audit.title")}</h2>
            <p class="hint">{move || t!("admin.audit.intro")}</p>
            <AuditLog source=AuditSource::Org(org) names=names version=version />
        </section>
    }
    .into_any()
}

/// Whether the organisation's members must use two-factor authentication (required by
/// default), with how many active members have not turned it on yet: once it is
/// required, they are asked to before they can send or read.
#[component]
fn SecondFactorForm(
    org: OrgId,
    members: Signal<Option<Members>>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let gate = expect_context::<Reauth>();
    let choice = RwSignal::new(None::<SecondFactor>);
    Effect::new(move |_| {
        if let Some(m) = members.get()
            && choice.get_untracked().is_none()
        {
            choice.set(Some(m.second_factor));
        }
    });
    let without = move || {
        members.get().map_or(0, |m| {
            m.members
                .iter()
                .filter(|m| m.status == pli_api::AccountStatus::Active && !m.totp_enabled)
                .count()
        })
    };
    let (saved, set_saved) = signal(None::<SecondFactor>);
    let (error, set_error) = signal(None::<WorkerError>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        set_error.set(None);
        set_saved.set(None);
        let Some(second_factor) = choice.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let request = crate::protocol::SetSecondFactor { org, second_factor };
            match gate.call(request).await {
                Ok(()) => {
                    set_saved.set(Some(second_factor));
                    version.update(|v| *v += 1);
                }
                Err(e) => report(set_error, e),
            }
        });
    };
    let option = move |value: SecondFactor, id: &'static str, label: crate::i18n::Key| {
        view! {
            <div class="field inline">
                <input type="radio" id=id name="second-factor" data-testid=id
                    prop:checked=move || choice.get() == Some(value)
                    on:change=move |_| choice.set(Some(value)) />
                <label for=id>{move || t(label)}</label>
            </div>
        }
    };
    view! {
        <form on:submit=submit>
            <fieldset>
                <legend>{move || t!("admin.second_factor.legend")}</legend>
                {option(SecondFactor::Required, "second-factor-required", key!("admin.second_factor.required"))}
                {option(SecondFactor::Optional, "second-factor-optional", key!("admin.second_factor.optional"))}
            </fieldset>
            <p class="hint" data-testid="second-factor-without">
                {move || match without() {
                    0 => t!("admin.second_factor.everyone"),
                    n => tn!("admin.second_factor.without", n),
                }}
            </p>
            <ErrorBox error=error />
            <div class="actions">
                <button type="submit" class="primary" data-testid="second-factor-submit">{move || t!("admin.second_factor.submit")}</button>
                <span role="status" class="ok" data-testid="second-factor-saved">
                    {move || saved.get().map(|policy| match policy {
                        SecondFactor::Required => t!("admin.second_factor.saved.required"),
                        SecondFactor::Optional => t!("admin.second_factor.saved.optional"),
                    })}
                </span>
            </div>
        </form>
    }
}

/// How long the organisation's exchanges are kept (1 to 3650 days).
#[component]
fn RetentionForm(org: OrgId, version: RwSignal<u32>) -> impl IntoView {
    let gate = expect_context::<Reauth>();
    let days = RwSignal::new(String::new());
    // The current value, from the member list (which org admins can read).
    leptos::task::spawn_local(async move {
        if let Ok(members) = crate::bridge::call(crate::protocol::MembersOf { org }).await
            && days.get_untracked().is_empty()
        {
            days.set(members.retention_days.to_string());
        }
    });
    let (saved, set_saved) = signal(None::<u64>);
    let (invalid, set_invalid) = signal(false);
    let (error, set_error) = signal(None::<WorkerError>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        set_error.set(None);
        set_saved.set(None);
        let value = days
            .get_untracked()
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|d| (1..=3650).contains(d));
        set_invalid.set(value.is_none());
        let Some(value) = value else {
            return;
        };
        leptos::task::spawn_local(async move {
            let request = crate::protocol::SetRetention {
                org,
                retention_days: value,
            };
            match gate.call(request).await {
                Ok(_) => {
                    set_saved.set(Some(value));
                    version.update(|v| *v += 1);
                }
                Err(e) => report(set_error, e),
            }
        });
    };
    view! {
        <form on:submit=submit novalidate>
            <div class="field">
                <label for="retention-days">{move || t!("admin.retention.days")}</label>
                <input id="retention-days" type="number" inputmode="numeric" min="1" max="3650" step="1" required
                    class="short" data-testid="retention-days"
                    aria-describedby=move || if invalid.get() { "retention-error retention-help" } else { "retention-help" }
                    aria-invalid=move || invalid.get().then_some("true")
                    prop:value=move || days.get() on:input=move |ev| days.set(event_target_value(&ev)) />
                <p id="retention-help" class="hint">{move || t!("admin.retention.help")}</p>
            </div>
            <Show when=move || invalid.get()>
                <div class="alert error" role="alert" id="retention-error" data-testid="retention-error">
                    <p>{move || t!("admin.retention.invalid")}</p>
                </div>
            </Show>
            <ErrorBox error=error />
            <div class="actions">
                <button type="submit" class="primary" data-testid="retention-submit">{move || t!("admin.retention.submit")}</button>
                <span role="status" class="ok">
                    {move || saved.get().map(|days| tn!("admin.retention.saved", days))}
                </span>
            </div>
        </form>
    }
}
