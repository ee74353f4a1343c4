//! The inbox: exchanges delivered to my organisation, each with its sender's preview,
//! unread and urgent ones marked, with filters, announced live when a new one arrives.

use leptos::prelude::*;

use super::{
    Listing, ListingFooter, LiveEvent, LocalFilters, Mailbox, ShownCount, live_events, org_name,
    org_names, party, preview_state, shown_rows, size_cell, subject_cell, table, when,
};
use crate::i18n::{key, t};
use crate::model::mailbox::received_at;
use crate::protocol::ListedExchange;

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
    let sender_org = move |row: &ListedExchange| {
        let org = row.summary.sender_org_id;
        names.with_untracked(|n| org_name(n, &org))
    };
    let shown = shown_rows(listing, sender_org);

    let row = move |row: ListedExchange| {
        let exchange = &row.summary;
        let id = exchange.exchange_id.to_string();
        let unread = exchange.first_read_at.is_none();
        let sender = exchange.sender_org_id;
        let urgent = exchange.urgent;
        let file_count = exchange.file_count;
        view! {
            <tr class:unread=unread class:urgent=urgent data-testid="exchange-row"
                data-exchange-id=id data-unread=unread.to_string() data-urgent=urgent.to_string()
                data-preview=preview_state(&row)>
                {party(move || names.with(|n| org_name(n, &sender)), &row, true)}
                {subject_cell(&row, unread)}
                <td>{when(received_at(&row))}</td>
                <td class="number">{file_count}</td>
                {size_cell(&row)}
            </tr>
        }
    };

    let table = move || {
        let rows = shown.get();
        if rows.is_empty() {
            return listing.loaded.get().then(|| {
                let filtered = listing.urgent_only.get()
                    || listing.unread_only.get()
                    || listing.view.with(|v| v.filters_locally());
                let key = if filtered {
                    key!("inbox.empty.filtered")
                } else {
                    key!("inbox.empty")
                };
                view! { <p class="empty" data-testid="empty">{move || t(key)}</p> }.into_any()
            });
        }
        let rows = rows.into_iter().map(row).collect_view();
        let headings = [key!("inbox.col.sender"), key!("inbox.col.received")];
        Some(table("inbox-table", key!("inbox.caption"), headings, None, rows).into_any())
    };

    view! {
        <section class="card mailbox-page" aria-labelledby="inbox-title"
            data-loading=move || listing.loading.get().to_string()>
            <h1 id="inbox-title">{move || t!("inbox.title")}</h1>
            <p class="lead">{move || t!("inbox.lead")}</p>
            <fieldset class="filters">
                <legend>{move || t!("mailbox.filters")}</legend>
                <LocalFilters listing=listing />
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
            <ShownCount listing=listing shown=shown />
            <p class="visually-hidden" role="status" aria-live="polite">{move || announce.get()}</p>
            {table}
            <ListingFooter listing=listing />
        </section>
    }
}
