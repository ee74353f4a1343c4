//! The inbox and the outbox (being written: a list of exchanges).

use leptos::prelude::*;

use crate::i18n::t;

#[component]
pub fn Inbox() -> impl IntoView {
    view! { <section class="card"><h1>{move || t("nav.inbox")}</h1></section> }
}

#[component]
pub fn Outbox() -> impl IntoView {
    view! { <section class="card"><h1>{move || t("nav.outbox")}</h1></section> }
}
