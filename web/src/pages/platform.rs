//! Platform administration (the platform part of journey 1): organisations, their first
//! admin (invitation, then certification by the platform root after comparing
//! fingerprints by phone), their key history (suspension), and the platform audit log.
//! The platform admin never sees a file.

use std::collections::HashMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use pli_api::OrgId;
use pli_api::messages::OrgSummary;

use super::ErrorBox;
use super::dialog::{Reauth, ReauthDialog, focus_later, report};
use super::manage::{
    AuditLog, AuditSource, InviteForm, KeysPanel, MembersList, MembersPanel, members_of,
};
use crate::app::{Ctx, me};
use crate::i18n::{self, fill, key, t, tn};
use crate::protocol::WorkerError;

#[component]
pub fn Platform() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let Some(account) = me(&ctx).filter(|m| m.role == pli_api::Role::PlatformAdmin) else {
        return view! {
            <section class="card">
                <h1>{move || t!("nav.platform")}</h1>
                <p class="alert warning">{move || t!("platform.only")}</p>
            </section>
        }
        .into_any();
    };
    let gate = Reauth::new();
    provide_context(gate);
    let version = RwSignal::new(0_u32);
    let selected = RwSignal::new(None::<OrgId>);
    let listed = LocalResource::new(move || {
        version.track();
        async move {
            let mut list = crate::bridge::call(crate::protocol::ListOrgs).await?;
            list.retain(|o| o.kind != pli_api::OrgKind::Platform);
            list.sort_by(|a, b| a.name.cmp(&b.name));
            Ok::<_, WorkerError>(list)
        }
    });
    let orgs = Signal::derive(move || listed.get().and_then(Result::ok));
    let error = Signal::derive(move || listed.get().and_then(Result::err));
    let prints = LocalResource::new(|| crate::bridge::call(crate::protocol::MyFingerprints));
    let root = move || prints.get().and_then(Result::ok).map(|p| p.root);
    let (me_id, me_name) = (account.user_id.to_string(), account.display_name.clone());
    let (own_id, own_name) = (account.org_id.to_string(), account.org_name.clone());
    let names = Signal::derive(move || {
        let mut names: HashMap<String, String> = orgs
            .get()
            .unwrap_or_default()
            .into_iter()
            .map(|o| (o.org_id.to_string(), o.name))
            .collect();
        names.insert(me_id.clone(), me_name.clone());
        names.insert(own_id.clone(), own_name.clone());
        names
    });
    let manage = move |org: OrgId| {
        selected.set(Some(org));
        focus_later("org-panel-title");
    };

    let rows = move || {
        let list = orgs.get()?;
        Some(if list.is_empty() {
            view! { <p>{move || t!("platform.orgs.empty")}</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="stack orgs">
                        <caption>{move || t!("platform.orgs.caption")}</caption>
                        <thead><tr>
                            <th scope="col">{move || t!("platform.org.name")}</th>
                            <th scope="col">{move || t!("platform.org.code")}</th>
                            <th scope="col">{move || t!("platform.org.kind")}</th>
                            <th scope="col">{move || t!("platform.org.retention")}</th>
                            <th scope="col">{move || t!("admin.members.actions")}</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|o| {
                                let id = o.org_id;
                                let kind = o.kind;
                                let days = o.retention_days;
                                let name = o.name.clone();
                                let current = move || (selected.get() == Some(id)).then_some("true");
                                view! {
                                    <tr data-testid=format!("org-{}", o.code) class:selected=move || selected.get() == Some(id)>
                                        <th scope="row" data-label=move || t!("platform.org.name")>{o.name.clone()}</th>
                                        <td data-label=move || t!("platform.org.code")><code>{o.code.clone()}</code></td>
                                        <td data-label=move || t!("platform.org.kind")>{move || t(i18n::org_kind(kind))}</td>
                                        <td data-label=move || t!("platform.org.retention")>
                                            {move || tn!("platform.org.days", days)}
                                        </td>
                                        <td class="row-actions" data-label=move || t!("admin.members.actions")>
                                            <button type="button" aria-pressed=current data-testid=format!("manage-{}", o.code)
                                                on:click=move |_| manage(id)>
                                                {move || t!("platform.org.manage")}
                                                <span class="visually-hidden">" " {name.clone()}</span>
                                            </button>
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

    // A memo, so that reloading the list does not redraw the panel (and lose the link
    // just made) unless the organisation itself changed.
    let current = Memo::new(move |_| {
        let id = selected.get()?;
        orgs.get()?.into_iter().find(|o| o.org_id == id)
    });
    let panel = move || {
        current
            .get()
            .map(|org| view! { <OrgPanel org=org version=version /> })
    };

    view! {
        <ReauthDialog gate=gate />
        <section class="card">
            <h1>{move || t!("platform.title")}</h1>
            <p>{move || t!("platform.intro")}</p>
            {move || root().map(|r| view! {
                <dl class="fingerprints">
                    <dt>{move || t!("fingerprint.root")}</dt>
                    <dd><code data-testid="root-fingerprint">{r}</code></dd>
                </dl>
                <p class="hint">{move || t!("platform.root.help")}</p>
            })}
            <ErrorBox error=error />
        </section>
        <super::root_key::RootKeyCard />
        <super::log_policy::LogPolicyCard />
        <section class="card" aria-labelledby="platform-orgs-title">
            <div class="section-head">
                <h2 id="platform-orgs-title">{move || t!("platform.orgs.title")}</h2>
                <button type="button" class="link" on:click=move |_| version.update(|v| *v += 1)
                    data-testid="orgs-refresh">
                    {move || t!("admin.refresh")}
                </button>
            </div>
            {rows}
        </section>
        <section class="card" aria-labelledby="platform-create-title">
            <h2 id="platform-create-title">{move || t!("platform.create.title")}</h2>
            <CreateOrg version=version selected=selected on_created=Callback::new(manage) />
        </section>
        {panel}
        <section class="card" aria-labelledby="platform-audit-title">
            <h2 id="platform-audit-title">{move || t!("platform.audit.title")}</h2>
            <p class="hint">{move || t!("platform.audit.intro")}</p>
            <AuditLog source=AuditSource::Platform names=names version=version />
        </section>
    }
    .into_any()
}

/// The form that creates a court or Département organisation (certified by the root in
/// the worker).
#[component]
fn CreateOrg(
    version: RwSignal<u32>,
    /// The organisation managed below: the "created" note stays while it is the new one.
    selected: RwSignal<Option<OrgId>>,
    on_created: Callback<OrgId>,
) -> impl IntoView {
    let gate = expect_context::<Reauth>();
    let kind = RwSignal::new(pli_api::OrgKind::Court);
    let name = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<WorkerError>);
    let (created, set_created) = signal(None::<(OrgId, String)>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        set_busy.set(true);
        set_error.set(None);
        set_created.set(None);
        leptos::task::spawn_local(async move {
            let display = name.get_untracked().trim().to_owned();
            let request = crate::protocol::CreateOrg {
                kind: kind.get_untracked(),
                name: display.clone(),
                code: code.get_untracked().trim().to_uppercase(),
            };
            match gate.call(request).await {
                Ok(org) => {
                    set_created.set(Some((org, display)));
                    name.set(String::new());
                    code.set(String::new());
                    version.update(|v| *v += 1);
                    on_created.run(org);
                }
                Err(e) => report(set_error, e),
            }
            set_busy.set(false);
        });
    };
    view! {
        <form on:submit=submit>
            <div class="field">
                <label for="create-org-kind">{move || t!("platform.org.kind")}</label>
                <select id="create-org-kind" data-testid="create-org-kind" class="short"
                    prop:value=move || kind.get().as_str() on:change=move |ev| {
                        if let Ok(chosen) = event_target_value(&ev).parse() {
                            kind.set(chosen);
                        }
                    }>
                    <option value="court">{move || t!("platform.kind.court")}</option>
                    <option value="departement">{move || t!("platform.kind.departement")}</option>
                </select>
            </div>
            <div class="field">
                <label for="create-org-name">{move || t!("platform.org.name")}</label>
                <input id="create-org-name" required maxlength="200" autocomplete="off" data-testid="create-org-name"
                    aria-describedby="create-org-name-help"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <p id="create-org-name-help" class="hint">{move || t!("platform.org.name.help")}</p>
            </div>
            <div class="field">
                <label for="create-org-code">{move || t!("platform.org.code")}</label>
                <input id="create-org-code" required maxlength="32" pattern="[A-Za-z0-9_\\-]+" autocomplete="off"
                    class="short" data-testid="create-org-code" aria-describedby="create-org-code-help"
                    prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
                <p id="create-org-code-help" class="hint">{move || t!("platform.org.code.help")}</p>
            </div>
            <ErrorBox error=error />
            <div class="actions">
                <button type="submit" class="primary" disabled=busy data-testid="create-org-submit">
                    {move || t!("platform.create.submit")}
                </button>
                <span role="status" class="ok">
                    {move || {
                        created
                            .get()
                            .filter(|(id, _)| selected.get() == Some(*id))
                            .map(|(_, n)| view! {
                                <span data-testid="org-created">
                                    {move || fill(&t!("platform.create.done"), &[("name", &n)])}
                                </span>
                            })
                    }}
                </span>
            </div>
        </form>
    }
}

/// One organisation as the platform admin manages it.
#[component]
fn OrgPanel(org: OrgSummary, version: RwSignal<u32>) -> impl IntoView {
    let id = org.org_id;
    let MembersList { members, error } = members_of(id, version);
    let has_admin = move || {
        members.get().is_some_and(|m| {
            m.members.iter().any(|u| {
                u.role == pli_api::Role::OrgAdmin && u.status != pli_api::AccountStatus::Removed
            }) || m
                .invitations
                .iter()
                .any(|i| i.role == pli_api::Role::OrgAdmin)
        })
    };
    let name = org.name.clone();
    view! {
        <section class="card org-panel" aria-labelledby="org-panel-title" data-testid="org-panel">
            <h2 id="org-panel-title" tabindex="-1">{org.name.clone()} " (" <code>{org.code.clone()}</code> ")"</h2>
            <ErrorBox error=error />
            <h3>{move || t!("platform.admins.title")}</h3>
            <p class="hint">{move || t!("platform.admins.help")}</p>
            <MembersPanel org=id platform=true members=members version=version />
            <h3>{move || t!("platform.invite.title")}</h3>
            {move || (!has_admin() && members.get().is_some()).then(|| {
                let name = name.clone();
                view! { <p class="alert warning">{move || fill(&t!("platform.invite.first"), &[("org", &name)])}</p> }
            })}
            <InviteForm org=id role=pli_api::Role::OrgAdmin version=version submit_label=key!("platform.invite.submit") members=members />
            <h3>{move || t!("admin.keys.title")}</h3>
            <p class="hint">{move || t!("platform.keys.help")}</p>
            <KeysPanel org=id version=version />
        </section>
    }
}
