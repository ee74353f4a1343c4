//! Sending an exchange (journey 2, "caseworker sends"): files dropped on a drop zone or
//! chosen with a file input, a recipient service from the directory (only those whose key
//! the worker verified to the pinned root can be chosen), category, urgency, subject,
//! message and case reference. The worker encrypts and uploads, the upload of one part
//! running while the next is encrypted; the page follows with two progress bars, stays
//! usable, and can cancel.
//!
//! Within one send, `pli-client` retries each part a network cut interrupted. A send that
//! finally fails keeps its sealed plan (see [`resume`](crate::pages::resume)):
//! "Réessayer" resumes it, uploading only the parts the relay lacks; after a reload, the
//! resume panel at the top of this page offers the same with the files picked again.

use leptos::ev::{DragEvent, SubmitEvent};
use leptos::prelude::*;
use pli_api::ErrorCode;
use pli_api::{ExchangeId, OrgId};
use wasm_bindgen::JsCast as _;

use crate::app::{Auth, Ctx, Route};
use crate::bridge;
use crate::i18n::{self, fill, t};
use crate::model::draft::{Check, Draft, usable};
use crate::protocol::{Opened, Phase, ProgressReport, Recipient, WorkerError};
use pli_api::Category;

/// After this long without any progress, say that the connection seems interrupted.
const STALL_MS: f64 = 10_000.0;

/// A file the person chose.
#[derive(Clone)]
struct Picked {
    /// Stable within the page, to remove the right one.
    key: u32,
    file: web_sys::File,
    name: String,
    size: u64,
    modified: f64,
}

/// What a check says, in words.
trait CheckText {
    fn text(&self) -> String;
}

impl CheckText for Check {
    fn text(&self) -> String {
        use pli_crypto::manifest::{
            MAX_CASE_REFERENCE_LEN, MAX_FILE_NAME_LEN, MAX_MESSAGE_LEN, MAX_SUBJECT_LEN,
        };
        let max = |key: &str, max: usize| fill(&t(key), &[("max", &max.to_string())]);
        match self {
            Self::Files => t("compose.check.files"),
            Self::TooMany => max("compose.check.too_many", pli_crypto::envelope::MAX_FILES),
            Self::NameLong(name) => fill(
                &t("compose.check.name_long"),
                &[("max", &MAX_FILE_NAME_LEN.to_string()), ("name", name)],
            ),
            Self::Recipient => t("compose.check.recipient"),
            Self::Category => t("compose.check.category"),
            Self::Subject => t("compose.check.subject"),
            Self::SubjectLong => max("compose.check.subject_long", MAX_SUBJECT_LEN),
            Self::CaseLong => max("compose.check.case_long", MAX_CASE_REFERENCE_LEN),
            Self::MessageLong => max("compose.check.message_long", MAX_MESSAGE_LEN),
        }
    }
}

/// Why a recipient cannot be chosen, in words (the worker's detail is English, for logs).
fn problem_text(problem: ErrorCode) -> String {
    match problem {
        ErrorCode::RecipientNoKey => t("compose.recipient.nokey"),
        ErrorCode::RecipientKeySuspended => t("compose.recipient.suspended"),
        _ => t("compose.recipient.unverifiable"),
    }
}

/// Whether a problem means the relay served a key that does not verify (not simply none).
fn unverifiable(problem: ErrorCode) -> bool {
    !matches!(
        problem,
        ErrorCode::RecipientNoKey | ErrorCode::RecipientKeySuspended
    )
}

/// A send failure, in words: some codes mean something more precise here than elsewhere.
fn send_error(error: &WorkerError) -> String {
    match error.code {
        ErrorCode::Verification => t("compose.error.verification"),
        ErrorCode::Network => t("compose.error.network"),
        ErrorCode::Io => t("compose.error.io"),
        // Resuming: the relay's running hash no longer matches the files' contents.
        ErrorCode::EnvelopeMismatch | ErrorCode::Conflict => t("resume.error.changed"),
        code => i18n::error(code),
    }
}

/// "Re : subject", unless it already starts so.
fn reply_subject(subject: &str) -> String {
    let subject = subject.trim();
    let lower = subject.to_lowercase();
    if lower.starts_with("re:") || lower.starts_with("re :") {
        subject.to_owned()
    } else {
        format!("{}{subject}", t("compose.reply.prefix"))
    }
}

fn focus(id: &str) {
    if let Some(element) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// Whether the browser believes it is online.
fn online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// The original exchange of a reply, as far as it could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Original {
    Loading,
    /// Its decrypted subject.
    Read(String),
    /// Not readable here (the recipient is then chosen by hand, if not known).
    Unreadable,
}

/// Who to answer, and what the original said: the organisation at the other end (the
/// relay's summary, then the verified envelope if the exchange opens), its subject and
/// case reference.
async fn load_original(id: ExchangeId, my_org: Option<OrgId>) -> (Option<OrgId>, Option<Opened>) {
    let other = |sender: OrgId, recipient: OrgId| {
        if Some(sender) == my_org {
            recipient
        } else {
            sender
        }
    };
    let mut counterpart = bridge::call(crate::protocol::ExchangeOf { id })
        .await
        .ok()
        .map(|d| other(d.summary.sender_org_id, d.summary.recipient_org_id));
    let opened = bridge::call(crate::protocol::Open { exchange_id: id })
        .await
        .ok();
    if let Some(o) = &opened {
        counterpart = Some(other(o.sender_org_id, o.summary.recipient_org_id));
    }
    (counterpart, opened)
}

/// A progress bar with a stable test hook on the `<progress>` element.
#[component]
fn Bar(
    label: &'static str,
    testid: &'static str,
    report: RwSignal<Option<ProgressReport>>,
) -> impl IntoView {
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
                data-busy-ms=move || report.get().map(|r| r.busy_ms).unwrap_or(0).to_string()>{percent} " %"</progress>
        </div>
    }
}

/// The send page; `reply` is the exchange answered, if any.
#[component]
pub fn Compose(reply: Option<String>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let my_org = match ctx.auth.get_untracked() {
        Auth::Ready(me) => Some(me.org_id),
        _ => None,
    };
    let reply_id: Option<ExchangeId> = reply.as_deref().and_then(|r| r.parse().ok());
    let replying = reply.is_some();

    // The form.
    let files = RwSignal::new_local(Vec::<Picked>::new());
    let next_key = StoredValue::new(0u32);
    let recipient = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let urgent = RwSignal::new(false);
    let subject = RwSignal::new(String::new());
    let case_reference = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());

    // What the page knows and does.
    let directory = RwSignal::new(None::<Result<Vec<Recipient>, WorkerError>>);
    let original = RwSignal::new(replying.then_some(Original::Loading));
    let reply_blocked = RwSignal::new(false);
    let checks = RwSignal::new(Vec::<Check>::new());
    let notice = RwSignal::new(String::new());
    let dragging = RwSignal::new(false);
    let drag_depth = StoredValue::new(0i32);
    let sending = RwSignal::new(false);
    let cancelling = RwSignal::new(false);
    let send_id = StoredValue::new(None::<bridge::Handle>);
    // The sealed plan of the send under way or last failed (see `resume`): "Réessayer"
    // resumes it instead of sending everything again.
    let last_plan = StoredValue::new(None::<String>);
    let user = crate::app::me(&ctx)
        .map(|m| m.user_id.to_string())
        .unwrap_or_default();
    let user = StoredValue::new(user);
    let encrypt = RwSignal::new(None::<ProgressReport>);
    let upload = RwSignal::new(None::<ProgressReport>);
    let last_progress = StoredValue::new(0f64);
    let stalled = RwSignal::new(false);
    let offline = RwSignal::new(!online());
    let failure = RwSignal::new(None::<WorkerError>);
    let cancelled = RwSignal::new(false);
    let sent = RwSignal::new(None::<ExchangeId>);
    // A problem the person just worked on is no longer listed.
    let fixed = move |field: &'static str| {
        if checks.with_untracked(|c| c.iter().any(|c| c.field() == field)) {
            checks.update(|c| c.retain(|c| c.field() != field));
        }
    };

    // The directory, then (when replying) the original exchange.
    let load = move || {
        directory.set(None);
        leptos::task::spawn_local(async move {
            let result = bridge::call(crate::protocol::Recipients)
                .await
                .map(|mut list| {
                    list.retain(|r| Some(r.org_id) != my_org);
                    list.sort_by_cached_key(|r| r.name.to_lowercase());
                    list
                });
            let verified: Vec<OrgId> = result
                .as_deref()
                .map(|l| l.iter().filter(|r| usable(r)).map(|r| r.org_id).collect())
                .unwrap_or_default();
            let listed = result.is_ok();
            directory.set(Some(result));
            if !listed {
                // The reply is prepared once the directory loads (its "Réessayer").
                return;
            }
            let Some(id) = reply_id else {
                if replying {
                    original.set(Some(Original::Unreadable));
                }
                return;
            };
            if original.try_get_untracked().flatten() != Some(Original::Loading) {
                return;
            }
            let (counterpart, opened) = load_original(id, my_org).await;
            if let Some(org) = counterpart {
                if verified.contains(&org) {
                    if recipient.try_get_untracked().is_some_and(|r| r.is_empty()) {
                        recipient.set(org.to_string());
                    }
                } else {
                    reply_blocked.set(true);
                }
            }
            match opened {
                Some(o) => {
                    if subject.try_get_untracked().is_some_and(|s| s.is_empty()) {
                        subject.set(reply_subject(&o.subject));
                    }
                    if case_reference
                        .try_get_untracked()
                        .is_some_and(|c| c.is_empty())
                    {
                        case_reference.set(o.case_reference.clone());
                    }
                    original.set(Some(Original::Read(o.subject)));
                }
                None => original.set(Some(Original::Unreadable)),
            }
        });
    };
    load();

    // Connection watch while sending: offline events, and no progress for a while.
    let on_offline = window_event_listener_untyped("offline", move |_| offline.set(true));
    let on_online = window_event_listener_untyped("online", move |_| offline.set(false));
    let on_leave = window_event_listener_untyped("beforeunload", move |event| {
        if sending.try_get_untracked() == Some(true) {
            event.prevent_default();
        }
    });
    // A file dropped beside the drop zone would make the browser leave Pli to show it.
    let on_stray_over = window_event_listener_untyped("dragover", |event| event.prevent_default());
    let on_stray_drop = window_event_listener_untyped("drop", |event| event.prevent_default());
    let stall_watch = set_interval_with_handle(
        move || {
            if sending.try_get_untracked() == Some(true)
                && now() - last_progress.try_get_value().unwrap_or_else(now) > STALL_MS
                && stalled.try_get_untracked() == Some(false)
            {
                stalled.set(true);
            }
        },
        std::time::Duration::from_secs(1),
    )
    .ok();
    on_cleanup(move || {
        on_offline.remove();
        on_online.remove();
        on_leave.remove();
        on_stray_over.remove();
        on_stray_drop.remove();
        if let Some(handle) = stall_watch {
            handle.clear();
        }
    });

    // Files.
    let add_files = move |list: web_sys::FileList| {
        let mut added = 0usize;
        let mut duplicates = Vec::new();
        files.update(|picked| {
            for file in (0..list.length()).filter_map(|i| list.get(i)) {
                let name = file.name();
                let size = file.size() as u64;
                let modified = file.last_modified();
                if picked
                    .iter()
                    .any(|p| p.name == name && p.size == size && p.modified == modified)
                {
                    duplicates.push(name);
                    continue;
                }
                let key = next_key.get_value();
                next_key.set_value(key.wrapping_add(1));
                picked.push(Picked {
                    key,
                    file,
                    name,
                    size,
                    modified,
                });
                added += 1;
            }
        });
        let mut text = Vec::new();
        if added > 0 || duplicates.is_empty() {
            text.push(fill(
                &t("compose.files.added"),
                &[("count", &added.to_string())],
            ));
        }
        if !duplicates.is_empty() {
            let names = duplicates.join(", ");
            text.push(fill(&t("compose.files.duplicate"), &[("name", &names)]));
        }
        notice.set(text.join(" "));
        sent.set(None);
        cancelled.set(false);
        fixed("files");
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(list) = input.files() {
            add_files(list);
        }
        // The same file can be chosen again after being removed.
        input.set_value("");
    };
    let on_drag_enter = move |ev: DragEvent| {
        ev.prevent_default();
        drag_depth.update_value(|d| *d += 1);
        dragging.set(!sending.get_untracked());
    };
    let on_drag_over = move |ev: DragEvent| {
        ev.prevent_default();
        if let Some(transfer) = ev.data_transfer() {
            transfer.set_drop_effect(if sending.get_untracked() {
                "none"
            } else {
                "copy"
            });
        }
    };
    let on_drag_leave = move |_ev: DragEvent| {
        drag_depth.update_value(|d| *d -= 1);
        if drag_depth.get_value() <= 0 {
            drag_depth.set_value(0);
            dragging.set(false);
        }
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        drag_depth.set_value(0);
        dragging.set(false);
        if sending.get_untracked() {
            return;
        }
        if let Some(list) = ev.data_transfer().and_then(|t| t.files()) {
            add_files(list);
        }
    };
    let remove_file = move |key: u32| {
        let mut removed = String::new();
        files.update(|picked| {
            if let Some(at) = picked.iter().position(|p| p.key == key) {
                removed = picked.remove(at).name;
            }
        });
        notice.set(fill(&t("compose.files.removed"), &[("name", &removed)]));
        focus("files");
    };

    // Sending.
    let start = move |resume: bool| {
        let picked = files.get_untracked();
        let list = directory
            .get_untracked()
            .and_then(Result::ok)
            .unwrap_or_default();
        let names: Vec<&str> = picked.iter().map(|p| p.name.as_str()).collect();
        let draft = Draft {
            files: &names,
            recipient: &recipient.get_untracked(),
            directory: &list,
            category: &category.get_untracked(),
            subject: &subject.get_untracked(),
            case_reference: &case_reference.get_untracked(),
            message: &message.get_untracked(),
        };
        let found = draft.checks();
        sent.set(None);
        cancelled.set(false);
        failure.set(None);
        if let Some(first) = found.first() {
            let field = first.field();
            checks.set(found);
            focus(field);
            return;
        }
        checks.set(Vec::new());
        let plan = if resume { last_plan.get_value() } else { None };
        if !resume && let Some(stale) = last_plan.get_value() {
            // A new send after a failed one: the relay may erase the failed upload now.
            last_plan.set_value(None);
            crate::pages::resume::forget();
            leptos::task::spawn_local(async move {
                let _ = bridge::call(crate::protocol::Abandon { plan: stale }).await;
            });
        }
        let new_send = recipient
            .get_untracked()
            .parse::<OrgId>()
            .ok()
            .zip(category.get_untracked().parse::<Category>().ok())
            .map(|(recipient, category)| crate::protocol::SendExchange {
                recipient,
                category,
                subject: subject.get_untracked().trim().to_owned(),
                message: message.get_untracked(),
                case_reference: case_reference.get_untracked().trim().to_owned(),
                urgent: urgent.get_untracked(),
                in_reply_to: reply_id,
            })
            .ok_or_else(|| {
                WorkerError::new(ErrorCode::BadRequest, "unknown recipient or category")
            });
        let blobs: Vec<web_sys::File> = picked.iter().map(|p| p.file.clone()).collect();
        encrypt.set(None);
        upload.set(None);
        stalled.set(false);
        cancelling.set(false);
        last_progress.set_value(now());
        sending.set(true);
        leptos::task::spawn_local(async move {
            let on_progress: Box<dyn Fn(ProgressReport)> =
                Box::new(move |report: ProgressReport| {
                    last_progress.set_value(now());
                    if stalled.try_get_untracked() == Some(true) {
                        stalled.set(false);
                    }
                    match report.phase {
                        Phase::Encrypt => encrypt.set(Some(report)),
                        Phase::Upload => upload.set(Some(report)),
                        Phase::Plan => {
                            if let Some(plan) = report.plan {
                                crate::pages::resume::remember(&user.get_value(), &plan);
                                last_plan.set_value(Some(plan));
                            }
                        }
                        _ => {}
                    }
                });
            let with = bridge::With {
                files: &blobs,
                on_progress: Some(on_progress),
                on_chunk: None,
            };
            let running = match plan {
                Some(plan) => bridge::start(crate::protocol::Resume { plan }, with),
                None => new_send.and_then(|request| bridge::start(request, with)),
            };
            let result = match running {
                Ok(running) => {
                    send_id.set_value(Some(running.handle()));
                    running.outcome().await
                }
                Err(error) => Err(error),
            };
            send_id.set_value(None);
            sending.set(false);
            cancelling.set(false);
            stalled.set(false);
            if result
                .as_ref()
                .map_or_else(|e| e.code == ErrorCode::Cancelled, |_| true)
            {
                // The send ended: nothing to resume.
                crate::pages::resume::forget();
                last_plan.set_value(None);
            }
            match result {
                Ok(id) => {
                    files.set(Vec::new());
                    notice.set(String::new());
                    recipient.set(String::new());
                    category.set(String::new());
                    urgent.set(false);
                    subject.set(String::new());
                    case_reference.set(String::new());
                    message.set(String::new());
                    encrypt.set(None);
                    upload.set(None);
                    sent.set(Some(id));
                    request_animation_frame(|| focus("sent"));
                }
                Err(e) if e.code == ErrorCode::Cancelled => {
                    cancelled.set(true);
                    request_animation_frame(|| focus("compose-status"));
                }
                Err(e) => {
                    failure.set(Some(e));
                    request_animation_frame(|| focus("send-failure"));
                }
            }
        });
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if !sending.get_untracked() {
            start(false);
        }
    };
    let cancel = move |_| {
        let Some(running) = send_id.get_value() else {
            return;
        };
        cancelling.set(true);
        running.cancel();
    };

    // ----- pieces of the view

    let intro = move || {
        original.get().map(|o| {
            let text = match o {
                Original::Loading => t("compose.reply.loading"),
                Original::Read(s) => fill(&t("compose.reply.to"), &[("subject", &s)]),
                Original::Unreadable => t("compose.reply.unknown"),
            };
            view! { <p class="alert info reply-to" data-testid="reply-to">{text}</p> }
        })
    };

    let success = move || {
        sent.get().map(|id| {
            let href = Route::Exchange(id.to_string()).href();
            view! {
                <div class="alert success" id="sent" data-testid="sent" role="status" tabindex="-1">
                    <h2>{move || t("compose.sent.title")}</h2>
                    <p>{move || t("compose.sent.text")}</p>
                    <p class="actions">
                        <a href=href data-testid="sent-link">{move || t("compose.sent.view")}</a>
                        <a href=Route::Outbox.href()>{move || t("compose.sent.outbox")}</a>
                    </p>
                </div>
            }
        })
    };

    let file_list = move || {
        let picked = files.get();
        if picked.is_empty() {
            return view! {
                <p class="hint files-empty" id="files-count" data-testid="files-empty">{move || t("compose.files.empty")}</p>
            }
            .into_any();
        }
        let count = picked.len();
        let total: u64 = picked.iter().map(|p| p.size).sum();
        let items = picked
            .into_iter()
            .map(|p| {
                let key = p.key;
                let name = p.name.clone();
                let label = move || fill(&t("compose.files.remove.label"), &[("name", &name)]);
                let size = p.size;
                view! {
                    <li class="file" data-testid="file">
                        <span class="file-name">{p.name.clone()}</span>
                        <span class="file-size">{move || i18n::size(size)}</span>
                        <button type="button" class="link" data-testid="remove-file"
                            aria-label=label on:click=move |_| remove_file(key)>
                            {move || t("compose.files.remove")}
                        </button>
                    </li>
                }
            })
            .collect_view();
        view! {
            <p class="hint" id="files-count">
                {move || fill(&t("compose.files.count"), &[
                    ("count", &count.to_string()),
                    ("size", &i18n::size(total)),
                ])}
            </p>
            <ul class="files" data-testid="file-list" aria-label=move || t("compose.files.list")>
                {items}
            </ul>
        }
        .into_any()
    };

    let recipient_options = move || {
        let list = directory.get().and_then(Result::ok).unwrap_or_default();
        let group = |key: &'static str, members: Vec<Recipient>| {
            (!members.is_empty()).then(|| {
                let options = members
                    .into_iter()
                    .map(|r| {
                        let value = r.org_id.to_string();
                        let text = match &r.problem {
                            Some(p) => format!("{} — {}", r.name, problem_text(*p)),
                            None if r.fingerprint.is_none() => {
                                format!("{} — {}", r.name, t("compose.recipient.unverifiable"))
                            }
                            None => r.name.clone(),
                        };
                        let disabled = !usable(&r);
                        let selected = {
                            let value = value.clone();
                            move || recipient.get() == value
                        };
                        view! {
                            <option value=value disabled=disabled prop:selected=selected>{text}</option>
                        }
                    })
                    .collect_view();
                view! { <optgroup label=t(key)>{options}</optgroup> }
            })
        };
        let (courts, rest): (Vec<_>, Vec<_>) = list
            .into_iter()
            .partition(|r| r.kind == pli_api::OrgKind::Court);
        let (departements, others): (Vec<_>, Vec<_>) = rest
            .into_iter()
            .partition(|r| r.kind == pli_api::OrgKind::Departement);
        view! {
            <option value="" prop:selected=move || recipient.get().is_empty()>
                {t("compose.recipient.choose")}
            </option>
            {group("compose.recipient.courts", courts)}
            {group("compose.recipient.departements", departements)}
            {group("compose.recipient.others", others)}
        }
    };

    let directory_state = move || {
        match directory.get() {
        None => Some(
            view! { <p class="hint" role="status">{move || t("compose.recipient.loading")}</p> }
                .into_any(),
        ),
        Some(Err(e)) => Some(
            view! {
                <div class="alert error" role="alert">
                    <p>{i18n::error(e.code)}</p>
                    <p><button type="button" on:click=move |_| load()>{move || t("compose.retry")}</button></p>
                </div>
            }
            .into_any(),
        ),
        Some(Ok(list)) => {
            let none = !list.iter().any(usable);
            let blocked: Vec<Recipient> = list.into_iter().filter(|r| !usable(r)).collect();
            if blocked.is_empty() && !none {
                return None;
            }
            let any_unverifiable = blocked
                .iter()
                .any(|r| r.problem.is_none_or(unverifiable));
            let items = (!blocked.is_empty()).then(|| {
                let items = blocked
                    .into_iter()
                    .map(|r| {
                        let reason = move || {
                            r.problem
                                .map(problem_text)
                                .unwrap_or_else(|| t("compose.recipient.unverifiable"))
                        };
                        view! { <li>{r.name.clone()} " — " {reason}</li> }
                    })
                    .collect_view();
                view! { <ul>{items}</ul> }
            });
            let lead = if none {
                "compose.recipient.none"
            } else {
                "compose.recipient.problems"
            };
            Some(
                view! {
                    <div class="recipient-problems" data-testid="recipient-problems">
                        <p>{move || t(lead)}</p>
                        {items}
                        {any_unverifiable.then(|| view! { <p>{move || t("compose.recipient.problems.help")}</p> })}
                    </div>
                }
                .into_any(),
            )
        }
        }
    };

    let chosen_key = move || {
        let chosen = recipient.get();
        let found = directory
            .get()
            .and_then(Result::ok)
            .and_then(|l| l.into_iter().find(|r| r.org_id.to_string() == chosen))?;
        let fingerprint = found.fingerprint.clone()?;
        let generation = found.generation.map(|g| g.to_string()).unwrap_or_default();
        Some(view! {
            <div class="recipient-key" data-testid="recipient-key">
                <p><span class="badge verified">"✓ " {move || t("compose.recipient.verified")}</span></p>
                <dl class="fingerprints">
                    <dt>{move || t("compose.recipient.fingerprint")}</dt>
                    <dd><code data-testid="recipient-fingerprint">{fingerprint}</code></dd>
                    <dt>{move || t("compose.recipient.generation")}</dt>
                    <dd data-testid="recipient-generation">{generation}</dd>
                </dl>
                <p class="hint">{move || t("fingerprint.help")}</p>
            </div>
        })
    };

    let invalid = move |field: &'static str| {
        move || {
            checks
                .get()
                .iter()
                .any(|c| c.field() == field)
                .then_some("true")
        }
    };

    let check_list = move || {
        let found = checks.get();
        (!found.is_empty()).then(|| {
            let items = found
                .into_iter()
                .map(|c| view! { <li>{move || c.text()}</li> })
                .collect_view();
            view! {
                <div class="alert error" role="alert" data-testid="checks">
                    <p>{move || t("compose.check.title")}</p>
                    <ul>{items}</ul>
                </div>
            }
        })
    };

    let status = move || {
        if sending.get() {
            if cancelling.get() {
                t("compose.cancelling")
            } else if offline.get() {
                t("compose.offline")
            } else if stalled.get() {
                t("compose.stalled")
            } else if encrypt.get().is_none() && upload.get().is_none() {
                t("compose.preparing")
            } else {
                t("compose.sending")
            }
        } else if cancelled.get() {
            t("compose.cancelled")
        } else {
            String::new()
        }
    };
    let status_class = move || {
        if sending.get() && (offline.get() || stalled.get()) {
            "send-status warning"
        } else if !sending.get() && cancelled.get() {
            "send-status alert info"
        } else {
            "send-status"
        }
    };

    let failure_box = move || {
        failure.get().map(|e| {
            view! {
                <div class="alert error" id="send-failure" data-testid="send-failure" role="alert" tabindex="-1">
                    <p>{let e = e.clone(); move || send_error(&e)}</p>
                    // Sending again to a key that does not verify would fail the same way.
                    {(e.code != ErrorCode::Verification).then(|| view! {
                        <p class="hint">{move || t("compose.retry.help")}</p>
                        <p>
                            <button type="button" data-testid="retry" on:click=move |_| start(true)>
                                {move || t("compose.retry")}
                            </button>
                        </p>
                    })}
                </div>
            }
        })
    };

    view! {
        <section class="card compose">
            <h1>{move || t(if replying { "compose.title.reply" } else { "compose.title" })}</h1>
            <p class="lead">{move || t("compose.lead")}</p>
            {intro}
            <crate::pages::resume::ResumePanel />
            {success}
            <form on:submit=submit novalidate>
                <fieldset class="group" disabled=sending>
                    <legend>{move || t("compose.files.legend")}</legend>
                    <div class="dropzone" class:over=move || dragging.get() data-testid="drop-zone"
                        on:dragenter=on_drag_enter on:dragover=on_drag_over
                        on:dragleave=on_drag_leave on:drop=on_drop>
                        <p class="drop-text" aria-hidden="true">{move || t("compose.files.drop")}</p>
                        <p class="drop-or" aria-hidden="true">{move || t("compose.files.or")}</p>
                        <input id="files" data-testid="file-input" class="visually-hidden" type="file" multiple
                            aria-describedby="files-help files-count" aria-invalid=invalid("files")
                            on:change=on_pick />
                        <label for="files" class="pick">{move || t("compose.files.pick")}</label>
                        <p class="hint" id="files-help">{move || t("compose.files.help")}</p>
                    </div>
                    <p class="hint files-notice" role="status" data-testid="files-notice">{move || notice.get()}</p>
                    {file_list}
                </fieldset>

                <fieldset class="group" disabled=sending>
                    <legend>{move || t("compose.recipient.legend")}</legend>
                    <div class="field">
                        <label for="recipient">
                            {move || t("compose.recipient.label")}
                            <span class="required">" (" {move || t("compose.required")} ")"</span>
                        </label>
                        <select id="recipient" data-testid="recipient" required aria-required="true"
                            aria-invalid=invalid("recipient") aria-describedby="recipient-problems recipient-key"
                            prop:value=move || recipient.get()
                            on:change=move |ev| {
                                recipient.set(event_target_value(&ev));
                                fixed("recipient");
                            }>
                            {recipient_options}
                        </select>
                    </div>
                    {move || reply_blocked.get().then(|| view! {
                        <p class="alert warning" role="alert">{move || t("compose.recipient.reply_unavailable")}</p>
                    })}
                    <div id="recipient-problems">{directory_state}</div>
                    <div id="recipient-key" aria-live="polite">{chosen_key}</div>
                </fieldset>

                <fieldset class="group" disabled=sending>
                    <legend>{move || t("compose.details.legend")}</legend>
                    <div class="field">
                        <label for="category">
                            {move || t("compose.category.label")}
                            <span class="required">" (" {move || t("compose.required")} ")"</span>
                        </label>
                        <select id="category" data-testid="category" class="short" required aria-required="true"
                            aria-invalid=invalid("category")
                            prop:value=move || category.get()
                            on:change=move |ev| {
                                category.set(event_target_value(&ev));
                                fixed("category");
                            }>
                            <option value="" prop:selected=move || category.get().is_empty()>
                                {move || t("compose.category.choose")}
                            </option>
                            {Category::ALL.iter().map(|code| view! {
                                <option value=code.as_str() prop:selected=move || category.get() == code.as_str()>
                                    {move || t(&format!("compose.category.{code}"))}
                                </option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field inline urgent">
                        <input id="urgent" data-testid="urgent" type="checkbox" aria-describedby="urgent-help"
                            prop:checked=move || urgent.get()
                            on:change=move |ev| urgent.set(event_target_checked(&ev)) />
                        <label for="urgent">{move || t("compose.urgent.label")}</label>
                    </div>
                    <p class="hint field-help" id="urgent-help">{move || t("compose.urgent.help")}</p>
                    <div class="field">
                        <label for="subject">
                            {move || t("compose.subject.label")}
                            <span class="required">" (" {move || t("compose.required")} ")"</span>
                        </label>
                        <input id="subject" data-testid="subject" required aria-required="true"
                            autocomplete="off" aria-invalid=invalid("subject")
                            prop:value=move || subject.get()
                            on:input=move |ev| {
                                subject.set(event_target_value(&ev));
                                fixed("subject");
                            } />
                    </div>
                    <div class="field">
                        <label for="case-reference">{move || t("compose.case.label")}</label>
                        <input id="case-reference" data-testid="case-reference" class="short" autocomplete="off"
                            aria-describedby="case-help" aria-invalid=invalid("case-reference")
                            prop:value=move || case_reference.get()
                            on:input=move |ev| {
                                case_reference.set(event_target_value(&ev));
                                fixed("case-reference");
                            } />
                        <p class="hint" id="case-help">{move || t("compose.case.help")}</p>
                    </div>
                    <div class="field">
                        <label for="message">{move || t("compose.message.label")}</label>
                        <textarea id="message" data-testid="message" aria-describedby="message-help"
                            aria-invalid=invalid("message")
                            prop:value=move || message.get()
                            on:input=move |ev| {
                                message.set(event_target_value(&ev));
                                fixed("message");
                            }></textarea>
                        <p class="hint" id="message-help">{move || t("compose.message.help")}</p>
                    </div>
                </fieldset>

                {check_list}
                {failure_box}

                <div class="actions">
                    <button type="submit" class="primary" data-testid="send" disabled=sending>
                        {move || t("compose.send")}
                    </button>
                    <Show when=move || sending.get()>
                        <button type="button" id="cancel" data-testid="cancel" class="danger"
                            disabled=move || cancelling.get()
                            on:click=cancel>
                            {move || t("compose.cancel")}
                        </button>
                    </Show>
                </div>

                <p id="compose-status" data-testid="send-status" class=status_class role="status" tabindex="-1">
                    {status}
                </p>
                <Show when=move || sending.get()>
                    <div class="send-progress" data-testid="send-progress">
                        <Bar label="progress.encrypt" testid="progress-encrypt" report=encrypt />
                        <Bar label="progress.upload" testid="progress-upload" report=upload />
                    </div>
                </Show>
            </form>
        </section>
    }
}
