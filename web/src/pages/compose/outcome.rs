//! What the page says about the send under way or just ended, all read from one
//! [`SendState`]: the two progress bars, the status line (preparing, offline, stalled,
//! cancelling, cancelled), the success box and the failure box with "Réessayer".

use leptos::prelude::*;
use pli_api::ErrorCode;

use crate::app::Route;
use crate::i18n::{self, Key, key, t};
use crate::model::send::{SendState, Status};
use crate::protocol::{ProgressReport, WorkerError};

/// A send failure, in words: some codes mean something more precise here than elsewhere.
fn send_error(error: &WorkerError) -> String {
    match error.code {
        ErrorCode::Verification => t!("compose.error.verification"),
        ErrorCode::Network => t!("compose.error.network"),
        ErrorCode::Io => t!("compose.error.io"),
        // Resuming: the relay's running hash no longer matches the files' contents.
        ErrorCode::EnvelopeMismatch | ErrorCode::Conflict => t!("resume.error.changed"),
        code => i18n::error(code),
    }
}

/// A progress bar with a stable test hook on the `<progress>` element.
#[component]
fn Bar(label: Key, testid: &'static str, report: Signal<Option<ProgressReport>>) -> impl IntoView {
    let percent = move || {
        report
            .get()
            .map(|r| {
                r.done
                    .min(r.total)
                    .saturating_mul(100)
                    .checked_div(r.total)
                    .unwrap_or(0)
            })
            .unwrap_or(0)
    };
    let amounts = move || {
        report
            .get()
            .filter(|r| r.total > 0)
            .map(|r| {
                format!(
                    " ({} / {})",
                    i18n::size(r.done.min(r.total)),
                    i18n::size(r.total)
                )
            })
            .unwrap_or_default()
    };
    let label_id = format!("{testid}-label");
    view! {
        <div class="progress">
            <span id=label_id.clone()>{move || t(label)} " — " {percent} " %" {amounts}</span>
            <progress data-testid=testid aria-labelledby=label_id max="100"
                value=move || percent().to_string()
                data-busy-ms=move || report.get().map(|r| r.busy_ms).unwrap_or(0).to_string()
                data-pooled=move || report.get().map(|r| r.pooled).unwrap_or(0).to_string()
                data-hashed=move || report.get().map(|r| r.hashed).unwrap_or(0).to_string()>{percent} " %"</progress>
        </div>
    }
}

/// The two progress bars, while sending.
pub(super) fn progress(state: RwSignal<SendState>) -> impl IntoView {
    let encrypt =
        Signal::derive(move || state.with(|s| s.running().and_then(|r| r.encrypt.clone())));
    let upload = Signal::derive(move || state.with(|s| s.running().and_then(|r| r.upload.clone())));
    view! {
        <Show when=move || state.with(SendState::is_sending)>
            <div class="send-progress" data-testid="send-progress">
                <Bar label=key!("progress.encrypt") testid="progress-encrypt" report=encrypt />
                <Bar label=key!("progress.upload") testid="progress-upload" report=upload />
            </div>
        </Show>
    }
}

/// The status line under the send button.
pub(super) fn status_line(state: RwSignal<SendState>, offline: RwSignal<bool>) -> impl IntoView {
    let status = Memo::new(move |_| state.with(|s| s.status(offline.get())));
    let text = move || match status.get() {
        Status::None => String::new(),
        Status::Preparing => t!("compose.preparing"),
        Status::Sending => t!("compose.sending"),
        Status::Offline => t!("compose.offline"),
        Status::Stalled => t!("compose.stalled"),
        Status::Cancelling => t!("compose.cancelling"),
        Status::Cancelled => t!("compose.cancelled"),
    };
    let class = move || match status.get() {
        s if s.warns() => "send-status warning",
        Status::Cancelled => "send-status alert info",
        _ => "send-status",
    };
    view! {
        <p id="compose-status" data-testid="send-status" class=class role="status" tabindex="-1">
            {text}
        </p>
    }
}

/// The success box, once sent.
pub(super) fn success(state: RwSignal<SendState>) -> impl IntoView {
    let sent = Memo::new(move |_| {
        state.with(|s| match s {
            SendState::Sent(id) => Some(*id),
            _ => None,
        })
    });
    move || {
        let id = sent.get()?;
        let href = Route::Exchange(id.to_string()).href();
        Some(view! {
            <div class="alert success" id="sent" data-testid="sent" role="status" tabindex="-1">
                <h2>{move || t!("compose.sent.title")}</h2>
                <p>{move || t!("compose.sent.text")}</p>
                <p class="actions">
                    <a href=href data-testid="sent-link">{move || t!("compose.sent.view")}</a>
                    <a href=Route::Outbox.href()>{move || t!("compose.sent.outbox")}</a>
                </p>
            </div>
        })
    }
}

/// The failure box, with "Réessayer" (`retry`) where trying again can help.
pub(super) fn failure(
    state: RwSignal<SendState>,
    retry: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let failed = Memo::new(move |_| {
        state.with(|s| match s {
            SendState::Failed { error, .. } => Some((error.clone(), s.retry_offered())),
            _ => None,
        })
    });
    move || {
        let (error, retry_offered) = failed.get()?;
        Some(view! {
            <div class="alert error" id="send-failure" data-testid="send-failure" role="alert" tabindex="-1">
                <p>{move || send_error(&error)}</p>
                // Sending again to a key that does not verify would fail the same way.
                {retry_offered.then(|| view! {
                    <p class="hint">{move || t!("compose.retry.help")}</p>
                    <p>
                        <button type="button" data-testid="retry" on:click=move |_| retry()>
                            {move || t!("compose.retry")}
                        </button>
                    </p>
                })}
            </div>
        })
    }
}
