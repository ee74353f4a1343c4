//! An exchange that cannot be shown: expired (what the relay still knows of it, and that
//! its files are gone), or failed to load (why, and what to do: log in again, retry).

use pli_api::ErrorCode;

use leptos::prelude::*;
use pli_api::OrgId;
use pli_api::messages::ExchangeSummary;

use super::when;
use crate::app::Ctx;
use crate::i18n::{self, fill, key, t, tn};
use crate::pages::inbox::{OrgNames, org_name};
use crate::protocol::WorkerError;

/// Why the exchange cannot be shown, and what to do.
pub(super) fn failed(ctx: Ctx, error: WorkerError, attempt: RwSignal<u32>) -> impl IntoView {
    // The platform admin reads no exchange (the relay says `forbidden` for the whole
    // mailbox): for them a pli's link leads nowhere, as one that never existed does — not
    // to « your access may have been removed ».
    let platform_admin =
        crate::app::me(&ctx).is_some_and(|me| me.role == pli_api::Role::PlatformAdmin);
    let code = match error.code {
        ErrorCode::Forbidden if platform_admin => ErrorCode::NotFound,
        code => code,
    };
    let help = match code {
        ErrorCode::Unauthenticated => Some(key!("exchange.unauthenticated.help")),
        ErrorCode::Forbidden => Some(key!("exchange.forbidden.help")),
        ErrorCode::NotFound => Some(key!("exchange.not_found.help")),
        ErrorCode::Expired => Some(key!("exchange.expired.help")),
        _ => None,
    };
    let action = match code {
        ErrorCode::Unauthenticated => view! {
            <button type="button" class="primary" data-testid="relogin"
                on:click=move |_| ctx.session_ended.set(true)>
                {move || t!("exchange.relogin")}
            </button>
        }
        .into_any(),
        ErrorCode::Network
        | ErrorCode::Unavailable
        | ErrorCode::Internal
        | ErrorCode::RateLimited => view! {
            <button type="button" data-testid="retry" on:click=move |_| attempt.update(|n| *n += 1)>
                {move || t!("action.retry")}
            </button>
        }
        .into_any(),
        _ => ().into_any(),
    };
    view! {
        <h1>{move || t!("exchange.title")}</h1>
        <div class="alert error" role="alert" data-testid="exchange-error" data-code=code.as_str()>
            <p>{move || i18n::error(code)}</p>
            {help.map(|key| view! { <p>{move || t(key)}</p> })}
        </div>
        <div class="actions">{action}</div>
    }
}

/// An expired exchange: what it was (from the relay's description), and that its files
/// are gone.
pub(super) fn expired(
    summary: ExchangeSummary,
    my_org: Option<OrgId>,
    names: RwSignal<OrgNames>,
) -> impl IntoView {
    let sender = summary.sender_org_id;
    let recipient = summary.recipient_org_id;
    let help = if my_org == Some(sender) {
        key!("exchange.expired.help.sender")
    } else {
        key!("exchange.expired.help")
    };
    let files = summary.file_count;
    let size = summary.total_size;
    view! {
        <h1>{move || t!("exchange.expired.title")}</h1>
        <div class="alert error" role="alert" data-testid="exchange-error" data-code="expired">
            <p>{move || i18n::error(ErrorCode::Expired)}</p>
            <p>{move || t(help)}</p>
        </div>
        <dl class="facts">
            <div>
                <dt>{move || t!("exchange.from")}</dt>
                <dd>{move || names.with(|n| org_name(n, &sender))}</dd>
            </div>
            <div>
                <dt>{move || t!("exchange.to")}</dt>
                <dd>{move || names.with(|n| org_name(n, &recipient))}</dd>
            </div>
            <div>
                <dt>{move || t!("exchange.delivered_at")}</dt>
                <dd>{when(summary.delivered_at.unwrap_or(summary.created_at))}</dd>
            </div>
            <div>
                <dt>{move || t!("exchange.expired_at")}</dt>
                <dd data-testid="expired-at">{when(summary.expires_at)}</dd>
            </div>
            <div>
                <dt>{move || t!("exchange.files")}</dt>
                <dd>{move || fill(&tn!("exchange.expired.files", files), &[("size", &i18n::size(size))])}</dd>
            </div>
        </dl>
    }
}
