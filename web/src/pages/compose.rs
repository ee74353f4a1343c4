//! Sending an exchange (being written).

use leptos::prelude::*;

use crate::i18n::t;

#[component]
pub fn Compose(reply: Option<String>) -> impl IntoView {
    let _ = reply;
    view! { <section class="card"><h1>{move || t("nav.send")}</h1></section> }
}
