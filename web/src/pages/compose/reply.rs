//! Replying: the original exchange is loaded once (a [`LocalResource`]); once it and the
//! directory are there, the form is prefilled — the organisation at the other end if its
//! key verifies, « Re : » and the subject, the case reference — without overwriting what
//! the person already typed.

use leptos::prelude::*;
use pli_api::{ExchangeId, OrgId};

use super::form::Form;
use crate::bridge;
use crate::i18n::{fill, t};
use crate::model::draft::usable;
use crate::protocol::{Opened, Recipient};

/// The original of a reply, as far as it could be read: the organisation at the other
/// end (the relay's summary, then the verified envelope if the exchange opens), and the
/// exchange itself if it opens here.
#[derive(Clone)]
pub(super) struct Original {
    counterpart: Option<OrgId>,
    opened: Option<Opened>,
}

/// The exchange answered.
#[derive(Clone, Copy)]
pub(super) struct Reply {
    /// Its id, if the address named a valid one.
    pub(super) id: Option<ExchangeId>,
    /// `None` when the address named no valid exchange: nothing to load.
    original: Option<LocalResource<Original>>,
}

use super::recipient::Directory;

impl Reply {
    /// Starts loading the original `reply` names, and prefills `form` once it and the
    /// `directory` are loaded.
    pub(super) fn load(
        reply: &str,
        my_org: Option<OrgId>,
        form: Form,
        directory: Directory,
    ) -> Self {
        let id = reply.parse::<ExchangeId>().ok();
        let original = id.map(|id| LocalResource::new(move || load_original(id, my_org)));
        let this = Self { id, original };
        let prefilled = StoredValue::new(false);
        Effect::new(move || {
            let (Some(original), Some(Ok(list))) = (this.loaded(), directory.get()) else {
                return;
            };
            if prefilled.get_value() {
                return;
            }
            prefilled.set_value(true);
            prefill(form, &original, &list);
        });
        this
    }

    fn loaded(self) -> Option<Original> {
        self.original.and_then(|o| o.get())
    }

    /// The counterpart is known but cannot be chosen (its key does not verify here).
    pub(super) fn blocked(self, directory: Directory) -> bool {
        let Some(org) = self.loaded().and_then(|o| o.counterpart) else {
            return false;
        };
        directory
            .get()
            .and_then(Result::ok)
            .is_some_and(|list| !list.iter().any(|r| r.org_id == org && usable(r)))
    }

    /// The line above the form: loading, the subject answered, or that it is unknown.
    pub(super) fn intro(self) -> impl IntoView {
        move || {
            let text = match (self.original, self.loaded()) {
                (Some(_), None) => t!("compose.reply.loading"),
                (
                    _,
                    Some(Original {
                        opened: Some(o), ..
                    }),
                ) => fill(&t!("compose.reply.to"), &[("subject", &o.subject)]),
                _ => t!("compose.reply.unknown"),
            };
            view! { <p class="alert info reply-to" data-testid="reply-to">{text}</p> }
        }
    }
}

async fn load_original(id: ExchangeId, my_org: Option<OrgId>) -> Original {
    let other = |sender: OrgId, recipient: OrgId| {
        if Some(sender) == my_org {
            recipient
        } else {
            sender
        }
    };
    let mut counterpart = bridge::call(crate::protocol::ExchangeOf { id })
        .await
        .ok()
        .map(|d| other(d.summary.sender_org_id, d.summary.recipient_org_id));
    let opened = bridge::call(crate::protocol::Open { exchange_id: id })
        .await
        .ok();
    if let Some(o) = &opened {
        counterpart = Some(other(o.sender_org_id, o.summary.recipient_org_id));
    }
    Original {
        counterpart,
        opened,
    }
}

/// Fills what the person has not typed yet.
fn prefill(form: Form, original: &Original, directory: &[Recipient]) {
    if let Some(org) = original.counterpart
        && directory.iter().any(|r| r.org_id == org && usable(r))
        && form.recipient.get_untracked().is_none()
    {
        form.recipient.set(Some(org));
    }
    if let Some(o) = &original.opened {
        if form.subject.with_untracked(String::is_empty) {
            form.subject.set(reply_subject(&o.subject));
        }
        if form.case_reference.with_untracked(String::is_empty) {
            form.case_reference.set(o.case_reference.clone());
        }
    }
}

/// "Re : subject", unless it already starts so.
fn reply_subject(subject: &str) -> String {
    let subject = subject.trim();
    let lower = subject.to_lowercase();
    if lower.starts_with("re:") || lower.starts_with("re :") {
        subject.to_owned()
    } else {
        format!("{}{subject}", t!("compose.reply.prefix"))
    }
}
