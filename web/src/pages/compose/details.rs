//! The details of a send: category, urgency, subject, case reference and message. They
//! travel in the encrypted manifest; the relay sees only the urgency.

use leptos::prelude::*;
use pli_api::Category;

use super::form::Form;
use crate::i18n::t;

/// The details fieldset, locked while `sending`.
pub(super) fn field(form: Form, sending: Signal<bool>) -> impl IntoView {
    let categories = Category::ALL
        .iter()
        .map(|&category| {
            view! {
                <option value=category.as_str() prop:selected=move || form.category.get() == Some(category)>
                    {move || t(crate::i18n::compose_category(category))}
                </option>
            }
        })
        .collect_view();
    view! {
        <fieldset class="group" disabled=sending>
            <legend>{move || t!("compose.details.legend")}</legend>
            <div class="field">
                <label for="category">
                    {move || t!("compose.category.label")}
                    <span class="required">" (" {move || t!("compose.required")} ")"</span>
                </label>
                <select id="category" data-testid="category" class="short" required aria-required="true"
                    aria-invalid=form.invalid("category")
                    prop:value=move || form.category.get().map(Category::as_str).unwrap_or_default()
                    on:change=move |ev| {
                        form.category.set(event_target_value(&ev).parse().ok());
                        form.fixed("category");
                    }>
                    <option value="" prop:selected=move || form.category.get().is_none()>
                        {move || t!("compose.category.choose")}
                    </option>
                    {categories}
                </select>
            </div>
            <div class="field inline urgent">
                <input id="urgent" data-testid="urgent" type="checkbox" aria-describedby="urgent-help"
                    prop:checked=move || form.urgent.get()
                    on:change=move |ev| form.urgent.set(event_target_checked(&ev)) />
                <label for="urgent">{move || t!("compose.urgent.label")}</label>
            </div>
            <p class="hint field-help" id="urgent-help">{move || t!("compose.urgent.help")}</p>
            <div class="field">
                <label for="subject">
                    {move || t!("compose.subject.label")}
                    <span class="required">" (" {move || t!("compose.required")} ")"</span>
                </label>
                <input id="subject" data-testid="subject" required aria-required="true"
                    autocomplete="off" aria-invalid=form.invalid("subject")
                    prop:value=move || form.subject.get()
                    on:input=move |ev| {
                        form.subject.set(event_target_value(&ev));
                        form.fixed("subject");
                    } />
            </div>
            <div class="field">
                <label for="case-reference">{move || t!("compose.case.label")}</label>
                <input id="case-reference" data-testid="case-reference" class="short" autocomplete="off"
                    aria-describedby="case-help" aria-invalid=form.invalid("case-reference")
                    prop:value=move || form.case_reference.get()
                    on:input=move |ev| {
                        form.case_reference.set(event_target_value(&ev));
                        form.fixed("case-reference");
                    } />
                <p class="hint" id="case-help">{move || t!("compose.case.help")}</p>
            </div>
            <div class="field">
                <label for="message">{move || t!("compose.message.label")}</label>
                <textarea id="message" data-testid="message" aria-describedby="message-help"
                    aria-invalid=form.invalid("message")
                    prop:value=move || form.message.get()
                    on:input=move |ev| {
                        form.message.set(event_target_value(&ev));
                        form.fixed("message");
                    }></textarea>
                <p class="hint" id="message-help">{move || t!("compose.message.help")}</p>
            </div>
        </fieldset>
    }
}
