//! The inbox and the outbox: the exchanges of my organisation, urgent first, kept live by
//! the relay's server-sent events (`/api/events`), a page at a time.
//!
//! The relay knows no subject and no file name, so a row shows what the envelope says:
//! the other organisation (its name as certified by the platform root, checked here),
//! the date, the number of files, their size, and for the outbox the delivery state and
//! who read it (receipts verified by the worker, row by row, in the background).
//!
//! This module holds what both lists share (a listing loaded a page at a time, its
//! footer); the pages are `received.rs` ([`Inbox`]) and `sent.rs` ([`Outbox`]). Also
//! shared with the exchange page: the certified organisation names ([`org_names`], in
//! `names.rs`) and the relay's live events ([`live_events`], in `live.rs`).

use leptos::prelude::*;
use pli_api::messages::{ExchangePage, ExchangeQuery, ExchangeSummary};

use super::ErrorBox;
use crate::app::Ctx;
use crate::i18n::{self, Key, t};
use crate::protocol::WorkerError;

mod live;
mod names;
pub mod received;
pub mod sent;

pub(crate) use live::{LiveEvent, live_events};
pub(crate) use names::{OrgNames, org_name, org_names};
pub use received::Inbox;
pub use sent::Outbox;

/// Rows asked for at a time.
const PAGE: usize = 50;
/// The most rows one request may ask for (the relay's limit).
const MAX_ROWS: usize = 200;

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

/// A mailbox's table (`testid`): its hidden caption, its headings (the other
/// organisation and the date, the files and the size, then `last` if any), and its rows.
fn table(
    testid: &'static str,
    caption: Key,
    headings: [Key; 2],
    last: Option<Key>,
    rows: impl IntoView,
) -> impl IntoView {
    let [who, date] = headings;
    view! {
        <div class="table-wrap">
            <table class="mailbox" data-testid=testid>
                <caption class="visually-hidden">{move || t(caption)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{move || t(who)}</th>
                        <th scope="col">{move || t(date)}</th>
                        <th scope="col" class="number">{move || t!("mailbox.col.files")}</th>
                        <th scope="col" class="number">{move || t!("mailbox.col.size")}</th>
                        {last.map(|key| view! { <th scope="col">{move || t(key)}</th> })}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The badges after a row's organisation: urgent, and a reply.
fn badges(exchange: &ExchangeSummary) -> impl IntoView + use<> {
    let (urgent, reply) = (exchange.urgent, exchange.in_reply_to.is_some());
    view! {
        {urgent.then(|| view! {
            " " <span class="badge urgent" data-testid="urgent-badge">{move || t!("mailbox.urgent")}</span>
        })}
        {reply.then(|| view! {
            " " <span class="badge neutral">{move || t!("mailbox.reply")}</span>
        })}
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
