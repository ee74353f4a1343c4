//! Organisation administration (being written).

use leptos::prelude::*;

use crate::i18n::t;

#[component]
pub fn Admin() -> impl IntoView {
    view! { <section class="card"><h1>{move || t("nav.admin")}</h1></section> }
}
