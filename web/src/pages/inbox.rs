//! The inbox and the outbox: the exchanges of my organisation, urgent first, kept live by
//! the relay's server-sent events (`/api/events`), a page at a time.
//!
//! The relay knows no subject and no file name, so a row shows what the envelope says:
//! the other organisation (its name as certified by the platform root, checked here),
//! the date, the number of files, their size, and for the outbox the delivery state and
//! who read it (receipts verified by the worker, row by row, in the background).
//!
//! Also shared with the exchange page: [`org_names`] and [`live_events`].

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use leptos::prelude::*;
use pli_api::endpoints::{Endpoint, Events};
use pli_api::messages::{ExchangePage, ExchangeQuery, ExchangeSummary};
use pli_api::{ExchangeId, OrgId};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;

use super::ErrorBox;
use crate::app::{Ctx, Route};
use crate::i18n::{self, fill, key, t};
use crate::protocol::{Opened, ReadBy, WorkerError};

/// Rows asked for at a time.
const PAGE: usize = 50;
/// The most rows one request may ask for (the relay's limit).
const MAX_ROWS: usize = 200;

// ----- organisation names ------------------------------------------------------------------

/// Organisation names by id.
pub(crate) type OrgNames = HashMap<OrgId, String>;

thread_local! {
    /// The names last read, shown at once while they are read again.
    static ORG_NAMES: RefCell<OrgNames> = RefCell::new(HashMap::new());
}

/// The names of the organisations in the directory, as the platform root certified them
/// (the worker verifies: an entry that does not is left out, and shows as unknown).
async fn certified_org_names() -> Option<OrgNames> {
    let names = crate::bridge::call(crate::protocol::OrgNames).await.ok()?;
    Some(names.into_iter().collect())
}

/// Certified organisation names, as a signal filled in the background.
pub(crate) fn org_names() -> RwSignal<OrgNames> {
    let names = RwSignal::new(ORG_NAMES.with(|cache| cache.borrow().clone()));
    leptos::task::spawn_local(async move {
        if let Some(fresh) = certified_org_names().await {
            ORG_NAMES.with(|cache| *cache.borrow_mut() = fresh.clone());
            names.set(fresh);
        }
    });
    names
}

/// The name of organisation `id`, or "unknown organisation".
pub(crate) fn org_name(names: &OrgNames, id: &OrgId) -> String {
    names
        .get(id)
        .cloned()
        .unwrap_or_else(|| t!("mailbox.unknown_org"))
}

// ----- live events -------------------------------------------------------------------------

struct Live {
    source: web_sys::EventSource,
    _listeners: Vec<Closure<dyn FnMut(web_sys::MessageEvent)>>,
    _on_open: Closure<dyn FnMut()>,
}

thread_local! {
    static LIVE: RefCell<HashMap<u32, Live>> = RefCell::new(HashMap::new());
    static NEXT_LIVE: Cell<u32> = const { Cell::new(1) };
}

/// What a live event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LiveEvent {
    /// An event of one of the kinds asked for, about this exchange.
    Event(String, Option<ExchangeId>),
    /// The connection came back after a loss: events may have been missed.
    Reconnected,
}

/// Listens to the relay's events of `kinds` for as long as the calling component lives.
/// After a log-in over the page (the session had ended, and the relay closed its
/// stream), it listens again and reports [`LiveEvent::Reconnected`].
pub(crate) fn live_events(kinds: &[&str], on_event: impl Fn(LiveEvent) + 'static) {
    let on_event: Rc<dyn Fn(LiveEvent)> = Rc::new(on_event);
    let kinds: Vec<String> = kinds.iter().map(|kind| (*kind).to_owned()).collect();
    let id = NEXT_LIVE.with(|next| {
        let id = next.get();
        next.set(id.wrapping_add(1));
        id
    });
    connect(id, &kinds, on_event.clone(), false);
    if let Some(ctx) = use_context::<Ctx>() {
        Effect::new(move |previous: Option<u32>| {
            let restored = ctx.restored.get();
            if previous.is_some_and(|p| p != restored) {
                connect(id, &kinds, on_event.clone(), true);
            }
            restored
        });
    }
    on_cleanup(move || {
        if let Some(live) = LIVE.with(|live| live.borrow_mut().remove(&id)) {
            live.source.close();
        }
    });
}

/// Opens the event stream of listener `id` (closing the one it had), reporting
/// [`LiveEvent::Reconnected`] at its first opening when `again`.
fn connect(id: u32, kinds: &[String], on_event: Rc<dyn Fn(LiveEvent)>, again: bool) {
    let Ok(source) = web_sys::EventSource::new(&Endpoint::path(&Events {})) else {
        return;
    };
    let listeners = kinds
        .iter()
        .map(|kind| {
            let on_event = on_event.clone();
            let name = kind.clone();
            let listener = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |event: web_sys::MessageEvent| {
                    let exchange = event
                        .data()
                        .as_string()
                        .and_then(|data| serde_json::from_str::<serde_json::Value>(&data).ok())
                        .and_then(|data| {
                            data.get("exchange_id")
                                .and_then(serde_json::Value::as_str)
                                .and_then(|id| id.parse().ok())
                        });
                    on_event(LiveEvent::Event(name.clone(), exchange));
                },
            );
            let _ =
                source.add_event_listener_with_callback(kind, listener.as_ref().unchecked_ref());
            listener
        })
        .collect();
    let opened_before = Cell::new(again);
    let on_open = Closure::<dyn FnMut()>::new(move || {
        if opened_before.replace(true) {
            on_event(LiveEvent::Reconnected);
        }
    });
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    let previous = LIVE.with(|live| {
        live.borrow_mut().insert(
            id,
            Live {
                source,
                _listeners: listeners,
                _on_open: on_open,
            },
        )
    });
    if let Some(previous) = previous {
        previous.source.close();
    }
}

// ----- a listing ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mailbox {
    Inbox,
    Outbox,
}

/// One mailbox's rows, loaded a page at a time.
#[derive(Clone, Copy)]
struct Listing {
    which: Mailbox,
    rows: RwSignal<Vec<ExchangeSummary>>,
    next_cursor: RwSignal<Option<String>>,
    loading: RwSignal<bool>,
    loaded: RwSignal<bool>,
    error: RwSignal<Option<WorkerError>>,
    urgent_only: RwSignal<bool>,
    unread_only: RwSignal<bool>,
    /// Answers to older requests are dropped.
    generation: StoredValue<u32>,
}

impl Listing {
    /// A listing; after a log-in over the page (the session had ended), it loads again
    /// what failed.
    fn new(which: Mailbox) -> Self {
        let listing = Self::empty(which);
        if let Some(ctx) = use_context::<Ctx>() {
            Effect::new(move |previous: Option<u32>| {
                let restored = ctx.restored.get();
                if previous.is_some_and(|p| p != restored)
                    && listing.error.with_untracked(Option::is_some)
                {
                    listing.refresh();
                }
                restored
            });
        }
        listing
    }

    fn empty(which: Mailbox) -> Self {
        Self {
            which,
            rows: RwSignal::new(Vec::new()),
            next_cursor: RwSignal::new(None),
            loading: RwSignal::new(false),
            loaded: RwSignal::new(false),
            error: RwSignal::new(None),
            urgent_only: RwSignal::new(false),
            unread_only: RwSignal::new(false),
            generation: StoredValue::new(0),
        }
    }

    /// The query for a page of `limit` rows from `cursor`.
    fn query(&self, cursor: Option<String>, limit: usize) -> ExchangeQuery {
        ExchangeQuery {
            cursor,
            limit: Some(u32::try_from(limit).unwrap_or(u32::MAX)),
            urgent: self.urgent_only.get_untracked().then_some(true),
            unread: self.unread_only.get_untracked().then_some(true),
            counterpart: None,
        }
    }

    /// Loads from the top again, as many rows as are shown.
    fn refresh(self) {
        let shown = self.rows.with_untracked(Vec::len);
        self.fetch(None, shown.clamp(PAGE, MAX_ROWS), true);
    }

    /// Loads the next page ("Plus anciens").
    fn more(self) {
        if let Some(cursor) = self.next_cursor.get_untracked() {
            self.fetch(Some(cursor), PAGE, false);
        }
    }

    fn fetch(self, cursor: Option<String>, limit: usize, replace: bool) {
        let generation = self.generation.get_value().wrapping_add(1);
        self.generation.set_value(generation);
        let which = self.which;
        let query = self.query(cursor, limit);
        self.loading.set(true);
        leptos::task::spawn_local(async move {
            let result: Result<ExchangePage, WorkerError> = match which {
                Mailbox::Inbox => crate::bridge::call(crate::protocol::Inbox { query }).await,
                Mailbox::Outbox => crate::bridge::call(crate::protocol::Outbox { query }).await,
            };
            // A newer request is on its way, or the page is gone.
            if self.generation.try_get_value() != Some(generation) {
                return;
            }
            self.loading.set(false);
            match result {
                Ok(page) => {
                    if replace {
                        self.rows.set(page.exchanges);
                    } else {
                        self.rows.update(|rows| rows.extend(page.exchanges));
                    }
                    self.next_cursor.set(page.next_cursor);
                    self.error.set(None);
                    self.loaded.set(true);
                }
                Err(error) => self.error.set(Some(error)),
            }
        });
    }
}

/// The "Plus anciens" button, the loading state and errors below a listing.
#[component]
fn ListingFooter(listing: Listing) -> impl IntoView {
    view! {
        <ErrorBox error=listing.error.read_only() />
        {move || {
            (listing.loading.get() && !listing.loaded.get())
                .then(|| view! { <p class="loading" role="status">{move || t!("state.loading")}</p> })
        }}
        {move || {
            listing.next_cursor.get().is_some().then(|| {
                view! {
                    <div class="actions">
                        <button type="button" data-testid="more" disabled=move || listing.loading.get()
                            on:click=move |_| listing.more()>
                            {move || t!("mailbox.more")}
                        </button>
                    </div>
                }
            })
        }}
    }
}

/// The date and time, reactive to the language.
fn when(ms: u64) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    move || i18n::datetime(ms)
}

/// The size, reactive to the language.
fn how_big(bytes: u64) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    move || i18n::size(bytes)
}

// ----- the inbox ---------------------------------------------------------------------------

/// Exchanges delivered to my organisation.
#[component]
pub fn Inbox() -> impl IntoView {
    let listing = Listing::new(Mailbox::Inbox);
    let names = org_names();
    let (announce, set_announce) = signal(String::new());
    Effect::new(move |_| {
        listing.urgent_only.track();
        listing.unread_only.track();
        listing.refresh();
    });
    live_events(&["exchange.delivered", "receipt.added"], move |event| {
        if matches!(&event, LiveEvent::Event(kind, _) if kind == "exchange.delivered") {
            set_announce.set(t!("inbox.live.new"));
        }
        listing.refresh();
    });

    let row = move |exchange: ExchangeSummary| {
        let id = exchange.exchange_id.to_string();
        let href = Route::Exchange(id.clone()).href();
        let unread = exchange.first_read_at.is_none();
        let sender = exchange.sender_org_id;
        let received = exchange.delivered_at.unwrap_or(exchange.created_at);
        view! {
            <tr class:unread=unread class:urgent=exchange.urgent data-testid="exchange-row"
                data-exchange-id=id data-unread=unread.to_string() data-urgent=exchange.urgent.to_string()>
                <th scope="row">
                    <a href=href>{move || names.with(|n| org_name(n, &sender))}</a>
                    {unread.then(|| view! { <span class="visually-hidden">", " {move || t!("mailbox.unread")}</span> })}
                    {exchange.urgent.then(|| view! {
                        " " <span class="badge urgent" data-testid="urgent-badge">{move || t!("mailbox.urgent")}</span>
                    })}
                    {exchange.in_reply_to.is_some().then(|| view! {
                        " " <span class="badge neutral">{move || t!("mailbox.reply")}</span>
                    })}
                </th>
                <td>{when(received)}</td>
                <td class="number">{exchange.file_count}</td>
                <td class="number">{how_big(exchange.total_size)}</td>
            </tr>
        }
    };

    let table = move || {
        let rows = listing.rows.get();
        if rows.is_empty() {
            return listing.loaded.get().then(|| {
                let filtered = listing.urgent_only.get() || listing.unread_only.get();
                let key = if filtered {
                    key!("inbox.empty.filtered")
                } else {
                    key!("inbox.empty")
                };
                view! { <p class="empty" data-testid="empty">{move || t(key)}</p> }.into_any()
            });
        }
        Some(
            view! {
                <div class="table-wrap">
                    <table class="mailbox" data-testid="inbox-table">
                        <caption class="visually-hidden">{move || t!("inbox.caption")}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{move || t!("inbox.col.sender")}</th>
                                <th scope="col">{move || t!("inbox.col.received")}</th>
                                <th scope="col" class="number">{move || t!("mailbox.col.files")}</th>
                                <th scope="col" class="number">{move || t!("mailbox.col.size")}</th>
                            </tr>
                        </thead>
                        <tbody>{rows.into_iter().map(row).collect_view()}</tbody>
                    </table>
                </div>
            }
            .into_any(),
        )
    };

    view! {
        <section class="card mailbox-page" aria-labelledby="inbox-title">
            <h1 id="inbox-title">{move || t!("inbox.title")}</h1>
            <p class="lead">{move || t!("inbox.lead")}</p>
            <fieldset class="filters">
                <legend>{move || t!("mailbox.filters")}</legend>
                <div class="field inline">
                    <input type="checkbox" id="filter-urgent" data-testid="filter-urgent"
                        prop:checked=move || listing.urgent_only.get()
                        on:change=move |ev| listing.urgent_only.set(event_target_checked(&ev)) />
                    <label for="filter-urgent">{move || t!("inbox.filter.urgent")}</label>
                </div>
                <div class="field inline">
                    <input type="checkbox" id="filter-unread" data-testid="filter-unread"
                        prop:checked=move || listing.unread_only.get()
                        on:change=move |ev| listing.unread_only.set(event_target_checked(&ev)) />
                    <label for="filter-unread">{move || t!("inbox.filter.unread")}</label>
                </div>
            </fieldset>
            <p class="visually-hidden" role="status" aria-live="polite">{move || announce.get()}</p>
            {table}
            <ListingFooter listing=listing />
        </section>
    }
}

// ----- the outbox --------------------------------------------------------------------------

/// Who read an outbox exchange, as the worker verified it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Readers {
    Verified(Vec<ReadBy>),
    /// The exchange or its receipts did not verify: only the relay's word remains.
    Unverified,
}

/// Verifies, one exchange at a time, the receipts of the read exchanges not verified yet
/// (unless a task is already at it: `running`).
fn verify_readers(
    listing: Listing,
    readers: RwSignal<HashMap<ExchangeId, Readers>>,
    running: StoredValue<bool>,
) {
    if running.try_get_value() != Some(false) {
        return;
    }
    running.set_value(true);
    leptos::task::spawn_local(async move {
        verify_pending_readers(listing, readers).await;
        running.set_value(false);
    });
}

async fn verify_pending_readers(listing: Listing, readers: RwSignal<HashMap<ExchangeId, Readers>>) {
    {
        loop {
            let Some(pending) = listing.rows.try_with_untracked(|rows| {
                readers.with_untracked(|known| {
                    rows.iter()
                        .find(|e| e.first_read_at.is_some() && !known.contains_key(&e.exchange_id))
                        .map(|e| e.exchange_id)
                })
            }) else {
                return; // the page is gone
            };
            let Some(id) = pending else {
                return;
            };
            let opened: Result<Opened, WorkerError> =
                crate::bridge::call(crate::protocol::Open { exchange_id: id }).await;
            let found = match opened {
                Ok(opened) => Readers::Verified(opened.receipts),
                Err(_) => Readers::Unverified,
            };
            if readers
                .try_update(|known| known.insert(id, found))
                .is_none()
            {
                return;
            }
        }
    }
}

/// Exchanges my organisation sent.
#[component]
pub fn Outbox() -> impl IntoView {
    let listing = Listing::new(Mailbox::Outbox);
    let names = org_names();
    let readers = RwSignal::new(HashMap::<ExchangeId, Readers>::new());
    let verifying = StoredValue::new(false);
    listing.refresh();
    // Once rows arrive, verify who read them.
    Effect::new(move |_| {
        listing.rows.track();
        verify_readers(listing, readers, verifying);
    });
    live_events(&["exchange.sent", "receipt.added"], move |event| {
        if let LiveEvent::Event(kind, Some(id)) = &event
            && kind == "receipt.added"
        {
            readers.update(|known| {
                known.remove(id);
            });
        }
        listing.refresh();
    });

    let state = move |exchange: &ExchangeSummary| {
        let id = exchange.exchange_id;
        let first_read = exchange.first_read_at;
        match (exchange.state.as_str(), first_read) {
            ("uploading", _) => view! {
                <span class="badge warning" data-testid="state" data-state="uploading">{move || t!("outbox.state.uploading")}</span>
            }
            .into_any(),
            ("delivered", None) => view! {
                <span class="badge neutral" data-testid="state" data-state="delivered">{move || t!("outbox.state.delivered")}</span>
            }
            .into_any(),
            ("delivered", Some(at)) => view! {
                <span class="badge verified" data-testid="state" data-state="read">{move || t!("outbox.state.read")}</span>
                {move || readers.with(|known| match known.get(&id) {
                    Some(Readers::Verified(list)) if !list.is_empty() => view! {
                        <ul class="readers">
                            {list.iter().map(|r| {
                                let name = r.name.clone();
                                let read_at = r.read_at;
                                view! {
                                    <li data-testid="reader">
                                        {move || fill(&t!("outbox.read_by"), &[("name", &name), ("date", &i18n::datetime(read_at))])}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                    .into_any(),
                    Some(Readers::Unverified) => view! {
                        <p class="hint">
                            {move || fill(&t!("outbox.read_on"), &[("date", &i18n::datetime(at))])} " "
                            <span class="badge warning">{move || t!("outbox.receipt.unverified")}</span>
                        </p>
                    }
                    .into_any(),
                    _ => view! {
                        <p class="hint">{move || fill(&t!("outbox.read_on"), &[("date", &i18n::datetime(at))])}</p>
                    }
                    .into_any(),
                })}
            }
            .into_any(),
            ("expired", _) => view! {
                <span class="badge neutral" data-testid="state" data-state="expired">{move || t!("outbox.state.expired")}</span>
            }
            .into_any(),
            (other, _) => {
                let (label, attribute) = (other.to_owned(), other.to_owned());
                view! { <span class="badge neutral" data-testid="state" data-state=attribute>{label}</span> }
                    .into_any()
            }
        }
    };

    let row = move |exchange: ExchangeSummary| {
        let id = exchange.exchange_id.to_string();
        let href = Route::Exchange(id.clone()).href();
        let recipient = exchange.recipient_org_id;
        let state_view = state(&exchange);
        view! {
            <tr class:urgent=exchange.urgent data-testid="exchange-row" data-exchange-id=id
                data-state=exchange.state.as_str()>
                <th scope="row">
                    <a href=href>{move || names.with(|n| org_name(n, &recipient))}</a>
                    {exchange.urgent.then(|| view! {
                        " " <span class="badge urgent" data-testid="urgent-badge">{move || t!("mailbox.urgent")}</span>
                    })}
                    {exchange.in_reply_to.is_some().then(|| view! {
                        " " <span class="badge neutral">{move || t!("mailbox.reply")}</span>
                    })}
                </th>
                <td>{when(exchange.created_at)}</td>
                <td class="number">{exchange.file_count}</td>
                <td class="number">{how_big(exchange.total_size)}</td>
                <td>{state_view}</td>
            </tr>
        }
    };

    let table = move || {
        let rows = listing.rows.get();
        if rows.is_empty() {
            return listing.loaded.get().then(|| {
                view! {
                    <p class="empty" data-testid="empty">{move || t!("outbox.empty")}</p>
                    <p><a href=Route::Send(None).href()>{move || t!("outbox.send")}</a></p>
                }
                .into_any()
            });
        }
        Some(
            view! {
                <div class="table-wrap">
                    <table class="mailbox" data-testid="outbox-table">
                        <caption class="visually-hidden">{move || t!("outbox.caption")}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{move || t!("outbox.col.recipient")}</th>
                                <th scope="col">{move || t!("outbox.col.sent")}</th>
                                <th scope="col" class="number">{move || t!("mailbox.col.files")}</th>
                                <th scope="col" class="number">{move || t!("mailbox.col.size")}</th>
                                <th scope="col">{move || t!("outbox.col.state")}</th>
                            </tr>
                        </thead>
                        <tbody>{rows.into_iter().map(row).collect_view()}</tbody>
                    </table>
                </div>
            }
            .into_any(),
        )
    };

    view! {
        <section class="card mailbox-page" aria-labelledby="outbox-title">
            <h1 id="outbox-title">{move || t!("outbox.title")}</h1>
            <p class="lead">{move || t!("outbox.lead")}</p>
            {table}
            <ListingFooter listing=listing />
        </section>
    }
}
