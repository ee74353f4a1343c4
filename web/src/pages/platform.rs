//! Platform administration (being written).

use leptos::prelude::*;

use crate::i18n::t;

#[component]
pub fn Platform() -> impl IntoView {
    view! { <section class="card"><h1>{move || t("nav.platform")}</h1></section> }
}
