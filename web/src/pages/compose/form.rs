//! The send form's data: one signal per field, typed (a recipient is an [`OrgId`], a
//! category a [`Category`]), the problems found at the last attempt to send, and the
//! notice about files added or removed. The checks themselves are
//! [`Draft`](crate::model::draft::Draft)'s, unit tested natively.

use leptos::prelude::*;
use pli_api::{Category, ExchangeId, OrgId};

use crate::model::draft::{Check, Draft, DraftFile};
use crate::model::picked::PickedFiles;
use crate::protocol::{Recipient, SendExchange};

/// The send form.
#[derive(Clone, Copy)]
pub(super) struct Form {
    pub(super) files: RwSignal<PickedFiles<web_sys::File>, LocalStorage>,
    pub(super) recipient: RwSignal<Option<OrgId>>,
    pub(super) category: RwSignal<Option<Category>>,
    pub(super) urgent: RwSignal<bool>,
    pub(super) subject: RwSignal<String>,
    pub(super) case_reference: RwSignal<String>,
    pub(super) message: RwSignal<String>,
    /// The person confirmed sending the empty files picked (asked again when another
    /// empty file is added).
    pub(super) empty_confirmed: RwSignal<bool>,
    /// What to fix, found at the last attempt to send.
    pub(super) checks: RwSignal<Vec<Check>>,
    /// What the last change to the files did, for screen readers.
    pub(super) notice: RwSignal<String>,
}

impl Form {
    pub(super) fn new() -> Self {
        Self {
            files: RwSignal::new_local(PickedFiles::default()),
            recipient: RwSignal::new(None),
            category: RwSignal::new(None),
            urgent: RwSignal::new(false),
            subject: RwSignal::new(String::new()),
            case_reference: RwSignal::new(String::new()),
            message: RwSignal::new(String::new()),
            empty_confirmed: RwSignal::new(false),
            checks: RwSignal::new(Vec::new()),
            notice: RwSignal::new(String::new()),
        }
    }

    /// The person just worked on `field`: its problem is no longer listed.
    pub(super) fn fixed(self, field: &'static str) {
        if self
            .checks
            .with_untracked(|c| c.iter().any(|c| c.field() == field))
        {
            self.checks.update(|c| c.retain(|c| c.field() != field));
        }
    }

    /// `aria-invalid` for `field`.
    pub(super) fn invalid(self, field: &'static str) -> impl Fn() -> Option<&'static str> + Copy {
        move || {
            self.checks
                .with(|c| c.iter().any(|c| c.field() == field))
                .then_some("true")
        }
    }

    /// What to ask the worker to send, or what to fix first.
    pub(super) fn validate(
        self,
        directory: &[Recipient],
        in_reply_to: Option<ExchangeId>,
    ) -> Result<SendExchange, Vec<Check>> {
        self.files.with_untracked(|picked| {
            let files: Vec<DraftFile<'_>> = picked
                .files()
                .iter()
                .map(|p| DraftFile {
                    name: &p.name,
                    size: p.size,
                })
                .collect();
            Draft {
                files: &files,
                empty_confirmed: self.empty_confirmed.get_untracked(),
                recipient: self.recipient.get_untracked(),
                directory,
                category: self.category.get_untracked(),
                subject: &self.subject.get_untracked(),
                case_reference: &self.case_reference.get_untracked(),
                message: &self.message.get_untracked(),
                urgent: self.urgent.get_untracked(),
                in_reply_to,
            }
            .validate()
        })
    }

    /// The handles of the files picked, for the worker.
    pub(super) fn blobs(self) -> Vec<web_sys::File> {
        self.files
            .with_untracked(|f| f.files().iter().map(|p| p.file.clone()).collect())
    }

    /// Empties the form after a send.
    pub(super) fn clear(self) {
        self.files.update(PickedFiles::clear);
        self.notice.set(String::new());
        self.empty_confirmed.set(false);
        self.recipient.set(None);
        self.category.set(None);
        self.urgent.set(false);
        self.subject.set(String::new());
        self.case_reference.set(String::new());
        self.message.set(String::new());
    }
}
