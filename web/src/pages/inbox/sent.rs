//! The outbox: exchanges my organisation sent, with their delivery state and who read
//! them (receipts verified by the worker, row by row, in the background).

use std::collections::HashMap;

use leptos::prelude::*;
use pli_api::ExchangeId;
use pli_api::messages::ExchangeSummary;

use super::{
    Listing, ListingFooter, LiveEvent, LocalFilters, Mailbox, ShownCount, live_events, org_name,
    org_names, party, preview_state, shown_rows, size_cell, subject_cell, table, when,
};
use crate::app::Route;
use crate::i18n::{self, fill, key, t};
use crate::protocol::{ListedExchange, Opened, ReadBy, WorkerError};

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
                        .map(|row| &row.summary)
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
                                let service = r.service;
                                view! {
                                    <li data-testid="reader">
                                        {move || fill(&t!("outbox.read_by"), &[("name", &name), ("date", &i18n::datetime(read_at))])}
                                        {service.then(|| view! {
                                            " " <span class="badge" data-testid="reader-service">{move || t!("mailbox.sender_service")}</span>
                                        })}
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

    let recipient_org = move |row: &ListedExchange| {
        let org = row.summary.recipient_org_id;
        names.with_untracked(|n| org_name(n, &org))
    };
    let shown = shown_rows(listing, recipient_org);

    let row = move |row: ListedExchange| {
        let exchange = &row.summary;
        let id = exchange.exchange_id.to_string();
        let recipient = exchange.recipient_org_id;
        let state_view = state(exchange);
        let (urgent, created_at, file_count) =
            (exchange.urgent, exchange.created_at, exchange.file_count);
        view! {
            <tr class:urgent=urgent data-testid="exchange-row" data-exchange-id=id
                data-state=exchange.state.as_str() data-preview=preview_state(&row)>
                {party(move || names.with(|n| org_name(n, &recipient)), &row, false)}
                {subject_cell(&row, false)}
                <td>{when(created_at)}</td>
                <td class="number">{file_count}</td>
                {size_cell(&row)}
                <td>{state_view}</td>
            </tr>
        }
    };

    let table = move || {
        let rows = shown.get();
        if rows.is_empty() {
            return listing.loaded.get().then(|| {
                if listing.view.with(|v| v.filters_locally()) {
                    return view! {
                        <p class="empty" data-testid="empty">{move || t!("inbox.empty.filtered")}</p>
                    }
                    .into_any();
                }
                view! {
                    <p class="empty" data-testid="empty">{move || t!("outbox.empty")}</p>
                    <p><a href=Route::Send(None).href()>{move || t!("outbox.send")}</a></p>
                }
                .into_any()
            });
        }
        let rows = rows.into_iter().map(row).collect_view();
        let headings = [key!("outbox.col.recipient"), key!("outbox.col.sent")];
        let state = Some(key!("outbox.col.state"));
        Some(
            table(
                "outbox-table",
                key!("outbox.caption"),
                headings,
                state,
                rows,
            )
            .into_any(),
        )
    };

    view! {
        <section class="card mailbox-page" aria-labelledby="outbox-title"
            data-loading=move || listing.loading.get().to_string()>
            <h1 id="outbox-title">{move || t!("outbox.title")}</h1>
            <p class="lead">{move || t!("outbox.lead")}</p>
            <fieldset class="filters">
                <legend>{move || t!("mailbox.filters")}</legend>
                <LocalFilters listing=listing />
            </fieldset>
            <ShownCount listing=listing shown=shown />
            {table}
            <ListingFooter listing=listing />
        </section>
    }
}
