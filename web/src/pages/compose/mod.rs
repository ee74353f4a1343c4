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
//!
//! The page is a form ([`form::Form`], one typed signal per field) and one
//! [`SendState`] for the send's life; the directory and the exchange answered are
//! [`LocalResource`]s. Each fieldset is its own component.

mod details;
mod files;
mod form;
mod outcome;
mod recipient;
mod reply;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use wasm_bindgen::JsCast as _;

use self::form::Form;
use self::reply::Reply;
use crate::app::{Auth, Ctx};
use crate::bridge;
use crate::i18n::{Key, fill, key, t};
use crate::model::draft::Check;
use crate::model::send::{Begin, SendState};
use crate::protocol::{Abandon, ProgressReport, Resume};

/// What a check says, in words.
fn check_text(check: &Check) -> String {
    use pli_crypto::manifest::{
        MAX_CASE_REFERENCE_LEN, MAX_FILE_NAME_LEN, MAX_MESSAGE_LEN, MAX_SUBJECT_LEN,
    };
    let max = |key: Key, max: usize| fill(&t(key), &[("max", &max.to_string())]);
    match check {
        Check::Files => t!("compose.check.files"),
        Check::TooMany => max(
            key!("compose.check.too_many"),
            pli_crypto::envelope::MAX_FILES,
        ),
        Check::NameLong(name) => fill(
            &t!("compose.check.name_long"),
            &[("max", &MAX_FILE_NAME_LEN.to_string()), ("name", name)],
        ),
        Check::Empty(names) => files::empty_text(names),
        Check::Recipient => t!("compose.check.recipient"),
        Check::Category => t!("compose.check.category"),
        Check::Subject => t!("compose.check.subject"),
        Check::SubjectLong => max(key!("compose.check.subject_long"), MAX_SUBJECT_LEN),
        Check::CaseLong => max(key!("compose.check.case_long"), MAX_CASE_REFERENCE_LEN),
        Check::MessageLong => max(key!("compose.check.message_long"), MAX_MESSAGE_LEN),
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

/// Watches the connection while the page is open: the browser's offline and online
/// events, and a clock that notices a send without progress. Also keeps the browser from
/// leaving the page mid-send or to show a file dropped beside the drop zone.
fn watch_connection(state: RwSignal<SendState>, offline: RwSignal<bool>) {
    let on_offline = window_event_listener_untyped("offline", move |_| offline.set(true));
    let on_online = window_event_listener_untyped("online", move |_| offline.set(false));
    let on_leave = window_event_listener_untyped("beforeunload", move |event| {
        if state.try_with_untracked(SendState::is_sending) == Some(true) {
            event.prevent_default();
        }
    });
    let on_stray_over = window_event_listener_untyped("dragover", |event| event.prevent_default());
    let on_stray_drop = window_event_listener_untyped("drop", |event| event.prevent_default());
    let clock = set_interval_with_handle(
        move || state.maybe_update(|s| s.tick(now())),
        std::time::Duration::from_secs(1),
    )
    .ok();
    on_cleanup(move || {
        on_offline.remove();
        on_online.remove();
        on_leave.remove();
        on_stray_over.remove();
        on_stray_drop.remove();
        if let Some(handle) = clock {
            handle.clear();
        }
    });
}

/// The send page; `reply` is the exchange answered, if any.
#[component]
pub fn Compose(reply: Option<String>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let my_org = match ctx.auth.get_untracked() {
        Auth::Ready(me) => Some(me.org_id),
        _ => None,
    };
    let user = crate::app::me(&ctx)
        .map(|m| m.user_id.to_string())
        .unwrap_or_default();
    let user = StoredValue::new(user);

    let form = Form::new();
    let directory = recipient::directory(my_org);
    let reply = reply.map(|r| Reply::load(&r, my_org, form, directory));
    let reply_id = reply.and_then(|r| r.id);
    let reply_blocked = Signal::derive(move || reply.is_some_and(|r| r.blocked(directory)));

    let state = RwSignal::new(SendState::Editing);
    let sending = Signal::derive(move || state.with(SendState::is_sending));
    let running = StoredValue::new(None::<bridge::Handle>);
    let offline = RwSignal::new(!online());
    watch_connection(state, offline);

    let start = move |resume: bool| {
        let list = directory
            .get_untracked()
            .and_then(Result::ok)
            .unwrap_or_default();
        let request = match form.validate(&list, reply_id) {
            Ok(request) => request,
            Err(found) => {
                let field = found.first().map_or("files", Check::field);
                form.checks.set(found);
                focus(field);
                return;
            }
        };
        form.checks.set(Vec::new());
        let Some(begin) = state.try_update(|s| s.begin(resume, now())).flatten() else {
            return;
        };
        if let Begin::Fresh {
            abandon: Some(stale),
        } = &begin
        {
            // A new send after a failed one: the relay may erase the failed upload now.
            crate::pages::resume::forget();
            let plan = stale.clone();
            leptos::task::spawn_local(async move {
                let _ = bridge::call(Abandon { plan }).await;
            });
        }
        follow_progress();
        let blobs = form.blobs();
        let owner = user.get_value();
        leptos::task::spawn_local(async move {
            // The plans are kept in storage by `keeper`, whatever becomes of this page.
            let on_progress: Box<dyn Fn(ProgressReport)> = Box::new(move |report| {
                state.try_update(|s| s.progress(report, now()));
            });
            let with = bridge::With {
                files: &blobs,
                on_progress: Some(on_progress),
                on_chunk: None,
                plans: Some(crate::pages::resume::keeper(owner)),
                destination: None,
            };
            let started = match begin {
                Begin::Resume(plan) => bridge::start(Resume { plan }, with),
                Begin::Fresh { .. } => bridge::start(request, with),
            };
            let result = match started {
                Ok(started) => {
                    running.set_value(Some(started.handle()));
                    started.outcome().await
                }
                Err(error) => Err(error),
            };
            running.set_value(None);
            // Settled even if the page is gone by now: a send that ended for good must
            // not be offered for resuming at the next visit.
            let mut settled = state.try_get_untracked().unwrap_or_default();
            settled.finish(result);
            if settled.ended() {
                crate::pages::resume::forget();
            }
            let target = match &settled {
                SendState::Sent(_) => {
                    form.clear();
                    "sent"
                }
                SendState::Cancelled => "compose-status",
                _ => "send-failure",
            };
            if state.try_set(settled).is_none() {
                request_animation_frame(move || focus(target));
            }
        });
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        start(false);
    };
    let cancel = move |_| {
        if state.try_update(SendState::cancel) == Some(true)
            && let Some(handle) = running.get_value()
        {
            handle.cancel();
        }
    };
    let edited = move || state.update(SendState::edited);

    let check_list = move || {
        let found = form.checks.get();
        (!found.is_empty()).then(|| {
            let items = found
                .into_iter()
                .map(|c| view! { <li>{move || check_text(&c)}</li> })
                .collect_view();
            view! {
                <div class="alert error" role="alert" data-testid="checks">
                    <p>{move || t!("compose.check.title")}</p>
                    <ul>{items}</ul>
                </div>
            }
        })
    };
    let replying = reply.is_some();

    view! {
        <section class="card compose">
            <h1>{move || if replying { t!("compose.title.reply") } else { t!("compose.title") }}</h1>
            <p class="lead">{move || t!("compose.lead")}</p>
            {reply.map(Reply::intro)}
            <crate::pages::resume::ResumePanel />
            {outcome::success(state)}
            <form on:submit=submit novalidate>
                {files::field(form, sending, edited)}
                {recipient::field(form, directory, sending, reply_blocked)}
                {details::field(form, sending)}

                {check_list}
                {outcome::failure(state, move || start(true))}

                <div class="actions">
                    <button type="submit" class="primary" data-testid="send" disabled=sending>
                        {move || t!("compose.send")}
                    </button>
                    <Show when=move || sending.get()>
                        <button type="button" id="cancel" data-testid="cancel" class="danger"
                            disabled=move || state.with(|s| s.running().is_some_and(|r| r.cancelling))
                            on:click=cancel>
                            {move || t!("compose.cancel")}
                        </button>
                    </Show>
                </div>

                {outcome::status_line(state, offline)}
                {outcome::progress(state)}
            </form>
        </section>
    }
}

/// Once drawn, moves the focus to the send's status line (screen readers announce it) and
/// scrolls the progress bars into view: after « Chiffrer et envoyer » at the foot of a
/// long form, the person sees the send going without looking for it.
fn follow_progress() {
    crate::pages::dialog::focus_later("compose-status");
    request_animation_frame(|| {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if let Ok(Some(progress)) = document.query_selector("[data-testid=send-progress]") {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Nearest);
            progress.scroll_into_view_with_scroll_into_view_options(&options);
        }
    });
}
