//! One exchange, opened in the worker: the sender's signature and every hash verified,
//! the manifest decrypted, the read receipts verified. Shows the verified sender, what
//! the manifest says (as text only: nothing from it is ever read as HTML), the files with
//! a button to save each one (streamed, see [`save`]), and the receipts. Opening it as
//! the recipient sends my signed read receipt, once.
//!
//! If verification fails, nothing of the content is shown: only a red warning.

mod save;

use pli_api::ErrorCode;
use std::rc::Rc;

use leptos::prelude::*;
use pli_api::messages::{ExchangeDetail, ExchangeSummary};
use pli_api::{ExchangeId, OrgId};

use super::ProgressBar;
use super::inbox::{LiveEvent, OrgNames, live_events, org_name, org_names};
use crate::app::{Auth, Ctx, Route};
use crate::i18n::{self, fill, key, t, tn};
use crate::protocol::{Opened, OpenedFile, ProgressReport, ReadBy, WorkerError};

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
    let my_org = match ctx.auth.get_untracked() {
        Auth::Ready(me) => Some(me.org_id),
        _ => None,
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
        let (route, key) = if outbox {
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

/// Why the exchange cannot be shown, and what to do.
fn failed(ctx: Ctx, error: WorkerError, attempt: RwSignal<u32>) -> impl IntoView {
    let code = error.code;
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
fn expired(
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

/// The date and time, reactive to the language.
fn when(ms: u64) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    move || i18n::datetime(ms)
}

fn opened_view(
    opened: Opened,
    my_org: Option<OrgId>,
    names: RwSignal<OrgNames>,
    receipts: RwSignal<Vec<ReadBy>>,
    receipt: RwSignal<Receipt>,
) -> impl IntoView {
    let summary = opened.summary.clone();
    let id = summary.exchange_id;
    let recipient_side = my_org == Some(summary.recipient_org_id);
    let sender_org = opened.sender_org_id;
    let recipient_org = summary.recipient_org_id;
    let sender_name = opened.sender_name.clone();
    let verified = move || {
        fill(
            &t!("exchange.verified"),
            &[
                ("name", &sender_name),
                ("org", &names.with(|n| org_name(n, &sender_org))),
            ],
        )
    };
    let subject = opened.subject.clone();
    let subject = move || {
        if subject.trim().is_empty() {
            t!("exchange.subject.none")
        } else {
            subject.clone()
        }
    };
    let category_key = i18n::category(opened.category);
    let category = move || t(category_key);
    let urgent = summary.urgent;
    let case_reference = opened.case_reference.clone();
    let message = opened.message.clone();
    let delivered = summary.delivered_at.unwrap_or(summary.created_at);
    let files = opened
        .files
        .iter()
        .cloned()
        .enumerate()
        .map(|(index, file)| view! { <FileItem exchange_id=id index=index file=file /> })
        .collect_view();
    let fingerprint = opened.sender_fingerprint.clone();

    let receipt_list = move || {
        let list = receipts.get();
        if list.is_empty() {
            return view! { <p class="hint" data-testid="no-receipt">{move || t!("exchange.receipts.none")}</p> }
                .into_any();
        }
        view! {
            <ul class="receipts">
                {list.into_iter().map(|r| {
                    let name = r.name.clone();
                    let read_at = r.read_at;
                    view! {
                        <li data-testid="receipt">
                            <span aria-hidden="true" class="ok">"✓ "</span>
                            {move || fill(&t!("exchange.receipt"), &[("name", &name), ("date", &i18n::datetime(read_at))])}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let my_receipt = move || {
        match receipt.get() {
        Receipt::NotMine => None,
        Receipt::Sending => Some(
            view! { <p class="hint" role="status" data-testid="receipt-sending">{move || t!("exchange.ack.sending")}</p> }
                .into_any(),
        ),
        Receipt::Sent => Some(
            view! {
                <p class="ok" role="status" data-testid="receipt-sent">
                    <span aria-hidden="true">"✓ "</span>{move || t!("exchange.ack.sent")}
                </p>
            }
            .into_any(),
        ),
        Receipt::Failed(error) => Some(
            view! {
                <div class="alert warning" role="alert" data-testid="receipt-failed">
                    <p>{move || t!("exchange.ack.failed")} " " {move || i18n::error(error.code)}</p>
                </div>
            }
            .into_any(),
        ),
    }
    };

    view! {
        <h1 id="exchange-subject" data-testid="subject">{subject}</h1>
        <p class="badges">
            <span class="badge verified sender" data-testid="verified-badge">
                <span aria-hidden="true">"✓ "</span>{verified}
            </span>
            {urgent.then(|| view! {
                " " <span class="badge urgent" data-testid="urgent-badge">{move || t!("mailbox.urgent")}</span>
            })}
        </p>
        <details class="fingerprint">
            <summary>{move || t!("exchange.fingerprint")}</summary>
            <p><code data-testid="sender-fingerprint">{fingerprint}</code></p>
            <p class="hint">{move || t!("fingerprint.help")}</p>
        </details>
        <dl class="facts">
            <div>
                <dt>{move || t!("exchange.category")}</dt>
                <dd data-testid="category">{category}</dd>
            </div>
            <div>
                <dt>{move || t!("exchange.urgency")}</dt>
                <dd data-testid="urgency">{move || if urgent { t!("mailbox.urgent") } else { t!("exchange.normal") }}</dd>
            </div>
            <div>
                <dt>{move || t!("exchange.case_reference")}</dt>
                <dd data-testid="case-reference">
                    {move || if case_reference.trim().is_empty() { t!("exchange.none") } else { case_reference.clone() }}
                </dd>
            </div>
            <div>
                <dt>{move || t!("exchange.from")}</dt>
                <dd>{move || names.with(|n| org_name(n, &sender_org))}</dd>
            </div>
            <div>
                <dt>{move || t!("exchange.to")}</dt>
                <dd>{move || names.with(|n| org_name(n, &recipient_org))}</dd>
            </div>
            <div>
                <dt>{move || if recipient_side { t!("exchange.received_at") } else { t!("exchange.delivered_at") }}</dt>
                <dd data-testid="received-at">{when(delivered)}</dd>
            </div>
            <div>
                <dt>{move || t!("exchange.expires_at")}</dt>
                <dd>{when(summary.expires_at)}</dd>
            </div>
            {summary.in_reply_to.map(|previous| view! {
                <div>
                    <dt>{move || t!("exchange.in_reply_to")}</dt>
                    <dd>
                        <a href=Route::Exchange(previous.to_string()).href() data-testid="in-reply-to">
                            {move || t!("exchange.in_reply_to.link")}
                        </a>
                    </dd>
                </div>
            })}
        </dl>

        <h2 id="exchange-message">{move || t!("exchange.message")}</h2>
        {if message.trim().is_empty() {
            view! { <p class="hint" data-testid="message">{move || t!("exchange.message.none")}</p> }.into_any()
        } else {
            view! { <div class="message" data-testid="message" aria-labelledby="exchange-message">{message}</div> }.into_any()
        }}

        <h2 id="exchange-files">{move || t!("exchange.files")}</h2>
        <ul class="files" aria-labelledby="exchange-files">{files}</ul>

        <h2>{move || t!("exchange.receipts")}</h2>
        {my_receipt}
        {receipt_list}
        <p class="hint">{move || t!("exchange.receipts.hint")}</p>

        {recipient_side.then(|| view! {
            <div class="actions">
                <a class="button primary" href=Route::Send(Some(id.to_string())).href() data-testid="reply">
                    {move || t!("exchange.reply")}
                </a>
            </div>
        })}
    }
}

/// What happened to the last saving of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Saved(save::Saved),
    Failed(WorkerError),
}

/// One file: its name, type and size, and its "Enregistrer" button.
#[component]
fn FileItem(exchange_id: ExchangeId, index: usize, file: OpenedFile) -> impl IntoView {
    let name = save::safe_file_name(&file.name, &t!("exchange.file.default_name"));
    let size = file.size;
    let (progress, set_progress) = signal(None::<ProgressReport>);
    let busy = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Outcome>);
    let control = StoredValue::new_local(None::<save::Control>);

    let start = {
        let name = name.clone();
        move |_| {
            if busy.get_untracked() {
                return;
            }
            let run = save::Control::default();
            control.set_value(Some(run.clone()));
            let target = save::Target {
                exchange_id: exchange_id.to_string(),
                index,
                name: name.clone(),
                size,
            };
            // Synchronously, in the click: the file picker opens now or never.
            let saving = save::save(
                target,
                run,
                Rc::new(move |report| set_progress.set(Some(report))),
            );
            busy.set(true);
            outcome.set(None);
            leptos::task::spawn_local(async move {
                let result = saving.await;
                busy.set(false);
                set_progress.set(None);
                control.set_value(None);
                outcome.set(Some(match result {
                    Ok(saved) => Outcome::Saved(saved),
                    Err(error) => Outcome::Failed(error),
                }));
            });
        }
    };
    let cancel = move |_| {
        control.with_value(|run| {
            if let Some(run) = run {
                run.cancel();
            }
        });
    };

    let label_name = name.clone();
    let save_label = move || fill(&t!("exchange.file.save_named"), &[("name", &label_name)]);
    let cancel_name = name.clone();
    let cancel_label = move || fill(&t!("exchange.file.cancel_named"), &[("name", &cancel_name)]);
    let media_type = if file.media_type.is_empty() {
        "application/octet-stream".to_owned()
    } else {
        file.media_type.clone()
    };
    let status = move || {
        outcome.get().map(|outcome| match outcome {
            Outcome::Saved(save::Saved::ToFile) => view! {
                <p class="ok" role="status" data-testid=format!("saved-{index}")>
                    <span aria-hidden="true">"✓ "</span>{move || t!("exchange.file.saved")}
                </p>
            }
            .into_any(),
            Outcome::Saved(save::Saved::ToDownloads) => view! {
                <p class="ok" role="status" data-testid=format!("saved-{index}")>
                    <span aria-hidden="true">"✓ "</span>{move || t!("exchange.file.saved_downloads")}
                </p>
            }
            .into_any(),
            Outcome::Saved(save::Saved::Cancelled) => view! {
                <p class="hint" role="status" data-testid=format!("save-cancelled-{index}")>
                    {move || t!("exchange.file.cancelled")}
                </p>
            }
            .into_any(),
            Outcome::Failed(error) => {
                let code = error.code;
                let text = move || i18n::error(code);
                let help = match code {
                    ErrorCode::Decryption | ErrorCode::Verification => {
                        Some(key!("exchange.file.corrupted.help"))
                    }
                    ErrorCode::Expired => Some(key!("exchange.expired.help")),
                    _ => None,
                };
                view! {
                    <div class="alert error" role="alert" data-testid=format!("save-error-{index}")
                        data-code=code.as_str()>
                        <p>{text}</p>
                        <p>{move || t!("exchange.file.discarded")}</p>
                        {help.map(|key| view! { <p>{move || t(key)}</p> })}
                    </div>
                }
                .into_any()
            }
        })
    };

    view! {
        <li class="file" data-testid=format!("file-{index}")>
            <div class="file-head">
                <p class="file-name" data-testid=format!("file-name-{index}")>{name}</p>
                <p class="hint file-meta">
                    <span data-testid=format!("file-type-{index}")>{media_type}</span>
                    " · "
                    <span data-testid=format!("file-size-{index}")>{move || i18n::size(size)}</span>
                </p>
            </div>
            <div class="file-actions">
                <button type="button" class="primary" data-testid=format!("save-file-{index}")
                    aria-label=save_label disabled=move || busy.get() on:click=start>
                    {move || t!("exchange.file.save")}
                </button>
                {move || busy.get().then(|| view! {
                    <button type="button" data-testid=format!("cancel-file-{index}")
                        aria-label=cancel_label.clone() on:click=cancel>
                        {move || t!("action.cancel")}
                    </button>
                })}
            </div>
            <div class="file-progress">
                {move || (busy.get() && progress.get().is_none()).then(|| view! {
                    <p class="hint" role="status">{move || t!("exchange.file.preparing")}</p>
                })}
                <ProgressBar label=key!("progress.download") report=progress />
                {status}
            </div>
        </li>
    }
}
