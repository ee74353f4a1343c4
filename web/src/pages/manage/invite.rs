//! The invitation form (an organisation admin invites members; the platform admin an
//! organisation's first admin).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use pli_api::OrgId;
use pli_api::messages::{InviteResponse, Members};
use pli_crypto::cert::Role;

use super::super::ErrorBox;
use super::super::dialog::{Reauth, focus_later, report};
use crate::i18n::{Key, fill, t};
use crate::protocol::WorkerError;

use super::*;

/// Invites someone into `org` with `role` and shows the one-time link.
#[component]
pub fn InviteForm(
    org: OrgId,
    /// Member (an organisation admin invites) or organisation admin (the platform admin).
    role: Role,
    /// Bumped after an invitation, so lists reload.
    version: RwSignal<u32>,
    /// Catalogue key of the submit button.
    submit_label: Key,
    /// The organisation's members: once the invitee has joined, the link is put away.
    members: Signal<Option<Members>>,
) -> impl IntoView {
    let gate = expect_context::<Reauth>();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    // A service account: a program's member account, enrolled on its machine with
    // `pli service enrol` (only members can be one).
    let service = RwSignal::new(false);
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<WorkerError>);
    let (made, set_made) = signal(None::<(String, String, InviteResponse, bool)>);
    // Whether the members list was seen holding the invitation just made: once it no
    // longer does and nobody joined with that address, it was withdrawn and the link
    // shown is dead (a list not yet reloaded after the invitation proves nothing).
    let pending_seen = RwSignal::new(false);
    Effect::new(move |_| {
        let Some(address) = made.with(|m| m.as_ref().map(|(_, a, _, _)| a.clone())) else {
            pending_seen.set(false);
            return;
        };
        let pending = members.with(|m| m.as_ref().is_some_and(|m| invited(m, &address)));
        if pending && !pending_seen.get_untracked() {
            pending_seen.set(true);
        }
    });
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
            let for_service = role == Role::Member && service.get_untracked();
            let request = crate::protocol::Invite {
                org,
                email: address.clone(),
                display_name: display.clone(),
                role,
                service: for_service,
            };
            match gate.call(request).await {
                Ok(response) => {
                    set_made.set(Some((display, address, response, for_service)));
                    email.set(String::new());
                    name.set(String::new());
                    service.set(false);
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
                <label for="invite-name">{move || t!("admin.invite.name")}</label>
                <input id="invite-name" autocomplete="off" required maxlength="200" data-testid="invite-name"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            </div>
            <div class="field">
                <label for="invite-email">{move || t!("admin.invite.email")}</label>
                <input id="invite-email" type="email" autocomplete="off" required data-testid="invite-email"
                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
            </div>
            {(role == Role::Member).then(|| view! {
                <div class="field inline">
                    <input type="checkbox" id="invite-service" data-testid="invite-service"
                        aria-describedby="invite-service-help"
                        prop:checked=move || service.get()
                        on:change=move |ev| service.set(event_target_checked(&ev)) />
                    <label for="invite-service">{move || t!("admin.invite.service")}</label>
                </div>
                <p id="invite-service-help" class="hint">{move || t!("admin.invite.service.help")}</p>
            })}
            <ErrorBox error=error />
            <div class="actions">
                <button type="submit" class="primary" disabled=busy data-testid="invite-submit">
                    {move || t(submit_label)}
                </button>
                <Show when=move || busy.get()>
                    <span role="status" class="hint">{move || t!("state.working")}</span>
                </Show>
            </div>
        </form>
        <div id="invite-result" tabindex="-1" role="status">
            {move || made.get().map(|(display, address, r, for_service)| {
                let (joined, pending) = members.get().map_or((false, true), |m| {
                    (
                        m.members.iter().any(|x| x.email.eq_ignore_ascii_case(&address)),
                        invited(&m, &address),
                    )
                });
                if !joined && !pending && pending_seen.get() {
                    view! {
                        <p class="hint" data-testid="invitation-withdrawn">
                            {move || fill(&t!("admin.invite.withdrawn"), &[("name", &display)])}
                        </p>
                    }
                    .into_any()
                } else if joined {
                    view! {
                        <p class="hint" data-testid="invitation-used">
                            {move || fill(&t!("admin.invite.used"), &[("name", &display)])}
                        </p>
                    }
                    .into_any()
                } else {
                    view! {
                        <p class="ok">{let display = display.clone(); move || fill(&t!("admin.invite.done"), &[("name", &display)])}</p>
                        {for_service.then(|| view! {
                            <p class="hint" data-testid="invitation-service">{move || t!("admin.invite.service.done")}</p>
                        })}
                        <LinkBox link=r.link expires_at=r.expires_at name=display.clone() email=address testid="invitation-link" />
                    }
                    .into_any()
                }
            })}
        </div>
    }
}

/// Whether `members` still lists an unused invitation for `address`.
fn invited(members: &Members, address: &str) -> bool {
    members
        .invitations
        .iter()
        .any(|i| i.email.eq_ignore_ascii_case(address))
}
