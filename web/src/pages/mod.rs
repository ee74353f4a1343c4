//! The pages, and the small components they share.

pub mod account;
pub mod admin;
pub mod auth;
pub mod compose;
pub mod dialog;
pub mod exchange;
pub mod inbox;
pub mod kit;
pub mod manage;
pub mod platform;
pub mod resume;

use leptos::prelude::*;

use crate::i18n::{self, Key, t};
use crate::protocol::{ProgressReport, WorkerError};

/// An error message, announced to screen readers.
#[component]
pub fn ErrorBox(#[prop(into)] error: Signal<Option<WorkerError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let text = i18n::error(e.code);
            view! { <div class="alert error" role="alert"><p>{text}</p></div> }
        })
    }
}

/// A progress bar with its label and percentage.
#[component]
pub fn ProgressBar(label: Key, report: ReadSignal<Option<ProgressReport>>) -> impl IntoView {
    move || {
        report.get().map(|r| {
            let percent = (r.done.min(r.total) * 100)
                .checked_div(r.total)
                .unwrap_or(100);
            view! {
                <div class="progress">
                    <label>
                        <span>{move || t(label)} " — " {percent} " %"</span>
                        <progress max="100" value=percent.to_string()>{percent} " %"</progress>
                    </label>
                </div>
            }
        })
    }
}
