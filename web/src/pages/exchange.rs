//! One exchange (being written).

use leptos::prelude::*;

use crate::i18n::t;

#[component]
pub fn ExchangeView(id: String) -> impl IntoView {
    let _ = id;
    view! { <section class="card"><h1>{move || t("nav.inbox")}</h1></section> }
}
