//! The inbox: exchanges delivered to my organisation, unread and urgent ones marked, with
//! filters, announced live when a new one arrives.

use leptos::prelude::*;
use pli_api::messages::ExchangeSummary;

use super::{
    Listing, ListingFooter, LiveEvent, Mailbox, badges, how_big, live_events, org_name, org_names,
    table, when,
};
use crate::app::Route;
use crate::i18n::{key, t};

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
                    {badges(&exchange)}
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
        let rows = rows.into_iter().map(row).collect_view();
        let headings = [key!("inbox.col.sender"), key!("inbox.col.received")];
        Some(table("inbox-table", key!("inbox.caption"), headings, None, rows).into_any())
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
