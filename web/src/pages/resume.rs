//! Resuming a send that a page reload (or a closed tab, or a network cut longer than the
//! worker's retries) interrupted.
//!
//! When a send starts, the worker hands the page the send's *sealed plan* (encryption
//! seeds, subject, file names…, age-encrypted to the sender's own key: unreadable
//! without their password). The page keeps it in `localStorage` until the send ends.
//! Back on the send page with a plan kept, the person sees which send was interrupted,
//! picks the same files again, and the worker encrypts them again from the same seeds —
//! the same bytes — and uploads only the parts the relay lacks. Or they abandon it, and
//! the relay erases what it received.
//!
//! The plan records the hash of every part before it is sent, and the worker hands the
//! page the plan again each time (sending and resuming alike): the page keeps the latest.
//! A file picked again whose content differs where a part already left is refused before
//! that part leaves again (`file_changed`); a plan from before these hashes can only be
//! abandoned (`plan_outdated`), and one older than the parts the relay holds is refused
//! (`plan_not_latest`).

use leptos::prelude::*;
use pli_api::ErrorCode;
use pli_api::ExchangeId;
use serde::{Deserialize, Serialize};

use crate::app::{Ctx, Route, me};
use crate::bridge;
use crate::i18n::{self, fill, key, t};
use crate::pages::ProgressBar;
use crate::protocol::{Pending, Phase, ProgressReport, WorkerError};

/// Where the plan is kept.
const KEY: &str = "pli.pending-send";

/// What is kept: whose send it is, and its sealed plan (base64).
#[derive(Serialize, Deserialize)]
struct Kept {
    user: String,
    plan: String,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// Keeps `plan`, the sealed plan of the send `user` just started, in place of the one
/// kept before. Where it cannot be kept (storage full or refused), the older one is
/// forgotten too: the send then cannot be resumed after a reload, but a resume never
/// starts from a plan older than what was sent.
pub(crate) fn remember(user: &str, plan: &str) {
    let kept = Kept {
        user: user.to_owned(),
        plan: plan.to_owned(),
    };
    let Some(storage) = storage() else {
        return;
    };
    let stored = serde_json::to_string(&kept)
        .ok()
        .is_some_and(|json| storage.set_item(KEY, &json).is_ok());
    if !stored {
        let _ = storage.remove_item(KEY);
    }
}

/// Where the plans of a send or resume `user` starts are kept ([`bridge::With::plans`]).
pub(crate) fn keeper(user: String) -> Box<dyn bridge::PlanStore> {
    Box::new(Store { user })
}

/// The page's storage, for `user`'s sends.
struct Store {
    user: String,
}

impl bridge::PlanStore for Store {
    fn keep(&self, plan: &str) {
        remember(&self.user, plan);
    }

    fn current(&self) -> Option<String> {
        kept(&self.user)
    }
}

/// Forgets the kept plan: its send ended.
pub(crate) fn forget() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(KEY);
    }
}

/// The plan `user` left, if any.
fn kept(user: &str) -> Option<String> {
    let json = storage()?.get_item(KEY).ok().flatten()?;
    let kept: Kept = serde_json::from_str(&json).ok()?;
    (kept.user == user).then_some(kept.plan)
}

/// Where the panel stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// Waiting for the person.
    Ready,
    /// Encrypting and uploading again.
    Resuming,
    /// Delivered.
    Done(ExchangeId),
    /// Abandoned: the relay erased it.
    Abandoned,
}

/// The explanation of a failed resume.
fn resume_error(error: &WorkerError) -> String {
    match error.code {
        // A file's content differs from what was sent (found before encrypting it again),
        // or the relay's running hash no longer matches.
        ErrorCode::FileChanged | ErrorCode::EnvelopeMismatch | ErrorCode::Conflict => {
            t!("resume.error.changed")
        }
        ErrorCode::Network => t!("compose.error.network"),
        ErrorCode::Io => t!("compose.error.io"),
        code => i18n::error(code),
    }
}

/// The interrupted send of the person logged in, if there is one.
#[component]
pub fn ResumePanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let user = me(&ctx).map(|m| m.user_id.to_string()).unwrap_or_default();
    let plan = kept(&user);
    let user = StoredValue::new(user);
    let pending: RwSignal<Option<Pending>> = RwSignal::new(None);
    let step = RwSignal::new(Step::Ready);
    let picked: RwSignal<Vec<web_sys::File>> = RwSignal::new(Vec::new());
    let failure: RwSignal<Option<WorkerError>> = RwSignal::new(None);
    let (encrypt, set_encrypt) = signal(None::<ProgressReport>);
    let (upload, set_upload) = signal(None::<ProgressReport>);
    let send_id = StoredValue::new(None::<bridge::Handle>);
    let kept_plan = StoredValue::new(plan.clone());

    if let Some(plan) = plan {
        leptos::task::spawn_local(async move {
            match bridge::call(crate::protocol::ReadPlan { plan }).await {
                Ok(found) => pending.set(Some(found)),
                // Sealed to keys this account no longer has (a reset), or damaged: useless.
                Err(e) if e.code == ErrorCode::Verification || e.code == ErrorCode::Decryption => {
                    forget()
                }
                Err(_) => {}
            }
        });
    }

    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let mut files = Vec::new();
        if let Some(list) = input.files() {
            for i in 0..list.length() {
                if let Some(file) = list.get(i) {
                    files.push(file);
                }
            }
        }
        // Picking again replaces the choice (the input is emptied, so that it can).
        input.set_value("");
        failure.set(None);
        picked.set(files);
    };
    let resume = move |_| {
        let Some(plan) = kept_plan.get_value() else {
            return;
        };
        let files = picked.get_untracked();
        let owner = user.get_value();
        failure.set(None);
        set_encrypt.set(None);
        set_upload.set(None);
        step.set(Step::Resuming);
        leptos::task::spawn_local(async move {
            let on_progress: Box<dyn Fn(ProgressReport)> =
                Box::new(move |report: ProgressReport| match report.phase {
                    Phase::Encrypt => set_encrypt.set(Some(report)),
                    Phase::Upload => set_upload.set(Some(report)),
                    // The plan, recording more of the files before they are sent
                    // (kept in storage by `keeper`): it replaces the one in memory.
                    Phase::Plan => {
                        if let Some(plan) = report.plan {
                            kept_plan.try_set_value(Some(plan));
                        }
                    }
                    Phase::Download => {}
                });
            let with = bridge::With {
                files: &files,
                on_progress: Some(on_progress),
                on_chunk: None,
                plans: Some(keeper(owner)),
                destination: None,
            };
            let result = match bridge::start(crate::protocol::Resume { plan }, with) {
                Ok(running) => {
                    send_id.set_value(Some(running.handle()));
                    running.outcome().await
                }
                Err(error) => Err(error),
            };
            send_id.set_value(None);
            match result {
                Ok(id) => {
                    forget();
                    step.set(Step::Done(id));
                }
                Err(e) if e.code == ErrorCode::Cancelled => {
                    forget();
                    step.set(Step::Abandoned);
                }
                Err(e) => {
                    failure.set(Some(e));
                    step.set(Step::Ready);
                }
            }
        });
    };
    let abandon = move |_| {
        if let Some(running) = send_id.get_value() {
            // Resuming: stop it; the worker erases the upload.
            running.cancel();
            return;
        }
        let Some(plan) = kept_plan.get_value() else {
            return;
        };
        leptos::task::spawn_local(async move {
            match bridge::call(crate::protocol::Abandon { plan }).await {
                // `not_found`: already gone from the relay (expired, purged).
                Err(e) if e.code != ErrorCode::NotFound => failure.set(Some(e)),
                _ => {
                    forget();
                    step.set(Step::Abandoned);
                }
            }
        });
    };

    move || {
        let found = pending.get()?;
        Some(match step.get() {
            Step::Done(id) => view! {
                <div class="alert success" data-testid="resumed" role="status">
                    <p>{move || t!("resume.done")}</p>
                    <p><a href=Route::Exchange(id.to_string()).href()>{move || t!("compose.sent.view")}</a></p>
                </div>
            }
            .into_any(),
            Step::Abandoned => view! {
                <p class="alert info" data-testid="abandoned" role="status">{move || t!("resume.abandoned")}</p>
            }
            .into_any(),
            current => {
                let resuming = current == Step::Resuming;
                let subject = found.subject.clone();
                let files = found
                    .files
                    .iter()
                    .map(|f| {
                        let line = format!("{} ({})", f.name, i18n::size(f.size));
                        view! { <li>{line}</li> }
                    })
                    .collect_view();
                view! {
                    <section class="alert warning resume" data-testid="resume" aria-labelledby="resume-title">
                        <h2 id="resume-title">{move || t!("resume.title")}</h2>
                        <p>{move || fill(&t!("resume.lead"), &[("subject", &subject)])}</p>
                        <ul class="resume-files">{files}</ul>
                        <div class="field">
                            <label for="resume-files">{move || t!("resume.pick")}</label>
                            <input id="resume-files" data-testid="resume-files" type="file" multiple
                                aria-describedby="resume-picked" disabled=resuming on:change=on_pick />
                            <p class="hint" id="resume-picked" role="status">
                                {move || picked.with(|files| {
                                    if files.is_empty() {
                                        String::new()
                                    } else {
                                        let names: Vec<String> = files.iter().map(web_sys::File::name).collect();
                                        fill(&t!("resume.picked"), &[("names", &names.join(", "))])
                                    }
                                })}
                            </p>
                        </div>
                        {move || failure.get().map(|e| view! {
                            <p class="alert error" role="alert" data-testid="resume-failure">{resume_error(&e)}</p>
                        })}
                        <p class="actions">
                            <button type="button" class="primary" data-testid="resume-send" on:click=resume
                                disabled=move || resuming || picked.with(Vec::is_empty)>
                                {move || t!("resume.send")}
                            </button>
                            " "
                            <button type="button" class="danger" data-testid="resume-abandon" on:click=abandon>
                                {move || if resuming { t!("compose.cancel") } else { t!("resume.abandon") }}
                            </button>
                        </p>
                        {resuming.then(|| view! {
                            <ProgressBar label=key!("progress.encrypt") report=encrypt />
                            <ProgressBar label=key!("progress.upload") report=upload />
                        })}
                    </section>
                }
                .into_any()
            }
        })
    }
}
