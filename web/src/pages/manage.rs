//! What the organisation admin page and the platform page share: the members table
//! (fingerprints computed here from the public keys, certification after comparing them
//! by phone, removal, password-loss resets, open invitations), the invitation form and its
//! one-time link, the key history (verified here up to the pinned platform root), and the
//! audit log with its hash-chain verification and export.

use pli_api::ErrorCode;
use pli_api::endpoints::{Endpoint, ExportAudit};
use std::collections::HashMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use pli_api::messages::{
    AuditEntry, AuditQuery, ChainVerification, InvitationInfo, InviteResponse, MemberSummary,
    Members, PublicKeys, Removed,
};
use pli_api::{AccountStatus, Base64, OrgId};
use pli_crypto::cert::Role;
use pli_crypto::sign::{Fingerprint, VerifyingKey};
use wasm_bindgen::JsCast as _;
use wasm_bindgen_futures::JsFuture;

use super::ErrorBox;
use super::dialog::{ConfirmDialog, Reauth, focus_later, report};
use crate::app::{Ctx, me};
use crate::i18n::{self, fill, t};
use crate::protocol::WorkerError;

// ----- fingerprints ------------------------------------------------------------------------

fn key32(bytes: &Base64) -> Option<[u8; 32]> {
    bytes.0.as_slice().try_into().ok()
}

/// The signing key's fingerprint as people compare it (`pli_crypto`'s display form).
pub fn signing_fingerprint(keys: &PublicKeys) -> Option<String> {
    let key = VerifyingKey::from_bytes(&key32(&keys.signing_key)?).ok()?;
    Some(Fingerprint::of_signing_key(&key).to_string())
}

/// The encryption key's fingerprint.
pub fn encryption_fingerprint(keys: &PublicKeys) -> Option<String> {
    let key = pli_crypto::age::Recipient::from_bytes(key32(&keys.encryption_key)?);
    Some(Fingerprint::of_recipient(&key).to_string())
}

/// The first characters of an id, to name something without a better name.
fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

/// A text from the catalogue, or `fallback` if the key is missing.
fn t_or(key: &str, fallback: &str) -> String {
    let text = t(key);
    if text == key {
        fallback.to_owned()
    } else {
        text
    }
}

// ----- the one-time link -------------------------------------------------------------------

/// A one-time link to hand over, with a copy button.
#[component]
pub fn LinkBox(
    /// The link.
    link: String,
    /// When it expires (ms).
    expires_at: u64,
    /// The person it is for.
    name: String,
    /// The address it was e-mailed to (if the relay sends mail).
    email: String,
    /// `data-testid` of the link.
    testid: &'static str,
) -> impl IntoView {
    let (copied, set_copied) = signal(false);
    let for_copy = link.clone();
    let copy = move |_| {
        let text = for_copy.clone();
        leptos::task::spawn_local(async move {
            set_copied.set(copy_text(&text).await);
        });
    };
    let name_for_help = name.clone();
    view! {
        <div class="linkbox">
            <p class="linkbox-label">{move || fill(&t("admin.link.label"), &[("name", &name)])}</p>
            <p><code class="link-output" data-testid=testid>{link}</code></p>
            <div class="actions">
                <button type="button" on:click=copy>{move || t("admin.link.copy")}</button>
                <span role="status" class="ok">{move || copied.get().then(|| t("admin.link.copied"))}</span>
            </div>
            <p class="hint">
                {move || fill(&t("admin.link.help"), &[("name", &name_for_help), ("date", &i18n::datetime(expires_at))])}
            </p>
            <p class="hint">{move || fill(&t("admin.link.mail"), &[("email", &email)])}</p>
        </div>
    }
}

/// Puts `text` on the clipboard; false if the browser refused.
async fn copy_text(text: &str) -> bool {
    use js_sys::{Function, Promise, Reflect};
    let Some(window) = web_sys::window() else {
        return false;
    };
    let Ok(clipboard) = Reflect::get(&window.navigator(), &"clipboard".into()) else {
        return false;
    };
    let write = Reflect::get(&clipboard, &"writeText".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok());
    let Some(promise) = write
        .and_then(|f| f.call1(&clipboard, &text.into()).ok())
        .and_then(|p| p.dyn_into::<Promise>().ok())
    else {
        return false;
    };
    JsFuture::from(promise).await.is_ok()
}

// ----- invitations --------------------------------------------------------------------------

/// Invites someone into `org` with `role` and shows the one-time link.
#[component]
pub fn InviteForm(
    org: OrgId,
    /// Member (an organisation admin invites) or organisation admin (the platform admin).
    role: Role,
    /// Bumped after an invitation, so lists reload.
    version: RwSignal<u32>,
    /// Catalogue key of the submit button.
    submit_label: &'static str,
    /// The organisation's members: once the invitee has joined, the link is put away.
    members: RwSignal<Option<Members>>,
) -> impl IntoView {
    let gate = expect_context::<Reauth>();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<WorkerError>);
    let (made, set_made) = signal(None::<(String, String, InviteResponse)>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        set_busy.set(true);
        set_error.set(None);
        set_made.set(None);
        leptos::task::spawn_local(async move {
            let (address, display) = (
                email.get_untracked().trim().to_owned(),
                name.get_untracked().trim().to_owned(),
            );
            let request = crate::protocol::Invite {
                org,
                email: address.clone(),
                display_name: display.clone(),
                role,
            };
            match gate.call(request).await {
                Ok(response) => {
                    set_made.set(Some((display, address, response)));
                    email.set(String::new());
                    name.set(String::new());
                    version.update(|v| *v += 1);
                    focus_later("invite-result");
                }
                Err(e) => report(set_error, e),
            }
            set_busy.set(false);
        });
    };
    view! {
        <form on:submit=submit class="invite">
            <div class="field">
                <label for="invite-name">{move || t("admin.invite.name")}</label>
                <input id="invite-name" autocomplete="off" required maxlength="200" data-testid="invite-name"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            </div>
            <div class="field">
                <label for="invite-email">{move || t("admin.invite.email")}</label>
                <input id="invite-email" type="email" autocomplete="off" required data-testid="invite-email"
                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
            </div>
            <ErrorBox error=error />
            <div class="actions">
                <button type="submit" class="primary" disabled=busy data-testid="invite-submit">
                    {move || t(submit_label)}
                </button>
                <Show when=move || busy.get()>
                    <span role="status" class="hint">{move || t("state.working")}</span>
                </Show>
            </div>
        </form>
        <div id="invite-result" tabindex="-1" role="status">
            {move || made.get().map(|(display, address, r)| {
                let joined = members
                    .get()
                    .is_some_and(|m| m.members.iter().any(|x| x.email.eq_ignore_ascii_case(&address)));
                if joined {
                    view! {
                        <p class="hint" data-testid="invitation-used">
                            {move || fill(&t("admin.invite.used"), &[("name", &display)])}
                        </p>
                    }
                    .into_any()
                } else {
                    view! {
                        <p class="ok">{let display = display.clone(); move || fill(&t("admin.invite.done"), &[("name", &display)])}</p>
                        <LinkBox link=r.link expires_at=r.expires_at name=display.clone() email=address testid="invitation-link" />
                    }
                    .into_any()
                }
            })}
        </div>
    }
}

// ----- members ------------------------------------------------------------------------------

/// Loads `org`'s members into `members`.
pub fn load_members(
    org: OrgId,
    members: RwSignal<Option<Members>>,
    error: WriteSignal<Option<WorkerError>>,
) {
    leptos::task::spawn_local(async move {
        match crate::bridge::call(crate::protocol::MembersOf { org }).await {
            Ok(m) => members.set(Some(m)),
            Err(e) => error.set(Some(e)),
        }
    });
}

/// What the last action on a member did.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Certified(String),
    /// Who, what the relay did, and the latest key generation when they left.
    Removed(String, Removed, Option<u32>),
    Reset(MemberSummary, InviteResponse),
    Withdrawn(String),
}

fn status_badge(status: AccountStatus) -> &'static str {
    match status {
        AccountStatus::Active => "badge verified",
        AccountStatus::Pending => "badge warning",
        AccountStatus::Removed => "badge neutral",
    }
}

fn status_order(status: AccountStatus) -> u8 {
    match status {
        AccountStatus::Pending => 0,
        AccountStatus::Active => 1,
        AccountStatus::Removed => 2,
    }
}

/// The members of `org`, with what an admin can do to each.
#[component]
pub fn MembersPanel(
    org: OrgId,
    /// The platform admin's view: certifies the organisation's admins; no removal, no reset.
    platform: bool,
    members: RwSignal<Option<Members>>,
    version: RwSignal<u32>,
    /// Opens the key rotation (organisation admin).
    #[prop(optional)]
    rotate: Option<RwSignal<bool>>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let gate = expect_context::<Reauth>();
    let my_id = me(&ctx).map(|m| m.user_id);
    let selected = RwSignal::new(None::<MemberSummary>);
    let certify_open = RwSignal::new(false);
    let remove_open = RwSignal::new(false);
    let reset_open = RwSignal::new(false);
    let compared = RwSignal::new(false);
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<WorkerError>);
    let outcome = RwSignal::new(None::<Outcome>);

    let certifiable = move |m: &MemberSummary| {
        m.status == AccountStatus::Pending
            && m.role
                == if platform {
                    Role::OrgAdmin
                } else {
                    Role::Member
                }
    };
    let run = move |op: &'static str, member: MemberSummary| {
        set_busy.set(true);
        set_error.set(None);
        outcome.set(None);
        leptos::task::spawn_local(async move {
            let user = member.user_id;
            let result = match op {
                "certify" => gate
                    .call(crate::protocol::Certify { org, user })
                    .await
                    .map(|()| Outcome::Certified(member.display_name.clone())),
                "remove" => {
                    let generation = members
                        .get_untracked()
                        .and_then(|m| m.generations.iter().max().copied());
                    gate.call(crate::protocol::Remove { org, user })
                        .await
                        .map(|r| Outcome::Removed(member.display_name.clone(), r, generation))
                }
                _ => gate
                    .call(crate::protocol::Reset { org, user })
                    .await
                    .map(|r| Outcome::Reset(member.clone(), r)),
            };
            match result {
                Ok(done) => {
                    outcome.set(Some(done));
                    version.update(|v| *v += 1);
                    focus_later("member-outcome");
                }
                Err(e) => report(set_error, e),
            }
            set_busy.set(false);
        });
    };
    // A certified member without the current key (a second admin, whom the platform
    // certified without keys): this admin's browser wraps the keys it holds for them.
    let grant = move |member: MemberSummary| {
        set_error.set(None);
        outcome.set(None);
        leptos::task::spawn_local(async move {
            let user = member.user_id;
            match gate.call(crate::protocol::Grant { org, user }).await {
                Ok(()) => version.update(|v| *v += 1),
                Err(e) => report(set_error, e),
            }
        });
    };
    let withdraw = move |invitation: InvitationInfo| {
        set_error.set(None);
        outcome.set(None);
        leptos::task::spawn_local(async move {
            let request = crate::protocol::WithdrawInvitation {
                org,
                user: invitation.user_id,
            };
            match gate.call(request).await {
                Ok(()) => {
                    outcome.set(Some(Outcome::Withdrawn(invitation.email.clone())));
                    version.update(|v| *v += 1);
                    focus_later("member-outcome");
                }
                Err(e) => report(set_error, e),
            }
        });
    };

    let row = move |m: MemberSummary| {
        let signing = signing_fingerprint(&m.keys);
        let encryption = encryption_fingerprint(&m.keys);
        let latest = members
            .get_untracked()
            .and_then(|all| all.generations.iter().max().copied());
        let lacks_latest = m.status == pli_api::AccountStatus::Active
            && latest.is_some_and(|g| !m.granted_generations.contains(&g));
        let granted = if m.granted_generations.is_empty() {
            None
        } else {
            Some(
                m.granted_generations
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        };
        let can_certify = certifiable(&m);
        let is_me = my_id == Some(m.user_id);
        let can_remove = !platform && m.status != pli_api::AccountStatus::Removed && !is_me;
        let can_reset = !platform && m.status != AccountStatus::Removed && m.role == Role::Member;
        let (for_certify, for_remove, for_reset, for_grant) =
            (m.clone(), m.clone(), m.clone(), m.clone());
        let (name, email, role, status) =
            (m.display_name.clone(), m.email.clone(), m.role, m.status);
        let totp = m.totp_enabled;
        let hidden_name = move || view! { <span class="visually-hidden">" " {name.clone()}</span> };
        view! {
            <tr data-testid=format!("member-{email}") class=format!("member {status}")>
                <th scope="row" data-label=move || t("admin.members.member")>
                    {m.display_name.clone()}
                    {is_me.then(|| view! { " " <span class="hint">{move || t("admin.members.you")}</span> })}
                    <span class="email">{email.clone()}</span>
                </th>
                <td data-label=move || t("admin.members.role")>
                    {move || t_or(&format!("admin.role.{role}"), role.as_str())}
                </td>
                <td data-label=move || t("admin.members.status")>
                    <span class=status_badge(status)>
                        {move || t_or(&format!("admin.status.{status}"), status.as_str())}
                    </span>
                </td>
                <td data-label=move || t("admin.members.totp")>
                    {move || t(if totp { "admin.totp.on" } else { "admin.totp.off" })}
                </td>
                <td data-label=move || t("admin.members.fingerprints")>
                    <dl class="prints">
                        <dt>{move || t("admin.fingerprint.signing")}</dt>
                        <dd><code>{signing.clone().unwrap_or_else(|| "—".into())}</code></dd>
                        <dt>{move || t("admin.fingerprint.encryption")}</dt>
                        <dd><code>{encryption.clone().unwrap_or_else(|| "—".into())}</code></dd>
                    </dl>
                </td>
                <td data-label=move || t("admin.members.generations")>
                    {let g = granted.clone(); move || g.clone().unwrap_or_else(|| t("admin.members.no_generation"))}
                    {lacks_latest.then(|| view! {
                        <br /><span class="badge warning">{move || t("admin.members.lacks_latest")}</span>
                    })}
                </td>
                <td class="row-actions" data-label=move || t("admin.members.actions")>
                    {(lacks_latest && !platform).then(|| {
                        let m = for_grant.clone();
                        view! {
                            <button type="button" class="primary" data-testid=format!("grant-{}", m.email)
                                disabled=busy on:click=move |_| grant(m.clone())>
                                {move || t("admin.grant")} {hidden_name()}
                            </button>
                        }
                    })}
                    {can_certify.then(|| {
                        let m = for_certify.clone();
                        view! {
                            <button type="button" class="primary" data-testid=format!("certify-{}", m.email)
                                disabled=busy
                                on:click=move |_| {
                                    selected.set(Some(m.clone()));
                                    compared.set(false);
                                    certify_open.set(true);
                                }>
                                {move || t("admin.certify")} {hidden_name()}
                            </button>
                        }
                    })}
                    {can_reset.then(|| {
                        let m = for_reset.clone();
                        view! {
                            <button type="button" data-testid=format!("reset-{}", m.email) disabled=busy
                                on:click=move |_| {
                                    selected.set(Some(m.clone()));
                                    reset_open.set(true);
                                }>
                                {move || t("admin.reset")} {hidden_name()}
                            </button>
                        }
                    })}
                    {can_remove.then(|| {
                        let m = for_remove.clone();
                        view! {
                            <button type="button" class="danger" data-testid=format!("remove-{}", m.email) disabled=busy
                                on:click=move |_| {
                                    selected.set(Some(m.clone()));
                                    remove_open.set(true);
                                }>
                                {move || t("admin.remove")} {hidden_name()}
                            </button>
                        }
                    })}
                </td>
            </tr>
        }
    };

    let table = move || {
        let Some(all) = members.get() else {
            return view! { <p class="loading" role="status">{move || t("state.loading")}</p> }
                .into_any();
        };
        let mut list = all.members.clone();
        list.sort_by(|a, b| {
            status_order(a.status)
                .cmp(&status_order(b.status))
                .then_with(|| a.display_name.cmp(&b.display_name))
        });
        let pending = list.iter().filter(|m| certifiable(m)).count();
        view! {
            {(pending > 0).then(|| view! {
                <p class="alert info">{move || fill(&t("admin.members.pending"), &[("count", &pending.to_string())])}</p>
            })}
            {if list.is_empty() {
                let key = if all.invitations.is_empty() {
                    "admin.members.empty"
                } else {
                    "admin.members.empty.invited"
                };
                view! { <p>{move || t(key)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="stack members">
                            <caption>{move || t("admin.members.caption")}</caption>
                            <thead><tr>
                                <th scope="col">{move || t("admin.members.member")}</th>
                                <th scope="col">{move || t("admin.members.role")}</th>
                                <th scope="col">{move || t("admin.members.status")}</th>
                                <th scope="col">{move || t("admin.members.totp")}</th>
                                <th scope="col">{move || t("admin.members.fingerprints")}</th>
                                <th scope="col">{move || t("admin.members.generations")}</th>
                                <th scope="col">{move || t("admin.members.actions")}</th>
                            </tr></thead>
                            <tbody>{list.into_iter().map(row).collect_view()}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <InvitationsTable invitations=all.invitations.clone() on_withdraw=Callback::new(withdraw) busy=busy />
        }
        .into_any()
    };

    let outcome_view = move || {
        outcome.get().map(|o| match o {
            Outcome::Certified(name) => {
                let key = if platform {
                    "admin.certified.admin"
                } else if members.get().is_some_and(|m| m.generations.is_empty()) {
                    "admin.certified.nokey"
                } else {
                    "admin.certified"
                };
                view! { <p class="alert info">{move || fill(&t(key), &[("name", &name)])}</p> }
                    .into_any()
            }
            Outcome::Removed(name, removed, at_removal) => {
                // Once the key turned, the advice is followed: say so instead.
                let rotated = move || {
                    members
                        .get()
                        .and_then(|m| m.generations.iter().max().copied())
                        .filter(|g| Some(*g) > at_removal)
                };
                let who = name.clone();
                view! {
                    <div class=move || if rotated().is_some() { "alert info" } else { "alert warning" }
                        data-testid="removed-notice">
                        {move || match rotated() {
                            Some(g) => view! {
                                <p data-testid="removed-rotated">{
                                    let who = who.clone();
                                    move || fill(&t("admin.removed.rotated"), &[("name", &who), ("generation", &g.to_string())])
                                }</p>
                            }.into_any(),
                            None => view! { <p>{move || t("admin.removed")}</p> }.into_any(),
                        }}
                        <p class="hint">{move || fill(&t("admin.removed.detail"), &[
                            ("name", &name),
                            ("sessions", &removed.sessions_ended.to_string()),
                            ("grants", &removed.grants_deleted.to_string()),
                        ])}</p>
                        {rotate.map(|open| view! {
                            <Show when=move || rotated().is_none()>
                                <div class="actions">
                                    <button type="button" class="primary" data-testid="rotate-now"
                                        on:click=move |_| open.set(true)>
                                        {move || t("admin.removed.rotate")}
                                    </button>
                                </div>
                            </Show>
                        })}
                    </div>
                }
                .into_any()
            }
            Outcome::Reset(member, response) => {
                let name = member.display_name.clone();
                view! {
                    <div class="alert info">
                        <p>{move || fill(&t("admin.reset.done"), &[("name", &name)])}</p>
                        <LinkBox link=response.link expires_at=response.expires_at
                            name=member.display_name.clone() email=member.email.clone() testid="reset-link" />
                    </div>
                }
                .into_any()
            }
            Outcome::Withdrawn(email) => view! {
                <p class="alert info">{move || fill(&t("admin.invitation.withdrawn"), &[("email", &email)])}</p>
            }
            .into_any(),
        })
    };

    let selected_name = move || selected.get().map(|m| m.display_name).unwrap_or_default();
    let certify_title =
        Signal::derive(move || fill(&t("admin.certify.title"), &[("name", &selected_name())]));
    let remove_title =
        Signal::derive(move || fill(&t("admin.remove.title"), &[("name", &selected_name())]));
    let reset_title =
        Signal::derive(move || fill(&t("admin.reset.title"), &[("name", &selected_name())]));
    let confirm_with = move |op: &'static str| {
        Callback::new(move |()| {
            if let Some(m) = selected.get_untracked() {
                run(op, m);
            }
        })
    };

    view! {
        <div id="member-outcome" tabindex="-1" role="status">{outcome_view}</div>
        <ErrorBox error=error />
        {table}
        <ConfirmDialog open=certify_open id="certify" title=certify_title confirm="admin.certify.confirm"
            enabled=Signal::derive(move || compared.get()) testid="certify-confirm"
            on_confirm=confirm_with("certify")>
            {move || selected.get().map(|m| view! {
                <p>{move || t("admin.certify.help")}</p>
                <p class="who"><strong>{m.display_name.clone()}</strong> " — " {m.email.clone()}</p>
                <dl class="fingerprints big">
                    <dt>{move || t("admin.fingerprint.signing")}</dt>
                    <dd><code data-testid="certify-fingerprint">{signing_fingerprint(&m.keys).unwrap_or_else(|| "—".into())}</code></dd>
                    <dt>{move || t("admin.fingerprint.encryption")}</dt>
                    <dd><code>{encryption_fingerprint(&m.keys).unwrap_or_else(|| "—".into())}</code></dd>
                </dl>
            })}
            <div class="field inline">
                <input type="checkbox" id="certify-compared" autofocus data-testid="certify-compared"
                    prop:checked=move || compared.get()
                    on:change=move |ev| compared.set(event_target_checked(&ev)) />
                <label for="certify-compared">
                    {move || fill(&t("admin.certify.compared"), &[("name", &selected_name())])}
                </label>
            </div>
        </ConfirmDialog>
        <ConfirmDialog open=remove_open id="remove" title=remove_title confirm="admin.remove.confirm"
            danger=true testid="remove-confirm" on_confirm=confirm_with("remove")>
            <p>{move || t("admin.remove.help")}</p>
        </ConfirmDialog>
        <ConfirmDialog open=reset_open id="reset" title=reset_title confirm="admin.reset.confirm"
            danger=true testid="reset-confirm" on_confirm=confirm_with("reset")>
            <p>{move || t("admin.reset.help")}</p>
        </ConfirmDialog>
    }
}

/// Invitations not used yet, each of which can be withdrawn.
#[component]
fn InvitationsTable(
    invitations: Vec<InvitationInfo>,
    on_withdraw: Callback<InvitationInfo>,
    busy: ReadSignal<bool>,
) -> impl IntoView {
    if invitations.is_empty() {
        return None;
    }
    let rows = invitations
        .into_iter()
        .map(|i| {
            let email = i.email.clone();
            let kind = i.kind;
            let role = i.role;
            let name = i.display_name.clone();
            let expires = i.expires_at;
            view! {
                <tr data-testid=format!("invitation-{email}")>
                    <th scope="row" data-label=move || t("admin.members.name")>{name.clone()}</th>
                    <td data-label=move || t("admin.members.email")>{email.clone()}</td>
                    <td data-label=move || t("admin.members.role")>{move || t_or(&format!("admin.role.{role}"), role.as_str())}</td>
                    <td data-label=move || t("admin.invitations.kind")>{move || t_or(&format!("admin.invitation.{kind}"), kind.as_str())}</td>
                    <td data-label=move || t("admin.invitations.expires")>{move || i18n::datetime(expires)}</td>
                    <td class="row-actions" data-label=move || t("admin.members.actions")>
                        <button type="button" disabled=busy data-testid=format!("withdraw-{}", i.email)
                            on:click=move |_| on_withdraw.run(i.clone())>
                            {move || t("admin.invitation.withdraw")}
                            <span class="visually-hidden">" " {name.clone()}</span>
                        </button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    Some(view! {
        <div class="table-wrap">
            <table class="stack invitations">
                <caption>{move || t("admin.invitations.caption")}</caption>
                <thead><tr>
                    <th scope="col">{move || t("admin.members.name")}</th>
                    <th scope="col">{move || t("admin.members.email")}</th>
                    <th scope="col">{move || t("admin.members.role")}</th>
                    <th scope="col">{move || t("admin.invitations.kind")}</th>
                    <th scope="col">{move || t("admin.invitations.expires")}</th>
                    <th scope="col">{move || t("admin.members.actions")}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    })
}

// ----- keys ---------------------------------------------------------------------------------

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
                    <p>{move || fill(&t("admin.keys.rotated"), &[("generation", &generation.to_string())])}</p>
                    <p>{move || t("admin.keys.fingerprint.label")} " " <code>{fingerprint.clone()}</code></p>
                </div>
            }
            .into_any());
        }
        suspended.get().map(|generation| {
            view! {
                <p class="alert info">{move || fill(&t("admin.keys.suspended.done"), &[("generation", &generation.to_string())])}</p>
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
            view! { <p>{move || t("admin.keys.empty")}</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="stack keys">
                        <caption>{move || t("admin.keys.caption")}</caption>
                        <thead><tr>
                            <th scope="col">{move || t("admin.keys.generation")}</th>
                            <th scope="col">{move || t("admin.keys.fingerprint")}</th>
                            <th scope="col">{move || t("admin.keys.issuer")}</th>
                            <th scope="col">{move || t("admin.keys.date")}</th>
                            <th scope="col">{move || t("admin.keys.state")}</th>
                            <th scope="col">{move || t("admin.members.actions")}</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|r| {
                                let g = r.generation;
                                let state = if r.suspended {
                                    ("badge warning", "admin.keys.suspended")
                                } else if Some(g) == current {
                                    ("badge verified", "admin.keys.current")
                                } else {
                                    ("badge neutral", "admin.keys.previous")
                                };
                                let verified = r.fingerprint.is_some();
                                view! {
                                    <tr data-testid=format!("key-{g}")>
                                        <th scope="row" data-label=move || t("admin.keys.generation")>{g}</th>
                                        <td data-label=move || t("admin.keys.fingerprint")>
                                            {match r.fingerprint.clone() {
                                                Some(f) => view! { <code>{f}</code> }.into_any(),
                                                None => view! { <span class="badge urgent">{move || t("admin.keys.unverified")}</span> }.into_any(),
                                            }}
                                        </td>
                                        <td data-label=move || t("admin.keys.issuer")>{r.issuer.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td data-label=move || t("admin.keys.date")>
                                            {move || r.issued_at.map(i18n::datetime).unwrap_or_else(|| "—".into())}
                                        </td>
                                        <td data-label=move || t("admin.keys.state")>
                                            <span class=state.0>{move || t(state.1)}</span>
                                            {(!verified).then(|| view! { <p class="hint">{move || t("admin.keys.unverified.help")}</p> })}
                                        </td>
                                        <td class="row-actions" data-label=move || t("admin.members.actions")>
                                            {(!r.suspended).then(|| view! {
                                                <button type="button" class="danger" disabled=busy
                                                    data-testid=format!("suspend-{g}")
                                                    on:click=move |_| {
                                                        to_suspend.set(Some(g));
                                                        suspend_open.set(true);
                                                    }>
                                                    {move || t("admin.keys.suspend")}
                                                    <span class="visually-hidden">" " {move || fill(&t("admin.keys.generation.n"), &[("generation", &g.to_string())])}</span>
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
            &t("admin.keys.suspend.title"),
            &[("generation", &to_suspend.get().unwrap_or(0).to_string())],
        )
    });
    let rotate_title = Signal::derive(move || {
        t(if has_key() {
            "admin.keys.rotate.title"
        } else {
            "admin.keys.create.title"
        })
    });
    view! {
        <div id="keys-outcome" tabindex="-1" role="status">{outcome}</div>
        <ErrorBox error=error />
        {move || rotate.map(|open| view! {
            {move || (!has_key() && keys.get().is_some()).then(|| view! {
                <p class="alert warning">{move || t("admin.keys.none")}</p>
            })}
            <div class="actions">
                <button type="button" class="primary" data-testid="rotate-key" disabled=busy
                    on:click=move |_| open.set(true)>
                    {move || t(if has_key() { "admin.keys.rotate" } else { "admin.keys.create" })}
                </button>
                <Show when=move || busy.get()>
                    <span role="status" class="hint">{move || t("admin.keys.working")}</span>
                </Show>
            </div>
        })}
        {rows}
        {rotate.map(|open| view! {
            <ConfirmDialog open=open id="rotate" title=rotate_title confirm="admin.keys.rotate.confirm"
                testid="rotate-confirm" on_confirm=do_rotate>
                <p>{move || fill(&t("admin.keys.rotate.help"), &[("generation", &next_generation().to_string())])}</p>
            </ConfirmDialog>
        })}
        <ConfirmDialog open=suspend_open id="suspend" title=suspend_title confirm="admin.keys.suspend.confirm"
            danger=true testid="suspend-confirm" on_confirm=do_suspend>
            <p>{move || t("admin.keys.suspend.help")}</p>
        </ConfirmDialog>
    }
}

// ----- audit --------------------------------------------------------------------------------

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
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let document = window
        .document()
        .ok_or_else(|| WorkerError::new(ErrorCode::Internal, "no document"))?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(failed)?
        .dyn_into()
        .map_err(|_| WorkerError::new(ErrorCode::Internal, "not a link"))?;
    link.set_href(&url);
    link.set_download(&format!("audit-{org}.jsonl"));
    if let Some(body) = document.body() {
        let _ = body.append_child(&link);
    }
    link.click();
    link.remove();
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    Ok(())
}

/// An entry's object, in words.
fn object_text(entry: &AuditEntry, names: &HashMap<String, String>) -> String {
    let id = entry.object_id.as_str();
    let named = |key: &str| {
        names
            .get(id)
            .cloned()
            .unwrap_or_else(|| fill(&t(key), &[("id", &short(id))]))
    };
    match entry.object_type.as_str() {
        "user" => named("admin.audit.object.user"),
        "organisation" => named("admin.audit.object.organisation"),
        "exchange" => fill(&t("admin.audit.object.exchange"), &[("id", &short(id))]),
        "org_key" => match id.split_once('/') {
            Some((org, generation)) => format!(
                "{} — {}",
                names.get(org).cloned().unwrap_or_else(|| short(org)),
                fill(&t("admin.keys.generation.n"), &[("generation", generation)])
            ),
            None => fill(&t("admin.keys.generation.n"), &[("generation", id)]),
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
                    "role" => t_or(&format!("admin.role.{raw}"), &raw),
                    "kind" => t_or(&format!("platform.kind.{raw}"), &raw),
                    "urgent" => t_or(&format!("admin.audit.urgent.{raw}"), &raw),
                    "fingerprint" => display_fingerprint(&raw),
                    _ => names.get(&raw).cloned().unwrap_or(raw),
                };
                let name = t_or(&format!("admin.audit.detail.{k}"), k);
                Some(fill(
                    &t("admin.audit.detail.pair"),
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
            let head = v.head.clone();
            if v.valid {
                view! {
                    <div class="audit-status alert info" data-testid="audit-status" data-valid="true">
                        <p><span class="badge verified">{move || t("admin.audit.valid")}</span> " "
                            {move || fill(&t("admin.audit.valid.detail"), &[("count", &v.entries.to_string())])}</p>
                        <p class="hint">{move || t("admin.audit.head")} " " <code>{head.clone()}</code></p>
                    </div>
                }
                .into_any()
            } else {
                let seq = v.first_bad_seq.unwrap_or(0).to_string();
                view! {
                    <div class="audit-status alert error" role="alert" data-testid="audit-status" data-valid="false">
                        <p><strong>{move || fill(&t("admin.audit.broken"), &[("seq", &seq)])}</strong></p>
                        <p>{move || t("admin.audit.broken.help")}</p>
                        <p class="hint">{move || t("admin.audit.head")} " " <code>{head.clone()}</code></p>
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
            view! { <p>{move || t("admin.audit.empty")}</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="stack audit">
                        <caption>{move || t("admin.audit.caption")}</caption>
                        <thead><tr>
                            <th scope="col">{move || t("admin.audit.seq")}</th>
                            <th scope="col">{move || t("admin.audit.date")}</th>
                            <th scope="col">{move || t("admin.audit.actor")}</th>
                            <th scope="col">{move || t("admin.audit.action")}</th>
                            <th scope="col">{move || t("admin.audit.object")}</th>
                            <th scope="col">{move || t("admin.audit.detail")}</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|e| {
                                let actor = match &e.actor {
                                    Some(id) => {
                                        let id = id.clone();
                                        let name = names.get(&id).cloned();
                                        // An organisation's log names its own members; anyone else
                                        // (a sender, the platform admin) is from outside.
                                        let unknown = if matches!(source, AuditSource::Org(_)) { "admin.audit.actor.outside" } else { "admin.audit.object.user" };
                                        Signal::derive(move || name.clone().unwrap_or_else(|| fill(&t(unknown), &[("id", &short(&id))])))
                                    }
                                    None => Signal::derive(|| t("admin.audit.system")),
                                };
                                let action = e.action.clone();
                                let object = { let names = names.clone(); let e = e.clone(); move || object_text(&e, &names) };
                                let detail = { let names = names.clone(); let d = e.detail.clone(); move || if d == "{}" { String::new() } else { detail_text(&d, &names) } };
                                let at = e.at;
                                view! {
                                    <tr data-action=e.action.clone() class:broken=first_bad.is_some_and(|b| e.seq >= b)>
                                        <th scope="row" data-label=move || t("admin.audit.seq")>{e.seq}</th>
                                        <td data-label=move || t("admin.audit.date")>{move || i18n::datetime(at)}</td>
                                        <td data-label=move || t("admin.audit.actor")>{move || actor.get()}</td>
                                        <td data-label=move || t("admin.audit.action")>{move || t_or(&format!("admin.audit.action.{action}"), &action)}</td>
                                        <td data-label=move || t("admin.audit.object")>{object}</td>
                                        <td data-label=move || t("admin.audit.detail")><span class="detail">{detail}</span></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                {more.then(|| view! {
                    <div class="actions">
                        <button type="button" on:click=older disabled=busy data-testid="audit-older">
                            {move || t("admin.audit.older")}
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
                {move || t(if matches!(source, AuditSource::Org(_)) { "admin.audit.verify" } else { "admin.audit.refresh" })}
            </button>
            {matches!(source, AuditSource::Org(_)).then(|| view! {
                <button type="button" on:click=export data-testid="audit-export">{move || t("admin.audit.export")}</button>
            })}
        </div>
        {table}
    }
}
