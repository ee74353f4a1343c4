//! The recipient: the directory as the worker verified it (a [`LocalResource`], shown
//! through a [`Transition`] so that "Réessayer" keeps the page in place), grouped by
//! kind; services that cannot receive are greyed out and listed with the reason; the
//! chosen one's key fingerprint, to compare out of band.

use leptos::prelude::*;
use pli_api::{ErrorCode, OrgId, OrgKind};

use super::form::Form;
use crate::i18n::{self, Key, key, t};
use crate::model::draft::usable;
use crate::protocol::{Recipient, WorkerError};

pub(super) type Directory = LocalResource<Result<Vec<Recipient>, WorkerError>>;

/// The directory as this person can send to it: every organisation but their own,
/// sorted by name.
pub(super) fn directory(my_org: Option<OrgId>) -> Directory {
    LocalResource::new(move || async move {
        crate::bridge::call(crate::protocol::Recipients)
            .await
            .map(|mut list| {
                list.retain(|r| Some(r.org_id) != my_org);
                list.sort_by_cached_key(|r| r.name.to_lowercase());
                list
            })
    })
}

/// Why a recipient cannot be chosen, in words (the worker's detail is English, for logs).
fn problem_text(problem: Option<ErrorCode>) -> String {
    match problem {
        Some(ErrorCode::RecipientNoKey) => t!("compose.recipient.nokey"),
        Some(ErrorCode::RecipientKeySuspended) => t!("compose.recipient.suspended"),
        Some(ErrorCode::KeyNotLatest) => t!("compose.recipient.not_latest"),
        Some(ErrorCode::KeyExpired) => t!("compose.recipient.expired"),
        _ => t!("compose.recipient.unverifiable"),
    }
}

/// Whether a problem means the relay served a key that does not verify (not simply none).
fn unverifiable(problem: Option<ErrorCode>) -> bool {
    !matches!(
        problem,
        Some(ErrorCode::RecipientNoKey | ErrorCode::RecipientKeySuspended | ErrorCode::KeyExpired)
    )
}

/// The recipient fieldset. `reply_blocked`: the exchange answered comes from a service
/// that cannot be chosen.
pub(super) fn field(
    form: Form,
    directory: Directory,
    sending: Signal<bool>,
    reply_blocked: Signal<bool>,
) -> impl IntoView {
    let listed = move || directory.get().and_then(Result::ok).unwrap_or_default();
    let options = move || {
        let group = |key: Key, members: Vec<Recipient>| {
            (!members.is_empty()).then(|| {
                let options = members
                    .into_iter()
                    .map(|r| {
                        let org = r.org_id;
                        let text = if usable(&r) {
                            r.name.clone()
                        } else {
                            format!("{} — {}", r.name, problem_text(r.problem))
                        };
                        view! {
                            <option value=org.to_string() disabled=!usable(&r)
                                prop:selected=move || form.recipient.get() == Some(org)>{text}</option>
                        }
                    })
                    .collect_view();
                view! { <optgroup label=t(key)>{options}</optgroup> }
            })
        };
        let (courts, rest): (Vec<_>, Vec<_>) =
            listed().into_iter().partition(|r| r.kind == OrgKind::Court);
        let (departements, others): (Vec<_>, Vec<_>) = rest
            .into_iter()
            .partition(|r| r.kind == OrgKind::Departement);
        view! {
            <option value="" prop:selected=move || form.recipient.get().is_none()>
                {t!("compose.recipient.choose")}
            </option>
            {group(key!("compose.recipient.courts"), courts)}
            {group(key!("compose.recipient.departements"), departements)}
            {group(key!("compose.recipient.others"), others)}
        }
    };

    let problems = move || {
        Suspend::new(async move {
            match directory.await {
            Err(e) => view! {
                <div class="alert error" role="alert">
                    <p>{i18n::error(e.code)}</p>
                    <p><button type="button" on:click=move |_| directory.refetch()>{move || t!("compose.retry")}</button></p>
                </div>
            }
            .into_any(),
            Ok(list) => blocked_list(list).into_any(),
            }
        })
    };

    let chosen_key = move || {
        let chosen = form.recipient.get()?;
        let found = listed().into_iter().find(|r| r.org_id == chosen)?;
        let fingerprint = found.fingerprint.clone()?;
        let generation = found.generation.map(|g| g.to_string()).unwrap_or_default();
        let refused = (found.refused_in_log > 0).then(|| {
            view! {
                <p class="alert warning" role="alert" data-testid="recipient-refused-entries">
                    {move || t!("compose.recipient.refused_entries")}
                </p>
            }
        });
        Some(view! {
            <div class="recipient-key" data-testid="recipient-key">
                <p><span class="badge verified">"✓ " {move || t!("compose.recipient.verified")}</span></p>
                <dl class="fingerprints">
                    <dt>{move || t!("compose.recipient.fingerprint")}</dt>
                    <dd><code data-testid="recipient-fingerprint">{fingerprint}</code></dd>
                    <dt>{move || t!("compose.recipient.generation")}</dt>
                    <dd data-testid="recipient-generation">{generation}</dd>
                </dl>
                <p class="hint">{move || t!("fingerprint.help")}</p>
            </div>
            {refused}
        })
    };

    let loading =
        || view! { <p class="hint" role="status">{move || t!("compose.recipient.loading")}</p> };
    view! {
        <fieldset class="group" disabled=sending>
            <legend>{move || t!("compose.recipient.legend")}</legend>
            <div class="field">
                <label for="recipient">
                    {move || t!("compose.recipient.label")}
                    <span class="required">" (" {move || t!("compose.required")} ")"</span>
                </label>
                <select id="recipient" data-testid="recipient" required aria-required="true"
                    aria-invalid=form.invalid("recipient") aria-describedby="recipient-problems recipient-key"
                    prop:value=move || form.recipient.get().map(|o| o.to_string()).unwrap_or_default()
                    on:change=move |ev| {
                        form.recipient.set(event_target_value(&ev).parse().ok());
                        form.fixed("recipient");
                    }>
                    {options}
                </select>
            </div>
            {move || reply_blocked.get().then(|| view! {
                <p class="alert warning" role="alert">{move || t!("compose.recipient.reply_unavailable")}</p>
            })}
            <div id="recipient-problems">
                <Transition fallback=loading>{problems}</Transition>
            </div>
            <div id="recipient-key" aria-live="polite">{chosen_key}</div>
        </fieldset>
    }
}

/// The services that cannot receive, and why; `None` when every one can.
fn blocked_list(list: Vec<Recipient>) -> Option<impl IntoView> {
    let none = !list.iter().any(usable);
    let blocked: Vec<Recipient> = list.into_iter().filter(|r| !usable(r)).collect();
    if blocked.is_empty() && !none {
        return None;
    }
    let any_unverifiable = blocked.iter().any(|r| unverifiable(r.problem));
    let items = (!blocked.is_empty()).then(|| {
        let items = blocked
            .into_iter()
            .map(|r| {
                let reason = move || problem_text(r.problem);
                view! { <li>{r.name.clone()} " — " {reason}</li> }
            })
            .collect_view();
        view! { <ul>{items}</ul> }
    });
    let lead = if none {
        key!("compose.recipient.none")
    } else {
        key!("compose.recipient.problems")
    };
    Some(view! {
        <div class="recipient-problems" data-testid="recipient-problems">
            <p>{move || t(lead)}</p>
            {items}
            {any_unverifiable.then(|| view! { <p>{move || t!("compose.recipient.problems.help")}</p> })}
        </div>
    })
}
