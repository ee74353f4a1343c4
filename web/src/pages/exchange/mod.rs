//! One exchange, opened in the worker: the sender's signature and every hash verified,
//! the manifest decrypted, the read receipts verified. Shows the verified sender, what
//! the manifest says (as text only: nothing from it is ever read as HTML), the files with
//! a button to save each one (streamed, see [`save`]), and the receipts. Opening it as
//! the recipient sends my signed read receipt, once.
//!
//! If verification fails, nothing of the content is shown: only a red warning.
//!
//! This module loads the exchange and chooses what the page shows; the views live beside
//! it: `opened.rs` (a verified exchange: its facts, message, receipts and files, each with
//! its "Enregistrer" button), `unavailable.rs` (an expired exchange, or why it cannot be
//! shown), and `save/` (the ways to save a file).

mod opened;
mod save;
mod unavailable;

use pli_api::ErrorCode;

use leptos::prelude::*;
use pli_api::messages::{ExchangeDetail, ExchangeSummary};
use pli_api::{ExchangeId, OrgId};

use super::inbox::{LiveEvent, live_events, org_names};
use crate::app::{Auth, Ctx, Route};
use crate::i18n::{self, key, t};
use crate::protocol::{Opened, ReadBy, WorkerError};

use opened::opened_view;
use unavailable::{expired, failed};

/// Where the page stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    Loading,
    /// Still being uploaded by its sender (only the sending organisation sees it).
    Uploading(Box<ExchangeSummary>),
    /// The signature, a hash or the decryption failed: nothing of the content is shown.
    Unverified(WorkerError),
    /// Expired: its files were purged; what the relay still knows is shown.
    Expired(Box<ExchangeSummary>),
    /// Not found, expired, no longer allowed, network…
    Failed(WorkerError),
    Opened(Box<Opened>),
}

/// My read receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Receipt {
    /// I am on the sending side: no receipt.
    NotMine,
    Sending,
    Sent,
    Failed(WorkerError),
}

/// Failures that mean the exchange cannot be trusted (as opposed to reached).
fn is_verification_failure(error: &WorkerError) -> bool {
    matches!(error.code, ErrorCode::Verification | ErrorCode::Decryption)
}

async fn open(id: ExchangeId) -> Result<Opened, WorkerError> {
    crate::bridge::call(crate::protocol::Open { exchange_id: id }).await
}

/// Opens the exchange (and sends my receipt, if I am its recipient).
async fn load(
    id: ExchangeId,
    my_org: Option<OrgId>,
    stage: RwSignal<Stage>,
    receipts: RwSignal<Vec<ReadBy>>,
    receipt: RwSignal<Receipt>,
) {
    // The relay's description first: an upload in progress or an expired exchange is
    // not a verification failure.
    let detail: Result<ExchangeDetail, WorkerError> =
        crate::bridge::call(crate::protocol::ExchangeOf { id }).await;
    let detail = match detail {
        Ok(detail) => detail,
        Err(error) => {
            stage.set(Stage::Failed(error));
            return;
        }
    };
    match detail.summary.state.as_str() {
        "uploading" => {
            stage.set(Stage::Uploading(Box::new(detail.summary)));
            return;
        }
        "expired" => {
            stage.set(Stage::Expired(Box::new(detail.summary)));
            return;
        }
        "abandoned" => {
            stage.set(Stage::Failed(WorkerError::new(
                ErrorCode::NotFound,
                "abandoned",
            )));
            return;
        }
        _ => {}
    }
    match open(id).await {
        Ok(opened) => {
            let recipient = my_org == Some(opened.summary.recipient_org_id);
            receipts.set(opened.receipts.clone());
            stage.set(Stage::Opened(Box::new(opened)));
            if recipient {
                acknowledge(id, receipts, receipt).await;
            } else {
                receipt.set(Receipt::NotMine);
            }
        }
        Err(error) if is_verification_failure(&error) => stage.set(Stage::Unverified(error)),
        Err(error) => stage.set(Stage::Failed(error)),
    }
}

/// Signs and posts my read receipt (the relay keeps the first one of each reader), then
/// shows the verified receipts again.
async fn acknowledge(id: ExchangeId, receipts: RwSignal<Vec<ReadBy>>, receipt: RwSignal<Receipt>) {
    receipt.set(Receipt::Sending);
    match crate::bridge::call(crate::protocol::Acknowledge { exchange_id: id }).await {
        Ok(()) => {
            receipt.set(Receipt::Sent);
            refresh_receipts(id, receipts).await;
        }
        Err(error) => receipt.set(Receipt::Failed(error)),
    }
}

/// Reads and verifies the receipts again.
async fn refresh_receipts(id: ExchangeId, receipts: RwSignal<Vec<ReadBy>>) {
    if let Ok(opened) = open(id).await {
        receipts.set(opened.receipts);
    }
}

/// One exchange.
#[component]
pub fn ExchangeView(id: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (my_org, platform) = match ctx.auth.get_untracked() {
        Auth::Ready(me) => (Some(me.org_id), me.role == pli_api::Role::PlatformAdmin),
        _ => (None, false),
    };
    let stage = RwSignal::new(Stage::Loading);
    let receipts = RwSignal::new(Vec::<ReadBy>::new());
    let receipt = RwSignal::new(Receipt::NotMine);
    let names = org_names();
    let attempt = RwSignal::new(0u32);
    let parsed: Option<ExchangeId> = id.parse().ok();

    Effect::new(move |_| {
        attempt.track();
        match parsed {
            Some(id) => {
                stage.set(Stage::Loading);
                leptos::task::spawn_local(load(id, my_org, stage, receipts, receipt));
            }
            None => stage.set(Stage::Failed(WorkerError::new(
                ErrorCode::NotFound,
                "bad id",
            ))),
        }
    });
    // Logged in again over the page: open what the ended session could not.
    Effect::new(move |previous: Option<u32>| {
        let restored = ctx.restored.get();
        if previous.is_some_and(|p| p != restored)
            && stage.with_untracked(
                |s| matches!(s, Stage::Failed(e) if e.code == ErrorCode::Unauthenticated),
            )
        {
            attempt.update(|n| *n += 1);
        }
        if previous.is_some_and(|p| p != restored)
            && receipt.with_untracked(
                |r| matches!(r, Receipt::Failed(e) if e.code == ErrorCode::Unauthenticated),
            )
            && let Some(id) = parsed
        {
            leptos::task::spawn_local(acknowledge(id, receipts, receipt));
        }
        restored
    });
    if let Some(id) = parsed {
        live_events(&["receipt.added"], move |event| {
            let concerned = match &event {
                LiveEvent::Event(_, exchange) => *exchange == Some(id),
                LiveEvent::Reconnected => true,
            };
            if concerned && stage.with_untracked(|s| matches!(s, Stage::Opened(_))) {
                leptos::task::spawn_local(refresh_receipts(id, receipts));
            }
        });
    }

    let back = move || {
        let outbox = stage.with(|s| match s {
            Stage::Opened(o) => my_org == Some(o.summary.sender_org_id),
            Stage::Uploading(_) => true,
            Stage::Expired(e) => my_org == Some(e.sender_org_id),
            _ => false,
        });
        // The platform admin has no mailbox: back to the platform page.
        let (route, key) = if platform {
            (Route::Platform, key!("exchange.back.platform"))
        } else if outbox {
            (Route::Outbox, key!("exchange.back.outbox"))
        } else {
            (Route::Inbox, key!("exchange.back.inbox"))
        };
        view! { <p class="back"><a href=route.href() data-testid="back">{move || t(key)}</a></p> }
    };

    let body = move || {
        match stage.get() {
        Stage::Loading => view! {
            <h1>{move || t!("exchange.title")}</h1>
            <p class="loading" role="status" data-testid="exchange-loading">{move || t!("exchange.loading")}</p>
        }
        .into_any(),
        Stage::Uploading(_) => view! {
            <h1>{move || t!("exchange.title")}</h1>
            <div class="alert info" role="status" data-testid="exchange-uploading">
                <p>{move || t!("exchange.uploading")}</p>
            </div>
        }
        .into_any(),
        Stage::Unverified(error) => view! {
            <h1>{move || t!("exchange.title")}</h1>
            <div class="alert error unverified" role="alert" data-testid="verification-failed">
                <h2><span aria-hidden="true">"⚠ "</span>{move || t!("exchange.unverified.title")}</h2>
                <p>{move || i18n::error(error.code)}</p>
                <p>{move || t!("exchange.unverified.help")}</p>
            </div>
        }
        .into_any(),
        Stage::Expired(summary) => expired(*summary, my_org, names).into_any(),
        Stage::Failed(error) => failed(ctx, error, attempt).into_any(),
        Stage::Opened(opened) => opened_view(*opened, my_org, names, receipts, receipt).into_any(),
    }
    };

    view! {
        <article class="card exchange" data-testid="exchange">
            {back}
            {body}
        </article>
    }
}

/// The date and time, reactive to the language.
fn when(ms: u64) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    move || i18n::datetime(ms)
}
