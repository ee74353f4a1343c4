//! A verified exchange: the badge naming the verified sender, its fingerprint, what the
//! manifest says (as text only), the verified read receipts with mine, and its files, each
//! with its "Enregistrer" button (which saves it through `save`), its progress, and what
//! came of the last saving — with "Télécharger plutôt" when the file picker could not
//! open or was closed. Each file is saved under a name safe on every system and distinct
//! from its siblings' ([`distinct_names`]), so that two files never overwrite each other.

use pli_api::ErrorCode;
use std::rc::Rc;

use futures_util::future::Either;
use wasm_bindgen::JsCast as _;

use leptos::prelude::*;
use pli_api::{ExchangeId, OrgId};

use super::{Receipt, save, when};
use crate::app::Route;
use crate::i18n::{self, fill, key, t};
use crate::model::file_name::distinct_names;
use crate::pages::ProgressBar;
use crate::pages::inbox::{OrgNames, org_name};
use crate::protocol::{Opened, OpenedFile, ProgressReport, ReadBy, WorkerError};

pub(super) fn opened_view(
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
    let default_name = t!("exchange.file.default_name");
    let safe: Vec<String> = opened
        .files
        .iter()
        .map(|file| save::safe_file_name(&file.name, &default_name))
        .collect();
    let saved_as = distinct_names(&safe);
    let files = opened
        .files
        .iter()
        .cloned()
        .zip(safe.into_iter().zip(saved_as))
        .enumerate()
        .map(|(index, (file, (safe, name)))| {
            let renamed = safe != name;
            view! { <FileItem exchange_id=id index=index file=file name=name renamed=renamed /> }
        })
        .collect_view();
    let fingerprint = opened.sender_fingerprint.clone();
    let service = opened.sender_service;
    // New keys after a reset: whoever used its link signs as the sender now.
    let renewed = opened.sender_keys_renewed_at.map(|at| {
        let name = opened.sender_name.clone();
        view! {
            <div class="alert warning" role="note" data-testid="sender-keys-renewed">
                <p>{move || fill(&t!("exchange.keys_renewed"), &[("name", &name), ("date", &i18n::datetime(at))])}</p>
            </div>
        }
    });

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
                            {r.service.then(|| view! {
                                " " <span class="badge" data-testid="reader-service">{move || t!("mailbox.sender_service")}</span>
                            })}
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
            {service.then(|| view! {
                " " <span class="badge" data-testid="sender-service">{move || t!("exchange.sender_service")}</span>
            })}
            {urgent.then(|| view! {
                " " <span class="badge urgent" data-testid="urgent-badge">{move || t!("mailbox.urgent")}</span>
            })}
        </p>
        {renewed}
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

/// One file: its name (`name`, the one it is saved under; `renamed` if it differs from
/// its own because a sibling bears it), type and size, and its "Enregistrer" button.
#[component]
fn FileItem(
    exchange_id: ExchangeId,
    index: usize,
    file: OpenedFile,
    name: String,
    renamed: bool,
) -> impl IntoView {
    let size = file.size;
    let (progress, set_progress) = signal(None::<ProgressReport>);
    let busy = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Outcome>);
    let control = StoredValue::new_local(None::<save::Control>);

    // `picker`: the first click tries the file picker; "Télécharger plutôt" goes to the
    // browser's downloads.
    let stored_name = StoredValue::new(name.clone());
    let start = {
        move |picker: bool| {
            if busy.get_untracked() {
                return;
            }
            let run = save::Control::default();
            control.set_value(Some(run.clone()));
            let target = save::Target {
                exchange_id: exchange_id.to_string(),
                index,
                name: stored_name.get_value(),
                size,
            };
            let on_progress: Rc<dyn Fn(ProgressReport)> =
                Rc::new(move |report| set_progress.set(Some(report)));
            // Synchronously, in the click: the file picker opens now or never.
            let saving = if picker {
                Either::Left(save::save(target, run, on_progress))
            } else {
                Either::Right(save::download_instead(target, run, on_progress))
            };
            busy.set(true);
            outcome.set(None);
            leptos::task::spawn_local(async move {
                let result = saving.await;
                // The cancel button goes with the saving: the focus it held goes back to
                // the file's own button, not to the page's body.
                let held_focus = has_focus(&format!("cancel-file-{index}"));
                busy.set(false);
                set_progress.set(None);
                control.set_value(None);
                outcome.set(Some(match result {
                    Ok(saved) => Outcome::Saved(saved),
                    Err(error) => Outcome::Failed(error),
                }));
                if held_focus {
                    request_animation_frame(move || focus(&format!("save-file-{index}")));
                }
            });
            if !picker {
                // The offer just clicked goes; the focus goes to what stops the download.
                request_animation_frame(move || focus(&format!("cancel-file-{index}")));
            }
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
            Outcome::Saved(saved @ (save::Saved::PickerClosed | save::Saved::PickerUnavailable)) => {
                let (reason, text) = if saved == save::Saved::PickerClosed {
                    ("closed", key!("exchange.file.picker_closed"))
                } else {
                    ("unavailable", key!("exchange.file.picker_unavailable"))
                };
                let label = move || {
                    fill(
                        &t!("exchange.file.download_instead_named"),
                        &[("name", &stored_name.get_value())],
                    )
                };
                view! {
                    <div class="save-fallback" role="status" data-testid=format!("save-fallback-{index}")
                        data-reason=reason>
                        <p>{move || t(text)}</p>
                        <p class="hint">{move || t!("exchange.file.download_instead.help")}</p>
                        <button type="button" data-testid=format!("download-instead-{index}")
                            aria-label=label on:click=move |_| start(false)>
                            {move || t!("exchange.file.download_instead")}
                        </button>
                    </div>
                }
                .into_any()
            }
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
                {renamed.then(|| view! {
                    <p class="hint" data-testid=format!("file-renamed-{index}")>{move || t!("exchange.file.renamed")}</p>
                })}
            </div>
            <div class="file-actions">
                <button type="button" class="primary" id=format!("save-file-{index}") data-testid=format!("save-file-{index}")
                    aria-label=save_label disabled=move || busy.get() on:click=move |_| start(true)>
                    {move || t!("exchange.file.save")}
                </button>
                {move || busy.get().then(|| view! {
                    <button type="button" id=format!("cancel-file-{index}") data-testid=format!("cancel-file-{index}")
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

/// Whether the element with `id` has the focus.
fn has_focus(id: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .is_some_and(|e| e.id() == id)
}

/// Moves the focus to the element with `id`, if it is there.
fn focus(id: &str) {
    if let Some(element) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}
