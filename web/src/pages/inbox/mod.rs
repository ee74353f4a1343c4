//! The inbox and the outbox: the exchanges of my organisation, urgent first, kept live by
//! the relay's server-sent events (`/api/events`), a page at a time.
//!
//! Each row shows what its sender sealed for lists inside the signed envelope — subject,
//! category, case reference, real size — verified and decrypted by the worker (reading
//! the list signs no receipt), with the sender's certified name and organisation; a row
//! the worker could not verify says so and shows nothing the relay could have made up.
//! Searching, filtering by category and ordering happen here, on the decrypted rows
//! ([`crate::model::mailbox`]); while such a filter is set, every page is loaded so that
//! the answer covers the whole mailbox.
//!
//! This module holds what both lists share (a listing loaded a page at a time, its
//! filters, its footer, the subject and size cells); the pages are `received.rs`
//! ([`Inbox`]) and `sent.rs` ([`Outbox`]). Also shared with the exchange page: the
//! certified organisation names ([`org_names`], in `names.rs`) and the relay's live
//! events ([`live_events`], in `live.rs`).

use leptos::prelude::*;
use pli_api::Category;
use pli_api::messages::{ExchangeQuery, ExchangeSummary};

use super::ErrorBox;
use crate::app::{Ctx, Route};
use crate::i18n::{self, Key, key, t, tn};
use crate::model::mailbox::{self, Sort, View};
use crate::protocol::{Listed, ListedExchange, ListedPage, WorkerError};

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
    rows: RwSignal<Vec<ListedExchange>>,
    next_cursor: RwSignal<Option<String>>,
    loading: RwSignal<bool>,
    loaded: RwSignal<bool>,
    error: RwSignal<Option<WorkerError>>,
    urgent_only: RwSignal<bool>,
    unread_only: RwSignal<bool>,
    /// What the person asked of the loaded rows (search, category, order).
    view: RwSignal<View>,
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
        // A search or a category covers the whole mailbox: load what is left.
        Effect::new(move |_| {
            let local = listing.view.with(View::filters_locally);
            if local
                && !listing.loading.get()
                && let Some(cursor) = listing.next_cursor.get()
            {
                listing.fetch(Some(cursor), MAX_ROWS, false);
            }
        });
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
            view: RwSignal::new(View::default()),
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
            let result: Result<ListedPage, WorkerError> = match which {
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
                        self.rows.set(page.rows);
                    } else {
                        self.rows.update(|rows| rows.extend(page.rows));
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

/// The filters only the browser can apply (words, category) and the order, with the
/// count of rows they leave.
#[component]
fn LocalFilters(listing: Listing) -> impl IntoView {
    let view = listing.view;
    let set_category = move |value: String| {
        let category = Category::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == value.as_str());
        view.update(|v| v.category = category);
    };
    view! {
        <div class="field search">
            <label for="mailbox-search">{move || t!("mailbox.search")}</label>
            <input type="search" id="mailbox-search" data-testid="mailbox-search" autocomplete="off"
                aria-describedby="mailbox-search-hint"
                prop:value=move || view.with(|v| v.words.clone())
                on:input=move |ev| { let words = event_target_value(&ev); view.update(|v| v.words = words); } />
            <p class="hint" id="mailbox-search-hint">{move || t!("mailbox.search.hint")}</p>
        </div>
        <div class="field">
            <label for="mailbox-category">{move || t!("mailbox.category")}</label>
            <select id="mailbox-category" data-testid="filter-category"
                on:change=move |ev| set_category(event_target_value(&ev))>
                <option value="" selected=move || view.with(|v| v.category.is_none())>
                    {move || t!("mailbox.category.all")}
                </option>
                {Category::ALL.iter().copied().map(|c| view! {
                    <option value=c.as_str() selected=move || view.with(|v| v.category == Some(c))>
                        {move || t(i18n::category(c))}
                    </option>
                }).collect_view()}
            </select>
        </div>
        <div class="field">
            <label for="mailbox-sort">{move || t!("mailbox.sort")}</label>
            <select id="mailbox-sort" data-testid="mailbox-sort"
                on:change=move |ev| {
                    let sort = Sort::parse(&event_target_value(&ev)).unwrap_or_default();
                    view.update(|v| v.sort = sort);
                }>
                {Sort::ALL.into_iter().map(|s| view! {
                    <option value=s.as_str() selected=move || view.with(|v| v.sort == s)>
                        {move || t(sort_key(s))}
                    </option>
                }).collect_view()}
            </select>
        </div>
    }
}

/// How an order reads in the list.
const fn sort_key(sort: Sort) -> Key {
    match sort {
        Sort::UrgentFirst => key!("mailbox.sort.urgent"),
        Sort::Newest => key!("mailbox.sort.newest"),
        Sort::Oldest => key!("mailbox.sort.oldest"),
        Sort::Subject => key!("mailbox.sort.subject"),
        Sort::CaseReference => key!("mailbox.sort.case"),
    }
}

/// The loaded rows the person's filters and order leave, in order.
fn shown_rows(
    listing: Listing,
    other_org: impl Fn(&ListedExchange) -> String + Copy + Send + Sync + 'static,
) -> Memo<Vec<ListedExchange>> {
    Memo::new(move |_| {
        listing.rows.with(|rows| {
            listing.view.with(|view| {
                mailbox::visible(rows, view, &other_org)
                    .into_iter()
                    .filter_map(|i| rows.get(i).cloned())
                    .collect()
            })
        })
    })
}

/// Says how many rows a search leaves, and that the rest of the mailbox is being loaded.
#[component]
fn ShownCount(listing: Listing, shown: Memo<Vec<ListedExchange>>) -> impl IntoView {
    let text = move || {
        if !listing.view.with(View::filters_locally) {
            return String::new();
        }
        let loaded = listing.rows.with(Vec::len);
        let found = shown.with(Vec::len);
        let mut text = i18n::fill(
            &tn!("mailbox.found", found),
            &[("total", &loaded.to_string())],
        );
        if listing.next_cursor.with(Option::is_some) {
            text.push(' ');
            text.push_str(&t!("mailbox.found.loading"));
        }
        text
    };
    view! { <p class="hint" role="status" data-testid="mailbox-count">{text}</p> }
}

/// A mailbox's table (`testid`): its hidden caption, its headings (the other
/// organisation, the subject, the date, the files and the size, then `last` if any), and
/// its rows.
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
                        <th scope="col">{move || t!("mailbox.col.subject")}</th>
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

/// The other organisation and, in the inbox once verified, the person who sent the
/// exchange.
fn party<F>(org: F, row: &ListedExchange, with_sender: bool) -> impl IntoView + use<F>
where
    F: Fn() -> String + Send + Sync + 'static,
{
    let person = match &row.preview {
        Listed::Read(p) => Some((p.sender_name.clone(), p.sender_service)),
        Listed::Sealed {
            sender_name,
            sender_service,
        } => Some((sender_name.clone(), *sender_service)),
        Listed::Pending | Listed::Unverified => None,
    }
    .filter(|_| with_sender);
    view! {
        <td>
            {org}
            {person.map(|(name, service)| view! {
                <span class="person" data-testid="sender-name">{name}</span>
                {service.then(|| view! {
                    " " <span class="badge" data-testid="sender-service">{move || t!("mailbox.sender_service")}</span>
                })}
            })}
        </td>
    }
}

/// The row's header: its subject as the link to the exchange, its badges, then its
/// category and case reference — or why there is no subject to show.
fn subject_cell(row: &ListedExchange, unread: bool) -> impl IntoView + use<> {
    let href = Route::Exchange(row.summary.exchange_id.to_string()).href();
    let (title, details) = match &row.preview {
        Listed::Read(p) => {
            let subject = p.subject.clone();
            let title = view! {
                <a href=href data-testid="subject">
                    {move || if subject.trim().is_empty() { t!("exchange.subject.none") } else { subject.clone() }}
                </a>
            }
            .into_any();
            let category = p.category;
            let case = (!p.case_reference.is_empty()).then(|| p.case_reference.clone());
            let details = view! {
                <span class="details">
                    <span data-testid="category">{move || t(i18n::category(category))}</span>
                    {case.map(|case| view! {
                        " · " <span data-testid="case-reference">
                            {move || i18n::fill(&t!("mailbox.case"), &[("case", &case)])}
                        </span>
                    })}
                </span>
            }
            .into_any();
            (title, Some(details))
        }
        other => {
            let (label, warning) = match other {
                Listed::Pending => (key!("mailbox.preview.pending"), false),
                Listed::Sealed { .. } => (key!("mailbox.preview.sealed"), false),
                _ => (key!("mailbox.preview.unverified"), true),
            };
            let title = view! {
                <a href=href class="no-preview">{move || t(label)}</a>
                {warning.then(|| view! {
                    " " <span class="badge warning" data-testid="preview-unverified">{move || t!("mailbox.unverified")}</span>
                })}
            }
            .into_any();
            (title, None)
        }
    };
    view! {
        <th scope="row">
            {title}
            {unread.then(|| view! { <span class="visually-hidden">", " {move || t!("mailbox.unread")}</span> })}
            {badges(&row.summary)}
            {details}
        </th>
    }
}

/// The files' real size when the preview says it, else the ciphertext's (about the same,
/// and marked as approximate).
fn size_cell(row: &ListedExchange) -> impl IntoView + use<> {
    let (bytes, exact) = match &row.preview {
        Listed::Read(p) => (p.size, true),
        _ => (row.summary.total_size, false),
    };
    view! {
        <td class="number" data-testid="size">
            {move || if exact { i18n::size(bytes) } else { i18n::fill(&t!("mailbox.size.about"), &[("size", &i18n::size(bytes))]) }}
        </td>
    }
}

/// The word a row's `data-preview` attribute carries (for tests and benchmarks).
fn preview_state(row: &ListedExchange) -> &'static str {
    match row.preview {
        Listed::Read(_) => "read",
        Listed::Pending => "pending",
        Listed::Sealed { .. } => "sealed",
        Listed::Unverified => "unverified",
    }
}

/// The badges after a row's subject: urgent, and a reply.
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
