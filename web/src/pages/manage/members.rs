//! The members table: fingerprints computed from the public keys, certification after
//! comparing them by phone, removal, password-loss resets, open invitations.

use leptos::prelude::*;
use pli_api::messages::{InvitationInfo, InviteResponse, MemberSummary, Members, Removed};
use pli_api::{AccountStatus, OrgId};
use pli_crypto::cert::Role;

use super::super::ErrorBox;
use super::super::dialog::{ConfirmDialog, Reauth, focus_later, report};
use crate::app::{Ctx, me};
use crate::i18n::{self, fill, key, t, tn};
use crate::protocol::WorkerError;

use super::*;

/// Loads `org`'s members into `members`.
pub fn members_of(org: OrgId, version: RwSignal<u32>) -> MembersList {
    let list = LocalResource::new(move || {
        version.track();
        crate::bridge::call(crate::protocol::MembersOf { org })
    });
    MembersList {
        members: Signal::derive(move || list.get().and_then(Result::ok)),
        error: Signal::derive(move || list.get().and_then(Result::err)),
    }
}

/// An organisation's members, reloaded whenever the page's `version` is bumped (an
/// invitation, a certification, a removal…): the last list loaded, and why the last
/// load failed, if it did.
#[derive(Debug, Clone, Copy)]
pub struct MembersList {
    /// The last list loaded.
    pub members: Signal<Option<Members>>,
    /// Why the last load failed.
    pub error: Signal<Option<WorkerError>>,
}

/// What the last action on a member did.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Certified(String),
    /// An organisation admin's post-quantum key, certified by the platform.
    CertifiedUpgrade(String),
    /// A certificate renewed.
    Renewed(String),
    /// Who, what the relay did, and the latest key generation when they left.
    Removed(String, Removed, Option<u32>),
    Reset(MemberSummary, InviteResponse),
    Withdrawn(String),
}

/// How long before a certificate expires the admin's page offers to renew it.
const RENEW_WITHIN_MS: u64 = 60 * 24 * 3600 * 1000;

/// Whom this page certifies, renews and removes: the platform its organisations' admins,
/// an organisation's admin its members.
fn removable_role(platform: bool) -> Role {
    if platform {
        Role::OrgAdmin
    } else {
        Role::Member
    }
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
    /// The platform admin's view: certifies and removes the organisation's admins; no
    /// reset.
    platform: bool,
    members: Signal<Option<Members>>,
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
    // Off unless the admin ticks it, for each reset: the member lost their authenticator
    // app too, and the reset clears their second factor.
    let clear_second_factor = RwSignal::new(false);
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
                    .call(crate::protocol::Certify {
                        org,
                        user,
                        service: member.service,
                    })
                    .await
                    .map(|()| Outcome::Certified(member.display_name.clone())),
                "certify-upgrade" => gate
                    .call(crate::protocol::CertifyKeyUpgrade { org, user })
                    .await
                    .map(|()| Outcome::CertifiedUpgrade(member.display_name.clone())),
                "renew" => gate
                    .call(crate::protocol::RenewCertificate { org, user })
                    .await
                    .map(|()| Outcome::Renewed(member.display_name.clone())),
                "remove" => {
                    let generation = members
                        .get_untracked()
                        .and_then(|m| m.generations.iter().max().copied());
                    gate.call(crate::protocol::Remove { org, user })
                        .await
                        .map(|r| Outcome::Removed(member.display_name.clone(), r, generation))
                }
                _ => {
                    let request = crate::protocol::Reset {
                        org,
                        user,
                        clear_second_factor: (member.totp_enabled || member.has_passkey)
                            && clear_second_factor.get_untracked(),
                    };
                    gate.call(request)
                        .await
                        .map(|r| Outcome::Reset(member.clone(), r))
                }
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
        // The platform certifies an organisation admin's post-quantum key (an
        // organisation admin certifies their members' from the post-quantum panel).
        let can_certify_upgrade = platform
            && m.role == Role::OrgAdmin
            && m.status == AccountStatus::Active
            && m.key_upgrade.is_some();
        // A certificate that expires within [`RENEW_WITHIN_MS`] (or has), of someone this
        // admin certifies: said, with the renewal beside it.
        let expiry = m
            .certificate_expires_at
            .filter(|_| m.status == AccountStatus::Active && m.role == removable_role(platform))
            .filter(|at| (*at as f64) < js_sys::Date::now() + RENEW_WITHIN_MS as f64);
        let expired = expiry.is_some_and(|at| (at as f64) <= js_sys::Date::now());
        let key_badge = (m.status == AccountStatus::Active).then(|| {
            if m.key_upgrade.is_some() {
                ("badge warning", key!("admin.pq.badge.asked"), "asked")
            } else if super::post_quantum::listed_post_quantum(&m) {
                (
                    "badge verified",
                    key!("admin.pq.badge.post_quantum"),
                    "post-quantum",
                )
            } else {
                ("badge neutral", key!("admin.pq.badge.classic"), "classic")
            }
        });
        let is_me = my_id == Some(m.user_id);
        // Who removes whom is who certified whom: the platform its organisations' admins,
        // an organisation admin its members.
        let can_remove = m.role == removable_role(platform)
            && m.status != pli_api::AccountStatus::Removed
            && !is_me;
        let can_reset = !platform && m.status != AccountStatus::Removed && m.role == Role::Member;
        let (for_certify, for_remove, for_reset, for_grant, for_upgrade, for_renew) = (
            m.clone(),
            m.clone(),
            m.clone(),
            m.clone(),
            m.clone(),
            m.clone(),
        );
        let (name, email, role, status) =
            (m.display_name.clone(), m.email.clone(), m.role, m.status);
        let (totp, service) = (m.totp_enabled, m.service);
        let hidden_name = move || view! { <span class="visually-hidden">" " {name.clone()}</span> };
        view! {
            <tr data-testid=format!("member-{email}") class=format!("member {status}")>
                <th scope="row" data-label=move || t!("admin.members.member")>
                    {m.display_name.clone()}
                    {is_me.then(|| view! { " " <span class="hint">{move || t!("admin.members.you")}</span> })}
                    {m.service.then(|| view! { " " <span class="badge" data-testid="member-service">{move || t!("admin.members.service")}</span> })}
                    <span class="email">{email.clone()}</span>
                </th>
                <td data-label=move || t!("admin.members.role")>
                    {move || t(i18n::admin_role(role))}
                </td>
                <td data-label=move || t!("admin.members.status")>
                    <span class=status_badge(status)>
                        {move || t(i18n::account_status(status))}
                    </span>
                </td>
                <td data-label=move || t!("admin.members.totp")>
                    {move || if service {
                        t!("admin.totp.service")
                    } else if totp {
                        t!("admin.totp.on")
                    } else {
                        t!("admin.totp.off")
                    }}
                </td>
                <td data-label=move || t!("admin.members.fingerprints")>
                    <dl class="prints">
                        <dt>{move || t!("admin.fingerprint.signing")}</dt>
                        <dd><code>{signing.clone().unwrap_or_else(|| "—".into())}</code></dd>
                        <dt>{move || t!("admin.fingerprint.encryption")}</dt>
                        <dd><code>{encryption.clone().unwrap_or_else(|| "—".into())}</code></dd>
                    </dl>
                    {key_badge.map(|(class, text, kind)| view! {
                        <span class=class data-testid=format!("member-key-{kind}-{}", m.email)>{move || t(text)}</span>
                    })}
                    {expiry.map(|at| {
                        let text = if expired {
                            t!("admin.certificate.expired")
                        } else {
                            fill(&t!("admin.certificate.expires"), &[("date", &i18n::datetime(at))])
                        };
                        view! {
                            <br /><span class="badge warning" data-testid=format!("certificate-expiring-{}", m.email)>{text}</span>
                        }
                    })}
                </td>
                <td data-label=move || t!("admin.members.generations")>
                    {let g = granted.clone(); move || g.clone().unwrap_or_else(|| t!("admin.members.no_generation"))}
                    {lacks_latest.then(|| view! {
                        <br /><span class="badge warning">{move || t!("admin.members.lacks_latest")}</span>
                    })}
                </td>
                <td class="row-actions" data-label=move || t!("admin.members.actions")>
                    {(lacks_latest && !platform).then(|| {
                        let m = for_grant.clone();
                        view! {
                            <button type="button" class="primary" data-testid=format!("grant-{}", m.email)
                                disabled=busy on:click=move |_| grant(m.clone())>
                                {move || t!("admin.grant")} {hidden_name()}
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
                                {move || t!("admin.certify")} {hidden_name()}
                            </button>
                        }
                    })}
                    {can_certify_upgrade.then(|| {
                        let m = for_upgrade.clone();
                        view! {
                            <button type="button" class="primary" data-testid=format!("certify-upgrade-{}", m.email)
                                disabled=busy on:click=move |_| run("certify-upgrade", m.clone())>
                                {move || t!("admin.pq.certify_admin")} {hidden_name()}
                            </button>
                        }
                    })}
                    {expiry.map(|_| {
                        let m = for_renew.clone();
                        view! {
                            <button type="button" class="primary" data-testid=format!("renew-{}", m.email)
                                disabled=busy on:click=move |_| run("renew", m.clone())>
                                {move || t!("admin.certificate.renew")} {hidden_name()}
                            </button>
                        }
                    })}
                    {can_reset.then(|| {
                        let m = for_reset.clone();
                        view! {
                            <button type="button" data-testid=format!("reset-{}", m.email) disabled=busy
                                on:click=move |_| {
                                    selected.set(Some(m.clone()));
                                    clear_second_factor.set(false);
                                    reset_open.set(true);
                                }>
                                {move || t!("admin.reset")} {hidden_name()}
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
                                {move || t!("admin.remove")} {hidden_name()}
                            </button>
                        }
                    })}
                </td>
            </tr>
        }
    };

    let table = move || {
        let Some(all) = members.get() else {
            return view! { <p class="loading" role="status">{move || t!("state.loading")}</p> }
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
                <p class="alert info">{move || fill(&t!("admin.members.pending"), &[("count", &pending.to_string())])}</p>
            })}
            {if list.is_empty() {
                let key = if all.invitations.is_empty() {
                    key!("admin.members.empty")
                } else {
                    key!("admin.members.empty.invited")
                };
                view! { <p>{move || t(key)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="stack members">
                            <caption>{move || t!("admin.members.caption")}</caption>
                            <thead><tr>
                                <th scope="col">{move || t!("admin.members.member")}</th>
                                <th scope="col">{move || t!("admin.members.role")}</th>
                                <th scope="col">{move || t!("admin.members.status")}</th>
                                <th scope="col">{move || t!("admin.members.totp")}</th>
                                <th scope="col">{move || t!("admin.members.fingerprints")}</th>
                                <th scope="col">{move || t!("admin.members.generations")}</th>
                                <th scope="col">{move || t!("admin.members.actions")}</th>
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
                    key!("admin.certified.admin")
                } else if members.get().is_some_and(|m| m.generations.is_empty()) {
                    key!("admin.certified.nokey")
                } else {
                    key!("admin.certified")
                };
                view! { <p class="alert info">{move || fill(&t(key), &[("name", &name)])}</p> }
                    .into_any()
            }
            Outcome::Renewed(name) => view! {
                <p class="alert info" data-testid="certificate-renewed">
                    {move || fill(&t!("admin.certificate.renewed"), &[("name", &name)])}
                </p>
            }
            .into_any(),
            Outcome::CertifiedUpgrade(name) => view! {
                <p class="alert info" data-testid="upgrade-certified">
                    {move || fill(&t!("admin.pq.certified_admin"), &[("name", &name)])}
                </p>
            }
            .into_any(),
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
                                    move || fill(&t!("admin.removed.rotated"), &[("name", &who), ("generation", &g.to_string())])
                                }</p>
                            }.into_any(),
                            None => view! { <p>{move || t!("admin.removed")}</p> }.into_any(),
                        }}
                        <p class="hint">{move || fill(&t!("admin.removed.detail"), &[
                            ("name", &name),
                            ("sessions", &tn!("admin.removed.sessions", removed.sessions_ended)),
                            ("grants", &tn!("admin.removed.grants", removed.grants_deleted)),
                        ])}</p>
                        {rotate.map(|open| view! {
                            <Show when=move || rotated().is_none()>
                                <div class="actions">
                                    <button type="button" class="primary" data-testid="rotate-now"
                                        on:click=move |_| open.set(true)>
                                        {move || t!("admin.removed.rotate")}
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
                        <p>{move || fill(&t!("admin.reset.done"), &[("name", &name)])}</p>
                        <LinkBox link=response.link expires_at=response.expires_at
                            name=member.display_name.clone() email=member.email.clone() testid="reset-link" />
                    </div>
                }
                .into_any()
            }
            Outcome::Withdrawn(email) => view! {
                <p class="alert info">{move || fill(&t!("admin.invitation.withdrawn"), &[("email", &email)])}</p>
            }
            .into_any(),
        })
    };

    let selected_name = move || selected.get().map(|m| m.display_name).unwrap_or_default();
    let passkey_only = move || {
        selected
            .get()
            .is_some_and(|m| m.has_passkey && !m.totp_enabled)
    };
    let root = LocalResource::new(|| crate::bridge::call(crate::protocol::MyFingerprints));
    let certify_title =
        Signal::derive(move || fill(&t!("admin.certify.title"), &[("name", &selected_name())]));
    let remove_title =
        Signal::derive(move || fill(&t!("admin.remove.title"), &[("name", &selected_name())]));
    let reset_title =
        Signal::derive(move || fill(&t!("admin.reset.title"), &[("name", &selected_name())]));
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
        <ConfirmDialog open=certify_open id="certify" title=certify_title confirm=key!("admin.certify.confirm")
            enabled=Signal::derive(move || compared.get()) testid="certify-confirm"
            on_confirm=confirm_with("certify")>
            {move || selected.get().map(|m| view! {
                <p>{move || t!("admin.certify.help")}</p>
                <p class="who"><strong>{m.display_name.clone()}</strong> " — " {m.email.clone()}</p>
                <dl class="fingerprints big">
                    <dt>{move || t!("admin.fingerprint.signing")}</dt>
                    <dd><code data-testid="certify-fingerprint">{signing_fingerprint(&m.keys).unwrap_or_else(|| "—".into())}</code></dd>
                    <dt>{move || t!("admin.fingerprint.encryption")}</dt>
                    <dd><code>{encryption_fingerprint(&m.keys).unwrap_or_else(|| "—".into())}</code></dd>
                    // The root their browser trusts must be this one: a relay that handed
                    // them another (a forged link) shows here, before anything is certified.
                    <dt>{move || t!("admin.fingerprint.root")}</dt>
                    <dd><code data-testid="certify-root">{move || root.get().and_then(Result::ok).map(|p| p.root).unwrap_or_else(|| "—".into())}</code></dd>
                </dl>
            })}
            <div class="field inline">
                <input type="checkbox" id="certify-compared" autofocus data-testid="certify-compared"
                    prop:checked=move || compared.get()
                    on:change=move |ev| compared.set(event_target_checked(&ev)) />
                <label for="certify-compared">
                    {move || fill(&t!("admin.certify.compared"), &[("name", &selected_name())])}
                </label>
            </div>
        </ConfirmDialog>
        <ConfirmDialog open=remove_open id="remove" title=remove_title confirm=key!("admin.remove.confirm")
            danger=true testid="remove-confirm" on_confirm=confirm_with("remove")>
            <p>{move || t!("admin.remove.help")}</p>
        </ConfirmDialog>
        <ConfirmDialog open=reset_open id="reset" title=reset_title confirm=key!("admin.reset.confirm")
            danger=true testid="reset-confirm" on_confirm=confirm_with("reset")>
            <p>{move || t!("admin.reset.help")}</p>
            <p>{move || fill(&t!("admin.reset.notified"), &[("name", &selected_name())])}</p>
            // Two-factor authentication survives a reset unless the member lost it too; a
            // member whose only second factor is a passkey is reset only once they lost it
            // (the relay refuses otherwise: the link alone would open the account).
            <Show when=move || selected.get().is_some_and(|m| m.totp_enabled || m.has_passkey)>
                <p data-testid="reset-second-factor-kept">
                    {move || {
                        let key = if passkey_only() {
                            t!("admin.reset.second_factor.passkey")
                        } else {
                            t!("admin.reset.second_factor")
                        };
                        fill(&key, &[("name", &selected_name())])
                    }}
                </p>
                <div class="field inline">
                    <input type="checkbox" id="reset-clear-second-factor"
                        data-testid="reset-clear-second-factor"
                        aria-describedby="reset-clear-second-factor-help"
                        prop:checked=move || clear_second_factor.get()
                        on:change=move |ev| clear_second_factor.set(event_target_checked(&ev)) />
                    <label for="reset-clear-second-factor">
                        {move || {
                            let key = if passkey_only() {
                                t!("admin.reset.clear_second_factor.passkey")
                            } else {
                                t!("admin.reset.clear_second_factor")
                            };
                            fill(&key, &[("name", &selected_name())])
                        }}
                    </label>
                </div>
                <p id="reset-clear-second-factor-help" class="hint">
                    {move || t!("admin.reset.clear_second_factor.help")}
                </p>
            </Show>
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
                    <th scope="row" data-label=move || t!("admin.members.name")>{name.clone()}</th>
                    <td data-label=move || t!("admin.members.email")>{email.clone()}</td>
                    <td data-label=move || t!("admin.members.role")>{move || t(i18n::admin_role(role))}</td>
                    <td data-label=move || t!("admin.invitations.kind")>{move || t(i18n::invitation_kind(kind))}</td>
                    <td data-label=move || t!("admin.invitations.expires")>{move || i18n::datetime(expires)}</td>
                    <td class="row-actions" data-label=move || t!("admin.members.actions")>
                        <button type="button" disabled=busy data-testid=format!("withdraw-{}", i.email)
                            on:click=move |_| on_withdraw.run(i.clone())>
                            {move || t!("admin.invitation.withdraw")}
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
                <caption>{move || t!("admin.invitations.caption")}</caption>
                <thead><tr>
                    <th scope="col">{move || t!("admin.members.name")}</th>
                    <th scope="col">{move || t!("admin.members.email")}</th>
                    <th scope="col">{move || t!("admin.members.role")}</th>
                    <th scope="col">{move || t!("admin.invitations.kind")}</th>
                    <th scope="col">{move || t!("admin.invitations.expires")}</th>
                    <th scope="col">{move || t!("admin.members.actions")}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    })
}
